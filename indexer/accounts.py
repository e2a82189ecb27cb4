"""Admin accounts in the catalogue: server-side sessions and the failed-login throttle.

Both live in catalogue tables so that every worker process of the web app sees the same state
(SQLAlchemy Core on the catalogue's :class:`~sqlalchemy.engine.Engine`; SQLite and PostgreSQL).

Sessions (:class:`SessionStore`, table ``admin_sessions``)
    A login gets a random token; the browser keeps it (in the signed session cookie) and the
    catalogue keeps only its SHA-256, so reading the table does not give anyone a session. A
    session is valid while it is not revoked, not past ``expires_at`` (absolute lifetime), used
    within the idle timeout, and made with the credentials now configured (``credential_tag``,
    derived from the password hash: a new password ends every older session).

Throttle (:class:`LoginThrottle`, table ``login_throttle``)
    Failed logins are counted per key (``client:<address>``, ``account:<user>``,
    ``browser:<id>``), each under a :class:`ThrottlePolicy`: a few failures are free, then the
    next attempt must wait a delay that doubles with each failure (capped), and a policy may lock
    the key for a while after more failures. The wait is *reported*, never slept: the caller
    answers at once (HTTP 429 with ``Retry-After``). A success clears the keys; a key whose last
    failure is older than the policy's ``forget_after`` counts from zero again and is deleted.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .catalogue import admin_sessions_t, login_throttle_t

__all__ = ["LoginThrottle", "SessionInfo", "SessionStore", "ThrottlePolicy", "token_id"]

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often (or idle/4)
KEEP_ENDED = timedelta(days=7)  # ended sessions stay this long (who logged in when), then go


def utcnow() -> datetime:
    """Now, to the microsecond (waits of a second must not be rounded away)."""
    return datetime.now(UTC)


def token_id(token: str) -> str:
    """The stored id of a session token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- sessions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionInfo:
    id: str
    user: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client: str | None


class SessionStore:
    """Server-side admin sessions; only SHA-256 ids of the tokens are stored."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, user: str, credential_tag: str, *, lifetime: timedelta,
               client: str | None = None, now: datetime | None = None) -> str:
        """Start a session; returns the token to give the browser (never stored)."""
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            c.execute(insert(admin_sessions_t).values(
                id=token_id(token), user=user, credential_tag=credential_tag, created_at=now,
                last_seen_at=now, expires_at=now + lifetime, revoked_at=None,
                client=(client or None) and client[:200]))
            # sessions of an older password end now, and long-ended ones are forgotten
            c.execute(update(admin_sessions_t)
                      .where(admin_sessions_t.c.credential_tag != credential_tag,
                             admin_sessions_t.c.revoked_at.is_(None))
                      .values(revoked_at=now))
            c.execute(delete(admin_sessions_t).where(or_(
                admin_sessions_t.c.expires_at < now - KEEP_ENDED,
                admin_sessions_t.c.revoked_at < now - KEEP_ENDED)))
        return token

    def check(self, token: str, credential_tag: str, *, idle: timedelta,
              now: datetime | None = None) -> SessionInfo | None:
        """The live session of ``token``, or None (unknown, revoked, expired, idle too long,
        or made with other credentials). Marks it as used."""
        now = now or utcnow()
        sid = token_id(token)
        with self.engine.connect() as c:
            row = c.execute(select(admin_sessions_t)
                            .where(admin_sessions_t.c.id == sid)).mappings().first()
        if (row is None or row["revoked_at"] is not None or row["expires_at"] <= now
                or row["last_seen_at"] + idle <= now
                or not secrets.compare_digest(row["credential_tag"], credential_tag)):
            return None
        if now - row["last_seen_at"] >= min(TOUCH_EVERY, idle / 4):
            with self.engine.begin() as c:
                c.execute(update(admin_sessions_t).where(admin_sessions_t.c.id == sid)
                          .values(last_seen_at=now))
        return SessionInfo(id=sid, user=row["user"], created_at=row["created_at"],
                           last_seen_at=max(row["last_seen_at"], now),
                           expires_at=row["expires_at"], client=row["client"])

    def revoke(self, token: str, now: datetime | None = None) -> bool:
        """End the session of ``token`` (logout); False if it was not live."""
        with self.engine.begin() as c:
            result = c.execute(update(admin_sessions_t)
                               .where(admin_sessions_t.c.id == token_id(token),
                                      admin_sessions_t.c.revoked_at.is_(None))
                               .values(revoked_at=now or utcnow()))
        return result.rowcount > 0

    def revoke_all(self, user: str | None = None, now: datetime | None = None) -> int:
        """End every live session (of ``user``, or of everyone); returns how many."""
        stmt = update(admin_sessions_t).where(admin_sessions_t.c.revoked_at.is_(None))
        if user is not None:
            stmt = stmt.where(admin_sessions_t.c.user == user)
        with self.engine.begin() as c:
            return c.execute(stmt.values(revoked_at=now or utcnow())).rowcount

    def live(self, now: datetime | None = None) -> list[SessionInfo]:
        """Sessions not revoked and not past their absolute expiry, newest first."""
        now = now or utcnow()
        t = admin_sessions_t
        with self.engine.connect() as c:
            rows = c.execute(select(t).where(t.c.revoked_at.is_(None), t.c.expires_at > now)
                             .order_by(t.c.created_at.desc())).mappings().all()
        return [SessionInfo(id=r["id"], user=r["user"], created_at=r["created_at"],
                            last_seen_at=r["last_seen_at"], expires_at=r["expires_at"],
                            client=r["client"]) for r in rows]


# -- the failed-login throttle -------------------------------------------------------------------
@dataclass(frozen=True)
class ThrottlePolicy:
    """How failures under one kind of key slow down the next attempt.

    After ``free`` failures the next attempt must wait ``first_wait`` seconds, doubling with
    every further failure up to ``max_wait``; from ``lock_after`` failures on (None: never) each
    failure locks the key for ``lock_for`` seconds instead. Failures older than
    ``forget_after`` seconds (and no lock running) are forgotten.
    """

    free: int
    first_wait: float
    max_wait: float
    lock_after: int | None = None
    lock_for: float = 0.0
    forget_after: float = 86400.0

    def wait(self, failures: int, last_failure_at: datetime | None,
             locked_until: datetime | None, now: datetime) -> float:
        """Seconds still to wait before the next attempt (0: go ahead)."""
        waits = [0.0]
        if locked_until is not None and locked_until > now:
            waits.append((locked_until - now).total_seconds())
        elif last_failure_at is None or now - last_failure_at > timedelta(
                seconds=self.forget_after):
            return 0.0
        locked_range = self.lock_after is not None and failures >= self.lock_after
        if failures >= self.free and not locked_range:
            delay = min(self.first_wait * 2 ** (failures - self.free), self.max_wait)
            waits.append((last_failure_at + timedelta(seconds=delay) - now).total_seconds())
        return max(waits)


class LoginThrottle:
    """Failed-login counters shared by every worker process, one :class:`ThrottlePolicy` per
    kind of key (the text before the first ``:``)."""

    def __init__(self, engine: Engine, policies: Mapping[str, ThrottlePolicy]):
        self.engine = engine
        self.policies = dict(policies)

    def _policy(self, key: str) -> ThrottlePolicy:
        return self.policies[key.split(":", 1)[0]]

    def retry_after(self, keys: Iterable[str], now: datetime | None = None) -> int:
        """Whole seconds before any of ``keys`` may try again (0: now)."""
        now = now or utcnow()
        keys = list(keys)
        t = login_throttle_t
        with self.engine.connect() as c:
            rows = c.execute(select(t).where(t.c.key.in_(keys))).mappings().all()
        waits = [self._policy(r["key"]).wait(r["failures"], r["last_failure_at"],
                                             r["locked_until"], now) for r in rows]
        return math.ceil(max(waits, default=0.0))

    def failed(self, keys: Iterable[str], now: datetime | None = None) -> dict[str, int]:
        """Count one failure against every key (atomically, so parallel failures from several
        workers all count); returns each key's failures now."""
        now = now or utcnow()
        counts = {}
        with self.engine.begin() as c:
            for key in keys:
                counts[key] = self._count(c, key, self._policy(key), now)
            # expired entries go: nothing locked, last failure long ago
            longest = max(p.forget_after for p in self.policies.values())
            t = login_throttle_t
            c.execute(delete(t).where(t.c.last_failure_at < now - timedelta(seconds=longest),
                                      or_(t.c.locked_until.is_(None), t.c.locked_until < now)))
        return counts

    def _count(self, c, key: str, policy: ThrottlePolicy, now: datetime) -> int:
        t = login_throttle_t
        stale = and_(t.c.last_failure_at < now - timedelta(seconds=policy.forget_after),
                     or_(t.c.locked_until.is_(None), t.c.locked_until <= now))
        bump = (update(t).where(t.c.key == key)
                .values(failures=case((stale, 1), else_=t.c.failures + 1),
                        first_failure_at=case((stale, now), else_=t.c.first_failure_at),
                        last_failure_at=now))
        if c.execute(bump).rowcount == 0:
            try:
                with c.begin_nested():
                    c.execute(insert(t).values(key=key, failures=1, first_failure_at=now,
                                               last_failure_at=now, locked_until=None))
            except IntegrityError:  # another worker inserted it first: count on its row
                c.execute(bump)
        if policy.lock_after is not None:
            c.execute(update(t).where(t.c.key == key, t.c.failures >= policy.lock_after)
                      .values(locked_until=now + timedelta(seconds=policy.lock_for)))
        return c.execute(select(t.c.failures).where(t.c.key == key)).scalar_one()

    def succeeded(self, keys: Iterable[str]) -> None:
        """A right password: forget the failures of every key."""
        keys = list(keys)
        with self.engine.begin() as c:
            c.execute(delete(login_throttle_t).where(login_throttle_t.c.key.in_(keys)))

    def failures(self, key: str) -> int:
        """Failures counted against ``key`` (0 when none)."""
        with self.engine.connect() as c:
            n = c.execute(select(login_throttle_t.c.failures)
                          .where(login_throttle_t.c.key == key)).scalar_one_or_none()
        return n or 0
