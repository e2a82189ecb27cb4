"""Vectors of the embedded engine: memory-mapped float32 matrices, searched exactly, and an
approximate (usearch HNSW) index over the large base segment once it holds more than
:data:`ANN_MIN_ROWS` vectors.

Layout of ``index_dir/vectors``::

    VECTORS              JSON {"model", "dim", "segments": [...], "ann": file or null}
                         (written to a temporary file and os.replace'd)
    seg-<id>.npy         float32 (rows, dim), unit rows; opened with mmap
    seg-<id>.keys.npy    int64 doc_key(resource id) of each row
    seg-<id>.ids.json    the resource ids of the rows
    ann-<id>.usearch     HNSW graph over the first segment's rows (labels = row numbers)

Segments are immutable; a later segment's row replaces an earlier row of the same resource.
Each batch of :meth:`VectorStore.write` adds a segment. Merging is tiered: when there are more
than :data:`MAX_SEGMENTS`, the segments after the first (the base) are merged into one; when
they hold more than a fifth of the base's rows, everything is merged into a new base (and its
approximate index is built again), so the cost of rebuilding the base is paid once per 20% of
growth. Readers ``stat`` VECTORS
before each search and reload when it changed, like the index generations.

Vectors are only ever written under the index's write lock (one writer across processes).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .generations import replace_synced, stat_signature, write_synced
from .schema import doc_key

VECTORS_DIR = "vectors"
POINTER = "VECTORS"
MAX_SEGMENTS = 8
DELTA_SHARE = 0.2  # merge when later segments hold more than this share of the first's rows
# Exact search (one matrix-vector product, memory-bound: ~150 MB read per query at 100k) up to
# this many vectors; the base segment gets an approximate index beyond it. Measured at 100k
# documents on one core: exact p50 23 ms, usearch p50 9 ms at recall@10 0.99 (bench/README.md).
ANN_MIN_ROWS = 50_000
# The graph keeps its own copy of the vectors, in half precision: it only picks candidates,
# which are then scored with the float32 rows.
ANN_DTYPE = "f16"
ANN_CONNECTIVITY = 16
ANN_EXPANSION_ADD = 128
ANN_EXPANSION_SEARCH = 256


class VectorStoreError(RuntimeError):
    """The stored vectors cannot be used (the message names the directory and the cause)."""


@dataclass
class Segment:
    name: str
    ids: list[str]
    keys: np.ndarray  # int64
    matrix: np.ndarray  # float32 (rows, dim), memory-mapped


@dataclass
class VectorView:
    """One consistent reading of the stored vectors."""

    model: str | None = None
    dim: int = 0
    segments: list[Segment] = field(default_factory=list)
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    offsets: list[int] = field(default_factory=lambda: [0])
    ann: object | None = None  # usearch Index over segments[0]
    query_shift: np.ndarray | None = None  # subtracted from query vectors (see SearchBackend)
    _sorted: tuple[np.ndarray, np.ndarray] | None = None  # (sorted live keys, their rows)
    _ids: list[str] | None = None  # the ids of every row, made on first use

    @property
    def rows(self) -> int:
        return self.offsets[-1]

    @property
    def count(self) -> int:
        return int(self.alive.sum())

    def rows_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """The live rows whose keys are in ``keys`` (sorted, through a sorted copy of the keys
        made once per view)."""
        if self._sorted is None:
            live = np.flatnonzero(self.alive)
            order = np.argsort(self.keys[live], kind="stable")
            self._sorted = (self.keys[live][order], live[order])
        sorted_keys, rows = self._sorted
        if not len(sorted_keys) or not len(keys):
            return np.zeros(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
        return np.sort(rows[pos[sorted_keys[pos] == keys]])

    def id_of(self, row: int) -> str:
        return self.ids_of([row])[0]

    def ids_of(self, rows) -> list[str]:
        if self._ids is None:
            self._ids = [rid for seg in self.segments for rid in seg.ids]
        ids = self._ids
        return [ids[r] for r in (rows.tolist() if isinstance(rows, np.ndarray) else rows)]

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Dot products with every row (rows replaced by a later segment: -inf)."""
        parts = [np.asarray(s.matrix @ vector, dtype=np.float32) for s in self.segments]
        sims = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        sims[~self.alive] = -np.inf
        return sims

    def rows_similarities(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        out = np.empty(len(rows), dtype=np.float32)
        for i, seg in enumerate(self.segments):
            lo, hi = self.offsets[i], self.offsets[i + 1]
            sel = (rows >= lo) & (rows < hi)
            if sel.any():
                out[sel] = seg.matrix[rows[sel] - lo] @ vector
        return out

    def approximate(self, vector: np.ndarray, count: int) -> np.ndarray:
        """Rows of the ``count`` nearest vectors: from the approximate index of the first
        segment and an exact pass over the later (small) ones; replaced rows left out."""
        first = self.offsets[1]
        matches = self.ann.search(vector, min(count, first), threads=1)
        rows = np.asarray(matches.keys, dtype=np.int64)
        if len(self.segments) > 1:
            later = np.concatenate([np.asarray(s.matrix @ vector) for s in self.segments[1:]])
            take = np.argsort(-later)[:count] + first
            rows = np.concatenate([rows, take])
        rows = rows[self.alive[rows]]
        return rows[np.argsort(-self.rows_similarities(rows, vector), kind="stable")]


def _alive(keys: np.ndarray) -> np.ndarray:
    """True for the last row of each key (a later segment's row replaces an earlier one)."""
    alive = np.zeros(len(keys), dtype=bool)
    if len(keys):
        _, first_in_reversed = np.unique(keys[::-1], return_index=True)
        alive[len(keys) - 1 - first_in_reversed] = True
    return alive


def _save_array(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


class VectorStore:
    """The vectors in ``index_dir/vectors``: reading (thread-safe) and writing."""

    def __init__(self, index_dir: Path, ann_min_rows: int = ANN_MIN_ROWS) -> None:
        self.dir = Path(index_dir) / VECTORS_DIR
        self.ann_min_rows = ann_min_rows
        self._lock = threading.Lock()
        self._view = VectorView()
        self._signature: tuple[int, int, int, int] | None = None

    # -- reading ---------------------------------------------------------------------------
    def _pointer(self) -> dict | None:
        try:
            return json.loads((self.dir / POINTER).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise VectorStoreError(f"vectors in {self.dir}: unreadable {POINTER} ({e}); "
                                   "run `ccp index rebuild`") from e

    def view(self) -> VectorView:
        """The current vectors, reloaded when a writer changed them."""
        with self._lock:
            try:
                signature = stat_signature(self.dir / POINTER)
            except FileNotFoundError:
                self._view, self._signature = VectorView(), None
                return self._view
            if signature != self._signature:
                self._view = self._load(self._pointer())
                self._signature = signature
            return self._view

    def _load(self, info: dict | None) -> VectorView:
        if not info:
            return VectorView()
        try:
            segments = [self._open_segment(name) for name in info["segments"]]
        except (OSError, ValueError, KeyError) as e:
            raise VectorStoreError(f"vectors in {self.dir} cannot be opened ({e}); "
                                   "run `ccp index rebuild`") from e
        offsets = [0]
        for seg in segments:
            offsets.append(offsets[-1] + len(seg.ids))
        keys = (np.concatenate([s.keys for s in segments]) if segments
                else np.zeros(0, dtype=np.int64))
        view = VectorView(model=info.get("model"), dim=int(info.get("dim") or 0),
                          segments=segments, alive=_alive(keys), keys=keys, offsets=offsets)
        if info.get("query_shift"):
            view.query_shift = np.asarray(info["query_shift"], dtype=np.float32)
        if info.get("ann") and segments:
            from usearch.index import Index

            view.ann = Index.restore(str(self.dir / info["ann"]), view=True)
            view.ann.expansion_search = ANN_EXPANSION_SEARCH
        return view

    def _open_segment(self, name: str) -> Segment:
        matrix = np.load(self.dir / f"{name}.npy", mmap_mode="r")
        keys = np.load(self.dir / f"{name}.keys.npy")
        ids = json.loads((self.dir / f"{name}.ids.json").read_text(encoding="utf-8"))
        if not (len(ids) == len(keys) == matrix.shape[0]):
            raise ValueError(f"segment {name} has {len(ids)} ids, {len(keys)} keys and "
                             f"{matrix.shape[0]} vectors")
        return Segment(name, ids, keys, matrix)

    # -- writing (the caller holds the index's write lock) ----------------------------------
    def write(self, model: str, items: Iterable[tuple[str, np.ndarray]], *,
              replace: bool = False, query_shift: np.ndarray | None = None) -> int:
        """Store vectors of ``model``; a vector replaces the resource's earlier one. With
        ``replace`` (or when the stored vectors are another model's) every earlier vector is
        dropped. Returns the number of vectors written."""
        self.dir.mkdir(parents=True, exist_ok=True)
        info = self._pointer()
        if info is None or replace or info.get("model") != model:
            info = {"model": model, "dim": 0, "segments": [], "ann": None}
        if query_shift is not None:
            info["query_shift"] = [float(x) for x in np.asarray(query_shift).reshape(-1)]
        ids, vectors = [], []
        for rid, vec in items:
            ids.append(str(rid))
            vectors.append(np.asarray(vec, dtype=np.float32).reshape(-1))
        if vectors:
            matrix = np.stack(vectors)
            dim = info.get("dim") or matrix.shape[1]
            if matrix.shape[1] != dim:
                raise VectorStoreError(f"vectors of {model} have {matrix.shape[1]} dimensions, "
                                       f"the stored ones {dim}")
            info["dim"] = int(dim)
            info["segments"].append(self._write_segment(ids, matrix))
        info = self._merge_if_needed(info)
        self._publish(info)
        return len(ids)

    def _write_segment(self, ids: list[str], matrix: np.ndarray) -> str:
        name = f"seg-{secrets.token_hex(6)}"
        _save_array(self.dir / f"{name}.npy", np.ascontiguousarray(matrix, dtype=np.float32))
        _save_array(self.dir / f"{name}.keys.npy",
                    np.array([doc_key(i) for i in ids], dtype=np.int64))
        write_synced(self.dir / f"{name}.ids.json", json.dumps(ids).encode("utf-8"))
        return name

    def _merge_if_needed(self, info: dict) -> dict:
        """Tiered merging: the later (small) segments are merged among themselves when there
        are too many; everything is merged into one base segment (and its approximate index
        built again) only when they hold more than DELTA_SHARE of the base's rows."""
        segments = info["segments"]
        if not segments:
            return info
        base = self._rows(segments[0])
        later = sum(self._rows(s) for s in segments[1:])
        if later > DELTA_SHARE * base or (len(segments) == 1 and info.get("ann") is None
                                          and base > self.ann_min_rows):
            return self._merge(info, segments, base_too=True)
        if len(segments) > MAX_SEGMENTS:
            return self._merge(info, segments[1:], base_too=False)
        return info

    def _rows(self, name: str) -> int:
        return int(np.load(self.dir / f"{name}.keys.npy", mmap_mode="r").shape[0])

    def _merge(self, info: dict, names: list[str], *, base_too: bool) -> dict:
        """One segment of the rows of ``names`` still alive (a later segment's row replaces
        an earlier one, everywhere); with ``base_too`` it is the new base."""
        view = self._load({**info, "ann": None})
        first = len(info["segments"]) - len(names)
        lo = view.offsets[first]
        rows = np.flatnonzero(view.alive[lo:]) + lo
        ids = view.ids_of(rows)
        matrix = np.empty((len(rows), view.dim), dtype=np.float32)
        for i, seg in enumerate(view.segments[first:], start=first):
            a, b = view.offsets[i], view.offsets[i + 1]
            sel = (rows >= a) & (rows < b)
            matrix[sel] = seg.matrix[rows[sel] - a]
        merged = self._write_segment(ids, matrix)
        if not base_too:
            return {**info, "segments": info["segments"][:first] + [merged]}
        ann = self._build_ann(matrix) if len(ids) > self.ann_min_rows else None
        return {**info, "segments": [merged], "ann": ann}

    def _build_ann(self, matrix: np.ndarray) -> str:
        from usearch.index import Index

        index = Index(ndim=matrix.shape[1], metric="ip", dtype=ANN_DTYPE,
                      connectivity=ANN_CONNECTIVITY, expansion_add=ANN_EXPANSION_ADD,
                      expansion_search=ANN_EXPANSION_SEARCH)
        index.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=1)
        name = f"ann-{secrets.token_hex(6)}.usearch"
        index.save(str(self.dir / name))
        return name

    def _publish(self, info: dict) -> None:
        replace_synced(self.dir / POINTER, json.dumps(info).encode("utf-8"))
        self._remove_unused(info)

    def _remove_unused(self, info: dict) -> None:
        """Files no longer named by VECTORS (readers that mapped them keep their copy)."""
        keep = {info.get("ann")} | {f"{s}{suffix}" for s in info["segments"]
                                    for suffix in (".npy", ".keys.npy", ".ids.json")}
        for entry in self.dir.iterdir():
            if entry.name.startswith(("seg-", "ann-")) and entry.name not in keep:
                entry.unlink(missing_ok=True)

    def clear(self) -> None:
        if self.dir.is_dir():
            self._publish({"model": None, "dim": 0, "segments": [], "ann": None})
