"""Keyword matching for the classifier: folding, words, and phrases found in a word list.

Text and keywords are folded alike (case, accents, ``ł``/``ø``/``æ``), split into words, and
matched as whole words, word prefixes (``plastic*``) or, for one-word keywords, a part of a
word (``*strategi``: *kiertotalousstrategia*, *avfallsstrategin*: the head of a compound in
German, Dutch, Swedish, Finnish), phrases word by word.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["Matcher", "Phrase", "fold", "longest", "tokens"]

_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# letters that do not decompose into a base letter and a mark (str.replace beats str.translate)
_FOLD_PAIRS = (("ł", "l"), ("ø", "o"), ("æ", "ae"), ("œ", "oe"), ("đ", "d"), ("ħ", "h"), ("ı", "i"), ("þ", "th"), ("ð", "d"))
_TOKEN_RE = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case, no accents: ``"Économie Circulaire"`` → ``"economie circulaire"``."""
    text = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text.casefold()))
    for a, b in _FOLD_PAIRS:
        if a in text:
            text = text.replace(a, b)
    return text


def tokens(text: str) -> list[str]:
    """Folded words (letters and digits) of ``text``."""
    return _TOKEN_RE.findall(fold(text)) if text else []


INFIX = "infix"  # the match mode of a ``*part`` keyword: a word containing it


@dataclass(frozen=True)
class Phrase:
    words: tuple[tuple[str, bool | str], ...]  # (folded word, is_prefix or INFIX)
    text: str  # as written in the taxonomy (first spelling seen)


class Matcher:
    """Finds phrases in a word list: first word by exact or prefix lookup, then word by word."""

    def __init__(self, phrases: Sequence[Phrase], ids: Iterable[int]):
        self.phrases = phrases
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.prefix: dict[str, list[int]] = defaultdict(list)
        self.infix: dict[str, list[int]] = defaultdict(list)
        for i in ids:
            word, mode = phrases[i].words[0]
            if mode == INFIX:
                self.infix[word].append(i)
            else:
                (self.prefix if mode else self.exact)[word].append(i)
        self.prefix_lengths = sorted({len(w) for w in self.prefix})
        self._infix_re = (re.compile("|".join(sorted(map(re.escape, self.infix), key=len, reverse=True)))
                          if self.infix else None)

    def find(self, words: list[str]) -> list[tuple[int, int, int]]:
        """``(start, length, phrase id)`` for every match."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, w in enumerate(words):
            positions[w].append(i)
        out = []
        exact, prefix, phrases = self.exact, self.prefix, self.phrases
        n_words = len(words)
        for w, pos in positions.items():
            cands = list(exact.get(w, ()))
            for n in self.prefix_lengths:
                if n > len(w):
                    break
                hit = prefix.get(w[:n])
                if hit:
                    cands.extend(hit)
            if self._infix_re is not None and self._infix_re.search(w):
                cands.extend(pid for part, ids in self.infix.items() if part in w for pid in ids)
            for pid in cands:
                pw = phrases[pid].words
                if len(pw) == 1:
                    out.extend((p, 1, pid) for p in pos)
                    continue
                for p in pos:
                    if p + len(pw) > n_words:
                        continue
                    ok = True
                    for k in range(1, len(pw)):
                        word, is_prefix = pw[k]
                        t = words[p + k]
                        if not (t.startswith(word) if is_prefix else t == word):
                            ok = False
                            break
                    if ok:
                        out.append((p, len(pw), pid))
        return out


def longest(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Drop matches covered by a longer overlapping one."""
    kept: list[tuple[int, int, int]] = []
    taken: set[int] = set()
    for start, length, pid in sorted(matches, key=lambda m: (-m[1], m[0], m[2])):
        span = set(range(start, start + length))
        if span & taken:
            # the same span may carry several phrases of equal length (types sharing a word)
            if any(k[0] == start and k[1] == length for k in kept):
                kept.append((start, length, pid))
            continue
        taken |= span
        kept.append((start, length, pid))
    return kept
