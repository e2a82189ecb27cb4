"""Errors as pages (or JSON under ``/api/``): 400 for bad input, 404, 503 when search is down.

A user's mistake — a page number that is not a number, a query that is too long, an unknown
filter — is a 400 with the reason, never a 500. An engine that cannot answer is a 503 with
``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException

from indexer.backends.base import INDEX_MISSING, BackendUnavailable, IndexMissing
from indexer.query import QueryError

log = logging.getLogger(__name__)

_TITLES = {
    400: lazy_gettext("That search cannot be run"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Method not allowed"),
    500: lazy_gettext("Something went wrong"),
    503: lazy_gettext("Search is temporarily unavailable"),
}

# The search's refusals (indexer.query, search_ui.state) in the interface language: the
# English reason matched, its numbers and names kept. An unknown reason is shown as it is.
# QueryError codes (indexer.query) -> the refusal in the user's language.
_QUERY_REASONS: dict[str, Any] = {
    "too_long": lambda n: _("The query is too long (at most %(n)s characters).", n=n),
    "whole_number": lambda name, n: _(
        "The parameter %(name)s must be a whole number from 1 to %(n)s.", name=name, n=n),
    "sort": lambda sorts: _("The sort order must be one of: %(sorts)s.", sorts=sorts),
    "mode": lambda modes: _("The search mode must be one of: %(modes)s.", modes=modes),
    "unknown_filter": lambda name: _("There is no filter called %(name)s.", name=name),
    "too_many_values": lambda name: _(
        "Too many values are chosen for the filter %(name)s.", name=name),
    "year": lambda: _("A year must be written with four digits."),
    "date": lambda name: _("The parameter %(name)s must be a date written as YYYY-MM-DD.",
                           name=name),
    "date_order": lambda: _("The start date must not be after the end date."),
}


def query_reason(exc: QueryError) -> str:
    """The refusal of a search, in the user's language when the search names it (its code)."""
    translate = _QUERY_REASONS.get(getattr(exc, "code", ""))
    if translate is None:
        return str(exc)
    try:
        return str(translate(**exc.params))
    except TypeError:  # parameters that do not fit the wording: the English message
        return str(exc)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _respond(status: int, message: str, *, retry_after: int | None = None):
    if _wants_json():
        resp = jsonify({"error": message})
        resp.status_code = status
    else:
        html = render_template(
            "error.html",
            status=status,
            title=str(_TITLES.get(status, _("Error"))),
            message=message,
        )
        resp = current_app.response_class(html, status=status, mimetype="text/html")
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def register(app: Flask) -> None:
    @app.errorhandler(QueryError)
    def _bad_query(exc: QueryError):
        return _respond(400, query_reason(exc))

    @app.errorhandler(BackendUnavailable)
    def _unavailable(exc: BackendUnavailable):
        if isinstance(exc, IndexMissing):  # the operator's step, not a passing failure
            reason = str(exc)
            if reason == INDEX_MISSING:
                reason = _("the search index does not exist yet; run `ccp index rebuild` "
                           "(or `ccp harvest`)")
            return _respond(503, _("Search is not available yet: %(reason)s.", reason=reason),
                            retry_after=int(current_app.config["CCP_RETRY_AFTER"]))
        log.warning("search backend unavailable: %s", exc)
        return _respond(
            503,
            _("Search is temporarily unavailable. Please try again in a moment."),
            retry_after=int(current_app.config["CCP_RETRY_AFTER"]),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        messages = {
            404: _("There is no page at this address. Try a search instead."),
            405: _("This address does not accept that kind of request."),
        }
        resp = _respond(status, messages.get(status, exc.description or str(_TITLES.get(status, ""))))
        if status == 405 and exc.get_headers():
            for name, value in exc.get_headers():
                if name.lower() == "allow":
                    resp.headers["Allow"] = value
        return resp

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        log.exception("unhandled error on %s", request.path)
        return _respond(500, _("An unexpected error happened on our side. It has been logged."))


def register_security_headers(app: Flask) -> None:
    """Headers on every response: a CSP that allows no inline script, nosniff, referrer policy."""
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp
