"""What a page says about itself: title, description, dates, authors, language, licence.

Read from one lxml tree, in order of trust: JSON-LD (schema.org ``Article``, ``NewsArticle``,
``Report``, ``WebPage``, … including ``@graph`` documents and ``@id`` references), OpenGraph
(``og:*``, ``article:*``), Dublin Core (``DC.*``, ``dcterms.*``), plain ``<meta>`` tags,
``<link rel=canonical|license>``, ``<time datetime>``, ``<title>``, ``<h1>`` and ``<html lang>``.

Title, most trusted first: OpenGraph / Twitter / Dublin Core title, the JSON-LD headline, the
``<title>``, the article's ``<h1>``. Titles lose their site-name part ("Circular Strategy 2030 |
City of Ghent", "Stad Gent – Afvalplan") when the OpenGraph title, the headline, the ``<h1>``
or the caller's reference (a feed entry's title) agrees with the rest, or when the dropped part
is a name of the site: ``og:site_name``, ``application-name``, the JSON-LD publisher or web
site, the text of the page's links to its home page (the logo), or a name the caller knows
(the source's publisher). A ``<title>`` that is only the site's name, or that shares no word
with the article's ``<h1>``, is *generic*: the ``<h1>`` is the title then (the ``<h1>`` inside
``<article>``/``<main>``, else the page's first). :attr:`PageMetadata.title_source` says where
the title came from, so the normaliser can let a feed entry's title beat a weak one.

The *shown date* is the date printed near the title, in the article's header (a byline or
dateline, a ``<time>`` without ``datetime``): the normaliser's last resort for the publication
date, after the page's metadata and the feed's or sitemap's dates. Only the header region is
read, never the whole text, which can mention other dates (deadlines, events, history).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from .dates import DATE_SEARCH_RE as _DATE_SEARCH_RE, find_date, parse_date
from .language import normalise_language_code

__all__ = ["PageMetadata", "clean_author", "extract_metadata", "is_site_name", "share_words", "strip_site_name"]

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
    title_source: str | None = None  # "meta" (og/twitter/DC) | "jsonld" | "html" (<title>) | "h1"
    html_title: str | None = None
    html_title_generic: bool = False  # the <title> is the site's name or unrelated to the <h1>
    og_title: str | None = None
    headline: str | None = None  # JSON-LD headline / name of the primary node
    h1: str | None = None  # the article's <h1> (inside <article>/<main> when there is one)
    h1_in_main: bool = False  # that <h1> is inside <article>/<main>/role=main
    site_name: str | None = None
    site_names: list[str] = field(default_factory=list)  # every name of the site found on the page
    shown_date: datetime | None = None  # the date printed in the article's header
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


def _norm(s: str) -> str:
    return re.sub(r"[\W_]+", " ", s.casefold()).strip()


def _same(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return _norm(a) == _norm(b)


_BRACKETS_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def is_site_name(text: str | None, names) -> bool:
    """True when ``text`` is one of ``names`` (a site's names), maybe with a bracketed note.

    "Comune di Prato (fixture)" is the site name "Comune di Prato"; "Comune di Prato: bando
    2024" is not.
    """
    if not text:
        return False
    for name in [names] if isinstance(names, str) else names or ():
        if not name:
            continue
        if _same(text, name) or _same(_BRACKETS_RE.sub(" ", text), name):
            return True
    return False


_WORD_RE = re.compile(r"[^\W\d_]{3,}|\d{2,}")


def share_words(a: str | None, b: str | None) -> bool:
    """True when two titles have a word (3+ letters, or a number) in common."""
    if not a or not b:
        return False
    wa = set(_WORD_RE.findall(a.casefold()))
    return bool(wa & set(_WORD_RE.findall(b.casefold())))


def strip_site_name(title: str | None, site_name=None, agree: tuple[str | None, ...] = ()) -> str | None:
    """``title`` without a site-name part ("Title | Site", "Site – Title").

    A part is kept alone when one of ``agree`` (og:title, headline, h1, a feed's title) equals
    it; otherwise a first or last part equal to (or contained in) ``site_name`` (one name or
    several) is dropped.
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
                tail = title[_nth_sep_end(title, i):]
                if _same(tail, ref):
                    return tail
    names = [site_name] if isinstance(site_name, str) else [n for n in site_name or () if n]
    for name in names:
        site = name.casefold()
        last, first = parts[-1], parts[0]
        if is_site_name(last, name) or (len(last) > 2 and last.casefold() in site):
            return title[: _nth_sep_start(title, len(parts) - 1)].strip()
        if is_site_name(first, name) or (len(first) > 2 and first.casefold() in site):
            first_sep = _TITLE_SEP_RE.search(title)
            return title[first_sep.end():].strip()
    return title


def _nth_sep_end(title: str, n: int) -> int:
    for i, m in enumerate(_TITLE_SEP_RE.finditer(title), start=1):
        if i == n:
            return m.end()
    return len(title)


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
def extract_metadata(
    tree, url: str | None = None, *, site_names=(), title_hint: str | None = None,
    language: str | None = None,
) -> PageMetadata:
    """Everything the page declares about itself (see the module docstring).

    ``site_names``: names the caller knows the site by (a source's publisher and name);
    ``title_hint``: a title from elsewhere (a feed entry's) used to recognise the site-name part
    of the ``<title>``; ``language``: the page's expected language, for dates written in words.
    """
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
    h1, md.h1_in_main = _article_h1(tree)
    md.h1 = _clean(h1.text_content()) if h1 is not None else None
    md.og_title = first("og:title", "twitter:title", "dc.title", "dcterms.title", "citation_title")
    if primary is not None:
        md.headline = _clean(primary.get("headline")) or _clean(primary.get("name"))
    md.site_name = first("og:site_name", "application-name")
    if primary is not None and not md.site_name:
        pub = _names(primary.get("publisher"), ids)
        md.site_name = pub[0] if pub else None
    # weaker names (application-name, JSON-LD nodes, home links) that equal the page's own
    # title are the page's title, not the site's (some sites misuse application-name)
    weak = [first("application-name"), *_website_names(nodes, ids), *_home_link_texts(tree, url)]
    own = (md.og_title, md.headline, md.h1 if md.h1_in_main else None)
    md.site_names = _dedupe(
        [first("og:site_name"), *(n for n in site_names if n)]
        + [n for n in weak if n and not any(_same(n, t) for t in own)]
    )
    if md.site_name and any(_same(md.site_name, t) for t in own) and md.site_name not in md.site_names:
        md.site_name = None
    _choose_title(md, title_hint)

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

    md.shown_date = _shown_date(tree, h1, language or md.language)
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


# -- title -----------------------------------------------------------------------------------------
_MAIN_XPATHS = ("//article", "//main", "//*[@role='main']")


def _article_h1(tree):
    """``(h1 element, inside article/main)``: the first ``<h1>`` of the article or main part,
    else the page's first ``<h1>``."""
    for xp in _MAIN_XPATHS:
        for container in tree.xpath(xp):
            h1 = container.find(".//h1")
            if h1 is not None and _clean(h1.text_content()):
                return h1, True
    for h1 in tree.iter("h1"):
        if _clean(h1.text_content()):
            return h1, False
    return None, False


def _website_names(nodes: list[dict], ids: dict[str, dict]) -> list[str]:
    out = []
    for node in nodes:
        types = {t.lower().rsplit("/", 1)[-1] for t in _types(node)}
        if types & {"website", "organization", "governmentorganization"}:
            out += _names(node, ids)
        elif "publisher" in node:
            out += _names(node.get("publisher"), ids)
    return out


_LOGO_RE = re.compile(r"(?:^|[\s_-])(?:logo|brand|site-?(?:title|name)|navbar-brand)(?:$|[\s_-])", re.I)


def _home_link_texts(tree, url: str | None) -> list[str]:
    """Texts of the page's links to its home page and of its logo (the site's name, as shown)."""
    homes = {"/", "./", "index.html"}
    if url:
        home = urljoin(url, "/")
        homes |= {home, home.rstrip("/")}
    out: list[str] = []
    for a in tree.xpath("//a[@href]")[:200]:
        href = (a.get("href") or "").strip()
        cls = a.get("class") or ""
        if href not in homes and not _LOGO_RE.search(cls):
            continue
        text = _clean(a.text_content())
        if not text:
            alts = [img.get("alt") for img in a.iter("img") if img.get("alt")]
            text = _clean(alts[0]) if alts else None
        if text and 3 <= len(text) <= 80:
            out.append(text)
    return out[:5]


def _choose_title(md: PageMetadata, title_hint: str | None) -> None:
    """Set ``md.title``/``title_source``/``html_title_generic`` (see the module docstring)."""
    names = md.site_names
    for source, cand in (("meta", md.og_title), ("jsonld", md.headline)):
        refs = tuple(r for r in (md.og_title, md.headline, md.h1, title_hint) if r is not cand)
        t = strip_site_name(cand, names, refs)
        if t and not is_site_name(t, names):  # a bare site name is no title
            md.title, md.title_source = t, source
            break
    h1 = md.h1 if not is_site_name(md.h1, names) else None
    html = None
    if md.html_title:
        html = strip_site_name(md.html_title, names, (md.og_title, md.headline, h1, title_hint))
        if not html or is_site_name(html, names):
            md.html_title_generic = True
        elif h1 and md.h1_in_main and not share_words(html, h1):
            md.html_title_generic = True  # "Home", "News", a section name: the <h1> says more
    if md.title:
        return
    if html and not md.html_title_generic:
        md.title, md.title_source = html, "html"
    elif h1:
        md.title, md.title_source = h1, "h1"


# -- the date shown in the article's header --------------------------------------------------------
_DATE_CLASS_RE = re.compile(r"date|time|posted|publi|byline|dateline|meta|info|datum|fecha|data", re.I)
_UPDATED_CLASS_RE = re.compile(r"updat|modif|revis|bijgewerkt|aktualis|aggiorn|actualiz|atualiz|atnaujin|oppdat", re.I)
_HEADER_TEXT_MAX = 300
_NOT_DATELINE_TAGS = {"figure", "figcaption", "picture", "aside", "nav", "blockquote", "table"}
_NOT_DATELINE_CLASS_RE = re.compile(
    r"caption|credit|related|teaser|comment|share|social|image|img|photo|media|video|gallery", re.I
)
_SKIPPED_PART_CLASS_RE = re.compile(r"caption|credit|related|teaser|comment", re.I)
# "Updated 3 May 2025": a label just before a date makes it a modification date
_UPDATED_LABEL_RE = re.compile(
    r"(?:updated|modified|revised|last changed|bijgewerkt|gewijzigd|aktualisiert|geändert|"
    r"mis à jour|modifié|aggiornat[oa]|modificat[oa]|actualizad[oa]|atualizad[oa]|atnaujinta|"
    r"oppdatert|endret|zaktualizowan[oy]|aktualizacja)\W*(?:on|le|am|il|el|em|op|den)?\W*$",
    re.I,
)


def _is_updated_marker(el) -> bool:
    for attr in ("class", "itemprop", "id"):
        if _UPDATED_CLASS_RE.search(el.get(attr) or ""):
            return True
    return False


def _not_dateline(el) -> bool:
    """A caption, a related-articles box, a quote: dates there are about something else."""
    for depth, node in enumerate((el, *el.iterancestors())):
        if node.tag in ("article", "main", "body", "header") or depth > 2:
            break
        if node.tag in _NOT_DATELINE_TAGS or _NOT_DATELINE_CLASS_RE.search(node.get("class") or ""):
            return True
    return False


def _labelled_updated(el) -> bool:
    """The text just before ``el`` ("Updated <time>…</time>") labels it as an update date."""
    prev = el.getprevious()
    if prev is not None:
        before = (prev.text_content() or "") + (prev.tail or "")
    else:
        parent = el.getparent()
        before = (parent.text or "") if parent is not None else ""
    return bool(_UPDATED_LABEL_RE.search(before[-40:]))


def _publication_date_in(text: str, language: str | None) -> datetime | None:
    """The first date in ``text`` that is not labelled as an update."""
    for m in _DATE_SEARCH_RE.finditer(text):
        if _UPDATED_LABEL_RE.search(text[max(0, m.start() - 40):m.start()]):
            continue
        dt = parse_date(m.group(0), language)
        if dt:
            return dt
    return None


def _own_text(el) -> str:
    """Text of ``el`` without the parts marked as an update date, captions, quotes and boxes."""
    parts: list[str] = []

    def walk(node):
        if not isinstance(node.tag, str) or (node is not el and (
                _is_updated_marker(node) or node.tag in _NOT_DATELINE_TAGS
                or _SKIPPED_PART_CLASS_RE.search(node.get("class") or ""))):
            if node.tail:
                parts.append(node.tail)
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if node is not el and node.tail:
            parts.append(node.tail)

    walk(el)
    return _WS_RE.sub(" ", " ".join(parts)).strip()


def _shown_date(tree, h1, language: str | None) -> datetime | None:
    """The date printed near the article's title (see the module docstring), or None."""
    regions = []
    if h1 is not None:
        header = next((a for a in h1.iterancestors() if a.tag == "header"), None)
        if header is not None:
            regions.append(header)  # the article's header (title, dateline, byline)
        # the title's neighbours: a dateline just before or after it
        parent = h1.getparent()
        if parent is not None:
            siblings = list(parent)
            i = siblings.index(h1)
            regions += siblings[max(0, i - 1):i] + siblings[i + 1:i + 4]
    for xp in _MAIN_XPATHS:
        for container in tree.xpath(xp)[:1]:
            regions += [el for el in container.iter() if isinstance(el.tag, str) and el.tag != "time"
                        and _DATE_CLASS_RE.search(el.get("class") or "")][:6]
            regions += [el for el in container.iter("time")][:3]
    seen = set()
    for region in regions:
        if (id(region) in seen or region is h1 or _is_updated_marker(region) or _not_dateline(region)
                or _labelled_updated(region)):
            continue
        seen.add(id(region))
        text = _own_text(region)
        if h1 is not None and region is not h1 and h1 in region.iterdescendants():
            text = text.replace(_clean(h1.text_content()) or "", " ")
        if not text or len(text) > _HEADER_TEXT_MAX:
            continue
        dt = _publication_date_in(text, language)
        if dt:
            return dt
    return None
