"""Editing source files from code (the web admin): add a source, enable or disable one.

Source files are operator data, often with hand-written comments explaining why a source is
configured the way it is. The edits here therefore touch as little as possible:

- :func:`write_source_file` writes a *new* file ``<id>.yaml`` (never overwriting one, never
  reusing an id another file has) after validating the definition;
- :func:`set_source_enabled` changes only the top-level ``enabled:`` line of the file that
  defines the source (or adds one after ``id:``), keeping every comment and every other byte,
  checks that the result parses to the same definition with only ``enabled`` changed and still
  validates, and replaces the file atomically.

:func:`scan_sources` reads a sources directory the way an admin page needs it: every valid
source with its file, and the problems of the others, instead of failing on the first one.

This module imports nothing of the project outside ``config``.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .loader import (
    ConfigProblem,
    SourceConfigError,
    _Loader,
    _problems_from,
    _source_files,
    load_source_file,
)
from .models import SOURCE_ADAPTER, SourceConfig

__all__ = [
    "SourceNotFound",
    "SourceScan",
    "find_source_file",
    "scan_sources",
    "set_source_enabled",
    "source_file_text",
    "source_files",
    "write_source_file",
]

_SUFFIXES = (".yaml", ".yml")
# Top-level keys, optionally quoted, at the very start of a line (indented lines belong to
# nested mappings or block scalars).
_ENABLED_RE = re.compile(r"""^(?P<key>(?P<q>["']?)enabled(?P=q)[ \t]*:)(?P<value>[^#\r\n]*?)"""
                         r"""(?P<rest>[ \t]+#[^\r\n]*)?$""")
_ID_RE = re.compile(r"""^(?P<q>["']?)id(?P=q)[ \t]*:""")
# Keys written first in a new file, in this order; the rest follow in the given order.
_LEADING_KEYS = ("id", "type", "name")


class SourceNotFound(LookupError):
    """No source file defines this id."""


@dataclass
class SourceScan:
    """What a sources directory holds: valid sources by id, and every problem found."""

    sources: dict[str, tuple[Path, SourceConfig]] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)

    def file_of(self, source_id: str) -> Path | None:
        found = self.sources.get(source_id)
        return found[0] if found else None


def source_files(sources_path: str | Path) -> list[Path]:
    """The YAML files under ``sources_path`` (a directory, or one file); none if missing."""
    try:
        return _source_files(Path(sources_path))
    except SourceConfigError:  # neither a file nor a directory
        return []


def scan_sources(sources_path: str | Path) -> SourceScan:
    """Every source under ``sources_path`` that validates, and the problems of the rest.

    Unlike :func:`config.loader.load_sources`, one bad file does not hide the others; a
    duplicate id is a problem of the second file that uses it.
    """
    scan = SourceScan()
    path = Path(sources_path)
    if not path.exists():
        scan.problems.append(ConfigProblem(str(path), "", "no such file or directory"))
        return scan
    for f in source_files(path):
        try:
            src = load_source_file(f)
        except SourceConfigError as exc:
            scan.problems.extend(exc.problems)
            continue
        if src.id in scan.sources:
            other = scan.sources[src.id][0]
            scan.problems.append(ConfigProblem(str(f), "id", f"{src.id!r} is already used by {other}"))
            continue
        scan.sources[src.id] = (f, src)
    return scan


def _declared_id(path: Path) -> str | None:
    """The ``id`` a file declares, even when the rest of it is invalid; None if unreadable."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return None


def find_source_file(sources_path: str | Path, source_id: str) -> Path:
    """The file whose top-level ``id`` is ``source_id``; raises :class:`SourceNotFound`."""
    files = source_files(sources_path)
    # the conventional name first: most of the time that is the only file read
    files.sort(key=lambda p: p.stem != source_id)
    for f in files:
        if _declared_id(f) == source_id:
            return f
    raise SourceNotFound(f"no source file under {sources_path} has id {source_id!r}")


def _validate(definition: dict[str, Any], where: str) -> SourceConfig:
    try:
        return SOURCE_ADAPTER.validate_python(definition)
    except ValidationError as exc:
        raise SourceConfigError(_problems_from(exc, where)) from None


def _file_text(definition: dict[str, Any], model: SourceConfig, comment: str) -> str:
    normal = model.model_dump(mode="json", exclude_none=True)
    keys = [k for k in _LEADING_KEYS if k in definition]
    keys += [k for k in definition if k not in keys]
    data = {k: normal[k] for k in keys if k in normal}
    header = "# " + " ".join(comment.split()) + "\n"
    # safe_dump quotes the YAML 1.1 booleans: Norwegian 'no' and the country 'NO' stay strings
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def source_file_text(definition: dict[str, Any], *, comment: str | None = None) -> str:
    """The text :func:`write_source_file` writes for ``definition`` (validated first)."""
    model = _validate(dict(definition), "(new source)")
    if comment is None:
        comment = _default_comment(model)
    return _file_text(dict(definition), model, comment)


def _default_comment(model: SourceConfig) -> str:
    today = datetime.now(timezone.utc).date().isoformat()
    return f"{model.name} — added on {today}"


def write_source_file(sources_path: str | Path, definition: dict[str, Any], *,
                      comment: str | None = None) -> Path:
    """Write a new source file ``<id>.yaml`` into the sources directory and return its path.

    The definition is validated first (:class:`SourceConfigError` names the key at fault) and
    written with its values normalised (``country`` upper case, URLs as the model reads them),
    keys in the given order after ``id``, ``type`` and ``name``, under a one-line comment.
    Raises ``FileExistsError`` if the file exists or another file already uses the id, and
    ``ValueError`` when ``sources_path`` is a single file rather than a directory.
    """
    directory = Path(sources_path)
    if directory.is_file() or directory.suffix in _SUFFIXES:
        raise ValueError(
            f"the sources setting points to one file ({directory}); new sources need a "
            "directory of source files (set CCP_SOURCES to a directory)")
    model = _validate(dict(definition), "(new source)")
    sid = model.id
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{sid}.yaml"
    for existing in (target, directory / f"{sid}.yml"):
        if existing.exists():
            raise FileExistsError(f"{existing} exists already; it is not overwritten")
    for f in source_files(directory):
        if _declared_id(f) == sid:
            raise FileExistsError(f"a source with id {sid!r} exists already in {f}")
    if comment is None:
        comment = _default_comment(model)
    text = _file_text(dict(definition), model, comment)
    # written whole to a temporary file, then linked into place: readers (the scheduler)
    # never see half a file, and a file created meanwhile is never replaced
    fd, tmp = tempfile.mkstemp(prefix=f".{sid}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise FileExistsError(f"{target} exists already; it is not overwritten") from None
    finally:
        os.unlink(tmp)
    return target


def _edit_enabled(text: str, enabled: bool) -> str:
    value = "true" if enabled else "false"
    lines = text.splitlines(keepends=True)
    found = False
    for n, line in enumerate(lines):
        body = line.rstrip("\r\n")
        m = _ENABLED_RE.match(body)
        if m:
            found = True
            ending = line[len(body):]
            rest = m.group("rest") or ""
            lines[n] = f"{m.group('key')} {value}{rest}{ending}"
    if found:
        return "".join(lines)
    newline = "\r\n" if "\r\n" in text else "\n"
    for n, line in enumerate(lines):
        if _ID_RE.match(line):
            if not line.endswith(("\n", "\r")):
                lines[n] = line + newline
            lines.insert(n + 1, f"enabled: {value}{newline}")
            return "".join(lines)
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + f"enabled: {value}{newline}"


def set_source_enabled(sources_path: str | Path, source_id: str, enabled: bool) -> Path:
    """Enable or disable a source in its file; returns the file's path.

    Only the top-level ``enabled:`` line changes (or one is added after ``id:``); comments,
    key order and formatting stay as they were. The edited text must parse to the same
    definition with ``enabled`` set, and validate, before it atomically replaces the file;
    otherwise ``ValueError`` (or :class:`SourceConfigError`) and the file is left alone.
    Raises :class:`SourceNotFound` when no file defines ``source_id``.
    """
    path = find_source_file(sources_path, source_id)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    before = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    if not isinstance(before, dict):  # pragma: no cover - find_source_file read a mapping
        raise ValueError(f"{path} does not hold a source definition")
    if _validate(before, str(path)).enabled is enabled:
        return path  # already so: the file is not touched
    edited = _edit_enabled(text, enabled)
    try:
        after = yaml.load(edited, Loader=_Loader)  # noqa: S506
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: cannot set 'enabled' without breaking the file ({exc}); "
                         "edit it by hand") from None
    if after != {**before, "enabled": enabled}:
        raise ValueError(f"{path}: cannot set 'enabled' by editing one line (the file's layout "
                         "is unusual); edit it by hand")
    _validate(after, str(path))
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(edited.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
