"""The long-running processes as an operator runs them: ``ccp schedule`` and ``ccp up``."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from indexer.catalogue import Catalogue

from .conftest import FIXTURE_ALLOWANCE, ROOT, make_settings, write_sources


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(settings, **extra):
    return {**os.environ, "CCP_DATA_DIR": str(settings.data_dir),
            "CCP_SOURCES": str(settings.sources), "CCP_DOWNLOAD_DELAY": "0",
            "CCP_RETRY_TIMES": "0", "CCP_ALLOWED_PRIVATE_ADDRESSES": FIXTURE_ALLOWANCE, **extra}


def _wait(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _scheduled_runs(cat: Catalogue, source_id: str):
    try:
        return [r for r in cat.runs(source_id=source_id) if r.trigger == "schedule"]
    except Exception:  # noqa: BLE001 - the catalogue may not exist yet
        return []


def _src(web, sid, seconds=2, **extra):
    return {"id": sid, "name": sid, "type": "feed", "url": web.url("trouble", "/feed.xml"),
            "country": "EU", "schedule": {"interval": {"seconds": seconds}}, **extra}


def test_scheduler_harvests_on_schedule_and_picks_up_new_sources_on_sighup(web, tmp_path):
    settings = make_settings(tmp_path)
    write_sources(settings.sources, [_src(web, "every-two-seconds")])
    proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", "schedule"], env=_env(settings),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cat = Catalogue(settings.catalogue_url)
    try:
        runs = _wait(lambda: [r for r in _scheduled_runs(cat, "every-two-seconds")
                              if r.status == "finished"], 60, "a scheduled run")
        assert runs[0].sources[0].status == "succeeded"
        # a new source file and SIGHUP: harvested without a restart
        write_sources(settings.sources, [_src(web, "added-later")])
        proc.send_signal(signal.SIGHUP)
        _wait(lambda: [r for r in _scheduled_runs(cat, "added-later") if r.status == "finished"],
              60, "the new source's first scheduled run")
        _wait(lambda: cat.source_health().get("added-later") and
              cat.source_health()["added-later"].state == "healthy", 30, "health updated")
        health = cat.source_health()
        assert health["every-two-seconds"].next_run_at is not None
        # never two runs of one source at once
        for sid in ("every-two-seconds", "added-later"):
            spans = sorted((r.started_at, r.finished_at) for r in cat.runs(source_id=sid)
                           if r.finished_at)
            for (_, end), (start, _) in zip(spans, spans[1:]):
                assert start >= end
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out


def test_ccp_up_runs_scheduler_and_web_and_ctrl_c_stops_both(web, tmp_path):
    settings = make_settings(tmp_path)
    write_sources(settings.sources, [_src(web, "up-source")])
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", "up", "--port", str(port)],
                            env=_env(settings), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    cat = Catalogue(settings.catalogue_url)
    try:
        _wait(lambda: [r for r in _scheduled_runs(cat, "up-source") if r.status == "finished"],
              60, "a scheduled run under ccp up")

        def searchable():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=",
                                            timeout=5) as resp:
                    return json.load(resp)["total"] > 0
            except OSError:
                return False

        _wait(searchable, 30, "the web UI to show the harvested items")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    # both children are gone
    pids = [int(x) for x in re.findall(r"pid (\d+)", out)]
    assert len(pids) == 2, out
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with socket.socket() as s:  # and the web port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
