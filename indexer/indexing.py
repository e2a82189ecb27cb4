"""From the catalogue to the search index: draining the outbox, rebuilding.

Every catalogue change that alters what search shows leaves an outbox entry in the same
transaction. :func:`drain` applies pending entries to the backend in batches and removes them
only once the backend has committed them, so a backend that is down delays freshness but
loses nothing: the entries wait and the next drain applies them.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field

from .backends.base import BackendUnavailable, IndexingError, SearchBackend
from .catalogue import Catalogue
from .embeddings.job import DEFAULT_CENTERING, EMBED_LOCK, EmbedResult, embed, publish_vectors

__all__ = ["DEFAULT_CENTERING", "EMBED_LOCK", "DrainResult", "EmbedResult", "drain", "embed",
           "publish_vectors", "rebuild"]

log = logging.getLogger(__name__)


@dataclass
class DrainResult:
    applied: int = 0  # outbox entries applied
    upserted: int = 0
    deleted: int = 0
    error: str | None = None  # why draining stopped early (backend down) or what was rejected
    rejected: list = field(default_factory=list)  # (id, status, reason) the backend refused


def drain(catalogue: Catalogue, backend: SearchBackend, *, batch: int = 500,
          raise_errors: bool = False) -> DrainResult:
    """Apply every pending outbox entry to ``backend``; returns what was done.

    Entries are removed only once the backend has committed them. Several processes may
    call this at once (see :meth:`Catalogue.claim_outbox` and
    :meth:`Catalogue.drain_session`).
    """
    result = DrainResult()
    skip: set[int] = set()  # entries whose documents the backend rejected in this drain
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with catalogue.drain_session(owner) as mine:
        if not mine:
            return result  # another drain is running and will take these entries too
        while True:
            with catalogue.claim_outbox(batch, exclude=skip) as claim:
                entries = claim.entries
                if not entries:
                    break
                last_op: dict[str, str] = {}
                for _id, rid, op in entries:
                    last_op[rid] = op  # the newest entry of a resource wins
                upsert_ids = [rid for rid, op in last_op.items() if op == "upsert"]
                resources = claim.resources(upsert_ids)
                found = {r.id for r in resources}
                deletes = [rid for rid, op in last_op.items()
                           if op == "delete" or rid not in found]
                try:
                    backend.apply(resources, deletes)
                except BackendUnavailable as exc:
                    result.error = str(exc)
                    log.warning("search index unavailable, %d outbox entries wait: %s",
                                len(entries), exc)
                    if raise_errors:
                        raise
                    break
                except IndexingError as exc:
                    # the rest of the batch is indexed; the rejected documents' entries stay
                    # in the outbox (retried by the next drain) and are reported
                    rejected = {f[0] for f in exc.failures}
                    keep = {e[0] for e in entries if e[1] in rejected}
                    skip.update(keep)
                    result.rejected.extend(exc.failures)
                    result.error = str(exc)
                    log.error("the index rejected %d document(s): %s", len(rejected),
                              "; ".join(f"{i}: {why}" for i, _s, why in exc.failures[:10]))
                    claim.ack(found - rejected, keep=keep)
                    n = len(entries) - len(keep)
                    result.applied += n
                    result.upserted += len(found - rejected)
                    continue
                claim.ack(found)
                result.applied += len(entries)
                result.upserted += len(resources)
                result.deleted += len(deletes)
    return result


def rebuild(catalogue: Catalogue, backend: SearchBackend, *, model: str | None = None,
            centering: str = DEFAULT_CENTERING) -> int:
    """Rebuild the whole index from the catalogue without re-crawling.

    The backend builds a new index and swaps it in only when complete. Outbox entries
    written before the rebuild started are covered by it; later ones are drained afterwards,
    so writes that happen during the rebuild are not lost. With ``model`` (the embedder's
    name) its stored vectors are sent again, never recomputed.
    """
    start_id = catalogue.outbox_max_id()
    if model:
        dims = catalogue.embedding_dims(model)
        if dims:
            backend.prepare_vectors(model, dims)
    n = backend.rebuild(catalogue.iter_resources())
    catalogue.outbox_ack(start_id)
    drain(catalogue, backend)
    if model:
        catalogue.recount_embedding_means(model)
        publish_vectors(catalogue, backend, model, centering=centering, everything=True)
    return n

