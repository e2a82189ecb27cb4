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
import unicodedata
from collections import defaultdict
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
        self._url_matcher = _Matcher(self.phrases, url_ids)
        self._all_matcher = _Matcher(self.phrases, self._all_ids)
        self._schema = {
            s.casefold(): key for key, spec in taxonomy.types.items() for s in spec.schema_types
        }
        self._matchers: dict[str, _Matcher] = {}
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
            self.phrases.append(_Phrase(key, keyword))
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
        ev: dict[str, _ThemeEvidence] = defaultdict(_ThemeEvidence)
        evidence: dict[str, list[str]] = defaultdict(list)

        def note(target: str, where: str, pid: int) -> None:
            e = f"{where}: {self.phrases[pid].text}"
            if e not in evidence[target]:
                evidence[target].append(e)

        def credit(where: str, matches, type_w: float) -> None:
            """Type points for the longest type keywords among ``matches``."""
            for _, _, pid in _longest([m for m in matches if m[2] in self._type_pids]):
                for target in self.targets[pid]:
                    if target.startswith("type:"):
                        type_score[target[5:]] += type_w
                        note(target, where, pid)

        # title
        title_words = tokens(title or "")
        title_matches = matcher.find(title_words) if title_words else []
        if title_matches:
            credit("title", title_matches, self.TYPE_TITLE)
            for pid in {m[2] for m in self._theme_matches(title_matches)}:
                for theme in self._themes_of(pid):
                    ev[theme].title.add(pid)
                    note(f"theme:{theme}", "title", pid)

        # categories (feed categories, article:tag/section, keywords): one count per category
        before_ty = dict(type_score)
        for cat in list(dict.fromkeys(c for c in categories if c))[:20]:
            words = tokens(cat)
            if not words:
                continue
            matches = matcher.find(words)
            credit("category", matches, self.TYPE_CATEGORY)
            hit = {t for m in self._theme_matches(matches) for t in self._themes_of(m[2])}
            key = self._theme_keys.get(" ".join(words))
            if key:
                hit.add(key)  # the category is the theme's own key or label
            for theme in hit:
                ev[theme].categories += 1
                e = f"category: {cat}"
                if e not in evidence[f"theme:{theme}"]:
                    evidence[f"theme:{theme}"].append(e)
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
                for pid in {m[2] for m in self._theme_matches(self._all_matcher.find(path_words))}:
                    for theme in self._themes_of(pid):
                        if pid in ev[theme].title:
                            continue  # the slug repeats the title: no new evidence
                        ev[theme].url.add(pid)
                        note(f"theme:{theme}", "url", pid)

        # schema.org / og:type
        seen_schema = set()
        for s in schema_types:
            key = self._schema.get(str(s).rsplit("/", 1)[-1].casefold())
            if key and key not in seen_schema:
                seen_schema.add(key)
                type_score[key] += self.TYPE_SCHEMA
                evidence[f"type:{key}"].append(f"schema: {s}")

        # body: themes by the number of different keywords and their density, types from the lead
        body_words = tokens(body[:BODY_CHARS]) if body else []
        if body_words:
            matches = matcher.find(body_words)
            for _, _, pid in self._theme_matches(matches, broad=False):
                for theme in self._themes_of(pid, broad=False):
                    e = ev[theme]
                    e.body_hits += 1
                    e.body.add(pid)
                    if len(evidence[f"theme:{theme}"]) < 12:
                        note(f"theme:{theme}", "body", pid)
            lead = [m for m in matches if m[0] < self.TYPE_LEAD_WORDS]
            lead_scores: dict[str, float] = defaultdict(float)
            for _, _, pid in _longest([m for m in lead if any(t.startswith("type:") for t in self.targets[m[2]])]):
                for target in self.targets[pid]:
                    if target.startswith("type:"):
                        lead_scores[target[5:]] += self.TYPE_LEAD
                        note(target, "lead", pid)
            for k, v in lead_scores.items():
                type_score[k] += min(v, self.TYPE_LEAD_MAX)

        scale = min(1.0, self.THEME_BODY_WORDS / len(body_words)) if body_words else 0.0
        theme_score: dict[str, float] = {}
        qualified: set[str] = set()
        labelled: set[str] = set()  # named by a category: the publisher's own label
        for theme, e in ev.items():
            body_points = len(e.body) + self.THEME_REPEAT * (e.body_hits - len(e.body))
            score = (
                self.THEME_TITLE * min(2, len(e.title))
                + self.THEME_CATEGORY * min(2, e.categories)
                + self.THEME_URL * min(2, len(e.url))
                + min(self.THEME_BODY_MAX, body_points * scale)
            )
            theme_score[theme] = score
            # real evidence: the title, a category, several different keywords in the text (or
            # one very dense), or the URL backed by the text
            if (e.categories or e.title or len(e.body) >= self.THEME_BODY_DISTINCT
                    or body_points * scale >= self.THEME_BODY_STRONG or (e.url and e.body)):
                qualified.add(theme)
            if e.categories:
                labelled.add(theme)

        # decide: type
        best_type = "other"
        ranked = sorted(
            (t for t in self.type_order if type_score.get(t, 0) >= self.TYPE_MIN),
            key=lambda t: (-type_score[t], self.type_order.index(t)),
        )
        if ranked:
            # a channel type (news) only when no type of content has the evidence
            content = [t for t in ranked if not self.taxonomy.types[t].fallback]
            best_type = content[0] if content else ranked[0]
        elif format == "pdf":
            best_type = "report"
            evidence["type:report"].append("format: pdf (no other evidence)")

        # the bar for the other themes is set by the text's own evidence, before the type's
        best = max((v for t, v in theme_score.items() if t in qualified), default=0.0)
        # a theme that is the document's kind (a strategy is about strategies & roadmaps)
        for theme in self._themes_of_type.get(best_type, ()):
            theme_score[theme] = theme_score.get(theme, 0.0) + self.THEME_TYPE
            qualified.add(theme)
            labelled.add(theme)
            evidence[f"theme:{theme}"].append(f"type: {best_type}")

        # decide: themes, the few best-supported ones. A parent theme (urban-resources above
        # waste) is chosen only on its own evidence: the hierarchy is for display.
        ranked_themes = sorted(
            (t for t in self.theme_order if t in qualified and theme_score[t] >= self.THEME_MIN),
            key=lambda t: (-theme_score[t], self.theme_order.index(t)),
        )
        themes = [
            t for t in ranked_themes if t in labelled or theme_score[t] >= self.THEME_RELATIVE * best
        ][: self.MAX_THEMES]

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
