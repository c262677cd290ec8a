"""Fixtures shared by several test files, and the rule that marks every LibreOffice test slow."""
import pytest

import lo
from smtp_server import smtp_server  # noqa: F401  (the real SMTP server on loopback, as a fixture)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs LibreOffice (skipped with lo.SKIP_REASON when soffice is missing) starts
    soffice, seconds each time: it is slow, wherever it is declared."""
    for item in items:
        if any(mark.kwargs.get("reason") == lo.SKIP_REASON for mark in item.iter_markers("skipif")):
            item.add_marker(pytest.mark.slow)
