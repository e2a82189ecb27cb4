"""Helpers of tests/test_ckan_json_harvest.py: a catalogue database per test (SQLite, or a
fresh PostgreSQL database when CCP_TEST_DATABASE_URL names a server), and what the catalogue
holds of a source."""

from __future__ import annotations

from sqlalchemy import select

from indexer.catalogue import Catalogue
from indexer.catalogue.tables import instances_t
from tests.pg_support import database  # noqa: F401 - the ckan/json tests take it from here


def instances(cat: Catalogue, source_id: str) -> dict[str, tuple[str, str | None, str]]:
    """url -> (status, guid, resource id) of every instance of ``source_id``."""
    with cat.engine.connect() as c:
        rows = c.execute(select(instances_t.c.url, instances_t.c.status, instances_t.c.guid,
                                instances_t.c.resource_id)
                         .where(instances_t.c.source_id == source_id)).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def live(cat: Catalogue, source_id: str) -> set[str]:
    return {u for u, (status, _g, _r) in instances(cat, source_id).items() if status == "live"}
