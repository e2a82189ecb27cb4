"""Splitting German, Dutch, Swedish and Finnish compounds into the words they are made of.

"Kreislaufwirtschaftsstrategie" is one word to a search engine, so a search for
"Kreislaufwirtschaft" or "Strategie" never finds it; "afvalscheiding" is not found by "afval",
"kiertotaloustyöhön" not by "kiertotalous". Like Elasticsearch's ``dictionary_decompounder``,
:func:`split` finds the dictionary words a compound is made of; the search backends index them
as extra tokens of the document (``parts_<code>`` fields) beside the whole word, and a query word
is split the same way, so a compound and its parts find each other in both directions.

The dictionary of each language is the words of the ``wordfreq`` package (a maintained
frequency list built from Wikipedia, subtitles, news, books and the web) at least as frequent as
:data:`MIN_FREQUENCY`, plus the taxonomy's keywords in that language. Which split to take is
decided as Koehn & Knight ("Empirical methods for compound splitting", 2003) do: among all the
ways to cut the word into dictionary words (with the language's linking letters between them,
German Kreislaufwirtschaft-s-strategie), the one whose parts have the highest geometric mean
frequency wins, and the word is left whole when it is itself more frequent than any split
("Wirtschaft" is not "Wirt" + "schaft"). Parts are at least :data:`MIN_PART` letters; a
3-letter part ("mat" in Swedish "matsvinn") must be a frequent word.

The dictionaries are loaded on first use (about a second per language); :func:`warm_up` loads
them in a background thread.
"""

from __future__ import annotations

import functools
import math
import threading

LANGUAGES = ("de", "nl", "sv", "fi")
# Letters that may join two parts of a compound.
LINKS: dict[str, tuple[str, ...]] = {
    "de": ("", "s", "es", "n", "en", "e", "er"),
    "nl": ("", "s", "e", "en"),
    "sv": ("", "s", "o", "u", "e", "a"),
    "fi": ("",),
}
MIN_WORD = 8  # shorter words are never split (nor cut again)
MIN_PART = 3
MIN_FREQUENCY = 1e-7  # words rarer than this are not in the dictionary
SHORT_PART_FREQUENCY = 1e-5  # a 3-letter part must be at least this frequent
KEYWORD_FREQUENCY = 1e-5  # the frequency given to taxonomy keywords missing from the list
# Derivational suffixes that are also words of the list: never a part ("hållbar-het").
SUFFIXES: dict[str, frozenset[str]] = {
    "de": frozenset({"heit", "keit", "ung", "schaft", "lich", "isch", "bar", "los"}),
    "nl": frozenset({"heid", "ing", "lijk", "baar", "loos", "schap"}),
    "sv": frozenset({"het", "ning", "lig", "bar", "skap", "lös", "else"}),
    "fi": frozenset({"nen", "uus", "llinen", "minen", "ton"}),
}
MAX_PARTS = 4  # at most 2 * MAX_PARTS parts are returned

_lock = threading.Lock()
# (language, word) of the taxonomy's words that the frequency list lacks: parts, never a reason
# to keep a compound whole (their frequency is made up).
_KEYWORDS_ONLY: set[tuple[str, str]] = set()


def _taxonomy_words(lang: str) -> set[str]:
    try:
        from config.taxonomy import default_taxonomy

        taxonomy = default_taxonomy()
    except Exception:  # the dictionary still works without the taxonomy's words
        return set()
    words: set[str] = set()
    entries = list(getattr(taxonomy, "types", {}).values()) + list(
        getattr(taxonomy, "themes", {}).values())
    for entry in entries:
        for keyword in (getattr(entry, "keywords", {}) or {}).get(lang, []):
            for w in keyword.replace("*", " ").split():
                if w.isalpha() and len(w) >= MIN_PART + 1:
                    words.add(w.lower())
    return words


@functools.lru_cache(maxsize=None)
def dictionary(lang: str) -> dict[str, float]:
    """{word: frequency} of a language's decompounding dictionary (loaded once)."""
    with _lock:
        import wordfreq

        freqs = {w: f for w, f in wordfreq.get_frequency_dict(lang).items()
                 if f >= MIN_FREQUENCY and w.isalpha()}
        for w in _taxonomy_words(lang):
            if w not in freqs:
                freqs[w] = KEYWORD_FREQUENCY
                _KEYWORDS_ONLY.add((lang, w))
        return freqs


def warm_up() -> threading.Thread:
    """Load every language's dictionary in a background thread (returns it, started)."""
    def load() -> None:
        for lang in LANGUAGES:
            dictionary(lang)

    thread = threading.Thread(target=load, name="ccp-decompounder-warm-up", daemon=True)
    thread.start()
    return thread


def _part_logfreq(part: str, words: dict[str, float]) -> float | None:
    f = words.get(part)
    if f is None or len(part) < MIN_PART:
        return None
    if len(part) == MIN_PART and f < SHORT_PART_FREQUENCY:
        return None
    return math.log(f)


def _best_split(word: str, lang: str) -> tuple[str, str] | None:
    """The best cut of ``word`` (lower-case) into two dictionary words (linking letters
    dropped), or None when it stays whole: the cut whose parts have the highest geometric mean
    frequency, taken only when that beats the whole word's own frequency."""
    words = dictionary(lang)
    whole = None if (lang, word) in _KEYWORDS_ONLY else words.get(word)
    best: tuple[float, str, str] | None = None
    for j in range(MIN_PART, len(word) - MIN_PART + 1):
        left = _part_logfreq(word[:j], words)
        if left is None:
            continue
        for link in LINKS[lang]:
            if not word.startswith(link, j):
                continue
            right = _part_logfreq(word[j + len(link):], words)
            if right is None or word[j + len(link):] in SUFFIXES[lang]:
                continue
            score = (left + right) / 2
            if best is None or score > best[0]:
                best = (score, word[:j], word[j + len(link):])
    if best is None or (whole is not None and best[0] <= math.log(whole)):
        return None
    return best[1], best[2]


@functools.lru_cache(maxsize=100_000)
def split(word: str, lang: str) -> tuple[str, ...]:
    """The words a compound of ``lang`` is made of, lower-case; () when it is not a compound.

    The word is cut in two (see the module docstring) and each part long enough is cut again,
    so every level is returned: "kreislaufwirtschaftsstrategie" -> kreislaufwirtschaft,
    strategie, kreislauf, wirtschaft."""
    word = word.lower()
    if lang not in LINKS or len(word) < MIN_WORD or not word.isalpha():
        return ()
    cut = _best_split(word, lang)
    if cut is None:
        return ()
    out = list(cut)
    for part in cut:
        if len(out) < 2 * MAX_PARTS:
            out.extend(split(part, lang))
    return tuple(dict.fromkeys(out))
