"""The index: analysis settings, mappings and the document indexed for a resource."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ...query import FACETS
from ...resource import Resource
from ..base import facet_values, result_view
from .constants import (
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
                }
            },
        },
    }


# Settings put back on a rebuilt index once it is full (see index_settings(building=True)).
LIVE_SETTINGS: dict[str, Any] = {"index": {"auto_expand_replicas": "0-1"}}


def index_mappings() -> dict[str, Any]:
    """The mapping of every index (strict: a document with an unknown field is rejected)."""
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
    for facet in FACETS:
        properties[facet] = {"type": "keyword", "ignore_above": KEYWORD_MAX_CHARS}
    properties.update(
        {
            "date": {"type": "date"},
            "published": {"type": "date"},
            "updated": {"type": "date"},
            "live": {"type": "boolean"},
            "view": {"type": "object", "enabled": False},
        }
    )
    return {"dynamic": "strict", "_meta": {"ccp_schema": SCHEMA_VERSION}, "properties": properties}


def index_body(*, building: bool = False) -> dict[str, Any]:
    """Settings and mappings of a new index (the body of ``indices.create``)."""
    return {"settings": index_settings(building=building), "mappings": index_mappings()}


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
    for facet, values in facet_values(r).items():
        doc[facet] = sorted({v for v in values if v})
    doc.update(
        {
            "date": _iso(r.date),
            "published": _iso(r.published),
            "updated": _iso(r.updated),
            "live": r.is_live,
            "view": result_view(r),
        }
    )
    return doc
