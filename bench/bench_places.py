"""Places in the text: precision and recall on labelled multilingual texts, and speed.

    .venv/bin/python bench/bench_places.py [--split tune|heldout|all] [--show-errors] [--pages 40]

Quality: the labelled texts of bench/data/places/*.yaml (news snippets, page titles with menu
and footer noise, report abstracts; Prato/prato, Nice/nice, Bath, Reading, Split, Essen, Łódź,
Most, Granada...). A predicted place is right when one of the text's labels is one of its names
in the gazetteer; a label that no predicted place carries is a miss. Precision, recall and F1
per language and overall, for the TUNE and the HELD-OUT part separately (the split is written in
the data files). The same figures for a **baseline** in the same run: the same gazetteer and
tokens, every capitalised name taken, the most populous place for it, no inflections, no
frequent-word rule — what the disambiguation buys.

Speed: `find_places` over pages of about 25 KB made of the texts of one language (title plus
body), in µs per page, against a plain tokenisation of the same page (`TOKEN.findall`, the floor
of any matcher); the gazetteer's load time and the resident memory it adds (measured in a fresh
process).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer import places  # noqa: E402
from indexer.places_text import TOKEN, fold  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "places"


def load_texts() -> list[dict]:
    texts = []
    for path in sorted(DATA.glob("*.yaml")):
        texts.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["texts"])
    for text in texts:
        number = int(text["id"].split("-")[1])
        text["split"] = "heldout" if number % 3 == 0 else "tune"
    return texts


def names_of(place_index: int, g) -> set[str]:
    if not hasattr(g, "_names_by_place"):
        by_place = defaultdict(set)
        for key, entries in g.names.items():
            for index, _primary in entries:
                by_place[index].add(key)
        g._names_by_place = by_place
    return g._names_by_place[place_index]


def baseline(title: str, text: str, language: str | None) -> list[places.PlaceMention]:
    """Every capitalised gazetteer name, the most populous place of that name."""
    g = places.gazetteer()
    found = []
    for part in (title, text):
        tokens = list(TOKEN.finditer(part))
        i = 0
        while i < len(tokens):
            word = tokens[i].group()
            matched = places._match_at(tokens, i, part, places._fold(word), g, 1) \
                if word[0].isupper() else None
            if matched:
                key, length = matched
                index = max(g.names[key], key=lambda e: g.population[e[0]])[0]
                if g.places[index] not in found:
                    found.append(g.places[index])
                i += length
            else:
                i += 1
    return found


def score(texts: list[dict], recognise, show_errors: bool) -> dict[str, list[int]]:
    g = places.gazetteer()
    index_of = {place: i for i, place in enumerate(g.places)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for text in texts:
        gold = {fold(label) for label in text["places"]}
        predicted = recognise(text["title"], text["text"], text["lang"])
        matched_gold = set()
        tp = fp = 0
        wrong = []
        for place in predicted:
            hit = names_of(index_of[place], g) & gold
            if hit:
                tp += 1
                matched_gold |= hit
            else:
                fp += 1
                wrong.append(place.name)
        fn = len(gold - matched_gold)
        for key in (text["lang"], "all"):
            c = counts[key]
            c[0] += tp
            c[1] += fp
            c[2] += fn
        if show_errors and (wrong or fn):
            missed = sorted(gold - matched_gold)
            print(f"  {text['id']}: wrong {wrong} missed {missed}")
    return counts


def prf(c: list[int]) -> tuple[float, float, float]:
    tp, fp, fn = c
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def report_quality(texts, split: str, show_errors: bool) -> None:
    chosen = [t for t in texts if split == "all" or t["split"] == split]
    print(f"\n{split.upper()}: {len(chosen)} texts")
    ours = score(chosen, places.find_places, show_errors)
    base = score(chosen, baseline, False)
    print(f"  {'lang':5} {'texts':>5}  {'P':>5} {'R':>5} {'F1':>5}   baseline P/R/F1")
    languages = sorted({t["lang"] for t in chosen})
    for lang in [*languages, "all"]:
        n = len(chosen) if lang == "all" else sum(t["lang"] == lang for t in chosen)
        p, r, f = prf(ours[lang])
        bp, br, bf = prf(base[lang])
        print(f"  {lang:5} {n:5d}  {p:5.2f} {r:5.2f} {f:5.2f}   {bp:4.2f}/{br:4.2f}/{bf:4.2f}"
              f"   (tp {ours[lang][0]}, fp {ours[lang][1]}, fn {ours[lang][2]})")


def pages(texts: list[dict], size: int = 25_000) -> list[tuple[str, str, str]]:
    by_language = defaultdict(list)
    for text in texts:
        by_language[text["lang"]].append(f"{text['title']}\n{text['text']}\n")
    result = []
    for lang, parts in sorted(by_language.items()):
        body = ""
        while len(body) < size:
            body += "".join(parts)
        result.append((lang, parts[0].split("\n")[0], body[:size]))
    return result


def report_speed(texts, repeat: int) -> None:
    places.gazetteer()
    sample = pages(texts)
    ours, floor = [], []
    for _ in range(repeat):
        for lang, title, body in sample:
            start = time.perf_counter()
            TOKEN.findall(body)
            floor.append(time.perf_counter() - start)
            start = time.perf_counter()
            places.find_places(title, body, lang)
            ours.append(time.perf_counter() - start)
    o, f = statistics.median(ours) * 1e6, statistics.median(floor) * 1e6
    print(f"\nSPEED: {len(sample)} pages of 25 KB (one per language, the labelled texts "
          f"repeated: a name every few words, the worst case) x {repeat}")
    print(f"  find_places  median {o:8.0f} µs/page (best {min(ours) * 1e6:.0f})")
    print(f"  tokens only  median {f:8.0f} µs/page (best {min(floor) * 1e6:.0f})   "
          f"ratio {o / f:.1f}x (best/best {min(ours) / min(floor):.1f}x)")
    prose = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")[:25_000]
    ours, floor = [], []
    for _ in range(repeat * 5):
        start = time.perf_counter()
        TOKEN.findall(prose)
        floor.append(time.perf_counter() - start)
        start = time.perf_counter()
        places.find_places("Circular City Portal", prose, "en")
        ours.append(time.perf_counter() - start)
    o, f = statistics.median(ours) * 1e6, statistics.median(floor) * 1e6
    print(f"  the repo's README.md (25 KB of English prose): find_places median {o:.0f} µs/page "
          f"(best {min(ours) * 1e6:.0f}), tokens only {f:.0f} µs (best {min(floor) * 1e6:.0f}), "
          f"ratio {o / f:.1f}x (best/best {min(ours) / min(floor):.1f}x)")
    # VmRSS, not ru_maxrss: a child inherits its parent's peak across fork and exec on Linux.
    probe = ("import re,time\n"
             "rss=lambda: int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read())[1])\n"
             "r=rss();t=time.perf_counter()\nfrom indexer import places\nplaces.gazetteer()\n"
             "print(time.perf_counter()-t, rss()-r)")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=root, env={"PYTHONPATH": str(root)}).stdout.split()
    print(f"  gazetteer    load {float(out[0]) * 1000:.0f} ms, +{int(out[1]) / 1024:.0f} MB RSS "
          f"(fresh process); this process max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def restrict_population(minimum: int) -> None:
    """Use the gazetteer without the cities under `minimum` inhabitants (to choose the threshold)."""
    import gzip
    import json
    with gzip.open(places.GAZETTEER, "rt", encoding="utf-8") as f:
        data = json.load(f)
    small = {i for i, p in enumerate(data["places"]) if p[1] == "city" and (p[4] or 0) < minimum}
    names = []
    for line in data["names"]:
        key, shown, entries = line.split("\t")
        kept = [e for e in entries.split(",") if int(e.split(":")[0]) not in small]
        if kept:
            names.append("\t".join([key, shown, ",".join(kept)]))
    data["names"] = names
    places._gazetteer = places.Gazetteer(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tune", "heldout", "all", "both"], default="both")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-population", type=int, default=0,
                        help="leave out the gazetteer's cities under this many inhabitants")
    args = parser.parse_args(argv)
    texts = load_texts()
    if args.min_population:
        restrict_population(args.min_population)
    for split in (["tune", "heldout"] if args.split == "both" else [args.split]):
        report_quality(texts, split, args.show_errors)
    report_speed(texts, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
