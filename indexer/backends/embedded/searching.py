"""Searching the embedded index: the query, hits with snippets, disjunctive facets."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import tantivy

from ...analysis import (
    TITLE_STEMS,
    TITLE_STEMS_BOOST,
    UserQuery,
    cached_analyzer,
    parse_user_query,
    title_part_sets,
)
from ...highlight import Highlighter
from ...query import (
    FACETS,
    FacetValue,
    Hit,
    Restrictions,
    SearchQuery,
    SearchResults,
    Snippet,
)
from ...textplan import (
    FUZZY_SCORE,
    LISTING_WEIGHT,
    PREFERRED_SCORE,
    PROXIMITY_BOOST,
    PROXIMITY_SLOP,
    TextPlan,
    answer_leniently,
    fuzziness,
    word_terms,
)
from ..base import BackendUnavailable
from .schema import (
    FACET_BUCKETS,
    NO_DATE,
    SET_SEPARATOR,
    SNIPPET_CHARS,
    TIE_SLOTS,
    Occur,
    analysed_query,
    moment_key,
)


def _terms_specs(facets: Iterable[str]) -> dict[str, Any]:
    return {
        f: {"terms": {"field": f"{f}_set", "size": FACET_BUCKETS, "segment_size": FACET_BUCKETS}}
        for f in facets
    }


def _filter_string(filters: dict[str, list[str]]) -> str:
    """Facet filters in tantivy's query syntax (for ``filter`` aggregations)."""
    def term(facet: str, value: str) -> str:
        return facet + ':"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return " AND ".join(
        "(" + " OR ".join(term(f, v) for v in values) + ")" for f, values in filters.items()
    )


def _collect(
    result: dict[str, Any], paths: dict[str, tuple[str, ...]], size: int
) -> dict[str, list[FacetValue]]:
    """Exact counts per value from terms over the value-set columns: each set's count goes to
    each of its values."""
    out = {}
    for facet in FACETS:
        node: Any = result
        for step in paths.get(facet, ()):
            node = node.get(step, {})
        counts: dict[str, int] = {}
        for bucket in node.get(facet, {}).get("buckets", ()):
            key, n = bucket["key"], bucket["doc_count"]
            if not key:
                continue
            if SET_SEPARATOR in key:
                for value in key.split(SET_SEPARATOR):
                    counts[value] = counts.get(value, 0) + n
            else:
                counts[key] = counts.get(key, 0) + n
        ranked = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))[:size]
        out[facet] = [FacetValue(v, c) for v, c in ranked]
    return out


def _key(address: Any) -> tuple[int, int]:
    """A document address as a hashable key."""
    return address.segment_ord, address.doc


def _leading_snippet(text: str) -> Snippet:
    """The start of a text, cut at a word boundary, without highlights."""
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return Snippet(text=text)
    cut = text.rfind(" ", 0, SNIPPET_CHARS + 1)
    return Snippet(text=text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS])


FIELD_BOOSTS = {TITLE_STEMS: TITLE_STEMS_BOOST}  # fields the backend's own boosts do not name


class SearchMixin:
    """The reading half: queries, hits and facets."""

    # -- searching -------------------------------------------------------------------------
    def _parse(self, index: tantivy.Index, text: str) -> tantivy.Query:
        try:
            return index.parse_query(text, self._default_fields, self._boosts)
        except ValueError:  # never let the user's input fail the search
            return index.parse_query_lenient(text, self._default_fields, self._boosts)[0]

    def _clause_query(self, index: tantivy.Index, words: tuple[str, ...], fuzzy: bool = False
                      ) -> tantivy.Query:
        # Words are runs of letters and digits (see analysis.words), so a quoted string of them
        # is valid syntax; several words make a phrase in every field.
        if len(words) == 1:
            exact = self._word_query(index, words[0])
        else:
            exact = self._parse(index, '"' + " ".join(words) + '"')
            stems = analysed_query(self._schema, words)  # the phrase in stems_<code> too
            if stems is not None:
                exact = tantivy.Query.boolean_query([(Occur.Should, exact),
                                                     (Occur.Should, stems)])
        if not fuzzy or len(words) != 1 or not fuzziness(words[0]):
            return exact
        Q = tantivy.Query
        similar = [
            (Occur.Should, Q.fuzzy_term_query(self._schema, field, form, fuzziness(form), True))
            for form in cached_analyzer(None).analyze(words[0]) for field in ("title", "text")
        ]
        # A similar spelling scores a constant, below nearly any exact match.
        return Q.boolean_query([
            (Occur.Should, exact),
            (Occur.Should, Q.const_score_query(Q.boolean_query(similar), FUZZY_SCORE)),
        ])

    def _word_query(self, index: tantivy.Index, word: str) -> tantivy.Query:
        """One word in every field, as the language analysis indexes it (analysis.query_terms:
        folded, stemmed per language, compound parts), the title boosted."""
        Q = tantivy.Query
        parts = []
        for field, tokens in word_terms(word).items():
            for token in tokens:
                try:
                    q = Q.term_query(self._schema, field, token)
                except ValueError:  # a field an index of an older schema does not have
                    continue
                boost = self._boosts.get(field) or FIELD_BOOSTS.get(field)
                parts.append((Occur.Should, Q.boost_query(q, boost) if boost else q))
        for terms in title_part_sets(word):  # a compound's parts all in the title
            every = Q.boolean_query([(Occur.Must, Q.term_query(self._schema, TITLE_STEMS, t))
                                     for t in terms])
            parts.append((Occur.Should, Q.boost_query(every, TITLE_STEMS_BOOST)))
        if not parts:
            return self._parse(index, '"' + word + '"')
        return parts[0][1] if len(parts) == 1 else Q.boolean_query(parts)

    def _group_query(self, index: tantivy.Index, group, fuzzy: bool) -> tantivy.Query:
        queries = [self._clause_query(index, c.words, fuzzy) for c in group]
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(Occur.Should, q) for q in queries])

    def _text_query(self, index: tantivy.Index, plan: TextPlan | None) -> tantivy.Query | None:
        """The full-text part of a query (see query.TextPlan), or None when it matches every
        document."""
        if plan is None:
            return None
        Q = tantivy.Query
        parts: list[tuple[Any, tantivy.Query]] = []
        counted = [self._group_query(index, g, plan.fuzzy) for g in plan.counted]
        if len(counted) == 1:
            parts.append((Occur.Must, counted[0]))
        elif counted:
            parts.append((Occur.Must, Q.boolean_query(
                [(Occur.Should, q) for q in counted], plan.required)))
        else:
            parts.append((Occur.Must, Q.all_query()))
        for group in plan.optional:
            parts.append((Occur.Should, self._group_query(index, group, plan.fuzzy)))
        if plan.preferred:  # a lenient retry: what the strict query found ranks first
            strict = Q.boolean_query([(Occur.Should, self._group_query(index, g, False))
                                      for g in plan.counted], plan.preferred)
            parts.append((Occur.Should, Q.const_score_query(strict, PREFERRED_SCORE)))
        if plan.proximity:
            near = self._parse(index, '"' + " ".join(plan.proximity) + f'"~{PROXIMITY_SLOP}')
            parts.append((Occur.Should, Q.boost_query(near, PROXIMITY_BOOST)))
        for clause in plan.excluded:
            parts.append((Occur.MustNot, self._clause_query(index, clause.words)))
        return Q.boolean_query(parts)

    def _top(self, searcher: tantivy.Searcher, main: tantivy.Query, offset: int, limit: int
             ) -> tuple[list[tuple[float, Any]], int]:
        """The page ``offset:offset+limit`` of ``main`` by relevance, listing pages' scores
        multiplied by LISTING_WEIGHT (see textplan.is_listing), and the number of matches.

        The weight is applied to the best matches rather than inside the query (a query that
        scores the two kinds of page apart evaluates the text twice: ~15% of a search at 100k
        documents). It is exact: a listing page only moves down, so once the fetched best
        matches hold ``offset+limit`` other pages, nothing beyond them can rank on the page."""
        want = offset + limit
        fetch = max(2 * want, want + 10)
        down = self._listing_pages(searcher)
        while True:
            result = searcher.search(main, fetch, count=True)
            total, found = result.count or 0, result.hits
            if len(found) - sum(_key(a) in down for _, a in found) >= want or len(found) >= total:
                break
            fetch *= 4
        scored = [(score * LISTING_WEIGHT if _key(a) in down else score, a) for score, a in found]
        scored.sort(key=lambda h: -h[0])  # stable: the engine's order among equal scores
        return scored[offset:want], total

    def _listing_pages(self, searcher: tantivy.Searcher) -> frozenset[tuple[int, int]]:
        """The addresses of the listing pages in ``searcher``'s generation, found once per
        generation (a minority of pages: a set lookup per hit, no second query per search)."""
        cached = getattr(self, "_listing_cache", None)
        if cached is not None and cached[0] is searcher:
            return cached[1]
        n = searcher.doc_freq("listing", "yes")
        marker = tantivy.Query.term_query(self._schema, "listing", "yes")
        pages = frozenset(_key(a) for _, a in searcher.search(marker, n).hits) if n else frozenset()
        self._listing_cache = (searcher, pages)
        return pages

    def _ids_query(self, ids: tuple[str, ...]) -> tantivy.Query:
        """Matches the resources ``ids``, scoring nothing (a hybrid search's vector hits)."""
        q = tantivy.Query.term_set_query(self._schema, "id", list(ids))
        return tantivy.Query.const_score_query(q, 0.0)

    def _filter_query(self, facet: str, values: list[str]) -> tantivy.Query:
        q = tantivy.Query.term_set_query(self._schema, facet, values)
        return tantivy.Query.const_score_query(q, 0.0)  # filters don't change the ranking

    def _restriction_queries(self, limits: Restrictions) -> list[tuple[Any, tantivy.Query]]:
        """The structured-fact filters (query.Restrictions) as range queries on fast fields,
        scoring nothing."""
        Q, integer = tantivy.Query, tantivy.FieldType.Integer
        ranges: list[tuple[str, int | None, int | None]] = []
        if limits.open:
            ranges.append(("deadline", moment_key(limits.now), None))
        if limits.upcoming:
            ranges.append(("event_until", int(limits.now.timestamp()), None))
        if limits.date_from or limits.date_before:
            low = moment_key(limits.date_from) if limits.date_from else NO_DATE + TIE_SLOTS
            high = moment_key(limits.date_before) - 1 if limits.date_before else None
            ranges.append(("date", low, high))
        return [(Occur.Must, Q.const_score_query(
            Q.range_query(self._schema, name, integer, low, high), 0.0))
            for name, low, high in ranges]

    def _by_deadline(self, searcher: tantivy.Searcher, main: tantivy.Query, offset: int,
                     limit: int, now: datetime) -> tuple[list, int]:
        """The page ``offset:offset+limit`` of ``main`` sorted by deadline: the calls still
        open at ``now``, soonest deadline first, then every other match, newest first."""
        Q = tantivy.Query
        still_open = Q.range_query(self._schema, "deadline", tantivy.FieldType.Integer,
                                   moment_key(now), None)
        first = Q.boolean_query([(Occur.Must, main), (Occur.Must, still_open)])
        rest = Q.boolean_query([(Occur.Must, main), (Occur.MustNot, still_open)])
        found_open = searcher.search(first, limit, count=True, order_by_field="deadline",
                                     offset=offset, order=tantivy.Order.Asc)
        n_open = found_open.count or 0
        hits = list(found_open.hits)
        if len(hits) < limit:
            found_rest = searcher.search(rest, limit - len(hits), count=True,
                                         order_by_field="date", offset=max(0, offset - n_open),
                                         order=tantivy.Order.Desc)
            hits += found_rest.hits
            n_rest = found_rest.count or 0
        else:
            n_rest = searcher.search(rest, 1, count=True).count or 0
        return hits, n_open + n_rest

    @staticmethod
    def _combine(parts: list[tuple[Any, tantivy.Query]]) -> tantivy.Query:
        if not any(occur != Occur.MustNot for occur, _ in parts):
            parts = [(Occur.Must, tantivy.Query.all_query()), *parts]
        if len(parts) == 1:
            return parts[0][1]
        return tantivy.Query.boolean_query(parts)

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        gen = self._refresh()
        if gen is None:
            return SearchResults(
                total=0, hits=[], facets={f: [] for f in FACETS}, query=query,
                took_ms=(time.perf_counter() - started) * 1000,
            )
        parsed = parse_user_query(query.text) if query.text else UserQuery()
        try:
            results = answer_leniently(
                query, parsed, lambda plan: self._search_plan(gen, query, parsed, plan),
                lambda words: self._vocabulary(gen.view[0], words))
        except ValueError as e:  # tantivy reports engine errors as ValueError
            raise BackendUnavailable(f"embedded index failed to answer: {e}") from e
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    def suggest_titles(self, prefix: str, limit: int) -> list[Hit]:
        """A phrase-prefix query on the folded title (the last word's completions come from
        the term dictionary: no scan), live resources only; titles starting with the words
        first, then by score."""
        gen = self._refresh()
        fold = cached_analyzer(None).analyze
        tokens = list(fold(prefix or ""))
        if gen is None or not tokens or limit <= 0:
            return []
        searcher = gen.view[0]
        Q = tantivy.Query
        main = Q.boolean_query([(Occur.Must, Q.phrase_prefix_query(self._schema, "title", tokens)),
                                (Occur.MustNot, self._gone_query)])
        try:
            found = searcher.search(main, min(limit * 3, 100)).hits
        except ValueError as e:
            raise BackendUnavailable(f"embedded index failed to answer: {e}") from e
        hits = self._hits(searcher, found, UserQuery(), with_scores=True)
        starts = " ".join(tokens)
        hits.sort(key=lambda h: (not " ".join(fold(h.doc.get("title") or "")).startswith(starts),
                                 -(h.score or 0.0), len(h.doc.get("title") or "")))
        return hits[:limit]

    def _search_plan(self, gen, query: SearchQuery, parsed: UserQuery, plan: TextPlan | None
                     ) -> SearchResults:
        (searcher, facet_cache), index = gen.view, gen.index
        if query.ids is not None and not query.ids:
            return SearchResults(total=0, hits=[], facets={f: [] for f in FACETS}, query=query,
                                 lexical_total=0 if query.also_ids else None)
        text_q = self._text_query(index, plan)
        restrict: list[tuple[Any, tantivy.Query]] = []
        if not query.include_gone:
            restrict.append((Occur.MustNot, self._gone_query))
        if query.ids is not None:
            restrict.append((Occur.Must, self._ids_query(query.ids)))
        limits = query.restrictions()
        restrict += self._restriction_queries(limits)
        filters = {f: self._filter_query(f, vals) for f, vals in query.filters.items()}
        lexical_total = None
        if query.also_ids and text_q is not None:
            if query.lenient or query.suggest:
                # the text's own matches, counted for the lenient retry and the did-you-mean
                # (query.answer_leniently); a fetch of a page by id needs neither: no second
                # pass over every match of the text
                alone = self._combine([(Occur.Must, text_q), *restrict,
                                       *((Occur.Must, q) for q in filters.values())])
                lexical_total = searcher.search(alone, 1, count=True).count or 0
            text_q = tantivy.Query.boolean_query([
                (Occur.Should, text_q), (Occur.Should, self._ids_query(query.also_ids))])
        base: list[tuple[Any, tantivy.Query]] = []
        if text_q is not None:
            base.append((Occur.Must, text_q))
        base += restrict
        main = self._combine(base + [(Occur.Must, q) for q in filters.values()])

        by_date = query.effective_sort == "date" or not parsed.groups
        if query.effective_sort == "deadline":
            by_date = True  # hits carry sort values, not scores
            found, total = self._by_deadline(searcher, main, query.offset, query.per_page,
                                             limits.now)
        elif by_date:
            result = searcher.search(
                main, query.per_page, count=True, order_by_field="date",
                offset=query.offset, order=tantivy.Order.Desc,
            )
            found, total = result.hits, result.count or 0
        else:
            found, total = self._top(searcher, main, query.offset, query.per_page)
        hits = self._hits(searcher, found, parsed, with_scores=not by_date, light=query.light)
        facets_key = (
            query.text, query.include_gone, query.facet_size,
            tuple(sorted((f, tuple(sorted(v))) for f, v in query.filters.items())),
            (plan.required, plan.fuzzy) if plan else None, query.ids, query.also_ids,
            limits.cache_key(),
        )
        cached = facet_cache.get(facets_key)
        if cached is None:
            cached = self._facets(searcher, base, query.filters, main, query.facet_size)
            facet_cache.put(facets_key, cached)
        facets = {f: list(values) for f, values in cached.items()}
        return SearchResults(total=total, hits=hits, facets=facets, query=query,
                             lexical_total=lexical_total)

    def _vocabulary(self, searcher: tantivy.Searcher, words: list[str]
                    ) -> dict[str, tuple[int, list[tuple[str, int]]]]:
        """Per folded word: how many documents contain it, and the terms of the index's folded
        text that share its first letter and are within its edit distance in length."""
        out = {}
        for word in words:
            freq = searcher.doc_freq("text", word) or self._analysed_doc_freq(searcher, word)
            candidates: list[tuple[str, int]] = []
            if freq == 0:
                limit = fuzziness(word)
                candidates = [
                    (term, n) for term, n in searcher.terms_with_prefix("text", word[:1])
                    if abs(len(term) - len(word)) <= limit
                ]
            out[word] = (freq, candidates)
        return out

    @staticmethod
    def _analysed_doc_freq(searcher: tantivy.Searcher, word: str) -> int:
        """Documents that contain the word as the language analysis reads it (another
        inflection, a compound part): such a word is not misspelt, whatever its exact form."""
        for field, tokens in word_terms(word).items():
            for token in tokens:
                try:
                    n = searcher.doc_freq(field, token)
                except ValueError:  # a field an index of an older schema does not have
                    continue
                if n:
                    return n
        return 0

    def _hits(
        self, searcher: tantivy.Searcher, found: list, parsed: UserQuery, with_scores: bool,
        light: bool = False,
    ) -> list[Hit]:
        highlighter = Highlighter(parsed.positive_words, SNIPPET_CHARS) if parsed.groups else None
        listing = self._listing_pages(searcher) if light else frozenset()
        hits = []
        for key, addr in found:
            stored = searcher.doc(addr)
            if light:  # ids and scores only (the hybrid search ranks before it shows)
                hits.append(Hit(id=stored.get_first("id"),
                                score=float(key) if with_scores else None,
                                doc={"listing": True} if _key(addr) in listing else {}))
                continue
            view = json.loads(stored.get_first("doc"))
            raw_body = stored.get_first("body")
            body = raw_body.decode("utf-8") if raw_body else ""
            snippet = None
            if highlighter is not None:
                cut = highlighter.fragment(body, view.get("language"))
                if cut is not None:
                    snippet = Snippet(text=cut[0], highlights=cut[1])
            if snippet is None:
                snippet = _leading_snippet(view.get("summary") or body)
            hits.append(
                Hit(id=view["id"], score=float(key) if with_scores else None, doc=view,
                    snippet=snippet)
            )
        return hits

    def _facets(
        self,
        searcher: tantivy.Searcher,
        base: list[tuple[Any, tantivy.Query]],
        filters: dict[str, list[str]],
        main: tantivy.Query,
        size: int,
    ) -> dict[str, list[FacetValue]]:
        """Disjunctive counts: each facet counted under every filter except its own.

        One aggregation pass over the documents matching the text: a ``filter`` aggregation per
        distinct set of filters (all of them for the unselected facets, all but its own for each
        selected facet) with terms aggregations under it.
        """
        if not filters:
            return _collect(searcher.aggregate(main, _terms_specs(FACETS)), {f: () for f in FACETS},
                            size)
        spec: dict[str, Any] = {}
        paths: dict[str, tuple[str, ...]] = {}
        unfiltered = [f for f in FACETS if f not in filters]
        if unfiltered:
            spec["all_filters"] = {
                "filter": _filter_string(filters), "aggs": _terms_specs(unfiltered)}
            paths.update({f: ("all_filters",) for f in unfiltered})
        for facet in filters:
            others = {f: v for f, v in filters.items() if f != facet}
            if others:
                name = f"without_{facet}"
                spec[name] = {"filter": _filter_string(others), "aggs": _terms_specs([facet])}
                paths[facet] = (name,)
            else:
                spec.update(_terms_specs([facet]))
                paths[facet] = ()
        return _collect(searcher.aggregate(self._combine(base), spec), paths, size)
