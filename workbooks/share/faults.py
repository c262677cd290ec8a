"""Disk and file-system conditions told as one sentence: a damaged state.db, a full disk, a
read-only share or state folder, a state database held by another program.

These are not bugs to report but conditions a person can fix, so they never end as "unexpected
error … report it": `translate(exc)` turns the OSError or sqlite3 error (or one in its cause
chain) into a `StorageFault` that names the file and says what to do, in Chinese and English
(`text(lang)`). The CLI, the Excel console and serve's worker call it at their edge.

A damaged database is told with where its last good copy is: `statedb.keep_good_copy` makes
`state.db.bak` after each job that changed the state (see there).
"""
from __future__ import annotations

import errno
import getpass
import os
import sqlite3
from datetime import datetime, tzinfo
from pathlib import Path

from duban.workbooks.model.errors import DubanError

BACKUP_SUFFIX = ".bak"
company_zone: tzinfo | None = None   # the company's time zone, once settings are loaded (set_zone): times are told in it


def set_zone(zone: tzinfo | None) -> None:
    """Tell times (a copy's "saved at") in the company's zone, as every other time duban prints."""
    global company_zone
    company_zone = zone


def company_time(timestamp: float) -> str:
    """A file time as people read it: the company's zone when known, else this machine's."""
    return datetime.fromtimestamp(timestamp, tz=company_zone).strftime("%Y-%m-%d %H:%M")


class StorageFault(DubanError):
    """A condition of the disk or share, in both languages; `str()` is the Chinese sentence."""

    zh: str     # always written

    def __init__(self, code: str, zh: str, en: str, path: Path | str | None = None, look: bool = False):
        super().__init__(zh)
        self.code, self.zh, self.en, self.path = code, zh, en, path
        self.look = look        # "to only look, add --dry-run" is advice for this condition

    def text(self, lang: str, dry_run: bool = False) -> str:
        """The sentence; `dry_run`: the command at hand accepts --dry-run (check, remind, alert,
        summary, a simulated serve), so a condition that only stops writing advises it. Not
        for outbox --retry, a live serve or the Excel console, where --dry-run means nothing."""
        if self.look and dry_run:
            return self.en + " To only look, add --dry-run." if lang == "en" else self.zh + "只想查看结果时可加 --dry-run。"
        return self.en if lang == "en" else self.zh


def backup_of(path: Path) -> Path:
    """Where state.db's last good copy is kept: `state.db.bak` beside it."""
    return path.with_name(path.name + BACKUP_SUFFIX)


# ---- the sentences ---------------------------------------------------------------------------------
def corrupt(path: Path, detail: str) -> StorageFault:
    """state.db cannot be read as a database: where its last good copy is, and how to put it back."""
    bak = backup_of(path)
    damaged = path.with_name(path.name + ".damaged")
    if bak.exists():
        when = company_time(bak.stat().st_mtime)
        return StorageFault(
            "state-corrupt",
            f"状态数据库 {path} 已损坏（{detail}），督办无法读取它。最近一次完好的副本是 {bak}（保存于 {when}）。"
            f"请先停止 duban serve，把损坏的文件改名为 {damaged.name}，再把副本复制为 {path.name}，然后重新运行；"
            f"副本之后记录的变更和发信记录会丢失。",
            f"The state database {path} is damaged ({detail}); duban cannot read it. Its last good copy is {bak} "
            f"(saved {when}). Stop duban serve, rename the damaged file to {damaged.name}, copy the copy to "
            f"{path.name}, then run again; changes and mail recorded after that copy are lost.", path)
    return StorageFault(
        "state-corrupt",
        f"状态数据库 {path} 已损坏（{detail}），督办无法读取它，也没有完好的副本（{bak.name}）。请先停止 duban serve，"
        f"把损坏的文件改名为 {damaged.name} 后重新运行：督办会新建状态数据库，之前的变更记录和发信记录不再可用。",
        f"The state database {path} is damaged ({detail}); duban cannot read it, and there is no good copy "
        f"({bak.name}). Stop duban serve, rename the damaged file to {damaged.name}, then run again: duban starts "
        f"a new state database, without the earlier change history and mail records.", path)


def disk_full(path: Path | str) -> StorageFault:
    return StorageFault(
        "disk-full",
        f"磁盘已满：无法写入 {path}。请在该磁盘（或共享）上腾出空间，然后重新运行。督办没有写完的内容不会生效："
        f"工作簿和状态数据库的每次更改要么完整写入，要么没有写入。",
        f"The disk is full: duban cannot write {path}. Free some space on that disk (or share), then run again. "
        f"Nothing half-written takes effect: each change to a workbook or the state database is made whole or "
        f"not at all.", path)


def read_only(path: Path | str) -> StorageFault:
    return StorageFault(
        "read-only",
        f"{path} 位于只读的磁盘或共享上（以只读方式挂载），督办无法写入。请让管理员以读写方式挂载它，然后重新运行。",
        f"{path} is on a read-only disk or share (mounted read-only); duban cannot write it. Ask the administrator "
        f"to mount it read-write, then run again.", path, look=True)


def no_permission(path: Path | str) -> StorageFault:
    user = _user()
    return StorageFault(
        "no-permission",
        f"没有权限写入 {path}：运行督办的账户（{user}）对它或它所在的文件夹没有写权限。请让管理员给该账户写权限，"
        f"或换一个有权限的账户运行。",
        f"No permission to write {path}: the account running duban ({user}) cannot write it or the folder it is "
        f"in. Ask the administrator to give that account write access, or run duban as an account that has it.",
        path, look=True)


def locked(path: Path | str) -> StorageFault:
    return StorageFault(
        "state-locked",
        f"状态数据库 {path} 被另一个程序占用超过 30 秒（可能是另一台电脑上的督办，或备份、同步软件）。请稍后重试；"
        f"若一直如此，请确认只有 duban serve（或一台电脑上的督办）在使用它。",
        f"The state database {path} was held by another program for over 30 seconds (duban on another machine, "
        f"or a backup or sync tool). Try again later; if it keeps happening, make sure only duban serve (or duban "
        f"on one machine) uses it.", path)


def io_error(path: Path | str, detail: str) -> StorageFault:
    return StorageFault(
        "io-error",
        f"读写 {path} 时出错（{detail}）：磁盘或共享可能暂时断开。请检查网络连接和磁盘后重新运行。",
        f"Reading or writing {path} failed ({detail}): the disk or the share may have gone away for a moment. "
        f"Check the network and the disk, then run again.", path)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this account (a container, a service)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "?"


last_opened: Path | None = None   # the state database this process opened last (statedb.open sets it)


# ---- recognising them ---------------------------------------------------------------------------
_CORRUPT = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
_FULL = ("SQLITE_FULL",)


def translate(exc: BaseException, state: Path | None = None, near: Path | None = None) -> StorageFault | None:
    """The StorageFault for `exc` or the first error in its cause chain that is one of these
    conditions, else None. `state`: the state database a sqlite3 error is about (default: the
    last one opened, `last_opened`); `near`: what to name when an OSError names no file
    (a write that found the disk full names none): the folder the job works on."""
    seen = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, StorageFault):
            return cause
        found = (_from_sqlite(cause, state) if isinstance(cause, sqlite3.Error) else
                 _from_os(cause, state, near) if isinstance(cause, OSError) else None)
        if found is not None:
            return found
        cause = cause.__cause__ or cause.__context__
    return None


def _from_os(exc: OSError, state: Path | None, near: Path | None) -> StorageFault | None:
    if getattr(exc, "winerror", None) in (32, 33):      # Windows: the file is open in another program
        return None
    where = exc.filename or near or _state_path(state) or os.getcwd()
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return disk_full(where)
    if exc.errno == errno.EROFS:
        return read_only(where)
    if exc.errno in (errno.EACCES, errno.EPERM) and exc.filename:
        return no_permission(where)
    return None


def _from_sqlite(exc: sqlite3.Error, state: Path | None) -> StorageFault | None:
    path = _state_path(state)
    if path is None:
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(_CORRUPT) or "malformed" in text or "not a database" in text:
        return corrupt(path, text)
    if name.startswith(_FULL) or "disk is full" in text:
        return disk_full(path)
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")) or "readonly database" in text \
            or "unable to open database" in text:
        return read_only(path) if _on_read_only_fs(path) else no_permission(
            path if path.exists() and not os.access(path, os.W_OK) else path.parent)
    if name.startswith("SQLITE_BUSY") or "database is locked" in text:
        return locked(path)
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return io_error(path, text)
    return None


def _state_path(state: Path | None) -> Path | None:
    return state if state is not None else last_opened


def _on_read_only_fs(path: Path) -> bool:
    """Is the file system holding `path` (or its nearest existing parent) mounted read-only?"""
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        return bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):      # Windows: no statvfs
        return False
