"""The mail jobs: `duban remind` (digests, escalations, problems report) and `duban alert` (urgent).

Plan, then apply: the check gives flags, `notify` decides who hears about what, the ledger
drops what was already said, each mail is rendered and put in the queue (in state.db) with
a key derived from its contents, and the queue delivers through the configured transport.
Mail planned outside office hours waits in the queue for the next working morning; urgent
alerts go at once. If the server is down, mail stays queued for the next run.

A job holds the folder's run lock for its whole run (remind: check, then mail), so a check
started meanwhile waits for it rather than interleaving, and the reverse. The clerks' problems
report is composed after this run's other mail was handed to the server, so it names mail
refused (5xx) or given up just now, each once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from duban.jobs.check import CheckReport, check_folder
from duban.jobs.notify import groups, router as notify
from duban.jobs.notify.ledger import Ledger
from duban.jobs.notify.outbox import Outbox, Outgoing, deliver, mail_fault
from duban.jobs.notify.presence import Presence
from duban.jobs.notify.router import Source
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.jobs.settings.typed import Settings
from duban.jobs.state.runlock import run_lock
from duban.mailer.im.lane import group_of
from duban.mailer.queue import MailQueue
from duban.mailer.queued import DeliveryReport
from duban.mailer.reasons import error_text
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.flags import urgent_codes
from duban.workbooks.model.problems import Problem
from duban.workbooks.share.commandline import folder_arg


@dataclass
class MailRun:
    now: datetime
    outgoing: list[Outgoing] = field(default_factory=list)
    unknown: list[Problem] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    skipped: int = 0          # recipients with nothing new since they were last told
    transport: str = ""       # outbox or smtp
    destination: str = ""     # where the mail went: the outbox folder, or the SMTP server host:port
    check: CheckReport | None = None    # the check this run made (remind): its refused writes are shown
    folder: Path | None = None          # the folder as the user named it (the terminal's next steps)
    retry: bool = False                 # `duban outbox --retry`: it sends what waits, plans nothing new

    @property
    def refused(self) -> list:
        """The workbooks whose write-back was refused in this run's check (skips are routine)."""
        return [w for w in self.check.workbooks if w.write == "refused"] if self.check else []

    @property
    def undelivered(self) -> bool:
        """Mail this run was to send could not go: the server was unreachable or turned the settings
        down, or mail was set aside or given up. The command's exit code says so (cli)."""
        d = self.delivery
        return d is not None and bool(d.error or d.set_aside or d.given_up)


def remind(folder: Path, settings: Settings, now: datetime, dry_run: bool = False,
           keep: Callable | None = None) -> MailRun:
    """The daily job: check (and write back), then digests, escalations and the problems report.
    `keep`: what the step after remind needs of each checked workbook (the dashboard's facts:
    jobs.dashboard.data.keeper; `lambda w: None` when no dashboard is written). Given, the check
    streams: each workbook's records go once its items and `keep(workbook)` are taken (memory
    held by one workbook, not the folder); without it every record stays in `run.check`."""
    each = None if keep is None else (lambda w: _kept(w, keep))
    with run_lock(folder, settings, "remind", dry_run):
        report = check_folder(folder, settings, now, dry_run=dry_run, each=each)
        sources = _sources(report)
        directory = Directory.from_reads([s.read for s in sources])
        presence = _presence(sources, directory, settings, now)
        planned = notify.plan(sources, directory, settings.mail.clerks, presence)
        run = _mail(folder, settings, now, planned, dry_run, report.notices,
                    to_groups=lambda ledger: groups.daily(sources, planned, directory, settings, presence),
                    mistakes=groups.unknown_departments(directory, settings) + presence.problems())
        for checked in report.workbooks:    # mailed: the items (and their rows) go; what `keep` took stays
            if isinstance(checked.kept, Kept):
                checked.kept = Kept((), checked.kept.facts)
        run.check = report
        return run


def alert(folder: Path, settings: Settings, now: datetime, dry_run: bool = False) -> MailRun:
    """The every-few-minutes job: read and apply the rules (no write-back), mail urgent items at once."""
    with run_lock(folder, settings, "alert", dry_run):
        report = check_folder(folder, settings, now, dry_run=True, only=urgent_codes())
        sources = _sources(report)
        directory = Directory.from_reads([s.read for s in sources])
        planned = notify.plan_alerts(sources, directory, _presence(sources, directory, settings, now))
        return _mail(folder, settings, now, planned, dry_run,
                     to_groups=lambda ledger: groups.urgent(planned, directory, settings, now, ledger))


def retry(folder: Path, settings: Settings, now: datetime, include_failed: bool = False) -> MailRun:
    """`duban outbox --retry`: send what is waiting now (held mail keeps waiting for its morning)."""
    run = mail_run(folder, settings, now, retry=True)
    with run_lock(folder, settings, "outbox"), MailQueue(_db(folder, settings)) as queue:
        queue.retry_now(now, include_failed)
        run.delivery = deliver(folder, settings, now, queue)
    return run


def _presence(sources: list[Source], directory: Directory, settings: Settings, now: datetime) -> Presence:
    """Today's snoozes, reminder modes and stand-ins (jobs/notify/presence.py)."""
    return Presence.of([s.read for s in sources], directory, now.date(), calendar_from(settings), settings)


@dataclass(frozen=True)
class Kept:
    """What remind keeps of a workbook from its streamed check (`check_folder(each=)`), whose
    records then go: the router's items (each with its row's record: routing asks it who is told)
    and what `keep` took for the step after remind (the dashboard's facts of every row)."""

    pairs: tuple
    facts: object = None


def _kept(checked, keep: Callable) -> Kept:
    records = list(checked.read.records)        # a streamed check's records unpack on each pass: once
    read = replace(checked.read, records=records)
    source = Source(checked.relpath, read, checked.flags, checked.provisional)
    return Kept(tuple(notify.items_of(source)), keep(replace(checked, read=read)))


def _sources(report: CheckReport) -> list[Source]:
    return [Source(w.relpath, w.read, w.flags, w.provisional,
                   (w.why.text("zh"), w.why.text("en")) if w.write == "refused" and w.why else None,
                   w.kept.pairs if isinstance(w.kept, Kept) else None)
            for w in report.workbooks]


def mail_run(folder: Path, settings: Settings, now: datetime, **kw) -> MailRun:
    """A run, knowing where its mail goes: DIR/outbox/ as the user named DIR, or the SMTP server."""
    mail = settings.mail
    if mail.transport == "smtp":
        return MailRun(now, transport="smtp", destination=f"{mail.smtp.host}:{mail.smtp.port}",
                       folder=folder, **kw)
    return MailRun(now, transport=mail.transport, destination=str(folder / "outbox") + os.sep, folder=folder, **kw)


def _db(folder: Path, settings: Settings) -> Path:
    return folder / settings.state.path


def _mail(folder: Path, settings, now: datetime, planned: notify.Plan, dry_run: bool,
          notices: list[tuple[str, Problem]] = (),
          to_groups: Callable[[Ledger], list[notify.Notice]] | None = None,
          mistakes: list[Problem] = ()) -> MailRun:
    """Post the planned notices through the outbox and deliver; the caller holds the run lock (a
    dry run opens the ledger and the queue read-only and sends nothing). `to_groups` makes the
    group bots' notices from the plan (jobs/notify/groups.py; none when no group is configured):
    they go through the same outbox, addressed to their group, not to a person. `mistakes`: settings
    that do nothing (a department the directory lacks), for the terminal and the problems report."""
    run = mail_run(folder, settings, now)
    db = _db(folder, settings)
    with Ledger(db, read_only=dry_run) as ledger, MailQueue(db, read_only=dry_run) as queue:
        expired = [] if dry_run else queue.expire(now, settings.mail.give_up_days)
        box = Outbox(folder, settings, now, ledger, queue, dry_run)
        box.unknown += mistakes
        reachable = box.reach(planned.notices, planned.named)
        reports = [n for n in reachable if n.kind == "problems"]
        for notice in reachable:
            if notice.kind != "problems":
                box.post(notice)
        for notice in to_groups(ledger) if to_groups is not None and settings.im.groups else ():
            box.post(notice)
        if not dry_run:     # this run's mail and whatever still waits from earlier runs
            run.delivery = deliver(folder, settings, now, queue)
        if reports:         # last, so that it names mail refused or given up just now
            told = not_delivered(queue, ledger, settings, folder) + \
                [(topic, p) for topic, p in notices if not ledger.ever_told(topic)]   # the check's: a workbook gone, ...
            extra = box.unknown + [p for _t, p in told]
            queued = [box.post(replace(n, extra=extra, topics=(*n.topics, *(t for t, _p in told))))
                      for n in reports]
            if not dry_run and any(queued):
                if mail_fault(run.delivery) is None:     # a group's fault holds back no mail
                    run.delivery = run.delivery.then(deliver(folder, settings, now, queue))
                else:       # the mail server is down: the report waits with the rest
                    run.delivery.still_queued = queue.entries("queued")
        if run.delivery is not None:
            run.delivery.given_up[:0] = expired
        run.outgoing, run.unknown, run.skipped = box.outgoing, box.unknown, box.skipped
    return run


def not_delivered(queue: MailQueue, ledger: Ledger, settings: Settings, folder: Path) -> list[tuple[str, Problem]]:
    """Messages given up, set aside, or that went without an answer (they may have been delivered),
    and messages refused (mail: 5xx, a whole mail or one recipient's copy; a group: its platform
    refused the message, or the group left duban.toml), that the clerks have not been told of, as
    (ledger topic, problem naming the address, or the group and its platform's fix).
    A refused problems report is not reported in the next one (its clerk cannot get that either);
    the terminal and `duban outbox` show it."""
    where = folder_arg(folder.absolute())       # the command the report advises, runnable where duban runs
    found = []
    for topic, code, messages in (("given-up", "given-up", queue.entries("given_up")),
                                  ("set-aside", "set-aside", queue.entries("set_aside")),
                                  ("unanswered", "fate-unknown", queue.unanswered()),
                                  ("refused", "refused", queue.entries("failed"))):
        for m in messages:
            said = f"{topic}:{m.key}"
            if (code == "refused" and m.kind == "problems") or ledger.ever_told(said):
                continue
            group = group_of(m.channel)
            params = {"subject": m.subject, "error": _error(m.last_error), "folder": where}
            if code == "given-up":
                params["days"] = settings.mail.give_up_days
            found.append((said, Problem(f"{'group' if group else 'mail'}-{code}", "outbox",
                                        value=group or ", ".join(m.recipients), params=params)))
    return found


def _error(error: str | None) -> dict:
    """A problem's {error} in both languages: the mailer writes English, a group bot's transport
    both (mailer.reasons)."""
    return {"zh": error_text(error or "?", "zh"), "en": error_text(error or "?", "en")}
