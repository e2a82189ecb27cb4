"""Catalogue schema migrations (Alembic), applied by ``ccp db upgrade``.

A fresh, empty database is created at the newest revision on first use (the zero-setup
default needs no extra step); a database whose schema is behind the code is refused with a
clear error until ``ccp db upgrade`` has run, so two versions of the portal never write one
catalogue with different ideas of its schema.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
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
    """Create a fresh database; refuse one that is behind (see the module docstring)."""
    head = head_revision(url)
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
