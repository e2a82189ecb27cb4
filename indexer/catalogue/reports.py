"""What the catalogue reports about sources and runs (plain dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .tables import COUNTERS


@dataclass
class SourceInfo:
    id: str
    name: str
    type: str
    url: str | None = None
    publisher: str | None = None
    country: str | None = None
    city: str | None = None
    enabled: bool = True


@dataclass
class RunError:
    source_id: str
    url: str | None
    kind: str
    message: str
    fatal: bool = False
    at: datetime | None = None


@dataclass
class SourceReport:
    source_id: str
    status: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    merged: int = 0
    requests: int = 0
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    errors: list[RunError] = field(default_factory=list)


@dataclass
class RunReport:
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    trigger: str
    message: str | None
    sources: list[SourceReport]

    @property
    def ok(self) -> bool:
        return self.status == "finished" and all(
            s.status == "succeeded" and s.failed == 0 for s in self.sources
        )

    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(s, k) for s in self.sources) for k in COUNTERS}

    def to_dict(self) -> dict[str, Any]:
        def dt(v):
            return v.isoformat().replace("+00:00", "Z") if v else None

        return {
            "id": self.id, "status": self.status, "ok": self.ok, "trigger": self.trigger,
            "started_at": dt(self.started_at), "finished_at": dt(self.finished_at),
            "message": self.message, "totals": self.totals(),
            "sources": [
                {
                    "source_id": s.source_id, "status": s.status, "message": s.message,
                    **{k: getattr(s, k) for k in COUNTERS}, "requests": s.requests,
                    "errors": [
                        {"url": e.url, "kind": e.kind, "message": e.message, "fatal": e.fatal}
                        for e in s.errors
                    ],
                }
                for s in self.sources
            ],
        }


@dataclass
class SourceHealth:
    source_id: str
    state: str = "new"  # new | healthy | failing
    last_run_id: int | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    retry_not_before: datetime | None = None
    next_run_at: datetime | None = None
