"""Resources and their instances: ingest with the dedupe layers, reads, removal."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Connection

from .. import neardup
from ..resource import Instance, Resource, resource_id_for, utcnow
from .dedupe import (
    insert_bands,
    near_duplicate,
    replace_bands,
    same_title,
    sketch_values,
    union_places,
)
from .deletions import forget_deleted, record_deleted, restamp_if_dead, restamp_if_revived
from .merges import banned_resources, record_merge
from .translations import store_alternates, translations
from .httpstate import clear_failure_in, save_validators
from .records import load_resources
from .tables import (
    ADDED,
    MERGED,
    UNCHANGED,
    UPDATED,
    http_state_t,
    instances_t,
    outbox_t,
    resource_bands_t,
    resources_t,
)


# Statements of the ingest path, built once (building a SQLAlchemy expression costs more than
# running it on SQLite; they are compiled once and cached by the engine).
# This source's own record of a document: its instance at the same URL, else the one with the
# same GUID — a UNION ALL of two lookups, each answered by an index ((source_id, url) and
# (source_id, guid)); an OR of the two made SQLite scan every instance of the source, so
# ingest grew with the square of a source's size.
_OWN = union_all(
    select(instances_t, literal_column("0").label("pref"))
    .where(instances_t.c.source_id == bindparam("sid"), instances_t.c.url == bindparam("url")),
    select(instances_t, literal_column("1").label("pref"))
    .where(instances_t.c.source_id == bindparam("sid"), instances_t.c.guid == bindparam("guid")),
).order_by(literal_column("pref")).limit(1)
_AT_URL = select(instances_t.c.id).where(instances_t.c.source_id == bindparam("sid"),
                                         instances_t.c.url == bindparam("url"))
_SEEN = (update(instances_t).where(instances_t.c.id == bindparam("iid"))
         .values(last_seen=bindparam("v_seen"), missed_runs=0))
_RESOURCE_EXISTS = select(resources_t.c.id).where(resources_t.c.id == bindparam("rid"))
_OUTBOX_UPSERT = insert(outbox_t).values(resource_id=bindparam("v_rid"), op="upsert",
                                         created_at=bindparam("v_now"))
_INSERT_INSTANCE = insert(instances_t).values(
    resource_id=bindparam("v_rid"), source_id=bindparam("v_sid"), url=bindparam("v_url"),
    guid=bindparam("v_guid"), content_hash=bindparam("v_hash"), first_seen=bindparam("v_first"),
    last_seen=bindparam("v_last"), status="live", missed_runs=0)
_BY_URL = (select(resources_t.c.id, resources_t.c.url)
           .join(instances_t, instances_t.c.resource_id == resources_t.c.id)
           .where(instances_t.c.url == bindparam("url"),
                  resources_t.c.id.not_in(bindparam("banned", expanding=True))))
_BY_HASH = (select(resources_t.c.id, resources_t.c.url, resources_t.c.title)
            .where(resources_t.c.content_hash == bindparam("hash"),
                   resources_t.c.id.not_in(bindparam("banned", expanding=True)))
            .order_by(resources_t.c.harvested_at, resources_t.c.id))
_SERVED_BY = (select(instances_t.c.id).where(
    instances_t.c.resource_id == bindparam("rid"), instances_t.c.source_id == bindparam("sid"),
    instances_t.c.status == "live").limit(1))
_RESOURCE_URL = select(resources_t.c.url).where(resources_t.c.id == bindparam("rid"))


class ResourcesMixin:
    # -- resources -----------------------------------------------------------------------------
    def ingest(self, res: Resource, *, run_id: int | None = None,
               validators: tuple[str, str | None, str | None, int] | None = None,
               clear_failure: str | None = None) -> str:
        """Store one normalised document (a Resource with exactly one instance).

        Returns added / updated / unchanged / merged (see the module docstring), counting it
        in the run when ``run_id`` is given. Everything happens in one transaction with its
        outbox entry — and, for a harvested page, the conditional-GET ``validators`` of the
        URL it was asked at (``(url, etag, last_modified, status)``, see
        :meth:`save_http_state`) or the clearing of that URL's last failure
        (``clear_failure``).
        """
        if len(res.instances) != 1:
            raise ValueError("ingest() takes a resource with exactly one instance")
        inst = res.instances[0]
        now = res.harvested_at or utcnow()
        with self.engine.begin() as c:
            status, rid = self._ingest(c, res, inst, now)
            if status != UNCHANGED:
                store_alternates(c, rid, res.alternates, replace=status == UPDATED)
                c.execute(_OUTBOX_UPSERT, {"v_rid": rid, "v_now": now})
            if run_id is not None:
                self.count(run_id, inst.source_id, status, conn=c)
            if validators is not None:
                url, etag, last_modified, code = validators
                save_validators(c, url, inst.source_id, etag, last_modified, code,
                                instance_url=inst.url)
            elif clear_failure is not None:
                clear_failure_in(c, clear_failure)
        return status

    def _ingest(self, c: Connection, res: Resource, inst: Instance, now: datetime
                ) -> tuple[str, str]:
        # 1. this source's own record: same URL, or same GUID
        own = c.execute(_OWN, {"sid": inst.source_id, "url": inst.url,
                               "guid": inst.guid or None}).mappings().first()
        if own is not None:
            return self._own_seen(c, res, inst, own, now)

        # 2. the same canonical URL through another source, 3. the same main text,
        # 4. nearly the same main text — never a resource an operator split this URL off
        found, sk = self._match(c, res, inst)
        if found is not None:
            rid = found[0]
            done = c.execute(_INSERT_INSTANCE, self._instance_params(rid, res, inst, now))
            record_merge(c, done.inserted_primary_key[0], *found[1:])
            self._merge_metadata(c, rid, res)
            return MERGED, rid

        rid = res.id
        if c.execute(_RESOURCE_EXISTS, {"rid": rid}).first() is not None:
            # a different resource already owns this id (its first URL equals ours but it is
            # known at that URL under no instance any more): make ours distinct and stable
            rid = resource_id_for(f"{inst.source_id} {inst.url}")
        c.execute(insert(resources_t).values(id=rid, modified_at=now, **sketch_values(sk),
                                             **self._row(res, now)))
        forget_deleted(c, rid)  # an id that comes back is no longer a deleted record
        insert_bands(c, rid, sk)
        c.execute(_INSERT_INSTANCE, self._instance_params(rid, res, inst, now))
        return ADDED, rid

    @staticmethod
    def _instance_params(rid: str, res: Resource, inst: Instance, now: datetime) -> dict:
        return {"v_rid": rid, "v_sid": inst.source_id, "v_url": inst.url, "v_guid": inst.guid,
                "v_hash": res.served_hash or res.content_hash, "v_first": inst.first_seen or now,
                "v_last": inst.last_seen or now}

    def _own_seen(self, c: Connection, res: Resource, inst: Instance, own, now: datetime
                  ) -> tuple[str, str]:
        """The source's own record of the document was found: seen again, maybe changed."""
        rid = own["resource_id"]
        inst_vals: dict[str, Any] = dict(last_seen=inst.last_seen or now, missed_runs=0)
        revived = own["status"] != "live"
        if revived:
            inst_vals["status"] = "live"
            restamp_if_revived(c, rid, own["id"], now)
        if own["url"] != inst.url:
            # the GUID is stable but the URL moved: keep the newest URL
            if c.execute(_AT_URL, {"sid": inst.source_id, "url": inst.url}).first() is None:
                inst_vals["url"] = inst.url
        if inst.guid and own["guid"] != inst.guid:
            inst_vals["guid"] = inst.guid
        # compare with what *this instance* served last time, so two sources that carry
        # slightly different copies do not overwrite each other on every run
        served = res.served_hash or res.content_hash
        if own["content_hash"] == served:
            if len(inst_vals) == 2:
                c.execute(_SEEN, {"iid": own["id"], "v_seen": inst_vals["last_seen"]})
            else:
                c.execute(update(instances_t).where(instances_t.c.id == own["id"])
                          .values(**inst_vals))
            return (UPDATED if revived or "url" in inst_vals else UNCHANGED), rid
        inst_vals["content_hash"] = served
        c.execute(update(instances_t).where(instances_t.c.id == own["id"]).values(**inst_vals))
        self._update_content(c, rid, res, now)
        return UPDATED, rid

    def _match(self, c: Connection, res: Resource, inst: Instance
               ) -> tuple[tuple[str, str, str | None, float | None, float | None] | None,
                          neardup.Sketch | None]:
        """(resource id, reason, the resource's URL, resemblance, containment) of the
        resource a new instance joins, or None (dedupe layers 2–4); and the text's sketch
        when it was needed."""
        banned = sorted(banned_resources(c, inst.url)) or [""]
        row = c.execute(_BY_URL, {"url": inst.url, "banned": banned}).first()
        if row is not None:
            return (row[0], "url", row[1], None, None), None
        if res.content_hash:
            for rid, url, title in c.execute(_BY_HASH, {"hash": res.content_hash,
                                                        "banned": banned}):
                if same_title(title, res.title) or not self._served_by(c, rid, inst.source_id):
                    return (rid, "text", url, 1.0, 1.0), None
        sk = neardup.sketch(res.body)
        near = None if sk is None else near_duplicate(c, sk, inst.source_id, title=res.title,
                                                      text=res.body, exclude=set(banned) - {""})
        if near is None:
            return None, sk
        url = c.execute(_RESOURCE_URL, {"rid": near.resource_id}).scalar_one()
        m = near.match
        return (near.resource_id, "near", url, m.resemblance, m.containment), sk

    @staticmethod
    def _published_elsewhere(c: Connection, rid: str, source_id: str) -> bool:
        """Whether resource ``rid`` has an instance at another source than ``source_id``."""
        return c.execute(select(instances_t.c.id).where(
            instances_t.c.resource_id == rid, instances_t.c.source_id != source_id).limit(1)
        ).first() is not None

    @staticmethod
    def _served_by(c: Connection, rid: str, source_id: str) -> bool:
        """Whether ``source_id`` still serves resource ``rid`` at a live instance."""
        return c.execute(_SERVED_BY, {"rid": rid, "sid": source_id}).first() is not None

    @staticmethod
    def _row(res: Resource, now: datetime) -> dict[str, Any]:
        return dict(
            title=res.title, url=res.url, summary=res.summary or "", body=res.body or "",
            publisher=res.publisher, authors=list(res.authors), published=res.published,
            updated=res.updated, language=res.language, type=res.type or "other",
            themes=list(res.themes),
            places=union_places([], [p.to_json() for p in res.places]),
            format=res.format, licence=res.licence, content_hash=res.content_hash,
            harvested_at=res.harvested_at or now, flags=list(res.flags) or None,
            deadline=res.deadline, event_start=res.event_start, event_end=res.event_end,
        )

    def _update_content(self, c: Connection, rid: str, res: Resource, now: datetime) -> None:
        row = self._row(res, now)
        existing = c.execute(select(resources_t.c.places, resources_t.c.url)
                             .where(resources_t.c.id == rid)).first()
        if existing is not None:
            # the places of a resource published once are what its page says now; one
            # published in several places keeps what the others' copies said too
            if self._published_elsewhere(c, rid, res.instances[0].source_id):
                row["places"] = union_places(existing[0] or [], row["places"])
            row["url"] = existing[1]  # the resource keeps its canonical URL
        sk = neardup.sketch(res.body)
        c.execute(update(resources_t).where(resources_t.c.id == rid)
                  .values(modified_at=now, **sketch_values(sk), **row))
        replace_bands(c, rid, sk)

    def _merge_metadata(self, c: Connection, rid: str, res: Resource) -> None:
        cur = c.execute(select(resources_t).where(resources_t.c.id == rid)).mappings().first()
        vals: dict[str, Any] = {
            "places": union_places(cur["places"] or [], [p.to_json() for p in res.places]),
            "themes": sorted(set(cur["themes"] or []) | set(res.themes)),
        }
        if res.published and (cur["published"] is None or res.published < cur["published"]):
            vals["published"] = res.published
        for k in ("publisher", "language", "licence", "deadline", "event_start", "event_end"):
            if not cur[k] and getattr(res, k):
                vals[k] = getattr(res, k)
        if not cur["authors"] and res.authors:
            vals["authors"] = list(res.authors)
        c.execute(update(resources_t).where(resources_t.c.id == rid).values(**vals))

    def touch(self, source_id: str, url: str, *, run_id: int | None = None) -> str | None:
        """A document answered 304 Not Modified: it is still there, unchanged.

        Returns ``unchanged`` when the catalogue knows the URL for that source, else None.
        """
        now = utcnow()
        with self.engine.begin() as c:
            row = c.execute(select(instances_t.c.id, instances_t.c.status).where(
                instances_t.c.source_id == source_id, instances_t.c.url == url)).first()
            if row is None:
                return None
            c.execute(update(instances_t).where(instances_t.c.id == row[0])
                      .values(last_seen=now, missed_runs=0, status="live"))
            if row[1] != "live":
                rid = c.execute(select(instances_t.c.resource_id)
                                .where(instances_t.c.id == row[0])).scalar_one()
                restamp_if_revived(c, rid, row[0], now)
                c.execute(insert(outbox_t).values(resource_id=rid, op="upsert", created_at=now))
            if run_id is not None:
                self.count(run_id, source_id, UNCHANGED, conn=c)
        return UNCHANGED

    def touch_url(self, source_id: str, request_url: str, *, run_id: int | None = None) -> str:
        """A requested URL answered 304: touch the instance it made last time."""
        with self.engine.connect() as c:
            row = c.execute(select(http_state_t.c.instance_url)
                            .where(http_state_t.c.url == request_url)).first()
        target = (row[0] if row and row[0] else request_url)
        if self.touch(source_id, target, run_id=run_id) is None and run_id is not None:
            self.count(run_id, source_id, UNCHANGED)
        return UNCHANGED

    def mark_missing(self, source_id: str, seen_since: datetime | None, gone_after: int
                     ) -> list[str]:
        """After a complete run of a source: its live instances not seen since ``seen_since``
        miss one more run; those that missed ``gone_after`` runs in a row are marked gone
        (their resources leave the default search; still reachable by id). Returns the ids of
        resources whose instance went gone.

        ``seen_since=None`` is a run whose listing (feed, sitemap) answered 304: it lists what
        it listed last time, so what was missing then is missing once more.
        """
        now = utcnow()
        missing = instances_t.c.missed_runs > 0 if seen_since is None \
            else instances_t.c.last_seen < seen_since
        with self.engine.begin() as c:
            c.execute(update(instances_t)
                      .where(instances_t.c.source_id == source_id,
                             instances_t.c.status == "live", missing)
                      .values(missed_runs=instances_t.c.missed_runs + 1))
            rows = c.execute(select(instances_t.c.id, instances_t.c.resource_id).where(
                instances_t.c.source_id == source_id, instances_t.c.status == "live",
                instances_t.c.missed_runs >= gone_after)).all()
            if not rows:
                return []
            c.execute(update(instances_t).where(instances_t.c.id.in_([r[0] for r in rows]))
                      .values(status="gone"))
            rids = sorted({r[1] for r in rows})
            restamp_if_dead(c, rids, now)
            for rid in rids:
                c.execute(insert(outbox_t).values(resource_id=rid, op="upsert", created_at=now))
        return rids

    def find_duplicate(self, res: Resource) -> Resource | None:
        """An existing resource that ``res`` would be merged into (same URL, same text or
        nearly the same text)."""
        urls = [res.url, *(i.url for i in res.instances)]
        with self.engine.connect() as c:
            row = c.execute(select(instances_t.c.resource_id)
                            .where(instances_t.c.url.in_(urls))).first()
            if row is None and res.content_hash:
                row = c.execute(select(resources_t.c.id)
                                .where(resources_t.c.content_hash == res.content_hash)).first()
            if row is None:
                sk = neardup.sketch(res.body)
                if sk is not None:
                    source_id = res.instances[0].source_id if res.instances else None
                    row = near_duplicate(c, sk, source_id, title=res.title, text=res.body)
        return self.get_resource(row[0]) if row else None

    def translations(self, rid: str) -> list[dict[str, str | None]]:
        """The resource's translations, linked both ways (see catalogue/translations.py)."""
        with self.engine.connect() as c:
            return translations(c, rid)

    def put_resource(self, res: Resource) -> str:
        """Insert or replace a whole resource with its instances (imports, tests)."""
        now = utcnow()
        with self.engine.begin() as c:
            exists = c.execute(select(resources_t.c.id).where(resources_t.c.id == res.id)).first()
            row = self._row(res, now)
            sk = neardup.sketch(res.body)
            row.update(sketch_values(sk))
            if exists:
                c.execute(update(resources_t).where(resources_t.c.id == res.id)
                          .values(modified_at=now, **row))
                c.execute(delete(instances_t).where(instances_t.c.resource_id == res.id))
            else:
                c.execute(insert(resources_t).values(id=res.id, modified_at=now, **row))
                forget_deleted(c, res.id)
            replace_bands(c, res.id, sk)
            for i in res.instances:
                c.execute(insert(instances_t).values(
                    resource_id=res.id, source_id=i.source_id, url=i.url, guid=i.guid,
                    content_hash=res.content_hash,
                    first_seen=i.first_seen or now, last_seen=i.last_seen or now,
                    status=i.status, missed_runs=0))
            c.execute(insert(outbox_t).values(resource_id=res.id, op="upsert", created_at=now))
        return UPDATED if exists else ADDED

    def delete_resource(self, rid: str) -> bool:
        """Remove resource ``rid``; its id stays known as a deleted record (OAI-PMH)."""
        now = utcnow()
        with self.engine.begin() as c:
            c.execute(delete(resource_bands_t).where(resource_bands_t.c.resource_id == rid))
            n = c.execute(delete(instances_t).where(instances_t.c.resource_id == rid)).rowcount
            gone = c.execute(delete(resources_t).where(resources_t.c.id == rid)).rowcount
            if gone:
                record_deleted(c, rid, now)
            c.execute(insert(outbox_t).values(resource_id=rid, op="delete", created_at=now))
        return n + gone > 0

    def get_resource(self, rid: str) -> Resource | None:
        found = self.get_resources([rid])
        return found[0] if found else None

    def get_resources(self, ids: Iterable[str]) -> list[Resource]:
        ids = list(ids)
        if not ids:
            return []
        with self.engine.connect() as c:
            return load_resources(c, ids)

    def iter_resources(self, batch: int = 500) -> Iterator[Resource]:
        """Every resource with its instances, in id order (for index rebuilds)."""
        last = ""
        while True:
            with self.engine.connect() as c:
                ids = [r[0] for r in c.execute(
                    select(resources_t.c.id).where(resources_t.c.id > last)
                    .order_by(resources_t.c.id).limit(batch))]
            if not ids:
                return
            yield from self.get_resources(ids)
            last = ids[-1]

    def resource_count(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(resources_t)).scalar_one()

    def instance_count(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(instances_t)).scalar_one()
