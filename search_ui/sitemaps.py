"""The portal's own sitemap (sitemaps.org 0.9): every resource page with its ``lastmod``.

Up to ``CCP_SITEMAP_SIZE`` pages (50,000, the protocol's limit) ``/sitemap.xml`` is one
``urlset``; beyond, it is a sitemap index naming ``/sitemap-1.xml``, ``/sitemap-2.xml``, …,
each holding the resources of one slice of the ids. A child's slice starts at the id found
at its offset in the primary key's order and is read in keyset batches, streamed as it is
written: a sitemap of a million resources never sits in memory.

Only resources still published somewhere are listed (a gone resource's page stays, but a
search engine need not be sent to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from sqlalchemy import and_, exists, func, not_, or_, select

from indexer.catalogue.tables import instances_t, resources_t

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit of URLs in one sitemap
BATCH = 1000  # rows read at a time


def _live():
    """A resource still published somewhere, or one that never had an instance."""
    inst = instances_t
    any_live = exists().where(and_(inst.c.resource_id == resources_t.c.id,
                                   inst.c.status == "live"))
    any_instance = exists().where(inst.c.resource_id == resources_t.c.id)
    return or_(any_live, not_(any_instance))


def resource_count(engine) -> int:
    """How many resources there are (all of them: the slices are cut on the primary key)."""
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(resources_t)).scalar_one())


def children(total: int, size: int) -> int:
    """How many child sitemaps ``total`` resources need (0: one plain sitemap will do)."""
    return 0 if total <= size else -(-total // size)


def slice_bounds(engine, number: int, size: int) -> tuple[str, str | None] | None:
    """The first id of child ``number`` (1-based) and the first id of the next child (None
    for the last); None when the child does not exist."""
    with engine.connect() as c:
        def nth(offset: int) -> str | None:
            return c.execute(select(resources_t.c.id).order_by(resources_t.c.id)
                             .offset(offset).limit(1)).scalar()

        start = nth((number - 1) * size)
        if start is None:
            return None
        return start, nth(number * size)


def iter_pages(engine, start: str | None = None, stop: str | None = None
               ) -> Iterator[tuple[str, datetime | None]]:
    """(resource id, last modified) of the live resources with ``start <= id < stop``, in id
    order, read ``BATCH`` rows at a time after the last id seen."""
    r = resources_t
    lastmod = func.coalesce(r.c.modified_at, r.c.updated, r.c.published, r.c.harvested_at)
    after: str | None = None
    while True:
        cond = [_live()]
        if after is not None:
            cond.append(r.c.id > after)
        elif start is not None:
            cond.append(r.c.id >= start)
        if stop is not None:
            cond.append(r.c.id < stop)
        stmt = select(r.c.id, lastmod).where(and_(*cond)).order_by(r.c.id).limit(BATCH)
        with engine.connect() as c:
            rows = c.execute(stmt).all()
        yield from ((rid, _aware(when)) for rid, when in rows)
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def _aware(when):
    if when is not None and isinstance(when, datetime) and when.tzinfo is None:
        from datetime import timezone

        return when.replace(tzinfo=timezone.utc)
    return when


def _w3c(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def urlset(pages: Iterator[tuple[str, datetime | None]], page_url: str,
           extra: tuple[str, ...] = ()) -> Iterator[str]:
    """A ``urlset`` in pieces; ``page_url`` holds ``{id}`` where a resource id goes."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">\n'
    for loc in extra:
        yield f"<url><loc>{escape(loc)}</loc></url>\n"
    chunk: list[str] = []
    for rid, when in pages:
        loc = escape(page_url.replace("{id}", quote(rid, safe="")))
        mod = _w3c(when)
        chunk.append(f"<url><loc>{loc}</loc><lastmod>{mod}</lastmod></url>\n" if mod
                     else f"<url><loc>{loc}</loc></url>\n")
        if len(chunk) >= 500:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk) + "</urlset>\n"


def sitemap_index(child_urls: list[str]) -> str:
    items = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>\n" for u in child_urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NS}">\n{items}</sitemapindex>\n'
