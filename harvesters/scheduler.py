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
- A job that fires only queues its source (:class:`HarvestQueue`); one run at a time then
  harvests every source that is due (up to ``CCP_SCHEDULER_BATCH``) in one child process, so
  the run's host queues (:mod:`harvesters.politeness`: one request in flight per host, the
  delay from the end of the last response, ``CCP_MAX_IN_FLIGHT`` over all hosts) hold over
  every source the scheduler harvests, and a thousand due sources cost one process, not a
  thousand. What falls due during a run waits for the next one; a source already waiting or
  being harvested is not queued twice.
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
from concurrent.futures import Future
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
JOB_FUNC = "harvesters.scheduler:queue_job"
# a run starts once no further source has fallen due for GATHER_SECONDS (the jobs of many
# sources due at one moment fire one after another), and waits at most GATHER_MAX_SECONDS
GATHER_SECONDS = 1.0
GATHER_MAX_SECONDS = 30.0
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
        if job is not None and job.name == fp and list(job.args[1:]) == args \
                and job.func_ref == JOB_FUNC:
            continue
        if job is not None:
            scheduler.remove_job(jid)
        scheduler.add_job(
            JOB_FUNC, trigger_for(src.schedule, default), id=jid,
            name=fp, args=[src.id, *args], coalesce=True, max_instances=1,
            misfire_grace_time=3600,
        )
        changes["changed" if job is not None else "added"].append(src.id)
    return changes


def queue_job(source_id: str, data_dir: str, sources_path: str) -> None:
    """What a scheduled job runs: its source joins the scheduler's next run (without a running
    :class:`HarvestQueue`, e.g. called by hand, the source is harvested at once)."""
    queue = QUEUE
    if queue is None:
        harvest_job(source_id, data_dir, sources_path)
        return
    queue.submit(source_id, "schedule")


def harvest_job(source_id: str, data_dir: str, sources_path: str, *, trigger: str = "schedule"):
    """One source's harvest now, in a run of its own, unless it is backing off."""
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


class HarvestQueue:
    """The sources waiting for the scheduler's next run, and the thread that runs them: one
    run at a time, every waiting source of one trigger in it (up to ``CCP_SCHEDULER_BATCH``),
    once the sources falling due together have arrived (:meth:`_gather`)."""

    def __init__(self, settings: Settings, stop: threading.Event,
                 gather_seconds: float = GATHER_SECONDS):
        self.settings = settings
        self.stop = stop
        self.gather_seconds = gather_seconds
        self._waiting: dict[str, tuple[str, Future]] = {}  # source id -> (trigger, result)
        self._running: set[str] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, source_id: str, trigger: str = "schedule") -> Future:
        """Queue ``source_id`` for the next run; its future gets that run's id (None when the
        source was not harvested). A source already waiting keeps its place; one being
        harvested by a scheduled run is not queued again by its schedule."""
        with self._cond:
            if source_id in self._waiting:
                return self._waiting[source_id][1]
            fut: Future = Future()
            if source_id in self._running and trigger == "schedule":
                fut.set_result(None)
                return fut
            self._waiting[source_id] = (trigger, fut)
            self._cond.notify()
            return fut

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ccp-harvest-queue",
                                        daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _take(self) -> tuple[str, dict[str, Future]]:
        with self._cond:
            trigger = next(iter(self._waiting.values()))[0]
            ids = [sid for sid, (t, _) in self._waiting.items() if t == trigger]
            ids = ids[:max(1, self.settings.scheduler_batch)]
            batch = {sid: self._waiting.pop(sid)[1] for sid in ids}
            self._running = set(batch)
            return trigger, batch

    def _gather(self) -> None:
        """Wait while sources keep falling due (see :data:`GATHER_SECONDS`)."""
        started = time.monotonic()
        while time.monotonic() - started < GATHER_MAX_SECONDS:
            with self._cond:
                before = len(self._waiting)
            if self.stop.wait(self.gather_seconds):
                return
            with self._cond:
                if len(self._waiting) == before \
                        or len(self._waiting) >= self.settings.scheduler_batch:
                    return

    def _loop(self) -> None:
        while not self.stop.is_set():
            with self._cond:
                if not self._waiting:
                    self._cond.wait(0.5)
                    continue
            self._gather()
            if self.stop.is_set():
                break
            trigger, batch = self._take()
            run_id, harvested = None, set()
            try:
                run_id, harvested = self._harvest(trigger, list(batch))
            except Exception:  # noqa: BLE001 - one failed run never stops the scheduler
                log.exception("the run of %d source(s) failed", len(batch))
            finally:
                with self._cond:
                    self._running = set()
                for sid, fut in batch.items():
                    fut.set_result(run_id if sid in harvested else None)
        with self._cond:  # stopping: what still waits is not harvested
            for _trigger, fut in self._waiting.values():
                fut.set_result(None)
            self._waiting.clear()

    def _harvest(self, trigger: str, ids: list[str]) -> tuple[int | None, set[str]]:
        """One run of those of the sources ``ids`` that may run now: its id and theirs."""
        from .run import run_harvest

        try:
            sources = {s.id: s for s in load_sources(self.settings.sources)}
        except SourceConfigError as exc:
            log.error("source files are invalid; not harvesting %d source(s):\n%s",
                      len(ids), exc)
            return None, set()
        cat = Catalogue(self.settings.catalogue_url)
        try:
            cat.create_all()
            health = cat.source_health()
        finally:
            cat.close()
        now, runnable = utcnow(), []
        for sid in ids:
            src, h = sources.get(sid), health.get(sid)
            if src is None or (not src.enabled and trigger == "schedule"):
                log.info("%s is no longer an enabled source; skipping", sid)
            elif trigger == "schedule" and h and h.retry_not_before and h.retry_not_before > now:
                log.info("%s is backing off until %s after %d failure(s); skipping this run",
                         sid, h.retry_not_before.isoformat(), h.consecutive_failures)
            else:
                runnable.append(src)
        if not runnable:
            return None, set()
        report = run_harvest(self.settings, runnable, trigger=trigger, stop=self.stop)
        counts: dict[str, int] = {}
        for s in report.sources:
            counts[s.status] = counts.get(s.status, 0) + 1
        log.info("run %s of %d source(s): %s", report.id, len(runnable),
                 ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        return report.id, {s.id for s in runnable}


# the running scheduler's queue (jobs are module-level functions, persisted by name)
QUEUE: HarvestQueue | None = None


class SchedulerProcess:
    """The long-running ``ccp schedule`` process."""

    def __init__(self, settings: Settings, *, reconcile_seconds: float = RECONCILE_SECONDS):
        self.settings = settings
        self.reconcile_seconds = reconcile_seconds
        self.scheduler = make_scheduler(settings)
        self.catalogue = Catalogue(settings.catalogue_url)
        self.tasks = TaskPool(max_workers=2, thread_name_prefix="ccp-task")
        self.queue = HarvestQueue(settings, STOP)
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
                done = self.queue.submit(task["args"]["source_id"], "admin")
                done.add_done_callback(lambda f, tid=task["id"]: self.catalogue.finish_task(
                    tid, "done", {"run_id": f.result()}))
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
        global QUEUE
        QUEUE = self.queue
        self.queue.start()
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
            self.queue.join()
            QUEUE = None
            self.tasks.shutdown(wait=True)
            self.catalogue.close()


def serve_forever(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    STOP.clear()
    SchedulerProcess(settings).run()


