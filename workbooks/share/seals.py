"""Knowing that a backup is still the version duban put there.

duban's write moves the workbook's file (its inode) aside and then into the backups folder. A
program that opened the workbook before the write and saves through that open handle afterwards
(a sync or replication tool, `rsync --inplace`, a script) writes into the moved inode: the save
lands in the backup, not in the workbook. It cannot be prevented from here, so it is detected:
each backup's size, modification time and SHA-256 are recorded when duban makes it (one small
JSON file per backups folder, `.duban-seals.json`), a backup that no longer matches is never
rotated away, and the check tells the clerks which save is where.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from duban.workbooks.share.files import write_atomically

SEALS = ".duban-seals.json"
# folder -> (the seals file's identity, its entries, backup names by workbook): parsed once per version
_read: dict[Path, tuple[tuple, dict[str, list], dict[tuple[str, str], list[str]]]] = {}


def seal(backup: Path, size: int | None = None, mtime_ns: int | None = None, sha256: str | None = None,
         among: list[Path] | None = None) -> None:
    """Record `backup` as it is now, or as the version read (size, time, hash) when they are given:
    a save through a held handle between the move and this call is then seen too. `among`: all
    of this workbook's backups now in the folder (the caller has just listed them): the seals of
    its other backups that are gone are dropped (one listing, not a stat per seal)."""
    if size is None or mtime_ns is None:
        st = backup.stat()
        size, mtime_ns = (st.st_size if size is None else size), (st.st_mtime_ns if mtime_ns is None else mtime_ns)
    entries = _load(backup.parent)
    entries[backup.name] = [size, mtime_ns, sha256]
    if among is not None:
        index = _index(entries)
        present = {b.name for b in among}
        for stem, suffix in {(b.stem.rpartition(".")[0], b.suffix.lower()) for b in [backup, *among]}:
            for name in index.get((stem, suffix), ()):
                if name not in present and name != backup.name:
                    entries.pop(name, None)
        _save(backup.parent, entries, pruned=True)
    else:
        _save(backup.parent, entries)


def sealed(folder: Path, path: Path) -> list[Path]:
    """The sealed backups of the workbook `path` in `folder` (named `stem.time[-tag].suffix`),
    found from the seals alone: a check asks this of every workbook, and listing a folder of
    thousands of backups once per workbook took seconds."""
    _load(folder)
    return [folder / name for name in _read[folder][2].get((path.stem, path.suffix.lower()), [])] \
        if folder in _read else []


def changed(backups: list[Path]) -> list[Path]:
    """The backups among `backups` whose content changed after duban made them (a save went in).

    Size and time decide when they match; when only the time moved (some network file systems
    touch a file on rename) the recorded hash decides, and the new time is remembered."""
    if not backups:
        return []
    entries = _load(backups[0].parent)
    found, touched = [], False
    for backup in backups:
        entry = entries.get(backup.name)
        try:
            st = backup.stat()
        except OSError:
            continue
        if entry is None or [st.st_size, st.st_mtime_ns] == entry[:2]:
            continue
        if entry[2] and st.st_size == entry[0] and _sha256(backup) == entry[2]:
            entry[1], touched = st.st_mtime_ns, True
            continue
        found.append(backup)
    if touched:
        _save(backups[0].parent, entries)
    return found


def held_everywhere(root: Path) -> list[tuple[Path, Path]]:
    """(workbook, backup) for every backup under `root` (the backups folder, mirroring the share's
    folders) that a save went into; the workbook's path is relative to the share. `duban status`
    asks this without reading any workbook, so that a save in a backup is said there too."""
    found = []
    for seals_file in sorted(root.rglob(SEALS)) if root.is_dir() else []:
        folder = seals_file.parent
        _load(folder)
        names = _read[folder][2] if folder in _read else {}
        for (stem, suffix), backups in sorted(names.items()):
            found += [(folder.relative_to(root) / (stem + suffix), held)
                      for held in changed([folder / name for name in backups])]
    return found


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _load(folder: Path) -> dict[str, list]:
    """The folder's seals, parsed once per version of the file (it is replaced whole on change)."""
    try:
        st = (folder / SEALS).stat()
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if folder in _read and _read[folder][0] == key:
            return _read[folder][1]
        found = json.loads((folder / SEALS).read_text("utf-8"))
    except (OSError, ValueError):
        _read.pop(folder, None)
        return {}
    found = found if isinstance(found, dict) else {}
    _read[folder] = key, found, _index(found)
    return found


def _index(entries: dict[str, list]) -> dict[tuple[str, str], list[str]]:
    """Backup names by (workbook stem, suffix): `任务跟进表.20261123-090000-000001-saved.xlsx`."""
    index: dict[tuple[str, str], list[str]] = {}
    for name in sorted(entries):
        base, dot, suffix = name.rpartition(".")
        stem = base.rpartition(".")[0]
        if dot and stem:
            index.setdefault((stem, "." + suffix.lower()), []).append(name)
    return index


def _save(folder: Path, entries: dict[str, list], pruned: bool = False) -> None:
    """Written whole (temp file, rename), one entry a line; entries of backups no longer there are
    dropped (by the caller when `pruned`, else here by looking at each). Not fsynced: the seals are
    a best-effort record (a backup without one is still a backup, only unsealed), and a share's
    close already hands the bytes to the server. The version written is remembered, so the next
    seal of this run does not read it back."""
    present = entries if pruned else {name: entry for name, entry in entries.items()
                                      if os.path.lexists(folder / name)}
    body = "{\n" + ",\n".join(f"{json.dumps(name, ensure_ascii=False)}: {json.dumps(entry)}"
                               for name, entry in present.items()) + "\n}"
    key = write_atomically(folder / SEALS, body.encode("utf-8"), durable=False)
    _read[folder] = key, present, _index(present)
