"""The fixture sites: who they are, where things live, and the documents each one serves.

Every site is described by a :class:`SiteSpec` (publisher, country, language, URL layout,
feed format) and rendered from its content into a map of path → :class:`Document`: home page,
listing page(s), article pages, PDFs, feed, sitemaps, robots.txt, a ``/private/`` page that
robots.txt disallows but a listing page links to, and a few static pages.

Article URLs per site: HTML at ``<section><slug>``, PDFs at ``<docs><slug>.pdf``; on ``euhub``
a PDF whose metadata is ``full`` or ``jsonld`` also gets an HTML landing page
``/publications/<slug>`` and its feed item links there with the PDF as ``<enclosure>``, while
a PDF with metadata ``none`` is linked directly from its feed item.
"""

from __future__ import annotations

import gzip
from datetime import datetime

from .content_loader import Article, SiteContent
from .feeds import FeedsMixin
from .labels import labels
from .markup import encode, esc, http_type
from .pages import HtmlPagesMixin
from .pdf import make_pdf
from .specs import FIXED_DATE, SPECS, Document, SiteSpec, UrlOf, article_path, landing_path

__all__ = ["Document", "SiteSpec", "SPECS", "FIXED_DATE", "UrlOf", "build_site", "article_path",
           "landing_path", "not_found_page"]


class _Renderer(HtmlPagesMixin, FeedsMixin):
    """Renders one site's documents (pages and feeds come from the mixins)."""

    def __init__(self, spec: SiteSpec, content: SiteContent | None, url_of: UrlOf):
        self.spec = spec
        self.title = (content.title if content and content.title else spec.title)
        self.articles: list[Article] = list(content.articles) if content else []
        self.url_of = url_of
        self.base = url_of(spec.name, "/").rstrip("/")
        self.l = labels(spec.language)
        self.pdf_cache: dict[tuple[str, str], bytes] = {}

    # ---- helpers -------------------------------------------------------------------------
    def abs(self, path: str) -> str:
        return self.base + path

    def latest(self) -> datetime:
        if not self.articles:
            return FIXED_DATE
        return max(a.modified for a in self.articles)

    def link_path(self, article: Article) -> str:
        return landing_path(self.spec, article) or article_path(self.spec, article)

    def pdf_bytes(self, article: Article) -> bytes:
        key = article.origin or (article.site, article.slug)
        if key not in self.pdf_cache:
            self.pdf_cache[key] = make_pdf(
                article.title, article.author, article.paragraphs, article.published,
                lang=article.lang,
            )
        return self.pdf_cache[key]

    def html_doc(self, text: str, modified: datetime) -> Document:
        return Document(
            encode(self.spec, text), http_type(self.spec, "text/html"), modified,
            gzip_ok=self.spec.gzip_html,
        )


def _static_css() -> Document:
    css = (
        "body{font-family:sans-serif;margin:0}.cookie-banner{position:fixed;bottom:0;"
        "background:#222;color:#fff;padding:1em}.layout{display:flex;gap:2em}"
        "main{flex:3}aside{flex:1}\n"
    )
    return Document(css.encode("ascii"), "text/css; charset=utf-8", FIXED_DATE)


def build_site(spec: SiteSpec, content: SiteContent | None, url_of: UrlOf) -> dict[str, Document]:
    """All documents of one site, keyed by path (listing pages beyond the first by path?query)."""
    r = _Renderer(spec, content, url_of)
    docs: dict[str, Document] = {}
    for article in r.articles:
        path = article_path(spec, article)
        if article.kind == "pdf":
            docs[path] = Document(r.pdf_bytes(article), "application/pdf", article.modified)
            landing = landing_path(spec, article)
            if landing:
                docs[landing] = r.article_page(article, landing, landing=True)
        else:
            docs[path] = r.article_page(article, path)
    docs.update(r.listing_pages())
    docs["/"] = r.home()
    docs["/about/"] = r.simple_page(r.l["about"], r.l["about_text"])
    docs["/privacy/"] = r.simple_page(r.l["privacy"], r.l["privacy_text"])
    docs[spec.private_path] = r.private_page()
    docs["/static/site.css"] = _static_css()

    if spec.feed_path and spec.feed_format:
        docs[spec.feed_path] = getattr(r, spec.feed_format)()

    sitemaps: list[str] = []
    if spec.name == "urbact":
        html_entries = [(article_path(spec, a), a.modified) for a in r.articles if a.kind == "html"]
        pdf_entries = [(article_path(spec, a), a.modified) for a in r.articles if a.kind == "pdf"]
        gp = r.urlset(html_entries)
        docs["/sitemaps/good-practices.xml.gz"] = Document(
            gzip.compress(gp, mtime=0), "application/x-gzip",
            max((m for _, m in html_entries), default=FIXED_DATE),
        )
        docs["/sitemaps/library.xml"] = Document(
            r.urlset(pdf_entries), "application/xml; charset=utf-8",
            max((m for _, m in pdf_entries), default=FIXED_DATE),
        )
        index = [
            ("/sitemaps/good-practices.xml.gz", docs["/sitemaps/good-practices.xml.gz"].last_modified),
            ("/sitemaps/library.xml", docs["/sitemaps/library.xml"].last_modified),
        ]
        docs["/sitemap_index.xml"] = Document(
            r.sitemap_index(index), "application/xml; charset=utf-8", r.latest()
        )
        sitemaps.append("/sitemap_index.xml")
    elif spec.name == "porto":
        entries = [("/", r.latest()), (spec.section, r.latest())]
        entries += [(article_path(spec, a), a.modified) for a in r.articles]
        docs["/sitemap.xml"] = Document(
            r.urlset(entries), "application/xml; charset=utf-8", r.latest()
        )
        sitemaps.append("/sitemap.xml")
    docs["/robots.txt"] = r.robots(sitemaps)
    return docs


def not_found_page(spec: SiteSpec | None, title: str) -> bytes:
    lang = spec.language if spec else "en"
    l = labels(lang)
    text = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{esc(l['not_found'])} | {esc(title)}</title></head>\n"
        f'<body><h1>{esc(l["not_found"])}</h1><p>{esc(l["not_found_text"])}</p>'
        f'<p><a href="/">{esc(l["home"])}</a></p></body></html>\n'
    )
    return text.encode("utf-8")
