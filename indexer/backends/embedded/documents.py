"""A resource as an embedded-index document, and preparing many of them on every core.

What a document holds is decided by :func:`document_fields`: plain tuples, so that a rebuild
can analyse resources in worker processes (:func:`prepared`) while the main process feeds the
index writer; :func:`to_document` turns them into a tantivy document.

What is stored of a document (besides its id) is one zlib-compressed blob: the JSON of its
result view, a newline, and the text snippets are cut from (:func:`stored_blob`). tantivy
compresses its document store with LZ4 in 16 KB blocks; zlib on each document takes a third
less (the body was 58% of the index). :class:`StoredSearcher` gives searching code the
documents as before (``get_first("doc")``: the JSON, ``get_first("body")``: the text).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any

import tantivy

from ...analysis import analysed_fields, stem_language
from ...resource import Resource
from ...textplan import is_listing
from ..base import facet_values, result_view
from .schema import SET_SEPARATOR, SNIPPET_SOURCE_CHARS, date_key, doc_key, facts_fields

# (kind, field, value): kind "t" text, "i" integer, "b" bytes
Fields = list[tuple[str, str, Any]]

# A rebuild analyses this many resources in its own process before it starts worker processes
# (starting them costs about a second: not worth it for a small index).
INLINE_DOCS = 2_000
BATCH_DOCS = 200  # resources per task sent to a worker
IN_FLIGHT_PER_WORKER = 3  # tasks queued per worker: enough to keep it busy, memory stays flat


def document_fields(r: Resource) -> Fields:
    """Every field of the document of ``r``."""
    return text_fields(r) + analysed_document_fields(r)


def text_fields(r: Resource) -> Fields:
    """The fields that are the resource's own text (cheap to make, costly to send elsewhere)."""
    out: Fields = [("t", "id", r.id), ("t", "title", r.title or "")]
    lang = stem_language(r.language)
    for part in (r.title, r.summary, r.body):
        if part:
            out.append(("t", "text", part))
            if lang:
                out.append(("t", f"text_{lang}", part))
    return out


def analysed_document_fields(r: Resource) -> Fields:
    """The fields analysed in Python (the costly part, done in worker processes)."""
    texts = [p for p in (r.title, r.summary, r.body) if p]
    out: Fields = [("t", name, tokens) for name, tokens
                   in analysed_fields(texts, r.language, title=r.title).items()]
    for facet, values in facet_values(r).items():
        values = sorted({v for v in values if v and SET_SEPARATOR not in v})
        out += [("t", facet, value) for value in values]
        out.append(("t", f"{facet}_set", SET_SEPARATOR.join(values)))
    out.append(("i", "date", date_key(r)))
    out += facts_fields(r)
    out.append(("i", "key", doc_key(r.id)))
    out.append(("t", "live", "yes" if r.is_live else "no"))
    out.append(("t", "listing", "yes" if is_listing(r.title, r.body) else "no"))
    view = json.dumps(result_view(r), ensure_ascii=False, separators=(",", ":"))
    out.append(("b", "stored", stored_blob(view, (r.body or r.summary or "")[
        :SNIPPET_SOURCE_CHARS])))
    return out


def stored_blob(view_json: str, snippet_source: str) -> bytes:
    """What is stored of a document: its view's JSON (which never holds a raw newline) and
    the text snippets are cut from, compressed together."""
    return zlib.compress(f"{view_json}\n{snippet_source}".encode(), ZLIB_LEVEL)


ZLIB_LEVEL = 6


class StoredDoc:
    """A stored document read back: ``get_first`` of "doc" (the view's JSON, as bytes), "body"
    (the snippet source, as UTF-8 bytes; None when empty) and any field tantivy stores."""

    __slots__ = ("_doc", "_parts")

    def __init__(self, doc: tantivy.Document) -> None:
        self._doc = doc
        self._parts: list[bytes] | None = None

    def get_first(self, name: str) -> Any:
        if name not in ("doc", "body"):
            return self._doc.get_first(name)
        if self._parts is None:
            blob = self._doc.get_first("stored")
            self._parts = zlib.decompress(blob).split(b"\n", 1) if blob else [b"{}", b""]
        value = self._parts[0] if name == "doc" else self._parts[1]
        return value or None


class StoredSearcher:
    """A tantivy searcher whose :meth:`doc` reads the compressed stored blob (see the module
    docstring); everything else is the searcher's own."""

    __slots__ = ("_searcher",)

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self._searcher = searcher

    def doc(self, address: Any) -> StoredDoc:
        return StoredDoc(self._searcher.doc(address))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._searcher, name)


def to_document(fields: Fields) -> tantivy.Document:
    doc = tantivy.Document()
    for kind, name, value in fields:
        if kind == "t":
            doc.add_text(name, value)
        elif kind == "i":
            doc.add_integer(name, value)
        else:
            doc.add_bytes(name, value)
    return doc


def _analysed_batch(batch: list[Resource]) -> list[Fields]:
    return [analysed_document_fields(r) for r in batch]


def default_workers() -> int:
    """Worker processes a rebuild analyses with: none on one or two cores, where the main
    process (reading the catalogue, feeding the writer) and the writer's threads already use
    both — measured on 2 cores, a worker added 13% CPU a document (sending resources to it and
    the analysers' start) and gained nothing; one per further core, at most 4."""
    return max(0, min(4, (os.cpu_count() or 1) - 2))


def prepared(resources: Iterable[Resource], workers: int, inline: int = INLINE_DOCS
             ) -> Iterator[tuple[str, Fields]]:
    """(id, fields) of every resource, in order. After ``inline`` resources, with ``workers`` >
    0, the analysis runs in that many worker processes, at most a few batches ahead of what the
    caller consumed (the catalogue is read as the index is written, never all at once)."""
    it = iter(resources)
    for r in islice(it, inline if workers > 0 else None):
        yield r.id, document_fields(r)
    first = list(islice(it, BATCH_DOCS))
    if not first:
        return
    # "spawn": a rebuild may run inside a threaded process (the web app's admin tasks), which
    # must not be forked. Workers get the resources and send back only what they analysed.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[tuple[list[Resource], Future]] = deque(
            [(first, pool.submit(_analysed_batch, first))])
        try:
            while pending:
                while len(pending) < workers * IN_FLIGHT_PER_WORKER:
                    batch = list(islice(it, BATCH_DOCS))
                    if not batch:
                        break
                    pending.append((batch, pool.submit(_analysed_batch, batch)))
                batch, future = pending.popleft()
                for r, analysed in zip(batch, future.result()):
                    yield r.id, text_fields(r) + analysed
        finally:
            for _, f in pending:
                f.cancel()
