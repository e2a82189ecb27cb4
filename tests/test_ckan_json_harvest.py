"""The `ckan` and `json` source types against fixture APIs on 127.0.0.1 (real HTTP, the real
harvest in its child process, the real catalogue and index): full and incremental harvests
(checked on the requests the servers recorded), deletions, paging, errors, discovery."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ccp.fixtureweb.apiserver import Answer
from ccp.fixtureweb.ckan import DATASETS, CkanSite
from ccp.fixtureweb.jsonapi import CALLS, CallsApi
from config import load_sources
from indexer.backends import get_backend
from indexer.catalogue import Catalogue
from indexer.query import SearchQuery

from .ckanjson_support import database, instances, live
from .conftest import harvest, make_settings, write_sources

SEARCH = "/api/3/action/package_search"
CALLS_PATH = "/search-api/rest/search"


def _ckan_source(site: CkanSite, **kw) -> dict:
    return {"id": kw.pop("id", "odp"), "name": "Open data portal", "type": "ckan",
            "url": site.url("/"), **kw}


def _calls_source(api: CallsApi, **kw) -> dict:
    return {"id": kw.pop("id", "ft-calls"), "name": "Funding calls", "type": "json",
            "url": api.url(CALLS_PATH), "params": {"apiKey": "SEDIA", "text": "***"},
            "items": "results",
            "fields": {"url": "url", "id": "reference", "title": "title",
                       "summary": "summary", "deadline": "metadata.deadlineDate",
                       "start": "metadata.startDate[0]", "end": "metadata.endDate[0]",
                       "language": "metadata.language", "type": "metadata.type[0]",
                       "updated": "metadata.modified[0]"},
            "paging": {"kind": "page", "param": "pageNumber", "size_param": "pageSize",
                       "size": 3, "total": "totalResults"}, **kw}


def _searchable(settings, words: str) -> set[str]:
    backend = get_backend(settings)
    try:
        return {h.id for h in backend.search(SearchQuery(text=words, per_page=50)).hits}
    finally:
        backend.close()


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _at(days: int, hour: int) -> datetime:
    """``hour`` o'clock UTC, ``days`` from today: how the fixture calls API writes dates."""
    return datetime.combine(_today() + timedelta(days=days), time(hour), timezone.utc)


def _wanted_documents(site: CkanSite) -> set[str]:
    return {r["url"] for p in site.packages.values() for r in p["resources"]
            if r["format"] in ("PDF", "HTML")}


# -- CKAN ------------------------------------------------------------------------------------
@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_ckan_full_then_incremental_with_deletions(tmp_path, db):
    with database(db) as db_url, CkanSite() as site:
        settings = make_settings(tmp_path, database_url=db_url)
        write_sources(settings.sources, [_ckan_source(site, rows=3)])
        kaunas = site.package("kaunas-tekstiles-atlieku-surinkimas")["resources"][0]["url"]
        site.fail(kaunas.replace(site.base, ""), Answer(503, b"busy", "text/plain"))
        first = harvest(settings, workers=0)
        src = first.sources[0]
        assert (src.status, src.failed) == ("succeeded", 1), first.to_dict()
        assert [(e.url, e.message) for e in src.errors] == \
            [(kaunas, "HTTP 503 Service Unavailable")]
        cat = Catalogue(settings.catalogue_url)
        wanted = _wanted_documents(site)
        assert live(cat, "odp") == wanted - {kaunas} and src.added == len(wanted) - 1 == 9
        # paged to the end: start 0, 3, 6 of 8 datasets, oldest change first
        searches = site.requests(SEARCH)
        assert [h.query["start"] for h in searches] == ["0", "3", "6"]
        assert {h.query["sort"] for h in searches} == {"metadata_modified asc"}
        # the CSV resource is not a document; every instance's GUID is dataset/resource
        assert not any(u.endswith(".csv") for u in live(cat, "odp"))
        pkg = site.package("hamburg-reparaturcafes")
        guid = f"{pkg['id']}/{pkg['resources'][0]['id']}"
        assert instances(cat, "odp")[pkg["resources"][0]["url"]][1] == guid
        rid = instances(cat, "odp")[pkg["resources"][0]["url"]][2]
        stored = cat.get_resource(rid)
        assert (stored.publisher, stored.licence) == ("Stadtreinigung Hamburg",
                                                      "Datenlizenz Deutschland 2.0")
        languages = {r.language for r in cat.iter_resources()}
        assert {"fr", "de", "it", "nl", "pt", "en", "es"} <= languages

        # the site changes: one dataset edited, one deleted, one purged, one new, one that
        # drops a resource; the PDF that failed is answered again
        site.heal()
        site.forget_requests()
        hamburg = site.package("hamburg-reparaturcafes")
        site.modify("hamburg-reparaturcafes", notes="Standorte und Auswertung 2025.")
        indicators = site.package("circular-city-indicators")
        dropped, kept = (r["url"] for r in indicators["resources"])
        site.modify("circular-city-indicators", resources=indicators["resources"][1:])
        site.delete("porto-compostagem-comunitaria")
        prato_urls = {r["url"] for r in site.package("prato-distretto-tessile-circolare")
                      ["resources"]}
        site.purge("prato-distretto-tessile-circolare")
        new = site.add(("oslo-ombruk-moebler", "eea-cities", "en",
                        "Furniture reuse depots in Oslo",
                        "Where residents bring and collect used furniture.",
                        ["reuse", "furniture"], "CC0-1.0", "2025-01-10T10:00:00",
                        "2025-01-10T10:00:00",
                        [("HTML", "Reuse depots", "/pages/oslo-ombruk.html", [
                            "Oslo runs reuse depots where residents leave furniture, "
                            "kitchenware and sports equipment that others can take for free.",
                            "The depots are staffed by the municipal waste agency and open "
                            "on weekdays and Saturday mornings across the city districts.",
                            "Furniture in good condition is checked and cleaned before it "
                            "is offered again, and broken items are repaired when possible."
                        ])]))
        porto_urls = {r["url"] for r in site.package("porto-compostagem-comunitaria")
                      ["resources"]}
        porto_ids = {rid for u, (_s, _g, rid) in instances(cat, "odp").items()
                     if u in porto_urls}
        assert _searchable(settings, "compostagem") & porto_ids

        second = harvest(settings, workers=0)
        src = second.sources[0]
        assert (src.status, src.failed) == ("succeeded", 0), second.to_dict()
        searches = [h for h in site.requests(SEARCH) if h.query.get("fl") != "id"
                    and "res_url" not in h.query.get("fq", "")]
        since = datetime.strptime(
            re.search(r"metadata_modified:\[(\S+) TO \*\]", searches[0].query["fq"]).group(1),
            "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        run1 = first.sources[0].started_at.replace(tzinfo=timezone.utc)
        assert since == run1 - timedelta(minutes=60)
        assert searches[0].query["include_deleted"] == "true"
        # only what changed was fetched: the edited datasets' documents (conditional GETs),
        # the new dataset's page, and the PDF that failed last run (its dataset found by
        # res_url) — nothing of the datasets that did not change
        fetched = {site.base + h.path for h in site.requests()
                   if not h.path.startswith("/api/") and h.path != "/robots.txt"}
        assert fetched == {site.url("/pages/oslo-ombruk.html"), hamburg["resources"][0]["url"],
                           kept, kaunas}
        retry = [h for h in site.requests(SEARCH) if "res_url" in h.query.get("fq", "")]
        assert len(retry) == 1 and kaunas in retry[0].query["fq"]
        # a changed dataset's documents are asked in full: its new metadata is stored
        assert not site.requests(hamburg["resources"][0]["url"].replace(site.base, ""))[0] \
            .headers.get("if-none-match")
        # the cheap full listing of ids, 1,000 a page
        ids = [h for h in site.requests(SEARCH) if h.query.get("fl") == "id"]
        assert [(h.query["rows"], h.query["start"]) for h in ids] == [("1000", "0")]
        # deleted and purged datasets are gone at once, from the catalogue and the search
        now = live(cat, "odp")
        assert not (porto_urls | prato_urls | {dropped}) & now
        assert {new["resources"][0]["url"], kaunas, kept} <= now
        assert not _searchable(settings, "compostagem") & porto_ids
        assert (src.added, src.failed) == (2, 0)
        cat.close()


def test_ckan_errors_fail_the_source_naming_the_url_and_keep_what_is_stored(tmp_path):
    bad = ("broken-links", "lyon", "fr", "Liens cassés", "Un jeu de données mal formé.",
           [], "CC0-1.0", "2024-01-01T00:00:00", "2024-01-02T00:00:00",
           [("PDF", "Lien", "javascript:alert(1)", None)])
    with CkanSite(DATASETS[:2] + [bad]) as good, CkanSite(DATASETS[2:3]) as refuses, \
            CkanSite(DATASETS[3:4]) as not_json, CkanSite(DATASETS[4:5]) as crashes, \
            CkanSite(DATASETS[5:6]) as hangs:
        settings = make_settings(tmp_path, retry_times=0)
        write_sources(settings.sources, [
            _ckan_source(good, id="good"), _ckan_source(refuses, id="refuses"),
            _ckan_source(not_json, id="not-json"), _ckan_source(crashes, id="crashes"),
            _ckan_source(hangs, id="hangs")])
        good.packages[good.package("broken-links")["id"]]["resources"][0]["url"] = \
            "javascript:alert(1)"
        good.packages["no-id"] = {"name": "no-id", "title": "Sans identifiant",
                                  "state": "active", "metadata_modified": "2024-01-03T00:00:00",
                                  "metadata_created": "2024-01-03T00:00:00", "resources": [],
                                  "tags": [], "notes": ""}
        first = harvest(settings, workers=0)
        by_id = {s.source_id: s for s in first.sources}
        assert by_id["good"].status == "succeeded" and by_id["good"].added == 3
        errors = {e.kind: e for e in by_id["good"].errors}
        assert "javascript:alert(1)" in errors["bad-link"].url
        assert errors["parse"].url.endswith("/dataset/no-id")
        cat = Catalogue(settings.catalogue_url)
        bad_sources = ("refuses", "not-json", "crashes", "hangs")
        stored = {s: live(cat, s) for s in bad_sources}
        assert all(len(v) == 1 for v in stored.values())

        refuses.fail(SEARCH, Answer(409, b'{"help": "", "success": false, "error": '
                                         b'{"__type": "Search Query Error", "message": '
                                         b'"Search Query is invalid"}}'))
        not_json.fail(SEARCH, Answer(200, b"<html>Maintenance</html>", "text/html"))
        crashes.fail(SEARCH, Answer(500, b"Internal Server Error", "text/plain"))
        hangs.fail(SEARCH, Answer(hang=True))
        settings.download_timeout = 5.0
        second = harvest(settings, list(bad_sources), workers=0)
        by_id = {s.source_id: s for s in second.sources}
        for sid, site, cause in (("refuses", refuses, "success: false"),
                                 ("not-json", not_json, "did not answer JSON"),
                                 ("crashes", crashes, "HTTP 500"),
                                 ("hangs", hangs, "timeout")):
            s = by_id[sid]
            assert s.status == "failed" and site.url(SEARCH) in s.message, s.message
            assert cause in s.message and "\n" not in s.message
            assert live(cat, sid) == stored[sid]  # nothing stored is lost
        cat.close()


# -- JSON APIs -------------------------------------------------------------------------------
def test_json_calls_full_incremental_and_gone(tmp_path):
    with CallsApi() as api:
        settings = make_settings(tmp_path)
        write_sources(settings.sources, [_calls_source(api, since_param="modifiedSince",
                                                       gone_after_runs=1)])
        first = harvest(settings, workers=0)
        s = first.sources[0]
        assert (s.status, s.added, s.failed) == ("succeeded", len(CALLS), 0), first.to_dict()
        pages = api.requests(CALLS_PATH)
        assert [h.query["pageNumber"] for h in pages] == ["1", "2", "3"]
        assert all("modifiedSince" not in h.query for h in pages)
        cat = Catalogue(settings.catalogue_url)
        by_guid = {g: rid for _u, (_s, g, rid) in instances(cat, "ft-calls").items()}
        assert set(by_guid) == {c[0] for c in CALLS}
        call = {g: cat.get_resource(rid) for g, rid in by_guid.items()}
        assert call["SMP-COSME-2025-CLUSTERS"].language == "fr"
        # deadlines, event dates and types travel from the records into the resources
        assert call["LIFE-2026-CIRC-01"].deadline == _at(75, 17)
        assert call["SMP-COSME-2025-CLUSTERS"].deadline == _at(-45, 17)  # passed
        assert call["HORIZON-CL6-2026-CIRCBIO-03"].deadline == _at(140, 17)  # the next stage
        last_second = datetime.combine(_today() + timedelta(days=30), time(23, 59, 59),
                                       ZoneInfo("Europe/Brussels")).astimezone(timezone.utc)
        assert call["INTERREG-EUROPE-2026-5"].deadline == last_second  # a day without a time
        info = call["INFO-DAY-CIRC-2026"]
        assert (info.type, info.event_start, info.deadline) == ("event", _at(45, 9), None)
        assert info.event_end.astimezone(ZoneInfo("Europe/Brussels")).date() == \
            _today() + timedelta(days=46)
        assert {c.type for g, c in call.items() if g != "INFO-DAY-CIRC-2026"} == {"funding"}

        # incremental: only the calls changed since the last successful run are asked
        api.forget_requests()
        api.modify("NL-CIRCULAIR-2026-02", deadline_days=40)
        second = harvest(settings, workers=0)
        asked = api.requests(CALLS_PATH)
        assert len(asked) == 1 and asked[0].query["modifiedSince"]
        since = datetime.strptime(asked[0].query["modifiedSince"], "%Y-%m-%dT%H:%M:%SZ")
        assert since.replace(tzinfo=timezone.utc) == \
            first.sources[0].started_at.replace(tzinfo=timezone.utc) - timedelta(minutes=60)
        assert [h.path for h in api.requests() if h.path.startswith("/calls/")] == \
            ["/calls/nl-circulair-2026-02.html"]
        assert second.sources[0].status == "succeeded"
        # the page did not change, the deadline did: it is stored
        assert second.sources[0].updated == 1
        assert cat.get_resource(by_guid["NL-CIRCULAIR-2026-02"]).deadline == _at(40, 17)

        # a call withdrawn from the API: an incremental run cannot see that, a complete one
        # (here: a source without since_param, conditional GET) marks it gone
        api.remove("EUI-IA-2025-04")
        api.modify("LIFE-2026-CIRC-01", deadline_days=90)
        api.forget_requests()
        write_sources(settings.sources, [_calls_source(api, gone_after_runs=1)])
        third = harvest(settings, workers=0)
        assert third.sources[0].status == "succeeded"
        # pages are asked conditionally, except those whose records say they changed since
        # the last run (less the overlap: the call changed before run 2 too)
        conditional = {h.path: bool(h.headers.get("if-none-match"))
                       for h in api.requests() if h.path.startswith("/calls/")}
        assert {p for p, c in conditional.items() if not c} == \
            {"/calls/life-2026-circ-01.html", "/calls/nl-circulair-2026-02.html"}
        assert len(conditional) == len(CALLS) - 1
        assert cat.get_resource(by_guid["LIFE-2026-CIRC-01"]).deadline == _at(90, 17)
        gone = {g for _u, (st, g, _r) in instances(cat, "ft-calls").items() if st == "gone"}
        assert gone == {"EUI-IA-2025-04"}
        assert by_guid["EUI-IA-2025-04"] not in _searchable(settings, "innovative")
        # nothing changed since: the first page answers 304 and nothing else is asked
        api.forget_requests()
        fourth = harvest(settings, workers=0)
        asked = api.requests(CALLS_PATH)
        assert [(h.status, bool(h.headers.get("if-none-match"))) for h in asked] == \
            [(304, True)]
        assert fourth.sources[0].status == "succeeded"
        cat.close()


def test_json_post_cursor_paging_and_bad_records(tmp_path):
    with CallsApi() as api:
        settings = make_settings(tmp_path)
        write_sources(settings.sources, [
            _calls_source(api, id="ft-post", method="POST",
                          body={"query": {"bool": {"must": [{"terms": {"type": ["1"]}}]}}},
                          fetch_pages=False),
            {"id": "projects", "name": "Projects", "type": "json",
             "url": api.url("/kohesio/projects"), "items": "data",
             "fields": {"url": "link", "id": "id", "title": "title", "summary": "summary"},
             "paging": {"kind": "cursor", "param": "cursor", "next": "next_cursor",
                        "size_param": "limit", "size": 2}},
        ])
        report = harvest(settings, workers=0)
        by_id = {s.source_id: s for s in report.sources}
        assert by_id["ft-post"].added == len(CALLS), report.to_dict()
        posts = [h for h in api.requests(CALLS_PATH) if h.method == "POST"]
        assert len(posts) == 3 and all(b'"terms"' in h.body for h in posts)
        # fetch_pages: false — the records themselves are the documents, no page fetched
        assert not [h for h in api.requests() if h.path.startswith("/calls/")]
        cursors = [h.query.get("cursor") for h in api.requests("/kohesio/projects")]
        assert cursors == [None, "2", "4"]
        assert by_id["projects"].added == 5

        # a record without a URL is skipped alone; an items path that finds nothing fails
        # the source with the URL named, and what it stored stays
        with api.lock:
            api.calls["LIFE-2026-CIRC-01"]["url"] = None
        write_sources(settings.sources, [
            _calls_source(api, id="ft-post", method="POST", fetch_pages=False),
            {"id": "projects", "name": "Projects", "type": "json",
             "url": api.url("/kohesio/projects"), "items": "records",
             "fields": {"url": "link"}}])
        again = harvest(settings, workers=0)
        by_id = {s.source_id: s for s in again.sources}
        assert by_id["ft-post"].status == "succeeded" and by_id["ft-post"].skipped == 1
        assert [e.kind for e in by_id["ft-post"].errors] == ["no-url"]
        assert by_id["projects"].status == "failed"
        assert "items 'records' finds nothing" in by_id["projects"].message
        assert api.url("/kohesio/projects") in by_id["projects"].message
        cat = Catalogue(settings.catalogue_url)
        assert len(live(cat, "projects")) == 5
        cat.close()


def test_config_errors_name_the_field(tmp_path):
    from config import SourceConfigError

    with CallsApi() as api:
        src = _calls_source(api)
        src["fields"] = {**src["fields"], "deadline": "metadata.deadlineDate[0"}
        write_sources(tmp_path / "sources", [src])
        with pytest.raises(SourceConfigError) as e:
            load_sources(tmp_path / "sources")
        msg = str(e.value)
        assert "ft-calls.yaml" in msg and "deadline" in msg and "JMESPath" in msg
    write_sources(tmp_path / "ckan", [{"id": "odp", "name": "ODP", "type": "ckan",
                                       "url": "https://data.example.eu/", "rows": 5000,
                                       "gone_after_runs": 2}])
    with pytest.raises(SourceConfigError) as e:
        load_sources(tmp_path / "ckan")
    lines = str(e.value).splitlines()
    assert any("odp.yaml: ckan.rows: must be at most 1000" in line for line in lines)
    assert any("ckan.gone_after_runs: does not apply" in line for line in lines)


# -- discovery -------------------------------------------------------------------------------
def test_sources_add_recognises_a_ckan_site(tmp_path):
    import os
    import subprocess
    import sys

    import yaml

    from .conftest import FIXTURE_ALLOWANCE, ROOT

    with CkanSite(DATASETS[:3]) as site:
        settings = make_settings(tmp_path)
        settings.sources.mkdir(parents=True)
        env = {**os.environ, "CCP_DATA_DIR": str(settings.data_dir),
               "CCP_SOURCES": str(settings.sources), "CCP_DOWNLOAD_DELAY": "0",
               "CCP_ALLOWED_PRIVATE_ADDRESSES": FIXTURE_ALLOWANCE}
        out = subprocess.run([sys.executable, "-m", "ccp.cli", "sources", "add",
                              site.url("/dataset/"), "--id", "odp", "--items", "2", "--yes"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "a CKAN 2.10.4 site (Open Data Portal of Circular Cities)" in out.stdout
        assert "3 item(s)" in out.stdout  # the datasets package_search counts
        assert "Preview of the first 2 item(s)" in out.stdout
        data = yaml.safe_load((settings.sources / "odp.yaml").read_text())
        assert data["type"] == "ckan" and data["url"] == site.url("/")
        assert [s.type for s in load_sources(settings.sources)] == ["ckan"]
        assert site.requests("/api/3/action/status_show")


def test_discovery_proposes_a_json_source_with_a_guessed_mapping(tmp_path):
    from config.models import SOURCE_ADAPTER
    from harvesters.discover import build_definition, discover

    with CallsApi() as api:
        settings = make_settings(tmp_path)
        url = api.url(CALLS_PATH + "?text=***&pageSize=50")
        found = discover(settings, url)
        first = found.candidates[0]
        assert first.definition["type"] == "json" and first.items == len(CALLS)
        assert first.definition["items"] == "results[]"
        fields = first.definition["fields"]
        assert (fields["url"], fields["title"], fields["summary"]) == ("url", "title", "summary")
        assert fields["deadline"] == "metadata.deadlineDate[0]"
        assert not any(c.definition["type"] == "crawl" for c in found.candidates)
        src = SOURCE_ADAPTER.validate_python(build_definition(first.definition,
                                                              source_id="ft-calls"))
        assert src.url.query and src.fields.url == "url"
