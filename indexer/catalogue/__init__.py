"""The catalogue: the store of record.

Resources with every instance where they were seen, the sources' HTTP state for conditional
requests, harvest runs with per-source counts and stored errors, and the outbox that feeds the
search index. SQLite (WAL) by default through SQLAlchemy; the schema is portable to PostgreSQL.

Deduplication happens here, in :meth:`Catalogue.ingest`, in layers:

1. the same source and URL, or the same source GUID → the same resource (an *update* when the
   main text changed, else *unchanged*);
2. the same canonical URL seen through another source → the same resource, one more instance;
3. the same normalised main text (content hash) at another URL or source → the same resource,
   one more instance;
4. nearly the same main text (a MinHash signature of its three-word shingles and the size of
   the shingle set, candidates found through LSH band keys) → the same resource, one more
   instance: from another source at an estimated resemblance ≥ 0.8, or when the shorter text
   is contained in the longer one (≥ 0.9 of its shingles, and at least 0.3 of the longer
   one's size: a paywall cut, an added intro); from the same source (the candidate still has a
   live instance of it at another URL) only with the same title and a resemblance ≥ 0.95.
   Texts under 50 words never merge this way. :mod:`indexer.neardup` has the signatures and
   argues the thresholds.

Every merge (layers 2–4) stores its reason and score (:mod:`.merges`); an operator can split
an instance off again, and that URL never joins that resource again. Within one source,
layer 3 too needs the same title (two tag pages listing the same single item are two pages).

Every change that alters what the index shows is written to the outbox in the same
transaction; :mod:`indexer.indexing` drains it into the search backend.
"""

from __future__ import annotations

from .base import CatalogueBase
from .embeddings import Computed, EmbeddingsMixin, EmbeddingStatus, embedding_means_t, embeddings_t
from .dedupe import MAX_BAND_ROWS, MAX_NEAR_CANDIDATES, near_duplicate as _near_duplicate  # noqa: F401 (bench)
from .httpstate import HttpStateMixin
from .locks import LocksMixin
from .merges import MergeInfo, MergesMixin, SplitError, merge_splits_t, merges_t
from .oai import OaiFilter, OaiHeader, OaiMixin
from .outbox import OutboxClaim, OutboxMixin
from .records_seen import RecordsSeenMixin
from .reports import RunError, RunReport, SourceHealth, SourceInfo, SourceReport
from .resources import ResourcesMixin
from .runs import RunsMixin
from .tables import *  # noqa: F401,F403 - the tables and record statuses are public names
from .tables import __all__ as _tables
from .tasks import TasksMixin
from .withdrawals import WithdrawalsMixin


class Catalogue(EmbeddingsMixin, ResourcesMixin, MergesMixin, HttpStateMixin, RunsMixin, LocksMixin, TasksMixin, OutboxMixin,
                WithdrawalsMixin, RecordsSeenMixin, OaiMixin, CatalogueBase):
    """The store of record, one concern per mixin (each in its own module). Thread-safe for
    readers; one process writes a source at a time."""


__all__ = [
    "Catalogue", "CatalogueBase", "MergeInfo", "OaiFilter", "OaiHeader", "OutboxClaim", "SplitError", "merges_t",
    "merge_splits_t", "RunError", "RunReport", "SourceHealth",
    "SourceInfo", "SourceReport", "MAX_BAND_ROWS", "MAX_NEAR_CANDIDATES", *_tables,
]
