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

SOURCES = [
    ("amsterdam", "Gemeente Amsterdam", "NL"),
    ("urbact", "URBACT", "EU"),
    ("ecesp", "European Circular Economy Stakeholder Platform", "EU"),
    ("paris", "Ville de Paris", "FR"),
    ("berlin", "Berlin.de", "DE"),
    ("milano", "Comune di Milano", "IT"),
]

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


def sample_resources() -> list[Resource]:
    """Thirteen live resources in seven languages (one an XSS attempt) and one that is gone."""
    # A harvested page that tries to inject script through its title, summary, body and URL.
    xss = _res("https://evil.example/xss", XSS_TITLE, "en", "news", utc(2020, 1, 1),
               summary="<b onmouseover=alert(2)>circular</b> summary",
               body="Circular <img src=x onerror=alert(1)> economy attack text.",
               places=(("EU", None),), instances=(("ecesp", XSS_URL, "live"),))
    xss.url = XSS_URL
    return [xss,
        _res("https://www.amsterdam.nl/circulaire-strategie", "Amsterdam Circulair 2020-2025 Strategie",
             "nl", "strategy", utc(2020, 4, 1),
             summary="De strategie van Amsterdam voor een circulaire economie.",
             body="Amsterdam wil in 2050 volledig circulair zijn.\n\nDe bouw, de voedselketen en "
                  "consumptiegoederen zijn de drie ketens waar de stad begint.",
             themes=("construction", "food"), places=(("NL", "Amsterdam"),), format_="pdf",
             publisher="Gemeente Amsterdam", authors=("Afdeling Duurzaamheid",), licence="CC BY 4.0",
             instances=(("amsterdam", "https://www.amsterdam.nl/circulaire-strategie", "live"),
                        ("urbact", "https://urbact.eu/amsterdam-circular-strategy", "live"),
                        ("ecesp", "https://circulareconomy.europa.eu/platform/amsterdam", "gone"))),
        _res("https://www.amsterdam.nl/circulair-inkopen", "Handreiking circulair inkopen voor gemeenten",
             "nl", "guide", utc(2023, 2, 10),
             body="Circulair inkopen helpt gemeenten om grondstoffen te besparen en hergebruik te belonen.",
             themes=("procurement",), places=(("NL", "Amsterdam"),),
             instances=(("amsterdam", "https://www.amsterdam.nl/circulair-inkopen", "live"),)),
        _res("https://www.paris.fr/economie-circulaire", "Plan économie circulaire de Paris",
             "fr", "strategy", utc(2017, 7, 1),
             body="Paris s'engage pour une économie circulaire : réduire les déchets, réemployer, recycler.",
             themes=("waste",), places=(("FR", "Paris"),),
             instances=(("paris", "https://www.paris.fr/economie-circulaire", "live"),)),
        _res("https://urbact.eu/lyon-reemploi", "Réemploi des matériaux de construction à Lyon",
             "fr", "good-practice", utc(2024, 6, 1),
             body="À Lyon, le réemploi des matériaux de construction réduit les déchets du bâtiment.",
             themes=("construction",), places=(("FR", "Lyon"),),
             instances=(("urbact", "https://urbact.eu/lyon-reemploi", "live"),)),
        _res("https://www.berlin.de/zero-waste", "Zero-Waste-Strategie Berlin",
             "de", "strategy", utc(2021, 11, 15),
             body="Berlin setzt auf Kreislaufwirtschaft und Abfallvermeidung in allen Bezirken.",
             themes=("waste",), places=(("DE", "Berlin"),),
             instances=(("berlin", "https://www.berlin.de/zero-waste", "live"),)),
        _res("https://circulareconomy.europa.eu/bau-studie", "Kreislaufwirtschaft in der Bauwirtschaft",
             "de", "report", utc(2019, 5, 20), format_="pdf",
             body="Die Studie untersucht die Kreislaufwirtschaft im Bausektor deutscher Städte.",
             themes=("construction",), places=(("DE", None),),
             instances=(("ecesp", "https://circulareconomy.europa.eu/bau-studie", "live"),)),
        _res("https://urbact.eu/circular-procurement-guide", "Circular procurement guide for cities",
             "en", "guide", utc(2022, 9, 1),
             body="A practical guide to circular procurement for city officers and planners.",
             themes=("procurement",), places=(("EU", None),),
             instances=(("urbact", "https://urbact.eu/circular-procurement-guide", "live"),
                        ("ecesp", "https://circulareconomy.europa.eu/procurement-guide", "live"))),
        _res("https://circulareconomy.europa.eu/monitoring", "Circular economy monitoring framework",
             "en", "report", utc(2024, 1, 15), format_="pdf",
             body="Indicators to monitor the circular economy transition of European cities.",
             themes=("governance",), places=(("EU", None),),
             instances=(("ecesp", "https://circulareconomy.europa.eu/monitoring", "live"),)),
        _res("https://urbact.eu/ghent-repair-cafes", "Repair cafés in Ghent",
             "en", "good-practice", utc(2018, 3, 3),
             body="Ghent supports repair cafés where residents repair instead of throwing away.",
             themes=("waste",), places=(("BE", "Ghent"),),
             instances=(("urbact", "https://urbact.eu/ghent-repair-cafes", "live"),)),
        _res("https://www.comune.milano.it/economia-circolare", "Milano: strategia per l'economia circolare",
             "it", "strategy", utc(2023, 3, 20),
             body="Milano promuove l'economia circolare nel sistema alimentare urbano.",
             themes=("food",), places=(("IT", "Milano"),),
             instances=(("milano", "https://www.comune.milano.it/economia-circolare", "live"),)),
        _res("https://urbact.eu/sevilla-agua", "Economía circular en Sevilla: reutilización del agua",
             "es", "good-practice", utc(2022, 12, 5),
             body="Sevilla reutiliza el agua regenerada en parques: economía circular del agua.",
             themes=("water",), places=(("ES", "Sevilla"),),
             instances=(("urbact", "https://urbact.eu/sevilla-agua", "live"),)),
        _res("https://circulareconomy.europa.eu/gozamiasta", "Gospodarka o obiegu zamkniętym w miastach",
             "pl", "report", utc(2021, 6, 30),
             body="Raport o gospodarce o obiegu zamkniętym w polskich miastach.",
             themes=("governance",), places=(("PL", None),),
             instances=(("ecesp", "https://circulareconomy.europa.eu/gozamiasta", "live"),)),
        _res("https://old.example/leaflet", "Old circular economy leaflet", "en", "other",
             utc(2015, 5, 5), body="An old leaflet about the circular economy.",
             instances=(("ecesp", "https://old.example/leaflet", "gone"),)),
    ]


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
        for sid, name, country in SOURCES
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
