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

from duban.workbooks.share.commandline import folder_arg

from duban.jobs.serve.bilingual import pair
from duban.jobs.serve.cache import ReadCache, Stopping

def run_job(job: str, folder: Path, settings: dict, slot: datetime, dry_run: bool, cache: ReadCache) -> dict:
    """One job as at `slot`; never raises (an exception is a failed result with its last lines)."""
    started = time.perf_counter()
    try:
        with cache.active():
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


def _dispatch(job: str, folder: Path, settings: dict, slot: datetime, dry_run: bool) -> dict:
    if job.startswith("console:"):     # a job the Excel console handed over (handoff): its result as the console shows it
        from duban.macros.console import answer
        return {"console": answer(folder, Path(job.split(":", 1)[1]))}
    if job == "check":
        from duban.jobs.check import check_folder
        return _check_facts(check_folder(folder, settings, slot, dry_run))
    if job in ("remind", "alert"):
        from duban.jobs import remind as mail_jobs
        run = (mail_jobs.remind if job == "remind" else mail_jobs.alert)(folder, settings, slot, dry_run)
        facts = _check_facts(run.check) if run.check is not None else {}
        facts.update(_mail_facts(run))
        return facts
    if job in ("summary_week", "summary_month"):
        from duban.jobs.summary.job import summary
        run = summary(folder, settings, slot, "week" if job == "summary_week" else "month", dry_run)
        facts = _mail_facts(run)
        facts["summary"] = f"{job}: {len(run.scopes)} report(s); " + facts["summary"]
        return facts
    raise ValueError(f"unknown job {job!r}")


def _check_facts(report) -> dict:
    skipped, written, broken, refused, flags = {}, [], {}, {}, 0
    for w in report.workbooks:
        flags += sum(1 for f in w.flags.values() if f)
        if w.read.kind is None:          # unreadable, encrypted, not a duban table...: the catalogue's sentence
            found = [p for p in w.read.problems if p.scope == "workbook" and p.severity == "error"]
            if found:
                broken[w.relpath] = [found[0].text("zh"), found[0].text("en")]
            continue
        if w.write == "skipped":
            skipped[w.relpath] = pair(w.why.text("zh"), w.why.text("en")) if w.why else "skipped"   # either reader
        elif w.write == "refused":
            refused[w.relpath] = w.reason
        elif w.write in ("written", "unchanged"):
            written.append(w.relpath)
    parts = [f"{len(report.workbooks)} workbooks", f"{flags} flagged rows"]
    if written:
        parts.append(f"{len(written)} checked")
    if skipped:
        parts.append(f"{len(skipped)} write(s) skipped")
    if refused:
        parts.append(f"{len(refused)} refused")
    if broken:
        parts.append(f"{len(broken)} broken")
    return {"skipped": skipped, "written": written, "broken": broken, "refused": refused,
            "summary": ", ".join(parts), "people": _people(report)}


def _people(report) -> dict:
    """Name -> (email, language) from this run's directory: whom serve's own alerts can reach."""
    from duban.workbooks.model.directory import Directory
    directory = Directory.from_reads([w.read for w in report.workbooks])
    return {p.name: (p.email, p.lang) for p in directory.people.values() if p.email}


def _mail_facts(run) -> dict:
    d = run.delivery
    queued = sum(1 for o in run.outgoing if o.status in ("queued", "held"))
    facts = {"mails": queued, "sent": len(d.sent) if d else 0, "failed": len(d.failed) if d else 0,
             "waiting": len(d.still_queued) if d else 0, "server": d.error if d else None,
             "outgoing": [(o.kind, o.to, o.subject, o.items) for o in run.outgoing[:200]]}
    facts["set_aside"] = len(d.set_aside) if d else 0
    text = f"{queued} mail(s) queued, {facts['sent']} sent"
    if facts["waiting"]:
        text += f", {facts['waiting']} waiting"
    if facts["set_aside"]:
        where = folder_arg(run.folder) if getattr(run, "folder", None) is not None else "DIR"
        text += f", {facts['set_aside']} set aside (may have been delivered; see duban outbox {where})"
    if d and d.error:
        text += f" (mail server: {d.error})"
    facts["summary"] = text
    return facts


# ---- executors ---------------------------------------------------------------------------------
class InlineExecutor:
    """Jobs in this process, one after another (no deadline: simulated time, tests)."""

    def __init__(self, folder: Path, settings: dict, dry_run: bool, runner: Callable = run_job):
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


def _worker(conn, folder: str, settings: dict, dry_run: bool, stop, runner: Callable = run_job) -> None:
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

    def __init__(self, folder: Path, settings: dict, dry_run: bool, runner: Callable = run_job,
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
