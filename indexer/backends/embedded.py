"""The embedded search engine (the default backend): tantivy in one data directory.

Layout of ``index_dir``::

    CURRENT          JSON {"generation": "gen-…", "schema": N}: the live index (os.replace'd)
    write.lock       every write (apply, rebuild) holds an exclusive flock on it
    gen-<id>/        a complete tantivy index; only the one CURRENT names is live

Writers: one at a time, across processes. :meth:`EmbeddedBackend.apply` takes the lock, deletes
by id, adds, and commits once, so readers see whole batches only. :meth:`rebuild` builds a new
generation next to the live one and swaps ``CURRENT`` with :func:`os.replace` only when it is
complete; on failure the half-built directory is removed and the live index is untouched.

Readers (any number, in any process) never take the lock. Before each search they ``stat``
``CURRENT`` and the live generation's ``meta.json`` (a few microseconds) and reload only when one
changed, so a search always sees the last committed batch and follows a rebuild at once.

Analysis: a document's title, summary and body go into ``text`` (lower-cased, ASCII-folded) and,
when its language has a Snowball stemmer, into ``text_<lang>`` (folded, then stemmed). Queries run
against ``title`` (boosted), ``text`` and every ``text_<lang>``: a Dutch "fietsen" finds "fiets"
in Dutch documents, "economie" finds "économie". Snippets are cut from the stored body (or the
summary when there is no body) by :class:`indexer.analysis.Highlighter`, which matches words the
way the index does (folded, stemmed in the document's language).

Facets: each facet has an indexed field for filtering (one term per value) and a fast field
``<facet>_set`` holding the document's sorted values joined in one string. Counting runs a terms
aggregation on that single-valued column (tantivy counts multi-valued columns ~15x slower) and
adds each combination's count to its members: exact, and cheap because combinations are few.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from ..analysis import (
    FOLD_ANALYZER,
    STEMMERS,
    Highlighter,
    UserQuery,
    analyzer_name,
    parse_user_query,
    register_analyzers,
    stem_language,
)
from ..query import FACETS, FacetValue, Hit, SearchQuery, SearchResults, Snippet
from ..resource import Resource
from .base import BackendUnavailable, SearchBackend, facet_values, result_view

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

_Occur = tantivy.Occur


def _stem_langs() -> list[str]:
    return sorted(STEMMERS)


def build_schema() -> tantivy.Schema:
    """The schema of an embedded index (bump :data:`SCHEMA_VERSION` when it changes)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", stored=True, tokenizer_name=FOLD_ANALYZER)
    sb.add_text_field("text", tokenizer_name=FOLD_ANALYZER)
    for lang in _stem_langs():
        sb.add_text_field(f"text_{lang}", tokenizer_name=analyzer_name(lang))
    for facet in FACETS:
        sb.add_text_field(facet, tokenizer_name="raw", index_option="basic")
        sb.add_text_field(f"{facet}_set", fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("date", fast=True)
    sb.add_text_field("live", tokenizer_name="raw", index_option="basic")
    sb.add_bytes_field("doc", stored=True)  # JSON of base.result_view(resource)
    sb.add_bytes_field("body", stored=True)  # UTF-8 text snippets are cut from
    return sb.build()


def _stat_signature(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


class _FacetCache:
    """Facet counts of recent queries against one searcher (pages 2, 3... and the landing page
    reuse them). Thread-safe, least recently used entries go first."""

    def __init__(self, size: int = FACET_CACHE_ENTRIES) -> None:
        self.size = size
        self._data: OrderedDict[Any, dict[str, list[FacetValue]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> dict[str, list[FacetValue]] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: dict[str, list[FacetValue]]) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)


@dataclass
class _Generation:
    """An open, readable generation of the index."""

    name: str
    path: Path
    index: tantivy.Index
    meta_signature: tuple[int, int, int, int] | None
    # The searcher and the facet cache that belongs to it, swapped together on reload.
    view: tuple[tantivy.Searcher, _FacetCache] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.view is None:
            self.reload_view()

    def reload_view(self) -> None:
        self.view = (self.index.searcher(), _FacetCache())

    @property
    def searcher(self) -> tantivy.Searcher:
        return self.view[0]


def date_key(r: Resource) -> int:
    """The sort value of a resource's date, with a stable tie-breaker from its id."""
    slot = int(hashlib.blake2b(r.id.encode("utf-8"), digest_size=4).hexdigest(), 16) % TIE_SLOTS
    d = r.date
    return (int(d.timestamp()) * TIE_SLOTS if d else NO_DATE) + slot


class EmbeddedBackend(SearchBackend):
    """tantivy in ``index_dir``: one writer at a time (file lock), any number of readers."""

    name = "embedded"

    def __init__(
        self,
        index_dir: Path | str,
        *,
        writer_heap_bytes: int = WRITER_HEAP_BYTES,
        rebuild_heap_bytes: int = REBUILD_HEAP_BYTES,
        rebuild_threads: int | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.writer_heap_bytes = writer_heap_bytes
        self.rebuild_heap_bytes = rebuild_heap_bytes
        self.rebuild_threads = rebuild_threads or max(1, min(4, os.cpu_count() or 1))
        self._schema = build_schema()
        self._default_fields = ["title", "text"] + [f"text_{lang}" for lang in _stem_langs()]
        self._boosts = {"title": TITLE_BOOST}
        self._gone_query = tantivy.Query.term_query(self._schema, "live", "no")
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._gen: _Generation | None = None
        self._current_signature: tuple[int, int, int, int] | None = None

    # -- paths and the CURRENT pointer ------------------------------------------------------
    @property
    def _current_path(self) -> Path:
        return self.index_dir / CURRENT_FILE

    def _read_current(self) -> dict[str, Any] | None:
        try:
            raw = self._current_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            info = json.loads(raw)
            name = info["generation"]
            if not isinstance(name, str) or not name.startswith(GENERATION_PREFIX) or "/" in name:
                raise ValueError(name)
        except (ValueError, KeyError, TypeError) as e:
            raise BackendUnavailable(
                f"embedded index at {self.index_dir}: unreadable {CURRENT_FILE} file ({e!r}); "
                "rebuild the index"
            ) from e
        if info.get("schema") != SCHEMA_VERSION:
            raise BackendUnavailable(
                f"embedded index at {self.index_dir} was built with schema version "
                f"{info.get('schema')}, this version needs {SCHEMA_VERSION}: rebuild the index"
            )
        return info

    def _write_current(self, generation: str) -> None:
        tmp = self.index_dir / f"{CURRENT_FILE}.tmp"
        data = json.dumps({"generation": generation, "schema": SCHEMA_VERSION}).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self._current_path)
        _fsync_dir(self.index_dir)

    def _new_generation_dir(self) -> Path:
        name = f"{GENERATION_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
        path = self.index_dir / name
        path.mkdir()
        return path

    def _new_index(self, path: Path) -> tantivy.Index:
        index = tantivy.Index(self._schema, path=str(path), reuse=False)
        register_analyzers(index)
        return index

    def _open_index(self, path: Path) -> tantivy.Index:
        index = tantivy.Index.open(str(path))
        register_analyzers(index)
        return index

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the writer lock: one writer at a time across threads and processes."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            fd = os.open(self.index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _remove_stale_generations(self, keep: str | None) -> None:
        """Remove leftovers of interrupted rebuilds (only ever called under the writer lock)."""
        for entry in self.index_dir.iterdir():
            if entry.name.startswith(GENERATION_PREFIX) and entry.name != keep and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
        (self.index_dir / f"{CURRENT_FILE}.tmp").unlink(missing_ok=True)

    def _document(self, r: Resource) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("id", r.id)
        doc.add_text("title", r.title or "")
        lang = stem_language(r.language)
        for part in (r.title, r.summary, r.body):
            if part:
                doc.add_text("text", part)
                if lang:
                    doc.add_text(f"text_{lang}", part)
        snippet_source = (r.body or r.summary or "")[:SNIPPET_SOURCE_CHARS]
        if snippet_source:
            doc.add_bytes("body", snippet_source.encode("utf-8"))
        for facet, values in facet_values(r).items():
            values = sorted({v for v in values if v and SET_SEPARATOR not in v})
            for value in values:
                doc.add_text(facet, value)
            doc.add_text(f"{facet}_set", SET_SEPARATOR.join(values))
        doc.add_integer("date", date_key(r))
        doc.add_text("live", "yes" if r.is_live else "no")
        view = json.dumps(result_view(r), ensure_ascii=False, separators=(",", ":"))
        doc.add_bytes("doc", view.encode("utf-8"))
        return doc

    def apply(self, upserts: Iterable[Resource], deletes: Iterable[str] = ()) -> None:
        """Write one batch with one commit (deletes first, then upserts, which replace any
        document with the same id). Both iterables are consumed while holding the lock."""
        with self._exclusive():
            info = self._read_current()
            created: Path | None = None
            if info is None:
                self._remove_stale_generations(keep=None)
                created = self._new_generation_dir()
                index = self._new_index(created)
            else:
                self._remove_stale_generations(keep=info["generation"])
                try:
                    index = self._open_index(self.index_dir / info["generation"])
                except (OSError, ValueError) as e:
                    raise BackendUnavailable(
                        f"embedded index at {self.index_dir} cannot be opened for writing: {e}; "
                        "rebuild the index"
                    ) from e
            try:
                writer = index.writer(self.writer_heap_bytes, 1)
                try:
                    for doc_id in deletes:
                        writer.delete_documents_by_term("id", str(doc_id))
                    for r in upserts:
                        writer.delete_documents_by_term("id", r.id)
                        writer.add_document(self._document(r))
                    writer.commit()
                except BaseException:
                    writer.rollback()
                    raise
                finally:
                    writer.wait_merging_threads()
                if created is not None:
                    self._write_current(created.name)
            except BaseException:
                if created is not None:
                    shutil.rmtree(created, ignore_errors=True)
                raise
        self._mark_stale()

    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Build a new generation from ``resources``; swap it in only when it is complete."""
        with self._exclusive():
            info = self._read_current_for_rebuild()
            old = info["generation"] if info else None
            self._remove_stale_generations(keep=old)
            path = self._new_generation_dir()
            try:
                index = self._new_index(path)
                writer = index.writer(self.rebuild_heap_bytes, self.rebuild_threads)
                seen: set[str] = set()
                count = 0
                try:
                    for r in resources:
                        if r.id in seen:  # the last version of a repeated id wins
                            writer.delete_documents_by_term("id", r.id)
                        else:
                            seen.add(r.id)
                            count += 1
                        writer.add_document(self._document(r))
                    writer.commit()
                except BaseException:
                    writer.rollback()
                    raise
                finally:
                    writer.wait_merging_threads()
                del writer, index
                self._write_current(path.name)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            if old:
                shutil.rmtree(self.index_dir / old, ignore_errors=True)
        self._mark_stale()
        return count

    def _read_current_for_rebuild(self) -> dict[str, Any] | None:
        """Like :meth:`_read_current`, but an unreadable or outdated index is simply replaced."""
        try:
            return self._read_current()
        except BackendUnavailable:
            return None

    # -- reading ---------------------------------------------------------------------------
    def _mark_stale(self) -> None:
        with self._read_lock:
            self._current_signature = None
            if self._gen is not None:
                self._gen.meta_signature = None

    def _refresh(self) -> _Generation | None:
        """The live generation, reloaded if a commit or a rebuild happened since the last call."""
        with self._read_lock:
            try:
                signature = _stat_signature(self._current_path)
            except FileNotFoundError:
                self._gen, self._current_signature = None, None
                return None
            gen = self._gen
            if gen is not None and signature == self._current_signature:
                try:
                    meta = _stat_signature(gen.path / "meta.json")
                except FileNotFoundError:
                    meta = None  # the generation was replaced under us: reopen below
                else:
                    if meta != gen.meta_signature:
                        gen.index.reload()
                        gen.reload_view()
                        gen.meta_signature = meta
                    return gen
            self._gen = self._open_generation()
            self._current_signature = signature if self._gen else None
            return self._gen

    def _open_generation(self) -> _Generation | None:
        last_error: Exception | None = None
        for _ in range(5):
            info = self._read_current()
            if info is None:
                return None
            name = info["generation"]
            if self._gen is not None and self._gen.name == name:
                gen = self._gen
                gen.meta_signature = None
                try:
                    gen.meta_signature = _stat_signature(gen.path / "meta.json")
                    gen.index.reload()
                    gen.reload_view()
                    return gen
                except (OSError, ValueError) as e:
                    last_error = e
                    continue
            path = self.index_dir / name
            try:
                meta = _stat_signature(path / "meta.json")
                index = self._open_index(path)
                index.config_reader("Manual")
                return _Generation(name, path, index, meta)
            except (OSError, ValueError) as e:
                # A rebuild may have swapped CURRENT and removed this generation meanwhile.
                last_error = e
                info_now = self._read_current()
                if info_now is not None and info_now["generation"] != name:
                    continue
                break
        raise BackendUnavailable(
            f"embedded index at {self.index_dir} cannot be opened: {last_error}"
        ) from last_error

    def count(self) -> int:
        gen = self._refresh()
        return gen.searcher.num_docs if gen else 0

    def ids(self) -> set[str]:
        gen = self._refresh()
        if gen is None or gen.searcher.num_docs == 0:
            return set()
        searcher = gen.searcher
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs, count=False).hits
        return {searcher.doc(addr).get_first("id") for _, addr in hits}

    def health(self) -> tuple[bool, str]:
        if not self.index_dir.is_dir():
            return False, f"embedded index directory {self.index_dir} does not exist"
        try:
            gen = self._refresh()
            if gen is None:
                return False, f"embedded index at {self.index_dir}: no index has been built yet"
            n = gen.searcher.num_docs
        except BackendUnavailable as e:
            return False, str(e)
        except (OSError, ValueError) as e:
            return False, f"embedded index at {self.index_dir} does not answer: {e}"
        return True, f"embedded index: {n} documents"

    def clear_caches(self) -> None:
        """Forget cached facet counts (they are dropped on every commit anyway)."""
        with self._read_lock:
            if self._gen is not None:
                self._gen.view = (self._gen.view[0], _FacetCache())

    def close(self) -> None:
        with self._read_lock:
            self._gen = None
            self._current_signature = None

    # -- searching -------------------------------------------------------------------------
    def _clause_query(self, index: tantivy.Index, words: tuple[str, ...]) -> tantivy.Query:
        # Words are runs of letters and digits (see analysis.words), so a quoted string of them
        # is valid syntax; several words make a phrase in every field.
        text = '"' + " ".join(words) + '"'
        try:
            return index.parse_query(text, self._default_fields, self._boosts)
        except ValueError:  # never let the user's input fail the search
            return index.parse_query_lenient(text, self._default_fields, self._boosts)[0]

    def _text_query(self, index: tantivy.Index, parsed: UserQuery) -> tantivy.Query | None:
        """The full-text part of a query, or None when it matches every document."""
        Q = tantivy.Query
        parts: list[tuple[Any, tantivy.Query]] = []
        for group in parsed.groups:
            queries = [self._clause_query(index, c.words) for c in group]
            if len(queries) == 1:
                parts.append((_Occur.Must, queries[0]))
            else:
                parts.append((_Occur.Must, Q.boolean_query([(_Occur.Should, q) for q in queries])))
        if not parts and not parsed.excluded:
            return None
        if not parts:
            parts.append((_Occur.Must, Q.all_query()))
        for clause in parsed.excluded:
            parts.append((_Occur.MustNot, self._clause_query(index, clause.words)))
        return Q.boolean_query(parts)

    def _filter_query(self, facet: str, values: list[str]) -> tantivy.Query:
        q = tantivy.Query.term_set_query(self._schema, facet, values)
        return tantivy.Query.const_score_query(q, 0.0)  # filters don't change the ranking

    @staticmethod
    def _combine(parts: list[tuple[Any, tantivy.Query]]) -> tantivy.Query:
        if not any(occur != _Occur.MustNot for occur, _ in parts):
            parts = [(_Occur.Must, tantivy.Query.all_query()), *parts]
        if len(parts) == 1:
            return parts[0][1]
        return tantivy.Query.boolean_query(parts)

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        gen = self._refresh()
        if gen is None:
            return SearchResults(
                total=0, hits=[], facets={f: [] for f in FACETS}, query=query,
                took_ms=(time.perf_counter() - started) * 1000,
            )
        (searcher, facet_cache), index = gen.view, gen.index
        parsed = parse_user_query(query.text) if query.text else UserQuery()
        text_q = self._text_query(index, parsed)

        base: list[tuple[Any, tantivy.Query]] = []
        if text_q is not None:
            base.append((_Occur.Must, text_q))
        if not query.include_gone:
            base.append((_Occur.MustNot, self._gone_query))
        filters = {f: self._filter_query(f, vals) for f, vals in query.filters.items()}
        main = self._combine(base + [(_Occur.Must, q) for q in filters.values()])

        by_date = query.effective_sort == "date" or not parsed.groups
        try:
            if by_date:
                result = searcher.search(
                    main, query.per_page, count=True, order_by_field="date",
                    offset=query.offset, order=tantivy.Order.Desc,
                )
            else:
                result = searcher.search(main, query.per_page, count=True, offset=query.offset)
            hits = self._hits(searcher, result.hits, parsed, with_scores=not by_date)
            facets_key = (
                query.text, query.include_gone, query.facet_size,
                tuple(sorted((f, tuple(sorted(v))) for f, v in query.filters.items())),
            )
            cached = facet_cache.get(facets_key)
            if cached is None:
                cached = self._facets(searcher, base, query.filters, main, query.facet_size)
                facet_cache.put(facets_key, cached)
            facets = {f: list(values) for f, values in cached.items()}
        except ValueError as e:  # tantivy reports engine errors as ValueError
            raise BackendUnavailable(f"embedded index failed to answer: {e}") from e
        return SearchResults(
            total=result.count or 0,
            hits=hits,
            facets=facets,
            query=query,
            took_ms=(time.perf_counter() - started) * 1000,
        )

    def _hits(
        self, searcher: tantivy.Searcher, found: list, parsed: UserQuery, with_scores: bool
    ) -> list[Hit]:
        highlighter = Highlighter(parsed.positive_words, SNIPPET_CHARS) if parsed.groups else None
        hits = []
        for key, addr in found:
            stored = searcher.doc(addr)
            view = json.loads(stored.get_first("doc"))
            raw_body = stored.get_first("body")
            body = raw_body.decode("utf-8") if raw_body else ""
            snippet = None
            if highlighter is not None:
                cut = highlighter.fragment(body, view.get("language"))
                if cut is not None:
                    snippet = Snippet(text=cut[0], highlights=cut[1])
            if snippet is None:
                snippet = _leading_snippet(view.get("summary") or body)
            hits.append(
                Hit(id=view["id"], score=float(key) if with_scores else None, doc=view,
                    snippet=snippet)
            )
        return hits

    def _facets(
        self,
        searcher: tantivy.Searcher,
        base: list[tuple[Any, tantivy.Query]],
        filters: dict[str, list[str]],
        main: tantivy.Query,
        size: int,
    ) -> dict[str, list[FacetValue]]:
        """Disjunctive counts: each facet counted under every filter except its own.

        One aggregation pass over the documents matching the text: a ``filter`` aggregation per
        distinct set of filters (all of them for the unselected facets, all but its own for each
        selected facet) with terms aggregations under it.
        """
        if not filters:
            return _collect(searcher.aggregate(main, _terms_specs(FACETS)), {f: () for f in FACETS},
                            size)
        spec: dict[str, Any] = {}
        paths: dict[str, tuple[str, ...]] = {}
        unfiltered = [f for f in FACETS if f not in filters]
        if unfiltered:
            spec["all_filters"] = {
                "filter": _filter_string(filters), "aggs": _terms_specs(unfiltered)}
            paths.update({f: ("all_filters",) for f in unfiltered})
        for facet in filters:
            others = {f: v for f, v in filters.items() if f != facet}
            if others:
                name = f"without_{facet}"
                spec[name] = {"filter": _filter_string(others), "aggs": _terms_specs([facet])}
                paths[facet] = (name,)
            else:
                spec.update(_terms_specs([facet]))
                paths[facet] = ()
        return _collect(searcher.aggregate(self._combine(base), spec), paths, size)


def _terms_specs(facets: Iterable[str]) -> dict[str, Any]:
    return {
        f: {"terms": {"field": f"{f}_set", "size": FACET_BUCKETS, "segment_size": FACET_BUCKETS}}
        for f in facets
    }


def _filter_string(filters: dict[str, list[str]]) -> str:
    """Facet filters in tantivy's query syntax (for ``filter`` aggregations)."""
    def term(facet: str, value: str) -> str:
        return facet + ':"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return " AND ".join(
        "(" + " OR ".join(term(f, v) for v in values) + ")" for f, values in filters.items()
    )


def _collect(
    result: dict[str, Any], paths: dict[str, tuple[str, ...]], size: int
) -> dict[str, list[FacetValue]]:
    """Exact counts per value from terms over the value-set columns: each set's count goes to
    each of its values."""
    out = {}
    for facet in FACETS:
        node: Any = result
        for step in paths.get(facet, ()):
            node = node.get(step, {})
        counts: dict[str, int] = {}
        for bucket in node.get(facet, {}).get("buckets", ()):
            key, n = bucket["key"], bucket["doc_count"]
            if not key:
                continue
            if SET_SEPARATOR in key:
                for value in key.split(SET_SEPARATOR):
                    counts[value] = counts.get(value, 0) + n
            else:
                counts[key] = counts.get(key, 0) + n
        ranked = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))[:size]
        out[facet] = [FacetValue(v, c) for v, c in ranked]
    return out


def _leading_snippet(text: str) -> Snippet:
    """The start of a text, cut at a word boundary, without highlights."""
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return Snippet(text=text)
    cut = text.rfind(" ", 0, SNIPPET_CHARS + 1)
    return Snippet(text=text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS])


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:  # some filesystems cannot fsync a directory
        if e.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)
