"""The catalogue: the store of record.

Resources with every instance where they were seen, the sources' HTTP state for conditional
requests, harvest runs with per-source counts and stored errors, and the outbox that feeds the
search index. SQLite (WAL) by default through SQLAlchemy; the schema is portable to PostgreSQL.

Deduplication happens here, in :meth:`Catalogue.ingest`, in layers:

1. the same source and URL, or the same source GUID → the same resource (an *update* when the
   main text changed, else *unchanged*);
2. the same canonical URL seen through another source → the same resource, one more instance;
3. the same normalised main text (content hash) at another URL or source → the same resource,
   one more instance;
4. nearly the same main text (a MinHash signature of its five-word shingles, candidates found
   through LSH band keys) → the same resource, one more instance: from another source at an
   estimated Jaccard similarity ≥ 0.8, from the same source (the candidate still has a live
   instance of it at another URL) only ≥ 0.95. Texts under 50 words never merge this way.
   :mod:`indexer.neardup` has the signatures and argues the thresholds.

Every change that alters what the index shows is written to the outbox in the same
transaction; :mod:`indexer.indexing` drains it into the search backend.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    create_engine,
    delete,
    or_,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from . import neardup
from .resource import Instance, Place, Resource, as_utc, resource_id_for, utcnow


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out (stored naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


metadata = MetaData()

sources_t = Table(
    "sources", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", String(16), nullable=False),
    Column("url", Text),
    Column("publisher", Text),
    Column("country", String(2)),
    Column("city", Text),
    Column("enabled", Integer, nullable=False, default=1),
    Column("config", JSON),
    Column("updated_at", UTCDateTime),
)

resources_t = Table(
    "resources", metadata,
    Column("id", String(40), primary_key=True),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("publisher", Text),
    Column("authors", JSON, nullable=False, default=list),
    Column("published", UTCDateTime),
    Column("updated", UTCDateTime),
    Column("language", String(8)),
    Column("type", String(32), nullable=False, default="other"),
    Column("themes", JSON, nullable=False, default=list),
    Column("places", JSON, nullable=False, default=list),
    Column("format", String(16), nullable=False, default="html"),
    Column("licence", Text),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("harvested_at", UTCDateTime),
    Column("indexed_at", UTCDateTime),
    Column("modified_at", UTCDateTime),
    # MinHash signature of the body (indexer.neardup); NULL when the text is too short
    Column("minhash", LargeBinary),
    # conditions a reader should know of, e.g. "no-text-layer" (a PDF with no text to extract)
    Column("flags", JSON),
)

# LSH band keys of each resource's signature: candidates for near-duplicate matching.
resource_bands_t = Table(
    "resource_bands", metadata,
    Column("band", SmallInteger, primary_key=True),
    Column("key", BigInteger, primary_key=True),
    Column("resource_id", String(40), ForeignKey("resources.id", ondelete="CASCADE"),
           primary_key=True),
    Index("ix_resource_bands_resource_id", "resource_id"),
    sqlite_with_rowid=False,
)

instances_t = Table(
    "instances", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resource_id", String(40), ForeignKey("resources.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("source_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("guid", Text),
    Column("content_hash", String(64)),  # of the text this instance last served
    Column("first_seen", UTCDateTime),
    Column("last_seen", UTCDateTime),
    Column("status", String(8), nullable=False, default="live"),
    Column("missed_runs", Integer, nullable=False, default=0),
    UniqueConstraint("source_id", "url", name="uq_instance_source_url"),
    Index("ix_instances_url", "url"),
    Index("ix_instances_source_guid", "source_id", "guid"),
)

http_state_t = Table(
    "http_state", metadata,
    Column("url", Text, primary_key=True),
    Column("source_id", String(64)),
    Column("instance_url", Text),  # the canonical URL of the instance these bytes made
    Column("etag", Text),
    Column("last_modified", Text),
    Column("status", Integer),
    Column("checked_at", UTCDateTime),
    # the last failure of this URL (kind and message) and how many runs in a row it failed
    Column("error_kind", String(32)),
    Column("error", Text),
    Column("failures", Integer, nullable=False, default=0),
)

runs_t = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(16), nullable=False),  # running finished interrupted timed_out crashed
    Column("trigger", String(16), nullable=False, default="cli"),
    Column("host", Text),
    Column("pid", Integer),
    Column("message", Text),
)

run_sources_t = Table(
    "run_sources", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),  # running succeeded failed interrupted
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("added", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("merged", Integer, nullable=False, default=0),
    Column("requests", Integer, nullable=False, default=0),
    # items the source's listings (feed, sitemaps, crawled listing pages) named this run
    Column("listed", Integer),
    Column("message", Text),
)

run_errors_t = Table(
    "run_errors", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("source_id", String(64), nullable=False),
    Column("url", Text),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("fatal", Integer, nullable=False, default=0),  # 1: the whole source failed
    Column("at", UTCDateTime, nullable=False),
)

outbox_t = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resource_id", String(40), nullable=False),
    Column("op", String(8), nullable=False),  # upsert | delete
    Column("created_at", UTCDateTime, nullable=False),
)

source_locks_t = Table(
    "source_locks", metadata,
    Column("source_id", String(64), primary_key=True),
    Column("owner", Text, nullable=False),  # host:pid:token of the holder
    Column("run_id", Integer),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

source_health_t = Table(
    "source_health", metadata,
    Column("source_id", String(64), primary_key=True),
    Column("state", String(16), nullable=False, default="new"),  # new healthy failing
    Column("last_run_id", Integer),
    Column("last_run_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error_at", UTCDateTime),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("retry_not_before", UTCDateTime),  # backoff / Retry-After
    Column("next_run_at", UTCDateTime),  # as the scheduler plans it
)

tasks_t = Table(
    "tasks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # harvest | discover
    Column("args", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),  # pending running done failed
    Column("result", JSON),
    Column("requested_by", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
)

admin_sessions_t = Table(
    "admin_sessions", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the token in the cookie
    Column("user", Text, nullable=False),
    Column("credential_tag", String(64), nullable=False),  # changes with the password
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("client", Text),
)

login_throttle_t = Table(
    "login_throttle", metadata,
    Column("key", String(300), primary_key=True),  # "client:<address>" or "account:<user>"
    Column("failures", Integer, nullable=False, default=0),
    Column("first_failure_at", UTCDateTime),
    Column("last_failure_at", UTCDateTime),
    Column("locked_until", UTCDateTime),
)

# Record statuses of one harvested document.
ADDED, UPDATED, UNCHANGED, MERGED, FAILED, SKIPPED = (
    "added", "updated", "unchanged", "merged", "failed", "skipped",
)
COUNTERS = (ADDED, UPDATED, UNCHANGED, FAILED, SKIPPED, MERGED)


@dataclass
class SourceInfo:
    id: str
    name: str
    type: str
    url: str | None = None
    publisher: str | None = None
    country: str | None = None
    city: str | None = None
    enabled: bool = True


@dataclass
class RunError:
    source_id: str
    url: str | None
    kind: str
    message: str
    fatal: bool = False
    at: datetime | None = None


@dataclass
class SourceReport:
    source_id: str
    status: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    merged: int = 0
    requests: int = 0
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    errors: list[RunError] = field(default_factory=list)


@dataclass
class RunReport:
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    trigger: str
    message: str | None
    sources: list[SourceReport]

    @property
    def ok(self) -> bool:
        return self.status == "finished" and all(
            s.status == "succeeded" and s.failed == 0 for s in self.sources
        )

    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(s, k) for s in self.sources) for k in COUNTERS}

    def to_dict(self) -> dict[str, Any]:
        def dt(v):
            return v.isoformat().replace("+00:00", "Z") if v else None

        return {
            "id": self.id, "status": self.status, "ok": self.ok, "trigger": self.trigger,
            "started_at": dt(self.started_at), "finished_at": dt(self.finished_at),
            "message": self.message, "totals": self.totals(),
            "sources": [
                {
                    "source_id": s.source_id, "status": s.status, "message": s.message,
                    **{k: getattr(s, k) for k in COUNTERS}, "requests": s.requests,
                    "errors": [
                        {"url": e.url, "kind": e.kind, "message": e.message, "fatal": e.fatal}
                        for e in s.errors
                    ],
                }
                for s in self.sources
            ],
        }


@dataclass
class SourceHealth:
    source_id: str
    state: str = "new"  # new | healthy | failing
    last_run_id: int | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    retry_not_before: datetime | None = None
    next_run_at: datetime | None = None


def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - driver hook
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Catalogue:
    """The store of record. Thread-safe for readers; one process writes a source at a time."""

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
        from .schema import ensure_schema

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

    # -- HTTP state for conditional GET -------------------------------------------------------
    def http_state(self, urls: Iterable[str] | None = None, source_id: str | None = None
                   ) -> dict[str, tuple[str | None, str | None, datetime | None]]:
        """{url: (etag, last_modified, when they were stored)} for the given URLs or source."""
        q = select(http_state_t.c.url, http_state_t.c.etag, http_state_t.c.last_modified,
                   http_state_t.c.checked_at)
        if source_id is not None:
            q = q.where(http_state_t.c.source_id == source_id)
        if urls is not None:
            q = q.where(http_state_t.c.url.in_(list(urls)))
        with self.engine.connect() as c:
            return {r[0]: (r[1], r[2], r[3]) for r in c.execute(q)}

    def save_http_state(self, url: str, source_id: str, etag: str | None,
                        last_modified: str | None, status: int,
                        instance_url: str | None = None) -> None:
        now = utcnow()
        with self.engine.begin() as c:
            vals = dict(source_id=source_id, etag=etag, last_modified=last_modified,
                        status=status, checked_at=now, instance_url=instance_url)
            done = c.execute(update(http_state_t).where(http_state_t.c.url == url).values(**vals))
            if done.rowcount == 0:
                c.execute(insert(http_state_t).values(url=url, **vals))

    def start_run(self, source_ids: Iterable[str], trigger: str = "cli") -> int:
        now = utcnow()
        with self.engine.begin() as c:
            run_id = c.execute(
                insert(runs_t).values(started_at=now, status="running", trigger=trigger,
                                      host=socket.gethostname(), pid=os.getpid())
            ).inserted_primary_key[0]
            for sid in source_ids:
                c.execute(insert(run_sources_t).values(run_id=run_id, source_id=sid,
                                                       status="pending"))
        return int(run_id)

    def start_source(self, run_id: int, source_id: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(run_sources_t)
                      .where(run_sources_t.c.run_id == run_id,
                             run_sources_t.c.source_id == source_id)
                      .values(status="running", started_at=utcnow()))

    def count(self, run_id: int, source_id: str, counter: str, n: int = 1,
              *, conn: Connection | None = None) -> None:
        col = run_sources_t.c[counter]
        stmt = (update(run_sources_t)
                .where(run_sources_t.c.run_id == run_id, run_sources_t.c.source_id == source_id)
                .values({counter: col + n}))
        if conn is not None:
            conn.execute(stmt)
        else:
            with self.engine.begin() as c:
                c.execute(stmt)

    def record_error(self, run_id: int, source_id: str, url: str | None, kind: str,
                     message: str, *, fatal: bool = False, counter: str | None = FAILED) -> None:
        """Store an error of one record (``counter`` failed/skipped) or of the whole source."""
        with self.engine.begin() as c:
            c.execute(insert(run_errors_t).values(
                run_id=run_id, source_id=source_id, url=url, kind=kind,
                message=message[:4000], fatal=1 if fatal else 0, at=utcnow()))
            if counter:
                self.count(run_id, source_id, counter, conn=c)

    def finish_source(self, run_id: int, source_id: str, status: str,
                      message: str | None = None, requests: int | None = None) -> None:
        vals: dict[str, Any] = dict(status=status, finished_at=utcnow(), message=message)
        if requests is not None:
            vals["requests"] = requests
        with self.engine.begin() as c:
            c.execute(update(run_sources_t)
                      .where(run_sources_t.c.run_id == run_id,
                             run_sources_t.c.source_id == source_id)
                      .values(**vals))

    def finish_run(self, run_id: int, status: str, message: str | None = None) -> None:
        with self.engine.begin() as c:
            # sources the run never finished share its fate; a run stopped for overrunning
            # its time limit is a failure of the sources it stopped
            unfinished = ("pending", "running", "interrupted") if status == "timed_out" \
                else ("pending", "running")
            c.execute(update(run_sources_t)
                      .where(run_sources_t.c.run_id == run_id,
                             run_sources_t.c.status.in_(unfinished))
                      .values(status="interrupted" if status not in ("finished", "timed_out")
                              else "failed",
                              finished_at=utcnow(),
                              message=message or "the run ended before this source finished"))
            c.execute(update(runs_t).where(runs_t.c.id == run_id)
                      .values(status=status, finished_at=utcnow(), message=message))

    def run_report(self, run_id: int) -> RunReport:
        with self.engine.connect() as c:
            run = c.execute(select(runs_t).where(runs_t.c.id == run_id)).mappings().first()
            if run is None:
                raise KeyError(run_id)
            srcs = c.execute(select(run_sources_t).where(run_sources_t.c.run_id == run_id)
                             .order_by(run_sources_t.c.source_id)).mappings().all()
            errs = c.execute(select(run_errors_t).where(run_errors_t.c.run_id == run_id)
                             .order_by(run_errors_t.c.id)).mappings().all()
        by_source: dict[str, list[RunError]] = {}
        for e in errs:
            by_source.setdefault(e["source_id"], []).append(
                RunError(e["source_id"], e["url"], e["kind"], e["message"], bool(e["fatal"]),
                         e["at"]))
        reports = [
            SourceReport(
                source_id=s["source_id"], status=s["status"],
                **{k: s[k] for k in COUNTERS}, requests=s["requests"], message=s["message"],
                started_at=s["started_at"], finished_at=s["finished_at"],
                errors=by_source.get(s["source_id"], []),
            )
            for s in srcs
        ]
        return RunReport(id=run["id"], status=run["status"], started_at=run["started_at"],
                         finished_at=run["finished_at"], trigger=run["trigger"],
                         message=run["message"], sources=reports)

    def runs(self, source_id: str | None = None, limit: int = 50) -> list[RunReport]:
        q = select(runs_t.c.id).order_by(runs_t.c.id.desc()).limit(limit)
        if source_id:
            q = (select(runs_t.c.id).join(run_sources_t, run_sources_t.c.run_id == runs_t.c.id)
                 .where(run_sources_t.c.source_id == source_id)
                 .order_by(runs_t.c.id.desc()).limit(limit))
        with self.engine.connect() as c:
            ids = [r[0] for r in c.execute(q)]
        return [self.run_report(i) for i in ids]

    # -- per-source run locks (across processes and machines) ------------------------------
    def acquire_source_lock(self, source_id: str, owner: str, *, stale_after: float,
                            run_id: int | None = None) -> tuple[bool, str | None]:
        """Take the run lock of a source. Returns (acquired, note).

        A lock whose holder stopped sending heartbeats for ``stale_after`` seconds (a killed
        process) is taken over; otherwise the note names the holder.
        """
        now = utcnow()
        try:
            with self.engine.begin() as c:
                c.execute(insert(source_locks_t).values(
                    source_id=source_id, owner=owner, run_id=run_id, acquired_at=now,
                    heartbeat_at=now))
            return True, None
        except IntegrityError:
            pass
        cutoff = now - timedelta(seconds=stale_after)
        with self.engine.begin() as c:
            took = c.execute(
                update(source_locks_t)
                .where(source_locks_t.c.source_id == source_id,
                       source_locks_t.c.heartbeat_at < cutoff)
                .values(owner=owner, run_id=run_id, acquired_at=now, heartbeat_at=now)
            ).rowcount
            if took:
                return True, "took over a stale lock (its holder stopped without releasing it)"
            row = c.execute(select(source_locks_t).where(source_locks_t.c.source_id == source_id)
                            ).mappings().first()
        if row is None:  # released in between: try once more
            return self.acquire_source_lock(source_id, owner, stale_after=stale_after,
                                            run_id=run_id)
        since = row["acquired_at"].strftime("%Y-%m-%d %H:%M:%S UTC")
        held_by = f"run {row['run_id']} " if row["run_id"] else ""
        return False, f"already being harvested by {held_by}({row['owner']}) since {since}"

    def heartbeat_source_locks(self, source_ids: Iterable[str], owner: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(source_locks_t)
                      .where(source_locks_t.c.source_id.in_(list(source_ids)),
                             source_locks_t.c.owner == owner)
                      .values(heartbeat_at=utcnow()))

    def release_source_locks(self, source_ids: Iterable[str], owner: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(source_locks_t)
                      .where(source_locks_t.c.source_id.in_(list(source_ids)),
                             source_locks_t.c.owner == owner))

    def source_locks(self) -> dict[str, dict[str, Any]]:
        with self.engine.connect() as c:
            return {r["source_id"]: dict(r) for r in
                    c.execute(select(source_locks_t)).mappings()}

    # -- source health -------------------------------------------------------------------
    def source_health(self) -> dict[str, SourceHealth]:
        with self.engine.connect() as c:
            rows = c.execute(select(source_health_t)).mappings().all()
        return {r["source_id"]: SourceHealth(**dict(r)) for r in rows}

    def save_source_health(self, h: SourceHealth) -> None:
        vals = {k: v for k, v in h.__dict__.items() if k not in ("source_id", "next_run_at")}
        with self.engine.begin() as c:
            done = c.execute(update(source_health_t)
                             .where(source_health_t.c.source_id == h.source_id).values(**vals))
            if done.rowcount == 0:
                c.execute(insert(source_health_t).values(source_id=h.source_id,
                                                         next_run_at=h.next_run_at, **vals))

    def set_next_runs(self, next_runs: dict[str, datetime | None]) -> None:
        """The scheduler publishes when each source runs next (for status pages)."""
        with self.engine.begin() as c:
            for sid, when in next_runs.items():
                done = c.execute(update(source_health_t)
                                 .where(source_health_t.c.source_id == sid)
                                 .values(next_run_at=when))
                if done.rowcount == 0:
                    c.execute(insert(source_health_t).values(source_id=sid, state="new",
                                                             consecutive_failures=0,
                                                             next_run_at=when))

    # -- tasks (queued by the web admin, run by the scheduler process) ----------------------
    def create_task(self, kind: str, args: dict[str, Any], requested_by: str | None = None
                    ) -> int:
        with self.engine.begin() as c:
            return int(c.execute(insert(tasks_t).values(
                kind=kind, args=args, status="pending", requested_by=requested_by,
                created_at=utcnow())).inserted_primary_key[0])

    def get_task(self, task_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(select(tasks_t).where(tasks_t.c.id == task_id)).mappings().first()
        return dict(row) if row else None

    def tasks(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(
                select(tasks_t).order_by(tasks_t.c.id.desc()).limit(limit)).mappings()]

    def claim_tasks(self, limit: int = 10) -> list[dict[str, Any]]:
        """Pending tasks, each claimed by exactly one worker (the status flip is atomic)."""
        claimed = []
        with self.engine.connect() as c:
            pending = [r[0] for r in c.execute(
                select(tasks_t.c.id).where(tasks_t.c.status == "pending")
                .order_by(tasks_t.c.id).limit(limit))]
        for tid in pending:
            with self.engine.begin() as c:
                n = c.execute(update(tasks_t)
                              .where(tasks_t.c.id == tid, tasks_t.c.status == "pending")
                              .values(status="running", started_at=utcnow())).rowcount
            if n:
                claimed.append(self.get_task(tid))
        return claimed

    def finish_task(self, task_id: int, status: str, result: dict[str, Any] | None) -> None:
        with self.engine.begin() as c:
            c.execute(update(tasks_t).where(tasks_t.c.id == task_id)
                      .values(status=status, result=result, finished_at=utcnow()))

    # -- resources -----------------------------------------------------------------------------
    def ingest(self, res: Resource, *, run_id: int | None = None) -> str:
        """Store one normalised document (a Resource with exactly one instance).

        Returns added / updated / unchanged / merged (see the module docstring), counting it
        in the run when ``run_id`` is given. Everything happens in one transaction with its
        outbox entry.
        """
        if len(res.instances) != 1:
            raise ValueError("ingest() takes a resource with exactly one instance")
        inst = res.instances[0]
        now = res.harvested_at or utcnow()
        with self.engine.begin() as c:
            status, rid = self._ingest(c, res, inst, now)
            if status != UNCHANGED:
                c.execute(insert(outbox_t).values(resource_id=rid, op="upsert", created_at=now))
            if run_id is not None:
                self.count(run_id, inst.source_id, status, conn=c)
        return status

    def _ingest(self, c: Connection, res: Resource, inst: Instance, now: datetime
                ) -> tuple[str, str]:
        # 1. this source's own record: same URL, or same GUID
        conds = [instances_t.c.url == inst.url]
        if inst.guid:
            conds.append(instances_t.c.guid == inst.guid)
        own = c.execute(
            select(instances_t).where(instances_t.c.source_id == inst.source_id, or_(*conds))
            .order_by((instances_t.c.url == inst.url).desc())
        ).mappings().first()
        if own is not None:
            rid = own["resource_id"]
            inst_vals: dict[str, Any] = dict(last_seen=inst.last_seen or now, missed_runs=0)
            revived = own["status"] != "live"
            if revived:
                inst_vals["status"] = "live"
            if own["url"] != inst.url:
                # the GUID is stable but the URL moved: keep the newest URL
                clash = c.execute(select(instances_t.c.id).where(
                    instances_t.c.source_id == inst.source_id, instances_t.c.url == inst.url)
                ).first()
                if clash is None:
                    inst_vals["url"] = inst.url
            if inst.guid and own["guid"] != inst.guid:
                inst_vals["guid"] = inst.guid
            # compare with what *this instance* served last time, so two sources that carry
            # slightly different copies do not overwrite each other on every run
            if own["content_hash"] == res.content_hash:
                c.execute(update(instances_t).where(instances_t.c.id == own["id"])
                          .values(**inst_vals))
                return (UPDATED if revived or "url" in inst_vals else UNCHANGED), rid
            inst_vals["content_hash"] = res.content_hash
            c.execute(update(instances_t).where(instances_t.c.id == own["id"]).values(**inst_vals))
            self._update_content(c, rid, res, now)
            return UPDATED, rid

        # 2. the same canonical URL through another source, 3. the same main text
        match = c.execute(select(instances_t.c.resource_id).where(instances_t.c.url == inst.url)
                          ).first()
        if match is None and res.content_hash:
            match = c.execute(select(resources_t.c.id)
                              .where(resources_t.c.content_hash == res.content_hash)).first()
        # 4. nearly the same main text (the signature is computed only when needed)
        sig = None
        if match is None:
            sig = neardup.signature(res.body)
            if sig is not None:
                match = _near_duplicate(c, sig, inst.source_id)
        if match is not None:
            rid = match[0]
            c.execute(insert(instances_t).values(
                resource_id=rid, source_id=inst.source_id, url=inst.url, guid=inst.guid,
                content_hash=res.content_hash,
                first_seen=inst.first_seen or now, last_seen=inst.last_seen or now,
                status="live", missed_runs=0))
            self._merge_metadata(c, rid, res)
            return MERGED, rid

        rid = res.id
        if c.execute(select(resources_t.c.id).where(resources_t.c.id == rid)).first() is not None:
            # a different resource already owns this id (its first URL equals ours but it is
            # known at that URL under no instance any more): make ours distinct and stable
            rid = resource_id_for(f"{inst.source_id} {inst.url}")
        c.execute(insert(resources_t).values(id=rid, modified_at=now, minhash=_sig_bytes(sig),
                                             **self._row(res, now)))
        _insert_bands(c, rid, sig)
        c.execute(insert(instances_t).values(
            resource_id=rid, source_id=inst.source_id, url=inst.url, guid=inst.guid,
            content_hash=res.content_hash,
            first_seen=inst.first_seen or now, last_seen=inst.last_seen or now,
            status="live", missed_runs=0))
        return ADDED, rid

    @staticmethod
    def _row(res: Resource, now: datetime) -> dict[str, Any]:
        return dict(
            title=res.title, url=res.url, summary=res.summary or "", body=res.body or "",
            publisher=res.publisher, authors=list(res.authors), published=res.published,
            updated=res.updated, language=res.language, type=res.type or "other",
            themes=list(res.themes),
            places=[{"country": p.country, "city": p.city} for p in res.places],
            format=res.format, licence=res.licence, content_hash=res.content_hash,
            harvested_at=res.harvested_at or now,
        )

    def _update_content(self, c: Connection, rid: str, res: Resource, now: datetime) -> None:
        row = self._row(res, now)
        existing = c.execute(select(resources_t.c.places, resources_t.c.url)
                             .where(resources_t.c.id == rid)).first()
        if existing is not None:
            row["places"] = _union_places(existing[0] or [], row["places"])
            row["url"] = existing[1]  # the resource keeps its canonical URL
        sig = neardup.signature(res.body)
        c.execute(update(resources_t).where(resources_t.c.id == rid)
                  .values(modified_at=now, minhash=_sig_bytes(sig), **row))
        _replace_bands(c, rid, sig)

    def _merge_metadata(self, c: Connection, rid: str, res: Resource) -> None:
        cur = c.execute(select(resources_t).where(resources_t.c.id == rid)).mappings().first()
        vals: dict[str, Any] = {
            "places": _union_places(cur["places"] or [],
                                    [{"country": p.country, "city": p.city} for p in res.places]),
            "themes": sorted(set(cur["themes"] or []) | set(res.themes)),
        }
        if res.published and (cur["published"] is None or res.published < cur["published"]):
            vals["published"] = res.published
        for k in ("publisher", "language", "licence"):
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
                sig = neardup.signature(res.body)
                if sig is not None:
                    source_id = res.instances[0].source_id if res.instances else None
                    row = _near_duplicate(c, sig, source_id)
        return self.get_resource(row[0]) if row else None

    def put_resource(self, res: Resource) -> str:
        """Insert or replace a whole resource with its instances (imports, tests)."""
        now = utcnow()
        with self.engine.begin() as c:
            exists = c.execute(select(resources_t.c.id).where(resources_t.c.id == res.id)).first()
            row = self._row(res, now)
            sig = neardup.signature(res.body)
            row["minhash"] = _sig_bytes(sig)
            if exists:
                c.execute(update(resources_t).where(resources_t.c.id == res.id)
                          .values(modified_at=now, **row))
                c.execute(delete(instances_t).where(instances_t.c.resource_id == res.id))
            else:
                c.execute(insert(resources_t).values(id=res.id, modified_at=now, **row))
            _replace_bands(c, res.id, sig)
            for i in res.instances:
                c.execute(insert(instances_t).values(
                    resource_id=res.id, source_id=i.source_id, url=i.url, guid=i.guid,
                    content_hash=res.content_hash,
                    first_seen=i.first_seen or now, last_seen=i.last_seen or now,
                    status=i.status, missed_runs=0))
            c.execute(insert(outbox_t).values(resource_id=res.id, op="upsert", created_at=now))
        return UPDATED if exists else ADDED

    def clear(self) -> None:
        """Delete every row (the demo starts from an empty catalogue); the schema stays."""
        with self.engine.begin() as c:
            for table in reversed(metadata.sorted_tables):
                c.execute(delete(table))

    def delete_resource(self, rid: str) -> bool:
        with self.engine.begin() as c:
            c.execute(delete(resource_bands_t).where(resource_bands_t.c.resource_id == rid))
            n = c.execute(delete(instances_t).where(instances_t.c.resource_id == rid)).rowcount
            n += c.execute(delete(resources_t).where(resources_t.c.id == rid)).rowcount
            c.execute(insert(outbox_t).values(resource_id=rid, op="delete", created_at=utcnow()))
        return n > 0

    def get_resource(self, rid: str) -> Resource | None:
        found = self.get_resources([rid])
        return found[0] if found else None

    def get_resources(self, ids: Iterable[str]) -> list[Resource]:
        ids = list(ids)
        if not ids:
            return []
        with self.engine.connect() as c:
            return _load_resources(c, ids)

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

    # -- outbox ----------------------------------------------------------------------------
    @contextmanager
    def drain_session(self, owner: str):
        """Exclusive right to drain, where the database cannot share the work.

        PostgreSQL: several workers drain at once (see :meth:`claim_outbox`), so this is a
        no-op that yields True. SQLite: one drain at a time, through a lock row (stale after
        a minute without progress); yields False when another drain holds it — that drain
        loops until the outbox is empty, so the entries are not stranded.
        """
        if self.engine.dialect.name == "postgresql":
            yield True
            return
        ok, _ = self.acquire_source_lock(DRAIN_LOCK, owner, stale_after=60.0)
        try:
            yield ok
        finally:
            if ok:
                self.release_source_locks([DRAIN_LOCK], owner)

    @contextmanager
    def claim_outbox(self, limit: int = 500, exclude: set[int] | None = None):
        """Claim the oldest pending entries; they are removed only if ``claim.ack()`` was
        called before the block ends (the backend committed them).

        On PostgreSQL the entries are claimed ``FOR UPDATE SKIP LOCKED`` (two workers never
        claim the same entry) and the resources they name are locked in id order, so a
        worker that claims a newer change of the same resource waits until the older one
        is indexed and then reads the newest state: nothing is indexed twice, lost, or
        overwritten by an older version.
        """
        with self.engine.connect() as c:
            tx = c.begin()
            try:
                q = (select(outbox_t.c.id, outbox_t.c.resource_id, outbox_t.c.op)
                     .order_by(outbox_t.c.id).limit(limit))
                if exclude:
                    q = q.where(outbox_t.c.id.notin_(sorted(exclude)))
                pg = c.dialect.name == "postgresql"
                if pg:
                    q = q.with_for_update(skip_locked=True)
                entries = [tuple(r) for r in c.execute(q)]
                if pg and entries:
                    rids = sorted({e[1] for e in entries})
                    c.execute(select(resources_t.c.id).where(resources_t.c.id.in_(rids))
                              .order_by(resources_t.c.id).with_for_update())
                claim = OutboxClaim(entries, c)
                yield claim
                if claim.acked and entries:
                    for chunk in _chunks([e[0] for e in entries if e[0] not in claim.keep],
                                         500):
                        c.execute(delete(outbox_t).where(outbox_t.c.id.in_(chunk)))
                    if claim.indexed:
                        now = utcnow()
                        for chunk in _chunks(sorted(claim.indexed), 500):
                            c.execute(update(resources_t).where(resources_t.c.id.in_(chunk))
                                      .values(indexed_at=now))
                    tx.commit()
                else:
                    tx.rollback()
            except BaseException:
                tx.rollback()
                raise

    def outbox_batch(self, limit: int = 500, after_id: int = 0) -> list[tuple[int, str, str]]:
        with self.engine.connect() as c:
            return [tuple(r) for r in c.execute(
                select(outbox_t.c.id, outbox_t.c.resource_id, outbox_t.c.op)
                .where(outbox_t.c.id > after_id).order_by(outbox_t.c.id).limit(limit))]

    def outbox_ack(self, up_to_id: int, ids: Iterable[int] | None = None) -> None:
        with self.engine.begin() as c:
            if ids is not None:
                for chunk in _chunks(list(ids), 500):
                    c.execute(delete(outbox_t).where(outbox_t.c.id.in_(chunk)))
            else:
                c.execute(delete(outbox_t).where(outbox_t.c.id <= up_to_id))

    def outbox_status(self) -> tuple[int, datetime | None]:
        """(pending entries, creation time of the oldest)."""
        with self.engine.connect() as c:
            n, oldest = c.execute(select(func.count(), func.min(outbox_t.c.created_at))).first()
        if isinstance(oldest, str):  # aggregate over the decorated column comes back raw
            oldest = datetime.fromisoformat(oldest)
        return int(n), as_utc(oldest)

    def outbox_max_id(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.coalesce(func.max(outbox_t.c.id), 0))).scalar_one())


DRAIN_LOCK = "(outbox drain)"


class OutboxClaim:
    """Entries claimed by one drain; read resources through it to see the locked state."""

    def __init__(self, entries: list[tuple[int, str, str]], conn: Connection):
        self.entries = entries
        self.conn = conn
        self.acked = False
        self.indexed: set[str] = set()
        self.keep: set[int] = set()

    def resources(self, ids: list[str]) -> list[Resource]:
        return _load_resources(self.conn, ids)

    def ack(self, indexed: set[str] | None = None, keep: set[int] | None = None) -> None:
        """The backend committed the batch (except the entries in ``keep``)."""
        self.acked = True
        self.indexed = set(indexed or ())
        self.keep = set(keep or ())


def _load_resources(c: Connection, ids: list[str]) -> list[Resource]:
    """Resources with their instances, in the order of ``ids`` (unknown ids are left out)."""
    out: dict[str, Resource] = {}
    for chunk in _chunks(ids, 500):
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
# Candidates compared per lookup, those sharing the most bands first (a text nearly the same
# as an existing one shares most of its 16 bands with it), out of at most MAX_BAND_ROWS band
# matches: bounds the work when a template makes many pages share bands.
MAX_NEAR_CANDIDATES = 50
MAX_BAND_ROWS = 2000
# Resources sharing a band key with a signature: an OR of (band = i AND key = :k<i>) rather
# than a row-value IN, which SQLite plans as a scan of the table (the OR: one primary key
# search per band); built once, as building it per lookup costs more than running it.
_BAND_MATCHES = (
    select(resource_bands_t.c.resource_id)
    .where(or_(*(and_(resource_bands_t.c.band == i,
                      resource_bands_t.c.key == bindparam(f"k{i}", type_=BigInteger))
                 for i in range(neardup.BANDS))))
    .limit(MAX_BAND_ROWS)
)
_SIGNATURES = (select(resources_t.c.id, resources_t.c.minhash)
               .where(resources_t.c.id.in_(bindparam("ids", expanding=True))))
_SERVED_BY_SOURCE = (select(instances_t.c.resource_id)
                     .where(instances_t.c.resource_id.in_(bindparam("ids", expanding=True)),
                            instances_t.c.source_id == bindparam("source_id"),
                            instances_t.c.status == "live"))


def _sig_bytes(sig: neardup.Signature | None) -> bytes | None:
    return None if sig is None else neardup.to_bytes(sig)


def _insert_bands(c: Connection, rid: str, sig: neardup.Signature | None) -> None:
    if sig is not None:
        c.execute(insert(resource_bands_t),
                  [{"band": b, "key": k, "resource_id": rid} for b, k in neardup.band_keys(sig)])


def _replace_bands(c: Connection, rid: str, sig: neardup.Signature | None) -> None:
    c.execute(delete(resource_bands_t).where(resource_bands_t.c.resource_id == rid))
    _insert_bands(c, rid, sig)


def _near_duplicate(c: Connection, sig: neardup.Signature, source_id: str | None
                    ) -> tuple[str, float] | None:
    """(resource id, estimated Jaccard) of the most similar resource whose text is a near
    duplicate of the text with signature ``sig``, seen from ``source_id`` (the stricter
    threshold applies to a resource that source still serves at a live instance)."""
    shared = Counter(r[0] for r in c.execute(
        _BAND_MATCHES, {f"k{b}": k for b, k in neardup.band_keys(sig)}))
    if not shared:
        return None
    rids = [rid for rid, _n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))
            [:MAX_NEAR_CANDIDATES]]
    stored = dict(c.execute(_SIGNATURES, {"ids": rids}).all())
    same_source: set[str] = set()
    if source_id is not None:
        same_source = {r[0] for r in c.execute(_SERVED_BY_SOURCE,
                                               {"ids": rids, "source_id": source_id})}
    best: tuple[str, float] | None = None
    for rid in rids:
        if not stored.get(rid):
            continue
        sim = neardup.similarity(sig, neardup.from_bytes(stored[rid]))
        need = neardup.SAME_SOURCE_THRESHOLD if rid in same_source else neardup.THRESHOLD
        if sim >= need and (best is None or sim > best[1]):
            best = (rid, sim)
    return best


def _union_places(a: list[dict], b: list[dict]) -> list[dict]:
    out: list[dict] = []
    for p in [*a, *b]:
        p = {"country": p.get("country"), "city": p.get("city")}
        if (p["country"] or p["city"]) and p not in out:
            out.append(p)
    return out


def _chunks(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _resource_from_row(r) -> Resource:
    return Resource(
        id=r["id"], title=r["title"], url=r["url"], summary=r["summary"], body=r["body"],
        publisher=r["publisher"], authors=list(r["authors"] or []), published=r["published"],
        updated=r["updated"], language=r["language"], type=r["type"],
        themes=list(r["themes"] or []),
        places=[Place(p.get("country"), p.get("city")) for p in (r["places"] or [])],
        format=r["format"], licence=r["licence"], content_hash=r["content_hash"],
        harvested_at=r["harvested_at"], indexed_at=r["indexed_at"], instances=[],
    )


def _instance_from_row(i) -> Instance:
    return Instance(source_id=i["source_id"], url=i["url"], first_seen=i["first_seen"],
                    last_seen=i["last_seen"], guid=i["guid"], status=i["status"])
