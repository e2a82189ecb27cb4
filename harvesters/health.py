"""Source health after each run: back-off, recovery, Retry-After, notifications.

After Miniflux's error counters: every run of a source updates its health (last success,
last error, consecutive failures). A failing source backs off — its next run waits
``backoff_base_seconds`` after the first failure, doubling with every further failure up to
a day — and the first success resets it. States: ``new`` (never run), ``healthy`` (last run succeeded),
``failed`` (the last run failed; retried after the back-off) and ``failing`` (failed
``failing_after`` runs in a row). A ``Retry-After`` (429/503) pushes the next run of
every source on that host back at least that long. A source that turns from healthy to
failing, or back, is announced once: in the log and to the configured webhook.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from datetime import timedelta
from urllib.parse import urlparse

from config import Settings
from indexer.catalogue import Catalogue, RunReport, SourceHealth
from indexer.resource import utcnow

from .http import retry_after_seconds

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)
_RETRY_AFTER_RE = re.compile(r"Retry-After: ([^)]+)\)")


def backoff_delay(failures: int, base_seconds: float) -> timedelta:
    if failures <= 0:
        return timedelta(0)
    return min(MAX_BACKOFF, timedelta(seconds=base_seconds * (2 ** (failures - 1))))


def _retry_after(report_source) -> float | None:
    waits = []
    for e in report_source.errors:
        m = _RETRY_AFTER_RE.search(e.message or "")
        if m:
            w = retry_after_seconds(m.group(1))
            if w is not None:
                waits.append(w)
    return max(waits) if waits else None


def update_health(catalogue: Catalogue, report: RunReport, settings: Settings) -> list[dict]:
    """Record what this run says about each source's health; returns the notifications sent."""
    now = utcnow()
    healths = catalogue.source_health()
    events: list[dict] = []
    host_waits: dict[str, float] = {}
    urls = {s.id: s.url for s in catalogue.sources()}
    for s in report.sources:
        wait = _retry_after(s)
        if wait and urls.get(s.source_id):
            host = urlparse(urls[s.source_id]).netloc
            host_waits[host] = max(wait, host_waits.get(host, 0.0))
        if s.status not in ("succeeded", "failed"):
            continue  # skipped (locked elsewhere) or interrupted: says nothing about the site
        h = healths.get(s.source_id) or SourceHealth(source_id=s.source_id)
        before = h.state
        h.last_run_id = report.id
        h.last_run_at = s.finished_at or now
        if s.status == "succeeded":
            h.state = "healthy"
            h.consecutive_failures = 0
            h.last_success_at = h.last_run_at
            h.retry_not_before = None
        else:
            h.consecutive_failures += 1
            h.last_error = s.message or "the source failed"
            h.last_error_at = h.last_run_at
            h.retry_not_before = now + backoff_delay(h.consecutive_failures,
                                                     settings.backoff_base_seconds)
            # "failed": the last run failed, retried after the back-off; "failing": it has
            # failed CCP_FAILING_AFTER runs in a row (operators are notified once)
            h.state = "failing" if h.consecutive_failures >= settings.failing_after else "failed"
        if wait:
            until = now + timedelta(seconds=wait)
            h.retry_not_before = max(h.retry_not_before or until, until)
        catalogue.save_source_health(h)
        if before != "failing" and h.state == "failing":
            events.append(_event("source.failing", h, report))
        elif before == "failing" and h.state == "healthy":
            events.append(_event("source.recovered", h, report))
    # a host that asked us to wait: every source on it waits
    if host_waits:
        current = catalogue.source_health()
        for sid, url in urls.items():
            host = urlparse(url or "").netloc
            if host in host_waits:
                h = current.get(sid) or SourceHealth(source_id=sid)
                until = now + timedelta(seconds=host_waits[host])
                if not h.retry_not_before or h.retry_not_before < until:
                    h.retry_not_before = until
                    catalogue.save_source_health(h)
    for ev in events:
        notify(settings, ev)
    return events


def _event(kind: str, h: SourceHealth, report: RunReport) -> dict:
    return {
        "event": kind,
        "source_id": h.source_id,
        "state": h.state,
        "consecutive_failures": h.consecutive_failures,
        "last_error": h.last_error if kind == "source.failing" else None,
        "retry_not_before": h.retry_not_before.isoformat() if h.retry_not_before else None,
        "run_id": report.id,
        "at": utcnow().isoformat(),
    }


def notify(settings: Settings, event: dict) -> bool:
    """Log the event and POST it as JSON to the webhook, if one is configured."""
    if event["event"] == "source.failing":
        log.warning("source %s is failing after %d run(s): %s", event["source_id"],
                    event["consecutive_failures"], event["last_error"])
    else:
        log.warning("source %s has recovered", event["source_id"])
    if not settings.webhook_url:
        return False
    req = urllib.request.Request(
        settings.webhook_url, data=json.dumps(event).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": settings.user_agent})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - operator's URL
            return 200 <= resp.status < 300
    except Exception as exc:  # noqa: BLE001 - a notification failure never breaks a harvest
        log.error("webhook %s did not accept the notification: %s", settings.webhook_url, exc)
        return False
