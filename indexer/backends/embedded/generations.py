"""Index generations on disk: the CURRENT pointer, opening and creating, the write lock,
writing batches and rebuilding into a new generation."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from ...analysis import register_analyzers
from ...query import FacetValue
from ...resource import Resource
from ..base import BackendUnavailable
from .documents import StoredSearcher, document_fields, prepared, to_document
from .schema import (
    CURRENT_FILE,
    FACET_CACHE_ENTRIES,
    GENERATION_PREFIX,
    LOCK_FILE,
    SCHEMA_VERSION,
    doc_key,
)


def stat_signature(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


class FacetCache:
    """Facet counts of recent queries against one searcher (pages 2, 3... and the landing page
    reuse them). Thread-safe, least recently used entries go first."""

    def __init__(self, size: int = FACET_CACHE_ENTRIES) -> None:
        self.size = size
        self._data: OrderedDict[Any, dict[str, list[FacetValue]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> dict[str, list[FacetValue]] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: dict[str, list[FacetValue]]) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)


@dataclass
class Generation:
    """An open, readable generation of the index."""

    name: str
    path: Path
    index: tantivy.Index
    meta_signature: tuple[int, int, int, int] | None
    # The searcher and the facet cache that belongs to it, swapped together on reload.
    view: tuple[tantivy.Searcher, FacetCache] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.view is None:
            self.reload_view()

    def reload_view(self) -> None:
        self.view = (StoredSearcher(self.index.searcher()), FacetCache())

    @property
    def searcher(self) -> tantivy.Searcher:
        return self.view[0]


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:  # some filesystems cannot fsync a directory
        if e.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_synced(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably: a synced temporary file renamed
    over it, then the directory synced (readers see the old or the new content, never half)."""
    tmp = path.with_name(path.name + ".tmp")
    write_synced(tmp, data)
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextmanager
def _committed(writer) -> Iterator[Any]:
    """A tantivy writer whose batch is committed when the block ends, rolled back when it
    raises; its merging threads are waited for either way."""
    try:
        yield writer
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.wait_merging_threads()


class SeenIds:
    """The resource ids a rebuild has indexed, as their 64-bit keys (:func:`doc_key`): 8 bytes
    each in a sorted array (merged from a small set of recent keys) rather than a Python set's
    ~100, so a rebuild of a million resources streams in flat memory. Two different ids sharing
    a key (about 1 in 10^7 at a million) only cost a delete that finds nothing and one document
    less in :attr:`count`."""

    MERGE_EVERY = 65_536

    def __init__(self) -> None:
        self.count = 0
        self._recent: set[int] = set()
        self._merged = np.zeros(0, dtype=np.int64)

    def add(self, rid: str) -> bool:
        """Record ``rid``; True when it was seen before."""
        key = doc_key(rid)
        if key in self._recent or self._in_merged(key):
            return True
        self._recent.add(key)
        self.count += 1
        if len(self._recent) >= self.MERGE_EVERY:
            added = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
            self._merged = np.union1d(self._merged, added)
            self._recent.clear()
        return False

    def _in_merged(self, key: int) -> bool:
        merged = self._merged
        if not len(merged) or key < merged[0] or key > merged[-1]:
            return False
        i = int(np.searchsorted(merged, key))
        return i < len(merged) and int(merged[i]) == key


class GenerationsMixin:
    """Where the index lives on disk, and every write to it."""

    # -- paths and the CURRENT pointer ------------------------------------------------------
    @property
    def _current_path(self) -> Path:
        return self.index_dir / CURRENT_FILE

    def _read_current(self) -> dict[str, Any] | None:
        try:
            raw = self._current_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            info = json.loads(raw)
            name = info["generation"]
            if not isinstance(name, str) or not name.startswith(GENERATION_PREFIX) or "/" in name:
                raise ValueError(name)
        except (ValueError, KeyError, TypeError) as e:
            raise BackendUnavailable(
                f"embedded index at {self.index_dir}: unreadable {CURRENT_FILE} file ({e!r}); "
                "rebuild the index"
            ) from e
        if info.get("schema") != SCHEMA_VERSION:
            raise BackendUnavailable(
                f"embedded index at {self.index_dir} was built with schema version "
                f"{info.get('schema')}, this version needs {SCHEMA_VERSION}: rebuild the index"
            )
        return info

    def _write_current(self, generation: str) -> None:
        data = json.dumps({"generation": generation, "schema": SCHEMA_VERSION}).encode()
        replace_synced(self._current_path, data)

    def _new_generation_dir(self) -> Path:
        name = f"{GENERATION_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
        path = self.index_dir / name
        path.mkdir()
        return path

    def _new_index(self, path: Path) -> tantivy.Index:
        index = tantivy.Index(self._schema, path=str(path), reuse=False)
        register_analyzers(index)
        return index

    def _open_index(self, path: Path) -> tantivy.Index:
        index = tantivy.Index.open(str(path))
        register_analyzers(index)
        return index

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the writer lock: one writer at a time across threads and processes."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            fd = os.open(self.index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _remove_stale_generations(self, keep: str | None) -> None:
        """Remove leftovers of interrupted rebuilds (only ever called under the writer lock)."""
        for entry in self.index_dir.iterdir():
            if entry.name.startswith(GENERATION_PREFIX) and entry.name != keep and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
        (self.index_dir / f"{CURRENT_FILE}.tmp").unlink(missing_ok=True)

    def _document(self, r: Resource) -> tantivy.Document:
        return to_document(document_fields(r))

    def apply(self, upserts: Iterable[Resource], deletes: Iterable[str] = ()) -> None:
        """Write one batch with one commit (deletes first, then upserts, which replace any
        document with the same id). Both iterables are consumed while holding the lock."""
        with self._exclusive():
            info = self._read_current()
            created: Path | None = None
            if info is None:
                self._remove_stale_generations(keep=None)
                created = self._new_generation_dir()
                index = self._new_index(created)
            else:
                self._remove_stale_generations(keep=info["generation"])
                try:
                    index = self._open_index(self.index_dir / info["generation"])
                except (OSError, ValueError) as e:
                    raise BackendUnavailable(
                        f"embedded index at {self.index_dir} cannot be opened for writing: {e}; "
                        "rebuild the index"
                    ) from e
            try:
                with _committed(index.writer(self.writer_heap_bytes, 1)) as writer:
                    for doc_id in deletes:
                        writer.delete_documents_by_term("id", str(doc_id))
                    for r in upserts:
                        writer.delete_documents_by_term("id", r.id)
                        writer.add_document(self._document(r))
                if created is not None:
                    self._write_current(created.name)
            except BaseException:
                if created is not None:
                    shutil.rmtree(created, ignore_errors=True)
                raise
        self._mark_stale()

    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Build a new generation from ``resources``; swap it in only when it is complete."""
        with self._exclusive():
            info = self._read_current_for_rebuild()
            old = info["generation"] if info else None
            self._remove_stale_generations(keep=old)
            path = self._new_generation_dir()
            try:
                index = self._new_index(path)
                seen = SeenIds()
                with _committed(index.writer(self.rebuild_heap_bytes, self.rebuild_threads)
                                ) as writer:
                    for rid, fields in prepared(resources, self.rebuild_workers,
                                                   self.rebuild_inline_docs):
                        if seen.add(rid):  # the last version of a repeated id wins
                            writer.delete_documents_by_term("id", rid)
                        writer.add_document(to_document(fields))
                count = seen.count
                del writer, index
                self._write_current(path.name)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            if old:
                shutil.rmtree(self.index_dir / old, ignore_errors=True)
        self._mark_stale()
        return count

    def _read_current_for_rebuild(self) -> dict[str, Any] | None:
        """Like :meth:`_read_current`, but an unreadable or outdated index is simply replaced."""
        try:
            return self._read_current()
        except BackendUnavailable:
            return None
