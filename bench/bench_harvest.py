"""Harvest throughput: the whole pipeline against plain Scrapy fetching, in one run.

    .venv/bin/python bench/bench_harvest.py [--pages 1000]

A local server on 127.0.0.1 serves a sitemap of ``--pages`` generated article pages (~25 KB
each, with navigation and footer boilerplate, in six languages). Two crawls of the same
URLs run one after the other in this command:

- **baseline**: a bare Scrapy spider that fetches every page and does nothing with it;
- **pipeline**: ``run_harvest()`` — robots.txt, conditional-GET bookkeeping, extraction,
  metadata, language id, classification, dedupe, the catalogue and the index drain;
- **re-run**: the pipeline again, where every page answers 304.

It prints pages/s, the pipeline/baseline time ratio and the child process's peak memory.
Numbers vary with the machine's load: compare the ratios printed by one run.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = {
    "en": "circular economy city waste reuse repair materials procurement strategy citizens "
          "buildings textiles food sharing municipal partners roadmap".split(),
    "nl": "circulaire economie gemeente afval hergebruik reparatie grondstoffen inkoop "
          "strategie bewoners gebouwen textiel voedsel delen".split(),
    "fr": "économie circulaire ville déchets réemploi réparation matériaux achats stratégie "
          "habitants bâtiments textile alimentaire partage".split(),
    "de": "Kreislaufwirtschaft Stadt Abfall Wiederverwendung Reparatur Materialien Beschaffung "
          "Strategie Bürger Gebäude Textilien Lebensmittel teilen".split(),
    "it": "economia circolare città rifiuti riuso riparazione materiali acquisti strategia "
          "cittadini edifici tessile alimentare condivisione".split(),
    "pt": "economia circular cidade resíduos reutilização reparação materiais compras "
          "estratégia cidadãos edifícios têxteis alimentar partilha".split(),
}
BOILER = "".join(f"<li><a href='/section/{i}'>Menu item {i}</a></li>" for i in range(60))


def page(i: int) -> bytes:
    rnd = random.Random(i)
    lang = list(WORDS)[i % len(WORDS)]
    words = WORDS[lang]
    paras = "".join(
        "<p>" + " ".join(rnd.choice(words) for _ in range(90)) + ".</p>" for _ in range(12))
    html = (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>Article {i}</title><meta property='og:title' content='Article {i} "
            f"{words[0]}'><meta property='article:published_time' content='2025-0{1 + i % 9}"
            f"-1{i % 9}T10:00:00Z'></head><body><header><nav><ul>{BOILER}</ul></nav></header>"
            f"<main><article><h1>Article {i}</h1>{paras}</article></main>"
            f"<footer><ul>{BOILER}</ul><p>Cookie notice and address</p></footer></body></html>")
    return html.encode("utf-8")


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
                    return self._send(200, body, "application/xml")
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
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv


FAST = {"DOWNLOAD_DELAY": 0.0, "DOWNLOAD_DELAY_JITTER": 0, "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "CONCURRENT_REQUESTS": 16, "LOG_LEVEL": "WARNING"}


def _baseline_child(base: str, pages: int) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):
            for i in range(pages):
                yield scrapy.Request(f"{base}/a/{i}", callback=self.parse)

        def parse(self, response):
            return None

    proc = CrawlerProcess({**FAST, "ROBOTSTXT_OBEY": True, "LOG_ENABLED": False})
    proc.crawl(Bare)
    proc.start()


def timed_child(target, *args) -> tuple[float, float]:
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=target, args=args)
    t0 = time.perf_counter()
    p.start()
    p.join()
    return time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    args = ap.parse_args()

    from config import Settings
    from config.models import SOURCE_ADAPTER
    from harvesters.run import run_harvest

    site = Site(args.pages)
    srv = site.serve()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    print(f"{args.pages} pages of ~{len(page(0)) // 1024} KB on {base}")

    base_s, _ = timed_child(_baseline_child, base, args.pages)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(environ={}, data_dir=tmp, sources=tmp,
                                     allowed_private_addresses="127.0.0.1/32")
        src = SOURCE_ADAPTER.validate_python({"id": "bench", "name": "bench", "type": "sitemap",
                                              "url": f"{base}/sitemap.xml"})
        t0 = time.perf_counter()
        report = run_harvest(settings, [src], scrapy_overrides=FAST)
        pipe_s = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        added = report.totals()["added"]
        t0 = time.perf_counter()
        again = run_harvest(settings, [src], scrapy_overrides=FAST)
        rerun_s = time.perf_counter() - t0
    srv.shutdown()
    print(f"{'run':<22}{'seconds':>9}{'pages/s':>10}{'vs baseline':>13}")
    print(f"{'baseline (bare Scrapy)':<22}{base_s:>9.2f}{args.pages / base_s:>10.0f}{1.0:>13.2f}")
    print(f"{'pipeline':<22}{pipe_s:>9.2f}{args.pages / pipe_s:>10.0f}{pipe_s / base_s:>13.2f}")
    print(f"{'re-run (all 304)':<22}{rerun_s:>9.2f}{args.pages / rerun_s:>10.0f}"
          f"{rerun_s / base_s:>13.2f}")
    print(f"stored {added} resources; re-run unchanged {again.totals()['unchanged']}; "
          f"peak RSS of a child process {peak:.0f} MB")


if __name__ == "__main__":
    main()
