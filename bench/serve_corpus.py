"""The data directory bench_serve.py serves: an embedded index of N synthetic documents (the
generator of bench_search.py, streamed so that a million documents need no more memory than a
thousand) and a catalogue naming their 40 sources, laid out as ``ccp --data-dir`` expects.

    .venv/bin/python bench/serve_corpus.py --docs 100000 --data-dir /tmp/ccp-serve-100k
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_search import SOURCES, TYPES, build_vocabularies, iter_docs  # noqa: E402

MARK = "bench-serve.json"  # what was built, beside the index


def request_paths(n: int, seed: int = 11) -> dict[str, list[str]]:
    """Query strings a visitor sends (after bench_search.make_queries): common, medium and rare
    words, two words, OR, a filtered search, the landing page; the same list for every server."""
    rng = random.Random(seed)
    vocab = build_vocabularies(random.Random(7))
    langs = list(vocab)
    out = []
    for i in range(n):
        lang = langs[i % len(langs)]
        words = vocab[lang]
        kind = i % 6
        if kind == 0:
            qs = "q=" + quote(rng.choice(words[:20]))
        elif kind == 1:
            qs = "q=" + quote(rng.choice(words[100:2000]))
        elif kind == 2:
            qs = "q=" + quote(f"{rng.choice(words[:50])} {rng.choice(words[:300])}")
        elif kind == 3:
            qs = "q=" + quote(f"{rng.choice(words[50:500])} OR {rng.choice(words[50:500])}")
        elif kind == 4:
            a, b = rng.sample(TYPES, 2)
            qs = f"q={quote(rng.choice(words[:200]))}&language={lang}&type={a}&type={b}"
        else:
            qs = f"page={1 + i % 3}"
        out.append(qs)
    return {"queries": out}


def write_sources(data_dir: Path) -> Path:
    """One feed source file per synthetic source id, so the catalogue names them."""
    folder = data_dir / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    for sid in SOURCES:
        (folder / f"{sid}.yaml").write_text(
            f"id: {sid}\ntype: feed\nname: Synthetic source {sid[-2:]}\n"
            f"url: https://example.org/{sid}/feed.xml\n", encoding="utf-8")
    return folder


def build(data_dir: Path, n_docs: int) -> float:
    """Build DATA_DIR/index and DATA_DIR/catalogue.sqlite3; the seconds the index took."""
    from config import Settings, load_sources
    from indexer.backends.embedded import EmbeddedBackend
    from indexer.catalogue import Catalogue

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(data_dir=str(data_dir), sources=str(write_sources(data_dir)))
    cat = Catalogue(settings.catalogue_url)
    cat.create_all()
    cat.sync_sources(load_sources(settings.sources))
    cat.close()
    backend = EmbeddedBackend(settings.index_dir)
    t = time.perf_counter()
    count = backend.rebuild(iter_docs(n_docs))
    took = time.perf_counter() - t
    backend.close()
    (data_dir / MARK).write_text(json.dumps({"docs": count, "build_s": round(took, 1)}))
    return took


def built_docs(data_dir: Path) -> int | None:
    """How many documents the data dir's index holds, if this script built it."""
    try:
        return int(json.loads((data_dir / MARK).read_text())["docs"])
    except (OSError, ValueError, KeyError):
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--data-dir", type=Path, required=True)
    args = ap.parse_args(argv)
    took = build(args.data_dir, args.docs)
    print(f"indexed {args.docs} documents into {args.data_dir / 'index'} in {took:.1f} s "
          f"({args.docs / took:.0f} docs/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
