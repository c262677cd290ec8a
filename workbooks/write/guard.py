"""Is it safe to write this workbook now? Not while it is open (an owner or lock file beside
it), changed since it was read, gone, read-only, outside the folder duban was given, or one of
two names of a file (a hard link).
"""
from __future__ import annotations

import os
from pathlib import Path

from duban.workbooks.share import access
from duban.workbooks.share.discover import other_names
from duban.workbooks.write.plan import Fingerprint, WritePlan
from duban.workbooks.write.refusal import Reason, Refused


def target_of(plan: WritePlan) -> Path:
    """The file to write: the workbook itself, or, when its name is a link, the file the link
    points to (replacing the link with a file would fork it: staff on the target, duban on a copy)."""
    return Path(os.path.realpath(plan.path)) if os.path.islink(plan.path) else plan.path


def writable(plan: WritePlan, target: Path) -> access.Access:
    """The workbook's owner, group, mode and attributes, which the new file will get; refused
    when the workbook is outside the folder duban was given, or read-only."""
    if plan.root is not None:
        real, root = Path(os.path.realpath(target)), Path(os.path.realpath(plan.root))
        if not real.is_relative_to(root):
            raise Refused("outside", target=str(real))
        if others := other_names(target, plan.root):     # a hard link: the write would split it in two
            raise Refused("hard-link", path=_shown(target, plan.root), other=_shown(others[0], plan.root))
    kept = access.Access.of(target)
    if kept.read_only:
        raise Refused("read-only")
    return kept


def _shown(path: Path, root: Path) -> str:
    """`path` as the clerks know it: relative to the folder duban checks (its real path, when
    the folder is reached through a link), else in full."""
    for base in (root, Path(os.path.realpath(root))):
        try:
            return Path(path).relative_to(base).as_posix()
        except ValueError:
            pass
    return str(path)


def busy(plan: WritePlan, target: Path | None = None, content: bool = True) -> Reason | None:
    """Why the file must not be written now (open in Excel/WPS/LibreOffice, or changed), or None.
    `target`: target_of(plan), when the caller has it. Without `content` the size and time
    decide, and the caller compares the content itself (the write-back hashes the bytes it
    patches, and the commit the file it moves aside)."""
    for path in dict.fromkeys((plan.path, target or target_of(plan))):   # a link's folder, and its target's
        if holder := lock_holder(path):
            program, who = holder
            return Reason.of("open", program=program, who=who) if who else Reason.of("open-unnamed", program=program)
    try:
        stat = plan.path.stat()
    except FileNotFoundError:
        return Reason.of("gone")
    if (stat.st_size, stat.st_mtime_ns) != (plan.fingerprint.size, plan.fingerprint.mtime_ns) \
            or content and Fingerprint.of(plan.path).sha256 != plan.fingerprint.sha256:
        return Reason.of("changed")
    return None


def lock_owner(path: Path) -> str | None:
    """The user named in Excel's ~$ owner file or LibreOffice's .~lock file beside `path`
    ("?" when the lock file names nobody); None when the file is not open."""
    holder = lock_holder(path)
    return (holder[1] or "?") if holder else None


def lock_holder(path: Path) -> tuple[str, str] | None:
    """(the program, the user its lock file names, "" if none) of a workbook open beside `path`:
    a ~$ owner file is Excel's (WPS writes the same), a .~lock.NAME# file LibreOffice's."""
    for lock, program in ((path.with_name("~$" + path.name), "Excel/WPS"),
                          (path.with_name("~$" + path.name[2:]), "Excel/WPS"),
                          (path.with_name(f".~lock.{path.name}#"), "LibreOffice")):
        if lock.exists():
            return program, _owner_name(lock)
    return None


def _owner_name(lock: Path) -> str:
    try:
        data = lock.read_bytes()[:512]
    except OSError:
        return ""
    if lock.name.startswith(".~lock."):  # LibreOffice: "Full Name,user,host,date,profile"
        return data.decode("utf-8", "replace").split(",")[0].strip()
    if len(data) >= 56 and data[0]:     # Excel: length byte + ANSI name; at 54 the UTF-16 copy
        n = data[0]
        wide = data[56:56 + 2 * n].decode("utf-16-le", "ignore").strip("\x00 ")
        return wide or data[1:1 + n].decode("gbk", "replace").strip()
    return ""
