"""Dates as publishers write them, turned into aware UTC datetimes.

Standard forms are parsed with regular expressions and the standard library (no
``dateparser``: it costs 1–2 ms a string): ISO 8601 / W3C-DTF (``2025-03-14T10:15:00+01:00``,
``2025-03``, ``20250314``), RFC 822 / RFC 2822 (``Fri, 14 Mar 2025 10:15:00 GMT``), asctime,
PDF dates (``D:20250314101500+01'00'``), and the European forms cities write in their own
language: ``14 maart 2025``, ``14. März 2025``, ``14 de março de 2025``, ``2025 m. kovo 14 d.``,
``14 marca 2025``, ``March 14, 2025``, ``14/03/2025``, ``14.03.2025``, ``2025.03.14.``.

Numeric dates are read day first (the European order) unless the day-first reading is
impossible (``03/14/2025``). A date without a time zone is taken as UTC. Years before 1990 or
more than a year ahead are rejected as absurd (they come from templates and typos, not from
the documents the portal lists).

:func:`parse_date` reads a whole string as one date; :func:`find_date` finds the first date
inside a longer text ("Published on 14 March 2025 by ...").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

__all__ = ["DATE_SEARCH_RE", "MIN_YEAR", "find_date", "month_number", "parse_date", "parse_pdf_date"]

MIN_YEAR = 1990

# Month names (nominative and genitive forms, with and without diacritics after folding) of the
# languages the portal serves. Abbreviations are derived: any unambiguous prefix of 3+ letters.
_MONTHS: dict[str, list[str]] = {
    "en": "january february march april may june july august september october november december",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "ca": "gener febrer març abril maig juny juliol agost setembre octubre novembre desembre",
    "lt": "sausis vasaris kovas balandis gegužė birželis liepa rugpjūtis rugsėjis spalis lapkritis gruodis",
    "lt-gen": "sausio vasario kovo balandžio gegužės birželio liepos rugpjūčio rugsėjo spalio lapkričio gruodžio",
    "no": "januar februar mars april mai juni juli august september oktober november desember",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "pl": "styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik listopad grudzień",
    "pl-gen": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "cs": "leden únor březen duben květen červen červenec srpen září říjen listopad prosinec",
    "cs-gen": "ledna února března dubna května června července srpna září října listopadu prosince",
    "sk": "január február marec apríl máj jún júl august september október november december",
    "sk-gen": "januára februára marca apríla mája júna júla augusta septembra októbra novembra decembra",
    "sl": "januar februar marec april maj junij julij avgust september oktober november december",
    "fi": "tammikuu helmikuu maaliskuu huhtikuu toukokuu kesäkuu heinäkuu elokuu syyskuu lokakuu marraskuu joulukuu",
    "fi-part": "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta syyskuuta lokakuuta marraskuuta joulukuuta",
    "et": "jaanuar veebruar märts aprill mai juuni juuli august september oktoober november detsember",
    "lv": "janvāris februāris marts aprīlis maijs jūnijs jūlijs augusts septembris oktobris novembris decembris",
    "hu": "január február március április május június július augusztus szeptember október november december",
    "ro": "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie noiembrie decembrie",
    "el": "ιανουαρίου φεβρουαρίου μαρτίου απριλίου μαΐου ιουνίου ιουλίου αυγούστου σεπτεμβρίου οκτωβρίου νοεμβρίου δεκεμβρίου",
    "el-nom": "ιανουάριος φεβρουάριος μάρτιος απρίλιος μάιος ιούνιος ιούλιος αύγουστος σεπτέμβριος οκτώβριος νοέμβριος δεκέμβριος",
    "bg": "януари февруари март април май юни юли август септември октомври ноември декември",
    "is": "janúar febrúar mars apríl maí júní júlí ágúst september október nóvember desember",
    "ga": "eanáir feabhra márta aibreán bealtaine meitheamh iúil lúnasa meán-fómhair deireadh-fómhair samhain nollaig",
}
# Croatian names clash with Czech/Polish ones ("listopad" is October in Croatian, November in
# Czech and Polish): they are used only when the caller says the text is Croatian.
_MONTHS_HR = "siječanj veljača ožujak travanj svibanj lipanj srpanj kolovoz rujan listopad studeni prosinac"
_MONTHS_HR_GEN = "siječnja veljače ožujka travnja svibnja lipnja srpnja kolovoza rujna listopada studenoga prosinca"

# Time zone abbreviations seen in feeds and on European pages (offsets in minutes).
_TZ_ABBREVIATIONS: dict[str, int] = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "etc/gmt": 0, "etc/utc": 0, "wet": 0,
    "bst": 60, "ist": 60, "west": 60, "cet": 60, "met": 60, "mez": 60,
    "cest": 120, "mest": 120, "mesz": 120, "eet": 120, "eest": 180, "msk": 180,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "at": -240, "et": -300, "ct": -360, "mt": -420, "pt": -480,
}


def _fold(s: str) -> str:
    """Lower case without diacritics, so 'Março', 'marco' and 'MARÇO' compare equal."""
    s = unicodedata.normalize("NFKD", s.casefold())
    return "".join(c for c in s if not unicodedata.combining(c)).replace("ł", "l").replace("ø", "o")


def _build_month_index(tables: list[str]) -> dict[str, int]:
    full: dict[str, set[int]] = {}
    prefixes: dict[str, set[int]] = {}
    for table in tables:
        for number, name in enumerate(table.split(), start=1):
            name = _fold(name)
            full.setdefault(name, set()).add(number)
            for n in range(3, len(name)):
                prefixes.setdefault(name[:n], set()).add(number)
    index = {p: next(iter(ms)) for p, ms in prefixes.items() if len(ms) == 1}
    # full names win over prefixes of other months ("mar" is March, "maj" May, ...)
    index.update({n: next(iter(ms)) for n, ms in full.items() if len(ms) == 1})
    return index


def month_names() -> dict[str, frozenset[str]]:
    """Every full month name of the tables, folded, with the languages it is a month of."""
    out: dict[str, set[str]] = {}
    for language, table in [*_MONTHS.items(), ("hr", _MONTHS_HR), ("hr", _MONTHS_HR_GEN)]:
        for name in table.split():
            out.setdefault(_fold(name), set()).add(language)
    return {name: frozenset(languages) for name, languages in out.items()}


_MONTH_INDEX = _build_month_index(list(_MONTHS.values()))
_MONTH_INDEX_HR = {**_MONTH_INDEX, **_build_month_index([_MONTHS_HR, _MONTHS_HR_GEN])}
# the common abbreviation wins over the Finnish "marraskuu" (November)
_MONTH_INDEX.update({"mar": 3, "mrt": 3, "sept": 9, "sep": 9})
_MONTH_INDEX_HR.update({"mar": 3})


def month_number(name: str, lang: str | None = None) -> int | None:
    """1–12 for a month name or abbreviation in any of the portal's languages, else None."""
    key = _fold(name).strip(". ")
    index = _MONTH_INDEX_HR if lang == "hr" else _MONTH_INDEX
    return index.get(key)


# --- regular expressions -------------------------------------------------------------------------
_WORD = r"[^\W\d_]+\.?"  # a word such as a month name, optionally abbreviated with '.'
_TIME = (
    r"(?:(?:\s*,?\s*|T|\s+(?:at|à|um|om|alle|às|a\s+las|kl\.?|o)\s+)"
    r"(?P<H>\d{1,2})[:h](?P<Mi>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"(?:\s*(?P<ampm>[ap])\.?\s?m\.?)?)"
)
_TZ = (
    r"(?:\s*(?P<tz>Z|(?:[A-Za-z]{1,5}(?:/[A-Za-z]+)?)?\s?(?:[+-]\d{1,2}(?::?\d{2})?)"
    r"|[A-Za-z]{1,5}(?:/[A-Za-z]+)?|\([A-Za-z]{1,5}\)))"
)
_DAY = r"(?P<d>\d{1,2})(?:\.|st|nd|rd|th|er|e|º|°|o|d\.)?"
_YEAR = r"(?P<y>\d{4}|\d{2})"

_ISO_RE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?"
    r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<Mi>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"(?:\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?))?)?",
    re.I,
)
_COMPACT_RE = re.compile(
    r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?P<H>\d{2})(?P<Mi>\d{2})(?P<S>\d{2})?)?"
    r"(?P<tz>Z|[+-]\d{2}'?(?:\d{2}'?)?)?",
    re.I,
)
# 14 March 2025 / 14. März 2025 / 14 de março de 2025 / 1er mars 2025 / 13 Feb, 2012
_DMY_NAMED = (
    _DAY + r"\s*(?:de\s+|del\s+)?(?P<mon>" + _WORD + r")[\s,]*(?:de\s+|del\s+)?" + _YEAR
)
# March 14, 2025 / Aug 30 2012
_MDY_NAMED = r"(?P<mon>" + _WORD + r")\s+" + _DAY + r"\s*,?\s*" + r"(?P<y>\d{4})"
# 2025 m. kovo 14 d. / 2025. március 14.
_YMD_NAMED = r"(?P<y>\d{4})\s*(?:m\.|\.)?\s*(?P<mon>" + _WORD + r")\s+(?P<d>\d{1,2})\s*(?:d\.|\.)?"
# 14/03/2025, 14.03.2025, 14-03-2025
_DMY_NUM = r"(?P<d>\d{1,2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
# 2025/03/14, 2025.03.14.
_YMD_NUM = r"(?P<y>\d{4})(?P<sep>[./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})\.?"

_FORMS = [
    re.compile(p + _TIME + r"?" + _TZ + r"?", re.I)
    for p in (_DMY_NAMED, _MDY_NAMED, _YMD_NAMED, _DMY_NUM, _YMD_NUM)
]
# asctime and Twitter: "Sun Jan  4 16:29:06 2004", "Sun Jul 15 01:16:00 +0000 2012"
_ASCTIME_RE = re.compile(
    r"(?P<mon>" + _WORD + r")\s+(?P<d>\d{1,2})\s+(?P<H>\d{1,2}):(?P<Mi>\d{2})(?::(?P<S>\d{2}))?"
    r"(?:\s+(?P<tz>[+-]\d{4}|[A-Za-z]{1,5}))?\s+(?P<y>\d{4})",
    re.I,
)
_ALL_FORMS = (*_FORMS, _ASCTIME_RE)
_LABEL_RE = re.compile(r"[^\W\d_]+[.:,]?")
_GLUED_COMMA_RE = re.compile(r",(?=[^\W\d_])|(?<=[^\W\d_]),(?=\d)")
_PDF_RE = re.compile(r"^D:\s*(?=\d{4})")

# Inside a longer text: the named forms and the unambiguous numeric ones.
_SEARCH_RE = re.compile(
    r"(?<![\w/.-])(?:"
    + "|".join(
        f"(?P<f{i}>{p})"
        for i, p in enumerate(
            (
                r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
                _DMY_NAMED.replace(_YEAR, r"(?P<y>\d{4})").replace("?P<", "?P<a_"),
                _MDY_NAMED.replace("?P<", "?P<b_"),
                _YMD_NAMED.replace("?P<", "?P<c_"),
                r"\d{1,2}(?P<s1>[./-])\d{1,2}(?P=s1)\d{4}",
                r"\d{4}(?P<s2>[./])\d{1,2}(?P=s2)\d{1,2}",
            )
        )
    )
    + r")(?![\w])",
    re.I,
)


# Public: callers that need each candidate (to skip "Updated …" dates) iterate over it and
# read each match with parse_date().
DATE_SEARCH_RE = _SEARCH_RE


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _tz_offset(tz: str | None) -> int | None:
    """Minutes east of UTC for a zone such as 'Z', '+0100', '-05:00', 'CEST', 'GMT-01:01'.

    Returns None for an unknown zone name (the caller then rejects the date).
    """
    if not tz:
        return 0
    tz = tz.strip().strip("()").replace("'", "")
    m = re.fullmatch(r"([A-Za-z/]*)\s?(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", tz)
    if not m:
        return None
    name, sign, hh, mm = m.groups()
    base = 0
    if name:
        if name.lower() not in _TZ_ABBREVIATIONS:
            return None
        base = _TZ_ABBREVIATIONS[name.lower()]
    if sign:
        h, mi = int(hh), int(mm or 0)
        if h > 14 or mi > 59:
            return None
        base += (h * 60 + mi) * (1 if sign == "+" else -1)
    return base


def _year(y: str) -> int:
    n = int(y)
    if len(y) == 2:  # RFC 822 two-digit years
        n += 2000 if n < 70 else 1900
    return n


def _build(
    y: int, m: int, d: int, H: str | None = None, Mi: str | None = None, S: str | None = None,
    tz: str | None = None, ampm: str | None = None,
) -> datetime | None:
    offset = _tz_offset(tz)
    if offset is None:
        return None
    hour = int(H or 0)
    if ampm:
        if hour > 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    try:
        dt = datetime(y, m, d, hour, int(Mi or 0), int(S or 0), tzinfo=timezone(timedelta(minutes=offset)))
    except ValueError:
        return None
    return _sane(dt.astimezone(timezone.utc))


def _sane(dt: datetime) -> datetime | None:
    if dt.year < MIN_YEAR or dt > _now() + timedelta(days=366):
        return None
    return dt


def _from_match(m: re.Match, lang: str | None) -> datetime | None:
    g = m.groupdict()
    if g.get("mon") is not None:
        month = month_number(g["mon"], lang)
        if month is None:
            return None
    else:
        month = int(g.get("m") or 1)
        if g.get("sep") is not None and month > 12 and int(g["d"]) <= 12 and "y" in g:
            # 03/14/2025: only the US reading is possible
            month, g["d"] = int(g["d"]), g["m"]
    y = g["y"]
    return _build(_year(y), month, int(g.get("d") or 1), g.get("H"), g.get("Mi"), g.get("S"), g.get("tz"), g.get("ampm"))


def parse_pdf_date(value: str | None) -> datetime | None:
    """A PDF date (``D:YYYYMMDDHHmmSSOHH'mm'``, any tail optional) as aware UTC."""
    if not value:
        return None
    s = _PDF_RE.sub("", value.strip())
    m = _COMPACT_RE.fullmatch(s) or re.fullmatch(
        r"(?P<y>\d{4})(?P<m>\d{2})?(?P<d>\d{2})?(?P<H>\d{2})?(?P<Mi>\d{2})?(?P<S>\d{2})?"
        r"(?P<tz>Z|[+-]\d{2}'?(?:\d{2}'?)?)?",
        s,
    )
    if not m:
        return None
    g = m.groupdict()
    tz = g.get("tz")
    if tz and tz.upper() != "Z":
        tz = tz.replace("'", "")
    return _build(int(g["y"]), int(g.get("m") or 1), int(g.get("d") or 1), g.get("H"), g.get("Mi"), g.get("S"), tz)


def parse_date(value: str | datetime | date | None, lang: str | None = None) -> datetime | None:
    """The date a whole string stands for, as an aware UTC datetime, or None.

    ``lang`` (ISO 639-1) only matters where month names clash between languages (Croatian).
    Never raises on bad input.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return _sane(dt.astimezone(timezone.utc))
    if isinstance(value, date):
        return _sane(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    s = " ".join(str(value).split())
    if not s or len(s) > 100:
        return None
    if s.startswith("D:"):
        return parse_pdf_date(s)
    m = _ISO_RE.fullmatch(s)
    if m:
        return _from_match(m, lang)
    m = _COMPACT_RE.fullmatch(s)
    if m:
        return _from_match(m, lang)
    # a comma glued to the next word ("Fri,24 Nov") gets its space back
    s = _GLUED_COMMA_RE.sub(", ", s.strip(" ,;"))
    words = s.split(" ")
    # try the string as it is, then without one to three leading words (weekday, label)
    for skip in range(0, min(4, len(words))):
        if skip and not _LABEL_RE.fullmatch(words[skip - 1]):
            break
        cand = " ".join(words[skip:])
        for form in _ALL_FORMS:
            m = form.fullmatch(cand)
            if m:
                dt = _from_match(m, lang)
                if dt is not None:
                    return dt
    return None


def find_date(text: str | None, lang: str | None = None) -> datetime | None:
    """The first plausible date written inside ``text`` (label, byline, paragraph), or None."""
    if not text:
        return None
    for m in _SEARCH_RE.finditer(text[:2000]):
        dt = parse_date(m.group(0), lang)
        if dt is not None:
            return dt
    return None
