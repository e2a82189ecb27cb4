"""The text side of place recognition: folding, tokens, inflected forms, context cues.

Everything here is per language and small on purpose: a handful of suffix rules per language
turn the inflected forms that place names take in running text (Lithuanian "Kaune", Polish
"Krakowie", Finnish "Helsingissä", Czech "v Praze") back into the name's base form, which is
then looked up in the gazetteer; a rule only ever produces a match when its result is a known
name. The rules act on folded text (lower case, no diacritics).
"""
from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i",
                          "ð": "d", "þ": "th", "ß": "ss", "ħ": "h", "ŀ": "l"})
TOKEN = re.compile(r"[^\W\d_]+")
# A gap between two tokens that may sit inside one name ("Den Haag", "Aix-en-Provence",
# "L'Aia", "'s-Gravenhage"); anything else ends a name.
NAME_GAP = re.compile(r"^(?: |-|'|’|\u00a0| - )$")
# A gap after which the next token starts a sentence or a segment (menus, footers, lists).
BREAK_CHARS = set(".!?:;|•·»«\n\r\t()[]{}\"“”„>/–—*#=+")


def fold_token(token: str) -> str:
    decomposed = unicodedata.normalize("NFKD", token.casefold().translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SPECIAL)


def fold(name: str) -> str:
    """The lookup key of a name: its tokens folded and joined by single spaces."""
    return " ".join(fold_token(t) for t in TOKEN.findall(name))


# (folded suffix, replacement) per language; tried longest first, every rule that fits.
INFLECTIONS: dict[str, list[tuple[str, str]]] = {
    "lt": [("iuje", "ius"), ("iaus", "ius"), ("iuose", "iai"), ("iu", "ius"), ("yje", "ys"),
           ("io", "ys"), ("oje", "a"), ("os", "a"), ("ai", "a"), ("e", "as"), ("o", "as"),
           ("a", "as"), ("ui", "as"), ("e", "e"), ("es", "e"), ("eje", "e"), ("iuje", "ius"),
           ("uje", "us"), ("aus", "us")],
    "lv": [("a", "a"), ("as", "a"), ("e", "e"), ("es", "e"), ("a", "s"), ("u", "s")],
    "pl": [("owie", "ow"), ("owa", "ow"), ("ie", "a"), ("y", "a"), ("i", "a"), ("e", "a"),
           ("iu", ""), ("ia", ""), ("u", ""), ("a", ""), ("ie", ""), ("zi", "z"), ("czech", "cy"),
           ("sce", "ska"), ("ji", "ja"), ("ii", "ia"), ("dze", "ga"), ("szech", "chy"),
           ("ach", "y"), ("nie", "n"), ("y", ""), ("iem", ""), ("em", ""), ("dzie", "d"), ("rze", "r"), ("ce", "ka"), ("cy", "ca")],
    "cs": [("ze", "ha"), ("ne", "no"), ("na", "no"), ("e", "a"), ("y", "a"), ("u", "o"),
           ("ni", "en"), ("ci", "ec"), ("ii", "ie"), ("i", ""), ("e", ""), ("a", ""), ("u", ""),
           ("ku", "ko"), ("sku", "sko"), ("ce", "ka"), ("e", "o"), ("ne", "en")],
    "sk": [("e", "a"), ("y", "a"), ("u", ""), ("e", ""), ("i", "a"), ("ku", "ko"), ("ne", "no"),
           ("ii", "ia")],
    "sl": [("i", "a"), ("u", ""), ("e", "a"), ("ju", ""), ("ah", "e")],
    "hr": [("u", ""), ("a", ""), ("i", "a"), ("e", "a"), ("ju", ""), ("skoj", "ska"),
           ("ama", "i"), ("om", "")],
    "fi": [("hdessa", "hti"), ("hden", "hti"), ("hdesta", "hti"), ("ngissa", "nki"), ("ngin", "nki"), ("ngista", "nki"), ("ngiin", "nki"),
           ("eella", "e"), ("eelta", "e"), ("eelle", "e"), ("essa", "i"), ("esta", "i"),
           ("en", "i"), ("een", ""), ("ssa", ""), ("sta", ""), ("lla", ""), ("lta", ""),
           ("lle", ""), ("han", ""), ("hin", ""), ("iin", "i"), ("n", ""), ("ssa", "a"),
           ("an", "a"), ("issa", ""), ("ista", ""), ("iin", ""), ("in", "")],
    "et": [("s", ""), ("st", ""), ("sse", ""), ("le", ""), ("l", ""), ("i", "")],
    "hu": [("ban", ""), ("ben", ""), ("ba", ""), ("be", ""), ("ra", ""), ("re", ""), ("rol", ""),
           ("bol", ""), ("tol", ""), ("nak", ""), ("nek", ""), ("on", ""), ("en", ""), ("ett", ""),
           ("hoz", ""), ("hez", ""), ("ig", ""), ("ben", "")],
    "el": [("σ", ""), ("ου", "οσ"), ("ου", "ο")],
    "de": [("s", ""), ("n", "")],
    "sv": [("s", "")],
    "da": [("s", "")],
    "nb": [("s", "")],
    "ro": [("ului", ""), ("ei", "a"), ("ul", "")],
}
for _rules in INFLECTIONS.values():
    _rules.sort(key=lambda r: -len(r[0]))

# Words that, just before a name, make it a place ("in Essen", "Comune di Prato", "v Praze").
CUES: dict[str, set[str]] = {
    "en": {"in", "at", "from", "near", "to", "around", "city", "town", "visit", "visited",
           "via", "outside", "across", "throughout", "based"},
    "de": {"in", "aus", "nach", "stadt", "bei", "um", "rund", "nahe"},
    "fr": {"a", "de", "ville", "vers", "pres", "en", "commune"},
    "it": {"a", "di", "da", "in", "comune", "citta", "verso", "presso"},
    "es": {"en", "de", "ciudad", "desde", "hacia", "municipio", "ayuntamiento"},
    "pt": {"em", "de", "cidade", "no", "na", "municipio", "camara"},
    "nl": {"in", "uit", "naar", "gemeente", "stad", "te", "bij"},
    "pl": {"w", "we", "z", "ze", "do", "miasto", "miasta", "miescie", "pod", "gmina"},
    "lt": {"miestas", "miesto", "mieste", "savivaldybe", "i"},
    "cs": {"v", "ve", "z", "ze", "do", "mesto", "meste", "mesta", "u"},
    "sk": {"v", "vo", "z", "zo", "do", "mesto", "meste"},
    "fi": {"kaupunki", "kaupungin", "kaupungissa"},
    "el": {"στην", "στη", "στο", "σε", "απο", "πολη", "δημος", "δημου", "της", "του"},
    "sv": {"i", "fran", "till", "staden", "kommun"},
    "da": {"i", "fra", "til", "byen", "kommune"},
    "hr": {"u", "iz", "grad", "grada", "gradu"},
    "sl": {"v", "iz", "mesto", "mestu"},
    "hu": {"varos", "varosban"},
    "ro": {"in", "din", "orasul", "municipiul"},
    "lv": {"pilseta", "pilsetas"},
    "et": {"linn", "linnas"},
    "bg": {"в", "във", "от", "град"},
}


# In a language that capitalises its nouns, a name that is also a noun ("Essen", "Halle",
# "Hof", "Norden") is the noun after an article or an inflected adjective ("das Essen",
# "im Hof", "übriges Essen"); place names take neither.
NOUN_MARKERS: dict[str, set[str]] = {
    "de": {"der", "die", "das", "dem", "den", "des", "ein", "eine", "einer", "einem", "einen",
           "eines", "im", "am", "zum", "zur", "beim", "vom", "ins", "ans", "kein", "keine",
           "unser", "unsere", "ihr", "ihre", "sein", "seine", "mein", "dein", "jedes", "jede",
           "dieses", "diese", "dieser", "welches", "viel", "mehr", "wenig", "gutes", "guten"},
    "lb": {"den", "d", "dat", "déi", "der", "dem", "en", "eng", "am", "um", "vum", "zum"},
}
_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")


def noun_context(previous: str, language: str | None) -> bool:
    """Does the word before a capitalised name make that name a noun? (An adjective is written
    in lower case: "übriges Essen"; "München, Nürnberg" is a list of names.)"""
    markers = NOUN_MARKERS.get(language or "")
    if not markers or not previous:
        return False
    folded = fold_token(previous)
    if folded in markers:
        return True
    return (previous[0].islower() and len(folded) > 4 and folded.endswith(_ADJECTIVE_ENDINGS)
            and folded not in CUES.get(language or "", ()))


def inflection_candidates(folded: str, language: str | None):
    """Base forms a folded token may be an inflection of, in the text's language."""
    rules = INFLECTIONS.get(language or "")
    if not rules:
        return
    for suffix, replacement in rules:
        if folded.endswith(suffix) and len(folded) - len(suffix) >= 2:
            yield folded[: len(folded) - len(suffix)] + replacement


def is_break(gap: str) -> bool:
    return not BREAK_CHARS.isdisjoint(gap)
