"""The pure query compiler: a SearchQuery in, an Elasticsearch search body out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...analysis import Clause, UserQuery, parse_user_query
from ...query import FACETS, SearchQuery
from .constants import (
    HIGHLIGHT_FRAGMENTS,
    HIGHLIGHT_MAX_CHARS,
    MAX_QUERY_CLAUSES,
    POST_TAG,
    PRE_TAG,
    QUERY_FLAGS,
    SNIPPET_CHARS,
)
from .mapping import search_fields, text_slots


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
    """Every group must match: ``(a | "b c") d`` — None when the query has no positive words."""
    if not parsed.groups:
        return None
    parts = []
    for group in parsed.groups:
        alternatives = [_clause_syntax(c) for c in group]
        parts.append(alternatives[0] if len(alternatives) == 1
                     else "(" + " | ".join(alternatives) + ")")
    return _simple_query(" ".join(parts))


def excluded_query(parsed: UserQuery) -> dict[str, Any] | None:
    """Matches a document containing any excluded word or phrase (used under ``must_not``)."""
    if not parsed.excluded:
        return None
    return _simple_query(" | ".join(_clause_syntax(c) for c in parsed.excluded))


def _terms(facet: str, values: list[str]) -> dict[str, Any]:
    return {"terms": {facet: list(values)}}


def _filters_except(query: SearchQuery, facet: str | None) -> list[dict[str, Any]]:
    return [_terms(f, vals) for f, vals in query.filters.items() if f != facet]


def _main_query(query: SearchQuery, parsed: UserQuery) -> dict[str, Any]:
    """The text query and the gone-filter: what hits and facet counts are computed from."""
    clauses: dict[str, list[dict[str, Any]]] = {}
    positive = positive_query(parsed)
    if positive is not None:
        clauses["must"] = [positive]
    excluded = excluded_query(parsed)
    if excluded is not None:
        clauses["must_not"] = [excluded]
    if not query.include_gone:
        clauses["filter"] = [{"term": {"live": True}}]
    return {"bool": clauses} if clauses else {"match_all": {}}


def _sort(by_date: bool) -> list[dict[str, Any]]:
    date = {"date": {"order": "desc", "missing": "_last"}}
    tie = {"id": {"order": "asc"}}
    return [date, tie] if by_date else [{"_score": {"order": "desc"}}, date, tie]


def sorted_by_date(query: SearchQuery, parsed: UserQuery) -> bool:
    return query.effective_sort == "date" or not parsed.groups


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
) -> dict[str, Any]:
    """The search body answering ``query`` (pure: no I/O).

    Hits are ``query.per_page`` documents from ``query.offset`` (``from``), or after the sort
    values ``search_after`` when given (deep pages; see :func:`compile_cursor_query`).
    """
    parsed = limit_clauses(parse_user_query(query.text), max_clauses) if query.text else UserQuery()
    body: dict[str, Any] = {
        "query": _main_query(query, parsed),
        "size": query.per_page,
        "sort": _sort(sorted_by_date(query, parsed)),
        "track_total_hits": True,
        "_source": {"includes": ["view", "lead"]},
        "aggs": _aggregations(query),
    }
    if search_after is None:
        body["from"] = query.offset
    else:
        body["search_after"] = list(search_after)
    post_filter = _post_filter(query)
    if post_filter is not None:
        body["post_filter"] = post_filter
    highlight = _highlight(parsed)
    if highlight is not None:
        body["highlight"] = highlight
    return body


def compile_cursor_query(
    query: SearchQuery,
    *,
    size: int,
    search_after: Sequence[Any] | None = None,
    max_clauses: int = MAX_QUERY_CLAUSES,
) -> dict[str, Any]:
    """A sort-values-only request over the same hits as :func:`compile_query`, used to walk to
    a deep page: the last hit's ``sort`` is the ``search_after`` of the next request."""
    parsed = limit_clauses(parse_user_query(query.text), max_clauses) if query.text else UserQuery()
    body: dict[str, Any] = {
        "query": _main_query(query, parsed),
        "size": size,
        "sort": _sort(sorted_by_date(query, parsed)),
        "track_total_hits": False,
        "_source": False,
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    post_filter = _post_filter(query)
    if post_filter is not None:
        body["post_filter"] = post_filter
    return body
