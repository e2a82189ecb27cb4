"""Normalisation in worker processes: the CPU-heavy, pure part of a harvest on every core.

Turning fetched bytes into a :class:`~indexer.resource.Resource` (decoding, parsing, main
text, metadata, language, classification) needs nothing but the bytes and the source, and is
most of a harvest's CPU. :class:`NormalisePool` runs it in ``workers`` processes while the
harvest process fetches and writes the catalogue (one writer, in one process), so a harvest
uses every core.

Each worker handles one document at a time and is watched by a thread of its own (after
Celery's prefork pool and billiard's per-task time limit): a worker that dies on a document (a
crash in a C library, the kernel's OOM killer) or takes longer than ``timeout`` seconds on it
(a hostile page) is killed and replaced, and only that document fails, with a message naming
what happened; every other document goes on. The first workers are forked from the harvest
process before it starts crawling (a fork costs milliseconds, a fresh interpreter over a second
of CPU); each loads trafilatura and the language model with its first document, so a run that
fetches nothing (every page unchanged) pays for none of it. A replacement is a fresh
interpreter (the harvest process has threads by then, which a fork does not copy).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from concurrent.futures import Future
from typing import Any

from indexer.normalise import NormaliseError, normalise
from indexer.resource import RawDocument, Resource

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_TIMEOUT", "NormalisePool", "WorkerFailure", "default_workers",
           "name_process"]

# seconds one document may take in a worker: normalising a page takes milliseconds, a PDF of
# hundreds of pages a few seconds; far beyond that the worker is stuck on a hostile document
DEFAULT_TIMEOUT = 120.0
# how long a new worker may take to start (imports, the taxonomy, the models a first document
# loads) before it takes documents: its start-up never counts against a document's timeout
STARTUP_TIMEOUT = 120.0
_WARM_UP = RawDocument(source_id="", url="https://warm-up.invalid/", final_url="https://warm-up.invalid/",
                       body=("<html><head><title>Circular economy in Kaunas</title></head><body>"
                             "<main><p>The call for circular economy projects in Kaunas closes "
                             "on 15 March 2027. Repair cafés, reuse centres and food waste "
                             "prevention in schools are eligible.</p></main></body></html>"
                             ).encode(), headers={"content-type": "text/html; charset=utf-8"})


class WorkerFailure(Exception):
    """A worker died or overran its time on a document (the message says which)."""


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def name_process(name: str) -> None:
    """Show ``name`` for this process in ps/top (Linux; elsewhere nothing happens)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _worker_main(conn, other_end, sources: dict[str, Any], taxonomy) -> None:
    """A worker: normalise each (raw document, source id) received; answer the outcome."""
    if other_end is not None:
        other_end.close()  # the harvest's end: EOF here when the harvest process is gone
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harvest's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    name_process("ccp-normalise")
    if taxonomy is None:
        from config.taxonomy import load_taxonomy

        taxonomy = load_taxonomy()
    _watch_parent()
    _warm_up(sources, taxonomy)
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        raw, source_id = job
        try:
            answer = ("ok", normalise(raw, sources[source_id], taxonomy=taxonomy))
        except NormaliseError as exc:
            answer = ("invalid", str(exc))
        except Exception as exc:  # noqa: BLE001 - one document's error is that document's
            answer = ("error", f"could not be read: {exc.__class__.__name__}: {exc}")
        try:
            conn.send(answer)
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
            conn.send(("error", f"could not be read: {exc.__class__.__name__}: {exc}"))


def _warm_up(sources: dict[str, Any], taxonomy) -> None:
    """Load what the first document would (language models, the places gazetteer, the
    extractors) before taking documents, so that a document's timeout measures its own work."""
    source = next(iter(sources.values()), None)
    if source is None:
        return
    try:
        normalise(_WARM_UP, source, taxonomy=taxonomy)
    except Exception:  # noqa: BLE001 - a warm-up that fails leaves the first document to pay
        log.debug("normalising worker: warm-up failed", exc_info=True)


def _watch_parent(every: float = 0.5) -> None:
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="ccp-normalise-parent-watch", daemon=True).start()


class _Slot:
    """One worker process and the thread that feeds it documents and watches it."""

    def __init__(self, pool: "NormalisePool", index: int):
        self.pool = pool
        self.index = index
        self.proc = None
        self.conn = None
        self.ready = False
        self.thread = threading.Thread(target=self._loop, name=f"ccp-normalise-{index}",
                                       daemon=True)

    def start_worker(self, fork: bool) -> None:
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, name=f"ccp-normalise-{self.index}",
                           args=(theirs, mine if fork else None, self.pool.sources,
                                 self.pool.taxonomy if fork else None), daemon=True)
        proc.start()
        theirs.close()
        self.proc, self.conn, self.ready = proc, mine, False

    def stop_worker(self, kill: bool = False) -> None:
        proc, conn = self.proc, self.conn
        self.proc = self.conn = None
        if proc is None:
            return
        if kill and proc.is_alive():
            proc.kill()
        elif conn is not None:
            try:
                conn.send(None)
            except OSError:
                pass
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        if conn is not None:
            conn.close()

    def _loop(self) -> None:
        while True:
            job = self.pool.jobs.get()
            if job is None:
                self.stop_worker()
                return
            raw, source_id, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                outcome = self._run(raw, source_id)
            except Exception as exc:  # noqa: BLE001 - never leave a document unanswered
                log.exception("normalising worker %s failed on %s", self.index, raw.url)
                outcome = WorkerFailure(f"the normalising process failed: "
                                        f"{exc.__class__.__name__}: {exc}")
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def _run(self, raw: RawDocument, source_id: str):
        if self.proc is None or not self.proc.is_alive():
            self.stop_worker(kill=True)
            self.start_worker(fork=False)
        if not self.ready:
            failure = self._await_start()
            if failure is not None:
                return failure
        try:
            self.conn.send((raw, source_id))
        except OSError:  # it died while receiving the document
            return self._died()
        timeout = self.pool.timeout
        if not self.conn.poll(timeout):
            self.stop_worker(kill=True)
            return WorkerFailure(f"normalising took longer than {timeout:g} s; the worker "
                                 f"was stopped")
        try:
            answer = self.conn.recv()
        except (EOFError, OSError):
            return self._died()
        kind, value = answer
        if kind == "ok":
            return value
        if kind == "invalid":
            return NormaliseError(value)
        return WorkerFailure(value)


    def _await_start(self) -> WorkerFailure | None:
        """Wait until a new worker says it is ready; a failure if it died or never did."""
        if not self.conn.poll(STARTUP_TIMEOUT):
            self.stop_worker(kill=True)
            return WorkerFailure(f"the normalising worker did not start within "
                                 f"{STARTUP_TIMEOUT:g} s; it was stopped")
        try:
            kind, _ = self.conn.recv()
        except (EOFError, OSError):
            return self._died()
        self.ready = kind == "ready"
        return None

    def _died(self) -> WorkerFailure:
        """The worker ended while it had the document: why, for the run's report."""
        proc = self.proc
        proc.join(5)
        code = proc.exitcode
        self.stop_worker(kill=True)
        how = (f"was killed by signal {-code}" if code is not None and code < 0
               else f"exited with code {code}")
        return WorkerFailure(f"the normalising process {how} while reading this document")


class NormalisePool:
    """``workers`` processes normalising documents of the given sources (see the module
    docstring). :meth:`submit` returns a :class:`concurrent.futures.Future` of the Resource;
    it fails with :class:`NormaliseError` (the document is unusable) or
    :class:`WorkerFailure` (the worker died or overran ``timeout`` on it)."""

    def __init__(self, workers: int, sources: dict[str, Any], *, taxonomy=None,
                 timeout: float = DEFAULT_TIMEOUT):
        if workers < 1:
            raise ValueError("a normalising pool needs at least one worker")
        self.sources = sources
        self.taxonomy = taxonomy
        self.timeout = timeout
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.slots = [_Slot(self, i) for i in range(workers)]
        for slot in self.slots:
            slot.start_worker(fork=True)
        for slot in self.slots:
            slot.thread.start()
        self.closed = False

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (a replaced worker has a new one)."""
        return [s.proc.pid for s in self.slots if s.proc is not None and s.proc.pid]

    def submit(self, raw: RawDocument, source_id: str) -> "Future[Resource]":
        if self.closed:
            raise RuntimeError("the normalising pool is closed")
        future: Future = Future()
        self.jobs.put((raw, source_id, future))
        return future

    def close(self) -> None:
        """Finish the documents submitted, then stop the workers."""
        if self.closed:
            return
        self.closed = True
        for _ in self.slots:
            self.jobs.put(None)
        for slot in self.slots:
            slot.thread.join()
