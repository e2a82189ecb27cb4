"""Harvesting on every core (issue #11): normalising in worker processes gives the same
records as normalising in the harvest process; a document that kills or hangs its worker fails
alone, named in the run's report; the own-record lookup of the ingest uses two indexes."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from sqlalchemy import select

from config.models import SOURCE_ADAPTER
from harvesters.normpool import NormalisePool, WorkerFailure
from harvesters.run import harvest_workers
from indexer.catalogue import Catalogue
from indexer.catalogue.resources import _OWN
from indexer.catalogue.tables import resources_t
from indexer.normalise import NormaliseError
from indexer.resource import RawDocument
from tests.conftest import harvest, make_settings, write_sources
from tests.sitemap_site import SitemapSite

ARTICLES = {
    "en": ("Repair cafés keep 4 tonnes of appliances out of the bin",
           "Volunteers in twelve neighbourhoods fixed toasters, lamps and bicycles every "
           "Saturday this year. The city lends them tools and a room in each library, and "
           "residents bring what would otherwise be thrown away. Most repairs take less than "
           "an hour and cost nothing but a spare part."),
    "nl": ("Gemeente start met statiegeld op koffiebekers",
           "Vanaf september betalen bezoekers van de markt vijftig cent statiegeld op een "
           "herbruikbare koffiebeker. Ze krijgen het geld terug bij elke deelnemende kraam. "
           "De gemeente wil zo het zwerfafval rond de markt halveren en het aantal "
           "wegwerpbekers in de restafvalbakken sterk verminderen."),
    "fr": ("La métropole ouvre une matériauthèque pour le réemploi",
           "Portes, fenêtres, carrelage et bois de charpente récupérés sur les chantiers de "
           "démolition sont désormais proposés aux artisans et aux habitants à petit prix. "
           "La matériauthèque accueille aussi des ateliers pour apprendre à restaurer les "
           "matériaux anciens plutôt que de les jeter."),
    "de": ("Stadt verdoppelt die Sammelstellen für Alttextilien",
           "Die neuen Container stehen an allen Wertstoffhöfen und vor den Stadtteilbüros. "
           "Gut erhaltene Kleidung geht an Sozialkaufhäuser, der Rest wird sortiert und zu "
           "Dämmstoff oder Putzlappen verarbeitet. Im ersten Quartal kamen so schon "
           "vierzig Tonnen zusammen."),
}
# a page that takes seconds to normalise (a megabyte of nested blocks): the hostile document
HOSTILE_BLOCKS = 60_000


def _article(lang: str, n: int) -> bytes:
    title, text = ARTICLES[lang]
    paras = "".join(f"<p>{text} ({n}.{k})</p>" for k in range(4))
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{title} "
            f"{n}</title></head><body><nav><a href='/'>Home</a></nav><main><article>"
            f"<h1>{title} {n}</h1>{paras}</article></main><footer>Contact</footer></body>"
            f"</html>").encode()


def _hostile() -> bytes:
    blocks = "".join(f"<div><p>block {i} of a page far too big to read quickly</p></div>"
                     for i in range(HOSTILE_BLOCKS))
    return f"<html><body><main>{blocks}</main></body></html>".encode()


def _site(hostile: bool = False) -> SitemapSite:
    """Eight articles in four languages (and, with ``hostile``, one page too slow to read)
    behind a sitemap, served on 127.0.0.1."""
    pages = {f"/{lang}/{n}": _article(lang, n) for lang in ARTICLES for n in (1, 2)}
    if hostile:
        pages["/huge"] = _hostile()
    return SitemapSite(pages)


def _settings(tmp_path, name: str, base: str):
    data = tmp_path / name
    settings = make_settings(data)
    write_sources(data / "sources", [{"id": "scale-site", "name": "Scale site",
                                      "type": "sitemap", "url": f"{base}/sitemap.xml"}])
    return settings


def _records(settings) -> list[tuple]:
    cat = Catalogue(settings.catalogue_url)
    try:
        with cat.engine.connect() as c:
            rows = c.execute(select(resources_t).order_by(resources_t.c.url)).mappings().all()
        return [(r["url"], r["title"], r["language"], r["type"], tuple(r["themes"] or ()),
                 r["summary"], r["body"], r["content_hash"], r["published"]) for r in rows]
    finally:
        cat.close()


def test_worker_processes_store_the_same_records_as_the_harvest_process(tmp_path):
    with _site() as site:
        alone = _settings(tmp_path, "in-process", site.base)
        pooled = _settings(tmp_path, "pooled", site.base)
        r1 = harvest(alone, workers=0)
        r2 = harvest(pooled, workers=2)
    assert r1.totals()["added"] == r2.totals()["added"] == 8
    one, two = _records(alone), _records(pooled)
    assert [r[2] for r in one] == ["de", "de", "en", "en", "fr", "fr", "nl", "nl"]
    assert one == two


def test_a_document_that_hangs_its_worker_fails_alone_and_is_named(tmp_path):
    with _site(hostile=True) as site:
        settings = _settings(tmp_path, "hostile", site.base)
        report = harvest(settings, workers=1, normalise_timeout=2.0)
    totals = report.totals()
    assert totals["added"] == 8 and totals["failed"] == 1
    errors = [e for s in report.sources for e in s.errors]
    assert [e.url for e in errors] == [f"{site.base}/huge"]
    assert "took longer than 2 s" in errors[0].message
    assert report.status == "finished"


def _raw(url: str, body: bytes) -> RawDocument:
    return RawDocument(source_id="pool-site", url=url, final_url=url, body=body,
                       headers={"content-type": "text/html; charset=utf-8"})


@pytest.fixture()
def pool():
    src = SOURCE_ADAPTER.validate_python({"id": "pool-site", "name": "Pool site",
                                          "type": "sitemap",
                                          "url": "http://127.0.0.1:9/sitemap.xml"})
    p = NormalisePool(1, {src.id: src}, timeout=60.0)
    yield p
    p.close()


def test_a_worker_killed_on_a_document_fails_that_document_and_is_replaced(pool):
    slow = pool.submit(_raw("http://127.0.0.1:9/huge", _hostile()), "pool-site")
    victim = pool.pids[0]
    deadline = time.monotonic() + 30
    while not slow.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the worker is reading the document
    os.kill(victim, signal.SIGKILL)  # what the kernel's OOM killer does
    with pytest.raises(WorkerFailure, match="killed by signal 9"):
        slow.result(timeout=60)
    # the next document is read by a new worker
    res = pool.submit(_raw("http://127.0.0.1:9/en/1", _article("en", 1)), "pool-site").result(60)
    assert res.language == "en" and res.title.startswith("Repair cafés")
    assert pool.pids and pool.pids[0] != victim


def test_an_unusable_document_is_reported_as_such_by_the_worker(pool):
    empty = pool.submit(_raw("http://127.0.0.1:9/empty", b"<html><body></body></html>"),
                        "pool-site")
    with pytest.raises(NormaliseError, match="no text could be extracted"):
        empty.result(timeout=60)


def test_the_worker_count_defaults_to_the_cores_and_can_be_set(tmp_path):
    settings = make_settings(tmp_path)
    assert harvest_workers(settings) == len(os.sched_getaffinity(0))
    assert harvest_workers(settings, 0) == 0
    assert harvest_workers(settings, 3) == 3
    from config import Settings
    from config.settings import SettingError

    configured = Settings.from_env(environ={"CCP_HARVEST_WORKERS": "0"},
                                   data_dir=str(tmp_path / "d"))
    assert harvest_workers(configured) == 0 and harvest_workers(configured, 2) == 2
    with pytest.raises(SettingError, match="CCP_HARVEST_WORKERS"):
        Settings.from_env(environ={"CCP_HARVEST_WORKERS": "-1"},
                          data_dir=str(tmp_path / "d")).validate()


def test_the_own_record_lookup_searches_two_indexes_and_scans_nothing(tmp_path):
    """url=? OR guid=? made SQLite scan every instance of the source (ingest grew with the
    square of a source's size); the lookup is two indexed searches."""
    cat = Catalogue(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    cat.create_all()
    try:
        with cat.engine.connect() as c:
            compiled = _OWN.compile(dialect=c.dialect)
            values = compiled.construct_params({"sid": "a-source", "url": "https://example.org/a",
                                                "guid": "tag:example.org,2025:1"})
            args = [values[k] for k in compiled.positiontup]
            cursor = c.connection.driver_connection.cursor()
            plan = [row[-1] for row in cursor.execute(f"EXPLAIN QUERY PLAN {compiled}", args)]
    finally:
        cat.close()
    text = "\n".join(plan)
    # the (source_id, url) unique constraint's index, and ix_instances_source_guid
    assert re.search(r"SEARCH instances USING INDEX \S+ \(source_id=\? AND url=\?\)", text)
    assert "SEARCH instances USING INDEX ix_instances_source_guid (source_id=? AND guid=?)" \
        in text
    assert "SCAN instances" not in text
