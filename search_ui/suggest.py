"""Search suggestions as one types: titles, the taxonomy's concepts in every language, places.

:func:`suggest` answers the OpenSearch suggestions format
``[query, [completions], [descriptions], [urls]]`` (``application/x-suggestions+json``), which
browsers' search boxes and the portal's own search field read alike.

* Concepts: every type's and theme's label in each language and its plain keywords (not the
  ``word*`` patterns), folded (case and accents ignored) and kept sorted once per process, so a
  prefix is a binary search. A concept links to the search filtered by it.
* Places: ``indexer.places.suggest_places`` when the gazetteer is there.
* Titles: the search backend's phrase-prefix query on titles ("circular proc" finds "Circular
  procurement guide"; both engines complete the last word from their term dictionary); when
  the index cannot answer, the catalogue's titles starting with the prefix, then those with a
  word starting with it (a bounded query, but a scan of the titles). They link to the
  resource's page.
"""

from __future__ import annotations

import bisect
import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, select

from indexer.catalogue.tables import resources_t

log = logging.getLogger(__name__)

MAX_PREFIX = 100  # characters of the prefix looked at
MAX_LIMIT = 20
DEFAULT_LIMIT = 10
MIN_OTHER_NAME = 5  # letters typed before a place is suggested by a name it is not shown by


def fold(text: str) -> str:
    """Lower case without accents, spaces normalised: what a prefix is compared on."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass(frozen=True)
class Concept:
    key: str  # folded text
    text: str  # as shown
    kind: str  # "type" | "theme"
    value: str  # the taxonomy key
    language: str
    label: bool  # a label (True) or a keyword


@lru_cache(maxsize=1)
def concept_table() -> tuple[list[str], list[Concept]]:
    """Folded keys (sorted) and their concepts, from the taxonomy (loaded once)."""
    from config.taxonomy import default_taxonomy

    tax = default_taxonomy()
    found: dict[tuple[str, str, str], Concept] = {}
    for kind, entries in (("type", tax.types), ("theme", tax.themes)):
        for value, spec in entries.items():
            if value == "other":
                continue
            labels = {"en": spec.label, **spec.labels}
            for lang, text in labels.items():
                c = Concept(fold(text), text, kind, value, lang, True)
                found.setdefault((c.key, kind, value), c)
            for lang, words in spec.keywords.items():
                for word in words:
                    if "*" in word or len(word) < 3:
                        continue
                    c = Concept(fold(word), word, kind, value, lang, False)
                    found.setdefault((c.key, kind, value), c)
    rows = sorted(found.values(), key=lambda c: (c.key, not c.label))
    return [c.key for c in rows], rows


def concepts_with_prefix(prefix: str, limit: int) -> list[Concept]:
    """Concepts whose label or keyword starts with ``prefix`` (folded): labels first, one
    entry per concept, shortest first."""
    keys, rows = concept_table()
    p = fold(prefix)
    if not p:
        return []
    i = bisect.bisect_left(keys, p)
    hits: list[Concept] = []
    while i < len(keys) and keys[i].startswith(p) and len(hits) < 200:
        hits.append(rows[i])
        i += 1
    hits.sort(key=lambda c: (not c.label, len(c.key), c.key))
    seen: set[tuple[str, str]] = set()
    out = []
    for c in hits:
        if (c.kind, c.value) in seen:
            continue
        seen.add((c.kind, c.value))
        out.append(c)
        if len(out) >= limit:
            break
    return out


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def titles_with_prefix(engine, prefix: str, limit: int) -> list[tuple[str, str, str | None]]:
    """(id, title, type) of live resources whose title starts with ``prefix``, then of those
    with a word starting with it; at most ``limit``, shorter titles first."""
    from .sitemaps import _live

    p = _like_escape(" ".join(prefix.split()))
    if not p:
        return []
    r = resources_t
    starts = r.c.title.ilike(p + "%", escape="\\")
    word = r.c.title.ilike("% " + p + "%", escape="\\")
    out: dict[str, tuple[str, str, str | None]] = {}
    with engine.connect() as c:
        for cond in (starts, word):
            if len(out) >= limit:
                break
            rows = c.execute(
                select(r.c.id, r.c.title, r.c.type)
                .where(and_(cond, _live()))
                .order_by(func.length(r.c.title), r.c.id)
                .limit(limit)
            ).all()
            for rid, title, kind in rows:
                if len(out) < limit:
                    out.setdefault(rid, (rid, " ".join(title.split()), kind))
    return list(out.values())


def titles(backend, engine, prefix: str, limit: int) -> list[tuple[str, str, str | None]]:
    """(id, title, type) of live resources whose title holds the words typed, the last one
    begun: the search backend's prefix query where it has one, else the catalogue's."""
    try:
        hits = backend.suggest_titles(prefix, limit)
    except Exception as exc:  # an index that cannot answer: the catalogue still can
        log.warning("title suggestions from the catalogue, the index failed: %s", exc)
        hits = None
    if hits is None:
        return titles_with_prefix(engine, prefix, limit)
    return [(h.id, " ".join((h.doc.get("title") or "").split()), h.doc.get("type"))
            for h in hits if (h.doc.get("title") or "").strip()]


def places_with_prefix(prefix: str, language: str | None, limit: int) -> list[Any]:
    """Places from the gazetteer (``indexer.places``) when it is installed; none without it."""
    try:
        from indexer.places import suggest_places
    except ImportError:
        return []
    try:
        found = list(suggest_places(prefix, language, limit))
    except Exception as exc:  # the gazetteer failing must not take the search box down
        log.warning("place suggestions unavailable: %s", exc)
        return []
    # a place found by another language's name ("Bruxel" -> Brussels) only once the prefix is
    # long enough to mean it: a short one matches too many odd spellings ("circ" -> Cherkasy)
    key = fold(prefix)
    return [p for p in found if fold(p.name).startswith(key) or len(key) >= MIN_OTHER_NAME
            ][:limit]
