"""Elasticsearch for the tests: a real server, or the noida-db stand-in started on 127.0.0.1.

``es_url`` (session fixture) is ``CCP_TEST_ELASTICSEARCH_URL`` when that is set (a real
Elasticsearch 8.x/9.x), else a ``noida-db`` server started for the session on a free
127.0.0.1 port with its data in a temporary directory, stopped afterwards. Without noida-db (or
the ``elasticsearch`` client) the Elasticsearch tests are skipped — except under ``CI=true``,
where they fail.

noida-db speaks Elasticsearch's HTTP API but its language analyzers do not stem like
Elasticsearch's; tests that need real analyzers call :func:`needs_real_analyzers`.

:class:`FaultProxy` sits between a backend and the server (real HTTP on 127.0.0.1) and injects
failures: a server that answers 503, requests that fail by path, documents a bulk request
rejects.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ENV_URL = "CCP_TEST_ELASTICSEARCH_URL"
START_TIMEOUT = 30.0


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip the test — or fail it under ``CI=true``, where every test must run."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the Elasticsearch tests must run)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_client():
    """The ``elasticsearch`` client module (skip or fail when it is not installed)."""
    try:
        import elasticsearch
    except ImportError:
        skip_or_fail("the elasticsearch client is not installed: "
                     "pip install 'circular-city-portal[elasticsearch]'")
    return elasticsearch


def real_elasticsearch() -> bool:
    """True when the tests run against a real Elasticsearch (not noida-db)."""
    return bool(os.environ.get(ENV_URL))


def needs_real_analyzers() -> None:
    """Skip a test whose assertions need Elasticsearch's own language analyzers (stemming):
    noida-db accepts the analyzers but does not stem like Elasticsearch."""
    if not real_elasticsearch():
        pytest.skip("needs real Elasticsearch analyzers (set CCP_TEST_ELASTICSEARCH_URL)")


def unique_index(prefix: str = "ccp-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def noida_binary() -> Path | None:
    """The noida-db server binary shipped in the ``noida-db`` package, if it is installed."""
    try:
        from importlib.resources import files

        candidate = Path(str(files("noida_db").joinpath("noida-db")))
    except (ImportError, TypeError):
        return None
    if not candidate.is_file():
        return None
    if not os.access(candidate, os.X_OK):
        candidate.chmod(0o755)
    return candidate


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=2) as r:
            return r.status == 200 and "version" in json.loads(r.read() or b"{}")
    except (OSError, ValueError):
        return False


class NoidaServer:
    """``noida-db start --only elasticsearch`` on 127.0.0.1:``port`` with data in ``data_dir``.

    Equivalent shell commands::

        noida-db start --only elasticsearch --host 127.0.0.1 --elasticsearch-port 9200 \\
            --data-dir /tmp/noida          # foreground; Ctrl-C stops it
        noida-db down --data-dir /tmp/noida
    """

    def __init__(self, binary: Path, workdir: Path, port: int | None = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "noida.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                [str(self.binary), "start", "--only", "elasticsearch", "--host", "127.0.0.1",
                 "--elasticsearch-port", str(self.port), "--data-dir", str(self.data_dir)],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"noida-db exited with {self.proc.returncode}: {self.log_path.read_text()}")
            if _answers(self.url):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"noida-db did not answer on {self.url} within {START_TIMEOUT:.0f} s: "
                           f"{self.log_path.read_text()}")

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        if proc.poll() is None:
            subprocess.run(
                [str(self.binary), "down", "--data-dir", str(self.data_dir)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=15, check=False,
            )
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)  # the process group this object started
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture(scope="session")
def es_url(tmp_path_factory) -> Iterator[str]:
    """The URL of an Elasticsearch-compatible server for this test session."""
    require_client()
    url = os.environ.get(ENV_URL)
    if url:
        yield url.rstrip("/")
        return
    binary = noida_binary()
    if binary is None:
        skip_or_fail("no Elasticsearch to test against: set CCP_TEST_ELASTICSEARCH_URL, or "
                     "pip install noida-db==0.2.3 to run a local stand-in")
    server = NoidaServer(binary, tmp_path_factory.mktemp("noida"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def make_backend(url: str, index: str | None = None, **options):
    """An :class:`ElasticsearchBackend` on a fresh, unique index name (no retries: tests want
    failures at once)."""
    from indexer.backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend.connect(url, index or unique_index(), max_retries=0,
                                        request_timeout=30.0, **options)


def drop(backend) -> None:
    """Delete every index a test backend built, then close it."""
    try:
        backend.delete_indices()
    finally:
        backend.close()


# -- a fault-injecting proxy ------------------------------------------------------------------

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te",
               "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"}


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` that can inject failures.

    * ``down = True``: every request is answered 503 without reaching the server.
    * ``fail_paths[(method, path_suffix)] = status``: matching requests are answered ``status``.
    * ``reject_docs[id] = [status, ...]``: the next writes of that document fail with the
      listed statuses, one per write, whether in a ``_bulk`` request (the item is taken out of
      what the server receives and reported failed) or alone (``PUT /<index>/_doc/<id>``).
      A status of 0 lets that write through.
    * ``requests``: every ``(method, path)`` seen.
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 9200
        self.down = False
        self.fail_paths: dict[tuple[str, str], int] = {}
        self.reject_docs: dict[str, list[int]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _take_rejection(self, doc_id: str) -> int:
        with self._lock:
            statuses = self.reject_docs.get(doc_id)
            if not statuses:
                return 0
            return statuses.pop(0)

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None):
                self.send_response(status)
                headers = dict(headers or {})
                headers.setdefault("Content-Type", "application/json")
                headers.setdefault("X-Elastic-Product", "Elasticsearch")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, status: int, kind: str) -> None:
                body = json.dumps({"error": {"type": kind, "reason": f"injected {status}"},
                                   "status": status}).encode()
                self._reply(status, body)

            def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port,
                                                  timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items()
                               if k.lower() not in _HOP_BY_HOP and k.lower() != "host"}
                    headers["Content-Length"] = str(len(body))
                    conn.request(self.command, self.path, body=body if body else None,
                                 headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    out = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP}
                    return resp.status, out, data
                finally:
                    conn.close()

            def _bulk(self, body: bytes) -> None:
                lines = [ln for ln in body.split(b"\n") if ln.strip()]
                kept: list[bytes] = []
                order: list[tuple[str, str, int]] = []  # (op, id, injected status or 0)
                i = 0
                while i < len(lines):
                    action = json.loads(lines[i])
                    op, meta = next(iter(action.items()))
                    has_source = op in ("index", "create", "update")
                    chunk = lines[i : i + (2 if has_source else 1)]
                    i += len(chunk)
                    status = proxy._take_rejection(str(meta.get("_id")))
                    order.append((op, str(meta.get("_id")), status))
                    if not status:
                        kept += chunk
                if kept:
                    status, headers, data = self._forward(b"\n".join(kept) + b"\n")
                    if status != 200:
                        self._reply(status, data, headers)
                        return
                    result = json.loads(data)
                    items = iter(result.get("items", []))
                else:
                    headers, result, items = {}, {"took": 0}, iter(())
                merged = []
                for op, doc_id, injected in order:
                    if injected:
                        merged.append({op: {"_id": doc_id, "status": injected, "error": {
                            "type": "injected_failure", "reason": f"injected {injected}"}}})
                    else:
                        merged.append(next(items))
                result["items"] = merged
                result["errors"] = any(
                    next(iter(it.values())).get("status", 500) >= 300 for it in merged)
                self._reply(200, json.dumps(result).encode(),
                            {k: v for k, v in headers.items() if k.lower() == "x-elastic-product"})

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with proxy._lock:
                    proxy.requests.append((self.command, path))
                if proxy.down:
                    self._error(503, "injected_unavailable")
                    return
                for (method, suffix), status in proxy.fail_paths.items():
                    if self.command == method and path.endswith(suffix):
                        self._error(status, "injected_failure")
                        return
                if path.endswith("/_bulk") and self.command in ("POST", "PUT"):
                    self._bulk(body)
                    return
                parts = path.strip("/").split("/")
                if len(parts) == 3 and parts[1] in ("_doc", "_create"):
                    status = proxy._take_rejection(parts[2])
                    if status:
                        self._error(status, "injected_failure")
                        return
                status, headers, data = self._forward(body)
                self._reply(status, data, headers)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        return Handler
