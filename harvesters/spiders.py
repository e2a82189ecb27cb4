"""One generic spider per source type: feed, sitemap, crawl.

Harvest stages (after ckanext-harvest): *gather* lists what the source offers (feed entries,
sitemap URLs, listing links), *fetch* gets each document with a conditional GET (ETag and
Last-Modified stored from the last run; a 304 is *unchanged*), *parse* hands the bytes to the
item pipeline, which normalises and stores them.

Failures never stop the rest: a document that fails is stored as an error of the run naming
its URL and cause; a source whose feed/sitemap/start pages fail is marked failed with the
cause. The *root* documents' validators (the feed's, the sitemaps') are saved only when the
run of that source had no failure, so the next run looks at everything again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import scrapy
from scrapy import signals
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from config import CrawlSource, FeedSource, SitemapSource
from indexer.dates import parse_date
from indexer.resource import Hints, RawDocument, utcnow
from indexer.urls import canonicalize_url

from .feeds import NotAFeed, parse_feed
from .http import describe_failure

if TYPE_CHECKING:
    from .run import HarvestContext

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
DOCUMENT_TYPES = ("application/pdf", "application/x-pdf")


@dataclass
class DocumentItem:
    """A fetched document on its way to the pipeline."""

    raw: RawDocument
    request_url: str  # the URL we asked for (the conditional-GET key)
    etag: str | None = None
    last_modified: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _headers(response: Response) -> dict[str, str]:
    out = {}
    for k, v in response.headers.items():
        if v:
            out[k.decode("latin-1").lower()] = v[0].decode("latin-1")
    return out


def _requested_url(r) -> str:
    """The URL we asked for (before redirects): the key of its stored validators."""
    return r.meta.get("redirect_urls", [r.url])[0]


def _is_pdf_url(url: str) -> bool:
    return urlparse(url).path.lower().endswith(".pdf")


class SourceSpider(scrapy.Spider):
    """What every source spider shares: conditional requests, errors, counting, closing."""

    name = "ccp-source"

    def __init__(self, source, ctx: "HarvestContext", **kwargs):
        super().__init__(name=f"{source.type}-{source.id}", **kwargs)
        self.source = source
        self.ctx = ctx
        state = ctx.catalogue.http_state(source_id=source.id)
        self.validators = {u: (etag, lm) for u, (etag, lm, _at) in state.items()}
        # listings (feeds, sitemaps) whose validators are older than the revalidation period
        # are asked unconditionally, so their pages get looked at again
        cutoff = utcnow() - timedelta(days=ctx.settings.revalidate_days)
        self.stale_listings = {u for u, (_e, _l, at) in state.items() if at is None or at < cutoff}
        self.root_failure: tuple[str, str, str] | None = None  # (url, kind, message)
        self.root_ok = 0
        self.root_unchanged: list[str] = []
        self.root_states: list[tuple[str, str | None, str | None, int]] = []
        self.failures = 0
        self.documents_requested = 0
        self.scheduled: set[str] = set()
        self.started_at = utcnow()
        self.partial = False  # part of the listing was not looked at (e.g. a sitemap 304)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        ctx = spider.ctx
        ctx.catalogue.start_source(ctx.run_id, spider.source.id)
        return spider

    # -- requests ------------------------------------------------------------------------
    def make_request(self, url: str, callback, *, conditional: bool, root: bool = False,
                     meta: dict[str, Any] | None = None, priority: int = 0) -> scrapy.Request:
        headers = {}
        if root and url in self.stale_listings:
            conditional = False
        if conditional and url in self.validators:
            etag, last_modified = self.validators[url]
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        m = {"handle_httpstatus_list": [304], "ccp_root": root, **(meta or {})}
        return scrapy.Request(url, callback=callback, errback=self.on_error, headers=headers,
                              meta=m, priority=priority)

    def document_request(self, url: str, hints: Hints | None = None, *, callback=None,
                         conditional: bool = True, meta: dict[str, Any] | None = None,
                         ) -> scrapy.Request | None:
        """A request for a document, unless it is scheduled already or the cap is reached."""
        if url in self.scheduled:
            return None
        if self.source.max_items and self.documents_requested >= self.source.max_items:
            return None
        self.scheduled.add(url)
        self.documents_requested += 1
        return self.make_request(url, callback or self.parse_document, conditional=conditional,
                                 meta={"ccp_hints": hints or Hints(), **(meta or {})}, priority=-1)

    # -- responses -----------------------------------------------------------------------
    def parse_document(self, response: Response, **_):
        """A document answered: unchanged (304), or bytes for the pipeline."""
        request_url = _requested_url(response)
        if response.status == 304:
            state = self.ctx.catalogue.touch_url(self.source.id, request_url, run_id=self.ctx.run_id)
            log.debug("unchanged (304): %s -> %s", request_url, state)
            return
        headers = _headers(response)
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype and not (ctype in HTML_TYPES or ctype in DOCUMENT_TYPES or ctype.endswith("+xml")
                          or ctype == "application/octet-stream" and _is_pdf_url(response.url)):
            self.ctx.catalogue.record_error(
                self.ctx.run_id, self.source.id, request_url, "unsupported",
                f"content type {ctype} is not a document the portal indexes", counter="skipped")
            return
        raw = RawDocument(
            source_id=self.source.id, url=request_url, final_url=response.url,
            body=response.body, headers=headers, status=response.status,
            hints=response.meta.get("ccp_hints") or Hints(),
        )
        yield DocumentItem(raw=raw, request_url=request_url, etag=headers.get("etag"),
                           last_modified=headers.get("last-modified"))

    def feed_item(self, url: str, hints: Hints) -> DocumentItem:
        """A document whose text comes from the feed itself (no page fetched)."""
        return DocumentItem(raw=RawDocument(source_id=self.source.id, url=url, final_url=url,
                                            hints=hints), request_url=url)

    def root_response(self, response: Response) -> bool:
        """Book-keeping for a feed/sitemap/start page; False when it answered 304."""
        if response.status == 304:
            self.root_unchanged.append(response.url)
            return False
        self.root_ok += 1
        h = _headers(response)
        if h.get("etag") or h.get("last-modified"):
            self.root_states.append((_requested_url(response),
                                     h.get("etag"), h.get("last-modified"), response.status))
        return True

    # -- failures ------------------------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        kind, message, counter = describe_failure(
            failure, timeout=self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
        url = _requested_url(request)
        if request.meta.get("ccp_listing"):
            self.partial = True  # what this page lists was not seen this run
        if request.meta.get("ccp_root"):
            self.fail_source(url, kind, message)
        else:
            self.record_failure(url, kind, message, counter=counter)

    def record_failure(self, url: str | None, kind: str, message: str, counter: str = "failed"):
        if counter == "failed":
            self.failures += 1
        self.ctx.catalogue.record_error(self.ctx.run_id, self.source.id, url, kind, message,
                                        counter=counter)
        log.warning("%s: %s %s: %s", self.source.id, kind, url, message)

    def fail_source(self, url: str | None, kind: str, message: str):
        if self.root_failure is None:
            self.root_failure = (url or "", kind, message)
        self.ctx.catalogue.record_error(self.ctx.run_id, self.source.id, url, kind, message,
                                        fatal=True, counter=None)
        log.error("%s: source failed: %s %s: %s", self.source.id, kind, url, message)

    # -- end -----------------------------------------------------------------------------
    def _on_closed(self, spider, reason):
        if spider is not self:
            return
        cat, run_id = self.ctx.catalogue, self.ctx.run_id
        requests = self.crawler.stats.get_value("downloader/request_count", 0)
        message = None
        if reason not in ("finished", "closespider_itemcount"):
            status, message = "interrupted", f"the harvest of this source stopped early ({reason})"
        elif self.root_failure:
            url, kind, msg = self.root_failure
            status, message = "failed", f"{kind}: {url}: {msg}"
        else:
            status = "succeeded"
            if self.root_unchanged and not self.root_ok:
                message = "not modified since the last run (conditional GET)"
        if status == "succeeded" and self.failures == 0:
            for url, etag, lm, code in self.root_states:
                cat.save_http_state(url, self.source.id, etag, lm, code)
        gone_after = self.source.effective_gone_after_runs
        complete = (self.root_ok > 0 and not self.root_unchanged and not self.root_failure
                    and not self.partial
                    and not (self.source.max_items
                             and self.documents_requested >= self.source.max_items))
        unchanged = (self.root_unchanged and not self.root_ok and not self.root_failure
                     and not self.partial)
        if status == "succeeded" and gone_after and (complete or unchanged):
            gone = cat.mark_missing(self.source.id, None if unchanged else self.started_at,
                                    gone_after)
            if gone:
                log.info("%s: %d item(s) gone after %d runs without them", self.source.id,
                         len(gone), gone_after)
        cat.finish_source(run_id, self.source.id, status, message, requests=requests)
        self.ctx.source_closed(self.source.id)


class FeedSpider(SourceSpider):
    """RSS / Atom / JSON Feed: entries' pages and PDF enclosures."""

    source: FeedSource

    async def start(self):
        yield self.make_request(str(self.source.url), self.parse_feed, conditional=True, root=True)

    def parse_feed(self, response: Response):
        if not self.root_response(response):
            return
        try:
            feed = parse_feed(response.body, response.url, _headers(response))
        except NotAFeed as exc:
            self.root_ok -= 1
            self.root_states.clear()
            self.fail_source(response.url, "not-a-feed", str(exc))
            return
        if feed.warning and not feed.entries:
            self.fail_source(response.url, "parse", f"feed has no entries: {feed.warning}")
            return
        for entry in feed.entries:
            if self.source.max_items and self.documents_requested >= self.source.max_items:
                break
            hints = entry.hints
            if not hints.language and feed.language:
                hints.language = feed.language
            link = canonicalize_url(entry.link) if entry.link else None
            if link and (self.source.fetch_pages or (_is_pdf_url(link) and self.source.fetch_documents)):
                req = self.document_request(link, hints)
                if req is not None:
                    yield req
            elif hints.content_html or hints.summary:
                self.documents_requested += 1
                yield self.feed_item(link or entry.guid, hints)
            if self.source.fetch_documents:
                for doc in entry.documents:
                    doc = canonicalize_url(doc)
                    req = self.document_request(doc, Hints(guid=doc, published=hints.published,
                                                           updated=hints.updated,
                                                           language=hints.language,
                                                           categories=hints.categories))
                    if req is not None:
                        yield req


class SitemapSpider(SourceSpider):
    """A sitemap, a sitemap index (gzipped or not) or a robots.txt listing sitemaps."""

    source: SitemapSource

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        self.follow = [re.compile(p) for p in source.follow]

    async def start(self):
        url = str(self.source.url)
        if urlparse(url).path.endswith("/robots.txt"):
            yield self.make_request(url, self.parse_robots, conditional=False, root=True)
        else:
            yield self.make_request(url, self.parse_sitemap, conditional=True, root=True)

    def parse_robots(self, response: Response):
        urls = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not urls:
            self.fail_source(response.url, "no-sitemap", "robots.txt lists no Sitemap")
            return
        self.root_ok += 1
        for u in urls:
            yield self.make_request(u, self.parse_sitemap, conditional=True, root=True)

    def _body(self, response: Response) -> bytes | None:
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception as exc:  # noqa: BLE001 - a broken gzip fails this sitemap only
                self.record_failure(response.url, "parse", f"cannot decompress the sitemap: {exc}")
                return None
        return body

    def parse_sitemap(self, response: Response):
        root = response.meta.get("ccp_root")
        if root and not self.root_response(response):
            return
        if not root:
            if response.status == 304:
                self.partial = True  # its URLs were not listed this run
                return
            h = _headers(response)
            if h.get("etag") or h.get("last-modified"):
                self.root_states.append((_requested_url(response),
                                         h.get("etag"), h.get("last-modified"),
                                         response.status))
        body = self._body(response)
        if body is None:
            return
        try:
            sm = Sitemap(body)
            kind = sm.type
        except Exception as exc:  # noqa: BLE001 - lxml errors of all kinds
            kind, sm = None, None
            why = f"{exc.__class__.__name__}: {exc}"
        else:
            why = "the document is not a sitemap (urlset or sitemapindex)"
        if kind not in ("urlset", "sitemapindex"):
            if root:
                self.root_ok -= 1
                self.root_states = [s for s in self.root_states if s[0] != response.url]
                self.fail_source(response.url, "not-a-sitemap", why)
            else:
                self.record_failure(response.url, "not-a-sitemap", why)
            return
        if kind == "sitemapindex":
            for entry in sm:
                loc = entry.get("loc")
                if loc:
                    yield self.make_request(response.urljoin(loc), self.parse_sitemap,
                                            conditional=True, root=False,
                                            meta={"ccp_listing": True})
            return
        for entry in sm:
            loc = entry.get("loc")
            if not loc:
                continue
            url = canonicalize_url(response.urljoin(loc))
            if self.follow and not any(p.search(url) for p in self.follow):
                continue
            hints = Hints(guid=url)
            if entry.get("lastmod"):
                hints.updated = parse_date(entry["lastmod"])
            req = self.document_request(url, hints)
            if req is not None:
                yield req


class CrawlSpider(SourceSpider):
    """A site section: start pages, links to follow, pages that are resources."""

    source: CrawlSource

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        self.follow = [re.compile(p) for p in source.follow]
        self.items = [re.compile(p) for p in source.items]
        self.hosts = {urlparse(str(u)).netloc.lower() for u in source.start_urls}

    async def start(self):
        for u in self.source.start_urls:
            url = canonicalize_url(str(u))
            self.scheduled.add(url)
            yield self.make_request(url, self.parse_page, conditional=False, root=True,
                                    meta={"ccp_depth": 0, "ccp_listing": True,
                                          "ccp_item": bool(self.items) and self._is_item(url)})

    def _is_item(self, url: str) -> bool:
        return any(p.search(url) for p in self.items)

    def _is_follow(self, url: str) -> bool:
        return urlparse(url).netloc.lower() in self.hosts and any(p.search(url) for p in self.follow)

    def parse_page(self, response: Response):
        meta = response.meta
        if meta.get("ccp_root"):
            self.root_response(response)
        depth = meta.get("ccp_depth", 0)
        is_html = isinstance(response, scrapy.http.TextResponse) and response.status != 304
        if meta.get("ccp_listing") and is_html and depth < self.source.max_depth:
            yield from self._links(response, depth)
        if meta.get("ccp_item"):
            yield from self.parse_document(response)

    def _links(self, response, depth: int):
        hrefs = response.xpath("//a/@href | //link[@rel='next']/@href").getall()
        for href in hrefs:
            href = href.strip()
            if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
                continue
            url = canonicalize_url(response.urljoin(href))
            if not url.startswith(("http://", "https://")) or url in self.scheduled:
                continue
            follow = self._is_follow(url)
            item = self._is_item(url) if self.items else follow
            if not (follow or item):
                continue
            meta = {"ccp_depth": depth + 1, "ccp_listing": follow, "ccp_item": item}
            if item:
                req = self.document_request(url, Hints(guid=url), callback=self.parse_page,
                                            conditional=not follow, meta=meta)
            else:
                self.scheduled.add(url)
                req = self.make_request(url, self.parse_page, conditional=False, meta=meta)
            if req is not None:
                yield req


SPIDERS = {"feed": FeedSpider, "sitemap": SitemapSpider, "crawl": CrawlSpider, "html": CrawlSpider}
