"""The backend-neutral query object and result types.

The UI and the CLI build a :class:`SearchQuery`; every backend answers it with
:class:`SearchResults`. Facets are disjunctive: values selected within one facet are OR-ed,
facets are AND-ed, and each facet's counts are computed with the *other* facets' filters only,
so a selected facet still shows the counts of its other values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

FACETS: tuple[str, ...] = ("language", "type", "theme", "country", "source", "year")
SORTS: tuple[str, ...] = ("relevance", "date")

MAX_QUERY_LENGTH = 500
MAX_PAGE = 1000
MAX_PER_PAGE = 100
MAX_FILTER_VALUES = 50


class QueryError(ValueError):
    """The query cannot be answered as given (shown to the user, HTTP 400)."""


@dataclass
class SearchQuery:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"  # relevance | date (newest first); empty text sorts by date
    include_gone: bool = False  # resources whose every instance is gone
    facet_size: int = 30

    def __post_init__(self) -> None:
        self.text = (self.text or "").strip()
        if len(self.text) > MAX_QUERY_LENGTH:
            raise QueryError(f"the query is too long (at most {MAX_QUERY_LENGTH} characters)")
        if not isinstance(self.page, int) or not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be a whole number from 1 to {MAX_PAGE}")
        if not isinstance(self.per_page, int) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of: {', '.join(SORTS)}")
        clean: dict[str, list[str]] = {}
        for name, values in (self.filters or {}).items():
            if name not in FACETS:
                raise QueryError(f"unknown filter {name!r}")
            vals = [v for v in dict.fromkeys(str(v).strip() for v in values) if v]
            if len(vals) > MAX_FILTER_VALUES:
                raise QueryError(f"too many values for {name}")
            if name == "year" and any(not v.isdigit() or len(v) != 4 for v in vals):
                raise QueryError("year must be a four-digit year")
            if vals:
                clean[name] = vals
        self.filters = clean

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def effective_sort(self) -> str:
        return "date" if not self.text else self.sort


@dataclass
class Snippet:
    """A fragment of text with highlighted character ranges ``[start, end)``."""

    text: str = ""
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def to_html(self) -> Markup:
        """The fragment as safe HTML: text escaped, matches in ``<mark>``."""
        out = []
        pos = 0
        for start, end in sorted(self.highlights):
            if start < pos:
                continue
            out.append(escape(self.text[pos:start]))
            out.append(Markup("<mark>") + escape(self.text[start:end]) + Markup("</mark>"))
            pos = end
        out.append(escape(self.text[pos:]))
        return Markup("").join(out)


@dataclass
class Hit:
    id: str
    score: float | None
    doc: dict[str, Any]  # the stored view of the resource (see backends.base.result_view)
    snippet: Snippet | None = None


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    query: SearchQuery
    took_ms: float = 0.0

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, MAX_PAGE * self.query.per_page) // self.query.per_page))
