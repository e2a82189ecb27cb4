"""Politeness over many hosts, through the scheduler: one request in flight per host, the
configured delay from the end of one response to the next request to that host, and a cap
on the requests in flight over all hosts — over every source of a run, not per source.

The many-hosts fixture web (:mod:`ccp.fixtureweb.manyhosts`) listens on 20 loopback addresses
and records, per host, when each request arrived and when its answer left; the assertions
read that record, never the harvest's own timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ccp.fixtureweb.manyhosts import ManyHostsWeb
from indexer.catalogue import Catalogue

from .conftest import ROOT, make_settings, write_sources

HOSTS, SITES, ITEMS = 20, 3, 3
DELAY = 0.25
MAX_IN_FLIGHT = 4


@pytest.fixture(scope="module")
def hosts():
    # each answer takes 0.1 s: without the limits, requests to one host would overlap and
    # more than MAX_IN_FLIGHT would be in flight at once
    with ManyHostsWeb(hosts=HOSTS, sites=SITES, items=ITEMS, service_seconds=0.1) as web:
        yield web


def _scheduler(settings, **env):
    full = {**os.environ, "CCP_DATA_DIR": str(settings.data_dir),
            "CCP_SOURCES": str(settings.sources), "CCP_RETRY_TIMES": "0",
            # the fixture web is on loopback, allowed explicitly (never by default)
            "CCP_ALLOWED_PRIVATE_ADDRESSES": "127.0.0.0/8", **env}
    return subprocess.Popen([sys.executable, "-m", "ccp.cli", "schedule"], env=full, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _harvest_all_scheduled(settings, ids: set[str], **env) -> list:
    """Run ``ccp schedule`` until every source has one finished scheduled run; those runs."""
    proc = _scheduler(settings, **env)
    cat = Catalogue(settings.catalogue_url)
    deadline = time.monotonic() + 240
    runs: list = []
    try:
        while time.monotonic() < deadline and not runs:
            time.sleep(0.5)
            try:
                finished = [r for r in cat.runs(limit=50) if r.trigger == "schedule"
                            and r.status == "finished"]
            except Exception:  # noqa: BLE001 - the catalogue may not exist yet
                continue
            if ids <= {s.source_id for r in finished for s in r.sources}:
                runs = finished
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=90)
    assert runs, f"the scheduler did not harvest every source within 240 s:\n{out[-4000:]}"
    assert proc.returncode == 0, out[-3000:]
    return runs


def test_scheduler_keeps_one_request_per_host_the_delay_and_the_global_cap(hosts, tmp_path):
    settings = make_settings(tmp_path)
    sources = hosts.sources(schedule={"interval": {"seconds": 2}})
    assert len(sources) == HOSTS * SITES == 60
    write_sources(settings.sources, sources)
    hosts.clear()
    runs = _harvest_all_scheduled(settings, {s["id"] for s in sources},
                                  CCP_DOWNLOAD_DELAY=str(DELAY),
                                  CCP_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT))
    # every source harvested in full: its listing and its three pages, each stored
    first = {}
    for r in sorted(runs, key=lambda r: r.id):
        for s in r.sources:
            first.setdefault(s.source_id, s)
    assert {s.status for s in first.values()} == {"succeeded"}
    assert all(s.added == ITEMS for s in first.values()), [
        (s.source_id, s.added) for s in first.values() if s.added != ITEMS]
    # the sources that fell due together were harvested together (not one process each)
    assert len({r.id for r in runs}) < 10
    # what the hosts saw: robots.txt once per host, each listing and page, never two
    # requests to one host at once, never sooner than the delay after the last answer, never
    # more than the cap in flight over all hosts
    seen = hosts.politeness(DELAY)
    pages = [h for h in hosts.hits if h.path.endswith(".html")]
    assert len(pages) >= HOSTS * SITES * ITEMS
    assert seen.hosts == HOSTS
    assert seen.max_in_flight_per_host == 1
    assert seen.ok, seen.too_close[:5]
    assert seen.shortest_gap >= DELAY
    assert seen.max_in_flight_total <= MAX_IN_FLIGHT
    assert sum(1 for h in hosts.hits if h.path == "/robots.txt") <= 2 * HOSTS


def test_a_larger_per_host_limit_is_what_the_hosts_see(hosts, tmp_path):
    """The record is not blind: allowed three at once with no delay, the hosts do see
    overlapping requests — and still no more than three."""
    from harvesters.run import run_harvest
    from config import load_sources

    settings = make_settings(tmp_path, concurrent_per_host=3, max_in_flight=64)
    settings.download_delay = 0.0
    write_sources(settings.sources, hosts.sources(hosts=4))
    hosts.clear()
    report = run_harvest(settings, load_sources(settings.sources))
    assert {s.status for s in report.sources} == {"succeeded"}
    seen = hosts.politeness(0.0)
    assert 2 <= seen.max_in_flight_per_host <= 3


def test_run_now_of_sources_on_one_host_is_one_run_that_takes_turns(hosts, tmp_path):
    """"Run now" from the admin goes through the scheduler's queue too: asked together, the
    sources are harvested in one run, their host never asked twice at once."""
    settings = make_settings(tmp_path)
    sources = hosts.sources(hosts=2, schedule={"interval": {"hours": 6}})
    write_sources(settings.sources, sources)
    cat = Catalogue(settings.catalogue_url)
    cat.create_all()
    tasks = [cat.create_task("harvest", {"source_id": s["id"]}, requested_by="ops")
             for s in sources]
    hosts.clear()
    proc = _scheduler(settings, CCP_DOWNLOAD_DELAY=str(DELAY))
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            done = [cat.get_task(t) for t in tasks]
            if all(t["status"] in ("done", "failed") for t in done):
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=90)
    assert [t["status"] for t in done] == ["done"] * len(tasks), out[-3000:]
    run_ids = {t["result"]["run_id"] for t in done}
    assert len(run_ids) == 1 and None not in run_ids
    run = next(r for r in cat.runs() if r.id in run_ids)
    assert run.trigger == "admin"
    assert {s.source_id: s.status for s in run.sources} == {
        s["id"]: "succeeded" for s in sources}
    seen = hosts.politeness(DELAY)
    assert seen.hosts == 2 and seen.max_in_flight_per_host == 1 and seen.ok, seen.too_close
