"""One `duban serve` per folder, from any machine that sees the share: a lock *file* with heartbeats.

flock is not enough on a share (SMB and NFS clients on different machines may not see each other's
locks), so the lock is a small JSON file in DIR/.duban/ naming the holder (host, pid, start) with a
heartbeat time that the holder rewrites every minute. A second serve refuses with a sentence
naming the holder; a lock whose heartbeat is older than `stale_after` (or whose process is gone,
when it was this machine's) is taken over with a warning. Every write goes through a temp file and
a rename, so a reader never sees half a lock; after taking over, the file is read back to make sure
no other taker won the race. A holder whose heartbeat finds someone else's token has lost the lock
(its machine slept past the stale limit and another took over) and must stop.
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from duban.workbooks.model.errors import DubanError
from duban.workbooks.share.commandline import folder_arg
from duban.workbooks.share.files import unique_suffix

LOCK_NAME = "serve.lock"


class LockLost(DubanError):
    """Another serve took the lock over while this one was not heartbeating."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def read_lock(path: Path) -> dict | None:
    """The lock file's fields (times as aware datetimes), or None when there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("started", "heartbeat"):
            data[key] = datetime.fromisoformat(data[key])
        return data
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stale_after(settings) -> timedelta:
    """How old a lock's heartbeat may be before another serve takes it over (serve.heartbeat_seconds)."""
    return timedelta(seconds=max(3 * settings.serve.heartbeat_seconds, 30))


def alive(info: dict, stale_after: timedelta, now: datetime | None = None) -> bool:
    """Is the holder still there: a recent heartbeat, and (on this machine) its process running."""
    now = now or _now()
    if now - info["heartbeat"] > stale_after:
        return False
    if info.get("host") == socket.gethostname() and isinstance(info.get("pid"), int):
        return _pid_running(info["pid"])
    return True


def _pid_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def describe(info: dict, tz=None, now: datetime | None = None, lang: str = "en") -> str:
    """`host "X", process 123, running since 2026-11-23 09:00:03 (last heartbeat 20 seconds ago)`,
    the time in `tz` (the company's zone); in Chinese for `lang` "zh"."""
    now = now or _now()
    since = info["started"].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    ago = int((now - info["heartbeat"]).total_seconds())
    host, pid = info.get("host", "?"), info.get("pid", "?")
    if lang == "zh":
        return f"主机“{host}”，进程 {pid}，自 {since} 起运行（{ago} 秒前还有心跳）"
    return f"host \"{host}\", process {pid}, running since {since} (last heartbeat {ago} seconds ago)"


class ServeLock:
    def __init__(self, folder: Path, state_dir: Path, stale_after: timedelta, tz=None):
        self.folder, self.path, self.stale_after, self.tz = folder, state_dir / LOCK_NAME, stale_after, tz
        self.token = uuid.uuid4().hex
        self.started = _now()
        self.held = False

    def _fields(self) -> dict:
        return {"host": socket.gethostname(), "pid": os.getpid(), "started": self.started.isoformat(),
                "heartbeat": _now().isoformat(), "token": self.token, "folder": str(self.folder)}

    def _write(self) -> None:
        tmp = self.path.with_name(f".{LOCK_NAME}.{unique_suffix()}.tmp")     # two serves never share it
        tmp.write_text(json.dumps(self._fields()), encoding="utf-8")
        os.replace(tmp, self.path)

    def acquire(self) -> str | None:
        """Take the lock; returns a warning when a stale lock was taken over. Raises DubanError
        naming the holder when another serve is running."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(5):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(json.dumps(self._fields()))
                self.held = True
                return None
            info = read_lock(self.path)
            if info is None:                    # half-written by a rename elsewhere, or damaged
                try:
                    age = time.time() - self.path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < self.stale_after.total_seconds():
                    time.sleep(0.2)
                    continue
                warning = f"took over an unreadable serve lock {self.path} last written {int(age)} seconds ago"
            elif info.get("token") == self.token:
                self.held = True
                return None
            elif alive(info, self.stale_after):
                raise self._refusal(info)
            else:
                warning = f"took over the stale serve lock of {describe(info, self.tz)}"
            self._write()
            time.sleep(0.1)                     # let a racing taker's rename land, then see who won
            again = read_lock(self.path)
            if again is not None and again.get("token") == self.token:
                self.held = True
                return warning
            if again is not None and alive(again, self.stale_after):
                raise self._refusal(again)
        raise DubanError(f"could not take the serve lock {self.path}; another duban serve keeps changing it.",
                         zh=f"无法取得后台服务的锁 {self.path}：另一个 duban serve 一直在改动它。")

    def _refusal(self, info: dict) -> DubanError:
        minutes = max(1, round(self.stale_after.total_seconds() / 60))
        return DubanError(f"duban serve is already running for {self.folder}: {describe(info, self.tz)}. "
                          f"Stop that one first (duban status {folder_arg(self.folder)} shows it). If its machine is gone, "
                          f"its lock is taken over {minutes} minute(s) after its last heartbeat.",
                          zh=f"{self.folder} 的督办后台服务（duban serve）已经在运行：{describe(info, self.tz, lang='zh')}。"
                             f"请先停止那一个（查看它：duban status {folder_arg(self.folder)}）。如它所在的电脑已不在，"
                             f"它最后一次心跳 {minutes} 分钟后，锁会被接管。")

    def heartbeat(self) -> None:
        """Rewrite the heartbeat; LockLost when another serve has taken the lock over."""
        info = read_lock(self.path)
        if info is not None and info.get("token") != self.token:
            self.held = False
            raise LockLost(f"another duban serve took over the lock of {self.folder}: {describe(info, self.tz)}; "
                           f"this one stops.")
        self._write()

    def release(self) -> None:
        if not self.held:
            return
        info = read_lock(self.path)
        if info is None or info.get("token") == self.token:
            self.path.unlink(missing_ok=True)
        self.held = False
