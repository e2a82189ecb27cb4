"""Scale benchmark: N resources in a real catalogue, and the index rebuilt from it.

    .venv/bin/python bench/bench_scale.py --docs 100000 [--keep DIR] [--json FILE]
    flock /tmp/ccp-bench.lock .venv/bin/python bench/bench_scale.py --docs 1000000 --keep DIR

1. Generates N synthetic resources with bench/bench_search.py's generator (the same documents,
   in the same order) one at a time, never holding more than one batch in memory, and writes
   them to a SQLite catalogue in batches of ``--batch`` resources per transaction — the rows
   ``Catalogue.put_resource`` writes (resource, instance, near-duplicate sketch and bands),
   without outbox entries (a catalogue whose outbox was drained). Reports the catalogue's bytes
   per resource (the database file after a WAL checkpoint, and per table where SQLite's
   ``dbstat`` is available).
2. Times the code path of ``ccp index rebuild`` (``indexer.indexing.rebuild``: the embedded
   backend's rebuild, streaming from ``Catalogue.iter_resources``) in a child process, so its
   peak RSS is the build's alone, sampled every half second to show whether memory stays flat.
   Reports docs/s, peak RSS, the index's size on disk (bytes per document, and projected to
   1M documents).

With ``--keep DIR`` the data directory (``DIR/catalogue.sqlite3``, ``DIR/index``) is kept, and
a later run with ``--reuse`` reuses its catalogue (completing it when it holds fewer than N
resources: the generator is deterministic). Vectors are not
part of this benchmark (no embedder runs): the report adds what 384-dimension vectors would
take on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_search import iter_docs
from indexer.resource import Resource

MILLION = 1_000_000
VECTOR_DIM = 384
CATALOGUE_FILE = "catalogue.sqlite3"
INDEX_DIR = "index"


# -- the catalogue ------------------------------------------------------------------------------
def fill_catalogue(url: str, docs: Iterator[Resource], batch: int) -> int:
    """Write ``docs`` to the catalogue at ``url``, ``batch`` resources per transaction, as
    ``Catalogue.put_resource`` writes each (its rows, sketch and bands), without outbox rows."""
    from sqlalchemy import insert

    from indexer import neardup
    from indexer.catalogue import Catalogue
    from indexer.catalogue.dedupe import sketch_values
    from indexer.catalogue.tables import instances_t, resource_bands_t, resources_t
    from indexer.resource import utcnow

    cat = Catalogue(url)
    cat.create_all()
    n = 0
    chunk: list[Resource] = []

    def flush() -> None:
        now = utcnow()
        rows, instances, bands = [], [], []
        for res in chunk:
            sk = neardup.sketch(res.body)
            rows.append(dict(id=res.id, modified_at=now, **cat._row(res, now),
                             **sketch_values(sk)))
            if sk is not None:
                bands += [{"band": b, "key": k, "resource_id": res.id}
                          for b, k in neardup.band_keys(sk.sig)]
            instances += [{"resource_id": res.id, "source_id": i.source_id, "url": i.url,
                           "guid": i.guid, "content_hash": res.content_hash,
                           "first_seen": now, "last_seen": now, "status": i.status,
                           "missed_runs": 0} for i in res.instances]
        with cat.engine.begin() as c:
            c.execute(insert(resources_t), rows)
            c.execute(insert(instances_t), instances)
            if bands:
                c.execute(insert(resource_bands_t), bands)
        chunk.clear()

    for res in docs:
        chunk.append(res)
        n += 1
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    cat.close()
    return n


def catalogue_sizes(path: Path) -> dict:
    """The database file's bytes after a WAL checkpoint, and per table when dbstat exists."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        n = db.execute("SELECT count(*) FROM resources").fetchone()[0]
        tables: dict[str, int] = {}
        try:
            for name, size in db.execute(
                    "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"):
                tables[name] = int(size)
        except sqlite3.OperationalError:  # SQLite built without dbstat
            pass
    finally:
        db.close()
    size = path.stat().st_size
    return {"resources": n, "bytes": size, "bytes_per_resource": round(size / max(1, n)),
            "tables_bytes_per_resource": {k: round(v / max(1, n)) for k, v in tables.items()
                                          if v / max(1, n) >= 5}}


# -- the rebuild, in a child process ------------------------------------------------------------
def build_child(data: Path, heap: int | None, threads: int | None, workers: int | None
                ) -> None:
    """Run in the child: ``ccp index rebuild``'s code path; prints one JSON line."""
    from indexer.backends.embedded import EmbeddedBackend
    from indexer.catalogue import Catalogue
    from indexer.indexing import rebuild

    cat = Catalogue(f"sqlite:///{data / CATALOGUE_FILE}")
    options = {}
    if heap:
        options["rebuild_heap_bytes"] = heap
    if threads:
        options["rebuild_threads"] = threads
    if workers is not None:
        options["rebuild_workers"] = workers
    backend = EmbeddedBackend(data / INDEX_DIR, **options)
    started = time.perf_counter()
    n = rebuild(cat, backend)
    seconds = time.perf_counter() - started
    print(json.dumps({"indexed": n, "seconds": seconds, "count": backend.count(),
                      "heap": backend.rebuild_heap_bytes, "threads": backend.rebuild_threads,
                      "workers": getattr(backend, "rebuild_workers", 0)}))


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kb(pid: int) -> int:
    """RSS of a process and its descendants (the rebuild's worker processes)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _rss_kb(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return total


def time_build(data: Path, heap: int | None, threads: int | None, workers: int | None
               ) -> dict:
    """The rebuild in a child process: its result, peak RSS and RSS samples over time."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-build", str(data)]
    if heap:
        cmd += ["--heap-mb", str(heap // 1_000_000)]
    if threads:
        cmd += ["--threads", str(threads)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    samples: list[tuple[float, int]] = []
    t0 = time.perf_counter()

    def sample() -> None:
        while proc.poll() is None:
            samples.append((time.perf_counter() - t0, _tree_rss_kb(proc.pid)))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"the index rebuild failed (exit {proc.returncode})")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # CPU seconds of the whole build (every thread): what it costs whatever else runs
    result["cpu_ms_per_doc"] = round(cpu * 1000 / max(1, result["indexed"]), 3)
    wall = samples[-1][0] if samples else 1.0
    quarters = {}
    for q in (0.25, 0.5, 0.75, 1.0):  # the highest RSS seen up to each quarter of the build
        seen = [kb for t, kb in samples if t <= q * wall] or [0]
        quarters[f"{int(q * 100)}%"] = round(max(seen) / 1024)
    result["peak_rss_mb"] = round(max((kb for _, kb in samples), default=0) / 1024)
    result["rss_mb_by_quarter"] = quarters
    return result


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def index_sizes(index_dir: Path, n: int) -> dict:
    total = dir_bytes(index_dir)
    by_kind: dict[str, int] = {}
    for f in index_dir.rglob("*"):
        if f.is_file():
            kind = f.suffix.lstrip(".") or f.name
            by_kind[kind] = by_kind.get(kind, 0) + f.stat().st_size
    per_doc = total / max(1, n)
    return {
        "bytes": total, "bytes_per_doc": round(per_doc),
        "at_1M_gb": round(per_doc * MILLION / 1e9, 2),
        "bytes_per_doc_by_file": {k: round(v / max(1, n)) for k, v in
                                  sorted(by_kind.items(), key=lambda kv: -kv[1])
                                  if v / max(1, n) >= 1},
        # float32 rows + the approximate index's half-precision copy (vectors.ANN_DTYPE)
        "vectors_at_1M_gb": round(MILLION * VECTOR_DIM * (4 + 2) / 1e9, 2),
    }


# -- the run --------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    data = args.keep or Path(tempfile.mkdtemp(prefix="ccp-scale-"))
    data.mkdir(parents=True, exist_ok=True)
    db_path = data / CATALOGUE_FILE
    report: dict = {"docs": args.docs}
    try:
        have = catalogue_sizes(db_path)["resources"] if args.reuse and db_path.exists() else 0
        if have > args.docs or not args.reuse:
            have = 0
            for extra in ("", "-wal", "-shm"):
                Path(str(db_path) + extra).unlink(missing_ok=True)
        if have < args.docs:  # with --reuse, a catalogue of fewer resources is completed
            started = time.perf_counter()
            fill_catalogue(f"sqlite:///{db_path}",
                           islice(iter_docs(args.docs), have, None), args.batch)
            seconds = time.perf_counter() - started
            report["catalogue_fill"] = {"seconds": round(seconds, 1), "from": have,
                                        "resources_per_s": round((args.docs - have) / seconds)}
        report["catalogue"] = catalogue_sizes(db_path)
        if args.fill_only:
            return report
        shutil.rmtree(data / INDEX_DIR, ignore_errors=True)
        heap = args.heap_mb * 1_000_000 if args.heap_mb else None
        build = time_build(data, heap, args.threads, args.workers)
        build["docs_per_s"] = round(build["indexed"] / build["seconds"])
        build["seconds"] = round(build["seconds"], 1)
        report["build"] = build
        report["index"] = index_sizes(data / INDEX_DIR, build["count"])
    finally:
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
    return report


def print_report(r: dict) -> None:
    cat = r["catalogue"]
    print(f"documents: {r['docs']:,}")
    if "catalogue_fill" in r:
        f = r["catalogue_fill"]
        print(f"catalogue fill: {f['seconds']} s ({f['resources_per_s']:,} resources/s)")
    print(f"catalogue: {cat['bytes'] / 1e6:,.0f} MB, {cat['bytes_per_resource']:,} bytes a "
          f"resource {cat['tables_bytes_per_resource']}")
    if "build" not in r:
        return
    build, idx = r["build"], r["index"]
    print(f"index rebuild: {build['indexed']:,} documents in {build['seconds']} s = "
          f"{build['docs_per_s']:,} docs/s (heap {build['heap'] // 1_000_000} MB, "
          f"{build['threads']} threads, {build['workers']} analysing processes; "
          f"{build['cpu_ms_per_doc']} ms CPU a document); peak RSS {build['peak_rss_mb']} MB, by quarter "
          f"{build['rss_mb_by_quarter']}")
    print(f"index: {idx['bytes'] / 1e6:,.0f} MB = {idx['bytes_per_doc']:,} bytes a document "
          f"-> {idx['at_1M_gb']} GB at 1M {idx['bytes_per_doc_by_file']}")
    print(f"vectors (not built here): 384-d float32 + half-precision ANN copy = "
          f"{idx['vectors_at_1M_gb']} GB at 1M")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=20_000, help="resources (default 20000)")
    ap.add_argument("--batch", type=int, default=2_000,
                    help="resources per catalogue transaction (default 2000)")
    ap.add_argument("--keep", type=Path, help="keep the catalogue and the index in this directory")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: reuse the catalogue there (completed up to --docs)")
    ap.add_argument("--fill-only", action="store_true",
                    help="only fill the catalogue (build later with --keep DIR --reuse)")
    ap.add_argument("--heap-mb", type=int, help="the rebuild writer's heap (default: backend's)")
    ap.add_argument("--threads", type=int, help="the rebuild writer's threads (default: backend's)")
    ap.add_argument("--workers", type=int,
                    help="processes analysing documents during the rebuild (default: backend's)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--child-build", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_build:
        build_child(args.child_build, args.heap_mb * 1_000_000 if args.heap_mb else None,
                    args.threads, args.workers)
        return 0
    report = run(args)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
