"""The item pipeline: normalise each fetched document and store it in the catalogue."""

from __future__ import annotations

import logging
import time

from scrapy.exceptions import DropItem

from indexer.normalise import NormaliseError, normalise

from .spiders import DocumentItem

log = logging.getLogger(__name__)


class CataloguePipeline:
    """RawDocument → Resource (normalise) → catalogue (dedupe, outbox) → periodic index drain."""

    DRAIN_EVERY_SECONDS = 5.0

    def __init__(self, crawler=None):
        self.crawler = crawler
        self._last_drain = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if not isinstance(item, DocumentItem):
            return item
        spider = self.crawler.spider if self.crawler is not None else spider
        ctx = spider.ctx
        src = spider.source
        raw = item.raw
        try:
            res = normalise(raw, src, taxonomy=ctx.taxonomy)
        except NormaliseError as exc:
            spider.record_failure(item.request_url, "parse", str(exc))
            raise DropItem(f"{item.request_url}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - one bad document never stops the harvest
            log.exception("normalising %s failed", item.request_url)
            spider.record_failure(item.request_url, "parse",
                                  f"could not be read: {exc.__class__.__name__}: {exc}")
            raise DropItem(f"{item.request_url}: {exc}") from None
        try:
            status = ctx.catalogue.ingest(res, run_id=ctx.run_id)
        except Exception as exc:  # noqa: BLE001 - reported, the harvest goes on
            log.exception("storing %s failed", item.request_url)
            spider.record_failure(item.request_url, "store", f"{exc.__class__.__name__}: {exc}")
            raise DropItem(f"{item.request_url}: {exc}") from None
        if item.etag or item.last_modified:
            ctx.catalogue.save_http_state(item.request_url, src.id, item.etag,
                                          item.last_modified, raw.status,
                                          instance_url=res.instances[0].url)
        elif item.request_url in spider.failed_before:
            ctx.catalogue.clear_url_failure(item.request_url)
        log.debug("%s %s", status, item.request_url)
        now = time.monotonic()
        if now - self._last_drain > self.DRAIN_EVERY_SECONDS:
            self._last_drain = now
            ctx.drain()
        return item
