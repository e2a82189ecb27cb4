"""The catalogue's connection, schema creation, health and the configured sources."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Engine

from ..resource import utcnow
from .reports import SourceInfo
from .tables import metadata, resources_t, sources_t


def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - driver hook
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class CatalogueBase:
    """The engine and what every part of the catalogue needs."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
            if path and path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.engine: Engine = create_engine(url, echo=echo, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    # -- schema --------------------------------------------------------------------------------
    def create_all(self) -> None:
        """Make sure the schema is there: a fresh database is created at the newest
        revision; one that is behind raises :class:`indexer.schema.SchemaBehind`
        (``ccp db upgrade`` migrates it)."""
        from ..schema import ensure_schema

        ensure_schema(self.engine, self.url)

    def close(self) -> None:
        self.engine.dispose()

    def health(self) -> tuple[bool, str]:
        try:
            with self.engine.connect() as c:
                n = c.execute(select(func.count()).select_from(resources_t)).scalar_one()
            return True, f"catalogue: {n} resources"
        except Exception as exc:  # noqa: BLE001 - health reports any failure
            return False, f"catalogue unavailable: {exc.__class__.__name__}: {exc}"

    # -- sources -------------------------------------------------------------------------------
    def sync_sources(self, sources: Iterable[Any]) -> None:
        """Record the configured sources (pydantic models from config) for display."""
        now = utcnow()
        with self.engine.begin() as c:
            for s in sources:
                url = getattr(s, "url", None) or (s.start_urls[0] if getattr(s, "start_urls", None) else None)
                row = dict(
                    name=s.name, type=s.type, url=str(url) if url else None,
                    publisher=s.publisher, country=s.country, city=s.city,
                    enabled=1 if s.enabled else 0,
                    config=json.loads(s.model_dump_json()), updated_at=now,
                )
                done = c.execute(update(sources_t).where(sources_t.c.id == s.id).values(**row))
                if done.rowcount == 0:
                    c.execute(insert(sources_t).values(id=s.id, **row))

    def sources(self) -> list[SourceInfo]:
        with self.engine.connect() as c:
            rows = c.execute(select(sources_t).order_by(sources_t.c.id)).mappings().all()
        return [
            SourceInfo(id=r["id"], name=r["name"], type=r["type"], url=r["url"],
                       publisher=r["publisher"], country=r["country"], city=r["city"],
                       enabled=bool(r["enabled"]))
            for r in rows
        ]

    def source_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.sources()}

    def clear(self) -> None:
        """Delete every row (the demo starts from an empty catalogue); the schema stays."""
        with self.engine.begin() as c:
            for table in reversed(metadata.sorted_tables):
                c.execute(delete(table))
