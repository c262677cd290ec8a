"""What a wheel carries: every sub-package and data file of the four application packages."""
from __future__ import annotations

import runpy
import tomllib
from importlib.metadata import version
from pathlib import Path

import setuptools

from books import cli

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workbooks", "jobs", "mailer", "macros")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _setup_arguments(monkeypatch) -> dict:
    """What setup.py hands to setuptools (the wheel itself is built and checked by .ci/run)."""
    seen: dict = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kw: seen.update(kw))
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(ROOT / "setup.py"))
    return seen


def test_every_package_folder_is_in_the_wheel_under_the_one_name_duban(monkeypatch):
    """Installed, only `duban` lands in site-packages: the four folders are `duban.<folder>`,
    every sub-package included (setup.py finds them), nothing else at the top."""
    folders = {str(p.parent.relative_to(ROOT)).replace("/", ".") for app in APPS
               for p in (ROOT / app).rglob("__init__.py") if "__pycache__" not in p.parts}
    assert "jobs.rules" in folders
    setup = _setup_arguments(monkeypatch)
    assert setup["package_dir"] == {f"duban.{app}": app for app in APPS}
    assert set(setup["packages"]) == {f"duban.{f}" for f in folders}


def test_every_data_file_is_in_the_wheel():
    patterns = _config()["package-data"]["*"]
    data = [p for app in APPS for p in (ROOT / app).rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data, "defaults.toml and the mail templates at least"
    missed = [p for p in data if not any(p.relative_to(_package_of(p)).match(pat) for pat in patterns)]
    assert not missed, missed


def _package_of(path: Path) -> Path:
    """The nearest folder with an __init__.py: package-data patterns are relative to it."""
    return next(folder for folder in path.parents if (folder / "__init__.py").exists())


def test_version_is_the_installed_one():
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"duban {version('duban')}"
