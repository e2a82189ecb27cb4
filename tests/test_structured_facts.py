"""Structured facts from the catalogue to the user: deadlines ("open now"), upcoming events, the
date range, places and the city facet — in the JSON API, the search page (plain HTML, no
script), the resource page, one flow in chromium; and through normalisation and the catalogue:
a record's stated deadline, a harvested page's city, old place rows.

Deadlines are set relative to the moment the portal is built (past ones hours or days before
it, future ones days after it): "open now" must list exactly the calls whose deadline has not
passed when the test asks.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from babel.dates import format_date
from sqlalchemy import update

from indexer.catalogue import Catalogue
from indexer.catalogue.tables import resources_t
from indexer.indexing import drain
from indexer.normalise import normalise
from indexer.query import SearchQuery
from indexer.resource import (
    Hints,
    Instance,
    Place,
    RawDocument,
    Resource,
    resource_id_for,
)
from search_ui import create_app
from tests.browser_support import build_portal, serve_app
from tests.conftest import harvest, make_settings, write_sources
from tests.sitemap_site import SitemapSite
from tests.test_catalogue import db_url  # noqa: F401  (SQLite, and PostgreSQL when it is set)

NOW = datetime.now(timezone.utc).replace(microsecond=0)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def _resource(slug: str, title: str, type_: str, published: datetime, *, city=None,
              country="LT", deadline=None, start=None, end=None, found=()) -> Resource:
    url = f"https://kaunas.example/{slug}"
    return Resource(
        id=resource_id_for(url), title=title, url=url, summary=f"{title}.",
        body=f"{title}. Circular economy funding and events for cities.",
        instances=[Instance(source_id="urbact", url=url, first_seen=published,
                            last_seen=published)],
        published=published, language="en", type=type_,
        places=([Place(country=country, city=city)] if city or country else []) + list(found),
        harvested_at=published, deadline=deadline, event_start=start, event_end=end)


def facts_resources() -> list[Resource]:
    return [
        _resource("call-soon", "Kaunas call closing soon", "funding", NOW - 40 * DAY,
                  city="Kaunas", deadline=NOW + 6 * HOUR),
        _resource("call-later", "Vilnius call closing later", "funding", NOW - 50 * DAY,
                  city="Vilnius", deadline=NOW + 30 * DAY,
                  found=[Place(country="LT", name="Vilnius County", kind="region",
                               geonameid=864485, origin="text")]),
        _resource("call-closed", "Kaunas call that closed", "funding", NOW - 20 * DAY,
                  city="Kaunas", deadline=NOW - 2 * HOUR),
        _resource("call-long-closed", "Call closed last year", "funding", NOW - 400 * DAY,
                  deadline=NOW - 300 * DAY),
        _resource("event-running", "Repair fair under way", "event", NOW - 10 * DAY,
                  city="Kaunas", start=NOW - DAY, end=NOW + DAY),
        _resource("event-next", "Circular summit next month", "event", NOW - 5 * DAY,
                  start=NOW + 30 * DAY, end=NOW + 32 * DAY),
        _resource("event-past", "Workshop last week", "event", NOW - 30 * DAY,
                  start=NOW - 8 * DAY, end=NOW - 7 * DAY),
        _resource("news", "News without dates", "news", NOW - 3 * DAY),
    ]


def _id(slug: str) -> str:
    return resource_id_for(f"https://kaunas.example/{slug}")


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    p = build_portal(tmp_path_factory.mktemp("facts"), facts_resources())
    yield p
    p.close()


@pytest.fixture(scope="module")
def app(portal):
    return create_app({"TESTING": True}, settings=portal.settings, catalogue=portal.catalogue,
                      backend=portal.backend)


@pytest.fixture()
def client(app):
    return app.test_client()


def api(client, url: str, status: int = 200) -> dict:
    resp = client.get(url)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return resp.get_json()


def page(client, url: str, status: int = 200):
    resp = client.get(url)
    assert resp.status_code == status, (url, resp.status_code)
    return lxml.html.fromstring(resp.get_data(as_text=True))


def shown_ids(doc) -> list[str]:
    return [li.get("data-resource-id") for li in doc.cssselect("ol.results > li.result")]


# -- the JSON API -------------------------------------------------------------------------------
def test_open_now_lists_exactly_the_calls_whose_deadline_has_not_passed(client):
    data = api(client, "/api/search?open=1&sort=deadline")
    still_open = [r for r in facts_resources() if r.deadline and r.deadline >= NOW]
    assert [r["id"] for r in data["results"]] == [
        r.id for r in sorted(still_open, key=lambda r: r.deadline)]
    assert data["total"] == 2 and data["query"]["open"] is True
    assert data["query"]["sort"] == "deadline"
    soon = data["results"][0]
    assert soon["deadline"] == (NOW + 6 * HOUR).isoformat().replace("+00:00", "Z")
    assert soon["places"] == [{"country": "LT", "city": "Kaunas"}]
    assert soon["start"] is None and soon["end"] is None


def test_upcoming_lists_the_events_not_yet_over(client):
    data = api(client, "/api/search?upcoming=1")
    assert {r["id"] for r in data["results"]} == {_id("event-running"), _id("event-next")}
    nxt = next(r for r in data["results"] if r["id"] == _id("event-next"))
    assert nxt["start"] == (NOW + 30 * DAY).isoformat().replace("+00:00", "Z")
    assert nxt["end"] == (NOW + 32 * DAY).isoformat().replace("+00:00", "Z")


def test_the_date_range_is_on_the_resources_date(client):
    day = (NOW - 20 * DAY).date().isoformat()
    data = api(client, f"/api/search?date_from={day}&date_to={day}")
    assert [r["id"] for r in data["results"]] == [_id("call-closed")]
    assert data["query"]["date_from"] == day == data["query"]["date_to"]
    since = (NOW - 10 * DAY).date().isoformat()
    recent = {r["id"] for r in api(client, f"/api/search?date_from={since}")["results"]}
    assert recent == {_id("event-running"), _id("event-next"), _id("news")}


def test_a_bad_date_is_refused_with_the_reason(client):
    assert api(client, "/api/search?date_from=2026-02-30", 400) == {
        "error": "The parameter date_from must be a date written as YYYY-MM-DD."}
    assert api(client, "/api/search?date_to=15/03/2027", 400) == {
        "error": "The parameter date_to must be a date written as YYYY-MM-DD."}
    assert api(client, "/api/search?date_from=2027-01-02&date_to=2027-01-01", 400) == {
        "error": "The start date must not be after the end date."}
    doc = page(client, "/search?date_from=tomorrow", 400)
    assert "The parameter date_from must be a date written as YYYY-MM-DD." in doc.text_content()
    doc = page(client, "/fr/search?date_from=2027-01-02&date_to=2027-01-01", 400)
    said = "La date de début ne peut pas être postérieure à la date de fin."
    assert said in doc.text_content()


def test_the_city_facet_counts_cities_and_filters_by_them(client):
    data = api(client, "/api/search")
    assert {v["value"]: v["count"] for v in data["facets"]["city"]} == {"Kaunas": 3, "Vilnius": 1}
    kaunas = api(client, "/api/search?city=Kaunas&open=1")
    assert [r["id"] for r in kaunas["results"]] == [_id("call-soon")]
    assert kaunas["query"]["filters"] == {"city": ["Kaunas"]}


def test_the_command_line_search_takes_the_same_filters(portal):
    from tests.test_cli import ccp

    out = ccp("search", "--json", "--open", "--sort", "deadline",
              data_dir=portal.settings.data_dir)
    assert out.exit_code == 0, out.output
    assert [r["id"] for r in json.loads(out.stdout)["results"]] == [
        _id("call-soon"), _id("call-later")]
    day = (NOW - 20 * DAY).date().isoformat()
    out = ccp("search", "--json", "--city", "Kaunas", "--date-from", day, "--date-to", day,
              data_dir=portal.settings.data_dir)
    assert [r["id"] for r in json.loads(out.stdout)["results"]] == [_id("call-closed")]
    bad = ccp("search", "--date-from", "15/03/2027", data_dir=portal.settings.data_dir)
    assert bad.exit_code == 2 and "--date-from" in bad.output


# -- the search page, without script -------------------------------------------------------------
def test_the_search_page_filters_and_keeps_every_filter_in_its_links(client):
    doc = page(client, "/search?open=1&sort=deadline&per_page=1")
    assert shown_ids(doc) == [_id("call-soon")]
    assert doc.cssselect("input#open")[0].get("checked") is not None
    assert doc.cssselect("input#upcoming")[0].get("checked") is None
    assert doc.cssselect("select#sort option[value=deadline]")[0].get("selected") is not None
    # the next page keeps the filter and the sort; the chip removes only the filter
    nxt = next(a.get("href") for a in doc.cssselect("a") if "page=2" in (a.get("href") or ""))
    assert parse_qs(urlsplit(nxt).query) == {"open": ["1"], "sort": ["deadline"],
                                             "per_page": ["1"], "page": ["2"]}
    assert shown_ids(page(client, nxt)) == [_id("call-later")]
    chip = doc.cssselect('li.chip[data-facet="open"] a.chip-remove')[0].get("href")
    assert parse_qs(urlsplit(chip).query) == {"sort": ["deadline"], "per_page": ["1"]}
    # a city facet value is a link that adds the filter beside the others
    city = doc.cssselect('a.facet-link[data-facet="city"][data-value="Kaunas"]')[0].get("href")
    assert parse_qs(urlsplit(city).query)["open"] == ["1"]
    # the form of the date filters carries the rest of the state in hidden fields
    form = doc.cssselect("form#facts-form")[0]
    hidden = {(i.get("name"), i.get("value")) for i in form.cssselect("input[type=hidden]")}
    assert hidden == {("sort", "deadline"), ("per_page", "1")}


def test_the_date_inputs_show_the_range_and_upcoming_keeps_its_box(client):
    day = (NOW - 20 * DAY).date().isoformat()
    doc = page(client, f"/search?upcoming=1&date_from={day}")
    assert doc.cssselect("input#date_from")[0].get("value") == day
    assert doc.cssselect("input#upcoming")[0].get("checked") is not None
    assert set(shown_ids(doc)) == {_id("event-running"), _id("event-next")}
    chips = {li.get("data-facet") for li in doc.cssselect("li.chip")}
    assert chips == {"upcoming", "date_from"}
    clear = doc.cssselect("a.clear-all")[0].get("href")
    assert clear == "/search"


# -- the resource page -----------------------------------------------------------------------------
def test_the_resource_page_shows_the_deadline_event_dates_and_places(client):
    doc = page(client, f"/resource/{_id('call-soon')}")
    closes = format_date((NOW + 6 * HOUR).astimezone(_brussels()).date(), format="long",
                         locale="en")
    assert doc.cssselect("#deadline")[0].text_content().strip() == f"Closes {closes}"
    about = doc.cssselect("#about-places a")
    assert [(a.text_content(), a.get("href")) for a in about] == [
        ("Resources about Kaunas", "/search?city=Kaunas")]
    closed = page(client, f"/resource/{_id('call-closed')}")
    assert closed.cssselect("#deadline")[0].text_content().strip().startswith("Closed ")
    event = page(client, f"/resource/{_id('event-next')}")
    times = event.cssselect("#event-dates time")
    assert [t.get("datetime") for t in times] == [
        (NOW + 30 * DAY).isoformat().replace("+00:00", "Z"),
        (NOW + 32 * DAY).isoformat().replace("+00:00", "Z")]
    de = page(client, f"/de/resource/{_id('call-later')}")
    assert de.cssselect("#deadline")[0].text_content().strip().startswith("Endet am ")
    assert de.cssselect("#regions")[0].text_content() == "Vilnius County"
    assert [a.text_content() for a in de.cssselect("#places a")] == ["Vilnius"]


def _brussels():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Brussels")


# -- catalogue and normalisation -----------------------------------------------------------------
def _record_page(title: str, text: str) -> bytes:
    return (f"<!doctype html><html lang='en'><head><title>{title}</title></head><body><main>"
            f"<h1>{title}</h1><p>{text}</p></main></body></html>").encode()


def _source(**kw):
    from config.models import SitemapSource

    return SitemapSource(id="records", name="Records", type="sitemap",
                         url="https://records.example/sitemap.xml", **kw)


def test_a_catalogue_records_deadline_reaches_the_search_results_and_its_update_too(
        tmp_path, db_url):  # noqa: F811
    cat = Catalogue(db_url)
    cat.create_all()
    cat.sync_sources([_source()])
    from indexer.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(tmp_path / "index")
    text = ("The city invites proposals for reuse centres in its districts. Partners from "
            "every sector may apply with a plan and a budget.")
    first = NOW + 10 * DAY

    def harvested(deadline: datetime, resource_type: str) -> Resource:
        raw = RawDocument(
            source_id="records", url="https://records.example/call/7",
            final_url="https://records.example/call/7", body=_record_page("Reuse centres", text),
            headers={"content-type": "text/html; charset=utf-8"},
            hints=Hints(guid="oai:records:7", deadline=deadline, resource_type=resource_type,
                        publisher="Kaunas City Municipality", licence="CC-BY-4.0"))
        return normalise(raw, _source())

    res = harvested(first, "funding")
    assert (res.type, res.publisher, res.licence) == (
        "funding", "Kaunas City Municipality", "CC-BY-4.0")
    assert cat.ingest(res) == "added"
    drain(cat, backend, raise_errors=True)
    (hit,) = backend.search(SearchQuery(open=True)).hits
    assert hit.doc["deadline"] == first.isoformat().replace("+00:00", "Z")
    assert hit.doc["type"] == "funding"
    # the record's deadline moves, its text stays: an update, through the outbox to the index
    moved = NOW - HOUR
    assert cat.ingest(harvested(moved, "funding")) == "updated"
    assert cat.get_resource(hit.id).deadline == moved
    drain(cat, backend, raise_errors=True)
    assert backend.search(SearchQuery(open=True)).total == 0
    (hit,) = backend.search(SearchQuery(sort="deadline")).hits
    assert hit.doc["deadline"] == moved.isoformat().replace("+00:00", "Z")
    # a stated type that is not one of the portal's: the classifier's guess stays
    assert harvested(first, "Call for tenders").type != "Call for tenders"
    backend.close()
    cat.close()


def test_a_page_stored_before_its_places_were_found_is_updated_once(tmp_path):
    from dataclasses import replace


    cat = Catalogue(f"sqlite:///{tmp_path / 'catalogue.db'}")
    cat.create_all()
    cat.sync_sources([_source()])
    raw = RawDocument(
        source_id="records", url="https://records.example/news/3",
        final_url="https://records.example/news/3",
        body=_record_page("Repair cafés", "Kaunas opened three repair cafés in its libraries; "
                          "volunteers fix lamps, bikes and clothes every Saturday."),
        headers={"content-type": "text/html; charset=utf-8"})
    now = normalise(raw, _source())
    assert [(p.city, p.origin) for p in now.places] == [("Kaunas", "text")]
    # as the portal stored it before places were recognised: no places, the text's hash
    before = replace(now, places=[], served_hash="",
                     instances=[replace(i) for i in now.instances])
    assert cat.ingest(before) == "added"
    assert cat.ingest(normalise(raw, _source())) == "updated"
    assert cat.get_resource(now.id).cities == ["Kaunas"]
    assert cat.ingest(normalise(raw, _source())) == "unchanged"
    cat.close()


def test_a_city_has_one_name_however_the_source_and_the_text_name_it(tmp_path):
    from dataclasses import replace


    source = _source(city="Den Haag", country="NL", language="nl")
    cat = Catalogue(f"sqlite:///{tmp_path / 'catalogue.db'}")
    cat.create_all()
    cat.sync_sources([source])
    raw = RawDocument(
        source_id="records", url="https://records.example/nieuws/9",
        final_url="https://records.example/nieuws/9",
        body=_record_page("Repair cafés", "The Hague opens two repair cafés; Rotterdam follows "
                          "in the spring with one in every district."),
        headers={"content-type": "text/html; charset=utf-8"})
    res = normalise(raw, source)
    hague = [p for p in res.places if p.country == "NL" and p.city == "The Hague"]
    assert len(hague) == 1 and hague[0].geonameid and hague[0].origin == "source"
    assert "Den Haag" not in res.cities and "Rotterdam" in res.cities
    # stored before: the configured name, no GeoNames id; the update leaves one Hague
    before = replace(res, places=[Place(country="NL", city="Den Haag")],
                     served_hash="",
                     instances=[replace(i) for i in res.instances])
    assert cat.ingest(before) == "added"
    assert cat.ingest(normalise(raw, source)) == "updated"
    assert cat.get_resource(res.id).cities == ["Rotterdam", "The Hague"]
    cat.close()


def test_old_place_rows_still_load_and_new_ones_keep_what_they_know(db_url):  # noqa: F811
    cat = Catalogue(db_url)
    cat.create_all()
    res = _resource("old", "An old row", "report", NOW - DAY)
    cat.put_resource(res)
    with cat.engine.begin() as c:  # a row written before places had more than these two keys
        c.execute(update(resources_t).where(resources_t.c.id == res.id).values(
            places=[{"country": "NL", "city": "Amsterdam"}, {"country": "EU", "city": None}]))
    loaded = cat.get_resource(res.id)
    assert loaded.places == [Place(country="NL", city="Amsterdam", name="Amsterdam"),
                             Place(country="EU")]
    assert loaded.cities == ["Amsterdam"] and loaded.countries == ["EU", "NL"]
    assert all(p.origin == "source" for p in loaded.places)
    # a place found in the text keeps its kind, GeoNames id and origin through the catalogue
    res.places = [Place(country="LT", city="Kaunas", name="Kaunas", kind="city",
                        geonameid=598316, origin="text"),
                  Place(country="LT", name="Lithuania", kind="country", geonameid=597427,
                        origin="text")]
    cat.put_resource(res)
    again = cat.get_resource(res.id)
    assert again.places == res.places and again.cities == ["Kaunas"]
    with cat.engine.connect() as c:
        stored = c.execute(resources_t.select().where(resources_t.c.id == res.id)).mappings().one()
    assert json.loads(json.dumps(stored["places"]))[0] == {
        "country": "LT", "city": "Kaunas", "kind": "city", "geonameid": 598316, "origin": "text"}
    cat.close()


def test_a_harvested_page_with_a_place_in_its_text_gets_the_city_facet(tmp_path):
    closes = (NOW + 60 * DAY).date()
    body = ("<p>The municipality of Kaunas opens a call for circular construction pilots in its "
            "old town. Deadline: " + format_date(closes, format="d MMMM y", locale="en") +
            ".</p><p>Builders and architects may apply together; the city pays half of the "
            "costs of each pilot and publishes what it learns for other cities.</p>")
    page_html = ("<!doctype html><html lang='en'><head><title>Circular construction pilots"
                 "</title></head><body><main><article><h1>Circular construction pilots</h1>"
                 f"{body}</article></main></body></html>").encode()
    with SitemapSite({"/calls/pilots": page_html}) as site:
        settings = make_settings(tmp_path / "data")
        write_sources(tmp_path / "data" / "sources", [
            {"id": "lt-news", "name": "Lithuanian news", "type": "sitemap",
             "url": site.base + "/sitemap.xml", "country": "LT"}])
        assert harvest(settings, ["lt-news"]).status == "finished"
    app = create_app({"TESTING": True}, settings=settings)
    data = app.test_client().get("/api/search?city=Kaunas").get_json()
    assert [r["title"] for r in data["results"]] == ["Circular construction pilots"]
    assert {v["value"] for v in data["facets"]["city"]} == {"Kaunas"}
    (hit,) = data["results"]
    kaunas = next(p for p in hit["places"] if p.get("city") == "Kaunas")
    assert kaunas["origin"] == "text" and kaunas["kind"] == "city" and kaunas["country"] == "LT"
    assert hit["deadline"] and hit["deadline"].startswith(closes.isoformat()[:7])
    assert app.test_client().get("/api/search?open=1").get_json()["total"] == 1


# -- one flow in a real browser ------------------------------------------------------------------
def test_ticking_open_calls_only_in_chromium_lists_the_open_calls(app, page_in_browser):
    with serve_app(app) as base:
        pg = page_in_browser
        pg.goto(base + "/search")
        pg.locator("input#open").check()
        pg.locator("#facts-apply").click()
        pg.wait_for_url("**open=1**")
        ids = pg.locator("ol.results > li.result").evaluate_all(
            "els => els.map(e => e.dataset.resourceId)")
        assert set(ids) == {_id("call-soon"), _id("call-later")}
        assert pg.locator('li.chip[data-facet="open"]').count() == 1


@pytest.fixture()
def page_in_browser(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(str(e)))
    yield pg
    context.close()
    assert not problems, problems
