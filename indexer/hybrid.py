"""Hybrid search: the lexical search fused with the vector search, across languages.

``HybridSearch(backend, embedder).search(query)`` answers a :class:`SearchQuery` by its
``mode``:

* ``lexical`` — the backend's own search (words, their stems and compound parts; the previous
  relevance work), nothing else;
* ``dense`` — the resources whose embedding is nearest the query's (``backend.vector_search``),
  best first, with the query's filters;
* ``hybrid`` (the default) — up to three rankings fused by **reciprocal rank fusion**: the
  lexical search of the user's words, the lexical search of the concept the query names in
  every language (:mod:`indexer.concepts`: "maisto švaistymas" also searches "food waste",
  "spreco alimentare", …; weighted :data:`EXPANSION_WEIGHT`) and the vector search. A resource
  scores ``Σ weight/(RRF_K + rank)`` over the first :data:`WINDOW` of each list
  (Elasticsearch's ``rrf`` retriever with its ``rank_window_size``). Same-language exact
  matches lead the lists and stay on top; pages in other languages about the same thing
  follow.

Totals, facets and filters are those of the union (the lexical matches and the vector hits,
under the filters), so facet counts describe what the pages list; sorting by date sorts that
union. Pages beyond the fused window follow in lexical order. Resources without a vector yet
(``ccp index embed`` still running) are found by their words only; with no embedder
(``CCP_EMBEDDER=none``) or no vectors, every mode is lexical.

Vector hits are kept when their cosine similarity (to the language-centred document vectors,
see :mod:`indexer.embeddings.centering`) is at least :data:`MIN_SIMILARITY` and within
:data:`RELATIVE_SIMILARITY` of the best one: the vector search always returns neighbours,
related or not, and the cut keeps a query about textiles from listing every page.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from typing import Any

from .backends.base import SearchBackend
from .concepts import expand
from .query import MAX_PER_PAGE, Hit, SearchQuery, SearchResults
from .textplan import LISTING_WEIGHT

__all__ = ["HybridSearch", "fuse"]

RRF_K = 60  # the rank constant of reciprocal rank fusion (Cormack et al. 2009; ES's default)
WINDOW = 100  # ranks of each list that are fused (ES: rank_window_size); one page
DENSE_K = 50  # vector hits asked for
MIN_SIMILARITY = 0.1  # cosine below which a vector hit is not related (measured: bench/README.md)
RELATIVE_SIMILARITY = 0.5  # ...nor one below this share of the best hit's similarity
DENSE_WEIGHT = 0.3  # the vector list's weight in the fusion (measured: bench/README.md)
EXPANSION_WEIGHT = 0.3  # the concept terms' list's weight in the fusion
# The words are retried leniently (fewer words, similar spellings) only when the vectors and the
# concept found fewer than this: pages that share one incidental word with the query would
# otherwise push out the other languages' pages about the same thing (the lexical search alone
# fills its page, textplan.MIN_HITS).
LENIENT_BELOW = 3
QUERY_CACHE = 512  # query embeddings kept per process


def fuse(lexical: list[str], dense: list[str], k: int | None = None,
         dense_weight: float | None = None, more: tuple[tuple[list[str], float], ...] = (),
         listing: frozenset[str] | set[str] = frozenset()) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of rankings (ids, best first): (id, fused score), best first; ties
    keep the lexical order. ``more``: further (ranking, weight) pairs. ``k`` and
    ``dense_weight`` default to :data:`RRF_K` and :data:`DENSE_WEIGHT`. A ``listing`` page's
    share of the lexical ranking is multiplied by textplan.LISTING_WEIGHT, as the engines weigh its
    score (a rank carries no score: a tag page ranked 2nd by its words would otherwise count
    as much as the page it lists)."""
    k = RRF_K if k is None else k
    dense_weight = DENSE_WEIGHT if dense_weight is None else dense_weight
    scores: dict[str, float] = {}
    order: dict[str, int] = {}
    for i, (ranking, weight) in enumerate(((lexical, 1.0), (dense, dense_weight), *more)):
        for rank, rid in enumerate(ranking, 1):
            w = weight * LISTING_WEIGHT if i == 0 and rid in listing else weight
            scores[rid] = scores.get(rid, 0.0) + w / (k + rank)
            order.setdefault(rid, len(order))
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


class HybridSearch:
    """Answers SearchQuery in every mode over one backend (see the module docstring)."""

    def __init__(self, backend: SearchBackend, embedder: Any | None = None):
        """``embedder``: an :class:`~indexer.embeddings.Embedder`, None (lexical only), or a
        callable returning one, called the first time vectors are there to search (a portal
        without vectors never loads a model)."""
        self.backend = backend
        self._embedder = embedder
        self._embed = functools.lru_cache(maxsize=QUERY_CACHE)(self._embed_query)

    @property
    def embedder(self):
        if callable(self._embedder) and not hasattr(self._embedder, "embed_query"):
            self._embedder = self._embedder()
        return self._embedder

    def _embed_query(self, text: str):
        return self.embedder.embed_query(text)

    def _vectors_ready(self) -> bool:
        if self._embedder is None:
            return False
        try:
            if self.backend.vector_count() <= 0:
                return False
        except NotImplementedError:
            return False
        return self.embedder is not None

    def dense_hits(self, query: SearchQuery) -> list[tuple[str, float]]:
        """The vector search's related hits for the query (see the module docstring)."""
        vector = self._embed(query.text)
        found = self.backend.vector_search(vector, DENSE_K, query.filters, query.include_gone,
                                           model=self.embedder.name)
        if not found:
            return []
        floor = max(MIN_SIMILARITY, found[0][1] * RELATIVE_SIMILARITY)
        kept = [(rid, sim) for rid, sim in found if sim >= floor]
        if kept and query.restrictions().any:  # open calls, upcoming events, a date range
            admitted = self.backend.search(replace(
                query, text="", page=1, per_page=min(MAX_PER_PAGE, len(kept)),
                ids=tuple(rid for rid, _ in kept), light=True, suggest=False))
            ok = {h.id for h in admitted.hits}
            kept = [(rid, sim) for rid, sim in kept if rid in ok]
        return kept

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        if query.mode == "lexical" or not query.text:
            return self.backend.search(query)
        expansion = expand(query.text) if query.mode == "hybrid" else None
        dense = self.dense_hits(query) if self._vectors_ready() else []
        if query.mode == "dense":
            results = self._dense_only(query, dense)
        elif not dense and expansion is None:
            results = self.backend.search(query)
        else:
            concept: list[str] = []
            if expansion is not None:
                found = self.backend.search(replace(
                    query, text=expansion.text, page=1, per_page=WINDOW, sort="relevance",
                    light=True, lenient=False, suggest=False))
                concept = [h.id for h in found.hits]
            results = self._fused(query, [rid for rid, _ in dense], concept)
        results.query = query
        results.expansion = list(expansion.terms) if expansion else []
        results.dense_ids = [rid for rid, _ in dense]
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    # -- the modes -------------------------------------------------------------------------
    def _dense_only(self, query: SearchQuery, dense: list[tuple[str, float]]) -> SearchResults:
        ids = [rid for rid, _ in dense]
        found = self.backend.search(replace(query, text="", page=1, per_page=MAX_PER_PAGE,
                                            sort="relevance", ids=tuple(ids), suggest=False))
        page_ids = ids[query.offset:query.offset + query.per_page]
        similarity = dict(dense)
        hits = self._page_hits(query, page_ids, {h.id: h for h in found.hits}, similarity)
        return SearchResults(total=found.total, hits=hits, facets=found.facets, query=query)

    def _fused(self, query: SearchQuery, dense: list[str], concept: list[str]
               ) -> SearchResults:
        added = list(dict.fromkeys([*dense, *concept]))
        # enough found by meaning: no lenient retry of the words (similar spellings, fewer
        # words) to mix in with them
        union = replace(query, also_ids=tuple(added), lenient=len(added) < LENIENT_BELOW)
        if query.effective_sort in ("date", "deadline"):  # a fixed order: the union in it
            return self.backend.search(union)
        if query.offset + query.per_page > WINDOW:  # beyond the fused window: lexical order
            return self.backend.search(union)
        ranked = self.backend.search(replace(union, page=1, per_page=WINDOW, light=True))
        lexical = [h.id for h in ranked.hits if h.score]
        listing = {h.id for h in ranked.hits if h.doc.get("listing")}
        fused = fuse(lexical, dense, more=((concept, EXPANSION_WEIGHT),), listing=listing)
        page = fused[query.offset:query.offset + query.per_page]
        page_ids = [rid for rid, _ in page]
        shown = self.backend.search(replace(query, page=1, per_page=max(1, len(page_ids)),
                                            ids=tuple(page_ids), also_ids=tuple(page_ids),
                                            lenient=False, suggest=False))
        hits = self._page_hits(query, page_ids, {h.id: h for h in shown.hits}, dict(page))
        ranked.hits = hits
        ranked.query = query
        return ranked

    def _page_hits(self, query: SearchQuery, page_ids: list[str], found: dict[str, Hit],
                   scores: dict[str, float]) -> list[Hit]:
        missing = [rid for rid in page_ids if rid not in found]
        if missing:  # a vector hit the text did not match: its stored view, leading snippet
            more = self.backend.search(replace(query, text="", page=1, per_page=len(missing),
                                               ids=tuple(missing), suggest=False))
            found.update({h.id: h for h in more.hits})
        hits = []
        for rid in page_ids:
            hit = found.get(rid)
            if hit is not None:
                hit.score = scores.get(rid)
                hits.append(hit)
        return hits
