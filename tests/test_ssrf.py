"""Server-side request forgery: only http(s), and only addresses the policy allows.

The policy (config.netpolicy) is checked as a table; the guard (harvesters.netguard) over real
HTTP: a feed on an allowed host (127.0.0.1) whose entries link or redirect to a host outside the
allowance (127.0.0.2: on Linux all of 127.0.0.0/8 is loopback, so "internal" is simply outside
CCP_ALLOWED_PRIVATE_ADDRESSES), to file: and to ftp: — the good entries are stored, the internal
server never sees a request, every refusal is in the run report by URL with the setting named.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from config.netpolicy import SETTING, check_url, parse_allowance, refusal
from indexer.backends import get_backend
from indexer.catalogue import Catalogue
from indexer.query import SearchQuery

from .conftest import harvest, make_settings, write_sources


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


IPV6 = _ipv6_loopback()


# -- the policy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.0.0.1", "private"),
    ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("169.254.169.254", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"), ("0.0.0.0", "unspecified"), ("224.0.0.251", "multicast"),
    ("255.255.255.255", "broadcast"), ("240.0.0.1", "reserved"), ("192.0.2.10", "not a public"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"),
    ("fd12:3456::1", "unique-local"), ("fc00::1", "unique-local"), ("ff02::1", "multicast"),
    ("2001:db8::1", "not a public"),
    ("::ffff:127.0.0.1", "IPv6 form of 127.0.0.1, a loopback"),
    ("::ffff:169.254.169.254", "IPv6 form of 169.254.169.254, a link-local"),
    ("::ffff:10.1.2.3", "IPv6 form of 10.1.2.3, a private"),
    ("::127.0.0.1", "IPv6 form of 127.0.0.1"),  # deprecated IPv4-compatible form
    ("2002:7f00:1::1", "IPv6 form of 127.0.0.1"),  # 6to4 carrying a loopback address
    ("2002:a00:1::1", "IPv6 form of 10.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "IPv6 form of 169.254.169.254"),  # NAT64
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
])
def test_non_public_addresses_are_refused_naming_what_they_are_and_the_setting(address, kind):
    why = refusal(address, "")
    assert why is not None, address
    assert kind in why and SETTING in why


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111",
                                     "::ffff:8.8.8.8", "2002:808:808::1"])
def test_public_addresses_are_allowed(address):
    assert refusal(address, "") is None


@pytest.mark.parametrize("allowance, address, allowed", [
    ("10.0.0.0/8", "10.20.30.40", True),
    ("10.0.0.0/8", "192.168.1.1", False),
    ("127.0.0.1/32", "127.0.0.1", True),
    ("127.0.0.1/32", "127.0.0.2", False),
    ("127.0.0.1", "127.0.0.1", True),  # a single address
    ("127.0.0.0/8, ::1", "::1", True),
    ("127.0.0.0/8", "::1", False),
    ("127.0.0.0/8", "::ffff:127.0.0.1", True),  # the IPv4 address it stands for is allowed
    ("fd00::/8", "fd00::5", True),
    ("fd00::/8", "fe80::5", False),
    ("[::1]", "::1", True),
    ("", "10.0.0.1", False),
])
def test_the_allowance_lets_through_exactly_its_ranges(allowance, address, allowed):
    assert (refusal(address, allowance) is None) is allowed


def test_the_allowance_is_parsed_and_a_bad_entry_is_named():
    nets = parse_allowance(" 10.0.0.0/8 ,192.168.1.5,,fd00::/8, 10.1.2.3/8 ")
    assert [str(n) for n in nets] == ["10.0.0.0/8", "192.168.1.5/32", "fd00::/8", "10.0.0.0/8"]
    assert parse_allowance("") == () and parse_allowance(None) == ()
    for bad in ("10.0.0.0/33", "localhost", "10.0.0.0/8;192.168.0.0/16", "fd00::/129"):
        with pytest.raises(ValueError) as err:
            parse_allowance(f"127.0.0.1,{bad}")
        text = str(err.value)
        assert SETTING in text and repr(bad) in text and "\n" not in text


@pytest.mark.parametrize("url, address", [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://10.0.0.1/", "10.0.0.1 is a private address"),
    ("http://localhost:8080/", "is a loopback address"),
    ("http://[::1]:8080/", "::1 is a loopback address"),
    ("http://0x7f000001/", "127.0.0.1 is a loopback address"),
    ("http://2130706433/", "127.0.0.1 is a loopback address"),
    ("http://017700000001/", "127.0.0.1 is a loopback address"),
    ("http://127.1/", "127.0.0.1 is a loopback address"),
    ("https://[::ffff:127.0.0.1]/", "IPv6 form of 127.0.0.1"),
])
def test_check_url_resolves_the_host_and_names_the_url_the_address_and_the_setting(url, address):
    message = check_url(url, "")
    assert message is not None, url
    assert message.startswith(f"{url}: refused: ")
    assert address in message and message.endswith(f"allow it with {SETTING}")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "data:,hello",
                                 "s3://bucket/key", "gopher://127.0.0.1:70/", "example.org/feed"])
def test_check_url_refuses_every_scheme_but_http_and_https(url):
    message = check_url(url, "0.0.0.0/0,::/0")
    assert message is not None and message.startswith(f"{url}: refused: ")
    assert "only http and https" in message


def test_check_url_allows_the_allowance_and_public_literals():
    assert check_url("http://127.0.0.1:9/", "127.0.0.0/8") is None
    assert check_url("http://localhost:9/", "127.0.0.0/8,::1") is None
    assert check_url("https://93.184.215.14/", "") is None
    assert check_url("http://[2606:4700:4700::1111]/", "") is None


# -- fixture servers with a request log ------------------------------------------------------------
class _Server:
    """A tiny HTTP server on ``host`` (port 0) that answers from ``routes`` and logs paths."""

    def __init__(self, host: str, routes: dict[str, tuple[int, dict[str, str], bytes]]):
        self.routes = routes
        self.log: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.log.append(self.path)
                status, headers, body = outer.routes.get(
                    self.path, (404, {"Content-Type": "text/plain"}, b"not found"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
            daemon_threads = True

        self.httpd = Server((host, 0), Handler)
        port = self.httpd.server_address[1]
        self.base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self.port = port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Listener:
    """A TCP port that only counts the connections made to it (stands in for an FTP server)."""

    def __init__(self, host: str):
        self.sock = socket.socket(socket.AF_INET)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


def _page(title: str, words: str) -> bytes:
    body = " ".join([words] * 40)
    return (f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
            f"<article><h1>{title}</h1><p>{body}</p></article></body></html>").encode()


def _rss(base: str, links: list[str]) -> bytes:
    when = format_datetime(datetime(2024, 5, 1, tzinfo=timezone.utc))
    items = "".join(
        f"<item><title>Entry {i}</title><link>{link.replace('&', '&amp;')}</link>"
        f"<guid>{base}/guid/{i}</guid><pubDate>{when}</pubDate></item>"
        for i, link in enumerate(links))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Mixed feed</title>"
            f"<link>{base}/</link><description>d</description>{items}</channel></rss>").encode()


HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A feed on 127.0.0.1 (allowed) whose entries reach for 127.0.0.2 (not allowed), file:
    and ftp:; harvested once with CCP_ALLOWED_PRIVATE_ADDRESSES=127.0.0.1/32."""
    tmp = tmp_path_factory.mktemp("ssrf")
    secret_file = tmp / "secret.txt"
    secret_file.write_text("lanthanum-file-marker " * 50, encoding="utf-8")
    secret = _page("Internal admin page", "zirconium internal marker")
    internal_routes = {p: (200, HTML, secret) for p in
                       ("/secret", "/direct", "/numeric", "/hex", "/robots.txt")}
    with _Server("127.0.0.2", internal_routes) as internal, _Listener("127.0.0.2") as ftp, \
            _Server("127.0.0.1", {}) as public:
        i = internal.port
        public.routes.update({
            "/good-1": (200, HTML, _page("Textile reuse in Prato", "textile reuse circular")),
            "/good-2": (200, HTML, _page("Food waste in Oslo", "food waste compost circular")),
            "/to-internal": (302, {"Location": f"http://127.0.0.2:{i}/secret"}, b""),
            "/to-numeric": (302, {"Location": f"http://2130706434:{i}/numeric"}, b""),
            "/to-file": (302, {"Location": secret_file.as_uri()}, b""),
            "/to-ftp": (301, {"Location": f"ftp://127.0.0.2:{ftp.port}/pub/x"}, b""),
        })
        links = [f"{public.base}/good-1", f"{public.base}/to-internal",
                 f"http://127.0.0.2:{i}/direct", f"{public.base}/to-numeric",
                 f"http://0x7f000002:{i}/hex", f"{public.base}/to-file", f"{public.base}/to-ftp",
                 secret_file.as_uri(), f"ftp://127.0.0.2:{ftp.port}/pub/y",
                 f"{public.base}/good-2"]
        public.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"},
                                      _rss(public.base, links))
        settings = make_settings(tmp / "data", allowed_private_addresses="127.0.0.1/32")
        write_sources(settings.sources, [{"id": "mixed", "name": "Mixed", "type": "feed",
                                          "url": f"{public.base}/feed.xml"}])
        report = harvest(settings)
        yield {"report": report, "settings": settings, "internal": list(internal.log),
               "ftp": ftp.connections, "public": list(public.log), "base": public.base,
               "internal_base": internal.base, "ftp_port": ftp.port, "file": secret_file}


def _errors(report):
    return {e.url: e for s in report.sources for e in s.errors}


def test_good_entries_are_stored_and_searchable_beside_refused_ones(hostile):
    cat = Catalogue(hostile["settings"].catalogue_url)
    try:
        urls = sorted(r.url for r in cat.iter_resources())
    finally:
        cat.close()
    assert urls == [f"{hostile['base']}/good-1", f"{hostile['base']}/good-2"]
    backend = get_backend(hostile["settings"])
    assert backend.search(SearchQuery(text="textile")).total == 1
    assert backend.search(SearchQuery(text="zirconium")).total == 0
    assert backend.search(SearchQuery(text="lanthanum")).total == 0


def test_the_internal_host_and_the_ftp_port_are_never_contacted(hostile):
    assert hostile["internal"] == []
    assert hostile["ftp"] == 0
    assert "/to-internal" in hostile["public"] and "/to-file" in hostile["public"]


@pytest.mark.parametrize("entry, target", [
    ("{base}/to-internal", "{internal}/secret"),
    ("{internal}/direct", "{internal}/direct"),
    ("{base}/to-numeric", "http://2130706434:{iport}/numeric"),
    ("http://0x7f000002:{iport}/hex", "http://0x7f000002:{iport}/hex"),
])
def test_each_address_refusal_is_reported_by_url_with_the_setting(hostile, entry, target):
    iport = hostile["internal_base"].rsplit(":", 1)[1]
    fill = {"base": hostile["base"], "internal": hostile["internal_base"], "iport": iport}
    entry, target = entry.format(**fill), target.format(**fill)
    err = _errors(hostile["report"]).get(entry)
    assert err is not None, sorted(_errors(hostile["report"]))
    assert err.kind == "refused"
    assert err.message.startswith(f"{target}: refused: 127.0.0.2 is a loopback address")
    assert err.message.endswith(f"allow it with {SETTING}")


def test_redirects_to_file_and_ftp_are_refused_and_nothing_is_read(hostile):
    errors = _errors(hostile["report"])
    to_file = errors[f"{hostile['base']}/to-file"]
    assert to_file.kind == "refused"
    assert to_file.message.startswith(f"{hostile['file'].as_uri()}: refused: file: is not fetched")
    to_ftp = errors[f"{hostile['base']}/to-ftp"]
    assert to_ftp.kind == "refused" and "ftp: is not fetched" in to_ftp.message


def test_file_and_ftp_links_in_the_feed_are_reported_and_never_read(hostile):
    errors = _errors(hostile["report"])  # refused by the guard, or skipped by the spider
    assert f"ftp://127.0.0.2:{hostile['ftp_port']}/pub/y" in errors, sorted(errors)
    # the link as the feed gave it, or as the spider canonicalised it (file://tmp/…)
    assert [u for u in errors if u.startswith("file:") and u.endswith("/secret.txt")], \
        sorted(errors)


def test_the_source_itself_ran_and_counts_the_refusals_as_failures(hostile):
    (source,) = hostile["report"].sources
    assert source.added == 2
    assert source.failed >= 6


def _harvest_one_feed(tmp_path, host: str, allowance: str, url_for):
    """Harvest one feed source served on ``host`` (its URL is ``url_for(server)``) with
    ``allowed_private_addresses=allowance``: (report, the feed's URL, what the server was asked)."""
    with _Server(host, {"/feed.xml": (200, {"Content-Type": "application/rss+xml"},
                                      _rss("http://x", []))}) as server:
        settings = make_settings(tmp_path / "data", allowed_private_addresses=allowance)
        url = url_for(server)
        write_sources(settings.sources, [{"id": "feed", "name": "Feed", "type": "feed",
                                          "url": url}])
        return harvest(settings), url, server.log


def test_a_configured_source_outside_the_allowance_fails_naming_url_and_setting(tmp_path):
    report, url, asked = _harvest_one_feed(tmp_path, "127.0.0.2", "",
                                           lambda server: f"{server.base}/feed.xml")
    assert asked == []
    (source,) = report.sources
    assert source.status == "failed" and not report.ok
    (err,) = [e for e in source.errors if e.url == url]
    assert err.kind == "refused" and SETTING in err.message and url in err.message


def test_a_host_name_resolving_outside_the_allowance_is_refused_at_connection_time(tmp_path):
    """'localhost' is a name (not a literal): the resolver's answer is what gets checked."""
    report, url, asked = _harvest_one_feed(
        tmp_path, "127.0.0.1", "10.0.0.0/8", lambda server: f"http://localhost:{server.port}/feed.xml")
    assert asked == []
    (err,) = [e for e in report.sources[0].errors if e.url == url]
    assert err.kind == "refused" and "is a loopback address" in err.message, err.message


# -- IPv6 ---------------------------------------------------------------------------------------
@pytest.mark.skipif(not IPV6, reason="this machine cannot bind ::1")
def test_an_ipv6_literal_is_fetched_when_allowed_and_refused_when_not(tmp_path):
    page = _page("Circular construction in Kaunas", "construction reuse circular")
    with _Server("::1", {"/a": (200, HTML, page)}) as v6:
        feed = _rss(v6.base, [f"{v6.base}/a"])
        v6.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed)
        url = f"{v6.base}/feed.xml"
        allowed = make_settings(tmp_path / "allowed", allowed_private_addresses="::1")
        write_sources(allowed.sources, [{"id": "v6", "name": "V6", "type": "feed", "url": url}])
        report = harvest(allowed)
        assert report.ok, [(e.url, e.message) for s in report.sources for e in s.errors]
        assert report.sources[0].added == 1
        assert "/a" in v6.log
        v6.log.clear()
        refused = make_settings(tmp_path / "refused", allowed_private_addresses="127.0.0.0/8")
        write_sources(refused.sources, [{"id": "v6", "name": "V6", "type": "feed", "url": url}])
        second = harvest(refused)
        assert v6.log == []
    (err,) = second.sources[0].errors
    assert err.kind == "refused" and "::1 is a loopback address" in err.message



# -- refused up front: discovery, `ccp sources add`, the admin's "Add a source" -----------------
@pytest.fixture(scope="module")
def listeners():
    """Servers on 127.0.0.1 and ::1 (when it can be bound): the loopback forms below point at
    them, so a request that slipped through would be in their logs."""
    v4 = _Server("127.0.0.1", {"/": (200, HTML, _page("Home", "home"))})
    v6 = _Server("::1", {"/": (200, HTML, _page("Home", "home"))}) if IPV6 else None
    with v4:
        if v6:
            with v6:
                yield v4, v6
        else:
            yield v4, None


@pytest.fixture()
def quiet(listeners):
    """The loopback listeners with empty logs; after the test, nothing must have reached them."""
    for server in listeners:
        if server:
            server.log.clear()
    yield listeners


def _refused_urls(v4: _Server, v6: _Server | None) -> list[tuple[str, str]]:
    p = v4.port
    out = [("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local"),
           ("http://10.0.0.1/", "10.0.0.1 is a private address"),
           (f"http://localhost:{p}/", "is a loopback address"),
           (f"http://0x7f000001:{p}/", "127.0.0.1 is a loopback address"),
           (f"http://2130706433:{p}/", "127.0.0.1 is a loopback address"),
           (f"http://[::ffff:127.0.0.1]:{p}/", "IPv6 form of 127.0.0.1")]
    out.append((f"http://[::1]:{v6.port if v6 else p}/", "::1 is a loopback address"))
    return out


def test_discovery_refuses_before_any_request(quiet, tmp_path):
    from harvesters.discover import discover

    settings = make_settings(tmp_path, allowed_private_addresses="")
    for url, address in _refused_urls(*quiet):
        with pytest.raises(ValueError) as err:
            discover(settings, url)
        assert str(err.value).startswith(f"{url}: refused: ") and address in str(err.value)
        assert SETTING in str(err.value)


def test_sources_add_refuses_internal_urls_naming_url_and_setting(quiet, tmp_path):
    from click.testing import CliRunner

    from ccp.cli import main

    sources = tmp_path / "sources"
    sources.mkdir()
    env = {k: None for k in os.environ if k.startswith("CCP_")}
    env.update({"CCP_DATA_DIR": str(tmp_path / "data"), "CCP_SOURCES": str(sources)})
    for url, address in _refused_urls(*quiet):
        result = CliRunner().invoke(main, ["sources", "add", url, "--yes"], env=env)
        assert result.exit_code == 2, (url, result.output)
        assert f"{url}: refused: " in result.stderr and address in result.stderr
        assert SETTING in result.stderr
    assert list(sources.iterdir()) == []


def test_sources_check_refuses_internal_urls_naming_url_and_setting(quiet, tmp_path):
    """`ccp sources check` (without --online) refuses a source file whose URL the harvester
    would refuse, with the same message, and fetches nothing."""
    from click.testing import CliRunner

    from ccp.cli import main

    env = {k: None for k in os.environ if k.startswith("CCP_")}
    env.update({"CCP_DATA_DIR": str(tmp_path / "data")})
    for i, (url, address) in enumerate(_refused_urls(*quiet)):
        f = tmp_path / f"internal-{i}.yaml"
        f.write_text(f"id: internal-{i}\nname: Internal\ntype: feed\nurl: '{url}'\n")
        result = CliRunner().invoke(main, ["sources", "check", str(f)], env=env)
        assert result.exit_code == 2, (url, result.output)
        # the source file's URL as the portal reads it (0x7f000001 is read as 127.0.0.1)
        assert f"internal-{i}: http" in result.stderr and ": refused: " in result.stderr
        assert address in result.stderr
        assert SETTING in result.stderr
    assert all(not server.log for server in quiet if server)  # nothing was fetched


def test_sources_add_follows_the_allowance(listeners, tmp_path):
    """With the address allowed, the same command looks at the page (it gets a request)."""
    from click.testing import CliRunner

    from ccp.cli import main

    v4, _ = listeners
    env = {k: None for k in os.environ if k.startswith("CCP_")}
    env.update({"CCP_DATA_DIR": str(tmp_path / "data"), "CCP_SOURCES": str(tmp_path / "src"),
                "CCP_ALLOWED_PRIVATE_ADDRESSES": "127.0.0.1/32", "CCP_RETRY_TIMES": "0"})
    before = len(v4.log)
    result = CliRunner().invoke(main, ["sources", "add", f"{v4.base}/", "--choice", "1",
                                       "--items", "1"], env=env, input="n\n")
    assert "refused" not in result.output, result.output
    assert len(v4.log) > before


@pytest.fixture()
def admin_client(tmp_path):
    from search_ui import create_app

    from .test_admin import FAST_HASH, USER, csrf_from, login

    def make(allowance: str):
        settings = make_settings(tmp_path / "data", tmp_path / "sources",
                                 allowed_private_addresses=allowance)
        settings.sources.mkdir(parents=True, exist_ok=True)
        cat = Catalogue(settings.catalogue_url)
        cat.create_all()
        app = create_app({"TESTING": True, "CCP_ADMIN_USER": USER,
                          "CCP_ADMIN_PASSWORD_HASH": FAST_HASH},
                         settings=settings, catalogue=cat)
        client = app.test_client()
        assert login(client).status_code == 303
        made.append(cat)
        return client, csrf_from(client.get("/admin/sources/new")), cat

    made: list[Catalogue] = []
    yield make
    for cat in made:
        cat.close()


def _form(token: str, url: str) -> dict[str, str]:
    return {"csrf_token": token, "url": url, "id": "", "name": "", "publisher": "",
            "country": "", "city": "", "language": ""}


def test_the_admin_add_source_form_refuses_internal_urls_without_a_request(quiet,
                                                                          admin_client):
    from .test_admin import page

    client, token, cat = admin_client("")
    for url, address in _refused_urls(*quiet):
        resp = client.post("/admin/sources/new", data=_form(token, url))
        assert resp.status_code == 400, url
        error = " ".join(page(resp).cssselect("#url-error")[0].text_content().split())
        said = re.search(rf"{re.escape(url)}: refused: it leads to ([0-9a-f.:]+), a private "
                         "or local address", error)
        assert said, error
        assert not address[0].isdigit() or said.group(1) == address.split(" is ")[0]
        assert SETTING in error
    url, address = _refused_urls(*quiet)[0]  # said in the interface's language too
    resp = client.post("/lt/admin/sources/new", data=_form(token, url))
    error = " ".join(page(resp).cssselect("#url-error")[0].text_content().split())
    assert resp.status_code == 400 and f"{url}: atmesta: " in error
    assert address.split(" is ")[0] in error
    assert "privatus arba vietinis adresas" in error and SETTING in error
    assert cat.tasks() == []  # no discovery queued


def test_the_admin_form_queues_an_allowed_address_and_says_why_a_malformed_one_is_wrong(
        listeners, admin_client):
    from .test_admin import page

    v4, _ = listeners
    client, token, cat = admin_client("127.0.0.1/32")
    resp = client.post("/admin/sources/new", data=_form(token, "http://[::1"))
    assert resp.status_code == 400
    assert "http://" in page(resp).cssselect("#url-error")[0].text_content()
    resp = client.post("/admin/sources/new", data=_form(token, f"{v4.base}/"))
    assert resp.status_code == 303
    assert [t["args"]["url"] for t in cat.tasks()] == [f"{v4.base}/"]


def test_what_discovery_finds_on_an_allowed_page_is_guarded_too(tmp_path):
    """An allowed page whose feed link and robots.txt sitemap point outside the allowance:
    discovery reports both refusals and never contacts the internal host."""
    from harvesters.discover import discover

    internal_routes = {p: (200, {"Content-Type": "application/rss+xml"}, _rss("http://x", []))
                       for p in ("/feed.xml", "/sitemap.xml")}
    with _Server("127.0.0.2", internal_routes) as internal, _Server("127.0.0.1", {}) as public:
        feed, sitemap = f"{internal.base}/feed.xml", f"{internal.base}/sitemap.xml"
        home = (f"<html><head><title>Home</title><link rel='alternate' "
                f"type='application/rss+xml' href='{feed}'></head><body>hi</body></html>")
        public.routes.update({
            "/": (200, HTML, home.encode()),
            "/robots.txt": (200, {"Content-Type": "text/plain"}, f"Sitemap: {sitemap}\n".encode()),
        })
        settings = make_settings(tmp_path, allowed_private_addresses="127.0.0.1/32",
                                 retry_times=0)
        found = discover(settings, f"{public.base}/")
        assert internal.log == []
        assert "/" in public.log
    notes = found.notes
    for url in (feed, sitemap):
        assert [n for n in notes if f"{url}: refused: 127.0.0.2 is a loopback address" in n
                and SETTING in n], notes
    assert [c.definition["type"] for c in found.candidates] == ["crawl"]
