"""The search UI and JSON API, through Flask's test client, on a real catalogue and a real
embedded index (resources in seven languages, inserted with put_resource and drained)."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

import feedparser
import lxml.html
import pytest

from config.settings import Settings
from indexer.backends.embedded import EmbeddedBackend
from search_ui import create_app
from search_ui.present import safe_href
from search_ui.state import SearchState, pagination, parse_query
from tests.browser_support import XSS_TITLE, XSS_URL, build_portal, serve_app
from werkzeug.datastructures import MultiDict


# -- fixtures and helpers ------------------------------------------------------------------------


def get_page(client, url: str, status: int = 200):
    resp = client.get(url)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "text/html"
    return lxml.html.fromstring(resp.get_data(as_text=True))


def get_json(client, url: str, status: int = 200) -> dict:
    resp = client.get(url)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/json"
    return resp.get_json()


def result_ids(doc) -> list[str]:
    return [li.get("data-resource-id") for li in doc.cssselect("ol.results > li.result")]


def facet(doc, name: str) -> dict[str, dict]:
    """{value: {"href", "count", "selected", "label"}} of one facet group on a page."""
    out = {}
    for a in doc.cssselect(f'a.facet-link[data-facet="{name}"]'):
        count = a.cssselect(".count")[0].text_content().split()[0].replace(",", "")
        out[a.get("data-value")] = {
            "href": a.get("href"),
            "count": int(count),
            "selected": a.get("data-selected") == "true",
            "label": a.cssselect(".facet-label")[0].text_content().strip(),
        }
    return out


def chips(doc) -> list[tuple[str, str, str]]:
    return [
        (li.get("data-facet"), li.get("data-value"), li.cssselect("a.chip-remove")[0].get("href"))
        for li in doc.cssselect("li.chip")
    ]


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def total_on_page(doc) -> int:
    strong = doc.cssselect("#result-summary strong")
    return int(strong[-1].text_content().replace(",", "")) if strong else 0


def newest_first(resources) -> list[str]:
    return [r.id for r in sorted(resources, key=lambda r: r.date, reverse=True)]


# -- the search page -------------------------------------------------------------------------------
def test_empty_query_lists_every_live_resource_newest_first(client, portal):
    doc = get_page(client, "/search?per_page=50")
    assert result_ids(doc) == newest_first(portal.live)
    assert total_on_page(doc) == len(portal.live) == 13
    assert doc.cssselect("h1")[0].text_content().strip() == "All resources"
    # The home page is the same listing, and the gone resource is not in it.
    home = get_page(client, "/")
    assert result_ids(home) == newest_first(portal.live)[:10]
    gone = portal.by_title("Old circular economy leaflet")
    assert gone.id not in result_ids(doc)
    assert gone.id in result_ids(get_page(client, "/search?per_page=50&include_gone=1"))


def test_results_show_what_a_user_needs(client, portal):
    doc = get_page(client, "/search?q=Amsterdam+strategie")
    r = portal.by_title("Amsterdam Circulair 2020-2025 Strategie")
    assert result_ids(doc)[0] == r.id
    li = doc.cssselect(f'li.result[data-resource-id="{r.id}"]')[0]
    title = li.cssselect("h2.result-title")[0]
    assert title.get("lang") == "nl"
    assert title.cssselect("a")[0].get("href") == r.url  # the canonical URL
    assert li.cssselect("a.details-link")[0].get("href") == f"/resource/{r.id}"
    meta = li.cssselect(".result-meta")[0].text_content()
    # a result in none of the user's languages says which it is in, in the interface language
    for expected in ("PDF", "Strategy / roadmap", "in Dutch", "Nederlands", "Apr 1, 2020",
                     "Gemeente Amsterdam", "URBACT"):
        assert expected in meta
    assert li.get("data-other-language") == "nl"
    assert li.cssselect("time")[0].get("datetime").startswith("2020-04-01")
    # A gone instance is not listed as a place to get it from.
    assert "European Circular Economy Stakeholder Platform" not in meta
    snippet = li.cssselect("p.snippet")[0]
    assert [m.text_content().lower() for m in snippet.cssselect("mark")]
    assert "ms" in doc.cssselect("#result-summary .took")[0].text_content()


def test_search_in_the_users_own_language(client, portal):
    doc = get_page(client, "/search?q=Kreislaufwirtschaft")
    german = {r.id for r in portal.live if r.language == "de"}
    assert set(result_ids(doc)) == german
    assert {h.get("lang") for h in doc.cssselect("h2.result-title")} == {"de"}


def test_page_and_api_agree(client):
    for qs in ("", "q=circular", "q=economie&language=fr&language=it", "q=circular&sort=date",
               "type=strategy&page=2&per_page=2", "q=waste&country=DE"):
        doc = get_page(client, f"/search?{qs}")
        data = get_json(client, f"/api/search?{qs}")
        assert result_ids(doc) == [r["id"] for r in data["results"]], qs
        assert total_on_page(doc) == data["total"], qs
        for name, values in data["facets"].items():
            assert {v["value"]: v["count"] for v in values} == {
                k: v["count"] for k, v in facet(doc, name).items()
            }, (qs, name)


def test_api_shape(client, portal):
    data = get_json(client, "/api/search?q=circulair&language=nl&per_page=5")
    assert list(data) == ["total", "page", "pages", "per_page", "took_ms", "relaxed", "suggestion",
                          "expansion", "query", "results", "facets"]
    assert data["expansion"] == []
    assert data["relaxed"] is None and data["suggestion"] is None
    assert (data["page"], data["per_page"], data["pages"]) == (1, 5, 1)
    assert data["query"]["q"] == "circulair"
    assert data["query"]["filters"] == {"language": ["nl"]}
    assert data["total"] == 2
    first = data["results"][0]
    assert set(first) == {"id", "title", "url", "summary", "snippet", "language", "published", "date",
                          "type", "themes", "format", "countries", "deadline", "start", "end",
                          "places", "instances", "resource_url"}
    assert first["resource_url"] == f"/resource/{first['id']}"
    assert "<mark>" in "".join(r["snippet"] for r in data["results"])
    assert list(data["facets"]) == ["language", "type", "theme", "country", "city", "source",
                                    "year"]
    assert {"value": "nl", "count": 2, "label": "Nederlands"} in data["facets"]["language"]
    sources = {v["value"]: v["label"] for v in data["facets"]["source"]}
    assert sources["amsterdam"] == "Gemeente Amsterdam"


def test_facets_in_order_with_labels(client):
    doc = get_page(client, "/search")
    headings = [h.text_content() for h in doc.cssselect("aside section.facet h3")]
    assert headings == ["Language", "Type", "Theme", "Country", "City", "Source", "Year"]
    langs = facet(doc, "language")
    assert langs["de"]["label"] == "Deutsch" and langs["pl"]["label"] == "Polski"
    assert facet(doc, "country")["EU"]["label"] == "European Union"
    assert facet(doc, "type")["good-practice"]["label"] == "Good practice / case study"
    years = list(facet(doc, "year"))
    assert years == sorted(years, reverse=True)


def test_facet_links_toggle_the_filter_in_the_url(client, portal):
    doc = get_page(client, "/search?q=circular")
    before = result_ids(doc)
    en = facet(doc, "language")["en"]
    assert not en["selected"]
    assert params(en["href"]) == {"q": ["circular"], "language": ["en"]}

    filtered = get_page(client, en["href"])
    ids = result_ids(filtered)
    assert ids and set(ids) <= set(before)
    assert {portal_lang(portal, i) for i in ids} == {"en"}
    assert facet(filtered, "language")["en"]["selected"]
    assert chips(filtered) == [("language", "en", "/search?q=circular")]
    # The same link again removes the filter.
    again = facet(filtered, "language")["en"]["href"]
    assert params(again) == {"q": ["circular"]}
    assert result_ids(get_page(client, again)) == before


def portal_lang(portal, rid: str) -> str:
    return next(r.language for r in portal.resources if r.id == rid)


def test_disjunctive_facet_counts(client, portal):
    all_langs = facet(get_page(client, "/search"), "language")
    assert all_langs["nl"]["count"] == 2 and all_langs["en"]["count"] == 4

    doc = get_page(client, "/search?language=nl")
    assert total_on_page(doc) == 2
    langs = facet(doc, "language")
    # Other languages keep their counts: selecting one more widens the results (OR).
    assert {k: v["count"] for k, v in langs.items()} == {k: v["count"] for k, v in all_langs.items()}
    assert langs["nl"]["selected"] and not langs["fr"]["selected"]
    # Other facets are counted within the selection (AND).
    assert {k: v["count"] for k, v in facet(doc, "type").items()} == {"strategy": 1, "guide": 1}

    both = get_page(client, langs["fr"]["href"])
    assert params(langs["fr"]["href"])["language"] == ["nl", "fr"]
    assert total_on_page(both) == 4
    assert {portal_lang(portal, i) for i in result_ids(both)} == {"nl", "fr"}


def test_chips_remove_one_filter_or_all(client):
    doc = get_page(client, "/search?q=circular&language=en&type=guide&sort=date")
    assert [(f, v) for f, v, _ in chips(doc)] == [("language", "en"), ("type", "guide")]
    remove = dict(((f, v), href) for f, v, href in chips(doc))
    assert params(remove[("language", "en")]) == {"q": ["circular"], "type": ["guide"], "sort": ["date"]}
    assert params(remove[("type", "guide")]) == {"q": ["circular"], "language": ["en"], "sort": ["date"]}
    clear = doc.cssselect("a.clear-all")[0].get("href")
    assert params(clear) == {"q": ["circular"], "sort": ["date"]}
    assert not chips(get_page(client, clear))
    # The search form keeps the filters for the next query.
    hidden = {(i.get("name"), i.get("value")) for i in doc.cssselect("form.search-form input[type=hidden]")}
    assert hidden == {("language", "en"), ("type", "guide"), ("sort", "date")}


def test_selected_value_stays_visible_with_zero_count_and_no_results_helps(client):
    doc = get_page(client, "/search?language=nl&type=report")
    assert result_ids(doc) == []
    langs = facet(doc, "language")
    assert langs["nl"]["selected"] and langs["nl"]["count"] == 0
    empty = doc.cssselect("div.empty")[0]
    assert "No resources match" in empty.text_content()
    links = {a.get("href") for a in empty.cssselect("a")}
    assert "/search?type=report" in links and "/search?language=nl" in links and "/search" in links


def test_pagination_walks_every_result_once(client, portal):
    seen: list[str] = []
    url = "/search?per_page=5"
    pages_seen = 0
    while url:
        doc = get_page(client, url)
        pages_seen += 1
        seen += result_ids(doc)
        nav = doc.cssselect('nav[aria-label="Pagination"]')[0]
        current = nav.cssselect('a[aria-current="page"]')
        assert [a.text_content().strip() for a in current] == [f"Page {pages_seen}"]
        nxt = nav.cssselect('a[rel="next"]')
        url = nxt[0].get("href") if nxt else None
        if pages_seen > 1:
            assert params(nav.cssselect('a[rel="prev"]')[0].get("href")).get("page", ["1"]) == [str(pages_seen - 1)]
    assert pages_seen == 3
    assert seen == newest_first(portal.live)
    # Past the last page: a page that says so and links back, not an error.
    doc = get_page(client, "/search?per_page=5&page=7")
    assert result_ids(doc) == []
    assert "no results on page 7" in doc.cssselect("div.empty")[0].text_content()


def test_pagination_links_are_bounded():
    assert pagination(1, 1) == [1]
    assert pagination(1, 3) == [1, 2, 3]
    assert pagination(7, 20) == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert pagination(1, 1000) == [1, 2, 3, None, 1000]
    assert pagination(4, 9) == [1, 2, 3, 4, 5, 6, None, 9]  # a one-page gap shows that page


def test_sort_switch(client):
    relevance = get_json(client, "/api/search?q=circular+economy")
    by_date = get_json(client, "/api/search?q=circular+economy&sort=date")
    assert {r["id"] for r in relevance["results"]} == {r["id"] for r in by_date["results"]}
    dates = [r["date"] for r in by_date["results"]]
    assert dates == sorted(dates, reverse=True)
    assert by_date["query"]["sort"] == "date"

    doc = get_page(client, "/search?q=circular+economy&language=en")
    form = doc.cssselect("form.sort-form")[0]
    assert form.get("method") == "get" and form.get("action") == "/search"
    hidden = {(i.get("name"), i.get("value")) for i in form.cssselect("input[type=hidden]")}
    assert hidden == {("q", "circular economy"), ("language", "en")}
    options = {o.get("value"): o.get("selected") is not None for o in form.cssselect("select[name=sort] option")}
    assert options == {"relevance": True, "date": False, "deadline": False}
    assert form.cssselect("button[type=submit]")  # works without JavaScript


def test_url_state_round_trips():
    args = MultiDict([("q", " circular "), ("language", "nl"), ("language", "fr"), ("utm_source", "x"),
                      ("page", "3"), ("sort", "date")])
    q = parse_query(args)
    assert (q.text, q.filters, q.page, q.sort) == ("circular", {"language": ["nl", "fr"]}, 3, "date")
    state = SearchState(q)
    assert state.url() == "/search?q=circular&language=nl&language=fr&sort=date&page=3"
    assert state.toggle_url("language", "nl") == "/search?q=circular&language=fr&sort=date"
    assert state.toggle_url("year", "2024") == "/search?q=circular&language=nl&language=fr&year=2024&sort=date"
    assert parse_query(MultiDict(parse_qs(urlsplit(state.url()).query))).filters == q.filters


# -- the resource page ---------------------------------------------------------------------------
def test_resource_page_lists_every_instance(client, portal):
    r = portal.by_title("Amsterdam Circulair 2020-2025 Strategie")
    doc = get_page(client, f"/resource/{r.id}")
    assert doc.cssselect("h1")[0].text_content() == r.title
    rows = doc.cssselect("table.instances tbody tr")
    got = [
        (
            row.cssselect("th")[0].text_content(),
            row.cssselect("td.instance-url a")[0].get("href"),
            [t.get("datetime")[:10] for t in row.cssselect("time")],
            row.cssselect(".status")[0].text_content(),
        )
        for row in rows
    ]
    assert got == [
        ("Gemeente Amsterdam", "https://www.amsterdam.nl/circulaire-strategie", ["2024-01-01", "2024-06-01"], "Live"),
        ("URBACT", "https://urbact.eu/amsterdam-circular-strategy", ["2024-01-02", "2024-06-02"], "Live"),
        ("European Circular Economy Stakeholder Platform", "https://circulareconomy.europa.eu/platform/amsterdam",
         ["2024-01-03", "2024-06-03"], "Gone"),
    ]
    details = {dt.text_content(): (dd.cssselect("a") or [dd])[0].text_content() for dt, dd in
               zip(doc.cssselect("dl.details dt"), doc.cssselect("dl.details dd"))}
    assert details["Publisher"] == "Gemeente Amsterdam"
    assert details["Author"] == "Afdeling Duurzaamheid"
    assert details["Published"] == "Apr 1, 2020"  # the English way; see test_i18n for others
    assert details["Language"] == "Nederlands"
    assert details["Type"] == "Strategy / roadmap"
    assert details["Format"] == "PDF"
    assert details["Licence"] == "CC BY 4.0"
    assert details["City"] == "Amsterdam" and details["Country"] == "Netherlands"
    theme_links = doc.xpath('//dt[.="Themes"]/following-sibling::dd[1]//a')
    assert [a.get("href") for a in theme_links] == ["/search?theme=construction", "/search?theme=food-waste"]
    assert all(a.text_content().strip() for a in theme_links)
    excerpt = doc.cssselect("div.excerpt p")
    assert [p.text_content() for p in excerpt][0] == "Amsterdam wil in 2050 volledig circulair zijn."
    assert doc.cssselect("a.button")[0].get("href") == r.url


def test_resource_that_is_gone_everywhere_says_so(client, portal):
    r = portal.by_title("Old circular economy leaflet")
    doc = get_page(client, f"/resource/{r.id}")
    assert "no longer available" in doc.cssselect("p.notice")[0].text_content()


def test_resource_api_is_the_full_record(client, portal):
    r = portal.by_title("Circular procurement guide for cities")
    data = get_json(client, f"/api/resource/{r.id}")
    assert data["id"] == r.id and data["body"] == r.body
    assert [i["url"] for i in data["instances"]] == [i.url for i in r.instances]
    assert data["published"] == "2022-09-01T00:00:00Z"
    assert "error" in get_json(client, "/api/resource/doesnotexist", 404)


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "qs, reason",
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=99999", "page"),
        ("page=" + "9" * 5000, "page"),
        ("per_page=1000", "per_page"),
        ("sort=popular", "sort"),
        ("year=last", "year"),
        ("q=" + "x" * 501, "too long"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(client, qs, reason):
    resp = client.get(f"/search?{qs}")
    assert resp.status_code == 400
    doc = lxml.html.fromstring(resp.get_data(as_text=True))
    assert reason in doc.cssselect(".error-message")[0].text_content()
    data = get_json(client, f"/api/search?{qs}", 400)
    assert list(data) == ["error"] and reason in data["error"]
    assert client.get(f"/search.atom?{qs}").status_code == 400


def test_unknown_pages_are_404(client):
    doc = get_page(client, "/nothing/such/page", 404)  # (/no/… is the Norwegian interface)
    assert doc.cssselect("h1")[0].text_content() == "Page not found"
    get_page(client, "/resource/0123456789abcdef0123", 404)
    get_page(client, "/resource/" + "x" * 300, 404)
    assert "error" in get_json(client, "/api/nothing-here", 404)


# -- untrusted harvested text --------------------------------------------------------------------
def all_hrefs(doc) -> list[str]:
    return [el.get("href") for el in doc.iter() if el.get("href") is not None]


def assert_inert(html: str) -> None:
    doc = lxml.html.fromstring(html)
    assert "<script>alert" not in html
    assert all(s.get("src") == "/static/app.js" and not (s.text or "").strip()
               for s in doc.iter("script")), "only our own script file may run"
    assert not doc.cssselect("img"), "harvested markup must not become elements"
    for el in doc.iter():
        assert not any(name.startswith("on") for name in el.attrib), lxml.html.tostring(el)
        assert el.get("style") is None  # the CSP forbids inline styles anyway
    for href in all_hrefs(doc):
        assert href.startswith(("/", "#", "http://", "https://")), href


def test_harvested_markup_and_javascript_urls_are_inert(client, portal):
    xss = portal.by_title(XSS_TITLE)
    for url in ("/search?q=circular", "/search?q=attack+onerror", "/search?q=hack", f"/resource/{xss.id}",
                "/search?per_page=50"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert_inert(resp.get_data(as_text=True))
    doc = get_page(client, "/search?q=hack")
    li = doc.cssselect(f'li.result[data-resource-id="{xss.id}"]')[0]
    title_link = li.cssselect("h2 a")[0]
    assert title_link.text_content().strip() == XSS_TITLE  # shown as text…
    assert title_link.get("href") == f"/resource/{xss.id}"  # …and its javascript: URL is not a link
    page = get_page(client, f"/resource/{xss.id}")
    assert page.cssselect("td.instance-url .inert-url")[0].text_content() == XSS_URL
    assert not page.cssselect("a.button")
    snippet = get_json(client, "/api/search?q=attack")["results"][0]["snippet"]
    assert "&lt;img" in snippet and "<img" not in snippet


def test_safe_href_only_allows_http_and_https():
    assert safe_href("https://urbact.eu/x?a=1") == "https://urbact.eu/x?a=1"
    assert safe_href(" http://example.org/ ") == "http://example.org/"
    assert safe_href("https://example.org/a file.pdf") == "https://example.org/a file.pdf"
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                "\x01javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x",
                "//evil.example/", "/relative", "https:", "", None, 42):
        assert safe_href(bad) is None, bad


# -- Atom ----------------------------------------------------------------------------------------
def test_search_as_atom_feed(client, portal):
    resp = client.get("/search.atom?q=circular&language=en")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    feed = feedparser.parse(resp.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert "circular" in feed.feed.title and "English" in feed.feed.title
    api = get_json(client, "/api/search?q=circular&language=en&per_page=30")
    assert [e.id.rsplit("/", 1)[-1] for e in feed.entries] == [r["id"] for r in api["results"]]
    by_id = {e.id.rsplit("/", 1)[-1]: e for e in feed.entries}
    xss = portal.by_title(XSS_TITLE)
    assert by_id[xss.id].title == XSS_TITLE  # escaped in XML, literal text to the reader
    assert by_id[xss.id].link == f"http://localhost/resource/{xss.id}"  # never the javascript: URL
    guide = portal.by_title("Circular procurement guide for cities")
    assert by_id[guide.id].link == guide.url
    for e in feed.entries:
        assert e.updated and e.id.startswith("http://localhost/resource/")
    ET.fromstring(resp.data)  # well-formed XML


# -- health, availability, headers ---------------------------------------------------------------
def test_healthz_ok(client):
    data = get_json(client, "/healthz")
    assert data["status"] == "ok"
    assert "14 resources" in data["catalogue"] and "14 documents" in data["index"]


def test_broken_index_is_503_not_500(tmp_path, portal):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / "CURRENT").write_text("{not json")
    app = create_app({"TESTING": True}, settings=portal.settings, catalogue=portal.catalogue,
                     backend=EmbeddedBackend(index_dir))
    c = app.test_client()
    resp = c.get("/healthz")
    assert resp.status_code == 503
    data = resp.get_json()
    assert data["status"] == "unavailable" and "CURRENT" in data["index"]
    resp = c.get("/search?q=circular")
    assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit()
    assert "temporarily unavailable" in resp.get_data(as_text=True)
    resp = c.get("/api/search?q=circular")
    assert resp.status_code == 503 and "unavailable" in resp.get_json()["error"]
    # The catalogue still answers: a resource page does not need the index.
    r = portal.live[0]
    assert c.get(f"/resource/{r.id}").status_code == 200


def test_app_built_from_settings_alone(tmp_path, portal):
    """No injection: catalogue and index come from the settings' data directory."""
    app = create_app({"TESTING": True}, settings=Settings.from_env({}, data_dir=portal.settings.data_dir))
    c = app.test_client()
    assert get_json(c, "/healthz")["status"] == "ok"
    assert get_json(c, "/api/search?language=de")["total"] == 2
    # A fresh data directory has no index: search says so (503, how to build it), never
    # an empty portal, and the health check agrees.
    empty = create_app({"TESTING": True}, settings=Settings.from_env({}, data_dir=tmp_path / "fresh"))
    ce = empty.test_client()
    missing = ce.get("/api/search")
    assert missing.status_code == 503 and "ccp index rebuild" in missing.get_json()["error"]
    assert ce.get("/healthz").status_code == 503


def test_security_headers_and_accessible_structure(client):
    resp = client.get("/search?q=circular&per_page=2")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    doc = lxml.html.fromstring(resp.get_data(as_text=True))
    assert doc.get("lang") == "en"
    for landmark in ("header", "nav", "main", "aside", "footer"):
        assert doc.cssselect(landmark), landmark
    skip = doc.cssselect("a.skip-link")[0]
    assert doc.cssselect(skip.get("href"))  # the skip link has a target
    box = doc.cssselect("input#q")[0]
    assert doc.cssselect('label[for="q"]') and box.get("name") == "q"
    assert doc.cssselect('label[for="sort"]')
    for group in doc.cssselect("aside section.facet"):
        assert group.cssselect("h3") and group.cssselect("ul > li > a")
    assert doc.cssselect('nav[aria-label="Pagination"] a[aria-current="page"]')
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/app.js").status_code == 200


def test_results_json_outside_a_request(portal):
    """`ccp search --json` prints the API document without a web app around it."""
    from indexer.query import SearchQuery
    from search_ui.api import results_json

    data = results_json(portal.backend.search(SearchQuery("Kreislaufwirtschaft")))
    assert data["total"] == 2
    assert all(r["resource_url"] == f"/resource/{r['id']}" for r in data["results"])
    assert {v["value"]: v["label"] for v in data["facets"]["language"]} == {"de": "Deutsch"}


def test_wsgi_app_is_built_lazily_from_the_environment(monkeypatch, portal):
    import search_ui.wsgi as wsgi

    monkeypatch.setenv("CCP_DATA_DIR", str(portal.settings.data_dir))
    monkeypatch.setattr(wsgi, "_app", None)
    app = wsgi.app
    assert wsgi.app is app
    assert app.extensions["ccp"].settings.data_dir == portal.settings.data_dir
    assert get_json(app.test_client(), "/api/search?q=Kreislaufwirtschaft")["total"] == 2


def test_served_over_real_http(app):
    """The same app behind waitress (what `ccp serve` runs), over a real socket."""
    with serve_app(app) as base:
        with urllib.request.urlopen(f"{base}/api/search?q=Kreislaufwirtschaft", timeout=10) as resp:
            data = json.load(resp)
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as resp:
            assert resp.status == 200
    assert data["total"] == 2



def test_atom_feed_carries_feed_size_entries_not_one_page(client, portal):
    feed = feedparser.parse(client.get("/search.atom?q=").data)
    assert len(feed.entries) == len(portal.live) > 10  # CCP_FEED_SIZE (30), not CCP_PER_PAGE (10)


def test_the_search_mode_is_in_the_url_and_kept_by_every_link(client):
    doc = get_page(client, "/search?q=circular&mode=lexical")
    hidden = {i.get("name"): i.get("value") for i in doc.cssselect("form.search-form input[type=hidden]")}
    assert hidden.get("mode") == "lexical"
    facet_links = [a.get("href") for a in doc.cssselect("a.facet-link")]
    assert facet_links and all("mode=lexical" in h for h in facet_links)
    # the default (hybrid: words and meaning) is left out of the URLs
    assert all("mode=" not in a.get("href") for a in get_page(client, "/search?q=circular")
               .cssselect("a.facet-link"))
    assert get_json(client, "/api/search?q=circular&mode=lexical")["total"] >= 1
    bad = get_json(client, "/api/search?q=circular&mode=telepathy", 400)
    assert "hybrid, lexical, dense" in bad["error"]
