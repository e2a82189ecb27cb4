"""The embedded backend class: configuration, following the live generation, health."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import tantivy

from ..base import BackendUnavailable, SearchBackend
from .generations import FacetCache, Generation, GenerationsMixin, stat_signature
from .searching import SearchMixin
from .schema import REBUILD_HEAP_BYTES, TITLE_BOOST, WRITER_HEAP_BYTES, build_schema, stem_langs


class EmbeddedBackend(GenerationsMixin, SearchMixin, SearchBackend):
    """tantivy in ``index_dir``: one writer at a time (file lock), any number of readers."""

    name = "embedded"

    def __init__(
        self,
        index_dir: Path | str,
        *,
        writer_heap_bytes: int = WRITER_HEAP_BYTES,
        rebuild_heap_bytes: int = REBUILD_HEAP_BYTES,
        rebuild_threads: int | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.writer_heap_bytes = writer_heap_bytes
        self.rebuild_heap_bytes = rebuild_heap_bytes
        self.rebuild_threads = rebuild_threads or max(1, min(4, os.cpu_count() or 1))
        self._schema = build_schema()
        self._default_fields = ["title", "text"] + [f"text_{lang}" for lang in stem_langs()]
        self._boosts = {"title": TITLE_BOOST}
        self._gone_query = tantivy.Query.term_query(self._schema, "live", "no")
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._gen: Generation | None = None
        self._current_signature: tuple[int, int, int, int] | None = None

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
