"""The run lock: one duban job at a time per folder, whichever machine runs it.

Every job that reads or changes the state (check, remind, alert, summary, outbox, init, serve's
housekeeping) holds it for its whole run; the lock file names the holder (pid, host, job, start),
and a job that waits too long says who holds it, by the command a person would know
(`settings.jobs.holder`).
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from duban.jobs.settings import jobs
from duban.jobs.settings.typed import Settings
from duban.jobs.state import locking
from duban.workbooks.model.errors import DubanError
from duban.workbooks.share.statedb import keep_good_copy


def state_dir(folder: Path, settings: Settings) -> Path:
    return (folder / settings.state.path).parent


_held = threading.local()   # lock files this thread holds: a job's inner steps do not lock again


@contextmanager
def run_lock(folder: Path, settings: Settings, job: str = "check", dry_run: bool = False):
    """One duban job at a time per folder, held for the job's whole run (remind: check and mail).

    A job that finds another running waits for it, up to `state.lock_wait_seconds`, then stops
    with a sentence naming the job that holds the lock (its pid, host, job and start time are
    written into the lock file). The lock (`locking`: a record lock that a Windows PC on the share
    sees too) is released by the system when a process dies, so a lock file left behind by a
    crash never blocks anyone. A dry run creates no lock file: if one exists it waits (shared) for
    a running job, and otherwise reads without a lock. A job that ends well leaves state.db's last
    good copy beside it (`statedb.keep_good_copy`), before anyone else may change it."""
    lock_path = state_dir(folder, settings) / "check.lock"
    held = getattr(_held, "paths", None)
    if held is None:
        held = _held.paths = set()
    key = os.path.abspath(lock_path)
    if key in held:             # this thread already holds it: remind's check, alert's read
        yield
        return
    if dry_run:
        if not lock_path.exists():
            yield
            return
        handle, shared = open(lock_path, "r"), True
    else:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle, shared = open(lock_path, "a+"), False
    with handle as fh:
        _acquire(fh, shared, lock_path, folder, settings)
        if not dry_run:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid={os.getpid()} host={socket.gethostname()} job={job} "
                     f"started={datetime.now().astimezone().isoformat(timespec='seconds')}\n")
            fh.flush()
        held.add(key)
        try:
            yield
            if not dry_run:
                keep_good_copy(folder / settings.state.path)
        finally:
            held.discard(key)
            if not dry_run:
                fh.seek(0)
                fh.truncate()
            locking.unlock(fh)


def _acquire(fh, shared: bool, lock_path: Path, folder: Path, settings: Settings) -> None:
    wait = settings.state.lock_wait_seconds
    deadline, told = time.monotonic() + wait, False
    while True:
        if locking.try_lock(fh, shared):
            return
        if time.monotonic() >= deadline:
            break
        if not told and wait >= 1:          # a silent wait of minutes looks like a hang: say what it waits for
            _tell_waiting(lock_path, folder, settings, wait)
            told = True
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    zh, en = _holder(lock_path, settings)
    raise DubanError(f"another duban job is running on {folder}{en}; waited {wait:g} seconds for it to finish "
                     f"(state.lock_wait_seconds). Try again when it has finished.",
                     zh=f"{folder} 上另一个督办任务正在运行{zh}；已等了 {wait:g} 秒仍未结束"
                        f"（等待时长见 state.lock_wait_seconds）。请等它结束后再运行。")


def _tell_waiting(lock_path: Path, folder: Path, settings: Settings, wait: float) -> None:
    """One line on stderr (stdout may be JSON), in the company language."""
    zh, en = _holder(lock_path, settings)
    print(f"{folder} 上另一个督办任务正在运行{zh}，等它结束后再开始（最多等 {wait:g} 秒）……"
          if settings.company.language == "zh" else
          f"another duban job is running on {folder}{en}; waiting for it to finish (up to {wait:g} seconds)…",
          file=sys.stderr, flush=True)


def _holder(lock_path: Path, settings: Settings) -> tuple[str, str]:
    """(zh, en) `: duban remind (pid 4242 on host, started 2026-11-23 09:00:03)`, from the lock
    file, the start in the company's zone (the clerk's clock, not the server's); ("", "") if unknown."""
    try:
        fields = dict(part.split("=", 1) for part in lock_path.read_text().split() if "=" in part)
    except OSError:
        return "", ""
    if "job" not in fields:
        return "", ""
    started = fields.get("started", "?")
    try:
        started = datetime.fromisoformat(started).astimezone(settings.company.tz).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, DubanError):
        pass
    job, pid, host = jobs.holder(fields["job"]), fields.get("pid", "?"), fields.get("host", "?")
    return (f"：{job}（进程 {pid}，主机 {host}，开始于 {started}）",
            f": {job} (pid {pid} on {host}, started {started})")
