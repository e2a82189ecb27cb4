"""Support for the web UI tests: a small real portal, a real HTTP server, a real browser.

- :func:`build_portal` fills a data directory with a real catalogue and a real embedded index
  (resources in several languages, inserted with ``put_resource`` and indexed with ``drain``).
- :func:`serve_app` serves a Flask app with waitress on 127.0.0.1, port 0, in a thread.
- :func:`chromium` launches Debian's chromium through Playwright. Without ``/usr/bin/chromium``
  (or Playwright) the test is skipped locally but fails when ``CI=true``: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from werkzeug.security import generate_password_hash

from config.loader import load_sources
from config.models import FeedSource
from config.settings import Settings
from indexer.backends.embedded import EmbeddedBackend
from indexer.catalogue import Catalogue
from indexer.indexing import drain
from indexer.resource import Instance, Place, Resource, resource_id_for

# The admin account of the admin tests (a cheap hash: tests log in many times).
ADMIN_USER = "ops"
ADMIN_PASSWORD = "correct horse battery staple"
ADMIN_FAST_HASH = generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:1000")


def synced_catalogue(settings: Settings) -> Iterator[Catalogue]:
    """A fixture body: the settings' catalogue, created, with their sources; closed after."""
    cat = Catalogue(settings.catalogue_url)
    cat.create_all()
    cat.sync_sources(load_sources(settings.sources))
    yield cat
    cat.close()


def make_admin_app(settings: Settings, catalogue: Catalogue, **config):
    """The portal app with the admin account above (``config`` adds or overrides settings)."""
    from search_ui import create_app

    base = {"TESTING": True, "CCP_ADMIN_USER": ADMIN_USER, "CCP_ADMIN_PASSWORD_HASH": ADMIN_FAST_HASH}
    base.update(config)
    return create_app(base, settings=settings, catalogue=catalogue)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

SOURCES = {  # id: (name, country)
    "amsterdam": ("Gemeente Amsterdam", "NL"),
    "urbact": ("URBACT", "EU"),
    "ecesp": ("European Circular Economy Stakeholder Platform", "EU"),
    "paris": ("Ville de Paris", "FR"),
    "berlin": ("Berlin.de", "DE"),
    "milano": ("Comune di Milano", "IT"),
}

XSS_TITLE = "<script>alert(1)</script> Circular hack"
XSS_URL = "javascript:alert(document.cookie)"


def utc(y: int, m: int = 1, d: int = 1) -> datetime:
    return datetime(y, m, d, tzinfo=timezone.utc)


def _res(
    url: str,
    title: str,
    language: str,
    type_: str,
    published: datetime,
    *,
    body: str,
    summary: str = "",
    themes: tuple[str, ...] = (),
    places: tuple[tuple[str, str | None], ...] = (),
    instances: tuple[tuple[str, str, str], ...] = (),  # (source, url, status)
    format_: str = "html",
    publisher: str | None = None,
    authors: tuple[str, ...] = (),
    licence: str | None = None,
) -> Resource:
    insts = [
        Instance(source_id=s, url=u, first_seen=utc(2024, 1, 1 + n), last_seen=utc(2024, 6, 1 + n),
                 status=status)
        for n, (s, u, status) in enumerate(instances)
    ]
    return Resource(
        id=resource_id_for(url), title=title, url=url, summary=summary, body=body,
        instances=insts, publisher=publisher, authors=list(authors), published=published,
        language=language, type=type_, themes=list(themes),
        places=[Place(country=c, city=city) for c, city in places], format=format_,
        licence=licence, harvested_at=utc(2024, 7, 1),
    )


_RESOURCES_FILE = Path(__file__).with_name("browser_resources.yaml")


def sample_resources() -> list[Resource]:
    """Thirteen live resources in seven languages (one an XSS attempt) and one that is gone.

    The resources are data (``browser_resources.yaml`` beside this module); each call builds
    fresh ones, so a test may change its own copy.
    """
    resources = []
    for entry in yaml.safe_load(_RESOURCES_FILE.read_text(encoding="utf-8")):
        args = dict(entry)
        when = args.pop("published")
        args["type_"], args["format_"] = args.pop("type"), args.pop("format", "html")
        for name in ("themes", "places", "instances", "authors"):
            args[name] = tuple(tuple(v) if isinstance(v, list) else v for v in args.get(name, ()))
        resources.append(_res(published=utc(when.year, when.month, when.day), **args))
    for r in resources:  # the harvested page that tries to inject script has a javascript: URL
        if r.title == XSS_TITLE:
            r.url = XSS_URL
    return resources


@dataclass
class Portal:
    settings: Settings
    catalogue: Catalogue
    backend: EmbeddedBackend
    resources: list[Resource] = field(default_factory=list)

    @property
    def live(self) -> list[Resource]:
        return [r for r in self.resources if r.live_instances]

    def by_title(self, title: str) -> Resource:
        return next(r for r in self.resources if r.title == title)

    def close(self) -> None:
        self.backend.close()
        self.catalogue.close()


def build_portal(data_dir: Path, resources: list[Resource] | None = None) -> Portal:
    """A data directory with a real catalogue and a real embedded index of ``resources``."""
    settings = Settings.from_env({}, data_dir=data_dir)
    catalogue = Catalogue(settings.catalogue_url)
    catalogue.create_all()
    catalogue.sync_sources(
        FeedSource(id=sid, name=name, type="feed", url=f"https://{sid}.example/feed.xml", country=country)
        for sid, (name, country) in SOURCES.items()
    )
    resources = sample_resources() if resources is None else resources
    for r in resources:
        catalogue.put_resource(r)
    backend = EmbeddedBackend(settings.index_dir)
    result = drain(catalogue, backend, raise_errors=True)
    assert result.applied == len(resources)
    return Portal(settings, catalogue, backend, resources)


# -- a real HTTP server --------------------------------------------------------------------------
@contextmanager
def serve_app(app, threads: int = 4) -> Iterator[str]:
    """Serve ``app`` with waitress on 127.0.0.1:<free port>; yields the base URL."""
    from search_ui.wsgi import make_server

    server = make_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        for dispatcher in list(server._map.values()):  # the listener, its trigger, open channels
            dispatcher.close()
        thread.join(timeout=5)


# -- a real browser --------------------------------------------------------------------------------
def require_chromium() -> None:
    """Skip (locally) or fail (CI=true) when the browser cannot be driven."""
    problem = None
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problem = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian chromium driven by Playwright (no browser download needed)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
