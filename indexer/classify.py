"""Resource type and themes from the taxonomy's multilingual keyword lists.

Deterministic and explainable: every point a type or theme scores comes from a keyword found in
a named field of the page, and :class:`Classification` keeps that evidence ("section: Goda
exempel", "url: events", "schema: Event", "title: roadmap").

Text and keywords are folded alike (case, accents, ``ł``/``ø``/``æ``), split into words, and
matched as whole words, word prefixes (``plastic*``) or parts of words (``*strategi``),
phrases word by word. Keywords of the document's language and English are used (English terms
are common in every language's circular-economy vocabulary); all languages when the language is
unknown. URL paths are matched against every language.

The evidence a real page gives, most telling first (:meth:`Classifier.classify`'s fields):
the publisher's *section* (breadcrumb trail), its categories and tags, schema.org / OpenGraph
types and event markup with a start date, the URL path, the title, the headings, the lead, the
body, and the format (a PDF).

Scoring (the numbers are the class attributes of :class:`Classifier`):

* off-topic pages first (``off_topic`` in the taxonomy): a job offer, an administrative
  procedure, a traffic or service notice, sport and festivities, the council's budget. Named by
  the title (3), the section or a category (2 each: one label alone is not enough) or the URL
  (4), never by the body: with 3 points such a page gets no themes, whatever words it shares
  with the portal's subjects, and the kind's type (other, or news) — unless a type of content
  has more than twice its points (a workshop with event markup listed under "Employment").
* themes — a theme needs *real evidence* and a place among the few best:

  - points: 3 per distinct keyword in the title (at most 2), 3 per category naming the theme
    (feed category, ``article:tag``, JSON-LD keywords; a category may also be the theme's key
    or label; at most 2), 2 per section (breadcrumb) naming it (at most 2), 2 per distinct
    keyword in the URL path that the title does not already have (at most 2), 1.5 per distinct
    keyword of the headings or the lead the title lacks (at most 2), and the body: 1 per
    distinct keyword plus 0.5 per repeat, scaled down by length beyond 600 words (density), at
    most 9. Overlapping matches resolve to the longest, then the most specific keyword: "food
    waste" is food waste, not also waste.
  - *broad* words of a theme (``waste``, ``construction``, ``schools``; ``broad`` in the
    taxonomy) count in the title, categories, section and URL, never in the body, where they
    are everywhere.
  - real evidence: a title keyword, a category, a section, a heading or lead keyword, two
    different body keywords (or one very dense), or a URL keyword backed by the body. Then at
    least 3 points.
  - the few best: at most 4 themes, each with at least 35% of the best theme's points — except
    themes the publisher's categories name and the theme of the document's type
    (``themes.<key>.types``: a strategy is about strategies & roadmaps), which always stay.
  - a parent theme (``urban-resources`` above ``waste``) is chosen on its own evidence only:
    the hierarchy is for display (:meth:`config.taxonomy.Taxonomy.children`), not a way to put
    every document under a few broad headings.
* types: title hits 3, category hits 3 and section hits 3 (a type's keywords or URL words
  naming the section: "Kunskapsbank › Goda exempel"; at most 6 each; a section the URL path
  already names adds nothing: they are one piece of evidence), the type's URL words 4,
  a schema.org type 4 (JSON-LD, microdata, og:type), event markup with a start date 2 more,
  hits in the headings 1 (the type's keywords or its ``headings`` words — a case study's
  "Results", an event's "Programme"; three numbered steps are a guide's 2; at most 2), hits in
  the lead (the marked lead, else the first 60
  words of the body) 1 (at most 2), a PDF 2 for ``report``. Among overlapping keyword matches
  in one field the longest wins ("policy brief" is a report, not a policy). The best type with 3
  points or more wins, ties going to the type listed first in the taxonomy; a *fallback* type
  (news: a channel, not a kind of content) only when no other type has 3 points; with none, a
  PDF is a ``report`` and anything else ``other``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable

from config.taxonomy import Taxonomy, default_taxonomy

from .evidence import Classification, Scoring
from .keywords import INFIX, Matcher, Phrase, fold, tokens
from .resource import RESOURCE_TYPES

__all__ = ["Classification", "Classifier", "classify", "fold", "tokens"]

BODY_CHARS = 40_000  # body text considered (the first ~6,000 words)


class Classifier:
    """A compiled taxonomy. Build once, call :meth:`classify` per document (thread-safe)."""

    THEME_TITLE = 3.0  # per distinct keyword in the title (at most 2 count)
    THEME_CATEGORY = 3.0  # per category (feed category, tag, keyword) naming the theme (at most 2)
    THEME_SECTION = 2.0  # per breadcrumb naming the theme (at most 2)
    THEME_OUTLINE = 1.5  # per distinct keyword of the headings or the lead (at most 2)
    THEME_URL = 2.0  # per distinct keyword in the URL path not already in the title (at most 2)
    THEME_REPEAT = 0.5  # a body keyword seen again counts half
    THEME_BODY_WORDS = 600  # body hits count in full up to this length, then by density
    THEME_BODY_MAX = 9.0
    THEME_BODY_DISTINCT = 2  # body evidence alone needs this many different keywords …
    THEME_BODY_STRONG = 6.0  # … or one keyword this dense
    THEME_TYPE = 3.0  # the document's type is the theme's (taxonomy: themes.<key>.types)
    THEME_MIN = 3.0
    THEME_RELATIVE = 0.35  # a theme needs this share of the best theme's score
    MAX_THEMES = 4

    TYPE_TITLE = 3.0
    TYPE_CATEGORY = 3.0
    TYPE_SECTION = 3.0
    TYPE_URL = 4.0
    TYPE_SCHEMA = 4.0
    TYPE_EVENT_DATE = 2.0  # event markup with a start date, on top of the schema type
    TYPE_PDF = 2.0  # a PDF is a report unless something says otherwise
    TYPE_HEADING = 1.0
    TYPE_HEADING_MAX = 2.0
    TYPE_LEAD = 1.0
    TYPE_LEAD_MAX = 2.0
    TYPE_LEAD_WORDS = 60
    TYPE_MIN = 3.0
    TYPE_WEAK = 2.0  # with no type at TYPE_MIN, a type of content this strong beats "other"
    OFF_TOPIC_MIN = 3.0
    OFF_TOPIC_LABEL = 2.0  # a section or category naming an off-topic kind (one alone is not enough)
    OFF_TOPIC_OUTWEIGH = 2.0  # a type of content with more than this times the off-topic points wins

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
        def keywords(per_lang: dict[str, list[str]], target: str) -> None:
            for lang, words in per_lang.items():
                for pid in filter(lambda p: p is not None, map(self._add, words)):
                    self.targets[pid].add(target)
                    by_lang[lang].add(pid)

        def url_words(words: list[str], target: str) -> None:
            for pid in filter(lambda p: p is not None, map(self._add, words)):
                self.url_targets[pid].add(target)
                url_ids.add(pid)

        for section, entries in (("type", taxonomy.types), ("theme", taxonomy.themes)):
            for key, spec in entries.items():
                keywords(spec.keywords, f"{section}:{key}")
                keywords(getattr(spec, "broad", {}), f"broad:{key}")
                if section == "type":
                    keywords(spec.headings, f"head:{key}")
                    url_words(spec.url, f"type:{key}")
        for key, spec in taxonomy.off_topic.items():
            keywords(spec.keywords, f"off:{key}")
            url_words(spec.url, f"off:{key}")
        self._by_lang = {k: frozenset(v) for k, v in by_lang.items()}
        self._all_ids = frozenset(i for ids in by_lang.values() for i in ids)
        self._url_matcher = Matcher(self.phrases, url_ids)
        self._all_matcher = Matcher(self.phrases, self._all_ids)
        self._schema = {
            s.casefold(): key for key, spec in taxonomy.types.items() for s in spec.schema_types
        }
        self._matchers: dict[str, Matcher] = {}
        self._type_pids = frozenset(p for p, ts in self.targets.items()
                                    if any(t.startswith(("type:", "off:")) for t in ts))
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
        parts: list[tuple[str, bool | str]] = []
        if keyword.startswith("*"):  # a part of a word (the head of a compound)
            sub = tokens(keyword.strip("*"))
            if len(sub) != 1:
                return None
            parts = [(sub[0], INFIX)]
        for raw in [] if parts else re.split(r"[\s\-'’]+", keyword.strip()):
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
        breadcrumbs: Iterable[str] = (),
        headings: Iterable[str] = (),
        lead: str | None = None,
        event_start: str | None = None,
    ) -> Classification:
        """Type and themes of one document.

        ``breadcrumbs``: the page's section path (home and the page itself left out);
        ``headings``: the article's ``h1``/``h2`` texts; ``lead``: its lead paragraph (default:
        the first 60 words of ``body``); ``event_start``: the start date of event markup.
        """
        doc = Scoring(self, self._matcher(language))
        doc.title(title)
        doc.categories(categories)
        if url:
            doc.url(url)
        doc.section(breadcrumbs)
        doc.schema(schema_types, event_start)
        doc.outline(headings, title)
        body_words = tokens(body[:BODY_CHARS]) if body else []
        if lead:
            doc.lead(tokens(lead), title)
        else:  # the first words of the body: type evidence only (the body counts for themes)
            doc.lead(body_words[: self.TYPE_LEAD_WORDS], title, themes=False)
        if body_words:
            doc.body(body_words)
        return doc.decide(format, len(body_words))


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
