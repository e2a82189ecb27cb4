"""CORS for what is public and read-only: a web page on another site may read the JSON API
and the OpenSearch description (``Access-Control-Allow-Origin: *`` on GET and HEAD, preflight
OPTIONS answered). Never on the admin, never on a request that writes: without the header a
browser keeps the response from another site's script."""

from __future__ import annotations

from flask import Flask, request

READ_METHODS = frozenset({"GET", "HEAD"})
MAX_AGE = 86400


def shared(path: str) -> bool:
    """Whether a path (without the language segment) is open to other sites' scripts."""
    return (path.startswith("/api/") or path == "/opensearch.xml") and not path.startswith(
        "/admin")


def init_app(app: Flask) -> None:
    @app.after_request
    def _cors(resp):
        if not shared(request.path):
            return resp
        if request.method in READ_METHODS:
            resp.headers["Access-Control-Allow-Origin"] = "*"
        elif request.method == "OPTIONS" and resp.status_code < 400:
            allowed = {m.strip().upper() for m in resp.headers.get("Allow", "").split(",")}
            wanted = (request.headers.get("Access-Control-Request-Method") or "GET").upper()
            if wanted not in READ_METHODS or not allowed & READ_METHODS:
                return resp  # a preflight for a write, or a path that reads nothing: no grant
            resp.headers["Access-Control-Allow-Origin"] = "*"
            resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            asked = request.headers.get("Access-Control-Request-Headers")
            if asked:
                resp.headers["Access-Control-Allow-Headers"] = asked
            resp.headers["Access-Control-Max-Age"] = str(MAX_AGE)
        return resp
