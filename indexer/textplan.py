"""Query semantics shared by every backend: which of the query's words must match, stop
words, the lenient retries (fewer words, similar spellings), did-you-mean, listing pages.

Both engines compile a :class:`TextPlan` their own way; what it means is decided here once, so
the embedded engine and Elasticsearch answer a query alike (``tests/test_query_semantics.py``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .query import RELAXED_SPELLING, RELAXED_WORDS, SearchQuery, SearchResults

# Words are optional with a minimum number that must match (Elasticsearch's
# ``minimum_should_match: "2<75%"``): every word of a one- or two-word query, three of four, three
# of five... Stop words of the query's languages ("and", "for", "de") score but are not counted.
# Quoted phrases and ``a OR b`` groups count as one unit each; ``-word`` always excludes. A query
# that finds fewer than MIN_HITS resources is retried leniently, first with fewer required units,
# then with similar spellings, and the results say so; a did-you-mean comes from the index's own
# vocabulary.

# A page: a query that cannot fill the first page is retried leniently, and what the strict query
# found stays on top (PREFERRED_SCORE). Measured on the tune split: 3 (replacing the strict
# results) 0.870 nDCG@10; 10 with the strict hits kept first 0.877 (R@10 0.83 -> 0.88).
MIN_HITS = 10
# A lenient retry ranks the resources that meet the strict requirement first (this constant is
# added to their score): the retry only fills the page after them, it never reorders them.
PREFERRED_SCORE = 1000.0
PROXIMITY_SLOP = 2  # words this many positions apart still count as "together"
PROXIMITY_BOOST = 2.0  # weight of the phrase/proximity clause against one word's match
FUZZY_SCORE = 0.5  # the constant score of a similar spelling: below nearly any exact match
SUGGEST_MIN_CHARS = 4  # shorter words are never corrected (like Elasticsearch's term suggester)

# Listing pages (a section's or tag's page of teasers, a news index) repeat the titles and leads
# of the pages they list, in fewer words, under a title that is a label ("Textiel", "News"):
# BM25 ranks them above the pages they point to. Their score is multiplied by LISTING_WEIGHT
# (both engines: one multiplication, so the order among listings and among other pages stays).
LISTING_WEIGHT = 0.2
LISTING_TITLE_WORDS = 2  # a title of at most this many words is a label, not a description
TEASER_SHARE = 0.3  # ...or at least this share of the paragraphs are cut teasers ("…")
_TRUNCATED = ("…", "...", "[…]", "[...]")



def is_listing(title: str | None, body: str | None) -> bool:
    """Whether a page looks like a listing of other pages rather than a resource: a title that
    is a label of at most :data:`LISTING_TITLE_WORDS` words (a tag, a section, "News"), or a
    body made of teasers cut short (at least two paragraphs, :data:`TEASER_SHARE` of them, end
    with an ellipsis). A page without a title is not judged by it."""
    from .analysis import words

    if title and 0 < len(words(title)) <= LISTING_TITLE_WORDS:
        return True
    paragraphs = [p for p in re.split(r"\n\s*\n", body or "") if p.strip()]
    cut = sum(p.rstrip().endswith(_TRUNCATED) for p in paragraphs)
    return cut >= 2 and cut >= TEASER_SHARE * len(paragraphs)


def required_matches(n: int) -> int:
    """How many of ``n`` counted units must match: all up to 2, then 75% rounded down."""
    return n if n <= 2 else (n * 3) // 4


def relaxed_matches(n: int) -> int:
    """The lenient retry's requirement: half the units rounded down, at least one."""
    return max(1, n // 2)


def fuzziness(word: str) -> int:
    """Edit distance a word may be off by (Elasticsearch's ``AUTO``): 0 below 3 characters,
    1 up to 5, 2 from 6."""
    n = len(word)
    return 0 if n < 3 else 1 if n < 6 else 2


@dataclass(frozen=True)
class TextPlan:
    """What the text of a query asks for, in engine-neutral terms (each backend compiles it)."""

    counted: tuple[tuple[Any, ...], ...]  # groups (of analysis.Clause) counted for `required`
    optional: tuple[tuple[Any, ...], ...]  # stop-word groups: they score, they are not required
    excluded: tuple[Any, ...]
    required: int
    proximity: tuple[str, ...] = ()  # the words of the phrase/proximity boost (>= 2, or none)
    relax: str | None = None  # None (as typed), RELAXED_WORDS or RELAXED_SPELLING
    # a relaxed plan's strict requirement: documents with this many of the counted units
    # (exactly spelt) rank first (+PREFERRED_SCORE); 0 = no preference
    preferred: int = 0

    @property
    def fuzzy(self) -> bool:
        return self.relax == RELAXED_SPELLING

    @property
    def units(self) -> int:
        return len(self.counted)


def is_stopword(word: str, languages: tuple[str, ...]) -> bool:
    """True when ``word`` is a stop word of one of ``languages`` (of any language when none is
    given)."""
    from .analysis import stopwords

    word = word.lower()
    if not languages:
        return word in _every_stopword()
    return any(word in stopwords(lang) for lang in languages)


@functools.lru_cache(maxsize=8192)
def word_terms(word: str) -> dict[str, list[str]]:
    """analysis.query_terms, memoised (compound splitting is costly and words recur). The
    result is shared: read it, never change it."""
    from .analysis import query_terms

    return query_terms(word)


@functools.lru_cache(maxsize=1)
def _every_stopword() -> frozenset[str]:
    from .analysis import all_stopwords

    return all_stopwords()


def query_languages(query: SearchQuery) -> tuple[str, ...]:
    """Whose stop words a query's words are checked against: the languages it is filtered to,
    else () — every language the portal analyses."""
    return tuple(query.filters.get("language", ()))


def plan_text(parsed: Any, languages: tuple[str, ...], relax: str | None = None
              ) -> TextPlan | None:
    """The plan of a parsed query (analysis.UserQuery), strict or relaxed; None without text."""
    if parsed.is_empty:
        return None
    counted, optional = [], []
    for group in parsed.groups:
        lone = len(group) == 1 and not group[0].is_phrase
        if lone and is_stopword(group[0].words[0], languages):
            optional.append(tuple(group))
        else:
            counted.append(tuple(group))
    if not counted:  # a query of stop words only: they are what was asked for
        counted, optional = optional, []
    n = len(counted)
    required = relaxed_matches(n) if relax else required_matches(n)
    single = [g[0].words[0] for g in parsed.groups if len(g) == 1 and not g[0].is_phrase]
    return TextPlan(
        counted=tuple(counted), optional=tuple(optional), excluded=tuple(parsed.excluded),
        required=required, proximity=tuple(single) if len(single) >= 2 else (),
        relax=relax, preferred=required_matches(n) if relax else 0,
    )


def can_relax(plan: TextPlan, relax: str) -> bool:
    """Whether the ``relax`` step changes anything for ``plan``."""
    if relax == RELAXED_WORDS:
        return relaxed_matches(plan.units) < plan.required
    return any(len(c.words) == 1 and fuzziness(c.words[0]) for g in plan.counted for c in g)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with adjacent transpositions counted as one edit; ``limit + 1``
    as soon as it is certain to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def best_correction(word: str, freq: int, candidates: list[tuple[str, int]]) -> str | None:
    """The index term to suggest for a (folded) query word no document contains: the nearest
    within :func:`fuzziness` edits, the most frequent of equally near ones; None for a known
    word, a short one, one with digits (years, codes), or no candidate."""
    if freq > 0 or len(word) < SUGGEST_MIN_CHARS or not word.isalpha():
        return None
    limit = fuzziness(word)
    best: tuple[int, int, str] | None = None
    for term, count in candidates:
        if count <= 0 or term == word:
            continue
        d = edit_distance(word, term, limit)
        if d <= limit and (best is None or (d, -count, term) < best):
            best = (d, -count, term)
    return best[2] if best else None


def suggestion_text(text: str, corrections: dict[str, str]) -> str | None:
    """``text`` with its misspelt words (folded, lower-case keys) replaced; None if none was."""
    from .analysis import cached_analyzer

    if not corrections:
        return None
    fold = cached_analyzer(None)
    out, pos, changed = [], 0, False
    for m in re.finditer(r"[^\W_]+", text):
        forms = fold.analyze(m.group())
        if len(forms) == 1 and forms[0] in corrections and text[max(0, m.start() - 1)] != "-":
            out += [text[pos:m.start()], corrections[forms[0]]]
            pos, changed = m.end(), True
    out.append(text[pos:])
    return "".join(out) if changed else None


def folded_words(plan: TextPlan) -> list[str]:
    """The distinct folded single words of a plan's groups (what a did-you-mean may correct)."""
    from .analysis import cached_analyzer

    fold = cached_analyzer(None)
    seen: dict[str, None] = {}
    for group in plan.counted + plan.optional:
        for clause in group:
            for w in clause.words:
                for form in fold.analyze(w):
                    seen.setdefault(form, None)
    return list(seen)


Runner = Callable[[TextPlan | None], SearchResults]
Vocabulary = Callable[[list[str]], dict[str, tuple[int, list[tuple[str, int]]]]]


def answer_leniently(query: SearchQuery, parsed: Any, run: Runner, vocabulary: Vocabulary
                     ) -> SearchResults:
    """Run the strict plan; when it finds fewer than :data:`MIN_HITS`, retry with fewer required
    words, then with similar spellings (keeping whichever finds more), and look for a
    did-you-mean. ``run`` searches one plan; ``vocabulary`` gives, per folded word, its document
    frequency and the index terms near it."""
    languages = query_languages(query)
    plan = plan_text(parsed, languages)
    results = run(plan)

    def found(r: SearchResults) -> int:
        return r.total if r.lexical_total is None else r.lexical_total

    if plan is None or not parsed.groups or found(results) >= MIN_HITS:
        return results
    for relax in (RELAXED_WORDS, RELAXED_SPELLING) if query.lenient else ():
        if found(results) >= MIN_HITS:
            break
        lenient = plan_text(parsed, languages, relax)
        if lenient is None or not can_relax(plan, relax):
            continue
        more = run(lenient)
        if found(more) > found(results):
            more.relaxed = relax
            results = more
    if not query.suggest:
        return results
    words = [w for w in folded_words(plan) if len(w) >= SUGGEST_MIN_CHARS and w.isalpha()]
    if words:
        found = vocabulary(words)
        corrections = {}
        for w in words:
            freq, candidates = found.get(w, (0, []))
            fixed = best_correction(w, freq, candidates)
            if fixed:
                corrections[w] = fixed
        results.suggestion = suggestion_text(query.text, corrections)
    return results
