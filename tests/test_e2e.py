"""End to end, as a user meets the portal: harvest the fixture web with the real pipeline,
serve the search UI with waitress, and use it in headless Chromium."""

from __future__ import annotations

import re

import pytest

from search_ui import create_app
from tests.browser_support import require_chromium, serve_app

from .conftest import harvest, make_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal_url(web, tmp_path_factory):
    require_chromium()
    settings = make_settings(tmp_path_factory.mktemp("e2e"))
    web.write_demo_sources(settings.sources)
    report = harvest(settings)
    assert report.ok, report.to_dict()
    app = create_app(settings=settings)
    with serve_app(app) as url:
        yield url




def test_search_click_a_facet_and_open_a_resource_published_in_two_places(page, portal_url):
    page.goto(portal_url + "/")
    page.get_by_label(re.compile("Search circular-economy resources")).fill("roadmap circular cities")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    results = page.locator("ol.results li.result")
    assert results.count() >= 1
    assert "Roadmap for circular cities" in results.first.inner_text()

    # the language facet lists English with a count; clicking it filters through the URL
    english = page.locator('a.facet-link[data-facet="language"][data-value="en"]')
    assert english.count() == 1
    english.click()
    page.wait_for_url(re.compile(r"language=en"))
    assert page.locator("li.chip").count() == 1
    for text in page.locator("ol.results li.result").all_inner_texts():
        assert "English" in text

    # the roadmap PDF was republished by the network: one result, several places
    several = page.get_by_role("link", name=re.compile(r"^Details and all [0-9]+ places"))
    roadmap = page.locator("ol.results li.result", has_text="Roadmap for circular cities") \
        .filter(has=several).first
    roadmap.get_by_role("link", name=re.compile(r"^Details and all [0-9]+ places")).click()
    page.wait_for_url(re.compile(r"/resource/"))
    assert "Roadmap for circular cities" in page.locator("h1").inner_text()
    rows = page.locator("table.instances tbody tr")
    assert rows.count() >= 2
    listed = " ".join(rows.all_inner_texts())
    assert "Circular Knowledge Hub" in listed and "URBACT-like" in listed
    # each place says why it is here: the first one started the resource, the others joined it
    whys = [w.strip() for w in page.locator("table.instances td.merge-reason").all_inner_texts()]
    assert whys.count("first seen here") == 1, whys
    assert all(w == "first seen here" or w.startswith(("same URL as", "same text as",
                                                       "near-duplicate of")) for w in whys), whys


def test_finds_resources_in_several_languages(page, portal_url):
    page.goto(portal_url + "/search?q=")
    langs = page.locator('a.facet-link[data-facet="language"]')
    values = set(langs.evaluate_all("els => els.map(e => e.dataset.value)"))
    assert {"en", "nl", "it", "pt", "lt", "no", "fr", "de"} <= values
    # a Dutch query finds the Dutch city's pages, stemmed ("circulaire" ~ "circulair")
    page.goto(portal_url + "/search?q=circulaire+inkoop")
    first = page.locator("ol.results li.result").first
    assert "Nederlands" in first.inner_text()
    # Norwegian text harvested from a windows-1252 site keeps its letters
    page.goto(portal_url + "/search?q=&language=no")
    text = " ".join(page.locator("ol.results li.result h2, ol.results li.result h3").all_inner_texts())
    assert re.search(r"[æøå]", text), text
