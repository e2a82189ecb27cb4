"""Errors as pages (or JSON under ``/api/``): 400 for bad input, 404, 503 when search is down.

A user's mistake — a page number that is not a number, a query that is too long, an unknown
filter — is a 400 with the reason, never a 500. An engine that cannot answer is a 503 with
``Retry-After``.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.backends.base import BackendUnavailable, IndexMissing
from indexer.query import QueryError

log = logging.getLogger(__name__)

_TITLES = {
    400: "That search cannot be run",
    404: "Page not found",
    405: "Method not allowed",
    500: "Something went wrong",
    503: "Search is temporarily unavailable",
}


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
            title=_TITLES.get(status, "Error"),
            message=message,
        )
        resp = current_app.response_class(html, status=status, mimetype="text/html")
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def register(app: Flask) -> None:
    @app.errorhandler(QueryError)
    def _bad_query(exc: QueryError):
        return _respond(400, str(exc))

    @app.errorhandler(BackendUnavailable)
    def _unavailable(exc: BackendUnavailable):
        if isinstance(exc, IndexMissing):  # the operator's step, not a passing failure
            return _respond(503, f"Search is not available yet: {exc}.",
                            retry_after=int(current_app.config["CCP_RETRY_AFTER"]))
        log.warning("search backend unavailable: %s", exc)
        return _respond(
            503,
            "Search is temporarily unavailable. Please try again in a moment.",
            retry_after=int(current_app.config["CCP_RETRY_AFTER"]),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        messages = {
            404: "There is no page at this address. Try a search instead.",
            405: "This address does not accept that kind of request.",
        }
        resp = _respond(status, messages.get(status, exc.description or _TITLES.get(status, "")))
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
        return _respond(500, "An unexpected error happened on our side. It has been logged.")


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
