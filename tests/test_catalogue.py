"""The catalogue as the store of record, on SQLite (the default) and on PostgreSQL when
``CCP_TEST_DATABASE_URL`` names one (CI starts Debian's PostgreSQL and sets it)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from indexer.backends.embedded import EmbeddedBackend
from indexer.catalogue import ADDED, MERGED, UNCHANGED, UPDATED, Catalogue
from indexer.indexing import drain
from indexer.resource import Instance, Place, Resource, resource_id_for
from indexer.schema import SchemaBehind, current_revision, head_revision

from .conftest import ROOT
from .pg_support import pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalogue.sqlite3'}"
        return
    with pg_database() as url:
        yield url


@pytest.fixture
def cat(db_url):
    c = Catalogue(db_url)
    c.create_all()
    yield c
    c.close()


NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def doc(source: str, url: str, body: str = "Circular procurement guide for cities.", *,
        title: str = "Circular procurement", guid: str | None = None, country: str = "NL",
        published: datetime | None = None) -> Resource:
    from indexer.normalise import content_hash

    return Resource(
        id=resource_id_for(url), title=title, url=url, body=body, summary=body[:50],
        content_hash=content_hash(body), language="en", published=published,
        places=[Place(country, None)], harvested_at=NOW,
        instances=[Instance(source, url, guid=guid)],
    )


def test_fresh_database_is_created_at_the_newest_schema(cat):
    assert current_revision(cat.engine) == head_revision()
    cat.create_all()  # idempotent


def test_database_of_another_origin_is_refused_with_a_clear_error(db_url):
    c = Catalogue(db_url)
    c.create_all()
    with c.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    c.close()
    again = Catalogue(db_url)
    with pytest.raises(SchemaBehind, match="no schema revision"):
        again.create_all()
    again.close()


def test_ccp_db_upgrade_creates_the_schema(tmp_path):
    env = {**os.environ, "CCP_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "ccp.cli", "db", "upgrade"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"from empty to {head_revision()}" in out.stdout
    cur = subprocess.run([sys.executable, "-m", "ccp.cli", "db", "current"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert cur.returncode == 0 and head_revision() in cur.stdout


def test_dedupe_layers(cat):
    a = doc("city", "https://city.example/report")
    assert cat.ingest(a) == ADDED
    assert cat.ingest(doc("city", "https://city.example/report")) == UNCHANGED
    # same URL through another source
    assert cat.ingest(doc("hub", "https://city.example/report", country="EU")) == MERGED
    # same text at another URL and source
    assert cat.ingest(doc("network", "https://network.example/copy", country="EU")) == MERGED
    r = cat.get_resource(a.id)
    assert {(i.source_id, i.url) for i in r.instances} == {
        ("city", "https://city.example/report"), ("hub", "https://city.example/report"),
        ("network", "https://network.example/copy")}
    assert {p.country for p in r.places} == {"NL", "EU"}
    assert cat.resource_count() == 1
    # the text changed at the source: an update of the same resource
    changed = doc("city", "https://city.example/report", body="Revised procurement guide.")
    assert cat.ingest(changed) == UPDATED
    assert cat.get_resource(a.id).body == "Revised procurement guide."
    # a copy that differs does not flip the resource back and forth between runs
    assert cat.ingest(doc("network", "https://network.example/copy", country="EU")) == UNCHANGED
    assert cat.ingest(changed) == UNCHANGED


def test_stable_guid_follows_a_moved_url(cat):
    first = doc("feed", "https://site.example/a?id=1", guid="urn:item:1")
    assert cat.ingest(first) == ADDED
    moved = doc("feed", "https://site.example/news/a", guid="urn:item:1")
    assert cat.ingest(moved) == UPDATED
    r = cat.get_resource(first.id)
    assert [i.url for i in r.instances] == ["https://site.example/news/a"]


def test_earliest_publication_date_wins_on_merge(cat):
    early = datetime(2024, 1, 5, tzinfo=timezone.utc)
    a = doc("city", "https://city.example/x", published=early + timedelta(days=30))
    cat.ingest(a)
    cat.ingest(doc("hub", "https://hub.example/x", published=early))
    assert cat.get_resource(a.id).published == early


def test_unchanged_content_writes_no_outbox_entry(cat):
    cat.ingest(doc("city", "https://city.example/y"))
    n, _ = cat.outbox_status()
    cat.ingest(doc("city", "https://city.example/y"))
    assert cat.outbox_status()[0] == n


def test_locks_contention_and_stale_takeover(cat):
    ok, note = cat.acquire_source_lock("src", "worker-1", stale_after=60)
    assert ok and note is None
    ok, note = cat.acquire_source_lock("src", "worker-2", stale_after=60)
    assert not ok and "worker-1" in note
    with cat.engine.begin() as c:
        c.execute(text("UPDATE source_locks SET heartbeat_at = :t"),
                  {"t": datetime(2020, 1, 1)})
    ok, note = cat.acquire_source_lock("src", "worker-2", stale_after=60)
    assert ok and "stale" in note
    cat.release_source_locks(["src"], "worker-1")  # not the holder: nothing happens
    assert "src" in cat.source_locks()
    cat.release_source_locks(["src"], "worker-2")
    assert cat.source_locks() == {}


def test_tasks_are_claimed_once(cat):
    t = cat.create_task("harvest", {"source_id": "a"}, requested_by="admin")
    first = cat.claim_tasks()
    assert [x["id"] for x in first] == [t]
    assert cat.claim_tasks() == []
    cat.finish_task(t, "done", {"run_id": 7})
    assert cat.get_task(t)["result"] == {"run_id": 7}


def test_drain_indexes_everything_and_keeps_entries_while_the_backend_fails(cat, tmp_path):
    for i in range(30):
        cat.ingest(doc("city", f"https://city.example/{i}", body=f"Document number {i}."))
    broken = tmp_path / "broken-index"
    broken.mkdir()
    (broken / "CURRENT").write_text("{not json")  # a damaged index answers "unavailable"
    bad = EmbeddedBackend(broken)
    result = drain(cat, bad)
    assert result.error and result.applied == 0
    assert cat.outbox_status()[0] == 30  # nothing lost
    good = EmbeddedBackend(tmp_path / "index")
    result = drain(cat, good, batch=7)
    assert result.applied == 30 and result.error is None
    assert good.count() == 30 and cat.outbox_status()[0] == 0
    good.close()


DRAIN_WORKER = """
import sys
from indexer.backends.embedded import EmbeddedBackend
from indexer.catalogue import Catalogue
from indexer.indexing import drain
cat = Catalogue(sys.argv[1])
print(drain(cat, EmbeddedBackend(sys.argv[2]), batch=int(sys.argv[3])).applied, flush=True)
"""


def test_two_workers_draining_at_once_index_each_entry_once(cat, db_url, tmp_path):
    n = 400
    for i in range(n):
        cat.ingest(doc("city", f"https://city.example/doc/{i}", body=f"Text of document {i}."))
    index = tmp_path / "index"
    EmbeddedBackend(index).close()
    procs = [subprocess.Popen([sys.executable, "-c", DRAIN_WORKER, db_url, str(index), "25"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    applied = [int(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(applied) == n  # no entry applied twice, none lost
    assert cat.outbox_status()[0] == 0
    backend = EmbeddedBackend(index)
    assert backend.count() == n
    backend.close()


def test_a_withdrawn_record_is_gone_at_once_and_only_at_its_source(cat):
    a = doc("oai", "https://repo.example/a", guid="oai:repo:1")
    b = doc("oai", "https://repo.example/b", body="Food waste in school canteens.", guid="oai:repo:2")
    assert cat.ingest(a) == ADDED and cat.ingest(b) == ADDED
    assert cat.ingest(doc("hub", "https://repo.example/a", country="EU")) == MERGED
    cat.outbox_ack(cat.outbox_max_id())  # drained: what follows must be new work for the index
    assert cat.withdraw("oai", guids=["oai:repo:1", "oai:repo:unknown"]) == [a.id]
    assert cat.withdraw("oai", urls=["https://repo.example/b"]) == [b.id]
    assert cat.withdraw("oai", guids=["oai:repo:1"]) == []  # already gone: nothing to do
    assert cat.withdraw("elsewhere", urls=["https://repo.example/a"]) == []
    ra, rb = cat.get_resource(a.id), cat.get_resource(b.id)
    assert {(i.source_id, i.status) for i in ra.instances} == {("oai", "gone"), ("hub", "live")}
    assert ra.is_live and not rb.is_live
    assert {rid for _, rid, op in cat.outbox_batch(10_000) if op == "upsert"} == {a.id, b.id}
