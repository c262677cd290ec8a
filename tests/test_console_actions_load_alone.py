"""serve's worker runs a console's handed-over job through macros.actions; that module, and every
module it imports (also inside functions), needs nothing of jobs/serve, so there is no circle
serve -> console -> serve; nor does it need the command line."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _path(module: str) -> Path | None:
    """duban.jobs.check -> ROOT/jobs/check.py (or a package's __init__.py); None outside duban."""
    if not module.startswith("duban."):
        return None
    parts = module.split(".")[1:]
    for candidate in (ROOT.joinpath(*parts).with_suffix(".py"), ROOT.joinpath(*parts, "__init__.py")):
        if candidate.exists():
            return candidate
    return None


def reached(start: str) -> set[str]:
    """Every duban module `start` imports, directly or through others, at load time or in a function."""
    seen, todo = {start}, [start]
    while todo:
        path = _path(todo.pop())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if path else ():
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                if _path(name) and name not in seen:
                    seen.add(name)
                    todo.append(name)
    return seen


def test_the_console_actions_reach_nothing_of_serve_nor_the_cli():
    found = reached("duban.macros.actions")
    assert "duban.jobs.check" in found and "duban.jobs.explain" in found      # the walk sees what it should
    assert sorted(m for m in found if m.startswith(("duban.jobs.serve", "duban.jobs.cli"))) == []


def test_loading_the_console_actions_loads_no_serve_module():
    code = ("import sys, duban.macros.actions; "
            "print(sorted(m for m in sys.modules if m.startswith(('duban.jobs.serve', 'duban.jobs.cli'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
