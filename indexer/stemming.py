"""Stemmers for the languages the search engines cannot stem themselves.

tantivy has Snowball stemmers for 14 EU/EEA languages (see ``analysis.STEMMERS``) and
Elasticsearch has built-in analyzers for a different set (Polish, Slovak, Slovenian, Croatian
and Maltese have none). The languages listed in :data:`PYTHON_LANGUAGES` are therefore analysed
here, in Python, the same way for both engines: the analysed words are indexed in a
pre-analysed field (``stems_<code>``, tokens separated by spaces) and a query word is analysed by
:func:`stem` before it is searched there.

How each language is stemmed (all stemming happens on the lower-cased word with its
diacritics; the result is then ASCII-folded so a query typed without them meets it):

* Snowball (PyStemmer, the C implementation of the Snowball algorithms): Lithuanian, Polish,
  Czech, Catalan, Basque, Irish; Croatian with the Serbian algorithm (Latin script; Croatian and
  Serbian share their inflection).
* Polish: Snowball's Polish stemmer rather than a Stempel port (``pystempel``). Measured on the
  inflection groups in ``tests/test_languages.py`` Snowball joins more forms of a word
  (gospodarka/gospodarki/gospodarką, miasta/miast/miastach, where pystempel gives
  "gospodarek"/"miasty") and it needs no 2 MB table loaded at start-up (pystempel takes ~3 s and
  prints a progress bar). Elasticsearch's answer is the analysis-stempel plugin; we do not need it
  because Polish is analysed here for both engines.
* Light stemmers written here (suffix tables below, longest suffix first, a minimum stem
  length so short words are left alone): Slovak, Slovenian, Latvian, Estonian, Maltese,
  Bulgarian. They remove inflectional endings only (case, number, gender, definite article),
  the approach of Savoy's light stemmers: recall for the common forms without the over-stemming
  of derivational rules.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable

# code -> PyStemmer algorithm
SNOWBALL: dict[str, str] = {
    "lt": "lithuanian",
    "pl": "polish",
    "cs": "czech",
    "hr": "serbian",
    "ca": "catalan",
    "eu": "basque",
    "ga": "irish",
}

# Inflectional endings, longest first within each table (checked in order, first match wins).
# Slovak: noun/adjective case and number endings (žena, mesto, dub; pekný, pekná, pekné).
_SK = (
    "ovia", "ami", "ach", "ách", "ých", "ými", "ého", "ému", "iam", "iach", "ov", "om", "ou",
    "ej", "ám", "ím", "ým", "ia", "ie", "iu", "ii", "á", "é", "í", "ý", "a", "e", "i", "o", "u",
    "y",
)
# Slovenian: noun/adjective case and number endings (mesto, mesta, mestih; krožno, krožnega).
_SL = (
    "ega", "emu", "ima", "imi", "ami", "ih", "im", "om", "ov", "ah", "em", "ev", "a", "e", "i",
    "o", "u",
)
# Latvian: noun declensions and adjective endings (atkritumi, atkritumu, atkritumiem; aprites).
_LV = (
    "ajiem", "ajām", "ajai", "ajam", "ajos", "ajās", "iem", "ajā", "ais", "ām", "ās", "ēm",
    "ēs", "īm", "īs", "ij", "am", "as", "os", "us", "es", "is", "ie", "im", "um", "ai", "ei",
    "a", "ā", "e", "ē", "i", "ī", "o", "u", "ū", "s", "š",
)
# Estonian: case endings (genitive -e/-a, inessive -s/-ses, elative -st, illative -sse,
# allative -le, adessive -l, comitative -ga, plural -d/-de/-te), then one stem vowel.
_ET = (
    "dega", "tega", "desse", "tesse", "des", "tes", "dest", "test", "sse", "ses", "ste", "st",
    "ga", "le", "lt", "l", "de", "te", "ks", "na", "ni", "ta", "se", "d", "s", "t",
)
_ET_VOWELS = ("a", "e", "i", "u")
# Maltese: sound plurals (-i, -iet, -ijiet, -jiet, -ien) and the feminine -a.
_MT = ("ijiet", "jiet", "iet", "ien", "i", "a")
# Bulgarian: definite articles, then plural and adjective endings (отпадъци, отпадъците).
_BG_ARTICLES = ("ите", "ята", "ият", "ът", "ят", "та", "то", "те")
_BG = ("ища", "ове", "еве", "ия", "а", "я", "о", "е", "и", "й", "ъ")

# Lithuanian, after Snowball: the verbal-noun and participle suffixes, so the noun and the
# participle of one verb meet (rūšiavimas/rūšiavimo -> "rūšiavim", rūšiuojamojo -> "rūšiuo",
# rūšiuoti -> "rūš": all become "rūš"; perdirbimas/perdirbti -> "perdirb").
_LT_DERIVED = ("iavim", "avim", "iuo", "uo", "ym", "im")

LIGHT: dict[str, tuple[tuple[str, ...], int]] = {
    # code -> (endings, minimum characters left)
    "sk": (_SK, 3),
    "sl": (_SL, 3),
    "lv": (_LV, 3),
    "mt": (_MT, 3),
}

PYTHON_LANGUAGES: frozenset[str] = frozenset(SNOWBALL) | frozenset(LIGHT) | {"et", "bg"}


def fold(word: str) -> str:
    """Lower-case ASCII folding of a word (č -> c, ł -> l, ß -> ss is not needed: ß -> s)."""
    special = {"ł": "l", "Ł": "l", "ß": "s", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h", "ø": "o",
               "æ": "a", "ð": "d", "þ": "t", "ı": "i"}
    out = []
    for ch in unicodedata.normalize("NFKD", word.lower()):
        if unicodedata.combining(ch):
            continue
        out.append(special.get(ch, ch))
    return "".join(out)


def _strip(word: str, endings: tuple[str, ...], min_left: int) -> str:
    for end in endings:
        if word.endswith(end) and len(word) - len(end) >= min_left:
            return word[: -len(end)]
    return word


def _estonian(word: str) -> str:
    stem = _strip(word, _ET, 4)
    return _strip(stem, _ET_VOWELS, 4)


def _bulgarian(word: str) -> str:
    stem = _strip(word, _BG_ARTICLES, 3)
    return _strip(stem, _BG, 3)


@functools.lru_cache(maxsize=None)
def _snowball(algorithm: str) -> Callable[[str], str]:
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer(algorithm, 0).stemWord  # type: ignore[no-any-return]


def raw_stem(word: str, lang: str) -> str:
    """The stem of a lower-cased word in a :data:`PYTHON_LANGUAGES` language (with diacritics)."""
    if lang in SNOWBALL:
        stemmed = _snowball(SNOWBALL[lang])(word)
        return _strip(stemmed, _LT_DERIVED, 3) if lang == "lt" else stemmed
    if lang in LIGHT:
        endings, min_left = LIGHT[lang]
        return _strip(word, endings, min_left)
    if lang == "et":
        return _estonian(word)
    if lang == "bg":
        return _bulgarian(word)
    return word


@functools.lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """The indexed form of ``word`` in ``lang``: lower-cased, stemmed, then ASCII-folded."""
    return fold(raw_stem(word.lower(), lang))
