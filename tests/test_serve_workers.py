"""``ccp serve --workers 2`` as a real process tree: two worker processes answer (which one
holds a connection is read from /proc), searches work in both, an admin session and its CSRF
token made by one worker are honoured by the other, and SIGTERM or Ctrl-C stops every worker.

A worker is made to answer by stopping the others (SIGSTOP) while a connection is opened:
the listening socket is shared, so a stopped worker cannot take the connection.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import lxml.html
import pytest
from werkzeug.security import generate_password_hash

from config import Settings, load_sources
from indexer.backends.embedded import EmbeddedBackend
from indexer.catalogue import Catalogue
from indexer.resource import Instance, Place, Resource

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "operator", "a long enough test password"
TITLES = ["Textile reuse roadmap for cities", "Circular procurement guide",
          "Food waste strategy of the city"]


def _portal_data(tmp: Path) -> tuple[Path, Path]:
    data, sources = tmp / "data", tmp / "sources"
    sources.mkdir(parents=True)
    (sources / "city.yaml").write_text("id: city\ntype: feed\nname: The City Newsroom\n"
                                       "url: https://city.example/feed.xml\n", encoding="utf-8")
    settings = Settings.from_env(data_dir=str(data), sources=str(sources))
    data.mkdir()
    cat = Catalogue(settings.catalogue_url)
    cat.create_all()
    cat.sync_sources(load_sources(sources))
    cat.close()
    backend = EmbeddedBackend(settings.index_dir)
    backend.rebuild(Resource(
        id=f"r{i}", title=title, url=f"https://city.example/{i}", language="en",
        summary=title, body=f"{title}. The city publishes how textile, food and procurement "
                            "become circular.", type="guide",
        places=[Place(country="NL")], instances=[Instance(source_id="city",
                                                          url=f"https://city.example/{i}")])
        for i, title in enumerate(TITLES))
    backend.close()
    return data, sources


class Portal:
    """``ccp serve --workers N`` on port 0, in its own process group."""

    def __init__(self, tmp: Path, workers: int = 2):
        data, sources = _portal_data(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
        env.update(CCP_ADMIN_USER=USER, CCP_ADMIN_PASSWORD_HASH=generate_password_hash(PASSWORD),
                   CCP_EMBEDDER="none")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ccp.cli", "--data-dir", str(data), "--sources", str(sources),
             "serve", "--port", "0", "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.first_line = ""
        for line in self.proc.stdout:
            if line.startswith("Serving"):
                self.first_line = line
                break
        assert self.first_line, "ccp serve never said where it listens"
        self.port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", self.first_line).group(1))
        deadline = time.monotonic() + 60
        while len(self.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.workers()) == workers, self.workers()

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.connect()
        return conn

    def worker_of(self, conn: http.client.HTTPConnection) -> int:
        """The worker process holding the server side of ``conn``."""
        client_port = conn.sock.getsockname()[1]
        inode = _server_socket_inode(self.port, client_port)
        for pid in self.workers():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        raise AssertionError(f"no worker holds the connection from port {client_port}")

    @contextmanager
    def only(self, pid: int):
        """Only worker ``pid`` can take new connections meanwhile (the others are stopped)."""
        others = [p for p in self.workers() if p != pid]
        for p in others:
            os.kill(p, signal.SIGSTOP)
        try:
            yield
        finally:
            for p in others:
                os.kill(p, signal.SIGCONT)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        os.killpg(self.proc.pid, sig) if sig == signal.SIGINT else self.proc.send_signal(sig)
        try:
            return self.proc.wait(60)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _server_socket_inode(server_port: int, client_port: int) -> str:
    """The inode of the established socket 127.0.0.1:server_port <- :client_port."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            local, remote, state = cols[1], cols[2], cols[3]
            if (int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port and state == "01"):
                return cols[9]
    raise AssertionError(f"no established connection from port {client_port}")


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    p = Portal(tmp_path_factory.mktemp("serve-workers"))
    yield p
    p.stop()


class Client:
    """Requests on fresh connections, each answered by a chosen worker; keeps cookies."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self.cookies: dict[str, str] = {}

    def request(self, pid: int, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # the others stay stopped until the answer is read: the connection waits in the
        # shared socket's queue until a worker accepts it, and only ``pid`` can
        with self.portal.only(pid):
            conn = self.portal.connect()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.text = resp.read().decode("utf-8")
                resp.worker = self.portal.worker_of(conn)
            finally:
                conn.close()
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        return resp


def _csrf(html: str) -> str:
    return lxml.html.fromstring(html).cssselect('input[name="csrf_token"]')[0].get("value")


def test_two_worker_processes_answer_searches(portal):
    first, second = portal.workers()
    assert first != second and portal.proc.pid not in (first, second)
    assert "with 2 worker processes" in portal.first_line
    client = Client(portal)
    api = client.request(first, "GET", "/api/search?q=textile")
    page = client.request(second, "GET", "/search?q=food+waste")
    assert (api.status, api.worker, page.status, page.worker) == (200, first, 200, second)
    assert [r["title"] for r in json.loads(api.text)["results"]][0] == TITLES[0]
    assert TITLES[2] in page.text
    assert "The City Newsroom" in page.text  # the catalogue's source names, in a worker


def test_an_admin_session_and_its_csrf_token_work_across_workers(portal):
    first, second = portal.workers()
    admin = Client(portal)
    form = admin.request(first, "GET", "/admin/login")
    assert form.status == 200 and form.worker == first
    login = admin.request(second, "POST", "/admin/login",
                          {"username": USER, "password": PASSWORD, "csrf_token": _csrf(form.text)})
    assert login.status == 303 and login.worker == second, login.text
    sources = admin.request(first, "GET", "/admin/")
    if sources.status in (301, 302, 303):
        sources = admin.request(first, "GET", sources.headers["Location"])
    assert sources.status == 200 and "The City Newsroom" in sources.text
    token = _csrf(sources.text)
    forged = admin.request(second, "POST", "/admin/sources/city/enabled",
                           {"enabled": "0", "csrf_token": token[::-1]})
    assert forged.status == 400  # the token is checked: a wrong one is refused
    logout = admin.request(second, "POST", "/admin/logout", {"csrf_token": token})
    assert logout.status == 303 and logout.worker == second
    after = admin.request(first, "GET", "/admin/")
    assert after.status in (302, 303) and "/admin/login" in after.headers["Location"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stopping_the_server_stops_every_worker(tmp_path, sig):
    p = Portal(tmp_path)
    workers = p.workers()
    assert len(workers) == 2 and all(_alive(w) for w in workers)
    code = p.stop(sig)
    assert code == 0
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)]
