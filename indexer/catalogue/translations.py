"""Translations: pages that declare their versions in other languages (hreflang alternates).

A page lists its translations with ``<link rel="alternate" hreflang="lt" href="…">``
(:mod:`indexer.metadata.page`). A translation is not a duplicate — a reader of Lithuanian wants
the Lithuanian page — so the catalogue never merges them (their texts differ anyway); it keeps
each resource's declared alternates in ``alternates`` and links them both ways when asked
(:func:`translations`): the pages a resource declares, and the pages that declare it, each
resolved to the resource that holds the URL (or None while that page is not harvested).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, delete, insert, or_, select
from sqlalchemy.engine import Connection

from .tables import instances_t, metadata, resources_t

__all__ = ["alternates_t", "store_alternates", "translations"]

MAX_ALTERNATES = 50  # a page declaring more is a site-wide language menu: the first ones count

alternates_t = Table(
    "alternates", metadata,
    Column("resource_id", String(40), ForeignKey("resources.id", ondelete="CASCADE"),
           primary_key=True),
    Column("url", Text, primary_key=True),  # canonical URL of the declared translation
    Column("language", String(8), nullable=False),
    Index("ix_alternates_url", "url"),
)


def store_alternates(c: Connection, rid: str, alternates: list[dict[str, str]],
                     replace: bool = False) -> None:
    """Record the translations a resource's page declares (``replace``: its content changed,
    so what it declared before is forgotten; otherwise a merged copy's are added)."""
    if replace:
        c.execute(delete(alternates_t).where(alternates_t.c.resource_id == rid))
    if not alternates:
        return
    known = {u for (u,) in c.execute(select(alternates_t.c.url)
                                     .where(alternates_t.c.resource_id == rid))}
    rows = []
    for alt in alternates[:MAX_ALTERNATES]:
        url, lang = alt.get("url"), (alt.get("language") or "")[:8]
        if url and lang and url not in known:
            known.add(url)
            rows.append({"resource_id": rid, "url": url, "language": lang})
    if rows:
        c.execute(insert(alternates_t), rows)


def translations(c: Connection, rid: str) -> list[dict[str, str | None]]:
    """The translations of resource ``rid``, both ways: [{"language", "url", "resource_id",
    "title"}], by language; ``resource_id``/``title`` are None for a page not harvested."""
    own_urls = [u for (u,) in c.execute(select(instances_t.c.url)
                                         .where(instances_t.c.resource_id == rid))]
    found: dict[str, dict[str, str | None]] = {}
    # the pages this resource declares
    for url, lang in c.execute(select(alternates_t.c.url, alternates_t.c.language)
                               .where(alternates_t.c.resource_id == rid)):
        if url not in own_urls:
            found.setdefault(url, {"language": lang, "url": url})
    # the resources whose pages declare one of this resource's URLs
    if own_urls:
        rows = c.execute(
            select(alternates_t.c.resource_id, resources_t.c.url, resources_t.c.language)
            .join(resources_t, resources_t.c.id == alternates_t.c.resource_id)
            .where(alternates_t.c.url.in_(own_urls), alternates_t.c.resource_id != rid))
        for other, url, lang in rows:
            found.setdefault(url, {"language": lang or "", "url": url, "resource_id": other})
    if not found:
        return []
    holders = dict(c.execute(
        select(instances_t.c.url, instances_t.c.resource_id)
        .where(or_(instances_t.c.url.in_(list(found)),
                   instances_t.c.resource_id.in_([v.get("resource_id") for v in found.values()
                                                  if v.get("resource_id")])))).all())
    titles = dict(c.execute(select(resources_t.c.id, resources_t.c.title).where(
        resources_t.c.id.in_(set(holders.values()) | {v.get("resource_id") for v in
                                                      found.values() if v.get("resource_id")}))
    ).all())
    out = []
    for url, entry in found.items():
        holder = entry.get("resource_id") or holders.get(url)
        if holder == rid:
            continue
        out.append({"language": entry["language"], "url": url, "resource_id": holder,
                    "title": titles.get(holder) if holder else None})
    return sorted(out, key=lambda t: (t["language"] or "", t["url"]))
