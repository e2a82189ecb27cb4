"""The canonical record every part of the portal speaks: :class:`Resource`.

Harvesters turn what they fetch into :class:`RawDocument`; the normaliser turns that into a
:class:`Resource`; the catalogue stores it with its :class:`Instance` list (every place it was
published); the search backends index it; the UI shows it.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

# Resource types: value -> label. Keep in step with config/taxonomy.yaml.
RESOURCE_TYPES: dict[str, str] = {
    "strategy": "Strategy / roadmap",
    "guide": "Guide / toolkit",
    "good-practice": "Good practice / case study",
    "report": "Report / study",
    "policy": "Policy / legal",
    "funding": "Funding call",
    "event": "Event",
    "news": "News",
    "dataset": "Dataset",
    "other": "Other",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def as_utc(dt: datetime | None) -> datetime | None:
    """Aware UTC datetime (naive values are taken as UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def resource_id_for(canonical_url: str) -> str:
    """Stable id of a resource from its canonical identity (the first canonical URL seen)."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]


PLACE_KINDS: tuple[str, ...] = ("city", "region", "country")
# where a place came from: the source's configuration (its city/country) or the document's text
PLACE_ORIGINS: tuple[str, ...] = ("source", "text")


@dataclass
class Place:
    """A place a resource is about or comes from.

    ``country`` (ISO 3166 alpha-2, or "EU") and ``city`` are what the facets read. A place found
    in the text also has its ``name`` as found, its ``kind`` (city, region or country) and its
    GeoNames id; ``origin`` tells a source's configured place from one found in the text. Rows
    stored before places had more than a country and a city load as source places.
    """

    country: str | None = None
    city: str | None = None
    name: str | None = None
    kind: str | None = None  # one of PLACE_KINDS
    geonameid: int | None = None
    origin: str = "source"  # one of PLACE_ORIGINS

    @property
    def label(self) -> str:
        """The name to show: the city, else the name found, else the country code."""
        return self.city or self.name or self.country or ""

    def to_json(self) -> dict[str, Any]:
        """The stored form: country and city always (old readers expect them), the rest when
        known."""
        out: dict[str, Any] = {"country": self.country, "city": self.city}
        if self.name and self.name != self.city:
            out["name"] = self.name
        if self.kind:
            out["kind"] = self.kind
        if self.geonameid is not None:
            out["geonameid"] = self.geonameid
        if self.origin != "source":
            out["origin"] = self.origin
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Place":
        """A place from its stored form, old ({country, city}) or new."""
        gid = d.get("geonameid")
        try:
            gid = int(gid) if gid is not None else None
        except (TypeError, ValueError):
            gid = None
        kind = d.get("kind")
        return cls(country=d.get("country") or None, city=d.get("city") or None,
                   name=d.get("name") or d.get("city") or None,
                   kind=kind if kind in PLACE_KINDS else None, geonameid=gid,
                   origin=d.get("origin") if d.get("origin") in PLACE_ORIGINS else "source")

    @property
    def key(self) -> tuple:
        """What makes two places the same place (a source's city and the same city found in
        the text are one; a country is one place however it was named). A place the gazetteer
        identified is its GeoNames id."""
        if self.geonameid is not None:
            return ("geonames", self.geonameid)
        if self.city:
            return ("city", self.country, self.city)
        if self.kind == "region":
            return ("region", self.country, self.name)
        return ("country", self.country, None if self.country else self.name)


@dataclass
class Instance:
    """One place a resource was published: a source and a URL, with when it was seen."""

    source_id: str
    url: str  # canonical URL at that source
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    guid: str | None = None
    status: str = "live"  # live | gone


@dataclass
class Resource:
    id: str
    title: str
    url: str  # canonical URL of the first instance
    summary: str = ""
    body: str = ""
    instances: list[Instance] = field(default_factory=list)
    publisher: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    language: str | None = None  # ISO 639-1
    type: str = "other"  # key of RESOURCE_TYPES
    themes: list[str] = field(default_factory=list)  # keys of the taxonomy
    places: list[Place] = field(default_factory=list)
    format: str = "html"
    licence: str | None = None
    content_hash: str = ""  # of the normalised main text: its identity for deduplication
    # what the instance served: the text's hash with its structured facts (a moved deadline,
    # places found in the text), so a change of those alone is an update; not stored with the
    # resource (each instance keeps the one it served last); "": the content hash
    served_hash: str = ""
    harvested_at: datetime | None = None
    indexed_at: datetime | None = None
    # what a reader should know, e.g. "no-text-layer": a PDF without text (a scan), kept and
    # found by its title and metadata only
    flags: list[str] = field(default_factory=list)
    # translations the page declares (hreflang): [{"language", "url"}]; stored beside the
    # resource (catalogue/translations.py), never part of its text or identity
    alternates: list[dict[str, str]] = field(default_factory=list)
    # structured facts: when a funding call closes, when an event starts and ends (UTC)
    deadline: datetime | None = None
    event_start: datetime | None = None
    event_end: datetime | None = None

    # -- derived views used by the indexes and the UI ---------------------------------------
    @property
    def live_instances(self) -> list[Instance]:
        return [i for i in self.instances if i.status == "live"]

    @property
    def source_ids(self) -> list[str]:
        return sorted({i.source_id for i in self.live_instances})

    @property
    def countries(self) -> list[str]:
        return sorted({p.country for p in self.places if p.country})

    @property
    def cities(self) -> list[str]:
        return sorted({p.city for p in self.places if p.city})

    @property
    def event_until(self) -> datetime | None:
        """When the event is over: its end, else the end of the day it starts (an event given
        by its start alone lasts that day); None for a resource that is no event."""
        if self.event_end is not None:
            return as_utc(self.event_end)
        if self.event_start is not None:
            return as_utc(self.event_start) + timedelta(days=1) - timedelta(seconds=1)
        return None

    @property
    def date(self) -> datetime | None:
        """The date shown and sorted on: published, else updated, else first harvested."""
        return self.published or self.updated or self.harvested_at

    @property
    def year(self) -> int | None:
        d = self.date
        return d.year if d else None

    @property
    def is_live(self) -> bool:
        return bool(self.live_instances) or not self.instances

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (datetimes as ISO 8601 UTC strings)."""
        return _jsonable(asdict(self))


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return as_utc(v).isoformat().replace("+00:00", "Z")
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


@dataclass
class Hints:
    """What a source told us about a document before we fetched it (feed entry, sitemap)."""

    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    content_html: str | None = None  # full content from the feed, when it has it
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    categories: list[str] = field(default_factory=list)
    # what a catalogue record (OAI-PMH, CKAN, DCAT, a JSON API) states about the document
    publisher: str | None = None
    licence: str | None = None
    resource_type: str | None = None  # a key of RESOURCE_TYPES, when the record says which
    deadline: datetime | None = None
    event_start: datetime | None = None
    event_end: datetime | None = None


@dataclass
class RawDocument:
    """Bytes fetched for one document, with what is known about where they came from.

    ``body`` is what the server sent (already content-decoded: gzip is undone by the fetcher);
    ``headers`` are the response headers (lower-case names). When a feed carries the full
    content and the page was not fetched, ``body`` is empty and ``hints.content_html`` holds it.
    """

    source_id: str
    url: str  # the URL as linked (before redirects)
    final_url: str  # the URL the bytes came from (after redirects)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    hints: Hints = field(default_factory=Hints)
    fetched_at: datetime = field(default_factory=utcnow)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")
