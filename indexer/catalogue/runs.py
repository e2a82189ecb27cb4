"""Harvest runs: per-source counts, stored errors, reports."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from ..resource import utcnow
from .reports import RunError, RunReport, SourceReport
from .tables import COUNTERS, FAILED, run_errors_t, run_sources_t, runs_t


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class RunsMixin:
    def start_run(self, source_ids: Iterable[str], trigger: str = "cli") -> int:
        now = utcnow()
        with self.engine.begin() as c:
            run_id = c.execute(
                insert(runs_t).values(started_at=now, status="running", trigger=trigger,
                                      host=socket.gethostname(), pid=os.getpid())
            ).inserted_primary_key[0]
            for sid in source_ids:
                c.execute(insert(run_sources_t).values(run_id=run_id, source_id=sid,
                                                       status="pending"))
        return int(run_id)

    def start_source(self, run_id: int, source_id: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(run_sources_t)
                      .where(run_sources_t.c.run_id == run_id,
                             run_sources_t.c.source_id == source_id)
                      .values(status="running", started_at=utcnow()))

    def count(self, run_id: int, source_id: str, counter: str, n: int = 1,
              *, conn: Connection | None = None) -> None:
        col = run_sources_t.c[counter]
        stmt = (update(run_sources_t)
                .where(run_sources_t.c.run_id == run_id, run_sources_t.c.source_id == source_id)
                .values({counter: col + n}))
        if conn is not None:
            conn.execute(stmt)
        else:
            with self.engine.begin() as c:
                c.execute(stmt)

    def record_error(self, run_id: int, source_id: str, url: str | None, kind: str,
                     message: str, *, fatal: bool = False, counter: str | None = FAILED) -> None:
        """Store an error of one record (``counter`` failed/skipped) or of the whole source."""
        with self.engine.begin() as c:
            c.execute(insert(run_errors_t).values(
                run_id=run_id, source_id=source_id, url=url, kind=kind,
                message=message[:4000], fatal=1 if fatal else 0, at=utcnow()))
            if counter:
                self.count(run_id, source_id, counter, conn=c)

    def finish_source(self, run_id: int, source_id: str, status: str,
                      message: str | None = None, requests: int | None = None) -> None:
        vals: dict[str, Any] = dict(status=status, finished_at=utcnow(), message=message)
        if requests is not None:
            vals["requests"] = requests
        with self.engine.begin() as c:
            c.execute(update(run_sources_t)
                      .where(run_sources_t.c.run_id == run_id,
                             run_sources_t.c.source_id == source_id)
                      .values(**vals))

    def finish_run(self, run_id: int, status: str, message: str | None = None) -> None:
        with self.engine.begin() as c:
            # sources the run never finished share its fate; a run stopped for overrunning
            # its time limit is a failure of the sources it stopped
            unfinished = ("pending", "running", "interrupted") if status == "timed_out" \
                else ("pending", "running")
            c.execute(update(run_sources_t)
                      .where(run_sources_t.c.run_id == run_id,
                             run_sources_t.c.status.in_(unfinished))
                      .values(status="interrupted" if status not in ("finished", "timed_out")
                              else "failed",
                              finished_at=utcnow(),
                              message=message or "the run ended before this source finished"))
            c.execute(update(runs_t).where(runs_t.c.id == run_id)
                      .values(status=status, finished_at=utcnow(), message=message))

    def run_report(self, run_id: int) -> RunReport:
        with self.engine.connect() as c:
            run = c.execute(select(runs_t).where(runs_t.c.id == run_id)).mappings().first()
            if run is None:
                raise KeyError(run_id)
            srcs = c.execute(select(run_sources_t).where(run_sources_t.c.run_id == run_id)
                             .order_by(run_sources_t.c.source_id)).mappings().all()
            errs = c.execute(select(run_errors_t).where(run_errors_t.c.run_id == run_id)
                             .order_by(run_errors_t.c.id)).mappings().all()
        by_source: dict[str, list[RunError]] = {}
        for e in errs:
            by_source.setdefault(e["source_id"], []).append(
                RunError(e["source_id"], e["url"], e["kind"], e["message"], bool(e["fatal"]),
                         e["at"]))
        reports = [
            SourceReport(
                source_id=s["source_id"], status=s["status"],
                **{k: s[k] for k in COUNTERS}, requests=s["requests"], message=s["message"],
                started_at=s["started_at"], finished_at=s["finished_at"],
                errors=by_source.get(s["source_id"], []),
            )
            for s in srcs
        ]
        return RunReport(id=run["id"], status=run["status"], started_at=run["started_at"],
                         finished_at=run["finished_at"], trigger=run["trigger"],
                         message=run["message"], sources=reports)

    def close_dead_runs(self) -> list[int]:
        """Close as ``interrupted`` every run still "running" whose process on this host is
        gone (killed with SIGKILL, or the machine's power went): it can never close itself.
        Returns the ids closed. Runs of other hosts are left to their own host (and to the
        heartbeat of their locks)."""
        host = socket.gethostname()
        with self.engine.connect() as c:
            rows = c.execute(select(runs_t.c.id, runs_t.c.pid)
                             .where(runs_t.c.status == "running", runs_t.c.host == host)
                             ).all()
        closed = []
        for run_id, pid in rows:
            if pid and not pid_alive(pid):
                self.finish_run(run_id, "interrupted",
                                f"the harvest process (pid {pid} on {host}) ended without "
                                "closing its run (it was killed)")
                closed.append(int(run_id))
        return closed

    def runs(self, source_id: str | None = None, limit: int = 50) -> list[RunReport]:
        q = select(runs_t.c.id).order_by(runs_t.c.id.desc()).limit(limit)
        if source_id:
            q = (select(runs_t.c.id).join(run_sources_t, run_sources_t.c.run_id == runs_t.c.id)
                 .where(run_sources_t.c.source_id == source_id)
                 .order_by(runs_t.c.id.desc()).limit(limit))
        with self.engine.connect() as c:
            ids = [r[0] for r in c.execute(q)]
        return [self.run_report(i) for i in ids]
