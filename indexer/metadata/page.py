"""Reading a page's metadata: ``<meta>``, ``<link>``, JSON-LD and the HTML itself, step by step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from ..dates import find_date, parse_date
from ..language import normalise_language_code
from .dateline import shown_date
from .jsonld import json_ld_nodes, names_in, primary_node, str_list, types_of, url_of
from .outline import breadcrumbs, event_start, headings, lead_paragraph, microdata_types
from .record import Markup, PageMetadata
from .text import clean, clean_author, dedupe, same
from .titles import article_h1, choose_title, home_link_texts, website_names

PUBLISHED_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "dcterms.issued",
    "dc.date.issued", "dcterms.created", "dc.date.created", "dc.date", "dcterms.date",
    "citation_publication_date", "citation_date", "publication_date", "publish-date",
    "pubdate", "date", "parsely-pub-date", "sailthru.date",
)
UPDATED_KEYS = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "dc.date.modified", "last-modified", "revised",
)
AUTHOR_KEYS = (
    "author", "article:author", "dc.creator", "dcterms.creator", "citation_author",
    "parsely-author", "sailthru.author",
)
DESCRIPTION_KEYS = (
    "description", "og:description", "twitter:description", "dc.description",
    "dcterms.description", "dcterms.abstract",
)
PUBLISHER_KEYS = ("og:site_name", "dc.publisher", "dcterms.publisher", "citation_publisher", "application-name")


@dataclass
class _Page:
    """What the steps read from: the page's tree, its <meta> and <link> values, JSON-LD."""

    tree: object
    url: str | None
    meta: dict[str, list[str]]
    links: dict[str, str]
    nodes: list[dict]
    ids: dict[str, dict]
    primary: dict | None
    markup: Markup

    def first(self, *keys: str) -> str | None:
        for k in keys:
            if k in self.meta:
                return clean(self.meta[k][0])
        return None

    def jsonld(self, key: str):
        return None if self.primary is None else self.primary.get(key)


def extract_metadata(
    tree, url: str | None = None, *, site_names=(), title_hint: str | None = None,
    language: str | None = None, html: str | None = None,
) -> PageMetadata:
    """Everything the page declares about itself (see the package docstring).

    ``site_names``: names the caller knows the site by (a source's publisher and name);
    ``title_hint``: a title from elsewhere (a feed entry's) used to recognise the site-name part
    of the ``<title>``; ``language``: the page's expected language, for dates written in words;
    ``html``: the page's source the tree was parsed from, when the caller has it: markup it
    does not contain (``breadcrumb``, ``itemscope``, ``<time`` …) is not searched for in the
    tree (a substring test costs microseconds, each search of the whole tree a fraction of a
    millisecond); the answers are the same.
    """
    md = PageMetadata()
    if tree is None:
        return md
    markup = Markup(html)
    nodes = json_ld_nodes(tree)
    page = _Page(tree=tree, url=url, meta=_meta_values(tree), links=_links(tree, url),
                 nodes=nodes, ids={n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)},
                 primary=primary_node(nodes), markup=markup)
    md.schema_types = dedupe([*(t for n in nodes for t in types_of(n)),
                              *microdata_types(tree, markup), page.first("og:type")])
    h1 = _titles(md, page, site_names, title_hint)
    md.description = page.first(*DESCRIPTION_KEYS) or clean(page.jsonld("description"))
    _dates(md, page)
    md.authors = _authors(page)
    md.language = _language(page)
    md.licence = (page.links.get("license")
                  or (url_of(page.jsonld("license"), page.ids) if page.jsonld("license") else None)
                  or page.first("dcterms.license", "dc.rights.license", "license",
                                "dcterms.rights"))
    md.canonical_url = page.links.get("canonical")
    md.alternates = _alternates(tree, url)
    publishers = names_in(page.jsonld("publisher"), page.ids) if page.primary is not None else []
    md.publisher = (publishers[0] if publishers else None) or page.first(*PUBLISHER_KEYS)
    md.keywords = _keywords(page)
    md.shown_date = shown_date(tree, h1, language or md.language)
    md.breadcrumbs = breadcrumbs(tree, nodes, md.title or md.h1, markup)
    md.headings = headings(tree)
    md.lead = lead_paragraph(tree, markup)
    md.event_start = event_start(tree, nodes, markup)
    return md


def _meta_values(tree) -> dict[str, list[str]]:
    """<meta>: name / property / itemprop / http-equiv -> contents, keys lower-cased."""
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
    return meta


_HREFLANG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$", re.IGNORECASE)


def _alternates(tree, url: str | None) -> list[tuple[str, str]]:
    """The page's translations: ``<link rel="alternate" hreflang="lt" href="…">`` as (language,
    absolute http(s) URL); ``x-default``, the page itself and malformed entries left out."""
    base = url
    base_el = tree.find(".//base[@href]")
    if base_el is not None and url:
        base = urljoin(url, base_el.get("href").strip())
    out: dict[str, tuple[str, str]] = {}
    for link in tree.xpath("//link[@rel][@hreflang][@href]"):
        if "alternate" not in (link.get("rel") or "").lower().split():
            continue
        m = _HREFLANG.match((link.get("hreflang") or "").strip())
        href = (link.get("href") or "").strip()
        if not m or not href:
            continue
        target = urljoin(base, href) if base else href
        if urlsplit(target).scheme not in ("http", "https") or target == url:
            continue
        out.setdefault(target, (m.group(1).lower(), target))
    return list(out.values())


def _links(tree, url: str | None) -> dict[str, str]:
    """The page's canonical and licence links, absolute (``<base href>`` honoured)."""
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
    return links


def _titles(md: PageMetadata, page: _Page, site_names, title_hint: str | None):
    """The title candidates, the site's names and the title chosen; returns the <h1> element."""
    title_el = page.tree.find(".//title")
    md.html_title = clean(title_el.text_content()) if title_el is not None else None
    h1, md.h1_in_main = article_h1(page.tree)
    md.h1 = clean(h1.text_content()) if h1 is not None else None
    md.og_title = page.first("og:title", "twitter:title", "dc.title", "dcterms.title",
                             "citation_title")
    if page.primary is not None:
        md.headline = clean(page.jsonld("headline")) or clean(page.jsonld("name"))
    md.site_name = page.first("og:site_name", "application-name")
    if page.primary is not None and not md.site_name:
        pub = names_in(page.jsonld("publisher"), page.ids)
        md.site_name = pub[0] if pub else None
    # weaker names (application-name, JSON-LD nodes, home links) that equal the page's own
    # title are the page's title, not the site's (some sites misuse application-name)
    weak = [page.first("application-name"), *website_names(page.nodes, page.ids),
            *home_link_texts(page.tree, page.url, page.markup)]
    own = (md.og_title, md.headline, md.h1 if md.h1_in_main else None)
    md.site_names = dedupe(
        [page.first("og:site_name"), *(n for n in site_names if n)]
        + [n for n in weak if n and not any(same(n, t) for t in own)]
    )
    if md.site_name and any(same(md.site_name, t) for t in own) \
            and md.site_name not in md.site_names:
        md.site_name = None
    choose_title(md, title_hint)
    return h1


def _first_date(meta: dict[str, list[str]], keys) -> datetime | None:
    for k in keys:
        for v in meta.get(k, ()):
            dt = parse_date(v)
            if dt:
                return dt
    return None


def _dates(md: PageMetadata, page: _Page) -> None:
    """Published and updated: JSON-LD, then <meta>, then <time>."""
    if page.primary is not None:
        md.published = parse_date(clean(page.jsonld("datePublished"))) or parse_date(
            clean(page.jsonld("dateCreated")))
        md.updated = parse_date(clean(page.jsonld("dateModified")))
    if md.published is None:
        md.published = _first_date(page.meta, PUBLISHED_KEYS)
    if md.updated is None:
        md.updated = _first_date(page.meta, UPDATED_KEYS)
    if md.published is None:
        md.published = _time_element_date(page.tree, page.markup)


def _authors(page: _Page) -> list[str]:
    authors: list[str] = []
    if page.primary is not None:
        authors = (names_in(page.jsonld("author"), page.ids)
                   or names_in(page.jsonld("creator"), page.ids))
    if not authors:
        for k in AUTHOR_KEYS:
            if k in page.meta:
                authors = [a for v in page.meta[k] for a in re.split(r"\s*;\s*", v)]
                break
    return dedupe(a for a in (clean_author(x) for x in authors) if a)


def _language(page: _Page) -> str | None:
    tree = page.tree
    html = tree if tree.tag == "html" else tree.find(".//html")
    tags = []
    if html is not None:
        tags += [html.get("lang"), html.get("{http://www.w3.org/XML/1998/namespace}lang"),
                 html.get("xml:lang")]
    if page.primary is not None:
        il = page.jsonld("inLanguage")
        tags.append(il.get("alternateName") or il.get("name") if isinstance(il, dict)
                    else clean(il))
    tags += [page.first("og:locale"), page.first("dc.language", "dcterms.language", "language"),
             page.first("content-language")]
    return next((c for c in (normalise_language_code(t) for t in tags if t) if c), None)


def _keywords(page: _Page) -> list[str]:
    """Meta keywords, article tags and sections, JSON-LD keywords (at most 30)."""
    kws: list[str] = []
    for k in ("article:tag", "article:section", "keywords", "news_keywords", "dc.subject",
              "dcterms.subject"):
        for v in page.meta.get(k, ()):
            kws.extend(str_list(v))
    if page.primary is not None:
        kws.extend(str_list(page.jsonld("keywords")))
        kws.extend(str_list(page.jsonld("articleSection")))
    return dedupe(k for k in kws if len(k) <= 80)[:30]


def _time_element_date(tree, markup: Markup) -> datetime | None:
    """Publication date from ``<time>``: marked as such, or the first inside the article."""
    if not markup.has("<time", "datepublished"):
        return None
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
