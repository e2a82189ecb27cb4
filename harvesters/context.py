"""What the spiders and the pipeline of one harvest run share (it lives in the child process),
and the run's index drainer."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from dataclasses import dataclass, field
from typing import Any

from config import Settings
from indexer.catalogue import Catalogue
from indexer.indexing import drain

log = logging.getLogger(__name__)

__all__ = ["DRAIN_EVERY_SECONDS", "Drainer", "HarvestContext"]

# how often the run's changes are pushed to the search index while it harvests
DRAIN_EVERY_SECONDS = 5.0


def _drain_once(settings: Settings, catalogue: Catalogue, backend_box: list) -> None:
    try:
        if not backend_box:
            if not catalogue.outbox_status()[0]:
                return  # nothing to index yet: the search engine is not even opened
            from indexer.backends import get_backend

            backend_box.append(get_backend(settings))
        drain(catalogue, backend_box[0])
    except Exception as exc:  # noqa: BLE001 - the outbox keeps the entries
        log.warning("index drain postponed: %s: %s", exc.__class__.__name__, exc)


def _drainer_main(settings: Settings, stop, every: float) -> None:
    """The drainer process: drain the outbox every ``every`` seconds until ``stop`` is set,
    then once more."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harvest process stops it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from .normpool import name_process

    name_process("ccp-index-drain")
    parent = os.getppid()
    catalogue = Catalogue(settings.catalogue_url)
    box: list = []
    try:
        while not stop.wait(every) and os.getppid() == parent:
            _drain_once(settings, catalogue, box)
        _drain_once(settings, catalogue, box)
    finally:
        for backend in box:
            backend.close()
        catalogue.close()


class Drainer:
    """The run's index drain in a process of its own, beside the harvest process (the
    catalogue's writer) and its normalising workers: indexing a document (analysis, stemming,
    the search engine's writer) is CPU the harvest process does not wait for. Several drains
    may run at once (see :func:`indexer.indexing.drain`), so this one needs no coordination
    with the final drain of the run."""

    def __init__(self, settings: Settings, every: float = DRAIN_EVERY_SECONDS):
        ctx = multiprocessing.get_context("fork")
        self.stop = ctx.Event()
        self.proc = ctx.Process(target=_drainer_main, name="ccp-index-drain",
                                args=(settings, self.stop, every), daemon=True)
        self.proc.start()

    def close(self, timeout: float = 600.0) -> None:
        """Drain what is left, then end the process."""
        self.stop.set()
        self.proc.join(timeout)
        if self.proc.is_alive():
            log.warning("the index drain did not finish within %g s: stopped; the outbox "
                        "keeps what was not indexed", timeout)
            self.proc.kill()
            self.proc.join(5)


@dataclass
class HarvestContext:
    """What the spiders and the pipeline of one run share (lives in the child process)."""

    settings: Settings
    catalogue: Catalogue
    run_id: int
    taxonomy: Any = None
    pool: Any = None  # a .normpool.NormalisePool, or None: documents are normalised in-process
    drainer: Drainer | None = None  # None: the harvest process drains the outbox itself
    closed: list[str] = field(default_factory=list)
    _backend: Any = None

    def backend(self):
        if self._backend is None:
            from indexer.backends import get_backend

            self._backend = get_backend(self.settings)
        return self._backend

    def drain(self) -> None:
        """Push pending catalogue changes to the index (unless the drainer process does);
        a backend failure only delays it."""
        if self.drainer is not None:
            return
        try:
            drain(self.catalogue, self.backend())
        except Exception as exc:  # noqa: BLE001 - the outbox keeps the entries
            log.warning("index drain postponed: %s: %s", exc.__class__.__name__, exc)

    def finish(self) -> None:
        """The run's last drain: the drainer's, then whatever is left."""
        if self.drainer is not None:
            self.drainer.close()
            self.drainer = None
        pending, _ = self.catalogue.outbox_status()
        if pending:
            self.drain()

    def source_closed(self, source_id: str) -> None:
        self.closed.append(source_id)
