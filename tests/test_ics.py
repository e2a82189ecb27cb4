"""Events as iCalendar (search_ui/ics.py), read back with the icalendar library."""

from __future__ import annotations

from datetime import date, datetime, timezone

import icalendar

from indexer.resource import Resource
from search_ui.ics import calendar, fold_line, upcoming_first

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)


def event(rid: str, start: datetime, end: datetime | None, title="Circular Cities Summit", **kw) -> Resource:
    return Resource(id=rid, title=title, url=f"https://events.example/{rid}", event_start=start,
                    event_end=end, type="event", **kw)


def parse(body: bytes) -> icalendar.Calendar:
    cal = icalendar.Calendar.from_ical(body)
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    return cal


def page_url(rid: str) -> str:
    return f"https://portal.example/resource/{rid}"


def test_a_whole_day_event_is_a_date_event_ending_the_day_after():
    # 12–14 May 2027, whole days in Brussels (as find_dates gives them)
    r = event("a1", datetime(2027, 5, 11, 22, 0, tzinfo=timezone.utc),
              datetime(2027, 5, 14, 21, 59, 59, tzinfo=timezone.utc))
    cal = parse(calendar([r], name="Portal", page_url=page_url, now=NOW))
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    (ev,) = cal.walk("VEVENT")
    assert ev.decoded("DTSTART") == date(2027, 5, 12)
    assert ev.decoded("DTEND") == date(2027, 5, 15)  # exclusive
    assert str(ev["UID"]) == "a1@circular-city-portal"
    assert ev.decoded("DTSTAMP") == NOW
    assert str(ev["SUMMARY"]) == "Circular Cities Summit"
    assert str(ev["URL"]) == "https://events.example/a1"


def test_a_timed_event_has_utc_times_and_the_uid_does_not_change():
    r = event("b2", datetime(2027, 5, 15, 12, 0, tzinfo=timezone.utc),
              datetime(2027, 5, 15, 15, 0, tzinfo=timezone.utc))
    first = parse(calendar([r], name="P", page_url=page_url, now=NOW))
    later = parse(calendar([r], name="P", page_url=page_url, now=datetime(2027, 4, 1, tzinfo=timezone.utc)))
    (ev,) = first.walk("VEVENT")
    assert ev.decoded("DTSTART") == datetime(2027, 5, 15, 12, 0, tzinfo=timezone.utc)
    assert ev.decoded("DTEND") == datetime(2027, 5, 15, 15, 0, tzinfo=timezone.utc)
    assert later.walk("VEVENT")[0]["UID"] == ev["UID"]


def test_text_is_escaped_and_long_lines_are_folded_without_breaking_characters():
    title = "Ζero waste; reuse, repair \\ recycle – Φεστιβάλ Επαναχρησιμοποίησης στη Θεσσαλονίκη 2027"
    summary = "Line one; with, commas\nLine two " + "κυκλική οικονομία " * 12
    r = event("c3", datetime(2027, 5, 20, 22, 0, tzinfo=timezone.utc), None, title=title, summary=summary)
    body = calendar([r], name="Portal", page_url=page_url, now=NOW)
    (ev,) = parse(body).walk("VEVENT")
    assert str(ev["SUMMARY"]) == title
    description = str(ev["DESCRIPTION"])
    assert description.startswith(summary.strip()) and description.endswith(page_url("c3"))
    body.decode("utf-8")  # folding never split a character
    assert ev.decoded("DTEND") == date(2027, 5, 22)  # a one-day event: the next day


def test_fold_line_keeps_every_octet():
    line = "DESCRIPTION:" + "é" * 100
    folded = fold_line(line)
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))


def test_upcoming_events_come_first_soonest_first_then_past_latest_first():
    def at(m, d):
        return datetime(2027, m, d, 8, 0, tzinfo=timezone.utc)

    rs = [event("past-old", at(1, 5), at(1, 6)), event("soon", at(3, 10), None),
          event("later", at(6, 1), None), event("past-recent", at(2, 20), at(2, 21)),
          event("running", at(2, 27), at(3, 2)), Resource(id="news", title="n", url="u")]
    assert [r.id for r in upcoming_first(rs, now=NOW)] == ["running", "soon", "later", "past-recent", "past-old"]


def test_resources_without_event_dates_are_left_out():
    body = calendar([Resource(id="n1", title="News", url="https://x.example/n")], name="P",
                    page_url=page_url, now=NOW)
    assert parse(body).walk("VEVENT") == []
