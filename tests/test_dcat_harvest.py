"""Harvesting DCAT-AP catalogues over real HTTP: the fixture catalogue on 127.0.0.1 in
Turtle, RDF/XML and JSON-LD, Hydra-paged, into a real catalogue (SQLite; PostgreSQL too when
``CCP_TEST_DATABASE_URL`` names one).

What must hold: every serialisation gives the same records; paging goes to the end; a second
run asks nothing again that did not change and picks up a modified dataset; a dataset dropped
from the catalogue leaves the search; titles are read in the dataset's language; a remote
JSON-LD ``@context`` is never fetched; broken RDF is an error naming the URL; ``ccp sources
add`` recognises a catalogue.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from ccp.fixtureweb.dcat import DcatCatalogue
from harvesters.discover import discover
from indexer.backends import get_backend
from indexer.catalogue import Catalogue, instances_t
from indexer.dcat import CatalogueError, parse_catalogue
from indexer.query import SearchQuery

from .conftest import harvest, make_settings, write_sources
from .pg_support import database

FORMATS = {"ttl": "/catalogue.ttl", "rdf": "/catalogue.rdf", "jsonld": "/catalogue.jsonld"}


@pytest.fixture(scope="module")
def dcat():
    """The catalogue as shipped (never modified: tests that change it start their own)."""
    with DcatCatalogue() as cat:
        yield cat


def _source(sid: str, url: str, **kw) -> dict:
    return {"id": sid, "name": f"DCAT {sid}", "type": "dcat", "url": url, **kw}


def _run(tmp_path, sources: list[dict], **kw):
    # normalised in the harvest process: a few dozen documents do not pay for worker processes
    settings = make_settings(tmp_path / "data", harvest_workers=0, **kw)
    write_sources(tmp_path / "data" / "sources", sources)
    return settings, harvest(settings)


def _records(settings, source_id: str, live: bool = True) -> dict[str, str]:
    """{instance GUID: URL path} of a source's (live) instances."""
    cat = Catalogue(settings.catalogue_url)
    try:
        q = select(instances_t.c.guid, instances_t.c.url).where(
            instances_t.c.source_id == source_id)
        if live:
            q = q.where(instances_t.c.status == "live")
        with cat.engine.connect() as c:
            return {g: urlparse(u).path for g, u in c.execute(q)}
    finally:
        cat.close()


def _expected(cat: DcatCatalogue) -> dict[str, str]:
    """What the catalogue should become: PDF, then HTML distributions, else the landing page,
    else the dataset IRI (its description)."""
    out = {}
    for d in cat.live():
        uri = cat.dataset_uri(d["slug"])
        kinds = [x["kind"] for x in d.get("distributions") or []]
        paths = [f"/files/{d['slug']}.pdf" for k in kinds if k == "pdf"]
        paths += [f"/report/{d['slug']}.html" for k in kinds if k == "html"]
        if not paths:
            paths = [f"/page/{d['slug']}.html" if d.get("landing") else f"/dataset/{d['slug']}"]
        out[uri] = paths[0]
        for p in paths[1:]:
            out[f"{uri} {cat.url(p)}"] = p
    return out


def _searchable(settings, words: str) -> int:
    backend = get_backend(settings)
    try:
        return backend.search(SearchQuery(text=words)).total
    finally:
        backend.close()


# -- every serialisation, paged to the end; a page cap; a remote @context -------------------

def test_every_serialisation_gives_the_same_records_paged_to_the_end(dcat, tmp_path):
    sources = [_source(k, dcat.url(p)) for k, p in FORMATS.items()]
    sources.append(_source("conneg", dcat.url("/catalogue"), format="jsonld"))
    sources.append(_source("capped", dcat.url("/catalogue.ttl"), max_pages=2))
    remote = dcat.url("/remote-context.jsonld")
    sources.append(_source("remote", remote))
    dcat.clear_requests()
    settings, report = _run(tmp_path, sources)
    by_id = {s.source_id: s for s in report.sources}
    for sid in ("ttl", "rdf", "jsonld", "conneg"):
        s = by_id[sid]
        assert s.status == "succeeded" and not s.errors, (sid, s.message, s.errors)
    expected = _expected(dcat)
    assert len([g for g in expected if " " not in g]) == 20
    for sid in ("ttl", "rdf", "jsonld", "conneg"):
        assert _records(settings, sid) == expected, sid
    asked = dcat.paths()
    for path in [*FORMATS.values(), "/catalogue"]:  # Hydra next (and the older nextPage)
        assert f"{path}?page=3" in asked and f"{path}?page=4" not in asked
    negotiated = [r.accept for r in dcat.requests if r.path.startswith("/catalogue?")]
    assert negotiated and all(a == "application/ld+json" for a in negotiated)
    # a CSV is not a document the portal takes: the dataset's description is
    assert "/files/malmo-food-waste.csv" not in asked
    cat = Catalogue(settings.catalogue_url)
    try:
        by_path = {urlparse(r.url).path: r for r in cat.iter_resources()}
    finally:
        cat.close()
    malmo = by_path["/dataset/malmo-food-waste"]
    assert malmo.title == "Matsvinn i Malmös skolkök 2023" and malmo.language == "sv"
    brno = by_path["/dataset/brno-textile-containers"]
    assert brno.title.startswith("Kontejnery na textil v Brně") and brno.language == "cs"
    assert "Sběrná místa kontejnerů" in brno.body
    assert _searchable(settings, "cardatura rigenerato") >= 1  # the Prato PDF's text

    # max_pages: paging stops there, reported; what was read is kept
    capped = by_id["capped"]
    assert capped.status == "succeeded"
    assert [(e.kind, e.url) for e in capped.errors] == [
        ("page-cap", dcat.url("/catalogue.ttl?page=3"))]
    assert len([g for g in _records(settings, "capped") if " " not in g]) == 14

    # a JSON-LD catalogue naming a remote @context: refused, the context never asked for
    s = by_id["remote"]
    assert s.status == "failed"
    assert remote in s.message and "remote @context" in s.message and "\n" not in s.message
    assert "/remote-context.jsonld" in asked and "/context.jsonld" not in asked
    with pytest.raises(CatalogueError, match="remote @context"):
        parse_catalogue(b'{"@context": ["http://elsewhere.example/c.jsonld"], "@id": "x"}',
                        remote, "application/ld+json")


# -- titles in the dataset's language ---------------------------------------------------------

_MULTILINGUAL = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<http://data.example/ds/de> a dcat:Dataset ;
  dct:language <http://publications.europa.eu/resource/authority/language/DEU> ;
  dct:title "Abfallbilanz"@de, "Waste balance"@en, "Bilan des déchets"@fr ;
  dct:description "Waste by district"@en, "Abfall nach Bezirk"@de .
<http://data.example/ds/none> a dcat:Dataset ;
  dct:title "Bilan des déchets"@fr, "Waste balance"@en .
<http://data.example/ds/other> a dcat:Dataset ;
  dct:language <http://publications.europa.eu/resource/authority/language/POL> ;
  dct:title "Bilancio dei rifiuti"@it, "Bilan des déchets"@fr .
<http://data.example/ds/untitled> a dcat:Dataset .
"""


def test_titles_and_descriptions_are_read_in_the_datasets_language():
    page = parse_catalogue(_MULTILINGUAL.encode(), "http://data.example/catalogue",
                           "text/turtle")
    got = {d.uri.rsplit("/", 1)[1]: d for d in page.datasets}
    assert (got["de"].title, got["de"].description, got["de"].language) == \
        ("Abfallbilanz", "Abfall nach Bezirk", "de")
    assert (got["none"].title, got["none"].language) == ("Waste balance", "en")
    # neither Polish nor English: any one, the same every time, with its language
    assert (got["other"].title, got["other"].language) == ("Bilan des déchets", "fr")
    assert got["other"].languages == ["pl"]
    assert page.problems == [("http://data.example/ds/untitled",
                              "the dataset has neither a title nor a description")]


# -- incremental, deletions, broken input (SQLite, and PostgreSQL when given) -----------------

@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    with database(request.param) as url:
        yield url


def _documents(cat: DcatCatalogue) -> list[str]:
    return [r.path for r in cat.requests if not r.path.startswith(("/catalogue", "/robots.txt"))]


def test_incremental_runs_fetch_only_what_changed_and_honour_deletions(tmp_path, database_url):
    with DcatCatalogue() as cat:
        extra = {"database_url": database_url} if database_url else {}
        settings, first = _run(tmp_path, [_source("cat", cat.url("/catalogue.ttl"))], **extra)
        assert first.sources[0].status == "succeeded" and first.sources[0].added >= 20

        cat.clear_requests()  # nothing changed: every page answers 304, nothing else is asked
        s = harvest(settings).sources[0]
        assert s.status == "succeeded" and s.message.startswith("not modified")
        assert {r.path: r.status for r in cat.requests if r.path != "/robots.txt"} == {
            "/catalogue.ttl": 304, "/catalogue.ttl?page=2": 304, "/catalogue.ttl?page=3": 304}

        # a dataset on page 2 changes: only its document is fetched again
        cat.modify("kaunas-reuse-centre", "Kauno pakartotinio naudojimo centras 2024",
                   "Antraisiais metais centras priėmė 52 tonas daiktų ir atidarė dviračių "
                   "taisyklą.")
        cat.clear_requests()
        s = harvest(settings).sources[0]
        assert s.status == "succeeded" and s.failed == 0
        assert _documents(cat) == ["/files/kaunas-reuse-centre.pdf"]
        assert s.updated == 1 and s.unchanged >= 19
        assert _searchable(settings, "dviračių taisyklą") == 1

        # a dataset is deleted: gone from search at once; a broken one fails only itself
        assert _searchable(settings, "adoquines granito") == 1
        cat.delete("barcelona-superilla-materials")
        cat.set_broken_dataset(True)
        cat.clear_requests()
        s = harvest(settings).sources[0]
        assert s.status == "succeeded"
        assert [(e.url, e.message) for e in s.errors] == [
            (cat.dataset_uri("untitled-upload"),
             "this dataset could not be read: the dataset has neither a title nor a description")]
        assert _searchable(settings, "adoquines granito") == 0
        records = _records(settings, "cat")
        assert cat.dataset_uri("barcelona-superilla-materials") not in records
        assert records == _expected(cat)
        assert _documents(cat) == []

        # the catalogue breaks: the source fails naming the URL, and keeps what it has
        broken = cat.url("/broken.ttl")
        write_sources(tmp_path / "data" / "sources", [_source("cat", broken)])
        s = harvest(settings).sources[0]
        assert s.status == "failed"
        assert s.message.startswith(f"parse: {broken}: the DCAT catalogue cannot be read: "
                                    "the Turtle cannot be parsed")
        assert "\n" not in s.message
        assert _records(settings, "cat") == records


# -- discovery ------------------------------------------------------------------------------

def test_sources_add_recognises_a_dcat_catalogue(dcat, tmp_path):
    settings = make_settings(tmp_path / "data")
    found = discover(settings, dcat.url("/catalogue.rdf"))
    best = found.candidates[0]
    assert best.definition == {"type": "dcat", "url": dcat.url("/catalogue.rdf")}
    assert best.items == 20
    assert "DCAT catalogue" in best.how and "Circular cities open data" in best.how
    # a portal's page that links to its catalogue (<link rel="alternate" type="text/turtle">)
    found = discover(settings, dcat.url("/"))
    assert found.candidates[0].definition == {"type": "dcat", "url": dcat.url("/catalogue.ttl")}
