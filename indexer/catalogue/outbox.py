"""The outbox: changes waiting to be indexed, claimed and acknowledged by drains."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from ..resource import Resource, as_utc, utcnow
from .records import chunks, load_resources
from .tables import DRAIN_LOCK, outbox_t, resources_t


class OutboxMixin:
    # -- outbox ----------------------------------------------------------------------------
    @contextmanager
    def drain_session(self, owner: str):
        """Exclusive right to drain, where the database cannot share the work.

        PostgreSQL: several workers drain at once (see :meth:`claim_outbox`), so this is a
        no-op that yields True. SQLite: one drain at a time, through a lock row (stale after
        a minute without progress); yields False when another drain holds it — that drain
        loops until the outbox is empty, so the entries are not stranded.
        """
        if self.engine.dialect.name == "postgresql":
            yield True
            return
        ok, _ = self.acquire_source_lock(DRAIN_LOCK, owner, stale_after=60.0)
        try:
            yield ok
        finally:
            if ok:
                self.release_source_locks([DRAIN_LOCK], owner)

    @contextmanager
    def claim_outbox(self, limit: int = 500, exclude: set[int] | None = None):
        """Claim the oldest pending entries; they are removed only if ``claim.ack()`` was
        called before the block ends (the backend committed them).

        On PostgreSQL the entries are claimed ``FOR UPDATE SKIP LOCKED`` (two workers never
        claim the same entry) and the resources they name are locked in id order, so a
        worker that claims a newer change of the same resource waits until the older one
        is indexed and then reads the newest state: nothing is indexed twice, lost, or
        overwritten by an older version.
        """
        with self.engine.connect() as c:
            tx = c.begin()
            try:
                q = (select(outbox_t.c.id, outbox_t.c.resource_id, outbox_t.c.op)
                     .order_by(outbox_t.c.id).limit(limit))
                if exclude:
                    q = q.where(outbox_t.c.id.notin_(sorted(exclude)))
                pg = c.dialect.name == "postgresql"
                if pg:
                    q = q.with_for_update(skip_locked=True)
                entries = [tuple(r) for r in c.execute(q)]
                if pg and entries:
                    rids = sorted({e[1] for e in entries})
                    c.execute(select(resources_t.c.id).where(resources_t.c.id.in_(rids))
                              .order_by(resources_t.c.id).with_for_update())
                claim = OutboxClaim(entries, c)
                yield claim
                if claim.acked and entries:
                    for chunk in chunks([e[0] for e in entries if e[0] not in claim.keep],
                                         500):
                        c.execute(delete(outbox_t).where(outbox_t.c.id.in_(chunk)))
                    if claim.indexed:
                        now = utcnow()
                        for chunk in chunks(sorted(claim.indexed), 500):
                            c.execute(update(resources_t).where(resources_t.c.id.in_(chunk))
                                      .values(indexed_at=now))
                    tx.commit()
                else:
                    tx.rollback()
            except BaseException:
                tx.rollback()
                raise

    def outbox_batch(self, limit: int = 500, after_id: int = 0) -> list[tuple[int, str, str]]:
        with self.engine.connect() as c:
            return [tuple(r) for r in c.execute(
                select(outbox_t.c.id, outbox_t.c.resource_id, outbox_t.c.op)
                .where(outbox_t.c.id > after_id).order_by(outbox_t.c.id).limit(limit))]

    def outbox_ack(self, up_to_id: int, ids: Iterable[int] | None = None) -> None:
        with self.engine.begin() as c:
            if ids is not None:
                for chunk in chunks(list(ids), 500):
                    c.execute(delete(outbox_t).where(outbox_t.c.id.in_(chunk)))
            else:
                c.execute(delete(outbox_t).where(outbox_t.c.id <= up_to_id))

    def outbox_status(self) -> tuple[int, datetime | None]:
        """(pending entries, creation time of the oldest)."""
        with self.engine.connect() as c:
            n, oldest = c.execute(select(func.count(), func.min(outbox_t.c.created_at))).first()
        if isinstance(oldest, str):  # aggregate over the decorated column comes back raw
            oldest = datetime.fromisoformat(oldest)
        return int(n), as_utc(oldest)

    def outbox_max_id(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.coalesce(func.max(outbox_t.c.id), 0))).scalar_one())


class OutboxClaim:
    """Entries claimed by one drain; read resources through it to see the locked state."""

    def __init__(self, entries: list[tuple[int, str, str]], conn: Connection):
        self.entries = entries
        self.conn = conn
        self.acked = False
        self.indexed: set[str] = set()
        self.keep: set[int] = set()

    def resources(self, ids: list[str]) -> list[Resource]:
        return load_resources(self.conn, ids)

    def ack(self, indexed: set[str] | None = None, keep: set[int] | None = None) -> None:
        """The backend committed the batch (except the entries in ``keep``)."""
        self.acked = True
        self.indexed = set(indexed or ())
        self.keep = set(keep or ())
