"""Resource type and themes from the taxonomy's multilingual keyword lists.

Deterministic and explainable: every point a type or theme scores comes from a keyword found in
a named field, and :class:`Classification` keeps that evidence.

Text and keywords are folded alike (case, accents, ``ł``/``ø``/``æ``), split into words, and
matched as whole words or word prefixes (``plastic*``), phrases word by word. Keywords of the
document's language and English are used (English terms are common in every language's
circular-economy vocabulary); all languages when the language is unknown. URL paths are matched
against every language.

Scoring (the numbers are the class attributes of :class:`Classifier`):

* themes — a theme needs *real evidence* and a place among the few best:

  - points: 3 per distinct keyword in the title (at most 2), 3 per category naming the theme
    (feed category, ``article:tag``, JSON-LD keywords; a category may also be the theme's key
    or label; at most 2), 2 per distinct keyword in the URL path that the title does not
    already have (at most 2), and the body: 1 per distinct keyword plus 0.5 per repeat, scaled
    down by length beyond 600 words (density), at most 9. Overlapping matches resolve to the
    longest, then the most specific keyword: "food waste" is food waste, not also waste.
  - *broad* words of a theme (``waste``, ``construction``, ``schools``; ``broad`` in the
    taxonomy) count in the title, categories and URL, never in the body, where they are
    everywhere.
  - real evidence: a title keyword, a category, two different body keywords (or one very
    dense), or a URL keyword backed by the body. Then at least 3 points.
  - the few best: at most 4 themes, each with at least 45% of the best theme's points — except
    themes the publisher's categories name and the theme of the document's type
    (``themes.<key>.types``: a strategy is about strategies & roadmaps), which always stay.
  - a parent theme (``urban-resources`` above ``waste``) is chosen on its own evidence only:
    the hierarchy is for display (:meth:`config.taxonomy.Taxonomy.children`), not a way to put
    every document under a few broad headings.
* types: title hits 3, category hits 3, the type's URL words 4, a schema.org type 4, hits in
  the first 60 words of the body 1 (at most 2). Among overlapping keyword matches in one field
  the longest wins ("policy brief" is a report, not a policy). The best type with 3 points or
  more wins, ties going to the type listed first in the taxonomy; a *fallback* type (news: a
  channel, not a kind of content) only when no other type has 3 points; with none, a PDF is a
  ``report`` and anything else ``other``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import unquote, urlsplit

from config.taxonomy import Taxonomy, default_taxonomy

from .keywords import Matcher, Phrase, fold, longest, tokens
from .resource import RESOURCE_TYPES

__all__ = ["Classification", "Classifier", "classify", "fold", "tokens"]

BODY_CHARS = 40_000  # body text considered (the first ~6,000 words)


@dataclass
class _ThemeEvidence:
    title: set[int] = field(default_factory=set)  # distinct keywords, broad words included (phrase ids)
    categories: int = 0  # categories that name the theme
    url: set[int] = field(default_factory=set)  # distinct keywords not already in the title
    body: set[int] = field(default_factory=set)  # distinct keywords, broad words left out
    body_hits: int = 0


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


class Classifier:
    """A compiled taxonomy. Build once, call :meth:`classify` per document (thread-safe)."""

    THEME_TITLE = 3.0  # per distinct keyword in the title (at most 2 count)
    THEME_CATEGORY = 3.0  # per category (feed category, tag, keyword) naming the theme (at most 2)
    THEME_URL = 2.0  # per distinct keyword in the URL path not already in the title (at most 2)
    THEME_REPEAT = 0.5  # a body keyword seen again counts half
    THEME_BODY_WORDS = 600  # body hits count in full up to this length, then by density
    THEME_BODY_MAX = 9.0
    THEME_BODY_DISTINCT = 2  # body evidence alone needs this many different keywords …
    THEME_BODY_STRONG = 6.0  # … or one keyword this dense
    THEME_TYPE = 3.0  # the document's type is the theme's (taxonomy: themes.<key>.types)
    THEME_MIN = 3.0
    THEME_RELATIVE = 0.45  # a theme needs this share of the best theme's score
    MAX_THEMES = 4

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
        self.phrases: list[Phrase] = []
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
                for lang, words in getattr(spec, "broad", {}).items():
                    for w in words:
                        pid = self._add(w)
                        if pid is not None:
                            self.targets[pid].add(f"broad:{key}")
                            by_lang[lang].add(pid)
                if section == "type":
                    for w in spec.url:
                        pid = self._add(w)
                        if pid is not None:
                            self.url_targets[pid].add(f"type:{key}")
                            url_ids.add(pid)
        self._by_lang = {k: frozenset(v) for k, v in by_lang.items()}
        self._all_ids = frozenset(i for ids in by_lang.values() for i in ids)
        self._url_matcher = Matcher(self.phrases, url_ids)
        self._all_matcher = Matcher(self.phrases, self._all_ids)
        self._schema = {
            s.casefold(): key for key, spec in taxonomy.types.items() for s in spec.schema_types
        }
        self._matchers: dict[str, Matcher] = {}
        self._type_pids = frozenset(p for p, ts in self.targets.items() if any(t.startswith("type:") for t in ts))
        self._theme_targets = {
            p: tuple(sorted(t[6:] for t in ts if t.startswith("theme:"))) for p, ts in self.targets.items()
        }
        self._theme_targets = {p: ts for p, ts in self._theme_targets.items() if ts}
        self._broad_targets = {
            p: tuple(sorted(t[6:] for t in ts if t.startswith("broad:"))) for p, ts in self.targets.items()
        }
        self._broad_targets = {p: ts for p, ts in self._broad_targets.items() if ts}
        # how specific a keyword is: more words, then more letters written out (not a prefix)
        self._specificity = {
            i: (len(ph.words), sum(len(w) + (0 if pre else 1) for w, pre in ph.words))
            for i, ph in enumerate(self.phrases)
        }
        self._themes_of_type: dict[str, list[str]] = defaultdict(list)
        for key, spec in taxonomy.themes.items():
            for t in spec.types:
                self._themes_of_type[t].append(key)
        # a category that is a theme's key or label ("food-waste", "Food waste") names it
        self._theme_keys: dict[str, str] = {}
        for key, spec in taxonomy.themes.items():
            for name in (key, spec.label):
                self._theme_keys.setdefault(" ".join(tokens(name)), key)

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
            self.phrases.append(Phrase(key, keyword))
        return self._phrase_ids[key]

    def _themes_of(self, pid: int, broad: bool = True) -> tuple[str, ...]:
        """The themes a keyword is evidence for (with ``broad``: its broad words' themes too)."""
        if broad and pid in self._broad_targets:
            return tuple(dict.fromkeys(self._theme_targets.get(pid, ()) + self._broad_targets[pid]))
        return self._theme_targets.get(pid, ())

    def _theme_matches(self, matches: list[tuple[int, int, int]], broad: bool = True) -> list[tuple[int, int, int]]:
        """Theme keyword matches, overlaps resolved: the longest, then the most specific, wins.

        "food waste" is food waste, not also waste; "afvalwater" (``afvalwater*``) is water,
        not also waste (``afval*``). Without ``broad``, broad words are left out.
        """
        cands = [m for m in matches if m[2] in self._theme_targets or (broad and m[2] in self._broad_targets)]
        spec = self._specificity
        cands.sort(key=lambda m: (-m[1], tuple(-x for x in spec[m[2]]), m[0], m[2]))
        kept: list[tuple[int, int, int]] = []
        taken: set[int] = set()
        best_at: dict[tuple[int, int], tuple[int, int]] = {}
        for start, length, pid in cands:
            span = range(start, start + length)
            if any(p in taken for p in span):
                # the same span and equally specific: a keyword several themes share
                if best_at.get((start, length)) == spec[pid]:
                    kept.append((start, length, pid))
                continue
            taken.update(span)
            best_at[(start, length)] = spec[pid]
            kept.append((start, length, pid))
        return kept

    def _matcher(self, language: str | None) -> Matcher:
        if not language or language not in self._by_lang:
            return self._all_matcher
        m = self._matchers.get(language)
        if m is None:
            ids = self._by_lang[language] | self._by_lang.get("en", frozenset())
            m = self._matchers[language] = Matcher(self.phrases, ids)
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
        doc = _Scoring(self, self._matcher(language))
        doc.title(title)
        doc.categories(categories)
        if url:
            doc.url(url)
        doc.schema(schema_types)
        body_words = tokens(body[:BODY_CHARS]) if body else []
        if body_words:
            doc.body(body_words)
        return doc.decide(format, len(body_words))


class _Scoring:
    """The points and evidence of one document, field by field, then the decision."""

    def __init__(self, c: Classifier, matcher: Matcher):
        self.c = c
        self.matcher = matcher
        self.type_score: dict[str, float] = defaultdict(float)
        self.ev: dict[str, _ThemeEvidence] = defaultdict(_ThemeEvidence)
        self.evidence: dict[str, list[str]] = defaultdict(list)

    def note(self, target: str, where: str, pid: int) -> None:
        e = f"{where}: {self.c.phrases[pid].text}"
        if e not in self.evidence[target]:
            self.evidence[target].append(e)

    def _type_points(self, where: str, matches, points: float,
                     score: dict[str, float] | None = None) -> None:
        """Type points for the longest type keywords among ``matches``."""
        score = self.type_score if score is None else score
        for _, _, pid in longest([m for m in matches if m[2] in self.c._type_pids]):
            for target in self.c.targets[pid]:
                if target.startswith("type:"):
                    score[target[5:]] += points
                    self.note(target, where, pid)

    def title(self, title: str) -> None:
        words = tokens(title or "")
        matches = self.matcher.find(words) if words else []
        if not matches:
            return
        self._type_points("title", matches, self.c.TYPE_TITLE)
        for pid in {m[2] for m in self.c._theme_matches(matches)}:
            for theme in self.c._themes_of(pid):
                self.ev[theme].title.add(pid)
                self.note(f"theme:{theme}", "title", pid)

    def categories(self, categories: Iterable[str]) -> None:
        """Feed categories, article:tag/section, keywords: one count per category."""
        c = self.c
        before = dict(self.type_score)
        for cat in list(dict.fromkeys(x for x in categories if x))[:20]:
            words = tokens(cat)
            if not words:
                continue
            matches = self.matcher.find(words)
            self._type_points("category", matches, c.TYPE_CATEGORY)
            hit = {t for m in c._theme_matches(matches) for t in c._themes_of(m[2])}
            key = c._theme_keys.get(" ".join(words))
            if key:
                hit.add(key)  # the category is the theme's own key or label
            for theme in hit:
                self.ev[theme].categories += 1
                e = f"category: {cat}"
                if e not in self.evidence[f"theme:{theme}"]:
                    self.evidence[f"theme:{theme}"].append(e)
        for k, v in list(self.type_score.items()):
            self.type_score[k] = min(v, before.get(k, 0.0) + c.TYPE_CATEGORY * 2)

    def url(self, url: str) -> None:
        """The URL path: type URL words, and theme keywords of any language."""
        c = self.c
        words = tokens(unquote(urlsplit(url).path))
        if not words:
            return
        for _, _, pid in longest(c._url_matcher.find(words)):
            for target in c.url_targets[pid]:
                self.type_score[target[5:]] += c.TYPE_URL
                self.note(target, "url", pid)
        for pid in {m[2] for m in c._theme_matches(c._all_matcher.find(words))}:
            for theme in c._themes_of(pid):
                if pid in self.ev[theme].title:
                    continue  # the slug repeats the title: no new evidence
                self.ev[theme].url.add(pid)
                self.note(f"theme:{theme}", "url", pid)

    def schema(self, schema_types: Iterable[str]) -> None:
        """schema.org types and og:type."""
        seen = set()
        for s in schema_types:
            key = self.c._schema.get(str(s).rsplit("/", 1)[-1].casefold())
            if key and key not in seen:
                seen.add(key)
                self.type_score[key] += self.c.TYPE_SCHEMA
                self.evidence[f"type:{key}"].append(f"schema: {s}")

    def body(self, words: list[str]) -> None:
        """Themes by the number of different keywords and their density; types from the lead."""
        c = self.c
        matches = self.matcher.find(words)
        for _, _, pid in c._theme_matches(matches, broad=False):
            for theme in c._themes_of(pid, broad=False):
                e = self.ev[theme]
                e.body_hits += 1
                e.body.add(pid)
                if len(self.evidence[f"theme:{theme}"]) < 12:
                    self.note(f"theme:{theme}", "body", pid)
        lead_scores: dict[str, float] = defaultdict(float)
        self._type_points("lead", [m for m in matches if m[0] < c.TYPE_LEAD_WORDS],
                          c.TYPE_LEAD, lead_scores)
        for k, v in lead_scores.items():
            self.type_score[k] += min(v, c.TYPE_LEAD_MAX)

    def _theme_points(self, n_body_words: int) -> tuple[dict[str, float], set[str], set[str]]:
        """(score per theme, themes with real evidence, themes a category names)."""
        c = self.c
        scale = min(1.0, c.THEME_BODY_WORDS / n_body_words) if n_body_words else 0.0
        theme_score: dict[str, float] = {}
        qualified: set[str] = set()
        labelled: set[str] = set()  # named by a category: the publisher's own label
        for theme, e in self.ev.items():
            body_points = len(e.body) + c.THEME_REPEAT * (e.body_hits - len(e.body))
            theme_score[theme] = (
                c.THEME_TITLE * min(2, len(e.title))
                + c.THEME_CATEGORY * min(2, e.categories)
                + c.THEME_URL * min(2, len(e.url))
                + min(c.THEME_BODY_MAX, body_points * scale)
            )
            # real evidence: the title, a category, several different keywords in the text (or
            # one very dense), or the URL backed by the text
            if (e.categories or e.title or len(e.body) >= c.THEME_BODY_DISTINCT
                    or body_points * scale >= c.THEME_BODY_STRONG or (e.url and e.body)):
                qualified.add(theme)
            if e.categories:
                labelled.add(theme)
        return theme_score, qualified, labelled

    def _best_type(self, format: str) -> str:
        c, score = self.c, self.type_score
        ranked = sorted(
            (t for t in c.type_order if score.get(t, 0) >= c.TYPE_MIN),
            key=lambda t: (-score[t], c.type_order.index(t)),
        )
        if ranked:
            # a channel type (news) only when no type of content has the evidence
            content = [t for t in ranked if not c.taxonomy.types[t].fallback]
            return content[0] if content else ranked[0]
        if format == "pdf":
            self.evidence["type:report"].append("format: pdf (no other evidence)")
            return "report"
        return "other"

    def decide(self, format: str, n_body_words: int) -> Classification:
        c = self.c
        theme_score, qualified, labelled = self._theme_points(n_body_words)
        best_type = self._best_type(format)
        # the bar for the other themes is set by the text's own evidence, before the type's
        best = max((v for t, v in theme_score.items() if t in qualified), default=0.0)
        # a theme that is the document's kind (a strategy is about strategies & roadmaps)
        for theme in c._themes_of_type.get(best_type, ()):
            theme_score[theme] = theme_score.get(theme, 0.0) + c.THEME_TYPE
            qualified.add(theme)
            labelled.add(theme)
            self.evidence[f"theme:{theme}"].append(f"type: {best_type}")
        # the few best-supported themes. A parent theme (urban-resources above waste) is chosen
        # only on its own evidence: the hierarchy is for display.
        ranked = sorted(
            (t for t in c.theme_order if t in qualified and theme_score[t] >= c.THEME_MIN),
            key=lambda t: (-theme_score[t], c.theme_order.index(t)),
        )
        themes = [t for t in ranked
                  if t in labelled or theme_score[t] >= c.THEME_RELATIVE * best][: c.MAX_THEMES]
        return Classification(
            type=best_type,
            themes=themes,
            type_scores={k: round(v, 2) for k, v in self.type_score.items() if v},
            theme_scores={k: round(v, 2) for k, v in theme_score.items() if v},
            evidence=dict(self.evidence),
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


def classify(*, taxonomy: Taxonomy | None = None, **document) -> Classification:
    """Classify one document with ``taxonomy`` (default: ``config/taxonomy.yaml``); the
    document's fields are :meth:`Classifier.classify`'s keywords."""
    tax = taxonomy if taxonomy is not None else default_taxonomy()
    return _classifier_for(tax).classify(**document)
