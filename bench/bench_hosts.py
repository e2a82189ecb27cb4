"""Many hosts at once, through the scheduler: pages/s against the politeness ceiling.

    flock /tmp/ccp-bench.lock .venv/bin/python bench/bench_hosts.py \\
        [--hosts 200] [--sites 5] [--items 3] [--delay 5] [--max-in-flight 16] [--tree DIR]

The many-hosts fixture web (:mod:`ccp.fixtureweb.manyhosts`) listens in this process on
``--hosts`` loopback addresses (127.0.1.1 …), each with ``--sites`` sites of ``--items``
pages; every site is a source (a feed or a sitemap), so 200 hosts × 5 sites = 1,000 sources.
``ccp schedule`` runs as the operator runs it (a process of its own, its harvests in their
child processes), with every source on the cron line ``* * * * *`` (all fall due at the
next minute, together), the loopback range allowed
explicitly (``CCP_ALLOWED_PRIVATE_ADDRESSES=127.0.0.0/8``), ``CCP_DOWNLOAD_DELAY=--delay``
and ``CCP_MAX_IN_FLIGHT=--max-in-flight``. The benchmark waits until every source has a
finished scheduled run and stops the scheduler (SIGTERM).

It prints, from the fixture web's own record of every request:

- requests/s and pages/s over the harvest (first request to last answer), against the
  politeness ceiling ``hosts / delay`` requests/s, capped by ``max-in-flight / answer time``;
  and, stricter, the shortest possible harvest — the busiest host's requests one after the
  other, each ``delay`` after the last answer: ``(n - 1) × (delay + answer) + answer`` —
  against the harvest's real span;
- the most requests ever in flight to one host and over all hosts, the shortest gap from an
  answer to the next request to the same host, and how many gaps were shorter than the delay;
- scheduled runs used (and sources in each), sources harvested, wall time from the
  scheduler's start (which includes waiting for the next minute);
- peak resident memory of the largest process, the sum of every process's own peak (the
  scheduler, its harvest children and their workers; processes that ran one after another
  are summed too, so this overstates what was resident at once when there were many), and
  the CPU seconds of them all (read from /proc every 0.5 s while they run).

``--tree DIR`` runs the scheduler of another checkout (e.g. ``git archive <commit> | tar -x``)
against the same fixture web, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ccp.fixtureweb.manyhosts import ManyHostsWeb  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


class ProcessWatch:
    """Peak resident memory (VmHWM) and CPU time of a process and all its descendants,
    sampled from /proc until stopped."""

    def __init__(self, root_pid: int, every: float = 0.5):
        self.root, self.every = root_pid, every
        self.peak_kb: dict[int, int] = {}
        self.cpu_ticks: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "ProcessWatch":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def _sample(self) -> None:
        for pid in self._tree():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    kb = int(line.split()[1])
                    self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), kb)
                elif line.startswith("Name:"):
                    self.names[pid] = line.split(None, 1)[1]
            self.cpu_ticks[pid] = int(stat[11]) + int(stat[12])  # utime + stime

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    @property
    def largest_mb(self) -> float:
        return max(self.peak_kb.values(), default=0) / 1024

    @property
    def summed_mb(self) -> float:
        return sum(self.peak_kb.values()) / 1024

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_ticks.values()) / TICK


def scheduled_runs(db: Path) -> dict[int, dict[str, str]]:
    """{run id: {source id: status}} of the finished scheduled runs, read straight from the
    catalogue's SQLite file (so any checkout's schema is read alike)."""
    if not db.exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            rows = con.execute(
                "SELECT r.id, s.source_id, s.status FROM runs r JOIN run_sources s "
                "ON s.run_id = r.id WHERE r.trigger = 'schedule' AND r.status != 'running'"
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    out: dict[int, dict[str, str]] = {}
    for run_id, sid, status in rows:
        out.setdefault(run_id, {})[sid] = status
    return out


def run(args) -> dict:
    web = ManyHostsWeb(hosts=args.hosts, sites=args.sites, items=args.items,
                       service_seconds=args.service).start()
    tree = Path(args.tree).resolve() if args.tree else ROOT
    try:
        with tempfile.TemporaryDirectory(prefix="ccp-bench-hosts-") as tmp:
            data, sources_dir = Path(tmp) / "data", Path(tmp) / "sources"
            sources_dir.mkdir(parents=True)
            # every source on the same cron line: all fall due at the next minute together
            srcs = web.sources(schedule={"cron": "* * * * *"})
            import yaml

            for s in srcs:
                (sources_dir / f"{s['id']}.yaml").write_text(yaml.safe_dump(s), encoding="utf-8")
            env = {**os.environ, "CCP_DATA_DIR": str(data), "CCP_SOURCES": str(sources_dir),
                   "CCP_ALLOWED_PRIVATE_ADDRESSES": "127.0.0.0/8",
                   "CCP_DOWNLOAD_DELAY": str(args.delay),
                   "CCP_MAX_IN_FLIGHT": str(args.max_in_flight),
                   "CCP_CONCURRENT_PER_HOST": "1", "CCP_RETRY_TIMES": "0",
                   "CCP_EMBED_PER_TICK": "0", "CCP_HARVEST_TIMEOUT": str(args.timeout),
                   "PYTHONPATH": str(tree)}
            env.pop("CCP_DATABASE_URL", None)  # the catalogue is the SQLite file read below
            ids = {s["id"] for s in srcs}
            started = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "ccp.cli", "schedule"], env=env,
                                    cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
            watch = ProcessWatch(proc.pid).start()
            log_lines: list[str] = []
            reader = threading.Thread(target=lambda: log_lines.extend(proc.stdout), daemon=True)
            reader.start()
            first: dict[str, tuple[int, str]] = {}
            try:
                while time.monotonic() - started < args.timeout:
                    time.sleep(1.0)
                    runs = scheduled_runs(data / "catalogue.sqlite3")
                    for run_id in sorted(runs):
                        for sid, status in runs[run_id].items():
                            first.setdefault(sid, (run_id, status))
                    if ids <= set(first):
                        break
                    if proc.poll() is not None:
                        break
                hits = list(web.hits)
                wall = time.monotonic() - started
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                watch.stop()
            return report(args, web, hits, first, ids, wall, watch, log_lines)
    finally:
        web.stop()


def report(args, web, hits, first, ids, wall, watch, log_lines) -> dict:
    web.hits = hits
    seen = web.politeness(args.delay)
    span = (max(h.end for h in hits) - min(h.start for h in hits)) if hits else 0.0
    answer = sum(h.end - h.start for h in hits) / len(hits) if hits else 0.0
    per_host: dict[str, int] = {}
    for h in hits:
        per_host[h.host] = per_host.get(h.host, 0) + 1
    busiest = max(per_host.values(), default=0)
    ceiling = args.hosts / args.delay if args.delay else float("inf")
    if answer:
        ceiling = min(ceiling, args.max_in_flight / answer)
    shortest = (busiest - 1) * (args.delay + answer) + answer if busiest else 0.0
    statuses: dict[str, int] = {}
    for _run, status in first.values():
        statuses[status] = statuses.get(status, 0) + 1
    rps = len(hits) / span if span else 0.0
    return {
        "tree": args.tree or "this checkout", "hosts": args.hosts, "sources": len(ids),
        "delay_s": args.delay, "max_in_flight": args.max_in_flight,
        "sources_harvested": len(set(first) & ids), "source_statuses": statuses,
        "scheduled_runs": len({r for r, _ in first.values()}),
        "sources_per_run": sorted(sum(1 for r, _ in first.values() if r == run)
                                  for run in {r for r, _ in first.values()}),
        "requests": len(hits), "pages": sum(1 for h in hits if h.path.endswith(".html")),
        "robots_requests": sum(1 for h in hits if h.path == "/robots.txt"),
        "harvest_span_s": round(span, 1), "wall_from_scheduler_start_s": round(wall, 1),
        "requests_per_s": round(rps, 2),
        "pages_per_s": round(sum(1 for h in hits if h.path.endswith(".html")) / span, 2)
        if span else 0.0,
        "mean_answer_ms": round(answer * 1000, 1),
        "ceiling_requests_per_s": round(ceiling, 2),
        "of_ceiling": round(rps / ceiling, 3) if ceiling else None,
        "busiest_host_requests": busiest,
        "shortest_possible_span_s": round(shortest, 1),
        "span_vs_shortest": round(span / shortest, 3) if shortest else None,
        "max_in_flight_per_host": seen.max_in_flight_per_host,
        "max_in_flight_total": seen.max_in_flight_total,
        "shortest_gap_s": round(seen.shortest_gap, 4) if seen.shortest_gap is not None else None,
        "gaps_shorter_than_delay": len(seen.too_close),
        "peak_rss_largest_process_mb": round(watch.largest_mb, 1),
        "peak_rss_summed_mb": round(watch.summed_mb, 1),
        "processes": len(watch.peak_kb),
        "cpu_s": round(watch.cpu_seconds, 1),
        "scheduler_log_tail": [ln.rstrip() for ln in log_lines[-5:]],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hosts", type=int, default=200)
    p.add_argument("--sites", type=int, default=5, help="sites (sources) per host")
    p.add_argument("--items", type=int, default=3, help="pages per site")
    p.add_argument("--delay", type=float, default=5.0, help="CCP_DOWNLOAD_DELAY, seconds")
    p.add_argument("--max-in-flight", type=int, default=16, help="CCP_MAX_IN_FLIGHT")
    p.add_argument("--service", type=float, default=0.02, help="seconds each answer takes")
    p.add_argument("--timeout", type=float, default=1800.0)
    p.add_argument("--tree", help="run the scheduler of this checkout instead")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    out = run(args)
    for k, v in out.items():
        if k != "scheduler_log_tail":
            print(f"{k:32} {v}")
    if out["sources_harvested"] < out["sources"]:
        print("scheduler log (last lines):", *out["scheduler_log_tail"], sep="\n  ")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
