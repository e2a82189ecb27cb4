"""Load and validate source files.

Every problem is reported as :class:`SourceConfigError` naming the file, the key and what is
wrong, so an operator can fix it before any harvest starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from .models import SOURCE_ADAPTER, SourceConfig


class _Loader(yaml.SafeLoader):
    """YAML 1.2's booleans: only true/false. YAML 1.1 also reads yes/no/on/off, so an
    unquoted ``country: NO`` (Norway) or ``language: no`` would become false."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


@dataclass
class ConfigProblem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class SourceConfigError(Exception):
    """One or more source files are invalid."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    raise SourceConfigError([ConfigProblem(str(path), "", "no such file or directory")])


def _problems_from(exc: ValidationError, file: str) -> list[ConfigProblem]:
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        # the discriminated union puts the chosen type in the location: drop it
        if loc and loc[0] in ("feed", "sitemap", "crawl", "html"):
            loc = loc[1:]
        kind = err.get("type", "")
        if loc and loc[-1] == "[key]":  # a mapping's key that is not allowed: name the mapping
            loc = loc[:-2]
            kind = "dict_key"
        key = ".".join(loc) or "(document)"
        if kind == "union_tag_invalid":
            key, msg = "type", "must be one of: feed, sitemap, crawl"
        elif kind == "union_tag_not_found":
            key, msg = "type", "is missing (one of: feed, sitemap, crawl)"
        else:
            msg = _plain_message(kind, err, loc[-1] if loc else "")
        out.append(ConfigProblem(file, key, msg))
    return out


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _plain_message(kind: str, err: dict, key: str) -> str:
    """What pydantic says, as a person would say it (no "Value error, ", no key repeated)."""
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "value_error":
        msg = str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
        return msg.removeprefix(f"{key}: ") if key else msg
    if kind == "dict_key":
        return f"unknown key {_shown(value)} (use {ctx.get('expected')})" \
            if ctx.get("expected") else f"unknown key {_shown(value)}"
    simple = {
        "extra_forbidden": "unknown key",
        "missing": "is required",
        "string_type": "must be text",
        "list_type": "must be a list",
        "dict_type": "must be a mapping of keys to values",
        "model_type": "must be a mapping of keys to values",
        "model_attributes_type": "must be a mapping of keys to values",
    }
    if kind in simple:
        return simple[kind]
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a number, not {_shown(value)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number, not {_shown(value)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be a boolean (true or false), not {_shown(value)}"
    bounds = {"greater_than_equal": ("ge", "{} or more"), "greater_than": ("gt", "more than {}"),
              "less_than_equal": ("le", "at most {}"), "less_than": ("lt", "less than {}")}
    if kind in bounds:
        name, words = bounds[kind]
        return f"must be {words.format(ctx.get(name))}, not {_shown(value)}"
    if kind == "string_too_short":
        return "must not be empty (at least 1 character)" if ctx.get("min_length") == 1 else \
            f"must be at least {ctx.get('min_length')} characters long"
    if kind == "too_short":
        return f"must list at least {ctx.get('min_length')} item(s)"
    if kind.startswith("url_"):
        reason = str(ctx.get("error") or err.get("msg", "")).removeprefix("Input should be ")
        return f"{_shown(value)} is not a valid http(s) URL ({reason})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, not {_shown(value)}"
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


def load_source_file(path: Path) -> SourceConfig:
    """Parse and validate one source file."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceConfigError([ConfigProblem(name, "", f"cannot be read ({exc})")]) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceConfigError([ConfigProblem(name, where, f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise SourceConfigError(
            [ConfigProblem(name, "(document)", "must be a mapping of keys to values")]
        )
    try:
        return SOURCE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise SourceConfigError(_problems_from(exc, name)) from None


def load_sources(path: str | Path, *, include_disabled: bool = True) -> list[SourceConfig]:
    """Load every source under ``path`` (a directory of YAML files or one file).

    All files are checked; the error lists every problem found, and duplicate ids.
    """
    path = Path(path)
    problems: list[ConfigProblem] = []
    sources: list[SourceConfig] = []
    seen: dict[str, str] = {}
    for f in _source_files(path):
        try:
            src = load_source_file(f)
        except SourceConfigError as exc:
            problems.extend(exc.problems)
            continue
        if src.id in seen:
            problems.append(
                ConfigProblem(str(f), "id", f"{src.id!r} is already used by {seen[src.id]}")
            )
            continue
        seen[src.id] = str(f)
        sources.append(src)
    if problems:
        raise SourceConfigError(problems)
    if not include_disabled:
        sources = [s for s in sources if s.enabled]
    return sources
