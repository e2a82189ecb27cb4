"""What the portal's OAI-PMH provider (``search_ui/oai.py``) asks the catalogue.

Records are listed in the order of their datestamp and id, one page at a time, with a keyset
cursor: ``(stamp, id) > (last stamp, last id)`` walks the index on ``resources.modified_at``
(migration 0008), so a page costs the same at the end of a million records as at the start
(no OFFSET, no scan of what came before).

Two kinds of records are listed together:

- a resource, stamped with ``modified_at``; it is *deleted* when no instance of it is live
  (:mod:`.deletions` moves ``modified_at`` when that changes);
- an id in ``deleted_resources`` (a resource that was removed or merged), stamped with
  ``deleted_at``: deleted, with no type or themes left. Such ids are listed in every set (a
  harvester ignores a deletion of an id it never had, and must not miss one it had).

Sets are ``theme:<key>`` and ``type:<key>`` (and ``theme``, ``type``: every resource with a
theme, every resource).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, exists, func, or_, select
from sqlalchemy.engine import Connection

from .tables import deleted_resources_t, instances_t, resources_t

__all__ = ["OaiFilter", "OaiHeader", "OaiMixin"]

Cursor = tuple[datetime, str]


@dataclass(frozen=True)
class OaiFilter:
    """A list request's selection: ``since`` <= datestamp < ``before``, within a set."""

    since: datetime | None = None
    before: datetime | None = None
    set_kind: str | None = None  # "theme" | "type" | None: every record
    set_key: str | None = None  # None: the whole kind


@dataclass(frozen=True)
class OaiHeader:
    """One record's header: its id, datestamp (full precision), whether it is deleted, and
    the type and themes its sets come from."""

    id: str
    stamp: datetime
    deleted: bool
    type: str | None = None
    themes: tuple[str, ...] = ()

    @property
    def cursor(self) -> Cursor:
        return (self.stamp, self.id)


def _live(rid_column):
    return exists().where(instances_t.c.resource_id == rid_column,
                          instances_t.c.status == "live")


class OaiMixin:
    def _oai_id(self, column):
        # ids compare byte by byte on every database (a keyset must order as Python does)
        return column.collate("C") if self.engine.dialect.name == "postgresql" else column

    def _oai_resource_conditions(self, flt: OaiFilter) -> list:
        r = resources_t.c
        conds: list = []
        if flt.since is not None:
            conds.append(r.modified_at >= flt.since)
        if flt.before is not None:
            conds.append(r.modified_at < flt.before)
        if flt.set_kind == "type" and flt.set_key is not None:
            conds.append(r.type == flt.set_key)
        elif flt.set_kind == "theme":
            # themes are a JSON list of keys ([a-z0-9-]): the quoted key is in its text
            key = f'"{flt.set_key}"' if flt.set_key is not None else '"'
            conds.append(cast(r.themes, Text).like(f"%{key}%"))
        return conds

    @staticmethod
    def _oai_tombstone_conditions(flt: OaiFilter) -> list:
        d = deleted_resources_t.c
        conds: list = [~exists().where(resources_t.c.id == d.id)]
        if flt.since is not None:
            conds.append(d.deleted_at >= flt.since)
        if flt.before is not None:
            conds.append(d.deleted_at < flt.before)
        return conds

    def _after(self, stamp_col, id_col, after: Cursor | None) -> list:
        if after is None:
            return []
        stamp, rid = after
        # the first term bounds the index range; the second steps past the records sent
        return [stamp_col >= stamp, or_(stamp_col > stamp, self._oai_id(id_col) > rid)]

    def oai_headers(self, flt: OaiFilter, after: Cursor | None, limit: int) -> list[OaiHeader]:
        """Up to ``limit`` headers selected by ``flt`` that follow ``after`` in (datestamp,
        id) order: the next page of a list."""
        r, d = resources_t.c, deleted_resources_t.c
        live = _live(r.id).label("live")
        q_res = (select(r.id, r.modified_at, r.type, r.themes, live)
                 .where(*self._oai_resource_conditions(flt),
                        *self._after(r.modified_at, r.id, after))
                 .order_by(r.modified_at, self._oai_id(r.id)).limit(limit))
        q_del = (select(d.id, d.deleted_at)
                 .where(*self._oai_tombstone_conditions(flt), *self._after(d.deleted_at, d.id, after))
                 .order_by(d.deleted_at, self._oai_id(d.id)).limit(limit))
        with self.engine.connect() as c:
            found = [OaiHeader(row.id, row.modified_at, not row.live, row.type,
                               tuple(row.themes or ())) for row in c.execute(q_res)]
            gone = [OaiHeader(row.id, row.deleted_at, True) for row in c.execute(q_del)]
        merged = heapq.merge(found, gone, key=lambda h: h.cursor)
        return [h for _, h in zip(range(limit), merged)]

    def oai_count(self, flt: OaiFilter) -> int:
        """How many records ``flt`` selects (the list's ``completeListSize``)."""
        with self.engine.connect() as c:
            n = c.execute(select(func.count()).select_from(resources_t)
                          .where(*self._oai_resource_conditions(flt))).scalar_one()
            n += c.execute(select(func.count()).select_from(deleted_resources_t)
                           .where(*self._oai_tombstone_conditions(flt))).scalar_one()
        return int(n)

    def oai_header(self, rid: str) -> OaiHeader | None:
        """The header of one record: a resource, an id that was deleted, or None."""
        r, d = resources_t.c, deleted_resources_t.c
        with self.engine.connect() as c:
            row = c.execute(select(r.id, r.modified_at, r.type, r.themes, _live(r.id).label("live"))
                            .where(r.id == rid)).first()
            if row is not None:
                return OaiHeader(row.id, row.modified_at, not row.live, row.type,
                                 tuple(row.themes or ()))
            row = c.execute(select(d.id, d.deleted_at).where(d.id == rid)).first()
        return None if row is None else OaiHeader(row.id, row.deleted_at, True)

    def oai_earliest(self) -> datetime | None:
        """The earliest datestamp of any record (None: the catalogue is empty)."""
        with self.engine.connect() as c:
            return _earliest(c)


def _earliest(c: Connection) -> datetime | None:
    stamps = [
        c.execute(select(resources_t.c.modified_at).where(resources_t.c.modified_at.is_not(None))
                  .order_by(resources_t.c.modified_at).limit(1)).scalar(),
        c.execute(select(deleted_resources_t.c.deleted_at)
                  .order_by(deleted_resources_t.c.deleted_at).limit(1)).scalar(),
    ]
    stamps = [s for s in stamps if s is not None]
    return min(stamps) if stamps else None
