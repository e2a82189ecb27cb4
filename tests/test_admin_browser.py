"""The operators' admin in a real browser (Debian's chromium through Playwright), served by
waitress over real HTTP, on a real catalogue and real source files."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from config import load_sources
from config.settings import Settings
from indexer.catalogue import Catalogue, SourceHealth
from indexer.resource import utcnow
from search_ui import create_app
from tests.browser_support import require_chromium, serve_app

pytestmark = pytest.mark.browser

USER, PASSWORD = "ops", "a long operator password"
SCREENSHOT = "/tmp/ccp-admin.png"

SOURCES = {
    "urbact-news": """\
# URBACT — news feed.
id: urbact-news
type: feed
name: URBACT — What's new
country: EU
url: https://urbact.eu/rss.xml
""",
    "porto-circular": """\
id: porto-circular
type: crawl
name: Porto — Economia circular
country: PT
start_urls:
  - https://ambiente.cm-porto.pt/economia-circular/
""",
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    require_chromium()
    tmp = tmp_path_factory.mktemp("admin-browser")
    sources = tmp / "sources"
    sources.mkdir()
    for sid, text in SOURCES.items():
        (sources / f"{sid}.yaml").write_text(text, encoding="utf-8")
    settings = Settings.from_env({}, data_dir=str(tmp / "data"), sources=str(sources))
    cat = Catalogue(settings.catalogue_url)
    cat.create_all()
    cat.sync_sources(load_sources(sources))
    run = cat.start_run(["porto-circular"])
    cat.start_source(run, "porto-circular")
    cat.record_error(run, "porto-circular", "https://ambiente.cm-porto.pt/economia-circular/x",
                     "http", "HTTP 404 Not Found")
    cat.finish_source(run, "porto-circular", "failed", "every page failed")
    cat.finish_run(run, "finished")
    now = utcnow()
    cat.save_source_health(SourceHealth("porto-circular", state="failing", last_run_id=run,
                                        last_run_at=now, last_error="every page failed",
                                        last_error_at=now, consecutive_failures=2,
                                        retry_not_before=now + timedelta(minutes=10)))
    app = create_app({"CCP_ADMIN_USER": USER,
                      "CCP_ADMIN_PASSWORD_HASH": generate_password_hash(PASSWORD)}, settings=settings, catalogue=cat)
    with serve_app(app) as url:
        yield url
    cat.close()


def test_anonymous_visit_lands_on_the_login_page(page, base_url):
    page.goto(f"{base_url}/admin/")
    assert re.search(r"/admin/login\?next=/admin/$", page.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Log in to the admin"
    assert page.get_by_label("User name").is_visible()


def test_log_in_open_a_source_and_run_it_now(page, base_url):
    page.goto(f"{base_url}/admin/sources/porto-circular")
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # back where the visit began, logged in
    page.wait_for_url(re.compile(r"/admin/sources/porto-circular$"))
    page.get_by_role("link", name="Sources", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/$"))

    rows = page.locator("table.sources-table tbody tr")
    assert rows.count() == 2
    porto = page.locator('tr[data-source-id="porto-circular"]')
    assert porto.locator("[data-health]").get_attribute("data-health") == "failing"
    assert "backing off until" in porto.inner_text()
    assert "every page failed" in porto.locator(".last-error").inner_text()
    page.screenshot(path=SCREENSHOT, full_page=True)

    porto.get_by_role("link", name="porto-circular").click()
    page.wait_for_url(re.compile(r"/admin/sources/porto-circular$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Porto — Economia circular"
    assert "HTTP 404 Not Found" in page.locator(".error-group").inner_text()

    page.get_by_role("button", name="Run now").click()
    page.wait_for_url(re.compile(r"/admin/sources/porto-circular$"))
    flash = page.locator(".flash-success")
    assert "queued — the scheduler will start it within seconds" in flash.inner_text()
    assert "Waiting for the scheduler" in page.locator("#active-tasks").inner_text()

    page.get_by_role("button", name=re.compile("^Log out")).click()
    page.wait_for_url(re.compile(r"/admin/login$"))
    page.goto(f"{base_url}/admin/")
    assert "/admin/login" in page.url
