"""The Excel console hands its job to a running `duban serve` instead of opening state.db itself.

Why: the console runs on a clerk's PC and reaches the folder over the share; serve runs on the
server, next to the files. SQLite over a network file system is safe only while every machine's
locks reach the file server, and the console's jobs would race serve's schedule; so while serve
runs, serve runs the console's jobs, in its long-lived worker whose reads are warm (a click at
1,000 workbooks: about a second instead of a fresh process reading every one). Without a running
serve, or when serve does not take the request in time, the console runs the job itself under
the run lock (`jobs.state.locking`, which a Windows PC and the Linux server both honour).

The exchange is plain files in `DIR/.duban/requests/`, each written whole (temp file, rename) under
a name no other writer can pick (time, host, pid, random):

1. the console writes `NAME.request.json` (the action, its ID for explain, --now, the language,
   who asked) when serve's lock shows a fresh heartbeat (`serving`);
2. serve's loop, which turns at least once a second, renames it to `NAME.running.json` (the rename
   is the claim: exactly one taker), runs the job in its worker process, writes
   `NAME.result.json` and removes the running file;
3. the console, polling, reads and removes the result and shows it. When serve has not claimed
   the request within the console's claim time (serve busy with a scheduled job, or hung) or
   its heartbeat went stale first, the console withdraws it (nothing was done) and runs the job
   itself. Once claimed, it is serve's: the console waits up to `WAIT_SECONDS`, then says serve
   is still running it (its outcome is in serve's log).

Requests left behind (a console that gave up, a serve that stopped mid-job) are removed once
older than WAIT_SECONDS: nobody waits for them any more.
"""
from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from duban.jobs.serve.lock import LOCK_NAME, alive, read_lock
from duban.workbooks.share.files import unique_suffix, write_atomically

REQUESTS = "requests"
WAIT_SECONDS = 600.0          # how long the console waits for serve (serve may be busy with a scheduled job)
REQUEST, RUNNING, RESULT = ".request.json", ".running.json", ".result.json"


def requests_dir(state_dir: Path) -> Path:
    return state_dir / REQUESTS


def serving(state_dir: Path, stale_after: timedelta) -> dict | None:
    """The lock fields of the serve that holds this folder with a fresh heartbeat, else None."""
    info = read_lock(state_dir / LOCK_NAME)
    return info if info is not None and alive(info, stale_after) else None


# ---- the console's side --------------------------------------------------------------------------
def submit(state_dir: Path, request: dict) -> Path:
    """Write the request whole under a name of its own; returns its path."""
    folder = requests_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{unique_suffix()}{REQUEST}"
    body = {**request, "host": socket.gethostname(), "pid": os.getpid(),
            "written": datetime.now(timezone.utc).isoformat()}
    write_atomically(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
    return path


def sibling(request: Path, suffix: str) -> Path:
    return request.with_name(request.name[:-len(REQUEST)] + suffix)


def wait(request: Path, timeout: float = WAIT_SECONDS, tick: Callable[[float, bool], None] | None = None,
         poll: float = 0.2, still_there: Callable[[], bool] | None = None,
         claim_timeout: float | None = None) -> tuple[dict | None, str]:
    """(the result, "done"); or, the request withdrawn because serve never took it (nothing was
    done), (None, "withdrawn") after `claim_timeout` (else `timeout`) seconds or (None, "gone")
    when `still_there()`, asked every few seconds, says serve's heartbeat went stale; or, serve
    having taken it, (None, "running") after `timeout` seconds or (None, "stopped") when its
    heartbeat went stale. `tick(seconds waited, claimed)` about once a second (the status bar).
    Whether serve took it is learnt by withdrawing it: the rename that claims it and the unlink
    that withdraws it cannot both succeed, even through a share's caches."""
    result, running = sibling(request, RESULT), sibling(request, RUNNING)
    started = time.monotonic()
    told = asked = 0.0
    taken = False
    while True:
        waited = time.monotonic() - started
        if result.exists():
            try:
                data = json.loads(result.read_text(encoding="utf-8"))
            except (OSError, ValueError):       # a rename landing: read it next turn
                data = None
            if data is not None:
                result.unlink(missing_ok=True)
                return data, "done"
        gone = False
        if still_there is not None and waited - asked >= 5.0:
            asked, gone = waited, not still_there()
        late = waited >= timeout or (not taken and claim_timeout is not None and waited >= claim_timeout)
        if (gone or late) and not taken:
            try:
                request.unlink()
                return None, "gone" if gone else "withdrawn"
            except FileNotFoundError:               # serve took it: wait for its answer
                taken = True
                continue
        if (gone or waited >= timeout) and not result.exists():
            return None, "stopped" if gone else "running"
        if tick is not None and (told == 0.0 or waited - told >= 1.0):
            told = waited
            tick(waited, taken or running.exists())
        time.sleep(poll)


# ---- serve's side ------------------------------------------------------------------------------------
def pending(state_dir: Path) -> list[Path]:
    """The requests waiting, oldest first (names start with the time written)."""
    folder = requests_dir(state_dir)
    try:
        return sorted(p for p in folder.iterdir() if p.name.endswith(REQUEST))
    except FileNotFoundError:
        return []


def claim(request: Path) -> tuple[Path, dict] | None:
    """Take the request (rename to .running.json); None when the console withdrew it first, or
    the file is not a request (it is then set aside as .running and answered with an error)."""
    running = sibling(request, RUNNING)
    try:
        os.rename(request, running)
    except FileNotFoundError:
        return None
    try:
        data = json.loads(running.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        data = {"invalid": str(exc)}
    return running, data


def answer(running: Path, result: dict) -> None:
    """Drop the running file, then write the result whole (so a console that sees the result
    finds the exchange over)."""
    data = json.dumps(result, ensure_ascii=False, default=str).encode("utf-8")
    running.unlink(missing_ok=True)
    write_atomically(sibling_of_running(running, RESULT), data)


def sibling_of_running(running: Path, suffix: str) -> Path:
    return running.with_name(running.name[:-len(RUNNING)] + suffix)


def expired(request: dict, now: datetime | None = None) -> bool:
    """Written so long ago that its console has stopped waiting."""
    try:
        written = datetime.fromisoformat(request["written"])
    except (KeyError, TypeError, ValueError):
        return False
    return ((now or datetime.now(timezone.utc)) - written).total_seconds() > WAIT_SECONDS


def tidy(state_dir: Path, older_than: float = WAIT_SECONDS) -> int:
    """Remove exchange files nobody waits for any more (by file time); returns how many."""
    gone = 0
    limit = time.time() - older_than
    for path in (requests_dir(state_dir).glob("*") if requests_dir(state_dir).is_dir() else []):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                gone += 1
        except OSError:
            pass
    return gone


# ---- serve's side of the exchange -------------------------------------------------------------------
def serve_requests(state_dir: Path, run: Callable[[str], dict], log, stopping: Callable[[], bool]) -> None:
    """Run the jobs the Excel console handed over, oldest first: `run("console:<running file>")`
    runs one in serve's worker like a scheduled job (under the run lock, with the job deadline);
    each result is written back. Not recorded as scheduled runs: the catch-up goes by the schedule alone."""
    for request in pending(state_dir):
        if stopping():
            return
        claimed = claim(request)
        if claimed is None:                 # the console withdrew it
            continue
        running, asked = claimed
        if expired(asked):                  # its console stopped waiting long ago
            running.unlink(missing_ok=True)
            continue
        who = f"{asked.get('user') or '?'} on {asked.get('host') or '?'}"
        outcome = run(f"console:{running}")
        reply = outcome.get("console") or {"failed": outcome.get("error") or outcome.get("result", "failed")}
        try:
            answer(running, reply)
        except OSError as exc:
            log.warning("could not write the console's result for %s: %s", running.name, exc)
        line = f"console {asked.get('action', '?')} for {who}: {outcome.get('result', 'failed')}" + (
            f" in {outcome['seconds']:.1f}s" if "seconds" in outcome else "") + (
            f": {reply.get('sentence') or reply.get('failed') or ''}")
        (log.info if outcome.get("result") == "ok" and not reply.get("error") else log.warning)("%s", line)
