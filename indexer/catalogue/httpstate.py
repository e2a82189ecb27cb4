"""Per-URL HTTP state: the validators for conditional GET."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select, update

from ..resource import utcnow
from .tables import http_state_t


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
        now = utcnow()
        with self.engine.begin() as c:
            vals = dict(source_id=source_id, etag=etag, last_modified=last_modified,
                        status=status, checked_at=now, instance_url=instance_url)
            done = c.execute(update(http_state_t).where(http_state_t.c.url == url).values(**vals))
            if done.rowcount == 0:
                c.execute(insert(http_state_t).values(url=url, **vals))
