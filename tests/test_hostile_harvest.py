"""Harvesting hostile and broken listings over real HTTP: the hostile fixture site on
127.0.0.1, an "internal" site on 127.0.0.2 outside the allowance, a good source beside them.

What must hold: one bad entry never ends a listing; partial input (a truncated gzip feed or
sitemap, an entity-expansion sitemap, a redirect loop) is a recorded error naming the URL; a
listing that suddenly shrinks marks nothing gone; validators are kept per URL; a scanned PDF
is stored flagged ``no-text-layer`` and not fetched again; a source's ``download_delay`` spaces
its requests; nothing outside the allowance is fetched.
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlparse

import pytest

from ccp.fixtureweb import FixtureWeb
from ccp.fixtureweb.hostile import (
    BAD_LINKS,
    GOOD_WORDS,
    SCANNED_PDF,
    SCANNED_TITLE,
    good_path,
    hostile_sources,
    shrink_sitemap,
)
from indexer.backends import get_backend
from indexer.catalogue import Catalogue
from indexer.query import SearchQuery

from .conftest import harvest, make_settings, write_sources

ALLOW_LOOPBACK_ONE = "127.0.0.1/32"  # the hostile site yes, the "internal" 127.0.0.2 no
NOT_HTTP = "not an http(s) link"


@pytest.fixture(scope="module")
def hweb():
    with FixtureWeb(hostile=True) as w:
        yield w


def _settings(tmp_path, **kw):
    kw.setdefault("allowed_private_addresses", ALLOW_LOOPBACK_ONE)
    return make_settings(tmp_path, **kw)


def _source(web, sid: str, **extra) -> dict:
    src = next(s for s in hostile_sources(web) if s["id"] == sid)
    return {**src, **extra}


def _run(tmp_path, web, sids, **kw):
    settings = _settings(tmp_path, **kw)
    write_sources(settings.sources, [_source(web, s) for s in sids])
    return settings, harvest(settings)


def _stored_paths(settings) -> set[str]:
    cat = Catalogue(settings.catalogue_url)
    try:
        return {urlparse(i.url).path for r in cat.iter_resources() for i in r.instances}
    finally:
        cat.close()


def _errors(source_report, kind=None):
    return [e for e in source_report.errors if kind is None or e.kind == kind]


def _searchable(settings, word: str) -> int:
    backend = get_backend(settings)
    try:
        return backend.search(SearchQuery(text=word)).total
    finally:
        backend.close()


# -- one bad entry never ends a listing ---------------------------------------------------------

def test_non_http_links_in_a_feed_are_skipped_and_every_later_entry_is_harvested(hweb, tmp_path):
    settings, report = _run(tmp_path, hweb, ["hostile-feed"])
    s = report.sources[0]
    stored = _stored_paths(settings)
    assert {good_path(n) for n in (1, 2, 3, 4)} <= stored, stored
    skipped = [e for e in s.errors if NOT_HTTP in e.message]
    shown = [(e.url, e.message) for e in s.errors]
    for link in ("javascript:void(0)", "mailto:press@valmora.example", "tel:+3212345678",
                 "data:text/html,<h1>data</h1>"):
        assert any(e.url == link for e in skipped), (link, shown)
    # feedparser respells a file: link and drops one it cannot parse; both are still named
    assert any(e.url.startswith("file:") and "passwd" in e.url for e in skipped), shown
    assert any("Bad link 6" in e.message and NOT_HTTP in e.message for e in s.errors), shown
    # the file: enclosure of entry three is skipped too, and nothing else of it was lost
    assert any(e.url == "file:///etc/passwd.pdf" for e in skipped)
    assert s.skipped >= len(BAD_LINKS) + 1
    assert not [r for r in stored if not r.startswith(("/news/", "/docs/"))]


def test_non_http_locs_in_a_sitemap_are_skipped_and_every_later_url_is_harvested(hweb, tmp_path):
    settings, report = _run(tmp_path, hweb, ["hostile-sitemap"])
    s = report.sources[0]
    assert {good_path(n) for n in (5, 6, 7)} <= _stored_paths(settings)
    bad = {e.url for e in s.errors if NOT_HTTP in e.message}
    assert {"javascript:void(0)", "mailto:press@valmora.example", "http://[bad",
            "ftp://127.0.0.1/pub/plan.pdf", "file:///etc/passwd"} <= bad
    assert s.status == "succeeded"


def test_bad_links_on_a_crawled_page_never_stop_the_crawl(hweb, tmp_path):
    settings, report = _run(tmp_path, hweb, ["hostile-crawl"])
    s = report.sources[0]
    assert {good_path(8), good_path(9)} <= _stored_paths(settings)
    assert any(e.url == "http://[bad" and NOT_HTTP in e.message for e in s.errors)


# -- silent partial input becomes a recorded error ----------------------------------------------

@pytest.mark.parametrize("source,path,words", [
    ("hostile-truncated-feed", "/feed-truncated.xml", ("gzip", "cut short")),
    ("hostile-truncated-sitemap", "/sitemap-truncated.xml.gz", ("cut short",)),
], ids=["gzip-feed", "gz-sitemap"])
def test_truncated_input_is_an_error_naming_the_url(hweb, tmp_path, source, path, words):
    settings, report = _run(tmp_path, hweb, [source])
    s = report.sources[0]
    url = hweb.url("hostile", path)
    errs = [e for e in s.errors if e.url == url and e.kind == "truncated"]
    assert errs, [(e.url, e.kind, e.message) for e in s.errors]
    assert all(w in errs[0].message for w in words), errs[0].message
    assert not report.ok
    # what could be read is kept: the first entry
    assert good_path(21) in _stored_paths(settings)


def test_entity_expansion_sitemap_is_an_error_and_is_not_expanded(hweb, tmp_path):
    hweb.clear_requests()
    settings, report = _run(tmp_path, hweb, ["hostile-laughs"])
    s = report.sources[0]
    assert s.status == "failed"
    err = next(e for e in s.errors if e.fatal)
    assert err.url == hweb.url("hostile", "/sitemap-laughs.xml")
    assert "no URL" in err.message
    assert "lol" not in err.message  # the entities were never expanded into the report
    assert not [r for r in hweb.requests if "lol" in r.path]


def test_redirect_loop_on_a_feed_fails_the_source_naming_the_loop(hweb, tmp_path):
    settings, report = _run(tmp_path, hweb, ["hostile-feed-loop"])
    s = report.sources[0]
    assert s.status == "failed" and not report.ok
    err = next(e for e in s.errors if e.fatal)
    assert err.kind == "redirect-loop"
    assert err.url == hweb.url("hostile", "/feed-loop.xml")
    assert "/feed-loop-2.xml" in err.message


def test_page_in_a_redirect_loop_is_an_error_of_that_page(hweb, tmp_path):
    settings, report = _run(tmp_path, hweb, ["hostile-feed"])
    s = report.sources[0]
    err = next((e for e in s.errors if e.url == hweb.url("hostile", "/loop/a")), None)
    assert err is not None, [(e.url, e.kind) for e in s.errors]
    assert err.kind == "redirect-loop" and "/loop/b" in err.message
    assert s.failed >= 1


# -- a suspect listing never marks resources gone -----------------------------------------------

def _shrinking_source(hweb, tmp_path, gone_after_runs: int):
    """(settings, source): a sitemap source whose listing the test can shrink."""
    settings = _settings(tmp_path)
    src = {"id": "hostile-shrink", "name": "Shrinking sitemap", "type": "sitemap",
           "url": hweb.url("hostile", "/shrink/sitemap.xml"), "country": "EU",
           "language": "en", "gone_after_runs": gone_after_runs}
    write_sources(settings.sources, [src])
    return settings, src


@contextmanager
def _sitemap_lists(hweb, n: int):
    """The shrinking sitemap lists only ``n`` of its five pages while in the block."""
    hweb.set_document("hostile", "/shrink/sitemap.xml", shrink_sitemap(hweb.url, n),
                      "application/xml")
    try:
        yield
    finally:
        hweb.set_document("hostile", "/shrink/sitemap.xml", shrink_sitemap(hweb.url, 5),
                          "application/xml")


def test_a_listing_that_shrinks_marks_nothing_gone(hweb, tmp_path):
    settings, src = _shrinking_source(hweb, tmp_path, gone_after_runs=2)
    words = [GOOD_WORDS[30 + i] for i in range(1, 6)]
    first = harvest(settings)
    assert first.ok and first.totals()["added"] == 5
    assert all(_searchable(settings, w) == 1 for w in words)
    with _sitemap_lists(hweb, 1):
        for _ in range(src["gone_after_runs"] + 1):
            report = harvest(settings)
            s = report.sources[0]
            warn = [e for e in s.errors if e.kind == "suspect-listing"]
            assert warn, [(e.kind, e.message) for e in s.errors]
            assert warn[0].url == src["url"]
            assert "1" in warn[0].message and "5" in warn[0].message
        assert [w for w in words if _searchable(settings, w) != 1] == []


def test_an_empty_listing_marks_nothing_gone(hweb, tmp_path):
    settings, src = _shrinking_source(hweb, tmp_path, gone_after_runs=1)
    assert harvest(settings).ok
    with _sitemap_lists(hweb, 0):
        report = harvest(settings)
        s = report.sources[0]
        assert s.status == "failed"
        err = next(e for e in s.errors if e.fatal)
        assert err.kind == "empty-sitemap" and err.url == src["url"]
        assert "no URL" in err.message
        assert all(_searchable(settings, GOOD_WORDS[30 + i]) == 1 for i in range(1, 6))


# -- validators per URL; a scanned PDF is kept, flagged, not fetched again ----------------------

def test_scanned_pdf_is_stored_flagged_and_not_fetched_again(hweb, tmp_path):
    settings = _settings(tmp_path)
    write_sources(settings.sources, [_source(hweb, "hostile-feed")])
    first = harvest(settings)
    cat = Catalogue(settings.catalogue_url)
    pdf = next(r for r in cat.iter_resources() if urlparse(r.url).path == SCANNED_PDF)
    assert pdf.flags == ["no-text-layer"]
    assert pdf.title == SCANNED_TITLE and pdf.format == "pdf"
    assert _searchable(settings, "Valmora waste plan scanned") >= 1
    assert not [e for e in first.sources[0].errors if e.url and e.url.endswith(SCANNED_PDF)]
    # the resource page tells the reader why there is no text to search
    from search_ui import create_app

    page = create_app({"TESTING": True}, settings=settings).test_client().get(
        f"/resource/{pdf.id}")
    assert page.status_code == 200
    assert "Scanned PDF without a text layer" in page.get_data(as_text=True)
    hweb.clear_requests()
    second = harvest(settings)
    asked = [r for r in hweb.requests if r.path in ("/feed.xml", SCANNED_PDF)]
    feed_req = [r for r in asked if r.path == "/feed.xml"]
    # the feed was read fully last run despite the failing page: its validators were saved
    assert feed_req and "if-none-match" in feed_req[0].headers
    assert feed_req[0].status == 304
    # the PDF is not downloaded again and not reported again
    assert not [r for r in asked if r.path == SCANNED_PDF and r.status == 200]
    assert not [e for e in second.sources[0].errors if e.url and e.url.endswith(SCANNED_PDF)]
    cat.close()


def test_a_failed_document_is_retried_while_its_listing_answers_304(hweb, tmp_path):
    settings = _settings(tmp_path, retry_times=0)
    write_sources(settings.sources, [_source(hweb, "hostile-feed")])
    page = good_path(2)
    hweb.set_response("hostile", page, status=500, body=b"Internal Server Error")
    try:
        first = harvest(settings)
    finally:
        hweb.clear_response("hostile", page)
    assert any(urlparse(e.url or "").path == page and e.kind == "http"
               for e in first.sources[0].errors)
    assert page not in _stored_paths(settings)
    hweb.clear_requests()
    second = harvest(settings)
    feed_req = [r for r in hweb.requests if r.path == "/feed.xml"]
    assert feed_req and feed_req[0].status == 304
    assert page in _stored_paths(settings)
    assert second.sources[0].added == 1
    # retried and stored: the failure is forgotten, a third run asks for nothing but the feed
    hweb.clear_requests()
    harvest(settings)
    assert not [r for r in hweb.requests if r.path == page]


# -- download_delay ---------------------------------------------------------------------------

def test_a_sources_download_delay_spaces_its_requests(hweb, tmp_path):
    settings = _settings(tmp_path)
    src = {"id": "hostile-delay", "name": "Delayed sitemap", "type": "sitemap",
           "url": hweb.url("hostile", "/shrink/sitemap.xml"), "country": "EU",
           "language": "en", "download_delay": 0.3}
    write_sources(settings.sources, [src])
    hweb.clear_requests()
    assert harvest(settings).ok
    # robots.txt is left out: the first request of a crawl also sets up its connection
    times = sorted(r.time for r in hweb.requests
                   if r.site == "hostile" and r.path != "/robots.txt")
    assert len(times) >= 6  # the sitemap, five items
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.3 - 0.02, gaps


# -- the whole hostile web beside a good source -----------------------------------------------

def test_hostile_web_beside_a_good_source(hweb, tmp_path):
    settings = _settings(tmp_path, retry_times=0)
    good = {"id": "good-news", "name": "Good news", "type": "feed",
            "url": hweb.url("euhub", "/feed.xml"), "country": "EU"}
    write_sources(settings.sources, [good, *hostile_sources(hweb)])
    hweb.clear_requests()
    before = hweb.connections_accepted("internal")
    report = harvest(settings)
    by_id = {s.source_id: s for s in report.sources}
    stored = _stored_paths(settings)
    # every good item is stored
    assert by_id["good-news"].status == "succeeded" and by_id["good-news"].added >= 5
    goods = {good_path(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 21)}
    assert goods <= stored, goods - stored
    # nothing fetched that must not be: no connection to the internal address at all
    assert hweb.connections_accepted("internal") == before
    assert not [r for r in hweb.requests if r.site == "internal"]
    assert not [p for p in stored if "secret" in p or "passwd" in p]
    # every bad one is reported by URL
    errors = [e for s in report.sources for e in s.errors]
    urls = {e.url for e in errors}
    internal = hweb.url("internal", "/secret")
    for expected in (*BAD_LINKS, internal, hweb.url("hostile", "/go-internal"),
                     internal.replace("/secret", "/report.pdf").replace("http:", "ftp:"),
                     hweb.url("hostile", "/loop/a"), hweb.url("hostile", "/feed-loop.xml"),
                     hweb.url("hostile", "/feed-truncated.xml"),
                     hweb.url("hostile", "/sitemap-truncated.xml.gz"),
                     hweb.url("hostile", "/sitemap-laughs.xml")):
        assert expected in urls, (expected, sorted(u or "" for u in urls))
    refused = [e for e in errors if e.url in (internal, hweb.url("hostile", "/go-internal"))]
    assert all("CCP_ALLOWED_PRIVATE_ADDRESSES" in e.message for e in refused), refused
    assert not report.ok
