"""``ccp resources``: look at a resource's instances and why they were merged; undo a merge."""

from __future__ import annotations

import click

from .common import Env, fail, pass_env


@click.group()
def resources():
    """Resources in the catalogue: their instances, and undoing a wrong merge."""


@resources.command("show")
@click.argument("resource_id")
@pass_env
def resources_show(env: Env, resource_id: str):
    """List RESOURCE_ID's instances and why each was merged into it."""
    cat = env.catalogue()
    r = cat.get_resource(resource_id)
    if r is None:
        fail(f"There is no resource {resource_id} in the catalogue.")
    reasons = cat.merge_reasons(resource_id)
    click.echo(f"{r.id}  {r.title}")
    for i in r.instances:
        why = reasons.get(i.url)
        click.echo(f"  {i.url}  [{i.source_id}, {i.status}]  "
                   f"{why.label if why else 'first seen here'}")


@resources.command("split")
@click.argument("resource_id")
@click.argument("instance_url")
@pass_env
def resources_split(env: Env, resource_id: str, instance_url: str):
    """Undo a wrong merge: INSTANCE_URL leaves RESOURCE_ID and becomes a resource of its own.

    No later harvest merges it into RESOURCE_ID again; its text is fetched afresh on the next
    harvest, and the search index learns of both at the next drain."""
    from indexer.catalogue import SplitError
    from indexer.indexing import drain

    cat = env.catalogue()
    try:
        new_id = cat.split_instance(resource_id, instance_url, by="ccp resources split")
    except SplitError as exc:
        fail(f"Cannot split {instance_url} off {resource_id}: {exc}.")
    drain(cat, env.backend())
    click.echo(f"{instance_url} is now resource {new_id}, apart from {resource_id}; "
               "later harvests keep them apart.")
