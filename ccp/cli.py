"""The ``ccp`` command: the one module that wires config, indexer, harvesters and search_ui.

Every command honours ``CCP_DATA_DIR`` / ``--data-dir`` and ``CCP_SOURCES`` / ``--sources``.
Exit codes: 0 success, 1 a harvest in which a source or record failed (the rest is stored),
2 bad usage or invalid configuration.
"""

from __future__ import annotations

import click

from config.settings import SettingError

from .commands import harvest as _harvest
from .commands import index as _index
from .commands import resources as _resources
from .commands import serve as _serve
from .commands import sources as _sources
from .commands.common import Env, fail

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class PortalGroup(click.Group):
    """Turns the portal's well-known operational errors into clear messages (exit 2)."""

    def parse_args(self, ctx, args):
        words = args[:args.index("--")] if "--" in args else args
        ctx.meta["ccp.help"] = any(a in ("-h", "--help") for a in words)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError

        from indexer.schema import SchemaBehind

        try:
            return super().invoke(ctx)
        except SchemaBehind as exc:
            fail(f"Catalogue: {exc}")
        except SettingError as exc:
            fail(str(exc))
        except OperationalError as exc:  # the database went away after start-up
            reason = " ".join(str(exc.orig or exc).split())[:300]
            fail(f"Catalogue database ({ctx.obj.settings.catalogue_url.split('@')[-1]}): "
                 f"{reason}")


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
        if not ctx.meta.get("ccp.help"):
            ctx.obj.validate()  # every setting, before any command does any work
    except ValueError as exc:  # a malformed setting in the environment
        fail(str(exc))


for _cmd in (_sources.sources, _serve.schedule, _serve.up, _harvest.harvest, _harvest.runs,
             _index.db, _index.index, _index.search, _serve.serve, _serve.demo,
             _resources.resources):
    main.add_command(_cmd)


if __name__ == "__main__":  # pragma: no cover
    main()
