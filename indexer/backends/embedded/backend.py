"""The embedded backend class: configuration, following the live generation, health."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import tantivy

from ...embeddings.centering import shifted_query
from ..base import BackendUnavailable, SearchBackend
from .documents import INLINE_DOCS, default_workers
from .generations import FacetCache, Generation, GenerationsMixin, stat_signature
from .schema import (
    REBUILD_HEAP_BYTES,
    TITLE_BOOST,
    WRITER_HEAP_BYTES,
    build_schema,
    stem_langs,
)
from .searching import SearchMixin
from .vectors import ANN_MIN_ROWS, VectorStore, VectorStoreError, VectorView

# A filter matching at most this many documents is applied before ranking (the vectors of its
# documents are scored exactly); a broader one after it (candidates in order of similarity are
# checked in growing batches). Measured in bench/README.md ("Vector search").
SELECTIVE_DOCS = 5_000


class VectorSearchMixin:
    """Vector search over :class:`VectorStore`, filtered through the live generation."""

    def apply_vectors(self, model: str, items: Iterable[tuple[str, np.ndarray]], *,
                      replace: bool = False, query_shift: np.ndarray | None = None
                      ) -> list[str]:
        """Vectors are kept whether or not their document is indexed yet (searches only
        return indexed documents), so none is ever skipped."""
        with self._exclusive():
            try:
                self._vectors.write(model, items, replace=replace, query_shift=query_shift)
            except VectorStoreError as e:
                raise BackendUnavailable(str(e)) from e
        return []

    def vector_count(self) -> int:
        return self._vector_view().count

    def vector_model(self) -> str | None:
        return self._vector_view().model

    def _vector_view(self) -> VectorView:
        try:
            return self._vectors.view()
        except VectorStoreError as e:
            raise BackendUnavailable(str(e)) from e

    def vector_search(self, vector, k: int = 100, filters: dict[str, list[str]] | None = None,
                      include_gone: bool = False, *, model: str | None = None
                      ) -> list[tuple[str, float]]:
        view = self._vector_view()
        if not view.rows or k <= 0 or (model is not None and model != view.model):
            return []
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != view.dim:
            raise ValueError(f"a query vector of {vector.shape[0]} dimensions cannot search "
                             f"the {view.dim}-dimension vectors of {view.model}")
        vector = shifted_query(vector, view.query_shift)
        gen = self._refresh()
        if gen is None:
            return []
        searcher = gen.searcher
        restrict = self._restriction(filters or {}, include_gone)
        share = 1.0
        if filters:  # without filters nearly every document passes: no need to count them
            n = searcher.search(restrict, 1, count=True).count
            if n == 0:
                return []
            if n <= self.selective_docs:
                return self._selective(searcher, restrict, n, view, vector, k)
            share = n / max(1, searcher.num_docs)
        return self._broad(searcher, restrict, share, view, vector, k)

    def _restriction(self, filters: dict[str, list[str]], include_gone: bool):
        Q, Occur = tantivy.Query, tantivy.Occur
        clauses = []
        for facet, values in filters.items():
            terms = [Q.term_query(self._schema, facet, v) for v in values]
            if terms:
                clauses.append((Occur.Must, terms[0] if len(terms) == 1 else
                                Q.boolean_query([(Occur.Should, t) for t in terms])))
        if not include_gone:
            clauses.append((Occur.MustNot, self._gone_query))
        if not clauses:
            return None
        if all(occur == Occur.MustNot for occur, _ in clauses):
            clauses.append((Occur.Must, Q.all_query()))
        return Q.boolean_query(clauses)

    def _selective(self, searcher, restrict, n, view, vector, k):
        """Score exactly the vectors of the few documents the filters allow."""
        hits = searcher.search(restrict, n, count=False).hits
        keys = np.array(searcher.fast_field_values("key", [a for _, a in hits]), dtype=np.int64)
        rows = view.rows_of_keys(keys)
        sims = view.rows_similarities(rows, vector)
        order = np.argsort(-sims, kind="stable")[:k]
        return list(zip(view.ids_of(rows[order]), sims[order].tolist()))

    def _broad(self, searcher, restrict, share, view, vector, k):
        """Candidates in order of similarity, checked against the index in growing batches
        until ``k`` pass (documents removed since, gone or filtered out do not)."""
        exact = view.ann is None or view.rows <= self._vectors.ann_min_rows
        sims = view.similarities(vector) if exact else None
        want = min(view.rows, max(2 * k, int(k / share * 1.5) + k))
        while True:
            if exact:
                top = np.argpartition(-sims, want - 1)[:want] if want < view.rows \
                    else np.arange(view.rows)
                top = top[np.isfinite(sims[top])]
                rows = top[np.argsort(-sims[top], kind="stable")]
            else:
                rows = view.approximate(vector, want)
            passed = self._passing(searcher, restrict, view, rows)
            if len(passed) >= k or want >= view.rows:
                break
            want = min(view.rows, want * 4)
        passed = passed[:k]
        scores = sims[passed] if exact else view.rows_similarities(passed, vector)
        return list(zip(view.ids_of(passed), scores.tolist()))

    def _passing(self, searcher, restrict, view, rows: np.ndarray) -> np.ndarray:
        """The ``rows`` (in their order) whose documents are indexed and match ``restrict``."""
        if not len(rows):
            return rows
        Q, Occur = tantivy.Query, tantivy.Occur
        ids = view.ids_of(rows)
        query = Q.term_set_query(self._schema, "id", ids)
        if restrict is not None:
            query = Q.boolean_query([(Occur.Must, query), (Occur.Must, restrict)])
        hits = searcher.search(query, len(ids), count=False).hits
        ok = np.array(searcher.fast_field_values("key", [a for _, a in hits]), dtype=np.int64)
        return rows[np.isin(view.keys[rows], ok)]


class EmbeddedBackend(VectorSearchMixin, GenerationsMixin, SearchMixin, SearchBackend):
    """tantivy in ``index_dir``: one writer at a time (file lock), any number of readers."""

    name = "embedded"

    def __init__(
        self,
        index_dir: Path | str,
        *,
        writer_heap_bytes: int = WRITER_HEAP_BYTES,
        rebuild_heap_bytes: int = REBUILD_HEAP_BYTES,
        rebuild_threads: int | None = None,
        rebuild_workers: int | None = None,
        selective_docs: int = SELECTIVE_DOCS,
        ann_min_rows: int = ANN_MIN_ROWS,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.writer_heap_bytes = writer_heap_bytes
        self.rebuild_heap_bytes = rebuild_heap_bytes
        self.rebuild_threads = rebuild_threads or max(1, min(4, os.cpu_count() or 1))
        # processes that analyse documents during a rebuild (documents.prepared); 0: none
        self.rebuild_workers = default_workers() if rebuild_workers is None else rebuild_workers
        self.rebuild_inline_docs = INLINE_DOCS  # analysed in this process before workers start
        self._schema = build_schema()
        self._default_fields = ["title", "text"] + [f"text_{lang}" for lang in stem_langs()]
        self._boosts = {"title": TITLE_BOOST}
        self._gone_query = tantivy.Query.term_query(self._schema, "live", "no")
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._gen: Generation | None = None
        self._current_signature: tuple[int, int, int, int] | None = None
        self.selective_docs = selective_docs
        self._vectors = VectorStore(self.index_dir, ann_min_rows=ann_min_rows)

    # -- reading ---------------------------------------------------------------------------
    def _mark_stale(self) -> None:
        with self._read_lock:
            self._current_signature = None
            if self._gen is not None:
                self._gen.meta_signature = None

    def _refresh(self) -> Generation | None:
        """The live generation, reloaded if a commit or a rebuild happened since the last call."""
        with self._read_lock:
            try:
                signature = stat_signature(self._current_path)
            except FileNotFoundError:
                self._gen, self._current_signature = None, None
                return None
            gen = self._gen
            if gen is not None and signature == self._current_signature:
                try:
                    meta = stat_signature(gen.path / "meta.json")
                except FileNotFoundError:
                    meta = None  # the generation was replaced under us: reopen below
                else:
                    if meta != gen.meta_signature:
                        gen.index.reload()
                        gen.reload_view()
                        gen.meta_signature = meta
                    return gen
            self._gen = self._open_generation()
            self._current_signature = signature if self._gen else None
            return self._gen

    def _open_generation(self) -> Generation | None:
        last_error: Exception | None = None
        for _ in range(5):
            info = self._read_current()
            if info is None:
                return None
            name = info["generation"]
            if self._gen is not None and self._gen.name == name:
                gen = self._gen
                gen.meta_signature = None
                try:
                    gen.meta_signature = stat_signature(gen.path / "meta.json")
                    gen.index.reload()
                    gen.reload_view()
                    return gen
                except (OSError, ValueError) as e:
                    last_error = e
                    continue
            path = self.index_dir / name
            try:
                meta = stat_signature(path / "meta.json")
                index = self._open_index(path)
                index.config_reader("Manual")
                return Generation(name, path, index, meta)
            except (OSError, ValueError) as e:
                # A rebuild may have swapped CURRENT and removed this generation meanwhile.
                last_error = e
                info_now = self._read_current()
                if info_now is not None and info_now["generation"] != name:
                    continue
                break
        raise BackendUnavailable(
            f"embedded index at {self.index_dir} cannot be opened: {last_error}"
        ) from last_error

    def count(self) -> int:
        gen = self._refresh()
        return gen.searcher.num_docs if gen else 0

    def ids(self) -> set[str]:
        gen = self._refresh()
        if gen is None or gen.searcher.num_docs == 0:
            return set()
        searcher = gen.searcher
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs, count=False).hits
        return {searcher.doc(addr).get_first("id") for _, addr in hits}

    def exists(self) -> bool:
        try:
            return self._read_current() is not None
        except BackendUnavailable:  # there, but unreadable: searching it says why
            return True

    def health(self) -> tuple[bool, str]:
        if not self.index_dir.is_dir():
            return False, f"embedded index directory {self.index_dir} does not exist"
        try:
            gen = self._refresh()
            if gen is None:
                return False, f"embedded index at {self.index_dir}: no index has been built yet"
            n = gen.searcher.num_docs
        except BackendUnavailable as e:
            return False, str(e)
        except (OSError, ValueError) as e:
            return False, f"embedded index at {self.index_dir} does not answer: {e}"
        return True, f"embedded index: {n} documents"

    def clear_caches(self) -> None:
        """Forget cached facet counts (they are dropped on every commit anyway)."""
        with self._read_lock:
            if self._gen is not None:
                self._gen.view = (self._gen.view[0], FacetCache())

    def close(self) -> None:
        with self._read_lock:
            self._gen = None
            self._current_signature = None
