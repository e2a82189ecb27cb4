"""The index: analysis settings, mappings and the document indexed for a resource."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ...analysis import (
    PRE_ANALYZER,
    analysed_fields,
    pre_analysed_fields,
    query_parts,
    query_terms,
    stems_field,
)
from ...query import FACETS
from ...resource import Resource
from ...stemming import PYTHON_LANGUAGES, stem
from ...textplan import is_listing
from ..base import facet_values, result_view
from .constants import (
    DEFAULT_VECTOR_DIMS,
    FOLD_ANALYZER,
    KEYWORD_MAX_CHARS,
    LANGUAGE_ALIASES,
    LANGUAGE_ANALYZERS,
    LEAD_CHARS,
    MARKERS,
    MAX_RESULT_WINDOW,
    OTHER_SLOT,
    SCHEMA_VERSION,
    TITLE_BOOST,
    VECTOR_FIELD,
    VECTOR_MODEL_FIELD,
    VECTOR_SIMILARITY,
    WORD_SPLIT_PATTERN,
)


def language_slot(language: str | None) -> str:
    """The ``text.<slot>`` a document in ``language`` (ISO 639-1, any case/region) is indexed in."""
    if not language:
        return OTHER_SLOT
    code = language.strip().lower().replace("_", "-").split("-")[0]
    code = LANGUAGE_ALIASES.get(code, code)
    return code if code in LANGUAGE_ANALYZERS else OTHER_SLOT


def text_slots() -> list[str]:
    return sorted(LANGUAGE_ANALYZERS) + [OTHER_SLOT]


def search_fields() -> list[str]:
    """The fields (with boosts) the search box is matched against."""
    fields = [f"title^{TITLE_BOOST:g}"]
    for code in sorted(LANGUAGE_ANALYZERS):
        fields += [f"text.{code}", f"text.{code}.folded"]
    fields.append(f"text.{OTHER_SLOT}")
    return fields


def index_settings(*, building: bool = False) -> dict[str, Any]:
    """Settings of a new index: no replicas while a rebuild fills it, refreshes only on demand."""
    return {
        "index": {
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "auto_expand_replicas": False if building else "0-1",
            "refresh_interval": "-1",
            "max_result_window": MAX_RESULT_WINDOW,
        },
        "analysis": {
            "tokenizer": {"ccp_words": {"type": "pattern", "pattern": WORD_SPLIT_PATTERN}},
            "analyzer": {
                FOLD_ANALYZER: {
                    "type": "custom",
                    "tokenizer": "ccp_words",
                    "filter": ["lowercase", "asciifolding"],
                },
                # Fields analysed in Python (indexer.analysis.analysed_fields): tokens as given.
                PRE_ANALYZER: {"type": "custom", "tokenizer": "whitespace"},
            },
        },
    }


# Settings put back on a rebuilt index once it is full (see index_settings(building=True)).
LIVE_SETTINGS: dict[str, Any] = {"index": {"auto_expand_replicas": "0-1"}}


def index_mappings(vector_dims: int = DEFAULT_VECTOR_DIMS) -> dict[str, Any]:
    """The mapping of every index (strict: a document with an unknown field is rejected);
    ``vector_dims``: the dimensions of the embedding vectors it will hold."""
    text: dict[str, Any] = {}
    for code, analyzer in sorted(LANGUAGE_ANALYZERS.items()):
        text[code] = {
            "type": "text",
            "analyzer": analyzer,
            "fields": {"folded": {"type": "text", "analyzer": FOLD_ANALYZER}},
        }
    text[OTHER_SLOT] = {"type": "text", "analyzer": FOLD_ANALYZER}
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "title": {"type": "text", "analyzer": FOLD_ANALYZER},
        "text": {"type": "object", "properties": text},
        "lead": {"type": "text", "index": False},
    }
    for name in pre_analysed_fields():
        properties[name] = {"type": "text", "analyzer": PRE_ANALYZER}
    for facet in FACETS:
        properties[facet] = {"type": "keyword", "ignore_above": KEYWORD_MAX_CHARS}
    properties.update(
        {
            "date": {"type": "date"},
            "published": {"type": "date"},
            "updated": {"type": "date"},
            # structured facts: when a call closes, when an event starts and ends, when it is
            # over (Resource.event_until: its end, else the end of the day it starts)
            "deadline": {"type": "date"},
            "event_start": {"type": "date"},
            "event_end": {"type": "date"},
            "event_until": {"type": "date"},
            "live": {"type": "boolean"},
            "listing": {"type": "boolean"},  # textplan.is_listing: its score is weighted down
            "view": {"type": "object", "enabled": False},
            # the embedding of title, summary and lead (indexer.embeddings), searched with kNN
            VECTOR_FIELD: {"type": "dense_vector", "dims": vector_dims, "index": True,
                           "similarity": VECTOR_SIMILARITY},
            VECTOR_MODEL_FIELD: {"type": "keyword"},
        }
    )
    return {"dynamic": "strict", "_meta": {"ccp_schema": SCHEMA_VERSION}, "properties": properties}


def index_body(*, building: bool = False, vector_dims: int = DEFAULT_VECTOR_DIMS
               ) -> dict[str, Any]:
    """Settings and mappings of a new index (the body of ``indices.create``)."""
    return {"settings": index_settings(building=building),
            "mappings": index_mappings(vector_dims)}


def _clean(text: str | None) -> str:
    return (text or "").translate(MARKERS)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _lead(text: str) -> str:
    return " ".join(text[: LEAD_CHARS * 4].split())[:LEAD_CHARS]


def document(r: Resource) -> dict[str, Any]:
    """The indexed document (``_source``) of a resource."""
    parts = [p for p in (_clean(r.summary), _clean(r.body), _clean(r.title)) if p.strip()]
    doc: dict[str, Any] = {
        "id": r.id,
        "title": _clean(r.title),
        "text": {language_slot(r.language): parts} if parts else {},
        "lead": _lead(_clean(r.body or r.summary)),
    }
    doc.update(analysed_fields(parts, r.language, title=r.title))
    for facet, values in facet_values(r).items():
        doc[facet] = sorted({v for v in values if v})
    doc.update(
        {
            "date": _iso(r.date),
            "published": _iso(r.published),
            "updated": _iso(r.updated),
            "deadline": _iso(r.deadline),
            "event_start": _iso(r.event_start),
            "event_end": _iso(r.event_end),
            "event_until": _iso(r.event_until),
            "live": r.is_live,
            "listing": is_listing(r.title, r.body),
            "view": result_view(r),
        }
    )
    return doc


def analysed_clause(words: tuple[str, ...]) -> dict[str, Any] | None:
    """The part of a word's or phrase's query that searches what was analysed in Python: the
    ``stems_<code>``/``parts_<code>`` fields (see ``analysis.query_terms``). To be OR-ed with
    the query of the engine-analysed fields (a compound's parts reach ``text.de`` etc. through
    ``analysis.query_parts``); None when there is nothing to add. The same terms as the embedded
    engine's ``schema.analysed_query``."""
    pre = set(pre_analysed_fields())
    should: list[dict[str, Any]] = []
    if len(words) == 1:
        for name, tokens in query_terms(words[0]).items():
            if name in pre:
                should.append({"match": {name: {"query": " ".join(tokens)}}})
        for code, parts in query_parts(words[0]).items():  # "matsvinn" finds "mat"
            should.append({"match": {f"text.{code}": {"query": " ".join(parts)}}})
    else:
        for code in sorted(PYTHON_LANGUAGES):
            stems = [stem(w, code) for w in words]
            if all(stems):
                should.append({"match_phrase": {stems_field(code): " ".join(stems)}})
    if not should:
        return None
    return should[0] if len(should) == 1 else {"bool": {"should": should}}
