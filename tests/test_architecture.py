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
