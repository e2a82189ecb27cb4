"""The running state of one fixture site: its documents, overrides and connections, and how it
answers a request (conditional GET, gzip, the hostile and trouble sites' special paths)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from http.server import ThreadingHTTPServer
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import hostile as _hostile
from .dynamic import trouble_dynamic
from .response import Override, Response, accepts_gzip, etag_matches, http_date
from .sites import Document, SiteSpec, not_found_page

TRACKING_PARAMS = ("fbclid", "gclid", "mc_cid", "mc_eid")


@dataclass
class Site:
    name: str
    title: str
    base_url: str = ""  # "http://127.0.0.1:PORT" once started
    publisher: str = ""
    country: str = ""
    city: str | None = None
    language: str = "en"

    def url(self, path: str = "/") -> str:
        if not self.base_url:
            raise RuntimeError(f"fixture site {self.name!r} is not started")
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path


@dataclass(frozen=True)
class RequestRecord:
    site: str
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names
    status: int  # 0: no response (the server was stopping)
    time: float = 0.0


class SiteRuntime:
    """The mutable state of one running site: documents, overrides, connections."""

    def __init__(self, web: Any, site: Site, spec: SiteSpec | None):
        self.web = web
        self.site = site
        self.spec = spec
        self.docs: dict[str, Document] = {}
        self.overrides: dict[str, Override] = {}
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.in_flight = 0  # requests being answered right now
        self.accepted = 0  # connections accepted since start (a request or not)
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # ---- routing -------------------------------------------------------------------------
    def take_override(self, path: str, full: str) -> Override | None:
        with self.lock:
            key = full if full in self.overrides else path if path in self.overrides else None
            if key is None:
                return None
            override = self.overrides[key]
            if override.remaining is not None:
                override.remaining -= 1
                if override.remaining <= 0:
                    del self.overrides[key]
            return override

    def find_document(self, path: str, query: str) -> tuple[str, Document] | None:
        kept = [
            (k, v)
            for k, v in parse_qsl(query, keep_blank_values=True)
            if not (k.lower().startswith("utm_") or k.lower() in TRACKING_PARAMS)
        ]
        key = f"{path}?{urlencode(kept)}" if kept else path
        with self.lock:
            doc = self.docs.get(key)
        return (key, doc) if doc is not None else None

    def has_path(self, path: str) -> bool:
        with self.lock:
            return path in self.docs

    def respond(self, method: str, raw_path: str, headers: Mapping[str, str]) -> Response:
        parts = urlsplit(raw_path)
        path, query = parts.path or "/", parts.query
        full = f"{path}?{query}" if query else path
        override = self.take_override(path, full)
        if override is not None:
            hdrs = list(override.headers.items())
            if not any(k.lower() == "content-type" for k, _ in hdrs) and override.body:
                hdrs.append(("Content-Type", "text/html; charset=utf-8"))
            return Response(override.status, hdrs, override.body)
        if self.site.name == "trouble":
            dynamic = trouble_dynamic(self, path, query)
            if dynamic is not None:
                return dynamic
        if self.site.name == "hostile":
            target = _hostile.hostile_redirect(path, self.web.url)
            if target is not None:
                return Response(302, [("Location", target), ("Content-Type", "text/plain")],
                                 b"Found\n")
        found = self.find_document(path, query)
        if found is not None:
            return self.document_response(found[1], headers)
        if not path.endswith("/") and self.has_path(path + "/"):
            return Response(
                301, [("Location", self.site.url(path + "/")), ("Content-Type", "text/plain")],
                b"Moved\n",
            )
        body = not_found_page(self.spec, self.site.title)
        return Response(404, [("Content-Type", "text/html; charset=utf-8")], body)

    def document_response(self, doc: Document, headers: Mapping[str, str]) -> Response:
        use_gzip = doc.gzip_ok and accepts_gzip(headers.get("accept-encoding", ""))
        etag = doc.gzip_etag if use_gzip else doc.etag
        common = [
            ("ETag", etag),
            ("Last-Modified", http_date(doc.last_modified)),
            ("Cache-Control", "no-cache"),
        ]
        if doc.gzip_ok:
            common.append(("Vary", "Accept-Encoding"))
        common += [(k, v) for k, v in doc.headers.items()]
        inm = headers.get("if-none-match")
        if inm is not None:
            if etag_matches(inm, {doc.etag, doc.gzip_etag}):
                return Response(304, common)
        else:
            ims = headers.get("if-modified-since")
            if ims:
                try:
                    since = parsedate_to_datetime(ims)
                except (TypeError, ValueError, IndexError):
                    since = None
                if since is not None:
                    if since.tzinfo is None:
                        since = since.replace(tzinfo=timezone.utc)
                    if since >= doc.last_modified:
                        return Response(304, common)
        body = doc.gzipped if use_gzip else doc.body
        hdrs = [("Content-Type", doc.content_type)] + common
        if use_gzip:
            hdrs.append(("Content-Encoding", "gzip"))
        return Response(200, hdrs, body)


# ---- the trouble site's dynamic endpoints ---------------------------------------------------
