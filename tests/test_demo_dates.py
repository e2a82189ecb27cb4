"""The demo's calls and events, harvested from the fixture web as `ccp demo` does: every call
gets its deadline and every event its days, "open now" lists exactly the calls whose deadline
has not passed, and the events export as iCalendar, upcoming first.

The fixture content dates them relative to the day the fixture web is built
(ccp/fixtureweb/content/dates-*.yaml), so some calls are always open and some closed."""

from __future__ import annotations

from datetime import datetime, timezone

import icalendar
import pytest

from indexer.deadlines import BRUSSELS
from search_ui import create_app
from tests.conftest import harvest, make_settings, write_sources

# the demo sources that reach the dated articles (feeds and a sitemap)
SOURCES = ["euhub-news", "prato-notizie", "kaunas-naujienos", "porto-sitemap", "urbact-news"]
SITES = {"euhub", "prato", "kaunas", "porto", "urbact"}


@pytest.fixture(scope="module")
def demo(web, tmp_path_factory):
    data = tmp_path_factory.mktemp("demo-dates")
    settings = make_settings(data)
    write_sources(data / "sources", [s for s in web.demo_sources() if s["id"] in SOURCES])
    report = harvest(settings)
    assert report.status == "finished", report.to_dict()
    dated = [a for site, content in web.content.items() if site in SITES for a in content.articles
             if a.deadline is not None or a.event_start is not None]
    app = create_app({"TESTING": True}, settings=settings)
    return app.test_client(), dated


def _day(iso: str | None):
    if not iso:
        return None
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(BRUSSELS).date()


def _all(client, query: str) -> list[dict]:
    data = client.get(f"/api/search?{query}&per_page=100").get_json()
    assert data["total"] <= 100
    return data["results"]


def test_every_demo_call_and_event_has_its_dates(demo):
    client, dated = demo
    by_title = {r["title"]: r for r in _all(client, "q=")}
    for article in dated:
        hit = by_title[article.title]
        assert _day(hit["deadline"]) == article.deadline, article.slug
        assert _day(hit["start"]) == article.event_start, article.slug
        assert _day(hit["end"]) == article.event_end, article.slug


def test_open_now_lists_exactly_the_calls_whose_deadline_has_not_passed(demo):
    client, dated = demo
    today = datetime.now(BRUSSELS).date()
    expected = {a.title for a in dated if a.deadline is not None and a.deadline >= today}
    closed = {a.title for a in dated if a.deadline is not None and a.deadline < today}
    assert expected and closed  # the demo always has both
    assert {r["title"] for r in _all(client, "open=1")} == expected


def test_the_demo_events_export_as_icalendar_upcoming_first(demo):
    client, dated = demo
    now = datetime.now(timezone.utc)
    resp = client.get("/events.ics?type=event")
    assert resp.status_code == 200
    events = icalendar.Calendar.from_ical(resp.data).walk("VEVENT")
    titles = [str(e["SUMMARY"]) for e in events]
    demo_events = sorted((a for a in dated if a.event_start is not None), key=lambda a: a.event_start)
    upcoming = [a.title for a in demo_events if a.event_end >= now.astimezone(BRUSSELS).date()]
    past = [a.title for a in reversed(demo_events) if a.event_end < now.astimezone(BRUSSELS).date()]
    assert upcoming and past
    assert [t for t in titles if t in upcoming + past] == upcoming + past
