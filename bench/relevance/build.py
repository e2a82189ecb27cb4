"""Load the relevance test collection and render it into a web of sites served on 127.0.0.1.

The format is in ``FORMAT.md`` beside this file. :func:`load_collection` reads and checks the
YAML (every reference resolves, every label is a known type or theme); :class:`CollectionWeb`
starts one HTTP server per site (and per ``www`` twin), renders every document with its site's
chrome — menu, cookie banner, breadcrumbs, related links, newsletter box, footer — plus listing
pages, tag pages and a sitemap per site, and knows which URL shows which document (the gold
mapping the benchmark scores against).
"""

from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import yaml

ROOT = Path(__file__).resolve().parent
KINDS = {"news", "article", "report", "pdf", "event", "call", "page", "listing"}
SPLITS = {"tune", "heldout"}
LISTING_PAGE_SIZE = 10
TEASER_WORDS = 80


class CollectionError(ValueError):
    """The collection's files are inconsistent (the message names the file and the entry)."""


@dataclass
class Site:
    id: str
    name: str
    lang: str
    country: str
    style: str
    nav: list[str]
    cookie: str
    footer: list[str]
    breadcrumb_home: str
    city: str | None = None


@dataclass
class Copy:
    site: str
    path: str
    intro: str | None = None
    banner: str | None = None
    cut: float | None = None
    host: str | None = None  # "www": the www twin of the site's host


@dataclass
class Doc:
    id: str
    site: str
    path: str
    lang: str
    kind: str
    title: str
    type: str
    themes: list[str]
    split: str
    body: str
    date: date | None = None
    lead: str | None = None
    breadcrumbs: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    jsonld: bool = False
    copies: list[Copy] = field(default_factory=list)
    translation_of: str | None = None
    not_duplicate_of: list[str] = field(default_factory=list)
    source_file: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in re.split(r"\n\s*\n", self.body or "") if p.strip()]


@dataclass
class Query:
    id: str
    lang: str
    text: str
    split: str
    judgements: dict[str, int]
    intent: str = ""


@dataclass
class Collection:
    sites: dict[str, Site]
    docs: dict[str, Doc]
    queries: list[Query]

    def docs_in(self, split: str | None = None) -> list[Doc]:
        return [d for d in self.docs.values() if split in (None, "both", d.split)]

    def queries_in(self, split: str | None = None) -> list[Query]:
        return [q for q in self.queries if split in (None, "both", q.split)]


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def load_collection(root: Path = ROOT, *, types=None, themes=None) -> Collection:
    """Read ``sites/``, ``docs/`` and ``queries/`` under ``root`` and check them."""
    sites: dict[str, Site] = {}
    for f in sorted((root / "sites").glob("*.yaml")):
        for raw in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("sites", []):
            try:
                s = Site(**{k: raw.get(k) for k in Site.__dataclass_fields__ if k in raw})
            except TypeError as e:
                raise CollectionError(f"{f.name}: site {raw.get('id')!r}: {e}") from None
            if s.id in sites:
                raise CollectionError(f"{f.name}: site {s.id!r} is defined twice")
            sites[s.id] = s
    docs: dict[str, Doc] = {}
    for f in sorted((root / "docs").glob("*.yaml")):
        for raw in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("docs", []):
            d = _doc(raw, f.name)
            if d.id in docs:
                raise CollectionError(f"{f.name}: document {d.id!r} is defined twice")
            docs[d.id] = d
    queries: list[Query] = []
    for f in sorted((root / "queries").glob("*.yaml")):
        for raw in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("queries", []):
            queries.append(Query(id=raw["id"], lang=raw["lang"], text=str(raw["text"]),
                                 split=raw.get("split", "tune"), intent=raw.get("intent", ""),
                                 judgements={str(k): int(v) for k, v in
                                             (raw.get("judgements") or {}).items()}))
    col = Collection(sites, docs, queries)
    _check(col, types, themes)
    return col


def _doc(raw: dict, fname: str) -> Doc:
    where = f"{fname}: document {raw.get('id')!r}"
    try:
        copies = [Copy(**c) for c in raw.get("copies") or []]
        d = Doc(
            id=raw["id"], site=raw["site"], path=raw["path"], lang=raw["lang"],
            kind=raw.get("kind", "article"), title=str(raw["title"]), type=raw["type"],
            themes=list(raw.get("themes") or []), split=raw.get("split", "tune"),
            body=str(raw.get("body") or ""), date=_as_date(raw.get("date")),
            lead=raw.get("lead"), breadcrumbs=[str(b) for b in raw.get("breadcrumbs") or []],
            categories=[str(c) for c in raw.get("categories") or []],
            jsonld=bool(raw.get("jsonld")), copies=copies,
            translation_of=raw.get("translation_of"),
            not_duplicate_of=list(raw.get("not_duplicate_of") or []), source_file=fname,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise CollectionError(f"{where}: {e.__class__.__name__}: {e}") from None
    return d


def _check(col: Collection, types, themes) -> None:
    urls: dict[tuple[str, str, str | None], str] = {}
    for d in col.docs.values():
        where = f"{d.source_file}: document {d.id!r}"
        if d.site not in col.sites:
            raise CollectionError(f"{where}: unknown site {d.site!r}")
        if d.kind not in KINDS:
            raise CollectionError(f"{where}: unknown kind {d.kind!r}")
        if d.split not in SPLITS:
            raise CollectionError(f"{where}: split must be tune or heldout")
        if not d.path.startswith("/"):
            raise CollectionError(f"{where}: path must start with /")
        if types is not None and d.type not in types:
            raise CollectionError(f"{where}: unknown type {d.type!r}")
        if themes is not None and set(d.themes) - set(themes):
            raise CollectionError(f"{where}: unknown themes {sorted(set(d.themes) - set(themes))}")
        for ref in [d.translation_of, *d.not_duplicate_of]:
            if ref and ref not in col.docs:
                raise CollectionError(f"{where}: refers to unknown document {ref!r}")
        places = [(d.site, d.path, None)] + [(c.site, c.path, c.host) for c in d.copies]
        for c in d.copies:
            if c.site not in col.sites:
                raise CollectionError(f"{where}: copy on unknown site {c.site!r}")
        for key in places:
            if key in urls:
                raise CollectionError(f"{where}: {key[0]}{key[1]} is also {urls[key]!r}")
            urls[key] = d.id
    for q in col.queries:
        if q.split not in SPLITS:
            raise CollectionError(f"query {q.id!r}: split must be tune or heldout")
        unknown = set(q.judgements) - set(col.docs)
        if unknown:
            raise CollectionError(f"query {q.id!r}: judges unknown documents {sorted(unknown)}")
        if not any(g >= 3 for g in q.judgements.values()):
            raise CollectionError(f"query {q.id!r}: no document graded 3")


# -- rendering --------------------------------------------------------------------------------
def _e(text: str) -> str:
    return html.escape(text or "", quote=True)


def _blocks(paragraphs: list[str]) -> str:
    out = []
    for p in paragraphs:
        lines = p.splitlines()
        if p.startswith("## "):
            out.append(f"<h2>{_e(p[3:].strip())}</h2>")
        elif all(line.lstrip().startswith("- ") for line in lines):
            items = "".join(f"<li>{_e(line.lstrip()[2:])}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append(f"<p>{_e(' '.join(x.strip() for x in lines))}</p>")
    return "\n".join(out)


def _words(text: str, n: int) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


@dataclass
class Page:
    body: bytes
    content_type: str


@dataclass
class Placement:
    """One place a document is shown: its URL and how (original, or a copy)."""

    doc_id: str
    url: str
    original: bool


class CollectionWeb:
    """The collection served on 127.0.0.1: one server per site and per ``www`` twin.

    ``placements``: every URL that shows a document; ``listings``: the URLs of listing and tag
    pages; ``sitemaps``: the sitemap URL of each host.
    """

    def __init__(self, col: Collection, ports: dict[str, int] | None = None):
        self.col = col
        # host key -> the port of a kept harvest: its pages get the same URLs, nothing is served
        self.ports = dict(ports or {})
        self.pages: dict[str, dict[str, Page]] = {}  # host key -> path -> page
        self.base: dict[str, str] = {}
        self.placements: list[Placement] = []
        self.listings: list[str] = []
        self.sitemaps: dict[str, str] = {}
        self._servers: list[ThreadingHTTPServer] = []

    # host keys: "<site>" or "<site>@www"
    def _hosts(self) -> list[str]:
        keys = set(self.col.sites)
        for d in self.col.docs.values():
            keys.update(f"{c.site}@www" for c in d.copies if c.host == "www")
        return sorted(keys)

    def start(self) -> "CollectionWeb":
        for key in self._hosts():
            self.pages[key] = {}
            if key in self.ports:  # a kept harvest's web: its URLs, nothing served
                self.base[key] = f"http://127.0.0.1:{self.ports[key]}"
                continue
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.pages[key]))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
            self.base[key] = f"http://127.0.0.1:{server.server_address[1]}"
            self.ports[key] = server.server_address[1]
        self._render()
        return self

    def stop(self) -> None:
        for s in self._servers:
            s.shutdown()
            s.server_close()

    def __enter__(self) -> "CollectionWeb":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, key: str, path: str) -> str:
        return self.base[key] + path

    def doc_of_url(self) -> dict[str, str]:
        return {p.url: p.doc_id for p in self.placements}

    # -- the pages ------------------------------------------------------------------------
    def _render(self) -> None:
        by_host: dict[str, list[tuple[Doc, str, Copy | None]]] = {k: [] for k in self.pages}
        for d in self.col.docs.values():
            by_host[d.site].append((d, d.path, None))
            self.placements.append(Placement(d.id, self.url(d.site, d.path), True))
            for c in d.copies:
                key = f"{c.site}@www" if c.host == "www" else c.site
                by_host[key].append((d, c.path, c))
                self.placements.append(Placement(d.id, self.url(key, c.path), False))
        for key, entries in by_host.items():
            site = self.col.sites[key.split("@")[0]]
            entries.sort(key=lambda e: (e[0].date or date(2000, 1, 1), e[0].id), reverse=True)
            pages = self.pages[key]
            for d, path, copy in entries:
                pages[path] = self._document_page(site, key, d, path, copy, entries)
            self._listing_pages(site, key, entries)
            self._sitemap(key)

    def _chrome(self, site: Site, key: str, title: str, main: str, crumbs: list[str],
                related: list[tuple[str, str]], head: str = "", lang: str | None = None
                ) -> bytes:
        nav = "".join(f'<li><a href="/{_slug(n)}/">{_e(n)}</a></li>' for n in site.nav)
        crumb = " › ".join([f'<a href="/">{_e(site.breadcrumb_home)}</a>', *map(_e, crumbs)])
        rel = "".join(f'<li><a href="{_e(p)}">{_e(t)}</a></li>' for p, t in related)
        footer = "".join(f"<p>{_e(line)}</p>" for line in site.footer)
        ads = ('<div class="ad-slot">Advertisement · Sponsored documents you may like</div>'
               if site.style == "docshare" else "")
        doc = (
            f'<!DOCTYPE html>\n<html lang="{lang or site.lang}"><head><meta charset="utf-8">'
            f"<title>{_e(title)} | {_e(site.name)}</title>{head}</head>\n<body>\n"
            f'<div class="cookie-banner" role="dialog"><p>{_e(site.cookie)}</p>'
            f"<button>OK</button></div>\n"
            f'<header><a class="logo" href="/">{_e(site.name)}</a><nav><ul>{nav}</ul></nav>'
            f'<form action="/search"><input name="q"></form></header>\n'
            f'<div class="breadcrumbs">{crumb}</div>\n{ads}'
            f'<div class="layout"><main>{main}</main>\n'
            f'<aside><h3>{_e(_RELATED.get(site.lang, "Related"))}</h3><ul>{rel}</ul>'
            f'<div class="newsletter">{_e(_NEWSLETTER.get(site.lang, _NEWSLETTER["en"]))}'
            f"</div></aside></div>\n<footer>{footer}</footer>\n</body></html>\n"
        )
        return doc.encode("utf-8")

    def _document_page(self, site: Site, key: str, d: Doc, path: str, copy: Copy | None,
                       entries) -> Page:
        paragraphs = d.paragraphs
        if copy is not None and copy.cut:
            paragraphs = paragraphs[: max(1, round(len(paragraphs) * copy.cut))]
        if copy is not None and copy.banner:
            paragraphs = paragraphs[:1] + [copy.banner] + paragraphs[1:]
        if copy is not None and copy.intro:
            paragraphs = [copy.intro] + paragraphs
        if d.kind == "pdf" and path.endswith(".pdf"):
            from ccp.fixtureweb.pdf import make_pdf

            when = datetime.combine(d.date or date(2024, 1, 1), datetime.min.time(),
                                    tzinfo=timezone.utc)
            text = [p[3:].strip() if p.startswith("## ") else p  # a heading is a line
                    for p in ([d.lead] if d.lead else []) + paragraphs]
            body = make_pdf(d.title, self.col.sites[d.site].name, text, when, lang=d.lang)
            return Page(body, "application/pdf")
        related = [(p, x.title) for x, p, _ in entries if x.id != d.id][:4]
        date_line = (f'<p class="date"><time datetime="{d.date.isoformat()}">'
                     f"{d.date.strftime('%d.%m.%Y')}</time></p>") if d.date else ""
        lead = f'<p class="lead"><strong>{_e(d.lead)}</strong></p>' if d.lead else ""
        tags = "".join(f'<a class="tag" href="/tag/{_slug(c)}">{_e(c)}</a> '
                       for c in d.categories)
        main = (f"<article><h1>{_e(d.title)}</h1>{date_line}{lead}\n{_blocks(paragraphs)}\n"
                f'<div class="tags">{tags}</div></article>')
        head = f'<meta name="description" content="{_e(d.lead or _words(d.body, 30))}">'
        if d.jsonld and copy is None:
            ld = {"@context": "https://schema.org", "@type": _SCHEMA.get(d.kind, "WebPage"),
                  "headline": d.title, "inLanguage": d.lang,
                  "publisher": {"@type": "Organization", "name": site.name}}
            if d.date:
                ld["datePublished"] = d.date.isoformat()
            if d.categories:
                ld["keywords"] = ", ".join(d.categories)
            head += ('<script type="application/ld+json">' + json.dumps(ld, ensure_ascii=False)
                     + "</script>")
            head += "".join(f'<meta property="article:tag" content="{_e(c)}">'
                            for c in d.categories)
        if d.translation_of and copy is None:
            other = self.col.docs[d.translation_of]
            head += (f'<link rel="alternate" hreflang="{other.lang}" '
                     f'href="{_e(self.url(other.site, other.path))}">')
        crumbs = d.breadcrumbs + [d.title] if copy is None else [d.title]
        return Page(self._chrome(site, key, d.title, main, crumbs, related, head, d.lang),
                    "text/html; charset=utf-8")

    def _listing_pages(self, site: Site, key: str, entries) -> None:
        label = _NEWS.get(site.lang, "News")
        chunks = [entries[i:i + LISTING_PAGE_SIZE]
                  for i in range(0, len(entries), LISTING_PAGE_SIZE)] or [[]]
        for n, chunk in enumerate(chunks, start=1):
            items = "".join(
                f'<li class="teaser"><h3><a href="{_e(p)}">{_e(d.title)}</a></h3>'
                f"<p>{_e(_words(d.lead or d.body, TEASER_WORDS))}</p></li>"
                for d, p, _ in chunk)
            pager = "".join(f'<a href="/list?page={i}">{i}</a> ' for i in range(1, len(chunks) + 1))
            main = f"<h1>{_e(label)}</h1><ul>{items}</ul><nav class='pager'>{pager}</nav>"
            path = "/" if n == 1 else f"/list?page={n}"
            self.pages[key][path] = Page(
                self._chrome(site, key, label if n == 1 else f"{label} – {n}", main, [label], []),
                "text/html; charset=utf-8")
            self.listings.append(self.url(key, path))
        tags: dict[str, list] = {}
        for d, p, copy in entries:
            if copy is None:
                for c in d.categories:
                    tags.setdefault(c, []).append((d, p))
        seen_sets: set[tuple[str, ...]] = set()
        for tag, docs in tags.items():
            members = tuple(sorted(d.id for d, _ in docs))
            if members in seen_sets:  # the same listing under another tag: not a page of its own
                continue
            seen_sets.add(members)
            items = "".join(f'<li><a href="{_e(p)}">{_e(d.title)}</a>'
                            f"<p>{_e(_words(d.lead or d.body, 25))}</p></li>" for d, p in docs)
            path = f"/tag/{_slug(tag)}"
            self.pages[key][path] = Page(
                self._chrome(site, key, tag, f"<h1>{_e(tag)}</h1><ul>{items}</ul>", [tag], []),
                "text/html; charset=utf-8")
            self.listings.append(self.url(key, path))

    def _sitemap(self, key: str) -> None:
        rows = "".join(f"<url><loc>{_e(self.url(key, quote(p, safe='/?=&')))}</loc></url>"
                       for p in sorted(self.pages[key]))
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                '"http://www.sitemaps.org/schemas/sitemap/0.9">' + rows + "</urlset>\n")
        self.pages[key]["/sitemap.xml"] = Page(body.encode("utf-8"),
                                               "application/xml; charset=utf-8")
        self.pages[key]["/robots.txt"] = Page(
            f"User-agent: *\nAllow: /\nSitemap: {self.url(key, '/sitemap.xml')}\n".encode(),
            "text/plain; charset=utf-8")
        self.sitemaps[key] = self.url(key, "/sitemap.xml")


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-") or "x"


def _handler(pages: dict[str, Page]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = unquote(self.path)
            page = pages.get(path) or pages.get(path.split("?")[0])
            if page is None:
                body = b"<html><body><h1>Not found</h1></body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
            else:
                body = page.body
                self.send_response(200)
                self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


_SCHEMA = {"news": "NewsArticle", "article": "Article", "report": "Report", "pdf": "Report",
           "event": "Event", "call": "MonetaryGrant", "page": "WebPage"}
_NEWS = {"en": "News", "fr": "Actualités", "es": "Noticias", "it": "Notizie", "de": "Aktuelles",
         "nl": "Nieuws", "sv": "Nyheter", "fi": "Uutiset", "pl": "Aktualności", "lt": "Naujienos",
         "cs": "Aktuality", "pt": "Notícias", "el": "Νέα"}
_RELATED = {"en": "Related", "fr": "À lire aussi", "es": "Relacionado", "it": "Correlati",
            "de": "Das könnte Sie auch interessieren", "nl": "Gerelateerd", "sv": "Relaterat",
            "fi": "Katso myös", "pl": "Zobacz także", "lt": "Susiję", "cs": "Související",
            "pt": "Relacionados", "el": "Σχετικά"}
_NEWSLETTER = {"en": "Subscribe to our newsletter and never miss an update.",
               "el": "Εγγραφείτε στο ενημερωτικό μας δελτίο.",
               "fr": "Abonnez-vous à notre lettre d'information.",
               "es": "Suscríbase a nuestro boletín.", "it": "Iscriviti alla newsletter.",
               "de": "Abonnieren Sie unseren Newsletter.", "nl": "Schrijf je in voor de nieuwsbrief.",
               "sv": "Prenumerera på vårt nyhetsbrev.", "fi": "Tilaa uutiskirjeemme.",
               "pl": "Zapisz się do newslettera.", "lt": "Užsiprenumeruokite naujienlaiškį.",
               "cs": "Přihlaste se k odběru novinek.", "pt": "Subscreva a nossa newsletter."}
