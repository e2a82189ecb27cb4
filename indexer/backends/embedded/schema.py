"""The tantivy schema of the embedded index, its constants, and a resource as a document."""

from __future__ import annotations

import hashlib
from datetime import datetime

import tantivy

from ...analysis import (
    FOLD_ANALYZER,
    PRE_ANALYZER,
    STEMMERS,
    analyzer_name,
    pre_analysed_fields,
    query_terms,
    stems_field,
)
from ...compounds import LANGUAGES as COMPOUND_LANGUAGES
from ...query import FACETS
from ...resource import Resource, as_utc
from ...stemming import PYTHON_LANGUAGES, stem

SCHEMA_VERSION = 8  # 3: pre-analysed stems_<code>/parts_<code> fields; 4: the listing field;
# 5: the "key" fast field (vector search filters through it); 6: parts_<code> and title_stems
# without positions; 7: the view and the snippet source stored as one zlib blob, the title
# no longer stored apart; 8: the city facet, the deadline and event_until fast fields

CURRENT_FILE = "CURRENT"
LOCK_FILE = "write.lock"
GENERATION_PREFIX = "gen-"

TITLE_BOOST = 3.0
SNIPPET_CHARS = 240
# Snippets are cut from at most this much of the body (longer bodies are still fully indexed):
# cutting a snippet re-tokenizes the stored text of every hit.
SNIPPET_SOURCE_CHARS = 20_000
NO_DATE = -(2**62)  # sort value of documents without a date: after every real date
# The date sort key is seconds × TIE_SLOTS + a stable slot from the id, so documents of the
# same date always come in the same order (pages never overlap, before or after a rebuild).
TIE_SLOTS = 4096
FACET_BUCKETS = 50_000  # distinct value combinations counted per facet
FACET_CACHE_ENTRIES = 256
SET_SEPARATOR = "\x1f"

WRITER_HEAP_BYTES = 64_000_000
REBUILD_HEAP_BYTES = 256_000_000

Occur = tantivy.Occur


def stem_langs() -> list[str]:
    return sorted(STEMMERS)


def build_schema() -> tantivy.Schema:
    """The schema of an embedded index (bump :data:`SCHEMA_VERSION` when it changes)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", tokenizer_name=FOLD_ANALYZER)  # shown from "stored"
    sb.add_text_field("text", tokenizer_name=FOLD_ANALYZER)
    for lang in stem_langs():
        sb.add_text_field(f"text_{lang}", tokenizer_name=analyzer_name(lang))
    phrased = positional_fields()
    for name in pre_analysed_fields():  # analysed in Python (indexer.analysis.analysed_fields)
        sb.add_text_field(name, tokenizer_name=PRE_ANALYZER,
                          index_option="position" if name in phrased else "freq")
    for facet in FACETS:
        sb.add_text_field(facet, tokenizer_name="raw", index_option="basic")
        sb.add_text_field(f"{facet}_set", fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("date", fast=True)
    # structured facts (see facts_fields): when a call closes (a sort key like "date"), when
    # an event starts and when it is over (seconds); absent when the resource has none
    sb.add_integer_field("deadline", fast=True)
    sb.add_integer_field("event_start", fast=True)
    sb.add_integer_field("event_until", fast=True)
    # doc_key(id): how vector search (vectors.py) maps a document to its vector without
    # reading stored documents
    sb.add_integer_field("key", fast=True, indexed=False)
    sb.add_text_field("live", tokenizer_name="raw", index_option="basic")
    # "yes" for a listing page (textplan.is_listing): its score is weighted down
    sb.add_text_field("listing", tokenizer_name="raw", index_option="basic")
    # zlib of the JSON of base.result_view(resource) and the text snippets are cut from
    # (documents.stored_blob)
    sb.add_bytes_field("stored", stored=True)
    return sb.build()


def positional_fields() -> frozenset[str]:
    """The pre-analysed fields phrases are searched in (:func:`analysed_query`), so they keep
    positions: ``stems_<code>``. ``parts_<code>`` and ``title_stems`` are only ever searched
    term by term, so they record frequencies alone (positions are a quarter of the index)."""
    return frozenset(stems_field(code) for code in PYTHON_LANGUAGES)


def doc_key(resource_id: str) -> int:
    """A signed 64-bit key of a resource id (the ``key`` fast field and the vector rows)."""
    digest = hashlib.blake2b(resource_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def date_key(r: Resource) -> int:
    """The sort value of a resource's date, with a stable tie-breaker from its id."""
    slot = int(hashlib.blake2b(r.id.encode("utf-8"), digest_size=4).hexdigest(), 16) % TIE_SLOTS
    d = r.date
    return (int(d.timestamp()) * TIE_SLOTS if d else NO_DATE) + slot


def moment_key(when: datetime) -> int:
    """The value of a moment in the "date" and "deadline" sort keys (before the tie slot)."""
    return int(as_utc(when).timestamp()) * TIE_SLOTS


def deadline_key(r: Resource) -> int | None:
    """The sort value of a resource's deadline (tie-broken like :func:`date_key`), or None."""
    if r.deadline is None:
        return None
    slot = int(hashlib.blake2b(r.id.encode("utf-8"), digest_size=4).hexdigest(), 16) % TIE_SLOTS
    return moment_key(r.deadline) + slot


def facts_fields(r: Resource) -> list[tuple[str, str, int]]:
    """The integer fields of a resource's structured facts (none when it has none)."""
    out = []
    key = deadline_key(r)
    if key is not None:
        out.append(("i", "deadline", key))
    if r.event_start is not None:
        out.append(("i", "event_start", int(as_utc(r.event_start).timestamp())))
    until = r.event_until
    if until is not None:
        out.append(("i", "event_until", int(until.timestamp())))
    return out


_COMPOUND_FIELDS = {f"text_{code}" for code in COMPOUND_LANGUAGES}


def analysed_query(schema: tantivy.Schema, words: tuple[str, ...]) -> tantivy.Query | None:
    """The part of a word's or phrase's query that searches what was analysed in Python (see
    ``analysis.query_terms``): the ``stems_<code>`` and ``parts_<code>`` fields, and a
    compound's parts in ``text_de``/``nl``/``sv``/``fi``. To be OR-ed with the query of the
    engine-analysed fields; None when there is nothing to add."""
    Q = tantivy.Query
    pre = set(pre_analysed_fields())
    queries: list[tantivy.Query] = []
    if len(words) == 1:
        for name, tokens in query_terms(words[0]).items():
            if name in _COMPOUND_FIELDS:
                tokens = tokens[1:]  # the whole word is what the engine's own query searches
            elif name not in pre:
                continue
            queries += [Q.term_query(schema, name, t) for t in tokens]
    else:
        for code in sorted(PYTHON_LANGUAGES):
            stems = [stem(w, code) for w in words]
            if all(stems):
                queries.append(Q.phrase_query(schema, stems_field(code), stems))
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else Q.boolean_query(
        [(Occur.Should, q) for q in queries])
