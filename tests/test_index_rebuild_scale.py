"""Rebuilding the embedded index from the catalogue at scale: every resource streamed from a
real SQLite catalogue ends up searchable with its snippet (also those analysed by worker
processes), repeated ids keep their last version, and an index of an older schema version is
refused until a rebuild from the catalogue replaces it."""

from __future__ import annotations

import json

import pytest

from indexer.backends.base import BackendUnavailable
from indexer.backends.embedded import CURRENT_FILE, SCHEMA_VERSION, EmbeddedBackend
from indexer.backends.embedded.generations import SeenIds
from indexer.catalogue import Catalogue
from indexer.indexing import rebuild
from indexer.query import SearchQuery
from tests.search_corpus import corpus, make_resource

LANGUAGES = ["en", "nl", "de", "pl", "fr"]
FILLER = {
    "en": "the city publishes its plan for repair cafes and shared tools",
    "nl": "de gemeente werkt aan hergebruik van bouwmaterialen in de wijk",
    "de": "die Stadt fördert die Kreislaufwirtschaftsstrategie mit neuen Reparaturzentren",
    "pl": "miasto przygotowało plan gospodarki odpadami dla mieszkańców",
    "fr": "la ville soutient le réemploi des matériaux de construction",
}


def numbered(i: int):
    """A resource whose body holds a word found in it alone (``marker<i>``), deep in the text,
    after 60 sentences of its language."""
    lang = LANGUAGES[i % len(LANGUAGES)]
    body = " ".join([FILLER[lang] + "."] * 60) + f" The unique word marker{i} closes it."
    return make_resource(f"res-{i:05d}", f"Resource {i} ({lang})", body=body, language=lang,
                         summary=f"Summary of resource {i}.")


@pytest.fixture
def catalogue(tmp_path):
    cat = Catalogue(f"sqlite:///{tmp_path / 'catalogue.sqlite3'}")
    cat.create_all()
    yield cat
    cat.close()


def search(backend, text, **kw):
    return backend.search(SearchQuery(text=text, **kw))


def test_rebuild_streams_every_catalogue_resource_into_a_searchable_index(tmp_path, catalogue):
    n = 260
    for i in range(n):
        catalogue.put_resource(numbered(i))
    backend = EmbeddedBackend(tmp_path / "index", rebuild_workers=1)
    backend.rebuild_inline_docs = 50  # the rest is analysed by a worker process
    assert rebuild(catalogue, backend) == n
    assert backend.count() == n
    assert backend.ids() == {f"res-{i:05d}" for i in range(n)}
    for i in (0, 49, 50, 137, n - 1):  # before, at and after the switch to the worker
        hit = search(backend, f"marker{i}").hits[0]  # (others follow: similar spellings)
        assert hit.id == f"res-{i:05d}"
        assert hit.doc["title"] == f"Resource {i} ({LANGUAGES[i % len(LANGUAGES)]})"
        assert f"marker{i}" in hit.snippet.text  # cut around the word, 60 sentences in
        (start, end), = hit.snippet.highlights
        assert hit.snippet.text[start:end] == f"marker{i}"
    # the language analysis made in the worker: a compound's part, a Polish inflection
    german = {h.id for h in search(backend, "Kreislaufwirtschaft", per_page=100).hits}
    assert german == {f"res-{i:05d}" for i in range(n) if LANGUAGES[i % 5] == "de"}
    polish = search(backend, "odpad", per_page=100)
    assert polish.total == n // 5
    phrase = search(backend, '"gospodarki odpadami"', per_page=100)
    assert phrase.total == n // 5
    assert search(backend, '"odpadami gospodarki"').total == 0  # a phrase keeps its order
    facets = {f.value: f.count for f in search(backend, "").facets["language"]}
    assert facets == {lang: n // 5 for lang in LANGUAGES}


def test_a_repeated_id_keeps_its_last_version(tmp_path):
    backend = EmbeddedBackend(tmp_path / "index", rebuild_workers=1)
    backend.rebuild_inline_docs = 3

    def stream():
        for i in range(10):
            yield numbered(i)
        yield make_resource("res-00002", "Second version", body="rewritten marker2 text")
        yield make_resource("res-00008", "Eighth again", body="again marker8 text")

    assert backend.rebuild(stream()) == 10
    assert backend.count() == 10
    assert search(backend, "marker2").hits[0].doc["title"] == "Second version"
    assert search(backend, "marker8").hits[0].doc["title"] == "Eighth again"
    titles = {h.doc["title"] for h in search(backend, "Resource", per_page=100).hits}
    assert "Resource 2 (de)" not in titles and "Resource 3 (pl)" in titles


def test_seen_ids_finds_repeats_across_merges():
    seen = SeenIds()
    seen.MERGE_EVERY = 4  # merge into the sorted array often
    ids = [f"id-{i}" for i in range(50)]
    assert [seen.add(i) for i in ids] == [False] * 50
    assert seen.count == 50
    assert all(seen.add(i) for i in reversed(ids))
    assert not seen.add("id-new")
    assert seen.count == 51


def test_an_index_of_the_previous_schema_is_rebuilt_from_the_catalogue(tmp_path, catalogue):
    for r in corpus():
        catalogue.put_resource(r)
    backend = EmbeddedBackend(tmp_path / "index")
    rebuild(catalogue, backend)
    pointer = backend.index_dir / CURRENT_FILE
    info = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**info, "schema": SCHEMA_VERSION - 1}))

    old = EmbeddedBackend(backend.index_dir)
    ok, message = old.health()
    assert not ok and f"schema version {SCHEMA_VERSION - 1}" in message and "rebuild" in message
    with pytest.raises(BackendUnavailable, match="rebuild"):
        old.search(SearchQuery(text="Lisboa"))

    assert rebuild(catalogue, old) == len(corpus())
    assert json.loads(pointer.read_text())["schema"] == SCHEMA_VERSION
    assert old.health()[0]
    assert [h.id for h in old.search(SearchQuery(text="Lisboa")).hits] == ["lisbon-roadmap"]
    assert old.count() == len(corpus())
