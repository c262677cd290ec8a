"""Finding the workbooks in a shared folder: department subfolders yes, Excel's owner files and duban's own folders no."""
from __future__ import annotations

import os
from pathlib import Path

CANDIDATE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
OWN_FOLDERS = {"outbox", "reports", "backups"}
CONSOLE_NAME = "duban_console.xlsm"     # duban's own Excel console (macros/build.py), not a tracker
CONSOLE_MODULE = "duban_console.py"     # its Python side, beside it


def find_workbooks(folder: Path) -> list[Path]:
    """Every candidate file under `folder`, sorted; .xls/.csv are included so they can be reported.

    duban's own folders (outbox/, reports/, backups/) and hidden ones (.duban/) are not entered at
    all: after months of service they hold thousands of files."""
    found = []
    for root, files in walk_share(folder):
        for name in files:
            if name.lower().endswith(CANDIDATE_SUFFIXES) and not _skipped_name(name):
                path = Path(root, name)
                if path.is_file():
                    found.append(path)
    return sorted(found)


def walk_share(folder: Path):
    """(folder, file names) for `folder` and its department subfolders, never entering duban's own
    folders or hidden ones: the one walk of the share that finding workbooks and recovering a
    crashed write both use."""
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not (d.startswith(".") or d in OWN_FOLDERS)]
        yield root, files


def _skipped_name(name: str) -> bool:
    """Excel's lock files (~$name.xlsx), hidden or temporary files, and duban's console workbook."""
    return name.startswith(("~$", ".", "~")) or name.casefold() == CONSOLE_NAME


def owner_files(path: Path) -> list[Path]:
    """Where Excel (~$name) or, for long names, Excel/WPS (~$ plus the name less two chars) put the lock file."""
    return [path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])]
