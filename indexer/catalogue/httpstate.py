"""Per-URL HTTP state and listing sizes: what the harvester remembers between runs.

* validators (ETag, Last-Modified) for conditional GET, per URL, saved when that URL was read
  in full;
* the last failure of a document URL (kind, message, how many runs in a row), so a document
  that failed is asked again next run even when its listing answers 304; cleared on success;
* how many items each source's listings named in each run (``run_sources.listed``), the
  baseline for telling a suspect listing (one that suddenly shrinks) from a real change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from ..resource import utcnow
from .tables import http_state_t, run_errors_t, run_sources_t

SUSPECT_LISTING = "suspect-listing"  # the kind of the run error that marks a suspect listing


_STATE_FIELDS = ("source_id", "etag", "last_modified", "status", "checked_at", "instance_url")
# built once: the ingest of every harvested page runs them
_UPDATE_STATE = (update(http_state_t).where(http_state_t.c.url == bindparam("key"))
                 .values({**{f: bindparam(f"v_{f}") for f in _STATE_FIELDS},
                          "error_kind": None, "error": None, "failures": 0}))
_INSERT_STATE = insert(http_state_t).values({**{f: bindparam(f"v_{f}") for f in _STATE_FIELDS},
                                             "url": bindparam("key"), "error_kind": None,
                                             "error": None, "failures": 0})
_CLEAR_FAILURE = (update(http_state_t)
                  .where(http_state_t.c.url == bindparam("key"), http_state_t.c.failures > 0)
                  .values(error_kind=None, error=None, failures=0))


def save_validators(c: Connection, url: str, source_id: str, etag: str | None,
                    last_modified: str | None, status: int, instance_url: str | None = None
                    ) -> None:
    """In transaction ``c``: the validators of a URL read in full; its last failure cleared."""
    params = {"key": url, "v_source_id": source_id, "v_etag": etag,
              "v_last_modified": last_modified, "v_status": status, "v_checked_at": utcnow(),
              "v_instance_url": instance_url}
    if c.execute(_UPDATE_STATE, params).rowcount == 0:
        c.execute(_INSERT_STATE, params)


def clear_failure_in(c: Connection, url: str) -> None:
    """In transaction ``c``: ``url`` answered, its last failure is forgotten."""
    c.execute(_CLEAR_FAILURE, {"key": url})


class HttpStateMixin:
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
        """The validators of a URL that was read in full (any earlier failure is cleared)."""
        with self.engine.begin() as c:
            save_validators(c, url, source_id, etag, last_modified, status, instance_url)

    # -- failed documents ---------------------------------------------------------------------
    def note_url_failure(self, url: str, source_id: str, kind: str, message: str) -> int:
        """Remember that ``url`` failed this run; returns how many runs in a row it failed."""
        now = utcnow()
        with self.engine.begin() as c:
            row = c.execute(select(http_state_t.c.failures)
                            .where(http_state_t.c.url == url)).first()
            failures = (row[0] or 0) + 1 if row else 1
            vals = dict(source_id=source_id, error_kind=kind, error=message[:2000],
                        failures=failures)
            if row is None:
                c.execute(insert(http_state_t).values(url=url, checked_at=now, **vals))
            else:
                c.execute(update(http_state_t).where(http_state_t.c.url == url).values(**vals))
        return failures

    def clear_url_failure(self, url: str) -> None:
        """``url`` answered (304 or in full): forget its last failure."""
        with self.engine.begin() as c:
            clear_failure_in(c, url)

    def failed_urls(self, source_id: str) -> dict[str, tuple[str | None, str | None, int]]:
        """{url: (error kind, message, runs in a row)} of the source's documents that failed
        last time they were asked."""
        q = (select(http_state_t.c.url, http_state_t.c.error_kind, http_state_t.c.error,
                    http_state_t.c.failures)
             .where(http_state_t.c.source_id == source_id, http_state_t.c.failures > 0))
        with self.engine.connect() as c:
            return {r[0]: (r[1], r[2], r[3]) for r in c.execute(q)}

    # -- listing sizes ------------------------------------------------------------------------
    def save_listed(self, run_id: int, source_id: str, listed: int | None) -> None:
        """How many items the source's listings named in this run (None: not read in full)."""
        with self.engine.begin() as c:
            c.execute(update(run_sources_t)
                      .where(run_sources_t.c.run_id == run_id,
                             run_sources_t.c.source_id == source_id)
                      .values(listed=listed))

    def listing_history(self, source_id: str, before_run: int, limit: int = 20
                        ) -> list[tuple[int, bool]]:
        """(items listed, was it suspect) of the source's earlier successful runs whose
        listing was read in full, newest first."""
        q = (select(run_sources_t.c.run_id, run_sources_t.c.listed)
             .where(run_sources_t.c.source_id == source_id, run_sources_t.c.run_id < before_run,
                    run_sources_t.c.status == "succeeded", run_sources_t.c.listed.isnot(None))
             .order_by(run_sources_t.c.run_id.desc()).limit(limit))
        with self.engine.connect() as c:
            rows = c.execute(q).all()
            if not rows:
                return []
            suspect = {r[0] for r in c.execute(
                select(run_errors_t.c.run_id).where(
                    run_errors_t.c.source_id == source_id,
                    run_errors_t.c.kind == SUSPECT_LISTING,
                    run_errors_t.c.run_id.in_([r[0] for r in rows])))}
        return [(r[1], r[0] in suspect) for r in rows]
