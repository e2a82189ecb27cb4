"""What the spiders and the pipeline of one harvest run share (it lives in the child process)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from config import Settings
from indexer.catalogue import Catalogue
from indexer.indexing import drain

log = logging.getLogger(__name__)

__all__ = ["HarvestContext"]


@dataclass
class HarvestContext:
    """What the spiders and the pipeline of one run share (lives in the child process)."""

    settings: Settings
    catalogue: Catalogue
    run_id: int
    taxonomy: Any = None
    closed: list[str] = field(default_factory=list)
    _backend: Any = None

    def backend(self):
        if self._backend is None:
            from indexer.backends import get_backend

            self._backend = get_backend(self.settings)
        return self._backend

    def drain(self) -> None:
        """Push pending catalogue changes to the index; a backend failure only delays it."""
        try:
            drain(self.catalogue, self.backend())
        except Exception as exc:  # noqa: BLE001 - the outbox keeps the entries
            log.warning("index drain postponed: %s: %s", exc.__class__.__name__, exc)

    def source_closed(self, source_id: str) -> None:
        self.closed.append(source_id)
