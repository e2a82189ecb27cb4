"""Search backends behind one interface (:class:`~indexer.backends.base.SearchBackend`).

:func:`get_backend` picks one from the portal settings: ``embedded`` (default, tantivy in the
data directory) or ``elasticsearch`` (imported only when chosen, so the ``elasticsearch``
package stays optional).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .base import INDEX_MISSING, BackendUnavailable, IndexMissing, SearchBackend

if TYPE_CHECKING:
    from config.settings import Settings

BACKENDS: tuple[str, ...] = ("embedded", "elasticsearch")


class BackendConfigError(ValueError):
    """The configured search backend cannot be created (unknown name, missing package)."""


def get_backend(settings: "Settings") -> SearchBackend:
    """The search backend the settings ask for.

    The Elasticsearch backend module must provide ``ElasticsearchBackend.from_settings(settings)``.
    """
    name = (settings.search_backend or "embedded").strip().lower()
    if name == "embedded":
        from .embedded import EmbeddedBackend

        return EmbeddedBackend(settings.index_dir)
    if name == "elasticsearch":
        try:
            es_backend = importlib.import_module(f"{__name__}.elasticsearch")
        except ModuleNotFoundError as e:
            if e.name == "elasticsearch":
                raise BackendConfigError(
                    "the elasticsearch search backend needs the 'elasticsearch' package: "
                    "pip install 'circular-city-portal[elasticsearch]'"
                ) from e
            if e.name == f"{__name__}.elasticsearch":
                raise BackendConfigError(
                    "the elasticsearch search backend is not available in this version of the "
                    "portal; set CCP_SEARCH_BACKEND=embedded"
                ) from e
            raise
        return es_backend.ElasticsearchBackend.from_settings(settings)
    raise BackendConfigError(
        f"unknown search backend {settings.search_backend!r} (choose one of: {', '.join(BACKENDS)})"
    )


__all__ = ["BACKENDS", "INDEX_MISSING", "BackendConfigError", "BackendUnavailable", "IndexMissing", "SearchBackend",
           "get_backend"]
