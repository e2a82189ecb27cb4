"""The search backend interface (after Wagtail's search backends).

Every backend — the embedded engine (default) and Elasticsearch — implements
:class:`SearchBackend`; one contract test suite runs against each. The web app and the CLI
only ever talk to a backend through this interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from ..query import SearchQuery, SearchResults
from ..resource import Resource, as_utc


class BackendUnavailable(RuntimeError):
    """The search engine cannot answer now (the UI maps this to 503)."""


INDEX_MISSING = ("the search index does not exist yet; run `ccp index rebuild` "
                 "(or `ccp harvest`)")


class IndexMissing(BackendUnavailable):
    """No index has ever been built here: an empty answer would look like an empty portal."""

    def __init__(self, where: str = ""):
        super().__init__(INDEX_MISSING)
        self.where = where


class IndexingError(RuntimeError):
    """Documents the engine rejected even after a retry (``failures``: id, status, reason).

    The rest of the batch was indexed; the rejected documents' outbox entries are kept and
    reported (see :func:`indexer.indexing.drain`)."""

    def __init__(self, message: str, failures: list[tuple[str, int, str]]):
        super().__init__(message)
        self.failures = failures


def result_view(r: Resource) -> dict[str, Any]:
    """The fields a result list needs, stored with each indexed document."""
    return {
        "id": r.id,
        "title": r.title,
        "url": r.url,
        "summary": r.summary,
        "language": r.language,
        "type": r.type,
        "themes": list(r.themes),
        "publisher": r.publisher,
        "published": _iso(r.published),
        "date": _iso(r.date),
        "format": r.format,
        "countries": r.countries,
        "cities": r.cities,
        "deadline": _iso(r.deadline),
        "start": _iso(r.event_start),
        "end": _iso(r.event_end),
        "places": [p.to_json() for p in r.places],
        "instances": [
            {"source_id": i.source_id, "url": i.url}
            for i in (r.live_instances or r.instances)
        ],
    }


def _iso(when) -> str | None:
    """ISO 8601, UTC written as ``Z``; None stays None."""
    return as_utc(when).isoformat().replace("+00:00", "Z") if when else None


def facet_values(r: Resource) -> dict[str, list[str]]:
    """The facet values of a resource, one list per facet in query.FACETS."""
    return {
        "language": [r.language] if r.language else [],
        "type": [r.type] if r.type else [],
        "theme": list(r.themes),
        "country": r.countries,
        "city": r.cities,
        "source": r.source_ids or sorted({i.source_id for i in r.instances}),
        "year": [str(r.year)] if r.year else [],
    }


class SearchBackend(ABC):
    """One search engine behind the portal."""

    name: str = "base"

    @abstractmethod
    def apply(self, upserts: Iterable[Resource], deletes: Iterable[str] = ()) -> None:
        """Write one batch atomically: readers see all of it or none of it.

        Upserts replace any document with the same id (ids are deterministic).
        """

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Answer a query. Malformed user syntax never raises: it is searched leniently."""

    @abstractmethod
    def count(self) -> int:
        """Number of indexed documents."""

    @abstractmethod
    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Build a complete new index from ``resources`` and swap it in only when complete.

        A failure leaves the live index untouched. Returns the number of documents indexed.
        """

    @abstractmethod
    def health(self) -> tuple[bool, str]:
        """(ok, message) — whether the engine answers, and why not."""

    def exists(self) -> bool:
        """Whether an index has been built (it may hold 0 documents). A search of an index
        that does not exist answers with no results; callers that must tell "never built"
        from "nothing matches" ask this (only when a search found nothing)."""
        return True

    @abstractmethod
    def ids(self) -> set[str]:
        """Every indexed id (for consistency checks; small indexes only)."""

    # -- vectors (dense retrieval; see indexer.embeddings) ------------------------------------
    def prepare_vectors(self, model: str, dims: int) -> None:
        """The vectors to come are ``model``'s, of ``dims`` dimensions (called before a rebuild:
        an engine that fixes the dimensions when it creates an index takes them from here)."""

    def apply_vectors(self, model: str, items: Iterable[tuple[str, Any]], *,
                      replace: bool = False, query_shift: Any = None) -> list[str]:
        """Store the embedding vectors ``items`` (resource id, unit float32 vector) of
        ``model``; a vector replaces the resource's earlier one. ``replace``: ``items`` are
        every vector (after a rebuild). Vectors of two models are never compared
        (:meth:`vector_search` takes the model). A vector is searched only while its
        document is indexed; returns the ids whose vectors were not kept because their
        document is not indexed (send them again after it is).

        ``query_shift`` (a vector; None keeps the one stored): every query vector is moved by
        minus it and renormalised before searching (language centering centres the queries
        on the mean document vector too; see :mod:`indexer.embeddings.centering`)."""
        raise NotImplementedError(f"the {self.name} backend does not store vectors")

    def vector_search(self, vector: Any, k: int = 100,
                      filters: dict[str, list[str]] | None = None,
                      include_gone: bool = False, *, model: str | None = None
                      ) -> list[tuple[str, float]]:
        """The ``k`` indexed resources whose vectors are most similar to ``vector`` (cosine),
        best first, as (resource id, similarity). ``filters`` and ``include_gone`` restrict
        them exactly like :class:`SearchQuery`'s. When ``model`` is given and the stored vectors
        are another model's, nothing is found."""
        return []

    def vector_count(self) -> int:
        """Number of stored vectors."""
        return 0

    def vector_model(self) -> str | None:
        """The model of the stored vectors (None when there are none)."""
        return None

    def close(self) -> None:
        """Release files and connections."""
