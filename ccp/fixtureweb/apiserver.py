"""A small HTTP server on 127.0.0.1 (port 0) for the fixture catalogue APIs (:mod:`.ckan`,
:mod:`.jsonapi`): it records every request (method, path, query, headers, body), serves the
documents the API links to with conditional GET, and answers a path the way a test asks
(an error status, a body that is not JSON, silence until the client gives up). An API
answer with an ETag is answered 304 to a GET whose If-None-Match names it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Answer", "ApiHit", "ApiServer"]


@dataclass(frozen=True)
class ApiHit:
    method: str
    path: str  # without the query
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # say nothing until the client gives up (a timeout)


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=None).encode("utf-8")


class ApiServer:
    """Subclasses implement :meth:`answer`; documents are served from :attr:`documents`
    (path -> (bytes, content type, last modified)) with ETag and Last-Modified."""

    title = "fixture API"

    def __init__(self) -> None:
        self.hits: list[ApiHit] = []
        self.documents: dict[str, tuple[bytes, str, datetime]] = {}
        self.faults: dict[str, Answer] = {}  # path -> the forced answer
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return self.base + (path if path.startswith("/") else "/" + path)

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what tests look at and change -------------------------------------------------------
    def requests(self, path: str | None = None) -> list[ApiHit]:
        with self.lock:
            return [h for h in self.hits if path is None or h.path == path]

    def forget_requests(self) -> None:
        with self.lock:
            self.hits.clear()

    def fail(self, path: str, answer: Answer) -> None:
        with self.lock:
            self.faults[path] = answer

    def heal(self) -> None:
        with self.lock:
            self.faults.clear()

    # -- answering ---------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], body: bytes
               ) -> Answer | None:
        raise NotImplementedError

    def document(self, path: str, headers: dict[str, str]) -> Answer | None:
        with self.lock:
            doc = self.documents.get(path)
        if doc is None:
            return None
        data, ctype, modified = doc
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        h = {"ETag": etag, "Last-Modified": format_datetime(modified.astimezone(timezone.utc),
                                                            usegmt=True)}
        if headers.get("if-none-match") == etag:
            return Answer(304, b"", ctype, h)
        return Answer(200, data, ctype, h)

    def _respond(self, method: str, target: str, headers: dict[str, str], body: bytes
                 ) -> Answer:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self.lock:
            forced = self.faults.get(parts.path)
        if forced is not None:
            return forced
        if parts.path == "/robots.txt":
            return Answer(200, b"User-agent: *\nAllow: /\n", "text/plain")
        found = self.document(parts.path, headers) if method in ("GET", "HEAD") else None
        if found is None:
            found = self.answer(method, parts.path, query, body)
            etag = found.headers.get("ETag") if found is not None else None
            if etag and method == "GET" and found.status == 200 \
                    and headers.get("if-none-match") == etag:
                return Answer(304, b"", found.content_type, {"ETag": etag})
        return found or Answer(404, b"Not found\n", "text/plain")

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    ans = site._respond(self.command, self.path, headers, body)
                except Exception as exc:  # noqa: BLE001 - a fixture bug shows as a 500
                    ans = Answer(500, f"fixture error: {exc!r}".encode(), "text/plain")
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with site.lock:
                    site.hits.append(ApiHit(self.command, parts.path, query, headers, body,
                                            ans.status))
                if ans.hang:
                    site._stop.wait(60)
                    self.close_connection = True
                    return
                self.send_response(ans.status)
                self.send_header("Content-Type", ans.content_type)
                for k, v in ans.headers.items():
                    self.send_header(k, v)
                if ans.status != 304:
                    self.send_header("Content-Length", str(len(ans.body)))
                self.end_headers()
                if self.command != "HEAD" and ans.status != 304:
                    self.wfile.write(ans.body)

            do_GET = do_POST = do_HEAD = _serve

        return Handler
