"""Every date written in a running text, with where it is: the raw material of deadlines and
event dates (:mod:`indexer.deadlines`).

:func:`fold` lower-cases a text and drops its diacritics *without changing its length*, so a
position in the folded text is the same position in the original. :func:`mentions` finds in
a folded text every day it names — ``15 March 2027``, ``15. März 2027``, ``15 de março de
2027``, ``2027 m. kovo 15 d.``, ``15 Μαρτίου 2027``, ``15. března 2027``, ``15/03/2027``,
``15. 3. 2027``, ``2027-03-15``, ``March 15, 2027`` — with or without a year, the time and
time zone written after it (``17:00 CET``, ``12.00 (Brussels time)``, ``5 p.m.``), and ranges
(``12–14 May 2027``, ``3.–5. Juni``, ``from 3 to 5 June``, ``30 June – 2 July 2027``,
``May 12–14, 2027``, ``1.2.–15.3.2027``). Month names come from :mod:`indexer.dates` (one
table for the whole portal). Years are not inferred here: a mention without a year has
``year=None`` and the caller decides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .dates import _MONTHS, _MONTHS_HR, _MONTHS_HR_GEN, month_number

__all__ = ["Day", "Mention", "fold", "mentions"]


class _FoldTable(dict):
    """str.translate table: each character to one lower-case character without diacritics."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        base = unicodedata.normalize("NFKD", c)[:1] or c
        low = base.lower()
        out = low if len(low) == 1 else base
        out = {"ς": "σ", "ł": "l", "ø": "o", "đ": "d", "ß": "s", "æ": "a", "œ": "o"}.get(out, out)
        self[code] = out
        return out


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` lower case, without diacritics, the same length (positions carry over)."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD)


@dataclass(frozen=True)
class Day:
    year: int | None
    month: int
    day: int


@dataclass
class Mention:
    """One date or date range written in the text (positions in the text)."""

    start: int
    end: int
    first: Day
    last: Day | None = None  # the end of a range
    time: tuple[int, int] | None = None  # (hour, minute) written with the first day
    end_time: tuple[int, int] | None = None  # "14:00–17:00"
    tz: str | None = None  # the zone as written, folded: "cet", "utc+1", "brussels"

    @property
    def is_range(self) -> bool:
        return self.last is not None


# --- the forms -------------------------------------------------------------------------------
_MON = r"[^\W\d_]{3,}\.?"
_ORD = r"(?:st|nd|rd|th|er|eme|o|º|°)?"
_DE = r"(?:de\s+|del\s+|di\s+)?"
_YR = r"(?:\s*,?\s*" + _DE + r"(?P<{0}>(?:19|20)\d\d)(?!\d)(?:\s*(?:r\.|m\.|g\.|roku))?)"
_CONNECT = (
    r"\s*(?:[-–—‒]|to|till?|until|through|thru|au|jusqu'au|bis(?:\s+zum)?|al|fino\s+al|a|ao|ate(?:\s+ao?)?|"
    r"hasta(?:\s+el)?|tot(?:\s+en\s+met)?|t/m|do|az|iki|εωσ|ωσ|μεχρι|asti)\s*"
)

# a weekday written inside a range: "du samedi 20 au dimanche 28 novembre"
_WEEKDAY = (
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?|lundi|mardi|mercredi|jeudi|vendredi|samedi"
    r"|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lunedi|martedi|mercoledi|giovedi"
    r"|venerdi|sabato|domenica|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|segunda|terca|quarta"
    r"|quinta|sexta|lunes|martes|miercoles|jueves|viernes|sabado|domingo|poniedzialek|wtorek|sroda|czwartek"
    r"|piatek|sobota|niedziela|maanantai|tiistai|keskiviikko|torstai|perjantai|lauantai|sunnuntai|δευτερα|τριτη"
    r"|τεταρτη|πεμπτη|παρασκευη|σαββατο|κυριακη|pondeli|utery|streda|ctvrtek|patek|nedele|mandag|tirsdag"
    r"|onsdag|torsdag|fredag|lordag|sondag|mandag|tisdag)(?:-feira)?,?\s+"
)

_FORMS = {
    # 12–14 May 2027 / 3.–5. juni 2027 / from 3 to 5 June / del 3 al 5 de junio
    "rdm": r"(?P<rd1>\d{1,2})" + _ORD + r"\.?" + _CONNECT + r"(?:" + _WEEKDAY + r")?(?P<rd2>\d{1,2})" + _ORD + r"\.?\s*"
           + _DE + r"(?P<rmon>" + _MON + r")" + _YR.format("ry") + "?",
    # May 12–14, 2027 / birzelio 3–5 d.
    "rmd": r"(?P<smon>" + _MON + r")\s+(?P<sd1>\d{1,2})" + _ORD + r"\s*[-–—]\s*(?P<sd2>\d{1,2})" + _ORD
           + r"(?:\s*d\.)?" + _YR.format("sy") + "?",
    # 2027 m. geguzes 20–21 d.
    "rymd": r"(?P<zy>(?:19|20)\d\d)\s*(?:m\.|\.)?\s*(?P<zmon>" + _MON + r")\s+(?P<zd1>\d{1,2})\.?\s*[-–—]\s*(?P<zd2>\d{1,2})"
            r"(?:\s*d\.|\.)?",
    # 18 and 19 May 2027 (two days in a row)
    "rand": r"(?P<ad1>\d{1,2})" + _ORD + r"\.?\s+(?:and|e|et|und|y|i|ir|och|og|en|και|a)\s+(?P<ad2>\d{1,2})" + _ORD
            + r"\.?\s*" + _DE + r"(?P<amon>" + _MON + r")" + _YR.format("ay") + "?",
    # 10.–16.5.2027
    "rdnum": r"(?P<ed1>\d{1,2})\.\s*[-–—]\s*(?P<ed2>\d{1,2})\.\s?(?P<em>\d{1,2})\.\s?(?P<ey>(?:19|20)\d\d)",
    # 1.2.–15.3.2027
    "rnum": r"(?P<nd1>\d{1,2})\.(?P<nm1>\d{1,2})\.(?P<ny1>(?:19|20)\d\d)?\s*[-–—]\s*"
            r"(?P<nd2>\d{1,2})\.(?P<nm2>\d{1,2})\.(?P<ny2>(?:19|20)\d\d)",
    # 2027-03-15T17:00+01:00
    "iso": r"(?P<iy>(?:19|20)\d\d)-(?P<im>\d{2})-(?P<id>\d{2})"
           r"(?:[t ](?P<iH>\d{2}):(?P<iM>\d{2})(?::\d{2}(?:\.\d+)?)?(?P<itz>z|[+-]\d{2}:?\d{2})?)?",
    # 2027 m. kovo 15 d. / 2027. marcius 15.
    "ymd": r"(?P<yy>(?:19|20)\d\d)\s*(?:m\.|\.|,)?\s*(?P<ymon>" + _MON + r")\s+(?P<yd>\d{1,2})(?!\d)(?:\s*d\.|\.)?",
    # 15/03/2027, 15.03.2027, 15. 3. 2027, 15-03-2027
    "num": r"(?P<ud>\d{1,2})\s?(?P<sep>[./-])\s?(?P<um>\d{1,2})\s?(?P=sep)\s?(?P<uy>(?:19|20)\d\d)",
    # 2027/03/15, 2027.03.15.
    "ynum": r"(?P<vy>(?:19|20)\d\d)(?P<vsep>[./])(?P<vm>\d{1,2})(?P=vsep)(?P<vd>\d{1,2})\.?",
    # 15 March 2027 / 15. marz / 15 de marco de 2027 / 1er mars
    "fdm": r"(?P<dd>\d{1,2})" + _ORD + r"\.?\s*" + _DE + r"(?P<dmon>" + _MON + r")" + _YR.format("dy") + "?",
    # March 15, 2027 / kovo 15 d.
    "fmd": r"(?P<mmon>" + _MON + r")\s+(?P<mdd>\d{1,2})" + _ORD + r"(?!\d)(?:\s*d\.)?" + _YR.format("my") + "?",
}
_DATE_RE = re.compile(
    r"(?<![\w.,/-])(?=\w)(?:" + "|".join(f"(?P<{k}>{p})" for k, p in _FORMS.items()) + r")(?![\w-]|\.\d)"
)

_DIGIT_RE = re.compile(r"\d")
_BEFORE_DIGIT = 40  # a month name (and a weekday) written before the day number
_AFTER_DIGIT = 160
_LONGEST = 80  # no date form is longer: one found at hi - _LONGEST or later was not cut

_ZONE = (
    r"(?P<tz>cest|cet|utc|gmt|eest|eet|west|wet|bst|mesz|mez|oez|oesz"
    r"|(?:central\s+)?european\s+(?:summer\s+)?time|brussels(?:\s+local)?\s+time|local\s+time"
    r"|heure\s+(?:de\s+)?(?:bruxelles|paris|locale)|ora\s+(?:di\s+bruxelles|locale|italiana)"
    r"|brusseler\s+zeit|ortszeit|hora\s+de\s+(?:bruselas|bruxelas|lisboa)|hora\s+local"
    r"|czasu\s+\w+|briuselio\s+laiku|vietos\s+laiku|brusselse\s+tijd|lokale\s+tijd"
    r"|suomen\s+aikaa|ωρα\s+ελλαδος|stredoevropskeho\s+casu|svensk\s+tid)"
    r"(?P<tzoff>\s?[+-]\d{1,2}(?::?\d{2})?)?"
)
_TIME_RE = re.compile(
    r"\s*(?:[,(–-]|\bat\b|\ba\b|\bas\b|a\s+las|hasta\s+las|alle(?:\s+ore)?|\bore\b|\bum\b|\bom\b|kl\.?|klo|"
    r"(?:o\s+|do\s+)?godz\.?|\bv\b|\bve\b|στις|ωρα|val\.?|\biki\b|\bby\b|\bh\b)?\s*"
    r"(?:\b(?:at|a|as|ore|um|om|klo|kl\.?|godz\.?|στις|ωρα|v|ve|iki)\s+)?"
    r"(?P<H>\d{1,2})(?:(?P<sep>[:.h])(?P<M>\d{2}))?\s*(?P<ap>[ap]\.?\s?m\.?)?(?!\d)"
    r"(?P<unit>\s*(?:h\b|uhr|val\.?|hod\.?|godz\.?|tuntia)\s*)?"
    r"(?:\s*[-–—]\s*(?P<H2>\d{1,2})[:.h](?P<M2>\d{2})(?:\s*(?:h\b|uhr))?)?"
    r"(?:\s*(?:\(|,)?\s*(?:noon|midday|midi|mittag)?\s*\)?\s*(?:\(|,)?\s*" + _ZONE + r"\)?)?"
)
_ZONE_RE = re.compile(r"\s*\(?\s*" + _ZONE + r"\)?")


@lru_cache(maxsize=4096)
def _month(name: str, lang: str | None) -> int | None:
    return month_number(name.rstrip("."), "hr" if lang == "hr" else None)


# Before a day number ("May 15", "kovo 15 d.") only a whole month name or an English
# abbreviation is a month: "się 25" (Polish "itself") is not "sie(rpień) 25".
_FULL_NAMES = frozenset(fold(n) for t in (*_MONTHS.values(), _MONTHS_HR, _MONTHS_HR_GEN) for n in t.split())
_MONTH_FIRST_ABBR = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())


def _month_first(name: str, lang: str | None) -> int | None:
    key = name.rstrip(".")
    if key not in _FULL_NAMES and key not in _MONTH_FIRST_ABBR:
        return None
    return _month(key, lang)


def _int(v: str | None) -> int | None:
    return int(v) if v else None


def _valid(d: Day) -> bool:
    if not (1 <= d.month <= 12 and 1 <= d.day <= 31):
        return False
    return d.day <= (29 if d.month == 2 else 30 if d.month in (4, 6, 9, 11) else 31)


def _read(m: re.Match, lang: str | None) -> tuple[Day, Day | None, tuple[int, int] | None, str | None] | None:
    """(first day, last day, time, zone) of one match, or None when it is not a date."""
    g = m.groupdict()
    kind = m.lastgroup
    time = tz = None
    if kind == "rdm" or kind == "rmd" or kind == "rymd":
        p = {"rdm": "r", "rmd": "s", "rymd": "z"}[kind]
        mon = (_month if kind == "rdm" else _month_first)(g[p + "mon"], lang)
        if mon is None:
            return None
        y = _int(g[p + "y"]) if p != "z" else int(g["zy"])
        first, last = Day(y, mon, int(g[p + "d1"])), Day(y, mon, int(g[p + "d2"]))
        if last.day <= first.day:
            return None
        return first, last, None, None
    if kind == "rand":
        mon = _month(g["amon"], lang)
        d1, d2 = int(g["ad1"]), int(g["ad2"])
        if mon is None or d2 != d1 + 1:
            return None
        y = _int(g["ay"])
        return Day(y, mon, d1), Day(y, mon, d2), None, None
    if kind == "rdnum":
        y, mo = int(g["ey"]), int(g["em"])
        d1, d2 = int(g["ed1"]), int(g["ed2"])
        if d2 <= d1:
            return None
        return Day(y, mo, d1), Day(y, mo, d2), None, None
    if kind == "rnum":
        y2 = int(g["ny2"])
        first = Day(_int(g["ny1"]) or y2, int(g["nm1"]), int(g["nd1"]))
        return first, Day(y2, int(g["nm2"]), int(g["nd2"])), None, None
    if kind == "iso":
        day = Day(int(g["iy"]), int(g["im"]), int(g["id"]))
        if g["iH"]:
            time, tz = (int(g["iH"]), int(g["iM"])), g["itz"] or None
        return day, None, time, tz
    if kind == "num":
        d, mo = int(g["ud"]), int(g["um"])
        if mo > 12 and d <= 12 and g["sep"] == "/":
            d, mo = mo, d
        return Day(int(g["uy"]), mo, d), None, None, None
    if kind == "ynum":
        return Day(int(g["vy"]), int(g["vm"]), int(g["vd"])), None, None, None
    prefix = {"ymd": "y", "fdm": "d", "fmd": "m"}[kind]
    mon = (_month if kind == "fdm" else _month_first)(g[prefix + "mon"], lang)
    if mon is None:
        return None
    if kind == "ymd":
        return Day(int(g["yy"]), mon, int(g["yd"])), None, None, None
    day = Day(_int(g[prefix + "y"]), mon, int(g["dd"] if kind == "fdm" else g["mdd"]))
    return day, None, None, None


def _time_after(text: str, pos: int) -> tuple[int, tuple[int, int] | None, tuple[int, int] | None, str | None]:
    """(end position, time, end time, zone) written right after ``pos``."""
    m = _TIME_RE.match(text, pos, pos + 80)
    if m and (m.group("M") or m.group("ap") or m.group("unit")):
        h, mi = int(m.group("H")), int(m.group("M") or 0)
        if m.group("ap"):
            if h > 12:
                return pos, None, None, None
            h = h % 12 + (12 if m.group("ap")[0] == "p" else 0)
        if h > 24 or mi > 59 or (m.group("sep") == "." and not m.group("M")):
            return pos, None, None, None
        end_time = None
        if m.group("H2"):
            end_time = (int(m.group("H2")), int(m.group("M2")))
            if end_time[0] > 24 or end_time[1] > 59:
                end_time = None
        tz = (m.group("tz") or "") + (m.group("tzoff") or "").replace(" ", "")
        return m.end(), (min(h, 23), mi if h < 24 else 59), end_time, tz or None
    z = _ZONE_RE.match(text, pos, pos + 40)
    if z:
        return z.end(), None, None, (z.group("tz") + (z.group("tzoff") or "").replace(" ", ""))
    return pos, None, None, None


_JOIN_RE = re.compile(r"\s*(?:[-–—‒]|to|till?|until|through|au|bis(?:\s+zum)?|al|ao|a|ate|hasta(?:\s+el)?|"
                      r"tot(?:\s+en\s+met)?|t/m|do|az|iki|εωσ|μεχρι)\s*(?:" + _WEEKDAY + r")?")


def mentions(folded: str, original: str | None = None, lang: str | None = None) -> list[Mention]:
    """Every date and date range in ``folded`` (a :func:`fold`-ed text), in order.

    ``original`` (the unfolded text) lets a month name without a year or number ("May 15")
    count only when it is capitalised, as month names are in English.
    """
    out: list[Mention] = []
    pos, n = 0, len(folded)
    while pos < n:
        # every date has a digit: the expensive search runs only around the digits
        digit = _DIGIT_RE.search(folded, pos)
        if digit is None:
            break
        hi = min(n, digit.start() + _AFTER_DIGIT)
        m = _DATE_RE.search(folded, max(pos, digit.start() - _BEFORE_DIGIT), hi)
        if m is None:
            pos = max(digit.end(), hi - _LONGEST)
            continue
        # a word that only looked like a date ("from 3") must not swallow the real one after it
        pos = m.start() + 1
        read = _read(m, lang)
        if read is None:
            continue
        first, last, time, tz = read
        if not _valid(first) or (last is not None and not _valid(last)):
            continue
        if m.lastgroup == "fmd" and first.year is None and not m.group(0).endswith("d."):
            if original is None or not original[m.start()].isupper():
                continue
        pos = m.end()
        end, end_time = m.end(), None
        if time is None:
            end, time, end_time, tz2 = _time_after(folded, end)
            tz = tz or tz2
        out.append(Mention(m.start(), end, first, last, time, end_time, tz))
        pos = max(pos, end)
    return _merge_ranges(folded, out)


def _merge_ranges(folded: str, found: list[Mention]) -> list[Mention]:
    """Two single days joined by a dash or "to" ("30 June – 2 July 2027") become one range."""
    merged: list[Mention] = []
    for m in found:
        prev = merged[-1] if merged else None
        if (prev is not None and prev.last is None and m.last is None and m.start - prev.end <= 40
                and _JOIN_RE.fullmatch(folded, prev.end, m.start)):
            y = m.first.year
            first = prev.first
            if first.year is None and y is not None:
                first = Day(y - 1 if first.month > m.first.month else y, first.month, first.day)
            if first.year is None or m.first.year is None or (first.year, first.month, first.day) < (
                    m.first.year, m.first.month, m.first.day):
                merged[-1] = Mention(prev.start, m.end, first, m.first, prev.time, m.time or prev.end_time,
                                     prev.tz or m.tz)
                continue
        merged.append(m)
    return merged
