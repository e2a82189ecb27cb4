"""The fixture web, over real HTTP on 127.0.0.1: sites, feeds, sitemaps, HTTP semantics,
failure endpoints, the PDF writer, the content loader and the demo source definitions."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import threading
import urllib.robotparser
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qsl, urljoin, urlsplit

import feedparser
import lxml.html
import pypdfium2
import pytest
import yaml

from ccp.fixtureweb import ContentError, FixtureWeb, load_content, make_pdf
from ccp.fixtureweb.content_loader import CONTENT_DIR, SITE_NAMES, parse_documents
from ccp.fixtureweb.sites import SPECS, article_path, landing_path
from config.loader import load_source_file
from config.models import SOURCE_ADAPTER

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Reply:
    """One request, no redirects followed, no decoding: what a harvester sees on the wire."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target or "/", headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return Reply(resp.status, resp.headers, body)
    finally:
        conn.close()


def strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_") and k != "fbclid"]
    query = "&".join(f"{k}={v}" for k, v in kept)
    return parts._replace(query=query).geturl()


def links(html: bytes, base: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    return [urljoin(base, a.get("href")) for a in tree.iter("a") if a.get("href")]


@pytest.fixture(scope="module")
def web():
    with FixtureWeb() as running:
        yield running


@pytest.fixture
def private_web():
    """A fixture web of its own, for tests that change answers or stop the servers."""
    with FixtureWeb(content="sample") as running:
        yield running


# ---- sites ------------------------------------------------------------------------------------

def test_every_site_serves_home_robots_and_404(web):
    assert set(web.sites) == {*SITE_NAMES, "trouble"}
    ports = {urlsplit(site.base_url).port for site in web.sites.values()}
    assert len(ports) == len(web.sites), "each site must have its own host:port"
    for name, site in web.sites.items():
        home = fetch(web.url(name, "/"))
        assert home.status == 200, name
        assert home.header("Content-Type").startswith("text/html")
        assert b"<html" in home.body
        robots = fetch(web.url(name, "/robots.txt"))
        assert robots.status == 200
        assert "Disallow: /private/" in robots.body.decode()
        missing = fetch(web.url(name, "/no/such/page"))
        assert missing.status == 404, name
        assert b"<html" in missing.body


def test_a_private_page_is_linked_but_disallowed_by_robots(web):
    for name in SITE_NAMES:
        spec = SPECS[name]
        listing = fetch(web.url(name, spec.section))
        assert listing.status == 200
        private = [u for u in links(listing.body, web.url(name, "/")) if "/private/" in u]
        assert private, f"{name}: the listing page must link a /private/ page"
        # the page exists (an impolite crawler would get it) ...
        assert fetch(private[0]).status == 200
        # ... and robots.txt forbids it
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(fetch(web.url(name, "/robots.txt")).body.decode().splitlines())
        assert not robots.can_fetch("ccp-harvester", private[0])
        assert robots.can_fetch("ccp-harvester", web.url(name, spec.section))


def test_home_pages_advertise_their_feed(web):
    for name, spec in SPECS.items():
        tree = lxml.html.fromstring(fetch(web.url(name, "/")).body)
        alternates = tree.xpath('//link[@rel="alternate"]/@href')
        if spec.feed_path:
            assert alternates == [spec.feed_path], name
            assert fetch(web.url(name, spec.feed_path)).status == 200
        else:
            assert alternates == [], name


def test_every_article_of_the_content_is_served(web):
    for name in SITE_NAMES:
        content = web.content.get(name)
        assert content is not None and content.articles, f"no content for {name}"
        for article in content.articles:
            reply = fetch(web.url(name, article_path(SPECS[name], article)))
            assert reply.status == 200, (name, article.slug)
            if article.kind == "pdf":
                assert reply.header("Content-Type") == "application/pdf"
                assert reply.body.startswith(b"%PDF-")
            else:
                text = reply.body.decode(SPECS[name].charset)
                assert article.title.split()[0] in text


def test_article_pages_carry_boilerplate_around_the_article(web):
    article = next(a for a in web.content["denhaag"].articles if a.kind == "html")
    tree = lxml.html.fromstring(fetch(web.url("denhaag", f"/nieuws/{article.slug}")).body)
    assert tree.get("lang")
    for selector in ("header nav", ".breadcrumb", ".cookie-banner", "aside .related a", "footer address",
                     "article h1", "article .article-body p"):
        assert tree.cssselect(selector), selector
    body_text = " ".join(p.text_content() for p in tree.cssselect("article .article-body p"))
    assert body_text.split()[:5] == article.paragraphs[0].split()[:5]
    assert "cookie" not in body_text.lower()


def test_metadata_is_exposed_in_the_three_styles(web):
    seen = set()
    for name in SITE_NAMES:
        for article in web.content[name].articles:
            if article.kind != "html" or article.metadata in seen:
                continue
            seen.add(article.metadata)
            url = web.url(name, article_path(SPECS[name], article))
            tree = lxml.html.fromstring(fetch(url).body)
            description = tree.xpath('//meta[@name="description"]/@content')
            ld = tree.xpath('//script[@type="application/ld+json"]/text()')
            if article.metadata == "full":
                assert description == [article.description]
                assert tree.xpath('//meta[@property="og:title"]/@content') == [article.title]
                assert tree.xpath('//link[@rel="canonical"]/@href') == [url]
                published = tree.xpath('//meta[@property="article:published_time"]/@content')[0]
                assert datetime.fromisoformat(published) == article.published
                assert not ld
            elif article.metadata == "jsonld":
                data = json.loads(ld[0])
                assert data["@type"] == "Article" and data["headline"] == article.title
                assert datetime.fromisoformat(data["datePublished"]) == article.published
                assert not description
            else:
                assert not description and not ld
                assert not tree.xpath('//meta[starts-with(@property, "og:")]')
                assert article.title not in tree.findtext(".//title")
                assert tree.cssselect("article p.date")
    assert seen == {"full", "jsonld", "none"}


def test_tracking_parameters_lead_to_the_same_document(web):
    article = next(a for a in web.content["denhaag"].articles if a.kind == "html")
    clean = fetch(web.url("denhaag", f"/nieuws/{article.slug}"))
    tracked = fetch(web.url("denhaag", f"/nieuws/{article.slug}?utm_source=x&utm_medium=y&fbclid=abc"))
    assert tracked.status == 200 and tracked.body == clean.body
    # and the sites really do link with tracking parameters
    listing = fetch(web.url("denhaag", "/nieuws/"))
    hrefs = links(listing.body, web.url("denhaag", "/"))
    assert any("utm_" in h for h in hrefs) and any("fbclid=" in h for h in hrefs)


# ---- feeds ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "site, path, version",
    [("euhub", "/feed.xml", "rss20"), ("urbact", "/news/atom.xml", "atom10"),
     ("prato", "/rss.rdf", "rss10"), ("oslo", "/rss.xml", "rss20"), ("trouble", "/feed.xml", "rss20")],
)
def test_feeds_parse_and_their_entries_answer(web, site, path, version):
    reply = fetch(web.url(site, path))
    assert reply.status == 200
    feed = feedparser.parse(reply.body, response_headers={"content-type": reply.header("Content-Type")})
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == version
    assert feed.entries
    titles = {a.title for a in web.content[site].articles} if site != "trouble" else None
    for entry in feed.entries:
        if titles is not None:
            assert entry.title in titles  # also proves the encoding was read right
        assert entry.get("published_parsed") or entry.get("updated_parsed")
        target = fetch(entry.link)
        if "/private/" in entry.link:
            continue
        assert target.status == 200, entry.link


def test_euhub_feed_has_tracking_links_guids_authors_categories_and_a_pdf_enclosure(web):
    feed = feedparser.parse(fetch(web.url("euhub", "/feed.xml")).body)
    assert all("utm_source=rss" in e.link and "utm_medium=feed" in e.link for e in feed.entries)
    assert all(e.id.startswith("urn:fixture:euhub:") for e in feed.entries)
    assert all(e.get("author") for e in feed.entries)
    assert any(e.get("tags") for e in feed.entries)
    enclosures = [enc for e in feed.entries for enc in e.get("enclosures", [])]
    roadmap = web.url("euhub", "/files/circular-city-roadmap.pdf")
    assert [enc.href for enc in enclosures if enc.type == "application/pdf"] == [roadmap]
    pdf = fetch(roadmap)
    assert pdf.body.startswith(b"%PDF-")
    assert int(enclosures[0].length) == len(pdf.body)
    landing = fetch(web.url("euhub", "/publications/circular-city-roadmap"))
    assert landing.status == 200 and b'href="/files/circular-city-roadmap.pdf"' in landing.body


def test_euhub_pdf_without_metadata_is_linked_directly_from_the_feed(private_web):
    # the sample content has one euhub PDF with metadata "none" (no landing page)
    direct = [a for a in private_web.content["euhub"].articles
              if a.kind == "pdf" and not landing_path(SPECS["euhub"], a)]
    assert direct
    feed = feedparser.parse(fetch(private_web.url("euhub", "/feed.xml")).body)
    for article in direct:
        entry = next(e for e in feed.entries if e.title == article.title)
        assert urlsplit(entry.link).path == f"/files/{article.slug}.pdf"
        assert not entry.get("enclosures")
        assert fetch(entry.link).body.startswith(b"%PDF-")


def test_oslo_feed_and_pages_declare_windows_1252_only_in_the_document(web):
    feed = fetch(web.url("oslo", "/rss.xml"))
    assert "charset" not in feed.header("Content-Type")
    assert feed.body.startswith(b'<?xml version="1.0" encoding="windows-1252"?>')
    with pytest.raises(UnicodeDecodeError):
        feed.body.decode("utf-8")
    article = next(a for a in web.content["oslo"].articles if a.kind == "html")
    page = fetch(web.url("oslo", f"/nyheter/{article.slug}"))
    assert page.header("Content-Type") == "text/html"
    assert b'<meta charset="windows-1252">' in page.body
    assert article.title in page.body.decode("windows-1252")


def test_kaunas_json_feed(web):
    reply = fetch(web.url("kaunas", "/feed.json"))
    assert reply.header("Content-Type").startswith("application/feed+json")
    data = json.loads(reply.body)
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["feed_url"] == web.url("kaunas", "/feed.json")
    assert len(data["items"]) == len(web.content["kaunas"].articles)
    for item in data["items"]:
        assert item["id"] and item["title"] and item["date_published"]
        assert fetch(item["url"]).status == 200


# ---- sitemaps ---------------------------------------------------------------------------------

def _urlset(body: bytes) -> list[tuple[str, str]]:
    root = ET.fromstring(body)
    assert root.tag == f"{SITEMAP_NS}urlset"
    return [(u.findtext(f"{SITEMAP_NS}loc"), u.findtext(f"{SITEMAP_NS}lastmod")) for u in root]


def test_urbact_sitemap_index_from_robots_with_a_gzipped_sitemap(web):
    robots = fetch(web.url("urbact", "/robots.txt")).body.decode()
    index_url = re.search(r"^Sitemap: (\S+)$", robots, re.M).group(1)
    assert index_url == web.url("urbact", "/sitemap_index.xml")
    index = ET.fromstring(fetch(index_url).body)
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    sitemaps = [s.findtext(f"{SITEMAP_NS}loc") for s in index]
    assert web.url("urbact", "/sitemaps/good-practices.xml.gz") in sitemaps
    locs = []
    for sitemap in sitemaps:
        reply = fetch(sitemap, headers={"Accept-Encoding": "gzip"})
        assert reply.status == 200
        if sitemap.endswith(".gz"):
            # a gzip file as the body, not a Content-Encoding
            assert reply.header("Content-Type") in ("application/x-gzip", "application/gzip")
            assert reply.header("Content-Encoding") is None
            body = gzip.decompress(reply.body)
        else:
            body = reply.body
        for loc, lastmod in _urlset(body):
            assert datetime.fromisoformat(lastmod).tzinfo is not None
            locs.append(loc)
    assert locs
    for loc in locs:
        assert fetch(loc).status == 200, loc


def test_porto_sitemap_lists_every_article(web):
    robots = fetch(web.url("porto", "/robots.txt")).body.decode()
    assert f"Sitemap: {web.url('porto', '/sitemap.xml')}" in robots
    entries = dict(_urlset(fetch(web.url("porto", "/sitemap.xml")).body))
    for article in web.content["porto"].articles:
        assert web.url("porto", article_path(SPECS["porto"], article)) in entries
    for loc in entries:
        assert fetch(loc).status == 200


# ---- duplicates across sites ------------------------------------------------------------------

def test_republished_pdf_has_the_same_bytes_on_both_sites(web):
    copies = [a for a in web.content["urbact"].articles if a.origin and a.kind == "pdf"]
    assert copies, "the content must republish a PDF on urbact"
    for copy in copies:
        origin_site, origin_slug = copy.origin
        original = fetch(web.url(origin_site, f"{SPECS[origin_site].docs}{origin_slug}.pdf"))
        republished = fetch(web.url("urbact", f"/library/{copy.slug}.pdf"))
        assert original.status == republished.status == 200
        assert original.body == republished.body
        library = _urlset(fetch(web.url("urbact", "/sitemaps/library.xml")).body)
        assert web.url("urbact", f"/library/{copy.slug}.pdf") in [loc for loc, _ in library]


def test_republished_article_has_the_same_text_under_other_chrome(web):
    copies = [a for a in web.content["euhub"].articles if a.origin and a.origin[0] == "denhaag"]
    assert copies, "the content must republish a Den Haag article on euhub"
    copy = copies[0]
    original = fetch(web.url("denhaag", f"/nieuws/{copy.origin[1]}")).body
    republished = fetch(web.url("euhub", f"/articles/{copy.slug}")).body

    def main_text(body: bytes) -> str:
        return lxml.html.fromstring(body).cssselect("article .article-body")[0].text_content()

    assert main_text(original) == main_text(republished)
    assert original != republished
    chrome = lxml.html.fromstring(republished).cssselect("header.site-header a.logo")[0].text_content()
    assert chrome == web.sites["euhub"].title


# ---- the crawl source -------------------------------------------------------------------------

def test_denhaag_listing_paginates_over_three_pages_and_selectors_find_the_parts(web):
    source = next(s for s in web.demo_sources() if s["type"] == "crawl")
    follow = [re.compile(p) for p in source["follow"]]
    items = [re.compile(p) for p in source["items"]]
    pages, queue, found = [], [source["start_urls"][0]], set()
    while queue:
        url = queue.pop(0)
        if url in pages:
            continue
        pages.append(url)
        reply = fetch(url)
        assert reply.status == 200, url
        for link in links(reply.body, url):
            if any(p.search(link) for p in follow):
                queue.append(link)
            elif any(p.search(link) for p in items):
                found.add(strip_tracking(link))
    assert [urlsplit(p).query for p in pages] == ["", "page=2", "page=3"]
    expected = {web.url("denhaag", f"/nieuws/{a.slug}") for a in web.content["denhaag"].articles}
    private = web.url("denhaag", SPECS["denhaag"].private_path)
    assert found == expected | {private}  # the private draft matches too: robots.txt must stop it
    sel = source["selectors"]
    for article in web.content["denhaag"].articles:
        tree = lxml.html.fromstring(fetch(web.url("denhaag", f"/nieuws/{article.slug}")).body)
        assert tree.cssselect(sel["title"])[0].text_content() == article.title
        assert tree.cssselect(sel["date"]), article.slug
        body = tree.cssselect(sel["body"])[0].text_content()
        assert article.paragraphs[-1][:40] in " ".join(body.split())
        if article.author:
            assert tree.cssselect(sel["author"])[0].text_content() == article.author


# ---- HTTP semantics ---------------------------------------------------------------------------

CONDITIONAL_PATHS = [
    ("euhub", "/feed.xml"), ("euhub", "/files/circular-city-roadmap.pdf"), ("denhaag", "/nieuws/"),
    ("urbact", "/sitemaps/good-practices.xml.gz"), ("porto", "/sitemap.xml"), ("kaunas", "/feed.json"),
]


@pytest.mark.parametrize("site, path", CONDITIONAL_PATHS)
def test_conditional_get_and_head(web, site, path):
    first = fetch(web.url(site, path))
    assert first.status == 200
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    assert re.fullmatch(r'"[0-9a-f-]+(-gzip)?"', etag)
    last_modified = parsedate_to_datetime(modified)
    assert fetch(web.url(site, path)).header("ETag") == etag  # stable
    by_etag = fetch(web.url(site, path), {"If-None-Match": etag})
    assert by_etag.status == 304 and by_etag.body == b"" and by_etag.header("ETag") == etag
    by_date = fetch(web.url(site, path), {"If-Modified-Since": modified})
    assert by_date.status == 304
    older = format_datetime(last_modified - timedelta(days=1), usegmt=True)
    assert fetch(web.url(site, path), {"If-Modified-Since": older}).status == 200
    # If-None-Match wins over If-Modified-Since
    stale = fetch(web.url(site, path), {"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert stale.status == 200 and stale.body == first.body
    head = fetch(web.url(site, path), method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.header("Content-Length")) == len(first.body)
    assert head.header("ETag") == etag


def test_html_is_gzipped_when_the_client_accepts_it(web):
    url = web.url("denhaag", "/nieuws/")
    plain = fetch(url)
    assert plain.header("Content-Encoding") is None
    assert plain.header("Vary") == "Accept-Encoding"
    packed = fetch(url, {"Accept-Encoding": "gzip, deflate"})
    assert packed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert packed.header("ETag") != plain.header("ETag")
    assert fetch(url, {"Accept-Encoding": "gzip", "If-None-Match": packed.header("ETag")}).status == 304
    assert fetch(url, {"Accept-Encoding": "gzip;q=0"}).header("Content-Encoding") is None


def test_missing_trailing_slash_redirects(web):
    reply = fetch(web.url("denhaag", "/nieuws"))
    assert reply.status == 301 and reply.header("Location") == web.url("denhaag", "/nieuws/")


def test_request_log_records_method_path_headers_and_status(private_web):
    private_web.clear_requests()
    fetch(private_web.url("euhub", "/feed.xml?x=1"), {"User-Agent": "ccp-test/1", "If-None-Match": '"a"'})
    fetch(private_web.url("porto", "/nothing"), method="HEAD")
    log = private_web.requests
    assert [(r.site, r.method, r.path, r.status) for r in log] == [
        ("euhub", "GET", "/feed.xml?x=1", 404),  # an unknown query is not the feed
        ("porto", "HEAD", "/nothing", 404),
    ]
    assert log[0].headers["user-agent"] == "ccp-test/1"
    assert log[0].headers["if-none-match"] == '"a"'
    private_web.clear_requests()
    assert private_web.requests == []


def test_set_response_times_then_back_to_normal(private_web):
    url = private_web.url("euhub", "/feed.xml")
    normal = fetch(url)
    private_web.set_response("euhub", "/feed.xml", status=500, body=b"boom", times=1)
    failed = fetch(url)
    assert failed.status == 500 and failed.body == b"boom"
    again = fetch(url)
    assert again.status == 200 and again.body == normal.body

    private_web.set_response("euhub", "/feed.xml", status=503, headers={"Retry-After": "7"})
    for _ in range(3):
        reply = fetch(url + "?utm_source=x")
        assert reply.status == 503 and reply.header("Retry-After") == "7"
    private_web.clear_response("euhub", "/feed.xml")
    assert fetch(url).status == 200


def test_set_document_changes_validators(private_web):
    url = private_web.url("denhaag", "/nieuws/new-page")
    assert fetch(url).status == 404
    private_web.set_document("denhaag", "/nieuws/new-page", b"<html><body>v1</body></html>", "text/html")
    first = fetch(url)
    assert first.status == 200 and first.body == b"<html><body>v1</body></html>"
    private_web.set_document("denhaag", "/nieuws/new-page", b"<html><body>v2</body></html>", "text/html")
    changed = fetch(url, {"If-None-Match": first.header("ETag")})
    assert changed.status == 200 and changed.body == b"<html><body>v2</body></html>"
    assert changed.header("ETag") != first.header("ETag")
    assert parsedate_to_datetime(changed.header("Last-Modified")) > parsedate_to_datetime(
        first.header("Last-Modified")
    )
    assert fetch(url, {"If-Modified-Since": first.header("Last-Modified")}).status == 200


# ---- the trouble site -------------------------------------------------------------------------

def test_trouble_status_retry_after_and_redirect(web):
    for code in (403, 404, 410, 500, 502, 503):
        assert fetch(web.url("trouble", f"/status/{code}")).status == code
    limited = fetch(web.url("trouble", "/retry-after?seconds=3"))
    assert limited.status == 429 and limited.header("Retry-After") == "3"
    moved = fetch(web.url("trouble", "/redirect?to=/articles/plain-page"))
    assert moved.status == 301
    assert moved.header("Location") == web.url("trouble", "/articles/plain-page")
    assert fetch(moved.header("Location")).status == 200


def test_trouble_huge_bodies(web):
    sized = fetch(web.url("trouble", "/huge?bytes=300000"))
    assert sized.status == 200
    assert int(sized.header("Content-Length")) == len(sized.body) == 300000
    assert sized.body.startswith(b"<!DOCTYPE html>") and sized.body.endswith(b"</html>\n")
    head = fetch(web.url("trouble", "/huge"), method="HEAD")
    assert int(head.header("Content-Length")) == 11 * 1024 * 1024
    chunked = fetch(web.url("trouble", "/huge-chunked?bytes=200000"))
    assert chunked.header("Content-Length") is None
    assert chunked.header("Transfer-Encoding") == "chunked"
    assert len(chunked.body) == 200000 and chunked.body.endswith(b"</html>\n")


def test_trouble_encodings_and_broken_documents(web):
    gz = fetch(web.url("trouble", "/gzip/page.html"))
    assert gz.header("Content-Encoding") == "gzip"
    assert b"compressed page" in gzip.decompress(gz.body)
    cp = fetch(web.url("trouble", "/cp1252.html"))
    assert cp.header("Content-Type") == "text/html"
    assert b"charset=windows-1252" in cp.body
    assert "Économie circulaire" in cp.body.decode("windows-1252")
    with pytest.raises(UnicodeDecodeError):
        cp.body.decode("utf-8")
    bom = fetch(web.url("trouble", "/bom.html"))
    assert bom.header("Content-Type") == "text/html"
    assert bom.body.startswith(b"\xef\xbb\xbf") and b"charset" not in bom.body
    assert "Žiedinė" in bom.body.decode("utf-8-sig")
    notafeed = fetch(web.url("trouble", "/notafeed.xml"))
    assert notafeed.header("Content-Type").startswith("text/html")
    assert not feedparser.parse(notafeed.body).entries
    broken = feedparser.parse(fetch(web.url("trouble", "/feed-broken.xml")).body)
    assert broken.bozo
    slow = fetch(web.url("trouble", "/slow?seconds=0.1"))
    assert slow.status == 200 and b"Slow page" in slow.body


def test_stop_is_prompt_with_a_slow_request_in_flight():
    web = FixtureWeb(content="sample").start()
    outcome: list[object] = []

    def client() -> None:
        try:
            outcome.append(fetch(web.url("trouble", "/slow?seconds=30")).status)
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    pause = threading.Event()
    for _ in range(400):  # until the server is waiting in /slow
        if web.in_flight("trouble") == 1:
            break
        pause.wait(0.025)
    assert web.in_flight("trouble") == 1
    web.stop()
    thread.join(timeout=15)  # far below the 30 s the request would otherwise take
    assert not thread.is_alive()
    assert outcome and outcome[0] != 200  # cut off, not answered
    assert all(site.base_url == "" for site in web.sites.values())


# ---- PDFs -------------------------------------------------------------------------------------

def test_pdf_round_trip_with_accents_metadata_and_pages():
    created = datetime(2025, 3, 14, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    paragraphs = [
        "Économie circulaire: café, Müller, façade, São João, Bjørvika, Ørsted (x) \\ done.",
        "Lietuvių kalba: žiedinė ekonomika, ąžuolas; Polski: łódź; 中文.",
    ] + [f"Paragraph {i}: " + "reuse repair recycle " * 60 for i in range(12)]
    data = make_pdf("Circulaire stad – een routekaart", "Afdeling Duurzaamheid", paragraphs, created, lang="nl")
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    doc = pypdfium2.PdfDocument(data)
    try:
        assert len(doc) >= 3
        meta = doc.get_metadata_dict()
        assert meta["Title"] == "Circulaire stad – een routekaart"
        assert meta["Author"] == "Afdeling Duurzaamheid"
        assert meta["CreationDate"].startswith("D:20250314090000+01'00'")
        text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()
    flat = " ".join(text.split())
    for word in ("Économie", "café", "Müller", "façade", "São João", "Bjørvika", "(x) \\ done."):
        assert word in flat, word
    # outside WinAnsiEncoding: base letters, or '?'
    assert "žiedine ekonomika, ažuolas" in flat and "lódz" in flat and "??" in flat
    assert "Paragraph 11:" in flat
    # every line fits the page: no word is cut by the right margin
    assert flat.count("reuse repair recycle") >= 12 * 59
    assert make_pdf("t", None, ["x"], created) == make_pdf("t", None, ["x"], created)


def test_pdf_cross_reference_table_points_at_the_objects():
    data = make_pdf("Title", "Author", ["one " * 400, "two"], datetime(2025, 1, 1, tzinfo=timezone.utc))
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF", data).group(1))
    assert data[startxref:].startswith(b"xref\n0 ")
    header = re.match(rb"xref\n0 (\d+)\n", data[startxref:])
    count = int(header.group(1))
    table = data[startxref + header.end():]
    entries = [table[i * 20:(i + 1) * 20] for i in range(count)]
    assert entries[0] == b"0000000000 65535 f \n"
    for number, entry in enumerate(entries[1:], start=1):
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj\n" % number), number


# ---- content ----------------------------------------------------------------------------------

def test_packaged_content_loads_for_every_site():
    content = load_content()
    assert set(content) == set(SITE_NAMES)
    languages = {a.lang for c in content.values() for a in c.articles}
    assert {"en", "nl", "pt", "it", "lt", "no"} <= languages
    assert sorted(p.name for p in CONTENT_DIR.glob("*.yaml"))


GOOD_ARTICLE = {
    "slug": "a-good-one", "lang": "en", "title": "A title", "published": "2025-01-02T10:00:00+01:00",
    "description": "Short.", "metadata": "full", "kind": "html", "body": "One.\n\nTwo.",
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"metadata": "some"}, "metadata: must be one of full, jsonld, none"),
        ({"kind": "doc"}, "kind: must be html or pdf"),
        ({"published": "2025-01-02T10:00:00"}, "published: '2025-01-02T10:00:00' needs a time zone"),
        ({"published": "yesterday"}, "published: 'yesterday' is not an ISO 8601 date"),
        ({"also_on": ["nowhere"]}, "also_on: 'nowhere' is not a fixture site"),
        ({"also_on": ["euhub"]}, "also_on: 'euhub' is the article's own site"),
        ({"colour": "red"}, "unknown key(s): colour"),
        ({"title": ""}, "title: must be a non-empty string"),
        ({"body": None}, "body: is required"),
        ({"updated": "2024-01-01T00:00:00Z"}, "updated: is earlier than published"),
    ],
)
def test_content_errors_name_the_file_and_the_article(tmp_path, change, message):
    article = {**GOOD_ARTICLE, **change}
    article = {k: v for k, v in article.items() if v is not None}
    (tmp_path / "euhub.yaml").write_text(
        yaml.safe_dump({"site": "euhub", "articles": [article]}), encoding="utf-8"
    )
    with pytest.raises(ContentError) as info:
        load_content(tmp_path)
    assert str(info.value).startswith("euhub.yaml: article 'a-good-one': ")
    assert message in str(info.value)


def test_content_errors_for_files_and_duplicates(tmp_path):
    def load(data: object) -> str:
        (tmp_path / "x.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        with pytest.raises(ContentError) as info:
            load_content(tmp_path)
        return str(info.value)

    assert "site: 'mars' is not one of" in load({"site": "mars", "articles": [GOOD_ARTICLE]})
    assert "articles: must be a non-empty list" in load({"site": "porto", "articles": []})
    assert "slug is used twice" in load({"site": "porto", "articles": [GOOD_ARTICLE, GOOD_ARTICLE]})
    (tmp_path / "x.yaml").write_text("site: porto\narticles: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"x.yaml: not valid YAML at line"):
        load_content(tmp_path)
    with pytest.raises(ContentError, match="already used on site 'euhub'"):
        parse_documents([
            ("a.yaml", {"site": "euhub", "articles": [GOOD_ARTICLE]}),
            ("b.yaml", {"site": "porto", "articles": [{**GOOD_ARTICLE, "also_on": ["euhub"]}]}),
        ])


def test_republication_can_use_another_slug():
    content = parse_documents([
        ("a.yaml", {"site": "euhub", "articles": [
            {**GOOD_ARTICLE, "kind": "pdf", "also_on": [{"site": "urbact", "slug": "other-name"}]}
        ]}),
    ])
    copy = content["urbact"].get("other-name")
    assert copy.origin == ("euhub", "a-good-one") and copy.body == GOOD_ARTICLE["body"]


def test_sample_content_serves_too(private_web):
    feed = feedparser.parse(fetch(private_web.url("urbact", "/news/atom.xml")).body)
    assert feed.version == "atom10" and feed.entries
    copy = private_web.url("urbact", "/library/roadmap-circular-cities.pdf")
    assert fetch(copy).body == fetch(private_web.url("euhub", "/files/circular-city-roadmap.pdf")).body


# ---- demo sources -----------------------------------------------------------------------------

def test_demo_sources_validate_and_point_at_the_live_sites(web, tmp_path):
    sources = web.demo_sources()
    ids = [s["id"] for s in sources]
    assert len(ids) == len(set(ids))
    assert {urlsplit(s.get("url") or s["start_urls"][0]).port for s in sources} == {
        urlsplit(web.sites[n].base_url).port for n in SITE_NAMES
    }
    for source in sources:
        model = SOURCE_ADAPTER.validate_python(source)
        target = str(model.url) if source["type"] != "crawl" else str(model.start_urls[0])
        assert fetch(target).status == 200
    assert {s["type"] for s in sources} == {"feed", "sitemap", "crawl"}
    crawl = next(s for s in sources if s["type"] == "crawl")
    assert set(crawl["selectors"]) == {"title", "date", "body", "author"}
    written = web.write_demo_sources(tmp_path / "sources")
    assert sorted(p.name for p in written) == sorted(f"{i}.yaml" for i in ids)
    for path in written:
        loaded = load_source_file(path)
        assert loaded.id == path.stem
    assert "trouble" not in " ".join(ids)
