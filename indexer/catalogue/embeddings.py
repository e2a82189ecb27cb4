"""Embedding vectors in the catalogue: what is still to embed, storing vectors, reading them.

A resource needs a vector of a model when it has none of that model, or when it was modified
since its vector was computed and its passage text (:func:`indexer.embeddings.passage_text`)
changed. Vectors are stored as float32 bytes, so a rebuild of the search index sends them again
without computing anything. ``published_at`` says whether the search backend has a vector yet
(NULL: to be sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from ..embeddings.centering import ANY, LanguageMeans
from ..resource import Resource, utcnow
from .records import chunks, load_resources
from .tables import UTCDateTime, metadata, resources_t

embeddings_t = Table(
    "embeddings", metadata,
    Column("resource_id", String(40), ForeignKey("resources.id", ondelete="CASCADE"),
           primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("text_hash", String(64), nullable=False),
    Column("language", String(8)),
    Column("resource_modified_at", UTCDateTime),
    Column("vector", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime),
    Index("ix_embeddings_model_published", "model", "published_at"),
)

embedding_means_t = Table(
    "embedding_means", metadata,
    Column("model", String(200), primary_key=True),
    Column("language", String(8), primary_key=True),  # "" = every language
    Column("count", Integer, nullable=False),
    Column("sums", LargeBinary, nullable=False),  # float64 sums of the vectors
)


@dataclass
class EmbeddingStatus:
    model: str
    stored: int = 0  # vectors of this model
    backlog: int = 0  # resources still to embed (no vector, or modified since)
    unpublished: int = 0  # stored vectors the search backend has not taken yet
    other_models: dict[str, int] = field(default_factory=dict)


@dataclass
class Computed:
    """A vector computed for a resource (or ``vector`` None: its passage did not change)."""

    resource_id: str
    text_hash: str
    language: str | None
    modified_at: object
    vector: np.ndarray | None


def _vector(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=np.float32)


def _pending_condition():
    e = embeddings_t.c
    return or_(e.resource_id.is_(None),
               e.resource_modified_at.is_distinct_from(resources_t.c.modified_at))


def _pending_join(model: str):
    return resources_t.outerjoin(embeddings_t, and_(
        embeddings_t.c.resource_id == resources_t.c.id, embeddings_t.c.model == model))


class EmbeddingsMixin:
    # -- what is still to embed ------------------------------------------------------------
    def embedding_backlog(self, model: str) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(_pending_join(model))
                                 .where(_pending_condition())).scalar_one())

    def pending_embeddings(self, model: str, limit: int = 32
                           ) -> list[tuple[Resource, str | None]]:
        """Up to ``limit`` resources still to embed with ``model`` (newest changes first),
        each with the fingerprint of the passage its stored vector was computed from (None
        when it has none)."""
        q = (select(resources_t.c.id, embeddings_t.c.text_hash).select_from(_pending_join(model))
             .where(_pending_condition())
             .order_by(resources_t.c.modified_at.desc(), resources_t.c.id).limit(limit))
        with self.engine.connect() as c:
            rows = [tuple(r) for r in c.execute(q)]
            found = {r.id: r for r in load_resources(c, [rid for rid, _ in rows])}
        return [(found[rid], old) for rid, old in rows if rid in found]

    # -- storing ---------------------------------------------------------------------------
    def store_embeddings(self, model: str, computed: list[Computed]) -> int:
        """Store a batch in one transaction (a killed job loses at most this batch); keeps
        the language sums in step. Rows with ``vector`` None only record that the resource's
        passage did not change. Returns the number of vectors stored."""
        now = utcnow()
        stored = 0
        with self.engine.begin() as c:
            for item in computed:
                if item.vector is None:
                    c.execute(update(embeddings_t).where(
                        embeddings_t.c.resource_id == item.resource_id,
                        embeddings_t.c.model == model,
                    ).values(resource_modified_at=item.modified_at))
                    continue
                vec = np.asarray(item.vector, dtype=np.float32).reshape(-1)
                old = c.execute(select(embeddings_t.c.vector, embeddings_t.c.language).where(
                    embeddings_t.c.resource_id == item.resource_id,
                    embeddings_t.c.model == model)).first()
                if old is not None:
                    self._add_to_means(c, model, _vector(old[0]), old[1], -1)
                    c.execute(delete(embeddings_t).where(
                        embeddings_t.c.resource_id == item.resource_id,
                        embeddings_t.c.model == model))
                c.execute(insert(embeddings_t).values(
                    resource_id=item.resource_id, model=model, text_hash=item.text_hash,
                    language=item.language, resource_modified_at=item.modified_at,
                    vector=vec.tobytes(), created_at=now, published_at=None))
                self._add_to_means(c, model, vec, item.language, 1)
                stored += 1
        return stored

    @staticmethod
    def _add_to_means(c: Connection, model: str, vec: np.ndarray, language: str | None,
                      sign: int) -> None:
        for lang in {language or ANY, ANY}:
            row = c.execute(select(embedding_means_t.c.count, embedding_means_t.c.sums).where(
                embedding_means_t.c.model == model, embedding_means_t.c.language == lang)).first()
            if row is None:
                c.execute(insert(embedding_means_t).values(
                    model=model, language=lang, count=sign,
                    sums=(sign * vec.astype(np.float64)).tobytes()))
            else:
                sums = np.frombuffer(row[1], dtype=np.float64) + sign * vec.astype(np.float64)
                c.execute(update(embedding_means_t).where(
                    embedding_means_t.c.model == model, embedding_means_t.c.language == lang,
                ).values(count=row[0] + sign, sums=sums.tobytes()))

    def embedding_means(self, model: str, dim: int) -> LanguageMeans:
        means = LanguageMeans(dim)
        with self.engine.connect() as c:
            for lang, count, sums in c.execute(
                    select(embedding_means_t.c.language, embedding_means_t.c.count,
                           embedding_means_t.c.sums).where(embedding_means_t.c.model == model)):
                means.sums[lang] = np.frombuffer(sums, dtype=np.float64).copy()
                means.counts[lang] = int(count)
        return means

    def recount_embedding_means(self, model: str) -> None:
        """Sum the stored vectors again (resources deleted since took theirs with them)."""
        with self.engine.begin() as c:
            c.execute(delete(embedding_means_t).where(embedding_means_t.c.model == model))
            for rows in self._vector_pages(c, model, published=None):
                for _rid, lang, vec in rows:
                    self._add_to_means(c, model, vec, lang, 1)

    # -- reading and publishing ------------------------------------------------------------
    def iter_embeddings(self, model: str, *, unpublished_only: bool = False, batch: int = 1000
                        ) -> Iterator[list[tuple[str, str | None, np.ndarray]]]:
        """Stored vectors of ``model`` in pages of (resource id, language, vector)."""
        with self.engine.connect() as c:
            yield from self._vector_pages(c, model, published=False if unpublished_only else None,
                                          batch=batch)

    @staticmethod
    def _vector_pages(c: Connection, model: str, published: bool | None, batch: int = 1000):
        e = embeddings_t.c
        last = ""
        while True:
            q = (select(e.resource_id, e.language, e.vector)
                 .where(e.model == model, e.resource_id > last)
                 .order_by(e.resource_id).limit(batch))
            if published is False:
                q = q.where(e.published_at.is_(None))
            rows = [(rid, lang, _vector(raw)) for rid, lang, raw in c.execute(q)]
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def mark_embeddings_published(self, model: str, ids: Iterable[str] | None = None) -> None:
        """The backend took these vectors (``ids`` None: every vector of ``model``)."""
        now = utcnow()
        with self.engine.begin() as c:
            if ids is None:
                c.execute(update(embeddings_t).where(embeddings_t.c.model == model)
                          .values(published_at=now))
                return
            for chunk in chunks(list(ids), 500):
                c.execute(update(embeddings_t).where(
                    embeddings_t.c.model == model, embeddings_t.c.resource_id.in_(chunk))
                    .values(published_at=now))

    def unpublish_embeddings(self, model: str) -> None:
        """Every vector of ``model`` is to be sent again (the backend lost them)."""
        with self.engine.begin() as c:
            c.execute(update(embeddings_t).where(embeddings_t.c.model == model)
                      .values(published_at=None))

    def embedding_dims(self, model: str) -> int | None:
        """Dimensions of the stored vectors of ``model`` (None when there are none)."""
        with self.engine.connect() as c:
            raw = c.execute(select(embeddings_t.c.vector).where(embeddings_t.c.model == model)
                            .limit(1)).scalar()
        return len(raw) // 4 if raw else None

    def embedding_status(self, model: str) -> EmbeddingStatus:
        e = embeddings_t.c
        status = EmbeddingStatus(model=model, backlog=self.embedding_backlog(model))
        with self.engine.connect() as c:
            for name, n, unpublished in c.execute(
                    select(e.model, func.count(),
                           func.count(e.resource_id).filter(e.published_at.is_(None)))
                    .group_by(e.model)):
                if name == model:
                    status.stored, status.unpublished = int(n), int(unpublished)
                else:
                    status.other_models[name] = int(n)
        return status

    def drop_embeddings(self, keep_model: str | None) -> int:
        """Delete the vectors of every model but ``keep_model``; returns how many."""
        with self.engine.begin() as c:
            cond = embeddings_t.c.model != keep_model if keep_model else None
            n = c.execute(delete(embeddings_t).where(cond) if cond is not None
                          else delete(embeddings_t)).rowcount
            c.execute(delete(embedding_means_t).where(embedding_means_t.c.model != keep_model)
                      if keep_model else delete(embedding_means_t))
        return int(n or 0)
