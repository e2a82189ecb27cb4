"""One generic spider per source type: feed, sitemap, crawl (the shared machinery is in
:mod:`.spiderbase`).

Every entry of a listing is handled on its own: a link that is not http(s) (``javascript:``,
``mailto:``, ``file:``, ``ftp:``, a malformed URL …) is skipped and reported, an exception in
one entry is recorded for that entry, and every later entry is still harvested.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlparse

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from config import CrawlSource, FeedSource, SitemapSource
from indexer.dates import parse_date
from indexer.resource import Hints

from .dcat import DcatSpider
from .feeds import NotAFeed, parse_feed
from .integrity import NOT_HTTP, gunzip_checked
from .oaipmh import OaiPmhSpider
from .spiderbase import DocumentItem, SourceSpider, headers_of, is_pdf_url, requested_url

__all__ = ["SPIDERS", "CrawlSpider", "DocumentItem", "FeedSpider", "SitemapSpider"]

log = logging.getLogger(__name__)

# links on a crawled page that are page chrome, not content: skipped without a report
_CHROME_LINKS = ("#", "mailto:", "javascript:", "tel:", "sms:")
# Scrapy's check for generators that return a value reads and parses the callback's source
# on every response (~0.5 ms a page: its cache is keyed by the bound method, a new object
# each time); these spiders' callbacks return nothing
_SETTINGS = {"WARN_ON_GENERATOR_RETURN_VALUE": False}


class FeedSpider(SourceSpider):
    """RSS / Atom / JSON Feed: entries' pages and PDF enclosures."""

    custom_settings = _SETTINGS
    source: FeedSource

    async def start(self):
        yield self.make_request(str(self.source.url), self.parse_feed, conditional=True, root=True)

    def parse_feed(self, response: Response):
        if not self.listing_response(response):
            yield from self.retry_failed_documents()
            return
        try:
            feed = parse_feed(response.body, response.url, headers_of(response))
        except NotAFeed as exc:
            self.root_ok -= 1
            self.listing_states.clear()
            self.fail_source(response.url, "not-a-feed", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a feed the parser chokes on fails the source
            log.exception("%s: parsing %s", self.source.id, response.url)
            self.root_ok -= 1
            self.listing_states.clear()
            self.fail_source(response.url, "parse", f"the feed cannot be read: "
                                                    f"{exc.__class__.__name__}: {exc}")
            return
        for where, why in feed.problems:
            self.record_failure(where, "parse", f"this entry could not be read: {why}")
        if feed.warning and not feed.entries:
            self.fail_source(response.url, "parse", f"feed has no entries: {feed.warning}")
            return
        for entry in feed.entries:
            if self.source.max_items and self.documents_requested >= self.source.max_items:
                break
            try:
                out = list(self._entry(entry, feed.language))
            except Exception as exc:  # noqa: BLE001 - one entry never ends the feed
                self.entry_failed(entry.link or entry.guid, exc)
                continue
            yield from out

    def _entry(self, entry, feed_language: str | None):
        hints = entry.hints
        if not hints.language and feed_language:
            hints.language = feed_language
        if entry.link:
            link = self.checked_link(entry.link)
        else:  # no link (feedparser drops one it cannot parse): the GUID, if it is a URL
            link = self.checked_link(entry.guid, quiet=True)
            if link is None:
                self.record_failure(entry.guid, "bad-link", f"skipped: the link of the entry "
                                    f"{hints.title or entry.guid!r} is missing or {NOT_HTTP}",
                                    counter="skipped")
        fetch = link and (self.source.fetch_pages
                          or (is_pdf_url(link) and self.source.fetch_documents))
        if fetch:
            req = self.document_request(link, hints)
            if req is not None:
                yield req
        elif link and (hints.content_html or hints.summary):
            self.documents_requested += 1
            yield self.feed_item(link, hints)
        if self.source.fetch_documents:
            for href in entry.documents:
                doc = self.checked_link(href)
                if doc is None:
                    continue
                req = self.document_request(doc, Hints(guid=doc, published=hints.published,
                                                       updated=hints.updated,
                                                       language=hints.language,
                                                       categories=hints.categories))
                if req is not None:
                    yield req


class _FollowingSpider(SourceSpider):
    """A spider whose source lists the URL patterns it follows (``follow``), compiled once."""

    custom_settings = _SETTINGS

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        self.follow = [re.compile(p) for p in source.follow]


class SitemapSpider(_FollowingSpider):
    """A sitemap, a sitemap index (gzipped or not) or a robots.txt listing sitemaps."""

    source: SitemapSource

    async def start(self):
        url = str(self.source.url)
        if url.split("?")[0].endswith("/robots.txt"):
            yield self.make_request(url, self.parse_robots, conditional=False, root=True)
        else:
            yield self.make_request(url, self.parse_sitemap, conditional=True, root=True)

    def parse_robots(self, response: Response):
        try:
            urls = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        except Exception as exc:  # noqa: BLE001 - a robots.txt we cannot read
            self.fail_source(response.url, "parse", f"robots.txt cannot be read: {exc}")
            return
        if not urls:
            self.fail_source(response.url, "no-sitemap", "robots.txt lists no Sitemap")
            return
        self.root_ok += 1
        for u in urls:
            url = self.checked_link(u)
            if url is not None and url not in self.scheduled:
                self.scheduled.add(url)
                yield self.make_request(url, self.parse_sitemap, conditional=True, root=True)

    def _body(self, response: Response) -> bytes:
        body = response.body
        if gzip_magic_number(response):
            url = requested_url(response)
            try:
                body, problem = gunzip_checked(
                    body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except ValueError as exc:
                body, problem = b"", f"the decompressed sitemap is too large ({exc})"
            if problem:
                kind = "truncated" if "cut short" in problem else "parse"
                self.listing_incomplete(url, kind, f"cannot read the whole compressed sitemap: "
                                                   f"{problem}",
                                        parent=response.meta.get("ccp_parent"))
        return body

    def _entries(self, sm: Sitemap, url: str, parent: str | None) -> list[dict]:
        """Every entry lxml can read; a break part-way is this sitemap's error."""
        entries: list[dict] = []
        it = iter(sm)
        while True:
            try:
                entries.append(next(it))
            except StopIteration:
                return entries
            except Exception as exc:  # noqa: BLE001 - lxml errors of all kinds
                self.listing_incomplete(url, "parse", f"the sitemap cannot be read past entry "
                                                      f"{len(entries)}: {exc}", parent=parent)
                return entries

    def _not_a_listing(self, response: Response, kind: str, why: str) -> None:
        url = requested_url(response)
        if response.meta.get("ccp_root"):
            self.root_ok -= 1
            self.listing_states.pop(url, None)
            self.fail_source(url, kind, why)
        else:
            self.listing_incomplete(url, kind, why, parent=response.meta.get("ccp_parent"))

    def parse_sitemap(self, response: Response):
        if not self.listing_response(response):
            yield from self.retry_failed_documents()
            return
        body = self._body(response)
        try:
            sm = Sitemap(body)
            kind = sm.type
        except Exception as exc:  # noqa: BLE001 - lxml errors of all kinds
            kind, sm = None, None
            why = f"{exc.__class__.__name__}: {exc}"
        else:
            why = "the document is not a sitemap (urlset or sitemapindex)"
        if kind not in ("urlset", "sitemapindex"):
            self._not_a_listing(response, "not-a-sitemap", why)
            return
        url = requested_url(response)
        entries = [e for e in self._entries(sm, url, response.meta.get("ccp_parent"))
                   if e.get("loc")]
        if not entries:
            why = "the sitemap lists no URL"
            if b"<!ENTITY" in body[:65536]:
                why += " (it declares XML entities, which are never expanded)"
            self._not_a_listing(response, "empty-sitemap", why)
            return
        handle = self._child_sitemap if kind == "sitemapindex" else self._sitemap_url
        for entry in entries:
            try:
                out = list(handle(response, entry))
            except Exception as exc:  # noqa: BLE001 - one entry never ends the sitemap
                self.entry_failed(entry.get("loc"), exc)
                continue
            yield from out

    def _child_sitemap(self, response: Response, entry: dict):
        url = self.checked_link(entry["loc"], response.url)
        if url is None or url in self.scheduled:
            return
        self.scheduled.add(url)
        yield self.make_request(url, self.parse_sitemap, conditional=True, root=False,
                                meta={"ccp_listing": True, "ccp_parent": requested_url(response)})

    def _sitemap_url(self, response: Response, entry: dict):
        url = self.checked_link(entry["loc"], response.url)
        if url is None:
            return
        if self.follow and not any(p.search(url) for p in self.follow):
            return
        hints = Hints(guid=url)
        if entry.get("lastmod"):
            hints.updated = parse_date(entry["lastmod"])
        req = self.document_request(url, hints)
        if req is not None:
            yield req


class CrawlSpider(_FollowingSpider):
    """A site section: start pages, links to follow, pages that are resources."""

    source: CrawlSource

    def __init__(self, source, ctx, **kwargs):
        super().__init__(source, ctx, **kwargs)
        self.items = [re.compile(p) for p in source.items]
        self.hosts = {urlparse(str(u)).netloc.lower() for u in source.start_urls}

    async def start(self):
        for u in self.source.start_urls:
            url = self.checked_link(str(u))
            if url is None or url in self.scheduled:
                continue
            self.scheduled.add(url)
            item = bool(self.items) and self._is_item(url)
            if item:
                self.listed.add(url)
            yield self.make_request(url, self.parse_page, conditional=False, root=True,
                                    meta={"ccp_depth": 0, "ccp_listing": True, "ccp_item": item})

    def _is_item(self, url: str) -> bool:
        return any(p.search(url) for p in self.items)

    def _is_follow(self, url: str) -> bool:
        return urlparse(url).netloc.lower() in self.hosts and any(p.search(url) for p in self.follow)

    def parse_page(self, response: Response):
        meta = response.meta
        if meta.get("ccp_listing") and not self.listing_response(response):
            return
        depth = meta.get("ccp_depth", 0)
        is_html = isinstance(response, scrapy.http.TextResponse) and response.status != 304
        if meta.get("ccp_listing") and is_html and depth < self.source.max_depth:
            yield from self._links(response, depth)
        if meta.get("ccp_item"):
            yield from self.parse_document(response)

    def _links(self, response, depth: int):
        try:
            hrefs = response.xpath("//a/@href | //link[@rel='next']/@href").getall()
        except Exception as exc:  # noqa: BLE001 - a page lxml cannot read
            self.listing_incomplete(requested_url(response), "parse",
                                    f"the links of this page cannot be read: {exc}")
            return
        for href in hrefs:
            try:
                out = list(self._link(response, href.strip(), depth))
            except Exception as exc:  # noqa: BLE001 - one link never ends the page
                self.entry_failed(href, exc)
                continue
            yield from out

    def _link(self, response, href: str, depth: int):
        if not href:
            return
        url = self.checked_link(href, response.url, quiet=href.lower().startswith(_CHROME_LINKS))
        if url is None or url in self.scheduled:
            return
        follow = self._is_follow(url)
        item = self._is_item(url) if self.items else follow
        if not (follow or item):
            return
        meta = {"ccp_depth": depth + 1, "ccp_listing": follow, "ccp_item": item}
        if item:
            req = self.document_request(url, Hints(guid=url), callback=self.parse_page,
                                        conditional=not follow, meta=meta)
        else:
            self.scheduled.add(url)
            req = self.make_request(url, self.parse_page, conditional=False, meta=meta)
        if req is not None:
            yield req


SPIDERS = {"feed": FeedSpider, "sitemap": SitemapSpider, "crawl": CrawlSpider, "html": CrawlSpider,
           "dcat": DcatSpider, "oai-pmh": OaiPmhSpider}


def _catalogue_api_spiders() -> None:
    """The spiders of catalogue APIs, each in its own module."""
    from .ckan import CkanSpider
    from .jsonapi import JsonApiSpider

    SPIDERS["ckan"] = CkanSpider
    SPIDERS["json"] = JsonApiSpider


_catalogue_api_spiders()
