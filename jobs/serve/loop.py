"""`duban serve DIR`: the loop that runs the `[schedule]` for months unattended.

Live: the `schedule` library keeps one job per `[schedule]` key, whose next run is the spec's next
slot (company zone, working days from the rules' calendar) expressed in the machine's local time,
plus the heartbeat. When a job fires, and on start, and after the machine slept, the catch-up
decision (`catchup.decide`, against the runs table) says which slot runs: on time that is the slot
just reached; after a gap, the latest missed one, once, within `serve.catch_up_hours`.

Simulated (`--from/--until`): the same decisions, slot after slot, with the clock set to each slot
(no sleeping) and every job run as at its slot (`--now`); serve stopped for a while is two
simulations with a gap between them.

Each run is recorded before it starts and when it ends (ok, failed, timeout, or skipped), runs in
the worker process (`execute.ProcessExecutor`) with a deadline, and is followed by the self-alert
checks. SIGTERM/SIGINT: no new job starts, the running one ends before its next workbook, exit 0.
"""
from __future__ import annotations

import functools
import heapq
import signal
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

import schedule

from duban.jobs.serve import handoff, logs, selfalert
from duban.jobs.serve.catchup import Decision, decide
from duban.jobs.serve.clock import RealClock, SimClock
from duban.jobs.serve.execute import InlineExecutor, ProcessExecutor
from duban.jobs.serve.lock import LockLost, ServeLock, stale_after
from duban.jobs.serve.missed import Missed
from duban.jobs.serve.runs import Runs
from duban.jobs.settings import jobs
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.jobs.settings.schedule import JobSpec, specs
from duban.jobs.settings.typed import Settings
from duban.jobs.state import simstate
from duban.mailer.words import KIND_NAMES
from duban.workbooks.model.errors import DubanError

WOKE_AFTER = 120          # seconds without a loop turn: the machine slept (or was suspended)

PREVIEW = {
    "zh": "  {slot} 将给 {to} 发送{kind}邮件：{subject}（{n} 项）",
    "en": "  {slot} would mail the {kind} to {to}: {subject} ({n} {items})",
}


def preview_line(lang: str, slot: datetime, kind: str, to: str, subject: str, items: int) -> str:
    """One mail a --dry-run would send, in the company language ("1 item", "3 items")."""
    label = KIND_NAMES[lang].get(kind, kind)
    return PREVIEW[lang].format(slot=f"{slot:%Y-%m-%d %H:%M}", kind=label, to=to, subject=subject, n=items,
                                items="item" if items == 1 else "items")


class _SlotJob(schedule.Job):
    """A `schedule` job whose next run is its spec's next slot (never schedule's own arithmetic,
    which knows neither the company zone nor the working days)."""

    def __init__(self, spec: JobSpec, serve: "Serve", scheduler: schedule.Scheduler):
        super().__init__(1, scheduler)
        self.spec, self.serve, self.unit = spec, serve, "seconds"
        self.job_func = functools.partial(serve.fire, spec)
        functools.update_wrapper(self.job_func, serve.fire)
        self._schedule_next_run()

    def _schedule_next_run(self) -> None:
        slot = self.spec.next(self.serve.clock.now(), self.serve.calendar)
        # schedule compares next_run with datetime.now(): naive machine-local time
        self.next_run = slot.astimezone().replace(tzinfo=None) if slot else datetime.max


class Serve:
    def __init__(self, folder: Path, settings: Settings, *, start: datetime | None = None,
                 until: datetime | None = None, dry_run: bool = False, inline: bool | None = None,
                 hook: Callable[["Serve", datetime], None] | None = None, stream=None,
                 runner: Callable | None = None):
        self.folder, self.settings, self.dry_run, self.hook, self.stream = folder, settings, dry_run, hook, stream
        self.tz = settings.company.tz
        self.calendar = calendar_from(settings)
        self.specs = [s for s in specs(settings) if s.kind != "off"]
        self.until = until
        self.clock = SimClock(start.astimezone(self.tz)) if start is not None else RealClock(self.tz)
        self.db = folder / settings.state.path
        serve = settings.serve
        self.grace = timedelta(hours=serve.catch_up_hours)
        self.timeout = serve.job_timeout_minutes * 60
        self.heartbeat_every = serve.heartbeat_seconds
        self.inline = self.clock.simulated if inline is None else inline
        self.runner = runner          # tests: a stand-in for execute.run_job
        self.lang = settings.company.language if settings.company.language in PREVIEW else "zh"
        self.people: dict = {}
        self.queue = None                      # serve's own look at the mail queue (self-alerts)
        self.stopping = False
        self.stop_reason = ""
        self.counts: Counter = Counter()       # (job, result) -> runs, for the closing line and tests
        self.told: list[str] = []             # self-alert problems told (keys)
        self.previews: set = set()
        self._beat = 0.0
        self._tidied: date | None = None
        self._future_told: set[str] = set()
        self.lock = ServeLock(folder, self.db.parent, stale_after(settings), self.tz)

    # ---- the whole run -------------------------------------------------------------------------
    def run(self) -> int:
        simstate.guard(self.db, self.clock.simulated, self.dry_run, self.lang)   # simulated and real state never mix
        self.log = logs.setup(self.tz, None if self.dry_run else self.db.parent / "logs", self.stream)
        try:
            warning = self.lock.acquire() if not self.dry_run else None
        except DubanError:
            logs.close(self.log)
            raise
        if warning:
            self.log.warning(warning)
        try:
            self.runs = Runs(Path(":memory:") if self.dry_run else self.db, self.tz)
        except BaseException:           # a damaged or unwritable state.db: told by the CLI, the lock given back
            self.lock.release()
            logs.close(self.log)
            raise
        if self.clock.simulated and not self.dry_run:
            simstate.mark(self.runs, self.clock.now(), self.until)
        kind = InlineExecutor if self.inline else ProcessExecutor
        self.executor = (kind(self.folder, self.settings, self.dry_run, self.runner) if self.runner else
                         kind(self.folder, self.settings, self.dry_run))
        restore = self._signals()
        mode = (f"simulated {self.clock.now():%Y-%m-%d %H:%M} → {self.until:%Y-%m-%d %H:%M}"
                if self.clock.simulated else "live")
        self.log.info("duban serve %s: %s (%s%s)", self.folder, "; ".join(f"{s.job} {s.describe()}" for s in self.specs),
                      mode, ", dry run" if self.dry_run else "")
        code = 0
        try:
            self._simulate() if self.clock.simulated else self._live()
        except LockLost as exc:
            self.log.error("%s", exc)
            code = 1
        finally:
            self.executor.close()
            restore()
            done = ", ".join(f"{job} {result} {n}" for (job, result), n in sorted(self.counts.items()))
            self.log.info("duban serve stopped%s; runs: %s", f" ({self.stop_reason})" if self.stop_reason else "",
                          done or "none")
            self.runs.close()
            if self.queue is not None:
                self.queue.close()
            self.lock.release()
            logs.close(self.log)
        return code

    def stop(self, reason: str = "stop requested") -> None:
        """No new job starts; the running one ends before its next workbook."""
        if not self.stopping and not self.clock.simulated:
            from duban.jobs.serve.service import sd_notify
            sd_notify("STOPPING=1")
        if not self.stopping:
            self.stopping, self.stop_reason = True, reason
            if hasattr(self, "executor"):
                self.executor.request_stop()
            if isinstance(self.clock, RealClock):
                self.clock.wake.set()

    def _signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        names = {signal.SIGINT: "SIGINT"}
        if hasattr(signal, "SIGTERM"):
            names[signal.SIGTERM] = "SIGTERM"
        if hasattr(signal, "SIGBREAK"):
            names[signal.SIGBREAK] = "SIGBREAK"     # Ctrl-Break on Windows

        def handler(signum, _frame):
            self.log.info("%s received: finishing the current workbook, then stopping", names.get(signum, signum))
            self.stop(names.get(signum, str(signum)))
        previous = {sig: signal.signal(sig, handler) for sig in names}
        return lambda: [signal.signal(sig, old) for sig, old in previous.items()]

    # ---- live ------------------------------------------------------------------------------------
    def _live(self) -> None:
        from duban.jobs.serve.service import sd_notify
        self._heartbeat(force=True)
        sd_notify("READY=1")
        self._housekeeping()
        handoff.tidy(self.db.parent)            # requests left by a console that gave up, or a serve that stopped
        self._catch_up("start")
        scheduler = schedule.Scheduler()
        for spec in self.specs:
            scheduler.jobs.append(_SlotJob(spec, self, scheduler))
        scheduler.every(self.heartbeat_every).seconds.do(self._heartbeat)
        last = time.time()
        while not self.stopping:
            if time.time() - last > WOKE_AFTER:
                self.log.info("the loop did not turn for %d seconds (the machine slept?): catching up",
                              time.time() - last)
                self._heartbeat(force=True)
                self._catch_up("wake-up")
            self._housekeeping()
            scheduler.run_pending()
            self._console_requests()
            last = time.time()
            idle = scheduler.idle_seconds
            self.clock.sleep(min(max(idle if idle is not None else 1.0, 0.05), 1.0))

    def fire(self, spec: JobSpec) -> None:
        """`schedule` says this job is due: run the slot just reached (or what the catch-up says)."""
        if self.stopping:
            return
        self._act(spec, decide(spec, self._last_settled(spec.job), self.clock.now(), self.grace, self.calendar))

    def _catch_up(self, why: str) -> None:
        now = self.clock.now()
        for spec in self.specs:
            if self.stopping:
                return
            decision = decide(spec, self._last_settled(spec.job), now, self.grace, self.calendar)
            if decision.anything:
                self._act(spec, decision, why)

    def _last_settled(self, job: str) -> datetime | None:
        """The job's last settled slot, not later than now: a run recorded in the future (the
        clock was set back) would otherwise hold the job off until that time; said once."""
        now = self.clock.now()
        last = self.runs.last_settled(job)
        if last is None or last <= now:
            return last
        if job not in self._future_told:
            self._future_told.add(job)
            self.log.warning("%s: the last recorded run (%s) is later than now (%s): the clock was set back or "
                             "moved; runs are scheduled from now on", job, f"{last:%Y-%m-%d %H:%M}", f"{now:%Y-%m-%d %H:%M}")
        return self.runs.last_settled(job, before=now)

    # ---- simulated -------------------------------------------------------------------------------
    def _simulate(self) -> None:
        start = self.clock.now()
        order = {s.job: i for i, s in enumerate(self.specs)}
        self._heartbeat(force=True)
        self._day_start(start)
        self._catch_up("start")
        def labelled(spec: JobSpec):
            return ((t, order[spec.job], spec) for t in spec.slots(start, self.until, self.calendar))
        slots = heapq.merge(*map(labelled, self.specs), key=lambda x: (x[0], x[1]))
        for moment, _n, spec in slots:
            if self.stopping:
                break
            if moment != self.clock.now():
                self.clock.set(moment)
                self._day_start(moment)
                if self.hook:
                    self.hook(self, moment)
                if self.stopping:
                    break
            self._heartbeat()
            self.fire(spec)
        else:
            if self.until:
                self.clock.set(self.until)

    def _day_start(self, moment: datetime) -> None:
        if self._tidied != moment.date():
            self._housekeeping()

    # ---- one decision, one run ----------------------------------------------------------------
    def _act(self, spec: JobSpec, decision: Decision, why: str = "") -> None:
        now = self.clock.now()
        if decision.missed:
            missed = Missed.of(decision.missed, decision.first_missed, decision.last_missed, decision.run,
                               self.grace.total_seconds() / 3600)
            self.runs.skipped(spec.job, decision.last_missed or decision.first_missed, now, missed)
            self.counts[(spec.job, "skipped")] += 1
            self.log.info("%s: %s", spec.job, missed.text(self.lang))
        if decision.run is not None:
            if why:
                self.log.info("%s: catching up the run of %s (%s)", spec.job, f"{decision.run:%Y-%m-%d %H:%M}", why)
            self._execute(spec.job, decision.run)

    def _execute(self, job: str, slot: datetime) -> None:
        if self.stopping:
            return
        at = slot if self.clock.simulated else self.clock.now()      # the job's "--now"
        run_id = self.runs.start(job, slot, self.clock.now())
        outcome = self.executor.run(job, at, self.timeout, waiting=self._heartbeat)
        result, settled = outcome.get("result", "failed"), True
        if result == "interrupted":
            result, settled = "failed", False
        error = outcome.get("error")
        detail = {k: outcome[k] for k in ("summary", "seconds", "mails", "sent", "waiting", "skipped", "broken",
                                          "refused", "cache", "trace") if k in outcome}
        self.runs.finish(run_id, self.clock.now(), result, error, detail, settled)
        self.counts[(job, result)] += 1
        self._report(job, slot, result, outcome)
        if outcome.get("people"):
            self.people = outcome["people"]
        if not self.dry_run and jobs.writes_back(job) and "written" in outcome:
            self.runs.note_skips(outcome.get("skipped", {}), outcome["written"], at)
        self._self_alerts(job, outcome)

    def _report(self, job: str, slot: datetime, result: str, outcome: dict) -> None:
        summary = outcome.get("summary") or outcome.get("error") or ""
        line = f"{job} {slot:%Y-%m-%d %H:%M} {result}" + (f" in {outcome['seconds']:.1f}s" if "seconds" in outcome
                                                          else "") + (f": {summary}" if summary else "")
        if result != "ok":
            self.log.error("%s", line)
            if outcome.get("trace"):
                self.log.error("%s", outcome["trace"].rstrip())
        elif not self.clock.simulated or outcome.get("mails") or outcome.get("skipped") or outcome.get("broken"):
            self.log.info("%s", line)
        for kind, to, subject, items in outcome.get("outgoing", []) if self.dry_run else []:
            key = (kind, to, subject)
            if key not in self.previews:
                self.previews.add(key)
                self.log.info("%s", preview_line(self.lang, slot, kind, to, subject, items))

    # ---- the Excel console's jobs ----------------------------------------------------------------
    def _console_requests(self) -> None:
        """The jobs the Excel console handed over, each in the worker like a scheduled job (handoff.serve_requests)."""
        handoff.serve_requests(self.db.parent, lambda job: self.executor.run(job, self.clock.now(), self.timeout,
                                                                              waiting=self._heartbeat),
                               self.log, lambda: self.stopping)

    # ---- heartbeat, self-alerts, housekeeping -----------------------------------------------
    def _heartbeat(self, force: bool = False) -> None:
        if self.dry_run:
            return
        if force or time.monotonic() - self._beat >= self.heartbeat_every:
            self._beat = time.monotonic()
            try:
                self.lock.heartbeat()
                if not self.clock.simulated:
                    from duban.jobs.serve.service import sd_notify
                    sd_notify("WATCHDOG=1")
            except LockLost:
                self.stop("lost the lock")
                raise
            except OSError as exc:     # the share is away for a moment: try again next turn
                self.log.warning("could not write the heartbeat: %s", exc)

    def _self_alerts(self, job: str, outcome: dict) -> None:
        if self.dry_run:
            return
        now = self.clock.now()
        problems = [p for p in [selfalert.failing(self.runs, job)] if p]
        try:
            if self.queue is None:
                from duban.mailer.queue import MailQueue
                self.queue = MailQueue(self.db)
            late = [selfalert.queue_late(self.queue, now), selfalert.set_aside(self.queue, self.folder),
                    *selfalert.group_lanes(self.queue, now, self.folder)]
        except Exception as exc:  # noqa: BLE001 - a self-check must never stop the loop
            self.log.warning("could not look at the mail queue: %s", exc)
            late = []
        problems += [p for p in late if p]
        if jobs.writes_back(job):
            problems += selfalert.skipped_long(self.runs, now, self.calendar)
        problems += selfalert.broken(outcome.get("broken") or {})
        told = selfalert.tell(self.db, self.settings, self.runs, problems, self.people, now, self.folder,
                              self.dry_run, self.log)
        if told:
            self.told += told
            self._deliver(now)

    def _deliver(self, now: datetime) -> None:
        from duban.jobs.remind import deliver
        from duban.mailer.im.lane import group_of
        from duban.mailer.queue import MailQueue
        from duban.mailer.reasons import error_text
        try:
            with MailQueue(self.db) as queue:
                report = deliver(self.folder, self.settings, now, queue)
            for lane, error, _setting in {f[0]: f for f in reversed(report.faults)}.values():   # a group's is its own
                self.log.warning("%s waits in the queue: %s", f"group {group_of(lane)}'s message" if group_of(lane)
                                 else "the admins' mail", error_text(error, "en"))
        except Exception as exc:  # noqa: BLE001
            self.log.warning("could not send the admins' mail now (it waits in the queue): %s", exc)

    def _housekeeping(self) -> None:
        """Once a company day: drop mail bodies, old events and runs past their keeping time; vacuum."""
        today = self.clock.now().date()
        if self._tidied == today:
            return
        self._tidied = today
        if self.dry_run or not self.db.exists():
            return
        from duban.jobs.serve.retention import tidy
        from duban.jobs.state.runlock import run_lock
        try:
            with run_lock(self.folder, self.settings, "serve"):
                done = tidy(self.db, self.settings, self.runs, self.clock.now())
        except Exception as exc:  # noqa: BLE001
            self.log.warning("housekeeping of %s did not finish: %s", self.db, exc)
            return
        if any(done.values()):
            self.log.info("housekeeping: %d mail bodies dropped, %d events and %d runs past keeping%s",
                          done["bodies"], done["events"], done["runs"], ", state.db vacuumed" if done["vacuum"] else "")
