"""``ccp sources add``: discovery of what a URL offers, preview, and writing the source file —
on the fixture web over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from config import load_sources
from harvesters.discover import discover, preview

from .conftest import FIXTURE_ALLOWANCE, ROOT, harvest, make_settings, write_sources


def test_page_linking_a_feed_offers_that_feed_first(web, tmp_path):
    settings = make_settings(tmp_path)
    found = discover(settings, web.url("euhub", "/"))
    first = found.candidates[0]
    assert first.definition == {"type": "feed", "url": web.url("euhub", "/feed.xml")}
    assert first.items >= 5
    assert found.candidates[-1].definition["type"] == "crawl"


def test_robots_txt_sitemap_is_found(web, tmp_path):
    settings = make_settings(tmp_path)
    found = discover(settings, web.url("porto", "/noticias/"))
    kinds = [c.definition["type"] for c in found.candidates]
    assert "sitemap" in kinds
    sm = next(c for c in found.candidates if c.definition["type"] == "sitemap")
    assert sm.definition["url"] == web.url("porto", "/robots.txt")
    assert sm.definition["follow"] == [r"^http://127\.0\.0\.1:%d/noticias/" % _port(web, "porto")]
    assert sm.items >= 3
    assert "listed in robots.txt" in sm.how


def _port(web, site):
    return int(web.sites[site].base_url.rsplit(":", 1)[1])


def test_page_with_neither_feed_nor_sitemap_offers_a_crawl_and_says_why(web, tmp_path):
    settings = make_settings(tmp_path)
    found = discover(settings, web.url("denhaag", "/nieuws/"))
    kinds = [c.definition["type"] for c in found.candidates]
    assert kinds == ["crawl"]
    notes = " ".join(found.notes)
    assert "no feed" in notes and "sitemap" in notes


def test_url_that_does_not_answer_is_explained(web, tmp_path):
    settings = make_settings(tmp_path, retry_times=0)
    found = discover(settings, web.url("trouble", "/status/500"))
    assert found.candidates == []
    assert any("500" in n for n in found.notes)


def test_preview_shows_items_as_indexed_and_flags_duplicates(web, tmp_path):
    settings = make_settings(tmp_path)
    # the catalogue already holds the hub's feed (which carries the roadmap PDF)
    hub = next(s for s in web.demo_sources() if s["id"] == "euhub-news")
    write_sources(settings.sources, [hub])
    assert harvest(settings).ok
    definition = {"id": "network-library", "name": "Network library", "type": "sitemap",
                  "url": web.url("urbact", "/robots.txt")}
    items, report = preview(settings, definition, items=20)
    assert items and len(items) <= 20
    for it in items:
        assert it.title and it.text_length > 100 and it.language
    dups = [it for it in items if it.duplicate_of]
    assert any("Roadmap" in it.duplicate_of for it in dups)
    assert report["sources"][0]["status"] == "succeeded"
    # the preview wrote nothing into the real catalogue
    assert {s.id for s in load_sources(settings.sources)} == {"euhub-news"}


def _sources_add(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``ccp sources add ARGS --yes`` as a process, on the test's data and sources, with the
    further environment variables ``env``."""
    environ = {**os.environ, "CCP_DATA_DIR": str(settings.data_dir),
               "CCP_SOURCES": str(settings.sources),
               "CCP_ALLOWED_PRIVATE_ADDRESSES": FIXTURE_ALLOWANCE, **env}
    return subprocess.run([sys.executable, "-m", "ccp.cli", "sources", "add", *args, "--yes"],
                          env=environ, cwd=ROOT, capture_output=True, text=True, timeout=180)


def test_sources_add_writes_a_valid_file_with_yes(web, tmp_path):
    settings = make_settings(tmp_path)
    settings.sources.mkdir(parents=True)
    out = _sources_add(settings, web.url("prato", "/"), "--id", "prato-news", "--country", "it",
                       "--city", "Prato", "--items", "2", CCP_DOWNLOAD_DELAY="0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Preview of the first 2 item(s)" in out.stdout
    path = settings.sources / "prato-news.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["type"] == "feed" and data["url"] == web.url("prato", "/rss.rdf")
    assert data["country"] == "IT" and data["city"] == "Prato"
    assert [s.id for s in load_sources(settings.sources)] == ["prato-news"]
    # adding the same id again is refused, nothing overwritten
    again = _sources_add(settings, web.url("prato", "/"), "--id", "prato-news",
                         CCP_DOWNLOAD_DELAY="0")
    assert again.returncode == 2 and "exists already" in again.stderr


def test_sources_add_on_a_dead_url_explains_and_writes_nothing(web, tmp_path):
    settings = make_settings(tmp_path)
    settings.sources.mkdir(parents=True)
    out = _sources_add(settings, web.url("trouble", "/status/404"), CCP_RETRY_TIMES="0")
    assert out.returncode == 1
    assert "offers nothing the portal can harvest" in out.stderr
    assert "404" in out.stdout
    assert list(settings.sources.iterdir()) == []
