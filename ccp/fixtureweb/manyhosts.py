"""A web of many hosts on loopback, recording what a harvester does to each of them.

Linux routes the whole of 127.0.0.0/8 to the loopback interface, so every address from
127.0.1.1 upwards is a host of its own: :class:`ManyHostsWeb` listens on ``hosts`` of them
(port 0 on each, one asyncio thread for all), each with ``sites`` small sites. Site ``j`` of a
host has an RSS feed (``/sj/feed.xml``) and a sitemap (``/sj/sitemap.xml``) naming its
``items`` pages (``/sj/pK.html``, a few KB of English prose each); even sites are offered
as feed sources, odd ones as sitemap sources (see :meth:`ManyHostsWeb.sources`).

Every request is recorded with the host it reached, when its request head arrived and when
its response was handed to the socket (the client cannot have it any sooner); the server
also counts requests in flight per host, from the request head to the response drained. :meth:`ManyHostsWeb.politeness` checks a harvest against that record: no host ever
had more requests in flight than allowed, and the gap between the end of one response and
the start of the next request to the same host was never shorter than the delay.

Each answer takes ``service_seconds`` (default 20 ms) so that two requests to a host at
once overlap visibly. ETag and If-None-Match are honoured (a re-harvest is answered 304).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from xml.sax.saxutils import escape

__all__ = ["Hit", "ManyHostsWeb", "PolitenessReport", "host_address"]

WORDS = (
    "repair reuse refill compost textile deposit bottle library tool sharing bicycle "
    "furniture market second-hand municipal district neighbourhood school kitchen food waste "
    "packaging recycling plastic glass paper metal electronics appliance workshop volunteer "
    "council tender procurement building material demolition timber concrete insulation "
    "water rain garden energy heat community cooperative startup business citizen resident "
    "programme pilot survey report plan strategy target tonne household collection sorting"
).split()


def host_address(i: int) -> str:
    """The loopback address of host ``i`` (0-based): 127.0.1.1, 127.0.1.2, … 127.0.1.254,
    127.0.2.1, … (127.0.0.x is left to everything else on the machine)."""
    return f"127.0.{1 + i // 254}.{1 + i % 254}"


@dataclass(frozen=True)
class Hit:
    host: str
    path: str
    start: float  # time.monotonic() when the request head was read
    end: float  # when the response was handed to the socket (the client has it no sooner)
    status: int


@dataclass
class PolitenessReport:
    requests: int
    hosts: int
    max_in_flight_per_host: int
    max_in_flight_total: int
    shortest_gap: float | None  # end of a response to the next request to that host, seconds
    too_close: list[tuple[str, str, float]]  # (host, path, gap) shorter than the delay

    @property
    def ok(self) -> bool:
        return not self.too_close


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 16))]
    return " ".join(words).capitalize() + "."


class _Content:
    """The deterministic documents of one host."""

    def __init__(self, index: int, sites: int, items: int, page_paragraphs: int):
        self.index, self.sites, self.items, self.paras = index, sites, items, page_paragraphs

    def title(self, j: int, k: int) -> str:
        rng = random.Random(f"{self.index}/{j}/{k}/title")
        return f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} in district {self.index}-{j}-{k}"

    def page(self, j: int, k: int) -> bytes:
        rng = random.Random(f"{self.index}/{j}/{k}")
        paras = "".join(f"<p>{' '.join(_sentence(rng) for _ in range(5))}</p>\n"
                        for _ in range(self.paras))
        title = escape(self.title(j, k))
        return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{title}</title></head><body><header><a href=\"/\">Host {self.index}"
                f"</a></header><main><article><h1>{title}</h1>\n{paras}</article></main>"
                f"<footer>City of host {self.index}</footer></body></html>").encode()

    def feed(self, base: str, j: int) -> bytes:
        entries = "".join(
            f"<item><title>{escape(self.title(j, k))}</title><link>{base}/s{j}/p{k}.html</link>"
            f"<guid>{base}/s{j}/p{k}.html</guid>"
            f"<pubDate>{formatdate(1_700_000_000 + k * 86400, usegmt=True)}</pubDate>"
            f"<description>{escape(self.title(j, k))}</description></item>"
            for k in range(self.items))
        return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
                f"<title>Host {self.index} site {j}</title><link>{base}/s{j}/</link>"
                f"<description>News</description>{entries}</channel></rss>").encode()

    def sitemap(self, base: str, j: int) -> bytes:
        urls = "".join(f"<url><loc>{base}/s{j}/p{k}.html</loc></url>" for k in range(self.items))
        return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><urlset xmlns="
                f"\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>").encode()

    def answer(self, base: str, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 2 and parts[0][:1] == "s" and parts[0][1:].isdigit():
            j, name = int(parts[0][1:]), parts[1]
            if j < self.sites:
                if name == "feed.xml":
                    return 200, "application/rss+xml", self.feed(base, j)
                if name == "sitemap.xml":
                    return 200, "application/xml", self.sitemap(base, j)
                if name[:1] == "p" and name.endswith(".html") and name[1:-5].isdigit() \
                        and int(name[1:-5]) < self.items:
                    return 200, "text/html; charset=utf-8", self.page(j, int(name[1:-5]))
        return 404, "text/plain", b"not found"


class ManyHostsWeb:
    """``hosts`` loopback hosts with ``sites`` sites of ``items`` pages each (see the module)."""

    def __init__(self, hosts: int = 200, sites: int = 5, items: int = 3, *,
                 service_seconds: float = 0.02, page_paragraphs: int = 4):
        self.n_hosts, self.sites, self.items = hosts, sites, items
        self.service_seconds = service_seconds
        self.content = [_Content(i, sites, items, page_paragraphs) for i in range(hosts)]
        self.bases: list[str] = []
        self.hits: list[Hit] = []
        self.in_flight: dict[str, int] = {}
        self.peak_in_flight: dict[str, int] = {}
        self.total_in_flight = 0
        self.peak_total = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []

    # -- running ------------------------------------------------------------------------
    def start(self) -> "ManyHostsWeb":
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            for srv in self._servers:
                srv.close()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

        self._thread = threading.Thread(target=main, name="ccp-manyhosts", daemon=True)
        self._thread.start()
        ready.wait(60)
        if failure:
            raise RuntimeError(f"the many-hosts fixture web could not listen: {failure[0]}")
        return self

    async def _listen(self) -> None:
        for i in range(self.n_hosts):
            addr = host_address(i)
            srv = await asyncio.start_server(
                lambda r, w, i=i: self._connection(i, r, w), addr, 0, backlog=64)
            self._servers.append(srv)
            port = srv.sockets[0].getsockname()[1]
            self.bases.append(f"http://{addr}:{port}")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> "ManyHostsWeb":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def clear(self) -> None:
        """Forget the recorded requests (between two harvests)."""
        self.hits = []
        self.peak_in_flight = {}
        self.peak_total = 0

    # -- serving ------------------------------------------------------------------------
    async def _connection(self, i: int, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        host = host_address(i)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ConnectionError):
                    return
                start = time.monotonic()
                self._enter(host)
                status, written = 0, start
                try:
                    status, keep, written = await self._answer(i, head, writer)
                finally:
                    self._leave(host)
                    self.hits.append(Hit(host, _path(head), start, written, status))
                if not keep:
                    return
        finally:
            writer.close()

    def _enter(self, host: str) -> None:
        n = self.in_flight.get(host, 0) + 1
        self.in_flight[host] = n
        self.peak_in_flight[host] = max(self.peak_in_flight.get(host, 0), n)
        self.total_in_flight += 1
        self.peak_total = max(self.peak_total, self.total_in_flight)

    def _leave(self, host: str) -> None:
        self.in_flight[host] -= 1
        self.total_in_flight -= 1

    async def _answer(self, i: int, head: bytes, writer: asyncio.StreamWriter
                      ) -> tuple[int, bool, float]:
        lines = head.decode("latin-1").split("\r\n")
        method = lines[0].split(" ", 1)[0]
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (ln.partition(":") for ln in lines[1:] if ln)}
        if self.service_seconds:
            await asyncio.sleep(self.service_seconds)
        status, ctype, body = self.content[i].answer(self.bases[i], _path(head))
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        if status == 200 and headers.get("if-none-match") == etag:
            status, body = 304, b""
        keep = headers.get("connection", "").lower() != "close"
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
        out = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
               f"Content-Length: {len(body) if method != 'HEAD' else 0}\r\nETag: {etag}\r\n"
               f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n").encode("latin-1")
        written = time.monotonic()
        writer.write(out + (body if method != "HEAD" else b""))
        await writer.drain()
        return status, keep, written

    # -- what a test or benchmark reads ----------------------------------------------------
    def sources(self, *, download_delay: float | None = None, schedule: dict | None = None,
                hosts: int | None = None, per_host: int | None = None) -> list[dict]:
        """Source definitions (as in a source file): site ``j`` of each host, a feed source
        for even ``j``, a sitemap source for odd ``j``."""
        out = []
        for i, base in enumerate(self.bases[:hosts]):
            for j in range(per_host or self.sites):
                kind = "feed" if j % 2 == 0 else "sitemap"
                src = {"id": f"h{i:03d}-s{j}", "name": f"Host {i} site {j}", "type": kind,
                       "url": f"{base}/s{j}/{kind if kind == 'feed' else 'sitemap'}.xml",
                       "country": "EU", "language": "en"}
                if download_delay is not None:
                    src["download_delay"] = download_delay
                if schedule is not None:
                    src["schedule"] = schedule
                out.append(src)
        return out

    def politeness(self, delay: float, slack: float = 0.0) -> PolitenessReport:
        """The recorded requests checked against one in flight per host and ``delay``
        seconds from the end of a response to the next request to the same host."""
        by_host: dict[str, list[Hit]] = {}
        for h in sorted(self.hits, key=lambda h: h.start):
            by_host.setdefault(h.host, []).append(h)
        too_close, gaps = [], []
        for host, hits in by_host.items():
            for prev, nxt in zip(hits, hits[1:]):
                gap = nxt.start - prev.end
                gaps.append(gap)
                if gap < delay - slack:
                    too_close.append((host, nxt.path, round(gap, 4)))
        return PolitenessReport(
            requests=len(self.hits), hosts=len(by_host),
            max_in_flight_per_host=max(self.peak_in_flight.values(), default=0),
            max_in_flight_total=self.peak_total, shortest_gap=min(gaps, default=None),
            too_close=too_close)


def _path(head: bytes) -> str:
    first = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    return first[1] if len(first) > 1 else ""
