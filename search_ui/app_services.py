"""The catalogue and the search backend one app talks to, kept in ``app.extensions["ccp"]``."""

from __future__ import annotations

import logging
import threading

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
        """Source id → name; ids stand in for names when the catalogue cannot answer."""
        try:
            return dict(self.catalogue.source_names())
        except Exception as exc:
            log.warning("source names unavailable: %s", exc)
            return {}


def services() -> Services:
    """The :class:`Services` of the current app."""
    return current_app.extensions["ccp"]
