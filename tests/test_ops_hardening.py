"""The operator's commands under misuse (issue 7): settings checked before any work, a
search index that was never built, the port actually bound, a demo beside a running demo,
failed sources counted, skipped runs, a harvest killed with SIGKILL, concurrent first starts,
source-file errors a person can read, the Atom feed of a search.

Commands run as real processes (``python -m ccp.cli``) against the fixture web on 127.0.0.1.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, write_sources
from .test_cli import _feed, _process_env, ccp_process

UNREACHABLE_PG = "postgresql+psycopg://ccp:secret@127.0.0.1:1/ccp"


def _one_line(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# -- 1. every setting is checked at start-up, for every command ----------------------------

BAD_SETTINGS = [
    ("CCP_SEARCH_BACKEND", "elastic", "is not a search backend"),
    ("CCP_DATABASE_URL", "not a url at all", "is not a database URL"),
    ("CCP_DATABASE_URL", "postgresql+nosuchdriver://u:p@localhost/db", "unknown database driver"),
    ("CCP_DATABASE_URL", "mysql://u:p@localhost/db", "not supported"),
    ("CCP_DOWNLOAD_TIMEOUT", "-1", "out of range"),
    ("CCP_CONCURRENT_PER_HOST", "0", "out of range"),
    ("CCP_FAILING_AFTER", "0", "out of range"),
    ("CCP_RETRY_TIMES", "two", "is not a whole number"),
    ("CCP_DOWNLOAD_DELAY", "nan", "out of range"),
    ("CCP_ALLOWED_PRIVATE_ADDRESSES", "10.0.0.0/8, localhost", "localhost"),
    ("CCP_WEBHOOK_URL", "ftp://hooks.example.org/", "http"),
]


@pytest.mark.parametrize("name,value,message", BAD_SETTINGS,
                         ids=[f"{n}={v}" for n, v, _ in BAD_SETTINGS])
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(tmp_path, name, value, message):
    proc = ccp_process("sources", "list", env=_process_env(tmp_path / "data", tmp_path,
                                                           **{name: value}))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    line = _one_line(proc.stderr)
    assert name in line and message in line, line
    assert proc.stdout == ""


def test_elasticsearch_backend_needs_a_valid_url(tmp_path):
    env = _process_env(tmp_path / "data", tmp_path, CCP_SEARCH_BACKEND="elasticsearch")
    missing = ccp_process("search", "x", env=env)
    assert missing.returncode == 2 and "CCP_ELASTICSEARCH_URL is not set" in \
        _one_line(missing.stderr)
    env["CCP_ELASTICSEARCH_URL"] = "localhost:9200"
    bad = ccp_process("search", "x", env=env)
    assert bad.returncode == 2
    assert "CCP_ELASTICSEARCH_URL: 'localhost:9200' is not an http" in _one_line(bad.stderr)


def test_a_bad_setting_stops_a_harvest_before_it_fetches_anything(web, tmp_path):
    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [_feed(web, "never-fetched", "/feed.xml?never-fetched")])
    web.clear_requests()
    proc = ccp_process("harvest", env=_process_env(data, sources, CCP_SEARCH_BACKEND="solr"))
    assert proc.returncode == 2
    assert "CCP_SEARCH_BACKEND='solr'" in _one_line(proc.stderr)
    assert not data.exists()  # no catalogue, no run, no log
    assert not [r for r in web.requests if "never-fetched" in r.path]


def test_serve_with_a_bad_setting_does_not_start(tmp_path):
    proc = ccp_process("serve", "--port", "0",
                       env=_process_env(tmp_path, tmp_path, CCP_SEARCH_BACKEND="tantivy"),
                       timeout=60)
    assert proc.returncode == 2 and "CCP_SEARCH_BACKEND" in _one_line(proc.stderr)
    assert "Serving" not in proc.stdout


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["harvest"], ["runs"]])
def test_an_unreachable_postgresql_is_one_line_and_exit_2(tmp_path, command):
    (tmp_path / "sources").mkdir()
    proc = ccp_process(*command, env=_process_env(tmp_path / "data", tmp_path / "sources",
                                                  CCP_DATABASE_URL=UNREACHABLE_PG), timeout=60)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    line = _one_line(proc.stderr)
    assert line.startswith("CCP_DATABASE_URL: cannot connect to "
                           "postgresql+psycopg://ccp:***@127.0.0.1:1/ccp"), line
    assert "secret" not in line and "Serving" not in proc.stdout


def test_help_works_whatever_the_settings(tmp_path):
    proc = ccp_process("serve", "--help", env=_process_env(tmp_path, tmp_path,
                                                           CCP_SEARCH_BACKEND="nope"))
    assert proc.returncode == 0 and proc.stdout.startswith("Usage:")


# -- 3. the port actually bound --------------------------------------------------------------

def _first_line_of(proc: subprocess.Popen, prefix: str) -> str:
    for line in proc.stdout:
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting with {prefix!r}")


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


def _status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("command", [["serve"], ["up"]])
def test_port_0_prints_the_port_actually_bound(tmp_path, command):
    (tmp_path / "sources").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", *command, "--port", "0"],
                            env=_process_env(tmp_path / "data", tmp_path / "sources"), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        prefix = "Serving" if command == ["serve"] else "Scheduler pid"
        line = _first_line_of(proc, prefix)
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        assert port != 0, line
        # something answers there: the portal (its health check says what is missing)
        assert _status_of(f"http://127.0.0.1:{port}/healthz") in (200, 503)
    finally:
        _stop(proc)
