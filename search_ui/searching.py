"""One search as every rendering needs it: the request parsed, the backend asked, the labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app, request, url_for

from indexer.backends.base import IndexMissing
from indexer.query import SearchResults

from .app_services import services
from .present import Labels, hit_view, theme_labels
from .state import SearchState, parse_query

__all__ = ["RESOURCE_ID_RE", "SearchRun", "run_search"]

# Resource ids are short hex digests; anything else cannot exist (404 without a lookup).
RESOURCE_ID_RE = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")


@dataclass
class SearchRun:
    state: SearchState
    results: SearchResults
    labels: Labels

    def hits(self) -> list[dict[str, Any]]:
        return [
            hit_view(h, self.labels, url_for("portal.resource", resource_id=h.id))
            for h in self.results.hits
        ]


def run_search(per_page: int | None = None, overrides: dict[str, Any] | None = None
               ) -> SearchRun:
    """Parse the request, ask the backend, and bundle what every rendering needs.

    ``per_page`` is the page size when the request does not give one (default: the portal's).
    Raises QueryError (400), BackendUnavailable (503) and IndexMissing (503: no index has
    been built, which must not look like an empty portal); the error handlers render them.
    """
    per_page = per_page or int(current_app.config["CCP_PER_PAGE"])
    query = parse_query(request.args, default_per_page=per_page)
    if overrides:
        query = replace(query, **overrides)
    state = SearchState(query, path=url_for("portal.search"), default_per_page=per_page)
    backend = services().backend
    results = services().searcher.search(query)
    if results.total == 0 and not backend.exists():
        raise IndexMissing()
    labels = Labels(services().source_names(), theme_labels())
    return SearchRun(state, results, labels)
