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
NESTED_PENALTY = 1.0  # log-frequency cost of a part that is itself a compound (see _cut)

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
        freqs = _frequent_words(lang)
        for w in _taxonomy_words(lang):
            if w not in freqs:
                freqs[w] = KEYWORD_FREQUENCY
                _KEYWORDS_ONLY.add((lang, w))
        return freqs


def _frequent_words(lang: str) -> dict[str, float]:
    """{word: frequency} of wordfreq's list for ``lang``, down to MIN_FREQUENCY, read from its
    data file directly: wordfreq's own get_frequency_dict/get_frequency_list keep the whole
    list (300k-700k words a language) cached for the life of the process, twice over: a process
    analysing the four languages peaked at 308 MB that way, 164 MB this way (same words)."""
    import wordfreq

    pack = wordfreq.read_cBpack(wordfreq.available_languages("best")[lang])
    freqs: dict[str, float] = {}
    for index, bucket in enumerate(pack):  # buckets of one frequency, most frequent first
        freq = wordfreq.cB_to_freq(-index)
        if freq < MIN_FREQUENCY:
            break
        for word in bucket:
            if word.isalpha():
                freqs[word] = freq
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


def _compound_logfreq(part: str, lang: str, words: dict[str, float], nested: bool
                      ) -> float | None:
    """A part's log frequency: its own when it is a dictionary word; with ``nested``, when it
    is itself a compound of dictionary words, its best cut's score."""
    own = _part_logfreq(part, words)
    if own is not None or not nested or len(part) < MIN_WORD:
        return own
    cut = _scored_split(part, lang)
    return None if cut is None else cut[0]


def _best_split(word: str, lang: str) -> tuple[str, str] | None:
    """The best cut of ``word`` (lower-case) into two parts (linking letters dropped), or None
    when it stays whole: the cut whose parts have the highest geometric mean frequency, taken
    only when that beats the whole word's own frequency. A part is a dictionary word; only when
    no such cut exists may a part be a compound itself (Koehn & Knight consider every
    segmentation into known words): "cirkulär|ekonomistrategi" and "cirkulärekonomi|strategi"
    each leave a word the dictionary lacks, "cirkulärekonomi|strategi" is then cut again."""
    words = dictionary(lang)
    whole = None if (lang, word) in _KEYWORDS_ONLY else words.get(word)
    cut = _scored_split(word, lang)
    if cut is None or (whole is not None and cut[0] <= math.log(whole)):
        return None
    return cut[1], cut[2]


@functools.lru_cache(maxsize=100_000)
def _scored_split(word: str, lang: str) -> tuple[float, str, str] | None:
    """(score, left, right) of the best cut: into dictionary words, else (nested) into parts
    that may be compounds themselves, each such part costing :data:`NESTED_PENALTY`."""
    return _cut(word, lang, nested=False) or _cut(word, lang, nested=True)


def _cut(word: str, lang: str, nested: bool) -> tuple[float, str, str] | None:
    words = dictionary(lang)
    best: tuple[float, str, str] | None = None
    shortest = MIN_PART + 1 if nested else MIN_PART  # no 3-letter guesses in a nested cut
    for j in range(shortest, len(word) - shortest + 1):
        left = _compound_logfreq(word[:j], lang, words, nested)
        if left is None:
            continue
        for link in LINKS[lang]:
            if not word.startswith(link, j):
                continue
            right = _compound_logfreq(word[j + len(link):], lang, words, nested)
            if nested and len(word) - j - len(link) < shortest:
                continue
            if right is None or word[j + len(link):] in SUFFIXES[lang]:
                continue
            score = (left + right) / 2
            if nested:
                score -= NESTED_PENALTY * ((word[:j] not in words) + (
                    word[j + len(link):] not in words))
            if best is None or score > best[0]:
                best = (score, word[:j], word[j + len(link):])
    return best


def components(word: str, lang: str) -> tuple[str, ...]:
    """The dictionary words ``word`` is made of, in order, at the coarsest level: its first cut,
    each part that is not itself a dictionary word cut again ("cirkulärekonomistrategi" ->
    cirkulär, ekonomi, strategi; "Kreislaufwirtschaftsstrategie" -> kreislaufwirtschaft,
    strategie); () when it is not a compound."""
    word = word.lower()
    parts = split(word, lang)
    if not parts:
        return ()
    out: list[str] = []
    for part in parts[:2]:
        sub = () if part in dictionary(lang) else components(part, lang)
        out.extend(sub or (part,))
    return tuple(out)


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
