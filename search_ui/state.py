"""Search state in the URL (after Datasette): parse the query string, build ready-made links.

Every page of the search is a URL: ``/search?q=…&language=nl&language=fr&type=guide&page=2``.
:func:`parse_query` turns request arguments into a validated :class:`SearchQuery`;
:class:`SearchState` computes, server-side, the link for every action a user can take — toggle
a facet value, remove a chip, clear the filters, change page or sort — so the page works
without JavaScript and every state can be shared or bookmarked.

Defaults are left out of the URLs (``page=1``, ``sort=relevance``) so links stay short and
one state has one URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from urllib.parse import quote_plus, urlencode

from indexer.query import FACETS, MAX_PAGE, MAX_PER_PAGE, QueryError, SearchQuery

_TRUE = {"1", "true", "yes", "on"}
DEFAULT_MODE = "hybrid"


def _first(args, name: str) -> str | None:
    value = args.get(name)
    return None if value is None else str(value)


def _whole_number(raw: str | None, name: str, default: int, maximum: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    raw = raw.strip()
    # Bound the length before int(): a 5,000-digit "number" must be a 400, not a crash.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7:
        raise QueryError(f"{name} must be a whole number from 1 to {maximum}", "whole_number",
                         name=name, n=maximum)
    return int(raw)


def _iso_date(raw: str | None, name: str) -> date | None:
    """A day written YYYY-MM-DD (as an HTML date input sends it); empty is no day."""
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise QueryError(f"{name} must be a date written as YYYY-MM-DD", "date",
                         name=name) from None


def _flag(args, name: str) -> bool:
    return (_first(args, name) or "").strip().lower() in _TRUE


# the structured-fact filters in the URL, in this order (after the facets)
RESTRICTIONS: tuple[str, ...] = ("open", "upcoming", "date_from", "date_to")


def parse_query(args, *, default_per_page: int = 10) -> SearchQuery:
    """A :class:`SearchQuery` from request arguments (a Werkzeug MultiDict or alike).

    Raises :class:`QueryError` (shown as HTTP 400) for anything malformed: a page that is not
    a number or out of range, an unknown sort, a query that is too long, a bad year.
    Unknown parameters (tracking tags and the like) are ignored.
    """
    filters: dict[str, list[str]] = {}
    for name in FACETS:
        values = [str(v) for v in args.getlist(name)]
        if values:
            filters[name] = values
    return SearchQuery(
        text=_first(args, "q") or "",
        filters=filters,
        page=_whole_number(_first(args, "page"), "page", 1, MAX_PAGE),
        per_page=_whole_number(
            _first(args, "per_page"), "per_page", default_per_page, MAX_PER_PAGE
        ),
        sort=(_first(args, "sort") or "relevance").strip(),
        include_gone=(_first(args, "include_gone") or "").strip().lower() in _TRUE,
        # hybrid (words and meaning, the default), lexical (words only) or dense (meaning)
        mode=(_first(args, "mode") or DEFAULT_MODE).strip(),
        # calls still open, events not yet over, resources dated within days (inclusive)
        open=_flag(args, "open"),
        upcoming=_flag(args, "upcoming"),
        date_from=_iso_date(_first(args, "date_from"), "date_from"),
        date_to=_iso_date(_first(args, "date_to"), "date_to"),
    )


@dataclass
class SearchState:
    """A parsed search and the URLs of every state one click away from it."""

    query: SearchQuery
    path: str = "/search"
    default_per_page: int = 10
    _selected: set[tuple[str, str]] = field(init=False, repr=False)
    _encoded_parts: tuple | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._selected = {(f, v) for f, vs in self.query.filters.items() for v in vs}

    # -- reading -----------------------------------------------------------------------------
    def is_selected(self, facet: str, value: str) -> bool:
        return (facet, value) in self._selected

    @property
    def has_filters(self) -> bool:
        return bool(self._selected) or bool(self.restrictions())

    def restrictions(self) -> list[tuple[str, str]]:
        """The structured-fact filters in use, as URL parameters (``[("open", "1")]``)."""
        q = self.query
        out = [(name, "1") for name in ("open", "upcoming") if getattr(q, name)]
        out += [(name, getattr(q, name).isoformat()) for name in ("date_from", "date_to")
                if getattr(q, name)]
        return out

    def without_url(self, name: str) -> str:
        """The URL of this search without the structured-fact filter ``name`` (page 1)."""
        qs = urlencode([(k, v) for k, v in self.params(page=1) if k != name])
        return f"{self.path}?{qs}" if qs else self.path

    def selected(self) -> list[tuple[str, str]]:
        """Active filters in facet order, then in the order they were chosen."""
        return [(f, v) for f in FACETS for v in self.query.filters.get(f, [])]

    # -- building ----------------------------------------------------------------------------
    def params(
        self,
        *,
        filters: dict[str, list[str]] | None = None,
        page: int | None = None,
        sort: str | None = None,
        text: str | None = None,
    ) -> list[tuple[str, str]]:
        q = self.query
        text = q.text if text is None else text
        filters = q.filters if filters is None else filters
        page = q.page if page is None else page
        sort = q.sort if sort is None else sort
        out: list[tuple[str, str]] = []
        if text:
            out.append(("q", text))
        for name in FACETS:
            out.extend((name, v) for v in filters.get(name, []))
        out.extend(self.restrictions())
        if sort != "relevance":
            out.append(("sort", sort))
        if q.per_page != self.default_per_page:
            out.append(("per_page", str(q.per_page)))
        if q.include_gone:
            out.append(("include_gone", "1"))
        if getattr(q, "mode", DEFAULT_MODE) != DEFAULT_MODE:
            out.append(("mode", q.mode))
        if page != 1:
            out.append(("page", str(page)))
        return out

    def url(self, path: str | None = None, **changes) -> str:
        qs = urlencode(self.params(**changes))
        base = self.path if path is None else path
        return f"{base}?{qs}" if qs else base

    def toggle_url(self, facet: str, value: str) -> str:
        """The URL with ``value`` added to or removed from ``facet`` (back to page 1).

        The same URL as ``url(filters=…, page=1)`` gives, from this state's parameters encoded
        once (a search page has a toggle link for each of some 70 facet values)."""
        head, per_facet, tail = self._encoded()
        chosen = self.query.filters.get(facet, [])
        item = _pair(facet, value)
        if value in chosen:
            at = chosen.index(value)
            mine = per_facet[facet][:at] + per_facet[facet][at + 1:]
        else:
            mine = [*per_facet.get(facet, ()), item]
        parts = [*head]
        for name in FACETS:
            parts.extend(mine if name == facet else per_facet.get(name, ()))
        parts.extend(tail)
        return f"{self.path}?{'&'.join(parts)}" if parts else self.path

    def _encoded(self) -> tuple[list[str], dict[str, list[str]], list[str]]:
        """This state's parameters of page 1, encoded: before the filters, each filter's
        values, after the filters."""
        if self._encoded_parts is None:
            params = self.params(filters={}, page=1)
            head = [_pair(k, v) for k, v in params if k == "q"]
            tail = [_pair(k, v) for k, v in params if k != "q"]
            per_facet = {name: [_pair(name, v) for v in values]
                         for name, values in self.query.filters.items()}
            self._encoded_parts = (head, per_facet, tail)
        return self._encoded_parts

    def clear_filters_url(self) -> str:
        """This search without any filter: facets and structured facts alike."""
        qs = urlencode([(k, v) for k, v in self.params(filters={}, page=1)
                        if k not in RESTRICTIONS])
        return f"{self.path}?{qs}" if qs else self.path

    def page_url(self, page: int) -> str:
        return self.url(page=page)


@lru_cache(maxsize=8192)
def _pair(name: str, value: str) -> str:
    """``name=value`` as ``urlencode`` writes it (facet values recur from page to page)."""
    return f"{quote_plus(str(name))}={quote_plus(str(value))}"


def pagination(current: int, pages: int, window: int = 2) -> list[int | None]:
    """Page numbers to link: first, last and ``window`` around the current; ``None`` is a gap.

    >>> pagination(7, 20)
    [1, None, 5, 6, 7, 8, 9, None, 20]
    """
    if pages <= 1:
        return [1] if pages == 1 else []
    shown = {1, pages, *range(max(1, current - window), min(pages, current + window) + 1)}
    out: list[int | None] = []
    prev = 0
    for n in sorted(shown):
        if n - prev == 2:
            out.append(n - 1)  # a gap of one page is shown as that page, not as "…"
        elif n - prev > 2:
            out.append(None)
        out.append(n)
        prev = n
    return out
