"""What the admin pages show, computed from the catalogue: health labels, run summaries,
errors grouped by cause, task states. Plain functions of their inputs (no Flask)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from babel import Locale
from babel.dates import format_skeleton, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from indexer.catalogue import COUNTERS, RunError, RunReport, SourceHealth, SourceReport

from ..i18n import LOCALES, ui_language

ACTIVE_TASK = ("pending", "running")


def _locale() -> str:
    return LOCALES.get(ui_language(), "en")


def fmt_time(dt: datetime | None) -> str:
    """A date and a time in UTC, written the locale's way ("5 Mar 2024, 14:02 UTC")."""
    if dt is None:
        return "—"
    locale = Locale.parse(_locale())
    day = format_skeleton("yMMMd", dt, tzinfo=timezone.utc, locale=locale)
    clock = format_skeleton("Hm", dt, tzinfo=timezone.utc, locale=locale)
    both = str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", clock)
    return f"{both} UTC"


def iso(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def ago(dt: datetime | None, now: datetime) -> str:
    """A short relative time in the interface language: "just now", "4 minutes ago",
    "in 2 hours", "3 days ago" (Babel's CLDR phrases)."""
    if dt is None:
        return ""
    delta = dt - now
    seconds = delta.total_seconds()
    if abs(seconds) < 60:
        return _("in less than a minute") if seconds > 0 else _("just now")
    return format_timedelta(delta, threshold=2, add_direction=True, locale=_locale())


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    s = max(0, int((end - start).total_seconds()))
    if s < 60:
        return _("%(s)s s", s=s)
    if s < 3600:
        return _("%(m)s min %(s)s s", m=s // 60, s=s % 60)
    return _("%(h)s h %(m)s min", h=s // 3600, m=s % 3600 // 60)


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
        return HealthView("running", _("Running"), until, lock.get("acquired_at"))
    labels = {"new": _("New"), "healthy": _("Healthy"), "failing": _("Failing")}
    return HealthView(state, labels.get(state, state.capitalize()), until)


def source_report(run: RunReport, source_id: str) -> SourceReport | None:
    return next((s for s in run.sources if s.source_id == source_id), None)


def counter_text(counter: str, n: int) -> str:
    """"3 added", "1 failed"… in the interface language (a run report's counters)."""
    texts = {
        "added": lambda: ngettext("%(num)s added", "%(num)s added", n),
        "updated": lambda: ngettext("%(num)s updated", "%(num)s updated", n),
        "unchanged": lambda: ngettext("%(num)s unchanged", "%(num)s unchanged", n),
        "merged": lambda: ngettext("%(num)s merged", "%(num)s merged", n),
        "failed": lambda: ngettext("%(num)s failed", "%(num)s failed", n),
        "skipped": lambda: ngettext("%(num)s skipped", "%(num)s skipped", n),
    }
    return texts[counter]() if counter in texts else f"{n} {counter}"


def counts_text(s: SourceReport) -> str:
    parts = [counter_text(k, getattr(s, k)) for k in COUNTERS if getattr(s, k)]
    return " · ".join(parts) if parts else _("no documents")


RESULT_LABELS = {
    "succeeded": lazy_gettext("Succeeded"),
    "failed": lazy_gettext("Failed"),
    "interrupted": lazy_gettext("Interrupted"),
    "skipped": lazy_gettext("Skipped"),
    "running": lazy_gettext("Running"),
    "pending": lazy_gettext("Waiting"),
}

TASK_STATUS_LABELS = {
    "pending": lazy_gettext("Waiting for the scheduler"),
    "running": lazy_gettext("Running"),
    "done": lazy_gettext("Done"),
    "failed": lazy_gettext("Failed"),
}


def task_status_label(status: str) -> str:
    return str(TASK_STATUS_LABELS.get(status, status))


def result_label(s: SourceReport) -> str:
    label = str(RESULT_LABELS.get(s.status, s.status.capitalize()))
    if s.status == "succeeded" and s.failed:
        label = ngettext("%(label)s with %(num)s failed", "%(label)s with %(num)s failed",
                         s.failed, label=label)
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


TRIGGER_LABELS = {
    "schedule": lazy_gettext("scheduled"),
    "admin": lazy_gettext("from the admin"),
    "cli": lazy_gettext("command line"),
    "demo": lazy_gettext("demo"),
    "preview": lazy_gettext("preview"),
}


def trigger_label(trigger: str | None) -> str:
    """What started a run, in the interface language (the stored code when unknown)."""
    return str(TRIGGER_LABELS.get(trigger or "", trigger or ""))
