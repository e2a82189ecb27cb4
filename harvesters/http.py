"""HTTP plumbing for the spiders: Scrapy settings, retries with backoff, error causes.

All HTTP goes through Scrapy: robots.txt obeyed, a User-Agent naming the portal, per-host
politeness over every source of a run (:mod:`harvesters.politeness`), retries with exponential backoff that honour ``Retry-After``, a
response size cap, timeouts, gzip and redirects.
"""

from __future__ import annotations

import asyncio
import random
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotSupported,
    ResponseDataLossError,
)
from scrapy.settings.default_settings import DOWNLOADER_MIDDLEWARES_BASE
from scrapy.spidermiddlewares.httperror import HttpError

from config import Settings

from .integrity import MIDDLEWARE_ORDER as INTEGRITY_ORDER
from .netguard import RefusedAddress
from .netguard import middlewares as netguard_middlewares
from .politeness import MIDDLEWARE_ORDER as POLITENESS_ORDER

POLITENESS = "harvesters.politeness.PolitenessMiddleware"

# the longest Retry-After honoured inside one run; a longer one fails the request and is
# reported with its delay (the scheduler pushes the source's next run back instead)
MAX_IN_RUN_RETRY_AFTER = 120.0


def scrapy_settings(settings: Settings, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {
        "BOT_NAME": "circular-city-portal",
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": settings.user_agent.split("/")[0],
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # politeness is the run's, not a crawler's: every source's requests to a host share
        # one queue, one request in flight and one delay from the end of the last response,
        # under one cap over all hosts (harvesters.politeness); Scrapy's own per-crawler
        # slot delay and AutoThrottle would only add a second, per-source layer
        "CCP_HOST_DELAY": settings.download_delay,
        "CCP_CONCURRENT_PER_HOST": settings.concurrent_per_host,
        "CCP_MAX_IN_FLIGHT": settings.max_in_flight,
        "CONCURRENT_REQUESTS": settings.max_in_flight,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrent_per_host,
        "DOWNLOAD_DELAY": 0.0,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": settings.download_timeout,
        "DOWNLOAD_MAXSIZE": settings.max_response_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": settings.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "CCP_RETRY_BACKOFF_BASE": 1.0,
        "CCP_RETRY_BACKOFF_MAX": 60.0,
        # only http and https are ever fetched; every address is checked by the guard
        # (harvesters.netguard) on the resolved address, at connection time
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "data": None, "s3": None},
        "TWISTED_DNS_RESOLVER": "harvesters.netguard.GuardedResolver",
        "CCP_ALLOWED_PRIVATE_ADDRESSES": settings.allowed_private_addresses,
        # the guard sits in the _BASE dict: a spider's custom_settings replace
        # DOWNLOADER_MIDDLEWARES whole, and must never be able to drop it
        "DOWNLOADER_MIDDLEWARES_BASE": {**DOWNLOADER_MIDDLEWARES_BASE, **netguard_middlewares(),
                                        POLITENESS: POLITENESS_ORDER},
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "harvesters.http.RobotsTxtEveryWaiterMiddleware": 100,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "harvesters.http.BackoffRetryMiddleware": 550,
            "harvesters.integrity.IntegrityMiddleware": INTEGRITY_ORDER,
        },
        # a run has a crawler per source (a thousand in a scheduled run): no per-crawler log
        # handler counting every crawler's messages (LogCount), no per-crawler timers
        # logging page counts (LogStats) or reading the process's memory (MemoryUsage)
        "EXTENSIONS": {"scrapy.extensions.logcount.LogCount": None,
                       "scrapy.extensions.logstats.LogStats": None,
                       "scrapy.extensions.memusage.MemoryUsage": None},
        "ITEM_PIPELINES": {"harvesters.pipelines.CataloguePipeline": 300},
        "REDIRECT_MAX_TIMES": 10,
        "COMPRESSION_ENABLED": True,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }
    overrides = dict(overrides or {})
    # a caller's DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN keep their meaning, applied
    # by the run's host queues; Scrapy's own per-crawler slots get no delay of their own
    if "DOWNLOAD_DELAY" in overrides:
        overrides.setdefault("CCP_HOST_DELAY", overrides.pop("DOWNLOAD_DELAY"))
    if "CONCURRENT_REQUESTS_PER_DOMAIN" in overrides:
        overrides.setdefault("CCP_CONCURRENT_PER_HOST", overrides["CONCURRENT_REQUESTS_PER_DOMAIN"])
    s.update(overrides)
    return s


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


# robots.txt per host (netloc) for the whole harvest process: every source of a run on one
# host reads the same file, fetched once (as Heritrix and Nutch cache it per host)
_ROBOTS_BY_NETLOC: dict = {}


class RobotsTxtEveryWaiterMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with one robots.txt per host shared by every source of
    the run, and every request that waits for a host's robots.txt checked against it.

    In Scrapy 2.19 the requests waiting while robots.txt downloads share one Deferred; the
    first waiter's future consumes its result, so the third and later requests to a host see
    no parser and are let through — a disallowed URL among the first few requests to a host
    gets fetched. Here each waiter gets its own Deferred, relayed from the shared one.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self._parsers = _ROBOTS_BY_NETLOC

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            mine: Deferred = Deferred()

            def relay(result):
                mine.callback(result)
                return result

            pending.addBoth(relay)
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting before each retry: exponential backoff with jitter, or the
    server's ``Retry-After`` when it sends one (up to :data:`MAX_IN_RUN_RETRY_AFTER`)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("CCP_RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("CCP_RETRY_BACKOFF_MAX", 60.0)

    async def process_request(self, request, spider=None):
        delay = request.meta.pop("ccp_retry_delay", None)
        if delay:
            await asyncio.sleep(delay)
        return None

    def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None and wait > MAX_IN_RUN_RETRY_AFTER:
            return response  # reported as failed with its Retry-After
        new = self._retry(request, f"HTTP {response.status}")
        if new is None:
            return response
        new.meta["ccp_retry_delay"] = wait if wait is not None else self._backoff(new)
        return new

    def process_exception(self, request, exception, spider=None):
        new = super().process_exception(request, exception)
        if isinstance(new, type(request)):
            new.meta["ccp_retry_delay"] = self._backoff(new)
        return new

    def _backoff(self, request) -> float:
        n = request.meta.get("retry_times", 1)
        return min(self.cap, self.base * (2 ** (n - 1))) * random.uniform(0.5, 1.0)


def describe_failure(failure, timeout: float | None = None) -> tuple[str, str, str]:
    """(kind, message, counter) for a failed request: counter is 'failed' or 'skipped'."""
    exc = failure.value
    if isinstance(exc, HttpError):
        resp = exc.response
        msg = f"HTTP {resp.status}"
        reason = _reason(resp.status)
        if reason:
            msg += f" {reason}"
        ra = resp.headers.get(b"Retry-After")
        if ra:
            msg += f" (Retry-After: {ra.decode('latin-1')})"
        return "http", msg, "failed"
    if isinstance(exc, RefusedAddress):
        return "refused", str(exc), "failed"
    if isinstance(exc, NotSupported):  # a scheme without a download handler
        url = getattr(getattr(failure, "request", None), "url", "the URL")
        return "refused", f"{url}: refused: {exc}", "failed"
    if isinstance(exc, IgnoreRequest) and "robots.txt" in str(exc):
        return "robots", "forbidden by robots.txt", "skipped"
    if isinstance(exc, DownloadCancelledError) or "max size" in str(exc).lower() or "maxsize" in str(exc).lower():
        return "too-large", f"response too large: {exc}", "failed"
    if isinstance(exc, (DownloadTimeoutError, TimeoutError)) or "timeout" in exc.__class__.__name__.lower() \
            or "took longer than" in str(exc):
        after = f" within {timeout:g} s" if timeout else ""
        return "timeout", f"no complete response{after}", "failed"
    if isinstance(exc, CannotResolveHostError) or "DNSLookup" in exc.__class__.__name__:
        return "dns", f"host name could not be resolved: {exc}", "failed"
    if isinstance(exc, DownloadConnectionRefusedError) or "ConnectionRefused" in exc.__class__.__name__:
        return "connection", "connection refused", "failed"
    if isinstance(exc, ResponseDataLossError):
        return "truncated", f"the response was cut short: {exc}", "failed"
    if isinstance(exc, IgnoreRequest):
        return "ignored", str(exc) or "request ignored", "skipped"
    return "network", f"{exc.__class__.__name__}: {exc}", "failed"


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
