"""The search UI in a real browser (Debian's chromium through Playwright), served by waitress
over real HTTP, on a real catalogue and embedded index."""

from __future__ import annotations

import re

import pytest

from search_ui import create_app
from tests.browser_support import build_portal, require_chromium, serve_app

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/ccp-search.png"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    require_chromium()
    p = build_portal(tmp_path_factory.mktemp("browser-portal"))
    yield p
    p.close()


@pytest.fixture(scope="module")
def base_url(portal):
    app = create_app(settings=portal.settings, catalogue=portal.catalogue, backend=portal.backend)
    with serve_app(app) as url:
        yield url


def result_titles(pg) -> list[str]:
    return [t.strip() for t in pg.locator("ol.results h2.result-title").all_inner_texts()]


def test_type_a_query_and_see_results(page, base_url):
    page.goto(f"{base_url}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Circular City Portal" in page.title()
    page.get_by_label(re.compile("Search circular-economy resources")).fill("Kreislaufwirtschaft")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Kreislaufwirtschaft$"))
    assert sorted(result_titles(page)) == ["Kreislaufwirtschaft in der Bauwirtschaft", "Zero-Waste-Strategie Berlin"]
    assert page.locator("#result-summary").inner_text().startswith("Showing 1–2 of 2 resources")
    assert page.locator("ol.results mark").count() >= 2


def test_facet_click_filters_and_shows_a_chip(page, base_url, portal):
    page.goto(f"{base_url}/search?q=circular")
    before = page.locator("ol.results li.result").count()
    page.locator('a.facet-link[data-facet="language"][data-value="en"]').click()
    page.wait_for_url(re.compile(r"language=en"))
    english = {r.title for r in portal.live if r.language == "en"}
    titles = result_titles(page)
    assert titles and set(titles) <= english and len(titles) < before
    chip = page.locator("li.chip")
    assert chip.count() == 1 and "Language: English" in chip.inner_text()
    assert page.locator('a.facet-link[data-value="en"]').get_attribute("data-selected") == "true"
    # Removing the chip brings the unfiltered results back.
    page.get_by_role("link", name="Remove filter Language: English").click()
    page.wait_for_url(re.compile(r"/search\?q=circular$"))
    assert page.locator("ol.results li.result").count() == before
    assert page.locator("li.chip").count() == 0


def test_sort_change_submits_itself_with_javascript(page, base_url):
    page.goto(f"{base_url}/search?q=circular+economy")
    assert not page.locator("button.sort-apply").is_visible()  # JS hides the Apply button
    page.locator("select#sort").select_option("date")
    page.wait_for_url(re.compile(r"sort=date"))
    dates = page.locator("ol.results time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates == sorted(dates, reverse=True)


def test_everything_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(f"{base_url}/search?q=circular+economy")
        pg.locator('a.facet-link[data-facet="type"][data-value="report"]').click()
        pg.wait_for_url(re.compile(r"type=report"))
        assert pg.locator("li.chip").count() == 1
        assert pg.locator("button.sort-apply").is_visible()
        pg.locator("select#sort").select_option("date")
        pg.locator("button.sort-apply").click()
        pg.wait_for_url(re.compile(r"sort=date"))
        assert "type=report" in pg.url and pg.locator("li.chip").count() == 1
    finally:
        context.close()


def test_resource_page_shows_every_instance(page, base_url):
    page.goto(f"{base_url}/search?q=Amsterdam+strategie")
    page.locator("ol.results li.result").first.get_by_role("link", name=re.compile("^Details")).click()
    page.wait_for_url(re.compile(r"/resource/[0-9a-f]+$"))
    assert page.locator("h1").inner_text() == "Amsterdam Circulair 2020-2025 Strategie"
    rows = page.locator("table.instances tbody tr")
    assert rows.count() == 3
    assert rows.locator("th").all_inner_texts() == [
        "Gemeente Amsterdam", "URBACT", "European Circular Economy Stakeholder Platform"]
    assert [s.strip() for s in rows.locator(".status").all_inner_texts()] == ["Live", "Live", "Gone"]


def test_keyboard_reaches_search_box_and_facets(page, base_url):
    page.goto(f"{base_url}/search?q=circular")
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id || e.className || e.tagName; }"))
        if reached[-1] == "facet-link":
            break
    assert reached[0] == "skip-link"
    assert "q" in reached
    assert reached[-1] == "facet-link", reached
    assert reached.index("q") < reached.index("facet-link")
    # The focused facet is highlighted (yellow focus style; reached after a short transition).
    page.wait_for_function(
        "() => getComputedStyle(document.activeElement).backgroundColor === 'rgb(255, 221, 0)'")
    # "/" jumps to the search box from anywhere on the page.
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "q"


def test_screenshot_of_the_search_page(page, base_url):
    page.goto(f"{base_url}/search?q=circular+economy&language=en&language=fr")
    page.screenshot(path=SCREENSHOT, full_page=True)
    # Narrow screens: the results come before the filters.
    page.set_viewport_size({"width": 390, "height": 844})
    results_top = page.locator("main").bounding_box()["y"]
    facets_top = page.locator("aside").bounding_box()["y"]
    assert results_top < facets_top
