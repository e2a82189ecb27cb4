"""What every command group shares: the settings, the catalogue and backend, tables."""

from __future__ import annotations

import sys

import click

from config import Settings, SourceConfigError, load_sources
from config.settings import SettingError


class Env:
    def __init__(self, data_dir: str | None, sources: str | None):
        self.settings = Settings.from_env(data_dir=data_dir, sources=sources)
        self._reached = False

    def validate(self) -> None:
        """Every setting, before any command does any work (SettingError: one line each)."""
        from indexer.schema import database_url_problems

        problems = self.settings.problems() + database_url_problems(self.settings.database_url)
        if problems:
            raise SettingError("\n".join(problems))

    def check_database(self) -> None:
        """Refuse to start (exit 2, one line) when the configured database cannot be reached."""
        from indexer.schema import unreachable

        if self._reached:
            return
        why = unreachable(self.settings.database_url)
        if why:
            raise SettingError(why)
        self._reached = True

    def catalogue(self):
        from indexer.catalogue import Catalogue

        self.check_database()
        cat = Catalogue(self.settings.catalogue_url)
        cat.create_all()
        cat.close_dead_runs()  # runs of harvests killed with SIGKILL are closed at once
        cat.release_dead_locks()
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


def fail(message: str, code: int = 2):
    """Print ``message`` (one line per problem) on stderr and exit with ``code``."""
    for line in message.splitlines():
        click.secho(line, fg="red", err=True)
    sys.exit(code)


def _config_error(exc: SourceConfigError):
    click.secho("Invalid source configuration:", fg="red", err=True)
    for p in exc.problems:
        click.echo(f"  {p}", err=True)
    sys.exit(2)


pass_env = click.make_pass_decorator(Env)


def _short(iso: str | None) -> str:
    return iso[:19].replace("T", " ") if iso else ""


def _table(headers, rows) -> None:
    rows = [tuple("" if c is None else str(c) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())

