"""The record of deleted resources, and the datestamp of a resource whose liveness changed.

The portal's OAI-PMH provider declares ``deletedRecord`` *persistent*: a harvester that asks
for the changes since its last visit must learn of every resource that disappeared. So

- a resource id that leaves the catalogue (deleted, or merged into ``replaced_by``) gets a row
  in ``deleted_resources`` (:func:`record_deleted`), and loses it when a harvest brings the id
  back (:func:`forget_deleted`, called wherever a resource row is inserted);
- a resource whose last live instance goes (a withdrawn record, a page gone for good) or
  comes back is reported deleted or live again, so its ``modified_at`` moves to that moment
  (:func:`restamp_if_dead`, :func:`restamp_if_revived`): an incremental harvest with ``from``
  sees the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.engine import Connection

from .tables import deleted_resources_t, instances_t, resources_t

__all__ = ["forget_deleted", "record_deleted", "restamp_if_dead", "restamp_if_revived"]


def _live(rid_column):
    return exists().where(instances_t.c.resource_id == rid_column,
                          instances_t.c.status == "live")


def record_deleted(c: Connection, rid: str, now: datetime, replaced_by: str | None = None
                   ) -> None:
    """Resource ``rid`` no longer exists (``replaced_by``: the resource it was merged into)."""
    forget_deleted(c, rid)
    c.execute(insert(deleted_resources_t).values(id=rid, deleted_at=now,
                                                 replaced_by=replaced_by))


def forget_deleted(c: Connection, rid: str) -> None:
    """Resource ``rid`` exists (again): it is no longer a deleted record."""
    c.execute(delete(deleted_resources_t).where(deleted_resources_t.c.id == rid))


def restamp_if_dead(c: Connection, rids: Iterable[str], now: datetime) -> None:
    """Of ``rids`` (resources an instance of which just went gone), those with no live
    instance left are modified now."""
    rids = sorted(set(rids))
    for i in range(0, len(rids), 500):
        c.execute(update(resources_t)
                  .where(resources_t.c.id.in_(rids[i:i + 500]), ~_live(resources_t.c.id))
                  .values(modified_at=now))


def restamp_if_revived(c: Connection, rid: str, instance_id: int, now: datetime) -> None:
    """Resource ``rid`` is about to get instance ``instance_id`` back live: when no other
    instance of it is live, it comes back from the deleted, so it is modified now."""
    other = c.execute(select(instances_t.c.id).where(
        instances_t.c.resource_id == rid, instances_t.c.status == "live",
        instances_t.c.id != instance_id).limit(1)).first()
    if other is None:
        c.execute(update(resources_t).where(resources_t.c.id == rid).values(modified_at=now))
