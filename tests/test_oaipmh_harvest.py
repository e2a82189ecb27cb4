"""The ``oai-pmh`` source type against a real OAI-PMH provider library (``oaipmh``, the
maintained pyoai) serving the fixture repository over HTTP on 127.0.0.1: resumption tokens,
sets, incremental ``from``, deleted records, 503 with Retry-After, broken answers, protocol
errors, and discovery in ``ccp sources add``. Real catalogue (SQLite, or PostgreSQL with
CCP_TEST_DATABASE_URL), real search index.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from ccp.fixtureweb.oaipmh import ID_PREFIX, OaiPmhProvider
from config import load_sources
from harvesters.discover import build_definition, discover
from harvesters.oaipmh_dc import (
    portal_language,
    record_date,
    record_hints,
    resource_type,
)
from harvesters.oaipmh_xml import NotOaiPmh, parse_envelope, parse_list_records
from indexer.backends import get_backend
from indexer.catalogue import Catalogue
from indexer.query import SearchQuery

from .conftest import FIXTURE_ALLOWANCE, ROOT, harvest, make_settings, write_sources

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture()
def provider():
    with OaiPmhProvider(page_size=4) as p:
        yield p


@pytest.fixture()
def database():
    """A fresh PostgreSQL database when CCP_TEST_DATABASE_URL names a server, else None
    (SQLite in the data directory)."""
    base = os.environ.get("CCP_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    from .pg_support import create_pg_database, drop_pg_database

    url = create_pg_database(base)
    yield url
    drop_pg_database(base, url)


def _settings(tmp_path, provider, database=None, **source):
    settings = make_settings(tmp_path / "data")
    if database:
        settings.database_url = database
    write_sources(tmp_path / "data" / "sources", [
        {"id": "repo", "name": "Circular Cities Repository", "type": "oai-pmh",
         "url": provider.base_url, **source}])
    return settings


def _live(settings) -> dict[str, object]:
    """guid → resource of every live instance of the source."""
    cat = Catalogue(settings.catalogue_url)
    try:
        out = {}
        for r in cat.iter_resources():
            for i in r.live_instances:
                if i.source_id == "repo":
                    out[i.guid] = r
        return out
    finally:
        cat.close()


def _search(settings, text: str) -> list[str]:
    backend = get_backend(settings)
    try:
        return [h.doc.get("title") for h in backend.search(SearchQuery(text=text)).hits]
    finally:
        backend.close()


def _lists(provider):
    """The ListRecords requests the provider received (a token, or the first page's args)."""
    return [a for a in provider.requests if a.get("verb") == "ListRecords"]


def test_full_then_incremental_harvest_with_deletions(tmp_path, provider, database):
    settings = _settings(tmp_path, provider, database)
    provider.fail_page("warsaw-reuse-centres", times=2)  # the first try and its one retry
    first = harvest(settings, ["repo"])
    src = first.sources[0]
    assert src.status == "succeeded", src.message
    warsaw_page = f"{provider.base}/records/warsaw-reuse-centres"
    assert [e.message for e in src.errors if e.url == warsaw_page] == \
        ["HTTP 500 Internal Server Error"]
    live = provider.live()
    stored = _live(settings)
    # every live record, across every resumption token, with its metadata
    assert set(stored) == {r.identifier for r in live}
    assert len(live) == 24 and ID_PREFIX + "athens-plastic-free-islands" not in stored
    lists = _lists(provider)
    assert len(lists) == 7 and sum("resumptionToken" in a for a in lists) == 6
    assert "from" not in lists[0]
    french = stored[ID_PREFIX + "compost-municipal-fr"]  # a PDF behind its identifier
    assert french.title == "Guide du compostage de proximité pour les collectivités"
    assert french.format == "pdf" and french.language == "fr"
    dutch = stored[ID_PREFIX + "amsterdam-doughnut-monitor"]  # landing page, "Nederlands"
    assert dutch.language == "nl" and dutch.published.year == 2021
    assert "materiaalstromen" in dutch.body
    assert _search(settings, "Bauteilbörsen") == ["Leitfaden für kommunale Bauteilbörsen"]
    # the record whose page failed is kept with what its metadata says meanwhile
    assert "Subjects: naprawa; ponowne użycie" in stored[ID_PREFIX + "warsaw-reuse-centres"].body

    # the provider changes one record, adds one and deletes one
    provider.requests.clear()
    provider.update("vienna-urban-mining", title="Urban Mining in Wien: Materiallager 2024")
    provider.add("riga-reuse-hub", "Riga reuse hub: first results",
                 "The reuse hub of Riga collected furniture and electronics from 3,000 "
                 "households in its first year and repaired two thirds of them for resale.")
    second = harvest(settings, ["repo"])
    src = second.sources[0]
    assert src.status == "succeeded", src.message
    lists = _lists(provider)
    assert len(lists) == 1 and "resumptionToken" not in lists[0]
    since = datetime.strptime(lists[0]["from"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert first.started_at - timedelta(minutes=20) <= since <= second.started_at
    # the changed record, the new one, and the record whose page failed (asked again with
    # GetRecord: an incremental listing does not name it), nothing else
    assert (src.added, src.updated, src.unchanged) == (1, 2, 0)
    assert [a["identifier"] for a in provider.requests if a.get("verb") == "GetRecord"] == \
        [ID_PREFIX + "warsaw-reuse-centres"]
    stored = _live(settings)
    assert stored[ID_PREFIX + "vienna-urban-mining"].title == \
        "Urban Mining in Wien: Materiallager 2024"
    assert stored[ID_PREFIX + "riga-reuse-hub"].title == "Riga reuse hub: first results"
    assert len(stored) == 25
    assert "Subjects:" not in stored[ID_PREFIX + "warsaw-reuse-centres"].body  # its page now

    provider.delete("lyon-reemploi-btp")
    assert _search(settings, "réemploi cloisons") != []
    third = harvest(settings, ["repo"])
    assert third.sources[0].status == "succeeded", third.sources[0].message
    assert ID_PREFIX + "lyon-reemploi-btp" not in _live(settings)
    assert _search(settings, "réemploi cloisons") == []


def test_a_busy_provider_is_waited_for_and_an_expired_token_restarts_the_listing(
        tmp_path, provider, database):
    settings = _settings(tmp_path, provider, database, sets=["policy"], fetch_pages=False)
    provider.busy(retry_after=1, times=1)
    provider.expire_tokens(1)
    provider.add_empty("broken-export", sets=("policy",))  # one bad record among good ones
    src = harvest(settings, ["repo"]).sources[0]
    assert src.status == "succeeded", src.message
    notes = [e.message for e in src.errors]
    bad = [e for e in src.errors if e.url == ID_PREFIX + "broken-export"]
    assert len(bad) == 1 and "no Dublin Core element" in bad[0].message and src.failed == 1
    assert any("503" in m and "wait 1 s" in m for m in notes)
    assert any("resumption token" in m and "started again" in m for m in notes)
    assert [a["verb"] for a in provider.requests[:2]] == ["Identify", "Identify"]
    policy = {r.identifier for r in provider.live() if "policy" in r.sets and r.dc}
    stored = _live(settings)
    assert set(stored) == policy and len(policy) == 6
    # fetch_pages: false — the record's description is the text, its identifier the URL
    ppwr = stored[ID_PREFIX + "eu-ppwr-briefing"]
    assert ppwr.url == f"{provider.base}/files/eu-ppwr-briefing.pdf"
    assert "deposit-return obligations" in ppwr.body
    assert ppwr.authors == ["Dupont, Élise"] and ppwr.language == "en"


def test_a_broken_answer_fails_the_source_and_keeps_what_is_stored(tmp_path, provider,
                                                                   database):
    settings = _settings(tmp_path, provider, database, sets=["guides"], fetch_pages=False)
    assert harvest(settings, ["repo"]).sources[0].status == "succeeded"
    before = _live(settings)
    assert len(before) == 4
    provider.update("circular-procurement-guide", title="Circular public procurement: 2025 edition")
    provider.break_next("verb=ListRecords")
    broken = harvest(settings, ["repo"]).sources[0]
    assert broken.status == "failed"
    assert provider.base_url in broken.message and "not well-formed XML" in broken.message
    assert set(_live(settings)) == set(before)
    # the listing was not read in full: the next run asks from the same point again
    again = harvest(settings, ["repo"]).sources[0]
    assert again.status == "succeeded" and again.updated == 1
    assert _live(settings)[ID_PREFIX + "circular-procurement-guide"].title == \
        "Circular public procurement: 2025 edition"


def test_a_format_it_cannot_give_or_a_huge_answer_fails_the_source_naming_the_url(
        tmp_path, provider, database):
    settings = _settings(tmp_path, provider, database, metadata_prefix="marc21")
    settings.max_response_bytes = 100_000
    write_sources(tmp_path / "data" / "sources", [
        {"id": "big", "name": "Huge answers", "type": "oai-pmh", "url": provider.base_url}])
    provider.break_next("metadataPrefix=oai_dc", body=b"<OAI-PMH>" + b"<x/>" * 60_000)
    report = harvest(settings, ["repo", "big"])
    by_id = {s.source_id: s for s in report.sources}
    src = by_id["repo"]
    assert src.status == "failed"
    assert "cannotDisseminateFormat" in src.message and "'marc21'" in src.message
    assert provider.base_url in src.message
    big = by_id["big"]
    assert big.status == "failed" and provider.base_url in big.message
    assert "too large" in big.message


def test_discovery_proposes_an_oai_pmh_source_with_its_sets(tmp_path, provider):
    settings = make_settings(tmp_path)
    found = discover(settings, provider.base_url)
    first = found.candidates[0]
    assert first.definition["type"] == "oai-pmh"
    assert first.definition["url"] == provider.base_url
    assert "Circular Cities Repository" in first.how
    for spec in ("reports", "guides", "policy", "cities"):
        assert spec in first.how
    assert [c.definition["type"] for c in found.candidates] == ["oai-pmh"]
    built = build_definition(first.definition, source_id="repo", name="Repository")
    assert built == {"id": "repo", "name": "Repository", "type": "oai-pmh",
                     "url": provider.base_url}


def test_ccp_sources_add_on_a_verb_url_writes_an_oai_pmh_source(tmp_path, provider):
    settings = make_settings(tmp_path)
    settings.sources.mkdir(parents=True)
    environ = {**os.environ, "CCP_DATA_DIR": str(settings.data_dir),
               "CCP_SOURCES": str(settings.sources), "CCP_DOWNLOAD_DELAY": "0",
               "CCP_ALLOWED_PRIVATE_ADDRESSES": FIXTURE_ALLOWANCE}
    out = subprocess.run([sys.executable, "-m", "ccp.cli", "sources", "add",
                          provider.base_url + "?verb=Identify", "--id", "repo", "--items", "2",
                          "--yes"], env=environ, cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "oai-pmh" in out.stdout and "guides (Guides and toolkits)" in out.stdout
    assert "Preview of the first 2 item(s)" in out.stdout
    data = yaml.safe_load((settings.sources / "repo.yaml").read_text(encoding="utf-8"))
    assert data == {"id": "repo", "name": "repo", "type": "oai-pmh", "url": provider.base_url}
    assert [s.type for s in load_sources(settings.sources)] == ["oai-pmh"]


def test_dublin_core_as_repositories_write_it_becomes_the_portal_s_hints():
    body = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE OAI-PMH [<!ENTITY boom "expanded">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
 <responseDate>2025-01-02T03:04:05Z</responseDate><request>http://x.test/oai</request>
 <ListRecords>
  <record><header><identifier>oai:x:1</identifier><datestamp>2025-01-01</datestamp></header>
   <metadata><qdc xmlns:dc="http://purl.org/dc/elements/1.1/"
                  xmlns:dcterms="http://purl.org/dc/terms/"
                  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <dc:title xml:lang="en">Repair cafés in Brno</dc:title>
    <dc:title xml:lang="cs">Repair kavárny v Brně &boom;</dc:title>
    <dcterms:abstract>Případová studie o síti repair kaváren.</dcterms:abstract>
    <dc:language>Czech</dc:language><dc:date>c. 2020</dc:date>
    <dc:type>http://purl.org/coar/resource_type/c_18cf</dc:type><dc:type>Case study</dc:type>
    <dcterms:license rdf:resource="https://creativecommons.org/licenses/by-sa/4.0/"/>
    <dc:subject>opravy; odpady</dc:subject><dc:creator>Dvořák, Petr</dc:creator>
   </qdc></metadata></record>
  <record><header status="deleted"><identifier>oai:x:2</identifier>
   <datestamp>2025-01-01</datestamp></header></record>
  <record><header><datestamp>2025-01-01</datestamp></header><metadata/></record>
  <resumptionToken completeListSize="3"></resumptionToken>
 </ListRecords></OAI-PMH>""".encode()
    page = parse_list_records(parse_envelope(body))
    assert page.token == "" and page.response_date == "2025-01-02T03:04:05Z"
    assert [r.identifier for r in page.records] == ["oai:x:1", "oai:x:2"]
    assert page.records[1].deleted
    assert len(page.problems) == 1 and "no <identifier>" in page.problems[0][1]
    hints = record_hints(page.records[0])
    assert hints.guid == "oai:x:1" and hints.language == "cs"
    assert hints.title == "Repair kavárny v Brně"  # the record's language; no entity expanded
    assert hints.published.year == 2020 and hints.resource_type == "good-practice"
    assert hints.licence == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert hints.categories == ["opravy", "odpady"] and hints.authors == ["Dvořák, Petr"]
    assert hints.summary == "Případová studie o síti repair kaváren."
    for written, code in (("ger", "de"), ("fra", "fr"), ("Nederlands", "nl"), ("pt-BR", "pt"),
                          ("allemand", "de"), ("nob", "no"), ("Klingon", None)):
        assert portal_language(written) == code, written
    for written, year, month in (("2019-2020", 2019, 1), ("May 2021", 2021, 5),
                                 ("[2018]", 2018, 1), ("2021-05-03/2021-06-01", 2021, 5)):
        d = record_date(written)
        assert (d.year, d.month) == (year, month), written
    assert record_date("n.d.") is None
    # the portal's own /oai writes its type's label, then the DCMI term
    assert resource_type(["Strategy / roadmap", "Text"]) == "strategy"
    assert resource_type(["info:eu-repo/semantics/workingPaper"]) == "report"
    assert resource_type(["Image", "Other"]) is None
    with pytest.raises(NotOaiPmh, match="not well-formed"):
        parse_envelope(b"<OAI-PMH><ListRecords>")
