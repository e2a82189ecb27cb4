"""Serving benchmark: ``ccp serve`` against a bare Flask+Jinja page, same server, one run.

    flock /tmp/ccp-bench.lock .venv/bin/python bench/bench_serve.py --docs 100000
    flock /tmp/ccp-bench.lock .venv/bin/python bench/bench_serve.py --index /tmp/idx/m1 \\
        --connections 8

Builds (or reuses, ``--index DIR``: a data dir holding ``index/`` or an index dir itself) an
embedded index of N synthetic documents (bench_search.py's generator, see serve_corpus.py),
then starts two real servers side by side, each as its own process tree:

* the portal: ``ccp serve --workers N`` (gunicorn, N pre-forked workers), on a data dir whose
  ``index`` links to the index (read-only) and whose catalogue names the 40 sources;
* the baseline: a bare Flask app rendering a Jinja page of 10 results (a loop, escaping, no
  search), served by the same server with the same workers and threads.

Each is driven by wrk (``apt-get install wrk``) at each number of connections for
``--duration`` seconds, over the same few hundred query strings (words common and rare, two
words, OR, filters, the landing page), after a warm-up. Printed: requests/s, p50/p95/p99
latency, the ratio of each portal page to the bare page, and the cores the server's processes
used (their CPU seconds over the wall-clock seconds). ``--repo DIR --server waitress`` runs
``ccp serve`` of another checkout (main before the change) and both servers on waitress.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.serve_corpus import build, request_paths, write_sources  # noqa: E402

SERVED = re.compile(r"Serving .*?(http://[^\s/]+)/")
WRK_SCRIPT = r"""
local paths = {}
local at = 1
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  at = math.random(#paths)
end
request = function()
  local p = paths[at]
  at = at % #paths + 1
  return wrk.format("GET", p)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.0f %.0f %.0f %d %d\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""

# -- the baseline: a bare Flask+Jinja page -------------------------------------------------
BARE_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ q }} – results</title></head>
<body><form action="/"><input name="q" value="{{ q }}"><button>Search</button></form>
<p>{{ total }} results</p>
<ol>{% for r in results %}
<li><h2><a href="{{ r.url }}">{{ r.title }}</a></h2>
<p class="meta">{{ r.language }} · {{ r.date }} · {{ r.source }}</p>
<p>{{ r.snippet }}</p></li>{% endfor %}
</ol></body></html>"""


def bare_app():
    """A Flask app with one page: a Jinja template looping over 10 fixed results."""
    from flask import Flask, render_template_string, request

    app = Flask("bare")
    results = [{"url": f"https://example.org/doc{i}", "title": f"Circular economy strategy {i}",
                "language": "en", "date": "2024-03-05", "source": "Synthetic source 07",
                "snippet": "Cities & regions <reuse> materials: " + "circular economy " * 12}
               for i in range(10)]

    @app.get("/")
    def page():
        return render_template_string(BARE_TEMPLATE, q=request.args.get("q", ""),
                                      total=1234, results=results)

    return app


def serve_bare(server: str, workers: int, threads: int) -> None:
    """Serve the bare page on 127.0.0.1, any free port; prints the URL like ``ccp serve``."""
    from search_ui.wsgi import make_prefork_server, make_server

    app = bare_app()

    def ready(host: str, port: int) -> None:
        print(f"Serving the bare page on http://{host}:{port}/", flush=True)

    if server == "gunicorn":
        make_prefork_server(app, "127.0.0.1", 0, workers=workers, threads=threads,
                            on_ready=ready).run()
    else:
        srv = make_server(app, "127.0.0.1", 0, threads=threads)
        ready("127.0.0.1", srv.effective_port)
        try:
            srv.run()
        finally:
            srv.close()


# -- running servers -------------------------------------------------------------------------
class Server:
    """A server started as its own process group; ``url`` once it says it listens."""

    def __init__(self, name: str, cmd: list[str], cwd: Path) -> None:
        self.name = name
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self.url = None
        deadline = time.monotonic() + 120
        for line in self.proc.stdout:
            m = SERVED.search(line)
            if m:
                self.url = m.group(1)
                break
            if time.monotonic() > deadline:
                break
        if self.url is None:
            self.stop()
            raise SystemExit(f"{name} did not start: {' '.join(cmd)}")

    def pids(self) -> list[int]:
        """The server's processes: the master and its children."""
        out = [self.proc.pid]
        try:
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            out += [int(p) for p in kids.split()]
        except OSError:
            pass
        return out

    def cpu_seconds(self) -> float:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        return total

    def stop(self) -> None:
        """SIGTERM to the process group (the master stops its workers), then SIGKILL."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        try:  # nothing of it may outlive the benchmark
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wrk(url: str, paths_file: Path, script: Path, connections: int, seconds: float,
        server: Server) -> dict:
    cmd = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--timeout", "10s", "-s", str(script), url, "--", str(paths_file)]
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu1, t1 = server.cpu_seconds(), time.monotonic()
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    n, micros, p50, p95, p99, status_errors, socket_errors = (int(float(x))
                                                              for x in line.split()[1:])
    return {"requests": n, "rps": n / (micros / 1e6), "p50_ms": p50 / 1000,
            "p95_ms": p95 / 1000, "p99_ms": p99 / 1000, "non_2xx": status_errors,
            "socket_errors": socket_errors, "cores": (cpu1 - cpu0) / (t1 - t0)}


def median_run(runs: list[dict]) -> dict:
    """The round with the median requests/s (its latencies with it); errors of all rounds."""
    chosen = dict(sorted(runs, key=lambda r: r["rps"])[len(runs) // 2])
    chosen["non_2xx"] = sum(r["non_2xx"] for r in runs)
    chosen["socket_errors"] = sum(r["socket_errors"] for r in runs)
    return chosen


# -- the data dir ----------------------------------------------------------------------------
def data_dir_for(args, work: Path) -> tuple[Path, str]:
    """A data dir to serve: the index linked in, a catalogue with the sources' names."""
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    if args.index:
        src = args.index.resolve()
        index = src / "index" if (src / "index").is_dir() else src
        if not (index / "CURRENT").exists():
            raise SystemExit(f"{args.index}: no embedded index there (no CURRENT file)")
        (data / "index").symlink_to(index, target_is_directory=True)
        described = f"the index in {index}"
    else:
        t = time.perf_counter()
        build(data, args.docs)
        described = f"{args.docs} synthetic documents indexed in {time.perf_counter() - t:.0f} s"
    write_sources(data)
    return data, described


def portal_command(args, data: Path) -> list[str]:
    cmd = [sys.executable, "-m", "ccp.cli", "--data-dir", str(data), "--sources",
           str(data / "sources"), "serve", "--host", "127.0.0.1", "--port", "0",
           "--threads", str(args.threads)]
    if args.server == "gunicorn":
        cmd += ["--workers", str(args.workers)]
    return cmd


def sources_in_catalogue(data: Path, repo: Path) -> None:
    """The sources' names in the catalogue (what ``ccp sources`` / the scheduler do)."""
    code = ("import sys; from config import Settings, load_sources; "
            "from indexer.catalogue import Catalogue; "
            "s = Settings.from_env(data_dir=sys.argv[1], sources=sys.argv[1] + '/sources'); "
            "c = Catalogue(s.catalogue_url); c.create_all(); "
            "c.sync_sources(load_sources(s.sources)); c.close()")
    subprocess.run([sys.executable, "-c", code, str(data)], cwd=repo, check=True)


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="ccp-bench-serve-"))
    servers: list[Server] = []
    try:
        data, described = data_dir_for(args, work)
        repo = (args.repo or ROOT).resolve()
        sources_in_catalogue(data, repo)
        qs = request_paths(args.paths)["queries"]
        files = {}
        for name, prefix in (("bare", "/?"), ("api", "/api/search?"), ("html", "/search?")):
            files[name] = work / f"{name}.paths"
            files[name].write_text("".join(f"{prefix}{q}\n" for q in qs))
        script = work / "paths.lua"
        script.write_text(WRK_SCRIPT)
        portal = Server("ccp serve", portal_command(args, data), repo)
        servers.append(portal)
        bare = Server("bare page", [sys.executable, str(Path(__file__).resolve()),
                                    "--bare-server", "--server", args.server,
                                    "--workers", str(args.workers),
                                    "--threads", str(args.threads)], ROOT)
        servers.append(bare)
        targets = [("bare page", bare, "bare"), ("/api/search", portal, "api"),
                   ("/search", portal, "html")]
        for _, server, kind in targets:  # warm-up: every query once, caches and index pages
            wrk(server.url, files[kind], script, 2, args.warmup, server)
        results = []
        for conns in args.connections:
            rounds: dict[str, list[dict]] = {label: [] for label, _, _ in targets}
            for i in range(args.rounds):  # interleaved, so that a busy minute hits them all
                for label, server, kind in targets[i % 3:] + targets[:i % 3]:
                    rounds[label].append(wrk(server.url, files[kind], script, conns,
                                             args.duration, server))
            for label, runs in rounds.items():
                results.append({"connections": conns, "target": label, **median_run(runs),
                                "rounds_rps": [round(r["rps"]) for r in runs]})
        return {"described": described, "results": results}
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(args, out: dict) -> None:
    server = (f"gunicorn, {args.workers} workers x {args.threads} threads"
              if args.server == "gunicorn" else f"waitress, 1 process x {args.threads} threads")
    print(f"{out['described']}; {server}; {os.cpu_count()} cores on this machine; "
          f"wrk, median of {args.rounds} interleaved rounds of {args.duration:.0f} s, over "
          f"{args.paths} query strings")
    print(f"{'conns':>5}  {'target':<12}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'x bare':>8}{'cores':>7}  errors")
    base = {}
    for r in out["results"]:
        if r["target"] == "bare page":
            base[r["connections"]] = r["rps"]
        ratio = r["rps"] / base[r["connections"]] if base.get(r["connections"]) else 0.0
        r["ratio"] = round(ratio, 3)
        errors = r["non_2xx"] + r["socket_errors"]
        print(f"{r['connections']:>5}  {r['target']:<12}{r['rps']:9.0f}{r['p50_ms']:9.1f}"
              f"{r['p95_ms']:9.1f}{r['p99_ms']:9.1f}{ratio:7.2f}x{r['cores']:7.2f}  "
              f"{errors or ''}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000, help="documents to index (100000)")
    ap.add_argument("--index", type=Path, help="serve this index instead of building one")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="worker processes of both servers (default: the cores)")
    ap.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    ap.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
    ap.add_argument("--connections", default="8,32", help="comma-separated (8,32)")
    ap.add_argument("--duration", type=float, default=10.0,
                    help="seconds per measurement (10)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="measurements per row, interleaved between the servers; the median "
                         "is shown (3)")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of warm-up per target")
    ap.add_argument("--paths", type=int, default=300, help="distinct query strings (300)")
    ap.add_argument("--repo", type=Path, help="run ccp serve from this checkout")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.bare_server:
        serve_bare(args.server, args.workers, args.threads)
        return 0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    args.connections = [int(c) for c in str(args.connections).split(",") if c]
    out = run(args)
    report(args, out)
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         **out}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
