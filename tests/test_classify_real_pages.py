"""Types and themes on pages shaped like the real web: the publisher's breadcrumb trail,
schema.org JSON-LD, the URL, headings, the lead — in every language the portal collects.

Each page below is a small page written for this test (menu, breadcrumbs, article, footer), run
through the real normaliser (bytes → Resource); no server is needed. The texts are not copies of
the relevance collection's documents.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from config.models import CrawlSource
from config.taxonomy import REQUIRED_LANGUAGES, TaxonomyError, default_taxonomy, load_taxonomy
from indexer.classify import classify
from indexer.extract import parse_html
from indexer.metadata import extract_metadata
from indexer.normalise import normalise
from indexer.resource import RawDocument

FETCHED = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)


def page(title: str, paragraphs: list[str], *, lang: str, crumbs: list[str] = (), headings=(),
         jsonld: dict | None = None, lead: str | None = None, trail: str = "nav",
         tags: list[str] = ()) -> bytes:
    """A page with the chrome of a city site: menu, cookie banner, breadcrumbs, footer."""
    if trail == "nav":
        items = "".join(f"<li><a href='/s{i}/'>{c}</a></li>" for i, c in enumerate(crumbs))
        crumb_html = (f"<nav aria-label='Breadcrumb'><ol><li><a href='/'>Home</a></li>{items}"
                      f"<li aria-current='page'>{title}</li></ol></nav>")
    else:  # a div of links and text with separators, as many CMSs print it
        crumb_html = ("<div class='breadcrumbs'><a href='/'>Start</a> › "
                      + " › ".join(crumbs + [title]) + "</div>")
    head = f"<title>{title} | Example City</title>"
    if jsonld:
        head += f"<script type='application/ld+json'>{json.dumps(jsonld, ensure_ascii=False)}</script>"
    head += "".join(f"<meta property='article:tag' content='{t}'>" for t in tags)
    parts = [f"<h1>{title}</h1>"]
    if lead:
        parts.append(f"<p class='lead'>{lead}</p>")
    heads = list(headings)
    for i, p in enumerate(paragraphs):
        if i < len(heads):
            parts.append(f"<h2>{heads[i]}</h2>")
        parts.append(f"<p>{p}</p>")
    html = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>{head}</head><body>"
            "<div class='cookie-banner'><p>We use cookies. OK</p></div>"
            "<header><a class='logo' href='/'>Example City</a><nav><ul><li><a href='/a'>Services"
            "</a></li><li><a href='/b'>Contact</a></li></ul></nav></header>"
            f"{crumb_html}<main><article>{''.join(parts)}</article></main>"
            "<footer><p>Example City · Town Hall Square 1</p></footer></body></html>")
    return html.encode("utf-8")


def run(body: bytes, url: str, lang: str):
    src = CrawlSource(id="city", name="Example City", type="crawl", start_urls=["https://city.example/"],
                      publisher="Example City", language=lang)
    raw = RawDocument(source_id="city", url=url, final_url=url, body=body,
                      headers={"content-type": "text/html; charset=utf-8"}, fetched_at=FETCHED)
    return normalise(raw, src)


# -- breadcrumbs, headings and event markup in the metadata ---------------------------------------
def test_breadcrumbs_from_a_nav_trail_leave_out_home_and_the_page_itself():
    body = page("Färdplan för cirkulär ekonomi", ["Text."], lang="sv",
                crumbs=["Bo och miljö", "Hållbar utveckling"])
    md = extract_metadata(parse_html(body.decode()), "https://kommun.example/x")
    assert md.breadcrumbs == ["Bo och miljö", "Hållbar utveckling"]


def test_breadcrumbs_from_a_div_of_links_and_separators():
    body = page("Hnědé popelnice na bioodpad", ["Text."], lang="cs",
                crumbs=["Odpady", "Aktuality"], trail="div")
    md = extract_metadata(parse_html(body.decode()), "https://mesto.example/x")
    assert md.breadcrumbs == ["Odpady", "Aktuality"]


def test_breadcrumbs_from_json_ld_breadcrumb_list_in_position_order():
    ld = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 3, "name": "Dobre praktyki"},
        {"@type": "ListItem", "position": 1, "item": {"@id": "https://miasto.example/", "name": "Strona główna"}},
        {"@type": "ListItem", "position": 2, "name": "Baza wiedzy"}]}
    html = ("<html><head><script type='application/ld+json'>" + json.dumps(ld) + "</script>"
            "</head><body><h1>Jadłodzielnia</h1><p>Tekst.</p></body></html>")
    md = extract_metadata(parse_html(html), "https://miasto.example/a")
    assert md.breadcrumbs == ["Baza wiedzy", "Dobre praktyki"]


def test_event_markup_start_date_and_microdata_types_are_read():
    html = ("<html><body><article itemscope itemtype='https://schema.org/Event'>"
            "<h1 itemprop='name'>Työpaja</h1><time itemprop='startDate' datetime='2025-05-14T09:00'>"
            "14.5.</time></article></body></html>")
    md = extract_metadata(parse_html(html), "https://kunta.example/a")
    assert md.event_start == "2025-05-14T09:00"
    assert "Event" in md.schema_types


# -- one page per language ------------------------------------------------------------------------
CASES = [
    # (lang, url, page kwargs, expected type, themes that must be there, themes that must not)
    ("sv", "https://kommun.example/kunskapsbank/goda-exempel/skolmaltider",
     dict(title="Skolköken i Ekby minskade matsvinnet med en tredjedel",
          crumbs=["Kunskapsbank", "Goda exempel"],
          paragraphs=["Kockarna vägde matsvinnet varje dag och eleverna fick se resultatet.",
                      "Överskottsmat säljs nu billigt till personalen efter lunch."],
          headings=["Så gick det till", "Resultat"]),
     "good-practice", {"food-waste"}, set()),
    ("fi", "https://kaupunki.example/tapahtumat/kiertotaloustyopaja-2025",
     dict(title="Kiertotaloustyöpaja yrityksille: sivuvirrat hyötykäyttöön",
          crumbs=["Tapahtumat"],
          jsonld={"@context": "https://schema.org", "@type": "Event",
                  "name": "Kiertotaloustyöpaja yrityksille: sivuvirrat hyötykäyttöön",
                  "startDate": "2025-05-14T09:00"},
          paragraphs=["Työpajassa yritykset etsivät yhdessä käyttöä toistensa sivuvirroille.",
                      "Ilmoittautuminen päättyy 7.5."],
          headings=["Ohjelma", "Ilmoittautuminen"]),
     "event", {"industrial-symbiosis"}, set()),
    ("cs", "https://mesto.example/odpady/aktuality/bioodpad-v-ulicich",
     dict(title="Hnědé nádoby na bioodpad přibudou v dalších ulicích",
          crumbs=["Odpady", "Aktuality"], trail="div",
          paragraphs=["Město rozšiřuje svoz bioodpadu ze zahrad a kuchyní do dalších čtvrtí.",
                      "Kompost z městské kompostárny si obyvatelé mohou zdarma odvézt."]),
     "news", {"bio-waste"}, set()),
    ("pl", "https://miasto.example/urzad/praca/inspektor-gospodarka-odpadami",
     dict(title="Oferta pracy: inspektor ds. gospodarki odpadami",
          crumbs=["Urząd", "Praca w urzędzie"],
          paragraphs=["Poszukujemy osoby do prowadzenia spraw gospodarki odpadami komunalnymi i "
                      "segregacji odpadów.", "Wymagania: wykształcenie wyższe."]),
     "other", set(), {"waste"}),
    ("lt", "https://savivaldybe.example/gyventojams/statybiniu-atlieku-tvarkymas",
     dict(title="Statybinės atliekos: ką daryti remontuojant namus",
          crumbs=["Gyventojams", "Atliekų tvarkymas"],
          paragraphs=["Rūšiuokite statybines atliekas vietoje.", "Atsiveskite jas į aikštelę.",
                      "Didesniam kiekiui užsisakykite konteinerį.", "Tinkamas medžiagas atiduokite "
                      "pakartotiniam naudojimui."],
          headings=["1 žingsnis. Rūšiuokite", "2 žingsnis. Atveškite", "3 žingsnis. Užsisakykite",
                    "4 žingsnis. Atiduokite"]),
     "guide", {"construction"}, set()),
    ("de", "https://stadt.example/aktuelles/strassensperrung-stadtlauf",
     dict(title="Straßensperrungen zum Stadtlauf am Sonntag",
          crumbs=["Aktuelles", "Verkehr"],
          paragraphs=["Wegen des Stadtlaufs ist die Innenstadt von 8 bis 14 Uhr gesperrt.",
                      "Die Müllabfuhr und die Abfallsammlung am Wertstoffhof verschieben sich."]),
     "news", set(), {"waste"}),
    ("nl", "https://gemeente.example/subsidies/circulaire-initiatieven-2025",
     dict(title="Subsidieregeling 2025: repair cafés en deelplatforms in de buurt",
          crumbs=["Ondernemen", "Subsidies"],
          paragraphs=["Bewonersgroepen kunnen subsidie aanvragen voor een repair café of een "
                      "deelplatform in de wijk.", "De aanvraagtermijn sluit op 1 juni."],
          headings=["Wie kan aanvragen", "Voorwaarden"]),
     "funding", {"sharing-economy"}, set()),
    ("pt", "https://camara.example/ambiente/economia-circular/roteiro-2030",
     dict(title="Câmara aprova Roteiro para a Economia Circular 2030",
          crumbs=["Ambiente", "Economia circular"],
          paragraphs=["O roteiro define metas de prevenção de resíduos e de construção circular.",
                      "A recolha seletiva chegará a todas as freguesias."],
          headings=["Visão", "Metas", "Medidas"]),
     "strategy", {"strategies-roadmaps"}, set()),
    ("es", "https://ayuntamiento.example/cultura-y-fiestas/fiestas-patronales-programa",
     dict(title="Fiestas patronales: programa de conciertos y actividades",
          crumbs=["Cultura y fiestas"],
          paragraphs=["Habrá conciertos, verbena y fuegos artificiales.",
                      "Se instalarán puntos de recogida selectiva de residuos y vasos reutilizables."]),
     "news", set(), {"waste", "plastics"}),
    ("it", "https://comune.example/servizi/edilizia/permesso-di-costruire",
     dict(title="Permesso di costruire: come richiedere",
          crumbs=["Servizi", "Edilizia privata"],
          paragraphs=["La domanda si presenta allo sportello unico per l'edilizia.",
                      "Allegare il progetto e la ricevuta dei diritti di segreteria."]),
     "other", set(), {"permitting", "construction"}),
    ("fr", "https://metropole.example/publications/rapports/etat-des-lieux-economie-circulaire",
     dict(title="État des lieux de l'économie circulaire sur le territoire",
          crumbs=["Publications", "Rapports"],
          paragraphs=["L'étude analyse les flux de matières et les déchets du BTP.",
                      "Elle recommande une stratégie de réemploi des matériaux."],
          headings=["Méthodologie", "Constats", "Recommandations"]),
     "report", set(), set()),
    ("en", "https://network.example/projects/port-waste-heat",
     dict(title="Port industries share waste heat with a neighbourhood",
          crumbs=["Projects"],
          paragraphs=["Three plants in the port feed their residual heat into a district network.",
                      "The companies also exchange steam and by-products."],
          headings=["How it works", "Results", "Lessons learned"]),
     "good-practice", {"industrial-symbiosis"}, set()),
]


@pytest.mark.parametrize("lang,url,kw,type_,themes,not_themes", CASES, ids=[c[0] for c in CASES])
def test_each_language_types_and_themes_a_real_looking_page(lang, url, kw, type_, themes, not_themes):
    kw = dict(kw)
    r = run(page(kw.pop("title"), kw.pop("paragraphs"), lang=lang, **kw), url, lang)
    assert r.type == type_, (r.title, r.type, r.themes)
    assert themes <= set(r.themes), (r.title, r.themes)
    assert not (not_themes & set(r.themes)), (r.title, r.themes)


def test_every_collected_language_has_keywords_for_every_type_theme_and_off_topic_kind():
    tax = default_taxonomy()
    for lang in ("en", "fr", "es", "it", "de", "nl", "sv", "fi", "pl", "lt", "cs", "pt"):
        assert lang in REQUIRED_LANGUAGES
    for section in (tax.types, tax.themes, tax.off_topic):
        for key, spec in section.items():
            if key != "other":
                assert all(spec.keywords.get(lang) for lang in REQUIRED_LANGUAGES), key


# -- the evidence is explained --------------------------------------------------------------------
def test_the_section_is_named_in_the_evidence():
    r = classify(title="Återbruksgallerian firar fem år", breadcrumbs=["Kunskapsbank", "Goda exempel"],
                 language="sv")
    assert r.type == "good-practice"
    assert "section: goda exempel" in r.evidence["type:good-practice"]
    assert "section: Goda exempel" in r.explain() or "section: goda exempel" in r.explain()


def test_an_off_topic_page_says_why_it_has_no_themes():
    r = classify(title="Vacancy: waste prevention officer", body="Waste prevention, recycling and "
                 "landfill diversion are the job.", url="https://city.example/about/vacancies/wpo",
                 language="en")
    assert (r.type, r.themes, r.off_topic) == ("other", [], "jobs")
    assert "off topic: jobs" in r.explain()


def test_content_evidence_far_stronger_than_an_off_topic_section_wins():
    # a workshop with event markup listed under "Employment and business" stays a workshop
    r = classify(title="Jornada técnica: simbiosis industrial en el polígono",
                 breadcrumbs=["Agenda", "Empleo y empresa"], schema_types=["Event"],
                 event_start="2025-10-24T09:30", url="https://ayto.example/agenda/jornada-simbiosis",
                 body="Las empresas del polígono comparten calor residual y subproductos.", language="es")
    assert r.type == "event" and r.off_topic is None
    assert "industrial-symbiosis" in r.themes


def test_a_pdf_without_other_evidence_is_a_report_and_a_titled_strategy_pdf_a_strategy():
    assert classify(title="Jätehuollon vuosikatsaus", format="pdf", language="fi").type == "report"
    assert classify(title="Kiertotalousstrategia 2030", format="pdf", language="fi").type == "strategy"


def test_the_head_of_a_compound_is_found():
    # *förordning / *strategi match inside compounds
    assert classify(title="Ekodesignförordningen och kommunerna", language="sv").type == "policy"
    assert classify(title="Kreislaufwirtschaftsstrategie der Stadt", language="de").type == "strategy"


def test_an_infix_keyword_must_be_one_long_word(tmp_path):
    langs = ", ".join(f'"{lang}": [abc]' for lang in REQUIRED_LANGUAGES)
    path = tmp_path / "tax.yaml"
    path.write_text("version: 1\ntypes: {other: {label: Other}}\nthemes:\n"
                    f"  x: {{label: X, keywords: {{{langs}, \"sv\": [\"*ab\"]}}}}\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"'\*ab'.*one word of at least 5 letters"):
        load_taxonomy(path)
