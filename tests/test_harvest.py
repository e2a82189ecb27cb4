"""The harvest end to end, over real HTTP against the fixture web on 127.0.0.1.

One module-scoped harvest of every demo source feeds most assertions (it is the expensive
part); failure cases harvest small source sets of their own.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from indexer.backends import get_backend
from indexer.catalogue import Catalogue
from indexer.query import SearchQuery

from .conftest import harvest, make_settings, write_sources


@pytest.fixture(scope="module")
def demo(web, tmp_path_factory):
    data = tmp_path_factory.mktemp("demo")
    settings = make_settings(data)
    web.write_demo_sources(settings.sources)
    web.clear_requests()
    first = harvest(settings)
    first_requests = list(web.requests)
    web.clear_requests()
    second = harvest(settings)
    second_requests = list(web.requests)
    cat = Catalogue(settings.catalogue_url)
    return {"settings": settings, "first": first, "second": second, "cat": cat,
            "first_requests": first_requests, "second_requests": second_requests}


def _all_resources(cat: Catalogue):
    return list(cat.iter_resources())


def test_first_harvest_of_every_demo_source_succeeds(demo):
    report = demo["first"]
    bad = [(s.source_id, s.status, s.message, [(e.url, e.message) for e in s.errors])
           for s in report.sources if s.status != "succeeded" or s.failed]
    assert not bad
    assert report.ok
    t = report.totals()
    assert t["added"] >= 30
    assert t["failed"] == 0


def test_resources_in_many_languages_with_metadata(demo):
    res = _all_resources(demo["cat"])
    langs = {r.language for r in res}
    assert {"en", "nl", "fr", "de", "it", "pt", "lt", "no"} <= langs
    for r in res:
        assert r.title and r.body, r.url
        assert r.instances, r.id
    dated = [r for r in res if r.published]
    assert len(dated) >= 0.9 * len(res)


def test_boilerplate_is_not_in_the_text(demo, web):
    res = _all_resources(demo["cat"])
    html = [r for r in res if r.format == "html"]
    assert html
    # the fixture pages carry a cookie banner and footer on every page
    with_banner = [r.url for r in html if "cookie" in r.body.lower()]
    assert len(with_banner) <= 1, with_banner


def test_tracking_parameters_are_stripped(demo):
    for r in _all_resources(demo["cat"]):
        for i in r.instances:
            q = urlparse(i.url).query
            assert "utm_" not in q and "fbclid" not in q, i.url


def test_same_report_on_two_sites_is_one_resource_with_both_instances(demo):
    res = _all_resources(demo["cat"])
    pdfs = [r for r in res if r.format == "pdf" and len({i.source_id for i in r.instances}) > 1]
    assert pdfs, "the roadmap PDF republished on two sites should be one resource"
    roadmap = pdfs[0]
    hosts = {urlparse(i.url).netloc for i in roadmap.instances}
    assert len(hosts) == 2
    assert "roadmap" in roadmap.title.lower()


def test_republished_html_article_is_merged_across_sources(demo):
    res = _all_resources(demo["cat"])
    merged_html = [r for r in res if r.format == "html"
                   and len({i.source_id for i in r.instances}) > 1]
    pairs = [{i.source_id for i in r.instances} for r in merged_html]
    assert {"denhaag-nieuws", "euhub-news"} in pairs, pairs
    story = merged_html[pairs.index({"denhaag-nieuws", "euhub-news"})]
    assert story.language == "nl"
    assert len({urlparse(i.url).netloc for i in story.instances}) == 2


def test_robots_txt_is_obeyed(demo):
    fetched = [r.path for r in demo["first_requests"]]
    assert any(p == "/robots.txt" for p in fetched)
    assert not [p for p in fetched if p.startswith("/private/")]


def test_harvester_identifies_itself(demo):
    agents = {r.headers.get("user-agent", "") for r in demo["first_requests"]}
    assert agents and all("CircularCityPortalBot" in a for a in agents)


def test_second_run_adds_nothing_and_sends_conditional_requests(demo):
    report = demo["second"]
    t = report.totals()
    assert report.ok
    assert t["added"] == 0 and t["updated"] == 0 and t["merged"] == 0 and t["failed"] == 0
    conditional = [r for r in demo["second_requests"]
                   if "if-none-match" in r.headers or "if-modified-since" in r.headers]
    assert conditional, "the second run sent no conditional request"
    assert any(r.status == 304 for r in conditional)
    # the feeds and sitemaps themselves were asked conditionally too
    assert any(r.path.endswith((".xml", ".rdf", ".json")) for r in conditional)
    # nothing waits to be indexed after a run that changed nothing
    pending, _ = demo["cat"].outbox_status()
    assert pending == 0


def test_everything_is_indexed_and_searchable(demo):
    cat = demo["cat"]
    backend = get_backend(demo["settings"])
    try:
        assert backend.count() == cat.resource_count()
        res = backend.search(SearchQuery(text=""))
        assert res.total == cat.resource_count()
        langs = {f.value for f in res.facets["language"]}
        assert len(langs) >= 6
        hits = backend.search(SearchQuery(text="roadmap"))
        assert hits.total >= 1
    finally:
        backend.close()


def test_run_report_is_stored_with_per_source_counts(demo):
    cat = demo["cat"]
    runs = cat.runs()
    assert [r.id for r in runs][:2] == [demo["second"].id, demo["first"].id]
    first = cat.run_report(demo["first"].id)
    assert first.status == "finished"
    assert all(s.requests > 0 for s in first.sources)


# -- changes and failures ------------------------------------------------------------------

def test_changed_page_is_an_update(web, tmp_path):
    # a crawl re-reads its listing pages every run and asks for each item conditionally, so
    # an edited page is noticed even when nothing else changed
    settings = make_settings(tmp_path)
    crawl_src = next(s for s in web.demo_sources() if s["type"] == "crawl")
    write_sources(settings.sources, [crawl_src])
    first = harvest(settings)
    assert first.ok and first.totals()["added"] > 0
    cat = Catalogue(settings.catalogue_url)
    target = next(r for r in cat.iter_resources() if r.format == "html"
                  and r.instances[0].source_id == crawl_src["id"])
    path = urlparse(target.instances[0].url).path
    site = next(name for name, s in web.sites.items()
                if urlparse(s.base_url).netloc == urlparse(target.url).netloc)
    original = web.document(site, path)
    try:
        changed = original.replace(b'<div class="article-body">',
                                   b'<div class="article-body"><p>Addendum: the council approved '
                                   b'a new circular procurement target of 40 percent for 2027.</p>',
                                   1)
        assert changed != original
        web.set_document(site, path, changed, "text/html; charset=utf-8")
        second = harvest(settings)
        t = second.totals()
        assert t["updated"] == 1 and t["added"] == 0
        assert "procurement target of 40 percent" in cat.get_resource(target.id).body
    finally:
        web.set_document(site, path, original, "text/html; charset=utf-8")


def _trouble(web, sid, path, **extra):
    return {"id": sid, "name": f"Trouble {sid}", "type": "feed", "url": web.url("trouble", path),
            "country": "EU", **extra}


def test_failing_sources_are_reported_while_the_rest_is_stored(web, tmp_path):
    settings = make_settings(tmp_path, download_timeout=2.0, max_response_bytes=300_000,
                             retry_times=0)
    good = _trouble(web, "good-feed", "/feed.xml")
    sources = [
        good,
        _trouble(web, "server-error", "/status/500"),
        _trouble(web, "not-a-feed", "/notafeed.xml"),
        _trouble(web, "too-large", "/huge?bytes=400000"),
        _trouble(web, "too-slow", "/slow?seconds=5"),
        _trouble(web, "broken-feed", "/feed-broken.xml"),
    ]
    write_sources(settings.sources, sources)
    report = harvest(settings)
    by_id = {s.source_id: s for s in report.sources}
    assert not report.ok
    assert by_id["good-feed"].status == "succeeded" and by_id["good-feed"].added >= 1

    def fatal(sid):
        errs = [e for e in by_id[sid].errors if e.fatal]
        assert by_id[sid].status == "failed", (sid, by_id[sid])
        assert errs, sid
        return errs[0]

    e = fatal("server-error")
    assert e.kind == "http" and "500" in e.message and e.url.endswith("/status/500")
    e = fatal("not-a-feed")
    assert e.kind == "not-a-feed" and "html page" in e.message.lower()
    assert by_id["not-a-feed"].message.startswith("not-a-feed:")
    e = fatal("too-large")
    assert e.kind == "too-large"
    e = fatal("too-slow")
    assert e.kind == "timeout"
    broken = by_id["broken-feed"]
    # a truncated feed either yields the entries before the break or fails with a parse error
    assert broken.status == "succeeded" or any(x.kind in ("parse", "not-a-feed")
                                               for x in broken.errors)
    cat = Catalogue(settings.catalogue_url)
    assert cat.resource_count() >= by_id["good-feed"].added


def test_failed_document_is_reported_and_retried_next_run(web, tmp_path):
    settings = make_settings(tmp_path, retry_times=0)
    src = [s for s in web.demo_sources() if s["type"] == "feed"][0]
    write_sources(settings.sources, [src])
    # the first entry page of that feed answers 500 for a while
    from harvesters.feeds import parse_feed

    site = next(name for name, s in web.sites.items() if src["url"].startswith(s.base_url))
    feed_path = urlparse(src["url"]).path
    entries = parse_feed(web.document(site, feed_path), src["url"]).entries
    page = urlparse(next(e.link for e in entries if e.link and not e.link.endswith(".pdf"))).path
    web.set_response(site, page, status=500, body=b"Internal Server Error")
    try:
        first = harvest(settings)
    finally:
        web.clear_response(site, page)
    s = first.sources[0]
    assert s.failed == 1 and s.added >= 1
    err = next(e for e in s.errors if not e.fatal)
    assert err.kind == "http" and "500" in err.message and urlparse(err.url).path == page
    second = harvest(settings)
    assert second.ok and second.totals()["added"] == 1


def test_retry_after_is_honoured(web, tmp_path):
    settings = make_settings(tmp_path, retry_times=2)
    src = _trouble(web, "rate-limited", "/feed.xml")
    write_sources(settings.sources, [src])
    web.set_response("trouble", "/feed.xml", status=429, headers={"Retry-After": "1"}, times=1)
    web.clear_requests()
    report = harvest(settings)
    assert report.ok
    hits = [r for r in web.requests if r.site == "trouble" and r.path == "/feed.xml"]
    assert [r.status for r in hits][:2] == [429, 200]


def test_feed_that_keeps_answering_304_is_revalidated_after_a_week(web, tmp_path):
    from datetime import timedelta

    from sqlalchemy import update

    from indexer.catalogue import http_state_t
    from indexer.resource import utcnow

    settings = make_settings(tmp_path)
    src = next(s for s in web.demo_sources() if s["id"] == "prato-notizie")
    write_sources(settings.sources, [src])
    assert harvest(settings).ok
    cat = Catalogue(settings.catalogue_url)
    target = next(cat.iter_resources())
    site, path = "prato", urlparse(target.instances[0].url).path
    original = web.document(site, path)
    edited = original.replace(
        b'<div class="article-body">',
        b'<div class="article-body"><p>Aggiornamento: nuove date per il 2027, con sessioni '
        b'aperte a tutte le scuole della provincia.</p>', 1)
    assert edited != original
    web.set_document(site, path, edited, "text/html; charset=utf-8")
    try:
        # the feed did not change: it answers 304 and its pages are not asked again
        assert harvest(settings).totals()["updated"] == 0
        # a week later the feed is fetched in full and every page asked (conditionally)
        with cat.engine.begin() as c:
            c.execute(update(http_state_t).where(http_state_t.c.url == src["url"])
                      .values(checked_at=utcnow() - timedelta(days=8)))
        web.clear_requests()
        report = harvest(settings)
        assert report.totals()["updated"] == 1, report.to_dict()
        feed_req = [r for r in web.requests if r.site == "prato" and r.path == "/rss.rdf"]
        assert feed_req and "if-none-match" not in feed_req[0].headers
        pages = [r for r in web.requests if r.site == "prato" and r.path.startswith("/notizie/")]
        assert pages and all("if-none-match" in r.headers for r in pages)
    finally:
        web.set_document(site, path, original, "text/html; charset=utf-8")
