"""The catalogue and the search backend one app talks to, kept in ``app.extensions["ccp"]``."""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app

from config.settings import Settings
from indexer.backends.base import BackendUnavailable, SearchBackend

log = logging.getLogger(__name__)

__all__ = ["Services", "services"]


class Services:
    """The catalogue and the search backend one app talks to.

    The backend is opened on first use, not at start-up: an index that is missing or broken
    makes searches answer 503 (and ``/healthz`` say why) instead of stopping the app, and the
    app recovers by itself once the index is there.
    """

    def __init__(self, settings: Settings, catalogue=None, backend: SearchBackend | None = None):
        self.settings = settings
        self._catalogue = catalogue
        self._backend = backend
        self._searcher = None
        self._lock = threading.Lock()
        self._source_names = SourceNames()

    @property
    def catalogue(self):
        if self._catalogue is None:
            with self._lock:
                if self._catalogue is None:
                    from indexer.catalogue import Catalogue

                    catalogue = Catalogue(self.settings.catalogue_url)
                    try:
                        catalogue.create_all()  # a fresh data dir shows an empty portal
                    except Exception as exc:  # reported by /healthz, never fatal here
                        log.warning("catalogue not ready: %s", exc)
                    self._catalogue = catalogue
        return self._catalogue

    @property
    def backend(self) -> SearchBackend:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    from indexer.backends import get_backend

                    try:
                        self._backend = get_backend(self.settings)
                    except BackendUnavailable:
                        raise
                    except Exception as exc:
                        raise BackendUnavailable(
                            f"the search index cannot be opened: {exc}"
                        ) from exc
        return self._backend

    @property
    def searcher(self):
        """The hybrid search over the backend (indexer/hybrid.py); the embedder (CCP_EMBEDDER)
        is loaded the first time there are vectors to search."""
        if self._searcher is None:
            backend = self.backend
            with self._lock:
                if self._searcher is None:
                    from indexer.hybrid import HybridSearch

                    self._searcher = HybridSearch(backend, self._load_embedder)
        return self._searcher

    def _load_embedder(self):
        from indexer.embeddings import load_embedder

        try:
            return load_embedder(self.settings.embedder)
        except Exception as exc:  # search goes on with words only, and says why in the log
            log.warning("no vector search: %s", exc)
            return None

    def source_names(self) -> dict[str, str]:
        """Source id → name (the same dict for many requests: do not change it); ids stand in
        for names when the catalogue cannot answer."""
        return self._source_names.get(self.catalogue)


class SourceNames:
    """The catalogue's source names, kept between requests.

    Every worker process keeps its own copy and asks the catalogue at most every
    ``CHECK_SECONDS`` whether the sources changed, with one cheap query (how many there are and
    when one was last written: the scheduler writes a source's row whenever its file changes,
    and ``ccp sources`` and the admin go through the same files). A change made by any process
    shows in every worker within ``CHECK_SECONDS``; in between a request costs no query.
    """

    CHECK_SECONDS = 2.0

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._signature: tuple | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def get(self, catalogue) -> dict[str, str]:
        if time.monotonic() - self._checked < self.CHECK_SECONDS:
            return self._names
        with self._lock:
            if time.monotonic() - self._checked >= self.CHECK_SECONDS:
                self._revalidate(catalogue)
        return self._names

    def invalidate(self) -> None:
        """Ask again on the next request (after this process changed a source)."""
        self._checked = float("-inf")

    def _revalidate(self, catalogue) -> None:
        try:
            signature = _sources_signature(catalogue)
            if signature != self._signature:
                self._names = dict(catalogue.source_names())
                self._signature = signature
        except Exception as exc:  # the page shows source ids; asked again after the pause
            log.warning("source names unavailable: %s", exc)
            self._names, self._signature = {}, None
        self._checked = time.monotonic()


def _sources_signature(catalogue) -> tuple:
    """How many sources there are and when one was last written (one indexed-free scan of a
    table with a row per source)."""
    from sqlalchemy import func, select

    from indexer.catalogue.tables import sources_t

    with catalogue.engine.connect() as c:
        row = c.execute(select(func.count(), func.max(sources_t.c.updated_at))).one()
    return tuple(row)


def services() -> Services:
    """The :class:`Services` of the current app."""
    return current_app.extensions["ccp"]
