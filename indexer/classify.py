"""Resource type and themes from the taxonomy's multilingual keyword lists.

Deterministic and explainable: every point a type or theme scores comes from a keyword found in
a named field, and :class:`Classification` keeps that evidence.

Text and keywords are folded alike (case, accents, ``ł``/``ø``/``æ``), split into words, and
matched as whole words or word prefixes (``plastic*``), phrases word by word. Keywords of the
document's language and English are used (English terms are common in every language's
circular-economy vocabulary); all languages when the language is unknown. URL paths are matched
against every language.

Scoring (the numbers are the class attributes of :class:`Classifier`):

* themes: title hits 3 each, category hits 3 (at most 6 from categories), URL-path hits 2,
  body hits 1 each per 600 words of body (at most 6 in all); a theme needs 3 points. A theme
  with a parent (``water`` under ``urban-resources``) brings its parent along.
* types: title hits 3, category hits 3, the type's URL words 4, a schema.org type 4, hits in
  the first 60 words of the body 1 (at most 2). Among overlapping keyword matches in one field
  the longest wins ("policy brief" is a report, not a policy). The best type with 3 points or
  more wins, ties going to the type listed first in the taxonomy; otherwise a PDF is a
  ``report`` and anything else ``other``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence
from urllib.parse import unquote, urlsplit

from config.taxonomy import Taxonomy, default_taxonomy

from .resource import RESOURCE_TYPES

__all__ = ["Classification", "Classifier", "classify", "fold", "tokens"]

_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# letters that do not decompose into a base letter and a mark (str.replace beats str.translate)
_FOLD_PAIRS = (("ł", "l"), ("ø", "o"), ("æ", "ae"), ("œ", "oe"), ("đ", "d"), ("ħ", "h"), ("ı", "i"), ("þ", "th"), ("ð", "d"))
_TOKEN_RE = re.compile(r"[^\W_]+")

BODY_CHARS = 40_000  # body text considered (the first ~6,000 words)


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


@dataclass(frozen=True)
class _Phrase:
    words: tuple[tuple[str, bool], ...]  # (folded word, is_prefix)
    text: str  # as written in the taxonomy (first spelling seen)


@dataclass
class Classification:
    type: str
    themes: list[str]
    type_scores: dict[str, float] = field(default_factory=dict)
    theme_scores: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)  # "type:news" -> ["url: news", ...]

    def explain(self) -> str:
        lines = [f"type {self.type} ({self.type_scores.get(self.type, 0):g})"]
        for key in [f"type:{self.type}"] + [f"theme:{t}" for t in self.themes]:
            if key.startswith("theme:"):
                lines.append(f"{key[6:]} ({self.theme_scores.get(key[6:], 0):g})")
            lines.extend(f"  {e}" for e in self.evidence.get(key, []))
        return "\n".join(lines)


class _Matcher:
    """Finds phrases in a word list: first word by exact or prefix lookup, then word by word."""

    def __init__(self, phrases: Sequence[_Phrase], ids: Iterable[int]):
        self.phrases = phrases
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.prefix: dict[str, list[int]] = defaultdict(list)
        for i in ids:
            word, is_prefix = phrases[i].words[0]
            (self.prefix if is_prefix else self.exact)[word].append(i)
        self.prefix_lengths = sorted({len(w) for w in self.prefix})

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


def _longest(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
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


class Classifier:
    """A compiled taxonomy. Build once, call :meth:`classify` per document (thread-safe)."""

    THEME_TITLE = 3.0
    THEME_CATEGORY = 3.0
    THEME_CATEGORY_MAX = 6.0
    THEME_URL = 2.0
    THEME_BODY_MAX = 6.0
    THEME_BODY_WORDS = 600
    THEME_MIN = 3.0
    MAX_THEMES = 8

    TYPE_TITLE = 3.0
    TYPE_CATEGORY = 3.0
    TYPE_URL = 4.0
    TYPE_SCHEMA = 4.0
    TYPE_LEAD = 1.0
    TYPE_LEAD_MAX = 2.0
    TYPE_LEAD_WORDS = 60
    TYPE_MIN = 3.0

    def __init__(self, taxonomy: Taxonomy):
        unknown = set(taxonomy.types) - set(RESOURCE_TYPES)
        if unknown:
            raise ValueError(f"taxonomy types not known to the Resource schema: {sorted(unknown)}")
        self.taxonomy = taxonomy
        self.type_order = [t for t in taxonomy.types if t != "other"]
        self.theme_order = list(taxonomy.themes)
        self.phrases: list[_Phrase] = []
        self._phrase_ids: dict[tuple, int] = {}
        # phrase id -> targets ("type:x" / "theme:y"); language -> phrase ids
        self.targets: dict[int, set[str]] = defaultdict(set)
        self.url_targets: dict[int, set[str]] = defaultdict(set)
        by_lang: dict[str, set[int]] = defaultdict(set)
        url_ids: set[int] = set()
        for section, entries in (("type", taxonomy.types), ("theme", taxonomy.themes)):
            for key, spec in entries.items():
                for lang, words in spec.keywords.items():
                    for w in words:
                        pid = self._add(w)
                        if pid is not None:
                            self.targets[pid].add(f"{section}:{key}")
                            by_lang[lang].add(pid)
                if section == "type":
                    for w in spec.url:
                        pid = self._add(w)
                        if pid is not None:
                            self.url_targets[pid].add(f"type:{key}")
                            url_ids.add(pid)
        self._by_lang = {k: frozenset(v) for k, v in by_lang.items()}
        self._all_ids = frozenset(i for ids in by_lang.values() for i in ids)
        self._url_matcher = _Matcher(self.phrases, url_ids)
        self._all_matcher = _Matcher(self.phrases, self._all_ids)
        self._schema = {
            s.casefold(): key for key, spec in taxonomy.types.items() for s in spec.schema_types
        }
        self._matchers: dict[str, _Matcher] = {}

    def _add(self, keyword: str) -> int | None:
        parts: list[tuple[str, bool]] = []
        for raw in re.split(r"[\s\-'’]+", keyword.strip()):
            if not raw:
                continue
            is_prefix = raw.endswith("*")
            sub = tokens(raw.rstrip("*"))
            if not sub:
                continue
            parts.extend((t, False) for t in sub[:-1])
            parts.append((sub[-1], is_prefix))
        if not parts:
            return None
        key = tuple(parts)
        if key not in self._phrase_ids:
            self._phrase_ids[key] = len(self.phrases)
            self.phrases.append(_Phrase(key, keyword))
        return self._phrase_ids[key]

    def _matcher(self, language: str | None) -> _Matcher:
        if not language or language not in self._by_lang:
            return self._all_matcher
        m = self._matchers.get(language)
        if m is None:
            ids = self._by_lang[language] | self._by_lang.get("en", frozenset())
            m = self._matchers[language] = _Matcher(self.phrases, ids)
        return m

    # -- the classification --------------------------------------------------------------------
    def classify(
        self,
        *,
        title: str = "",
        body: str = "",
        categories: Iterable[str] = (),
        url: str | None = None,
        schema_types: Iterable[str] = (),
        format: str = "html",
        language: str | None = None,
    ) -> Classification:
        matcher = self._matcher(language)
        type_score: dict[str, float] = defaultdict(float)
        theme_score: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)

        def note(target: str, where: str, pid: int) -> None:
            e = f"{where}: {self.phrases[pid].text}"
            if e not in evidence[target]:
                evidence[target].append(e)

        def credit(where: str, matches, theme_w: float | None, type_w: float | None, caps: dict | None = None):
            theme_matches = matches
            type_matches = _longest([m for m in matches if any(t.startswith("type:") for t in self.targets[m[2]])])
            if theme_w is not None:
                for _, _, pid in theme_matches:
                    for target in self.targets[pid]:
                        if target.startswith("theme:"):
                            theme_score[target[6:]] += theme_w
                            note(target, where, pid)
            if type_w is not None:
                for _, _, pid in type_matches:
                    for target in self.targets[pid]:
                        if target.startswith("type:"):
                            type_score[target[5:]] += type_w
                            note(target, where, pid)

        # title
        title_words = tokens(title or "")
        if title_words:
            credit("title", matcher.find(title_words), self.THEME_TITLE, self.TYPE_TITLE)

        # categories (feed categories, article:tag/section, keywords): capped per target
        before_th, before_ty = dict(theme_score), dict(type_score)
        for cat in list(dict.fromkeys(c for c in categories if c))[:20]:
            words = tokens(cat)
            if words:
                credit("category", matcher.find(words), self.THEME_CATEGORY, self.TYPE_CATEGORY)
        for k, v in list(theme_score.items()):
            theme_score[k] = min(v, before_th.get(k, 0.0) + self.THEME_CATEGORY_MAX)
        for k, v in list(type_score.items()):
            type_score[k] = min(v, before_ty.get(k, 0.0) + self.TYPE_CATEGORY * 2)

        # URL path: type URL words, and theme keywords of any language
        if url:
            path = unquote(urlsplit(url).path)
            path_words = tokens(path)
            if path_words:
                for _, _, pid in _longest(self._url_matcher.find(path_words)):
                    for target in self.url_targets[pid]:
                        type_score[target[5:]] += self.TYPE_URL
                        note(target, "url", pid)
                credit("url", self._all_matcher.find(path_words), self.THEME_URL, None)

        # schema.org / og:type
        seen_schema = set()
        for s in schema_types:
            key = self._schema.get(str(s).rsplit("/", 1)[-1].casefold())
            if key and key not in seen_schema:
                seen_schema.add(key)
                type_score[key] += self.TYPE_SCHEMA
                evidence[f"type:{key}"].append(f"schema: {s}")

        # body: themes by density, types from the lead
        body_words = tokens(body[:BODY_CHARS]) if body else []
        if body_words:
            matches = matcher.find(body_words)
            per_theme: Counter[str] = Counter()
            for _, _, pid in matches:
                for target in self.targets[pid]:
                    if target.startswith("theme:"):
                        per_theme[target[6:]] += 1
                        if len(evidence[target]) < 12:
                            note(target, "body", pid)
            scale = min(1.0, self.THEME_BODY_WORDS / len(body_words))
            for theme, hits in per_theme.items():
                theme_score[theme] += min(self.THEME_BODY_MAX, hits * scale)
            lead = [m for m in matches if m[0] < self.TYPE_LEAD_WORDS]
            lead_scores: dict[str, float] = defaultdict(float)
            for _, _, pid in _longest([m for m in lead if any(t.startswith("type:") for t in self.targets[m[2]])]):
                for target in self.targets[pid]:
                    if target.startswith("type:"):
                        lead_scores[target[5:]] += self.TYPE_LEAD
                        note(target, "lead", pid)
            for k, v in lead_scores.items():
                type_score[k] += min(v, self.TYPE_LEAD_MAX)

        # decide: type
        best_type = "other"
        ranked = sorted(
            (t for t in self.type_order if type_score.get(t, 0) >= self.TYPE_MIN),
            key=lambda t: (-type_score[t], self.type_order.index(t)),
        )
        if ranked:
            best_type = ranked[0]
        elif format == "pdf":
            best_type = "report"
            evidence["type:report"].append("format: pdf (no other evidence)")

        # decide: themes (+ parents)
        chosen = sorted(
            (t for t in self.theme_order if theme_score.get(t, 0) >= self.THEME_MIN),
            key=lambda t: (-theme_score[t], self.theme_order.index(t)),
        )[: self.MAX_THEMES]
        themes = list(chosen)
        for t in chosen:
            parent = self.taxonomy.themes[t].parent
            if parent and parent not in themes:
                themes.append(parent)
                evidence[f"theme:{parent}"].append(f"parent of {t}")

        return Classification(
            type=best_type,
            themes=themes,
            type_scores={k: round(v, 2) for k, v in type_score.items() if v},
            theme_scores={k: round(v, 2) for k, v in theme_score.items() if v},
            evidence=dict(evidence),
        )


_CLASSIFIERS: dict[int, tuple[Taxonomy, Classifier]] = {}


def _classifier_for(taxonomy: Taxonomy) -> Classifier:
    """One compiled classifier per taxonomy object (the entry keeps the object alive)."""
    entry = _CLASSIFIERS.get(id(taxonomy))
    if entry is None or entry[0] is not taxonomy:
        if len(_CLASSIFIERS) >= 8:
            _CLASSIFIERS.clear()
        entry = _CLASSIFIERS[id(taxonomy)] = (taxonomy, Classifier(taxonomy))
    return entry[1]


def classify(
    *,
    title: str = "",
    body: str = "",
    categories: Iterable[str] = (),
    url: str | None = None,
    schema_types: Iterable[str] = (),
    format: str = "html",
    language: str | None = None,
    taxonomy: Taxonomy | None = None,
) -> Classification:
    """Classify one document with ``taxonomy`` (default: ``config/taxonomy.yaml``)."""
    tax = taxonomy if taxonomy is not None else default_taxonomy()
    return _classifier_for(tax).classify(
        title=title, body=body, categories=categories, url=url,
        schema_types=schema_types, format=format, language=language,
    )
