"""One harvest run: the same ``run_harvest()`` for the CLI, the scheduler, the demo and tests.

The crawl happens in a child process (Twisted's reactor cannot be restarted, and a child
can be stopped cleanly when it overruns its time limit). The child records everything in the
catalogue — the run, per-source counts, each error with its URL and cause — and drains the
outbox into the search index as it goes; the parent waits, shows progress, enforces the time
limit, and reads the report back from the catalogue.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from config import Settings, SourceConfig
from config.models import SOURCE_ADAPTER
from indexer.catalogue import Catalogue, RunReport
from indexer.indexing import drain

from .context import Drainer, HarvestContext

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0


def log_path(settings: Settings, run_id: int) -> Path:
    return settings.data_dir / "logs" / f"harvest-{run_id}.log"


def harvest_workers(settings: Settings, workers: int | None = None) -> int:
    """Normalising processes of a run: ``workers``, else the setting ``harvest_workers``
    (CCP_HARVEST_WORKERS), else one per core; 0 normalises in the harvest process itself."""
    if workers is None:
        workers = getattr(settings, "harvest_workers", None)
    if workers is None:
        from .normpool import default_workers

        workers = default_workers()
    return max(0, int(workers))


def _child_main(settings: Settings, source_dicts: list[dict], run_id: int,
                overrides: dict[str, Any], workers: int = 0,
                normalise_timeout: float | None = None) -> None:
    from scrapy.crawler import CrawlerProcess

    from config.taxonomy import load_taxonomy

    from .http import scrapy_settings
    from .normpool import DEFAULT_TIMEOUT, NormalisePool, name_process
    from .spiders import SPIDERS

    _die_with_parent()
    name_process("ccp-harvest")
    logfile = log_path(settings, run_id)
    logfile.parent.mkdir(parents=True, exist_ok=True)
    sources = [SOURCE_ADAPTER.validate_python(d) for d in source_dicts]
    taxonomy = load_taxonomy()
    # the workers are forked before the catalogue's connections and the crawl's threads exist
    pool = NormalisePool(workers, {s.id: s for s in sources}, taxonomy=taxonomy,
                         timeout=normalise_timeout or DEFAULT_TIMEOUT) if workers else None
    drainer = Drainer(settings) if workers else None
    catalogue = Catalogue(settings.catalogue_url)
    ctx = HarvestContext(settings=settings, catalogue=catalogue, run_id=run_id,
                         taxonomy=taxonomy, pool=pool, drainer=drainer)
    scrapy_conf = scrapy_settings(settings, {"LOG_FILE": str(logfile),
                                             "LOG_INSTALL_ROOT_HANDLER": True, **overrides})
    process = CrawlerProcess(scrapy_conf)
    for s in sources:
        process.crawl(SPIDERS[s.type], source=s, ctx=ctx)
    try:
        process.start()
    finally:
        if pool is not None:
            pool.close()
        ctx.finish()
        unfinished = [s.id for s in sources if s.id not in ctx.closed]
        stopped = any(s.status == "interrupted" for s in catalogue.run_report(run_id).sources)
        if unfinished or stopped:
            catalogue.finish_run(run_id, "interrupted",
                                 "the harvest was stopped before every source finished")
        else:
            catalogue.finish_run(run_id, "finished")
        catalogue.close()


def _die_with_parent(every: float = 0.2) -> None:
    """End this harvest child as soon as the process that started it is gone (killed with
    SIGKILL: it can no longer heartbeat the run's locks, so the next run takes them over and
    closes the run; this child must not harvest on beside it)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="ccp-parent-watch", daemon=True).start()


def run_harvest(
    settings: Settings,
    sources: list[SourceConfig],
    *,
    trigger: str = "cli",
    scrapy_overrides: dict[str, Any] | None = None,
    progress: Callable[[RunReport], None] | None = None,
    timeout: float | None = None,
    stop: threading.Event | None = None,
    workers: int | None = None,
    normalise_timeout: float | None = None,
) -> RunReport:
    """Harvest ``sources`` in a child process and return the run's report.

    Each source's run lock is taken first (in the catalogue, so it holds across processes
    and machines); a source another run holds is reported as skipped, never run twice at
    once. ``stop`` set from another thread stops the run cleanly (recorded as interrupted).
    ``workers``: processes that normalise the fetched documents (see :func:`harvest_workers`);
    ``normalise_timeout``: seconds one document may take there before its worker is stopped
    and the document fails (default :data:`.normpool.DEFAULT_TIMEOUT`).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = Catalogue(settings.catalogue_url)
    catalogue.create_all()
    for dead in catalogue.close_dead_runs():  # a harvest killed with SIGKILL: closed at once
        log.warning("run %s was left running by a process that is gone: closed as interrupted",
                    dead)
    catalogue.release_dead_locks()
    catalogue.sync_sources(sources)
    run_id = catalogue.start_run([s.id for s in sources], trigger=trigger)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    locked: list[str] = []
    runnable = []
    try:
        for s in sources:
            ok, note = catalogue.acquire_source_lock(s.id, owner, run_id=run_id,
                                                     stale_after=settings.lock_stale_seconds)
            if ok:
                locked.append(s.id)
                runnable.append(s)
                if note:
                    log.warning("%s: %s", s.id, note)
            else:
                catalogue.finish_source(run_id, s.id, "skipped", note)
        if not runnable:
            catalogue.finish_run(run_id, "finished", "no source could be harvested now")
            return catalogue.run_report(run_id)
        return _run_locked(settings, catalogue, run_id, runnable, owner, locked,
                           scrapy_overrides=scrapy_overrides, progress=progress,
                           timeout=timeout, stop=stop,
                           workers=harvest_workers(settings, workers),
                           normalise_timeout=normalise_timeout)
    finally:
        catalogue.release_source_locks(locked, owner)
        catalogue.close()


def _run_locked(settings, catalogue, run_id, sources, owner, locked, *, scrapy_overrides,
                progress, timeout, stop, workers, normalise_timeout) -> RunReport:
    limit = timeout if timeout is not None else settings.harvest_timeout
    mp = multiprocessing.get_context("spawn")
    child = mp.Process(
        target=_child_main, name=f"ccp-harvest-{run_id}",
        args=(settings, [s.model_dump(mode="json") for s in sources], run_id,
              scrapy_overrides or {}, workers, normalise_timeout),
    )
    child.start()
    started = last_beat = time.monotonic()
    timed_out = False
    try:
        while True:
            child.join(0.5)
            if progress is not None:
                progress(catalogue.run_report(run_id))
            if not child.is_alive():
                break
            if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                catalogue.heartbeat_source_locks(locked, owner)
                last_beat = time.monotonic()
            if stop is not None and stop.is_set():
                _stop(child)
                break
            if limit and time.monotonic() - started > limit:
                timed_out = True
                _stop(child)
                break
    except KeyboardInterrupt:
        _stop(child)
        catalogue.finish_run(run_id, "interrupted", "stopped by the user (Ctrl-C)")
        raise
    report = catalogue.run_report(run_id)
    if timed_out:
        catalogue.finish_run(run_id, "timed_out",
                             f"the harvest ran longer than its limit of {limit:g} s and was stopped")
    elif report.status == "running" and stop is not None and stop.is_set():
        catalogue.finish_run(run_id, "interrupted", "the harvest was asked to stop")
    elif report.status == "running":
        catalogue.finish_run(run_id, "crashed",
                             f"the harvest process exited with code {child.exitcode}; "
                             f"see {log_path(settings, run_id)}")
    _final_drain(settings, catalogue)
    report = catalogue.run_report(run_id)
    try:
        from .health import update_health

        update_health(catalogue, report, settings)
    except Exception:  # noqa: BLE001 - health book-keeping never hides the run's report
        log.exception("updating source health after run %s failed", run_id)
    return report


def _stop(child, grace: float = 5.0) -> None:
    """Ask the child to stop, then insist: Scrapy closes its spiders cleanly on the first
    SIGTERM (waiting for downloads in flight), stops at once on the second; a child that
    still runs is killed."""
    for _ in range(2):
        if child.pid and child.is_alive():
            os.kill(child.pid, signal.SIGTERM)
            child.join(grace)
    if child.is_alive():
        child.kill()
        child.join(5)


def _final_drain(settings: Settings, catalogue: Catalogue) -> None:
    """Index whatever the child left in the outbox (it may have crashed before draining),
    and build the index if none exists yet: after a harvest the portal is searchable, even
    when every source failed (an empty index is an empty portal, not a missing one)."""
    try:
        from indexer.backends import get_backend

        backend = get_backend(settings)
        try:
            pending, _ = catalogue.outbox_status()
            if pending:
                drain(catalogue, backend)
            if not backend.exists():
                from indexer.indexing import rebuild

                rebuild(catalogue, backend)
        finally:
            backend.close()
    except Exception as exc:  # noqa: BLE001 - entries stay in the outbox for the next drain
        log.warning("index drain postponed: %s: %s", exc.__class__.__name__, exc)
