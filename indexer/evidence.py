"""The points and evidence of one document, field by field, then the decision.

Used by :class:`indexer.classify.Classifier` (the scoring rules are in that module's docstring);
every point scored is noted as evidence ("section: Goda exempel", "url: events") so a
classification can be explained.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import unquote, urlsplit

from .keywords import Matcher, longest, tokens

__all__ = ["Classification", "Scoring"]

# a numbered heading: "1. …", "2) …", "Step 3", "3 žingsnis", "Krok 2", "Étape 1"
_STEP_RE = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|\d{1,2}\s+\w+\.|\w+\s+\d{1,2}\s*[.:)–-])")


@dataclass
class Classification:
    type: str
    themes: list[str]
    type_scores: dict[str, float] = field(default_factory=dict)
    theme_scores: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)  # "type:news" -> ["url: news", ...]
    off_topic: str | None = None  # the off-topic kind of page recognised (taxonomy off_topic key)

    def explain(self) -> str:
        lines = [f"type {self.type} ({self.type_scores.get(self.type, 0):g})"]
        lines.extend(f"  {e}" for e in self.evidence.get(f"type:{self.type}", []))
        if self.off_topic:
            lines.append(f"off topic: {self.off_topic} (no themes)")
            lines.extend(f"  {e}" for e in self.evidence.get(f"off:{self.off_topic}", []))
        for t in self.themes:
            lines.append(f"{t} ({self.theme_scores.get(t, 0):g})")
            lines.extend(f"  {e}" for e in self.evidence.get(f"theme:{t}", []))
        return "\n".join(lines)


@dataclass
class _ThemeEvidence:
    title: set[int] = field(default_factory=set)  # distinct keywords, broad words included (phrase ids)
    categories: int = 0  # categories that name the theme
    sections: int = 0  # breadcrumbs that name the theme
    url: set[int] = field(default_factory=set)  # distinct keywords not already in the title
    outline: set[int] = field(default_factory=set)  # heading and lead keywords the title lacks
    body: set[int] = field(default_factory=set)  # distinct keywords, broad words left out
    body_hits: int = 0


class Scoring:
    """One document's points: call the field methods, then :meth:`decide`."""

    def __init__(self, c, matcher: Matcher):  # c: the compiled indexer.classify.Classifier
        self.c = c
        self.matcher = matcher
        self.type_score: dict[str, float] = defaultdict(float)  # "x" types, "off:y" off-topic kinds
        self.ev: dict[str, _ThemeEvidence] = defaultdict(_ThemeEvidence)
        self.evidence: dict[str, list[str]] = defaultdict(list)
        self.url_named: set[str] = set()  # types and off-topic kinds the URL path names

    def note(self, target: str, where: str, pid: int) -> None:
        self.add_note(target, f"{where}: {self.c.phrases[pid].text}")

    def add_note(self, target: str, e: str) -> None:
        if e not in self.evidence[target]:
            self.evidence[target].append(e)

    @staticmethod
    def _key(target: str) -> str:
        return target[5:] if target.startswith("type:") else target

    def _type_points(self, where: str, matches, points: float,
                     score: dict[str, float] | None = None, off_topic: bool = True) -> None:
        """Type (and off-topic) points for the longest type keywords among ``matches``.

        Off-topic kinds are named by the title, sections, categories and URL, never by the
        text (``off_topic=False``): a strategy may well mention a festival."""
        score = self.type_score if score is None else score
        kinds = ("type:", "off:") if off_topic else ("type:",)
        seen: set[tuple[int, str]] = set()  # one count per place and type ("festival", "festival*")
        for start, _, pid in longest([m for m in matches if m[2] in self.c._type_pids]):
            for target in self.c.targets[pid]:
                if target.startswith(kinds) and (start, target) not in seen:
                    seen.add((start, target))
                    score[self._key(target)] += points
                    self.note(target, where, pid)

    def _theme_hits(self, words: list[str], broad: bool = True) -> set[str]:
        c = self.c
        return {t for m in c._theme_matches(self.matcher.find(words), broad) for t in c._themes_of(m[2], broad)}

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

    def _labels(self, labels: Iterable[str], where: str, type_points: float, url_words: bool) -> dict[str, int]:
        """Categories or sections: type points per label (at most two per type), and the themes
        each label names (theme -> number of labels)."""
        c = self.c
        before = dict(self.type_score)
        named: dict[str, int] = defaultdict(int)
        for label in list(dict.fromkeys(x.strip() for x in labels if x and x.strip()))[:20]:
            words = tokens(label)
            if not words:
                continue
            matches = self.matcher.find(words)
            counted: set[str] = set()  # a label counts once for a type
            found = [(pid, c.targets[pid]) for _, _, pid in longest(
                [m for m in matches if m[2] in c._type_pids])]
            if url_words:  # a section is named like its URL: "Goda exempel", "Events"
                found += [(pid, c.url_targets[pid]) for _, _, pid in longest(c._url_matcher.find(words))]
            for pid, targets in found:
                for target in targets:
                    key = self._key(target)
                    if not target.startswith(("type:", "off:")) or key in counted:
                        continue
                    counted.add(key)
                    self.note(target, where, pid)
                    if url_words and key in self.url_named:
                        continue  # the URL path already said so: one piece of evidence
                    self.type_score[key] += c.OFF_TOPIC_LABEL if key.startswith("off:") else type_points
            hit = {t for m in c._theme_matches(matches) for t in c._themes_of(m[2])}
            key = c._theme_keys.get(" ".join(words))
            if key:
                hit.add(key)  # the label is the theme's own key or label
            for theme in hit:
                named[theme] += 1
                self.add_note(f"theme:{theme}", f"{where}: {label}")
        for k, v in list(self.type_score.items()):
            self.type_score[k] = min(v, before.get(k, 0.0) + type_points * 2)
        return named

    def categories(self, categories: Iterable[str]) -> None:
        """Feed categories, article:tag/section, keywords: one count per category."""
        for theme, n in self._labels(categories, "category", self.c.TYPE_CATEGORY, False).items():
            self.ev[theme].categories += n

    def section(self, crumbs: Iterable[str]) -> None:
        """The breadcrumb trail: where the publisher put the page."""
        for theme, n in self._labels(crumbs, "section", self.c.TYPE_SECTION, True).items():
            self.ev[theme].sections += n

    def url(self, url: str) -> None:
        """The URL path: type URL words, and theme keywords of any language."""
        c = self.c
        words = tokens(unquote(urlsplit(url).path))
        if not words:
            return
        for _, _, pid in longest(c._url_matcher.find(words)):
            for target in c.url_targets[pid]:
                if self._key(target) not in self.url_named:
                    self.url_named.add(self._key(target))
                    self.type_score[self._key(target)] += c.TYPE_URL
                self.note(target, "url", pid)
        for pid in {m[2] for m in c._theme_matches(c._all_matcher.find(words))}:
            for theme in c._themes_of(pid):
                if pid in self.ev[theme].title:
                    continue  # the slug repeats the title: no new evidence
                self.ev[theme].url.add(pid)
                self.note(f"theme:{theme}", "url", pid)

    def schema(self, schema_types: Iterable[str], event_start: str | None = None) -> None:
        """schema.org types (JSON-LD, microdata) and og:type; event markup with a start date."""
        seen = set()
        for s in schema_types:
            key = self.c._schema.get(str(s).rsplit("/", 1)[-1].casefold())
            if key and key not in seen:
                seen.add(key)
                self.type_score[key] += self.c.TYPE_SCHEMA
                self.evidence[f"type:{key}"].append(f"schema: {s}")
        if event_start and "event" in self.c.taxonomy.types:
            self.type_score["event"] += self.c.TYPE_EVENT_DATE
            self.evidence["type:event"].append(f"event markup: starts {event_start}")

    def _outline_themes(self, words: list[str], where: str) -> None:
        for pid in {m[2] for m in self.c._theme_matches(self.matcher.find(words), broad=True)}:
            for theme in self.c._themes_of(pid, broad=True):
                e = self.ev[theme]
                if pid not in e.title:
                    e.outline.add(pid)
                    self.note(f"theme:{theme}", where, pid)

    def outline(self, headings: Iterable[str], title: str) -> None:
        """The article's headings (other than the title): a little type and theme evidence."""
        c = self.c
        scores: dict[str, float] = defaultdict(float)
        folded_title = tokens(title or "")
        steps = 0
        for h in list(headings)[:12]:
            words = tokens(h)
            if not words or words == folded_title:
                continue
            steps += bool(_STEP_RE.match(h))
            matches = self.matcher.find(words)
            self._type_points("heading", matches, c.TYPE_HEADING, scores, off_topic=False)
            for _, _, pid in longest(matches):  # the words of a type's section headings
                for target in c.targets[pid]:
                    if target.startswith("head:"):
                        scores[target[5:]] += c.TYPE_HEADING
                        self.note(f"type:{target[5:]}", "heading", pid)
            self._outline_themes(words, "heading")
        if steps >= 3 and "guide" in c.taxonomy.types:  # numbered steps: how to do something
            scores["guide"] += c.TYPE_HEADING_MAX
            self.add_note("type:guide", f"headings: {steps} numbered steps")
        for k, v in scores.items():
            self.type_score[k] += min(v, c.TYPE_HEADING_MAX)

    def lead(self, words: list[str], title: str, themes: bool = True) -> None:
        """The lead (the marked lead paragraph, else the first words of the body)."""
        c = self.c
        if not words:
            return
        scores: dict[str, float] = defaultdict(float)
        self._type_points("lead", self.matcher.find(words), c.TYPE_LEAD, scores, off_topic=False)
        for k, v in scores.items():
            self.type_score[k] += min(v, c.TYPE_LEAD_MAX)
        if themes:
            self._outline_themes(words, "lead")

    def body(self, words: list[str]) -> None:
        """Themes by the number of different keywords and their density."""
        c = self.c
        matches = self.matcher.find(words)
        for _, _, pid in c._theme_matches(matches, broad=False):
            for theme in c._themes_of(pid, broad=False):
                e = self.ev[theme]
                e.body_hits += 1
                e.body.add(pid)
                if len(self.evidence[f"theme:{theme}"]) < 12:
                    self.note(f"theme:{theme}", "body", pid)

    # -- the decision ---------------------------------------------------------------------------
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
                + c.THEME_SECTION * min(2, e.sections)
                + c.THEME_URL * min(2, len(e.url))
                + c.THEME_OUTLINE * min(2, len(e.outline))
                + min(c.THEME_BODY_MAX, body_points * scale)
            )
            # real evidence: the title, a category or section, the headings or lead, several
            # different keywords in the text (or one very dense), or the URL backed by the text
            if (e.categories or e.sections or e.title or e.outline
                    or len(e.body) >= c.THEME_BODY_DISTINCT
                    or body_points * scale >= c.THEME_BODY_STRONG or (e.url and e.body)):
                qualified.add(theme)
            if e.categories:
                labelled.add(theme)
        return theme_score, qualified, labelled

    def _off_topic(self) -> str | None:
        """The off-topic kind of page with the most evidence (at least OFF_TOPIC_MIN points)."""
        c = self.c
        offs = [(v, k[4:]) for k, v in self.type_score.items() if k.startswith("off:") and v >= c.OFF_TOPIC_MIN]
        if not offs:
            return None
        order = list(c.taxonomy.off_topic)
        return min(offs, key=lambda x: (-x[0], order.index(x[1])))[1]

    def _best_type(self, format: str, off: str | None) -> tuple[str, str | None]:
        """The type, and the off-topic kind that still holds (None when content wins)."""
        c, score = self.c, self.type_score
        if format == "pdf" and "report" in c.taxonomy.types:
            score["report"] += c.TYPE_PDF
            self.evidence["type:report"].append("format: pdf")
        ranked = sorted(
            (t for t in c.type_order if score.get(t, 0) >= c.TYPE_WEAK),
            key=lambda t: (-score[t], c.type_order.index(t)),
        )
        content = [t for t in ranked if not c.taxonomy.types[t].fallback]
        strong = [t for t in ranked if score[t] >= c.TYPE_MIN]
        if off is not None:
            # not a resource on the portal's subjects: a festival is news, not an event of the
            # portal's kind; a job offer in the waste department is no guide to waste — unless
            # a type of content has far more evidence (a workshop listed under "Employment")
            if content and score[content[0]] > c.OFF_TOPIC_OUTWEIGH * score[f"off:{off}"]:
                return content[0], None
            return c.taxonomy.off_topic[off].type, off
        strong_content = [t for t in content if score[t] >= c.TYPE_MIN]
        if strong_content:
            return strong_content[0], None
        if strong:  # a channel type (news) only when no type of content has the evidence
            return strong[0], None
        if content:  # a little evidence (headings, the lead) beats none
            return content[0], None
        if format == "pdf":
            return "report", None
        return "other", None

    def decide(self, format: str, n_body_words: int) -> Classification:
        c = self.c
        theme_score, qualified, labelled = self._theme_points(n_body_words)
        best_type, off = self._best_type(format, self._off_topic())
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
        if off is not None:
            themes = []  # a job offer or a road closure is not about the portal's subjects
        return Classification(
            type=best_type,
            themes=themes,
            type_scores={k: round(v, 2) for k, v in self.type_score.items() if v and ":" not in k},
            theme_scores={k: round(v, 2) for k, v in theme_score.items() if v},
            evidence=dict(self.evidence),
            off_topic=off,
        )
