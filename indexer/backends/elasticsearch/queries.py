"""The pure query compiler: a SearchQuery in, an Elasticsearch search body out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from ...analysis import (
    TITLE_STEMS,
    TITLE_STEMS_BOOST,
    Clause,
    UserQuery,
    parse_user_query,
    pre_analysed_fields,
    title_part_sets,
)
from ...query import FACETS, Restrictions, SearchQuery
from ...textplan import (
    FUZZY_SCORE,
    LISTING_WEIGHT,
    PREFERRED_SCORE,
    PROXIMITY_BOOST,
    PROXIMITY_SLOP,
    SUGGEST_MIN_CHARS,
    TextPlan,
    fuzziness,
    plan_text,
    query_languages,
    word_terms,
)
from .constants import (
    HIGHLIGHT_FRAGMENTS,
    HIGHLIGHT_MAX_CHARS,
    LANGUAGE_ANALYZERS,
    LEXICAL_AGG,
    MAX_QUERY_CLAUSES,
    OTHER_SLOT,
    POST_TAG,
    PRE_TAG,
    QUERY_FLAGS,
    SNIPPET_CHARS,
    TITLE_BOOST,
)
from .mapping import analysed_clause, search_fields, text_slots


def _clause_syntax(clause: Clause) -> str:
    # Clause words are runs of letters and digits: no character in them is an operator.
    return f'"{clause.text}"' if clause.is_phrase else clause.text


def limit_clauses(parsed: UserQuery, max_clauses: int) -> UserQuery:
    """The first ``max_clauses`` words/phrases of a query (groups first, then exclusions)."""
    budget = max(1, max_clauses)
    groups: list[list[Clause]] = []
    for group in parsed.groups:
        if budget <= 0:
            break
        kept = group[:budget]
        budget -= len(kept)
        groups.append(kept)
    excluded = parsed.excluded[: max(0, budget)]
    return UserQuery(groups=groups, excluded=excluded)


def _simple_query(syntax: str) -> dict[str, Any]:
    return {
        "simple_query_string": {
            "query": syntax,
            "fields": search_fields(),
            "default_operator": "and",
            "flags": QUERY_FLAGS,
            "lenient": True,
            "analyze_wildcard": False,
            "auto_generate_synonyms_phrase_query": False,
        }
    }


def positive_query(parsed: UserQuery) -> dict[str, Any] | None:
    """Every word of the query, any of them (``a | "b c" | d``): the highlighting query — None
    when the query has no positive words."""
    if not parsed.groups:
        return None
    return _simple_query(" | ".join(_clause_syntax(c) for g in parsed.groups for c in g))


def fold_fields() -> list[str]:
    """The accent-folded, unstemmed fields (with boosts) similar spellings are looked for in."""
    fields = [f"title^{TITLE_BOOST:g}"]
    fields += [f"text.{code}.folded" for code in sorted(LANGUAGE_ANALYZERS)]
    return fields + [f"text.{OTHER_SLOT}"]


def _group_query(group: Sequence[Clause], fuzzy: bool) -> dict[str, Any]:
    """One unit of the query: a word, a phrase, or ``a OR b`` (any of its clauses)."""
    alternatives = [_clause_syntax(c) for c in group]
    exact = _simple_query(alternatives[0] if len(alternatives) == 1
                          else " | ".join(alternatives))
    # Words in the fields analysed in Python (stems, compound parts): their exact terms.
    pre = set(pre_analysed_fields())
    analysed = [
        {"term": {field: token}}
        for c in group if not c.is_phrase
        for field, tokens in word_terms(c.text).items() if field in pre and field != TITLE_STEMS
        for token in tokens
    ]
    # A title holds one language's stems ("lt:…"): at most one of a word's title terms matches
    # a document, so the best of them is their sum, computed in one clause (many small
    # clauses summed in another order can tie-break pages differently).
    analysed += [
        {"match": {TITLE_STEMS: {"query": " ".join(tokens), "boost": TITLE_STEMS_BOOST}}}
        for c in group if not c.is_phrase
        for tokens in [word_terms(c.text).get(TITLE_STEMS)] if tokens
    ]
    analysed += [  # a phrase in the stems of the languages analysed in Python
        clause for c in group if c.is_phrase
        for clause in [analysed_clause(c.words)] if clause is not None
    ]
    analysed += [  # a compound's parts all in the title (analysis.title_part_sets)
        {"bool": {"must": [{"term": {TITLE_STEMS: t}} for t in terms],
                  "boost": TITLE_STEMS_BOOST}}
        for c in group if not c.is_phrase for terms in title_part_sets(c.text)
    ]
    if analysed:
        exact = {"bool": {"should": [exact, *analysed]}}
    # A similar spelling scores a constant, below nearly any exact match.
    similar = [
        {"constant_score": {"boost": FUZZY_SCORE, "filter": {"multi_match": {
            "query": c.text, "fields": fold_fields(), "fuzziness": fuzziness(c.text),
            "prefix_length": 0, "fuzzy_transpositions": True}}}}
        for c in group if fuzzy and not c.is_phrase and fuzziness(c.text)
    ]
    return {"bool": {"should": [exact, *similar]}} if similar else exact


def text_query(plan: TextPlan) -> dict[str, Any]:
    """The counted units with their minimum (``must``), stop words and the proximity boost
    (``should``), exclusions (``must_not``): the same plan the embedded engine compiles."""
    counted = [_group_query(g, plan.fuzzy) for g in plan.counted]
    clauses: dict[str, list[dict[str, Any]]] = {}
    if len(counted) == 1:
        clauses["must"] = counted
    elif counted:
        clauses["must"] = [{"bool": {"should": counted, "minimum_should_match": plan.required}}]
    should = [_group_query(g, plan.fuzzy) for g in plan.optional]
    if plan.preferred:  # a lenient retry: what the strict query found ranks first
        should.append({"constant_score": {"boost": PREFERRED_SCORE, "filter": {"bool": {
            "should": [_group_query(g, False) for g in plan.counted],
            "minimum_should_match": plan.preferred}}}})
    if plan.proximity:
        should.append({"multi_match": {
            "query": " ".join(plan.proximity), "fields": search_fields(), "type": "phrase",
            "slop": PROXIMITY_SLOP, "boost": PROXIMITY_BOOST}})
    if should:
        clauses["should"] = should
    excluded = excluded_query(UserQuery(excluded=list(plan.excluded)))
    if excluded is not None:
        clauses["must_not"] = [excluded]
    return {"bool": clauses}


def excluded_query(parsed: UserQuery) -> dict[str, Any] | None:
    """Matches a document containing any excluded word or phrase (used under ``must_not``)."""
    if not parsed.excluded:
        return None
    return _simple_query(" | ".join(_clause_syntax(c) for c in parsed.excluded))


def _terms(facet: str, values: list[str]) -> dict[str, Any]:
    return {"terms": {facet: list(values)}}


def _filters_except(query: SearchQuery, facet: str | None) -> list[dict[str, Any]]:
    return [_terms(f, vals) for f, vals in query.filters.items() if f != facet]


def _main_query(query: SearchQuery, plan: TextPlan | None) -> dict[str, Any]:
    """The text query and the gone-filter: what hits and facet counts are computed from."""
    clauses: dict[str, Any] = {}
    if plan is not None:
        text = weigh_listings(text_query(plan))
        if query.also_ids:  # and the vector search's hits, scoring nothing
            text = {"bool": {"should": [text, _ids_scoring_nothing(query.also_ids)]}}
        clauses["must"] = [text]
    if not query.include_gone:
        clauses["filter"] = [{"term": {"live": True}}]
    if query.ids is not None:
        clauses.setdefault("filter", []).append({"ids": {"values": list(query.ids)}})
    limits = restriction_filters(query.restrictions())
    if limits:
        clauses.setdefault("filter", []).extend(limits)
    return {"bool": clauses} if clauses else {"match_all": {}}


def _es_time(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def restriction_filters(limits: Restrictions) -> list[dict[str, Any]]:
    """The structured-fact filters (query.Restrictions): the same bounds as the embedded
    engine's range queries."""
    out: list[dict[str, Any]] = []
    if limits.open:
        out.append({"range": {"deadline": {"gte": _es_time(limits.now)}}})
    if limits.upcoming:
        out.append({"range": {"event_until": {"gte": _es_time(limits.now)}}})
    if limits.date_from or limits.date_before:
        bounds: dict[str, str] = {}
        if limits.date_from:
            bounds["gte"] = _es_time(limits.date_from)
        if limits.date_before:
            bounds["lt"] = _es_time(limits.date_before)
        out.append({"range": {"date": bounds}})
    return out


def deadline_bodies(body: dict[str, Any], query: SearchQuery
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two requests of a search sorted by deadline, from :func:`compile_query`'s body:
    the calls still open (soonest deadline first; it keeps the aggregations, which ignore the
    ``post_filter``) and the rest (newest first), each under the facet filters. The caller
    pages across the two as the embedded engine does."""
    still_open = {"range": {"deadline": {"gte": _es_time(query.restrictions().now)}}}
    facets = _filters_except(query, None)
    first = {**body, "post_filter": {"bool": {"filter": [*facets, still_open]}},
             "sort": [{"deadline": {"order": "asc"}}, {"id": {"order": "asc"}}]}
    rest = {k: v for k, v in body.items() if k not in ("aggs", "from", "search_after")}
    rest["post_filter"] = {"bool": {"filter": facets, "must_not": [still_open]}}
    rest["sort"] = _sort(True)
    return first, rest


def _ids_scoring_nothing(ids: Sequence[str]) -> dict[str, Any]:
    return {"constant_score": {"filter": {"ids": {"values": list(ids)}}, "boost": 0.0}}


def _lexical_aggregation(query: SearchQuery, plan: TextPlan | None) -> dict[str, Any] | None:
    """With ``also_ids``, a ``filter`` aggregation counting the text's own matches (under the
    facet filters): what the lenient retry judges the words by."""
    if not query.also_ids or plan is None:
        return None
    return {"filter": {"bool": {"must": [text_query(plan)],
                                "filter": _filters_except(query, None)}}}


def weigh_listings(text: dict[str, Any]) -> dict[str, Any]:
    """``text`` with the score of listing pages multiplied by LISTING_WEIGHT (see
    textplan.is_listing), as the embedded engine weighs them."""
    return {"function_score": {
        "query": text,
        "functions": [{"filter": {"term": {"listing": True}}, "weight": LISTING_WEIGHT}],
        "score_mode": "multiply", "boost_mode": "multiply"}}


def parse_limited(query: SearchQuery, max_clauses: int = MAX_QUERY_CLAUSES) -> UserQuery:
    """The query's syntax, cut to the clause budget."""
    return limit_clauses(parse_user_query(query.text), max_clauses) if query.text else UserQuery()


def strict_plan(query: SearchQuery, parsed: UserQuery) -> TextPlan | None:
    return plan_text(parsed, query_languages(query))


def _sort(by_date: bool) -> list[dict[str, Any]]:
    date = {"date": {"order": "desc", "missing": "_last"}}
    tie = {"id": {"order": "asc"}}
    return [date, tie] if by_date else [{"_score": {"order": "desc"}}, date, tie]


def sorted_by_date(query: SearchQuery, parsed: UserQuery) -> bool:
    """Whether the hits are in a fixed order (date or deadline) rather than by score."""
    return query.effective_sort in ("date", "deadline") or not parsed.groups


def _post_filter(query: SearchQuery) -> dict[str, Any] | None:
    filters = _filters_except(query, None)
    return {"bool": {"filter": filters}} if filters else None


def _aggregations(query: SearchQuery) -> dict[str, Any]:
    """One ``filter`` aggregation per facet with every *other* facet's filter (disjunctive)."""
    size = max(1, query.facet_size)
    aggs = {}
    for facet in FACETS:
        others = _filters_except(query, facet)
        aggs[facet] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {
                "values": {
                    "terms": {
                        "field": facet,
                        "size": size,
                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                    }
                }
            },
        }
    return aggs


def _highlight(parsed: UserQuery) -> dict[str, Any] | None:
    positive = positive_query(parsed)
    if positive is None:
        return None
    return {
        "type": "unified",
        "pre_tags": [PRE_TAG],
        "post_tags": [POST_TAG],
        "encoder": "default",
        "require_field_match": False,
        # The best passages first; the title (the text's last part) may be one of them.
        "order": "score",
        "number_of_fragments": HIGHLIGHT_FRAGMENTS,
        "fragment_size": SNIPPET_CHARS,
        "max_analyzed_offset": HIGHLIGHT_MAX_CHARS,
        "highlight_query": positive,
        "fields": {f"text.{slot}": {} for slot in text_slots()},
    }


def compile_query(
    query: SearchQuery,
    *,
    search_after: Sequence[Any] | None = None,
    max_clauses: int = MAX_QUERY_CLAUSES,
    relax: str | None = None,
) -> dict[str, Any]:
    """The search body answering ``query`` (pure: no I/O).

    Hits are ``query.per_page`` documents from ``query.offset`` (``from``), or after the sort
    values ``search_after`` when given (deep pages; see :func:`compile_cursor_query`).
    ``relax`` compiles a lenient retry (see :func:`indexer.textplan.answer_leniently`).
    """
    parsed = parse_limited(query, max_clauses)
    plan = strict_plan(query, parsed) if relax is None else plan_text(
        parsed, query_languages(query), relax)
    body: dict[str, Any] = {
        "query": _main_query(query, plan),
        "size": query.per_page,
        "sort": _sort(sorted_by_date(query, parsed)),
        "track_total_hits": True,
        "_source": False if query.light else {"includes": ["view", "lead"]},
        "aggs": _aggregations(query),
    }
    if query.light:  # which hits are listing pages (the hybrid fusion weighs them down)
        body["docvalue_fields"] = ["listing"]
    lexical = _lexical_aggregation(query, plan)
    if lexical is not None:
        body["aggs"][LEXICAL_AGG] = lexical
    if search_after is None:
        body["from"] = query.offset
    else:
        body["search_after"] = list(search_after)
    post_filter = _post_filter(query)
    if post_filter is not None:
        body["post_filter"] = post_filter
    highlight = None if query.light else _highlight(parsed)
    if highlight is not None:
        body["highlight"] = highlight
    return body


def compile_cursor_query(
    query: SearchQuery,
    *,
    size: int,
    search_after: Sequence[Any] | None = None,
    max_clauses: int = MAX_QUERY_CLAUSES,
    relax: str | None = None,
) -> dict[str, Any]:
    """A sort-values-only request over the same hits as :func:`compile_query`, used to walk to
    a deep page: the last hit's ``sort`` is the ``search_after`` of the next request."""
    return cursor_of(compile_query(query, max_clauses=max_clauses, relax=relax), size=size,
                     search_after=search_after)


def cursor_of(body: dict[str, Any], *, size: int,
              search_after: Sequence[Any] | None = None) -> dict[str, Any]:
    """The sort-values-only request over the hits of the search ``body`` (its query, post
    filter and sort; no aggregations, no sources, no highlights)."""
    out = {k: body[k] for k in ("query", "size", "sort", "track_total_hits", "_source",
                                "post_filter") if k in body}
    out.update(size=size, track_total_hits=False, _source=False)
    if search_after is not None:
        out["search_after"] = list(search_after)
    return out


def vocabulary_fields() -> list[str]:
    """The folded text fields (every document's whole text is in exactly one of them)."""
    return [f"text.{code}.folded" for code in sorted(LANGUAGE_ANALYZERS)] + [f"text.{OTHER_SLOT}"]


def _known_word(word: str, fields: list[str]) -> dict[str, Any]:
    stemmed = [f"text.{code}" for code in sorted(LANGUAGE_ANALYZERS)]
    should: list[dict[str, Any]] = [{"multi_match": {"query": word, "fields": fields + stemmed}}]
    analysed = analysed_clause((word,))
    if analysed is not None:
        should.append(analysed)
    return {"bool": {"should": should, "minimum_should_match": 1}}


def compile_vocabulary(words: Sequence[str]) -> dict[str, Any]:
    """One request for a did-you-mean: each folded word's document count (a ``filter``
    aggregation) and the index terms near it (a term suggester per folded field, first letter
    kept, like the embedded engine's term dictionary walk)."""
    fields = vocabulary_fields()
    suggest: dict[str, Any] = {"text": " ".join(words)}
    for i, field in enumerate(fields):
        suggest[f"near_{i}"] = {"term": {
            "field": field, "suggest_mode": "always", "max_edits": 2, "prefix_length": 1,
            "min_word_length": SUGGEST_MIN_CHARS, "size": 10, "sort": "score"}}
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"match_all": {}},
        # a word counts as known when a document has it in any form the analysis reads it
        # (another inflection, a compound part): the stemmed fields and the pre-analysed ones
        "aggs": {f"word_{i}": {"filter": _known_word(w, fields)} for i, w in enumerate(words)},
        "suggest": suggest,
    }
