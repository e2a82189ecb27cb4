"""The tantivy schema of the embedded index, its constants, and a resource as a document."""

from __future__ import annotations

import hashlib

import tantivy

from ...analysis import (
    FOLD_ANALYZER,
    STEMMERS,
    analyzer_name,
)
from ...query import FACETS
from ...resource import Resource

SCHEMA_VERSION = 2

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
    sb.add_text_field("title", stored=True, tokenizer_name=FOLD_ANALYZER)
    sb.add_text_field("text", tokenizer_name=FOLD_ANALYZER)
    for lang in stem_langs():
        sb.add_text_field(f"text_{lang}", tokenizer_name=analyzer_name(lang))
    for facet in FACETS:
        sb.add_text_field(facet, tokenizer_name="raw", index_option="basic")
        sb.add_text_field(f"{facet}_set", fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("date", fast=True)
    sb.add_text_field("live", tokenizer_name="raw", index_option="basic")
    sb.add_bytes_field("doc", stored=True)  # JSON of base.result_view(resource)
    sb.add_bytes_field("body", stored=True)  # UTF-8 text snippets are cut from
    return sb.build()


def date_key(r: Resource) -> int:
    """The sort value of a resource's date, with a stable tie-breaker from its id."""
    slot = int(hashlib.blake2b(r.id.encode("utf-8"), digest_size=4).hexdigest(), 16) % TIE_SLOTS
    d = r.date
    return (int(d.timestamp()) * TIE_SLOTS if d else NO_DATE) + slot
