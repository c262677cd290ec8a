"""The house, measured from the code's own imports (every import, also those inside functions).

Imports run downwards: `jobs` may use `mailer` and `workbooks`; `mailer` and `workbooks` never
import `jobs` (or `macros`); `jobs` imports `macros` only to build the console and to answer it.
Inside `workbooks` and `jobs`, the folders are layers, listed below from the bottom up: a module
imports its own layer or a lower one, never a higher one; no two modules import each other, even
by a detour; no module imports another module's private (`_underscored`) name; no module is
longer than 400 lines.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workbooks", "jobs", "mailer", "macros")

# Bottom first. A jobs/ module outside a folder is a layer of its own (the jobs and the CLI).
LAYERS = {
    "workbooks": ["model", "share", "xlsx", "read", "make", "write"],
    "jobs": ["time", "settings", "rules", "state", "notify", "pool", "readwork", "validate", "checkstream",
             "check", "explain",
             "remind", "inbox", "init", "summary", "dashboard", "tasks", "serve", "terminal", "cli"],
}
LONGEST = 400


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _local(name: str) -> str | None:
    """`duban.jobs.rules.base.Flag` -> `jobs.rules.base`: the nearest duban module of a name."""
    if not name.startswith("duban."):
        return None
    name = name[len("duban."):]
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


@cache
def _imports(module: str) -> tuple[tuple[str, str, bool], ...]:
    """(imported module, imported name, at load time) for every import in `module`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(_local(a.name), "", id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{module}: relative import; write duban.<package>.<module>"
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                if _local(whole) == whole[len("duban."):]:          # `from duban.jobs import check`
                    found.append((_local(whole), "", id(node) in top))
                else:
                    found.append((_local(node.module), alias.name, id(node) in top))
    return tuple((m, n, eager) for m, n, eager in found if m and m != module)


def _graph() -> dict[str, set[str]]:
    return {m: {target for target, _, _ in _imports(m)} - {m} for m in MODULES}


def _layer(module: str) -> tuple[str, int] | None:
    app, *rest = module.split(".")
    if app not in LAYERS or not rest:
        return None
    return app, LAYERS[app].index(rest[0])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_every_layer_folder_is_declared():
    for app, layers in LAYERS.items():
        present = {m.split(".")[1] for m in MODULES if m.startswith(app + ".")}
        assert present <= set(layers), f"{app}: add {sorted(present - set(layers))} to LAYERS"


def test_no_import_circles():
    assert _cycles(_graph()) == []


def test_no_upward_import_inside_workbooks_and_jobs():
    upward = sorted(f"{m} -> {t}" for m, targets in _graph().items() for t in targets
                    if (a := _layer(m)) and (b := _layer(t)) and a[0] == b[0] and b[1] > a[1])
    assert upward == []


def test_no_private_name_is_imported_from_another_module():
    private = sorted(f"{m} imports {t}.{n}" for m in MODULES for t, n, _ in _imports(m)
                     if n.startswith("_") and not n.startswith("__"))
    assert private == []


def test_no_module_reaches_another_by_a_string():
    """What the measurement cannot see: a duban module named in a string (importlib, a
    "module:function" reference, __import__). A package naming its own data files is fine."""
    hidden = []
    for m, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value.partition(":")[0]
                if name.startswith("duban.") and _local(name) and not m.startswith(name[len("duban."):]):
                    hidden.append(f"{m}: {node.value!r}")
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                    "import_module", "__import__") and not (node.args and isinstance(node.args[0], ast.Constant)
                                                              and node.args[0].value in ("time",)):
                hidden.append(f"{m}: {ast.unparse(node)}")
    assert hidden == []


def test_no_module_is_longer_than_400_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONGEST}
    assert long == {}


@pytest.mark.parametrize("package", ["workbooks", "mailer"])
def test_lower_layers_never_import_jobs_or_macros(package):
    offenders = sorted(f"{m} -> {t}" for m in MODULES if m.split(".")[0] == package
                       for t in _graph()[m] if t.split(".")[0] in ("jobs", "macros"))
    assert offenders == []


def test_workbooks_does_not_import_mailer():
    assert sorted(f"{m} -> {t}" for m in MODULES if m.startswith("workbooks")
                  for t in _graph()[m] if t.startswith("mailer")) == []


def test_jobs_loads_without_macros():
    eager = sorted(m for m in MODULES if m.startswith("jobs")
                   for t, _, at_load in _imports(m) if at_load and t.startswith("macros"))
    assert eager == []


def test_the_checks_see_what_they_check():
    """The measurement itself: a known import, a known layer, and a circle found when there is one."""
    assert "workbooks.model.schema" in _graph()["workbooks.model.kinds"]
    assert _layer("jobs.serve.loop") > _layer("jobs.check")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _local("duban.jobs.tasks:check".partition(":")[0]) == "jobs.tasks"
