"""``ccp sources``: list, check, status and add sources."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from config import SourceConfigError, load_source_file, load_sources

from .common import Env, _config_error, _short, _table, fail, pass_env


@click.group()
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
@click.option("--online", is_flag=True, help="Also fetch each source's entry URL and say what "
              "it finds there (the discovery of 'sources add').")
@pass_env
def sources_check(env: Env, target: str | None, online: bool):
    """Validate source files: all of them, one source by ID, or one FILE or DIRECTORY.

    With --online, each source's entry URL is fetched (private addresses are refused as the
    harvester refuses them) and the check says whether it is the feed, sitemap or page the
    file declares. Exit status 0 all good, 1 a source does not answer as declared,
    2 an invalid file or an address the harvester would refuse.
    """
    srcs = _check_targets(env, target)
    if not online:
        refused = {s.id: _refusals(env, s) for s in srcs}
        for s in srcs:
            for message in refused[s.id]:
                click.secho(f"REFUSED  {s.id}: {message}", fg="red", err=True)
        if any(refused.values()):
            sys.exit(2)
        if target and Path(target).is_file():
            s = srcs[0]
            click.secho(f"OK  {target}: {s.type} source {s.id!r} ({s.name})", fg="green")
            return
        for s in srcs:
            click.secho(f"OK  {s.id}: {s.type} {_source_url(s)}", fg="green")
        click.echo(f"{len(srcs)} source(s) valid.")
        return
    bad = 0
    for s in srcs:
        ok, line = _check_online(env, s)
        bad += not ok
        click.secho(f"{'OK ' if ok else 'BAD'} {s.id}: {line}", fg="green" if ok else "red")
    click.echo(f"{len(srcs) - bad} of {len(srcs)} source(s) answer as declared.")
    sys.exit(1 if bad else 0)


def _refusals(env: Env, s) -> list[str]:
    """The SSRF guard's refusals of a source's entry URLs (private addresses, other schemes)."""
    from config.netpolicy import check_url

    urls = [str(s.url)] if getattr(s, "url", None) else [str(u) for u in s.start_urls]
    found = (check_url(u, env.settings.allowed_private_addresses) for u in urls)
    return [m for m in found if m]


def _looks_like_path(target: str) -> bool:
    return ("/" in target or target.endswith((".yaml", ".yml")) or Path(target).exists())


def _check_targets(env: Env, target: str | None) -> list:
    """The sources to check: every configured one, one id, or the file(s) at a path."""
    if target and _looks_like_path(target):
        path = Path(target)
        if not path.exists():
            fail(f"{target}: no such file or directory")
        try:
            return load_sources(path) if path.is_dir() else [load_source_file(path)]
        except SourceConfigError as exc:
            _config_error(exc)
    srcs = env.load_sources()
    if target:
        srcs = [s for s in srcs if s.id == target]
        if not srcs:
            fail(f"No source with id {target!r} in {env.settings.sources}")
    return srcs


def _check_online(env: Env, s) -> tuple[bool, str]:
    """(answers as declared, one line saying what the entry URL offers)."""
    from harvesters.discover import discover

    url = _source_url(s)
    try:
        found = discover(env.settings, url, timeout=60)
    except ValueError as exc:  # refused before any request (SSRF guard) or malformed
        return False, str(exc)
    want = "crawl" if s.type in ("crawl", "html") else s.type
    same = [c for c in found.candidates if c.definition["type"] == want and
            (want == "crawl" or _same_url(c.definition.get("url"), url))]
    others = [f"{c.definition['type']} {c.definition.get('url') or ''}".strip()
              for c in found.candidates if c not in same and c.definition["type"] != "crawl"]
    hint = f"; it offers {', '.join(others[:3])}" if others else ""
    if same:
        c = same[0]
        what = ("the start page answers" if want == "crawl"
                else f"a {want} with {c.items} item(s)")
        return True, f"{url}: {what}{hint}"
    notes = "; ".join(found.notes[:3]) or "nothing the portal can harvest"
    return False, f"{url}: not a {want} ({notes}){hint}"


def _same_url(a: str | None, b: str) -> bool:
    return bool(a) and a.rstrip("/") == b.rstrip("/")


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
            "added": rs.added if rs else 0, "merged": rs.merged if rs else 0,
            "updated": rs.updated if rs else 0,
            "unchanged": rs.unchanged if rs else 0, "failed": rs.failed if rs else 0,
            "consecutive_failures": h.consecutive_failures if h else 0,
            "last_success": h.last_success_at.isoformat() if h and h.last_success_at else None,
            "next_run": h.next_run_at.isoformat() if h and h.next_run_at else None,
            "backing_off_until": backoff.isoformat() if backoff else None,
            "last_error": h.last_error if h and h.consecutive_failures else None,
        }
        out.append(item)
        rows.append((s.id, state, _short(item["last_run"]), item["last_status"] or "",
                     f"{item['added']}/{item['merged']}/{item['updated']}/{item['unchanged']}/"
                     f"{item['failed']}",
                     item["consecutive_failures"] or "",
                     _short(item["backing_off_until"] or item["next_run"]),
                     (item["last_error"] or "")[:60]))
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    _table(("SOURCE", "HEALTH", "LAST RUN (UTC)", "RESULT", "ADD/MRG/UPD/SAME/FAIL", "FAILS",
            "NEXT RUN (UTC)", "LAST ERROR"), rows)



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

