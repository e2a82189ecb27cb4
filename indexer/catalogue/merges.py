"""Why instances were merged into a resource, and undoing a wrong merge.

Every instance that joined an existing resource (dedupe layers 2–4 in :mod:`.resources`) has a
row in ``merges``: the reason (``url``: the same canonical URL through another source;
``text``: the same normalised main text; ``near``: a near-duplicate, with its estimated
resemblance and containment) and the resource's URL it matched. The resource page shows it.

An operator undoes a wrong merge with :meth:`MergesMixin.split_instance` (``ccp resources
split`` and the admin): the instance becomes a resource of its own, and the pair is stored in
``merge_splits`` so that no later harvest merges that URL into that resource again. The
split-off instance's text is fetched afresh on the next harvest (its validators and content
hash are forgotten), as the catalogue keeps one text per resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from ..resource import resource_id_for, utcnow
from .deletions import forget_deleted
from .tables import UTCDateTime, http_state_t, instances_t, metadata, outbox_t, resources_t

__all__ = ["MergeInfo", "MergesMixin", "SplitError", "merge_splits_t", "merges_t"]

merges_t = Table(
    "merges", metadata,
    Column("instance_id", Integer, ForeignKey("instances.id", ondelete="CASCADE"),
           primary_key=True),
    Column("reason", String(8), nullable=False),  # url | text | near
    Column("matched_url", Text),  # the resource's URL when this instance joined it
    Column("resemblance", Float),
    Column("containment", Float),
    Column("merged_at", UTCDateTime, nullable=False),
)

merge_splits_t = Table(
    "merge_splits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),  # the instance URL that was split off
    Column("source_id", String(64), nullable=False),
    Column("resource_id", String(40), nullable=False),  # ... never to join this resource again
    Column("new_resource_id", String(40), nullable=False),
    Column("split_by", Text),
    Column("split_at", UTCDateTime, nullable=False),
    Index("ix_merge_splits_url", "url"),
)

REASONS = {"url": "same URL as", "text": "same text as", "near": "near-duplicate of"}


class SplitError(ValueError):
    """The merge cannot be undone as asked (unknown resource or URL, or its only instance)."""


@dataclass(frozen=True)
class MergeInfo:
    """Why an instance is part of its resource."""

    url: str  # the instance
    reason: str  # url | text | near
    matched_url: str | None
    resemblance: float | None
    containment: float | None

    @property
    def label(self) -> str:
        """One line a reader understands: "near-duplicate of https://…: resemblance 0.91 /
        containment 0.97"."""
        text = f"{REASONS.get(self.reason, self.reason)} {self.matched_url or 'the first copy'}"
        if self.reason == "near" and self.resemblance is not None:
            text += f": resemblance {self.resemblance:.2f}"
            if self.containment is not None:
                text += f" / containment {self.containment:.2f}"
        return text


def record_merge(c: Connection, instance_id: int, reason: str, matched_url: str | None,
                 resemblance: float | None = None, containment: float | None = None) -> None:
    c.execute(insert(merges_t).values(
        instance_id=instance_id, reason=reason, matched_url=matched_url,
        resemblance=None if resemblance is None else round(resemblance, 3),
        containment=None if containment is None else round(containment, 3),
        merged_at=utcnow()))


def banned_resources(c: Connection, url: str) -> set[str]:
    """Resources an operator split this URL off: it never joins them again."""
    return {r[0] for r in c.execute(select(merge_splits_t.c.resource_id)
                                    .where(merge_splits_t.c.url == url))}


class MergesMixin:
    def merge_reasons(self, rid: str) -> dict[str, MergeInfo]:
        """Instance URL -> why it was merged into resource ``rid`` (instances that started
        the resource, or were merged before reasons were kept, are absent)."""
        with self.engine.connect() as c:
            rows = c.execute(
                select(instances_t.c.url, merges_t.c.reason, merges_t.c.matched_url,
                       merges_t.c.resemblance, merges_t.c.containment)
                .join(merges_t, merges_t.c.instance_id == instances_t.c.id)
                .where(instances_t.c.resource_id == rid)).all()
        return {r[0]: MergeInfo(*r) for r in rows}

    def instance_merge_reasons(self, rid: str) -> dict[tuple[str, str], MergeInfo]:
        """Like :meth:`merge_reasons`, keyed by (source id, URL): two sources may list the same
        URL, and only the one that joined later was merged."""
        with self.engine.connect() as c:
            rows = c.execute(
                select(instances_t.c.source_id, instances_t.c.url, merges_t.c.reason,
                       merges_t.c.matched_url, merges_t.c.resemblance, merges_t.c.containment)
                .join(merges_t, merges_t.c.instance_id == instances_t.c.id)
                .where(instances_t.c.resource_id == rid)).all()
        return {(r[0], r[1]): MergeInfo(*r[1:]) for r in rows}

    def split_instance(self, rid: str, url: str, *, by: str | None = None) -> str:
        """Undo the merge of the instance at ``url`` into resource ``rid``: it becomes a
        resource of its own (returned: its id), both are reindexed through the outbox, and no
        later harvest merges that URL into ``rid`` again. Raises :class:`SplitError`."""
        now = utcnow()
        with self.engine.begin() as c:
            row = c.execute(select(resources_t).where(resources_t.c.id == rid)
                            ).mappings().first()
            if row is None:
                raise SplitError(f"there is no resource {rid}")
            insts = c.execute(select(instances_t).where(instances_t.c.resource_id == rid)
                              .order_by(instances_t.c.first_seen, instances_t.c.id)
                              ).mappings().all()
            inst = next((i for i in insts if i["url"] == url), None)
            if inst is None:
                raise SplitError(f"resource {rid} has no instance at {url}")
            if len(insts) == 1:
                raise SplitError(f"{url} is the only instance of resource {rid}: "
                                 "there is no merge to undo")
            new_id = _free_id(c, url, inst["source_id"])
            rest = [i for i in insts if i["id"] != inst["id"]]
            _split_rows(c, row, inst, rest, new_id, now)
            c.execute(delete(merges_t).where(merges_t.c.instance_id == inst["id"]))
            c.execute(insert(merge_splits_t).values(
                url=url, source_id=inst["source_id"], resource_id=rid,
                new_resource_id=new_id, split_by=by, split_at=now))
            for r in (rid, new_id):
                c.execute(insert(outbox_t).values(resource_id=r, op="upsert", created_at=now))
        return new_id


def _free_id(c: Connection, url: str, source_id: str) -> str:
    for seed in (url, f"{source_id} {url}", f"split {source_id} {url}"):
        rid = resource_id_for(seed)
        if c.execute(select(resources_t.c.id).where(resources_t.c.id == rid)).first() is None:
            return rid
    raise SplitError(f"no free resource id for {url}")


def _split_rows(c: Connection, row: Any, inst: Any, rest: list, new_id: str,
                now: datetime) -> None:
    """Move ``inst`` to a new resource ``new_id``. The resource keeps one text: the instance
    whose text it is keeps it (with its signature); the other side's instances are fetched
    afresh on the next harvest, which gives them their own text."""
    values = {k: v for k, v in row.items() if k not in ("id", "modified_at")}
    owns_text = inst["url"] == row["url"]
    if owns_text:  # the resource's own text leaves with the split-off instance
        refresh, keep_sig_for = rest, new_id
        c.execute(update(resources_t).where(resources_t.c.id == row["id"]).values(
            url=rest[0]["url"], modified_at=now))
    else:
        refresh, keep_sig_for = [inst], row["id"]
    c.execute(insert(resources_t).values(
        id=new_id, modified_at=now, **{**values, "url": inst["url"]}))
    forget_deleted(c, new_id)  # the new resource may take an id that was deleted once
    if keep_sig_for == new_id:
        from .tables import resource_bands_t

        c.execute(update(resource_bands_t).where(resource_bands_t.c.resource_id == row["id"])
                  .values(resource_id=new_id))
        c.execute(update(resources_t).where(resources_t.c.id == row["id"])
                  .values(minhash=None, shingles=None))
    else:
        c.execute(update(resources_t).where(resources_t.c.id == new_id)
                  .values(minhash=None, shingles=None))
    c.execute(update(instances_t).where(instances_t.c.id == inst["id"])
              .values(resource_id=new_id))
    for i in refresh:
        c.execute(update(instances_t).where(instances_t.c.id == i["id"])
                  .values(content_hash=None))
        c.execute(update(http_state_t)
                  .where((http_state_t.c.url == i["url"]) | (http_state_t.c.instance_url == i["url"]))
                  .values(etag=None, last_modified=None))
