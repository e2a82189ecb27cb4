"""Rows to records: resources with their instances, read in chunks."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..resource import Instance, Place, Resource
from .tables import instances_t, resources_t


def load_resources(c: Connection, ids: list[str]) -> list[Resource]:
    """Resources with their instances, in the order of ``ids`` (unknown ids are left out)."""
    out: dict[str, Resource] = {}
    for chunk in chunks(ids, 500):
        for r in c.execute(select(*_RECORD_COLUMNS).where(resources_t.c.id.in_(chunk))
                           ).mappings():
            out[r["id"]] = _resource_from_row(r)
        for i in c.execute(select(instances_t).where(instances_t.c.resource_id.in_(chunk))
                           .order_by(instances_t.c.first_seen, instances_t.c.id)).mappings():
            if i["resource_id"] in out:
                out[i["resource_id"]].instances.append(_instance_from_row(i))
    return [out[i] for i in ids if i in out]


# what a Resource is made of (the signature stays in the catalogue)
_RECORD_COLUMNS = [col for col in resources_t.c if col.name != "minhash"]


def chunks(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _resource_from_row(r) -> Resource:
    return Resource(
        id=r["id"], title=r["title"], url=r["url"], summary=r["summary"], body=r["body"],
        publisher=r["publisher"], authors=list(r["authors"] or []), published=r["published"],
        updated=r["updated"], language=r["language"], type=r["type"],
        themes=list(r["themes"] or []),
        places=[Place.from_json(p) for p in (r["places"] or []) if isinstance(p, dict)],
        format=r["format"], licence=r["licence"], content_hash=r["content_hash"],
        harvested_at=r["harvested_at"], indexed_at=r["indexed_at"], instances=[],
        flags=list(r["flags"] or []),
        deadline=r["deadline"], event_start=r["event_start"], event_end=r["event_end"],
    )


def _instance_from_row(i) -> Instance:
    return Instance(source_id=i["source_id"], url=i["url"], first_seen=i["first_seen"],
                    last_seen=i["last_seen"], guid=i["guid"], status=i["status"])
