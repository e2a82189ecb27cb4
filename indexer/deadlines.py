"""When a funding call closes and when an event takes place: :func:`find_dates`.

Sources, most trusted first:

1. ``structured``: what the page or the record states. Top-level ``deadline``, ``event_start``
   and ``event_end`` (a catalogue record's :class:`~indexer.resource.Hints` dates, or the
   page's event markup) are taken as they are. schema.org nodes found anywhere in it (a list
   of JSON-LD nodes under any key, ``@graph`` documents, one node) give an ``Event``'s
   ``startDate``/``endDate`` and a call's ``applicationDeadline``, ``validThrough`` or, on a
   ``Grant``/``MonetaryGrant``/``FundingScheme``/``Demand`` node or a funding page, ``expires``.
2. The title and text, in any of the portal's languages. A date is a *deadline* only with a
   cue bound to it: a deadline word before it in the same sentence with no other date in
   between ("Deadline: 15 March 2027", "termine di presentazione: 15/03/2027 ore 12:00",
   "paraiškos priimamos iki 2027 m. kovo 15 d.") or after it ("15.3.2027 mennessä"); an
   "until" word ("bis", "entro il", "iki", "έως") counts only in a sentence about applying
   (or on a funding call's page). Dates about something else — a registration or questions
   deadline, results, publication, a previous edition, a date before the page was published
   — are not the deadline. Of several deadlines the earliest open one wins (a two-stage call
   closes to newcomers at its first stage); an extended deadline wins over the old one; an
   application period's end is its deadline. When in doubt: no deadline.
   *Event* dates come from the text only for a page about an event (``resource_type`` "event",
   or unknown with a cue such as "Date:", "takes place", "findet … statt", "odbędzie się").

A date written without a year takes the year that puts it closest after the page's
``published`` date (no ``published``, no year: the date is left out). A day without a time:
deadline = 23:59:59 Europe/Brussels that day, event start = 00:00 and event end = 23:59:59
Europe/Brussels. A time without a zone is local time of the text's language (Europe/Brussels
when unknown); "CET", "17:00 (Brussels time)", "UTC+1" are honoured. All results are UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from . import datecues as cues
from .datetext import Day, Mention, fold, mentions

__all__ = ["BRUSSELS", "DateFacts", "find_dates", "is_all_day"]

BRUSSELS = ZoneInfo("Europe/Brussels")
_END_OF_DAY = time(23, 59, 59)
_TEXT_LIMIT = 40_000
_WINDOW = 120  # characters before a date where its cue may be
_ZONES = {
    "pt": "Europe/Lisbon", "en": "Europe/Brussels", "ga": "Europe/Dublin", "lt": "Europe/Vilnius",
    "lv": "Europe/Riga", "et": "Europe/Tallinn", "fi": "Europe/Helsinki", "el": "Europe/Athens",
    "bg": "Europe/Sofia", "ro": "Europe/Bucharest", "cy": "Europe/London",
}
_FIXED = {"cet": 60, "mez": 60, "cest": 120, "mesz": 120, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
          "west": 60, "bst": 60, "eet": 120, "oez": 120, "eest": 180, "oesz": 180}


@dataclass(frozen=True)
class DateFacts:
    """A resource's date facts (aware UTC datetimes, or None)."""

    deadline: datetime | None = None
    event_start: datetime | None = None
    event_end: datetime | None = None


def is_all_day(start: datetime | None, end: datetime | None) -> bool:
    """Whether an event's dates are whole days (start 00:00, end 23:59:59 Europe/Brussels)."""
    if start is None:
        return False
    if start.astimezone(BRUSSELS).time() != time(0, 0):
        return False
    return end is None or end.astimezone(BRUSSELS).time() == _END_OF_DAY


def find_dates(
    title: str, text: str, language: str | None, *, resource_type: str | None,
    structured: Mapping[str, Any] | None, published: datetime | None,
) -> DateFacts:
    """The deadline and event dates a document states (see the module's documentation)."""
    deadline, start, end = _from_structured(structured, resource_type)
    if deadline is not None and start is not None:
        return DateFacts(deadline, start, end)
    body = f"{title or ''}\n{(text or '')[:_TEXT_LIMIT]}"
    folded = fold(body)
    found = mentions(folded, body, language)
    if not found:
        return DateFacts(deadline, start, end)
    published = published.astimezone(timezone.utc) if published and published.tzinfo else (
        published.replace(tzinfo=timezone.utc) if published else None)
    zone = ZoneInfo(_ZONES.get((language or "")[:2], "Europe/Brussels"))
    context = _Context(folded, found, len(title or "") + 1, resource_type, published, zone)
    if deadline is None:
        deadline = context.deadline()
    if start is None and (resource_type in (None, "event")):
        start, end = context.event(start_hint=None)
    return DateFacts(deadline, start, end)


# --- structured data -------------------------------------------------------------------------
_EVENT_TYPES = re.compile(r"event|festival|conference|exhibition|course", re.I)
_CALL_TYPES = {"grant", "monetarygrant", "fundingscheme", "demand", "jobposting",
               "educationaloccupationalprogram", "tender", "call"}


def _nodes(data: Any, depth: int = 0) -> Iterable[Mapping[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, Mapping):
        if "@type" in data:
            yield data
        for value in data.values():
            if isinstance(value, (Mapping, list, tuple)):
                yield from _nodes(value, depth + 1)
    elif isinstance(data, (list, tuple)):
        for item in data[:200]:
            yield from _nodes(item, depth + 1)


def _types(node: Mapping[str, Any]) -> list[str]:
    t = node.get("@type")
    items = t if isinstance(t, list) else [t]
    return [x.rsplit("/", 1)[-1].rsplit(":", 1)[-1].casefold() for x in items if isinstance(x, str)]


def _from_structured(structured: Mapping[str, Any] | None, resource_type: str | None):
    """(deadline, start, end) the structured data states: its top-level dates (a record's, or
    the page's event markup) first, then the schema.org nodes."""
    if not structured:
        return None, None, None
    deadline = _value(structured.get("deadline"), "deadline")
    start = _value(structured.get("event_start"), "start")
    end = _value(structured.get("event_end"), "end")
    nodes = list(_nodes({k: v for k, v in structured.items() if k not in ("deadline", "event_start", "event_end")}))
    # a call's page: its grant node, or the page of a funding call ("expires" is its deadline)
    callish = resource_type == "funding" or any(t in _CALL_TYPES for n in nodes for t in _types(n))
    for node in nodes:
        types = _types(node)
        if any(_EVENT_TYPES.search(t) for t in types):
            node_start = _value(node.get("startDate"), "start")
            if start is None:
                start = node_start
            # the event's end, when the node is the event the top-level start is about
            if end is None and node_start is not None and _same_day(node_start, start):
                end = _value(node.get("endDate"), "end")
        if deadline is None:
            for key in ("applicationDeadline", "validThrough", "expires") if callish else ("applicationDeadline",):
                deadline = _value(node.get(key), "deadline")
                if deadline is not None:
                    break
    if start is not None and end is not None and end < start:
        end = None
    if start is not None and end is None and is_all_day(start, None):
        end = _at(start.astimezone(BRUSSELS).date(), _END_OF_DAY, BRUSSELS)
    return deadline, start, end


def _same_day(a: datetime, b: datetime | None) -> bool:
    return b is not None and a.astimezone(BRUSSELS).date() == b.astimezone(BRUSSELS).date()


def _value(value: Any, role: str) -> datetime | None:
    """A structured date (datetime, date or string) as UTC; a bare day per ``role``."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        value = value.get("@value")
    day: date | None = None
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=BRUSSELS)
        dt = dt.astimezone(timezone.utc)
        if dt.time() != time(0, 0):
            return dt if 2000 <= dt.year <= 2100 else None
        day = dt.date()  # midnight UTC: a record that gave only a day
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str) and value.strip():
        s = value.strip()
        try:
            if len(s) <= 10:
                day = date.fromisoformat(s)
            else:
                dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
                dt = dt if dt.tzinfo else dt.replace(tzinfo=BRUSSELS)
                return dt.astimezone(timezone.utc) if 2000 <= dt.year <= 2100 else None
        except ValueError:
            found = mentions(fold(s), s)
            if not found or found[0].first.year is None:
                return None
            m = found[0]
            d = m.last if role == "end" and m.last else m.first
            return _instant(d, m.time if role != "end" or not m.last else None, m.tz, role, BRUSSELS)
    if day is None or not 2000 <= day.year <= 2100:
        return None
    return _at(day, _END_OF_DAY if role in ("deadline", "end") else time(0, 0), BRUSSELS)


def _at(day: date, t: time, zone) -> datetime:
    return datetime.combine(day, t, tzinfo=zone).astimezone(timezone.utc)


def _instant(day: Day, hm: tuple[int, int] | None, tz: str | None, role: str, zone) -> datetime | None:
    if day.year is None:
        return None
    try:
        d = date(day.year, day.month, day.day)
    except ValueError:
        return None
    if hm is None:
        return _at(d, _END_OF_DAY if role in ("deadline", "end") else time(0, 0), BRUSSELS)
    return _at(d, time(*hm), _zone_of(tz, zone))


def _zone_of(tz: str | None, default):
    if not tz:
        return default
    m = re.fullmatch(r"([a-z ]*?)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", tz.strip())
    name = (m.group(1) if m else tz).strip()
    base = None
    if name in _FIXED or (m and m.group(2) and name in ("", "utc", "gmt")):
        base = _FIXED.get(name, 0)
        if m and m.group(2):
            sign = 1 if m.group(2) == "+" else -1
            base += sign * (int(m.group(3)) * 60 + int(m.group(4) or 0))
        return timezone(timedelta(minutes=base)) if abs(base) <= 14 * 60 else default
    if re.search(r"brus|brux|bruk|briusel", name):
        return BRUSSELS
    if "paris" in name:
        return ZoneInfo("Europe/Paris")
    if "lisboa" in name:
        return ZoneInfo("Europe/Lisbon")
    if "ελλαδ" in name:
        return ZoneInfo("Europe/Athens")
    if "suomen" in name:
        return ZoneInfo("Europe/Helsinki")
    if "central" in name or "stredoevrop" in name or "italian" in name:
        return ZoneInfo("Europe/Brussels")
    return default


# --- the text --------------------------------------------------------------------------------
class _Context:
    """One document's date mentions and what is written around them."""

    def __init__(self, folded: str, found: list[Mention], body_start: int, resource_type: str | None,
                 published: datetime | None, zone):
        self.folded, self.found, self.body_start = folded, found, body_start
        self.type, self.published, self.zone = resource_type, published, zone

    # -- helpers
    def _sentence_start(self, i: int) -> int:
        m = self.found[i]
        lo = max(self.found[i - 1].end if i else 0, m.start - _WINDOW)
        last = lo
        for b in cues.BOUNDARY_RE.finditer(self.folded, lo, m.start):
            last = b.end()
        return last

    def _cue(self, regex: re.Pattern, i: int) -> re.Match | None:
        """The last match of ``regex`` bound to mention ``i``: before it, same sentence, no
        other date between (a label on the line above counts: "Deadline\\n15 March 2027")."""
        m = self.found[i]
        lo = max(self.found[i - 1].end if i else 0, m.start - _WINDOW)
        cue = None
        for c in regex.finditer(self.folded, lo, m.start):
            cue = c
        if cue is None:
            return None
        between = self.folded[cue.end():m.start]
        if cues.BOUNDARY_RE.search(between) and re.search(r"[^\W\d_]", between):
            return None
        return cue

    def _year(self, day: Day, ref: Day | None = None) -> Day | None:
        if day.year is not None:
            return day
        if ref is not None and ref.year is not None:
            return Day(ref.year, day.month, day.day)
        if self.published is None:
            return None
        p = self.published.date()
        y = p.year
        try:
            if date(y, day.month, day.day) < p - timedelta(days=60):
                y += 1
        except ValueError:
            return None
        return Day(y, day.month, day.day)

    def _listed_year(self, i: int) -> Day | None:
        """The year a list of days shares: "am 31. Januar, am 15. März und am 30. April 2027"."""
        if (self.found[i].last or self.found[i].first).year is not None:
            return None
        end = self._sentence_end(i)
        for m in self.found[i + 1:]:
            if m.start >= end:
                break
            if m.first.year is not None:
                return m.first
        return None

    def _plausible(self, dt: datetime | None) -> bool:
        if dt is None:
            return False
        limit = (self.published or datetime.now(timezone.utc)) + timedelta(days=5 * 366)
        return datetime(2000, 1, 1, tzinfo=timezone.utc) <= dt <= limit

    # -- deadline
    def _sentence_end(self, i: int) -> int:
        m = self.found[i]
        hi = min(len(self.folded), m.end + 40)
        b = cues.BOUNDARY_RE.search(self.folded, m.end - 1, hi)  # "1. marts." ends a sentence
        return b.start() if b else hi

    def _deadline_of(self, i: int) -> tuple[int, datetime] | None:
        m, f = self.found[i], self.folded
        sent = self._sentence_start(i)
        sentence = f[sent:self._sentence_end(i)]
        tier = 0
        strong = self._cue(cues.STRONG_RE, i)
        post = cues.POST_RE.match(f, m.end, m.end + 30)
        if strong is not None or post is not None:
            tier = 3
            if strong is not None and cues.OTHER_RE.search(f, strong.end(), m.start):
                tier = 0
        if tier == 0:
            weak = self._cue(cues.WEAK_RE, i) or cues.POST_WEAK_RE.match(f, m.end, m.end + 30)
            if weak is None and m.last is not None:  # "from 1 March to 15 April": a period
                weak = cues.FROM_RE.search(f, max(sent, m.start - 12), m.start)
                if weak is None and self.type == "funding" and cues.APPLY_RE.search(sentence):
                    weak = True  # a call's application period: "haetaan 1.–30.9.2027"
            if weak is not None and (cues.APPLY_RE.search(sentence) or cues.REGISTRATION_RE.search(sentence)
                                     or self.type == "funding") and not cues.OTHER_RE.search(f, sent, m.start):
                tier = 2
        if tier == 0 or cues.QUESTION_RE.search(f, sent, m.start):
            return None
        # a past date ("closed on", "last year's") — unless the sentence reopens or extends it
        if cues.PAST_RE.search(sentence) and not cues.EXTENDED_RE.search(sentence):
            return None
        if cues.REGISTRATION_RE.search(f, sent, m.start):
            if self.type not in (None, "event"):
                return None  # a call's registration step is not its deadline
            tier = 1
        dt = self._closing(i)
        return None if dt is None else (tier, dt)

    def _closing(self, i: int) -> datetime | None:
        """Mention ``i`` as a deadline: its (last) day, at its time or at the end of the day."""
        m = self.found[i]
        day = self._year(m.last or m.first, self._listed_year(i))
        if day is None:
            return None
        hm = (m.end_time or m.time) if m.last is not None and m.end_time else (m.time if m.last is None else None)
        dt = _instant(day, hm, m.tz, "deadline", self.zone)
        if not self._plausible(dt):
            return None
        if self.published is not None and dt < self.published - timedelta(days=1):
            return None  # a past edition's deadline, or a call reported on after it closed
        return dt

    def _extended(self, i: int, dt: datetime) -> datetime | None:
        """The new date when the deadline's sentence or the next one says it was extended."""
        lo, hi = self._sentence_start(i), self._sentence_end(i)
        nxt = cues.BOUNDARY_RE.search(self.folded, hi + 1, hi + 200)
        nxt_end = nxt.start() if nxt else min(len(self.folded), hi + 200)
        if cues.EXTENDED_RE.search(self.folded, hi, nxt_end):
            end = nxt_end
        elif cues.EXTENDED_RE.search(self.folded, lo, hi):
            end = hi
        else:
            return None
        later = [d for j in range(i, len(self.found)) if self.found[j].start < end
                 for d in [self._closing(j)] if d is not None and d >= dt]
        return max(later, default=None)

    def deadline(self) -> datetime | None:
        found: list[tuple[int, datetime, int]] = []
        for i in range(len(self.found)):
            c = self._deadline_of(i)
            if c is not None:
                found.append((c[0], c[1], i))
        if not found:
            return None
        best = max(t for t, _, _ in found)
        top = [(dt, i) for t, dt, i in found if t == best]
        # an extension: the sentence that says so (or the next one) gives the new, latest date
        for dt, i in sorted(top):
            extended = self._extended(i, dt)
            if extended is not None:
                return extended
        return min(dt for dt, _ in top)

    # -- event
    def _event_cued(self, i: int) -> bool:
        m = self.found[i]
        if self._cue(cues.EVENT_RE, i) is not None:
            return True
        return bool(re.match(r"\W{0,3}(?:\w+\s+){0,3}statt\b", self.folded[m.end:m.end + 40]))

    def _not_event(self, i: int) -> bool:
        """A date that is a deadline, a registration date, a publication date."""
        sent = self._sentence_start(i)
        m = self.found[i]
        return bool(self._cue(cues.STRONG_RE, i) or self._cue(cues.WEAK_RE, i)
                    or cues.REGISTRATION_RE.search(self.folded, sent, m.start)
                    or cues.OTHER_RE.search(self.folded, sent, m.start)
                    or cues.POST_RE.match(self.folded, m.end, m.end + 30))

    def event(self, start_hint=None) -> tuple[datetime | None, datetime | None]:
        order: list[int] = [i for i in range(len(self.found)) if self._event_cued(i)]
        if self.type == "event":
            # then a date in the title, then the first date of the text that is not about
            # something else and not before the page was published
            order += [i for i in range(len(self.found)) if self.found[i].start < self.body_start]
            order += [i for i in range(len(self.found)) if self.found[i].start < self.body_start + 3000]
        for i in order:
            if self._not_event(i) and not self._event_cued(i):
                continue
            got = self._event_dates(i, strict=not self._event_cued(i))
            if got is not None:
                return got
        return None, None

    def _event_dates(self, i: int, strict: bool):
        m = self.found[i]
        first = self._year(m.first)
        if first is None:
            return None
        last = self._year(m.last, first) if m.last is not None else None
        if last is not None and (last.month, last.day) < (first.month, first.day):
            last = Day(first.year + 1, last.month, last.day)
        start = _instant(first, m.time, m.tz, "start", self.zone)
        if not self._plausible(start):
            return None
        if strict and self.published is not None and start < self.published - timedelta(days=1):
            return None
        if last is not None:
            end = _instant(last, m.end_time, m.tz, "end", self.zone)
        elif m.end_time is not None:
            end = _instant(first, m.end_time, m.tz, "end", self.zone)
        elif m.time is None:
            end = _instant(first, None, None, "end", self.zone)
        else:
            end = None
        if end is not None and start is not None and end < start:
            end = None
        return start, end
