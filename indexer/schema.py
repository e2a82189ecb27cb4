"""Catalogue schema migrations (Alembic), applied by ``ccp db upgrade``.

A fresh, empty database is created at the newest revision on first use (the zero-setup
default needs no extra step); a database whose schema is behind the code is refused with a
clear error until ``ccp db upgrade`` has run, so two versions of the portal never write one
catalogue with different ideas of its schema.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine


class SchemaBehind(RuntimeError):
    """The catalogue's schema is older than this version of the portal."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "indexer:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision(url: str = "sqlite://") -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, url: str) -> tuple[str | None, str]:
    """Bring the schema to the newest revision. Returns (before, after)."""
    before = current_revision(engine)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, current_revision(engine)


def ensure_schema(engine: Engine, url: str) -> None:
    """Create a fresh database; refuse one that is behind (see the module docstring).

    Safe when several processes start at once on an empty database: the creation runs under
    a lock (a file lock beside a SQLite file, a transaction-scoped advisory lock on
    PostgreSQL), and whoever comes second finds the schema made and uses it."""
    head = head_revision(url)
    if current_revision(engine) == head:
        return
    with _creation_lock(engine):
        _ensure_schema_locked(engine, url, head)


def _ensure_schema_locked(engine: Engine, url: str, head: str) -> None:
    current = current_revision(engine)
    if current == head:
        return
    if current is None:
        tables = set(inspect(engine).get_table_names())
        if not tables:
            upgrade(engine, url)
            return
        raise SchemaBehind(
            f"the catalogue at {engine.url.render_as_string(hide_password=True)} has tables "
            "but no schema revision; it was not created by this portal")
    raise SchemaBehind(
        f"the catalogue schema is at revision {current}, this portal needs {head}: "
        "run `ccp db upgrade`")


# an arbitrary constant: the key of the portal's schema-creation advisory lock
_PG_LOCK_KEY = 0x43435053  # "CCPS"


@contextmanager
def _creation_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
        return
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    fd = os.open(f"{path}.schema-lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# -- the database URL, checked before any command does any work -------------------------------
DATABASES = ("sqlite", "postgresql")


def database_url_problems(url: str | None) -> list[str]:
    """Why CCP_DATABASE_URL cannot be used (one line each), or []: not a URL, a database
    the portal does not support, a driver that does not exist or is not installed."""
    if not url:
        return []
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = url.rsplit("@", 1)[-1]
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return [f"CCP_DATABASE_URL ({shown}) is not a database URL: write it like "
                "postgresql+psycopg://user:password@host:5432/name or sqlite:////path/file.db"]
    if parsed.get_backend_name() not in DATABASES:
        return [f"CCP_DATABASE_URL: {parsed.get_backend_name()!r} databases are not supported "
                f"(use {' or '.join(DATABASES)})"]
    try:
        parsed.get_dialect().import_dbapi()
    except NoSuchModuleError:
        return [f"CCP_DATABASE_URL: unknown database driver {parsed.drivername!r} "
                "(use postgresql+psycopg or sqlite)"]
    except ImportError as exc:
        return [f"CCP_DATABASE_URL: the driver of {parsed.drivername!r} is not installed "
                f"({exc.name or exc})"]
    if parsed.get_backend_name() == "postgresql" and not parsed.database:
        return ["CCP_DATABASE_URL names no database (add /<name> after the host)"]
    return []


def unreachable(url: str | None, timeout: float = 5.0) -> str | None:
    """One line saying why a PostgreSQL catalogue cannot be reached, or None (SQLite is a
    file: nothing to reach)."""
    if not url or not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    engine = create_engine(parsed, connect_args={"connect_timeout": max(1, int(timeout))})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split()) or type(exc).__name__
        return (f"CCP_DATABASE_URL: cannot connect to "
                f"{parsed.render_as_string(hide_password=True)}: "
                f"{reason.removeprefix('connection failed: ')[:300]}")
    finally:
        engine.dispose()
    return None
