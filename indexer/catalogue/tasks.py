"""Tasks queued by the web admin and run by the scheduler process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from ..resource import utcnow
from .tables import tasks_t


class TasksMixin:
    # -- tasks (queued by the web admin, run by the scheduler process) ----------------------
    def create_task(self, kind: str, args: dict[str, Any], requested_by: str | None = None
                    ) -> int:
        with self.engine.begin() as c:
            return int(c.execute(insert(tasks_t).values(
                kind=kind, args=args, status="pending", requested_by=requested_by,
                created_at=utcnow())).inserted_primary_key[0])

    def get_task(self, task_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(select(tasks_t).where(tasks_t.c.id == task_id)).mappings().first()
        return dict(row) if row else None

    def tasks(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(
                select(tasks_t).order_by(tasks_t.c.id.desc()).limit(limit)).mappings()]

    def claim_tasks(self, limit: int = 10) -> list[dict[str, Any]]:
        """Pending tasks, each claimed by exactly one worker (the status flip is atomic)."""
        claimed = []
        with self.engine.connect() as c:
            pending = [r[0] for r in c.execute(
                select(tasks_t.c.id).where(tasks_t.c.status == "pending")
                .order_by(tasks_t.c.id).limit(limit))]
        for tid in pending:
            with self.engine.begin() as c:
                n = c.execute(update(tasks_t)
                              .where(tasks_t.c.id == tid, tasks_t.c.status == "pending")
                              .values(status="running", started_at=utcnow())).rowcount
            if n:
                claimed.append(self.get_task(tid))
        return claimed

    def finish_task(self, task_id: int, status: str, result: dict[str, Any] | None) -> None:
        with self.engine.begin() as c:
            c.execute(update(tasks_t).where(tasks_t.c.id == task_id)
                      .values(status=status, result=result, finished_at=utcnow()))
