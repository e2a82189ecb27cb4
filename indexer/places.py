"""Places in the text: cities, regions and countries of Europe, in the EU languages.

`find_places(title, text, language)` returns the places a document is about, most salient
first; `suggest_places(prefix, language, limit)` completes a place name for autocomplete.
The gazetteer (indexer/data/places.json.gz, built by `python -m indexer.places_build` from
GeoNames and ISO 3166) is loaded once, on first use.

How a name becomes a place (precision first; measured by bench/bench_places.py):
- one pass over the tokens; a capitalised token is looked up in a dict of first tokens that
  gives the candidate names (longest first: "Frankfurt am Main", "Den Haag"); if nothing fits,
  the language's inflection rules try base forms ("Kaune" -> "Kaunas");
- a name that is also a frequent word of the text's language ("Nice", "Prato", "Essen",
  "Bath") is kept only where its capital letter means something — not at the start of a
  sentence or a menu item, not in a Title Case title, not as a German noun — or with support:
  a cue before it ("in", "Comune di", "Stadt", "v"), the same place elsewhere in the text where
  it is unambiguous, or its country or region mentioned;
- a name shared by several places goes to the one whose country the text mentions, then to
  the country over the city over the region, then to the most populous.
"""
from __future__ import annotations

import bisect
import gzip
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from indexer.places_text import CUES, NAME_GAP, TOKEN, fold_token, inflection_candidates, is_break

GAZETTEER = Path(__file__).parent / "data" / "places.json.gz"
COMMON_ZIPF = 4.0  # a name this frequent as a word of the text's language needs support
SMALL_COMMON_ZIPF = 3.3  # the same for towns under SMALL_CITY inhabitants
SMALL_CITY = 100_000
BIG_CITY = 1_000_000  # a name this big is a place even where its word is frequent (Berlin)
NOUN_CAPITALISING = {"de", "lb"}
_KIND_RANK = {"country": 0, "city": 1, "region": 2}


@dataclass(frozen=True)
class PlaceMention:
    name: str
    kind: Literal["city", "region", "country"]
    country: str
    geonameid: int | None


class Gazetteer:
    """The loaded gazetteer: places, names by first token, frequent-word table, sorted keys."""

    def __init__(self, data: dict):
        self.places = [PlaceMention(p[0], p[1], p[2], p[3]) for p in data["places"]]
        self.population = [p[4] or 0 for p in data["places"]]
        self.names: dict[str, list[tuple[int, int]]] = {}
        self.display: dict[str, str] = {}
        self.first: dict[str, list[tuple[str, ...]]] = {}
        for key, shown, entries in data["names"]:
            self.names[key] = [(int(i), int(p)) for i, p in entries]
            self.display[key] = shown
            tokens = tuple(key.split(" "))
            self.first.setdefault(tokens[0], []).append(tokens)
        for grams in self.first.values():
            grams.sort(key=len, reverse=True)
        self.common: dict[str, dict[str, float]] = data["common"]
        self.languages: dict[str, set[str]] = {cc: set(v) for cc, v in data["languages"].items()}
        self.sorted_keys = sorted(self.names)


_lock = threading.Lock()
_gazetteer: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    global _gazetteer
    if _gazetteer is None:
        with _lock:
            if _gazetteer is None:
                with gzip.open(GAZETTEER, "rt", encoding="utf-8") as f:
                    _gazetteer = Gazetteer(json.load(f))
    return _gazetteer


@dataclass
class _Hit:
    key: str
    position: int
    in_title: bool
    ambiguous: bool  # where a capital letter says nothing (sentence start, Title Case, German noun)
    cued: bool
    inflected: bool


def _tokens(text: str):
    """(token, start, end, gap before) for every word of the text."""
    previous_end = 0
    for match in TOKEN.finditer(text):
        yield match.group(), match.start(), match.end(), text[previous_end:match.start()]
        previous_end = match.end()


def _title_case(title: str) -> bool:
    words = [w for w in TOKEN.findall(title) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _scan(text: str, language: str | None, g: Gazetteer, in_title: bool, offset: int) -> list[_Hit]:
    tokens = list(_tokens(text))
    title_case = in_title and _title_case(text)
    hits: list[_Hit] = []
    cues = CUES.get(language or "", set())
    i = 0
    while i < len(tokens):
        word, _start, _end, gap = tokens[i]
        elided = len(word) == 1 and gap.endswith(("'", "’"))  # 's-Hertogenbosch
        if not (word[0].isupper() or elided) or (word.isupper() and len(word) > 1
                                                 and not text.isupper()):
            i += 1
            continue
        folded = fold_token(word)
        matched = _match_at(tokens, i, folded, g)
        inflected = False
        if matched is None:
            matched = _inflected(folded, language, g)
            inflected = matched is not None
            length = 1
        else:
            matched, length = matched
        if matched is not None:
            starts = i == 0 or is_break(gap)
            previous = fold_token(tokens[i - 1][0]) if i > 0 and not is_break(gap) else ""
            hits.append(_Hit(matched, offset + i, in_title, starts or title_case,
                             previous in cues, inflected))
            i += length
        else:
            i += 1
    return hits


def _match_at(tokens, i, folded: str, g: Gazetteer):
    grams = g.first.get(folded)
    if not grams:
        return None
    for gram in grams:
        n = len(gram)
        if i + n > len(tokens):
            continue
        ok = True
        for k in range(1, n):
            word, _s, _e, gap = tokens[i + k]
            if not NAME_GAP.match(gap) or fold_token(word) != gram[k]:
                ok = False
                break
        if ok:
            return " ".join(gram), n
    return None


def _inflected(folded: str, language: str | None, g: Gazetteer) -> str | None:
    for base in inflection_candidates(folded, language):
        if base in g.names and len(base) >= 4:
            return base
    return None


def _candidates(key: str, g: Gazetteer, countries: set[str]) -> list[int]:
    entries = g.names[key]

    def rank(entry):
        index, primary = entry
        place = g.places[index]
        kind = _KIND_RANK[place.kind]
        if place.kind == "city" and not primary and g.population[index] < SMALL_CITY:
            kind = 3  # a small town's other name loses to a region's own name
        return (place.country not in countries, kind, -primary, -g.population[index])

    return [index for index, _ in sorted(entries, key=rank)]


def _frequent(key: str, place_index: int, language: str | None, g: Gazetteer) -> bool:
    place = g.places[place_index]
    if place.kind == "country" or g.population[place_index] >= BIG_CITY:
        return False
    freqs = g.common.get(key)
    if not freqs:
        return False
    zipf = freqs.get(language, 0.0) if language else max(freqs.values())
    small = place.kind == "city" and g.population[place_index] < SMALL_CITY
    return zipf >= (SMALL_COMMON_ZIPF if small else COMMON_ZIPF)


def find_places(title: str, text: str, language: str | None) -> list[PlaceMention]:
    """The places a document is about, most salient first, each once."""
    g = gazetteer()
    language = (language or "").split("-")[0].lower() or None
    hits = _scan(title or "", language, g, True, 0) + _scan(text or "", language, g, False, 1_000_000)
    if not hits:
        return []
    return _resolve(hits, language, g)


def _resolve(hits: list[_Hit], language: str | None, g: Gazetteer) -> list[PlaceMention]:
    sure: set[str] = set()  # keys seen where the capital letter is trustworthy
    countries: set[str] = set()
    for hit in hits:
        index = _candidates(hit.key, g, set())[0]
        if not _needs_support(hit, index, language, g):
            sure.add(hit.key)
            place = g.places[index]
            if place.kind != "city" or language in g.languages.get(place.country, ()):
                countries.add(place.country)  # a city supports its neighbours in its own language
    scores: dict[int, list[float]] = {}
    for hit in hits:
        index = _candidates(hit.key, g, countries)[0]
        place = g.places[index]
        if _needs_support(hit, index, language, g) and hit.key not in sure \
                and place.country not in countries:
            continue
        score = scores.setdefault(index, [0.0, hit.position])
        score[0] += 3.0 if hit.in_title else 1.0
    ordered = sorted(scores.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [g.places[index] for index, _ in ordered]


def _needs_support(hit: _Hit, index: int, language: str | None, g: Gazetteer) -> bool:
    if hit.cued or hit.inflected or not _frequent(hit.key, index, language, g):
        return False
    return hit.ambiguous or language in NOUN_CAPITALISING or language is None


def suggest_places(prefix: str, language: str | None, limit: int = 10) -> list[PlaceMention]:
    """Places whose name (in any of the gazetteer's languages) starts with `prefix`."""
    g = gazetteer()
    key = " ".join(fold_token(t) for t in TOKEN.findall(prefix or ""))
    if not key or limit <= 0:
        return []
    found: dict[int, tuple] = {}
    start = bisect.bisect_left(g.sorted_keys, key)
    for name in g.sorted_keys[start:]:
        if not name.startswith(key):
            break
        for index, primary in g.names[name]:
            place = g.places[index]
            weight = g.population[index] * (1.0 if primary else 0.1) * (2.0 if name == key else 1.0)
            rank = (place.kind != "country" or name != key, -weight)
            if index not in found or rank < found[index]:
                found[index] = rank
    ordered = sorted(found, key=lambda index: found[index])
    return [g.places[index] for index in ordered[:limit]]
