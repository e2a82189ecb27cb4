"""The JSON API: the same searches as the pages, and the full record of a resource.

``GET /api/search`` takes the parameters of ``/search`` and answers::

    {"total", "page", "pages", "per_page", "took_ms", "relaxed", "suggestion", "query": {...},
     "results": [{"id", "title", "url", "summary", "snippet", "language", "published", "date",
                  "type", "themes", "format", "countries", "deadline", "start", "end", "places",
                  "instances", "resource_url"}],
     "facets": {"language": [{"value", "count", "label"}], ...}}

``deadline`` (a call's), ``start`` and ``end`` (an event's) are ISO 8601 UTC or null; ``places``
are ``{"country", "city"}`` with ``name``, ``kind`` (city|region|country), ``geonameid`` and
``origin`` ("text" when found in the text) when known. ``open=1`` keeps the calls whose deadline
has not passed, ``upcoming=1`` the events not yet over, ``date_from``/``date_to`` (YYYY-MM-DD)
the resources dated within those days; ``sort=deadline`` lists open calls soonest first.
``relaxed`` says when too few resources contained every word and the search retried with
fewer words (``"some_words"``) or similar spellings (``"similar_spelling"``); ``suggestion``
is a did-you-mean query when a word is in no document (else null).
``snippet`` is HTML: escaped text with ``<mark>`` around matches. Errors are
``{"error": "..."}`` with status 400 (bad input), 404 or 503 (search unavailable).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from .present import results_json
from .searching import run_search
from .views import stored_resource

__all__ = ["bp", "results_json"]

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    run = run_search()
    return jsonify(
        results_json(
            run.results,
            labels=run.labels,
            resource_url=lambda rid: url_for("portal.resource", resource_id=rid),
        )
    )


@bp.get("/resource/<resource_id>")
def resource(resource_id: str):
    return jsonify(stored_resource(resource_id).to_dict())
