"""Resumption tokens and datestamps of the OAI-PMH provider (``search_ui/oai.py``).

A token is stateless: it carries the request's arguments (metadata prefix, set, from, until),
the keyset cursor (datestamp and id of the last record sent), how many records were sent and
the list's size, and when it expires — as compact JSON in URL-safe base64, signed with an
HMAC of the portal's secret key. Any worker of any process answers it, and nothing is stored
between pages. A token that was changed, signed with another key or has expired is refused
(``badResumptionToken``); the harvester starts the list again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = [
    "BadDate", "BadToken", "ListState", "datestamp", "decode_token", "encode_token",
    "parse_range",
]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_VERSION = 1


class BadDate(ValueError):
    """A from/until argument the protocol does not allow (one plain line says why)."""


class BadToken(ValueError):
    """A resumption token that is not one of ours, was altered, or has expired."""


def datestamp(when: datetime) -> str:
    """A UTC datetime as the protocol writes it, to the second: 2026-12-03T18:34:20Z."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_one(name: str, raw: str) -> tuple[datetime, timedelta]:
    """The moment ``raw`` names and its granularity (one day or one second)."""
    if _DAY.match(raw):
        fmt, step = "%Y-%m-%d", timedelta(days=1)
    elif _SECOND.match(raw):
        fmt, step = "%Y-%m-%dT%H:%M:%SZ", timedelta(seconds=1)
    else:
        raise BadDate(f"{name}={raw!r} is not a date (YYYY-MM-DD) or a UTC time "
                      "(YYYY-MM-DDThh:mm:ssZ)")
    try:
        return datetime.strptime(raw, fmt).replace(tzinfo=timezone.utc), step
    except ValueError:
        raise BadDate(f"{name}={raw!r} is not a real date") from None


def parse_range(since: str | None, until: str | None
                ) -> tuple[datetime | None, datetime | None]:
    """``from`` and ``until`` as a half-open range [since, before): ``until`` takes in the
    whole day or second it names. Raises :class:`BadDate`."""
    lower = upper = None
    if since is not None:
        lower, lower_step = _parse_one("from", since)
    if until is not None:
        moment, upper_step = _parse_one("until", until)
        upper = moment + upper_step
    if lower is not None and upper is not None:
        if lower_step != upper_step:
            raise BadDate("from and until have different granularities (one a date, the "
                          "other a time)")
        if lower >= upper:
            raise BadDate(f"from={since} is later than until={until}")
    return lower, upper


@dataclass(frozen=True)
class ListState:
    """Where a list request stands: its arguments, the last record sent, the counts."""

    verb: str
    prefix: str
    set_spec: str | None
    since: str | None  # the from argument as given
    until: str | None
    last_stamp: datetime
    last_id: str
    sent: int  # records sent so far, this page included
    total: int  # completeListSize
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:18])


def encode_token(state: ListState, key: bytes) -> str:
    payload = [_VERSION, state.verb, state.prefix, state.set_spec, state.since, state.until,
               state.last_stamp.astimezone(timezone.utc).isoformat(), state.last_id,
               state.sent, state.total, int(state.expires.timestamp())]
    body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_sign(key, body)}"


def decode_token(token: str, key: bytes, now: datetime) -> ListState:
    """The state a token of ours carries; :class:`BadToken` for anything else."""
    body, dot, mac = token.partition(".")
    if not (dot and token.isascii()) or not hmac.compare_digest(mac, _sign(key, body)):
        raise BadToken("the resumptionToken is not one this repository issued")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        (version, verb, prefix, set_spec, since, until, stamp, last_id, sent, total,
         expires) = json.loads(raw)
        if version != _VERSION:
            raise ValueError(version)
        state = ListState(verb, prefix, set_spec, since, until, datetime.fromisoformat(stamp),
                          last_id, int(sent), int(total),
                          datetime.fromtimestamp(int(expires), timezone.utc))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadToken("the resumptionToken is not one this repository issued") from None
    if state.expires <= now:
        raise BadToken(f"the resumptionToken expired at {datestamp(state.expires)}: "
                       "start the list again")
    return state
