"""The portal in open standards, checked with third-party readers over real HTTP: schema.org
JSON-LD (pyld), the sitemap (Scrapy's parser, and a harvest by the portal's own ``sitemap``
source type), robots.txt (protego, urllib.robotparser), the OpenSearch description and its
suggestions, the OpenAPI 3.1 description (openapi-spec-validator, real answers checked against
its schemas with jsonschema) and CORS on the read-only API."""

from __future__ import annotations

import json
import math
import urllib.robotparser
from datetime import datetime
from urllib.parse import quote

import feedparser
import lxml.etree
import lxml.html
import pytest
from openapi_spec_validator import validate as validate_openapi
from protego import Protego
from pyld import jsonld
from scrapy.utils.sitemap import Sitemap
from sqlalchemy import select

from indexer.backends.embedded import EmbeddedBackend
from indexer.catalogue import Catalogue
from indexer.catalogue.tables import resources_t
from search_ui import create_app
from search_ui.state import parse_query
from tests.browser_support import sample_resources, serve_app
from tests.conftest import harvest, make_settings, write_sources
from tests.es_support import drop as drop_es_backend
from tests.es_support import es_url  # noqa: F401  (session fixture of titled_backend)
from tests.es_support import make_backend as make_es_backend
from tests.open_standards_support import (
    PG_URL,
    SCRIPT_TITLE,
    S,
    arguments_read_by,
    asked_for,
    build_open_portal,
    check,
    expand_node,
    extra_resources,
    fetch,
    get,
    offline_loader,
    page_jsonld,
    pg_database,
    values,
)


@pytest.fixture(scope="module", params=["sqlite"] + (["postgresql"] if PG_URL else []))
def portal(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("open")
    if request.param == "sqlite":
        p = build_open_portal(data_dir)
        yield p
        p.close()
        return
    with pg_database(PG_URL) as url:
        p = build_open_portal(data_dir, url)
        yield p
        p.close()


@pytest.fixture(scope="module")
def base(portal):
    app = create_app({"TESTING": True}, settings=portal.settings, catalogue=portal.catalogue,
                     backend=portal.backend)
    with serve_app(app) as url:
        yield url


# -- schema.org JSON-LD -----------------------------------------------------------------------
def test_every_resource_page_has_schema_org_json_ld_that_a_processor_expands(base, portal):
    for r in portal.resources:
        data, expanded = page_jsonld(base, r.id)
        assert len(expanded) == 1, r.title
        node = expanded[0]
        assert node["@id"] == f"{base}/resource/{r.id}"
        assert values(node, "url") == [f"{base}/resource/{r.id}"]
        assert values(node, "name") == [r.title]
        if r.language:
            assert values(node, "inLanguage") == [r.language]
        same = [i.url for i in r.instances if i.url.startswith("http")]
        assert sorted(values(node, "sameAs")) == sorted(set(same) | (
            {r.url} if r.url.startswith("http") else set()))
    assert set(asked_for) <= {"https://schema.org/"}


def test_types_and_properties_follow_the_resource_type(base, portal):
    by_title = {r.title: r for r in portal.resources}

    def node(title):
        return page_jsonld(base, by_title[title].id)[1][0]

    strategy = node("Amsterdam Circulair 2020-2025 Strategie")
    assert strategy["@type"] == [S + "Report"]
    assert values(strategy, "encodingFormat") == ["application/pdf"]
    assert values(strategy, "license") == ["https://creativecommons.org/licenses/by/4.0/"]
    assert values(strategy, "datePublished") == ["2020-04-01T00:00:00Z"]
    publisher = strategy[S + "publisher"][0]
    assert publisher["@type"] == [S + "Organization"]
    assert values(publisher, "name") == ["Gemeente Amsterdam"]
    about = strategy[S + "about"]
    assert {a["@type"][0] for a in about} == {S + "DefinedTerm"}
    assert {values(a, "termCode")[0]: values(a, "name")[0] for a in about} == {
        "construction": "Buildings & construction", "food-waste": "Food waste"}
    place = strategy[S + "spatialCoverage"][0]
    assert place["@type"] == [S + "Place"] and values(place, "name") == ["Amsterdam"]
    assert values(place[S + "address"][0], "addressCountry") == ["NL"]

    event = node("Circular Week Berlin 2025")
    assert event["@type"] == [S + "Event"]
    assert values(event, "startDate") == ["2025-03-03T08:00:00Z"]
    assert values(event, "endDate") == ["2025-03-07T16:00:00Z"]
    assert values(event[S + "location"][0], "name") == ["Berlin"]
    assert values(event[S + "organizer"][0], "name") == ["Berlin.de"]

    call = node("Call for circular cities networks")
    assert set(call["@type"]) == {S + "Grant", S + "CreativeWork"}
    assert values(call, "expires") == ["2030-04-30T21:59:59Z"]
    assert values(call, "license") == ["https://creativecommons.org/licenses/by-sa/4.0/"]

    assert node("Rifiuti urbani di Milano")["@type"] == [S + "Dataset"]
    news = [r for r in portal.resources if r.type == "news"]
    assert news and all(node(r.title)["@type"] == [S + "NewsArticle"] for r in news)
    country_only = next(r for r in portal.resources
                        if r.places and not any(p.city for p in r.places))
    covered = node(country_only.title)[S + "spatialCoverage"]
    assert {c["@type"][0] for c in covered} <= {S + "Country", S + "AdministrativeArea"}


def test_event_dates_and_a_calls_deadline_are_in_the_json_ld():
    event, call, *_ = extra_resources()
    node = expand_node(event)
    assert values(node, "startDate") == ["2025-03-03T08:00:00Z"]
    assert values(node, "endDate") == ["2025-03-07T16:00:00Z"]
    assert S + "spatialCoverage" not in node and S + "datePublished" not in node  # not an Event's
    node = expand_node(call)
    assert values(node, "expires") == ["2030-04-30T21:59:59Z"]
    action = node[S + "potentialAction"][0]
    assert action["@type"] == [S + "ApplyAction"]
    assert values(action, "endTime") == ["2030-04-30T21:59:59Z"]
    assert values(node[S + "funder"][0], "name") == ["URBACT"]


def test_places_found_in_the_text_are_places_of_their_kind_with_their_geonames_link():
    from indexer.resource import Place

    r = extra_resources()[2]
    r.places = [Place(country="LT", name="Kaunas County", kind="region", origin="text"),
                Place(country="IT", city="Milano", name="Milano", kind="city", geonameid=3173435,
                      origin="text"),
                Place(country="BE", name="Belgium", kind="country", origin="text")]
    region, city, country = expand_node(r)[S + "spatialCoverage"]
    assert region["@type"] == [S + "AdministrativeArea"]
    assert values(region, "name") == ["Kaunas County"]
    assert city["@type"] == [S + "Place"] and values(city, "name") == ["Milano"]
    assert values(city, "sameAs") == ["https://sws.geonames.org/3173435/"]
    assert country["@type"] == [S + "Country"] and values(country, "identifier") == ["BE"]


def test_the_front_page_describes_the_site_and_its_search(base):
    _, body = get(f"{base}/")
    (script,) = lxml.html.fromstring(body).xpath('//script[@type="application/ld+json"]')
    node = jsonld.expand(json.loads(script.text), {"documentLoader": offline_loader})[0]
    assert node["@type"] == [S + "WebSite"] and node["@id"] == f"{base}/"
    action = node[S + "potentialAction"][0]
    assert action["@type"] == [S + "SearchAction"]
    template = values(action[S + "target"][0], "urlTemplate")[0]
    page = lxml.html.fromstring(get(template.replace("{search_term_string}", "circular"))[1])
    assert page.cssselect("ol.results > li.result")
    # a search's page is not the site's front page
    assert not lxml.html.fromstring(get(f"{base}/search?q=circular")[1]).xpath(
        '//script[@type="application/ld+json"]')


def test_a_title_holding_a_closing_script_tag_stays_inside_the_json(base, portal):
    r = next(r for r in portal.resources if r.title == SCRIPT_TITLE)
    _, body = get(f"{base}/resource/{r.id}")
    head = body.decode().split("</head>")[0]
    assert "</script><script>alert" not in head
    data, expanded = page_jsonld(base, r.id)
    assert data["name"] == SCRIPT_TITLE  # the same text once the JSON is read
    assert expanded[0]["@type"] == [S + "CreativeWork"]  # a guide


# -- sitemap.xml and robots.txt -------------------------------------------------------------------
def live_pages(base: str, portal) -> set[str]:
    return {f"{base}/resource/{r.id}" for r in portal.live}


def test_sitemap_lists_every_live_resource_page_with_its_lastmod(base, portal):
    headers, body = get(f"{base}/sitemap.xml")
    assert headers.get_content_type() == "application/xml"
    sitemap = Sitemap(body)
    assert sitemap.type == "urlset"
    entries = list(sitemap)
    locs = {e["loc"] for e in entries}
    assert locs - {f"{base}/"} == live_pages(base, portal)
    gone = [r for r in portal.resources if not r.live_instances]
    assert gone and not {f"{base}/resource/{r.id}" for r in gone} & locs
    for e in entries:
        if "/resource/" in e["loc"]:
            datetime.fromisoformat(e["lastmod"].replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def small_sitemaps(portal):
    """The same portal with sitemaps of at most 4 pages: /sitemap.xml becomes an index."""
    app = create_app({"TESTING": True, "CCP_SITEMAP_SIZE": 4}, settings=portal.settings,
                     catalogue=portal.catalogue, backend=portal.backend)
    with serve_app(app) as url:
        yield url


def test_a_large_catalogue_gets_a_sitemap_index_of_numbered_sitemaps(small_sitemaps, portal):
    base = small_sitemaps
    _, body = get(f"{base}/sitemap.xml")
    index = Sitemap(body)
    assert index.type == "sitemapindex"
    children = [e["loc"] for e in index]
    assert children == [f"{base}/sitemap-{n}.xml"
                        for n in range(1, math.ceil(len(portal.resources) / 4) + 1)]
    seen: list[str] = []
    for child in children:
        part = Sitemap(get(child)[1])
        assert part.type == "urlset"
        locs = [e["loc"] for e in part]
        assert len(locs) <= 4
        seen += locs
    assert len(seen) == len(set(seen)) and set(seen) == live_pages(base, portal)
    get(f"{base}/sitemap-{len(children) + 1}.xml", status=404)
    get(f"{base}/sitemap-0.xml", status=404)


def test_sitemaps_read_in_keyset_batches_miss_and_repeat_nothing(small_sitemaps, portal,
                                                                  monkeypatch):
    """Batches smaller than a child sitemap: every batch boundary inside a child is crossed."""
    from search_ui import sitemaps

    monkeypatch.setattr(sitemaps, "BATCH", 3)
    whole = [rid for rid, _ in sitemaps.iter_pages(portal.catalogue.engine)]
    assert len(whole) == len(set(whole)) == len(portal.live) and whole == sorted(whole)
    seen = []
    for n in range(1, math.ceil(len(portal.resources) / 4) + 1):
        seen += [e["loc"] for e in Sitemap(get(f"{small_sitemaps}/sitemap-{n}.xml")[1])]
    assert sorted(seen) == sorted(live_pages(small_sitemaps, portal))


def test_the_portals_own_sitemap_source_harvests_the_portal(small_sitemaps, portal, tmp_path):
    """Another portal adds this one as a ``sitemap`` source (through its sitemap index and
    robots.txt) and gets every live resource page, titled as here."""
    base = small_sitemaps
    settings = make_settings(tmp_path / "mirror")
    write_sources(tmp_path / "mirror" / "sources", [
        {"id": "portal", "name": "The portal", "type": "sitemap", "url": f"{base}/sitemap.xml"}])
    report = harvest(settings, workers=0)
    assert report.status == "finished", report
    assert not [e for s in report.sources for e in s.errors]
    cat = Catalogue(settings.catalogue_url)
    try:
        with cat.engine.connect() as c:
            rows = c.execute(select(resources_t.c.url, resources_t.c.title)).all()
    finally:
        cat.close()
    assert {url for url, _ in rows} == live_pages(base, portal)
    titles = {r.title for r in portal.live}
    assert sum(title in titles for _, title in rows) >= len(rows) - 1  # the XSS page has none


def test_robots_txt_lets_crawlers_read_resources_not_the_admin_or_endless_searches(base, portal):
    headers, body = get(f"{base}/robots.txt")
    assert headers.get_content_type() == "text/plain"
    text = body.decode()
    rid = portal.live[1].id
    rp = Protego.parse(text)
    assert list(rp.sitemaps) == [f"{base}/sitemap.xml"]
    for path in (f"/resource/{rid}", f"/fr/resource/{rid}", "/", "/sitemap.xml",
                 "/oai?verb=ListRecords&metadataPrefix=oai_dc"):  # there to be harvested
        assert rp.can_fetch(base + path, "SomeBot"), path
    for path in ("/admin/", "/admin/login", "/search?q=x", "/search?theme=a&type=b&country=NL",
                 "/?q=waste&language=nl", "/lt/search?theme=food-waste", "/api/search?q=x",
                 "/nl/admin/"):
        assert not rp.can_fetch(base + path, "SomeBot"), path
    std = urllib.robotparser.RobotFileParser()
    std.parse(text.splitlines())
    assert std.can_fetch("SomeBot", f"{base}/resource/{rid}")
    assert std.can_fetch("SomeBot", f"{base}/oai?verb=Identify")
    assert not std.can_fetch("SomeBot", f"{base}/admin/")
    assert not std.can_fetch("SomeBot", f"{base}/search?theme=a&type=b")
    assert std.site_maps() == [f"{base}/sitemap.xml"]


# -- OpenSearch and suggestions ---------------------------------------------------------------
OS = "{http://a9.com/-/spec/opensearch/1.1/}"


def test_every_page_links_the_opensearch_description(base, portal):
    for path in ("/", "/search?q=circular", f"/resource/{portal.live[0].id}", "/api/docs",
                 "/resource/nope", "/fr/search"):
        code, _, body = fetch(base + path)
        links = lxml.html.fromstring(body).xpath('//head/link[@rel="search"]')
        assert len(links) == 1, path
        assert links[0].get("type") == "application/opensearchdescription+xml"
        assert links[0].get("href").endswith("/opensearch.xml")


def _fill(template: str, terms: str) -> str:
    url = template.replace("{searchTerms}", quote(terms))
    for optional, value in (("{startPage?}", "1"), ("{count?}", "5")):
        url = url.replace(optional, value)
    assert "{" not in url, url
    return url


def test_opensearch_description_templates_answer_in_their_formats(base):
    headers, body = get(f"{base}/opensearch.xml")
    assert headers.get_content_type() == "application/opensearchdescription+xml"
    root = lxml.etree.fromstring(body)
    assert root.tag == OS + "OpenSearchDescription"
    assert 0 < len(root.findtext(OS + "ShortName")) <= 16
    urls = {u.get("type"): u.get("template") for u in root.findall(OS + "Url")}
    assert set(urls) >= {"text/html", "application/atom+xml", "application/json",
                         "application/x-suggestions+json"}
    html_headers, page = get(_fill(urls["text/html"], "circular"))
    assert html_headers.get_content_type() == "text/html"
    assert lxml.html.fromstring(page).cssselect("ol.results > li.result")
    feed = feedparser.parse(get(_fill(urls["application/atom+xml"], "circular"))[1])
    assert not feed.bozo and feed.entries
    found = json.loads(get(_fill(urls["application/json"], "circular"))[1])
    assert found["total"] > 0 and len(found["results"]) <= 5
    q, words, notes, links = json.loads(get(_fill(urls["application/x-suggestions+json"],
                                                  "amst"))[1])
    assert q == "amst" and "Amsterdam Circulair 2020-2025 Strategie" in words
    assert len(words) == len(notes) == len(links)


def suggest(base: str, q: str, **params) -> list:
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    headers, body = get(f"{base}/api/suggest?q={quote(q)}{extra}")
    assert headers.get_content_type() == "application/x-suggestions+json"
    return json.loads(body)


def test_suggestions_complete_titles_concepts_in_every_language(base, portal):
    q, words, notes, links = suggest(base, "amst")
    amsterdam = [r for r in portal.live if r.title.lower().startswith("amst")]
    for r in amsterdam:
        assert r.title in words
        assert links[words.index(r.title)] == f"{base}/resource/{r.id}"
    # a word inside a title
    assert "Handreiking circulair inkopen voor gemeenten" in suggest(base, "inkop")[1]
    # the taxonomy's labels in other languages, leading to the filtered search
    _, words, notes, links = suggest(base, "maisto")
    assert "Maisto švaistymas" in words  # Lithuanian label of food waste
    link = links[words.index("Maisto švaistymas")]
    assert link == f"{base}/search?theme=food-waste"
    assert get(link)[0].get_content_type() == "text/html"
    assert "Lebensmittelverschwendung" in suggest(base, "LEBENSMITTELV")[1]  # case ignored
    # places from the gazetteer, in the names of every language
    _, words, notes, links = suggest(base, "kaun")
    assert "Kaunas" in words and notes[words.index("Kaunas")] == "City, Lithuania"
    assert links[words.index("Kaunas")] == f"{base}/search?q=Kaunas"
    assert "Brussels" in suggest(base, "Bruxel")[1]
    assert not [n for n in suggest(base, "circ")[2] if n.startswith("City")]  # no odd spellings
    # a gone resource is not suggested
    gone = next(r for r in portal.resources if not r.live_instances)
    assert gone.title not in suggest(base, gone.title[:6])[1]


def test_title_suggestions_complete_the_last_word_of_a_phrase(base, portal):
    # the index's phrase-prefix query: the words in a row, the last one begun, accents aside
    assert suggest(base, "circular proc")[1][:1] == ["Circular procurement guide for cities"]
    assert "Plan économie circulaire de Paris" in suggest(base, "Economie circ")[1]
    assert "Circular procurement guide for cities" not in suggest(base, "proc circular")[1]


@pytest.fixture(params=["embedded", "elasticsearch"])
def titled_backend(request, tmp_path):
    """Each search backend with the sample resources (Elasticsearch: the session's server)."""
    if request.param == "elasticsearch":
        backend = make_es_backend(request.getfixturevalue("es_url"))
        try:
            backend.apply(sample_resources())
            yield backend
        finally:
            drop_es_backend(backend)
        return
    backend = EmbeddedBackend(tmp_path / "index")
    backend.apply(sample_resources())
    yield backend
    backend.close()


def test_each_backend_completes_the_last_word_of_a_title(titled_backend):
    def titles(prefix, limit=10):
        return [h.doc.get("title") for h in titled_backend.suggest_titles(prefix, limit)]

    assert titles("circular proc")[:1] == ["Circular procurement guide for cities"]
    assert "Circular procurement guide for cities" not in titles("proc circular")
    starting = titles("circ", 3)
    assert len(starting) == 3 and all(t.lower().startswith("circ") for t in starting[:2])
    assert "Handreiking circulair inkopen voor gemeenten" in titles("inkop")
    gone = next(r for r in sample_resources() if not r.live_instances)
    assert gone.title not in titles(gone.title[:12])
    assert titles("") == [] and titles("zzzqqx") == []


def test_title_suggestions_from_the_catalogue_where_the_backend_has_none(portal):
    """The catalogue's answer (the Elasticsearch backend has no prefix query of its own)."""
    from search_ui.suggest import titles_with_prefix

    engine = portal.catalogue.engine
    amsterdam = {r.title for r in portal.live if r.title.startswith("Amsterdam")}
    assert {t for _, t, _ in titles_with_prefix(engine, "amsterdam", 10)} == amsterdam
    found = titles_with_prefix(engine, "inkop", 10)  # a word inside the title
    assert [t for _, t, _ in found] == ["Handreiking circulair inkopen voor gemeenten"]
    assert found[0][2] == portal.by_title(found[0][1]).type
    gone = next(r for r in portal.resources if not r.live_instances)
    assert gone.title not in {t for _, t, _ in titles_with_prefix(engine, gone.title[:8], 10)}
    assert titles_with_prefix(engine, "%", 10) == []  # LIKE's wildcards are plain text
    assert len(titles_with_prefix(engine, "c", 2)) == 2


def test_suggestions_are_bounded_and_refuse_bad_limits(base):
    _, words, notes, links = suggest(base, "c", limit=3)
    assert len(words) == len(notes) == len(links) == 3
    assert len(suggest(base, "c")[1]) == 10
    assert suggest(base, "   ") == ["   ", [], [], []]
    assert suggest(base, "x" * 2000)[1] == []
    # the descriptions are in the interface language: a cache keeps one answer per language
    code, headers, body = fetch(f"{base}/api/suggest?q=maisto", headers={"Accept-Language": "de"})
    assert "Thema" in json.loads(body)[2][0]
    assert {"accept-language", "cookie"} <= {v.strip().lower() for v in headers["Vary"].split(",")}
    code, headers, body = fetch(f"{base}/api/suggest?q=a&limit=500")
    assert code == 400 and "limit" in json.loads(body)["error"]


# -- OpenAPI --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec(base):
    return json.loads(get(f"{base}/api/openapi.json")[1])


def test_openapi_description_is_valid_and_names_every_api_endpoint(spec, portal):
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.1")
    app = create_app({"TESTING": True}, settings=portal.settings, catalogue=portal.catalogue,
                     backend=portal.backend)
    routes = {rule.rule.replace("<", "{").replace(">", "}") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and "GET" in rule.methods}
    routes = {r.replace("{int:", "{").replace("{path:", "{") for r in routes}
    assert routes - {"/api/docs"} == set(spec["paths"])
    # every parameter the search reads is described (a new one fails here until it is)
    search_params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert search_params == arguments_read_by(parse_query)
    assert {"q", "page", "per_page", "sort", "language", "theme"} <= search_params
    for path, methods in spec["paths"].items():
        for op in methods.values():
            assert "200" in op["responses"], path


def test_real_api_answers_match_the_described_schemas(base, spec, portal):
    data = check(spec, "/api/search", 200, f"{base}/api/search?q=circular&language=en&per_page=3")
    assert data["results"]
    check(spec, "/api/search", 200, f"{base}/api/search?type=event&type=funding&sort=date")
    check(spec, "/api/search", 200, f"{base}/api/search?q=zzzqqq")
    check(spec, "/api/search", 400, f"{base}/api/search?page=0")
    check(spec, "/api/search", 400, f"{base}/api/search?sort=sideways")
    calls = check(spec, "/api/search", 200, f"{base}/api/search?open=1&sort=deadline")
    assert [r["deadline"] for r in calls["results"]] == ["2030-04-30T21:59:59Z"]
    check(spec, "/api/search", 200, f"{base}/api/search?upcoming=1&city=Berlin"
                                    "&date_from=2020-01-01&date_to=2030-12-31")
    check(spec, "/api/search", 400, f"{base}/api/search?date_from=yesterday")
    for r in portal.resources:
        rec = check(spec, "/api/resource/{resource_id}", 200, f"{base}/api/resource/{r.id}")
        assert rec["id"] == r.id
    check(spec, "/api/resource/{resource_id}", 404, f"{base}/api/resource/0000")
    check(spec, "/api/suggest", 200, f"{base}/api/suggest?q=circ")
    check(spec, "/api/suggest", 400, f"{base}/api/suggest?q=circ&limit=x")
    check(spec, "/api/openapi.json", 200, f"{base}/api/openapi.json")


def test_api_docs_page_shows_every_endpoint_and_parameter_without_outside_scripts(base, spec):
    headers, body = get(f"{base}/api/docs")
    assert headers.get_content_type() == "text/html"
    doc = lxml.html.fromstring(body)
    text = doc.text_content()
    for path, methods in spec["paths"].items():
        assert path in text
        for op in methods.values():
            section = doc.get_element_by_id(op["operationId"])
            names = {tr.get("data-name") for tr in section.cssselect("tr.api-param")}
            assert names == {p["name"] for p in op.get("parameters", [])}, path
    assert all(s.get("src", "").startswith("/static/") for s in doc.xpath("//script[@src]"))
    assert all(link.get("href", "").startswith("/") for link in doc.xpath("//link[@rel='stylesheet']"))


# -- CORS ----------------------------------------------------------------------------------------
def test_cors_opens_the_read_only_api_and_nothing_else(base, portal):
    origin = {"Origin": "https://elsewhere.example"}
    for path in ("/api/search?q=circular", f"/api/resource/{portal.live[0].id}",
                 "/api/suggest?q=ci", "/api/openapi.json", "/opensearch.xml",
                 "/api/resource/nope"):
        for method in ("GET", "HEAD"):
            code, headers, _ = fetch(base + path, method, origin)
            assert headers.get("Access-Control-Allow-Origin") == "*", (method, path, code)
    code, headers, _ = fetch(f"{base}/api/search", "OPTIONS", {
        **origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "accept-language"})
    assert code == 200
    assert headers.get("Access-Control-Allow-Origin") == "*"
    assert "GET" in headers.get("Access-Control-Allow-Methods")
    assert headers.get("Access-Control-Allow-Headers") == "accept-language"
    # a write, a preflight for one, the pages and the admin: no grant
    for method, path, extra in (
        ("POST", "/api/search", {}),
        ("DELETE", f"/api/resource/{portal.live[0].id}", {}),
        ("OPTIONS", "/api/search", {"Access-Control-Request-Method": "POST"}),
        ("GET", "/search?q=circular", {}),
        ("GET", "/admin/", {}),
        ("OPTIONS", "/admin/", {"Access-Control-Request-Method": "GET"}),
        ("POST", "/admin/login", {}),
    ):
        code, headers, _ = fetch(base + path, method, {**origin, **extra})
        assert "Access-Control-Allow-Origin" not in headers, (method, path, code)
