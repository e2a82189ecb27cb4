"""The import directions of DESIGN.md: config <- indexer <- harvesters, search_ui.

Checked on the source (every import statement, including ones inside functions) so that a
wrong import anywhere fails here, not only on the paths the other tests happen to run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level modules it must never import
FORBIDDEN = {
    "config": {"indexer", "harvesters", "search_ui", "ccp", "scrapy", "flask", "apscheduler",
               "feedparser", "elasticsearch", "tantivy", "sqlalchemy"},
    "indexer": {"harvesters", "search_ui", "ccp", "scrapy", "flask", "apscheduler", "feedparser"},
    "harvesters": {"search_ui", "ccp", "flask"},
    "search_ui": {"harvesters", "ccp", "scrapy", "apscheduler", "feedparser"},
}
# only these modules may import the elasticsearch client
# the Elasticsearch backend package is the one place that imports the client
ELASTICSEARCH_ALLOWED = "indexer/backends/elasticsearch/"


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_import_direction(package):
    files = python_files(package)
    assert files, f"{package}/ has no Python files"
    bad = []
    for f in files:
        rel = f.relative_to(ROOT).as_posix()
        wrong = imported_top_levels(f) & FORBIDDEN[package]
        if rel.startswith(ELASTICSEARCH_ALLOWED):
            wrong.discard("elasticsearch")
        if wrong:
            bad.append(f"{rel} imports {', '.join(sorted(wrong))}")
    assert not bad, "imports against DESIGN.md's directions:\n" + "\n".join(bad)


def test_elasticsearch_client_only_in_its_backend():
    offenders = [
        f.relative_to(ROOT).as_posix()
        for pkg in ("config", "indexer", "harvesters", "search_ui", "ccp")
        for f in python_files(pkg)
        if "elasticsearch" in imported_top_levels(f)
        and not f.relative_to(ROOT).as_posix().startswith(ELASTICSEARCH_ALLOWED)
    ]
    assert not offenders


def test_the_checker_sees_imports_inside_functions(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from flask import Flask\n    import scrapy.http\n")
    assert {"flask", "scrapy"} <= imported_top_levels(f)


# -- no import cycles between modules ------------------------------------------------------------
PACKAGES = ("config", "indexer", "harvesters", "search_ui", "ccp")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The project modules ``path`` (module ``name``) imports: every import statement, those
    inside functions and under ``if TYPE_CHECKING`` too (a cycle hidden there is still a cycle
    of the design); ``from pkg import mod`` counts as importing ``pkg.mod``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[: len(up) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def import_cycles(files: dict[str, Path]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    modules = set(files)
    graph = {m: module_imports(p, m, modules) for m, p in files.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return cycles


def test_no_import_cycles_between_modules():
    files = {module_name(f): f for pkg in PACKAGES for f in python_files(pkg)
             if "migrations" not in f.parts}
    assert import_cycles(files) == []


def test_the_cycle_checker_finds_a_cycle_through_a_package_and_type_checking(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .a import A\n")
    (pkg / "a.py").write_text("from . import b\nA = 1\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from .c import C\n")
    (pkg / "c.py").write_text("def f():\n    from pkg.a import A\n")
    (pkg / "d.py").write_text("from pkg import a\n")
    files = {module_name(f, tmp_path): f for f in pkg.rglob("*.py")}
    assert import_cycles(files) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_docs_architecture_names_every_module_and_only_existing_ones():
    """docs/architecture.md is where a newcomer finds a behaviour's module: every module is
    named there (by path, or by file name in its package's row) and every path it names exists."""
    import re

    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w/.]+)`", doc))
    paths = {n for n in named if "/" in n and (n.endswith(".py") or n.endswith("/"))}
    missing_paths = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing_paths, f"docs/architecture.md names what does not exist: {missing_paths}"
    mentioned = {Path(n).name for n in named} | {n.rstrip("/") for n in named}
    unnamed = sorted(
        f.relative_to(ROOT).as_posix() for pkg in PACKAGES for f in python_files(pkg)
        if f.name not in ("__init__.py", "__main__.py") and "migrations" not in f.parts
        and f.name not in mentioned and f.relative_to(ROOT).as_posix() not in mentioned)
    assert not unnamed, f"modules docs/architecture.md does not name: {unnamed}"
