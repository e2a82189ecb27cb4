"""Suggestions under the search box in a real browser (Debian's chromium through Playwright),
served by waitress over real HTTP on a real catalogue and index: typing shows suggestions,
the keyboard moves through them and choosing one searches; without JavaScript the box is a
plain search field that still searches."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_browser import base_url, portal  # noqa: F401 - the sample portal, served

pytestmark = pytest.mark.browser

TITLE = "Amsterdam Circulair 2020-2025 Strategie"




def test_typing_shows_suggestions_and_choosing_one_searches(page, base_url):
    page.goto(f"{base_url}/")
    box = page.get_by_role("combobox", name=re.compile("Search circular-economy resources"))
    box.press_sequentially("amst", delay=30)
    listbox = page.get_by_role("listbox")
    option = listbox.get_by_role("option", name=re.compile(re.escape(TITLE)))
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")
    # the keyboard moves to the suggestion; the box says which one is active
    options = listbox.get_by_role("option")
    titles = [t.split("\n")[0] for t in options.all_inner_texts()]
    for _ in range(titles.index(TITLE) + 1):
        box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    assert TITLE in page.locator(f"#{active}").inner_text()
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    assert parse_qs(urlsplit(page.url).query)["q"] == [TITLE]
    results = page.locator("ol.results h2.result-title").all_inner_texts()
    assert TITLE in [r.strip() for r in results]


def test_a_click_on_a_concept_in_another_language_searches_for_it(page, base_url):
    page.goto(f"{base_url}/")
    box = page.get_by_role("combobox", name=re.compile("Search circular-economy resources"))
    box.press_sequentially("maisto", delay=30)
    option = page.get_by_role("option", name=re.compile("Maisto švaistymas"))
    option.click()
    page.wait_for_url(re.compile(r"/search\?"))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["Maisto švaistymas"]
    # Escape closes the list without searching
    box = page.get_by_role("combobox", name=re.compile("Search circular-economy resources"))
    box.fill("")
    box.press_sequentially("circ", delay=30)
    page.get_by_role("listbox").wait_for()
    box.press("Escape")
    assert page.get_by_role("listbox").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"


def test_without_javascript_the_box_still_searches(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(f"{base_url}/")
        box = pg.locator("#q")
        assert box.get_attribute("role") is None  # a plain search field
        box.fill("Amsterdam")
        box.press("Enter")
        pg.wait_for_url(re.compile(r"/search\?q=Amsterdam"))
        assert pg.locator("ol.results li.result").count() >= 1
    finally:
        context.close()
