"""Running one job for serve, and the worker process that keeps a hanging job from stopping the loop.

`run_job` calls the jobs' public entry points (check_folder, remind, alert, summary) as at the
slot's time, exactly as `--now` does, and boils the result down to a small dict that crosses a
pipe: ok or failed, the workbooks whose write was skipped or done, the broken ones, the mail.

`ProcessExecutor` runs the jobs in one long-lived child process (so its read cache lives as long
as serve), waits for each with a deadline, and ends a job that runs past `serve.job_timeout_minutes`
by ending that process (SIGTERM, then SIGKILL): safe, because a workbook write is a rename of a
finished temp file and every state.db change is a transaction; a new worker starts for the next
job. On a stop request the worker ends its job before the next workbook (`cache.Stopping`).
`InlineExecutor` runs jobs in this process (simulated time: as fast as the jobs run).
"""
from __future__ import annotations

import multiprocessing
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Callable

from duban.jobs import tasks
from duban.jobs.serve.cache import ReadCache, Stopping
from duban.jobs.settings import jobs
from duban.jobs.settings.typed import Settings


def run_job(job: str, folder: Path, settings: Settings, slot: datetime, dry_run: bool, cache: ReadCache) -> dict:
    """One job as at `slot`; never raises (an exception is a failed result with its last lines)."""
    started = time.perf_counter()
    try:
        with cache.active(folder, settings):
            outcome = _dispatch(job, folder, settings, slot, dry_run)
    except Stopping:
        return {"result": "interrupted", "error": "stopped before it finished (serve was asked to stop)"}
    except Exception as exc:  # noqa: BLE001 - isolation: one job's failure is a recorded result
        from duban.workbooks.share.faults import translate
        if (fault := translate(exc, near=folder)) is not None:    # a damaged state.db, a full disk: the sentence
            return {"result": "failed", "error": fault.en[:1000]}
        lines = traceback.format_exception(exc)
        return {"result": "failed", "error": f"{type(exc).__name__}: {exc}"[:500],
                "trace": "".join(lines[-6:])[-2000:]}
    outcome.setdefault("result", "ok")
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    outcome["cache"] = [cache.hits, cache.misses]
    return outcome


def _dispatch(job: str, folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    """The job's run function from the jobs table (jobs.settings.jobs), called as at `slot`."""
    if job.startswith("console:"):     # a job the Excel console handed over (handoff): its result as the console shows it
        from duban.macros.actions import answer
        return {"console": answer(folder, Path(job.split(":", 1)[1]))}
    found = jobs.get(job)
    if found is None or not found.runs:
        raise ValueError(f"unknown job {job!r}")
    return tasks.runner(found)(folder, settings, slot, dry_run)


# ---- executors ---------------------------------------------------------------------------------
class InlineExecutor:
    """Jobs in this process, one after another (no deadline: simulated time, tests)."""

    def __init__(self, folder: Path, settings: Settings, dry_run: bool, runner: Callable = run_job):
        self.folder, self.settings, self.dry_run, self.runner = folder, settings, dry_run, runner
        self.cache = ReadCache()
        self.stop_flag = False
        self.cache.stop_requested = lambda: self.stop_flag

    def run(self, job: str, slot: datetime, timeout: float, waiting: Callable[[], None] | None = None) -> dict:
        return self.runner(job, self.folder, self.settings, slot, self.dry_run, self.cache)

    def request_stop(self) -> None:
        self.stop_flag = True

    def close(self) -> None:
        pass


def _worker(conn, folder: str, settings: Settings, dry_run: bool, stop, runner: Callable = run_job) -> None:
    """The child process: run each job it is sent, keep the read cache between them."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C reaches the parent, which asks nicely
    cache = ReadCache()
    cache.stop_requested = stop.is_set
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job, slot = message
        conn.send(runner(job, Path(folder), settings, datetime.fromisoformat(slot), dry_run, cache))


class ProcessExecutor:
    """Jobs in a long-lived child process, each with a deadline; see the module docstring."""

    def __init__(self, folder: Path, settings: Settings, dry_run: bool, runner: Callable = run_job,
                 grace_seconds: float = 8.0):
        self.folder, self.settings, self.dry_run, self.runner = folder, settings, dry_run, runner
        self.ctx = multiprocessing.get_context("spawn")
        self.stop = self.ctx.Event()
        self.process = self.conn = None
        self.grace = grace_seconds          # after a stop request: how long a job may take to end

    def _start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.process = self.ctx.Process(target=_worker, args=(child, str(self.folder), self.settings,
                                                              self.dry_run, self.stop, self.runner),
                                        name="duban-serve-worker", daemon=True)
        self.process.start()
        child.close()
        self.conn = parent

    def run(self, job: str, slot: datetime, timeout: float, waiting: Callable[[], None] | None = None) -> dict:
        if self.process is None or not self.process.is_alive():
            self._start()
        try:
            self.conn.send((job, slot.isoformat()))
        except (OSError, EOFError) as exc:
            self._end()
            return {"result": "failed", "error": f"the worker process could not take the job: {exc}"}
        deadline = time.monotonic() + timeout
        stop_deadline = None
        while True:
            if self.conn.poll(0.5):
                try:
                    return self.conn.recv()
                except (EOFError, OSError):
                    code = self.process.exitcode if self.process else None
                    self._end()
                    return {"result": "failed", "error": f"the worker process died (exit code {code})"}
            if not self.process.is_alive():
                code = self.process.exitcode
                self._end()
                return {"result": "failed", "error": f"the worker process died (exit code {code})"}
            if waiting:
                waiting()
            now = time.monotonic()
            if self.stop.is_set():
                stop_deadline = stop_deadline or now + self.grace
                if now >= stop_deadline:
                    self._end()
                    return {"result": "interrupted", "error": "ended by serve's stop after its grace period"}
            if now >= deadline:
                self._end()
                return {"result": "timeout", "error": f"still running after {timeout / 60:g} minutes "
                                                      f"(serve.job_timeout_minutes); its process was ended"}

    def request_stop(self) -> None:
        self.stop.set()

    def _end(self) -> None:
        process, self.process = self.process, None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if process is not None and process.is_alive():
            process.terminate()
            process.join(3)
            if process.is_alive():
                process.kill()
                process.join(3)

    def close(self) -> None:
        if self.process is not None and self.process.is_alive() and self.conn is not None:
            try:
                self.conn.send(None)
                self.process.join(2)
            except (OSError, EOFError):
                pass
        self._end()
