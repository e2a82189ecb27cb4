"""Vector search on Elasticsearch: filtered kNN over the ``vector`` field (``dense_vector``,
HNSW), and the vector metadata the index carries in ``_meta.ccp_vectors`` (the embedding model,
the language-centring query shift)."""

from __future__ import annotations

import time
from typing import Any

from elasticsearch import NotFoundError

from ...embeddings.centering import shifted_query
from .constants import (
    KNN_CANDIDATES_PER_HIT,
    KNN_MAX_CANDIDATES,
    VECTOR_FIELD,
    VECTOR_META_SECONDS,
    VECTOR_MODEL_FIELD,
)


def knn_body(vector, k: int, filters: dict[str, list[str]], include_gone: bool,
             model: str | None) -> dict[str, Any]:
    """The search body of a filtered kNN search (facet filters as in a SearchQuery)."""
    restrict: list[dict[str, Any]] = [{"terms": {f: list(v)}} for f, v in filters.items() if v]
    if not include_gone:
        restrict.append({"term": {"live": True}})
    if model:
        restrict.append({"term": {VECTOR_MODEL_FIELD: model}})
    knn: dict[str, Any] = {
        "field": VECTOR_FIELD,
        "query_vector": [float(x) for x in vector],
        "k": k,
        "num_candidates": min(KNN_MAX_CANDIDATES, max(100, KNN_CANDIDATES_PER_HIT * k)),
    }
    if restrict:
        knn["filter"] = restrict
    return {"knn": knn, "size": k, "_source": False, "track_total_hits": False}


class VectorsMixin:
    """The vector half of :class:`~.backend.ElasticsearchBackend` (``es``, ``index``,
    ``_engine`` and ``_vector_meta_cache`` are the backend's)."""

    def vector_search(self, vector, k: int = 100, filters: dict[str, list[str]] | None = None,
                      include_gone: bool = False, *, model: str | None = None
                      ) -> list[tuple[str, float]]:
        """kNN over the ``vector`` field (HNSW, ``num_candidates`` = 4 k), the filters inside
        the kNN search so ``k`` matching documents come back."""
        if k <= 0:
            return []
        k = min(k, KNN_MAX_CANDIDATES)
        with self._engine("searching vectors"):
            shift = self._vector_meta().get("query_shift")
            if shift:
                vector = shifted_query(vector, shift)
            try:
                resp = self.es.search(index=self.index, body=knn_body(
                    vector, k, filters or {}, include_gone, model)).body
            except NotFoundError:
                return []
        # cosine similarity from Elasticsearch's _score = (1 + cosine) / 2
        return [(h["_id"], 2.0 * float(h["_score"]) - 1.0) for h in resp["hits"]["hits"]]

    def vector_count(self) -> int:
        with self._engine("counting vectors"):
            try:
                return int(self.es.count(index=self.index,
                                         query={"exists": {"field": VECTOR_FIELD}})["count"])
            except NotFoundError:
                return 0

    def vector_model(self) -> str | None:
        with self._engine("reading the index's vector model"):
            return self._vector_meta(fresh=True).get("model")

    def _vector_meta(self, fresh: bool = False) -> dict[str, Any]:
        """``_meta.ccp_vectors`` of the live index (model, query shift), read again at most
        every VECTOR_META_SECONDS (or now with ``fresh``)."""
        cached = self._vector_meta_cache
        if not fresh and cached and time.monotonic() - cached[0] < VECTOR_META_SECONDS:
            return cached[1]
        try:
            mappings = self.es.indices.get_mapping(index=self.index).body
        except NotFoundError:
            mappings = {}
        meta: dict[str, Any] = {}
        for body in mappings.values():
            meta = (body.get("mappings", {}).get("_meta", {}) or {}).get("ccp_vectors") or {}
            break
        self._vector_meta_cache = (time.monotonic(), meta)
        return meta
