"""What a catalogue-protocol harvester asks about a source's records between runs.

A DCAT dataset (or a CKAN package) is one *record* of its source, identified by its GUID; the
documents it became are the source's instances with that GUID — the first one the GUID itself,
further documents of the same record ``"<guid> <document URL>"`` (a space never occurs in an
IRI). A record the source says is unchanged is only *seen* (:meth:`touch_records`), without
fetching its documents again; a record no longer listed is withdrawn with
:meth:`~indexer.catalogue.withdrawals.WithdrawalsMixin.withdraw` and the GUIDs
:meth:`record_guids` returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update

from ..resource import utcnow
from .tables import UNCHANGED, http_state_t, instances_t, run_sources_t

RECORD_SEPARATOR = " "  # between a record's GUID and the URL of its further documents


def record_of(guid: str) -> str:
    """The record (dataset, package) GUID of one of its instances' GUIDs."""
    return guid.split(RECORD_SEPARATOR, 1)[0]


class RecordsSeenMixin:
    def live_guids(self, source_id: str) -> list[tuple[str, str]]:
        """(GUID, URL) of the live instances of ``source_id`` that have a GUID: what a
        catalogue source holds, to be withdrawn when its records are deleted."""
        q = select(instances_t.c.guid, instances_t.c.url).where(
            instances_t.c.source_id == source_id, instances_t.c.status == "live",
            instances_t.c.guid.isnot(None))
        with self.engine.connect() as c:
            return [(guid, url) for guid, url in c.execute(q)]

    def record_guids(self, source_id: str) -> dict[str, list[str]]:
        """{record GUID: [the GUIDs of its live instances]} of ``source_id``."""
        out: dict[str, list[str]] = {}
        for guid, _ in self.live_guids(source_id):
            out.setdefault(record_of(guid), []).append(guid)
        return out

    def touch_records(self, source_id: str, records: Iterable[str], *,
                      run_id: int | None = None) -> int:
        """The records are still listed and unchanged: their live instances are seen now
        (each counted *unchanged* in the run). Returns how many instances were touched."""
        records = list(dict.fromkeys(records))
        if not records:
            return 0
        now, touched = utcnow(), 0
        with self.engine.begin() as c:
            for i in range(0, len(records), 200):
                part = records[i:i + 200]
                cond = or_(instances_t.c.guid.in_(part),
                           *[instances_t.c.guid.startswith(r + RECORD_SEPARATOR, autoescape=True)
                             for r in part])
                done = c.execute(update(instances_t)
                                 .where(instances_t.c.source_id == source_id,
                                        instances_t.c.status == "live", cond)
                                 .values(last_seen=now, missed_runs=0))
                touched += done.rowcount or 0
            if run_id is not None and touched:
                c.execute(update(run_sources_t)
                          .where(run_sources_t.c.run_id == run_id,
                                 run_sources_t.c.source_id == source_id)
                          .values({UNCHANGED: run_sources_t.c[UNCHANGED] + touched}))
        return touched

    def last_success_started(self, source_id: str) -> datetime | None:
        """When the source's last successful run started (records modified since then are
        harvested again)."""
        q = (select(run_sources_t.c.started_at)
             .where(run_sources_t.c.source_id == source_id,
                    run_sources_t.c.status == "succeeded")
             .order_by(run_sources_t.c.run_id.desc()).limit(1))
        with self.engine.connect() as c:
            return c.execute(q).scalar()

    def listing_next(self, url: str) -> str | None:
        """The page a paged listing's page at ``url`` led to last time it was read in full
        (stored as that page's ``instance_url`` beside its validators)."""
        q = select(http_state_t.c.instance_url).where(http_state_t.c.url == url)
        with self.engine.connect() as c:
            return c.execute(q).scalar()
