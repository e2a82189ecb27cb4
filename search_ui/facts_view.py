"""A resource's structured facts as its page shows them: the deadline of a call ("Closes 15 March
2027" / "Closed"), the dates of an event, and the places it is about, each city linked to the
search of every resource about it (``/search?city=Kaunas``).

Days are shown as the calendar day in Brussels: a call that closes at 23:59:59 Brussels time
closes that day, whatever the hour in UTC (the convention of indexer.deadlines).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import url_for
from flask_babel import gettext as _

from indexer.resource import Resource, as_utc, utcnow

from .i18n import LOCALES, ui_language
from .present import country_name

SHOWN_ZONE = "Europe/Brussels"


@lru_cache(maxsize=1)
def _zone() -> ZoneInfo:
    return ZoneInfo(SHOWN_ZONE)


def iso(when: datetime | None) -> str | None:
    return as_utc(when).isoformat().replace("+00:00", "Z") if when else None


def long_date(when: datetime, lang: str | None = None) -> str:
    """The day of ``when`` in Brussels, written out in the interface's language
    ("15 March 2027", "15. März 2027")."""
    day = as_utc(when).astimezone(_zone()).date()
    return format_date(day, format="long", locale=LOCALES.get(lang or ui_language(), "en"))


def facts_view(r: Resource, now: datetime | None = None) -> dict[str, Any]:
    """What the resource page shows of ``r``'s deadline, event dates and places."""
    lang = ui_language()
    now = now or utcnow()
    out: dict[str, Any] = {"deadline": None, "event": None, "places": [], "about": []}
    if r.deadline is not None:
        closed = as_utc(r.deadline) < now
        shown = long_date(r.deadline, lang)
        out["deadline"] = {
            "iso": iso(r.deadline), "open": not closed,
            "text": _("Closed %(date)s", date=shown) if closed else _("Closes %(date)s",
                                                                        date=shown),
        }
    if r.event_start is not None or r.event_end is not None:
        start, end = r.event_start or r.event_end, r.event_end
        same_day = end is None or long_date(start, lang) == long_date(end, lang)
        out["event"] = {
            "start": iso(start), "start_text": long_date(start, lang),
            "end": None if same_day else iso(end),
            "end_text": None if same_day else long_date(end, lang),
        }
    for p in r.places:
        name = p.label
        if not name:
            continue
        entry = {"name": name, "kind": p.kind or ("city" if p.city else "country"),
                 "country": p.country, "href": None,
                 "country_label": country_name(p.country, lang) if p.country else None}
        if p.city:
            entry["href"] = url_for("portal.search", city=p.city)
        elif p.country and (p.kind in (None, "country")):
            entry["name"] = entry["country_label"] or name
            entry["href"] = url_for("portal.search", country=p.country)
        if any(e["name"] == entry["name"] and e["kind"] == entry["kind"] for e in out["places"]):
            continue
        out["places"].append(entry)
    out["about"] = [
        {"href": e["href"], "text": _("Resources about %(place)s", place=e["name"])}
        for e in out["places"] if e["kind"] == "city" and e["href"]
    ]
    return out
