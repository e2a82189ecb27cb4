"""Snippets: the query's words found in a document the way the index matched them (folded, or
stemmed in the document's language), and the best passage cut around them."""

from __future__ import annotations

import re

from .analysis import LANGUAGE_ALIASES, cached_analyzer, stem_language
from .stemming import PYTHON_LANGUAGES, stem as python_stem


def python_language(language: str | None) -> str | None:
    """The document language when it is one that :mod:`.stemming` stems in Python (lt, pl, cs,
    …), else None."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    code = LANGUAGE_ALIASES.get(code, code)
    return code if code in PYTHON_LANGUAGES else None


def _fold_table() -> bytes:
    """Latin-1 byte -> lower-case base letter (A -> a, É -> e, ß -> s, æ -> a), others as is."""
    import unicodedata as ud

    table = bytearray(range(256))
    special = {"ß": "s", "æ": "a", "ø": "o", "ð": "d", "þ": "t"}
    for b in list(range(0x41, 0x5B)) + list(range(0xC0, 0x100)):
        low = chr(b).lower()
        if len(low) != 1:
            continue
        base = special.get(low) or ud.normalize("NFKD", low)[0]
        if base.isascii() and base.isalpha():
            table[b] = ord(base)
    return bytes(table)


_FOLD = _fold_table()
# Bytes that continue a word in folded text: Latin-1 letters and digits, and "?" — what every
# character outside Latin-1 became (real question marks are trimmed off candidates later).
_WORD_BYTES = frozenset(b for b in range(256) if chr(b).isalnum() or b == ord("?"))
_WORD_TAIL = re.compile(
    b"[" + b"".join(re.escape(bytes([b])) for b in sorted(_WORD_BYTES)) + b"]*"
)
PREFIX_BYTES = 5


def fold_bytes(text: str) -> bytes:
    """One byte per character: Latin-1 letters lower-cased without diacritics, any character
    outside Latin-1 as ``?``. Offsets in the result are offsets in ``text``. Used only to *find*
    candidate words fast; candidates are confirmed with the real analyzers."""
    return text.encode("latin-1", "replace").translate(_FOLD)


def _common_prefix(a: bytes, b: bytes) -> bytes:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


SCAN_CHUNK_CHARS = 2000


class Highlighter:
    """Finds the query's words in a document's text, stemmed like the index stems them.

    A word of the query matches a word of the text when both fold to the same form (``economie``
    / ``économie``) or, in the text's language, stem to the same form (``fietsen`` / ``fiets``).
    Candidates are found with ``bytes.find`` on a folded copy of the text (short prefixes of the
    query words' folded and stemmed forms) and confirmed with the analyzers. Results are memoised
    per instance: make one ``Highlighter`` per search.
    """

    def __init__(self, query_words: list[str], max_chars: int = 240) -> None:
        self.words = [w for w in dict.fromkeys(w.lower() for w in query_words) if w]
        self.max_chars = max_chars
        self._per_lang: dict[str | None, tuple[list[bytes], dict[str, int], dict[str, int]]] = {}

    def _prepare(self, lang: str | None, py: str | None = None
                 ) -> tuple[list[bytes], dict[str, int], dict[str, int]]:
        """(prefixes to look for, {analyzed form: query word index}, memo) for a language
        (``lang`` stemmed by the engine's analyzers, ``py`` by :mod:`.stemming`)."""
        prepared = self._per_lang.get(py or lang)
        if prepared is not None:
            return prepared
        forms: dict[str, int] = {}
        prefixes: set[bytes] = set()
        for i, word in enumerate(self.words):
            folded = fold_bytes(word)
            analyzed = [(f"{analyzed_lang}:{form}", form) for analyzed_lang in {None, lang}
                        for form in cached_analyzer(analyzed_lang).analyze(word)]
            if py:
                form = python_stem(word, py)
                analyzed.append((f"py:{form}", form))
            for key, form in analyzed:
                forms.setdefault(key, i)
                prefix = _common_prefix(folded, fold_bytes(form))[:PREFIX_BYTES]
                prefixes.add(prefix or folded[:1])
        prefixes.discard(b"")
        # A prefix that starts with another one finds nothing more.
        kept = sorted(prefixes, key=len)
        kept = [p for i, p in enumerate(kept) if not any(p.startswith(q) for q in kept[:i])]
        prepared = self._per_lang[py or lang] = (kept, forms, {})
        return prepared

    def _classify(self, lang: str | None, forms: dict[str, int], token: str,
                  py: str | None = None) -> int:
        for analyzed_lang in (lang, None) if lang else (None,):
            analyzed = cached_analyzer(analyzed_lang).analyze(token)
            if len(analyzed) == 1:
                hit = forms.get(f"{analyzed_lang}:{analyzed[0]}")
                if hit is not None:
                    return hit
        if py:
            hit = forms.get(f"py:{python_stem(token, py)}")
            if hit is not None:
                return hit
        return -1

    def matches(
        self, text: str, language: str | None, start: int = 0, end: int | None = None
    ) -> list[tuple[int, int, int]]:
        """(start, end, query word index) of every matching word in ``text[start:end]``."""
        if not self.words or not text:
            return []
        lang = stem_language(language)
        py = None if lang else python_language(language)
        prefixes, forms, memo = self._prepare(lang, py)
        end = len(text) if end is None else end
        folded = fold_bytes(text[start:end])
        words = _WORD_BYTES
        spans: dict[int, int] = {}
        for prefix in prefixes:
            i = folded.find(prefix)
            while i != -1:
                if i == 0 or folded[i - 1] not in words:
                    j = _WORD_TAIL.match(folded, i + len(prefix)).end()
                    while j > i and text[start + j - 1] == "?":
                        j -= 1
                    spans[i] = j
                i = folded.find(prefix, i + 1)
        out = []
        for i in sorted(spans):
            token = text[start + i : start + spans[i]]
            hit = memo.get(token)
            if hit is None:
                hit = memo[token] = self._classify(lang, forms, token, py)
            if hit >= 0:
                out.append((start + i, start + spans[i], hit))
        return out

    def fragment(self, text: str, language: str | None) -> tuple[str, list[tuple[int, int]]] | None:
        """The best fragment of ``text`` (most distinct query words, then most matches) of about
        ``max_chars`` characters, with its highlighted ranges; None when no word matches."""
        # Scan in chunks and stop once every query word was seen: on a long document the best
        # fragment is nearly always early, and scanning is the costly part.
        found: list[tuple[int, int, int]] = []
        pos = 0
        while pos < len(text):
            end = text.find(" ", pos + SCAN_CHUNK_CHARS)
            end = len(text) if end == -1 else end
            found += self.matches(text, language, pos, end)
            pos = end
            if len({w for _, _, w in found}) == len(self.words):
                break
        if not found:
            return None
        span = self.max_chars
        best = (0, 0, 0, 0)  # (distinct words, matches, -start, index of the first match)
        j = 0
        counts: dict[int, int] = {}
        for i, (start, _, _) in enumerate(found):
            while j < len(found) and found[j][1] - start <= span:
                counts[found[j][2]] = counts.get(found[j][2], 0) + 1
                j += 1
            score = (len(counts), j - i, -start, i)
            if score[:3] > best[:3]:
                best = score
            w = found[i][2]
            counts[w] -= 1
            if not counts[w]:
                del counts[w]
        first = best[3]
        inside = [m for m in found[first:] if m[1] - found[first][0] <= span]
        lo, hi = inside[0][0], inside[-1][1]
        lead = min(60, (span - (hi - lo)) // 3)
        ws = max(0, min(lo - lead, len(text) - span))  # use the room left at the end
        we = min(len(text), max(hi, ws + span))
        if ws > 0:  # start at a word boundary
            cut = text.find(" ", ws, lo)
            ws = cut + 1 if cut != -1 else lo
        if we < len(text):  # end at a word boundary
            cut = text.rfind(" ", hi, we)
            we = cut if cut != -1 else we
        raw = text[ws:we]
        stripped = raw.lstrip()
        shift = ws + (len(raw) - len(stripped))
        fragment = stripped.rstrip()
        ranges = [(s - shift, e - shift) for s, e, _ in inside if e - shift <= len(fragment)]
        return fragment, ranges


