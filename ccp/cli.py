"""The ``ccp`` command: the one module that wires config, indexer, harvesters and search_ui.

Every command honours ``CCP_DATA_DIR`` / ``--data-dir`` and ``CCP_SOURCES`` / ``--sources``.
Exit codes: 0 success, 1 a harvest in which a source or record failed (the rest is stored),
2 bad usage or invalid configuration.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from config import Settings, SourceConfigError, load_source_file, load_sources

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Env:
    def __init__(self, data_dir: str | None, sources: str | None):
        self.settings = Settings.from_env(data_dir=data_dir, sources=sources)

    def catalogue(self):
        from indexer.catalogue import Catalogue

        cat = Catalogue(self.settings.catalogue_url)
        cat.create_all()
        return cat

    def backend(self):
        return self.backend_for(self.settings)

    @staticmethod
    def backend_for(settings: Settings):
        from indexer.backends import get_backend

        return get_backend(settings)

    def load_sources(self, *, include_disabled: bool = True):
        try:
            return load_sources(self.settings.sources, include_disabled=include_disabled)
        except SourceConfigError as exc:
            _config_error(exc)


def _config_error(exc: SourceConfigError):
    click.secho("Invalid source configuration:", fg="red", err=True)
    for p in exc.problems:
        click.echo(f"  {p}", err=True)
    sys.exit(2)


pass_env = click.make_pass_decorator(Env)


class PortalGroup(click.Group):
    """Turns the portal's well-known operational errors into clear messages (exit 2)."""

    def invoke(self, ctx):
        from indexer.schema import SchemaBehind

        try:
            return super().invoke(ctx)
        except SchemaBehind as exc:
            click.secho(f"Catalogue: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=PortalGroup, context_settings=CONTEXT_SETTINGS)
@click.option("--data-dir", envvar="CCP_DATA_DIR", type=click.Path(file_okay=False),
              help="Where the catalogue, index and state live [env CCP_DATA_DIR; default ./var].")
@click.option("--sources", "sources_path", envvar="CCP_SOURCES", type=click.Path(),
              help="A directory of source YAML files, or one file "
                   "[env CCP_SOURCES; default config/sources/].")
@click.version_option(package_name="circular-city-portal")
@click.pass_context
def main(ctx, data_dir, sources_path):
    """Circular City Portal: harvest circular-economy knowledge and search it."""
    try:
        ctx.obj = Env(data_dir, sources_path)
    except ValueError as exc:  # a malformed setting in the environment
        raise click.UsageError(str(exc), ctx) from None


# -- sources ----------------------------------------------------------------------------------
@main.group()
def sources():
    """List and check the configured sources."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
def sources_list(env: Env, as_json: bool):
    """List every configured source."""
    srcs = env.load_sources()
    if as_json:
        click.echo(json.dumps([s.model_dump(mode="json") for s in srcs], indent=2))
        return
    if not srcs:
        click.echo(f"No sources in {env.settings.sources}")
        return
    rows = [(s.id, s.type, "yes" if s.enabled else "no", s.country or "", _source_url(s), s.name)
            for s in srcs]
    _table(("ID", "TYPE", "ENABLED", "COUNTRY", "URL", "NAME"), rows)


def _source_url(s) -> str:
    return str(getattr(s, "url", None) or (s.start_urls[0] if getattr(s, "start_urls", None) else ""))


@sources.command("check")
@click.argument("target", required=False)
@pass_env
def sources_check(env: Env, target: str | None):
    """Validate source files: all of them, one source by ID, or one FILE."""
    if target and Path(target).is_file():
        try:
            s = load_source_file(Path(target))
        except SourceConfigError as exc:
            _config_error(exc)
        click.secho(f"OK  {target}: {s.type} source {s.id!r} ({s.name})", fg="green")
        return
    srcs = env.load_sources()
    if target:
        match = [s for s in srcs if s.id == target]
        if not match:
            click.secho(f"No source with id {target!r} in {env.settings.sources}", fg="red",
                        err=True)
            sys.exit(2)
        srcs = match
    for s in srcs:
        click.secho(f"OK  {s.id}: {s.type} {_source_url(s)}", fg="green")
    click.echo(f"{len(srcs)} source(s) valid.")


@sources.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
def sources_status(env: Env, as_json: bool):
    """Every source's health: state, last run, counts, next run, last error."""
    srcs = env.load_sources()
    cat = env.catalogue()
    health = cat.source_health()
    locks = cat.source_locks()
    last = {}
    for r in cat.runs(limit=200):
        for s in r.sources:
            last.setdefault(s.source_id, (r, s))
    rows, out = [], []
    for s in srcs:
        h = health.get(s.id)
        run, rs = last.get(s.id, (None, None))
        state = "disabled" if not s.enabled else (h.state if h else "new")
        if s.id in locks:
            state += " (running)"
        backoff = h.retry_not_before if h and h.retry_not_before else None
        item = {
            "id": s.id, "state": state,
            "last_run": run.started_at.isoformat() if run else None,
            "last_run_id": run.id if run else None,
            "last_status": rs.status if rs else None,
            "added": rs.added if rs else 0, "updated": rs.updated if rs else 0,
            "unchanged": rs.unchanged if rs else 0, "failed": rs.failed if rs else 0,
            "consecutive_failures": h.consecutive_failures if h else 0,
            "last_success": h.last_success_at.isoformat() if h and h.last_success_at else None,
            "next_run": h.next_run_at.isoformat() if h and h.next_run_at else None,
            "backing_off_until": backoff.isoformat() if backoff else None,
            "last_error": h.last_error if h and h.consecutive_failures else None,
        }
        out.append(item)
        rows.append((s.id, state, _short(item["last_run"]), item["last_status"] or "",
                     f"{item['added']}/{item['updated']}/{item['unchanged']}/{item['failed']}",
                     item["consecutive_failures"] or "",
                     _short(item["backing_off_until"] or item["next_run"]),
                     (item["last_error"] or "")[:60]))
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    _table(("SOURCE", "HEALTH", "LAST RUN (UTC)", "RESULT", "ADD/UPD/SAME/FAIL", "FAILS",
            "NEXT RUN (UTC)", "LAST ERROR"), rows)


def _short(iso: str | None) -> str:
    return iso[:19].replace("T", " ") if iso else ""


@sources.command("add")
@click.argument("url")
@click.option("--id", "source_id", help="Id of the new source (default: from the host name).")
@click.option("--name", help="Display name of the new source.")
@click.option("--country", help="ISO 3166 alpha-2 country (or EU).")
@click.option("--city")
@click.option("--language", help="ISO 639-1 language hint.")
@click.option("--choice", type=int, help="Take the N-th candidate found (1 = best) "
              "without asking.")
@click.option("--items", default=5, show_default=True, help="Items to preview.")
@click.option("--yes", "-y", is_flag=True, help="Write the source file without asking.")
@pass_env
def sources_add(env: Env, url, source_id, name, country, city, language, choice, items, yes):
    """Discover what URL offers (feed, sitemap or a crawl of its section), preview the
    first items as they would be indexed, and write the source file once confirmed."""
    from harvesters.discover import build_definition, discover, preview, suggest_id, write_source

    click.echo(f"Looking at {url} …")
    try:
        found = discover(env.settings, url)
    except ValueError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)
    for n in found.notes:
        click.echo(f"  · {n}")
    usable = [c for c in found.candidates if c.definition["type"] != "crawl" or
              not any(n.startswith("the page (") for n in found.notes)]
    if not usable:
        click.secho(f"{url} offers nothing the portal can harvest: no feed, no sitemap, and "
                    "the page itself could not be fetched (see above).", fg="red", err=True)
        sys.exit(1)
    click.echo("\nWhat it offers (best first):")
    for i, c in enumerate(usable, 1):
        d = c.definition
        where = d.get("url") or d["start_urls"][0]
        count = f", {c.items} item(s)" if c.items else ""
        click.echo(f"  {i}. {d['type']:<8} {where}  — {c.how}{count}")
    if choice is None:
        choice = 1 if yes else click.prompt("Which one", type=click.IntRange(1, len(usable)),
                                            default=1)
    if not 1 <= choice <= len(usable):
        click.secho(f"--choice must be between 1 and {len(usable)}", fg="red", err=True)
        sys.exit(2)
    cand = usable[choice - 1]
    existing = {s.id for s in env.load_sources()} if env.settings.sources.exists() else set()
    sid = source_id or suggest_id(url, existing, cand.definition["type"])
    if sid in existing:
        click.secho(f"A source with id {sid!r} exists already.", fg="red", err=True)
        sys.exit(2)
    try:
        definition = build_definition(cand.definition, source_id=sid, name=name or sid,
                                      country=country, city=city, language=language)
    except Exception as exc:  # noqa: BLE001 - pydantic explains what is wrong
        click.secho(f"Invalid source: {exc}", fg="red", err=True)
        sys.exit(2)
    click.echo(f"\nPreview of the first {items} item(s) as they would be indexed …")
    rows, report = preview(env.settings, definition, items=items)
    for r in rows:
        dup = f"  DUPLICATE of {r.duplicate_of}" if r.duplicate_of else ""
        click.echo(f"  - {r.title[:70]}\n    {r.date or 'no date'} · {r.language or '?'} · "
                   f"{r.type} · {r.text_length} characters · {r.url}{dup}")
    for s in report["sources"]:
        for e in s["errors"]:
            click.secho(f"  ! {e['kind']}: {e['url']}: {e['message']}", fg="yellow")
    if not rows:
        click.secho("  (no item could be harvested from it)", fg="yellow")
    click.echo("\n" + yaml_dump(definition))
    if not yes and not click.confirm("Write this source file?", default=bool(rows)):
        click.echo("Nothing written.")
        return
    path = write_source(env.settings, definition)
    click.secho(f"Wrote {path}", fg="green")


def yaml_dump(d) -> str:
    import yaml

    return yaml.safe_dump(d, sort_keys=False, allow_unicode=True).rstrip()


# -- scheduling ------------------------------------------------------------------------------
@main.command()
@pass_env
def schedule(env: Env):
    """Run the scheduler (its own long-running process): every enabled source is harvested
    on its schedule. SIGHUP re-reads the source files; SIGTERM/Ctrl-C stops cleanly."""
    from harvesters.scheduler import serve_forever

    env.load_sources()  # fail early, with exit 2, on invalid files
    click.echo(f"Scheduler started (data dir {env.settings.data_dir}); Ctrl-C to stop.")
    serve_forever(env.settings)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@pass_env
def up(env: Env, host: str, port: int):
    """Run the scheduler and the web UI together (two processes; Ctrl-C stops both)."""
    import os
    import signal
    import subprocess
    import time

    env.load_sources()
    base = [sys.executable, "-m", "ccp.cli", "--data-dir", str(env.settings.data_dir),
            "--sources", str(env.settings.sources)]
    procs = [
        subprocess.Popen([*base, "schedule"]),
        subprocess.Popen([*base, "serve", "--host", host, "--port", str(port)]),
    ]
    click.echo(f"Scheduler pid {procs[0].pid}, web UI pid {procs[1].pid} on "
               f"http://{host}:{port}/ — Ctrl-C stops both.")
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


# -- harvest ----------------------------------------------------------------------------------
@main.command()
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option("--timeout", type=float, help="Stop the run after this many seconds.")
@pass_env
def harvest(env: Env, ids: tuple[str, ...], as_json: bool, timeout: float | None):
    """Harvest the given sources (default: every enabled source) and index the changes.

    Exit status 0 when every source succeeded, 1 when a source or a record failed (the rest
    is stored), 2 on bad usage or configuration.
    """
    from harvesters.run import run_harvest

    srcs = env.load_sources()
    if ids:
        known = {s.id: s for s in srcs}
        missing = [i for i in ids if i not in known]
        if missing:
            click.secho(f"Unknown source id(s): {', '.join(missing)}", fg="red", err=True)
            sys.exit(2)
        srcs = [known[i] for i in ids]
    else:
        srcs = [s for s in srcs if s.enabled]
    if not srcs:
        click.echo("No enabled sources to harvest.")
        return
    progress = _Progress() if sys.stdout.isatty() and not as_json else None
    stop = _stop_on_sigterm()
    report = run_harvest(env.settings, srcs, trigger="cli", progress=progress, timeout=timeout,
                         stop=stop)
    if progress:
        progress.done()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(report, env.settings)
    sys.exit(0 if report.ok else 1)


def _stop_on_sigterm():
    """SIGTERM stops a harvest cleanly: the child closes its spiders, the run is recorded
    as interrupted, locks are released."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop


class _Progress:
    def __init__(self):
        self.width = 0

    def __call__(self, report):
        t = report.totals()
        done = sum(1 for s in report.sources if s.status not in ("pending", "running"))
        line = (f"\rHarvesting: {done}/{len(report.sources)} sources · {t['added']} added · "
                f"{t['updated']} updated · {t['unchanged']} unchanged · {t['merged']} merged · "
                f"{t['failed']} failed")
        self.width = max(self.width, len(line))
        click.echo(line.ljust(self.width), nl=False)

    def done(self):
        click.echo("\r" + " " * self.width + "\r", nl=False)


def print_report(report, settings=None) -> None:
    """The run report, as an operator reads it."""
    ok = report.ok
    colour = "green" if ok else "red"
    click.secho(f"Run {report.id}: {report.status}" + (f" — {report.message}" if report.message else ""),
                fg=colour, bold=True)
    rows = []
    for s in report.sources:
        rows.append((s.source_id, s.status, s.added, s.merged, s.updated, s.unchanged, s.failed,
                     s.skipped, s.requests))
    _table(("SOURCE", "STATUS", "ADDED", "MERGED", "UPDATED", "UNCHANGED", "FAILED", "SKIPPED",
            "REQUESTS"), rows)
    for s in report.sources:
        if s.message and s.status != "succeeded":
            click.secho(f"  {s.source_id}: {s.message}", fg="red")
        for e in s.errors:
            if e.fatal:
                continue
            colour = "yellow" if e.kind in ("robots", "unsupported", "ignored") else "red"
            click.secho(f"  {s.source_id}: {e.kind}: {e.url}: {e.message}", fg=colour)
    t = report.totals()
    click.echo(f"Total: {t['added']} added, {t['merged']} merged into existing resources, "
               f"{t['updated']} updated, {t['unchanged']} unchanged, {t['failed']} failed, "
               f"{t['skipped']} skipped.")
    if settings is not None:
        from harvesters.run import log_path

        click.echo(f"Log: {log_path(settings, report.id)}")


def _table(headers, rows) -> None:
    rows = [tuple("" if c is None else str(c) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


# -- runs -------------------------------------------------------------------------------------
@main.group(invoke_without_command=True)
@click.option("--source", "source_id", help="Only runs that harvested this source.")
@click.option("--limit", default=20, show_default=True)
@click.pass_context
def runs(ctx, source_id, limit):
    """Harvest run history (``ccp runs show RUN`` for one run's errors)."""
    if ctx.invoked_subcommand:
        return
    env: Env = ctx.obj
    cat = env.catalogue()
    rows = []
    for r in cat.runs(source_id=source_id, limit=limit):
        t = r.totals()
        rows.append((r.id, r.started_at.strftime("%Y-%m-%d %H:%M:%S"), r.status, r.trigger,
                     len(r.sources), t["added"], t["updated"], t["failed"],
                     "ok" if r.ok else "attention"))
    _table(("RUN", "STARTED (UTC)", "STATUS", "TRIGGER", "SOURCES", "ADDED", "UPDATED", "FAILED",
            "RESULT"), rows)


@runs.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_env
def runs_show(env: Env, run_id: int, as_json: bool):
    """One run: per-source counts and its errors grouped by cause."""
    cat = env.catalogue()
    try:
        report = cat.run_report(run_id)
    except KeyError:
        click.secho(f"No run {run_id}", fg="red", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    print_report(report)
    groups: dict[tuple[str, str], list] = {}
    for s in report.sources:
        for e in s.errors:
            groups.setdefault((e.kind, e.message), []).append(e)
    if groups:
        click.echo("\nErrors by cause:")
        for (kind, message), errs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            click.secho(f"  {kind}: {message} ({len(errs)})", bold=True)
            for e in errs[:20]:
                click.echo(f"    {e.source_id}  {e.url}")
            if len(errs) > 20:
                click.echo(f"    … and {len(errs) - 20} more")


# -- db -----------------------------------------------------------------------------------------
@main.group()
def db():
    """The catalogue database (SQLite by default; PostgreSQL with CCP_DATABASE_URL)."""


@db.command("upgrade")
@pass_env
def db_upgrade(env: Env):
    """Apply the catalogue's schema migrations (Alembic) up to this version's."""
    from indexer.catalogue import Catalogue
    from indexer.schema import upgrade

    cat = Catalogue(env.settings.catalogue_url)
    before, after = upgrade(cat.engine, env.settings.catalogue_url)
    if before == after:
        click.echo(f"The catalogue schema is up to date (revision {after}).")
    else:
        click.echo(f"Catalogue schema upgraded from {before or 'empty'} to {after}.")


@db.command("current")
@pass_env
def db_current(env: Env):
    """Show the catalogue's schema revision and the one this version needs."""
    from indexer.catalogue import Catalogue
    from indexer.schema import current_revision, head_revision

    cat = Catalogue(env.settings.catalogue_url)
    cur, head = current_revision(cat.engine), head_revision(env.settings.catalogue_url)
    click.echo(f"Database: {cat.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"Schema revision: {cur or 'none (empty database)'}; this portal needs {head}.")
    sys.exit(0 if cur == head else 1)


# -- index ------------------------------------------------------------------------------------
@main.group()
def index():
    """Look after the search index."""


@index.command("rebuild")
@pass_env
def index_rebuild(env: Env):
    """Rebuild the whole index from the catalogue (no re-crawling)."""
    from indexer.indexing import rebuild

    cat, backend = env.catalogue(), env.backend()
    n = rebuild(cat, backend)
    click.echo(f"Index rebuilt: {n} resources.")


@index.command("drain")
@pass_env
def index_drain(env: Env):
    """Apply pending catalogue changes (the outbox) to the index."""
    from indexer.indexing import drain

    result = drain(env.catalogue(), env.backend())
    click.echo(f"Applied {result.applied} change(s): {result.upserted} indexed, "
               f"{result.deleted} removed.")
    if result.error:
        click.secho(f"Stopped early: {result.error}", fg="red")
        sys.exit(1)


@index.command("status")
@pass_env
def index_status(env: Env):
    """Documents indexed, resources catalogued, and the outbox backlog."""
    from indexer.resource import utcnow

    cat, backend = env.catalogue(), env.backend()
    ok, msg = backend.health()
    pending, oldest = cat.outbox_status()
    click.echo(f"Backend: {env.settings.search_backend} — {msg}")
    click.echo(f"Catalogue: {cat.resource_count()} resources, {cat.instance_count()} instances")
    lag = f", oldest {int((utcnow() - oldest).total_seconds())} s ago" if oldest else ""
    click.echo(f"Outbox: {pending} pending{lag}")
    sys.exit(0 if ok else 1)


# -- search -----------------------------------------------------------------------------------
@main.command()
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--page", default=1, show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True)
@click.option("--language", multiple=True, help="Filter by language (ISO 639-1); repeatable.")
@click.option("--type", "type_", multiple=True, help="Filter by resource type; repeatable.")
@click.option("--country", multiple=True, help="Filter by country; repeatable.")
@click.option("--source", multiple=True, help="Filter by source id; repeatable.")
@click.option("--year", multiple=True, help="Filter by year; repeatable.")
@click.option("--theme", multiple=True, help="Filter by theme; repeatable.")
@pass_env
def search(env: Env, query, as_json, page, sort, language, type_, country, source, year, theme):
    """Search the index from the terminal."""
    from indexer.query import QueryError, SearchQuery

    filters = {k: list(v) for k, v in dict(language=language, type=type_, country=country,
                                             source=source, year=year, theme=theme).items() if v}
    try:
        q = SearchQuery(text=" ".join(query), filters=filters, page=page, sort=sort)
    except QueryError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)
    results = env.backend().search(q)
    if as_json:
        from search_ui.api import results_json

        click.echo(json.dumps(results_json(results), indent=2, ensure_ascii=False))
        return
    click.echo(f"{results.total} result(s) in {results.took_ms:.1f} ms"
               + (f" — page {q.page} of {results.pages}" if results.pages > 1 else ""))
    for i, hit in enumerate(results.hits, start=q.offset + 1):
        d = hit.doc
        click.secho(f"\n{i}. {d['title']}", bold=True)
        meta = " · ".join(x for x in (d.get("language"), d.get("type"), (d.get("date") or "")[:10],
                                      ", ".join(sorted({x["source_id"] for x in d["instances"]})))
                          if x)
        click.echo(f"   {meta}")
        click.echo(f"   {d['url']}")
        if hit.snippet and hit.snippet.text:
            click.echo("   " + _terminal_snippet(hit.snippet))
    if results.facets:
        click.echo("")
        for name, values in results.facets.items():
            if values:
                click.echo(f"{name}: " + ", ".join(f"{v.value} ({v.count})" for v in values[:8]))


def _terminal_snippet(snippet) -> str:
    out, pos = [], 0
    for start, end in sorted(snippet.highlights):
        if start < pos:
            continue
        out.append(snippet.text[pos:start])
        out.append(click.style(snippet.text[start:end], bold=True))
        pos = end
    out.append(snippet.text[pos:])
    return " ".join("".join(out).split())


# -- serve / demo -----------------------------------------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@pass_env
def serve(env: Env, host: str, port: int, threads: int):
    """Serve the search UI and JSON API (waitress, a production WSGI server)."""
    from search_ui import create_app
    from search_ui.wsgi import serve as serve_app

    app = create_app(settings=env.settings)
    _check_port(host, port)
    click.echo(f"Serving the Circular City Portal on http://{host}:{port}/ (Ctrl-C to stop)")
    serve_app(app, host=host, port=port, threads=threads)


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


DEMO_SCRAPY = {
    "DOWNLOAD_DELAY": 0.0,
    "AUTOTHROTTLE_START_DELAY": 0.01,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 8.0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_DELAY_JITTER": 0,
}


@main.command()
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
    demo_dir = env.settings.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True)
    settings = Settings.from_env(data_dir=str(demo_dir), sources=str(demo_dir / "sources"))
    settings.download_timeout = 15.0
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
            sys.exit(0 if report.ok else 1)
        from search_ui import create_app
        from search_ui.wsgi import make_server

        app = create_app(settings=settings)
        server = make_server(app, host=host, port=port)
        url = f"http://{host}:{server.effective_port}/"
        click.secho(f"\nThe Circular City Portal demo is ready: {url}", fg="green", bold=True)
        click.echo("Try searching for: textile · circulaire · économie circulaire · "
                   "food waste · roadmap   (Ctrl-C to stop)")
        sys.stdout.flush()
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    finally:
        web.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
