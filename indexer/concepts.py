"""Concept expansion: the taxonomy's multilingual keywords used as a thesaurus.

Every theme of ``config/taxonomy.yaml`` lists its keywords in each of the portal's languages
("food waste", "spreco alimentare", "maisto švaist*", "ruokahävik*"). A query that *names* a
theme — its words are one of the theme's keywords — also searches the theme's terms in every
other language, so ``maisto švaistymas`` finds the Italian and Dutch pages on food waste; the UI
says so ("also searching: food waste, spreco alimentare, …").

It must not fire on incidental words, so a keyword fires only when it names the query's subject:

* a keyword of two words or more found in the query ("food waste" in "food waste schools"), or
* a one-word keyword that is the whole query (its stop words aside): "kompostavimas" alone
  expands, "waste" never does (broad words are not keywords), and "matsvinn skolan" keeps to
  its words unless a two-word keyword covers them.

The terms searched for a theme are, per language, its first :data:`SEARCHED_PER_LANGUAGE`
keywords, those written out in full (no ``*``) and of two words first, the others with the ``*``
dropped (the stemmed search meets the inflections: "maisto švaist" finds "maisto švaistymo");
the first written-out one of each language is shown ("also searching: …"). They are
searched as one query of their own (``"food waste" OR "spreco alimentare" OR …``), whose
ranking the hybrid search fuses with the user's own words and the vector search
(:mod:`indexer.hybrid`): the user's words are never changed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .analysis import parse_user_query
from .keywords import Matcher, Phrase, longest, tokens
from .query import MAX_QUERY_LENGTH
from .textplan import is_stopword

__all__ = ["Expansion", "expand"]

MAX_TERMS = 16  # terms shown for one concept (one a language)
SEARCHED_PER_LANGUAGE = 8  # terms searched a language (as many as fit in a query): "voedselafval" and "etensrest*" too


@dataclass(frozen=True)
class Expansion:
    text: str  # the query to search: the concept's terms in other languages, OR-ed
    terms: tuple[str, ...]  # the terms added, for "also searching: …"
    concepts: tuple[str, ...]  # the themes named


@dataclass(frozen=True)
class _Thesaurus:
    phrases: list[Phrase]
    matcher: Matcher
    theme_of: dict[int, str]  # phrase id -> theme key
    terms: dict[str, tuple[str, ...]]  # theme key -> terms shown ("also searching")
    searched: dict[str, tuple[str, ...]]  # theme key -> terms searched


def _search_term(keyword: str) -> str:
    return re.sub(r"\s+", " ", keyword.replace("*", " ").replace("’", "'")).strip()


def _terms_of(keywords: dict[str, list[str]], per_language: int) -> tuple[str, ...]:
    """A theme's terms: every language's best first (written out, two words), then every
    language's second, and so on."""
    ranked = [sorted((k for k in words if not k.startswith("*")),
                     key=lambda k: ("*" in k, len(k.split()) < 2))[:per_language]
              for words in keywords.values()]
    out = [_search_term(r[i]) for i in range(per_language) for r in ranked if i < len(r)]
    return tuple(dict.fromkeys(t for t in out if t))


def _or_query(terms: list[str], limit: int) -> str:
    """``a OR "b c" OR …`` of as many of ``terms`` (in order) as fit in ``limit`` characters."""
    out = ""
    for t in terms:
        more = (out + " OR " if out else "") + _quoted(t.split())
        if len(more) > limit:
            break
        out = more
    return out


@functools.lru_cache(maxsize=4)
def _thesaurus(taxonomy=None) -> _Thesaurus:
    from config.taxonomy import default_taxonomy

    taxonomy = taxonomy or default_taxonomy()
    phrases: list[Phrase] = []
    theme_of: dict[int, str] = {}
    seen: dict[tuple, int] = {}
    for key, spec in taxonomy.themes.items():
        for words in spec.keywords.values():
            for keyword in words:
                if keyword.startswith("*"):  # a part of a word: too loose to name a subject
                    continue
                parts = []
                for raw in re.split(r"[\s\-'’]+", keyword.strip()):
                    sub = tokens(raw.rstrip("*"))
                    if sub:
                        parts += [(t, False) for t in sub[:-1]] + [(sub[-1], raw.endswith("*"))]
                if not parts or tuple(parts) in seen:
                    continue
                seen[tuple(parts)] = len(phrases)
                theme_of[len(phrases)] = key
                phrases.append(Phrase(tuple(parts), keyword))
    return _Thesaurus(phrases, Matcher(phrases, range(len(phrases))), theme_of,
                      # shown: written-out keywords only (a cut one, "maisto švaist", is
                      # searched but not shown)
                      {key: _terms_of({lang: [k for k in words if "*" not in k]
                                       for lang, words in spec.keywords.items()}, 1)
                       for key, spec in taxonomy.themes.items()},
                      {key: _terms_of(spec.keywords, SEARCHED_PER_LANGUAGE)
                       for key, spec in taxonomy.themes.items()})


def _quoted(words: list[str]) -> str:
    return '"' + " ".join(words) + '"' if len(words) > 1 else words[0]


def expand(text: str, taxonomy=None) -> Expansion | None:
    """The query ``text`` with the concept it names expanded (see the module docstring), or
    None when it names none. Queries with their own syntax (quotes, ``OR``, ``-``) are left as
    the user wrote them."""
    if not text or '"' in text or re.search(r"(^|\s)(-|OR\b|NOT\b)", text):
        return None
    parsed = parse_user_query(text)
    if parsed.excluded or any(len(g) != 1 or g[0].is_phrase for g in parsed.groups):
        return None
    words = [g[0].text for g in parsed.groups]
    folded = [" ".join(tokens(w)) for w in words]
    if not words or any(" " in f or not f for f in folded):
        return None
    th = _thesaurus(taxonomy)
    counted = [i for i, w in enumerate(words) if not is_stopword(w, ())]
    for start, length, pid in sorted(longest(th.matcher.find(folded)), key=lambda m: -m[1]):
        whole = [i for i in counted if not start <= i < start + length] == []
        if length < 2 and not whole:
            continue
        theme = th.theme_of[pid]
        span = words[start:start + length]
        own = " ".join(tokens(" ".join(span)))
        terms = tuple(t for t in th.terms[theme] if " ".join(tokens(t)) != own)[:MAX_TERMS]
        searched = [t for t in th.searched[theme] if " ".join(tokens(t)) != own]
        if not searched:
            return None
        return Expansion(text=_or_query(searched, MAX_QUERY_LENGTH), terms=terms,
                         concepts=(theme,))
    return None

