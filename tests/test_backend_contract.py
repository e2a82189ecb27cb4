"""The contract every search backend keeps (one suite, run against each backend).

Backends are listed in ``BACKENDS``; each entry names a factory in ``FACTORIES`` that returns an
empty backend for one test. To run the suite against another engine, add a factory and a
``pytest.param``. The Elasticsearch entry runs on a unique index of the session's server from
``tests/es_support.py`` (``CCP_TEST_ELASTICSEARCH_URL``, else noida-db started on 127.0.0.1).

What the suite relies on: after ``apply()``/``rebuild()`` return, ``search()`` sees the batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from indexer.backends.base import SearchBackend, result_view
from indexer.backends.embedded import EmbeddedBackend
from indexer.query import FACETS, SearchQuery, SearchResults
from tests.es_support import drop as drop_es_backend
from tests.es_support import es_url  # noqa: F401  (session fixture, used by empty_backend)
from tests.es_support import make_backend as make_es_backend
from tests.search_corpus import corpus, expected_facets, live, make_resource, utc

needs_elasticsearch = pytest.mark.skipif(
    not os.environ.get("CCP_TEST_ELASTICSEARCH_URL"),
    reason="set CCP_TEST_ELASTICSEARCH_URL to run the contract against Elasticsearch",
)


def _embedded(tmp_path: Path) -> SearchBackend:
    return EmbeddedBackend(tmp_path / "index")


FACTORIES: dict[str, Callable[[Path], SearchBackend]] = {"embedded": _embedded}
BACKENDS = [pytest.param("embedded", id="embedded"),
            pytest.param("elasticsearch", id="elasticsearch")]


@pytest.fixture(params=BACKENDS)
def empty_backend(request, tmp_path):
    if request.param == "elasticsearch":
        backend = make_es_backend(request.getfixturevalue("es_url"))  # a unique index per test
        yield backend
        drop_es_backend(backend)  # deletes the test's indices
        return
    backend = FACTORIES[request.param](tmp_path)
    yield backend
    backend.close()


@pytest.fixture
def backend(empty_backend):
    empty_backend.apply(corpus())
    return empty_backend


def search(backend: SearchBackend, text: str = "", **kw) -> SearchResults:
    return backend.search(SearchQuery(text=text, **kw))


def ids(results: SearchResults) -> list[str]:
    return [h.id for h in results.hits]


def by_id(rid: str):
    return next(r for r in corpus() if r.id == rid)


def newest_first(resources):
    dated = sorted((r for r in resources if r.date), key=lambda r: r.date, reverse=True)
    return [r.id for r in dated] + [r.id for r in resources if not r.date]


# -- indexing -----------------------------------------------------------------------------------


def test_indexed_documents_are_counted_and_listed(backend):
    assert backend.count() == len(corpus())
    assert backend.ids() == {r.id for r in corpus()}
    ok, message = backend.health()
    assert ok, message


def test_a_new_backend_answers_with_no_results(empty_backend):
    results = search(empty_backend, "economy")
    assert results.total == 0 and results.hits == []
    assert set(results.facets) == set(FACETS)
    assert empty_backend.count() == 0


def test_hit_carries_the_stored_result_view(backend):
    results = search(backend, "Lisboa")
    assert ids(results) == ["lisbon-roadmap"]
    assert results.hits[0].doc == result_view(by_id("lisbon-roadmap"))
    assert results.took_ms >= 0


# -- full text ----------------------------------------------------------------------------------


def test_all_words_must_match(backend):
    # Every word of a one- or two-word query is required (indexer/query.py: "2<75%"); when too
    # few resources have them all, the search retries with fewer words and says so.
    exact = search(backend, "economia Lisboa")
    assert ids(exact)[0] == "lisbon-roadmap" and exact.relaxed is not None
    assert search(backend, "Lisboa Prato").relaxed == "some_words"


def test_title_match_ranks_above_body_match(backend):
    results = search(backend, "guide")
    assert ids(results) == ["brussels-reuse-guide", "paris-roadmap"]
    scores = [h.score for h in results.hits]
    assert scores[0] > scores[1]


def test_quoted_phrase_matches_words_in_order(backend):
    assert ids(search(backend, '"feuille de route"')) == ["paris-roadmap"]
    assert search(backend, '"route de feuille"').total == 0
    assert ids(search(backend, "route feuille")) == ["paris-roadmap"]


def test_minus_excludes_documents(backend):
    assert set(ids(search(backend, "cities"))) == {"eu-action-plan", "script-news"}
    assert ids(search(backend, "cities -deposit")) == ["eu-action-plan"]
    assert ids(search(backend, 'cities -"deposit schemes"')) == ["eu-action-plan"]
    assert set(ids(search(backend, 'cities -"schemes deposit"'))) == {
        "eu-action-plan", "script-news"}
    assert search(backend, "cities -deposit -regions").total == 0


def test_or_between_words(backend):
    assert set(ids(search(backend, "Lisboa OR Prato"))) == {"lisbon-roadmap", "prato-textiles"}
    # One resource has both units; that is too few, so the rest comes after it, relaxed.
    both = search(backend, "Lisboa OR Prato roteiro")
    assert ids(both)[0] == "lisbon-roadmap" and both.relaxed is not None


@pytest.mark.parametrize(
    "text",
    ['"unclosed', "AND OR", "title:", "(((", ")", "*", "\\", "🙂", "-", '""', "NOT", "OR OR",
     "[1 TO 5]", "a^2", "~", "economy~2", "+-+", "field:value:other", "<script>", "'", "&&",
     "x" * 500, "é" * 200, "\x00\x01", "economy)", "(economy", '"economy'],
)
def test_malformed_queries_never_raise(backend, text):
    results = search(backend, text)
    assert isinstance(results, SearchResults)
    assert results.total >= 0
    assert all(h.id in backend.ids() for h in results.hits)


def test_unclosed_quote_searches_the_words(backend):
    assert ids(search(backend, '"feuille route')) == ["paris-roadmap"]


def test_query_without_searchable_words_lists_everything(backend):
    assert search(backend, "(((").total == len(live(corpus()))


# -- filters and facets -------------------------------------------------------------------------


def test_filter_values_are_ored_within_a_facet(backend):
    results = search(backend, filters={"language": ["fr", "it"]})
    assert set(ids(results)) == {"paris-roadmap", "brussels-reuse-guide", "prato-textiles"}
    assert results.total == 3


def test_filters_are_anded_across_facets(backend):
    results = search(backend, filters={"language": ["fr"], "type": ["guide"]})
    assert ids(results) == ["brussels-reuse-guide"]


def test_filters_on_multi_valued_facets(backend):
    assert set(ids(search(backend, filters={"theme": ["construction"]}))) == {
        "ams-strategy", "brussels-reuse-guide"}
    via_urbact = set(ids(search(backend, filters={"source": ["urbact"]}, per_page=20)))
    assert "eu-action-plan" in via_urbact and "paris-roadmap" not in via_urbact
    assert set(ids(search(backend, filters={"year": ["2021"]}))) == {
        "brussels-reuse-guide", "lisbon-roadmap"}


def test_filters_combine_with_text(backend):
    assert ids(search(backend, "réemploi", filters={"type": ["guide"]})) == [
        "brussels-reuse-guide"]


def _facets(results: SearchResults):
    return {f: [(v.value, v.count) for v in vals] for f, vals in results.facets.items()}


def test_facet_counts_without_filters(backend):
    results = search(backend)
    assert _facets(results) == expected_facets(live(corpus()), {})
    assert results.facets["language"][0].value == "en"  # 3 live English documents


@pytest.mark.parametrize(
    "filters",
    [
        {"language": ["fr"]},
        {"language": ["fr", "nl"], "type": ["strategy"]},
        {"theme": ["waste"], "country": ["NL", "PT", "EU"]},
        {"source": ["urbact"], "year": ["2019", "2021"], "type": ["good-practice", "guide"]},
    ],
)
def test_facet_counts_are_disjunctive(backend, filters):
    results = search(backend, filters=filters)
    assert _facets(results) == expected_facets(live(corpus()), filters)


def test_selected_facet_keeps_the_counts_of_its_other_values(backend):
    results = search(backend, filters={"language": ["fr"]})
    languages = dict(_facets(results)["language"])
    assert languages["nl"] == 2 and languages["fr"] == 2
    assert dict(_facets(results)["type"]) == {"strategy": 1, "guide": 1}


def test_facet_counts_follow_the_text_query(backend):
    results = search(backend, "circular OR circulaire OR circolare")
    matched = [r for r in live(corpus()) if r.id in set(ids(results))]
    assert results.total == len(matched) == 5
    assert _facets(results) == expected_facets(matched, {})


def test_facet_counts_follow_changes(backend):
    before = _facets(search(backend, page=1))
    backend.apply(
        [make_resource("new-es", "Estrategia de economía circular", language="es",
                       type="strategy", countries=("ES",), published=utc(2024, 5, 1))],
        deletes=["prato-textiles"],
    )
    after = _facets(search(backend, page=2))
    assert dict(after["language"]).get("es") == 1 and "es" not in dict(before["language"])
    assert "it" in dict(before["language"]) and "it" not in dict(after["language"])
    assert dict(after["type"])["strategy"] == dict(before["type"])["strategy"] + 1


def test_facet_size_limits_values(backend):
    results = search(backend, facet_size=2)
    expected = expected_facets(live(corpus()), {}, size=2)
    assert _facets(results) == expected
    assert all(len(vals) <= 2 for vals in results.facets.values())


# -- paging and sorting -------------------------------------------------------------------------


def test_pages_cover_every_result_once(backend):
    n = len(live(corpus()))
    seen = []
    for page in range(1, 5):
        results = search(backend, page=page, per_page=3)
        assert results.total == n
        seen += ids(results)
    assert len(seen) == n and set(seen) == {r.id for r in live(corpus())}
    assert search(backend, page=5, per_page=3).hits == []
    assert search(backend, page=5, per_page=3).total == n


def test_empty_query_lists_everything_newest_first(backend):
    results = search(backend, per_page=20)
    assert ids(results) == newest_first(live(corpus()))
    assert ids(results)[-1] == "repair-cafe-toolkit"  # no date: last


def test_sort_by_date(backend):
    text = "economia OR economie OR economy OR économie"
    by_date = search(backend, text, sort="date")
    relevance = search(backend, text)
    assert set(ids(by_date)) == set(ids(relevance))
    dates = [by_id(i).date for i in ids(by_date)]
    assert len(dates) >= 4 and dates == sorted(dates, reverse=True)


def test_relevance_scores_do_not_increase(backend):
    results = search(backend, "circular OR economy OR cities")
    scores = [h.score for h in results.hits]
    assert len(scores) >= 3 and scores == sorted(scores, reverse=True)


# -- changes ------------------------------------------------------------------------------------


def test_delete_removes_documents(backend):
    backend.apply([], deletes=["paris-roadmap", "no-such-id"])
    assert backend.count() == len(corpus()) - 1
    assert search(backend, "Paris").total == 0
    assert "paris-roadmap" not in backend.ids()


def test_upsert_replaces_the_document_with_the_same_id(backend):
    old = by_id("lisbon-roadmap")
    new = make_resource(
        old.id, "Plano de ação circular do Porto", body="O Porto reduz os resíduos urbanos.",
        language="pt", type="strategy", countries=("PT",), sources=("porto",),
        published=utc(2024, 2, 1),
    )
    backend.apply([new])
    assert backend.count() == len(corpus())
    assert search(backend, "Roteiro").total == 0
    results = search(backend, "Porto")
    assert ids(results) == [old.id]
    assert results.hits[0].doc["title"] == "Plano de ação circular do Porto"
    assert dict(_facets(search(backend))["source"])["porto"] == 1


def test_deletes_apply_before_upserts_in_one_batch(backend):
    r = by_id("prato-textiles")
    backend.apply([r], deletes=[r.id])
    assert ids(search(backend, "Prato")) == [r.id]


def test_rebuild_replaces_the_whole_index(backend):
    subset = [by_id("paris-roadmap"), by_id("prato-textiles"), by_id("eu-action-plan")]
    assert backend.rebuild(iter(subset)) == 3
    assert backend.count() == 3
    assert backend.ids() == {r.id for r in subset}
    assert ids(search(backend, "Prato")) == ["prato-textiles"]
    assert search(backend, "Lisboa").total == 0


def test_rebuild_of_an_empty_backend(empty_backend):
    assert empty_backend.rebuild(corpus()) == len(corpus())
    assert ids(search(empty_backend, "Lisboa")) == ["lisbon-roadmap"]


# -- gone resources -----------------------------------------------------------------------------


def test_gone_resources_are_hidden_unless_asked_for(backend):
    assert search(backend, "archived").total == 0
    assert search(backend).total == len(live(corpus()))
    assert "gone-news" not in ids(search(backend, per_page=20))
    shown = search(backend, "archived", include_gone=True)
    assert ids(shown) == ["gone-news"]
    assert search(backend, include_gone=True).total == len(corpus())
    assert ids(search(backend, include_gone=True))[0] == "gone-news"  # newest


def test_gone_resources_are_not_counted_in_facets(backend):
    assert _facets(search(backend)) == expected_facets(live(corpus()), {})
    assert _facets(search(backend, include_gone=True)) == expected_facets(corpus(), {})


# -- snippets -----------------------------------------------------------------------------------


def test_snippet_highlights_the_query_words(backend):
    hit = search(backend, "réemploi chantiers").hits[0]
    assert hit.id == "brussels-reuse-guide"
    snippet = hit.snippet
    marked = [snippet.text[s:e] for s, e in snippet.highlights]
    assert marked and set(w.lower() for w in marked) <= {"réemploi"}
    assert "réemploi" in snippet.text
    assert "<mark>réemploi</mark>" in str(snippet.to_html())


def test_snippet_without_a_body_match_is_the_start_of_the_summary(backend):
    hit = search(backend, "Fietsenmakers").hits[0]
    assert hit.id == "utrecht-bikes"
    assert hit.snippet.highlights == []
    assert hit.snippet.text.startswith("Een sociaal leerwerkbedrijf")


def test_listing_snippets_have_no_highlights(backend):
    for hit in search(backend, per_page=20).hits:
        assert hit.snippet is not None and hit.snippet.highlights == []


def test_markup_in_documents_comes_back_as_data(backend):
    results = search(backend, "deposit")
    hit = results.hits[0]
    assert hit.id == "script-news"
    assert hit.doc["title"] == "<script>alert('title')</script> Cities & <b>waste</b>"
    assert "<script>alert(1)</script>" in hit.snippet.text
    html = str(hit.snippet.to_html())
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>deposit</mark>" in html


def test_highlight_offsets_are_characters(backend):
    hit = search(backend, "resíduos").hits[0]
    assert hit.id == "lisbon-roadmap"
    text = hit.snippet.text
    assert [text[s:e] for s, e in hit.snippet.highlights] == ["resíduos"]


def test_a_listing_page_ranks_below_the_page_it_lists(empty_backend):
    # A tag page shows the article's title and lead under a one-word label: shorter, so plain
    # BM25 would rank it first; a page of cut teasers is a listing whatever its title.
    lead = "Door-to-door textile collection gathered 38 tonnes in its first year."
    article = make_resource(
        "article", "Textile collection at home: 38 tonnes in one year", summary=lead,
        body=lead + "\n\nThe city collected textiles from 4,000 homes. " * 3,
        published=utc(2024, 5, 2))
    tag = make_resource("tag", "Textiles", body="Textiles\n\n" + article.title + "\n\n" + lead)
    teasers = make_resource(
        "teasers", "Latest textile collection news from the city",
        body="\n\n".join(f"Textile collection round {i}\n\nThe textile collection …"
                         for i in range(4)))
    empty_backend.apply([article, tag, teasers])
    assert ids(search(empty_backend, "textile collection"))[0] == "article"
    assert set(ids(search(empty_backend, "textile collection"))) == {"article", "tag", "teasers"}


# -- vectors (dense retrieval) --------------------------------------------------------------------
#
# Vectors are made up here (unit vectors near one of three directions): the contract is about
# storing, ranking and filtering them; tests/test_embeddings.py uses real embeddings.

VECTOR_MODEL = "contract-test-model"


def corpus_vectors(dim: int = 384) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    axes = np.eye(dim, dtype=np.float32)
    out = {}
    for i, r in enumerate(corpus()):
        v = axes[i % 3] + 0.3 * rng.standard_normal(dim).astype(np.float32)
        out[r.id] = (v / np.linalg.norm(v)).astype(np.float32)
    return out


def exact_ranking(query: np.ndarray, vectors: dict[str, np.ndarray], allowed) -> list[str]:
    scored = [(float(v @ query), rid) for rid, v in vectors.items() if rid in allowed]
    return [rid for _, rid in sorted(scored, key=lambda sr: (-sr[0], sr[1]))]


@pytest.fixture
def with_vectors(backend):
    vectors = corpus_vectors()
    assert backend.apply_vectors(VECTOR_MODEL, vectors.items()) == []
    return backend, vectors


def test_vector_search_ranks_indexed_vectors_by_similarity(with_vectors):
    backend, vectors = with_vectors
    assert backend.vector_count() == len(vectors)
    assert backend.vector_model() == VECTOR_MODEL
    query = vectors["lisbon-roadmap"]
    found = backend.vector_search(query, 4, model=VECTOR_MODEL)
    live_ids = {r.id for r in live(corpus())}
    assert [rid for rid, _ in found] == exact_ranking(query, vectors, live_ids)[:4]
    # similarities are cosines (Elasticsearch keeps 8-bit quantized copies for its HNSW graph
    # since 8.14: its scores are a little off)
    assert found[0][0] == "lisbon-roadmap" and found[0][1] == pytest.approx(1.0, abs=0.01)
    for rid, similarity in found:
        assert similarity == pytest.approx(float(vectors[rid] @ query), abs=0.03)


@pytest.mark.parametrize("filters", [
    {"language": ["fr"]},
    {"language": ["nl", "de"], "type": ["strategy"]},
    {"theme": ["textiles"]},
    {"year": ["2099"]},
])
def test_vector_search_honours_filters_exactly_like_a_search(with_vectors, filters):
    backend, vectors = with_vectors
    matching = set(ids(search(backend, filters=filters, per_page=100)))
    query = vectors["paris-roadmap"]
    found = [rid for rid, _ in backend.vector_search(query, 100, filters, model=VECTOR_MODEL)]
    assert found == exact_ranking(query, vectors, matching)


def test_gone_resources_are_found_only_when_asked(with_vectors):
    backend, vectors = with_vectors
    query = vectors["gone-news"]
    assert "gone-news" not in [rid for rid, _ in backend.vector_search(query, 100)]
    assert backend.vector_search(query, 1, include_gone=True)[0][0] == "gone-news"


def test_vectors_of_another_model_are_never_compared(with_vectors):
    backend, vectors = with_vectors
    assert backend.vector_search(vectors["paris-roadmap"], 5, model="another-model") == []


def test_a_vector_outlives_reindexing_of_its_document(with_vectors):
    backend, vectors = with_vectors
    backend.apply([by_id("prato-textiles")])  # re-harvested: indexed again, same text
    found = backend.vector_search(vectors["prato-textiles"], 1, model=VECTOR_MODEL)
    assert found[0][0] == "prato-textiles"


def test_a_deleted_document_is_not_found_by_its_vector(with_vectors):
    backend, vectors = with_vectors
    backend.apply([], deletes=["prato-textiles"])
    found = backend.vector_search(vectors["prato-textiles"], 100, model=VECTOR_MODEL)
    assert "prato-textiles" not in [rid for rid, _ in found] and found


def test_a_new_vector_replaces_the_old_one(with_vectors):
    backend, vectors = with_vectors
    moved = -vectors["berlin-zero-waste"]
    backend.apply_vectors(VECTOR_MODEL, [("berlin-zero-waste", moved)])
    assert backend.vector_count() == len(vectors)
    assert backend.vector_search(moved, 1, model=VECTOR_MODEL)[0][0] == "berlin-zero-waste"
    assert "berlin-zero-waste" not in [
        rid for rid, _ in backend.vector_search(vectors["berlin-zero-waste"], 3)]


def test_vectors_sent_again_after_a_rebuild_are_searched(with_vectors):
    backend, vectors = with_vectors
    backend.rebuild(corpus())
    backend.apply_vectors(VECTOR_MODEL, vectors.items(), replace=True)
    assert backend.vector_count() == len(vectors)
    query = vectors["utrecht-bikes"]
    assert backend.vector_search(query, 1, model=VECTOR_MODEL)[0][0] == "utrecht-bikes"


def test_a_vector_before_its_document_is_kept_or_reported(empty_backend):
    vectors = corpus_vectors()
    skipped = empty_backend.apply_vectors(VECTOR_MODEL, [("prato-textiles",
                                                          vectors["prato-textiles"])])
    assert empty_backend.vector_search(vectors["prato-textiles"], 5) == []  # not indexed yet
    empty_backend.apply([by_id("prato-textiles")])
    if skipped:  # the engine could not keep it: the caller sends it again
        assert skipped == ["prato-textiles"]
        empty_backend.apply_vectors(VECTOR_MODEL, [("prato-textiles", vectors["prato-textiles"])])
    found = empty_backend.vector_search(vectors["prato-textiles"], 5, model=VECTOR_MODEL)
    assert [rid for rid, _ in found] == ["prato-textiles"]


def test_query_vectors_are_moved_by_the_stored_shift(with_vectors):
    backend, vectors = with_vectors
    shift = np.mean(list(vectors.values()), axis=0)
    backend.apply_vectors(VECTOR_MODEL, [], query_shift=shift)
    query = vectors["eu-action-plan"] + vectors["utrecht-bikes"]
    query /= np.linalg.norm(query)
    moved = (query - shift) / np.linalg.norm(query - shift)
    found = backend.vector_search(query, 5, model=VECTOR_MODEL)
    live_ids = {r.id for r in live(corpus())}
    assert [rid for rid, _ in found] == exact_ranking(moved, vectors, live_ids)[:5]
    for rid, similarity in found:
        assert similarity == pytest.approx(float(vectors[rid] @ moved), abs=0.03)


# -- structured facts: the city facet, open calls, upcoming events, date range, deadline sort ---
#
# Judged at a fixed moment (SearchQuery.now) so that both engines answer the same; the
# reference is query.Restrictions.admits, the same rule as the engines'.

FACTS_NOW = utc(2026, 6, 15) + timedelta(hours=12)


def facts_corpus() -> list:
    """Calls with deadlines around FACTS_NOW, events, dated news, places in two cities."""
    hour, day = timedelta(hours=1), timedelta(days=1)

    def res(rid, title, *, type="other", published=None, city=None, country="LT",
            deadline=None, start=None, end=None, body="circular economy funding"):
        r = make_resource(rid, title, body=body, type=type, published=published or utc(2026, 1, 10),
                          countries=(country,), city=city)
        r.deadline, r.event_start, r.event_end = deadline, start, end
        return r

    return [
        res("call-hours", "Call closing in hours", type="funding", city="Kaunas",
            deadline=FACTS_NOW + 3 * hour, published=utc(2026, 3, 1)),
        res("call-weeks", "Call closing in weeks", type="funding", city="Vilnius",
            deadline=FACTS_NOW + 20 * day, published=utc(2026, 2, 1)),
        res("call-at-now", "Call closing this very second", type="funding",
            deadline=FACTS_NOW, published=utc(2026, 1, 5)),
        res("call-closed", "Call closed an hour ago", type="funding", city="Kaunas",
            deadline=FACTS_NOW - hour, published=utc(2026, 4, 1)),
        res("call-old", "Call closed last year", type="funding", country="IT", city="Prato",
            deadline=FACTS_NOW - 300 * day, published=utc(2025, 5, 1)),
        res("call-undated", "Call without a deadline", type="funding", published=utc(2026, 5, 1)),
        res("event-running", "Event under way", type="event", city="Kaunas",
            start=FACTS_NOW - day, end=FACTS_NOW + day, published=utc(2026, 3, 31)),
        res("event-today", "Event started this morning", type="event",
            start=FACTS_NOW - 3 * hour, published=utc(2026, 3, 30)),
        res("event-next", "Event next month", type="event", start=FACTS_NOW + 30 * day,
            end=FACTS_NOW + 31 * day, published=utc(2026, 3, 29)),
        res("event-past", "Event last week", type="event", start=FACTS_NOW - 8 * day,
            end=FACTS_NOW - 7 * day, published=utc(2026, 3, 28)),
        res("news-march", "News of 31 March", published=utc(2026, 3, 31) + 23 * hour),
        res("news-april", "News of 1 April", published=utc(2026, 4, 1)),
    ]


@pytest.fixture
def facts_backend(empty_backend):
    empty_backend.apply(facts_corpus())
    return empty_backend


def facts_search(backend, **kw) -> SearchResults:
    kw.setdefault("per_page", 50)
    return backend.search(SearchQuery(now=FACTS_NOW, **kw))


def admitted(**kw) -> set[str]:
    limits = SearchQuery(now=FACTS_NOW, **kw).restrictions()
    return {r.id for r in facts_corpus() if limits.admits(r.deadline, r.event_until, r.date)}


def test_open_keeps_exactly_the_calls_whose_deadline_has_not_passed(facts_backend):
    found = facts_search(facts_backend, open=True)
    assert set(ids(found)) == {"call-hours", "call-weeks", "call-at-now"} == admitted(open=True)
    assert found.total == 3
    # the facets count what the filter keeps
    assert {v.value: v.count for v in found.facets["city"]} == {"Kaunas": 1, "Vilnius": 1}
    assert {v.value: v.count for v in found.facets["type"]} == {"funding": 3}
    # a moment later, the call closing "now" is closed
    later = facts_backend.search(SearchQuery(open=True, now=FACTS_NOW + timedelta(seconds=1)))
    assert set(ids(later)) == {"call-hours", "call-weeks"}


def test_upcoming_keeps_the_events_not_yet_over(facts_backend):
    found = facts_search(facts_backend, upcoming=True)
    # under way, started today (an event without an end lasts the day it starts), to come
    assert set(ids(found)) == {"event-running", "event-today", "event-next"}
    assert set(ids(found)) == admitted(upcoming=True)
    both = facts_search(facts_backend, upcoming=True, filters={"city": ["Kaunas"]})
    assert ids(both) == ["event-running"]


def test_the_date_range_takes_both_days_whole(facts_backend):
    march = facts_search(facts_backend, date_from=utc(2026, 3, 31).date(),
                         date_to=utc(2026, 3, 31).date())
    assert set(ids(march)) == {"news-march", "event-running"}
    spring = facts_search(facts_backend, date_from=utc(2026, 3, 30).date(),
                          date_to=utc(2026, 4, 1).date())
    expected = admitted(date_from=utc(2026, 3, 30).date(), date_to=utc(2026, 4, 1).date())
    assert set(ids(spring)) == expected == {"event-today", "event-running", "news-march",
                                            "news-april", "call-closed"}
    assert ids(spring) == [r.id for r in sorted(
        (r for r in facts_corpus() if r.id in expected), key=lambda r: r.date, reverse=True)]
    until = facts_search(facts_backend, date_to=utc(2025, 12, 31).date())
    assert ids(until) == ["call-old"]


def test_deadline_sort_lists_open_calls_soonest_first_then_the_rest_newest_first(facts_backend):
    everything = facts_search(facts_backend, sort="deadline")
    open_first = ["call-at-now", "call-hours", "call-weeks"]
    rest = [r.id for r in sorted((r for r in facts_corpus() if r.id not in open_first),
                                 key=lambda r: r.date, reverse=True)]
    assert ids(everything) == open_first + rest
    assert everything.total == len(facts_corpus())
    # page by page, the same order: pages straddling the open calls and the rest
    paged = []
    for page in range(1, 6):
        got = facts_search(facts_backend, sort="deadline", per_page=2, page=page)
        assert got.total == len(facts_corpus())
        paged += ids(got)
    assert paged == ids(everything)[:10]
    # with words, the sort still orders by deadline (and the open filter keeps the open calls)
    worded = facts_search(facts_backend, text="call", sort="deadline", open=True)
    assert ids(worded) == open_first


def test_city_facet_counts_and_filters_cities(facts_backend):
    found = facts_search(facts_backend)
    assert {v.value: v.count for v in found.facets["city"]} == {
        "Kaunas": 3, "Vilnius": 1, "Prato": 1}
    kaunas = facts_search(facts_backend, filters={"city": ["Kaunas"]})
    assert set(ids(kaunas)) == {"call-hours", "call-closed", "event-running"}
    # disjunctive like every facet: the other cities keep their counts
    assert {v.value: v.count for v in kaunas.facets["city"]} == {
        "Kaunas": 3, "Vilnius": 1, "Prato": 1}
    assert kaunas.hits[0].doc["cities"] == ["Kaunas"]


def test_hits_carry_the_deadline_and_event_dates(facts_backend):
    (call,) = facts_search(facts_backend, filters={"city": ["Vilnius"]}).hits
    assert call.doc["deadline"] == (FACTS_NOW + timedelta(days=20)).isoformat().replace(
        "+00:00", "Z")
    assert call.doc["start"] is None and call.doc["end"] is None
    assert call.doc["places"] == [{"country": "LT", "city": "Vilnius"}]
    event = next(h for h in facts_search(facts_backend, upcoming=True).hits
                 if h.id == "event-next")
    assert event.doc["start"].startswith("2026-07-15") and event.doc["end"].startswith(
        "2026-07-16")
