"""The operators' admin under /admin/ (Flask test client, a real catalogue in a temporary data
directory, real source files), and the source-file editing in config.editing."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
import yaml
from werkzeug.security import check_password_hash, generate_password_hash

from config.editing import (
    SourceNotFound,
    scan_sources,
    set_source_enabled,
    source_file_text,
    write_source_file,
)
from config.loader import SourceConfigError, load_source_file, load_sources
from config.settings import Settings
from indexer.catalogue import Catalogue, SourceHealth
from indexer.resource import RESOURCE_TYPES, utcnow
from search_ui import create_app

from .browser_support import ADMIN_FAST_HASH as FAST_HASH
from .browser_support import ADMIN_PASSWORD as PASSWORD
from .browser_support import ADMIN_USER as USER
from .browser_support import make_admin_app, synced_catalogue
from .conftest import FIXTURE_ALLOWANCE

# FAST_HASH: a cheap hash keeps the many logins of these tests fast; one test checks the real
# default

OSLO = """\
# Oslo kommune — reports on climate and circular economy.
# Hand-written notes that must survive every edit made by the admin.
id: oslo-reports
type: feed
name: Oslo kommune — rapporter
country: "NO"
language: "no"   # Norwegian: quoted, or YAML reads it as false
url: https://www.oslo.kommune.no/rapporter/feed.xml
schedule:
  cron: "5 5 * * *"
"""

PORTO = """\
# Porto: the municipality's circular-economy section, crawled.
id: porto-circular
type: crawl
name: Porto — Economia circular
enabled: true  # switched off once in 2025 during the site migration
country: PT
start_urls:
  - https://ambiente.cm-porto.pt/economia-circular/
items:
  - '^https://ambiente\\.cm-porto\\.pt/economia-circular/[^?#]+$'
"""

ADMIN_ENV = ("CCP_ADMIN_USER", "CCP_ADMIN_PASSWORD", "CCP_ADMIN_PASSWORD_HASH", "CCP_SECRET_KEY",
             "CCP_ADMIN_COOKIE_SECURE", "CCP_ADMIN_LOGIN_BACKOFF", "CCP_ADMIN_LOCK_SECONDS",
             "CCP_ADMIN_ACCOUNT_MAX_WAIT", "CCP_ADMIN_SESSION_IDLE_MINUTES")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ADMIN_ENV:
        monkeypatch.delenv(name, raising=False)


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture()
def sources_dir(tmp_path) -> Path:
    d = tmp_path / "sources"
    d.mkdir()
    (d / "oslo-reports.yaml").write_text(OSLO, encoding="utf-8")
    (d / "porto-circular.yaml").write_text(PORTO, encoding="utf-8")
    return d


@pytest.fixture()
def settings(tmp_path, sources_dir) -> Settings:
    return Settings.from_env({}, data_dir=str(tmp_path / "data"), sources=str(sources_dir))


@pytest.fixture()
def catalogue(settings):
    yield from synced_catalogue(settings)


make_app = make_admin_app


@pytest.fixture()
def app(settings, catalogue):
    return make_app(settings, catalogue)


@pytest.fixture()
def client(app):
    return app.test_client()


def english_time(dt) -> str:
    """A time as the English admin writes it (CLDR's medium date, 24-hour clock, UTC)."""
    return f"{dt:%b} {dt.day}, {dt.year}, {dt:%H:%M}"


def english_date(iso: str) -> str:
    from datetime import date

    d = date.fromisoformat(iso[:10])
    return f"{d:%b} {d.day}, {d.year}"


def page(resp):
    return lxml.html.fromstring(resp.get_data(as_text=True))


def text_of(resp) -> str:
    return " ".join(page(resp).text_content().split())


def csrf_from(resp) -> str:
    field = page(resp).cssselect('input[name="csrf_token"]')
    assert field, "the page has no form with a CSRF token"
    return field[0].get("value")


def login(client, user=USER, password=PASSWORD, **extra):
    token = csrf_from(client.get("/admin/login"))
    return client.post("/admin/login", data={"username": user, "password": password,
                                             "csrf_token": token, **extra})


@pytest.fixture()
def admin(client):
    """A client logged in as the admin, and this session's CSRF token."""
    resp = login(client)
    assert resp.status_code == 303 and resp.location == "/admin/"
    token = csrf_from(client.get("/admin/"))
    return client, token


def admin_routes(app) -> list[tuple[str, str]]:
    """(method, URL) of every admin route, with real values for its parameters."""
    values = {"source_id": "oslo-reports", "task_id": "1", "resource_id": "no-such-resource"}
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", values[arg]).replace(f"<int:{arg}>", values[arg])
        for method in sorted(rule.methods & {"GET", "POST"}):
            out.append((method, url))
    return out


def record_run(cat: Catalogue, source_id: str, *, status="succeeded", counts=None, errors=(),
               message=None, trigger="schedule") -> int:
    run = cat.start_run([source_id], trigger=trigger)
    cat.start_source(run, source_id)
    for counter, n in (counts or {}).items():
        cat.count(run, source_id, counter, n)
    for url, kind, msg, fatal in errors:
        cat.record_error(run, source_id, url, kind, msg, fatal=fatal,
                         counter=None if fatal else "failed")
    cat.finish_source(run, source_id, status, message, requests=12)
    cat.finish_run(run, "finished")
    return run


# -- access --------------------------------------------------------------------------------------
def test_admin_is_closed_without_credentials(settings, catalogue, sources_dir):
    app = make_app(settings, catalogue, CCP_ADMIN_USER=None, CCP_ADMIN_PASSWORD_HASH=None)
    client = app.test_client()
    before = (sources_dir / "oslo-reports.yaml").read_text()
    for method, url in admin_routes(app):
        resp = client.open(url, method=method, data={"enabled": "0", "url": "https://a.eu/"})
        assert resp.status_code == 403, (method, url)
        assert "CCP_ADMIN_USER" in text_of(resp) and "CCP_ADMIN_PASSWORD" in text_of(resp)
    assert catalogue.tasks() == []
    assert (sources_dir / "oslo-reports.yaml").read_text() == before
    # nothing about sessions was set up: no key file was written for a closed admin
    assert not (settings.data_dir / "secret_key").exists()


def test_a_user_without_a_password_keeps_the_admin_closed(settings, catalogue):
    app = make_app(settings, catalogue, CCP_ADMIN_PASSWORD_HASH=None)
    resp = app.test_client().get("/admin/login")
    assert resp.status_code == 403 and "No admin password is set" in text_of(resp)
    app = make_app(settings, catalogue, CCP_ADMIN_PASSWORD_HASH="not-a-hash")
    resp = app.test_client().get("/admin/")
    assert resp.status_code == 403 and "not a werkzeug password hash" in text_of(resp)


def test_every_admin_route_refuses_anonymous_users(app, client, catalogue, sources_dir):
    routes = admin_routes(app)
    assert len(routes) >= 10  # the checks below must cover real routes
    before = (sources_dir / "oslo-reports.yaml").read_text()
    token = csrf_from(client.get("/admin/login"))  # even a valid CSRF token does not help
    for method, url in routes:
        if url == "/admin/login":
            continue
        if method == "GET":
            resp = client.get(url)
            assert resp.status_code == 302, url
            assert resp.location.startswith("/admin/login?next="), url
        else:
            resp = client.post(url, data={"csrf_token": token, "enabled": "0",
                                          "url": "https://example.eu/", "candidate": "0",
                                          "id": "x-source", "name": "X"})
            assert resp.status_code == 403, url
    assert catalogue.tasks() == []
    assert (sources_dir / "oslo-reports.yaml").read_text() == before
    assert set((sources_dir).iterdir()) == {sources_dir / "oslo-reports.yaml",
                                            sources_dir / "porto-circular.yaml"}


def test_anonymous_visit_is_sent_to_the_login_page_and_back(client):
    resp = client.get("/admin/sources/oslo-reports?run=3")
    assert resp.status_code == 302
    follow = client.get(resp.location)
    assert follow.status_code == 200
    doc = page(follow)
    assert doc.cssselect('input[name="next"]')[0].get("value") == "/admin/sources/oslo-reports?run=3"
    resp = login(client, next="/admin/sources/oslo-reports")
    assert resp.status_code == 303 and resp.location == "/admin/sources/oslo-reports"


def test_login_never_redirects_to_another_site(client):
    resp = login(client, next="https://evil.example/admin/")
    assert resp.status_code == 303 and resp.location == "/admin/"
    client.post("/admin/logout", data={"csrf_token": csrf_from(client.get("/admin/"))})
    resp = login(client, next="//evil.example/admin/")
    assert resp.location == "/admin/"


def test_wrong_password_or_user_is_refused(client):
    for user, password in ((USER, "wrong"), ("root", PASSWORD), (USER, ""), ("", "")):
        resp = login(client, user, password)
        assert resp.status_code == 401, (user, password)
        assert "not right" in text_of(resp)
        assert client.get("/admin/").status_code == 302  # still not logged in


def test_login_requires_a_csrf_token(client):
    client.get("/admin/login")  # the session has a token; the form below does not send it
    resp = client.post("/admin/login", data={"username": USER, "password": PASSWORD})
    assert resp.status_code == 400
    resp = client.post("/admin/login", data={"username": USER, "password": PASSWORD,
                                              "csrf_token": "forged"})
    assert resp.status_code == 400
    assert client.get("/admin/").status_code == 302
    # a fresh client without any session cannot log in either
    resp = client.application.test_client().post(
        "/admin/login", data={"username": USER, "password": PASSWORD, "csrf_token": "x"})
    assert resp.status_code == 400


def test_posts_without_the_right_csrf_token_are_rejected_when_logged_in(admin, catalogue,
                                                                        sources_dir):
    client, token = admin
    before = (sources_dir / "oslo-reports.yaml").read_text()
    posts = [("/admin/sources/oslo-reports/run", {}),
             ("/admin/sources/oslo-reports/enabled", {"enabled": "0"}),
             ("/admin/sources/new", {"url": "https://www.example.eu/"}),
             ("/admin/logout", {})]
    for url, data in posts:
        for bad in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "xx"},
                    {"csrf_token": "é" * 10}):
            resp = client.post(url, data={**data, **bad})
            assert resp.status_code == 400, (url, bad)
            assert "security token" in text_of(resp)
    assert catalogue.tasks() == []
    assert (sources_dir / "oslo-reports.yaml").read_text() == before
    assert client.get("/admin/").status_code == 200  # the failed logout did not log out


def test_a_token_from_another_session_is_not_accepted(app, admin, catalogue):
    client, token = admin
    other = app.test_client()
    login(other)
    other_token = csrf_from(other.get("/admin/"))
    assert other_token != token
    resp = client.post("/admin/sources/oslo-reports/run", data={"csrf_token": other_token})
    assert resp.status_code == 400
    assert catalogue.tasks() == []


def test_logout_ends_the_session(admin):
    client, token = admin
    resp = client.post("/admin/logout", data={"csrf_token": token})
    assert resp.status_code == 303 and resp.location == "/admin/login"
    assert "You are logged out" in text_of(client.get("/admin/login"))
    assert client.get("/admin/").status_code == 302


def test_changing_the_password_logs_every_session_out(settings, catalogue):
    app = make_app(settings, catalogue, CCP_SECRET_KEY="k" * 40)
    client = app.test_client()
    login(client)
    assert client.get("/admin/").status_code == 200
    new_app = make_app(settings, catalogue, CCP_SECRET_KEY="k" * 40,
                       CCP_ADMIN_PASSWORD_HASH=generate_password_hash("new one",
                                                                      method="pbkdf2:sha256:1000"))
    cookie = client.get_cookie("ccp_admin_session")
    other = new_app.test_client()
    other.set_cookie("ccp_admin_session", cookie.value)
    assert other.get("/admin/").status_code == 302


def test_the_public_search_needs_no_login(tmp_path, settings, catalogue):
    from indexer.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(tmp_path / "index")
    backend.rebuild([])  # an index built from an empty catalogue: an empty portal (200)
    app = create_app({"TESTING": True, "CCP_ADMIN_USER": USER,
                      "CCP_ADMIN_PASSWORD_HASH": FAST_HASH},
                     settings=settings, catalogue=catalogue, backend=backend)
    resp = app.test_client().get("/search?q=circular")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers  # no session is started for the public pages
    backend.close()


# -- credentials and sessions -------------------------------------------------------------------
def test_the_password_is_only_kept_as_a_hash(settings, catalogue, monkeypatch):
    monkeypatch.setenv("CCP_ADMIN_USER", USER)
    monkeypatch.setenv("CCP_ADMIN_PASSWORD", PASSWORD)
    app = create_app({"TESTING": True}, settings=settings,
                     catalogue=catalogue)
    assert app.config["CCP_ADMIN_PASSWORD"] is None
    stored = app.config["CCP_ADMIN_PASSWORD_HASH"]
    assert stored.startswith("scrypt:") and check_password_hash(stored, PASSWORD)
    assert not any(PASSWORD in repr(v) for v in app.config.values())
    assert not any(PASSWORD in repr(v) for v in app.extensions["ccp_admin"].__dict__.values())
    client = app.test_client()
    assert login(client).status_code == 303
    assert client.get("/admin/").status_code == 200


def test_session_key_is_made_once_private_and_shared(settings, catalogue):
    app1 = make_app(settings, catalogue)
    key_file = settings.data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    app2 = make_app(settings, catalogue)  # another worker or a restart
    assert app1.secret_key == app2.secret_key == key_file.read_text().strip()
    c1 = app1.test_client()
    login(c1)
    c2 = app2.test_client()
    c2.set_cookie("ccp_admin_session", c1.get_cookie("ccp_admin_session").value)
    assert c2.get("/admin/").status_code == 200


def test_a_configured_secret_key_is_used_and_no_file_written(settings, catalogue):
    app = make_app(settings, catalogue, CCP_SECRET_KEY="s" * 48)
    assert app.secret_key == "s" * 48
    assert not (settings.data_dir / "secret_key").exists()


def test_session_cookie_is_httponly_and_samesite_lax(client):
    resp = client.get("/admin/login")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert resp.headers["Cache-Control"] == "no-store"


# -- the sources table --------------------------------------------------------------------------
def test_sources_table_shows_health_and_last_runs(admin, catalogue):
    client, _ = admin
    now = utcnow()
    ok_run = record_run(catalogue, "oslo-reports", counts={"added": 4, "unchanged": 9})
    catalogue.save_source_health(SourceHealth(
        "oslo-reports", state="healthy", last_run_id=ok_run, last_run_at=now,
        last_success_at=now))
    bad_run = record_run(catalogue, "porto-circular", status="failed",
                         message="the start page answered HTTP 503",
                         errors=[("https://ambiente.cm-porto.pt/economia-circular/", "http",
                                  "HTTP 503 Service Unavailable", True)])
    catalogue.save_source_health(SourceHealth(
        "porto-circular", state="failing", last_run_id=bad_run, last_run_at=now,
        last_error_at=now, last_error="the start page answered HTTP 503",
        consecutive_failures=3, retry_not_before=now + timedelta(hours=2)))
    catalogue.set_next_runs({"oslo-reports": now + timedelta(hours=5)})

    doc = page(client.get("/admin/"))
    rows = {tr.get("data-source-id"): tr for tr in doc.cssselect("table.sources-table tbody tr")}
    assert set(rows) == {"oslo-reports", "porto-circular"}

    oslo = rows["oslo-reports"]
    assert oslo.cssselect("[data-health]")[0].get("data-health") == "healthy"
    assert "Oslo kommune — rapporter" in oslo.text_content()
    last = " ".join(oslo.cssselect(".last-run")[0].text_content().split())
    assert "Succeeded" in last and "4 added · 9 unchanged" in last
    assert oslo.cssselect(".last-run a")[0].get("href") == f"/admin/sources/oslo-reports?run={ok_run}"
    assert english_time(now + timedelta(hours=5)) in oslo.cssselect(".next-run")[0].text_content()
    assert oslo.cssselect(".failures")[0].text_content().strip() == "0"

    porto = rows["porto-circular"]
    assert porto.cssselect("[data-health]")[0].get("data-health") == "failing"
    backoff = porto.cssselect(".backoff")[0].text_content()
    assert "backing off until " + english_time(now + timedelta(hours=2)) in backoff
    assert porto.cssselect(".failures")[0].text_content().strip() == "3"
    assert "HTTP 503" in porto.cssselect(".last-error")[0].text_content()
    assert "Failed" in porto.cssselect(".last-run")[0].text_content()



def test_a_source_being_harvested_shows_as_running(admin, catalogue, settings):
    client, token = admin
    catalogue.acquire_source_lock("oslo-reports", "host:1:t", stale_after=300)
    doc = page(client.get("/admin/"))
    row = doc.cssselect('tr[data-source-id="oslo-reports"]')[0]
    assert row.cssselect("[data-health]")[0].get("data-health") == "running"
    # "run now" would only be skipped by the lock: it says so instead of queueing
    resp = client.post("/admin/sources/oslo-reports/run", data={"csrf_token": token})
    assert "being harvested right now" in text_of(client.get(resp.location))
    assert catalogue.tasks() == []
    # a lock whose holder stopped sending heartbeats is a dead process, not a running harvest
    settings.lock_stale_seconds = 0
    row = page(client.get("/admin/")).cssselect('tr[data-source-id="oslo-reports"]')[0]
    assert row.cssselect("[data-health]")[0].get("data-health") == "new"


def test_sources_table_reports_invalid_files_and_sources_without_a_file(admin, catalogue,
                                                                        sources_dir):
    client, _ = admin
    (sources_dir / "broken.yaml").write_text("id: broken\ntype: feed\nname: Broken\n")
    catalogue.sync_sources(load_sources(sources_dir / "oslo-reports.yaml"))
    from config.models import FeedSource
    catalogue.sync_sources([FeedSource(id="old-source", name="Old", type="feed",
                                       url="https://old.example/feed")])
    doc = page(client.get("/admin/"))
    problems = doc.cssselect("#source-problems")[0].text_content()
    assert "broken.yaml" in problems and "url" in problems
    row = doc.cssselect('tr[data-source-id="old-source"]')[0]
    assert row.cssselect(".enabled-cell")[0].get("data-enabled") == "none"
    assert "no source file" in row.text_content()


# -- a source's page -----------------------------------------------------------------------------
def test_source_page_groups_the_errors_of_a_run_by_cause(admin, catalogue):
    client, _ = admin
    first = record_run(catalogue, "porto-circular", counts={"added": 2},
                       errors=[("https://ambiente.cm-porto.pt/a", "parse", "no main text", False)])
    base = "https://ambiente.cm-porto.pt/economia-circular/"
    latest = record_run(catalogue, "porto-circular", status="failed", counts={"updated": 1},
                        message="robots.txt forbids the start page", errors=[
        (base + "p1", "http", "HTTP 404 Not Found", False),
        (base + "robots", "robots", "robots.txt forbids it", True),
        (base + "p2", "http", "HTTP 404 Not Found", False),
        (base + "doc.pdf", "pdf", "the PDF has no text layer", False),
        (base + "p3", "http", "HTTP 404 Not Found", False),
    ])
    doc = page(client.get("/admin/sources/porto-circular"))
    # run history: both runs, the latest selected
    run_rows = doc.cssselect("table.runs-table tbody tr")
    assert [r.get("data-run-id") for r in run_rows] == [str(latest), str(first)]
    assert run_rows[0].get("aria-current") == "true"
    groups = doc.cssselect(".error-group")
    summary = [(g.get("data-kind"), g.cssselect(".error-message")[0].text_content(),
                [c.text_content() for c in g.cssselect(".error-urls code")]) for g in groups]
    assert summary == [
        ("robots", "robots.txt forbids it", [base + "robots"]),  # what stopped the source first
        ("http", "HTTP 404 Not Found", [base + "p1", base + "p2", base + "p3"]),
        ("pdf", "the PDF has no text layer", [base + "doc.pdf"]),
    ]
    assert "3 times" in groups[1].text_content()
    assert "robots.txt forbids the start page" in doc.cssselect("#errors")[0].text_content()

    # an older run, chosen by its number
    doc = page(client.get(f"/admin/sources/porto-circular?run={first}"))
    assert [g.get("data-kind") for g in doc.cssselect(".error-group")] == ["parse"]
    assert doc.cssselect(f'tr[data-run-id="{first}"]')[0].get("aria-current") == "true"
    # runs that do not exist, or are not of this source, are not found
    other = record_run(catalogue, "oslo-reports")
    for bad in ("99999", "abc", str(other)):
        assert client.get(f"/admin/sources/porto-circular?run={bad}").status_code == 404


def test_source_page_shows_the_source_file_and_health(admin, catalogue):
    client, _ = admin
    resp = client.get("/admin/sources/oslo-reports")
    assert resp.status_code == 200
    doc = page(resp)
    yaml_shown = doc.cssselect("pre.yaml")[0].text_content()
    assert yaml_shown == OSLO  # the file as written, comments included
    assert doc.cssselect("h1")[0].text_content() == "Oslo kommune — rapporter"
    assert "has not been harvested yet" in doc.text_content()
    assert client.get("/admin/sources/no-such-source").status_code == 404


def test_run_now_queues_a_harvest_task(admin, catalogue):
    client, token = admin
    resp = client.post("/admin/sources/oslo-reports/run", data={"csrf_token": token})
    assert resp.status_code == 303 and resp.location == "/admin/sources/oslo-reports"
    (task,) = catalogue.tasks()
    assert task["kind"] == "harvest" and task["args"] == {"source_id": "oslo-reports"}
    assert task["status"] == "pending" and task["requested_by"] == USER
    doc = page(client.get(resp.location))
    flash = doc.cssselect(".flash-success")[0].text_content()
    assert "queued — the scheduler will start it within seconds" in flash
    queued = doc.cssselect("#active-tasks")[0].text_content()
    assert f"Task {task['id']}" in queued and "Waiting for the scheduler" in queued
    assert not doc.cssselect("#scheduler-warning")  # it has not been waiting long
    # a second click does not queue a second harvest
    client.post("/admin/sources/oslo-reports/run", data={"csrf_token": token})
    assert len(catalogue.tasks()) == 1
    assert "already queued" in text_of(client.get("/admin/sources/oslo-reports"))
    # the table says so too
    row = page(client.get("/admin/")).cssselect('tr[data-source-id="oslo-reports"]')[0]
    assert "harvest queued" in row.text_content()


def test_run_now_of_an_unknown_source_is_not_found(admin, catalogue):
    client, token = admin
    resp = client.post("/admin/sources/nope/run", data={"csrf_token": token})
    assert resp.status_code == 404
    assert catalogue.tasks() == []


def test_a_task_nobody_picks_up_says_to_start_the_scheduler(settings, catalogue):
    app = make_app(settings, catalogue, CCP_ADMIN_SCHEDULER_WAIT=0)
    client = app.test_client()
    login(client)
    token = csrf_from(client.get("/admin/"))
    client.post("/admin/sources/oslo-reports/run", data={"csrf_token": token})
    task_id = catalogue.tasks()[0]["id"]
    for url in (f"/admin/tasks/{task_id}", "/admin/sources/oslo-reports", "/admin/",
                "/admin/tasks"):
        warning = page(client.get(url)).cssselect("#scheduler-warning")
        assert warning, url
        assert "ccp schedule" in warning[0].text_content()
        assert "ccp up" in warning[0].text_content()
    # once the scheduler has claimed it, the warning goes
    catalogue.claim_tasks()
    assert not page(client.get(f"/admin/tasks/{task_id}")).cssselect("#scheduler-warning")


def test_harvest_task_page_links_the_run_when_done(admin, catalogue):
    client, _ = admin
    tid = catalogue.create_task("harvest", {"source_id": "oslo-reports"}, requested_by=USER)
    doc = page(client.get(f"/admin/tasks/{tid}"))
    assert doc.cssselect('meta[http-equiv="refresh"]')[0].get("content") == "2"
    run = record_run(catalogue, "oslo-reports", trigger="admin")
    catalogue.claim_tasks()
    catalogue.finish_task(tid, "done", {"run_id": run})
    doc = page(client.get(f"/admin/tasks/{tid}"))
    assert not doc.cssselect('meta[http-equiv="refresh"]')
    link = doc.cssselect("#outcome-h + p a")[0]
    assert link.get("href") == f"/admin/sources/oslo-reports?run={run}#errors-h"


# -- enable / disable ----------------------------------------------------------------------------
def test_disable_and_enable_edit_only_the_enabled_line(admin, sources_dir):
    client, token = admin
    path = sources_dir / "oslo-reports.yaml"
    resp = client.post("/admin/sources/oslo-reports/enabled",
                       data={"csrf_token": token, "enabled": "0"})
    assert resp.status_code == 303
    text = path.read_text(encoding="utf-8")
    assert text == OSLO.replace("id: oslo-reports\n", "id: oslo-reports\nenabled: false\n")
    src = load_source_file(path)  # the file still validates
    assert src.enabled is False and src.language == "no" and src.country == "NO"
    doc = page(client.get(resp.location))
    assert "now disabled" in doc.cssselect(".flash-success")[0].text_content()
    assert doc.cssselect("#toggle-enabled")[0].text_content() == "Enable"
    assert doc.cssselect("#disabled-note")
    row = page(client.get("/admin/")).cssselect('tr[data-source-id="oslo-reports"]')[0]
    assert row.cssselect(".enabled-cell")[0].get("data-enabled") == "no"

    client.post("/admin/sources/oslo-reports/enabled", data={"csrf_token": token, "enabled": "1"})
    assert load_source_file(path).enabled is True
    assert path.read_text(encoding="utf-8").startswith(OSLO.split("id:")[0])  # comments kept

    # an existing enabled line keeps its trailing comment
    porto = sources_dir / "porto-circular.yaml"
    client.post("/admin/sources/porto-circular/enabled", data={"csrf_token": token, "enabled": "0"})
    assert porto.read_text() == PORTO.replace(
        "enabled: true  # switched", "enabled: false  # switched")


def test_enable_with_a_bad_value_or_unknown_source(admin):
    client, token = admin
    assert client.post("/admin/sources/oslo-reports/enabled",
                       data={"csrf_token": token, "enabled": "maybe"}).status_code == 400
    assert client.post("/admin/sources/nope/enabled",
                       data={"csrf_token": token, "enabled": "0"}).status_code == 404


# -- adding a source ----------------------------------------------------------------------------
def test_add_source_queues_a_discover_task(admin, catalogue):
    client, token = admin
    doc = page(client.get("/admin/sources/new"))
    assert doc.cssselect('label[for="url"]') and doc.cssselect("input#url")
    resp = client.post("/admin/sources/new", data={
        "csrf_token": token, "url": "https://www.bergen.kommune.no/sirkular/", "id": "bergen-sirkular",
        "name": "Bergen — sirkulær økonomi", "country": "no", "language": "nb", "city": "Bergen",
        "publisher": ""})
    assert resp.status_code == 303
    (task,) = catalogue.tasks()
    assert resp.location == f"/admin/tasks/{task['id']}"
    assert task["kind"] == "discover" and task["status"] == "pending"
    assert task["args"] == {"url": "https://www.bergen.kommune.no/sirkular/",
                            "id": "bergen-sirkular", "name": "Bergen — sirkulær økonomi",
                            "city": "Bergen", "country": "NO", "language": "no"}
    doc = page(client.get(resp.location))
    assert doc.cssselect('meta[http-equiv="refresh"]')[0].get("content") == "2"
    assert "Waiting for the scheduler" in doc.cssselect("#task-waiting")[0].text_content()


@pytest.mark.parametrize("form, field", [
    ({"url": ""}, "url"),
    ({"url": "ftp://files.example.eu/"}, "url"),
    ({"url": "https://a.eu/ x"}, "url"),
    ({"url": "https://a.eu/", "id": "Not An Id"}, "id"),
    ({"url": "https://a.eu/", "id": "oslo-reports"}, "id"),  # taken
    ({"url": "https://a.eu/", "country": "XX"}, "country"),
    ({"url": "https://a.eu/", "language": "tlh"}, "language"),
])
def test_add_source_form_explains_what_is_wrong(admin, catalogue, form, field):
    client, token = admin
    resp = client.post("/admin/sources/new", data={"csrf_token": token, **form})
    assert resp.status_code == 400
    doc = page(resp)
    assert doc.cssselect(f"#{field}-error"), field
    assert doc.cssselect(f"#{field}")[0].get("aria-invalid") == "true"
    assert catalogue.tasks() == []


@pytest.fixture(scope="module")
def discovered(web, tmp_path_factory):
    """A real discovery of the fixture web's euhub site (what the scheduler would store)."""
    from harvesters.discover import discover_task

    data = tmp_path_factory.mktemp("discover")
    settings = Settings.from_env({}, data_dir=str(data / "data"), sources=str(data / "sources"),
                                 allowed_private_addresses=FIXTURE_ALLOWANCE)
    settings.download_delay = 0.0
    url = web.url("euhub", "/")
    args = {"url": url, "id": "euhub-news", "name": "Circular Knowledge Hub"}
    return args, discover_task(settings, args)


def test_a_finished_discovery_shows_the_preview_and_writes_the_file(admin, catalogue,
                                                                    sources_dir, discovered):
    client, token = admin
    args, result = discovered
    assert result["candidates"] and result["preview"], result["notes"]
    tid = catalogue.create_task("discover", {**args, "country": "BE", "language": "en"},
                                requested_by=USER)
    catalogue.claim_tasks()
    catalogue.finish_task(tid, "done", result)

    doc = page(client.get(f"/admin/tasks/{tid}"))
    assert not doc.cssselect('meta[http-equiv="refresh"]')
    cands = doc.cssselect("table.candidates-table tbody tr")
    assert len(cands) == len(result["candidates"])
    assert cands[0].cssselect("td")[0].text_content() == result["candidates"][0]["definition"]["type"]
    rows = doc.cssselect("table.preview-table tbody tr")
    assert [r.cssselect("th")[0].text_content().strip() for r in rows] == \
        [p["title"] for p in result["preview"]]
    first = result["preview"][0]
    cells = [c.text_content().strip() for c in rows[0].cssselect("td")]
    assert cells[:4] == [english_date(first["date"]) if first["date"] else "—",
                         first["language"] or "—", RESOURCE_TYPES[first["type"]],
                         f"{first['text_length']:,}"]
    shown = doc.cssselect("#proposed-yaml")[0].text_content()
    proposed = yaml.safe_load(shown)
    assert proposed["id"] == "euhub-news" and proposed["country"] == "BE"
    assert proposed["type"] == result["definition"]["type"]

    resp = client.post(f"/admin/tasks/{tid}/write",
                       data={"csrf_token": token, "id": "euhub-news",
                             "name": "Circular Knowledge Hub"})
    assert resp.status_code == 303 and resp.location == "/admin/sources/euhub-news"
    written = sources_dir / "euhub-news.yaml"
    assert written.read_text(encoding="utf-8") == shown  # exactly what the page showed
    src = load_source_file(written)
    assert (src.id, src.name, src.country, src.language) == \
        ("euhub-news", "Circular Knowledge Hub", "BE", "en")
    assert written.read_text().startswith("# Circular Knowledge Hub — added in the admin by ops")
    assert len(load_sources(sources_dir)) == 3  # the directory as a whole still loads
    doc = page(client.get(resp.location))
    assert "euhub-news.yaml written" in doc.cssselect(".flash-success")[0].text_content()

    # writing again never overwrites the file
    before = written.read_bytes()
    resp = client.post(f"/admin/tasks/{tid}/write",
                       data={"csrf_token": token, "id": "euhub-news", "name": "Other name"})
    assert resp.status_code == 409
    assert "not overwritten" in page(resp).cssselect("#write-problems")[0].text_content()
    assert written.read_bytes() == before
    # nor takes the id of another source
    resp = client.post(f"/admin/tasks/{tid}/write",
                       data={"csrf_token": token, "id": "oslo-reports", "name": "X"})
    assert resp.status_code == 409
    assert (sources_dir / "oslo-reports.yaml").read_text() == OSLO
    # and the task page now warns that the id is taken
    assert page(client.get(f"/admin/tasks/{tid}")).cssselect("#id-taken")


def test_writing_an_invalid_definition_explains_and_writes_nothing(admin, catalogue,
                                                                   sources_dir):
    client, token = admin
    result = {"url": "https://www.example.eu/", "notes": [], "preview": [], "preview_report": {},
              "candidates": [{"definition": {"type": "feed", "url": "https://www.example.eu/feed"},
                              "how": "the URL is a feed", "items": 3}],
              "definition": {"id": "example-feed", "name": "example-feed", "type": "feed",
                             "url": "https://www.example.eu/feed"}}
    tid = catalogue.create_task("discover", {"url": "https://www.example.eu/"})
    catalogue.finish_task(tid, "done", result)
    doc = page(client.get(f"/admin/tasks/{tid}"))
    assert doc.cssselect("#empty-preview")  # no documents found: said plainly
    resp = client.post(f"/admin/tasks/{tid}/write",
                       data={"csrf_token": token, "id": "Bad Id!", "name": "Example"})
    assert resp.status_code == 400
    assert "id" in page(resp).cssselect("#write-problems")[0].text_content()
    assert sorted(p.name for p in sources_dir.iterdir()) == ["oslo-reports.yaml",
                                                             "porto-circular.yaml"]


def test_another_candidate_can_be_previewed(admin, catalogue):
    client, token = admin
    result = {"url": "https://www.example.eu/", "notes": [], "preview": [], "preview_report": {},
              "candidates": [
                  {"definition": {"type": "feed", "url": "https://www.example.eu/feed"},
                   "how": "the URL is a feed", "items": 3},
                  {"definition": {"type": "crawl", "start_urls": ["https://www.example.eu/"]},
                   "how": "a crawl of this section", "items": 0}],
              "definition": {"id": "example-feed", "name": "Example", "type": "feed",
                             "url": "https://www.example.eu/feed"}}
    tid = catalogue.create_task("discover", {"url": "https://www.example.eu/", "name": "Example"})
    catalogue.finish_task(tid, "done", result)
    resp = client.post(f"/admin/tasks/{tid}/candidate", data={"csrf_token": token, "candidate": "1"})
    assert resp.status_code == 303
    newest = catalogue.tasks()[0]
    assert resp.location == f"/admin/tasks/{newest['id']}"
    assert newest["kind"] == "discover"
    assert newest["args"] == {"url": "https://www.example.eu/", "name": "Example", "candidate": 1}
    assert client.post(f"/admin/tasks/{tid}/candidate",
                       data={"csrf_token": token, "candidate": "7"}).status_code == 400


def test_a_failed_discovery_is_explained(admin, catalogue):
    client, _ = admin
    tid = catalogue.create_task("discover", {"url": "https://down.example.eu/"})
    catalogue.finish_task(tid, "failed", {"error": "TimeoutError: the site did not answer"})
    doc = page(client.get(f"/admin/tasks/{tid}"))
    failed = doc.cssselect("#task-failed")[0]
    assert "the site did not answer" in failed.text_content()
    assert failed.cssselect("a")[0].get("href") == "/admin/sources/new?url=https://down.example.eu/"
    assert not doc.cssselect('meta[http-equiv="refresh"]')
    # discovery that found nothing
    tid = catalogue.create_task("discover", {"url": "https://empty.example.eu/"})
    catalogue.finish_task(tid, "done", {"url": "https://empty.example.eu/", "candidates": [],
                                        "notes": ["the page (https://empty.example.eu/): HTTP 404"]})
    doc = page(client.get(f"/admin/tasks/{tid}"))
    assert doc.cssselect("#nothing-found")
    assert "HTTP 404" in doc.cssselect(".notes")[0].text_content()
    assert client.get("/admin/tasks/424242").status_code == 404


# -- config.editing ------------------------------------------------------------------------------
def test_write_source_file_quotes_norwegian_and_validates(tmp_path):
    d = tmp_path / "src"
    path = write_source_file(d, {"id": "oslo-feed", "type": "feed", "name": "Oslo",
                                 "url": "https://www.oslo.kommune.no/feed", "country": "no",
                                 "language": "nb", "schedule": {"cron": "0 5 * * *"}},
                             comment="Oslo\nsecond line")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# Oslo second line"  # one comment line
    assert "language: 'no'" in text and "country: 'NO'" in text
    assert [line.split(":")[0] for line in text.splitlines()[1:4]] == ["id", "type", "name"]
    src = load_source_file(path)
    assert (src.language, src.country, src.schedule.cron) == ("no", "NO", "0 5 * * *")
    assert source_file_text({"id": "oslo-feed", "type": "feed", "name": "Oslo",
                             "url": "https://www.oslo.kommune.no/feed"}, comment="x") \
        .startswith("# x\nid: oslo-feed\n")


def test_write_source_file_refuses_overwrites_duplicates_and_invalid_definitions(tmp_path,
                                                                                 sources_dir):
    feed = {"id": "oslo-reports", "type": "feed", "name": "X", "url": "https://a.example/feed"}
    with pytest.raises(FileExistsError):
        write_source_file(sources_dir, feed)
    assert (sources_dir / "oslo-reports.yaml").read_text() == OSLO
    (sources_dir / "hand-named.yaml").write_text(
        "id: hand-made\ntype: feed\nname: H\nurl: https://h.example/feed\n")
    with pytest.raises(FileExistsError, match="hand-named.yaml"):
        write_source_file(sources_dir, {**feed, "id": "hand-made"})
    assert not (sources_dir / "hand-made.yaml").exists()
    with pytest.raises(SourceConfigError) as err:
        write_source_file(sources_dir, {**feed, "id": "new-one", "url": "not a url"})
    assert [p.key for p in err.value.problems] == ["url"]
    with pytest.raises(ValueError, match="one file"):
        write_source_file(sources_dir / "oslo-reports.yaml", {**feed, "id": "new-one"})
    assert not [p for p in sources_dir.iterdir() if p.name.startswith(".")]  # no leftovers


def test_set_source_enabled_keeps_everything_else(sources_dir):
    path = sources_dir / "oslo-reports.yaml"
    assert set_source_enabled(sources_dir, "oslo-reports", True) == path
    assert path.read_text() == OSLO  # already enabled: untouched
    set_source_enabled(sources_dir, "oslo-reports", False)
    set_source_enabled(sources_dir, "oslo-reports", True)
    assert path.read_text() == OSLO.replace("id: oslo-reports\n", "id: oslo-reports\nenabled: true\n")
    # CRLF files stay CRLF; the file found by its id, whatever its name
    crlf = sources_dir / "some-name.yml"
    crlf.write_bytes(b"# Windows\r\nid: crlf-src\r\ntype: feed\r\nname: C\r\n"
                     b"url: https://c.example/feed\r\nenabled: yes\r\n")
    os.chmod(crlf, 0o640)
    set_source_enabled(sources_dir, "crlf-src", False)
    assert crlf.read_bytes() == (b"# Windows\r\nid: crlf-src\r\ntype: feed\r\nname: C\r\n"
                                 b"url: https://c.example/feed\r\nenabled: false\r\n")
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o640
    with pytest.raises(SourceNotFound):
        set_source_enabled(sources_dir, "nope", False)


def test_set_source_enabled_refuses_edits_it_cannot_make_safely(sources_dir):
    flow = sources_dir / "flow.yaml"
    original = "{id: flow-src, type: feed, name: F, url: 'https://f.example/feed'}\n"
    flow.write_text(original)
    with pytest.raises(ValueError, match="by hand"):
        set_source_enabled(sources_dir, "flow-src", False)
    assert flow.read_text() == original
    # an invalid file is not "fixed" by the edit either
    bad = sources_dir / "bad.yaml"
    bad.write_text("id: bad-src\ntype: feed\nname: B\n")
    with pytest.raises(SourceConfigError):
        set_source_enabled(sources_dir, "bad-src", False)
    assert bad.read_text() == "id: bad-src\ntype: feed\nname: B\n"


def test_scan_sources_reports_problems_without_hiding_valid_sources(sources_dir):
    (sources_dir / "dup.yaml").write_text(OSLO)
    (sources_dir / "junk.yaml").write_text("id: [unclosed\n")
    scan = scan_sources(sources_dir)
    assert set(scan.sources) == {"oslo-reports", "porto-circular"}
    assert scan.file_of("oslo-reports") == sources_dir / "dup.yaml"  # the first file wins
    assert sorted(Path(p.file).name for p in scan.problems) == ["junk.yaml", "oslo-reports.yaml"]


def test_set_source_enabled_finds_a_source_whose_id_yaml_1_1_reads_as_a_boolean(sources_dir):
    path = sources_dir / "on.yaml"
    path.write_text("id: on\ntype: feed\nname: A source called on\n"
                    "url: https://on.example/feed\n")
    assert set_source_enabled(sources_dir, "on", False) == path
    assert "\nenabled: false\n" in path.read_text()
    assert set_source_enabled(sources_dir, "on", False) == path  # already disabled: found again
