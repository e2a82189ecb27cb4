"""The Elasticsearch backend against a server (noida-db, or CCP_TEST_ELASTICSEARCH_URL).

What the shared contract (test_backend_contract.py) does not cover: the alias and its indices,
rebuilds that fail half-way, bulk failures (injected by a proxy on 127.0.0.1), an engine that is
down, deep pages through search_after, and stemming (real Elasticsearch only).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.es_support import (
    FaultProxy,
    drop,
    es_url,  # noqa: F401  (the session fixture)
    free_port,
    make_backend,
    needs_real_analyzers,
    real_elasticsearch,
    require_client,
    unique_index,
)

require_client()

from indexer.backends.base import BackendUnavailable  # noqa: E402
from indexer.backends.elasticsearch import (  # noqa: E402
    SCHEMA_VERSION,
    ElasticsearchBackend,
    IndexingError,
)
from indexer.query import SearchQuery  # noqa: E402
from tests.search_corpus import corpus, live, make_resource, utc  # noqa: E402


@pytest.fixture
def es_backend(es_url):  # noqa: F811
    backend = make_backend(es_url)
    yield backend
    drop(backend)


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def search(backend, text="", **kw):
    return backend.search(SearchQuery(text=text, **kw))


def docs(n: int, prefix: str = "d") -> list:
    return [
        make_resource(f"{prefix}{i:03d}", f"Circular document {i}", body=f"waste text {i}",
                      published=utc(2000 + i // 12, i % 12 + 1, 1) if i % 5 else None,
                      themes=("waste",) if i % 2 else ("food",))
        for i in range(n)
    ]


# -- the alias and its indices ----------------------------------------------------------------


@contextmanager
def proxied_backend(url: str, **options):
    """(proxy, backend): a backend on a fresh index that reaches Elasticsearch at ``url``
    through a :class:`FaultProxy`; the index is dropped afterwards, with the proxy up again."""
    with FaultProxy(url) as proxy:
        backend = make_backend(proxy.url, unique_index(), **options)
        try:
            yield proxy, backend
        finally:
            proxy.down = False
            drop(backend)


def test_first_apply_creates_an_index_behind_the_alias(es_backend):
    assert es_backend.count() == 0
    ok, message = es_backend.health()
    assert not ok and "no index" in message
    es_backend.apply(corpus()[:3])
    targets = es_backend._alias_targets()
    assert len(targets) == 1 and targets[0].startswith(es_backend.index + "-")
    mapping = es_backend.es.indices.get_mapping(index=es_backend.index).body[targets[0]]
    assert mapping["mappings"]["dynamic"] == "strict"
    assert mapping["mappings"]["_meta"]["ccp_schema"] == SCHEMA_VERSION
    ok, message = es_backend.health()
    assert ok, message
    assert "3 documents" in message and targets[0] in message


def test_rebuild_swaps_the_alias_and_deletes_the_old_index(es_backend):
    es_backend.apply(corpus())
    [old] = es_backend._alias_targets()
    assert es_backend.rebuild(iter(corpus()[:4])) == 4
    [new] = es_backend._alias_targets()
    assert new != old
    assert es_backend._own_indices() == [new]
    assert not es_backend.es.indices.exists(index=old)
    assert es_backend.count() == 4
    settings = es_backend.es.indices.get_settings(index=new).body[new]["settings"]["index"]
    assert settings["auto_expand_replicas"] == "0-1"


def test_rebuild_counts_repeated_ids_once(es_backend):
    first = corpus()[0]
    changed = make_resource(first.id, "Replaced title", body="new body", language="en")
    assert es_backend.rebuild([first, *corpus()[1:3], changed]) == 3
    assert es_backend.count() == 3
    assert ids(search(es_backend, "Replaced")) == [first.id]


def test_failed_rebuild_leaves_the_live_index_untouched(es_backend):
    es_backend.apply(corpus())
    [live_index] = es_backend._alias_targets()

    def broken():
        yield from corpus()[:2]
        raise RuntimeError("catalogue read failed")

    with pytest.raises(RuntimeError, match="catalogue read failed"):
        es_backend.rebuild(broken())
    assert es_backend._alias_targets() == [live_index]
    assert es_backend._own_indices() == [live_index]  # the half-built index is gone
    assert es_backend.count() == len(corpus())
    assert ids(search(es_backend, "Lisboa")) == ["lisbon-roadmap"]


def test_rebuild_failing_at_the_swap_deletes_the_new_index(es_url):  # noqa: F811
    index = unique_index()
    direct = make_backend(es_url, index)
    try:
        direct.apply(corpus())
        [live_index] = direct._alias_targets()
        with FaultProxy(es_url) as proxy:
            proxied = make_backend(proxy.url, index)
            proxy.fail_paths[("POST", "/_aliases")] = 500
            with pytest.raises(BackendUnavailable, match="500"):
                proxied.rebuild(corpus()[:2])
            proxied.close()
        assert direct._alias_targets() == [live_index]
        assert direct._own_indices() == [live_index]
        assert direct.count() == len(corpus())
    finally:
        drop(direct)


def test_an_index_named_like_the_alias_is_reported(es_url):  # noqa: F811
    backend = make_backend(es_url)
    backend.es.indices.create(index=backend.index)
    try:
        with pytest.raises(BackendUnavailable, match="exists where the portal's alias"):
            backend.apply(corpus()[:1])
        with pytest.raises(BackendUnavailable, match="exists where the portal's alias"):
            backend.rebuild(corpus()[:1])
    finally:
        backend.es.indices.delete(index=backend.index)
        drop(backend)


# -- bulk failures ----------------------------------------------------------------------------


def test_a_document_failing_in_a_bulk_request_is_retried_alone(es_url):  # noqa: F811
    with proxied_backend(es_url, bulk_retries=0) as (proxy, backend):
        proxy.reject_docs["paris-roadmap"] = [503]  # the bulk item fails once
        backend.apply(corpus())
        assert ("PUT", f"/{backend.index}/_doc/paris-roadmap") in proxy.requests
        assert backend.count() == len(corpus())
        assert ids(search(backend, '"feuille de route"')) == ["paris-roadmap"]


def test_documents_rejected_again_are_reported_not_ignored(es_url):  # noqa: F811
    with proxied_backend(es_url, bulk_retries=0) as (proxy, backend):
        proxy.reject_docs["paris-roadmap"] = [400, 400]  # in the bulk request, then alone
        with pytest.raises(IndexingError, match="paris-roadmap") as raised:
            backend.apply(corpus())
        assert [f[0] for f in raised.value.failures] == ["paris-roadmap"]
        assert raised.value.failures[0][1] == 400
        backend.apply([])  # the next batch's refresh shows what was written
        assert backend.count() == len(corpus()) - 1
        assert "paris-roadmap" not in backend.ids()


def test_documents_failing_with_server_errors_make_the_backend_unavailable(es_url):  # noqa: F811
    with proxied_backend(es_url, bulk_retries=0) as (proxy, backend):
        proxy.reject_docs["ams-strategy"] = [503, 503]
        with pytest.raises(BackendUnavailable, match="ams-strategy"):
            backend.apply(corpus())


def test_large_batches_are_sent_in_bounded_chunks(es_url):  # noqa: F811
    with proxied_backend(es_url, chunk_docs=10) as (proxy, backend):
        backend.apply(iter(docs(35)))
        bulks = [p for m, p in proxy.requests if p.endswith("/_bulk")]
        assert len(bulks) == 4
        assert backend.count() == 35


# -- an engine that cannot answer ---------------------------------------------------------------


def test_a_server_that_is_not_running_makes_the_backend_unavailable():
    backend = ElasticsearchBackend.connect(f"http://127.0.0.1:{free_port()}", unique_index(),
                                           max_retries=0, request_timeout=5)
    try:
        for call in (lambda: search(backend, "waste"), backend.count,
                     lambda: backend.apply(corpus()[:1]), lambda: backend.rebuild(corpus()[:1]),
                     backend.ids):
            with pytest.raises(BackendUnavailable, match="cannot be reached"):
                call()
        ok, message = backend.health()
        assert not ok and "cannot be reached" in message and "127.0.0.1" in message
    finally:
        backend.close()


def test_server_errors_make_the_backend_unavailable(es_url):  # noqa: F811
    with proxied_backend(es_url) as (proxy, backend):
        backend.apply(corpus()[:2])
        proxy.down = True
        with pytest.raises(BackendUnavailable, match="503"):
            search(backend, "waste")
        with pytest.raises(BackendUnavailable, match="503"):
            backend.apply(corpus()[2:4])
        ok, message = backend.health()
        assert not ok and "503" in message
        proxy.down = False
        assert backend.health()[0]
        assert backend.count() == 2


# -- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text,sort", [("", "relevance"), ("circular OR waste", "relevance"),
                                       ("circular OR waste", "date")])
def test_pages_beyond_the_result_window_are_reached_with_search_after(
    es_url, text, sort  # noqa: F811
):
    if text and sort == "relevance" and not real_elasticsearch():
        # noida-db's search_after misplaces some float scores of equal documents (the same
        # page comes back: seen with the analysed title's terms in the query); a real
        # Elasticsearch (CCP_TEST_ELASTICSEARCH_URL) runs this case
        pytest.xfail("noida-db: search_after on tied float scores")
    index = unique_index()
    windowed = make_backend(es_url, index)
    deep = make_backend(es_url, index, result_window=4)  # same index, tiny window
    try:
        windowed.apply(docs(23))
        expected, got = [], []
        for page in range(1, 10):
            q = SearchQuery(text=text, sort=sort, page=page, per_page=3,
                            filters={"theme": ["waste"]})
            a, b = windowed.search(q), deep.search(q)
            assert a.total == b.total == 11
            assert [(f, [(v.value, v.count) for v in vals]) for f, vals in a.facets.items()] == \
                [(f, [(v.value, v.count) for v in vals]) for f, vals in b.facets.items()]
            expected += ids(a)
            got += ids(b)
        assert got == expected and len(got) == 11 and len(set(got)) == 11
    finally:
        deep.close()
        drop(windowed)


def test_deadline_sort_beyond_the_result_window_walks_both_parts(es_url):  # noqa: F811
    from datetime import timedelta

    now = utc(2026, 6, 1)
    resources = docs(17)
    for i, r in enumerate(resources):  # eight open calls, four closed, five without deadline
        if i < 12:
            r.deadline = now + timedelta(days=(i * 7) % 12 - 4)
    index = unique_index()
    windowed = make_backend(es_url, index)
    deep = make_backend(es_url, index, result_window=4)  # same index, tiny window
    try:
        windowed.apply(resources)
        expected, got = [], []
        for page in range(1, 8):
            q = SearchQuery(sort="deadline", page=page, per_page=3, now=now)
            a, b = windowed.search(q), deep.search(q)
            assert a.total == b.total == 17
            expected += [h.id for h in a.hits]
            got += [h.id for h in b.hits]
        assert got == expected and len(set(got)) == 17
        still_open = sorted((r for r in resources if r.deadline and r.deadline >= now),
                            key=lambda r: r.deadline)
        assert got[:len(still_open)] == [r.id for r in still_open]
    finally:
        deep.close()
        drop(windowed)


def test_ids_lists_every_document(es_backend):
    es_backend.apply(docs(30))
    assert es_backend.ids() == {f"d{i:03d}" for i in range(30)}


def test_long_queries_never_raise(es_backend):
    es_backend.apply(corpus())
    words = "Lisboa " + " ".join(f"w{i}" for i in range(80))
    assert search(es_backend, words).total == 0  # the first 20 words must all match
    results = search(es_backend, " OR ".join(["Lisboa"] + [f"w{i}" for i in range(50)]))
    assert ids(results) == ["lisbon-roadmap"]


def test_gone_resources_stay_counted_but_hidden(es_backend):
    es_backend.apply(corpus())
    assert es_backend.count() == len(corpus())
    assert search(es_backend, per_page=50).total == len(live(corpus()))


# -- real analyzers -------------------------------------------------------------------------------


def test_language_analyzers_stem_words(es_backend):
    # This needs Elasticsearch's own language analyzers: noida-db does not stem at search time.
    needs_real_analyzers()
    bikes = make_resource("bikes", "Tweedehands", body="De gemeente repareert fietsen.",
                          language="nl", published=utc(2024, 1, 1))
    es_backend.apply([*corpus(), bikes])
    assert ids(search(es_backend, "fiets")) == ["bikes"]  # nl: fietsen -> fiets
    results = search(es_backend, "city")  # en: cities -> citi <- city
    assert {"eu-action-plan", "script-news"} <= set(ids(results))
    for hit in results.hits:
        marked = [hit.snippet.text[s:e].lower() for s, e in hit.snippet.highlights]
        assert "cities" in marked


def test_drain_keeps_and_reports_rejected_documents_and_indexes_the_rest(es_url, tmp_path):  # noqa: F811
    from indexer.catalogue import Catalogue
    from indexer.indexing import drain

    cat = Catalogue(f"sqlite:///{tmp_path / 'catalogue.sqlite3'}")
    cat.create_all()
    for r in corpus():
        cat.put_resource(r)
    with proxied_backend(es_url, bulk_retries=0) as (proxy, backend):
        proxy.reject_docs["paris-roadmap"] = [400, 400]
        result = drain(cat, backend)
        assert [f[0] for f in result.rejected] == ["paris-roadmap"]
        assert "paris-roadmap" in result.error
        assert [e[1] for e in cat.outbox_batch()] == ["paris-roadmap"]  # kept, not lost
        backend.apply([])
        assert backend.count() == len(corpus()) - 1
        # once the engine accepts it, the next drain indexes it
        again = drain(cat, backend)
        assert again.rejected == [] and again.applied == 1
        assert cat.outbox_status()[0] == 0
        assert "paris-roadmap" in backend.ids()
