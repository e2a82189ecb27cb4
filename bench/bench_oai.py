"""The OAI-PMH provider's list pages at scale: the last page costs what the first costs.

Fills a catalogue with N synthetic resources (one datestamp a second, a theme out of six, one
instance each; a slice of them deleted), then times the provider's page query
(``Catalogue.oai_headers``, the keyset cursor on ``resources.modified_at``) at the start and at
the end of the list, whole and within a theme set, beside what an OFFSET pager would cost at
the same depth. Ratios, never absolute thresholds:

    python -m bench.bench_oai --n 100000

Reports JSON: seconds per page (median of ``--repeat``), and deep/first ratios for the keyset
and the OFFSET pager.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select

from indexer.catalogue import Catalogue, OaiFilter
from indexer.catalogue.tables import deleted_resources_t, instances_t, resources_t

THEMES = ("waste", "food-waste", "water", "construction", "textiles", "plastics")
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def fill(cat: Catalogue, n: int, batch: int = 5000) -> None:
    for lo in range(0, n, batch):
        rows, insts, gone = [], [], []
        for k in range(lo, min(n, lo + batch)):
            rid = f"{k:020x}"
            stamp = START + timedelta(seconds=k)
            rows.append(dict(id=rid, title=f"Resource {k}", url=f"https://x.example/{k}",
                             summary="", body="", authors=[], type="report",
                             themes=[THEMES[k % len(THEMES)]], places=[], format="html",
                             content_hash=rid, modified_at=stamp, harvested_at=stamp))
            insts.append(dict(resource_id=rid, source_id="s", url=f"https://x.example/{k}",
                              status="gone" if k % 50 == 0 else "live", missed_runs=0))
            if k % 100 == 0:
                gone.append(dict(id=f"d{k:019x}", deleted_at=stamp))
        with cat.engine.begin() as c:
            c.execute(insert(resources_t), rows)
            c.execute(insert(instances_t), insts)
            c.execute(insert(deleted_resources_t), gone)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def offset_page(cat: Catalogue, offset: int, size: int) -> list:
    r = resources_t.c
    with cat.engine.connect() as c:
        return c.execute(select(r.id, r.modified_at).order_by(r.modified_at, r.id)
                         .offset(offset).limit(size)).all()


def run(n: int, size: int, repeat: int, url: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cat = Catalogue(url or f"sqlite:///{Path(tmp) / 'oai.sqlite3'}")
        cat.create_all()
        t = time.perf_counter()
        fill(cat, n)
        filled = time.perf_counter() - t
        deep_at = START + timedelta(seconds=n - 2 * size)
        deep = (deep_at, f"{n - 2 * size:020x}")
        out: dict = {"resources": n, "page": size, "fill_s": round(filled, 1)}
        for name, flt in (("all", OaiFilter()), ("theme", OaiFilter(set_kind="theme",
                                                                       set_key="water"))):
            first = timed(lambda f=flt: cat.oai_headers(f, None, size), repeat)
            last = timed(lambda f=flt: cat.oai_headers(f, deep, size), repeat)
            out[name] = {"first_s": round(first, 5), "deep_s": round(last, 5),
                         "deep_over_first": round(last / first, 2)}
        first = timed(lambda: offset_page(cat, 0, size), repeat)
        last = timed(lambda: offset_page(cat, n - 2 * size, size), repeat)
        out["offset_pager"] = {"first_s": round(first, 5), "deep_s": round(last, 5),
                               "deep_over_first": round(last / first, 2)}
        out["count_s"] = round(timed(lambda: cat.oai_count(OaiFilter()), 1), 4)
        cat.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="resources in the catalogue")
    ap.add_argument("--page", type=int, default=100, help="records per page")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--database-url", help="a catalogue URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    print(json.dumps(run(args.n, args.page, args.repeat, args.database_url), indent=2))


if __name__ == "__main__":
    main()
