"""Writing: bulk actions in bounded chunks, retries, apply, rebuild into a new index."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, NotFoundError, helpers

from ...resource import Resource
from ..base import BackendUnavailable, IndexingError
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


def _upsert(r: Resource) -> _Action:
    source = document(r)
    size = 1024 + 2 * (len(r.title or "") + len(r.summary or "") + len(r.body or ""))
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
            for r in upserts:
                yield _upsert(r)

        with self._engine("indexing"):
            self._ensure_index()
            self._bulk(self.index, actions())
            self.es.indices.refresh(index=self.index)

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
