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


SourceConfig = Annotated[
    Union[FeedSource, SitemapSource, CrawlSource, DcatSource, OaiPmhSource],
    Field(discriminator="type"),
]
SOURCE_ADAPTER: TypeAdapter[SourceConfig] = TypeAdapter(SourceConfig)
