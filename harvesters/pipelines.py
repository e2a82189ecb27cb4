"""The item pipeline: normalise each fetched document and store it in the catalogue.

Normalising (the CPU-heavy, pure part) runs in the run's worker processes when it has any
(:mod:`.normpool`), else here; storing always happens here, in the harvest process, which is
the catalogue's one writer: the document's catalogue change, its outbox entry, its run count
and the URL's conditional-GET validators are one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time

from scrapy.exceptions import DropItem

from indexer.normalise import NormaliseError, normalise

from .context import DRAIN_EVERY_SECONDS
from .normpool import WorkerFailure
from .spiders import DocumentItem

log = logging.getLogger(__name__)


class CataloguePipeline:
    """RawDocument → Resource (normalise) → catalogue (dedupe, outbox) → periodic index drain."""

    DRAIN_EVERY_SECONDS = DRAIN_EVERY_SECONDS

    def __init__(self, crawler=None):
        self.crawler = crawler
        self._last_drain = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item):
        if not isinstance(item, DocumentItem):
            return item
        spider = self.crawler.spider
        ctx = spider.ctx
        src = spider.source
        raw = item.raw
        try:
            if ctx.pool is not None:
                res = await asyncio.wrap_future(ctx.pool.submit(raw, src.id))
            else:
                res = normalise(raw, src, taxonomy=ctx.taxonomy)
        except NormaliseError as exc:
            spider.record_failure(item.request_url, "parse", str(exc))
            raise DropItem(f"{item.request_url}: {exc}") from None
        except WorkerFailure as exc:
            log.error("normalising %s: %s", item.request_url, exc)
            spider.record_failure(item.request_url, "parse", str(exc))
            raise DropItem(f"{item.request_url}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - one bad document never stops the harvest
            log.exception("normalising %s failed", item.request_url)
            spider.record_failure(item.request_url, "parse",
                                  f"could not be read: {exc.__class__.__name__}: {exc}")
            raise DropItem(f"{item.request_url}: {exc}") from None
        validators = None
        if item.etag or item.last_modified:
            validators = (item.request_url, item.etag, item.last_modified, raw.status)
        try:
            status = ctx.catalogue.ingest(
                res, run_id=ctx.run_id, validators=validators,
                clear_failure=(item.request_url if validators is None
                               and item.request_url in spider.failed_before else None))
        except Exception as exc:  # noqa: BLE001 - reported, the harvest goes on
            log.exception("storing %s failed", item.request_url)
            spider.record_failure(item.request_url, "store", f"{exc.__class__.__name__}: {exc}")
            raise DropItem(f"{item.request_url}: {exc}") from None
        log.debug("%s %s", status, item.request_url)
        now = time.monotonic()
        if ctx.drainer is None and now - self._last_drain > self.DRAIN_EVERY_SECONDS:
            self._last_drain = now
            ctx.drain()
        return item
