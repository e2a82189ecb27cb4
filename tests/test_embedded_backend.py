"""What is specific to the embedded engine: per-language analysis, files, processes, locking."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from config.settings import Settings
from indexer.analysis import parse_user_query
from indexer.backends import BackendConfigError, get_backend
from indexer.backends.base import BackendUnavailable
from indexer.backends.embedded import CURRENT_FILE, GENERATION_PREFIX, EmbeddedBackend
from indexer.query import SearchQuery
from tests.search_corpus import corpus, make_resource, utc

REPO = Path(__file__).resolve().parents[1]


def search(backend, text="", **kw):
    return backend.search(SearchQuery(text=text, **kw))


def ids(results):
    return [h.id for h in results.hits]


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(GENERATION_PREFIX))


@pytest.fixture
def backend(tmp_path):
    b = EmbeddedBackend(tmp_path / "index")
    yield b
    b.close()


# -- analysis -----------------------------------------------------------------------------------

# language: (word in the document, the other form typed in the query), ...
INFLECTIONS = {
    "nl": [("fietsen", "fiets"), ("fiets", "fietsen"), ("gemeenten", "gemeente")],
    "fr": [("déchets", "déchet"), ("économiques", "économique")],
    "de": [("Städte", "Stadt"), ("Abfälle", "Abfall")],
    "it": [("rifiuti", "rifiuto"), ("imprese", "impresa")],
    "pt": [("cidades", "cidade"), ("reutilização", "reutilizações"), ("resíduos", "resíduo")],
    "es": [("ciudades", "ciudad"), ("residuos", "residuo"), ("economía", "economia")],
    "en": [("strategies", "strategy"), ("cities", "city")],
}
STEMMING_CASES = [(language, in_document, query) for language, pairs in INFLECTIONS.items()
                  for in_document, query in pairs]


@pytest.mark.parametrize("language,in_document,query", STEMMING_CASES)
def test_words_match_their_inflections_in_the_documents_language(backend, language, in_document,
                                                                   query):
    doc = make_resource("doc", "Document", body=f"{in_document} 2024", language=language)
    backend.apply([doc])
    assert ids(search(backend, query)) == ["doc"]


def test_stemming_follows_the_documents_language(backend):
    # Polish has no stemmer here: "fietsen" in a Polish document is only found as written.
    backend.apply([
        make_resource("nl", "Nederlands", body="Wij fietsen naar het werk.", language="nl"),
        make_resource("pl", "Polski", body="Słowo fietsen w tekście.", language="pl"),
    ])
    assert ids(search(backend, "fiets")) == ["nl"]
    assert set(ids(search(backend, "fietsen"))) == {"nl", "pl"}


def test_stop_words_of_one_language_do_not_match_stems_from_another(backend):
    backend.apply([
        make_resource("pt", "Roteiro", body="Um roteiro para a cidade.", language="pt"),
        make_resource("fr", "Paris", body="La ville de Paris.", language="fr"),
    ])
    assert ids(search(backend, "Paris")) == ["fr"]
    assert ids(search(backend, "para")) == ["pt"]


@pytest.mark.parametrize(
    "in_document,query",
    [("économie", "economie"), ("Städte", "stadte"), ("reutilização", "reutilizacao"),
     ("réemploi", "REEMPLOI"), ("città", "citta"), ("Straße", "strasse")],
)
def test_accents_and_case_are_ignored(backend, in_document, query):
    backend.apply([make_resource("doc", "Titel", body=f"Over {in_document} hier.", language="pl")])
    hit = search(backend, query).hits[0]
    assert hit.id == "doc"
    s, e = hit.snippet.highlights[0]
    assert hit.snippet.text[s:e] == in_document


def test_snippet_highlights_inflected_forms(backend):
    backend.apply([make_resource(
        "doc", "Fietsplan", language="nl",
        body="Steeds meer mensen fietsen naar hun werk. Een goede fiets gaat lang mee.",
    )])
    snippet = search(backend, "fiets").hits[0].snippet
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["fietsen", "fiets"]


def test_snippet_of_a_long_body_is_cut_around_the_matches(backend):
    filler = "Lorem ipsum dolor sit amet. " * 200
    body = filler + "Het hergebruik van bouwmaterialen staat centraal. " + filler
    backend.apply([make_resource("doc", "Lang", body=body, language="nl")])
    snippet = search(backend, "bouwmaterialen").hits[0].snippet
    assert len(snippet.text) <= 260
    assert "bouwmaterialen" in snippet.text
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["bouwmaterialen"]


def test_facet_values_with_query_syntax_characters(backend):
    odd = ['a"b', "c\\d", "x:y (z)", "OR", "*", "é ö"]
    backend.apply([
        make_resource(f"r{i}", f"Document {i}", themes=(value,), type=("guide", "news")[i % 2])
        for i, value in enumerate(odd)
    ])
    for i, value in enumerate(odd):
        results = search(backend, filters={"theme": [value], "type": ["guide", "news"]})
        assert ids(results) == [f"r{i}"]
        expected_type = ("guide", "news")[i % 2]
        assert [(v.value, v.count) for v in results.facets["type"]] == [(expected_type, 1)]
        assert {v.value for v in results.facets["theme"]} == set(odd)


def test_user_query_syntax():
    q = parse_user_query('circular "feuille de route" -waste Lisboa OR Porto')
    assert [[c.words for c in g] for g in q.groups] == [
        [("circular",)], [("feuille", "de", "route")], [("Lisboa",), ("Porto",)]]
    assert [c.words for c in q.excluded] == [("waste",)]
    assert parse_user_query("AND OR ((( * \\ 🙂").is_empty
    assert [[c.words for c in g] for g in parse_user_query('"unclosed phrase').groups] == [
        [("unclosed",)], [("phrase",)]]
    assert [[c.words for c in g] for g in parse_user_query("COVID-19: lessons").groups] == [
        [("COVID", "19")], [("lessons",)]]


# -- files and failures -------------------------------------------------------------------------


def test_health_of_a_missing_directory(tmp_path):
    ok, message = EmbeddedBackend(tmp_path / "nowhere").health()
    assert not ok and "does not exist" in message


def test_health_counts_documents(backend):
    backend.apply(corpus())
    assert backend.health() == (True, f"embedded index: {len(corpus())} documents")


def test_health_and_search_of_a_corrupt_index(backend):
    backend.apply(corpus())
    gen = backend.index_dir / generations(backend.index_dir)[0]
    (gen / "meta.json").write_text("{ not json")
    fresh = EmbeddedBackend(backend.index_dir)
    ok, message = fresh.health()
    assert not ok and "cannot be opened" in message
    with pytest.raises(BackendUnavailable):
        search(fresh, "Lisboa")
    with pytest.raises(BackendUnavailable, match="rebuild"):
        fresh.apply(corpus()[:1])
    # A rebuild replaces the broken generation.
    assert fresh.rebuild(corpus()) == len(corpus())
    assert ids(search(fresh, "Lisboa")) == ["lisbon-roadmap"]
    assert fresh.health()[0]


def test_index_of_another_schema_version_asks_for_a_rebuild(backend):
    backend.apply(corpus())
    pointer = backend.index_dir / CURRENT_FILE
    info = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**info, "schema": 0}))
    fresh = EmbeddedBackend(backend.index_dir)
    ok, message = fresh.health()
    assert not ok and "rebuild" in message
    with pytest.raises(BackendUnavailable):
        fresh.apply(corpus()[:1])
    fresh.rebuild(corpus())
    assert fresh.health()[0]


def test_failed_rebuild_leaves_the_live_index_untouched(backend):
    backend.apply(corpus())
    before = generations(backend.index_dir)

    def failing():
        yield from corpus()[:3]
        raise RuntimeError("catalogue went away")

    with pytest.raises(RuntimeError, match="catalogue went away"):
        backend.rebuild(failing())
    assert generations(backend.index_dir) == before
    assert backend.count() == len(corpus())
    assert ids(search(backend, "Lisboa")) == ["lisbon-roadmap"]
    assert EmbeddedBackend(backend.index_dir).count() == len(corpus())


def test_failed_batch_commits_nothing(backend):
    backend.apply(corpus()[:2])

    def failing():
        yield corpus()[5]
        raise RuntimeError("bad record")

    with pytest.raises(RuntimeError):
        backend.apply(failing(), deletes=[corpus()[0].id])
    assert backend.ids() == {corpus()[0].id, corpus()[1].id}


def test_rebuild_removes_the_old_generation(backend):
    backend.apply(corpus())
    old = generations(backend.index_dir)
    backend.rebuild(corpus()[:2])
    new = generations(backend.index_dir)
    assert len(new) == 1 and new != old


def test_rebuild_keeps_the_last_version_of_a_repeated_id(backend):
    first = make_resource("x", "First version", body="alpha", published=utc(2020))
    second = make_resource("x", "Second version", body="beta", published=utc(2021))
    assert backend.rebuild([first, second]) == 1
    assert backend.count() == 1
    assert search(backend, "alpha").total == 0
    assert ids(search(backend, "beta")) == ["x"]


def test_threads_share_one_backend(backend):
    import threading

    backend.apply(corpus())
    errors, totals = [], []

    def reader():
        try:
            for _ in range(40):
                r = search(backend, "circular OR circulaire OR strategie",
                           filters={"language": ["nl", "fr", "en"]})
                totals.append(r.total)
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):
        backend.apply([make_resource(f"extra-{i}", f"Circular extra {i}", language="en")])
    for t in threads:
        t.join()
    assert errors == []
    assert len(totals) == 160 and min(totals) >= 3
    assert search(backend, "extra").total == 5


# -- several processes --------------------------------------------------------------------------


def run_python(code: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        **kw,
    )


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


READER = """
    import json, sys
    from indexer.backends.embedded import EmbeddedBackend
    from indexer.query import SearchQuery
    backend = EmbeddedBackend(sys.argv[1])
    for line in sys.stdin:
        text = json.loads(line)
        r = backend.search(SearchQuery(text=text, per_page=100))
        print(json.dumps({"total": r.total, "ids": [h.id for h in r.hits],
                          "count": backend.count()}), flush=True)
"""


class Reader:
    """A search process that stays open (like a web worker) and answers one query per line."""

    def __init__(self, index_dir: Path) -> None:
        self.proc = run_python(READER, str(index_dir))

    def search(self, text: str = "") -> dict:
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def test_a_reader_process_follows_commits_and_rebuilds(backend):
    backend.apply(corpus()[:5])
    reader = Reader(backend.index_dir)
    try:
        assert reader.search("Lisboa")["total"] == 0
        backend.apply([c for c in corpus() if c.id == "lisbon-roadmap"])
        assert reader.search("Lisboa")["ids"] == ["lisbon-roadmap"]
        backend.apply([], deletes=["lisbon-roadmap"])
        assert reader.search("Lisboa")["total"] == 0
        backend.rebuild(corpus()[6:8])
        answer = reader.search("")
        assert answer["count"] == 2
        assert set(answer["ids"]) == {r.id for r in corpus()[6:8]}
        backend.apply(corpus()[:1])
        assert reader.search("")["count"] == 3
    finally:
        reader.close()


BATCH_WRITER = """
    import sys
    from indexer.backends.embedded import EmbeddedBackend
    from tests.search_corpus import make_resource
    index_dir, batches, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    backend = EmbeddedBackend(index_dir)
    words = " ".join(f"word{i}" for i in range(300))
    for b in range(batches):
        docs = [make_resource(f"b{b}-{i}", f"Batch {b} tidewater {i}", body=words)
                for i in range(size)]
        previous = [f"b{b - 1}-{i}" for i in range(size)] if b else []
        backend.apply(docs, deletes=previous)
"""


def test_readers_see_whole_batches_only(backend):
    batches, size = 12, 150
    writer = run_python(BATCH_WRITER, str(backend.index_dir), str(batches), str(size))
    seen = []
    while True:
        done = writer.poll() is not None
        results = search(backend, "tidewater", per_page=100)
        seen.append((results.total, {h.id.split("-")[0] for h in results.hits}))
        if done:
            break
    assert writer.returncode == 0, writer.stderr.read()
    for total, batch_ids in seen:
        assert total in (0, size)  # every batch replaces the previous one in one commit
        assert len(batch_ids) <= 1
    assert seen[-1] == (size, {f"b{batches - 1}"})


LOCKED_WRITER = """
    import os, sys, time
    from pathlib import Path
    from indexer.backends.embedded import EmbeddedBackend
    from tests.search_corpus import make_resource
    index_dir, marks, name, other = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]

    def docs():
        (marks / f"{name}.inside").touch()
        inside_other = (marks / f"{other}.inside").exists()
        exit_other = (marks / f"{other}.exit").exists()
        (marks / f"{name}.saw").write_text(f"{inside_other} {exit_other}")
        if name == "A":
            deadline = time.monotonic() + 60
            while not (marks / "go").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        for i in range(20):
            yield make_resource(f"{name}-{i}", f"Writer {name} document {i}")
        (marks / f"{name}.exit").touch()

    (marks / f"{name}.started").touch()
    EmbeddedBackend(index_dir).apply(docs())
"""


def test_two_writer_processes_take_turns(backend, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    a = run_python(LOCKED_WRITER, str(backend.index_dir), str(marks), "A", "B")
    b = None
    try:
        wait_for(lambda: (marks / "A.inside").exists(), what="writer A to hold the lock")
        b = run_python(LOCKED_WRITER, str(backend.index_dir), str(marks), "B", "A")
        wait_for(lambda: (marks / "B.started").exists(), what="writer B to start")
        time.sleep(0.3)
        assert not (marks / "B.inside").exists()  # B waits for the lock
        (marks / "go").touch()
        assert a.wait(timeout=60) == 0, a.stderr.read()
        assert b.wait(timeout=60) == 0, b.stderr.read()
    finally:
        (marks / "go").touch()
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.kill()
    # B started writing only after A had finished its whole batch.
    assert (marks / "B.saw").read_text() == "True True"
    assert backend.count() == 40
    assert backend.ids() == {f"{n}-{i}" for n in "AB" for i in range(20)}


KILLED_WRITER = """
    import sys, time
    from indexer.backends.embedded import EmbeddedBackend
    from tests.search_corpus import make_resource
    backend = EmbeddedBackend(sys.argv[1])
    backend.apply([make_resource(f"kept-{i}", f"Kept {i}") for i in range(10)])
    print("committed", flush=True)

    def endless():
        for i in range(2000):
            yield make_resource(f"lost-{i}", f"Lost {i}", body="never committed " * 50)
        print("writing", flush=True)
        time.sleep(120)
        yield make_resource("never", "Never")

    backend.apply(endless())
"""


def test_index_reopens_after_the_writer_is_killed(backend):
    writer = run_python(KILLED_WRITER, str(backend.index_dir))
    try:
        assert writer.stdout.readline().strip() == "committed", writer.stderr.read()
        assert writer.stdout.readline().strip() == "writing", writer.stderr.read()
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    fresh = EmbeddedBackend(backend.index_dir)
    assert fresh.health() == (True, "embedded index: 10 documents")
    assert search(fresh, "lost").total == 0
    fresh.apply([make_resource("after", "After the crash")])  # the lock was released
    assert fresh.count() == 11
    assert ids(search(fresh, "crash")) == ["after"]


# -- choosing the backend -----------------------------------------------------------------------


def test_get_backend_embedded(tmp_path):
    backend = get_backend(Settings(data_dir=tmp_path, search_backend="embedded"))
    assert isinstance(backend, EmbeddedBackend)
    assert backend.index_dir == tmp_path / "index"


def test_get_backend_unknown_name(tmp_path):
    with pytest.raises(BackendConfigError, match="unknown search backend 'solr'"):
        get_backend(Settings(data_dir=tmp_path, search_backend="solr"))


def test_get_backend_elasticsearch_without_a_url_says_what_to_set(tmp_path):
    with pytest.raises(BackendConfigError, match="needs CCP_ELASTICSEARCH_URL"):
        get_backend(Settings(data_dir=tmp_path, search_backend="elasticsearch"))


def test_same_date_results_keep_one_order_across_a_rebuild(tmp_path):
    from indexer.backends.embedded import EmbeddedBackend
    from tests.search_corpus import make_resource, utc

    docs = [make_resource(f"doc-{i:02d}", f"Circular note {i}", body="Same day note.",
                          published=utc(2025, 5, 5)) for i in range(30)]
    b = EmbeddedBackend(tmp_path / "index")
    b.apply(docs)

    def order():
        out = []
        for page in (1, 2, 3):
            out += [h.id for h in b.search(SearchQuery(text="", per_page=10, page=page)).hits]
        return out

    before = order()
    assert sorted(before) == sorted(d.id for d in docs)  # every page distinct, none missing
    b.rebuild(list(reversed(docs)))
    assert order() == before
    b.close()
