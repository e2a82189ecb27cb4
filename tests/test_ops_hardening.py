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

from .conftest import ROOT, source_lock_held_by, write_sources
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


# -- 2. a search index that was never built is not an empty portal ----------------------------

MISSING = "the search index does not exist yet; run `ccp index rebuild` (or `ccp harvest`)"


def _app(data_dir: Path, **config):
    from search_ui import create_app

    from .conftest import make_settings

    return create_app({"TESTING": True, **config}, settings=make_settings(data_dir))


def test_a_missing_index_is_503_saying_how_to_build_it(tmp_path):
    c = _app(tmp_path / "fresh").test_client()
    page = c.get("/search?q=textile")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert MISSING in page.get_data(as_text=True)
    api = c.get("/api/search")
    assert api.status_code == 503 and MISSING in api.get_json()["error"]
    assert c.get("/search.atom").status_code == 503
    health = c.get("/healthz")
    assert health.status_code == 503 and MISSING in health.get_json()["index"]


def test_an_index_built_from_an_empty_catalogue_is_an_empty_portal(tmp_path):
    env = _process_env(tmp_path / "data", tmp_path)
    built = ccp_process("index", "rebuild", env=env)
    assert built.returncode == 0 and "Index rebuilt: 0 resources." in built.stdout
    c = _app(tmp_path / "data").test_client()
    assert c.get("/api/search?q=textile").get_json()["total"] == 0
    assert c.get("/search").status_code == 200
    assert c.get("/healthz").status_code == 200
    found = ccp_process("search", "textile", env=env)
    assert found.returncode == 0 and found.stdout.startswith("0 result(s)")


def test_ccp_search_of_a_missing_index_exits_1_saying_so(tmp_path):
    proc = ccp_process("search", "textile", env=_process_env(tmp_path / "data", tmp_path))
    assert proc.returncode == 1 and proc.stdout == ""
    assert _one_line(proc.stderr) == "The search index does not exist yet; run " \
                                     "`ccp index rebuild` (or `ccp harvest`)"
    as_json = ccp_process("search", "--json", env=_process_env(tmp_path / "data", tmp_path))
    assert as_json.returncode == 1 and as_json.stdout == ""


def test_a_harvest_whose_sources_all_failed_still_builds_the_index(web, tmp_path):
    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [_feed(web, "down", "/status/500")])
    env = _process_env(data, sources)
    assert ccp_process("harvest", env=env).returncode == 1
    found = ccp_process("search", "anything", env=env)
    assert found.returncode == 0 and found.stdout.startswith("0 result(s)")


# -- 4. a demo beside a running demo ----------------------------------------------------------

def test_a_second_demo_is_refused_and_search_points_to_the_demo_data(tmp_path):
    env = _process_env(tmp_path, None)
    env.pop("CCP_SOURCES", None)
    env["CCP_EMBEDDER"] = "none"  # the demo's lock is under test, not its embeddings
    running = subprocess.Popen([sys.executable, "-m", "ccp.cli", "demo", "--port", "0"],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        ready = _first_line_of(running, "The Circular City Portal demo is ready")
        url = re.search(r"(http://\S+/)", ready).group(1)
        before = _status_of(url + "api/search?q=textile")
        assert before == 200
        second = ccp_process("demo", "--no-serve", env=env)
        assert second.returncode == 2, second.stdout
        line = _one_line(second.stderr)
        assert line.startswith(f"A demo is already running from {tmp_path / 'demo'} (pid "
                               f"{running.pid}, serving {url})"), line
        # the live demo's data is untouched
        assert _status_of(url + "api/search?q=textile") == 200
        import json

        with urllib.request.urlopen(url + "api/search?q=textile", timeout=10) as resp:
            hit = json.load(resp)["results"][0]
        assert _status_of(url.rstrip("/") + hit["resource_url"]) == 200
        # ccp search from the same directory points to the demo's data
        lost = ccp_process("search", "textile", env=env)
        assert lost.returncode == 1
        assert _one_line(lost.stderr).startswith(
            f"No search index in {tmp_path} — the demo's data is in {tmp_path / 'demo'}: "
            f"use --data-dir {tmp_path / 'demo'}")
        found = ccp_process("--data-dir", str(tmp_path / "demo"), "search", "textile", env=env)
        assert found.returncode == 0 and "Textile" in found.stdout
    finally:
        _stop(running)
    # once the first demo has stopped, a new one may run
    again = ccp_process("demo", "--no-serve", env=env)
    assert again.returncode == 0, again.stderr


# -- 11. the Atom feed of a search ------------------------------------------------------------

def test_the_atom_feed_is_newest_first_with_feed_size_entries_and_typed_links(tmp_path):
    from lxml import etree

    from indexer.backends.embedded import EmbeddedBackend
    from search_ui import create_app

    from .conftest import make_settings
    from .search_corpus import make_resource, utc

    docs = []
    for i in range(40):  # the oldest say "compost" most often: relevance puts them first
        r = make_resource(f"r{i:02d}", f"Compost {'compost ' * (40 - i)}note {i}",
                          body="compost " * (40 - i), published=utc(2020 + i // 12, i % 12 + 1))
        docs.append(r)
    docs[39].format = "pdf"
    docs[39].url = "https://urbact.example.eu/newest.pdf"
    backend = EmbeddedBackend(tmp_path / "index")
    backend.apply(docs)
    app = create_app({"TESTING": True, "CCP_FEED_SIZE": 35},
                     settings=make_settings(tmp_path), backend=backend)
    c = app.test_client()
    resp = c.get("/search.atom?q=compost&sort=relevance&per_page=5&page=3")
    assert resp.status_code == 200
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = etree.fromstring(resp.data)
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 35  # CCP_FEED_SIZE, whatever the URL's page size or page
    updated = [e.findtext("a:updated", namespaces=ns) for e in entries]
    assert updated == sorted(updated, reverse=True)  # newest first, whatever the relevance
    assert entries[0].findtext("a:title", namespaces=ns).endswith("note 39")
    newest = entries[0].find("a:link[@rel='alternate']", ns)
    assert newest.get("type") == "application/pdf" and newest.get("href").endswith(".pdf")
    assert entries[1].find("a:link[@rel='alternate']", ns).get("type") == "text/html"


# -- 9. concurrent first starts on an empty data dir -----------------------------------------

def test_twenty_processes_starting_on_an_empty_data_dir_all_get_the_schema(tmp_path):
    import os

    env = _process_env(tmp_path / "data", tmp_path)
    from .pg_support import create_pg_database, drop_pg_database

    test_db = os.environ.get("CCP_TEST_DATABASE_URL")
    fresh_db = None
    if test_db:  # the same race on PostgreSQL, in an empty database of its own
        fresh_db = env["CCP_DATABASE_URL"] = create_pg_database(test_db)
    try:
        procs = [subprocess.Popen([sys.executable, "-m", "ccp.cli", "runs"], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(20)]
        results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    finally:
        if fresh_db:
            drop_pg_database(test_db, fresh_db)
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    failed = [r for r in results if r[0] != 0]
    assert not failed, failed[:3]
    assert all(r[1].startswith("RUN") for r in results)


# -- 5. failed sources are counted; 7. a skipped run has its own exit code --------------------

def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connection refused


def test_sources_that_fail_are_counted_everywhere_and_agree_with_the_exit_code(tmp_path):
    import json

    port = _closed_port()
    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [
        {"id": f"refused-{n}", "name": f"Refused {n}", "type": "feed",
         "url": f"http://127.0.0.1:{port}/feed-{n}.xml"} for n in (1, 2)])
    env = _process_env(data, sources)
    proc = ccp_process("harvest", env=env)
    out = proc.stdout
    assert proc.returncode == 1, (out, proc.stderr)
    assert out.startswith("Run 1: finished, 2 of 2 source(s) failed"), out
    assert "Sources: 0 succeeded, 2 failed, 0 skipped" in out
    assert re.search(r"refused-1: .*http://127\.0\.0\.1:\d+/feed-1\.xml", out), out
    runs = ccp_process("runs", env=env).stdout.splitlines()
    header, row = runs[0].split(), runs[1].split()
    assert row[header.index("SRC-FAILED")] == "2"
    assert row[-1] == "failed"
    status = json.loads(ccp_process("sources", "status", "--json", env=env).stdout)
    for s in status:
        # failed once: not "new", not yet "failing" (that takes CCP_FAILING_AFTER runs)
        assert s["state"] == "failed" and s["last_status"] == "failed", s
        assert s["consecutive_failures"] == 1 and "merged" in s
    table = ccp_process("sources", "status", env=env).stdout
    assert "ADD/MRG/UPD/SAME/FAIL" in table.splitlines()[0]
    assert ccp_process("harvest", env=env).returncode == 1
    again = json.loads(ccp_process("sources", "status", "--json", env=env).stdout)
    assert {s["state"] for s in again} == {"failing"}  # CCP_FAILING_AFTER=2 by default


def test_a_run_whose_source_is_held_elsewhere_exits_3(web, tmp_path):
    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [_feed(web, "held-elsewhere", "/feed.xml")])
    env = _process_env(data, sources)
    assert ccp_process("runs", env=env).returncode == 0  # creates the catalogue
    url = f"sqlite:///{(data / 'catalogue.sqlite3').resolve()}"
    with source_lock_held_by("another-host:1:abc", url, "held-elsewhere", 120):
        proc = ccp_process("harvest", env=env)
        assert proc.returncode == 3, (proc.stdout, proc.stderr)
        assert proc.stdout.startswith("Run 1: finished, 1 of 1 source(s) skipped")
        assert "already being harvested" in proc.stdout
        assert ccp_process("runs", env=env).stdout.splitlines()[1].split()[-1] == "skipped"


# -- 8. a harvest killed with SIGKILL --------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _kill_once_harvesting(proc: subprocess.Popen, data: Path) -> list[int]:
    """SIGKILL the harvest once its source is being harvested (holding its lock); returns
    the pids of its children (the crawl)."""
    import time

    from indexer.catalogue import Catalogue

    db = data / "catalogue.sqlite3"
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, "the harvest never started its source"
        if db.exists():
            cat = Catalogue(f"sqlite:///{db.resolve()}")
            try:
                runs = cat.runs()
                if runs and runs[0].sources[0].status == "running" and cat.source_locks():
                    break
            except Exception:  # noqa: BLE001 - the schema is still being created
                pass
            finally:
                cat.close()
        time.sleep(0.2)
    time.sleep(0.5)  # the slow request is on its way
    children = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return children


def test_a_harvest_killed_with_sigkill_is_closed_and_its_lock_released_at_once(web, tmp_path):

    from indexer.catalogue import Catalogue

    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [_feed(web, "killed-src", "/slow?seconds=20&killed")])
    env = _process_env(data, sources)  # CCP_LOCK_STALE_SECONDS stays 300
    proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", "harvest"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = _kill_once_harvesting(proc, data)
    assert children
    cat = Catalogue(f"sqlite:///{(data / 'catalogue.sqlite3').resolve()}")
    assert cat.runs()[0].status == "running" and cat.source_locks()  # as the kill left them
    # ccp runs recognises it at once
    runs = ccp_process("runs", env=env).stdout.splitlines()
    assert runs[1].split()[3] == "interrupted", runs
    assert "it was killed" in cat.run_report(1).message
    assert cat.source_locks() == {}
    # and the next run harvests the source (no 300 s wait)
    write_sources(sources, [_feed(web, "killed-src", "/feed.xml")])
    nxt = ccp_process("harvest", env=env)
    assert nxt.returncode == 0, (nxt.stdout, nxt.stderr)
    # the killed run's crawl did not harvest on beside the next run (nor close its run)
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or \
            Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z", pid
    assert cat.run_report(1).status == "interrupted"
    assert cat.run_report(1).sources[0].status == "interrupted"


def test_the_next_harvest_takes_over_the_lock_of_a_killed_one(web, tmp_path):

    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [_feed(web, "killed-too", "/slow?seconds=20&killed-too")])
    env = _process_env(data, sources)
    proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", "harvest"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _kill_once_harvesting(proc, data)
    write_sources(sources, [_feed(web, "killed-too", "/feed.xml")])
    nxt = ccp_process("harvest", "--json", env=env)  # the very next command is a harvest
    assert nxt.returncode == 0, (nxt.stdout, nxt.stderr)
    listing = ccp_process("runs", env=env).stdout.splitlines()
    assert [r.split()[3] for r in listing[1:]] == ["finished", "interrupted"]


# -- 10. errors in source files, as a person would write them ----------------------------------

BASE_FEED = "id: a-feed\nname: A feed\ntype: feed\nurl: https://example.org/feed.xml\n"
BAD_FILES = [
    (BASE_FEED + "schedule:\n  interval:\n    hourz: 2\n", "schedule.interval",
     "unknown key 'hourz' (use 'seconds', 'minutes', 'hours' or 'days')"),
    (BASE_FEED + "schedule:\n  cron: '* *'\n", "schedule",
     "cron must have 5 fields: minute hour day month day-of-week"),
    (BASE_FEED.replace("a-feed", "A_Feed"), "id",
     "must be 2-63 characters of lowercase letters, digits and '-', starting with a letter or "
     "digit"),
    (BASE_FEED.replace("https://example.org/feed.xml", "feed.xml"), "url",
     "'feed.xml' is not a valid http(s) URL (relative URL without a base)"),
    (BASE_FEED + "download_delay: lots\n", "download_delay", "must be a number, not 'lots'"),
    (BASE_FEED + "max_items: 0\n", "max_items", "must be 1 or more, not 0"),
    (BASE_FEED + "enabled: maybe\n", "enabled",
     "must be a boolean (true or false), not 'maybe'"),
    (BASE_FEED.replace("name: A feed", "name: ''"), "name", "must not be empty (at least 1 character)"),
    ("id: a-feed\nname: A feed\ntype: feed\n", "url", "is required"),
    ("id: a-crawl\nname: A\ntype: crawl\nstart_urls: []\n", "start_urls",
     "must list at least 1 item(s)"),
    ("id: a-crawl\nname: A\ntype: crawl\nstart_urls: [https://e.org/]\nmax_depth: 50\n",
     "max_depth", "must be at most 20, not 50"),
    ("id: a-map\nname: A\ntype: sitemap\nurl: https://e.org/s.xml\nfollow: ['(x']\n", "follow",
     "'(x' is not a valid regular expression (missing ), unterminated subpattern at "
     "position 0)"),
    (BASE_FEED + "follw: []\n", "follw", "unknown key"),
]


@pytest.mark.parametrize("text,key,message", BAD_FILES, ids=[k for _, k, _ in BAD_FILES])
def test_a_bad_source_file_is_one_plain_line(tmp_path, text, key, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    proc = ccp_process("sources", "check", str(bad), env=_process_env(tmp_path, tmp_path))
    assert proc.returncode == 2
    lines = [x.strip() for x in proc.stderr.splitlines() if x.strip()]
    assert lines == ["Invalid source configuration:", f"{bad}: {key}: {message}"]


# -- 6. sources check: a path, and --online ---------------------------------------------------

def test_sources_check_takes_a_directory_or_a_missing_file_as_a_path(web, tmp_path):
    d = write_sources(tmp_path / "elsewhere", [_feed(web, "in-a-dir", "/feed.xml")])
    env = _process_env(tmp_path / "data", tmp_path / "configured")
    res = ccp_process("sources", "check", str(d), env=env)
    assert res.returncode == 0 and "OK  in-a-dir" in res.stdout, res.stderr
    missing = ccp_process("sources", "check", str(d / "nope.yaml"), env=env)
    assert missing.returncode == 2
    assert _one_line(missing.stderr) == f"{d / 'nope.yaml'}: no such file or directory"


def test_sources_check_online_says_what_each_entry_url_offers(web, tmp_path):
    sources = write_sources(tmp_path / "sources", [
        _feed(web, "a-real-feed", "/feed.xml"),
        _feed(web, "a-missing-feed", "/status/404"),
    ])
    env = _process_env(tmp_path / "data", sources)
    proc = ccp_process("sources", "check", "--online", env=env)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    good = next(x for x in proc.stdout.splitlines() if "a-real-feed" in x)
    assert good.startswith("OK  a-real-feed: ") and re.search(r"a feed with [1-9]\d* item", good)
    bad = next(x for x in proc.stdout.splitlines() if "a-missing-feed" in x)
    assert bad.startswith("BAD a-missing-feed: ") and "not a feed" in bad and "404" in bad, bad
    assert "1 of 2 source(s) answer as declared." in proc.stdout
    # a loopback address outside the allowance is refused before anything is fetched
    web.clear_requests()
    env["CCP_ALLOWED_PRIVATE_ADDRESSES"] = "10.11.12.13/32"
    refused = ccp_process("sources", "check", "--online", "a-real-feed", env=env)
    assert refused.returncode == 1
    line = next(x for x in refused.stdout.splitlines() if "a-real-feed" in x)
    assert "refused" in line and "CCP_ALLOWED_PRIVATE_ADDRESSES" in line, line
    assert not [r for r in web.requests if r.path.startswith("/feed.xml")]
