"""A document's structured facts during normalisation: its places, its deadline and event dates,
and what a catalogue record states about it.

:func:`structured_facts` is called once per document by :func:`indexer.normalise.normalise`:

* **places**: the source's configured place (``city``/``country`` of its config) first, then
  the places :func:`indexer.places.find_places` recognises in the title and text (at most
  :data:`MAX_TEXT_PLACES`, most salient first), each once;
* **dates**: :func:`indexer.deadlines.find_dates` over the title and text, given the page's
  schema.org nodes and event markup and the record's own dates. A date the record states
  (``Hints.deadline``/``event_start``/``event_end``: an OAI-PMH, CKAN, DCAT or JSON API record)
  is what the source says: it wins over anything read from the text;
* **record metadata**: a record's type (``Hints.resource_type``) beats the classifier's guess
  when it is one of :data:`indexer.resource.RESOURCE_TYPES`; its publisher and licence win
  over the page's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .deadlines import find_dates
from .places import PlaceMention, find_places, gazetteer
from .places_text import fold
from .resource import RESOURCE_TYPES, Hints, Place, as_utc

# The places of a text kept on its resource: a report naming thirty cities in passing is about
# the first few (find_places gives the most salient first).
MAX_TEXT_PLACES = 8


@dataclass
class Facts:
    """What :func:`structured_facts` found: the resource's places and dates."""

    places: list[Place] = field(default_factory=list)
    deadline: datetime | None = None
    event_start: datetime | None = None
    event_end: datetime | None = None

    def signature(self) -> str:
        """The dates and the places found in the text, as text, for the served hash: a record
        whose deadline moves is an update even when its text is the same, and so is a page
        stored before its places or dates were recognised. Empty when there are none (the
        hash is then the text's alone, as it always was)."""
        parts = [as_utc(d).isoformat() if d else "" for d in
                 (self.deadline, self.event_start, self.event_end)]
        found = [f"{p.kind}:{p.country}:{p.name}" for p in self.places if p.origin == "text"]
        if not any(parts) and not found:
            return ""
        return "|".join(parts + found)


def stated_type(hints: Hints, guessed: str) -> str:
    """The record's type when it states a valid one, else the classifier's ``guessed``."""
    stated = (hints.resource_type or "").strip().lower()
    return stated if stated in RESOURCE_TYPES else guessed


@functools.lru_cache(maxsize=1024)
def configured_city(name: str, country: str | None) -> PlaceMention | None:
    """The gazetteer's city that a source's configured ``city`` names: of the places known by
    that name (in any language) in the source's country, the most populous city; None when
    the gazetteer has none. A configured name is taken as meant (no word-or-place doubt)."""
    g = gazetteer()
    best: tuple[int, PlaceMention] | None = None
    for index, _primary in g.names.get(fold(name), ()):
        place = g.places[index]
        if place.kind != "city" or (country and country != "EU" and place.country != country):
            continue
        if best is None or g.population[index] > best[0]:
            best = (g.population[index], place)
    return best[1] if best else None


def source_places(source: Any) -> list[Place]:
    """The place a source's configuration gives (its city and country), if any. A city the
    gazetteer knows takes its name there ("Den Haag" -> "The Hague"), so that the city facet
    has one value for a city however sources and texts name it."""
    country, city = getattr(source, "country", None), getattr(source, "city", None)
    if not (country or city):
        return []
    if city:
        known = configured_city(city, country)
        if known is not None:
            return [Place(country=known.country, city=known.name, name=known.name, kind="city",
                          geonameid=known.geonameid)]
    return [Place(country=country, city=city, name=city, kind="city" if city else "country")]


def text_places(title: str, body: str, language: str | None) -> list[Place]:
    """The places :func:`indexer.places.find_places` recognises, as resource places."""
    out = []
    for m in find_places(title or "", body or "", language)[:MAX_TEXT_PLACES]:
        out.append(Place(country=m.country or None, city=m.name if m.kind == "city" else None,
                         name=m.name, kind=m.kind, geonameid=m.geonameid, origin="text"))
    return out


def _merged(places: list[Place]) -> list[Place]:
    seen: dict[tuple, Place] = {}
    for p in places:
        known = seen.get(p.key)
        if known is None:
            seen[p.key] = p
        elif known.geonameid is None:
            known.geonameid = p.geonameid
    return list(seen.values())


def structured_input(hints: Hints, jsonld: list[dict] | None,
                     page_event_start: str | None) -> dict[str, Any]:
    """What :func:`find_dates` reads as ``structured``: the page's schema.org nodes, the
    event start its markup gives, and the record's dates (which replace the page's)."""
    data: dict[str, Any] = {}
    if jsonld:
        data["@graph"] = list(jsonld)
    if page_event_start:
        data["event_start"] = page_event_start
    for name in ("deadline", "event_start", "event_end"):
        value = getattr(hints, name, None)
        if value is not None:
            data[name] = as_utc(value)
    return data


def structured_facts(title: str, body: str, language: str | None, *, source: Any,
                     hints: Hints, resource_type: str, published: datetime | None,
                     jsonld: list[dict] | None = None, page_event_start: str | None = None
                     ) -> Facts:
    """The places and dates of one document (see the module docstring)."""
    places = _merged(source_places(source) + text_places(title, body, language))
    structured: Mapping[str, Any] = structured_input(hints, jsonld, page_event_start)
    found = find_dates(title or "", body or "", language, resource_type=resource_type,
                       structured=structured, published=published)
    return Facts(
        places=places,
        deadline=as_utc(hints.deadline) or found.deadline,
        event_start=as_utc(hints.event_start) or found.event_start,
        event_end=as_utc(hints.event_end) or found.event_end,
    )
