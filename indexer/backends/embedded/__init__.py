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
summary when there is no body) by :class:`indexer.highlight.Highlighter`, which matches words the
way the index does (folded, stemmed in the document's language).

Facets: each facet has an indexed field for filtering (one term per value) and a fast field
``<facet>_set`` holding the document's sorted values joined in one string. Counting runs a terms
aggregation on that single-valued column (tantivy counts multi-valued columns ~15x slower) and
adds each combination's count to its members: exact, and cheap because combinations are few.
"""

from __future__ import annotations

from .backend import EmbeddedBackend
from .schema import CURRENT_FILE, GENERATION_PREFIX, LOCK_FILE, SCHEMA_VERSION, build_schema, date_key

__all__ = ["CURRENT_FILE", "GENERATION_PREFIX", "LOCK_FILE", "EmbeddedBackend", "SCHEMA_VERSION",
           "build_schema", "date_key"]
