"""Scheduled harvesting (APScheduler 3.x), in its own long-running process.

- One job per enabled source, id ``harvest:<source id>``, reconciled from the source files
  by id: new sources are added, changed schedules replaced, disabled or removed sources
  dropped; reconciling twice changes nothing. Re-read on SIGHUP and every
  ``RECONCILE_SECONDS``.
- Jobs are persisted in ``DATA_DIR/scheduler.sqlite3``, with ``coalesce=True``,
  ``max_instances=1`` and a misfire grace time. A harvest itself also takes the source's run
  lock in the catalogue, so a scheduled run and a ``ccp harvest`` by hand never overlap.
- A source that keeps failing backs off (see :mod:`harvesters.health`): its job still fires,
  but skips the run until the back-off has passed; the first success resets it.
- Tasks queued by the web admin ("run now", source discovery) are picked up from the
  catalogue's task table.
- SIGTERM/SIGINT: running harvests are asked to stop cleanly (recorded as interrupted), the
  scheduler shuts down, and the process exits.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor as TaskPool

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config import Settings, SourceConfigError, load_sources
from config.models import Schedule
from indexer.catalogue import Catalogue
from indexer.resource import utcnow

log = logging.getLogger(__name__)

JOB_PREFIX = "harvest:"
RECONCILE_SECONDS = 60.0
TASK_POLL_SECONDS = 2.0
DRAIN_SECONDS = 15.0  # how often pending index changes are retried (e.g. after an outage)
DEFAULT_SCHEDULE = Schedule(interval={"hours": 6})

# set when the scheduler process is asked to stop: running harvests stop their child
STOP = threading.Event()


def trigger_for(schedule: Schedule | None, default: Schedule = DEFAULT_SCHEDULE):
    sch = schedule or default
    if sch.cron:
        return CronTrigger.from_crontab(sch.cron, timezone="UTC")
    return IntervalTrigger(timezone="UTC", **(sch.interval or {}))


def _fingerprint(source, default: Schedule) -> str:
    sch = source.schedule or default
    return f"{source.id} {json.dumps(sch.model_dump(exclude_none=True), sort_keys=True)}"


def make_scheduler(settings: Settings, *, jobstore=None, max_parallel: int = 4):
    store = jobstore or SQLAlchemyJobStore(
        url=f"sqlite:///{(settings.data_dir / 'scheduler.sqlite3').resolve()}")
    return BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_parallel)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="UTC",
    )


def reconcile(scheduler, sources: Iterable, settings: Settings,
              default: Schedule = DEFAULT_SCHEDULE) -> dict[str, list[str]]:
    """Make the scheduler's jobs match the enabled sources. Returns what changed."""
    desired = {f"{JOB_PREFIX}{s.id}": s for s in sources if s.enabled}
    existing = {j.id: j for j in scheduler.get_jobs() if j.id.startswith(JOB_PREFIX)}
    changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    for jid in sorted(set(existing) - set(desired)):
        scheduler.remove_job(jid)
        changes["removed"].append(jid[len(JOB_PREFIX):])
    args = [str(settings.data_dir), str(settings.sources)]
    for jid, src in sorted(desired.items()):
        fp = _fingerprint(src, default)
        job = existing.get(jid)
        if job is not None and job.name == fp and list(job.args[1:]) == args:
            continue
        if job is not None:
            scheduler.remove_job(jid)
        scheduler.add_job(
            "harvesters.scheduler:harvest_job", trigger_for(src.schedule, default), id=jid,
            name=fp, args=[src.id, *args], coalesce=True, max_instances=1,
            misfire_grace_time=3600,
        )
        changes["changed" if job is not None else "added"].append(src.id)
    return changes


def harvest_job(source_id: str, data_dir: str, sources_path: str, *, trigger: str = "schedule"):
    """What a scheduled job runs: one source's harvest, unless it is backing off."""
    from .run import run_harvest

    settings = Settings.from_env(data_dir=data_dir, sources=sources_path)
    try:
        sources = {s.id: s for s in load_sources(settings.sources)}
    except SourceConfigError as exc:
        log.error("source files are invalid; not harvesting %s:\n%s", source_id, exc)
        return None
    src = sources.get(source_id)
    if src is None or (not src.enabled and trigger == "schedule"):
        log.info("%s is no longer an enabled source; skipping", source_id)
        return None
    cat = Catalogue(settings.catalogue_url)
    try:
        cat.create_all()
        health = cat.source_health().get(source_id)
        if trigger == "schedule" and health and health.retry_not_before \
                and health.retry_not_before > utcnow():
            log.info("%s is backing off until %s after %d failure(s); skipping this run",
                     source_id, health.retry_not_before.isoformat(), health.consecutive_failures)
            return None
    finally:
        cat.close()
    report = run_harvest(settings, [src], trigger=trigger, stop=STOP)
    log.info("run %s of %s: %s", report.id, source_id,
             report.sources[0].status if report.sources else report.status)
    return report.id


class SchedulerProcess:
    """The long-running ``ccp schedule`` process."""

    def __init__(self, settings: Settings, *, reconcile_seconds: float = RECONCILE_SECONDS):
        self.settings = settings
        self.reconcile_seconds = reconcile_seconds
        self.scheduler = make_scheduler(settings)
        self.catalogue = Catalogue(settings.catalogue_url)
        self.tasks = TaskPool(max_workers=2, thread_name_prefix="ccp-task")
        self._reload = threading.Event()
        self._draining = threading.Event()

    def reconcile_now(self) -> dict[str, list[str]] | None:
        try:
            sources = load_sources(self.settings.sources)
        except SourceConfigError as exc:
            log.error("source files are invalid; keeping the current jobs:\n%s", exc)
            return None
        self.catalogue.sync_sources(sources)
        changes = reconcile(self.scheduler, sources, self.settings)
        if any(changes.values()):
            log.info("jobs reconciled: %s", {k: v for k, v in changes.items() if v})
        self._publish_next_runs()
        return changes

    def _publish_next_runs(self) -> None:
        nxt = {}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX):
                nxt[job.id[len(JOB_PREFIX):]] = getattr(job, "next_run_time", None)
        self.catalogue.set_next_runs(nxt)

    def drain_pending(self) -> int:
        """Index what waits in the outbox — e.g. after the search engine was down: once it
        answers again, the backlog drains by itself."""
        from indexer.backends import get_backend
        from indexer.indexing import drain

        try:
            pending, _ = self.catalogue.outbox_status()
            if not pending:
                return 0
            backend = get_backend(self.settings)
            try:
                result = drain(self.catalogue, backend)
            finally:
                backend.close()
            if result.applied:
                log.info("indexed %d pending change(s) from the outbox", result.applied)
            if result.error:
                log.warning("outbox drain: %s", result.error)
            return result.applied
        except Exception as exc:  # noqa: BLE001 - retried on the next tick
            log.warning("outbox drain postponed: %s: %s", exc.__class__.__name__, exc)
            return 0

    def embed_pending(self) -> int:
        """Embed a bounded batch of the resources still without a vector (CCP_EMBED_PER_TICK
        per tick, so harvests never wait on it) and publish the vectors. Returns how many
        were embedded."""
        from indexer.backends import get_backend
        from indexer.embeddings import EmbedderError, load_embedder
        from indexer.indexing import embed

        limit = self.settings.embed_per_tick
        if not limit or STOP.is_set():
            return 0
        try:
            embedder = load_embedder(self.settings.embedder)
            if embedder is None or not self.catalogue.embedding_backlog(embedder.name) \
                    and not self.catalogue.embedding_status(embedder.name).unpublished:
                return 0
            backend = get_backend(self.settings)
            try:
                result = embed(self.catalogue, backend, embedder, limit=limit,
                               batch=self.settings.embed_batch,
                               centering=self.settings.embed_centering,
                               stale_after=self.settings.lock_stale_seconds, stop=STOP)
            finally:
                backend.close()
            if result.embedded:
                log.info("embedded %d resource(s) (%d still to embed)", result.embedded,
                         result.backlog)
            if result.error:
                log.warning("vectors stored but not published: %s", result.error)
            return result.embedded
        except EmbedderError as exc:
            log.warning("no embeddings: %s", exc)
            return 0
        except Exception as exc:  # noqa: BLE001 - retried on the next tick
            log.warning("embedding postponed: %s: %s", exc.__class__.__name__, exc)
            return 0

    def _maintain_index(self) -> None:
        """One tick of index upkeep: the outbox drain, then a bounded embedding batch."""
        try:
            self.drain_pending()
            self.embed_pending()
        finally:
            self._draining.clear()

    def _run_tasks(self) -> None:
        for task in self.catalogue.claim_tasks():
            self.tasks.submit(self._task, task)

    def _task(self, task) -> None:
        from .discover import discover_task

        try:
            if task["kind"] == "harvest":
                run_id = harvest_job(task["args"]["source_id"], str(self.settings.data_dir),
                                     str(self.settings.sources), trigger="admin")
                self.catalogue.finish_task(task["id"], "done", {"run_id": run_id})
            elif task["kind"] == "discover":
                result = discover_task(self.settings, task["args"])
                self.catalogue.finish_task(task["id"], "done", result)
            else:
                self.catalogue.finish_task(task["id"], "failed",
                                           {"error": f"unknown task kind {task['kind']!r}"})
        except Exception as exc:  # noqa: BLE001 - a task failure is reported on the task
            log.exception("task %s failed", task["id"])
            self.catalogue.finish_task(task["id"], "failed",
                                       {"error": f"{exc.__class__.__name__}: {exc}"})

    def run(self, *, install_signals: bool = True) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.catalogue.create_all()
        if install_signals:
            signal.signal(signal.SIGHUP, lambda *_: self._reload.set())
            signal.signal(signal.SIGTERM, lambda *_: STOP.set())
            signal.signal(signal.SIGINT, lambda *_: STOP.set())
        self.scheduler.start(paused=True)
        self.reconcile_now()
        self.scheduler.resume()
        log.info("scheduler running with %d job(s)", len(self.scheduler.get_jobs()))
        last_reconcile = last_tasks = last_drain = time.monotonic()
        try:
            while not STOP.is_set():
                STOP.wait(0.5)
                now = time.monotonic()
                if self._reload.is_set() or now - last_reconcile >= self.reconcile_seconds:
                    self._reload.clear()
                    self.reconcile_now()
                    last_reconcile = now
                if now - last_tasks >= TASK_POLL_SECONDS:
                    self._run_tasks()
                    self._publish_next_runs()
                    last_tasks = now
                if now - last_drain >= DRAIN_SECONDS and not self._draining.is_set():
                    last_drain = now
                    self._draining.set()
                    self.tasks.submit(self._maintain_index)
        finally:
            log.info("scheduler stopping: waiting for running harvests to stop cleanly")
            STOP.set()
            self.scheduler.shutdown(wait=True)
            self.tasks.shutdown(wait=True)
            self.catalogue.close()


def serve_forever(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    STOP.clear()
    SchedulerProcess(settings).run()


