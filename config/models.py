"""Operator data: the source definitions and the portal settings.

One YAML document per source, validated by pydantic with a discriminated union on ``type``.
A bad file fails at load time with the file name, the key and what is wrong, before any
harvest starts (see :mod:`config.loader`).

This package imports nothing of the project (DESIGN.md: ``config`` is the bottom layer).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    field_validator,
    model_validator,
)

# ISO 3166-1 alpha-2 codes of the countries the portal serves (EU, EEA, candidates, UK, CH)
# plus the pseudo-country "EU" for EU-level publishers.
COUNTRIES: dict[str, str] = {
    "EU": "European Union",
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus",
    "CZ": "Czechia", "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France",
    "DE": "Germany", "GR": "Greece", "HU": "Hungary", "IE": "Ireland", "IT": "Italy",
    "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg", "MT": "Malta", "NL": "Netherlands",
    "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SK": "Slovakia", "SI": "Slovenia",
    "ES": "Spain", "SE": "Sweden", "NO": "Norway", "IS": "Iceland", "LI": "Liechtenstein",
    "CH": "Switzerland", "GB": "United Kingdom", "AL": "Albania", "BA": "Bosnia and Herzegovina",
    "ME": "Montenegro", "MK": "North Macedonia", "RS": "Serbia", "TR": "Türkiye",
    "UA": "Ukraine", "MD": "Moldova", "GE": "Georgia", "XK": "Kosovo",
}

# ISO 639-1 codes of the languages the portal recognises (EU official languages + Norwegian,
# Icelandic and a few neighbours cities publish in).
LANGUAGES: dict[str, str] = {
    "bg": "Български", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "Español", "et": "Eesti", "fi": "Suomi", "fr": "Français",
    "ga": "Gaeilge", "hr": "Hrvatski", "hu": "Magyar", "it": "Italiano", "lt": "Lietuvių",
    "lv": "Latviešu", "mt": "Malti", "nl": "Nederlands", "pl": "Polski", "pt": "Português",
    "ro": "Română", "sk": "Slovenčina", "sl": "Slovenščina", "sv": "Svenska",
    "no": "Norsk", "is": "Íslenska", "ca": "Català", "eu": "Euskara", "gl": "Galego",
}

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_LANGUAGE_ALIASES = {"nb": "no", "nn": "no"}


def _known_code(code: str, known: dict[str, str], what: str) -> str:
    """``code`` when it is one of ``known``; else a ValueError saying it is not ``what``."""
    if code not in known:
        raise ValueError(f"{code!r} is not {what}")
    return code


class Selectors(BaseModel):
    """CSS or XPath selectors for pages whose own metadata is poor.

    A selector starting with ``/`` or ``(`` is XPath, anything else CSS.
    """

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    date: str | None = None
    body: str | None = None
    author: str | None = None


class Schedule(BaseModel):
    """When a source is harvested: an interval or a cron expression (used by the scheduler)."""

    model_config = ConfigDict(extra="forbid")

    interval: dict[Literal["seconds", "minutes", "hours", "days"], int] | None = None
    cron: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "Schedule":
        if (self.interval is None) == (self.cron is None):
            raise ValueError("give exactly one of 'interval' or 'cron'")
        if self.interval is not None:
            if not self.interval or any(v <= 0 for v in self.interval.values()):
                raise ValueError("interval values must be positive whole numbers")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError("cron must have 5 fields: minute hour day month day-of-week")
        return self


def _compile_all(patterns: list[str], key: str) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"{p!r} is not a valid regular expression ({exc})") from None
    return patterns


class SourceBase(BaseModel):
    """Keys every source has."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable identifier: lowercase letters, digits and '-'.")
    name: str = Field(min_length=1)
    publisher: str | None = None
    country: str | None = Field(default=None, description="ISO 3166 alpha-2, or EU")
    city: str | None = None
    language: str | None = Field(default=None, description="ISO 639-1; a hint only")
    enabled: bool = True
    schedule: Schedule | None = None
    # Politeness and limits (portal-wide defaults apply when unset).
    download_delay: float | None = Field(default=None, ge=0, le=600)
    max_items: int | None = Field(default=None, ge=1)
    gone_after_runs: int | None = Field(
        default=None, ge=1,
        description="Mark an item gone after this many consecutive successful runs without "
                    "it (default: 3 for sitemaps and crawls; off for feeds, whose entries "
                    "roll off while the pages stay published).",
    )

    @property
    def effective_gone_after_runs(self) -> int | None:
        if self.gone_after_runs is not None:
            return self.gone_after_runs
        return None if getattr(self, "type", None) == "feed" else 3

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(
                "must be 2-63 characters of lowercase letters, digits and '-', "
                "starting with a letter or digit"
            )
        return v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return None if v is None else _known_code(
            v.upper(), COUNTRIES, "an ISO 3166 alpha-2 code known to the portal (or EU)")

    @field_validator("language")
    @classmethod
    def _language(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.lower()
        # Norwegian Bokmål and Nynorsk are both indexed as Norwegian.
        return _known_code(_LANGUAGE_ALIASES.get(v, v), LANGUAGES,
                           "an ISO 639-1 code known to the portal")


class FeedSource(SourceBase):
    """RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed."""

    type: Literal["feed"]
    url: HttpUrl
    fetch_pages: bool = Field(
        default=True, description="Fetch each entry's linked page for its full text."
    )
    fetch_documents: bool = Field(
        default=True, description="Harvest enclosures and links to PDFs too."
    )


class SitemapSource(SourceBase):
    """A sitemap, a sitemap index (gzipped or not) or a robots.txt listing sitemaps."""

    type: Literal["sitemap"]
    url: HttpUrl
    follow: list[str] = Field(default_factory=list, description="Keep only URLs matching one.")

    @field_validator("follow")
    @classmethod
    def _follow(cls, v: list[str]) -> list[str]:
        return _compile_all(v, "follow")


class CrawlSource(SourceBase):
    """A site section: start pages, links to follow, pages that are resources."""

    type: Literal["crawl", "html"]
    start_urls: list[HttpUrl] = Field(min_length=1)
    follow: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)
    max_depth: int = Field(default=3, ge=0, le=20)
    selectors: Selectors | None = None

    @field_validator("follow", "items")
    @classmethod
    def _regexes(cls, v: list[str], info) -> list[str]:
        return _compile_all(v, info.field_name)


class DcatSource(SourceBase):
    """A DCAT-AP catalogue (RDF/XML, Turtle or JSON-LD), Hydra-paged or not."""

    type: Literal["dcat"]
    url: HttpUrl
    format: Literal["rdfxml", "turtle", "jsonld", "ntriples"] | None = Field(
        default=None, description="The catalogue's RDF syntax, when its Content-Type is wrong "
                                  "(default: the Content-Type, else a look at the bytes).")
    fetch_distributions: bool = Field(
        default=True, description="Fetch each dataset's distributions of the wanted formats.")
    formats: list[str] = Field(
        default_factory=lambda: ["PDF", "HTML"], min_length=1,
        description="Distribution formats to fetch, in order of preference (PDF, HTML).")
    max_pages: int = Field(default=500, ge=1, le=100_000,
                           description="Stop following Hydra next pages after this many.")

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        out = [f.strip().upper() for f in v if f.strip()]
        unknown = [f for f in out if f not in ("PDF", "HTML")]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a format the portal indexes (PDF, HTML)")
        return list(dict.fromkeys(out))


class OaiPmhSource(SourceBase):
    """An OAI-PMH 2.0 provider (a repository, a library catalogue): ``ListRecords`` from its
    base URL, incremental with ``from`` after the first run, deleted records withdrawn."""

    type: Literal["oai-pmh"]
    url: HttpUrl = Field(description="The provider's base URL (without ?verb=...).")
    metadata_prefix: str = Field(default="oai_dc", min_length=1, max_length=100,
                                 pattern=r"^[A-Za-z0-9_.!~*'()-]+$")
    sets: list[str] = Field(default_factory=list,
                            description="setSpecs to harvest; empty: the whole repository.")
    fetch_pages: bool = Field(
        default=True, description="Fetch each record's http(s) identifier (landing page or "
                                  "PDF) for its full text; else the record's description is "
                                  "the text.")

    @property
    def effective_gone_after_runs(self) -> int | None:
        # an incremental listing names only what changed: deletions come as deleted records,
        # never from absence (unless the operator asks for it)
        return self.gone_after_runs

    @field_validator("url")
    @classmethod
    def _base_url(cls, v: HttpUrl) -> HttpUrl:
        if v.query and "verb=" in v.query:
            raise ValueError("give the base URL without '?verb=...'")
        return v

    @field_validator("sets")
    @classmethod
    def _sets(cls, v: list[str]) -> list[str]:
        for s in v:
            if not s or any(ch.isspace() for ch in s):
                raise ValueError(f"{s!r} is not a setSpec (no spaces, not empty)")
        return list(dict.fromkeys(v))


# -- catalogue APIs ----------------------------------------------------------------------------
def _jmespath(expression: str, where: str) -> str:
    """``expression`` when it compiles as JMESPath; else a ValueError naming ``where``."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ValueError(f"{where}: {expression!r} is not a valid JMESPath expression "
                         f"({first})") from None
    return expression


class CkanSource(SourceBase):
    """A CKAN site: the datasets ``package_search`` finds, their resources as documents.

    Incremental after the first run (``metadata_modified`` since the last successful one,
    less ``overlap_minutes``; a source with ``max_items`` is always read in full, since a
    capped run must not move the start on); a dataset deleted or no longer listed is
    withdrawn at once, so ``gone_after_runs`` does not apply.
    """

    type: Literal["ckan"]
    url: HttpUrl = Field(description="The CKAN site's root, e.g. https://data.example.eu/")
    q: str | None = Field(default=None, description="Solr query of package_search")
    fq: str | None = Field(default=None, description="Solr filter query of package_search")
    rows: int = Field(default=100, ge=1, le=1000, description="Datasets per page")
    formats: list[str] = Field(default_factory=lambda: ["PDF", "HTML"], min_length=1,
                               description="Resource formats taken as documents")
    overlap_minutes: int = Field(default=60, ge=0, le=10080)

    @property
    def effective_gone_after_runs(self) -> int | None:
        return None

    @field_validator("gone_after_runs")
    @classmethod
    def _no_gone_after(cls, v: int | None) -> int | None:
        if v is not None:
            raise ValueError("does not apply to ckan sources: a dataset deleted or no longer "
                             "listed is withdrawn at once")
        return v

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        out = [f.strip().lstrip(".").upper() for f in v if f and f.strip().lstrip(".")]
        if not out:
            raise ValueError("name at least one resource format, e.g. PDF")
        return out


class JsonFields(BaseModel):
    """Where each field of a record is, as a JMESPath expression relative to the record."""

    model_config = ConfigDict(extra="forbid")

    url: str
    id: str | None = None
    title: str | None = None
    summary: str | None = None
    date: str | None = None
    updated: str | None = None
    deadline: str | None = None
    start: str | None = None
    end: str | None = None
    language: str | None = None
    type: str | None = None
    publisher: str | None = None
    categories: str | None = None

    @model_validator(mode="after")
    def _compile(self) -> "JsonFields":
        for name, expression in self.model_dump(exclude_none=True).items():
            _jmespath(expression, name)
        return self


class JsonPaging(BaseModel):
    """How the API pages: by page number, offset, cursor, or a next-page URL in the answer."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["page", "offset", "cursor", "next-url"]
    param: str | None = Field(default=None, description="the page/offset/cursor parameter")
    size_param: str | None = None
    size: int | None = Field(default=None, ge=1, le=1000)
    first: int | None = Field(default=None, description="the first page (1) or offset (0)")
    total: str | None = Field(default=None, description="JMESPath to the number of records")
    next: str | None = Field(default=None, description="JMESPath to the next cursor or URL")
    in_body: bool = Field(default=False, description="POST: paging goes into the JSON body")

    @model_validator(mode="after")
    def _check(self) -> "JsonPaging":
        if self.kind in ("cursor", "next-url") and not self.next:
            raise ValueError(f"paging of kind {self.kind!r} needs 'next', a JMESPath to the "
                             "next " + ("cursor" if self.kind == "cursor" else "page's URL"))
        if self.kind == "cursor" and not self.param:
            raise ValueError("paging of kind 'cursor' needs 'param', the cursor's parameter")
        for key in ("total", "next"):
            if getattr(self, key):
                _jmespath(getattr(self, key), key)
        return self


class JsonApiSource(SourceBase):
    """A JSON API listing records (calls, projects, publications): a field mapping makes
    each record a document."""

    type: Literal["json"]
    url: HttpUrl
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    body: dict | list | None = Field(default=None, description="JSON body of a POST")
    items: str = Field(description="JMESPath to the list of records in an answer")
    fields: JsonFields
    paging: JsonPaging | None = None
    max_pages: int = Field(default=100, ge=1, le=100000)
    fetch_pages: bool = Field(default=True, description="Fetch each record's URL for its "
                                                        "full text")
    since_param: str | None = Field(default=None, description="parameter filled with the "
                                    "date of the last successful run (incremental runs)")
    since_format: Literal["date", "datetime"] = "datetime"
    overlap_minutes: int = Field(default=60, ge=0, le=10080)
    type_map: dict[str, str] = Field(default_factory=dict,
                                     description="the API's types -> the portal's types")

    @field_validator("items")
    @classmethod
    def _items(cls, v: str) -> str:
        return _jmespath(v, "items")

    @model_validator(mode="after")
    def _body(self) -> "JsonApiSource":
        if self.body is not None and self.method != "POST":
            raise ValueError("'body' is sent only with method: POST")
        return self


SourceConfig = Annotated[
    Union[FeedSource, SitemapSource, CrawlSource, DcatSource, OaiPmhSource, CkanSource,
          JsonApiSource],
    Field(discriminator="type"),
]
SOURCE_ADAPTER: TypeAdapter[SourceConfig] = TypeAdapter(SourceConfig)
