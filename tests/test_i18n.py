"""The interface in the partnership's languages (issue 14), through Flask's test client on a
real catalogue and a real embedded index: the language from the URL, the cookie and the
browser; the switcher and hreflang; translated labels, numbers, dates, errors, feeds and the
JSON API. The catalogues' completeness is checked in tests/test_i18n_catalogues.py and every
page in every language in a real browser in tests/test_i18n_browser.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

import lxml.html
import pytest

from search_ui import create_app
from search_ui.i18n import COOKIE, UI_LANGUAGES




def page(resp, status: int = 200):
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    return lxml.html.fromstring(resp.get_data(as_text=True))


def html_lang(doc) -> str:
    return doc.getroottree().getroot().get("lang")


def switcher(doc) -> dict[str, str]:
    return {a.get("data-lang"): a.get("href") for a in doc.cssselect(".lang-switch a")}


# -- choosing the language ------------------------------------------------------------------------
def test_the_url_prefix_sets_the_language_and_every_link_keeps_it(client):
    resp = client.get("/lt/search?q=circular")
    doc = page(resp)
    assert html_lang(doc) == "lt" and resp.headers["Content-Language"] == "lt"
    assert doc.cssselect("form.search-form")[0].get("action") == "/lt/search"
    assert doc.cssselect("a.details-link")[0].get("href").startswith("/lt/resource/")
    assert doc.cssselect("form.search-form label")[0].text_content().strip() != \
        "Search circular-economy resources"  # Lithuanian, not English
    # the choice is remembered for the next visit to an address without a language
    cookie = resp.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"{COOKIE}=lt;") and "Path=/" in c for c in cookie), cookie
    assert html_lang(page(client.get("/search"))) == "lt"


def test_norwegian_is_bokmal_under_no(client):
    doc = page(client.get("/no/"))
    assert html_lang(doc) == "nb"


def test_a_first_visit_gets_the_browsers_language_and_the_default_stays_english(client):
    lt = client.get("/", headers={"Accept-Language": "lt-LT,lt;q=0.9,en;q=0.5"})
    assert html_lang(page(lt)) == "lt"
    assert {"Accept-Language", "Cookie"} <= set(lt.headers["Vary"].replace(" ", "").split(","))
    # a language the interface does not speak falls through to the next one the browser names
    assert html_lang(page(client.get("/", headers={"Accept-Language": "sv, de;q=0.8"}))) == "de"
    assert html_lang(page(client.get("/", headers={"Accept-Language": "ja"}))) == "en"
    assert html_lang(page(client.get("/"))) == "en"


def test_the_cookie_beats_the_browser_and_the_url_beats_the_cookie(client):
    client.set_cookie(COOKIE, "fi")
    assert html_lang(page(client.get("/", headers={"Accept-Language": "lt"}))) == "fi"
    assert html_lang(page(client.get("/el/", headers={"Accept-Language": "lt"}))) == "el"


def test_unprefixed_addresses_still_work(client):
    doc = page(client.get("/search?q=circular"))
    assert html_lang(doc) == "en"
    assert doc.cssselect("form.search-form")[0].get("action") == "/search"
    assert client.get("/healthz").status_code in (200, 503)


def test_the_switcher_keeps_the_query_and_filters_on_every_page(client, portal):
    doc = page(client.get("/de/search?q=circular&language=nl&type=strategy&page=1"))
    links = switcher(doc)
    assert list(links) == list(UI_LANGUAGES)
    for code, href in links.items():
        parts = urlsplit(href)
        assert parts.path == f"/{code}/search"
        assert parse_qs(parts.query) == {"q": ["circular"], "language": ["nl"],
                                         "type": ["strategy"], "page": ["1"]}
    current = doc.cssselect('.lang-switch a[aria-current="true"]')
    assert [a.get("data-lang") for a in current] == ["de"]
    # each language is named in itself
    assert {a.get("data-lang"): a.text_content() for a in doc.cssselect(".lang-switch a")}[
        "el"] == "Ελληνικά"
    r = portal.by_title("Zero-Waste-Strategie Berlin")
    assert switcher(page(client.get(f"/resource/{r.id}")))["pl"] == f"/pl/resource/{r.id}"


def test_hreflang_alternates_name_every_language_and_a_default(client):
    doc = page(client.get("/fr/search?q=textile"))
    alternates = {link.get("hreflang"): link.get("href")
                  for link in doc.cssselect('link[rel="alternate"][hreflang]')}
    assert set(alternates) == {"en", "nl", "fr", "de", "it", "pt-PT", "es", "lt", "pl", "nb", "fi",
                               "el", "x-default"}
    assert alternates["lt"] == "http://localhost/lt/search?q=textile"
    assert alternates["x-default"] == "http://localhost/search?q=textile"


# -- what is translated ---------------------------------------------------------------------------
def test_labels_numbers_and_dates_follow_the_language(client, portal):
    r = portal.by_title("Amsterdam Circulair 2020-2025 Strategie")
    doc = page(client.get(f"/de/resource/{r.id}"))
    details = {dt.text_content(): dd.text_content() for dt, dd in
               zip(doc.cssselect("dl.details dt"), doc.cssselect("dl.details dd"))}
    assert details["Veröffentlicht"] == "01.04.2020"
    assert "Sprache" in details and "Lizenz" in details
    countries = [a.text_content() for a in doc.cssselect("dl.details dd ul.inline-list a")
                 if "country=" in a.get("href")]
    assert countries == ["Niederlande"]
    fr = page(client.get(f"/fr/resource/{r.id}"))
    assert "1 avr. 2020" in fr.cssselect("header .result-meta time")[0].text_content()


def polish_form(n: int) -> str:
    """CLDR's Polish plural category of a whole number."""
    if n == 1:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def test_plural_forms_follow_the_language(client):
    # Polish has three forms: 1 wynik, 2–4 wyniki, 5 wyników (a facet value's count)
    doc = page(client.get("/pl/search"))
    words = {"one": "wynik", "few": "wyniki", "many": "wyników"}
    seen = set()
    for count in doc.cssselect(".facet .count"):
        n = int("".join(ch for ch in count.text_content() if ch.isdigit()))
        hidden = count.cssselect(".visually-hidden")[0].text_content().strip()
        assert hidden == words[polish_form(n)], (n, hidden)
        seen.add(polish_form(n))
    assert {"one", "few"} <= seen


def test_the_json_api_labels_are_in_the_requested_language(client):
    data = client.get("/it/api/search").get_json()
    countries = {v["value"]: v["label"] for v in data["facets"]["country"]}
    assert countries.get("NL") == "Paesi Bassi" and countries.get("DE") == "Germania"
    english = client.get("/api/search").get_json()
    assert {v["value"]: v["label"] for v in english["facets"]["country"]}["NL"] == "Netherlands"
    # languages are named in themselves in every interface language
    assert {v["value"]: v["label"] for v in data["facets"]["language"]}["nl"] == "Nederlands"


def test_the_feed_title_is_translated(client):
    body = client.get("/el/search.atom").get_data()
    feed = ET.fromstring(body)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "el"
    title = feed.find("a:title", ns).text
    assert title.startswith("Circular City Portal: ") and "newest" not in title


def test_error_pages_are_translated(client):
    doc = page(client.get("/lt/no-such-page"), 404)
    assert html_lang(doc) == "lt"
    assert "Page not found" not in doc.text_content()
    bad = page(client.get("/pt/search?page=abc"), 400)
    message = bad.cssselect(".error-message")[0].text_content()
    assert "page" in message and "must be a whole number" not in message
    api = client.get("/es/api/search?page=abc")
    assert api.status_code == 400 and "must be a whole number" not in api.get_json()["error"]


def test_a_refusal_is_translated_by_its_code_not_its_english_wording(app):
    from indexer.query import QueryError
    from search_ui.errors import query_reason

    with app.test_request_context("/search", headers={"Accept-Language": "fr"}):
        app.preprocess_request()
        reworded = QueryError("the year needs four digits, please", "year")
        assert query_reason(reworded) == query_reason(QueryError("x", "year"))
        assert "four digits" not in query_reason(reworded)
        assert query_reason(QueryError("something new")) == "something new"


# -- issue 10's interface: other languages marked, my languages one click away ------------------
def test_results_in_other_languages_are_marked_and_mine_are_one_click_away(client):
    doc = page(client.get("/fr/search?per_page=50", headers={"Accept-Language": "fr, nl;q=0.8"}))
    marked = {li.get("data-other-language") for li in doc.cssselect("li.result")}
    assert "fr" not in marked and "nl" not in marked and "de" in marked
    de_hit = doc.cssselect('li.result[data-other-language="de"]')[0]
    assert de_hit.cssselect(".other-language")[0].text_content() == "en allemand"
    mine = doc.cssselect("#my-languages a")[0]
    parts = urlsplit(mine.get("href"))
    assert parts.path == "/fr/search"
    assert parse_qs(parts.query) == {"language": ["fr", "nl"], "per_page": ["50"]}
    # nothing is hidden until the user asks
    assert len({li.get("data-resource-id") for li in doc.cssselect("li.result")}) > len(
        [li for li in doc.cssselect("li.result") if not li.get("data-other-language")])
    only = page(client.get(mine.get("href"), headers={"Accept-Language": "fr, nl;q=0.8"}))
    assert only.cssselect("li.result") and not only.cssselect("li.result[data-other-language]")
    assert not only.cssselect("#my-languages")  # the filter is on: its chips say so


# -- the taxonomy in every language ---------------------------------------------------------------
def test_types_and_themes_are_shown_in_the_interface_language(client, portal):
    r = portal.by_title("Amsterdam Circulair 2020-2025 Strategie")
    doc = page(client.get(f"/lt/resource/{r.id}"))
    details = {dt.text_content(): dd for dt, dd in
               zip(doc.cssselect("dl.details dt"), doc.cssselect("dl.details dd"))}
    assert details["Tipas"].cssselect("a")[0].text_content() == "Strategija / veiksmų planas"
    assert "tikslais ir veiksmais" in details["Tipas"].text_content()  # its description
    facets = page(client.get("/el/search?type=strategy"))
    chip = facets.cssselect('.chip[data-facet="type"] .chip-text')[0].text_content()
    assert "Στρατηγική / οδικός χάρτης" in chip
    labels = {a.get("data-value"): a.cssselect(".facet-label")[0].text_content()
              for a in facets.cssselect('a.facet-link[data-facet="type"]')}
    assert labels["strategy"] == "Στρατηγική / οδικός χάρτης"
    api = client.get("/fi/api/search").get_json()
    themes = {v["value"]: v["label"] for v in api["facets"]["theme"]}
    assert themes and all(label != value for value, label in themes.items())
    client.delete_cookie(COOKIE)  # the pages above were read in Greek
    assert client.get("/api/search").get_json()["facets"]["type"][0]["label"] in {
        "Strategy / roadmap", "Guide / toolkit", "Good practice / case study", "Report / study",
        "Policy / legal", "Funding call", "Event", "News", "Dataset", "Other"}


def test_the_taxonomy_must_be_labelled_and_described_in_every_language(tmp_path):
    from config.taxonomy import (LABEL_LANGUAGES, TaxonomyError, load_taxonomy,
                                 taxonomy_labels)

    assert taxonomy_labels("theme", "food-waste")["lt"] == "Maisto švaistymas"
    tax = load_taxonomy()
    for entries in (tax.types, tax.themes):
        for spec in entries.values():
            assert set(LABEL_LANGUAGES) <= set(spec.labels) and \
                set(LABEL_LANGUAGES) <= set(spec.descriptions)
    import yaml

    from config.taxonomy import DEFAULT_TAXONOMY_PATH

    data = yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    del data["themes"]["water"]["labels"]["el"]
    del data["types"]["event"]["descriptions"]["fi"]
    broken = tmp_path / "taxonomy.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"types\.event\.descriptions: none for fi"):
        load_taxonomy(broken)
    data["types"]["event"]["descriptions"]["fi"] = "Tapahtumat."
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"themes\.water\.labels: none for el"):
        load_taxonomy(broken)
    data["themes"]["water"]["labels"]["el"] = "Νερό"
    data["themes"]["water"]["labels"]["en"] = "Waters"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"themes\.water\.labels\.en"):
        load_taxonomy(broken)
    with pytest.raises(KeyError):
        taxonomy_labels("theme", "no-such-theme")


def test_a_resource_page_lists_its_translations(client, portal):
    from indexer.catalogue.translations import store_alternates

    nl = portal.by_title("Amsterdam Circulair 2020-2025 Strategie")
    en = portal.by_title("Circular procurement guide for cities")
    with portal.catalogue.engine.begin() as c:
        store_alternates(c, nl.id, [{"url": en.url, "language": "en"},
                                    {"url": "https://www.amsterdam.nl/lt/strategija", "language": "lt"}])
    doc = page(client.get(f"/de/resource/{nl.id}"))
    links = {a.text_content(): a.get("href") for a in doc.cssselect("#also-in a")}
    assert links == {"Englisch": f"/de/resource/{en.id}",
                     "Litauisch": "https://www.amsterdam.nl/lt/strategija"}
    # linked both ways: the English page lists the Dutch one
    back = page(client.get(f"/fr/resource/{en.id}"))
    assert [a.text_content() for a in back.cssselect("#also-in a")] == ["néerlandais"]


def test_a_refused_search_mode_is_explained_in_the_interface_language(client):
    doc = page(client.get("/lt/search?q=circular&mode=telepathy"), 400)
    message = doc.cssselect(".error-message")[0].text_content()
    assert message == "Paieškos būdas turi būti vienas iš šių: hybrid, lexical, dense."


def test_the_concept_expansion_is_said_in_the_interface_language(client):
    """Issue 10: a query naming a theme also searches its terms in every language, and the
    page says so ("also searching: food waste, …"); the API returns the same list."""
    doc = page(client.get("/lt/search?q=spreco+alimentare"))
    said = doc.cssselect("#expansion")[0]
    assert said.text_content().startswith("Taip pat ieškoma:")
    terms = [q.text_content() for q in said.cssselect("q")]
    assert "food waste" in terms and "spreco alimentare" not in terms  # not the query itself
    api = client.get("/lt/api/search?q=spreco+alimentare").get_json()
    assert api["expansion"] == terms
    # an ordinary query expands to nothing and says nothing
    plain = page(client.get("/lt/search?q=Amsterdam"))
    assert not plain.cssselect("#expansion")


def test_the_closed_admin_says_how_to_open_it_in_the_interface_language(portal):
    closed = create_app({"TESTING": True}, settings=portal.settings, catalogue=portal.catalogue,
                        backend=portal.backend).test_client()
    doc = page(closed.get("/pl/admin/"), 403)
    text = doc.cssselect("main")[0].text_content()
    assert "Administracja jest zamknięta" in text
    assert "Nie skonfigurowano danych logowania do administracji." in text
    assert "Ustaw CCP_ADMIN_USER i CCP_ADMIN_PASSWORD" in text


def test_the_switcher_keeps_a_query_in_any_script(client):
    doc = page(client.get("/search", query_string={"q": "maisto švaistymas", "language": "lt"}))
    href = switcher(doc)["el"]
    assert parse_qs(urlsplit(href).query) == {"q": ["maisto švaistymas"], "language": ["lt"]}


def test_one_app_context_serving_several_requests_keeps_each_ones_language(app):
    with app.app_context():  # as a CLI command or a test may hold one
        client = app.test_client()
        assert html_lang(page(client.get("/fi/search"))) == "fi"
        doc = page(client.get("/pl/search"))
        assert html_lang(doc) == "pl" and doc.cssselect("button[type=submit]")[0].text_content() == "Szukaj"
