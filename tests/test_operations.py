"""Unattended operation: scheduler reconciliation, run locks across processes, back-off and
recovery, Retry-After, notifications, SIGTERM during a run, items that disappear."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from apscheduler.jobstores.memory import MemoryJobStore

from config import load_sources
from harvesters.health import backoff_delay
from harvesters.scheduler import harvest_job, make_scheduler, reconcile
from indexer.backends import get_backend
from indexer.catalogue import Catalogue
from indexer.query import SearchQuery
from indexer.resource import utcnow

from .conftest import (
    FAST_SCRAPY,
    FIXTURE_ALLOWANCE,
    ROOT,
    harvest,
    make_settings,
    source_lock_held_by,
    write_sources,
)


def _feed(web, sid, path="/feed.xml", **extra):
    return {"id": sid, "name": f"Source {sid}", "type": "feed", "country": "EU",
            "url": web.url("trouble", path), **extra}


# -- scheduler reconciliation (never started) ------------------------------------------------

def test_reconcile_adds_changes_and_removes_jobs_and_is_idempotent(tmp_path, web):
    settings = make_settings(tmp_path)
    write_sources(settings.sources, [
        _feed(web, "src-a", schedule={"interval": {"hours": 6}}),
        _feed(web, "src-b", schedule={"cron": "15 */6 * * *"}),
        _feed(web, "src-c", enabled=False),
        _feed(web, "src-d"),  # no schedule: the portal default
    ])
    sched = make_scheduler(settings, jobstore=MemoryJobStore())
    changes = reconcile(sched, load_sources(settings.sources), settings)
    assert sorted(changes["added"]) == ["src-a", "src-b", "src-d"]
    jobs = {j.id: j for j in sched.get_jobs()}
    assert set(jobs) == {"harvest:src-a", "harvest:src-b", "harvest:src-d"}
    assert "interval[6:00:00]" in str(jobs["harvest:src-a"].trigger)
    assert "cron" in str(jobs["harvest:src-b"].trigger)
    assert jobs["harvest:src-a"].max_instances == 1 and jobs["harvest:src-a"].coalesce is True

    again = reconcile(sched, load_sources(settings.sources), settings)
    assert again == {"added": [], "changed": [], "removed": []}
    assert len(sched.get_jobs()) == 3

    # change a's schedule, enable c, remove b's file
    write_sources(settings.sources, [_feed(web, "src-a", schedule={"interval": {"minutes": 30}}),
                                     _feed(web, "src-c", enabled=True)])
    (settings.sources / "src-b.yaml").unlink()
    changes = reconcile(sched, load_sources(settings.sources), settings)
    assert changes == {"added": ["src-c"], "changed": ["src-a"], "removed": ["src-b"]}
    jobs = {j.id: j for j in sched.get_jobs()}
    assert set(jobs) == {"harvest:src-a", "harvest:src-c", "harvest:src-d"}
    assert "interval[0:30:00]" in str(jobs["harvest:src-a"].trigger)


# -- locks across processes ------------------------------------------------------------------

def test_a_source_locked_by_another_process_is_not_harvested(tmp_path, web):
    settings = make_settings(tmp_path)
    write_sources(settings.sources, [_feed(web, "locked-src")])
    Catalogue(settings.catalogue_url).create_all()
    with source_lock_held_by("other-process", settings.catalogue_url, "locked-src", 60):
        report = harvest(settings)
        s = report.sources[0]
        assert s.status == "skipped"
        assert "already being harvested" in s.message and "other-process" in s.message
        assert not report.ok
        assert Catalogue(settings.catalogue_url).resource_count() == 0
    # the holder was killed without releasing: once its lock is stale, it is taken over
    settings.lock_stale_seconds = 1.0
    time.sleep(2.1)
    report = harvest(settings)
    assert report.sources[0].status == "succeeded"
    assert Catalogue(settings.catalogue_url).source_locks() == {}


# -- back-off, recovery, notifications -------------------------------------------------------

class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - stdlib name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook", _Hook.received
    srv.shutdown()


def test_failing_source_backs_off_and_recovers_with_one_notification_each_way(
        tmp_path, web, webhook):
    url, received = webhook
    settings = make_settings(tmp_path, retry_times=0, backoff_base_seconds=60.0,
                             failing_after=2, webhook_url=url)
    write_sources(settings.sources, [_feed(web, "flaky", "/feed.xml")])
    cat = Catalogue(settings.catalogue_url)
    web.set_response("trouble", "/feed.xml", status=500, body=b"down")
    try:
        r1 = harvest(settings)
        h = cat.source_health()["flaky"]
        assert r1.sources[0].status == "failed"
        assert h.consecutive_failures == 1 and h.state != "failing"
        first_wait = h.retry_not_before - utcnow()
        assert timedelta(seconds=50) < first_wait <= timedelta(seconds=60)
        assert received == []

        # the scheduled job skips the source while it backs off
        web.clear_requests()
        assert harvest_job("flaky", str(settings.data_dir), str(settings.sources)) is None
        assert not [r for r in web.requests if r.path.startswith("/feed.xml")]

        r2 = harvest(settings)
        h = cat.source_health()["flaky"]
        assert r2.sources[0].status == "failed"
        assert h.state == "failing" and h.consecutive_failures == 2
        second_wait = h.retry_not_before - utcnow()
        assert timedelta(seconds=110) < second_wait <= timedelta(seconds=120)  # doubled
        assert "500" in h.last_error
        r3 = harvest(settings)
        assert r3.sources[0].status == "failed"
        assert [e["event"] for e in received] == ["source.failing"]  # once, not every run
        assert received[0]["source_id"] == "flaky"
    finally:
        web.clear_response("trouble", "/feed.xml")
    r4 = harvest(settings)
    h = cat.source_health()["flaky"]
    assert r4.sources[0].status == "succeeded"
    assert h.state == "healthy" and h.consecutive_failures == 0 and h.retry_not_before is None
    assert [e["event"] for e in received] == ["source.failing", "source.recovered"]


def test_backoff_doubles_up_to_a_day():
    assert backoff_delay(1, 300) == timedelta(minutes=5)
    assert backoff_delay(2, 300) == timedelta(minutes=10)
    assert backoff_delay(5, 300) == timedelta(minutes=80)
    assert backoff_delay(30, 300) == timedelta(days=1)


def test_long_retry_after_pushes_back_every_source_on_that_host(tmp_path, web):
    settings = make_settings(tmp_path, retry_times=1)
    write_sources(settings.sources, [_feed(web, "limited", "/feed.xml?rl=1"),
                                     _feed(web, "same-host", "/feed.xml?rl=2", enabled=True)])
    Catalogue(settings.catalogue_url).create_all()
    Catalogue(settings.catalogue_url).sync_sources(load_sources(settings.sources))
    web.set_response("trouble", "/feed.xml?rl=1", status=429, headers={"Retry-After": "900"})
    try:
        report = harvest(settings, ids=["limited"])
    finally:
        web.clear_response("trouble", "/feed.xml?rl=1")
    s = report.sources[0]
    assert s.status == "failed" and "429" in s.message and "Retry-After: 900" in s.message
    health = Catalogue(settings.catalogue_url).source_health()
    for sid in ("limited", "same-host"):
        wait = health[sid].retry_not_before - utcnow()
        assert timedelta(seconds=880) < wait <= timedelta(seconds=900), sid


# -- SIGTERM during a run --------------------------------------------------------------------

def test_sigterm_during_a_harvest_records_it_as_interrupted(tmp_path, web):
    settings = make_settings(tmp_path, download_timeout=60.0)
    write_sources(settings.sources, [_feed(web, "slow-src", "/slow?seconds=25")])
    env = {**os.environ, "CCP_DATA_DIR": str(settings.data_dir),
           "CCP_SOURCES": str(settings.sources), "CCP_DOWNLOAD_DELAY": "0",
           "CCP_ALLOWED_PRIVATE_ADDRESSES": FIXTURE_ALLOWANCE}
    proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", "harvest"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cat = Catalogue(settings.catalogue_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if web.in_flight("trouble"):
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the harvest never reached the slow source")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=40)
    assert proc.returncode == 1, out
    run = cat.runs()[0]
    assert run.status == "interrupted", out
    assert run.sources[0].status == "interrupted"
    assert cat.source_locks() == {}  # released


# -- items that disappear --------------------------------------------------------------------

def test_item_gone_from_a_sitemap_for_n_runs_leaves_default_search(tmp_path, web):
    settings = make_settings(tmp_path)
    src = next(s for s in web.demo_sources() if s["id"] == "porto-sitemap")
    src = {**src, "gone_after_runs": 2}
    write_sources(settings.sources, [src])
    assert harvest(settings).ok
    cat = Catalogue(settings.catalogue_url)
    before = cat.resource_count()
    sitemap = web.document("porto", "/sitemap.xml")
    entries = [e for e in sitemap.split(b"<url>")[1:] if re.search(rb"/noticias/[a-z0-9-]+<", e)]
    victim_entry = b"<url>" + entries[0].split(b"</url>")[0] + b"</url>"
    victim_loc = victim_entry.split(b"<loc>")[1].split(b"</loc>")[0].decode()
    trimmed = sitemap.replace(victim_entry, b"", 1)
    assert victim_loc.encode() not in trimmed
    web.set_document("porto", "/sitemap.xml", trimmed, "application/xml")
    try:
        r1 = harvest(settings)
        assert r1.ok
        victim = next(r for r in cat.iter_resources() if any(
            i.url.split("?")[0] == victim_loc.split("?")[0] for i in r.instances))
        assert victim.instances[0].status == "live"  # one miss is not enough
        r2 = harvest(settings)
        assert r2.ok
        victim = cat.get_resource(victim.id)
        assert victim.instances[0].status == "gone"
        backend = get_backend(settings)
        try:
            shown = backend.search(SearchQuery(text=""))
            assert shown.total == before - 1
            assert victim.id not in {h.id for h in shown.hits}
            with_gone = backend.search(SearchQuery(text="", include_gone=True, per_page=100))
            assert victim.id in {h.id for h in with_gone.hits}
        finally:
            backend.close()
        assert cat.resource_count() == before  # never deleted from the catalogue
    finally:
        web.set_document("porto", "/sitemap.xml", sitemap, "application/xml")
    # back in the sitemap: live again
    r3 = harvest(settings)
    assert r3.ok
    assert cat.get_resource(victim.id).instances[0].status == "live"


def test_a_run_past_its_time_limit_is_stopped_and_recorded_as_timed_out(tmp_path, web):
    settings = make_settings(tmp_path, download_timeout=60.0)
    # the limit leaves the good source room to finish on a loaded machine; the bad one hangs
    # far beyond it
    write_sources(settings.sources, [_feed(web, "hangs", "/slow?seconds=90"),
                                     _feed(web, "fine", "/feed.xml")])
    started = time.monotonic()
    report = harvest(settings, timeout=15)
    assert time.monotonic() - started < 60  # stopped, not waited out (90 s)
    assert report.status == "timed_out" and "limit of 15 s" in report.message
    by_id = {s.source_id: s for s in report.sources}
    assert by_id["hangs"].status == "failed"
    assert by_id["fine"].status == "succeeded" and by_id["fine"].added >= 1
    assert not report.ok
    assert Catalogue(settings.catalogue_url).source_locks() == {}
