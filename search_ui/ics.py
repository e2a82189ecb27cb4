"""Events as iCalendar (RFC 5545), so a reader can put them in a calendar.

* ``/events.ics?<any search parameters>``: the events among that search's results (resources
  with an ``event_start``), upcoming ones first (soonest first), then past ones (latest first);
* ``/resources/<id>.ics`` (also ``/resource/<id>.ics``): one event.

Each event is one ``VEVENT``: ``UID`` is the resource id (stable whatever the address the
portal is reached at), ``DTSTAMP`` the time the calendar was made, ``DTSTART``/``DTEND`` as
``DATE`` values for whole-day events (``DTEND`` the day after the last day, as RFC 5545 wants)
and as UTC date-times otherwise, ``SUMMARY`` the title, ``URL`` the event's own page,
``DESCRIPTION`` its summary and the portal page. Text is escaped (``\\``, ``;``, ``,``, new
lines) and lines are folded at 75 octets without splitting a character; lines end in CRLF.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from flask import Blueprint, Response, abort, current_app, url_for

from indexer.deadlines import BRUSSELS, is_all_day
from indexer.query import MAX_PER_PAGE
from indexer.resource import Resource

from .app_services import services
from .searching import RESOURCE_ID_RE, run_search

__all__ = ["bp", "calendar", "escape_text", "events_url", "fold_line", "upcoming_first"]

bp = Blueprint("ics", __name__)

MEDIA_TYPE = "text/calendar; charset=utf-8"
MAX_EVENTS = 500  # results looked at for /events.ics
PRODID = "-//Circular City Portal//Events//EN"
UID_DOMAIN = "circular-city-portal"


def escape_text(value: str | None) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and new lines escaped."""
    s = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    s = "".join(c for c in s if c == "\n" or c == "\t" or ord(c) >= 0x20 and c != "\x7f")
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """One content line folded at 75 octets (§3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = [], 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(current))
            current, size, limit = [], 0, 74  # continuation lines start with a space
        current.append(ch)
        size += n
    out.append("".join(current))
    return "\r\n ".join(out)


def _utc(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _when(r: Resource) -> list[str]:
    start, end = r.event_start, r.event_end
    assert start is not None
    if is_all_day(start, end):
        first = start.astimezone(BRUSSELS).date()
        last = end.astimezone(BRUSSELS).date() if end else first
        after = max(last, first) + timedelta(days=1)
        return [f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{after:%Y%m%d}"]
    lines = [f"DTSTART:{_utc(start)}"]
    if end is not None and end > start:
        lines.append(f"DTEND:{_utc(end)}")
    return lines


def _event(r: Resource, page_url: str, stamp: datetime) -> list[str]:
    description = "\n\n".join(p for p in ((r.summary or "").strip(), page_url) if p)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{r.id}@{UID_DOMAIN}",
        f"DTSTAMP:{_utc(stamp)}",
        *_when(r),
        f"SUMMARY:{escape_text(r.title or r.url)}",
        f"URL:{r.url}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    modified = r.updated or r.published
    if modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc(modified)}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[Resource], *, name: str, page_url: Callable[[str], str],
             now: datetime | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per resource that has an event start (others are skipped)."""
    stamp = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(name)}"]
    for r in events:
        if r.event_start is not None:
            lines.extend(_event(r, page_url(r.id), stamp))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold_line(line) for line in lines) + "\r\n").encode("utf-8")


def upcoming_first(events: Iterable[Resource], now: datetime | None = None) -> list[Resource]:
    """Events not over yet, soonest first; then those that are over, latest first."""
    now = now or datetime.now(timezone.utc)
    dated = [r for r in events if r.event_start is not None]
    upcoming = [r for r in dated if (r.event_end or r.event_start) >= now]
    past = [r for r in dated if (r.event_end or r.event_start) < now]
    upcoming.sort(key=lambda r: (r.event_start, r.id))
    past.sort(key=lambda r: (r.event_start, r.id), reverse=True)
    return upcoming + past


def events_url(run) -> str | None:
    """The /events.ics address of a search, when events are among the results shown."""
    for hit in run.results.hits:
        doc = hit.doc or {}
        if doc.get("event_start") or doc.get("type") == "event":
            return run.state.url(path=url_for("ics.search_events"), page=1)
    return None


def _page_url(rid: str) -> str:
    return url_for("portal.resource", resource_id=rid, _external=True)


def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = MEDIA_TYPE
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/events.ics")
def search_events():
    """The events among a search's results (the same parameters as /search)."""
    run = run_search(overrides={"page": 1, "per_page": MAX_PER_PAGE})
    ids = [h.id for h in run.results.hits]
    page = 1
    while len(ids) < min(run.results.total, MAX_EVENTS):
        page += 1
        more = services().searcher.search(replace(run.state.query, page=page))
        if not more.hits:
            break
        ids.extend(h.id for h in more.hits)
    found = services().catalogue.get_resources(ids[:MAX_EVENTS])
    name = current_app.config["CCP_PORTAL_NAME"]
    if run.state.query.text:
        name = f"{name}: {run.state.query.text}"
    return _ics_response(calendar(upcoming_first(found), name=name, page_url=_page_url), "events.ics")


@bp.get("/resource/<resource_id>.ics")  # beside the page's own address
@bp.get("/resources/<resource_id>.ics")  # registered first: the address links use
def resource_event(resource_id: str):
    """One event; 404 when the resource is not stored or has no event dates."""
    r = services().catalogue.get_resource(resource_id) if RESOURCE_ID_RE.match(resource_id) else None
    if r is None:
        abort(404)
    if r.event_start is None:
        abort(404, description=f"{r.title or r.url} has no event dates")
    return _ics_response(calendar([r], name=r.title or r.url, page_url=_page_url), f"{r.id}.ics")
