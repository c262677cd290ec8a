"""Finding the workbooks in a shared folder: department subfolders yes, Excel's owner files and duban's own folders no."""
from __future__ import annotations

import os
import stat
from collections import deque
from pathlib import Path

CANDIDATE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
OWN_FOLDERS = {"outbox", "reports", "backups"}
CONSOLE_NAME = "duban_console.xlsm"     # duban's own Excel console (macros/build.py), not a tracker
CONSOLE_MODULE = "duban_console.py"     # its Python side, beside it


def find_workbooks(folder: Path) -> list[Path]:
    """Every candidate file under `folder`, sorted; .xls/.csv are included so they can be reported.

    duban's own folders (outbox/, reports/, backups/) and hidden ones (.duban/) are not entered at
    all: after months of service they hold thousands of files.

    A file reached under two names (a file link beside its target, a hard link) is one workbook,
    found under its own name rather than the link's: read, counted and mailed once."""
    candidates = sorted(Path(root, name) for root, files in walk_share(folder) for name in files
                        if name.lower().endswith(CANDIDATE_SUFFIXES) and not _skipped_name(name))
    found: dict[tuple, Path] = {}
    for path in sorted(candidates, key=Path.is_symlink):     # real names first, then file links
        try:
            st = path.stat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found.setdefault(_identity(st, path), path)
    return sorted(found.values())


def walk_share(folder: Path):
    """(folder, file names) for `folder` and its department subfolders, never entering duban's own
    folders or hidden ones: the one walk of the share that finding workbooks and recovering a
    crashed write both use.

    Folder links are followed, but every folder is entered once, known by device and inode (a
    link `部门/上级 -> ..` would otherwise walk the share again and again), and links only after
    every real folder, so a folder is walked under its own name, not a link's."""
    seen: set[tuple] = set()
    real: deque[str] = deque([str(folder)])
    linked: deque[str] = deque()
    while real or linked:
        root = real.popleft() if real else linked.popleft()
        try:
            identity = _identity(os.stat(root), root)
            if identity in seen:
                continue
            seen.add(identity)
            with os.scandir(root) as listing:
                entries = list(listing)
        except OSError:                      # gone, or not ours to read: as os.walk, go on
            continue
        files = []
        for entry in entries:
            if not _is_dir(entry):
                files.append(entry.name)
            elif not (entry.name.startswith(".") or entry.name in OWN_FOLDERS):
                (linked if entry.is_symlink() else real).append(entry.path)
        yield root, files


def other_names(path: Path, folder: Path) -> list[Path]:
    """The other names inside `folder` of the file at `path` (its hard links), found by device
    and inode; [] when it has one name, or its other names are all outside the folder.

    Discovery reads such a file once, but a write puts a new file at one name only: the other
    keeps the old version and would count as a second workbook with the same rows. Only a file
    with more than one link is looked for, so the walk is rare. duban's own temporary and
    set-aside names (`.name.duban-tmp…`, `.name.duban-aside…`) are not someone's second name."""
    try:
        st = os.stat(path)
    except OSError:
        return []
    if st.st_nlink < 2 or not st.st_ino:
        return []
    real = os.path.realpath(path)
    found = []
    for root, files in walk_share(folder):
        for name in files:
            other = Path(root, name)
            if ".duban-" in name:
                continue
            try:
                mine = os.lstat(other)          # a symbolic link is a link, not a second name
            except OSError:
                continue
            if (mine.st_dev, mine.st_ino) == (st.st_dev, st.st_ino) and os.path.realpath(other) != real:
                found.append(other)
    return sorted(found)


def _identity(st: os.stat_result, path) -> tuple:
    """Device and inode; the path itself where the file system gives no inode numbers (0, as
    some network drives on Windows do), so that nothing is taken for something else."""
    return (st.st_dev, st.st_ino) if st.st_ino else (str(path),)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()                # follows a link
    except OSError:
        return False


def _skipped_name(name: str) -> bool:
    """Excel's lock files (~$name.xlsx), hidden or temporary files, and duban's console workbook."""
    return name.startswith(("~$", ".", "~")) or name.casefold() == CONSOLE_NAME


def owner_files(path: Path) -> list[Path]:
    """Where Excel (~$name) or, for long names, Excel/WPS (~$ plus the name less two chars) put the lock file."""
    return [path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])]
