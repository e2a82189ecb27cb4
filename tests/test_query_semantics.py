"""Query semantics on every backend: optional words with a minimum that must match, stop words
not counted, a proximity boost, lenient retries that say so, and a did-you-mean from the index's
own vocabulary (see ``indexer/query.py``). Each test runs on the embedded engine and on
Elasticsearch (noida-db unless CCP_TEST_ELASTICSEARCH_URL is set), with the same fixtures pattern
as ``tests/test_backend_contract.py``; one test compares the two engines query by query.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from indexer.backends.base import SearchBackend
from indexer.backends.embedded import EmbeddedBackend
from indexer.query import RELAXED_SPELLING, RELAXED_WORDS, SearchQuery, SearchResults
from indexer.textplan import (
    best_correction,
    edit_distance,
    fuzziness,
    is_listing,
    required_matches,
)
from tests.es_support import drop as drop_es_backend
from tests.es_support import es_url  # noqa: F401  (session fixture)
from tests.es_support import make_backend as make_es_backend
from tests.search_corpus import make_resource, utc

FILLER = ("The council met on Tuesday. Residents asked about parking and the new library. "
          "The minutes are available at the town hall. ") * 3


_CORPUS_FILE = Path(__file__).with_name("query_semantics_corpus.yaml")


def corpus():
    """Ten short documents (data: ``query_semantics_corpus.yaml`` beside this module), fresh
    ones at each call."""
    docs = []
    for entry in yaml.safe_load(_CORPUS_FILE.read_text(encoding="utf-8")):
        args = dict(entry)
        rid, title, when = args.pop("id"), args.pop("title"), args.pop("published")
        args["body"] = args["body"].replace("{filler}", FILLER)
        docs.append(make_resource(rid, title, published=utc(when.year, when.month, when.day),
                                  **args))
    return docs


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request, tmp_path):
    if request.param == "elasticsearch":
        b = make_es_backend(request.getfixturevalue("es_url"))
        b.apply(corpus())
        yield b
        drop_es_backend(b)
        return
    b = EmbeddedBackend(tmp_path / "index")
    b.apply(corpus())
    yield b
    b.close()


def search(backend: SearchBackend, text: str, **kw) -> SearchResults:
    return backend.search(SearchQuery(text=text, **kw))


def ids(results: SearchResults) -> list[str]:
    return [h.id for h in results.hits]


# -- the rules, without an engine -------------------------------------------------------------


def test_required_words_follow_two_then_seventy_five_percent():
    assert [required_matches(n) for n in range(1, 9)] == [1, 2, 2, 3, 3, 4, 5, 6]


def test_fuzziness_is_elasticsearch_auto():
    assert [fuzziness("x" * n) for n in (1, 2, 3, 5, 6, 12)] == [0, 0, 1, 1, 2, 2]


def test_edit_distance_counts_a_transposition_once():
    assert edit_distance("ecomony", "economy", 2) == 2
    assert edit_distance("recyclnig", "recycling", 2) == 1
    assert edit_distance("abc", "abcdefg", 2) == 3  # beyond the limit: limit + 1


def test_correction_prefers_the_nearest_then_the_most_frequent_term():
    candidates = [("economy", 12), ("economies", 30), ("ecology", 4)]
    assert best_correction("ecomony", 0, candidates) == "economy"
    assert best_correction("economi", 0, candidates) == "economy"  # 1 edit beats 2 edits
    assert best_correction("economi", 0, candidates + [("economic", 30)]) == "economic"
    assert best_correction("economy", 12, candidates) is None  # a known word is left alone
    assert best_correction("eco", 0, candidates) is None  # too short to correct


# -- on both engines --------------------------------------------------------------------------


def test_one_missing_word_no_longer_drops_a_page(backend):
    # "2030" is in no document: three of the five words are enough.
    results = search(backend, "circular economy roadmap Lisbon 2030", per_page=1)
    assert ids(results) == ["lisbon-roadmap"]
    assert results.suggestion is None  # numbers are never "corrected"
    strict = search(backend, "circular economy roadmap Lisbon 2030", filters={"year": ["2021"]})
    assert ids(strict)[0] == "lisbon-roadmap"


def test_short_queries_keep_every_word_required(backend):
    strict = search(backend, "Lisbon roadmap", lenient=False)
    assert set(ids(strict)) == {"lisbon-roadmap", "lisbon-news", "lisbon-report"}
    assert strict.relaxed is None and strict.suggestion is None


def test_a_query_that_cannot_fill_a_page_keeps_the_pages_with_every_word_first(backend):
    # Three pages hold both words, fewer than a page: the retry with fewer words fills the
    # page after them ("roadmap" alone brings Porto's roadmap) and says so; it never puts a
    # page with one word above a page with both.
    results = search(backend, "Lisbon roadmap")
    ranked = ids(results)
    assert set(ranked[:3]) == {"lisbon-roadmap", "lisbon-news", "lisbon-report"}
    assert "porto-roadmap" in ranked[3:]
    assert results.relaxed == RELAXED_WORDS and results.total == len(ranked)


def test_stop_words_are_not_counted(backend):
    # Counted, "the" would make this a three-word query needing two words: "the" + "roadmap"
    # would bring Porto's roadmap. Not counted, both Lisbon and roadmap are required.
    results = search(backend, "the Lisbon roadmap", lenient=False)
    assert set(ids(results)) == {"lisbon-roadmap", "lisbon-news", "lisbon-report"}


def test_a_page_without_the_stop_words_is_found(backend):
    results = search(backend, "centres for recycling and bulky waste of Porto")
    assert ids(results)[0] == "porto-centres"


def test_words_together_rank_first(backend):
    results = search(backend, "circular economy")
    ranked = ids(results)
    assert ranked.index("together") < ranked.index("scattered")


def test_quotes_minus_and_or_keep_working(backend):
    assert ids(search(backend, '"feuille de route"')) == ["paris-feuille"]
    assert "porto-roadmap" not in ids(search(backend, "roadmap -Porto"))
    either = search(backend, "Prato OR Paris")
    # Two hits are "very little": similar spellings ("parish") come after them.
    assert set(ids(either)[:2]) == {"prato-textiles", "paris-feuille"}
    assert either.relaxed == RELAXED_SPELLING


def test_too_few_hits_retries_with_fewer_words_and_says_so(backend):
    results = search(backend, "Lisbon textiles")  # no page has both
    assert results.relaxed == RELAXED_WORDS
    assert {"prato-textiles", "lisbon-roadmap"} <= set(ids(results))


def test_a_misspelt_word_finds_similar_spellings_and_suggests_the_right_one(backend):
    results = search(backend, "recyclnig")
    assert results.relaxed == RELAXED_SPELLING
    assert {"porto-centres", "prato-textiles", "lisbon-roadmap"} <= set(ids(results))
    assert results.suggestion == "recycling"


def test_did_you_mean_comes_from_the_index_vocabulary(backend):
    results = search(backend, "circular ecomony")
    assert results.suggestion == "circular economy"
    assert results.total > 0  # the lenient retry still shows something
    corrected = search(backend, results.suggestion)
    assert corrected.suggestion is None
    as_typed = search(backend, results.suggestion, lenient=False)
    assert as_typed.total > 0 and ids(as_typed) == ids(corrected)[:len(ids(as_typed))]


def test_another_inflection_of_an_indexed_word_is_not_corrected(backend):
    """"švaistymas" is in no document as such, but "švaistymo" is: the analysis finds it, so
    the word is not misspelt and no did-you-mean is offered."""
    results = search(backend, "maisto švaistymas")
    assert "kaunas-maistas" == ids(results)[0]
    assert results.suggestion is None


def test_a_word_in_no_document_and_near_none_gets_no_suggestion(backend):
    results = search(backend, "zzyzx")
    assert results.total == 0 and results.suggestion is None


def test_exclusions_are_never_relaxed(backend):
    results = search(backend, "Lisbon textiles -Prato")
    assert "prato-textiles" not in ids(results)


QUERIES = ["circular economy", "Lisbon roadmap", "the Lisbon roadmap", "Lisbon textiles",
           "circular economy roadmap Lisbon 2030", "recyclnig", "circular ecomony",
           '"repair cafes" Lisbon', "Porto OR Prato waste", "roadmap -Porto", "bulky waste"]


def test_both_engines_give_the_same_hits(tmp_path, es_url):  # noqa: F811
    embedded = EmbeddedBackend(tmp_path / "index")
    elastic = make_es_backend(es_url)
    try:
        for b in (embedded, elastic):
            b.apply(corpus())
        for text in QUERIES:
            a, b = search(embedded, text, per_page=20), search(elastic, text, per_page=20)
            assert (set(ids(a)), a.total, a.relaxed, a.suggestion) == (
                set(ids(b)), b.total, b.relaxed, b.suggestion), text
    finally:
        embedded.close()
        drop_es_backend(elastic)


# -- the search page ---------------------------------------------------------------------------


def test_search_page_says_it_relaxed_and_links_the_suggestion(tmp_path):
    import lxml.html

    from search_ui import create_app
    from tests.browser_support import build_portal

    portal = build_portal(tmp_path)
    try:
        app = create_app({"TESTING": True}, settings=portal.settings,
                         catalogue=portal.catalogue, backend=portal.backend)
        client = app.test_client()
        page = lxml.html.fromstring(client.get("/search?q=circular+ecomony&language=en")
                                    .get_data(as_text=True))
        notice = page.cssselect("#query-notice")[0].text_content()
        assert "circular ecomony" in notice and "some of its words" in notice
        link = page.cssselect("#did-you-mean")[0]
        assert link.text_content() == "circular economy"
        assert "q=circular+economy" in link.get("href") and "language=en" in link.get("href")
        fixed = lxml.html.fromstring(client.get(link.get("href")).get_data(as_text=True))
        assert not fixed.cssselect("#did-you-mean")
        # the JSON API carries the same information
        api = client.get("/api/search?q=circular+ecomony&language=en").get_json()
        assert api["relaxed"] == "some_words" and api["suggestion"] == "circular economy"
        exact = client.get("/api/search?q=circular+economy&language=en").get_json()
        assert exact["suggestion"] is None
    finally:
        portal.backend.close()
        portal.catalogue.close()


def test_listing_pages_are_told_from_resources():
    # A label for a title (a tag, a section) or a body of cut teasers: a listing.
    assert is_listing("Textiel", "Textiel\n\nTextielinzameling aan huis\n\nAldermeer heeft…")
    assert is_listing("Aktuelles", "")
    teasers = "\n\n".join(f"Item {i}\n\nThe first words of item {i} …" for i in range(3))
    assert is_listing("Latest news from the council of Wendelstadt", teasers)
    # A described page, a report with one quoted ellipsis, a page without a title: resources.
    assert not is_listing("Kreislaufwirtschaftsstrategie Wendelstadt 2030", "Am 16. November…")
    assert not is_listing("Annual waste report 2023", "Intro.\n\nHe said: wait...\n\nMore.\n\nEnd.")
    assert not is_listing("", "Some text.")
