"""Finding the workbooks in a shared folder: department subfolders yes, Excel's owner files and duban's own folders no."""
from __future__ import annotations

from pathlib import Path

CANDIDATE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
OWN_FOLDERS = {"outbox", "reports", "backups"}


def find_workbooks(folder: Path) -> list[Path]:
    """Every candidate file under `folder`, sorted; .xls/.csv are included so they can be reported."""
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith(".") or part in OWN_FOLDERS for part in rel.parts[:-1]):
            continue
        if path.is_file() and path.suffix.lower() in CANDIDATE_SUFFIXES and not _skipped_name(path.name):
            found.append(path)
    return sorted(found)


def _skipped_name(name: str) -> bool:
    """Excel's lock files (~$name.xlsx) and hidden or temporary files."""
    return name.startswith(("~$", ".", "~"))


def owner_files(path: Path) -> list[Path]:
    """Where Excel (~$name) or, for long names, Excel/WPS (~$ plus the name less two chars) put the lock file."""
    return [path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])]
