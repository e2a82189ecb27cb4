"""Near-duplicate layer: what it costs against the exact layers, measured in one run.

    .venv/bin/python bench/bench_neardup.py [--docs 3000] [--queries 500] [--database-url URL]

Generates ``--docs`` synthetic articles (250–550 words from a Zipf-distributed vocabulary of
20,000 words) and, for ``--queries`` of them, a republished copy (new first sentence, a
"first published by" line, another site's footer) and an unrelated new article. Then:

- **hashing**: ``content_hash`` (the exact layer's hash, the baseline) against
  ``neardup.signature`` per document;
- **lookup** in a catalogue holding every article: the exact-hash query (baseline) against
  the near-duplicate lookup (band keys → candidates → signatures compared), for copies
  (found) and for new articles (nothing found);
- **ingest**: ``Catalogue.ingest`` of every article into an empty catalogue with the
  near-duplicate layer switched off (the baseline: no signatures, so no band rows and no
  lookups), then again from empty with it;
- **quality**: copies merged into their original, new articles merged into anything.

SQLite in a temporary directory by default; ``--database-url`` runs the ingests and lookups
in another database (PostgreSQL: an empty database you can throw away — the script empties
its tables between the two ingests).
Compare the ratios of one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, select  # noqa: E402

from indexer import neardup  # noqa: E402
from indexer.catalogue import (  # noqa: E402
    Catalogue,
    _near_duplicate,  # the lookup itself, without loading the resource found
    instances_t,
    outbox_t,
    resource_bands_t,
    resources_t,
)
from indexer.normalise import content_hash  # noqa: E402
from indexer.resource import Instance, Resource, resource_id_for  # noqa: E402

SYLLABLES = "ka lo mi ne ru sa ti vo ber cir cul dam eco fin gro hal in jur".split()


def vocabulary(n: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def make_articles(n: int, seed: int = 7) -> tuple[list[str], random.Random]:
    rng = random.Random(seed)
    vocab = vocabulary(20_000, rng)
    weights = [1 / (r + 1) for r in range(len(vocab))]
    out = []
    for _ in range(n):
        words = rng.choices(vocab, weights, k=rng.randint(250, 550))
        sents, i = [], 0
        while i < len(words):
            k = rng.randint(8, 20)
            sents.append(" ".join(words[i:i + k]).capitalize() + ".")
            i += k
        out.append("\n\n".join(" ".join(sents[j:j + 5]) for j in range(0, len(sents), 5)))
    return out, rng


def republish(text: str) -> str:
    first, rest = text.split(". ", 1)
    return ("First published by the network on 3 March 2026.\n\n"
            "Cities rethink how they buy, use and recover materials. " + rest +
            "\n\nBack to the news overview. Follow us on social media. Cookie settings.")


def resource(source: str, url: str, body: str) -> Resource:
    return Resource(id=resource_id_for(url), title=url, url=url, body=body, summary="",
                    content_hash=content_hash(body), instances=[Instance(source, url)])


def per_doc_us(fn, items) -> float:
    t = time.perf_counter()
    for x in items:
        fn(x)
    return (time.perf_counter() - t) / len(items) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--database-url", help="default: SQLite in a temporary directory")
    args = ap.parse_args()

    articles, rng = make_articles(args.docs + args.queries)
    originals, fresh = articles[:args.docs], articles[args.docs:]
    picked = rng.sample(range(args.docs), args.queries)
    copies = [republish(originals[i]) for i in picked]
    words = statistics.mean(len(neardup.words(a)) for a in originals[:200])
    print(f"{args.docs} articles ({words:.0f} words on average), {args.queries} republished "
          f"copies, {args.queries} new articles")
    truth = [neardup.jaccard(originals[i], c) for i, c in zip(picked[:200], copies)]
    print(f"true Jaccard of copy vs original: median {statistics.median(truth):.2f}, "
          f"min {min(truth):.2f}")

    # -- hashing ---------------------------------------------------------------------------
    sample = originals[:1000]
    per_doc_us(content_hash, sample[:50])  # warm up
    per_doc_us(neardup.signature, sample[:50])
    h_us = per_doc_us(content_hash, sample)
    s_us = per_doc_us(neardup.signature, sample)
    print(f"\n{'per document':<40}{'µs':>9}{'vs baseline':>13}")
    print(f"{'content_hash (baseline)':<40}{h_us:>9.0f}{1.0:>13.2f}")
    print(f"{'neardup.signature':<40}{s_us:>9.0f}{s_us / h_us:>13.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"

        # -- ingest: the baseline first (no signatures), then again from empty -------------
        def ingest_all(cat: Catalogue) -> float:
            t = time.perf_counter()
            for n, body in enumerate(originals):
                cat.ingest(resource(f"s{n % 50}", f"https://site{n % 50}.example/a/{n}", body))
            return (time.perf_counter() - t) / len(originals) * 1e3

        cat = Catalogue(url)
        cat.create_all()
        if cat.resource_count():
            raise SystemExit(f"{url} holds resources already: give an empty database")
        # the layer off: neither signatures nor sketches (ingest asks for both)
        with mock.patch.object(neardup, "signature", lambda text: None), \
                mock.patch.object(neardup, "sketch", lambda text: None):
            exact_ms = ingest_all(cat)
        with cat.engine.begin() as c:
            for table in (resource_bands_t, instances_t, outbox_t, resources_t):
                c.execute(delete(table))
        near_ms = ingest_all(cat)

        # -- lookup --------------------------------------------------------------------------
        copy_sigs = [neardup.signature(c) for c in copies]
        fresh_sigs = [neardup.signature(c) for c in fresh]
        copy_hashes = [content_hash(originals[i]) for i in picked]  # found by the exact query
        fresh_hashes = [content_hash(c) for c in fresh]
        stmt = select(resources_t.c.id)

        with cat.engine.connect() as c:
            def exact(h):
                return c.execute(stmt.where(resources_t.c.content_hash == h)).first()

            def near(sig):
                return _near_duplicate(c, sig, "bench")

            for fn, items in ((exact, copy_hashes[:20]), (near, copy_sigs[:20])):
                per_doc_us(fn, items)  # warm up
            ex_hit = per_doc_us(exact, copy_hashes)
            ex_miss = per_doc_us(exact, fresh_hashes)
            nd_hit = per_doc_us(near, copy_sigs)
            nd_miss = per_doc_us(near, fresh_sigs)
            found = [near(s) for s in copy_sigs]
            false = [near(s) for s in fresh_sigs]
        ids = [resource_id_for(f"https://site{i % 50}.example/a/{i}") for i in picked]
        merged_right = sum(1 for f, rid in zip(found, ids) if f and f[0] == rid)
        merged_wrong = sum(1 for f, rid in zip(found, ids) if f and f[0] != rid)
        cat.close()

    print(f"\n{'lookup in ' + str(args.docs) + ' resources':<40}{'µs':>9}{'vs baseline':>13}")
    print(f"{'exact hash, found (baseline)':<40}{ex_hit:>9.0f}{1.0:>13.2f}")
    print(f"{'exact hash, not found':<40}{ex_miss:>9.0f}{ex_miss / ex_hit:>13.2f}")
    print(f"{'near-duplicate, found':<40}{nd_hit:>9.0f}{nd_hit / ex_hit:>13.2f}")
    print(f"{'near-duplicate, not found':<40}{nd_miss:>9.0f}{nd_miss / ex_hit:>13.2f}")
    print(f"\n{'ingest of a new article':<40}{'ms':>9}{'vs baseline':>13}")
    print(f"{'exact layers only (baseline)':<40}{exact_ms:>9.2f}{1.0:>13.2f}")
    print(f"{'with the near-duplicate layer':<40}{near_ms:>9.2f}{near_ms / exact_ms:>13.2f}")
    print(f"\ncopies merged into their original: {merged_right}/{len(copies)} "
          f"(into another: {merged_wrong}); new articles merged into anything: "
          f"{sum(1 for f in false if f)}/{len(fresh)}")


if __name__ == "__main__":
    main()
