"""What the spiders of catalogue APIs (CKAN, JSON APIs) share: reading a JSON answer, a
record's dates, languages and types, the start of incremental harvesting, and the records a
source holds in the catalogue.

Never I/O of its own beyond the catalogue reads named here.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from indexer.dates import parse_date
from indexer.language import normalise_language_code
from indexer.resource import RESOURCE_TYPES, as_utc

__all__ = ["ApiAnswerError", "day_end", "day_start", "deadline_of", "json_answer",
           "language_of", "moment", "resource_type_of", "since_last_success",
           "text_of"]

# a date without a time: a deadline closes at the end of that day in Brussels (the EU's
# calls), an event starts at its beginning
BRUSSELS = ZoneInfo("Europe/Brussels")
_DAY_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")

# words an API uses for a record's kind -> the portal's resource types
_TYPE_WORDS = (
    ("funding", ("call", "grant", "tender", "funding", "subsidy", "prize", "proposal")),
    ("event", ("event", "conference", "workshop", "webinar", "seminar", "meeting")),
    ("news", ("news", "press", "article")),
    ("report", ("report", "study", "publication", "evaluation")),
    ("dataset", ("dataset", "data")),
    ("strategy", ("strategy", "roadmap", "action plan")),
    ("guide", ("guide", "toolkit", "handbook", "manual")),
    ("good-practice", ("good practice", "case study", "project")),
    ("policy", ("policy", "regulation", "directive", "law")),
)


class ApiAnswerError(Exception):
    """An API answer that cannot be used (not JSON, an error, the wrong shape)."""


def json_answer(body: bytes, what: str = "the API") -> Any:
    """The JSON value of an answer; ApiAnswerError saying what came instead."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ApiAnswerError(f"{what} did not answer JSON (the body is not UTF-8 text)") from None
    except ValueError as exc:
        start = body[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise ApiAnswerError(f"{what} did not answer JSON ({exc.msg} at character {exc.pos}; "
                             f"the answer starts {start!r})") from None


def text_of(value: Any) -> str | None:
    """A record's value as one string: the first of a list, a number as text, None if empty."""
    if isinstance(value, list):
        value = next((v for v in value if v not in (None, "", [])), None)
    if isinstance(value, dict):
        # a multilingual value {"en": "…", "fr": "…"}: English, else the first
        value = value.get("en") or next(iter(value.values()), None)
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def moment(value: Any, *, end_of_day: bool = False) -> datetime | None:
    """A date or date-time of a record as aware UTC: ISO 8601, the usual written forms, or
    epoch seconds/milliseconds. A day without a time is that day's start in Brussels, or its
    last second with ``end_of_day`` (a deadline, an event's last day)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=0)
        except (OverflowError, OSError, ValueError):
            return None
    text = text_of(value)
    if text is None:
        return None
    if re.fullmatch(r"\d{10}|\d{13}", text):
        return moment(int(text), end_of_day=end_of_day)
    if _DAY_ONLY.match(text):
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            return None
        return day_end(day) if end_of_day else day_start(day)
    return as_utc(parse_date(text))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), BRUSSELS).astimezone(timezone.utc)


def day_end(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), BRUSSELS).astimezone(timezone.utc)


def deadline_of(values: Any, now: datetime) -> datetime | None:
    """The deadline of a record that may give several (a two-stage call): the first one not
    passed yet, else the last one."""
    items = values if isinstance(values, list) else [values]
    found = sorted(d for d in (moment(v, end_of_day=True) for v in items) if d is not None)
    if not found:
        return None
    return next((d for d in found if d >= now), found[-1])


def language_of(value: Any) -> str | None:
    """An ISO 639-1 code known to the portal from ``en``, ``en-GB``, ``ENG``, ``fra``, a
    language-authority URI (``…/language/DEU``) or a list of them (the first known)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            item = item.get("code") or item.get("id") or item.get("name")
        text = text_of(item)
        if not text:
            continue
        for part in re.split(r"[,;\s]+", text.strip().strip("[]")):
            found = normalise_language_code(part.strip("\"' "))
            if found:
                return found
    return None


def resource_type_of(value: Any, mapping: dict[str, str] | None = None) -> str | None:
    """The portal's resource type (a key of RESOURCE_TYPES) for the kind an API gives, or
    None when it says nothing the portal knows."""
    text = text_of(value)
    if not text:
        return None
    low = text.lower().strip()
    for k, v in (mapping or {}).items():
        if k.lower() == low and v in RESOURCE_TYPES:
            return v
    if low in RESOURCE_TYPES:
        return low
    for kind, words in _TYPE_WORDS:
        if any(re.search(rf"\b{re.escape(w)}", low) for w in words):
            return kind
    return None


def since_last_success(catalogue, source_id: str, overlap_minutes: int) -> datetime | None:
    """When the source's last successful run started, less ``overlap_minutes``; None before
    its first success."""
    started = catalogue.last_success_started(source_id)
    return None if started is None else as_utc(started) - timedelta(minutes=overlap_minutes)
