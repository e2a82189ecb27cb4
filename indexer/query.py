"""The backend-neutral query object and result types.

The UI and the CLI build a :class:`SearchQuery`; every backend answers it with
:class:`SearchResults`. Facets are disjunctive: values selected within one facet are OR-ed,
facets are AND-ed, and each facet's counts are computed with the *other* facets' filters only,
so a selected facet still shows the counts of its other values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from markupsafe import Markup, escape

FACETS: tuple[str, ...] = ("language", "type", "theme", "country", "city", "source", "year")
# deadline: the calls still open first, the soonest deadline first; then the rest, newest first
SORTS: tuple[str, ...] = ("relevance", "date", "deadline")
# How the text is matched (indexer/hybrid.py): words and vectors fused, words only, vectors only.
MODES: tuple[str, ...] = ("hybrid", "lexical", "dense")
# how a lenient retry relaxed the query (SearchResults.relaxed; indexer/textplan.py)
RELAXED_WORDS = "some_words"  # fewer of the query's words were required
RELAXED_SPELLING = "similar_spelling"  # ...and words matched similar spellings too
MAX_IDS = 1000  # resource ids a query may restrict itself to or add (``ids``/``also_ids``)

MAX_QUERY_LENGTH = 500
MAX_PAGE = 1000
MAX_PER_PAGE = 100
MAX_FILTER_VALUES = 50


class QueryError(ValueError):
    """The query cannot be answered as given (shown to the user, HTTP 400). ``code`` and
    ``params`` name the refusal for an interface that words it in the user's language
    (search_ui.errors); the message is the English wording (the API, the CLI, logs)."""

    def __init__(self, message: str, code: str = "", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass
class SearchQuery:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"  # relevance | date (newest first); empty text sorts by date
    include_gone: bool = False  # resources whose every instance is gone
    facet_size: int = 30
    mode: str = "hybrid"  # see MODES; a backend alone always answers with words (lexical)
    # Set by the hybrid search, never from a URL: only these resources (ids), and these
    # resources as well as those matching the text (also_ids: the vector search's hits, which
    # score nothing in the lexical ranking); light: hits carry no stored view and no snippet
    # (a listing page's doc is {"listing": True}, the fusion weighs it down).
    ids: tuple[str, ...] | None = None
    also_ids: tuple[str, ...] = ()
    light: bool = False
    # False: no lenient retry when the words find little (the hybrid search's other rankings
    # found enough); the did-you-mean is still offered unless ``suggest`` is False too (the
    # hybrid search's own fetches of a page by id).
    lenient: bool = True
    suggest: bool = True
    # Structured facts (see :class:`Restrictions`): calls whose deadline has not passed,
    # events not yet over, resources dated from/to a day (inclusive, UTC days). ``now`` is
    # the moment "not passed" is judged at (None: when the search runs).
    open: bool = False
    upcoming: bool = False
    date_from: date | None = None
    date_to: date | None = None
    now: datetime | None = None

    def __post_init__(self) -> None:
        self.text = (self.text or "").strip()
        if len(self.text) > MAX_QUERY_LENGTH:
            raise QueryError(f"the query is too long (at most {MAX_QUERY_LENGTH} characters)",
                             "too_long", n=MAX_QUERY_LENGTH)
        if not isinstance(self.page, int) or not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be a whole number from 1 to {MAX_PAGE}", "whole_number",
                             name="page", n=MAX_PAGE)
        if not isinstance(self.per_page, int) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}",
                             "whole_number", name="per_page", n=MAX_PER_PAGE)
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of: {', '.join(SORTS)}", "sort",
                             sorts=", ".join(SORTS))
        if self.mode not in MODES:
            raise QueryError(f"mode must be one of: {', '.join(MODES)}", "mode",
                             modes=", ".join(MODES))
        if self.ids is not None:
            self.ids = tuple(dict.fromkeys(self.ids))
        self.also_ids = tuple(dict.fromkeys(self.also_ids or ()))
        if len(self.ids or ()) > MAX_IDS or len(self.also_ids) > MAX_IDS:
            raise QueryError(f"at most {MAX_IDS} resource ids")
        clean: dict[str, list[str]] = {}
        for name, values in (self.filters or {}).items():
            if name not in FACETS:
                raise QueryError(f"unknown filter {name!r}", "unknown_filter", name=repr(name))
            vals = [v for v in dict.fromkeys(str(v).strip() for v in values) if v]
            if len(vals) > MAX_FILTER_VALUES:
                raise QueryError(f"too many values for {name}", "too_many_values", name=name)
            if name == "year" and any(not v.isdigit() or len(v) != 4 for v in vals):
                raise QueryError("year must be a four-digit year", "year")
            if vals:
                clean[name] = vals
        self.filters = clean
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                setattr(self, name, value.date())
            elif value is not None and not isinstance(value, date):
                raise QueryError(f"{name} must be a date", "date", name=name)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("date_from is after date_to", "date_order")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def effective_sort(self) -> str:
        if self.sort == "deadline":
            return "deadline"
        return "date" if not self.text else self.sort

    def restrictions(self) -> "Restrictions":
        """The structured-fact filters of this query, with the moment they are judged at."""
        now = self.now or datetime.now(timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        return Restrictions(
            open=self.open, upcoming=self.upcoming,
            date_from=_day_start(self.date_from) if self.date_from else None,
            date_before=_day_start(self.date_to + timedelta(days=1)) if self.date_to else None,
            now=now.astimezone(timezone.utc).replace(microsecond=0),
        )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


@dataclass(frozen=True)
class Restrictions:
    """What a query's structured facts require of a resource, in engine-neutral terms (each
    backend compiles it; both keep the same bounds):

    * ``open``: a deadline at or after ``now``;
    * ``upcoming``: an event not over at ``now`` (``Resource.event_until`` at or after it);
    * ``date_from`` / ``date_before``: the resource's date (``Resource.date``) at or after the
      one, strictly before the other (``date_to`` + 1 day: the last day is included).

    ``now`` is also the moment the deadline sort tells open calls from the rest."""

    open: bool = False
    upcoming: bool = False
    date_from: datetime | None = None
    date_before: datetime | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def any(self) -> bool:
        return bool(self.open or self.upcoming or self.date_from or self.date_before)

    def cache_key(self) -> tuple:
        """What the counts under these restrictions depend on (``now`` only when it matters)."""
        timed = self.open or self.upcoming
        return (self.open, self.upcoming, self.date_from, self.date_before,
                self.now if timed else None)

    def admits(self, deadline: datetime | None, event_until: datetime | None,
               when: datetime | None) -> bool:
        """Whether a resource with these facts passes (the reference the engines are tested
        against)."""
        if self.open and (deadline is None or deadline < self.now):
            return False
        if self.upcoming and (event_until is None or event_until < self.now):
            return False
        if self.date_from and (when is None or when < self.date_from):
            return False
        if self.date_before and (when is None or when >= self.date_before):
            return False
        return True


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
    # Set when too few resources matched the query as typed and a lenient retry found more:
    # RELAXED_WORDS (not every word required) or RELAXED_SPELLING (similar spellings too).
    relaxed: str | None = None
    # A did-you-mean query built from the index's own vocabulary, or None.
    suggestion: str | None = None
    # How many resources the text alone matched, when the query also added ids (also_ids):
    # the lenient retry and the did-you-mean judge the words by it, not by the added ids.
    lexical_total: int | None = None
    # The concept expansion of the hybrid search: the terms also searched ("food waste",
    # "spreco alimentare", …), for the UI's "also searching"; empty when none.
    expansion: list[str] = field(default_factory=list)
    # The vector search's share of the hits (hybrid and dense modes): resource ids it found.
    dense_ids: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, MAX_PAGE * self.query.per_page) // self.query.per_page))
