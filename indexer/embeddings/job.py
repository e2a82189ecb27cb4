"""The embedding job (``ccp index embed``, also run by the scheduler): compute the vectors
still missing, store them in the catalogue, publish them to the search backend.

Embedding is far slower than the rest of the pipeline, so it runs in the background, in
batches: each batch is embedded, stored and committed in one transaction (a killed job loses
at most one batch), then sent to the backend. Only one job runs at a time (a run lock in the
catalogue). Search works before and while it runs: resources without a vector are found by
the lexical search only. A backend that is down loses nothing: stored vectors not yet taken
(``published_at`` NULL) are sent by the next run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..backends.base import BackendUnavailable, SearchBackend
from .base import Embedder
from .centering import ANY, CENTERINGS, LanguageMeans
from .passages import passage_text, text_hash

log = logging.getLogger(__name__)

EMBED_LOCK = "(embeddings)"  # the run-lock row that keeps embedding jobs from overlapping
DEFAULT_CENTERING = "language"
DEFAULT_BATCH = 16
# Publishing everything again with the final language means when a run grew the stored
# vectors by more than this share (a first run: its early batches had rough means).
REPUBLISH_GROWTH = 0.2


@dataclass
class EmbedResult:
    model: str
    embedded: int = 0  # vectors computed and stored
    unchanged: int = 0  # resources modified whose passage did not change
    published: int = 0  # vectors the backend took
    backlog: int = 0  # still to embed when the run ended
    seconds: float = 0.0
    busy: str | None = None  # another run holds the lock: nothing was done
    error: str | None = None  # why publishing stopped (the backend was down)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def embed(catalogue, backend: SearchBackend | None, embedder: Embedder, *,
          limit: int | None = None, batch: int = DEFAULT_BATCH,
          centering: str = DEFAULT_CENTERING, stale_after: float = 300.0,
          progress: Callable[[EmbedResult, int], None] | None = None,
          stop: threading.Event | None = None) -> EmbedResult:
    """Embed up to ``limit`` resources still to embed (all with None), ``batch`` at a time,
    and publish their vectors to ``backend`` (None: store only). ``progress(result, total)``
    is called after each batch. Returns what was done."""
    if centering not in CENTERINGS:
        raise ValueError(f"unknown centering {centering!r} (use {' or '.join(CENTERINGS)})")
    model = embedder.name
    result = EmbedResult(model=model)
    started = time.perf_counter()
    owner = _owner()
    ok, note = catalogue.acquire_source_lock(EMBED_LOCK, owner, stale_after=stale_after)
    if not ok:
        result.busy = f"another embedding run is going on: {note}"
        result.backlog = catalogue.embedding_backlog(model)
        return result
    try:
        stored_before = catalogue.embedding_status(model).stored
        if backend is not None:
            _publish(catalogue, backend, model, centering, result, everything=False)
        total = catalogue.embedding_backlog(model)
        if limit is not None:
            total = min(total, limit)
        seen: set[str] = set()
        while (limit is None or result.embedded + result.unchanged < limit) \
                and not (stop and stop.is_set()):
            size = batch if limit is None else min(batch, limit - result.embedded
                                                   - result.unchanged)
            pending = catalogue.pending_embeddings(model, size)
            if not pending or all(r.id in seen for r, _ in pending):
                break  # nothing left, or only what this run did already (modified meanwhile)
            seen.update(r.id for r, _ in pending)
            ids = _embed_batch(catalogue, embedder, pending, result)
            catalogue.heartbeat_source_locks([EMBED_LOCK], owner)
            if backend is not None and ids and result.error is None:
                _publish(catalogue, backend, model, centering, result, ids=ids)
            if progress:
                progress(result, total)
        stored_after = catalogue.embedding_status(model).stored
        if backend is not None and result.error is None and centering == "language" \
                and stored_after - stored_before > REPUBLISH_GROWTH * max(1, stored_before):
            result.published = 0  # every vector is sent again, centred on the final means
            _publish(catalogue, backend, model, centering, result, everything=True)
        result.backlog = catalogue.embedding_backlog(model)
    finally:
        catalogue.release_source_locks([EMBED_LOCK], owner)
        result.seconds = time.perf_counter() - started
    return result


def _embed_batch(catalogue, embedder: Embedder, pending, result: EmbedResult) -> list[str]:
    from ..catalogue import Computed

    computed, texts = [], []
    for r, old_hash in pending:
        text = passage_text(r)
        h = text_hash(text)
        item = Computed(r.id, h, r.language, None, None)
        if old_hash != h:
            texts.append(text)
        computed.append(item)
    vectors = iter(embedder.embed_passages(texts)) if texts else iter(())
    for item, (r, old_hash) in zip(computed, pending):
        if old_hash != item.text_hash:
            item.vector = next(vectors)
    _set_modified(catalogue, computed)
    result.embedded += catalogue.store_embeddings(embedder.name, computed)
    result.unchanged += sum(1 for c in computed if c.vector is None)
    return [c.resource_id for c in computed if c.vector is not None]


def _set_modified(catalogue, computed) -> None:
    """The resources' ``modified_at`` as stored (a Resource does not carry it)."""
    from sqlalchemy import select

    from ..catalogue import resources_t

    ids = [c.resource_id for c in computed]
    with catalogue.engine.connect() as conn:
        when = dict(conn.execute(select(resources_t.c.id, resources_t.c.modified_at)
                                 .where(resources_t.c.id.in_(ids))).all())
    for c in computed:
        c.modified_at = when.get(c.resource_id)


def publish_vectors(catalogue, backend: SearchBackend, model: str, *,
                    centering: str = DEFAULT_CENTERING, everything: bool = True) -> EmbedResult:
    """Send stored vectors of ``model`` to ``backend``: every one (``everything``: after a
    rebuild, replacing what the backend had) or those it has not taken yet."""
    result = EmbedResult(model=model)
    _publish(catalogue, backend, model, centering, result, everything=everything)
    return result


def _publish(catalogue, backend: SearchBackend, model: str, centering: str,
             result: EmbedResult, *, everything: bool = False,
             ids: list[str] | None = None) -> None:
    means: LanguageMeans | None = None

    def items():
        nonlocal means
        for page in catalogue.iter_embeddings(model, unpublished_only=not everything):
            if ids is not None:
                wanted = set(ids)
                page = [row for row in page if row[0] in wanted]
            if not page:
                continue
            vectors = np.stack([v for _, _, v in page])
            if centering == "language":
                if means is None:
                    means = catalogue.embedding_means(model, vectors.shape[1])
                vectors = means.centred(vectors, [lang for _, lang, _ in page])
            for (rid, _, _), vec in zip(page, vectors):
                sent.append(rid)
                yield rid, vec

    sent: list[str] = []

    def query_shift():
        """The mean document vector with language centering; zeros without (clearing a
        shift stored before)."""
        dim = catalogue.embedding_dims(model)
        if not dim:
            return None
        if centering != "language":
            return np.zeros(dim, dtype=np.float32)
        m = catalogue.embedding_means(model, dim)
        return m.mean(None) if m.counts.get(ANY) else None

    try:
        skipped = set(backend.apply_vectors(model, items(), replace=everything,
                                            query_shift=query_shift()) or ())
    except BackendUnavailable as exc:
        result.error = str(exc)
        log.warning("vectors not published (they are stored and will be sent): %s", exc)
        return
    if everything:
        catalogue.unpublish_embeddings(model)
    taken = [rid for rid in sent if rid not in skipped]
    catalogue.mark_embeddings_published(model, taken)
    result.published += len(taken)
