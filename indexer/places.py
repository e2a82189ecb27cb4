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
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from indexer.dates import month_names
from indexer.places_text import (
    CUES,
    NAME_GAP,
    TOKEN,
    fold_token,
    inflection_candidates,
    is_break,
    noun_context,
)

GAZETTEER = Path(__file__).parent / "data" / "places.json.gz"
COMMON_MARGIN = 1.0  # ...and this much more frequent than in the other languages (Zipf)
COMMON_ZIPF = 4.0  # a name this frequent as a word of the text's language needs support
SMALL_COMMON_ZIPF = 3.3  # the same for towns under SMALL_CITY inhabitants
SMALL_CITY = 100_000
BIG_CITY = 1_000_000  # a name this big is a place even where its word is frequent (Berlin)
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
        self.names: dict[str, tuple[tuple[int, int], ...]] = {}
        self.acronyms: set[str] = set()  # names written in capitals ("UK")
        # first token -> (its one-word name or "", second token -> longer names, longest first)
        self.first: dict[str, tuple[str, dict[str, list[tuple[tuple[str, ...], tuple]]] | None]] = {}
        for line in data["names"]:
            key, shown, entries = line.split("\t")
            if shown.replace(".", "").isupper():
                self.acronyms.add(key)
            self.names[key] = tuple((int(i), int(p)) for i, p in
                                    (entry.split(":") for entry in entries.split(",")))
            tokens = tuple(key.split(" "))
            single, longer = self.first.get(tokens[0], ("", None))
            if len(tokens) == 1:
                single = key
            else:
                longer = {} if longer is None else longer
                words = TOKEN.findall(shown)
                caps = tuple(w[0].isupper() for w in words) if len(words) == len(tokens) \
                    else (True,) * len(tokens)
                longer.setdefault(tokens[1], []).append((tokens, caps))
            self.first[tokens[0]] = (single, longer)
        for _single, longer in self.first.values():
            for grams in (longer or {}).values():
                grams.sort(key=lambda gram: len(gram[0]), reverse=True)
        self.ranked: dict[tuple[str, frozenset[str]], list[int]] = {}
        self.inflected: dict[tuple[str | None, str], str | None] = {}
        # name -> language -> (Zipf frequency as a word, its margin over the other languages)
        self.common: dict[str, dict[str, tuple[float, float]]] = {
            key: {lang: (float(z), float(m)) for lang, z, m in (v.split(":") for v in value.split(","))}
            for key, value in data["common"].items()}
        self.languages: dict[str, set[str]] = {cc: set(v) for cc, v in data["languages"].items()}
        # the languages a translated country or region name belongs to (untagged: any)
        self.name_languages: dict[str, frozenset[str]] = {
            key: frozenset(value.split(",")) for key, value in data.get("name_languages", {}).items()}
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
    noun: bool = False  # after an article or adjective in a noun-capitalising language


_fold_cache: dict[str, str] = {}
_UNKNOWN: Any = object()  # not looked up yet


def _fold(word: str) -> str:
    folded = _fold_cache.get(word)
    if folded is None:
        if len(_fold_cache) > 200_000:
            _fold_cache.clear()
        folded = _fold_cache[word] = fold_token(word)
    return folded


def _title_case(title: str) -> bool:
    words = [w for w in TOKEN.findall(title) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _scan(text: str, language: str | None, g: Gazetteer, in_title: bool, offset: int) -> list[_Hit]:
    """One pass over the tokens; only capitalised ones are looked up."""
    tokens = list(TOKEN.finditer(text))
    title_case = in_title and _title_case(text)
    all_caps = text.isupper()
    hits: list[_Hit] = []
    cues = CUES.get(language or "", ())
    i, count = 0, len(tokens)
    while i < count:
        word = tokens[i].group()
        if not word[0].isupper() or (not all_caps and len(word) > 1 and word.isupper()
                                     and _fold(word) not in g.acronyms):  # "UK", not "NICE"
            if len(word) == 1 and i + 1 < count:  # 's-Hertogenbosch, L'Aia after a lower-case word
                matched = _match_at(tokens, i, text, word.casefold(), g, 2)
                if matched:
                    hits.append(_Hit(matched[0], offset + i, in_title, True, False, False))
                    i += matched[1]
                    continue
            i += 1
            continue
        folded = _fold(word)
        if _a_month(folded, language, text, tokens[i]):  # "until 20 March", "Março de 2027"
            i += 1
            continue
        matched = _match_at(tokens, i, text, folded, g, 1)
        inflected = False
        if matched is None:
            base = _inflected(folded, language, g)
            matched = (base, 1) if base else None
            inflected = True
        if matched is None:
            i += 1
            continue
        gap = text[tokens[i - 1].end():tokens[i].start()] if i else ""
        starts = i == 0 or is_break(gap)
        previous = "" if starts else tokens[i - 1].group()
        hits.append(_Hit(matched[0], offset + i, in_title, starts or title_case,
                         _fold(previous) in cues, inflected, noun_context(previous, language)))
        i += matched[1]
    return hits


_MONTHS = month_names()
_NEAR_NUMBER = re.compile(r"\d\W{0,3}$|^\W{0,3}\d")


def _a_month(folded: str, language: str | None, text: str, token) -> bool:
    """A month's name (March; the town of March is rare beside it): one of the text's
    language, or of any language when it stands beside a number (a day, a year)."""
    languages = _MONTHS.get(folded)
    if not languages:
        return False
    if language is None or language in languages:
        return True
    start, end = token.span()
    return bool(_NEAR_NUMBER.search(text[max(0, start - 5):start])
                or _NEAR_NUMBER.search(text[end:end + 5]))


def _match_at(tokens, i, text: str, folded: str, g: Gazetteer, shortest: int):
    """The longest gazetteer name starting at token i: (key, number of tokens) or None."""
    entry = g.first.get(folded)
    if entry is None:
        return None
    single, longer = entry
    if longer and i + 1 < len(tokens):
        grams = longer.get(_fold(tokens[i + 1].group()))
        for gram, caps in grams or ():
            n = len(gram)
            if i + n > len(tokens):
                continue
            for k in range(1, n):
                token = tokens[i + k]
                word = token.group()
                if (word[0].isupper() != caps[k] or _fold(word) != gram[k]
                        or not NAME_GAP.match(text[tokens[i + k - 1].end():token.start()])):
                    break
            else:
                return " ".join(gram), n
    return (single, 1) if single and shortest == 1 else None


def _inflected(folded: str, language: str | None, g: Gazetteer) -> str | None:
    cache_key = (language, folded)
    found = g.inflected.get(cache_key, _UNKNOWN)
    if found is not _UNKNOWN:
        return found
    found = None
    for base in inflection_candidates(folded, language):
        if len(base) >= 4 and base in g.names:
            found = base
            break
    if len(g.inflected) > 200_000:
        g.inflected.clear()
    g.inflected[cache_key] = found
    return found


def _candidates(key: str, g: Gazetteer, countries: frozenset[str]) -> list[int]:
    """The places a name may be, best first: in a country the text mentions, then country over
    city over region, then by population (a place's other names count for a tenth)."""
    cached = g.ranked.get((key, countries))
    if cached is not None:
        return cached

    def rank(entry):
        index, primary = entry
        place = g.places[index]
        kind = _KIND_RANK[place.kind]
        if place.kind == "city" and not primary and g.population[index] < SMALL_CITY:
            kind = 3  # a small town's other name loses to a region's own name
        weight = g.population[index] * (1.0 if primary else 0.1)
        return (place.country not in countries, kind, -weight)

    ranked = [index for index, _ in sorted(g.names[key], key=rank)]
    if len(g.ranked) > 50_000:
        g.ranked.clear()
    g.ranked[(key, countries)] = ranked
    return ranked


def _frequent(key: str, place_index: int, language: str | None, g: Gazetteer) -> bool:
    """Is this name also an ordinary word of the text's language (any language if unknown)?"""
    place = g.places[place_index]
    if place.kind == "country" or g.population[place_index] >= BIG_CITY:
        return False
    freqs = g.common.get(key)
    if not freqs:
        return False
    small = g.population[place_index] < SMALL_CITY  # a region's size is unknown: as a town
    threshold = SMALL_COMMON_ZIPF if small else COMMON_ZIPF
    values = [freqs[language]] if language in freqs else [] if language else freqs.values()
    return any(zipf >= threshold and margin >= COMMON_MARGIN for zipf, margin in values)


def find_places(title: str, text: str, language: str | None) -> list[PlaceMention]:
    """The places a document is about, most salient first, each once."""
    g = gazetteer()
    language = (language or "").split("-")[0].lower() or None
    hits = _scan(title or "", language, g, True, 0) + _scan(text or "", language, g, False, 1_000_000)
    if not hits:
        return []
    return _resolve(hits, language, g)


def _resolve(hits: list[_Hit], language: str | None, g: Gazetteer) -> list[PlaceMention]:
    sure: set[str] = set()  # names seen where their capital letter is trustworthy
    countries: set[str] = set()  # countries the text mentions (or their regions, or their
    for hit in hits:  # cities in the country's own language)
        index = _candidates(hit.key, g, frozenset())[0]
        if not _needs_support(hit, index, language, g):
            sure.add(hit.key)
            place = g.places[index]
            if place.kind != "city" or language in g.languages.get(place.country, ()):
                countries.add(place.country)
    evidence = frozenset(countries)
    scores: dict[int, list[float]] = {}
    for hit in hits:
        index = _candidates(hit.key, g, evidence)[0]
        place = g.places[index]
        if hit.key not in sure and _needs_support(hit, index, language, g) \
                and (hit.noun or place.country not in countries):
            continue
        score = scores.setdefault(index, [0.0, hit.position])
        score[0] += 3.0 if hit.in_title else 1.0
    ordered = sorted(scores.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [g.places[index] for index, _ in ordered]


def _needs_support(hit: _Hit, index: int, language: str | None, g: Gazetteer) -> bool:
    if hit.cued or hit.inflected or not _frequent(hit.key, index, language, g):
        return False
    return hit.ambiguous or hit.noun


def suggest_places(prefix: str, language: str | None, limit: int = 10) -> list[PlaceMention]:
    """Places whose name (in any of the gazetteer's languages) starts with `prefix`: an exact
    country name first, then by population, a place's other names counting for a tenth, a
    country's or region's name in another language than `language` for a hundredth, and the
    places where `language` is spoken for four times (a German typing "Gra" means Graz sooner
    than Granada; a Lithuanian typing "Gra" means Graikija, Greece)."""
    g = gazetteer()
    language = (language or "").split("-")[0].lower() or None
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
            if language in g.languages.get(place.country, ()):
                weight *= 4.0
            if name in g.name_languages and language not in g.name_languages[name]:
                weight *= 0.01  # "Graikija" is Greece for a Lithuanian, not for a German
            rank = (place.kind != "country" or name != key, -weight)
            if index not in found or rank < found[index]:
                found[index] = rank
    ordered = sorted(found, key=lambda index: found[index])
    return [g.places[index] for index in ordered[:limit]]
