"""Harvest cost: the whole pipeline against bare Scrapy and the lean chain, in one run.

    .venv/bin/python bench/bench_harvest.py [--pages 2000] [--workers N] [--no-cores]

A local server on 127.0.0.1 serves a sitemap of ``--pages`` generated article pages (~25 KB
each: 200 navigation and footer links, a sidebar, scripts and styles, and an article of 30 real
sentences of one of the 12 languages of ``bench/relevance/docs``). In one command, each run in its own process (the server is in this one, so its CPU
is not counted):

- **bare Scrapy**: a spider that fetches every page and does nothing with it;
- **lean chain**: the same spider, which also extracts the main text (trafilatura, the
  portal's options), identifies the language (py3langid, as :mod:`indexer.language`),
  computes the MinHash sketch (:mod:`indexer.neardup`) and indexes a minimal document into the
  portal's embedded search engine — what any harvester of this kind must do, with none of the
  portal's book-keeping;
- **pipeline**: ``run_harvest()`` — robots.txt, conditional GET, extraction, metadata,
  language, classification, the dedupe layers, the catalogue and the index drain — with
  ``--workers`` normalisation processes (default: the number of cores);
- **1 core / 2 cores**: the pipeline again on a fresh catalogue, pinned to one core with one
  worker, then to two cores with two (pages/s ratio: how well both cores are used);
- **re-run**: the pipeline again on the first catalogue, where the sitemap answers 304.

For each run it prints wall time, pages/s, CPU milliseconds per page (user + system time of the
run's process and every process it started, not wall time), CPU against the lean chain, and
the peak resident memory of every process of the run (and their sum).
Numbers vary with the machine's load: compare the ratios printed by one run.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import inspect
import multiprocessing
import os
import random
import re
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RELEVANCE_DOCS = Path(__file__).resolve().parent / "relevance" / "docs"


@lru_cache(maxsize=1)
def sentences() -> dict[str, list[str]]:
    """Real sentences of the relevance collection's documents, by language (12 languages)."""
    import yaml

    by_lang: dict[str, list[str]] = {}
    for f in sorted(RELEVANCE_DOCS.glob("*.yaml")):
        for doc in yaml.safe_load(f.read_text(encoding="utf-8"))["docs"]:
            body = re.sub(r"(?m)^\s*(?:##|-)\s*", " ", doc.get("body") or "")
            for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", body)):
                if len(s.strip()) > 40:
                    by_lang.setdefault(doc["lang"], []).append(html.escape(s.strip()))
    return by_lang


NAV = "".join(f"<li class='menu__item menu__item--level-2'><a class='menu__link' "
              f"href='/section/{i}'>Menu item {i}</a></li>" for i in range(100))
FOOT = "".join(f"<li class='footer__item'><a class='footer__link' href='/about/{i}'>"
               f"Footer link {i}</a></li>" for i in range(100))
HEAD = ("<link rel='stylesheet' href='/static/site.css'><style>"
        + "".join(f".c{i}{{margin:{i}px;padding:{i % 7}px}}" for i in range(60)) + "</style>"
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        + "var cfg={" + ",".join(f"k{i}:{i}" for i in range(250)) + "};</script>")


def page(i: int) -> bytes:
    """Article ``i``: 30 sentences of one language's documents, in six paragraphs."""
    rnd = random.Random(i)
    pool = sentences()
    lang = sorted(pool)[i % len(pool)]
    said = rnd.sample(pool[lang], 30)
    paras = "".join("<p>" + " ".join(said[k:k + 5]) + "</p>" for k in range(0, 30, 5))
    words = said[0].split()
    side = "".join(f"<li><a href='/a/{(i + k) % 997}'>Related {html.escape(words[k % len(words)])}"
                   f" {k}</a></li>" for k in range(12))
    page_html = (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>Article {i} | City portal</title><meta property='og:title' "
        f"content='Article {i} {html.escape(words[0])}'><meta property='article:published_time' "
        f"content='2025-0{1 + i % 9}-1{i % 9}T10:00:00Z'><meta name='description' content="
        f"'{said[1]}'>{HEAD}</head><body><header><a href='/'>City portal</a>"
        f"<nav><ul>{NAV}</ul></nav></header><main><article><h1>Article {i}</h1>{paras}"
        f"</article><aside><h2>Related</h2><ul>{side}</ul></aside></main><footer><ul>{FOOT}"
        f"</ul><p>Cookie notice and address</p></footer></body></html>")
    return page_html.encode("utf-8")


class Site:
    def __init__(self, pages: int):
        self.pages = pages
        self.bodies = {f"/a/{i}": page(i) for i in range(pages)}
        self.etags = {p: '"' + hashlib.sha1(b).hexdigest() + '"' for p, b in self.bodies.items()}

    def serve(self):
        site = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - stdlib name
                if self.path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if self.path == "/sitemap.xml":
                    locs = "".join(f"<url><loc>{self._base()}/a/{i}</loc></url>"
                                   for i in range(site.pages))
                    body = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.'
                            f'sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>').encode()
                    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                    if self.headers.get("If-None-Match") == etag:
                        return self._send(304, b"", "application/xml", etag)
                    return self._send(200, body, "application/xml", etag)
                body = site.bodies.get(self.path)
                if body is None:
                    return self._send(404, b"not found", "text/plain")
                etag = site.etags[self.path]
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", "text/html", etag)
                return self._send(200, body, "text/html; charset=utf-8", etag)

            def _base(self):
                return f"http://127.0.0.1:{self.server.server_address[1]}"

            def _send(self, code, body, ctype, etag=None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if code != 304:
                    self.wfile.write(body)

            def log_message(self, *a):
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv


FAST = {"DOWNLOAD_DELAY": 0.0, "DOWNLOAD_DELAY_JITTER": 0, "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "CONCURRENT_REQUESTS": 16, "LOG_LEVEL": "WARNING"}


# -- the runs (each in its own process) -------------------------------------------------------
def _crawl(base: str, pages: int, handle=None, done=None) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"
        custom_settings = {"WARN_ON_GENERATOR_RETURN_VALUE": False}

        async def start(self):
            for i in range(pages):
                yield scrapy.Request(f"{base}/a/{i}", callback=self.parse)

        def parse(self, response):
            if handle is not None:
                handle(response)

        def closed(self, reason):
            if done is not None:
                done()

    proc = CrawlerProcess({**FAST, "ROBOTSTXT_OBEY": True, "LOG_ENABLED": False})
    proc.crawl(Bare)
    proc.start()


def run_bare(base: str, pages: int, _tmp: str) -> dict:
    _crawl(base, pages)
    return {}


def run_lean(base: str, pages: int, tmp: str) -> dict:
    """Fetch, extract, language id, MinHash, index: the same libraries, no book-keeping."""
    import trafilatura

    from indexer import neardup
    from indexer.backends.embedded import EmbeddedBackend
    from indexer.extract import _TRAFILATURA_OPTIONS
    from indexer.language import rank_languages
    from indexer.resource import Resource, resource_id_for

    backend = EmbeddedBackend(Path(tmp) / "lean-index")
    batch: list[Resource] = []
    stored = [0]

    def flush():
        if batch:
            backend.apply(list(batch), [])
            stored[0] += len(batch)
            batch.clear()

    def handle(response):
        text = trafilatura.extract(response.text, url=response.url, **_TRAFILATURA_OPTIONS) or ""
        ranked = rank_languages(text[:600])
        neardup.sketch(text)
        batch.append(Resource(id=resource_id_for(response.url), title=text[:80],
                              url=response.url, body=text,
                              language=ranked[0][0] if ranked else None))
        if len(batch) >= 500:
            flush()

    _crawl(base, pages, handle, flush)
    backend.close()
    return {"stored": stored[0]}


def run_pipeline(base: str, pages: int, tmp: str, workers: int | None = None) -> dict:
    from config import Settings
    from config.models import SOURCE_ADAPTER
    from harvesters.run import run_harvest

    settings = Settings.from_env(environ={}, data_dir=tmp, sources=tmp,
                                 allowed_private_addresses="127.0.0.1/32")
    src = SOURCE_ADAPTER.validate_python({"id": "bench", "name": "bench", "type": "sitemap",
                                          "url": f"{base}/sitemap.xml"})
    extra = {}
    if workers is not None and "workers" in inspect.signature(run_harvest).parameters:
        extra["workers"] = workers  # (older code had no pool: the argument is left out)
    report = run_harvest(settings, [src], scrapy_overrides=FAST, **extra)
    totals = report.totals()
    return {"added": totals["added"], "updated": totals["updated"],
            "unchanged": totals["unchanged"], "failed": totals["failed"],
            "requests": sum(s.requests for s in report.sources)}


def _runner(target, args, cpus, queue) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    queue.put(target(*args))


# -- measuring ----------------------------------------------------------------------------------
def _descendants(root: int) -> dict[int, int]:
    """{pid: depth below root} of ``root`` and every process under it."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(b")", 1)[1].split()[1])
    depth = {root: 0}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if pid not in depth and ppid in depth:
                depth[pid] = depth[ppid] + 1
                changed = True
    return depth


def _status_kb(pid: int, key: bytes, name: str = "status") -> int:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Measured:
    name: str
    wall: float = 0.0
    cpu: float = 0.0
    result: dict = field(default_factory=dict)
    peaks: dict[int, tuple[int, int]] = field(default_factory=dict)  # pid: (depth, peak kB)
    together_kb: int = 0  # the largest sum of the processes' resident memory at one moment
    # the same with each shared page counted once (proportional set size: forked workers
    # share most of their memory with the process they were forked from)
    together_pss_kb: int = 0
    names: dict[int, str] = field(default_factory=dict)  # pid: the name the portal gave it
    cpu_seen: dict[int, float] = field(default_factory=dict)  # pid: CPU seconds, last seen


def measure(name: str, target, *args, cpus=None) -> Measured:
    m = Measured(name)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_runner, args=(target, args, cpus, queue))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p.start()
    stop = threading.Event()

    def watch():
        while not stop.wait(0.2):
            now = pss = 0
            for pid, depth in _descendants(p.pid).items():
                peak = _status_kb(pid, b"VmHWM:")
                try:
                    with open(f"/proc/{pid}/stat", "rb") as f:
                        ticks = f.read().rsplit(b")", 1)[1].split()[11:13]
                    m.cpu_seen[pid] = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
                except (OSError, ValueError, IndexError):
                    pass
                if pid not in m.names:
                    try:
                        name = Path(f"/proc/{pid}/comm").read_text().strip()
                    except OSError:
                        name = ""
                    if name.startswith("ccp-"):
                        m.names[pid] = name[4:]
                if peak:
                    m.peaks[pid] = (depth, max(peak, m.peaks.get(pid, (0, 0))[1]))
                now += _status_kb(pid, b"VmRSS:")
                pss += _status_kb(pid, b"Pss:", "smaps_rollup")
            m.together_kb = max(m.together_kb, now)
            m.together_pss_kb = max(m.together_pss_kb, pss)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    m.result = queue.get()
    p.join()
    m.wall = time.perf_counter() - t0
    stop.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if p.exitcode:
        raise SystemExit(f"the {name} run failed (exit code {p.exitcode})")
    return m


def memory_line(m: Measured) -> str:
    """Each process by its name (the portal names its harvest, normalising and drain
    processes; the others are the run's own process: "runner")."""
    peaks = sorted((d, m.names.get(pid, "runner"), kb) for pid, (d, kb) in m.peaks.items())
    parts = [f"{name} {kb / 1024:.0f}" for _d, name, kb in peaks]
    cpu = sorted((m.names.get(pid, "runner"), sec) for pid, sec in m.cpu_seen.items())
    cpu_parts = [f"{name} {sec:.1f}" for name, sec in cpu]
    return (f"{m.name}: peak RSS per process (MB) {', '.join(parts)}; "
            f"all together at most {m.together_kb / 1024:.0f} MB "
            f"(shared pages counted once: {m.together_pss_kb / 1024:.0f} MB); CPU seconds "
            f"per process (sampled every 0.2 s) {', '.join(cpu_parts)}")


def ingest_scaling(sizes: tuple[int, ...] = (200, 6000), probes: int = 300) -> None:
    """Ingest cost against the size of a source (a feed whose entries have GUIDs): the
    own-record lookup as run now (UNION ALL of two indexed lookups) and as it was
    (``url=? OR guid=?``), and a whole ingest of a new and of an unchanged entry."""
    from sqlalchemy import or_, select

    from indexer.catalogue import Catalogue
    try:
        from indexer.catalogue.resources import _OWN
    except ImportError:  # the code before the UNION (for a before/after comparison)
        _OWN = None
    from indexer.catalogue.tables import instances_t as it
    from indexer.resource import Instance, Resource, resource_id_for, utcnow

    def entry(n: int) -> Resource:
        url = f"https://feed.example/{n}"
        rnd = random.Random(n)  # unrelated texts: no near-duplicate candidates
        words = " ".join(f"w{rnd.randrange(100_000)}" for _ in range(120))
        return Resource(id=resource_id_for(url), title=f"Entry {n}", url=url, body=words,
                        content_hash=hashlib.sha256(words.encode()).hexdigest(),
                        instances=[Instance(source_id="feed", url=url, guid=f"tag:{n}",
                                            first_seen=utcnow(), last_seen=utcnow())])

    print(f"\n{'instances of the source':<26}{'UNION ms':>10}{'OR ms':>8}"
          f"{'new ms':>8}{'unchanged ms':>14}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            cat = Catalogue(f"sqlite:///{tmp}/c.sqlite3")
            cat.create_all()
            for n in range(size):
                cat.ingest(entry(n))
            with cat.engine.connect() as c:
                t0 = time.process_time()
                for n in range(probes if _OWN is not None else 0):
                    c.execute(_OWN, {"sid": "feed", "url": f"https://feed.example/{n}",
                                     "guid": f"tag:{n}"}).first()
                union = (time.process_time() - t0) / probes
                t0 = time.process_time()
                for n in range(probes):  # the lookup as it was, built per call
                    url = f"https://feed.example/{n}"
                    c.execute(select(it).where(it.c.source_id == "feed",
                                               or_(it.c.url == url, it.c.guid == f"tag:{n}"))
                              .order_by((it.c.url == url).desc())).first()
                ors = (time.process_time() - t0) / probes
            t0 = time.process_time()
            for n in range(size, size + probes):
                cat.ingest(entry(n))
            new = (time.process_time() - t0) / probes
            t0 = time.process_time()
            for n in range(probes):
                cat.ingest(entry(n))
            same = (time.process_time() - t0) / probes
            cat.close()
        print(f"{size:<26}{union * 1000:>10.3f}{ors * 1000:>8.3f}{new * 1000:>8.2f}"
              f"{same * 1000:>14.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=None,
                    help="normalisation processes of the pipeline run (default: the setting's "
                         "default, the number of cores)")
    ap.add_argument("--no-cores", action="store_true",
                    help="skip the one-core / two-core runs")
    ap.add_argument("--no-rerun", action="store_true", help="skip the re-run")
    ap.add_argument("--ingest-scaling", action="store_true",
                    help="only measure ingest against a source's size (200 and 6,000 "
                         "instances)")
    args = ap.parse_args()
    if args.ingest_scaling:
        ingest_scaling()
        return

    site = Site(args.pages)
    srv = site.serve()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    n = args.pages
    print(f"{n} pages of ~{len(page(0)) // 1024} KB on {base}; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    runs: list[Measured] = []
    with tempfile.TemporaryDirectory() as tmp:
        runs.append(measure("bare Scrapy", run_bare, base, n, tmp))
        runs.append(measure("lean chain", run_lean, base, n, tmp))
        first = str(Path(tmp) / "first")
        runs.append(measure("pipeline", run_pipeline, base, n, first, args.workers))
        cores = []
        if not args.no_cores and (os.cpu_count() or 1) >= 2:
            cores.append(measure("pipeline, 1 core", run_pipeline, base, n,
                                 str(Path(tmp) / "one"), 1, cpus={0}))
            cores.append(measure("pipeline, 2 cores", run_pipeline, base, n,
                                 str(Path(tmp) / "two"), 2, cpus={0, 1}))
            runs += cores
        if not args.no_rerun:
            runs.append(measure("re-run (304)", run_pipeline, base, n, first, args.workers))
    srv.shutdown()
    lean = runs[1].cpu
    print(f"\n{'run':<20}{'seconds':>9}{'pages/s':>9}{'CPU ms/page':>13}{'CPU vs lean':>13}")
    for m in runs:
        print(f"{m.name:<20}{m.wall:>9.2f}{n / m.wall:>9.0f}{1000 * m.cpu / n:>13.2f}"
              f"{m.cpu / lean:>13.2f}")
    print()
    for m in runs:
        if m.result:
            print(f"{m.name}: {m.result}")
    if cores:
        print(f"\npages/s on 2 cores / on 1 core: {cores[0].wall / cores[1].wall:.2f}")
    if not args.no_rerun:
        print(f"re-run / first run: wall {runs[-1].wall / runs[2].wall:.3f}, "
              f"CPU {runs[-1].cpu / runs[2].cpu:.3f}")
    print()
    for m in runs:
        print(memory_line(m))
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
