"""The portal on Elasticsearch (noida-db standing in, or a real cluster from
``CCP_TEST_ELASTICSEARCH_URL``): the demo gives the same results as on the embedded engine,
an outage of the search server loses nothing, and a rebuild during a harvest loses nothing."""

from __future__ import annotations

import threading
import time

import pytest

from harvesters.scheduler import SchedulerProcess
from indexer.backends import get_backend
from indexer.catalogue import Catalogue
from indexer.indexing import drain, rebuild
from indexer.query import SearchQuery
from search_ui import create_app
from tests.es_support import (  # noqa: F401 - es_url is a fixture
    NoidaServer,
    es_url,
    noida_binary,
    real_elasticsearch,
    require_client,
    unique_index,
)

from .conftest import harvest, make_settings

# Queries whose words occur literally in the fixture texts: the stand-in server does not
# stem, so stemmed matches are compared only against a real Elasticsearch.
DEMO_QUERIES = [
    ("", {}),
    ("", {"language": ["nl"]}),
    ("", {"type": ["strategy"], "country": ["EU", "PT"]}),
    ("Prato", {}),
    ("Kaunas", {}),
    ("Spullenbieb", {}),
    ("roadmap", {}),
    ('"circular cities"', {}),
    ("textile -Prato", {}),
]


def es_settings(tmp, url, index=None):
    s = make_settings(tmp)
    s.search_backend = "elasticsearch"
    s.elasticsearch_url = url
    s.elasticsearch_index = index or unique_index("ccp-demo")
    return s


def _where(hit) -> frozenset[str]:
    return frozenset(i["url"] for i in hit.doc["instances"])


def _everything(backend) -> set[str]:
    out, page = set(), 1
    while True:
        res = backend.search(SearchQuery(text="", per_page=100, page=page, include_gone=True))
        out |= {h.id for h in res.hits}
        if page >= res.pages:
            return out
        page += 1


def test_demo_gives_the_same_results_on_elasticsearch_and_embedded(web, tmp_path, es_url):  # noqa: F811
    emb = make_settings(tmp_path / "embedded")
    es = es_settings(tmp_path / "es", es_url)
    for s in (emb, es):
        web.write_demo_sources(s.sources)
        assert harvest(s).ok
    e_backend, s_backend = get_backend(emb), get_backend(es)
    try:
        assert s_backend.count() == e_backend.count() == Catalogue(es.catalogue_url).resource_count()
        for text, filters in DEMO_QUERIES:
            q = SearchQuery(text=text, filters=filters, per_page=100)
            a, b = e_backend.search(q), s_backend.search(q)
            assert a.total == b.total, (text, filters)
            # resource ids come from the first URL a resource was seen at, which depends on
            # the order the sources answered: compare what each hit is, by where it lives
            assert {_where(h) for h in a.hits} == {_where(h) for h in b.hits}, (text, filters)
            for facet in ("language", "type", "country", "city", "source", "year", "theme"):
                assert {(f.value, f.count) for f in a.facets[facet]} == \
                    {(f.value, f.count) for f in b.facets[facet]}, (text, filters, facet)
            if not text:  # newest first on both, up to ties on the same date
                assert [h.doc["date"] for h in a.hits] == [h.doc["date"] for h in b.hits]
    finally:
        e_backend.close()
        s_backend.close()


@pytest.fixture
def own_noida(tmp_path):
    """A stand-in server this test may stop and start (a shared real cluster cannot be)."""
    require_client()
    if real_elasticsearch():
        pytest.skip("stops and restarts the search server: runs on the local stand-in only")
    binary = noida_binary()
    if binary is None:
        pytest.skip("noida-db is not installed")
    server = NoidaServer(binary, tmp_path / "noida")
    server.start()
    yield server
    server.stop()


def test_search_server_down_mid_harvest_then_back_ends_with_everything_indexed(
        web, tmp_path, own_noida):
    settings = es_settings(tmp_path, own_noida.url)
    web.write_demo_sources(settings.sources)
    cat = Catalogue(settings.catalogue_url)
    done = {}
    t = threading.Thread(target=lambda: done.setdefault("report", harvest(settings)))
    t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # stop the search server once harvesting is under way
        try:
            if cat.resource_count() >= 5:
                break
        except Exception:  # noqa: BLE001 - the catalogue is being created
            pass
        time.sleep(0.1)
    own_noida.stop()
    t.join(180)
    report = done["report"]
    assert report.ok, report.to_dict()  # harvesting went on while the index was down
    pending, _ = cat.outbox_status()
    assert pending > 0  # the changes wait in the outbox

    # the UI says so clearly, and /healthz says why
    app = create_app(settings=settings)
    client = app.test_client()
    page = client.get("/search?q=roadmap")
    assert page.status_code == 503
    assert "temporarily unavailable" in page.get_data(as_text=True).lower()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "elasticsearch" in health.get_data(as_text=True).lower() or \
        own_noida.url in health.get_data(as_text=True)

    # the server comes back: the scheduler's periodic drain catches up by itself
    own_noida.start()
    proc = SchedulerProcess(settings)
    assert proc.drain_pending() > 0
    assert cat.outbox_status()[0] == 0
    backend = get_backend(settings)
    try:
        ids = _everything(backend)
        assert ids == {r.id for r in cat.iter_resources()}
    finally:
        backend.close()
    assert client.get("/search?q=roadmap").status_code == 200


def test_rebuild_during_a_harvest_loses_nothing(web, tmp_path, es_url):  # noqa: F811
    settings = es_settings(tmp_path, es_url)
    sources = web.demo_sources()
    first, rest = sources[:3], sources[3:]
    from .conftest import write_sources

    write_sources(settings.sources, first)
    assert harvest(settings).ok
    cat = Catalogue(settings.catalogue_url)
    write_sources(settings.sources, rest)
    done = {}
    t = threading.Thread(target=lambda: done.setdefault(
        "report", harvest(settings, ids=[s["id"] for s in rest])))
    t.start()
    backend = get_backend(settings)
    try:
        rebuilt = rebuild(cat, backend)  # while the second harvest writes
        assert rebuilt > 0
        t.join(180)
        assert done["report"].ok
        drain(cat, backend)
        assert cat.outbox_status()[0] == 0
        assert _everything(backend) == {r.id for r in cat.iter_resources()}
    finally:
        backend.close()


def test_ccp_demo_on_elasticsearch_and_postgresql_matches_the_embedded_demo(tmp_path, es_url):  # noqa: F811
    """The main job on the scale-out stack: `ccp demo` with Elasticsearch (and PostgreSQL
    when the tests have one) gives the same results as on the embedded default."""
    import json
    import os
    import subprocess
    import sys

    from .conftest import ROOT
    from .pg_support import PG_URL, create_pg_database, drop_pg_database

    pg = create_pg_database(PG_URL) if PG_URL else None
    stacks = {
        "embedded": {},
        "scale": {"CCP_SEARCH_BACKEND": "elasticsearch", "CCP_ELASTICSEARCH_URL": es_url,
                  "CCP_ELASTICSEARCH_INDEX": unique_index("ccp-demo-cli"),
                  **({"CCP_DATABASE_URL": pg} if pg else {})},
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    answers = {}
    try:
        for name, extra in stacks.items():
            # words only: the engines' answers are compared, and Elasticsearch stores vectors
            # quantized (its nearest neighbours may differ at the similarity cut)
            env = {**base, **extra, "CCP_DATA_DIR": str(tmp_path / name), "CCP_EMBEDDER": "none"}
            run = subprocess.run([sys.executable, "-m", "ccp.cli", "demo", "--no-serve"],
                                 env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert run.returncode == 0, run.stdout + run.stderr
            assert "0 failed" in run.stdout
            env["CCP_DATA_DIR"] = str(tmp_path / name / "demo")
            if "CCP_ELASTICSEARCH_INDEX" in env:
                env["CCP_ELASTICSEARCH_INDEX"] += "-demo"
            answers[name] = []
            for args in ([""], ["roadmap"], ["Prato"], ["", "--language", "nl"],
                         ["", "--type", "strategy"]):
                out = subprocess.run([sys.executable, "-m", "ccp.cli", "search", "--json",
                                      *args], env=env, cwd=ROOT, capture_output=True, text=True,
                                     timeout=120)
                assert out.returncode == 0, out.stderr
                d = json.loads(out.stdout)
                answers[name].append((
                    d["total"],
                    sorted((r["title"], r["format"], len(r["instances"])) for r in d["results"]),
                    {k: sorted((f["value"], f["count"]) for f in v)
                     for k, v in d["facets"].items()},
                ))
    finally:
        if pg:
            drop_pg_database(PG_URL, pg)
    assert answers["scale"] == answers["embedded"]
