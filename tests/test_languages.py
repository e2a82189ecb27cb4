"""Every language the portal serves is analysed: real inflections meet, compounds find their
parts, on the stemmers and end to end through both engines (index resources, search, hits)."""

from __future__ import annotations

import pytest

from indexer.analysis import (
    analysed_fields,
    query_terms,
    stopwords,
    title_part_sets,
    title_stems,
)
from indexer.backends.elasticsearch.mapping import analysed_clause
from indexer.backends.embedded import EmbeddedBackend
from indexer.backends.embedded.schema import analysed_query
from indexer.compounds import components, split
from indexer.stemming import stem
from tests.es_support import drop as drop_es_backend
from tests.es_support import es_url  # noqa: F401  (session fixture)
from tests.es_support import make_backend as make_es_backend
from indexer.query import SearchQuery
from tests.search_corpus import make_resource

# Forms of one word that must meet (same stem), per language; real inflections.
INFLECTIONS = {
    "pl": [("samorządy", "samorządów", "samorząd"), ("odpady", "odpadów", "odpadami"),
           ("miasta", "miast", "miastach"), ("gospodarka", "gospodarki", "gospodarką")],
    "lt": [("rūšiavimas", "rūšiuojamojo", "rūšiavimo"), ("ekonomika", "ekonomikos"),
           ("atliekos", "atliekų"), ("savivaldybės", "savivaldybių")],
    "cs": [("odpady", "odpadů", "odpadech"), ("ekonomika", "ekonomiky", "ekonomice"),
           ("města", "měst", "městech")],
    "sk": [("odpady", "odpadov"), ("mesto", "mesta", "mestách"),
           ("hospodárstvo", "hospodárstva")],
    "sl": [("odpadki", "odpadkov", "odpadke"), ("krožno", "krožnega"), ("mesto", "mestih")],
    "hr": [("otpad", "otpada", "otpadom"), ("kružno", "kružnog"),
           ("gospodarstvo", "gospodarstva")],
    "lv": [("atkritumi", "atkritumu", "atkritumiem"), ("ekonomika", "ekonomikas"),
           ("pilsēta", "pilsētas", "pilsētām")],
    "et": [("ringmajandus", "ringmajanduse", "ringmajanduses", "ringmajandust"),
           ("jäätmed", "jäätmete"), ("linn", "linna", "linnades")],
    "mt": [("skart", "skarti"), ("ekonomija", "ekonomiji")],
    "bg": [("отпадъци", "отпадъците"), ("икономика", "икономиката"),
           ("град", "градове", "градовете")],
}


@pytest.mark.parametrize("lang", sorted(INFLECTIONS))
def test_inflected_forms_of_a_word_share_one_stem(lang):
    for forms in INFLECTIONS[lang]:
        stems = {stem(f, lang) for f in forms}
        assert len(stems) == 1, f"{lang}: {forms} stem to {stems}"


def test_different_words_keep_different_stems():
    assert stem("odpady", "pl") != stem("obiegu", "pl")
    assert stem("ekonomika", "lt") != stem("atliekos", "lt")
    assert stem("město", "cs") != stem("odpad", "cs")


def test_a_query_without_diacritics_meets_the_accented_word():
    assert stem("odpadu", "cs") == stem("odpadů", "cs")
    assert stem("samorzad", "pl") == stem("samorząd", "pl")


def test_compounds_are_split_into_their_words():
    assert {"kreislaufwirtschaft", "strategie", "kreislauf", "wirtschaft"} <= set(
        split("Kreislaufwirtschaftsstrategie", "de"))
    assert {"afval", "scheiding"} <= set(split("afvalscheiding", "nl"))
    assert "mat" in split("matsvinn", "sv")
    assert "kiertotalous" in split("kiertotaloustyöhön", "fi")
    assert split("Wirtschaft", "de") == ()  # a frequent word is not cut into rarer ones
    assert split("hållbarhet", "sv") == ()  # a derivational suffix is not a part


def test_a_compound_of_a_compound_is_split_when_no_two_words_make_it():
    # neither "cirkulärekonomi" nor "ekonomistrategi" is a dictionary word
    assert {"cirkulär", "ekonomi", "strategi"} <= set(split("cirkulärekonomistrategi", "sv"))
    assert components("cirkulärekonomistrategi", "sv") == ("cirkulär", "ekonomi", "strategi")
    assert components("Kreislaufwirtschaftsstrategie", "de") == ("kreislaufwirtschaft", "strategie")
    # a two-word cut still wins over guesses: no "tex" + "til…" for textile recycling plants
    assert split("textilåtervinningsanläggning", "sv")[:2] == ("textilåtervinning", "anläggning")


def test_titles_are_analysed_in_their_language_with_compound_parts():
    tokens = title_stems("Kiertotalous kunnissa 2024 – kuntakyselyn tulokset", "fi").split()
    assert "fi:kysely" in tokens and "fi:kuntakysely" in tokens
    assert set(query_terms("kysely")["title_stems"]) & set(tokens)
    # a Polish title's stems carry its language: a Czech query's stem is another term
    assert title_stems("Samorządy", "pl") == f"pl:{stem('samorządy', 'pl')}"
    assert f"pl:{stem('samorządów', 'pl')}" in query_terms("samorządów")["title_stems"]
    assert title_part_sets("cirkulärekonomistrategi") == [["sv:cirkul", "sv:ekonomi", "sv:strategi"]]
    assert title_part_sets("economy") == []


def test_stop_words_per_language_and_query_terms_skip_them():
    assert {"i", "w", "na"} <= stopwords("pl")
    assert "und" in stopwords("de-AT") and stopwords("xx") == frozenset()
    assert "stems_pl" not in query_terms("oraz")
    assert query_terms("samorządów")["stems_pl"] == [stem("samorządy", "pl")]


def test_a_document_gets_its_pre_analysed_fields():
    fields = analysed_fields(["Samorządy i odpady"], "pl-PL")
    assert fields == {"stems_pl": f"{stem('samorządy', 'pl')} i odpad"}
    titled = analysed_fields(["Samorządy i odpady"], "pl-PL", title="Samorządy i odpady")
    assert titled["title_stems"].split()[0] == f"pl:{stem('samorządy', 'pl')}"
    de = analysed_fields(["Unsere Kreislaufwirtschaftsstrategie"], "de")
    assert "kreislaufwirtschaft" in de["parts_de"].split()
    assert analysed_fields(["A circular economy"], "en") == {}


# -- end to end: index resources in each engine, search the analysed query -----------------

# id -> title; an id is the document's language and a number
DOCS = {
    "pl1": "Samorządów rola w gospodarce odpadami",
    "lt1": "Rūšiuojamojo atliekų surinkimo taisyklės",
    "lt2": "Žiedinės ekonomikos veiksmų planas",
    "fi1": "Kaupungin kiertotaloustyöhön osallistuminen",
    "cs1": "Sběr odpadů ve městě",
    "de1": "Die Kreislaufwirtschaftsstrategie der Stadt",
    "de2": "Kreislaufwirtschaft in der Region",
    "nl1": "Afval voorkomen in de gemeente",
    "sv1": "Mat och klimat i skolan",
    "en1": "Unrelated page about parks",
}
# query -> ids it must find (and every other id of DOCS it must not)
EXPECTED = {
    "samorządy": {"pl1"},
    "rūšiavimas": {"lt1"},
    "rūšiavimo": {"lt1"},
    "ekonomika": {"lt2"},
    "kiertotalous": {"fi1"},
    "odpady": {"cs1", "pl1"},  # the same word in Czech and Polish
    "Kreislaufwirtschaft": {"de1", "de2"},
    "Kreislaufwirtschaftsstrategie": {"de1", "de2"},
    "afvalscheiding": {"nl1"},
    "matsvinn": {"sv1"},
}


def _resources():
    return [make_resource(rid, title, body=title + ".", language=rid[:2])
            for rid, title in DOCS.items()]


def _embedded_ids(backend: EmbeddedBackend, word: str) -> set[str]:
    gen = backend._refresh()
    searcher = gen.view[0]
    query = analysed_query(backend._schema, (word,))
    if query is None:
        return set()
    found = searcher.search(query, 20).hits
    return {searcher.doc(addr).get_first("id") for _, addr in found}


def _es_ids(backend, word: str) -> set[str]:
    clause = analysed_clause((word,))
    if clause is None:
        return set()
    body = backend.es.search(index=backend.index, query=clause, size=20,
                             source=False, fields=["id"]).body
    return {h["fields"]["id"][0] for h in body["hits"]["hits"]}


@pytest.fixture(params=["embedded", "elasticsearch"])
def engine(request, tmp_path):
    if request.param == "elasticsearch":
        backend = make_es_backend(request.getfixturevalue("es_url"))
        backend.apply(_resources())
        yield lambda word: _es_ids(backend, word)
        drop_es_backend(backend)
        return
    backend = EmbeddedBackend(tmp_path / "index")
    backend.apply(_resources())
    yield lambda word: _embedded_ids(backend, word)
    backend.close()


@pytest.mark.parametrize("word", sorted(EXPECTED))
def test_each_language_finds_its_pages_in_both_engines(engine, word):
    assert engine(word) == EXPECTED[word]


def test_phrases_are_matched_on_stems(tmp_path):
    backend = EmbeddedBackend(tmp_path / "index")
    try:
        backend.apply(_resources())
        gen = backend._refresh()
        query = analysed_query(backend._schema, ("atliekos", "surinkimas"))
        hits = gen.view[0].search(query, 5).hits
        assert [gen.view[0].doc(a).get_first("id") for _, a in hits] == ["lt1"]
    finally:
        backend.close()


# -- an inflected or compound word of the title weighs as a title word -----------------------

TITLED = [
    ("survey", "Kiertotalous kunnissa – kuntakyselyn tulokset", "fi",
     "Raportti kuvaa kuntien työtä. Vastauksia saatiin 120 kunnalta."),
    ("mentions", "Uutiskirje lokakuu: kysely pyöräteistä", "fi",
     "Kysely on auki. Kyselyyn vastanneiden kesken arvotaan lippuja, ja kysely päättyy "
     "perjantaina. Kyselyn tulokset julkaistaan joulukuussa kaupungin verkkosivuilla."),
    ("roadmap", "Järvelän kiertotaloustiekartta 2035", "fi",
     "Kaupunginvaltuusto hyväksyi asiakirjan kesäkuussa. Toimet koskevat rakentamista."),
    ("grant", "Kiertotalouden hankeavustus yhdistyksille", "fi",
     "Avustusta voi hakea hankkeisiin, jotka toteuttavat kaupungin tiekarttaa. Tiekartan "
     "tavoitteet ja tiekartassa nimetyt toimet löytyvät kaupungin sivuilta."),
    ("strategy", "Strategi för cirkulär ekonomi 2024–2030", "sv",
     "Kommunen antog strategin i juni. Den gäller alla förvaltningar."),
    ("plastics", "Mindre engångsplast i äldreomsorgen", "sv",
     "Kommunen visar vägen. Cirkulär ekonomi och en strategi för inköp nämns i rapporten."),
]


@pytest.fixture(params=["embedded", "elasticsearch"])
def titled(request, tmp_path):
    resources = [make_resource(rid, title, body=body, language=lang)
                 for rid, title, lang, body in TITLED]
    if request.param == "elasticsearch":
        backend = make_es_backend(request.getfixturevalue("es_url"))
        backend.apply(resources)
        yield backend
        drop_es_backend(backend)
        return
    backend = EmbeddedBackend(tmp_path / "index")
    backend.apply(resources)
    yield backend
    backend.close()


def _first(backend, text: str) -> str:
    return backend.search(SearchQuery(text=text)).hits[0].id


def test_a_word_inside_a_compound_title_word_gets_the_title_weight(titled):
    # the roadmap's title holds "tiekartta" inside a compound; the grant page says it 3 times
    assert _first(titled, "tiekartta") == "roadmap"


def test_a_compound_query_word_meets_a_title_written_in_separate_words(titled):
    # the title writes "strategi för cirkulär ekonomi"; the other page has the words in its text
    assert _first(titled, "cirkulärekonomistrategi") == "strategy"


def test_snippets_mark_inflected_words_of_languages_stemmed_in_python(tmp_path):
    # Lithuanian, Polish and Czech are stemmed by indexer.stemming, not by the engines: the
    # snippet must still mark the forms the search matched ("švaistymą" for "švaistymas").
    backend = EmbeddedBackend(tmp_path / "index")
    body = ("Kaunas mažina maisto švaistymą mokyklų valgyklose. Maisto atliekų prevencija "
            "ir švaistymo mažinimas yra miesto tikslas.")
    backend.apply([make_resource("lt9", "Mokyklų valgyklos", body=body, language="lt"),
                   make_resource("pl9", "Strategia miasta", language="pl",
                                 body="Rola samorządów w rozwoju gospodarki o obiegu zamkniętym.")])
    try:
        hit = backend.search(SearchQuery(text="maisto švaistymas")).hits[0]
        marked = {hit.snippet.text[s:e] for s, e in hit.snippet.highlights}
        assert hit.id == "lt9" and marked == {"maisto", "Maisto", "švaistymą", "švaistymo"}
        hit = backend.search(SearchQuery(text="gospodarka samorządy")).hits[0]
        marked = {hit.snippet.text[s:e] for s, e in hit.snippet.highlights}
        assert hit.id == "pl9" and marked == {"samorządów", "gospodarki"}
    finally:
        backend.close()
