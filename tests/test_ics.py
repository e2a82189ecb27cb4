"""Events as iCalendar (search_ui/ics.py), read back with the icalendar library."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import icalendar

from indexer.deadlines import BRUSSELS
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


# -- the routes, on a real catalogue and index -------------------------------------------------
import pytest  # noqa: E402

from tests.browser_support import _res, build_portal  # noqa: E402


def _events_portal(data_dir):
    def at(days, hour=0):
        base = datetime.now(timezone.utc).replace(hour=hour, minute=0, second=0, microsecond=0)
        return base + timedelta(days=days)

    def whole_days(first: int, last: int):
        start = datetime.combine((datetime.now(BRUSSELS) + timedelta(days=first)).date(), time(0), BRUSSELS)
        end = datetime.combine((datetime.now(BRUSSELS) + timedelta(days=last)).date(), time(23, 59, 59), BRUSSELS)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)

    upcoming = _res("https://events.example/repair-festival", "Repair festival", "en", "event", at(-10),
                    body="Repair festival with circular workshops.", summary="Bring broken things; we fix them, together.",
                    instances=(("urbact", "https://events.example/repair-festival", "live"),))
    upcoming.event_start, upcoming.event_end = whole_days(20, 22)
    past = _res("https://events.example/circular-summit", "Circular summit", "en", "event", at(-60),
                body="The circular summit of cities.", instances=(("urbact", "https://events.example/circular-summit", "live"),))
    past.event_start, past.event_end = at(-30, 8), at(-30, 16)
    news = _res("https://news.example/circular-news", "Circular news", "en", "news", at(-5),
                body="Circular news without any event.", instances=(("ecesp", "https://news.example/circular-news", "live"),))
    return build_portal(data_dir, [upcoming, past, news]), upcoming, past, news


@pytest.fixture(scope="module")
def events_site(tmp_path_factory):
    from search_ui import create_app

    portal, upcoming, past, news = _events_portal(tmp_path_factory.mktemp("events"))
    app = create_app({"TESTING": True}, settings=portal.settings, catalogue=portal.catalogue,
                     backend=portal.backend)
    yield app.test_client(), upcoming, past, news
    portal.close()


def test_a_searchs_events_as_a_calendar_upcoming_first(events_site):
    client, upcoming, past, news = events_site
    resp = client.get("/events.ics?q=circular")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    events = parse(resp.data).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{upcoming.id}@circular-city-portal", f"{past.id}@circular-city-portal"]
    first = events[0]
    assert first.decoded("DTSTART") == upcoming.event_start.astimezone(BRUSSELS).date()  # all day
    assert first.decoded("DTEND") == upcoming.event_end.astimezone(BRUSSELS).date() + timedelta(days=1)
    assert str(first["URL"]) == upcoming.url
    assert f"/resource/{upcoming.id}" in str(first["DESCRIPTION"])
    assert events[1].decoded("DTSTART") == past.event_start  # a timed event, in UTC
    # the search's filters apply: only news, no events
    assert parse(client.get("/events.ics?type=news").data).walk("VEVENT") == []


def test_one_event_as_a_calendar_and_none_for_a_resource_without_dates(events_site):
    client, upcoming, _past, news = events_site
    for path in (f"/resources/{upcoming.id}.ics", f"/resource/{upcoming.id}.ics"):
        resp = client.get(path)
        assert resp.status_code == 200
        (ev,) = parse(resp.data).walk("VEVENT")
        assert str(ev["SUMMARY"]) == "Repair festival"
    assert client.get(f"/resources/{news.id}.ics").status_code == 404
    assert client.get("/resources/0123456789abcdef0123.ics").status_code == 404


def test_the_pages_link_the_calendars_where_there_are_events(events_site):
    client, upcoming, _past, news = events_site
    page = client.get("/search?q=circular").get_data(as_text=True)
    assert 'href="/events.ics?q=circular"' in page
    assert "events.ics" not in client.get("/search?type=news").get_data(as_text=True)
    assert f'href="/resources/{upcoming.id}.ics"' in client.get(f"/resource/{upcoming.id}").get_data(as_text=True)
    assert ".ics" not in client.get(f"/resource/{news.id}").get_data(as_text=True)
