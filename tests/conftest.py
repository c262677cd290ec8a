"""Fixtures shared by several test files, the rule that marks every LibreOffice test slow, and
the guard that the tests test this checkout (not an older installed copy of it)."""
import filecmp
import os
import tempfile
from pathlib import Path

import pytest

import duban.jobs
import lo
from smtp_server import smtp_server  # noqa: F401  (the real SMTP server on loopback, as a fixture)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs LibreOffice (skipped with lo.SKIP_REASON when soffice is missing) starts
    soffice, seconds each time: it is slow, wherever it is declared."""
    for item in items:
        if any(mark.kwargs.get("reason") == lo.SKIP_REASON for mark in item.iter_markers("skipif")):
            item.add_marker(pytest.mark.slow)


# The read cache's signing key lives in the user's own cache folder: the tests (and the commands
# they start) use one of their own, never the real home's.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="duban-tests-cache-")

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workbooks", "jobs", "mailer", "macros")


def stale_install() -> list[str]:
    """Files where the installed duban differs from this checkout. Installed with `pip install .`,
    the tests import the installed copy: after an edit it is old until installed again (an
    editable install, `pip install -e`, is this checkout itself)."""
    installed = Path(next(iter(duban.jobs.__path__))).resolve().parent
    if installed == ROOT:
        return []
    differ = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            copy = installed / path.relative_to(ROOT)
            if not copy.exists() or not filecmp.cmp(path, copy, shallow=False):
                differ.append(str(path.relative_to(ROOT)))
    return differ


def pytest_configure(config: pytest.Config) -> None:
    differ = stale_install()
    if differ:
        pytest.exit(f"The installed duban is not this checkout ({len(differ)} files differ, e.g. {differ[0]}): "
                    "the tests would test the old copy. Install it again (pip install \".[test]\"), or once "
                    "for all while you edit: pip install -e \".[test]\".", returncode=4)
