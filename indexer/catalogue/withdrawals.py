"""Withdrawals: a source says that records it published are gone.

Catalogue protocols report deletions explicitly (an OAI-PMH ``status="deleted"`` header, a CKAN
package that is no longer listed, a DCAT dataset dropped from its catalogue). Such an instance is
gone at once, without waiting for ``gone_after_runs`` missed runs; its resource leaves the default
search when no live instance is left, and the index hears of it through the outbox. The resource
itself stays in the catalogue (another source may publish it again, and its page keeps its
history).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, or_, select, update

from ..resource import utcnow
from .deletions import restamp_if_dead
from .tables import instances_t, outbox_t


class WithdrawalsMixin:
    def withdraw(self, source_id: str, *, guids: Iterable[str] = (),
                 urls: Iterable[str] = ()) -> list[str]:
        """Mark the live instances of ``source_id`` with one of ``guids`` or ``urls`` gone.
        Returns the ids of the resources concerned (each gets an index update)."""
        guids, urls = list(dict.fromkeys(guids)), list(dict.fromkeys(urls))
        if not guids and not urls:
            return []
        now = utcnow()
        found: set[str] = set()
        with self.engine.begin() as c:
            # in slices: a long list of deletions must not exceed a database's parameter limit
            for kind, values in (("guid", guids), ("url", urls)):
                column = instances_t.c.guid if kind == "guid" else instances_t.c.url
                for i in range(0, len(values), 500):
                    part = values[i:i + 500]
                    rows = c.execute(select(instances_t.c.id, instances_t.c.resource_id).where(
                        instances_t.c.source_id == source_id, instances_t.c.status == "live",
                        or_(column.in_(part)))).all()
                    if not rows:
                        continue
                    c.execute(update(instances_t)
                              .where(instances_t.c.id.in_([r[0] for r in rows]))
                              .values(status="gone", missed_runs=0))
                    found.update(r[1] for r in rows)
            restamp_if_dead(c, found, now)  # no live instance left: a deleted record now
            for rid in sorted(found):
                c.execute(insert(outbox_t).values(resource_id=rid, op="upsert", created_at=now))
        return sorted(found)
