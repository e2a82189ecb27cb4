"""The ``ccp`` command as an operator uses it.

Quick commands run in-process through click's ``CliRunner``; harvests and index rebuilds run
as real processes (``python -m ccp.cli``), because their exit code is the contract cron and
CI scripts rely on: 0 every source succeeded, 1 a source or record failed (the rest is
stored), 2 bad usage or invalid configuration (nothing is harvested).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from ccp.cli import main
from search_ui import create_app

from .conftest import FIXTURE_ALLOWANCE, ROOT, make_settings, write_sources

GOOD = "good-feed"
FAILING = "server-error"


def _feed(web, sid: str, path: str, **extra) -> dict:
    return {"id": sid, "name": f"Trouble {sid}", "type": "feed", "country": "EU",
            "url": web.url("trouble", path), **extra}


def _process_env(data_dir: Path | None, sources: Path | None, **extra: str) -> dict[str, str]:
    """The test process's environment without any CCP_ setting of its own, plus ours:
    no politeness delay and no retries against 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update({"CCP_DOWNLOAD_DELAY": "0", "CCP_RETRY_TIMES": "0",
                "CCP_CONCURRENT_PER_HOST": "8", "CCP_DOWNLOAD_TIMEOUT": "10",
                "CCP_ALLOWED_PRIVATE_ADDRESSES": FIXTURE_ALLOWANCE})
    if data_dir is not None:
        env["CCP_DATA_DIR"] = str(data_dir)
    if sources is not None:
        env["CCP_SOURCES"] = str(sources)
    env.update(extra)
    return env


def ccp_process(*args: str, env: dict[str, str],
                timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ccp.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def ccp(*args: str, data_dir: Path | None = None, sources: Path | None = None, env=None):
    """Run a quick command in-process; data dir and sources given through the environment."""
    environ = {k: None for k in os.environ if k.startswith("CCP_")}  # none of the caller's
    environ.update({"CCP_DATA_DIR": str(data_dir) if data_dir else None,
                    "CCP_SOURCES": str(sources) if sources else None,
                    # the sources point at the loopback fixture web
                    "CCP_ALLOWED_PRIVATE_ADDRESSES": FIXTURE_ALLOWANCE, **(env or {})})
    return CliRunner().invoke(main, list(args), env=environ, catch_exceptions=False)


def _report_row(text: str, source_id: str) -> list[str]:
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0] == source_id:
            return cells
    raise AssertionError(f"no row for {source_id} in:\n{text}")


def _stable(search_json: dict) -> dict:
    return {k: v for k, v in search_json.items() if k != "took_ms"}


# -- a harvest with one good and one failing source --------------------------------------------

@pytest.fixture(scope="module")
def mixed(web, tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-mixed")
    data, sources = root / "data", root / "sources"
    write_sources(sources, [_feed(web, GOOD, "/feed.xml"), _feed(web, FAILING, "/status/500")])
    proc = ccp_process("harvest", env=_process_env(data, sources))
    return SimpleNamespace(data=data, sources=sources, proc=proc,
                           failing_url=web.url("trouble", "/status/500"),
                           private_url=web.url("trouble", "/private/secret-report"))


def test_a_failing_source_exits_1_and_the_report_names_both(mixed):
    out = mixed.proc.stdout
    assert mixed.proc.returncode == 1, (out, mixed.proc.stderr)
    assert out.startswith("Run 1: finished, 1 of 2 source(s) failed")
    assert "Sources: 1 succeeded, 1 failed, 0 skipped" in out
    good = _report_row(out, GOOD)
    failing = _report_row(out, FAILING)
    # SOURCE STATUS ADDED MERGED UPDATED UNCHANGED FAILED SKIPPED REQUESTS
    assert good[1] == "succeeded" and int(good[2]) == 4 and good[6] == "0"
    assert failing[1] == "failed" and failing[2] == "0"
    # the failing source's cause and URL are in the report
    assert re.search(rf"{FAILING}: http: {re.escape(mixed.failing_url)}: HTTP 500", out), out
    assert "Total: 4 added" in out


def test_the_good_source_of_a_failed_run_is_stored_and_searchable(mixed):
    res = ccp("search", "--json", data_dir=mixed.data, sources=mixed.sources)
    assert res.exit_code == 0, res.output
    found = json.loads(res.stdout)
    assert found["total"] == 4
    assert {i["source_id"] for r in found["results"] for i in r["instances"]} == {GOOD}
    titles = {r["title"] for r in found["results"]}
    assert "A plain article" in titles
    assert "Compressed page" in titles


def test_runs_lists_the_run(mixed):
    res = ccp("runs", data_dir=mixed.data)
    assert res.exit_code == 0
    header, *rows = res.stdout.splitlines()
    assert header.split()[:3] == ["RUN", "STARTED", "(UTC)"]
    [row] = rows
    cells = row.split()
    # RUN DATE TIME STATUS TRIGGER SOURCES SRC-FAILED SRC-SKIPPED ADDED UPDATED REC-FAILED
    # RESULT: the failed source is counted, and the result agrees with the exit code (1)
    assert cells[0] == "1"
    assert cells[3:] == ["finished", "cli", "2", "1", "0", "4", "0", "0", "failed"]
    assert len(ccp("runs", "--source", GOOD, data_dir=mixed.data).stdout.splitlines()) == 2
    assert len(ccp("runs", "--source", "other", data_dir=mixed.data).stdout.splitlines()) == 1


def test_runs_show_groups_errors_by_cause_and_names_the_urls(mixed):
    res = ccp("runs", "show", "1", data_dir=mixed.data)
    assert res.exit_code == 0
    out = res.stdout
    assert "Errors by cause:" in out
    causes = out.split("Errors by cause:", 1)[1]
    assert re.search(r"^  http: HTTP 500 Internal Server Error \(1\)$", causes, re.M), causes
    assert re.search(rf"^    {FAILING}  {re.escape(mixed.failing_url)}$", causes, re.M)
    # the page robots.txt forbids is listed under its own cause, with its URL
    assert re.search(r"^  robots: .*\(1\)$", causes, re.M), causes
    assert re.search(rf"^    {GOOD}  {re.escape(mixed.private_url)}$", causes, re.M)


def test_runs_show_json_and_an_unknown_run(mixed):
    res = ccp("runs", "show", "1", "--json", data_dir=mixed.data)
    report = json.loads(res.stdout)
    assert report["id"] == 1 and report["ok"] is False and report["status"] == "finished"
    by_id = {s["source_id"]: s for s in report["sources"]}
    assert by_id[FAILING]["status"] == "failed"
    assert [e["url"] for e in by_id[FAILING]["errors"] if e["fatal"]] == [mixed.failing_url]
    missing = ccp("runs", "show", "99", data_dir=mixed.data)
    assert missing.exit_code == 2 and "No run 99" in missing.stderr


def test_index_status_shows_counts_and_the_outbox(mixed):
    res = ccp("index", "status", data_dir=mixed.data)
    assert res.exit_code == 0, res.output
    assert "embedded index: 4 documents" in res.stdout
    assert "Catalogue: 4 resources, 4 instances" in res.stdout
    assert "Outbox: 0 pending" in res.stdout


def test_index_status_of_an_empty_data_dir_says_there_is_no_index(tmp_path):
    res = ccp("index", "status", data_dir=tmp_path / "fresh")
    assert res.exit_code == 1
    assert "does not exist" in res.stdout and "Catalogue: 0 resources" in res.stdout


def test_search_filters_and_text(mixed):
    def total(*args: str) -> int:
        res = ccp("search", "--json", *args, data_dir=mixed.data)
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)["total"]

    assert total("--source", GOOD) == 4
    assert total("--source", FAILING) == 0
    assert total("--language", "lt") == 1  # the Lithuanian page with a byte order mark
    assert total("--language", "lt", "--language", "fr") == 2
    assert total("--country", "EU") == 4
    assert total("compressed") == 1
    text = ccp("search", "compressed", data_dir=mixed.data).stdout
    assert text.startswith("1 result(s)")
    assert "1. Compressed page" in text and "/gzip/page.html" in text


def test_search_json_has_the_shape_of_the_api(mixed):
    cli = json.loads(ccp("search", "--json", "--language", "en", data_dir=mixed.data).stdout)
    app = create_app({"TESTING": True}, settings=make_settings(mixed.data, mixed.sources))
    api = app.test_client().get("/api/search?language=en").get_json()
    assert list(cli) == list(api)
    assert {"total", "results", "facets"} <= set(cli)
    assert cli["total"] == api["total"] == 2
    assert [r["id"] for r in cli["results"]] == [r["id"] for r in api["results"]]
    assert [list(r) for r in cli["results"]] == [list(r) for r in api["results"]]
    assert cli["query"] == api["query"]

    def counts(doc):
        return {name: {(v["value"], v["count"]) for v in values}
                for name, values in doc["facets"].items()}

    assert counts(cli) == counts(api)


def test_search_names_the_concept_terms_it_also_searched(mixed):
    hybrid = ccp("search", "spreco", "alimentare", data_dir=mixed.data)
    assert hybrid.exit_code == 0, hybrid.output
    assert "also searching: food waste" in hybrid.stdout
    lexical = ccp("search", "--mode", "lexical", "spreco", "alimentare", data_dir=mixed.data)
    assert lexical.exit_code == 0 and "also searching" not in lexical.stdout


@pytest.mark.parametrize("args,message", [(["--page", "0"], "page"),
                                          (["--year", "20"], "year")])
def test_search_with_a_bad_argument_exits_2(mixed, args, message):
    res = ccp("search", *args, data_dir=mixed.data)
    assert res.exit_code == 2 and message in res.stderr


def test_index_rebuild_keeps_search_results_identical(mixed):
    def snapshot() -> list[dict]:
        out = []
        for args in ([], ["--language", "en"], ["article"], ["--sort", "date"], ["--page", "2"]):
            res = ccp("search", "--json", *args, data_dir=mixed.data)
            doc = _stable(json.loads(res.stdout))
            # every fixture page has the same date; the engine does not define the order of
            # ties, so results are compared as a set, and their dates in order
            doc["dates"] = [r["date"] for r in doc["results"]]
            doc["results"] = sorted(doc["results"], key=lambda r: r["id"])
            out.append(doc)
        return out

    before = snapshot()
    assert before[0]["total"] == 4 and before[2]["total"] == 1
    proc = ccp_process("index", "rebuild", env=_process_env(mixed.data, mixed.sources))
    assert proc.returncode == 0, proc.stderr
    assert "Index rebuilt: 4 resources." in proc.stdout
    assert snapshot() == before


def test_sources_status_shows_health_after_runs(mixed):
    res = ccp("sources", "status", "--json", data_dir=mixed.data, sources=mixed.sources)
    assert res.exit_code == 0
    by_id = {s["id"]: s for s in json.loads(res.stdout)}
    good, failing = by_id[GOOD], by_id[FAILING]
    assert good["state"] == "healthy" and good["last_status"] == "succeeded"
    assert good["added"] == 4 and good["last_run_id"] == 1 and good["last_success"]
    assert failing["last_status"] == "failed" and failing["consecutive_failures"] == 1
    assert failing["last_success"] is None
    assert "500" in failing["last_error"]
    assert failing["backing_off_until"] is not None  # the next run waits (back-off)
    table = ccp("sources", "status", data_dir=mixed.data, sources=mixed.sources).stdout
    assert _report_row(table, GOOD)[1] == "healthy"
    assert "HTTP 500" in " ".join(_report_row(table, FAILING))


# -- a harvest where everything succeeds ----------------------------------------------------

@pytest.fixture(scope="module")
def good(web, tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-good")
    data, sources = root / "data", root / "sources"
    write_sources(sources, [_feed(web, GOOD, "/feed.xml")])
    # the options win over the environment, which points somewhere unusable
    decoy = root / "decoy-data"
    env = _process_env(decoy, root / "no-such-sources")
    first = ccp_process("--data-dir", str(data), "--sources", str(sources), "harvest", env=env)
    second = ccp_process("harvest", "--json", env=_process_env(data, sources))
    return SimpleNamespace(data=data, sources=sources, decoy=decoy, first=first, second=second)


def test_a_good_harvest_exits_0_with_a_report_naming_the_source(good):
    out = good.first.stdout
    assert good.first.returncode == 0, (out, good.first.stderr)
    assert out.startswith("Run 1: finished")
    row = _report_row(out, GOOD)
    assert row[1] == "succeeded" and int(row[2]) == 4
    assert "Total: 4 added, 0 merged into existing resources, 0 updated" in out
    log = re.search(r"^Log: (.+)$", out, re.M).group(1)
    assert Path(log) == good.data / "logs" / "harvest-1.log" and Path(log).is_file()
    # --data-dir won over CCP_DATA_DIR
    assert (good.data / "catalogue.sqlite3").is_file() and not good.decoy.exists()


def test_harvest_json_prints_a_valid_report(good):
    assert good.second.returncode == 0, good.second.stderr
    report = json.loads(good.second.stdout)  # nothing but the JSON on stdout
    assert report["id"] == 2 and report["status"] == "finished" and report["ok"] is True
    assert report["trigger"] == "cli"
    assert report["started_at"].endswith("Z") and report["finished_at"].endswith("Z")
    [src] = report["sources"]
    assert src["source_id"] == GOOD and src["status"] == "succeeded"
    # a re-harvest of unchanged content writes nothing
    assert report["totals"]["added"] == report["totals"]["updated"] == 0
    assert report["totals"]["failed"] == 0
    assert set(report["totals"]) <= set(src)


def test_harvest_of_an_unknown_id_exits_2_and_harvests_nothing(web, tmp_path):
    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [_feed(web, GOOD, "/feed.xml")])
    proc = ccp_process("harvest", GOOD, "no-such-id", env=_process_env(data, sources))
    assert proc.returncode == 2
    assert "Unknown source id(s): no-such-id" in proc.stderr
    assert len(ccp("runs", data_dir=data).stdout.splitlines()) == 1  # no run recorded


def test_harvest_with_an_invalid_source_dir_exits_2_naming_file_and_key(web, tmp_path):
    data, sources = tmp_path / "data", tmp_path / "sources"
    write_sources(sources, [_feed(web, GOOD, "/feed.xml"),
                            _feed(web, "bad-country", "/feed.xml", country="XX")])
    proc = ccp_process("harvest", env=_process_env(data, sources))
    assert proc.returncode == 2
    assert "Invalid source configuration" in proc.stderr
    assert f"{sources / 'bad-country.yaml'}: country:" in proc.stderr
    assert proc.stdout == ""
    assert len(ccp("runs", data_dir=data).stdout.splitlines()) == 1  # not even the good one ran


# -- sources list / check ---------------------------------------------------------------------

@pytest.fixture()
def two_dirs(web, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_sources(a, [_feed(web, "alpha-feed", "/feed.xml"),
                      {"id": "alpha-crawl", "name": "Alpha crawl", "type": "crawl",
                       "start_urls": [web.url("trouble", "/articles/")], "enabled": False}])
    write_sources(b, [_feed(web, "beta-feed", "/feed.xml")])
    return a, b


def test_sources_list_shows_ids_types_and_urls(two_dirs, web):
    a, _ = two_dirs
    res = ccp("sources", "list", sources=a)
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].split() == ["ID", "TYPE", "ENABLED", "COUNTRY", "URL", "NAME"]
    assert _report_row(res.stdout, "alpha-feed")[:5] == ["alpha-feed", "feed", "yes", "EU",
                                                         web.url("trouble", "/feed.xml")]
    assert _report_row(res.stdout, "alpha-crawl")[:3] == ["alpha-crawl", "crawl", "no"]
    listed = json.loads(ccp("sources", "list", "--json", sources=a).stdout)
    assert sorted(s["id"] for s in listed) == ["alpha-crawl", "alpha-feed"]


def test_sources_list_of_an_empty_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    res = ccp("sources", "list", sources=tmp_path / "empty")
    assert res.exit_code == 0 and "No sources in" in res.stdout


def test_the_sources_option_wins_over_the_environment(two_dirs):
    a, b = two_dirs
    from_env = ccp("sources", "list", sources=a).stdout
    from_option = ccp("--sources", str(b), "sources", "list", sources=a).stdout
    assert "alpha-feed" in from_env and "beta-feed" not in from_env
    assert "beta-feed" in from_option and "alpha-feed" not in from_option


def test_the_data_dir_option_wins_over_the_environment(mixed, tmp_path):
    assert len(ccp("runs", data_dir=mixed.data).stdout.splitlines()) == 2
    res = ccp("--data-dir", str(tmp_path / "other"), "runs", data_dir=mixed.data)
    assert len(res.stdout.splitlines()) == 1  # the other data dir has no runs


def test_sources_check_a_good_file(two_dirs):
    a, _ = two_dirs
    res = ccp("sources", "check", str(a / "alpha-feed.yaml"))
    assert res.exit_code == 0
    assert res.stdout.startswith("OK") and "'alpha-feed'" in res.stdout


def test_sources_check_a_bad_file_names_the_file_and_the_key(tmp_path):
    bad = tmp_path / "oslo.yaml"
    bad.write_text("id: oslo-news\nname: Oslo\ntype: feed\nurl: https://e.org/f\n"
                   "country: XX\nfollw: []\n", encoding="utf-8")
    res = ccp("sources", "check", str(bad))
    assert res.exit_code == 2
    assert f"{bad}: country:" in res.stderr and f"{bad}: follw: unknown key" in res.stderr
    assert res.stdout == ""


def test_sources_check_everything_and_one_id(two_dirs):
    a, _ = two_dirs
    everything = ccp("sources", "check", sources=a)
    assert everything.exit_code == 0
    assert "OK  alpha-feed" in everything.stdout and "OK  alpha-crawl" in everything.stdout
    assert "2 source(s) valid." in everything.stdout
    one = ccp("sources", "check", "alpha-feed", sources=a)
    assert one.exit_code == 0 and "1 source(s) valid." in one.stdout
    unknown = ccp("sources", "check", "UNKNOWN-ID", sources=a)
    assert unknown.exit_code == 2 and "No source with id 'UNKNOWN-ID'" in unknown.stderr


def test_sources_check_a_directory_reports_every_bad_file(web, tmp_path):
    write_sources(tmp_path, [_feed(web, "fine", "/feed.xml"),
                             _feed(web, "bad-lang", "/feed.xml", language="xx"),
                             {"id": "bad-regex", "name": "x", "type": "crawl",
                              "start_urls": [web.url("trouble", "/")], "items": ["(open"]}])
    res = ccp("sources", "check", sources=tmp_path)
    assert res.exit_code == 2
    assert f"{tmp_path / 'bad-lang.yaml'}: language:" in res.stderr
    assert f"{tmp_path / 'bad-regex.yaml'}: items:" in res.stderr
    assert "fine" not in res.stderr


def test_a_sources_path_that_does_not_exist_exits_2(tmp_path):
    res = ccp("sources", "list", sources=tmp_path / "missing")
    assert res.exit_code == 2 and "no such file or directory" in res.stderr


@pytest.mark.parametrize("command", [["schedule"], ["up", "--port", "0"]])
def test_long_running_commands_refuse_invalid_sources_before_starting(tmp_path, command):
    (tmp_path / "broken.yaml").write_text("id: x\nname: [\n", encoding="utf-8")
    res = ccp(*command, data_dir=tmp_path / "data", sources=tmp_path)
    assert res.exit_code == 2
    assert f"{tmp_path / 'broken.yaml'}: line" in res.stderr


def test_a_malformed_setting_in_the_environment_exits_2_naming_it(tmp_path):
    proc = ccp_process("sources", "list",
                       env=_process_env(tmp_path, tmp_path, CCP_RETRY_TIMES="two"))
    assert proc.returncode == 2
    assert "CCP_RETRY_TIMES" in proc.stderr and "Traceback" not in proc.stderr


# -- help ---------------------------------------------------------------------------------------

def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, cmd in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(cmd, click.Group):
            paths.extend(_command_paths(cmd, (*prefix, name)))
    return paths


COMMANDS = _command_paths(main)


def test_every_documented_command_exists():
    expected = {("sources",), ("sources", "list"), ("sources", "check"), ("sources", "status"),
                ("sources", "add"), ("harvest",), ("runs",), ("runs", "show"), ("index",),
                ("index", "rebuild"), ("index", "drain"), ("index", "status"), ("search",),
                ("serve",), ("schedule",), ("up",), ("demo",)}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("path", [()] + COMMANDS, ids=["ccp"] + [" ".join(p) for p in COMMANDS])
def test_help_works_on_every_command(path, tmp_path):
    cmd = main
    for name in path:
        cmd = cmd.commands[name]
    for flag in ("--help", "-h"):
        res = ccp(*path, flag, data_dir=tmp_path / "data", sources=tmp_path / "missing")
        assert res.exit_code == 0, res.output
        assert res.stdout.startswith(f"Usage: {' '.join(('main',) + path)}")
        summary = (cmd.help or "").strip().splitlines()[0]
        assert summary and " ".join(summary.split()[:4]) in " ".join(res.stdout.split())
    # nothing was created by asking for help
    assert not (tmp_path / "data").exists()


def test_version():
    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0 and re.search(r"\d+\.\d+\.\d+", res.stdout)
