"""A Dublin Core record (dc: elements and dcterms: terms, whatever the metadata format that
carries them) → the :class:`~indexer.resource.Hints` of the portal.

Catalogue data is messy: dates are years, months, days, datetimes, ranges or "c. 2019";
languages are ISO 639-1, 639-2 (bibliographic or terminology), 639-3 codes, tags like
``pt-BR`` or names in any language ("German", "Deutsch", "allemand"); types are free text or
vocabulary URIs (DCMI, info:eu-repo, COAR). Each is read as far as it can be; what cannot be
read is left out, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from config.models import LANGUAGES
from indexer.dates import month_number, parse_date
from indexer.resource import Hints

from .oaipmh_xml import OaiRecord

_LANGUAGE_ALIASES = {"nb": "no", "nn": "no"}

# what a dc:type says → the portal's resource type (RESOURCE_TYPES); matched on the folded
# value, its last path segment for URIs (COAR, info:eu-repo/semantics/…)
_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dataset", ("dataset", "data set", "data", "database", "datensatz", "jeu de données")),
    ("event", ("event", "conference", "workshop", "webinar", "veranstaltung", "événement")),
    ("funding", ("funding call", "call for proposals", "grant", "funding", "call")),
    ("policy", ("policy", "legislation", "law", "regulation", "directive", "legal",
                "policy document", "policy brief")),
    ("strategy", ("strategy", "roadmap", "action plan", "plan", "strategie", "stratégie")),
    ("guide", ("guide", "guidelines", "handbook", "manual", "toolkit", "tool kit",
               "learning object", "leitfaden", "guía", "guida")),
    ("good-practice", ("case study", "good practice", "best practice", "praxisbeispiel")),
    ("news", ("news", "press release", "newsletter", "newspaper article", "blog post")),
    ("report", ("report", "technical report", "research report", "study", "working paper",
                "project deliverable", "deliverable", "article", "journal article",
                "research article", "review article", "conference paper", "conference object",
                "book", "book part", "bookpart", "book chapter", "thesis", "doctoral thesis",
                "master thesis", "bachelor thesis", "preprint", "other type of report",
                "rapport", "bericht", "studie", "informe", "rapporto")),
)
_TYPE_INDEX = {w: t for t, words in _TYPE_WORDS for w in words}
# COAR resource type identifiers → a word above
_COAR = {"c_18cf": "text", "c_93fc": "report", "c_18ws": "report", "c_18gh": "report",
         "c_6501": "article", "c_2df8fbb1": "article", "c_c94f": "conference object",
         "c_5794": "conference paper", "c_2f33": "book", "c_3248": "book part",
         "c_46ec": "thesis", "c_db06": "doctoral thesis", "c_bdcc": "master thesis",
         "c_ddb1": "dataset", "c_816b": "preprint", "c_71bd": "policy", "c_18op": "report",
         "c_8544": "report", "c_18hj": "report", "c_baaf": "report"}
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")
_MONTH_YEAR_RE = re.compile(r"^([^\W\d_]+)\.?\s+(\d{4})$")
_RANGE_RE = re.compile(r"\s*(?:/|\s[-–]\s|--)\s*")


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """Folded name → portal code: every portal language named in every portal language
    (Babel's CLDR data), e.g. "german", "deutsch", "allemand", "tedesco" → "de"."""
    from babel import Locale, UnknownLocaleError

    names: dict[str, str] = {}
    for shown_in in LANGUAGES:
        try:
            loc = Locale.parse(shown_in)
        except (UnknownLocaleError, ValueError):
            continue
        for code in LANGUAGES:
            name = loc.languages.get(code)
            if name:
                names.setdefault(name.casefold(), _LANGUAGE_ALIASES.get(code, code))
    names.update({"norwegian bokmål": "no", "norwegian nynorsk": "no", "castellano": "es",
                  "flemish": "nl", "vlaams": "nl"})
    return names


def portal_language(value: str | None) -> str | None:
    """The portal's ISO 639-1 code for a dc:language value, or None when it names no language
    the portal knows."""
    if not value:
        return None
    v = value.strip()
    v = v.rsplit("/", 1)[-1] if v.startswith(("http://", "https://")) else v
    if not v:
        return None
    named = _language_names().get(v.casefold())
    if named:
        return named
    parts = [p for p in re.split(r"\s*[;,]\s*", v) if p]
    if len(parts) > 1:  # "Spanish; Castilian", "eng, fre": the first the portal knows
        return next((c for c in map(portal_language, parts) if c), None)
    if re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*", v):
        import langcodes  # a dependency of wordfreq: ISO 639-1/-2/-3 and BCP 47 tags

        try:
            code = langcodes.Language.get(v.replace("_", "-")).language
        except (ValueError, LookupError):
            return None
        code = _LANGUAGE_ALIASES.get(code or "", code)
        return code if code in LANGUAGES else None
    return None


@lru_cache(maxsize=1)
def _taxonomy_types() -> dict[str, str]:
    """Folded key or label (every language) of each taxonomy type → its key: what a portal's
    own /oai writes ("Strategy / roadmap", "Funding call", "Veranstaltung")."""
    from config.taxonomy import default_taxonomy

    out: dict[str, str] = {}
    for key, spec in default_taxonomy().types.items():
        if key == "other":  # "other" says nothing: the classifier decides
            continue
        for name in (key, *spec.labels.values()):
            out.setdefault(" ".join(name.casefold().split()), key)
    return out


def resource_type(values: list[str]) -> str | None:
    """The portal's resource type for a record's dc:type values (the first one that maps)."""
    for raw in values:
        v = raw.strip()
        own = _taxonomy_types().get(" ".join(v.casefold().split()))
        if own:
            return own
        if v.startswith(("http://", "https://", "info:")):
            last = v.rstrip("/").rsplit("/", 1)[-1]
            v = _COAR.get(last, last)
        v = _CAMEL_RE.sub(" ", v).replace("_", " ").casefold().strip(" .")
        if v in _TYPE_INDEX:
            return _TYPE_INDEX[v]
    return None


def record_date(value: str | None, lang: str | None = None) -> datetime | None:
    """A dc:date as publishers write it: a date or datetime, a year or month, a range (its
    start), "c. 2019", "[2019]"."""
    if not value:
        return None
    v = " ".join(value.split())
    dt = parse_date(v, lang)
    if dt is not None:
        return dt
    first = _RANGE_RE.split(v, maxsplit=1)[0].strip(" []()")
    if first and first != v:
        dt = parse_date(first, lang)
        if dt is not None:
            return dt
    m = _MONTH_YEAR_RE.match(first or v)
    if m:
        month = month_number(m.group(1), lang)
        if month:
            return parse_date(f"{m.group(2)}-{month:02d}-01")
    if len(v) <= 24:
        years = _YEAR_RE.findall(v)
        if years:
            return parse_date(years[0])
    return None


def _licence(rec: OaiRecord) -> str | None:
    values = rec.values("license", "rights", "accessRights")
    for v in values:  # a licence URL says the most
        if v.startswith(("http://", "https://")) and ("creativecommons" in v or "/licen" in v):
            return v
    return values[0] if values else None


def _subjects(rec: OaiRecord) -> list[str]:
    out: list[str] = []
    for v in rec.values("subject"):
        for part in re.split(r"\s*;\s*", v):
            part = part.strip()
            if part and not part.startswith(("http://", "https://")) and part not in out:
                out.append(part)
    return out


def _summary(rec: OaiRecord) -> str | None:
    parts: list[str] = []
    for v in rec.values("abstract", "description"):
        if v not in parts:
            parts.append(v)
    return "\n\n".join(parts) or None


def record_hints(rec: OaiRecord, default_language: str | None = None) -> Hints:
    """The Hints of a live record; its OAI identifier is the guid."""
    language = next((c for c in map(portal_language, rec.values("language")) if c), None)
    lang = language or default_language
    titles = rec.dc.get("title", [])
    title = next((t.value for t in titles if lang and t.lang and t.lang[:2].lower() == lang),
                 titles[0].value if titles else None)
    published = None
    for name in ("issued", "date", "created", "available", "dateAccepted"):
        published = next((d for d in (record_date(v, lang) for v in rec.values(name)) if d),
                         None)
        if published:
            break
    updated = next((d for d in (record_date(v, lang) for v in rec.values("modified")) if d),
                   None)
    return Hints(
        guid=rec.identifier, title=title, summary=_summary(rec), published=published,
        updated=updated, authors=list(dict.fromkeys(rec.values("creator"))),
        language=language, categories=_subjects(rec), publisher=rec.first("publisher"),
        licence=_licence(rec), resource_type=resource_type(rec.values("type")))


def web_identifiers(rec: OaiRecord) -> list[str]:
    """The record's http(s) identifiers (landing page, PDF), in the order given."""
    out = []
    for v in rec.values("identifier"):
        v = v.strip()
        if v.lower().startswith(("http://", "https://")) and v not in out:
            out.append(v)
    return out
