"""Names and layout of the two hidden sheets every duban workbook carries (_duban, _names).

_names holds what the dropdowns list: the directory's people in column A and its departments in
column B, each under a header in row 1; `duban check` refreshes both from the directory."""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

META_SHEET = "_duban"
NAMES_SHEET = "_names"
NAMES_FIRST_ROW = 2
NAMES_LAST_ROW = 1000
NAMES_HEADER = {"zh": "姓名", "en": "Name"}
DEPARTMENTS_HEADER = {"zh": "部门", "en": "Department"}

# Keys in column A of the meta sheet, one per row, value in column B.
META_KEYS = ("kind", "schema_version", "lang", "created_by")


def duban_version() -> str:
    """The installed duban version, or the source-tree version when not installed."""
    try:
        return version("duban")
    except PackageNotFoundError:
        return "0.1.0"


def names_ref() -> str:
    """The range a person-column dropdown lists (as stored in the file, without a leading '=')."""
    return f"{NAMES_SHEET}!$A${NAMES_FIRST_ROW}:$A${NAMES_LAST_ROW}"


def departments_ref() -> str:
    """The range a department-column dropdown lists."""
    return f"{NAMES_SHEET}!$B${NAMES_FIRST_ROW}:$B${NAMES_LAST_ROW}"


@dataclass(frozen=True)
class Lists:
    """What `duban check` writes into _names: the directory's people and its departments."""

    names: tuple[str, ...]
    departments: tuple[str, ...] = ()
