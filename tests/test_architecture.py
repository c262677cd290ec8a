"""Imports run downwards: jobs may use mailer and workbooks; mailer and workbooks never import jobs
(or macros); jobs imports macros only inside the command that builds the console."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The packages a module imports (`jobs`, `mailer`, ...); with `top_level_only`, only those
    imported when the module loads (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {_app(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(_app(node.module))
    return found


def _app(name: str) -> str:
    """`duban.jobs.check` -> `jobs`: the application package a dotted name is in."""
    parts = name.split(".")
    return parts[1] if parts[0] == "duban" and len(parts) > 1 else parts[0]


@pytest.mark.parametrize("package", ["workbooks", "mailer"])
def test_lower_layers_never_import_jobs_or_macros(package):
    offenders = {str(p.relative_to(ROOT)): sorted(imports(p) & {"jobs", "macros"})
                 for p in (ROOT / package).rglob("*.py") if imports(p) & {"jobs", "macros"}}
    assert offenders == {}


def test_workbooks_does_not_import_mailer():
    assert {str(p.relative_to(ROOT)) for p in (ROOT / "workbooks").rglob("*.py") if "mailer" in imports(p)} == set()


def test_jobs_loads_without_macros():
    eager = {str(p.relative_to(ROOT)) for p in (ROOT / "jobs").rglob("*.py") if "macros" in imports(p, True)}
    assert eager == set()
