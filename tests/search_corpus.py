"""A small multilingual corpus for the search backend tests, and a brute-force facet oracle."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import yaml

from indexer.backends.base import facet_values
from indexer.query import FACETS
from indexer.resource import Instance, Place, Resource

_CORPUS_FILE = Path(__file__).with_name("search_corpus.yaml")


def utc(y: int, m: int = 1, d: int = 1) -> datetime:
    return datetime(y, m, d, tzinfo=timezone.utc)


def make_resource(
    rid: str,
    title: str,
    *,
    summary: str = "",
    body: str = "",
    language: str | None = "en",
    type: str = "other",
    themes: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
    city: str | None = None,
    sources: tuple[str, ...] = ("urbact",),
    published: datetime | None = None,
    gone: bool = False,
    publisher: str | None = None,
) -> Resource:
    instances = [
        Instance(
            source_id=s,
            url=f"https://{s}.example.eu/{rid}",
            first_seen=utc(2024, 1, 1),
            last_seen=utc(2024, 6, 1),
            status="gone" if gone else "live",
        )
        for s in sources
    ]
    return Resource(
        id=rid,
        title=title,
        url=instances[0].url,
        summary=summary,
        body=body,
        instances=instances,
        publisher=publisher,
        published=published,
        language=language,
        type=type,
        themes=list(themes),
        places=[Place(country=c, city=city) for c in countries],
    )


def corpus() -> list[Resource]:
    """Eleven resources in nl, fr, de, it, pt and en; one is gone, one has no date.

    The texts are data (``search_corpus.yaml`` beside this module); each call builds fresh
    resources, so a test may change its own copy.
    """
    return [_from_entry(entry) for entry in _corpus_entries()]


@lru_cache(maxsize=1)
def _corpus_entries() -> tuple[dict, ...]:
    with _CORPUS_FILE.open(encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh))


def _from_entry(entry: dict) -> Resource:
    args = dict(entry)
    rid, title, published = args.pop("id"), args.pop("title"), args.pop("published", None)
    for name in ("themes", "countries", "sources"):
        if name in args:
            args[name] = tuple(args[name])
    when = utc(published.year, published.month, published.day) if published else None
    return make_resource(rid, title, published=when, **args)


def live(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r.is_live]


def expected_facets(
    resources: list[Resource], filters: dict[str, list[str]], size: int = 30
) -> dict[str, list[tuple[str, int]]]:
    """Disjunctive facet counts computed by brute force (the oracle for every backend)."""
    values = [(r, facet_values(r)) for r in resources]
    out = {}
    for facet in FACETS:
        counts: dict[str, int] = {}
        for _, fv in values:
            if all(set(fv[f]) & set(vals) for f, vals in filters.items() if f != facet):
                for v in set(fv[facet]):
                    counts[v] = counts.get(v, 0) + 1
        out[facet] = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))[:size]
    return out
