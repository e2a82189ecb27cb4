"""The fixture web: one stdlib HTTP server per fixture site on 127.0.0.1, port 0.

Each site has its own port, hence its own host for politeness and cross-site duplicates.
Servers run in daemon threads; :meth:`FixtureWeb.stop` closes the listening sockets and every
open connection, and wakes up requests that are waiting in ``/slow``.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Mapping

from . import hostile as _hostile
from .runtime import RequestRecord, Site, SiteRuntime
from .response import Override
from .content_loader import CONTENT_DIR, SiteContent, load_content
from .sites import SPECS, Document, build_site
from .trouble import TITLE as TROUBLE_TITLE, build_trouble

__all__ = ["FixtureWeb", "Site", "RequestRecord", "SITE_ORDER"]

SITE_ORDER = ("euhub", "urbact", "denhaag", "porto", "prato", "kaunas", "oslo", "trouble")


# ---- the request handler -------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FixtureWeb/1.0"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after this many seconds

    @property
    def runtime(self) -> SiteRuntime:
        return self.server.runtime  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        with self.runtime.lock:
            self.runtime.connections.add(self.connection)
            self.runtime.accepted += 1

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.runtime.lock:
                self.runtime.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _not_allowed(self) -> None:
        body = b"Method not allowed\n"
        self._record(405)
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def _record(self, status: int) -> None:
        self.runtime.web._log(
            RequestRecord(
                site=self.runtime.site.name,
                method=self.command,
                path=self.path,
                headers=self._headers(),
                status=status,
                time=time.time(),
            )
        )

    def _serve(self, head: bool) -> None:
        rt = self.runtime
        with rt.lock:
            rt.in_flight += 1
        try:
            self._answer(head)
        finally:
            with rt.lock:
                rt.in_flight -= 1

    def _answer(self, head: bool) -> None:
        response = self.runtime.respond(self.command, self.path, self._headers())
        self._record(response.status)
        if response.status == 0:
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            no_body = response.status in (204, 304) or 100 <= response.status < 200
            if response.stream is None:
                if not no_body:
                    self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if not head and not no_body:
                    self.wfile.write(response.body)
                return
            if response.length is not None:
                self.send_header("Content-Length", str(response.length))
                self.end_headers()
                if head:
                    return
                for chunk in response.stream:
                    self.wfile.write(chunk)
            elif self.request_version == "HTTP/1.0":
                # no chunked encoding in HTTP/1.0: the end of the body is the end of the connection
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                if head:
                    return
                for chunk in response.stream:
                    self.wfile.write(chunk)
            else:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if head:
                    return
                for chunk in response.stream:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            if self.runtime.web._stopping.is_set():
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            # the client went away (e.g. a size cap or a timeout): nothing to do
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        # connections cut by clients or by stop() are normal here; stay quiet
        return


# ---- the public object ---------------------------------------------------------------------

class FixtureWeb:
    """The fixture sites, each on its own 127.0.0.1 port.

    ``content`` is ``None`` for the packaged ``content/*.yaml``, ``"sample"`` for the small
    built-in sample, a directory of YAML files, or an already loaded ``{site: SiteContent}``.
    ``hostile=True`` adds the ``hostile`` site and the ``internal`` site (on
    :data:`~ccp.fixtureweb.hostile.INTERNAL_HOST` when ``host`` is 127.0.0.1) for the
    harvester's adversarial tests (see :mod:`.hostile`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        content: str | Path | Mapping[str, SiteContent] | None = None,
        hostile: bool = False,
    ):
        self.host = host
        self._content_arg = content
        self._content: dict[str, SiteContent] | None = None
        self._requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
        self._stopping = threading.Event()
        self._started = False
        self.sites: dict[str, Site] = {}
        self._runtimes: dict[str, SiteRuntime] = {}
        titles = {"trouble": TROUBLE_TITLE, "hostile": _hostile.TITLE,
                  "internal": _hostile.INTERNAL_TITLE}
        for name in SITE_ORDER + (("hostile", "internal") if hostile else ()):
            spec = SPECS.get(name)
            if spec is not None:
                site = Site(name, spec.title, publisher=spec.publisher, country=spec.country,
                            city=spec.city, language=spec.language)
            else:
                site = Site(name, titles[name], publisher="Fixture web", country="EU")
            self.sites[name] = site
            self._runtimes[name] = SiteRuntime(self, site, spec)

    # ---- content -------------------------------------------------------------------------
    @property
    def content(self) -> dict[str, SiteContent]:
        if self._content is None:
            arg = self._content_arg
            if arg is None:
                self._content = load_content(CONTENT_DIR)
            elif isinstance(arg, str) and arg == "sample":
                from ._sample import sample_content

                self._content = sample_content()
            elif isinstance(arg, (str, Path)):
                self._content = load_content(Path(arg))
            else:
                self._content = dict(arg)
        return self._content

    # ---- life cycle ----------------------------------------------------------------------
    def start(self) -> "FixtureWeb":
        if self._started:
            return self
        content = self.content  # fail on bad content before binding anything
        self._stopping.clear()
        try:
            for name, rt in self._runtimes.items():
                host = self.host
                if name == "internal" and self.host == "127.0.0.1":
                    host = _hostile.INTERNAL_HOST
                server = _Server((host, 0), _Handler)
                server.runtime = rt  # type: ignore[attr-defined]
                rt.server = server
                host, port = server.server_address[:2]
                shown = f"[{host}]" if ":" in str(host) else host
                rt.site.base_url = f"http://{shown}:{port}"
            for name, rt in self._runtimes.items():
                if rt.spec is not None:
                    site_content = content.get(name)
                    if site_content is not None and site_content.title:
                        rt.site.title = site_content.title
                    rt.docs = build_site(rt.spec, site_content, self.url)
                else:
                    build = {"trouble": build_trouble, "hostile": _hostile.build_hostile,
                             "internal": _hostile.build_internal}[name]
                    rt.docs = build(self.url)
            for name, rt in self._runtimes.items():
                assert rt.server is not None
                rt.thread = threading.Thread(
                    target=rt.server.serve_forever, kwargs={"poll_interval": 0.05},
                    name=f"fixtureweb-{name}", daemon=True,
                )
                rt.thread.start()
        except BaseException:
            self._started = True
            self.stop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._stopping.set()
        # shutdown() waits for a serve_forever() poll: stop all sites at once
        stoppers = [
            threading.Thread(target=rt.server.shutdown, daemon=True)
            for rt in self._runtimes.values()
            if rt.server is not None and rt.thread is not None
        ]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=5)
        for rt in self._runtimes.values():
            if rt.server is None:
                continue
            rt.server.server_close()
            with rt.lock:
                connections = list(rt.connections)
            for conn in connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if rt.thread is not None:
                rt.thread.join(timeout=5)
            rt.server = None
            rt.thread = None
            rt.site.base_url = ""
        self._started = False

    def __enter__(self) -> "FixtureWeb":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses -----------------------------------------------------------------------
    def url(self, site: str, path: str = "/") -> str:
        return self._site(site).url(path)

    def _site(self, name: str) -> Site:
        try:
            return self.sites[name]
        except KeyError:
            raise KeyError(f"no fixture site {name!r} (sites: {', '.join(self.sites)})") from None

    # ---- request log ---------------------------------------------------------------------
    def _log(self, record: RequestRecord) -> None:
        with self._requests_lock:
            self._requests.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._requests_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()

    def connections_accepted(self, site: str) -> int:
        """How many connections *site* accepted since it started (requests or not)."""
        rt = self._runtimes[self._site(site).name]
        with rt.lock:
            return rt.accepted

    def in_flight(self, site: str) -> int:
        """How many requests *site* is answering right now (e.g. waiting in ``/slow``)."""
        rt = self._runtimes[self._site(site).name]
        with rt.lock:
            return rt.in_flight

    # ---- changing answers ----------------------------------------------------------------
    def set_response(
        self,
        site: str,
        path: str,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer *path* with this status/body/headers (for the next *times* requests only).

        A *path* with a query string matches only that exact query; without one it matches
        the path whatever the query.
        """
        if times is not None and times < 1:
            raise ValueError("times must be a positive number or None")
        rt = self._runtimes[self._site(site).name]
        with rt.lock:
            rt.overrides[path] = Override(status, bytes(body), dict(headers or {}), times)

    def clear_response(self, site: str, path: str) -> None:
        rt = self._runtimes[self._site(site).name]
        with rt.lock:
            rt.overrides.pop(path, None)

    def set_document(self, site: str, path: str, body: bytes, content_type: str) -> None:
        """Add or replace the document at *path* (new ETag; Last-Modified moves forward)."""
        rt = self._runtimes[self._site(site).name]
        now = datetime.now(timezone.utc).replace(microsecond=0)
        with rt.lock:
            old = rt.docs.get(path)
            modified = now
            if old is not None and modified <= old.last_modified:
                modified = old.last_modified + timedelta(seconds=1)
            gzip_ok = content_type.startswith("text/html") and bool(
                rt.spec is not None and rt.spec.gzip_html
            )
            rt.docs[path] = Document(bytes(body), content_type, modified, gzip_ok=gzip_ok)

    def document(self, site: str, path: str) -> bytes:
        """The bytes currently served at *path* (unencoded), for assertions in tests."""
        rt = self._runtimes[self._site(site).name]
        with rt.lock:
            doc = rt.docs.get(path)
        if doc is None:
            raise KeyError(f"{site}: no document at {path!r}")
        return doc.body

    def paths(self, site: str) -> list[str]:
        """Every path the site serves as a document (dynamic trouble endpoints excluded)."""
        rt = self._runtimes[self._site(site).name]
        with rt.lock:
            return sorted(rt.docs)

    # ---- demo sources --------------------------------------------------------------------
    def demo_sources(self) -> list[dict[str, Any]]:
        from .demo import demo_sources

        return demo_sources(self)

    def write_demo_sources(self, directory: str | Path) -> list[Path]:
        from .demo import write_demo_sources

        return write_demo_sources(self, Path(directory))
