"""What a page says about itself: title, description, dates, authors, language, licence.

Read from one lxml tree, in order of trust: JSON-LD (schema.org ``Article``, ``NewsArticle``,
``Report``, ``WebPage``, … including ``@graph`` documents and ``@id`` references), OpenGraph
(``og:*``, ``article:*``), Dublin Core (``DC.*``, ``dcterms.*``), plain ``<meta>`` tags,
``<link rel=canonical|license>``, ``<time datetime>``, ``<title>``, ``<h1>`` and ``<html lang>``.

Titles lose their site-name suffix ("Circular Strategy 2030 | City of Ghent") when the
OpenGraph title, the JSON-LD headline or the ``<h1>`` agrees with the remaining part, or when
the dropped part is the site's name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from .dates import find_date, parse_date
from .language import normalise_language_code

__all__ = ["PageMetadata", "clean_author", "extract_metadata", "strip_site_name"]

_WS_RE = re.compile(r"\s+")
_TITLE_SEP_RE = re.compile(r"\s+(?:\||-|–|—|·|•|»|::|/)\s+")
_AUTHOR_PREFIX_RE = re.compile(
    r"^(?:by|door|par|von|di|de|por|autor(?:e|a|es)?|author|auteur|forfatter|av|written by)\s*:?\s+",
    re.I,
)

# schema.org types that describe the document itself, best first
_PRIMARY_TYPES = [
    {"newsarticle", "article", "blogposting", "report", "scholarlyarticle", "techarticle",
     "analysisnewsarticle", "reportagenewsarticle", "opinionnewsarticle", "legislation",
     "legislationobject", "event", "dataset", "howto", "guide", "digitaldocument", "book",
     "educationalevent", "businessevent", "grant", "monetarygrant", "fundingscheme"},
    {"webpage", "itempage", "collectionpage", "aboutpage", "faqpage", "creativework", "mediaobject"},
]

_PUBLISHED_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "dcterms.issued",
    "dc.date.issued", "dcterms.created", "dc.date.created", "dc.date", "dcterms.date",
    "citation_publication_date", "citation_date", "publication_date", "publish-date",
    "pubdate", "date", "parsely-pub-date", "sailthru.date",
)
_UPDATED_KEYS = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "dc.date.modified", "last-modified", "revised",
)
_AUTHOR_KEYS = (
    "author", "article:author", "dc.creator", "dcterms.creator", "citation_author",
    "parsely-author", "sailthru.author",
)
_DESCRIPTION_KEYS = (
    "description", "og:description", "twitter:description", "dc.description",
    "dcterms.description", "dcterms.abstract",
)
_PUBLISHER_KEYS = ("og:site_name", "dc.publisher", "dcterms.publisher", "citation_publisher", "application-name")


@dataclass
class PageMetadata:
    title: str | None = None  # the best title, site name removed
    html_title: str | None = None
    og_title: str | None = None
    headline: str | None = None  # JSON-LD headline / name of the primary node
    h1: str | None = None
    site_name: str | None = None
    description: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None  # ISO 639-1 from lang / og:locale / inLanguage
    licence: str | None = None
    canonical_url: str | None = None  # absolute, as written
    publisher: str | None = None
    keywords: list[str] = field(default_factory=list)  # meta keywords, article:tag, section
    schema_types: list[str] = field(default_factory=list)  # JSON-LD @type values, og:type


def _clean(s) -> str | None:
    if s is None:
        return None
    if isinstance(s, list):
        s = next((x for x in s if isinstance(x, str) and x.strip()), None)
        if s is None:
            return None
    if not isinstance(s, str):
        return None
    s = _WS_RE.sub(" ", s).strip()
    return s or None


def _same(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    norm = lambda s: re.sub(r"[\W_]+", " ", s.casefold()).strip()  # noqa: E731
    return norm(a) == norm(b)


def strip_site_name(title: str | None, site_name: str | None = None, agree: tuple[str | None, ...] = ()) -> str | None:
    """``title`` without a site-name part ("Title | Site", "Site – Title").

    A part is kept alone when one of ``agree`` (og:title, headline, h1) equals it; otherwise a
    first or last part equal to (or contained in) ``site_name`` is dropped.
    """
    title = _clean(title)
    if not title:
        return None
    parts = _TITLE_SEP_RE.split(title)
    if len(parts) < 2:
        return title
    for ref in agree:
        if ref and not _same(ref, title):
            for part in parts:
                if _same(part, ref):
                    return part
            # the reference may itself span several parts ("A - B | Site")
            for i in range(1, len(parts)):
                head = title[: _nth_sep_start(title, i)]
                if _same(head, ref):
                    return head
    if site_name:
        site = site_name.casefold()
        if _same(parts[-1], site_name) or (len(parts[-1]) > 2 and parts[-1].casefold() in site):
            return title[: _nth_sep_start(title, len(parts) - 1)].strip()
        if _same(parts[0], site_name) or (len(parts[0]) > 2 and parts[0].casefold() in site):
            first_sep = _TITLE_SEP_RE.search(title)
            return title[first_sep.end():].strip()
    return title


def _nth_sep_start(title: str, n: int) -> int:
    for i, m in enumerate(_TITLE_SEP_RE.finditer(title), start=1):
        if i == n:
            return m.start()
    return len(title)


def clean_author(name) -> str | None:
    """A person's or organisation's name as shown, or None for URLs, e-mails and junk."""
    name = _clean(name)
    if not name or "://" in name or name.startswith("www.") or "@" in name:
        return None
    name = _AUTHOR_PREFIX_RE.sub("", name).strip(" ,;")
    if len(name) < 2 or len(name) > 120 or not re.search(r"[^\W\d_]", name):
        return None
    return name


def _dedupe(items) -> list[str]:
    seen, out = set(), []
    for x in items:
        if x and x.casefold() not in seen:
            seen.add(x.casefold())
            out.append(x)
    return out


# -- JSON-LD ---------------------------------------------------------------------------------------
def _json_ld_nodes(tree) -> list[dict]:
    nodes: list[dict] = []

    def walk(data, depth=0):
        if depth > 4:
            return
        if isinstance(data, list):
            for d in data:
                walk(d, depth + 1)
        elif isinstance(data, dict):
            if "@graph" in data:
                walk(data["@graph"], depth + 1)
            if "@type" in data or "headline" in data:
                nodes.append(data)

    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        raw = re.sub(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$", "", raw).strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw, strict=False))
        except (ValueError, RecursionError):
            continue
    return nodes


def _types(node: dict) -> list[str]:
    t = node.get("@type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def _primary(nodes: list[dict]) -> dict | None:
    for group in _PRIMARY_TYPES:
        for node in nodes:
            if any(t.lower().rsplit("/", 1)[-1] in group for t in _types(node)):
                return node
    return next((n for n in nodes if "headline" in n), None)


def _resolve(value, ids: dict[str, dict]):
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in ids:
        return ids[value["@id"]]
    return value


def _names(value, ids: dict[str, dict]) -> list[str]:
    out: list[str] = []
    for v in value if isinstance(value, list) else [value]:
        v = _resolve(v, ids)
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            name = v.get("name")
            if isinstance(name, dict):
                name = name.get("@value")
            if not name and (v.get("givenName") or v.get("familyName")):
                name = f"{v.get('givenName', '')} {v.get('familyName', '')}"
            if isinstance(name, (str, list)):
                c = _clean(name)
                if c:
                    out.append(c)
    return out


def _url_of(value, ids: dict[str, dict]) -> str | None:
    value = _resolve(value, ids)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return _clean(value.get("url") or value.get("@id") or value.get("name"))
    return None


def _str_list(value) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[,;]", value) if p.strip()]
    if isinstance(value, list):
        return [x.strip() for x in value if isinstance(x, str) and x.strip()]
    return []


# -- the page --------------------------------------------------------------------------------------
def extract_metadata(tree, url: str | None = None) -> PageMetadata:
    """Everything the page declares about itself (see the module docstring)."""
    md = PageMetadata()
    if tree is None:
        return md

    # <meta>: name / property / itemprop / http-equiv -> contents, keys lower-cased
    meta: dict[str, list[str]] = {}
    for m in tree.iter("meta"):
        content = m.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("name", "property", "itemprop", "http-equiv"):
            key = m.get(attr)
            if key:
                for k in key.lower().split():
                    meta.setdefault(k, []).append(content.strip())

    def first(*keys: str) -> str | None:
        for k in keys:
            if k in meta:
                return _clean(meta[k][0])
        return None

    base = url
    base_el = tree.find(".//base[@href]")
    if base_el is not None and url:
        base = urljoin(url, base_el.get("href").strip())

    links: dict[str, str] = {}
    for link in tree.xpath("//link[@rel][@href] | //a[@rel][@href]"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if not href:
            continue
        for r in rel:
            if r in ("canonical", "license") and r not in links:
                if link.tag == "a" and r != "license":
                    continue
                links[r] = urljoin(base, href) if base else href

    nodes = _json_ld_nodes(tree)
    ids = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    primary = _primary(nodes)
    for n in nodes:
        md.schema_types.extend(_types(n))
    og_type = first("og:type")
    if og_type:
        md.schema_types.append(og_type)
    md.schema_types = _dedupe(md.schema_types)

    # titles
    title_el = tree.find(".//title")
    md.html_title = _clean(title_el.text_content()) if title_el is not None else None
    h1 = tree.find(".//h1")
    md.h1 = _clean(h1.text_content()) if h1 is not None else None
    md.og_title = first("og:title", "twitter:title", "dc.title", "dcterms.title", "citation_title")
    if primary is not None:
        md.headline = _clean(primary.get("headline")) or _clean(primary.get("name"))
    md.site_name = first("og:site_name", "application-name")
    if primary is not None and not md.site_name:
        pub = _names(primary.get("publisher"), ids)
        md.site_name = pub[0] if pub else None
    refs = (md.og_title, md.headline, md.h1)
    for cand in (md.og_title, md.headline, md.html_title):
        t = strip_site_name(cand, md.site_name, tuple(r for r in refs if r is not cand))
        if t and not _same(t, md.site_name):  # a bare site name is no title
            md.title = t
            break
    if not md.title and not _same(md.h1, md.site_name):
        md.title = md.h1

    # description
    md.description = first(*_DESCRIPTION_KEYS)
    if not md.description and primary is not None:
        md.description = _clean(primary.get("description"))

    # dates: JSON-LD, then meta, then <time>
    if primary is not None:
        md.published = parse_date(_clean(primary.get("datePublished"))) or parse_date(
            _clean(primary.get("dateCreated"))
        )
        md.updated = parse_date(_clean(primary.get("dateModified")))
    if md.published is None:
        for k in _PUBLISHED_KEYS:
            for v in meta.get(k, ()):
                md.published = parse_date(v)
                if md.published:
                    break
            if md.published:
                break
    if md.updated is None:
        for k in _UPDATED_KEYS:
            for v in meta.get(k, ()):
                md.updated = parse_date(v)
                if md.updated:
                    break
            if md.updated:
                break
    if md.published is None:
        md.published = _time_element_date(tree)

    # authors
    authors: list[str] = []
    if primary is not None:
        authors = _names(primary.get("author"), ids) or _names(primary.get("creator"), ids)
    if not authors:
        for k in _AUTHOR_KEYS:
            if k in meta:
                authors = [a for v in meta[k] for a in re.split(r"\s*;\s*", v)]
                break
    md.authors = _dedupe(a for a in (clean_author(x) for x in authors) if a)

    # language
    html = tree if tree.tag == "html" else tree.find(".//html")
    lang_tags = []
    if html is not None:
        lang_tags += [html.get("lang"), html.get("{http://www.w3.org/XML/1998/namespace}lang"), html.get("xml:lang")]
    if primary is not None:
        il = primary.get("inLanguage")
        lang_tags.append(il.get("alternateName") or il.get("name") if isinstance(il, dict) else _clean(il))
    lang_tags += [first("og:locale"), first("dc.language", "dcterms.language", "language"), first("content-language")]
    md.language = next((c for c in (normalise_language_code(t) for t in lang_tags if t) if c), None)

    # licence
    licence = links.get("license")
    if not licence and primary is not None and primary.get("license"):
        licence = _url_of(primary.get("license"), ids)
    if not licence:
        licence = first("dcterms.license", "dc.rights.license", "license", "dcterms.rights")
    md.licence = licence

    md.canonical_url = links.get("canonical")

    # publisher
    if primary is not None:
        pub = _names(primary.get("publisher"), ids)
        md.publisher = pub[0] if pub else None
    md.publisher = md.publisher or first(*_PUBLISHER_KEYS)

    # keywords / sections
    kws: list[str] = []
    for k in ("article:tag", "article:section", "keywords", "news_keywords", "dc.subject", "dcterms.subject"):
        for v in meta.get(k, ()):
            kws.extend(_str_list(v))
    if primary is not None:
        kws.extend(_str_list(primary.get("keywords")))
        kws.extend(_str_list(primary.get("articleSection")))
    md.keywords = _dedupe(k for k in kws if len(k) <= 80)[:30]
    return md


def _time_element_date(tree) -> datetime | None:
    """Publication date from ``<time>``: marked as such, or the first inside the article."""
    for xp in (
        "//time[@itemprop='datePublished']",
        "//*[@itemprop='datePublished']",
        "//time[@pubdate]",
        "//article//time[@datetime]",
        "//main//time[@datetime]",
    ):
        for el in tree.xpath(xp):
            value = el.get("datetime") or el.get("content") or el.text_content()
            dt = parse_date(value) or find_date(value)
            if dt:
                return dt
    times = tree.xpath("//time[@datetime]")
    if len(times) == 1:  # one date on the page: it is the page's
        return parse_date(times[0].get("datetime"))
    return None
