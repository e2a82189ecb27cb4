"""What the admin pages show, computed from the catalogue: health labels, run summaries,
errors grouped by cause, task states. Plain functions of their inputs (no Flask)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from indexer.catalogue import COUNTERS, RunError, RunReport, SourceHealth, SourceReport

ACTIVE_TASK = ("pending", "running")


def fmt_time(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def iso(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def ago(dt: datetime | None, now: datetime) -> str:
    """A short relative time: "just now", "4 min ago", "in 2 h", "3 days ago"."""
    if dt is None:
        return ""
    seconds = (dt - now).total_seconds()
    future = seconds > 0
    s = abs(seconds)
    if s < 60:
        return "in less than a minute" if future else "just now"
    if s < 3600:
        text = f"{int(s // 60)} min"
    elif s < 2 * 86400:
        text = f"{int(s // 3600)} h"
    else:
        text = f"{int(s // 86400)} days"
    return f"in {text}" if future else f"{text} ago"


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    s = max(0, int((end - start).total_seconds()))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


@dataclass
class HealthView:
    state: str  # new | healthy | failing | running
    label: str
    backing_off_until: datetime | None = None
    running_since: datetime | None = None


def health_view(health: SourceHealth | None, lock: dict[str, Any] | None,
                now: datetime) -> HealthView:
    """The state to show: running (holding its run lock) over the recorded health; a source
    whose next scheduled runs are skipped until some time says until when."""
    state = health.state if health else "new"
    until = health.retry_not_before if health else None
    if until is not None and until <= now:
        until = None
    if lock is not None:
        return HealthView("running", "Running", until, lock.get("acquired_at"))
    labels = {"new": "New", "healthy": "Healthy", "failing": "Failing"}
    return HealthView(state, labels.get(state, state.capitalize()), until)


def source_report(run: RunReport, source_id: str) -> SourceReport | None:
    return next((s for s in run.sources if s.source_id == source_id), None)


def counts_text(s: SourceReport) -> str:
    parts = [f"{getattr(s, k)} {k}" for k in COUNTERS if getattr(s, k)]
    return " · ".join(parts) if parts else "no documents"


RESULT_LABELS = {
    "succeeded": "Succeeded",
    "failed": "Failed",
    "interrupted": "Interrupted",
    "skipped": "Skipped",
    "running": "Running",
    "pending": "Waiting",
}


def result_label(s: SourceReport) -> str:
    label = RESULT_LABELS.get(s.status, s.status.capitalize())
    if s.status == "succeeded" and s.failed:
        label += f" with {s.failed} failed"
    return label


@dataclass
class ErrorGroup:
    kind: str
    message: str
    fatal: bool
    urls: list[str] = field(default_factory=list)
    count: int = 0


def group_errors(errors: list[RunError]) -> list[ErrorGroup]:
    """Errors by cause (kind + message), each with the URLs it hit: fatal causes first, then
    the most frequent."""
    groups: dict[tuple[str, str], ErrorGroup] = {}
    for e in errors:
        g = groups.get((e.kind, e.message))
        if g is None:
            g = groups[(e.kind, e.message)] = ErrorGroup(e.kind, e.message, bool(e.fatal))
        g.count += 1
        g.fatal = g.fatal or bool(e.fatal)
        if e.url and e.url not in g.urls:
            g.urls.append(e.url)
    order = list(groups.values())
    order.sort(key=lambda g: (not g.fatal, -g.count))
    return order


def task_age(task: dict[str, Any], now: datetime) -> float:
    created = task.get("created_at")
    return (now - created).total_seconds() if created else 0.0


def task_stalled(task: dict[str, Any], now: datetime, wait_seconds: float) -> bool:
    """Pending for ``wait_seconds`` or more: no scheduler process is picking tasks up."""
    return task.get("status") == "pending" and task_age(task, now) >= wait_seconds


def active_harvests(tasks: list[dict[str, Any]], source_id: str) -> list[dict[str, Any]]:
    return [t for t in tasks
            if t["kind"] == "harvest" and t["status"] in ACTIVE_TASK
            and (t.get("args") or {}).get("source_id") == source_id]
