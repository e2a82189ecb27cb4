"""Politeness over every source of a harvest: one queue per host, a delay, a global cap.

Each source is its own Scrapy crawler, and Scrapy's downloader slots (its per-domain
concurrency and ``DOWNLOAD_DELAY``) belong to one crawler: two sources on the same host would
each keep their own slot and could both be fetching from it at once. Here one
:class:`HostGate` per harvest process is shared by every crawler of the run, the way
Heritrix's per-host queues and Nutch's fetcher queues work:

- requests wait in a first-in first-out queue per host (the URL's host name, lower-cased,
  port left out: two ports of one machine are one server);
- at most ``CCP_CONCURRENT_PER_HOST`` requests (default 1) are in flight to a host;
- the next request to a host starts no sooner than its delay after the *end* of the previous
  response from that host (the source's ``download_delay``, else ``CCP_DOWNLOAD_DELAY``), so a
  slow server is asked less often, never more (with more than one allowed in flight, no
  sooner than the delay after the previous start either);
- at most ``CCP_MAX_IN_FLIGHT`` requests are in flight over all hosts; a host whose turn has
  come waits for a free place in the order it became ready.

Keyed by host rather than address: keying by address would need a DNS lookup before a
request is even queued, and would put every site behind one CDN address into a single queue;
a shared-hosting server with many portals on one address is the rarer case.

The scheduler harvests every due source in one run at a time (see
:mod:`harvesters.scheduler`), so the limits hold over every source it harvests.
A ``ccp harvest`` started by hand beside it is a separate process with its own gate.

:class:`PolitenessMiddleware` sits closest to the download itself: a response served from a
cache or refused by the address guard never takes a host's turn, and retries, redirects and
robots.txt requests each wait their turn like any other request.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.asyncio import call_later
from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)

# the downloader middleware's order: after every other one (the guard's refusal at 570,
# integrity at 595, stats at 850, the HTTP cache at 900), right before the download
MIDDLEWARE_ORDER = 990
TURN = "ccp_host_turn"  # request.meta key: the host whose turn the request holds
STOP_CHECK_SECONDS = 0.5


@dataclass
class _Waiter:
    deferred: Deferred
    delay: float
    crawler: Any


@dataclass
class _Host:
    key: str
    active: int = 0
    last_start: float = float("-inf")
    last_end: float = float("-inf")
    queue: deque = field(default_factory=deque)
    timer: Any = None  # the pending call that wakes the queue once the delay has passed


class HostGate:
    """The per-host queues and the global cap of one harvest process (see the module)."""

    def __init__(self, per_host: int = 1, max_in_flight: int = 16):
        self.per_host = max(1, per_host)
        self.max_in_flight = max(1, max_in_flight)
        self.in_flight = 0
        self.hosts: dict[str, _Host] = {}
        self._ready: deque[_Host] = deque()  # hosts whose turn came while the cap was full
        self._stop_check = None
        # what was observed, for the run's log and the benchmark
        self.peak_in_flight = 0
        self.peak_per_host = 0
        self.granted = 0

    @staticmethod
    def host_key(request) -> str:
        return (urlparse_cached(request).hostname or "").lower()

    def acquire(self, key: str, delay: float, crawler: Any = None) -> Deferred:
        """A Deferred that fires when a request to ``key`` may start."""
        host = self.hosts.get(key)
        if host is None:
            host = self.hosts[key] = _Host(key)
        d: Deferred = Deferred()
        host.queue.append(_Waiter(d, max(0.0, delay), crawler))
        self._pump(host)
        if host.queue:
            self._watch_stops()
        return d

    def release(self, key: str) -> None:
        """A request to ``key`` has its whole response (or failed): its host's delay starts."""
        host = self.hosts.get(key)
        if host is None or host.active <= 0:
            return
        host.active -= 1
        self.in_flight -= 1
        host.last_end = monotonic()
        self._pump(host)
        while self._ready and self.in_flight < self.max_in_flight:
            self._pump(self._ready.popleft())

    def _pump(self, host: _Host) -> None:
        while host.queue and host.active < self.per_host:
            if self.in_flight >= self.max_in_flight:
                if host not in self._ready:
                    self._ready.append(host)
                return
            # with more than one allowed in flight, starts are spaced by the delay too
            wait = max(host.last_end, host.last_start) + host.queue[0].delay - monotonic()
            if wait > 0:
                if host.timer is None:
                    host.timer = call_later(wait, self._wake, host)
                return
            waiter = host.queue.popleft()
            host.last_start = monotonic()
            host.active += 1
            self.in_flight += 1
            self.granted += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self.peak_per_host = max(self.peak_per_host, host.active)
            waiter.deferred.callback(None)

    def _wake(self, host: _Host) -> None:
        host.timer = None
        self._pump(host)

    # -- a crawler that stops (SIGTERM, time limit) must not wait for its turns ------------
    def _watch_stops(self) -> None:
        if self._stop_check is None:
            self._stop_check = call_later(STOP_CHECK_SECONDS, self._drop_stopped)

    def _drop_stopped(self) -> None:
        self._stop_check = None
        waiting = False
        for host in list(self.hosts.values()):
            kept = deque()
            for w in host.queue:
                if w.crawler is not None and not _running(w.crawler):
                    w.deferred.errback(IgnoreRequest("the harvest is stopping"))
                else:
                    kept.append(w)
            host.queue = kept
            waiting = waiting or bool(kept)
        if waiting:
            self._watch_stops()


def _running(crawler) -> bool:
    engine = getattr(crawler, "engine", None)
    return bool(getattr(crawler, "crawling", True)) and (engine is None or engine.running)


_GATE: HostGate | None = None


def process_gate(settings) -> HostGate:
    """The gate of this harvest process, made on first use from the run's Scrapy settings."""
    global _GATE
    if _GATE is None:
        _GATE = HostGate(per_host=settings.getint("CCP_CONCURRENT_PER_HOST", 1),
                         max_in_flight=settings.getint("CCP_MAX_IN_FLIGHT", 16))
    return _GATE


class PolitenessMiddleware:
    """Each request waits for its host's turn in the process's :class:`HostGate`."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.gate = process_gate(crawler.settings)
        self.default_delay = crawler.settings.getfloat("CCP_HOST_DELAY", 0.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _delay(self) -> float:
        source = getattr(self.crawler.spider, "source", None)
        own = getattr(source, "download_delay", None)
        return self.default_delay if own is None else float(own)

    async def process_request(self, request, spider=None):
        key = self.gate.host_key(request)
        await maybe_deferred_to_future(self.gate.acquire(key, self._delay(), self.crawler))
        request.meta[TURN] = key
        return None

    def _done(self, request) -> None:
        key = request.meta.pop(TURN, None)
        if key is not None:
            self.gate.release(key)

    def process_response(self, request, response, spider=None):
        self._done(request)
        return response

    def process_exception(self, request, exception, spider=None):
        self._done(request)
        return None
