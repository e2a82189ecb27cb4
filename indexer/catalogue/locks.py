"""Per-source run locks (across processes and machines) and source health."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..resource import utcnow
from .reports import SourceHealth
from .runs import pid_alive
from .tables import source_health_t, source_locks_t


def owner_gone(owner: str) -> bool:
    """Whether a lock's owner ``host:pid:token`` is a process of this host that is gone.
    Owners of other hosts (and owners in another form) are judged by their heartbeat only."""
    parts = (owner or "").rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    return not pid_alive(int(parts[1]))


class LocksMixin:
    # -- per-source run locks (across processes and machines) ------------------------------
    def acquire_source_lock(self, source_id: str, owner: str, *, stale_after: float,
                            run_id: int | None = None) -> tuple[bool, str | None]:
        """Take the run lock of a source. Returns (acquired, note).

        A lock whose holder stopped sending heartbeats for ``stale_after`` seconds (a killed
        process) is taken over; otherwise the note names the holder.
        """
        now = utcnow()
        try:
            with self.engine.begin() as c:
                c.execute(insert(source_locks_t).values(
                    source_id=source_id, owner=owner, run_id=run_id, acquired_at=now,
                    heartbeat_at=now))
            return True, None
        except IntegrityError:
            pass
        cutoff = now - timedelta(seconds=stale_after)
        with self.engine.begin() as c:
            took = c.execute(
                update(source_locks_t)
                .where(source_locks_t.c.source_id == source_id,
                       source_locks_t.c.heartbeat_at < cutoff)
                .values(owner=owner, run_id=run_id, acquired_at=now, heartbeat_at=now)
            ).rowcount
            if took:
                return True, "took over a stale lock (its holder stopped without releasing it)"
            row = c.execute(select(source_locks_t).where(source_locks_t.c.source_id == source_id)
                            ).mappings().first()
            if row is not None and owner_gone(row["owner"]):
                took = c.execute(
                    update(source_locks_t)
                    .where(source_locks_t.c.source_id == source_id,
                           source_locks_t.c.owner == row["owner"])
                    .values(owner=owner, run_id=run_id, acquired_at=now, heartbeat_at=now)
                ).rowcount
                if took:
                    return True, (f"took over the lock of {row['owner']}, whose process is "
                                  "gone (it was killed)")
        if row is None:  # released in between: try once more
            return self.acquire_source_lock(source_id, owner, stale_after=stale_after,
                                            run_id=run_id)
        since = row["acquired_at"].strftime("%Y-%m-%d %H:%M:%S UTC")
        held_by = f"run {row['run_id']} " if row["run_id"] else ""
        return False, f"already being harvested by {held_by}({row['owner']}) since {since}"

    def heartbeat_source_locks(self, source_ids: Iterable[str], owner: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(source_locks_t)
                      .where(source_locks_t.c.source_id.in_(list(source_ids)),
                             source_locks_t.c.owner == owner)
                      .values(heartbeat_at=utcnow()))

    def release_source_locks(self, source_ids: Iterable[str], owner: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(source_locks_t)
                      .where(source_locks_t.c.source_id.in_(list(source_ids)),
                             source_locks_t.c.owner == owner))

    def release_dead_locks(self) -> list[str]:
        """Release the locks whose holder is a process of this host that is gone; returns
        the sources released."""
        released = []
        for sid, row in self.source_locks().items():
            if owner_gone(row["owner"]):
                with self.engine.begin() as c:
                    c.execute(delete(source_locks_t).where(
                        source_locks_t.c.source_id == sid,
                        source_locks_t.c.owner == row["owner"]))
                released.append(sid)
        return released

    def source_locks(self) -> dict[str, dict[str, Any]]:
        with self.engine.connect() as c:
            return {r["source_id"]: dict(r) for r in
                    c.execute(select(source_locks_t)).mappings()}

    # -- source health -------------------------------------------------------------------
    def source_health(self) -> dict[str, SourceHealth]:
        with self.engine.connect() as c:
            rows = c.execute(select(source_health_t)).mappings().all()
        return {r["source_id"]: SourceHealth(**dict(r)) for r in rows}

    def save_source_health(self, h: SourceHealth) -> None:
        vals = {k: v for k, v in h.__dict__.items() if k not in ("source_id", "next_run_at")}
        with self.engine.begin() as c:
            done = c.execute(update(source_health_t)
                             .where(source_health_t.c.source_id == h.source_id).values(**vals))
            if done.rowcount == 0:
                c.execute(insert(source_health_t).values(source_id=h.source_id,
                                                         next_run_at=h.next_run_at, **vals))

    def set_next_runs(self, next_runs: dict[str, datetime | None]) -> None:
        """The scheduler publishes when each source runs next (for status pages)."""
        with self.engine.begin() as c:
            for sid, when in next_runs.items():
                done = c.execute(update(source_health_t)
                                 .where(source_health_t.c.source_id == sid)
                                 .values(next_run_at=when))
                if done.rowcount == 0:
                    c.execute(insert(source_health_t).values(source_id=sid, state="new",
                                                             consecutive_failures=0,
                                                             next_run_at=when))
