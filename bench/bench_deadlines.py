"""Deadline and event-date extraction: precision, recall and speed on labelled multilingual texts.

    .venv/bin/python bench/bench_deadlines.py [--split tune|heldout|heldout2|heldout3|heldout4|heldout5|all] [--repeat R] [--show]

Data: ``bench/data/deadlines/{tune,heldout,heldout2,heldout3,heldout4,heldout5}.yaml`` (see the README there): snippets of
calls, event pages, news and reports in 14 languages with the deadline and event days a reader
would give them. ``tune`` was used while writing the rules; ``heldout`` was fixed before any
result was seen and measured once before generic fixes (see bench/README.md); ``heldout2`` was
written after that and before the fixed code ran on it; ``heldout3`` and ``heldout4`` likewise,
each after the fixes the previous part led to; ``heldout5`` was written blind (by someone who had
not read the rules) after the final code and measured once (see bench/README.md).

Each item goes through :func:`indexer.deadlines.find_dates` with its title, text, language,
resource type and publication date (no structured data: the text is what is measured). A
deadline counts as right when its day in Europe/Brussels equals the labelled day; an event
when both its start and end days do (a start with a time and no end counts as ending that day). Precision = right / found, recall = right / labelled,
per language and overall, each split apart. Speed: µs per page, the best of ``--repeat``
passes over all items on one core (a shared machine: compare runs of the same day only).
The same run times :func:`indexer.dates.find_date` (the first date of the same text) as a
reference: compare the ratio, not the absolute figures, across runs. ``--show`` prints every
wrong or missed item.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.dates import find_date  # noqa: E402
from indexer.deadlines import find_dates  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "deadlines"
BRUSSELS = ZoneInfo("Europe/Brussels")


def load(split: str) -> list[dict]:
    return yaml.safe_load((DATA / f"{split}.yaml").read_text(encoding="utf-8"))


def _published(item: dict) -> datetime | None:
    p = item.get("published")
    if p is None:
        return None
    if isinstance(p, datetime):
        return p if p.tzinfo else p.replace(tzinfo=timezone.utc)
    return datetime(p.year, p.month, p.day, 9, 0, tzinfo=timezone.utc)


def _day(dt: datetime | None) -> date | None:
    return dt.astimezone(BRUSSELS).date() if dt else None


def run(items: list[dict]):
    return [find_dates(i["title"], i["text"], i["lang"], resource_type=i.get("type"), structured=None,
                       published=_published(i)) for i in items]


class Tally:
    def __init__(self):
        self.found = self.labelled = self.right = 0

    def add(self, got, truth):
        self.found += got is not None
        self.labelled += truth is not None
        self.right += got is not None and got == truth

    def p(self):
        return self.right / self.found if self.found else float("nan")

    def r(self):
        return self.right / self.labelled if self.labelled else float("nan")


def score(items: list[dict], results, show: bool) -> dict[str, dict[str, Tally]]:
    tallies: dict[str, dict[str, Tally]] = defaultdict(lambda: {"deadline": Tally(), "event": Tally()})
    for item, facts in zip(items, results):
        got_d, truth_d = _day(facts.deadline), item.get("deadline")
        # an event with a start time and no end time ends that day (find_dates leaves its end
        # unknown rather than invent a time)
        got_e = (_day(facts.event_start), _day(facts.event_end or facts.event_start)) if facts.event_start else None
        truth_e = (item["event_start"], item.get("event_end") or item["event_start"]) if item.get("event_start") else None
        for lang in (item["lang"], "all"):
            tallies[lang]["deadline"].add(got_d, truth_d)
            tallies[lang]["event"].add(got_e, truth_e)
        if show and (got_d != truth_d or got_e != truth_e):
            print(f"  {item['id']}: deadline {got_d} (truth {truth_d}); event {got_e} (truth {truth_e})")
    return tallies


def _reference(items: list[dict]) -> None:
    """What the portal already did with a page's text: its first date (indexer.dates)."""
    for i in items:
        find_date(f"{i['title']}\n{i['text']}", i["lang"])


def speed(items: list[dict], repeat: int, fn=run) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(items)
        best = min(best, time.perf_counter() - t0)
    return best / len(items) * 1e6


def report(split: str, items: list[dict], tallies, us: float, ref: float) -> None:
    print(f"\n{split}: {len(items)} texts, {us:.0f} µs per page "
          f"({us / ref:.1f}x indexer.dates.find_date's {ref:.0f} µs, same run)")
    print(f"  {'lang':5} {'n':>3}  {'deadline P':>10} {'R':>5} ({'ok/found/lab':>12})  {'event P':>8} {'R':>5} ({'ok/found/lab':>12})")
    counts = defaultdict(int)
    for i in items:
        counts[i["lang"]] += 1
    counts["all"] = len(items)
    for lang in sorted(tallies, key=lambda k: (k == "all", k)):
        d, e = tallies[lang]["deadline"], tallies[lang]["event"]
        print(f"  {lang:5} {counts[lang]:>3}  {d.p():>10.2f} {d.r():>5.2f} ({d.right:>3}/{d.found:>3}/{d.labelled:>3})"
              f"    {e.p():>8.2f} {e.r():>5.2f} ({e.right:>3}/{e.found:>3}/{e.labelled:>3})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tune", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "all"), default="all")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--show", action="store_true", help="print the wrong and missed items")
    args = ap.parse_args(argv)
    for split in ("tune", "heldout", "heldout2", "heldout3", "heldout4", "heldout5") if args.split == "all" else (args.split,):
        items = load(split)
        if args.show:
            print(f"{split}: wrong or missed")
        tallies = score(items, run(items), args.show)
        report(split, items, tallies, speed(items, args.repeat), speed(items, args.repeat, _reference))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
