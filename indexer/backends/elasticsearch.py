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

import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from ..analysis import Clause, UserQuery, parse_user_query
from ..query import FACETS, FacetValue, Hit, SearchQuery, SearchResults, Snippet
from ..resource import Resource
from .base import (
    BackendUnavailable,
    IndexingError,
    SearchBackend,
    facet_values,
    result_view,
)

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1  # stored in the mapping's _meta; bump when index_body() changes
DEFAULT_INDEX = "ccp-resources"

# ISO 639-1 code -> Elasticsearch's built-in language analyzer, for the EU/EEA and regional
# languages it has one for. Polish, Slovak, Slovenian, Croatian, Maltese and Icelandic have none
# built in (Polish needs the analysis-stempel plugin): their text goes to the "other" slot.
LANGUAGE_ANALYZERS: dict[str, str] = {
    "bg": "bulgarian",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "gl": "galician",
    "hu": "hungarian",
    "it": "italian",
    "lt": "lithuanian",
    "lv": "latvian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}
LANGUAGE_ALIASES: dict[str, str] = {"nb": "no", "nn": "no"}
OTHER_SLOT = "other"

FOLD_ANALYZER = "ccp_fold"
# Words are runs of letters and digits, exactly like indexer.analysis.words (the query side).
WORD_SPLIT_PATTERN = r"[^\p{L}\p{N}]+"

TITLE_BOOST = 3.0
SNIPPET_CHARS = 240
HIGHLIGHT_MAX_CHARS = 20_000  # highlighting analyses at most this much of a document's text
HIGHLIGHT_FRAGMENTS = 3  # best passages asked for; the first one not from the title is shown
LEAD_CHARS = 600  # the stored start of the body, for snippets of hits without a match in it
KEYWORD_MAX_CHARS = 512  # longer facet values are stored but not indexed (ignore_above)

MAX_RESULT_WINDOW = 10_000  # from + size beyond this is paged with search_after
MAX_QUERY_CLAUSES = 20  # words/phrases searched per query (each expands into SEARCH_FIELDS)
PIT_KEEP_ALIVE = "2m"

BULK_CHUNK_DOCS = 500
BULK_CHUNK_BYTES = 8_000_000

# Highlight markers: private-use characters that are removed from indexed text, so every marker
# in a fragment is one Elasticsearch put there.
PRE_TAG = "\ue000"
POST_TAG = "\ue001"
_MARKERS = {ord(PRE_TAG): None, ord(POST_TAG): None}

# simple_query_string operators the compiled syntax uses; PREFIX, FUZZY, NEAR, SLOP and ESCAPE
# stay off so no user input can turn into an expensive or invalid query.
QUERY_FLAGS = "OR|NOT|PHRASE|PRECEDENCE|WHITESPACE"

_INDEX_NAME_BAD = re.compile(r'[\\/*?"<>| ,#:A-Z]')
_TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S-%f"


# -- the index --------------------------------------------------------------------------------


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
    return (text or "").translate(_MARKERS)


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


# -- queries ----------------------------------------------------------------------------------


def _clause_syntax(clause: Clause) -> str:
    # Clause words are runs of letters and digits: no character in them is an operator.
    return f'"{clause.text}"' if clause.is_phrase else clause.text


def limit_clauses(parsed: UserQuery, max_clauses: int) -> UserQuery:
    """The first ``max_clauses`` words/phrases of a query (groups first, then exclusions)."""
    budget = max(1, max_clauses)
    groups: list[list[Clause]] = []
    for group in parsed.groups:
        if budget <= 0:
            break
        kept = group[:budget]
        budget -= len(kept)
        groups.append(kept)
    excluded = parsed.excluded[: max(0, budget)]
    return UserQuery(groups=groups, excluded=excluded)


def _simple_query(syntax: str) -> dict[str, Any]:
    return {
        "simple_query_string": {
            "query": syntax,
            "fields": search_fields(),
            "default_operator": "and",
            "flags": QUERY_FLAGS,
            "lenient": True,
            "analyze_wildcard": False,
            "auto_generate_synonyms_phrase_query": False,
        }
    }


def positive_query(parsed: UserQuery) -> dict[str, Any] | None:
    """Every group must match: ``(a | "b c") d`` — None when the query has no positive words."""
    if not parsed.groups:
        return None
    parts = []
    for group in parsed.groups:
        alternatives = [_clause_syntax(c) for c in group]
        parts.append(alternatives[0] if len(alternatives) == 1
                     else "(" + " | ".join(alternatives) + ")")
    return _simple_query(" ".join(parts))


def excluded_query(parsed: UserQuery) -> dict[str, Any] | None:
    """Matches a document containing any excluded word or phrase (used under ``must_not``)."""
    if not parsed.excluded:
        return None
    return _simple_query(" | ".join(_clause_syntax(c) for c in parsed.excluded))


def _terms(facet: str, values: list[str]) -> dict[str, Any]:
    return {"terms": {facet: list(values)}}


def _filters_except(query: SearchQuery, facet: str | None) -> list[dict[str, Any]]:
    return [_terms(f, vals) for f, vals in query.filters.items() if f != facet]


def _main_query(query: SearchQuery, parsed: UserQuery) -> dict[str, Any]:
    """The text query and the gone-filter: what hits and facet counts are computed from."""
    clauses: dict[str, list[dict[str, Any]]] = {}
    positive = positive_query(parsed)
    if positive is not None:
        clauses["must"] = [positive]
    excluded = excluded_query(parsed)
    if excluded is not None:
        clauses["must_not"] = [excluded]
    if not query.include_gone:
        clauses["filter"] = [{"term": {"live": True}}]
    return {"bool": clauses} if clauses else {"match_all": {}}


def _sort(by_date: bool) -> list[dict[str, Any]]:
    date = {"date": {"order": "desc", "missing": "_last"}}
    tie = {"id": {"order": "asc"}}
    return [date, tie] if by_date else [{"_score": {"order": "desc"}}, date, tie]


def _sorted_by_date(query: SearchQuery, parsed: UserQuery) -> bool:
    return query.effective_sort == "date" or not parsed.groups


def _post_filter(query: SearchQuery) -> dict[str, Any] | None:
    filters = _filters_except(query, None)
    return {"bool": {"filter": filters}} if filters else None


def _aggregations(query: SearchQuery) -> dict[str, Any]:
    """One ``filter`` aggregation per facet with every *other* facet's filter (disjunctive)."""
    size = max(1, query.facet_size)
    aggs = {}
    for facet in FACETS:
        others = _filters_except(query, facet)
        aggs[facet] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {
                "values": {
                    "terms": {
                        "field": facet,
                        "size": size,
                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                    }
                }
            },
        }
    return aggs


def _highlight(parsed: UserQuery) -> dict[str, Any] | None:
    positive = positive_query(parsed)
    if positive is None:
        return None
    return {
        "type": "unified",
        "pre_tags": [PRE_TAG],
        "post_tags": [POST_TAG],
        "encoder": "default",
        "require_field_match": False,
        # The best passages first; the title (the text's last part) may be one of them.
        "order": "score",
        "number_of_fragments": HIGHLIGHT_FRAGMENTS,
        "fragment_size": SNIPPET_CHARS,
        "max_analyzed_offset": HIGHLIGHT_MAX_CHARS,
        "highlight_query": positive,
        "fields": {f"text.{slot}": {} for slot in text_slots()},
    }


def compile_query(
    query: SearchQuery,
    *,
    search_after: Sequence[Any] | None = None,
    max_clauses: int = MAX_QUERY_CLAUSES,
) -> dict[str, Any]:
    """The search body answering ``query`` (pure: no I/O).

    Hits are ``query.per_page`` documents from ``query.offset`` (``from``), or after the sort
    values ``search_after`` when given (deep pages; see :func:`compile_cursor_query`).
    """
    parsed = limit_clauses(parse_user_query(query.text), max_clauses) if query.text else UserQuery()
    body: dict[str, Any] = {
        "query": _main_query(query, parsed),
        "size": query.per_page,
        "sort": _sort(_sorted_by_date(query, parsed)),
        "track_total_hits": True,
        "_source": {"includes": ["view", "lead"]},
        "aggs": _aggregations(query),
    }
    if search_after is None:
        body["from"] = query.offset
    else:
        body["search_after"] = list(search_after)
    post_filter = _post_filter(query)
    if post_filter is not None:
        body["post_filter"] = post_filter
    highlight = _highlight(parsed)
    if highlight is not None:
        body["highlight"] = highlight
    return body


def compile_cursor_query(
    query: SearchQuery,
    *,
    size: int,
    search_after: Sequence[Any] | None = None,
    max_clauses: int = MAX_QUERY_CLAUSES,
) -> dict[str, Any]:
    """A sort-values-only request over the same hits as :func:`compile_query`, used to walk to
    a deep page: the last hit's ``sort`` is the ``search_after`` of the next request."""
    parsed = limit_clauses(parse_user_query(query.text), max_clauses) if query.text else UserQuery()
    body: dict[str, Any] = {
        "query": _main_query(query, parsed),
        "size": size,
        "sort": _sort(_sorted_by_date(query, parsed)),
        "track_total_hits": False,
        "_source": False,
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    post_filter = _post_filter(query)
    if post_filter is not None:
        body["post_filter"] = post_filter
    return body


# -- snippets ---------------------------------------------------------------------------------


def snippet_from_fragment(fragment: str) -> Snippet:
    """A highlighted fragment from Elasticsearch (matches between :data:`PRE_TAG` and
    :data:`POST_TAG`) as plain text with highlight ranges; whitespace runs become one space.

    The text is taken as it is — it is never HTML: :meth:`Snippet.to_html` escapes it.
    """
    out: list[str] = []
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    length = 0
    pending_space = False
    for ch in fragment:
        if ch == PRE_TAG:
            if start is None:
                if pending_space and length:
                    out.append(" ")
                    length += 1
                pending_space = False
                start = length
            continue
        if ch == POST_TAG:
            if start is not None:
                if length > start:
                    ranges.append((start, length))
                start = None
            continue
        if ch.isspace():
            pending_space = True
            continue
        if pending_space and length:
            out.append(" ")
            length += 1
        pending_space = False
        out.append(ch)
        length += 1
    if start is not None and length > start:
        ranges.append((start, length))
    merged: list[tuple[int, int]] = []
    for s, e in ranges:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return Snippet(text="".join(out), highlights=merged)


def _leading_snippet(text: str) -> Snippet:
    """The start of a text, cut at a word boundary, without highlights."""
    text = " ".join((text or "").split())
    if len(text) <= SNIPPET_CHARS:
        return Snippet(text=text)
    cut = text.rfind(" ", 0, SNIPPET_CHARS + 1)
    return Snippet(text=text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS])


def _hit_snippet(raw: dict[str, Any], view: dict[str, Any], lead: str) -> Snippet:
    """The best highlighted passage of the summary or body; else the start of the summary (or
    of the body), like the embedded engine."""
    title = " ".join((view.get("title") or "").split())
    for fragments in (raw.get("highlight") or {}).values():
        for fragment in fragments or ():
            snippet = snippet_from_fragment(fragment)
            # The title is the last part of the text array: a passage from it repeats the title.
            if snippet.highlights and not (title and snippet.text in title):
                return snippet
    return _leading_snippet(view.get("summary") or lead)


# -- errors -----------------------------------------------------------------------------------


def _error_text(e: Exception) -> str:
    if isinstance(e, ApiError):
        info = e.info if isinstance(e.info, dict) else {}
        err = info.get("error") if isinstance(info.get("error"), dict) else {}
        kind = err.get("type") or e.message
        reason = err.get("reason") or ""
        return f"HTTP {e.status_code} {kind}{': ' + str(reason) if reason else ''}"
    return str(e) or type(e).__name__


def _is_version_mismatch(e: ApiError) -> bool:
    return "media_type_header_exception" in str(e) or "compatible-with" in str(e.info)


def _is_too_many_clauses(e: ApiError) -> bool:
    text = str(e.info) + str(e)
    return "too_many" in text or "maxClauseCount" in text


def _redact(url: str) -> str:
    """A URL without its user info (credentials never go into messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def validate_index_name(name: str) -> str:
    """``name`` when it is a valid Elasticsearch index/alias name (lower case, no separators)."""
    if (
        not name
        or name in (".", "..")
        or name[0] in "-_+."
        or _INDEX_NAME_BAD.search(name)
        or len(name.encode("utf-8")) > 200
    ):
        raise ValueError(
            f"invalid Elasticsearch index name {name!r}: use lower-case letters, digits, '-' "
            "and '_', not starting with '-', '_', '+' or '.'"
        )
    return name


@dataclass
class _Action:
    op: str  # index | delete
    id: str
    source: dict[str, Any] | None
    size: int

    def as_bulk(self, index: str) -> dict[str, Any]:
        action: dict[str, Any] = {"_op_type": self.op, "_index": index, "_id": self.id}
        if self.source is not None:
            action["_source"] = self.source
        return action


def _chunks(actions: Iterable[_Action], max_docs: int, max_bytes: int) -> Iterator[list[_Action]]:
    chunk: list[_Action] = []
    size = 0
    for action in actions:
        if chunk and (len(chunk) >= max_docs or size + action.size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(action)
        size += action.size
    if chunk:
        yield chunk


def _upsert(r: Resource) -> _Action:
    source = document(r)
    size = 1024 + 2 * (len(r.title or "") + len(r.summary or "") + len(r.body or ""))
    return _Action("index", r.id, source, size)


# -- the backend ------------------------------------------------------------------------------


class ElasticsearchBackend(SearchBackend):
    """Elasticsearch behind the alias ``index``; one writer at a time (the outbox drain)."""

    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        index: str = DEFAULT_INDEX,
        *,
        where: str = "Elasticsearch",
        owns_client: bool = False,
        chunk_docs: int = BULK_CHUNK_DOCS,
        chunk_bytes: int = BULK_CHUNK_BYTES,
        bulk_retries: int = 3,
        bulk_backoff: float = 1.0,
        result_window: int = MAX_RESULT_WINDOW,
    ) -> None:
        self.es = client
        self.index = validate_index_name(index)
        self.where = where
        self._owns_client = owns_client
        self.chunk_docs = chunk_docs
        self.chunk_bytes = chunk_bytes
        self.bulk_retries = bulk_retries
        self.bulk_backoff = bulk_backoff
        # Pages ending beyond this many hits are reached with search_after (at most the
        # index's max_result_window).
        self.result_window = max(1, min(result_window, MAX_RESULT_WINDOW))
        self._index_re = re.compile(re.escape(self.index) + r"-\d{8}-\d{6}-\d{6}")

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        urls: str | Sequence[str],
        index: str = DEFAULT_INDEX,
        *,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        ca_certs: str | None = None,
        request_timeout: float = 30.0,
        max_retries: int = 2,
        **options: Any,
    ) -> "ElasticsearchBackend":
        """A backend with its own client for ``urls`` (one URL, or several comma-separated)."""
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        hosts = [u for u in urls if u]
        if not hosts:
            raise ValueError("no Elasticsearch URL given")
        if (username is None) != (password is None):
            raise ValueError("Elasticsearch basic auth needs both a username and a password")
        kwargs: dict[str, Any] = {
            "request_timeout": request_timeout,
            "max_retries": max_retries,
            "retry_on_timeout": True,
        }
        if api_key:
            kwargs["api_key"] = api_key
        if username is not None:
            kwargs["basic_auth"] = (username, password)
        if ca_certs:
            kwargs["ca_certs"] = str(ca_certs)
        client = Elasticsearch(hosts, **kwargs)
        where = "Elasticsearch at " + ", ".join(_redact(h) for h in hosts)
        return cls(client, index, where=where, owns_client=True, **options)

    @classmethod
    def from_settings(cls, settings: "Settings") -> "ElasticsearchBackend":
        """The backend the portal settings describe (``CCP_ELASTICSEARCH_*``)."""
        from . import BackendConfigError

        if not settings.elasticsearch_url:
            raise BackendConfigError(
                "the elasticsearch search backend needs CCP_ELASTICSEARCH_URL "
                "(one or more comma-separated URLs)"
            )
        try:
            return cls.connect(
                settings.elasticsearch_url,
                settings.elasticsearch_index or DEFAULT_INDEX,
                api_key=settings.elasticsearch_api_key,
                username=settings.elasticsearch_username,
                password=settings.elasticsearch_password,
                ca_certs=(str(settings.elasticsearch_ca_certs)
                          if settings.elasticsearch_ca_certs else None),
            )
        except ValueError as e:
            raise BackendConfigError(f"elasticsearch search backend: {e}") from e

    def close(self) -> None:
        if self._owns_client:
            self.es.close()

    # -- errors -----------------------------------------------------------------------------
    @contextmanager
    def _engine(self, doing: str) -> Iterator[None]:
        """Turn "the engine cannot answer now" into :class:`BackendUnavailable`."""
        try:
            yield
        except BackendUnavailable:
            raise
        except TransportError as e:  # connection refused, timeout, TLS
            raise BackendUnavailable(f"{self.where} cannot be reached while {doing}: {e}") from e
        except ApiError as e:
            status = e.status_code
            if _is_version_mismatch(e):
                raise BackendUnavailable(
                    f"{self.where} refused the client's API version while {doing} "
                    f"({_error_text(e)}); install the elasticsearch client with the server's "
                    "major version"
                ) from e
            if status in (401, 403):
                raise BackendUnavailable(
                    f"{self.where} refused the credentials while {doing} ({_error_text(e)}); "
                    "check CCP_ELASTICSEARCH_API_KEY or CCP_ELASTICSEARCH_USERNAME/_PASSWORD"
                ) from e
            if status == 429 or (isinstance(status, int) and status >= 500):
                raise BackendUnavailable(
                    f"{self.where} failed while {doing}: {_error_text(e)}"
                ) from e
            raise

    # -- indices and the alias --------------------------------------------------------------
    def _new_index_name(self) -> str:
        return f"{self.index}-{datetime.now(timezone.utc).strftime(_TIMESTAMP_FORMAT)}"

    def _create_index(self, name: str, *, building: bool) -> None:
        body = index_body(building=building)
        self.es.indices.create(index=name, settings=body["settings"], mappings=body["mappings"])

    def _alias_targets(self) -> list[str]:
        """The indices the alias points at ([] when it does not exist)."""
        try:
            return sorted(self.es.indices.get_alias(name=self.index).body)
        except NotFoundError:
            return []

    def _check_no_index_named_like_alias(self) -> None:
        if self.es.indices.exists(index=self.index) and not self.es.indices.exists_alias(
            name=self.index
        ):
            raise BackendUnavailable(
                f"{self.where}: an index named {self.index!r} exists where the portal's alias "
                "should be; delete or rename it, or choose another CCP_ELASTICSEARCH_INDEX"
            )

    def _ensure_index(self) -> None:
        """Create the first index behind the alias when there is none yet."""
        if self.es.indices.exists_alias(name=self.index):
            return
        self._check_no_index_named_like_alias()
        name = self._new_index_name()
        self._create_index(name, building=False)
        try:
            self.es.indices.update_aliases(
                actions=[{"add": {"index": name, "alias": self.index}}]
            )
        except BaseException:
            self._delete_quietly(name)
            raise
        log.info("created Elasticsearch index %s behind alias %s", name, self.index)

    def _delete_quietly(self, name: str) -> None:
        try:
            self.es.indices.delete(index=name)
        except (ApiError, TransportError) as e:
            log.warning("could not delete Elasticsearch index %s: %s", name, _error_text(e))

    def _own_indices(self) -> list[str]:
        """Indices this backend built (``<index>-<timestamp>``), live or not."""
        try:
            names = self.es.indices.get(
                index=f"{self.index}-*", expand_wildcards="open,closed"
            ).body
        except NotFoundError:
            return []
        return sorted(n for n in names if self._index_re.fullmatch(n))

    # -- writing ----------------------------------------------------------------------------
    def _bulk(self, index: str, actions: Iterable[_Action]) -> int:
        """Send ``actions`` in bounded chunks; retry failed documents one by one; raise for the
        rest. Returns the number of documents written (deletes of missing ids count as done)."""
        failures: list[tuple[str, int, str]] = []
        done = 0
        for chunk in _chunks(actions, self.chunk_docs, self.chunk_bytes):
            failed: list[tuple[str, str]] = []  # (op, id)
            results = helpers.streaming_bulk(
                self.es,
                (a.as_bulk(index) for a in chunk),
                chunk_size=len(chunk),
                max_chunk_bytes=max(self.chunk_bytes * 4, 10_000_000),
                raise_on_error=False,
                raise_on_exception=True,
                max_retries=self.bulk_retries,
                initial_backoff=self.bulk_backoff,
                max_backoff=30,
            )
            for ok, item in results:
                op, info = next(iter(item.items()))
                if ok or (op == "delete" and info.get("status") == 404):
                    done += 1
                else:
                    failed.append((op, str(info.get("_id"))))
            if failed:
                latest = {(a.op, a.id): a for a in chunk}
                for op, doc_id in failed:
                    error = self._retry_one(index, latest[(op, doc_id)])
                    if error is None:
                        done += 1
                    else:
                        failures.append(error)
        if failures:
            self._raise_failures(failures, done)
        return done

    def _retry_one(self, index: str, action: _Action) -> tuple[str, int, str] | None:
        """Write one document again; None when it worked, else (id, status, reason)."""
        try:
            if action.op == "delete":
                try:
                    self.es.delete(index=index, id=action.id)
                except NotFoundError:
                    pass
            else:
                self.es.index(index=index, id=action.id, document=action.source)
        except ApiError as e:
            return (action.id, e.status_code if isinstance(e.status_code, int) else 0,
                    _error_text(e))
        log.info("Elasticsearch accepted %s of %s on retry", action.op, action.id)
        return None

    def _raise_failures(self, failures: list[tuple[str, int, str]], done: int) -> None:
        shown = "; ".join(f"{i}: {reason}" for i, _, reason in failures[:5])
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        message = (
            f"{self.where} rejected {len(failures)} document(s) after a retry "
            f"({done} written): {shown}{more}"
        )
        log.error(message)
        if any(status == 429 or status >= 500 for _, status, _ in failures):
            raise BackendUnavailable(message)
        raise IndexingError(message, failures)

    def apply(self, upserts: Iterable[Resource], deletes: Iterable[str] = ()) -> None:
        """Write one batch (deletes first, then upserts) and refresh once, so searches see all
        of it after this returns. Re-indexing a resource replaces it (``_id`` = resource id)."""

        def actions() -> Iterator[_Action]:
            for doc_id in deletes:
                yield _Action("delete", str(doc_id), None, 100)
            for r in upserts:
                yield _upsert(r)

        with self._engine("indexing"):
            self._ensure_index()
            self._bulk(self.index, actions())
            self.es.indices.refresh(index=self.index)

    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Fill a new index ``<index>-<UTC timestamp>`` and swap the alias to it in one atomic
        ``update_aliases`` call once it is complete and counted; then delete the old indices.
        On any failure the new index is deleted and the live one is untouched."""
        with self._engine("rebuilding the index"):
            self._check_no_index_named_like_alias()
            name = self._new_index_name()
            self._create_index(name, building=True)
            try:
                seen: set[str] = set()

                def actions() -> Iterator[_Action]:
                    for r in resources:
                        seen.add(r.id)
                        yield _upsert(r)

                self._bulk(name, actions())
                self.es.indices.put_settings(index=name, settings=LIVE_SETTINGS)
                self.es.indices.refresh(index=name)
                indexed = int(self.es.count(index=name)["count"])
                if indexed != len(seen):
                    raise IndexingError(
                        f"{self.where}: the new index {name} holds {indexed} documents, "
                        f"expected {len(seen)}; the live index is unchanged",
                        [],
                    )
                old = self._alias_targets()
                self.es.indices.update_aliases(
                    actions=[{"remove": {"index": o, "alias": self.index}} for o in old]
                    + [{"add": {"index": name, "alias": self.index}}]
                )
            except BaseException:
                self._delete_quietly(name)
                raise
            for stale in self._own_indices():
                if stale != name:
                    self._delete_quietly(stale)
        log.info("rebuilt Elasticsearch index %s (%d documents) behind alias %s",
                 name, len(seen), self.index)
        return len(seen)

    def delete_indices(self) -> list[str]:
        """Delete every index this backend built (``<index>-<timestamp>``) and so its alias."""
        with self._engine("deleting indices"):
            names = self._own_indices()
            for name in names:
                try:
                    self.es.indices.delete(index=name)
                except NotFoundError:
                    pass
        return names

    # -- reading ----------------------------------------------------------------------------
    def count(self) -> int:
        with self._engine("counting documents"):
            try:
                return int(self.es.count(index=self.index)["count"])
            except NotFoundError:
                return 0

    def ids(self) -> set[str]:
        out: set[str] = set()
        after: list[Any] | None = None
        with self._engine("listing ids"):
            while True:
                body: dict[str, Any] = {
                    "query": {"match_all": {}},
                    "size": MAX_RESULT_WINDOW,
                    "sort": [{"id": {"order": "asc"}}],
                    "_source": False,
                    "track_total_hits": False,
                }
                if after is not None:
                    body["search_after"] = after
                try:
                    hits = self.es.search(index=self.index, body=body)["hits"]["hits"]
                except NotFoundError:
                    return out
                out.update(h["_id"] for h in hits)
                if len(hits) < MAX_RESULT_WINDOW:
                    return out
                after = hits[-1]["sort"]

    def health(self) -> tuple[bool, str]:
        try:
            with self._engine("checking health"):
                info = self.es.info()
                cluster = self.es.cluster.health()
                status = cluster.get("status", "unknown")
                version = info.get("version", {}).get("number", "?")
                targets = self._alias_targets()
                where = f"{self.where} ({version}), cluster {cluster.get('cluster_name')} {status}"
                if not targets:
                    return False, (f"{where}: no index behind alias {self.index!r} yet "
                                   "(the first indexing run or a rebuild creates it)")
                n = self.count()
                schema = (
                    self.es.indices.get_mapping(index=self.index).body.get(targets[0], {})
                    .get("mappings", {}).get("_meta", {}).get("ccp_schema")
                )
        except BackendUnavailable as e:
            return False, str(e)
        except ApiError as e:
            return False, f"{self.where}: {_error_text(e)}"
        message = f"{where}; alias {self.index} -> {', '.join(targets)}: {n} documents"
        if schema != SCHEMA_VERSION:
            return False, (f"{message}; built with schema version {schema}, this version needs "
                           f"{SCHEMA_VERSION}: rebuild the index")
        return status in ("green", "yellow"), message

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        max_clauses = MAX_QUERY_CLAUSES
        with self._engine("searching"):
            while True:
                try:
                    resp = self._search(query, max_clauses)
                    break
                except NotFoundError:
                    resp = None
                    break
                except ApiError as e:
                    # Words that analyse into many tokens can still exceed the cluster's clause
                    # limit: search with fewer of them rather than fail.
                    if e.status_code == 400 and _is_too_many_clauses(e) and max_clauses > 1:
                        max_clauses //= 2
                        log.warning("query too large for Elasticsearch, retrying with its "
                                    "first %d words: %r", max_clauses, query.text)
                        continue
                    raise BackendUnavailable(
                        f"{self.where} could not answer the query: {_error_text(e)}"
                    ) from e
        if resp is None:
            return SearchResults(
                total=0, hits=[], facets={f: [] for f in FACETS}, query=query,
                took_ms=(time.perf_counter() - started) * 1000,
            )
        return SearchResults(
            total=int(resp["hits"]["total"]["value"]),
            hits=self._hits(resp["hits"]["hits"], by_date=_sorted_by_date(
                query, parse_user_query(query.text) if query.text else UserQuery())),
            facets=_facets(resp.get("aggregations") or {}, query.facet_size),
            query=query,
            took_ms=(time.perf_counter() - started) * 1000,
        )

    def _search(self, query: SearchQuery, max_clauses: int) -> dict[str, Any]:
        if query.offset + query.per_page <= self.result_window:
            body = compile_query(query, max_clauses=max_clauses)
            return self.es.search(index=self.index, body=body).body
        return self._deep_search(query, max_clauses)

    def _deep_search(self, query: SearchQuery, max_clauses: int) -> dict[str, Any]:
        """A page beyond the result window: walk to it with search_after in a point in time."""
        pit_id = self.es.open_point_in_time(index=self.index, keep_alive=PIT_KEEP_ALIVE)["id"]
        try:
            cursor: list[Any] | None = None
            remaining = query.offset
            while remaining > 0:
                size = min(remaining, self.result_window)
                body = compile_cursor_query(query, size=size, search_after=cursor,
                                            max_clauses=max_clauses)
                body["pit"] = {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}
                resp = self.es.search(body=body).body
                pit_id = resp.get("pit_id", pit_id)
                hits = resp["hits"]["hits"]
                if hits:
                    cursor = hits[-1]["sort"]
                    remaining -= len(hits)
                if len(hits) < size:
                    break
            body = compile_query(query, search_after=cursor, max_clauses=max_clauses)
            if cursor is None:
                del body["search_after"]
            if remaining > 0:  # the page is past the last hit: totals and facets only
                body["size"] = 0
            body["pit"] = {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}
            return self.es.search(body=body).body
        finally:
            try:
                self.es.close_point_in_time(id=pit_id)
            except (ApiError, TransportError) as e:
                log.warning("could not close an Elasticsearch point in time: %s", _error_text(e))

    def _hits(self, raw_hits: list[dict[str, Any]], *, by_date: bool) -> list[Hit]:
        hits = []
        for raw in raw_hits:
            source = raw.get("_source") or {}
            view = source.get("view") or {"id": raw["_id"]}
            score = raw.get("_score")
            hits.append(
                Hit(
                    id=view.get("id", raw["_id"]),
                    score=None if by_date or score is None else float(score),
                    doc=view,
                    snippet=_hit_snippet(raw, view, source.get("lead") or ""),
                )
            )
        return hits


def _facets(aggregations: dict[str, Any], size: int) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    for facet in FACETS:
        buckets = aggregations.get(facet, {}).get("values", {}).get("buckets", [])
        counted = sorted(
            ((str(b["key"]), int(b["doc_count"])) for b in buckets if b.get("doc_count")),
            key=lambda vc: (-vc[1], vc[0]),
        )
        out[facet] = [FacetValue(v, c) for v, c in counted[: max(0, size)]]
    return out


__all__ = [
    "DEFAULT_INDEX",
    "ElasticsearchBackend",
    "IndexingError",
    "LANGUAGE_ANALYZERS",
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
