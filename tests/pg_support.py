"""The PostgreSQL test server: a fresh database for each test that asks for one.

CI starts Debian's PostgreSQL and names it in ``CCP_TEST_DATABASE_URL``; without it the
PostgreSQL variants of the tests are skipped, except under CI, where they must run.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

PG_URL = os.environ.get("CCP_TEST_DATABASE_URL")


def require_pg() -> str:
    """The test server's URL; skips the test without one (fails it under CI)."""
    if not PG_URL:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must run the PostgreSQL tests: set CCP_TEST_DATABASE_URL")
        pytest.skip("no PostgreSQL: set CCP_TEST_DATABASE_URL to run this on it")
    return PG_URL


def create_pg_database(base_url: str) -> str:
    """A fresh, empty database on the server of ``base_url``; its URL."""
    name = f"ccp_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(base_url: str, url: str) -> None:
    """Drop the database of ``url``, closing its connections. An autovacuum worker that has
    just started on it cannot be closed by the tests' unprivileged role: wait for it."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(40):
            try:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except ProgrammingError as exc:  # "must be a member of the role whose process…"
                if "must be a member of the role" not in str(exc) or attempt == 39:
                    raise
                time.sleep(0.25)
    finally:
        admin.dispose()


@contextmanager
def pg_database(base_url: str | None = None) -> Iterator[str]:
    """A fresh database on the test server (``base_url``, else the configured one), dropped
    afterwards."""
    base = base_url or require_pg()
    url = create_pg_database(base)
    try:
        yield url
    finally:
        drop_pg_database(base, url)


@contextmanager
def database(kind: str) -> Iterator[str | None]:
    """None for ``"sqlite"`` (the settings' default file), else the URL of a fresh PostgreSQL
    database dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    with pg_database() as url:
        yield url
