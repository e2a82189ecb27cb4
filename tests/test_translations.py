"""Translations of one page (hreflang alternates) are linked as translations, never merged.

A real harvest over HTTP on 127.0.0.1: a city publishes a strategy in Lithuanian and its
English translation, each page listing the other with ``<link rel="alternate" hreflang>`` (as
real CMSs do), and a third page declares only one direction. Each stays its own resource; the
catalogue links them both ways.
"""

from __future__ import annotations

from lxml import html as lxml_html

from indexer.catalogue import Catalogue
from indexer.metadata import extract_metadata

from .conftest import harvest, make_settings, write_sources
from .sitemap_site import SitemapSite

LT = ("Kauno miesto savivaldybės taryba patvirtino žiedinės ekonomikos strategiją iki 2030 metų. "
      "Strategijoje numatyta mažinti maisto švaistymą mokyklose, plėsti daiktų taisymo dirbtuves "
      "ir statybinių medžiagų pakartotinį naudojimą. Įgyvendinimo planas bus atnaujinamas kas "
      "dvejus metus, o pažangos ataskaitos skelbiamos savivaldybės svetainėje.")
EN = ("Kaunas city council adopted a circular economy strategy to 2030. The strategy sets out "
      "to reduce food waste in schools, expand repair workshops and reuse construction "
      "materials. The implementation plan will be updated every two years, and progress "
      "reports are published on the municipality's website.")
PL = ("Rada miasta Kowno przyjęła strategię gospodarki o obiegu zamkniętym do 2030 roku. "
      "Strategia przewiduje ograniczenie marnowania żywności w szkołach, rozwój warsztatów "
      "naprawczych oraz ponowne wykorzystanie materiałów budowlanych.")


def _page(lang: str, title: str, text: str, alternates: dict[str, str]) -> bytes:
    links = "".join(f'<link rel="alternate" hreflang="{code}" href="{href}">'
                    for code, href in alternates.items())
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}"
            f"</title>{links}<link rel='alternate' hreflang='x-default' href='/'></head><body>"
            f"<nav><a href='/'>Kaunas</a></nav><main><article><h1>{title}</h1><p>{text}</p>"
            f"<p>{text}</p></article></main><footer>Kauno miesto savivaldybė</footer></body>"
            f"</html>").encode()


def test_the_page_s_alternates_are_read_without_x_default_or_itself():
    page = _page("lt", "Strategija", LT, {"lt": "/lt/strategija", "en": "/en/strategy",
                                          "pl-PL": "https://other.example/pl/strategia",
                                          "??": "/bad", "de": "mailto:x@example.org"})
    md = extract_metadata(lxml_html.fromstring(page), "https://kaunas.example/lt/strategija")
    assert md.alternates == [("en", "https://kaunas.example/en/strategy"),
                             ("pl", "https://other.example/pl/strategia")]


def test_translations_are_separate_resources_linked_both_ways(tmp_path):
    site = SitemapSite({})
    site.pages.update({
        "/lt/strategija": _page("lt", "Žiedinės ekonomikos strategija 2030", LT,
                                {"lt": "/lt/strategija", "en": "/en/strategy"}),
        "/en/strategy": _page("en", "Circular economy strategy 2030", EN,
                              {"lt": "/lt/strategija", "en": "/en/strategy"}),
        # declares the Lithuanian page; nobody declares it back
        "/pl/strategia": _page("pl", "Strategia gospodarki o obiegu zamkniętym", PL,
                               {"lt": site.base + "/lt/strategija"}),
    })
    try:
        settings = make_settings(tmp_path / "data")
        write_sources(tmp_path / "data" / "sources", [
            {"id": "kaunas", "name": "Kaunas", "type": "sitemap",
             "url": site.base + "/sitemap.xml"}])
        report = harvest(settings, ["kaunas"])
        assert report.status == "finished"
        assert report.totals()["added"] == 3 and report.totals()["merged"] == 0
    finally:
        site.close()
    cat = Catalogue(settings.catalogue_url)
    try:
        by_url = {r.instances[0].url: r for r in cat.iter_resources()}
        lt = by_url[site.base + "/lt/strategija"]
        en = by_url[site.base + "/en/strategy"]
        pl = by_url[site.base + "/pl/strategia"]
        assert len({lt.id, en.id, pl.id}) == 3  # never merged
        of_lt = {t["language"]: t for t in cat.translations(lt.id)}
        assert set(of_lt) == {"en", "pl"}
        assert of_lt["en"]["resource_id"] == en.id
        assert of_lt["en"]["title"] == "Circular economy strategy 2030"
        assert of_lt["pl"]["resource_id"] == pl.id  # linked back from the page that declares it
        assert [t["resource_id"] for t in cat.translations(en.id)] == [lt.id]
        assert [t["resource_id"] for t in cat.translations(pl.id)] == [lt.id]
    finally:
        cat.close()
