"""The Elasticsearch search backend: the scale-out engine (Elasticsearch 8.x and 9.x servers).

Use the client whose major version matches the server (``elasticsearch>=8.13,<9`` for 8.x
servers, ``>=9,<10`` for 9.x): a client asks for its own major version's REST compatibility,
which an older server refuses.

Index layout (see :func:`index_body`)
-------------------------------------
One index per build, named ``<index>-<UTC timestamp>``, behind the alias ``<index>`` that every
read and write goes through. :meth:`ElasticsearchBackend.rebuild` fills a new index and swaps the
alias in one ``update_aliases`` call only when the new index is complete; the first
:meth:`~ElasticsearchBackend.apply` creates the first index when the alias does not exist yet.

A document's searchable text sits in exactly one *language slot*: ``text.<code>`` for the
languages Elasticsearch has a built-in analyzer for (:data:`LANGUAGE_ANALYZERS`), ``text.other``
for every other language. Each language field has a ``folded`` multi-field (lower-cased,
ASCII-folded words, like the embedded engine's ``text`` field), so "economie" finds "économie"
and words of any language match exactly, while the language field stems ("fietsen" finds
"fiets" in Dutch documents). The text is stored once, in the slot, as an array
``[summary, body, title]`` (the position gap between values keeps phrases inside one part); the
title is also indexed alone, folded, in ``title`` and boosted. Facets are ``keyword`` fields
named like :data:`indexer.query.FACETS`; the result list's data is the stored, unindexed ``view``
object (:func:`indexer.backends.base.result_view`).

Refresh: indices run with ``refresh_interval: -1`` and every :meth:`apply` / :meth:`rebuild` ends
with one explicit refresh, so searches see whole batches (on one shard, the default, a batch
becomes visible at once; Elasticsearch has no atomic visibility across shards).

Queries
-------
:func:`compile_query` is a pure function from :class:`~indexer.query.SearchQuery` to a search
body. The search box is parsed by :func:`indexer.analysis.parse_user_query` (the same parser the
embedded engine uses, so a query means the same thing on both engines) and re-written in
``simple_query_string`` syntax that holds nothing but words, quotes, ``|`` and parentheses, with
every operator flag the portal does not use switched off: malformed input never reaches
Elasticsearch as syntax. Pages beyond ``from + size = 10,000`` (the default
``index.max_result_window``) are reached with ``search_after``: the backend opens a point in
time, walks to the page with sort-only requests of up to 10,000 hits (:func:`compile_cursor_query`)
and asks for the page after the last sort value it saw.
"""

from __future__ import annotations

from ..base import IndexingError
from .backend import ElasticsearchBackend
from .constants import (
    DEFAULT_INDEX,
    LANGUAGE_ANALYZERS,
    MAX_QUERY_CLAUSES,
    POST_TAG,
    PRE_TAG,
    SCHEMA_VERSION,
)
from .mapping import (
    LIVE_SETTINGS,
    document,
    index_body,
    index_mappings,
    index_settings,
    language_slot,
    search_fields,
)
from .queries import compile_cursor_query, compile_query
from .results import snippet_from_fragment

__all__ = [
    "DEFAULT_INDEX",
    "ElasticsearchBackend",
    "IndexingError",
    "LANGUAGE_ANALYZERS",
    "LIVE_SETTINGS",
    "MAX_QUERY_CLAUSES",
    "POST_TAG",
    "PRE_TAG",
    "SCHEMA_VERSION",
    "compile_cursor_query",
    "compile_query",
    "document",
    "index_body",
    "index_mappings",
    "index_settings",
    "language_slot",
    "search_fields",
    "snippet_from_fragment",
]
