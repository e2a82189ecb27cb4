"""Writing: bulk actions in bounded chunks, retries, apply, rebuild into a new index."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, NotFoundError, helpers

from ...resource import Resource
from ..base import BackendUnavailable, IndexingError
from .constants import SCHEMA_VERSION, VECTOR_FIELD, VECTOR_MODEL_FIELD
from .errors import error_text
from .mapping import LIVE_SETTINGS, document

log = logging.getLogger(__name__)



@dataclass
class _Action:
    op: str  # index | delete
    id: str
    source: dict[str, Any] | None
    size: int

    def as_bulk(self, index: str) -> dict[str, Any]:
        action: dict[str, Any] = {"_op_type": self.op, "_index": index, "_id": self.id}
        if self.source is not None:
            action["_source"] = self.source
        return action


def _chunks(actions: Iterable[_Action], max_docs: int, max_bytes: int) -> Iterator[list[_Action]]:
    chunk: list[_Action] = []
    size = 0
    for action in actions:
        if chunk and (len(chunk) >= max_docs or size + action.size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(action)
        size += action.size
    if chunk:
        yield chunk


def _upsert(r: Resource, vector: dict[str, Any] | None = None) -> _Action:
    source = document(r)
    size = 1024 + 2 * (len(r.title or "") + len(r.summary or "") + len(r.body or ""))
    if vector:
        source.update(vector)
        size += 20 * len(vector.get(VECTOR_FIELD) or ())
    return _Action("index", r.id, source, size)


class IndexingMixin:
    """The writing half of :class:`~.backend.ElasticsearchBackend`."""

    # -- writing ----------------------------------------------------------------------------
    def _bulk(self, index: str, actions: Iterable[_Action]) -> int:
        """Send ``actions`` in bounded chunks; retry failed documents one by one; raise for the
        rest. Returns the number of documents written (deletes of missing ids count as done)."""
        failures: list[tuple[str, int, str]] = []
        done = 0
        for chunk in _chunks(actions, self.chunk_docs, self.chunk_bytes):
            failed: list[tuple[str, str]] = []  # (op, id)
            results = helpers.streaming_bulk(
                self.es,
                (a.as_bulk(index) for a in chunk),
                chunk_size=len(chunk),
                max_chunk_bytes=max(self.chunk_bytes * 4, 10_000_000),
                raise_on_error=False,
                raise_on_exception=True,
                max_retries=self.bulk_retries,
                initial_backoff=self.bulk_backoff,
                max_backoff=30,
            )
            for ok, item in results:
                op, info = next(iter(item.items()))
                if ok or (op == "delete" and info.get("status") == 404):
                    done += 1
                else:
                    failed.append((op, str(info.get("_id"))))
            if failed:
                latest = {(a.op, a.id): a for a in chunk}
                for op, doc_id in failed:
                    error = self._retry_one(index, latest[(op, doc_id)])
                    if error is None:
                        done += 1
                    else:
                        failures.append(error)
        if failures:
            self._raise_failures(failures, done)
        return done

    def _retry_one(self, index: str, action: _Action) -> tuple[str, int, str] | None:
        """Write one document again; None when it worked, else (id, status, reason)."""
        try:
            if action.op == "delete":
                try:
                    self.es.delete(index=index, id=action.id)
                except NotFoundError:
                    pass
            else:
                self.es.index(index=index, id=action.id, document=action.source)
        except ApiError as e:
            return (action.id, e.status_code if isinstance(e.status_code, int) else 0,
                    error_text(e))
        log.info("Elasticsearch accepted %s of %s on retry", action.op, action.id)
        return None

    def _raise_failures(self, failures: list[tuple[str, int, str]], done: int) -> None:
        shown = "; ".join(f"{i}: {reason}" for i, _, reason in failures[:5])
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        message = (
            f"{self.where} rejected {len(failures)} document(s) after a retry "
            f"({done} written): {shown}{more}"
        )
        log.error(message)
        if any(status == 429 or status >= 500 for _, status, _ in failures):
            raise BackendUnavailable(message)
        raise IndexingError(message, failures)

    def apply(self, upserts: Iterable[Resource], deletes: Iterable[str] = ()) -> None:
        """Write one batch (deletes first, then upserts) and refresh once, so searches see all
        of it after this returns. Re-indexing a resource replaces it (``_id`` = resource id)."""

        def actions() -> Iterator[_Action]:
            for doc_id in deletes:
                yield _Action("delete", str(doc_id), None, 100)
            batch: list[Resource] = []
            for r in upserts:
                batch.append(r)
                if len(batch) >= self.chunk_docs:
                    yield from self._with_vectors(batch)
                    batch = []
            yield from self._with_vectors(batch)

        with self._engine("indexing"):
            self._ensure_index()
            self._bulk(self.index, actions())
            self.es.indices.refresh(index=self.index)

    def _with_vectors(self, batch: list[Resource]) -> Iterator[_Action]:
        """Upserts of ``batch`` that keep the vectors their documents have (a re-indexed
        document is replaced whole; its vector is only computed again when its text changes)."""
        if not batch:
            return
        kept: dict[str, dict[str, Any]] = {}
        try:
            docs = self.es.mget(index=self.index, ids=[r.id for r in batch],
                                source_includes=[VECTOR_FIELD, VECTOR_MODEL_FIELD])["docs"]
        except NotFoundError:
            docs = []
        for d in docs:
            source = d.get("_source") or {}
            if d.get("found") and source.get(VECTOR_FIELD):
                kept[d["_id"]] = {VECTOR_FIELD: source[VECTOR_FIELD],
                                  VECTOR_MODEL_FIELD: source.get(VECTOR_MODEL_FIELD)}
        for r in batch:
            yield _upsert(r, kept.get(r.id))

    # -- vectors ----------------------------------------------------------------------------
    def prepare_vectors(self, model: str, dims: int) -> None:
        """Indices created from now on hold ``dims``-dimension vectors (call before a
        rebuild when the embedder changed)."""
        self.vector_dims = int(dims)

    def apply_vectors(self, model: str, items: Iterable[tuple[str, Any]], *,
                      replace: bool = False, query_shift: Any = None) -> list[str]:
        """Set the vector of each document (partial updates). Returns the ids whose document
        is not indexed (their vectors were not kept). ``replace`` is what a rebuilt index
        needs: its documents have no vectors yet. The model and the query shift are kept in
        the mapping's ``_meta.ccp_vectors``."""
        skipped: list[str] = []
        failures: list[tuple[str, int, str]] = []
        done = 0
        with self._engine("storing vectors"):
            self._ensure_index()
            dims = self._vector_dims_of_index()

            def actions() -> Iterator[dict[str, Any]]:
                for rid, vec in items:
                    values = [float(x) for x in vec]
                    if dims and len(values) != dims:
                        raise BackendUnavailable(
                            f"{self.where}: the index holds {dims}-dimension vectors, {model} "
                            f"makes {len(values)}; run `ccp index rebuild`")
                    yield {"_op_type": "update", "_index": self.index, "_id": str(rid),
                           "doc": {VECTOR_FIELD: values, VECTOR_MODEL_FIELD: model}}

            for ok, item in helpers.streaming_bulk(
                    self.es, actions(), chunk_size=self.chunk_docs, raise_on_error=False,
                    raise_on_exception=True, max_retries=self.bulk_retries,
                    initial_backoff=self.bulk_backoff, max_backoff=30):
                info = next(iter(item.values()))
                if ok:
                    done += 1
                elif info.get("status") == 404:
                    skipped.append(str(info.get("_id")))
                else:
                    failures.append((str(info.get("_id")), int(info.get("status") or 0),
                                     str(info.get("error"))))
            meta = self._vector_meta(fresh=True)
            kept_shift = meta.get("query_shift") if meta.get("model") == model else None
            shift = ([float(x) for x in query_shift] if query_shift is not None
                     else kept_shift)
            self.es.indices.put_mapping(index=self.index, meta={
                "ccp_schema": SCHEMA_VERSION,
                "ccp_vectors": {"model": model, **({"query_shift": shift} if shift else {})}})
            self.es.indices.refresh(index=self.index)
            self._vector_meta(fresh=True)
        if failures:
            self._raise_failures(failures, done)
        return skipped

    def _vector_dims_of_index(self) -> int | None:
        mappings = self.es.indices.get_mapping(index=self.index).body
        for body in mappings.values():
            field = body.get("mappings", {}).get("properties", {}).get(VECTOR_FIELD) or {}
            return field.get("dims")
        return None

    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Fill a new index ``<index>-<UTC timestamp>`` and swap the alias to it in one atomic
        ``update_aliases`` call once it is complete and counted; then delete the old indices.
        On any failure the new index is deleted and the live one is untouched."""
        with self._engine("rebuilding the index"):
            self._check_no_index_named_like_alias()
            name = self._new_index_name()
            self._create_index(name, building=True)
            try:
                seen: set[str] = set()

                def actions() -> Iterator[_Action]:
                    for r in resources:
                        seen.add(r.id)
                        yield _upsert(r)

                self._bulk(name, actions())
                self.es.indices.put_settings(index=name, settings=LIVE_SETTINGS)
                self.es.indices.refresh(index=name)
                indexed = int(self.es.count(index=name)["count"])
                if indexed != len(seen):
                    raise IndexingError(
                        f"{self.where}: the new index {name} holds {indexed} documents, "
                        f"expected {len(seen)}; the live index is unchanged",
                        [],
                    )
                old = self._alias_targets()
                self.es.indices.update_aliases(
                    actions=[{"remove": {"index": o, "alias": self.index}} for o in old]
                    + [{"add": {"index": name, "alias": self.index}}]
                )
            except BaseException:
                self._delete_quietly(name)
                raise
            for stale in self._own_indices():
                if stale != name:
                    self._delete_quietly(stale)
        log.info("rebuilt Elasticsearch index %s (%d documents) behind alias %s",
                 name, len(seen), self.index)
        return len(seen)

    def delete_indices(self) -> list[str]:
        """Delete every index this backend built (``<index>-<timestamp>``) and so its alias."""
        with self._engine("deleting indices"):
            names = self._own_indices()
            for name in names:
                try:
                    self.es.indices.delete(index=name)
                except NotFoundError:
                    pass
        return names
