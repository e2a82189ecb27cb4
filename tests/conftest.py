"""Shared fixtures: the fixture web on 127.0.0.1 and harvests into temporary data dirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from ccp.fixtureweb import FixtureWeb
from config import Settings, load_sources

ROOT = Path(__file__).resolve().parent.parent

# Scrapy settings for harvesting the local fixture web quickly: no politeness delay against
# 127.0.0.1, one quick retry. Production defaults are in harvesters.http.scrapy_settings.
FAST_SCRAPY = {
    "DOWNLOAD_DELAY": 0.0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_START_DELAY": 0.01,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 8.0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CCP_RETRY_BACKOFF_BASE": 0.05,
    "CCP_RETRY_BACKOFF_MAX": 0.2,
}


def corpora_dir() -> Path | None:
    p = Path(os.environ.get("CCP_CORPORA", ROOT.parent / "shared" / "corpora"))
    return p if p.is_dir() else None


# what another process runs to hold a source's harvest lock (see source_lock_held_by)
_HOLD_LOCK = """
import sys, time
from indexer.catalogue import Catalogue
c = Catalogue(sys.argv[1]); c.create_all()
ok, note = c.acquire_source_lock(sys.argv[2], sys.argv[3], stale_after=3600)
print("locked" if ok else note, flush=True)
time.sleep(float(sys.argv[4]))
"""


@contextmanager
def source_lock_held_by(owner: str, catalogue_url: str, source_id: str, seconds: float):
    """Another process, named ``owner``, holds ``source_id``'s harvest lock in the catalogue
    at ``catalogue_url`` for at most ``seconds``; it is killed, without releasing the lock,
    when the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, catalogue_url, source_id, owner,
                               str(seconds)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def article_benchmark() -> tuple[Path, dict] | None:
    """(its folder, its ground truth by key) of the shared article-extraction benchmark, or
    None when the shared corpora do not hold it."""
    root = corpora_dir()
    bench = root / "article-extraction-benchmark" if root else None
    if bench is None or not (bench / "ground-truth.json").is_file():
        return None
    return bench, json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def web():
    with FixtureWeb() as w:
        yield w


# the fixture web listens on loopback: the tests allow it explicitly (the harvester refuses
# private and loopback addresses unless CCP_ALLOWED_PRIVATE_ADDRESSES allows them)
FIXTURE_ALLOWANCE = "127.0.0.0/8,::1"


def make_settings(data_dir: Path, sources: Path | None = None, **kw) -> Settings:
    s = Settings.from_env(environ={}, data_dir=str(data_dir),
                          sources=str(sources or data_dir / "sources"))
    s.allowed_private_addresses = kw.pop("allowed_private_addresses", FIXTURE_ALLOWANCE)
    s.download_delay = 0.0
    s.retry_times = kw.pop("retry_times", 1)
    s.download_timeout = kw.pop("download_timeout", 10.0)
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def write_sources(directory: Path, sources: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for s in sources:
        (directory / f"{s['id']}.yaml").write_text(yaml.safe_dump(s, allow_unicode=True),
                                                   encoding="utf-8")
    return directory


def harvest(settings: Settings, ids: list[str] | None = None, **kw):
    from harvesters.run import run_harvest

    srcs = load_sources(settings.sources)
    if ids is not None:
        srcs = [s for s in srcs if s.id in ids]
    return run_harvest(settings, srcs, scrapy_overrides={**FAST_SCRAPY, **kw.pop("scrapy", {})},
                       **kw)


# -- the real browser (Debian's chromium through Playwright) ----------------------------------
@pytest.fixture(scope="session")
def browser():
    from tests.browser_support import chromium

    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser):
    """A fresh page; any console error (a CSP violation, a script error) fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    yield pg
    context.close()
    assert not problems, problems


# The sample portal (tests/browser_support.py) and its app, for the test modules that use them
# (a module's own fixture of the same name wins).
@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    from tests.browser_support import build_portal

    p = build_portal(tmp_path_factory.mktemp("portal"))
    yield p
    p.close()


@pytest.fixture(scope="module")
def app(portal):
    from search_ui import create_app

    return create_app({"TESTING": True}, settings=portal.settings, catalogue=portal.catalogue,
                      backend=portal.backend)


@pytest.fixture()
def client(app):
    return app.test_client()
