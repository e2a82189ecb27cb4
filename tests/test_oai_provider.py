"""The portal's OAI-PMH provider at /oai, harvested over real HTTP by third-party clients and
by the portal itself.

A real portal (tests/browser_support.py: a real catalogue and index) is served by waitress on
127.0.0.1; Sickle and pyoai's client (third-party OAI-PMH clients) harvest it through
resumption tokens, by set, by date range, by GET and by POST; the protocol's error cases are
asked with plain HTTP and the answers read with lxml; and a second catalogue harvests it with
the portal's own ``oai-pmh`` source type. Support: tests/oai_support.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from lxml import etree
from sickle import Sickle
from sqlalchemy import select, update

from config.settings import Settings
from config.taxonomy import taxonomy_labels
from indexer.catalogue import Catalogue, deleted_resources_t, resources_t
from indexer.resource import Resource
from tests.browser_support import sample_resources, serve_app
from tests.oai_support import (
    HOST,
    NS,
    REMOVED_AT,
    START,
    CountingSickle,
    Served,
    ask,
    check_structure,
    close_portal,
    error_of,
    expected_dc,
    make_portal,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    portal = make_portal(tmp_path_factory.mktemp("oai"))
    cat = portal.catalogue
    removed = portal.by_title("Repair cafés in Ghent")
    assert cat.delete_resource(removed.id)
    stamps = {}
    with cat.engine.begin() as c:  # one datestamp an hour, so that from/until can pick
        for n, r in enumerate(sorted(x.id for x in portal.resources if x.id != removed.id)):
            stamps[r] = START + timedelta(hours=n)
            c.execute(update(resources_t).where(resources_t.c.id == r)
                      .values(modified_at=stamps[r]))
        c.execute(update(deleted_resources_t).where(deleted_resources_t.c.id == removed.id)
                  .values(deleted_at=REMOVED_AT))
    stamps[removed.id] = REMOVED_AT
    from search_ui import create_app

    app = create_app({"TESTING": True, "CCP_OAI_PAGE_SIZE": 4, "CCP_OAI_REPOSITORY_HOST": HOST,
                      "CCP_PORTAL_NAME": "Test Circular Portal",
                      "CCP_OAI_ADMIN_EMAIL": "harvest@circular.example.eu"},
                     settings=portal.settings, catalogue=cat, backend=portal.backend)
    with serve_app(app) as base:
        yield Served(portal, base, stamps, removed)
    close_portal(portal)




def test_every_response_has_the_protocols_structure(served):
    """Every page of every verb, and the errors, element by element."""
    roots = [ask(served, verb="Identify"), ask(served, verb="ListMetadataFormats"),
             ask(served, verb="ListSets"), ask(served, verb="Bad"),
             ask(served, verb="GetRecord", identifier=served.ident(served.kept[1].id),
                 metadataPrefix="oai_dc")]
    for verb in ("ListRecords", "ListIdentifiers"):
        root = ask(served, verb=verb, metadataPrefix="oai_dc")
        roots.append(root)
        while (token := root.findtext(f"o:{verb}/o:resumptionToken", namespaces=NS)):
            root = ask(served, verb=verb, resumptionToken=token)
            roots.append(root)
    assert len(roots) == 5 + 4 + 2
    for root in roots:
        check_structure(root)


# -- harvesting everything --------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_client_harvests_every_record_once_through_resumption_tokens(served, method):
    client = CountingSickle(served.oai, http_method=method, max_retries=0)
    records = list(client.ListRecords(metadataPrefix="oai_dc"))
    ids = [rec.header.identifier for rec in records]
    assert len(ids) == len(set(ids)) == len(served.portal.resources)  # 13 kept + the removed
    assert client.requests == 4  # 14 records, 4 a page: the tokens carried the list on
    by_id = {rec.header.identifier: rec for rec in records}
    for r in served.kept:
        rec = by_id[served.ident(r.id)]
        assert rec.header.datestamp == served.stamps[r.id].strftime("%Y-%m-%dT%H:%M:%SZ")
        assert set(rec.header.setSpecs) == {f"type:{r.type}", *(f"theme:{t}" for t in r.themes)}
        if not r.live_instances:
            assert rec.deleted, f"{r.title}: no live instance, so the record is deleted"
            continue
        assert not rec.deleted
        got = {k: set(v) for k, v in rec.metadata.items()}
        for key, values in expected_dc(served, r).items():
            assert values <= got.get(key, set()), (r.title, key, got.get(key))
        assert got["title"] == {r.title} and got["language"] == {r.language}
        assert "Text" in got["type"]  # the DCMI type besides the portal's own
    gone = by_id[served.ident(served.removed.id)]
    assert gone.deleted and gone.header.datestamp == "2025-03-01T05:30:00Z"


def test_a_second_client_library_reads_the_same_records(served):
    """pyoai's client (another implementation of the protocol) harvests the same list."""
    from oaipmh.client import Client
    from oaipmh.metadata import MetadataRegistry, oai_dc_reader

    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = Client(served.oai, registry)
    client.updateGranularity()  # reads Identify: seconds
    records = list(client.listRecords(metadataPrefix="oai_dc"))
    assert sorted(h.identifier() for h, _, _ in records) == sorted(
        served.ident(r.id) for r in served.portal.resources)
    for header, metadata, _ in records:
        rid = header.identifier().rsplit(":", 1)[1]
        assert header.datestamp().replace(tzinfo=timezone.utc) == served.stamps[rid]
        r = next((x for x in served.kept if x.id == rid), None)
        assert header.isDeleted() == (r is None or not r.live_instances)
        if metadata is not None:
            assert metadata.getMap()["title"] == [r.title]
    later = list(client.listIdentifiers(metadataPrefix="oai_dc",
                                        from_=(START + timedelta(hours=10)).replace(tzinfo=None)))
    assert len(later) == 3  # hours 10, 11 and 12


def test_list_identifiers_pages_and_counts(served):
    root = ask(served, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.find("o:ListIdentifiers/o:resumptionToken", NS)
    assert len(root.findall("o:ListIdentifiers/o:header", NS)) == 8  # twice the record page
    assert token.get("completeListSize") == "14" and token.get("cursor") == "0"
    expires = datetime.strptime(token.get("expirationDate"), "%Y-%m-%dT%H:%M:%SZ")
    assert expires.replace(tzinfo=timezone.utc) > datetime.now(timezone.utc)
    last = ask(served, verb="ListIdentifiers", resumptionToken=token.text)
    end = last.find("o:ListIdentifiers/o:resumptionToken", NS)
    assert len(last.findall("o:ListIdentifiers/o:header", NS)) == 6
    # the last part of a list carries an empty token
    assert end.text is None and end.get("cursor") == "8" and end.get("completeListSize") == "14"
    stamps = [h.findtext("o:datestamp", namespaces=NS)
              for h in root.iterfind(".//o:header", NS)]
    stamps += [h.findtext("o:datestamp", namespaces=NS)
               for h in last.iterfind(".//o:header", NS)]
    assert stamps == sorted(stamps)


# -- selective harvesting ---------------------------------------------------------------------
def test_sets_are_named_from_the_taxonomy_and_select_their_records(served):
    client = Sickle(served.oai, max_retries=0)
    sets = {s.setSpec: s.setName for s in client.ListSets()}
    assert sets["theme:food-waste"] == "Food waste"
    assert sets["type:strategy"] == taxonomy_labels("type", "strategy")["en"]
    kept = served.kept
    for spec in ("type:strategy", "type:guide", "theme:food-waste", "theme:water", "theme"):
        kind, _, key = spec.partition(":")
        want = {served.ident(r.id) for r in kept
                if (r.type == key if kind == "type" else (key in r.themes if key else r.themes))}
        headers = list(client.ListIdentifiers(metadataPrefix="oai_dc", set=spec))
        assert {h.identifier for h in headers if not h.deleted} | \
            {h.identifier for h in headers if h.deleted and h.setSpecs} == want, spec
        # an id removed from the catalogue is listed in every set: no harvester misses it
        assert served.ident(served.removed.id) in {h.identifier for h in headers if h.deleted}
    every = list(client.ListIdentifiers(metadataPrefix="oai_dc", set="type"))
    assert len(every) == 14


def test_from_and_until_select_by_datestamp_inclusively(served):
    client = Sickle(served.oai, max_retries=0)
    order = sorted(served.stamps, key=served.stamps.get)

    def between(since: str | None, until: str | None) -> list[str]:
        args = {k: v for k, v in (("from", since), ("until", until)) if v}
        return [h.identifier for h in client.ListIdentifiers(metadataPrefix="oai_dc", **args)]

    # hours 2 to 5 inclusive, and the removed record at 5:30 (its deletion time)
    got = between("2025-03-01T02:00:00Z", "2025-03-01T05:30:00Z")
    assert got == [served.ident(r) for r in order[2:7]]
    assert between("2025-03-01T05:30:00Z", None)[0] == served.ident(served.removed.id)
    assert between(None, "2025-03-01T00:00:00Z") == [served.ident(order[0])]
    assert len(between("2025-03-01", "2025-03-01")) == 14  # a whole day
    root = ask(served, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2025-03-02"})
    assert error_of(root)[0] == "noRecordsMatch"


# -- single records and the repository ----------------------------------------------------------
def test_get_record_and_identify(served):
    client = Sickle(served.oai, max_retries=0)
    r = served.portal.by_title("Amsterdam Circulair 2020-2025 Strategie")
    rec = client.GetRecord(identifier=served.ident(r.id), metadataPrefix="oai_dc")
    got = {k: set(v) for k, v in rec.metadata.items()}
    assert got["publisher"] == {"Gemeente Amsterdam"} and got["rights"] == {"CC BY 4.0"}
    # every instance, the gone one too, and the portal's own page
    assert {i.url for i in r.instances} | {f"{served.base}/resource/{r.id}"} == got["identifier"]
    gone = client.GetRecord(identifier=served.ident(served.removed.id), metadataPrefix="oai_dc")
    assert gone.deleted
    info = client.Identify()
    assert info.repositoryName == "Test Circular Portal" and info.baseURL == served.oai
    assert info.adminEmail == "harvest@circular.example.eu"
    assert info.deletedRecord == "persistent" and info.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert info.earliestDatestamp == "2025-03-01T00:00:00Z"
    assert info.protocolVersion == "2.0"
    root = ask(served, verb="Identify")
    sample = root.findtext(".//{http://www.openarchives.org/OAI/2.0/oai-identifier}"
                           "repositoryIdentifier")
    assert sample == HOST
    formats = list(client.ListMetadataFormats(identifier=served.ident(r.id)))
    assert [f.metadataPrefix for f in formats] == ["oai_dc"]


# -- errors -----------------------------------------------------------------------------------
ERRORS = [
    ({}, "badVerb"),
    ({"verb": "ListEverything"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "colour": "red"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-02-30"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-03-01T00:00:00.5Z"},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-03-01",
      "until": "2025-03-02T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-03-02",
      "until": "2025-03-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": f"oai:{HOST}:abc"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
    ({"verb": "GetRecord", "identifier": f"oai:{HOST}:0000000000", "metadataPrefix": "oai_dc"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "oai:elsewhere.org:0000", "metadataPrefix": "oai_dc"},
     "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "nonsense"}, "idDoesNotExist"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "theme:unicorns"},
     "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "2000-01-01"},
     "noRecordsMatch"),
]


@pytest.mark.parametrize(("args", "code"), ERRORS, ids=[f"{c}-{n}" for n, (_, c) in
                                                        enumerate(ERRORS)])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_error_the_protocol_names(served, args, code, method):
    got, request_attrs = error_of(ask(served, method, **args))
    assert got == code
    if code in ("badVerb", "badArgument"):
        assert request_attrs == {}  # the request is not echoed when its arguments are bad
    else:
        assert request_attrs == {k: v if isinstance(v, str) else v[0] for k, v in args.items()}


def test_errors_about_one_record(served):
    r = served.portal.by_title("Zero-Waste-Strategie Berlin")
    args = {"verb": "GetRecord", "identifier": served.ident(r.id), "metadataPrefix": "ese"}
    assert error_of(ask(served, **args))[0] == "cannotDisseminateFormat"
    args = {"verb": "ListMetadataFormats", "identifier": served.ident(served.removed.id)}
    assert error_of(ask(served, **args))[0] == "noMetadataFormats"


def test_forged_expired_and_misused_tokens_are_refused(served):
    root = ask(served, verb="ListRecords", metadataPrefix="oai_dc")
    token = root.findtext("o:ListRecords/o:resumptionToken", namespaces=NS)
    body, _, mac = token.partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    assert error_of(ask(served, verb="ListRecords", resumptionToken=forged))[0] == \
        "badResumptionToken"
    assert error_of(ask(served, verb="ListIdentifiers", resumptionToken=token))[0] == \
        "badResumptionToken"  # a ListRecords token does not continue another verb
    assert error_of(ask(served, verb="ListRecords", resumptionToken=token)) is None
    # a portal whose tokens last no time at all: its token has expired when it comes back
    from search_ui import create_app

    brief = create_app({"TESTING": True, "CCP_OAI_PAGE_SIZE": 4, "CCP_OAI_TOKEN_HOURS": 0,
                        "CCP_OAI_REPOSITORY_HOST": HOST}, settings=served.portal.settings,
                       catalogue=served.portal.catalogue, backend=served.portal.backend)
    with serve_app(brief) as other:
        first = requests.get(f"{other}/oai", params={"verb": "ListRecords",
                                                      "metadataPrefix": "oai_dc"}, timeout=10)
        old = etree.fromstring(first.content).findtext(".//o:resumptionToken", namespaces=NS)
        again = requests.get(f"{other}/oai", params={"verb": "ListRecords",
                                                      "resumptionToken": old}, timeout=10)
    err = etree.fromstring(again.content).find("o:error", NS)
    assert err.get("code") == "badResumptionToken" and "expired" in err.text
    # ... and the same key signs the tokens of both portals (the data directory's secret key)
    assert error_of(ask(served, verb="ListRecords", resumptionToken=old))[0] == \
        "badResumptionToken"


@pytest.mark.parametrize(("name", "value"), [
    ("CCP_OAI_REPOSITORY_HOST", "https://portal.example.eu/"), ("CCP_OAI_PAGE_SIZE", 0),
    ("CCP_OAI_TOKEN_HOURS", -1)])
def test_a_wrong_setting_stops_the_app_naming_it(served, name, value):
    from search_ui import create_app

    with pytest.raises(ValueError, match=name):
        create_app({"TESTING": True, name: value}, settings=served.portal.settings,
                   catalogue=served.portal.catalogue, backend=served.portal.backend)


def test_the_list_query_walks_the_datestamp_index(served):
    """A page is found through the index on modified_at, never by scanning the table."""
    from indexer.catalogue import OaiFilter
    from indexer.catalogue.oai import _live

    cat = served.portal.catalogue
    if cat.engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    flt = OaiFilter(since=START, set_kind="theme", set_key="waste")
    r = resources_t.c
    q = (select(r.id, _live(r.id)).where(*cat._oai_resource_conditions(flt),
                                          *cat._after(r.modified_at, r.id, (START, "a")))
         .order_by(r.modified_at, r.id).limit(5))
    sql = str(q.compile(cat.engine, compile_kwargs={"literal_binds": True}))
    with cat.engine.connect() as c:
        plan = " / ".join(row[3] for row in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "SEARCH resources USING INDEX ix_resources_modified_at" in plan, plan


# -- deletions reach an incremental harvest ---------------------------------------------------
def test_deletions_and_returns_reach_an_incremental_harvest(tmp_path):
    """Withdrawn, revived, removed and re-harvested resources each move their datestamp, so a
    harvester asking ``from`` its last visit learns of every change, and a returning id is a
    live record again (not a deleted one as well)."""
    from dataclasses import replace as copy

    from search_ui import create_app

    chosen = [r for r in sample_resources() if r.title in (
        "Zero-Waste-Strategie Berlin", "Plan économie circulaire de Paris",
        "Handreiking circulair inkopen voor gemeenten")]
    portal = make_portal(tmp_path, chosen)
    cat = portal.catalogue
    with cat.engine.begin() as c:
        c.execute(update(resources_t).values(modified_at=START))
    app = create_app({"TESTING": True, "CCP_OAI_REPOSITORY_HOST": HOST},
                     settings=portal.settings, catalogue=cat, backend=portal.backend)
    berlin, paris, amsterdam = (portal.by_title(t) for t in (
        "Zero-Waste-Strategie Berlin", "Plan économie circulaire de Paris",
        "Handreiking circulair inkopen voor gemeenten"))
    try:
        with serve_app(app) as base:
            client = Sickle(f"{base}/oai", max_retries=0)

            def changes_since(moment: datetime) -> dict[str, bool]:
                """identifier -> deleted, of the records changed since ``moment``."""
                since = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
                try:
                    return {h.identifier: h.deleted for h in
                            client.ListIdentifiers(metadataPrefix="oai_dc", **{"from": since})}
                except Exception as exc:  # noRecordsMatch: nothing changed
                    assert type(exc).__name__ == "NoRecordsMatch", exc
                    return {}

            def now() -> datetime:
                return datetime.now(timezone.utc).replace(microsecond=0)

            assert changes_since(START + timedelta(seconds=1)) == {}
            # the only instance of Berlin's strategy is withdrawn by its source
            t1 = now()
            inst = berlin.instances[0]
            assert cat.withdraw(inst.source_id, urls=[inst.url]) == [berlin.id]
            assert changes_since(t1) == {f"oai:{HOST}:{berlin.id}": True}
            # ... and comes back (answers 304 on the next harvest)
            t2 = now()
            assert cat.touch(inst.source_id, inst.url) == "unchanged"
            assert changes_since(t2) == {f"oai:{HOST}:{berlin.id}": False}
            # Amsterdam's guide is missing from its source's listing once too often
            t25 = now()
            far = datetime(2100, 1, 1, tzinfo=timezone.utc)
            assert cat.mark_missing("amsterdam", far, 1) == [amsterdam.id]
            changed = changes_since(t25)  # (Berlin's return may fall in the same second)
            assert changed[f"oai:{HOST}:{amsterdam.id}"] is True
            assert set(changed) <= {f"oai:{HOST}:{amsterdam.id}", f"oai:{HOST}:{berlin.id}"}
            # Paris's plan is removed from the catalogue: its id is kept as deleted
            t3 = now()
            assert cat.delete_resource(paris.id)
            assert changes_since(t3)[f"oai:{HOST}:{paris.id}"] is True
            with cat.engine.connect() as c:
                assert c.execute(select(deleted_resources_t.c.id)).scalars().all() == [paris.id]
            # ... and is harvested again under the same id: a live record, listed once
            one = copy(paris, instances=paris.instances[:1])
            assert cat.ingest(one) == "added"
            everything = {h.identifier: h.deleted
                          for h in client.ListIdentifiers(metadataPrefix="oai_dc")}
            assert everything == {f"oai:{HOST}:{berlin.id}": False,
                                  f"oai:{HOST}:{paris.id}": False,
                                  f"oai:{HOST}:{amsterdam.id}": True}
            with cat.engine.connect() as c:
                assert c.execute(select(deleted_resources_t.c.id)).scalars().all() == []
    finally:
        close_portal(portal)


# -- the portal harvests itself ---------------------------------------------------------------
@pytest.fixture(scope="module")
def harvested(served, tmp_path_factory):
    """Portal A's /oai harvested by a second catalogue B with the portal's own ``oai-pmh``
    source type (records only, no pages fetched): B's resources by URL, and A's live
    resources by the URL B should know them by (the record's first http(s) identifier)."""
    from tests.conftest import harvest, make_settings, write_sources

    where = tmp_path_factory.mktemp("portal-b")
    settings = make_settings(where, write_sources(where / "sources", [{
        "id": "portal-a", "name": "Portal A", "type": "oai-pmh", "url": served.oai,
        "fetch_pages": False}]))
    report = harvest(settings, workers=0)
    assert report.ok, report.to_dict()
    b = Catalogue(settings.catalogue_url)
    try:
        got = {r.url: r for r in b.iter_resources()}
    finally:
        b.close()
    want = {}
    for r in served.kept:
        if r.live_instances:
            url = next(u for u in (r.url, *(i.url for i in r.instances),
                                   f"{served.base}/resource/{r.id}") if u.startswith("http"))
            want[url] = r
    return got, want


def _differences(harvested, names: tuple[str, ...]) -> dict[str, dict]:
    got, want = harvested

    def facts(r: Resource) -> dict:
        return {"title": r.title, "language": r.language, "type": r.type,
                "published": r.published and r.published.date(), "publisher": r.publisher,
                "licence": r.licence}

    out = {}
    for url, a in want.items():
        mine, theirs = facts(got[url]), facts(a)
        diff = {k: (theirs[k], mine[k]) for k in names if mine[k] != theirs[k]}
        if diff:
            out[url] = diff
    return out


def test_the_portal_harvests_its_own_oai_with_identical_records(served, harvested):
    """B holds exactly A's live records (none of A's deleted ones), with the same titles,
    URLs, languages, dates, types, publishers and licences, each known by its OAI
    identifier."""
    got, want = harvested
    assert sorted(got) == sorted(want)
    assert _differences(harvested, ("title", "language", "published", "type", "publisher",
                                    "licence")) == {}
    for url, a in want.items():
        assert [i.guid for i in got[url].instances] == [served.ident(a.id)]


def test_places_and_an_unfinished_record_in_dublin_core(tmp_path):
    """Cities, regions and countries are the coverage; a record without summary describes
    itself with the start of its text; characters XML cannot carry are left out."""
    from indexer.resource import Instance, Place, resource_id_for
    from search_ui import create_app

    cat = Catalogue(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    cat.create_all()
    body = "Prato\x01 recycles wool. " * 60
    res = Resource(id=resource_id_for("https://prato.example/lana"), title="Lana\x0b rigenerata",
                   url="https://prato.example/lana", body=body, language="it", type="other",
                   places=[Place(country="IT", city="Prato", kind="city"),
                           Place(country="IT", name="Toscana", kind="region")],
                   instances=[Instance(source_id="prato", url="https://prato.example/lana")])
    cat.put_resource(res)
    app = create_app({"TESTING": True, "CCP_OAI_REPOSITORY_HOST": HOST},
                     settings=Settings.from_env({}, data_dir=tmp_path), catalogue=cat)
    try:
        with serve_app(app) as base:
            rec = Sickle(f"{base}/oai", max_retries=0).GetRecord(
                identifier=f"oai:{HOST}:{res.id}", metadataPrefix="oai_dc")
    finally:
        cat.close()
    assert rec.metadata["coverage"] == ["Prato", "Toscana", "IT"]
    assert rec.metadata["title"] == ["Lana rigenerata"]
    (description,) = rec.metadata["description"]
    assert description.startswith("Prato recycles wool.") and description.endswith(" …")
    assert len(description) <= 602 and "date" not in rec.metadata


def test_a_catalogue_that_cannot_be_read_answers_503_with_retry_after(tmp_path):
    """Harvesters wait and come back (the protocol's flow control), they get no error page."""
    from search_ui import create_app

    empty = Catalogue(f"sqlite:///{tmp_path / 'never-created.sqlite3'}")  # no tables
    app = create_app({"TESTING": True, "CCP_RETRY_AFTER": 7},
                     settings=Settings.from_env({}, data_dir=tmp_path), catalogue=empty)
    try:
        with serve_app(app) as base:
            resp = requests.get(f"{base}/oai", params={"verb": "ListRecords",
                                                        "metadataPrefix": "oai_dc"}, timeout=10)
    finally:
        empty.close()
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "7"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
