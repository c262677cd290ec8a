"""How duban gets onto a clerk's PC, as the README and duban's own messages tell it (issue 17 #12):
duban is not on PyPI, so nothing may say `pip install duban`; the README says how IT builds the
wheel and how a clerk installs that file, naming the file the build really writes."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workbooks", "jobs", "mailer", "macros")
# `pip install duban` as advice: the name alone (PyPI), not a path or file that begins with it
BY_NAME = re.compile(r"pip3? install (?:-U |--upgrade )?duban(?![\w.\-/\\])")


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"### {title}")
    end = text.find("\n#", start + 1)
    return text[start:end]


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_nothing_tells_anyone_to_pip_install_duban_by_name():
    texts = [ROOT / "README.md", *(p for app in APPS for p in (ROOT / app).rglob("*")
                                   if p.suffix in (".py", ".j2", ".toml", ".bas") and "__pycache__" not in p.parts)]
    found = [f"{p.relative_to(ROOT)}: {m[0]}" for p in texts for m in BY_NAME.finditer(p.read_text(encoding="utf-8"))]
    assert found == []


def test_the_readme_says_how_it_builds_the_wheel_and_how_a_clerk_installs_that_file():
    section = _section("Installing on a clerk's PC")
    wheel = f"duban-{_version()}-py3-none-any.whl"       # setuptools' name for this pure-Python project
    assert "python -m pip wheel . --no-deps -w dist" in section and "python -m build --wheel" in section
    assert f"dist/{wheel}" in section
    [install] = [line for line in section.splitlines() if "Scripts\\pip install" in line]
    assert install.rstrip("`").endswith(f"\\{wheel}"), install       # the clerk installs that file
    assert "--no-index --find-links" in section                        # and how, without internet access


def test_the_message_for_a_missing_xlwings_names_the_wheel(monkeypatch):
    import sys

    import pytest

    from duban.macros import build
    from duban.workbooks.model.errors import DubanError

    monkeypatch.setitem(sys.modules, "xlwings", None)       # as for a Python where it is not installed
    with pytest.raises(DubanError) as err:
        build.xlwings_dir()
    assert "py3-none-any.whl" in str(err.value) and not BY_NAME.search(str(err.value))
