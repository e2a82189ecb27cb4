"""What every source spider shares: requests, documents, failures, counting and closing.

Harvest stages (after ckanext-harvest): *gather* lists what the source offers (feed entries,
sitemap URLs, listing links), *fetch* gets each document with a conditional GET (ETag and
Last-Modified stored from the last run; a 304 is *unchanged*), *parse* hands the bytes to the
item pipeline, which normalises and stores them.

Failures never stop the rest: every listing entry is handled on its own (a link that is not
http(s) is skipped and reported, an error in one entry is that entry's error); a document that
fails is stored as an error of the run naming its URL and cause, and remembered per URL so it
is asked again next run even when its listing answers 304; a source whose feed/sitemap/start
pages fail is marked failed with the cause. Each listing's validators are saved when that
listing was read in full (not cut short, every sitemap it names read).

A listing that names nothing, or far fewer items than the source's last good run, is
*suspect* (see :func:`suspect_listing`): reported, and the run does not count toward
``gone_after_runs``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import scrapy
from scrapy import signals
from scrapy.http import Response

from indexer.catalogue.httpstate import SUSPECT_LISTING
from indexer.resource import Hints, RawDocument, utcnow

from .http import describe_failure
from .integrity import RedirectLoop, web_link

if TYPE_CHECKING:
    from .context import HarvestContext

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
DOCUMENT_TYPES = ("application/pdf", "application/x-pdf")
# a smaller listing is taken as the new normal after this many suspect runs in a row (or
# gone_after_runs, when that is larger); until then nothing is marked gone
ACCEPT_SMALLER_LISTING_AFTER = 3


@dataclass
class DocumentItem:
    """A fetched document on its way to the pipeline."""

    raw: RawDocument
    request_url: str  # the URL we asked for (the conditional-GET key)
    etag: str | None = None
    last_modified: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def headers_of(response: Response) -> dict[str, str]:
    out = {}
    for k, v in response.headers.items():
        if v:
            out[k.decode("latin-1").lower()] = v[0].decode("latin-1")
    return out


def requested_url(r) -> str:
    """The URL we asked for (before redirects): the key of its stored validators."""
    return r.meta.get("redirect_urls", [r.url])[0]


def is_pdf_url(url: str) -> bool:
    return urlparse(url).path.lower().endswith(".pdf")


def suspect_listing(listed: int, history: list[tuple[int, bool]], gone_after: int | None
                    ) -> int | None:
    """The last good run's count when a listing of ``listed`` items is suspect, else None.

    ``history`` is (listed, suspect) of earlier runs, newest first. Suspect: nothing listed
    where the last good run listed something, or fewer than half of a last good run that
    listed at least 4. After :data:`ACCEPT_SMALLER_LISTING_AFTER` (or ``gone_after``) suspect
    runs in a row the smaller listing is the source's new normal.
    """
    streak, baseline = 0, None
    for count, was_suspect in history:
        if not was_suspect:
            baseline = count
            break
        streak += 1
    if baseline is None or streak >= max(ACCEPT_SMALLER_LISTING_AFTER, gone_after or 0):
        return None
    if (listed == 0 and baseline > 0) or (baseline >= 4 and listed * 2 < baseline):
        return baseline
    return None


class SourceSpider(scrapy.Spider):
    """Conditional requests, per-entry safety, errors, counting, closing."""

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
        self.failed_before = ctx.catalogue.failed_urls(source.id)
        self.retried = False
        self.root_failure: tuple[str, str, str] | None = None  # (url, kind, message)
        self.root_ok = 0
        self.root_unchanged: list[str] = []
        self.listing_states: dict[str, tuple[str | None, str | None, int]] = {}
        self.incomplete: set[str] = set()  # listings not read in full this run
        self.listed: set[str] = set()  # what the listings named this run
        self.reported: set[str] = set()  # links already reported as skipped
        self.failures = 0
        self.documents_requested = 0
        self.scheduled: set[str] = set()
        self.started_at = utcnow()
        self.partial = False  # part of the listing was not looked at (e.g. a sitemap 304)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # a source's download_delay spaces its requests in its host's queue, shared with
        # every other source on that host (harvesters.politeness reads it from the spider)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        ctx = spider.ctx
        ctx.catalogue.start_source(ctx.run_id, spider.source.id)
        return spider

    # -- requests ------------------------------------------------------------------------
    def make_request(self, url: str, callback, *, conditional: bool, root: bool = False,
                     meta: dict[str, Any] | None = None, priority: int = 0) -> scrapy.Request:
        """A request of this source. ``dont_filter``: the spider dedupes what it schedules
        itself, and a redirect loop must reach the loop check, not vanish in the dupefilter."""
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
                              meta=m, priority=priority, dont_filter=True)

    def document_request(self, url: str, hints: Hints | None = None, *, callback=None,
                         conditional: bool = True, meta: dict[str, Any] | None = None,
                         ) -> scrapy.Request | None:
        """A request for a document, unless it is scheduled already or the cap is reached."""
        self.listed.add(url)
        if url in self.scheduled:
            return None
        if self.source.max_items and self.documents_requested >= self.source.max_items:
            return None
        self.scheduled.add(url)
        self.documents_requested += 1
        return self.make_request(url, callback or self.parse_document, conditional=conditional,
                                 meta={"ccp_hints": hints or Hints(), **(meta or {})}, priority=-1)

    def checked_link(self, link: str | None, base: str | None = None, *,
                     quiet: bool = False) -> str | None:
        """The canonical http(s) URL of a listed link; anything else is skipped and reported
        (once per run; ``quiet``: not reported, e.g. a page's ``mailto:`` links)."""
        url, why = web_link(link, base)
        if url is None and link and not quiet and link not in self.reported:
            self.reported.add(link)
            self.record_failure(link, "bad-link", f"skipped: {why}", counter="skipped")
        return url

    def entry_failed(self, where: str | None, exc: Exception) -> None:
        """One entry of a listing could not be handled: its error, and the loop goes on."""
        log.exception("%s: entry %s", self.source.id, where)
        self.record_failure(where, "parse", f"this entry could not be read: "
                                            f"{exc.__class__.__name__}: {exc}")

    def retry_failed_documents(self):
        """Requests for the documents that failed last run (once per run): a listing that
        answers 304 does not list them again, and they are what would otherwise be lost."""
        if self.retried:
            return
        self.retried = True
        for url in self.failed_before:
            req = self.document_request(url, Hints(guid=url))
            if req is not None:
                yield req

    # -- responses -----------------------------------------------------------------------
    def parse_document(self, response: Response, **_):
        """A document answered: unchanged (304), or bytes for the pipeline."""
        request_url = requested_url(response)
        if response.status == 304:
            state = self.ctx.catalogue.touch_url(self.source.id, request_url, run_id=self.ctx.run_id)
            log.debug("unchanged (304): %s -> %s", request_url, state)
            return
        truncated = response.meta.get("ccp_truncated")
        if truncated:
            self.record_failure(request_url, "truncated", f"{truncated}; nothing stored")
            return
        headers = headers_of(response)
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype and not (ctype in HTML_TYPES or ctype in DOCUMENT_TYPES or ctype.endswith("+xml")
                          or ctype == "application/octet-stream" and is_pdf_url(response.url)):
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
        self.listed.add(url)
        return DocumentItem(raw=RawDocument(source_id=self.source.id, url=url, final_url=url,
                                            hints=hints), request_url=url)

    def listing_response(self, response: Response) -> bool:
        """Book-keeping for a feed/sitemap/listing page; False when it answered 304."""
        url = requested_url(response)
        if response.status == 304:
            if response.meta.get("ccp_root"):
                self.root_unchanged.append(url)
            else:
                self.partial = True  # what it lists was not seen this run
            return False
        if response.meta.get("ccp_root"):
            self.root_ok += 1
        h = headers_of(response)
        if h.get("etag") or h.get("last-modified"):
            self.listing_states[url] = (h.get("etag"), h.get("last-modified"), response.status)
        truncated = response.meta.get("ccp_truncated")
        if truncated:  # an item page reports it as a document
            kind = None if response.meta.get("ccp_item") else "truncated"
            self.listing_incomplete(url, kind, f"{truncated}; only what came before the break "
                                               "was read")
        return True

    def listing_incomplete(self, url: str, kind: str | None = None, message: str = "",
                           parent: str | None = None, counter: str = "failed") -> None:
        """A listing was not read in full: its validators (and its parent's) are not saved,
        and the run does not count toward gone_after_runs."""
        self.partial = True
        self.incomplete.update(u for u in (url, parent) if u)
        if kind:
            self.record_failure(url, kind, message, counter=counter, document=False)

    # -- failures ------------------------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        if isinstance(failure.value, RedirectLoop):
            kind, message, counter = "redirect-loop", str(failure.value), "failed"
        else:
            kind, message, counter = describe_failure(
                failure, timeout=self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
        url = requested_url(request)
        if request.meta.get("ccp_root"):
            self.fail_source(url, kind, message)
        elif request.meta.get("ccp_listing"):
            self.listing_incomplete(url, kind, message, parent=request.meta.get("ccp_parent"),
                                    counter=counter)
        else:
            self.record_failure(url, kind, message, counter=counter)
            status = getattr(getattr(failure.value, "response", None), "status", None)
            if counter == "failed" and status not in (404, 410):
                # still listed, only failing now: not a reason to count it missing
                self.ctx.catalogue.touch_url(self.source.id, url)

    def record_failure(self, url: str | None, kind: str, message: str, counter: str = "failed",
                       *, document: bool = True):
        if counter == "failed":
            self.failures += 1
        cat = self.ctx.catalogue
        cat.record_error(self.ctx.run_id, self.source.id, url, kind, message, counter=counter)
        if document and counter == "failed" and web_link(url)[0] == url:
            cat.note_url_failure(url, self.source.id, kind, message)
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
        read_in_full = (self.root_ok > 0 and not self.root_unchanged and not self.root_failure
                        and not self.partial)
        suspect = False
        if status == "succeeded" and read_in_full:
            suspect = self._check_listing_size()
            for url in self.failed_before:
                if url not in self.listed:
                    cat.clear_url_failure(url)  # no longer listed: nothing to retry
        if status != "interrupted" and not suspect:
            # a suspect listing is read in full again next run (no validators kept)
            for url, (etag, lm, code) in self.listing_states.items():
                if url not in self.incomplete:
                    cat.save_http_state(url, self.source.id, etag, lm, code)
        if status == "succeeded" and not suspect:
            self._mark_missing(read_in_full)
        cat.finish_source(run_id, self.source.id, status, message, requests=requests)
        self.ctx.source_closed(self.source.id)

    def listing_url(self) -> str:
        url = getattr(self.source, "url", None) or self.source.start_urls[0]
        return str(url)

    def _check_listing_size(self) -> bool:
        """Store how many items the listing named; True (and reported) when it is suspect."""
        cat, listed = self.ctx.catalogue, len(self.listed)
        history = cat.listing_history(self.source.id, self.ctx.run_id)
        baseline = suspect_listing(listed, history, self.source.effective_gone_after_runs)
        cat.save_listed(self.ctx.run_id, self.source.id, listed)
        if baseline is None:
            return False
        cat.record_error(
            self.ctx.run_id, self.source.id, self.listing_url(), SUSPECT_LISTING,
            f"the listing named {listed} item(s) where its last good run named {baseline}: "
            "treated as suspect, nothing is marked gone this run", counter=None)
        log.warning("%s: suspect listing: %d item(s), last good run %d", self.source.id,
                    listed, baseline)
        return True

    def _mark_missing(self, read_in_full: bool) -> None:
        gone_after = self.source.effective_gone_after_runs
        capped = bool(self.source.max_items
                      and self.documents_requested >= self.source.max_items)
        unchanged = (self.root_unchanged and not self.root_ok and not self.root_failure
                     and not self.partial)
        if not gone_after or not ((read_in_full and not capped) or unchanged):
            return
        gone = self.ctx.catalogue.mark_missing(self.source.id,
                                               None if unchanged else self.started_at, gone_after)
        if gone:
            log.info("%s: %d item(s) gone after %d runs without them", self.source.id,
                     len(gone), gone_after)
