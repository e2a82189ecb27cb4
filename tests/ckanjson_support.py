"""Helpers of tests/test_ckan_json_harvest.py: a catalogue database per test (SQLite, or a
fresh PostgreSQL database when CCP_TEST_DATABASE_URL names a server), and what the catalogue
holds of a source."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, select, text

from indexer.catalogue import Catalogue
from indexer.catalogue.tables import instances_t

PG_URL = os.environ.get("CCP_TEST_DATABASE_URL")


@contextmanager
def database(kind: str):
    """None for SQLite (the settings' default file), or the URL of a fresh PostgreSQL
    database dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    if not PG_URL:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must run the harvest tests on PostgreSQL: set CCP_TEST_DATABASE_URL")
        pytest.skip("no PostgreSQL: set CCP_TEST_DATABASE_URL to run this on it")
    name = f"ccp_cj_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def instances(cat: Catalogue, source_id: str) -> dict[str, tuple[str, str | None, str]]:
    """url -> (status, guid, resource id) of every instance of ``source_id``."""
    with cat.engine.connect() as c:
        rows = c.execute(select(instances_t.c.url, instances_t.c.status, instances_t.c.guid,
                                instances_t.c.resource_id)
                         .where(instances_t.c.source_id == source_id)).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def live(cat: Catalogue, source_id: str) -> set[str]:
    return {u for u, (status, _g, _r) in instances(cat, source_id).items() if status == "live"}
