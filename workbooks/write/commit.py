"""Putting a checked new workbook in place without ever losing a user's save.

The old way (check "changed since read?", copy a backup, `os.replace`) had a window: a save
landing after the check was overwritten and was in neither the workbook nor the backups.
Here the file is never overwritten. In order:

1. the original is *moved* aside, atomically (`rename` to `.NAME.duban-aside.xlsx` beside
   it), so whatever is at the name at that instant, duban now holds it;
2. the moved file must be the version duban read (size and SHA-256). If it
   is not, a save landed just before the move: it is the user's, it goes straight back, and
   the write is skipped as "changed";
3. the new file is put at the name only if nothing is there: `os.link(temp, path)` fails with
   FileExistsError if someone saved in the meantime (on a Windows share a rename onto an
   existing name fails the same way). Then the user's file stays, duban's version is dropped,
   the moved original is kept as a backup, and the write is skipped as "changed";
4. the moved original goes into the backups folder (a rename when it is on the same disk),
   and the oldest backups beyond `keep` are removed.

Whatever the timing, the user's version ends up in the workbook or, when two saves race each
other and duban, in the backups; `Committed` says which. Between steps 1 and 3 (the time it
takes to hash the file) no file is at the name: a crash there leaves the original whole under
the aside name, and `recover()` (run at the start of every check) puts it back.

File systems without hard links (FAT, some SMB mounts) use a rename that refuses an existing
name for step 3: on Linux `renameat2(RENAME_NOREPLACE)` (noreplace.py), on Windows a plain
rename. Only where neither exists (another POSIX system, or a Linux file system that refuses
the flag) is it `exists()` then `rename()`, and a save landing between those two calls
(microseconds) could still be replaced, though the moved original stays in the backups.
"""
from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from duban.workbooks.share import seals
from duban.workbooks.share.discover import walk_share
from duban.workbooks.share.noreplace import rename_noreplace

# Where a race was seen ("" when none): the user's version is then in the workbook (or, for
# "rescued", in the backups), and duban's write did not land.
BEFORE = "before"          # the save landed before the original was moved: nothing was touched
TAKEN_BACK = "taken-back"  # the move took the user's save: it was put straight back
AFTER = "after"            # a save appeared at the name after the move: the user's file stays
RESCUED = "rescued"        # a save was taken and another appeared at the name: the first is in the backups
LOCKED = "locked"          # the file could not be moved (open in a program that locks it): nothing was touched

ASIDE, TEMP = ".duban-aside", ".duban-tmp"

# Test hook: called with each point's name (a test injects a user's save there).
on_point: Callable[[str], None] | None = None


@dataclass
class Committed:
    landed: bool                  # duban's new file is at the name
    race: str = ""                # BEFORE / TAKEN_BACK / AFTER / RESCUED, or "" when none
    backup: Path | None = None    # where the version duban read went (None: not kept, keep=0)
    rescued: Path | None = None   # a user's version kept in the backups, not in the workbook


def aside_of(path: Path) -> Path:
    return path.with_name(f".{path.stem}{ASIDE}{path.suffix}")


def temp_of(path: Path, tag: str = "") -> Path:
    """The new file's temporary name beside `path`; `tag` (files.unique_suffix: host, pid, random)
    keeps two writers, even on two machines, from ever sharing it. recover() removes any left."""
    return path.with_name(f".{path.stem}{TEMP}{'.' + tag if tag else ''}{path.suffix}")


def commit(path: Path, temp: Path, read, backups: Path, keep: int, zone=None) -> Committed:
    """Put `temp` at `path` if `path` still holds `read` (a Fingerprint: size, mtime_ns, sha256)."""
    aside = aside_of(path)
    _settle(path, aside, backups, keep)
    crashpoint("before-replace")
    try:
        os.rename(path, aside)                       # take whatever is there, atomically
    except FileNotFoundError:
        return Committed(False, BEFORE)
    except PermissionError:                          # Windows/SMB: the file is open in another program
        return Committed(False, LOCKED)
    crashpoint("moved-aside")
    try:
        same = _is(aside, read)
    except BaseException:
        _put_back(aside, path, backups, keep)
        raise
    if not same:                                     # a save landed between the last check and the move
        if _restore(aside, path):
            _fsync_dir(path.parent)
            return Committed(False, TAKEN_BACK)
        kept = _keep(aside, path, backups, max(keep, 1), "saved", zone=zone)   # and yet another save is at the name
        return Committed(False, RESCUED, rescued=kept)
    crashpoint("verified")
    try:
        landed = _place(temp, path)
    except BaseException:
        _put_back(aside, path, backups, keep)
        raise
    if not landed:                                   # a save appeared at the name after the move
        return Committed(False, AFTER, backup=_keep(aside, path, backups, max(keep, 1), zone=zone, read=read))
    _fsync_dir(path.parent)
    crashpoint("replaced")
    try:
        backup = _keep(aside, path, backups, keep, zone=zone, read=read)
    except OSError:                                  # the write has landed; the original stays aside, and
        backup = aside                               # the next run's recover() moves it to the backups
    crashpoint("backed-up")
    return Committed(True, backup=backup)


def _is(path: Path, read) -> bool:
    """Is the moved file the version read? Size and SHA-256 decide (the time was checked just
    before the move; not again, as some network file systems touch it on rename)."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size != read.size:
            return False
        return hashlib.file_digest(fh, "sha256").hexdigest() == read.sha256


def _place(source: Path, target: Path) -> bool:
    """Give `source` the name `target` unless something is there (then False). `source` keeps
    its own name too when hard links work; without them it is renamed."""
    try:
        os.link(source, target)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in NO_LINKS and not isinstance(exc, PermissionError):
            raise
    done = rename_noreplace(source, target)          # no hard links here: one step where the
    if done is not None:                             # kernel offers it (noreplace.py) ...
        return done
    if os.path.lexists(target):                      # ... else check, then rename
        return False
    try:
        os.rename(source, target)                    # Windows: fails if a file appeared meanwhile
    except FileExistsError:
        return False
    return True


NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV, errno.EMLINK,
            errno.EACCES, errno.EINVAL}


def _put_back(aside: Path, path: Path, backups: Path, keep: int) -> None:
    """After an error: the original back at its name, or, if a save took the name, into the backups."""
    if not os.path.lexists(aside):
        return
    if not _restore(aside, path):
        _keep(aside, path, backups, max(keep, 1), "recovered")


def _restore(aside: Path, path: Path) -> bool:
    """The file set aside back at its name, unless something is there now."""
    if not _place(aside, path):
        return False
    aside.unlink(missing_ok=True)                    # with hard links it had both names
    return True


def _settle(path: Path, aside: Path, backups: Path, keep: int) -> None:
    """A file left aside by a crash: back at its name if the name is free, else into the backups."""
    if os.path.lexists(aside):
        _put_back(aside, path, backups, keep)


def recover(folder: Path, backups_root: Path, keep: int) -> list[Path]:
    """After a crash mid-write: every workbook found only under its aside name is put back (else
    kept in the backups), and stale temporary files are removed. Returns the workbooks restored."""
    restored = []
    crumbs = (Path(root, name) for root, files in walk_share(folder) for name in files
              if name.startswith(".") and ".duban-" in name)
    for found in sorted(crumbs):                     # beside the workbooks: duban's own folders not entered
        if ASIDE + "." in found.name:
            path = found.with_name(found.name[1:].replace(ASIDE, "", 1))
            missing = not os.path.lexists(path)
            _put_back(found, path, backups_root / path.parent.relative_to(folder), keep)
            if missing and path.exists():
                restored.append(path)
        elif TEMP + "." in found.name:               # maybe a second name of the workbook: unlink, never truncate
            found.unlink(missing_ok=True)
    return restored


# ---- backups --------------------------------------------------------------------------------------
def _keep(aside: Path, path: Path, folder: Path, keep: int, tag: str = "", zone=None, read=None) -> Path | None:
    """Move the file set aside into the backups folder (or delete it when no backups are kept);
    the oldest backups of this workbook beyond `keep` go. Named by the time in `zone` (the
    company's), which is the time people will look for. The backup is sealed (seals.py) as the
    version `read` when it is that version, else as it is."""
    if keep <= 0:
        aside.unlink(missing_ok=True)
        return None
    target = _backup_name(path, folder, tag, zone, make=False)
    try:
        try:
            os.rename(aside, target)
        except FileNotFoundError:                    # the backups folder is not there yet
            if not os.path.lexists(aside):
                raise
            folder.mkdir(parents=True, exist_ok=True)
            os.rename(aside, target)
    except OSError:                                  # another disk: copy, then drop the aside
        shutil.copy2(aside, target)
        aside.unlink()
    _seal(target, read, among=_rotate(path, folder, keep))
    return target


def _seal(backup: Path, read=None, among: list[Path] | None = None) -> None:
    """Best effort: a backup that cannot be sealed is still a backup (only unsealed). Sealed after
    the rotation, whose listing of the workbook's backups lets the seals of removed ones go."""
    try:
        if read is not None:
            seals.seal(backup, read.size, read.mtime_ns, read.sha256, among=among)
        else:
            seals.seal(backup, among=among)
    except OSError:
        pass


def held_saves(path: Path, folder: Path) -> list[Path]:
    """The backups of `path` in `folder` that a save went into after duban made them: a program
    held the workbook open across duban's write and saved through its handle (seals.py)."""
    return seals.changed(seals.sealed(folder, path))


def _backups_of(path: Path, folder: Path) -> list[Path]:
    """This workbook's backups, oldest first (names sort by time)."""
    pattern = f"{_glob_escape(path.stem)}.*{path.suffix}"
    try:
        names = os.listdir(folder)                   # one listing: no stat of the folder first
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(folder / name for name in names if fnmatch.fnmatchcase(name, pattern))


def copy_to_backups(path: Path, folder: Path, keep: int, zone=None) -> Path | None:
    """A copy of `path` as it is now into the backups, named and rotated as every backup is (the
    Excel console's live write, where Excel holds the file and it cannot be moved)."""
    if keep <= 0:
        return None
    target = _backup_name(path, folder, "", zone)
    shutil.copy2(path, target)
    _seal(target, among=_rotate(path, folder, keep))
    return target


def _backup_name(path: Path, folder: Path, tag: str, zone, make: bool = True) -> Path:
    if make:
        folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(zone).strftime("%Y%m%d-%H%M%S-%f")
    return folder / f"{path.stem}.{stamp}{'-' + tag if tag else ''}{path.suffix}"


def _rotate(path: Path, folder: Path, keep: int) -> list[Path]:
    """The backups of this workbook beyond the newest `keep` go, except any a save went into
    after duban made it (held_saves): that save is someone's work, and only a person removes it.
    Returns the backups left.

    The backups folder is not fsynced: a power cut that undoes the move into it leaves the
    original under its aside name beside the workbook, and recover() moves it here again; the
    stale backups removed were older than one still kept."""
    old = _backups_of(path, folder)
    held = set(seals.changed(old)) if len(old) > keep else set()
    stale = [backup for backup in old if backup not in held][:-keep]
    for backup in stale:
        backup.unlink(missing_ok=True)
    return [backup for backup in old if backup not in stale]


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def crashpoint(name: str) -> None:
    """Test hooks. DUBAN_CRASH_AT=<name>: the process dies here, as a power cut would.
    DUBAN_PAUSE_AT=<name>: it creates the file DUBAN_PAUSE_FLAG and waits here to be killed.
    `on_point`: a function called with the name (tests inject a user's save)."""
    if on_point is not None:
        on_point(name)
    if os.environ.get("DUBAN_CRASH_AT") == name:
        os._exit(137)
    if os.environ.get("DUBAN_PAUSE_AT") == name:
        Path(os.environ["DUBAN_PAUSE_FLAG"]).touch()
        while True:
            os.pause() if hasattr(os, "pause") else __import__("time").sleep(1)
