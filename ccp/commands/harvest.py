"""``ccp harvest`` and ``ccp runs``: harvest now, and the run history."""

from __future__ import annotations

import json
import sys

import click

from .common import Env, _table, pass_env


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option("--timeout", type=float, help="Stop the run after this many seconds.")
@click.option("--workers", type=click.IntRange(min=0, max=64),
              help="Processes that normalise the fetched pages (default CCP_HARVEST_WORKERS, "
                   "else one per core; 0: in the harvest process).")
@pass_env
def harvest(env: Env, ids: tuple[str, ...], as_json: bool, timeout: float | None,
            workers: int | None):
    """Harvest the given sources (default: every enabled source) and index the changes.

    Exit status 0 when every source succeeded, 1 when a source or a record failed or the run
    was stopped (the rest is stored), 2 on bad usage or configuration, 3 when nothing failed
    but a source was skipped because another run was harvesting it.
    """
    from harvesters.run import run_harvest

    srcs = env.load_sources()
    env.check_database()
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
                         stop=stop, workers=workers)
    if progress:
        progress.done()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(report, env.settings)
    sys.exit(outcome(report)[0])


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3


def outcome(report) -> tuple[int, str]:
    """The exit code of a run and its one-word result: ok (0), failed (1), skipped (3)."""
    if report.ok:
        return EXIT_OK, "ok"
    if report.status in ("finished", "running") and all(
            s.status in ("succeeded", "skipped") and s.failed == 0 for s in report.sources):
        return EXIT_SKIPPED, "skipped" if report.status == "finished" else "running"
    return EXIT_FAILED, "failed"


def source_counts(report) -> dict[str, int]:
    counts = {"succeeded": 0, "failed": 0, "skipped": 0, "interrupted": 0}
    for s in report.sources:
        key = s.status if s.status in counts else "interrupted"
        counts[key] += 1
    return counts


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
    code, _ = outcome(report)
    colour = {EXIT_OK: "green", EXIT_SKIPPED: "yellow"}.get(code, "red")
    n = source_counts(report)
    headline = f"Run {report.id}: {report.status}"
    if n["failed"]:
        headline += f", {n['failed']} of {len(report.sources)} source(s) failed"
    elif n["skipped"]:
        headline += f", {n['skipped']} of {len(report.sources)} source(s) skipped"
    click.secho(headline + (f" — {report.message}" if report.message else ""),
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
    click.echo(f"Sources: {n['succeeded']} succeeded, {n['failed']} failed, "
               f"{n['skipped']} skipped (another run held them)"
               + (f", {n['interrupted']} interrupted" if n["interrupted"] else "") + ".")
    click.echo(f"Total: {t['added']} added, {t['merged']} merged into existing resources, "
               f"{t['updated']} updated, {t['unchanged']} unchanged, {t['failed']} record(s) "
               f"failed, {t['skipped']} skipped.")
    if settings is not None:
        from harvesters.run import log_path

        click.echo(f"Log: {log_path(settings, report.id)}")



# -- runs -------------------------------------------------------------------------------------
@click.group(invoke_without_command=True)
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
        n = source_counts(r)
        rows.append((r.id, r.started_at.strftime("%Y-%m-%d %H:%M:%S"), r.status, r.trigger,
                     len(r.sources), n["failed"], n["skipped"], t["added"], t["updated"],
                     t["failed"], outcome(r)[1]))
    _table(("RUN", "STARTED (UTC)", "STATUS", "TRIGGER", "SOURCES", "SRC-FAILED", "SRC-SKIPPED",
            "ADDED", "UPDATED", "REC-FAILED", "RESULT"), rows)


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


