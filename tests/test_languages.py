"""Every language the portal serves is analysed: real inflections meet, compounds find their
parts, on the stemmers and end to end through both engines (index resources, search, hits)."""

from __future__ import annotations

import pytest

from indexer.analysis import analysed_fields, query_terms, stopwords
from indexer.backends.elasticsearch.mapping import analysed_clause
from indexer.backends.embedded import EmbeddedBackend
from indexer.backends.embedded.schema import analysed_query
from indexer.compounds import split
from indexer.stemming import stem
from tests.es_support import drop as drop_es_backend
from tests.es_support import es_url  # noqa: F401  (session fixture)
from tests.es_support import make_backend as make_es_backend
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


def test_stop_words_per_language_and_query_terms_skip_them():
    assert {"i", "w", "na"} <= stopwords("pl")
    assert "und" in stopwords("de-AT") and stopwords("xx") == frozenset()
    assert "stems_pl" not in query_terms("oraz")
    assert query_terms("samorządów")["stems_pl"] == [stem("samorządy", "pl")]


def test_a_document_gets_its_pre_analysed_fields():
    fields = analysed_fields(["Samorządy i odpady"], "pl-PL")
    assert fields == {"stems_pl": f"{stem('samorządy', 'pl')} i odpad"}
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
