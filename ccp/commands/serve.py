"""``ccp serve``, ``ccp schedule``, ``ccp up`` and ``ccp demo``: the long-running commands."""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading

import click

from config import Settings, load_sources

from .common import Env, fail, pass_env
from .harvest import _Progress, print_report


# -- scheduling ------------------------------------------------------------------------------
@click.command()
@pass_env
def schedule(env: Env):
    """Run the scheduler (its own long-running process): every enabled source is harvested
    on its schedule. SIGHUP re-reads the source files; SIGTERM/Ctrl-C stops cleanly."""
    from harvesters.scheduler import serve_forever

    env.load_sources()  # fail early, with exit 2, on invalid files
    click.echo(f"Scheduler started (data dir {env.settings.data_dir}); Ctrl-C to stop.")
    serve_forever(env.settings)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(min=1), default=None, envvar="CCP_WORKERS",
              help="Web worker processes (default: one per core); see ccp serve --help.")
@pass_env
def up(env: Env, host: str, port: int, workers: int | None):
    """Run the scheduler and the web UI together (the scheduler's process and the web
    server's, which answers from one worker process per core; Ctrl-C stops them all)."""
    import signal
    import subprocess
    import time

    env.load_sources()
    env.check_database()
    _check_port(host, port)
    base = [sys.executable, "-m", "ccp.cli", "--data-dir", str(env.settings.data_dir),
            "--sources", str(env.settings.sources)]
    procs = [subprocess.Popen([*base, "schedule"])]
    web = subprocess.Popen([*base, "serve", "--host", host, "--port", str(port),
                            "--workers", str(workers or default_workers())],
                           stdout=subprocess.PIPE, text=True, bufsize=1)
    procs.append(web)
    url = _served_url(web)
    click.echo(f"Scheduler pid {procs[0].pid}, web UI pid {web.pid} on "
               f"{url or f'http://{host}:{port}/'} — Ctrl-C stops both.")
    stopping = {"flag": False}

    def stop(*_):
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        while not stopping["flag"]:
            for p in procs:
                if p.poll() is not None:
                    click.secho(f"process {p.pid} exited with {p.returncode}; stopping",
                                fg="red", err=True)
                    code = p.returncode or 1
                    stopping["flag"] = True
            time.sleep(0.3)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 60
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
    sys.exit(code)


# -- serve / demo -----------------------------------------------------------------------------
def default_workers() -> int:
    """One worker process per core (what ``ccp serve`` and ``ccp up`` start by default)."""
    return max(1, os.cpu_count() or 1)


WORKERS_HELP = ("Worker processes answering requests (default: one per core, here "
                f"{default_workers()}); gunicorn pre-forks them. Where gunicorn cannot run "
                "(Windows) one waitress process serves instead.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(min=1), default=None, envvar="CCP_WORKERS",
              help=WORKERS_HELP + " Env: CCP_WORKERS.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Threads per worker process (default 4; 8 in the single waitress process).")
@pass_env
def serve(env: Env, host: str, port: int, workers: int | None, threads: int | None):
    """Serve the search UI and JSON API: gunicorn with one worker process per core (a
    production WSGI server; SIGTERM or Ctrl-C stops every worker), or waitress where gunicorn
    cannot run."""
    from search_ui import create_app
    from search_ui.wsgi import can_prefork, make_prefork_server, make_server

    env.check_database()
    try:
        app = create_app(settings=env.settings)
    except ValueError as exc:  # a web setting (CCP_PER_PAGE, CCP_ADMIN_…) the app refuses
        fail(str(exc))
    _check_port(host, port)
    workers = workers or default_workers()
    if can_prefork():
        def ready(bound_host: str, bound_port: int) -> None:
            plural = "process" if workers == 1 else "processes"
            click.echo(f"Serving the Circular City Portal on {_url(host, bound_port)} with "
                       f"{workers} worker {plural} (Ctrl-C to stop)")
            sys.stdout.flush()

        server = make_prefork_server(app, host=host, port=port, workers=workers,
                                     threads=threads or 4, on_ready=ready)
        server.run()  # the master: returns (exits) once every worker has stopped
        return
    if workers > 1:
        click.echo(f"gunicorn cannot run here ({sys.platform}): serving from one waitress "
                   f"process instead of {workers} workers.")
    server = make_server(app, host=host, port=port, threads=threads or 8)
    click.echo(f"Serving the Circular City Portal on {_url(host, server.effective_port)} "
               "(Ctrl-C to stop)")
    _serve_until_interrupted(server)


def _serve_until_interrupted(server) -> None:
    """Serve until Ctrl-C, then close the server (what was printed is flushed first)."""
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


SERVED_RE = re.compile(r"(https?://\S+/)")


def _served_url(web) -> str | None:
    """The URL a ``ccp serve`` child says it listens on (its first line); the rest of its
    output is passed through."""
    import threading

    url = None
    for line in web.stdout:
        if line.startswith("Serving "):
            m = SERVED_RE.search(line)
            url = m.group(1) if m else None
            break
        sys.stdout.write(line)
    threading.Thread(target=_pass_through, args=(web.stdout,), daemon=True).start()
    return url


def _pass_through(stream) -> None:
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()


def _check_port(host: str, port: int) -> None:
    """Fail with a clear message (exit 2) when the port cannot be listened on."""
    import socket

    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            click.secho(f"Cannot listen on {host}:{port}: {exc.strerror}. Choose another port "
                        "with --port (0 takes any free port).", fg="red", err=True)
            sys.exit(2)


DEMO_SOURCE_PREFIXES = ("euhub-", "urbact-", "denhaag-", "porto-", "prato-", "kaunas-", "oslo-")


def _fresh_demo_stores(settings: Settings) -> None:
    """Start the demo from empty stores, never touching a real portal's data."""
    if settings.search_backend == "elasticsearch":
        settings.elasticsearch_index = f"{settings.elasticsearch_index}-demo"
        backend = Env.backend_for(settings)
        try:
            backend.delete_indices()
        finally:
            backend.close()
    if settings.database_url:
        from indexer.catalogue import Catalogue

        cat = Catalogue(settings.catalogue_url)
        cat.create_all()
        others = [s.id for s in cat.sources() if not s.id.startswith(DEMO_SOURCE_PREFIXES)]
        if others:
            click.secho(f"CCP_DATABASE_URL holds a portal's catalogue (sources {', '.join(others[:5])}"
                        "…): the demo only runs on an empty database or an earlier demo's.",
                        fg="red", err=True)
            sys.exit(2)
        cat.clear()
        cat.close()


DEMO_ALLOWANCE = "127.0.0.1/32"


def _demo_lock(data_dir, demo_dir):
    """Hold DATA_DIR/demo.lock for as long as this demo runs: a second ``ccp demo`` beside it
    would delete the live demo's data under it, so it is refused (exit 2). The lock is an
    advisory file lock, released by the system when the process ends however it ends."""
    import fcntl
    import os

    data_dir.mkdir(parents=True, exist_ok=True)
    f = open(data_dir / "demo.lock", "a+", encoding="utf-8")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = " ".join(f.read().split()) or "another process"
        f.close()
        fail(f"A demo is already running from {demo_dir} ({holder}); stop it first (Ctrl-C) "
             "or give this one another --data-dir.")
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()}\n")
    f.flush()
    return f


def _note_in_lock(lock, url: str) -> None:
    import os

    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}, serving {url}\n")
    lock.flush()


DEMO_SCRAPY = {
    "DOWNLOAD_DELAY": 0.0,
    "AUTOTHROTTLE_START_DELAY": 0.01,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 8.0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_DELAY_JITTER": 0,
}


def _demo_embed(settings: Settings, background: bool = False) -> None:
    """The demo's embedding vectors (cross-language search), computed after its harvest: in the
    background while the demo serves (search works meanwhile, by words), or before
    ``--no-serve`` returns. An embedder that cannot load leaves the demo lexical, saying why."""
    from indexer.backends import get_backend
    from indexer.catalogue import Catalogue
    from indexer.embeddings import EmbedderError, load_embedder
    from indexer.indexing import embed

    try:
        embedder = load_embedder(settings.embedder)
    except EmbedderError as exc:
        click.secho(f"No cross-language search in the demo: {exc}", fg="yellow", err=True)
        return
    if embedder is None:
        return
    cat, backend = Catalogue(settings.catalogue_url), get_backend(settings)
    try:
        backlog = cat.embedding_backlog(embedder.name)
        click.echo(f"Computing embeddings of {backlog} resources with {embedder.name}"
                   + (" in the background (search works meanwhile) …" if background else " …"))
        result = embed(cat, backend, embedder, centering=settings.embed_centering)
        click.echo(f"Embeddings ready: {result.embedded} computed, {backend.vector_count()} "
                   f"searchable ({result.seconds:.0f} s); a search in one language now also "
                   "finds the others.")
    except Exception as exc:  # the demo goes on with words only
        click.secho(f"Embedding stopped: {exc}", fg="red", err=True)
    finally:
        backend.close()
        cat.close()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Where to serve the UI.")
@click.option("--port", default=8080, show_default=True, type=int,
              help="Port of the search UI (0: any free port).")
@click.option("--no-serve", is_flag=True, help="Harvest and index the fixture web, then stop.")
@pass_env
def demo(env: Env, host: str, port: int, no_serve: bool):
    """Run the whole portal on a local web of fixture sites.

    Starts the fixture web (an EU knowledge hub, an URBACT-like network and city sites, in
    several languages) on 127.0.0.1, harvests it with the real pipeline into
    DATA_DIR/demo (recreated each time), and serves the search UI.

    With CCP_SEARCH_BACKEND=elasticsearch the demo indexes into "<index>-demo" (recreated);
    with CCP_DATABASE_URL its catalogue goes there, which must be empty or hold only an
    earlier demo (it is emptied first).
    """
    from ccp.fixtureweb import FixtureWeb
    from harvesters.run import run_harvest

    if not no_serve:
        _check_port(host, port)
    env.check_database()
    demo_dir = env.settings.data_dir / "demo"
    lock = _demo_lock(env.settings.data_dir, demo_dir)
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True)
    settings = Settings.from_env(data_dir=str(demo_dir), sources=str(demo_dir / "sources"))
    settings.download_timeout = 15.0
    # the fixture web listens on loopback: the demo allows exactly that address
    settings.allowed_private_addresses = ",".join(
        x for x in (settings.allowed_private_addresses, DEMO_ALLOWANCE) if x)
    _fresh_demo_stores(settings)
    web = FixtureWeb()
    web.start()
    try:
        for name, site in web.sites.items():
            if name != "trouble":  # the failure fixtures are for the tests
                click.echo(f"Fixture site {name:<8} {site.base_url}/  {site.title}")
        web.write_demo_sources(settings.sources)
        srcs = load_sources(settings.sources)
        click.echo(f"Harvesting {len(srcs)} demo sources into {demo_dir} …")
        progress = _Progress() if sys.stdout.isatty() else None
        report = run_harvest(settings, srcs, trigger="demo", scrapy_overrides=DEMO_SCRAPY,
                             progress=progress)
        if progress:
            progress.done()
        print_report(report, settings)
        if no_serve:
            _demo_embed(settings)
            sys.exit(0 if report.ok else 1)
        from search_ui import create_app
        from search_ui.wsgi import make_server

        embedding = threading.Thread(target=_demo_embed, args=(settings, True),
                                     name="ccp-demo-embed", daemon=True)
        embedding.start()
        app = create_app(settings=settings)
        server = make_server(app, host=host, port=port)
        url = _url(host, server.effective_port)
        _note_in_lock(lock, url)
        click.secho(f"\nThe Circular City Portal demo is ready: {url}", fg="green", bold=True)
        click.echo("Try searching for: textile · circulaire · économie circulaire · "
                   "food waste · maisto švaistymas · roadmap   (Ctrl-C to stop)")
        _serve_until_interrupted(server)
    finally:
        web.stop()
        lock.close()

