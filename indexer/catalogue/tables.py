"""The catalogue's tables (SQLAlchemy Core) and the record statuses.

The schema's history is in ``indexer/migrations``; a change here needs a migration.
"""

from __future__ import annotations

from datetime import timezone

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
)
from sqlalchemy.types import TypeDecorator

from ..resource import as_utc

__all__ = [
    "UTCDateTime", "metadata", "sources_t", "resources_t", "resource_bands_t", "instances_t",
    "http_state_t", "runs_t", "run_sources_t", "run_errors_t", "outbox_t", "source_locks_t",
    "deleted_resources_t",
    "source_health_t", "tasks_t", "admin_sessions_t", "login_throttle_t",
    "ADDED", "UPDATED", "UNCHANGED", "MERGED", "FAILED", "SKIPPED", "COUNTERS", "DRAIN_LOCK",
]


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
    Column("modified_at", UTCDateTime, index=True),
    # when a funding call closes; when an event starts and ends (migration 0008)
    Column("deadline", UTCDateTime, index=True),
    Column("event_start", UTCDateTime, index=True),
    Column("event_end", UTCDateTime),
    # MinHash signature of the body (indexer.neardup); NULL when the text is too short
    Column("minhash", LargeBinary),
    # distinct shingles of the body: with the signature, estimates containment (migration 0004)
    Column("shingles", Integer),
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
    Column("content_hash", String(64)),  # what this instance last served (Resource.served_hash)
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

# ids that no longer exist (deleted, or merged into replaced_by): the OAI-PMH provider's
# deleted records (migration 0008)
deleted_resources_t = Table(
    "deleted_resources", metadata,
    Column("id", String(40), primary_key=True),
    Column("deleted_at", UTCDateTime, nullable=False, index=True),
    Column("replaced_by", String(40)),
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

# the lock row that serialises outbox drains on SQLite
DRAIN_LOCK = "(outbox drain)"
