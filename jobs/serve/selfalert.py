"""serve's own alerts to `serve.admins`: something needs a human. Once per problem per day, through
the same mail queue as every other mail (so the ledger's promises hold: a key is queued once, ever).

Problems: a job that failed (or timed out) twice in a row; mail waiting in the queue for more than
an hour (not counting mail held for the next working morning); mail set aside (it cut the
connection twice, or a run died while the server was taking it: it may have been delivered, and
a person decides; told the day it happens and once a day while any stays set aside, and sent
before other mail, so the notice never waits behind the mail it reports); a workbook whose write has been
skipped (open in Excel) for more than a working day; a workbook that cannot be read at all.
Admins are names from the directory; with none set, the clerks (`mail.clerks`) are told.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from duban.jobs.notify.outbox import Outbox
from duban.jobs.notify.router import Notice
from duban.jobs.serve.runs import Runs
from duban.jobs.settings.typed import Settings
from duban.jobs.state.bilingual import said
from duban.jobs.time.workcal import WorkCalendar
from duban.mailer.queue import MailQueue
from duban.workbooks.model.directory import Person
from duban.workbooks.share.commandline import folder_arg

QUEUE_LATE = timedelta(hours=1)


@dataclass(frozen=True)
class Problem:
    key: str          # e.g. "job-failing:remind", "workbook-broken:任务跟进表.xlsx"
    zh: str
    en: str


def failing(runs: Runs, job: str) -> Problem | None:
    last = runs.last(job, 2)
    if len(last) == 2 and all(r.result in ("failed", "timeout") for r in last) \
            and not any((r.error or "").startswith(("stopped", "ended by serve", "did not finish")) for r in last):
        why = last[0].error or last[0].result
        return Problem(f"job-failing:{job}", f"任务 {job} 连续两次失败：{why}",
                       f"the {job} job failed twice in a row: {why}")
    return None


def queue_late(queue: MailQueue, now: datetime) -> Problem | None:
    count, oldest, error = queue.waiting_since(now - QUEUE_LATE)
    if not count:
        return None
    since = oldest.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")
    why = f" ({error})" if error else ""
    mails = "1 mail has" if count == 1 else f"{count} mails have"
    return Problem("mail-waiting", f"邮件队列中有 {count} 封邮件等待超过一小时（最早自 {since}）{why}",
                   f"{mails} waited in the queue for more than an hour (the oldest since {since}){why}")


def set_aside(queue: MailQueue, folder: Path | str = "DIR") -> Problem | None:
    """Mail set aside, for the admins, with the command that sends it once more (runnable as written)."""
    mails = queue.entries("set_aside")
    if not mails:
        return None
    where = folder_arg(folder)
    listing = "; ".join(f"{', '.join(m.recipients)}: {m.subject}" for m in mails[:5]) + (" …" if len(mails) > 5 else "")
    return Problem(f"mail-set-aside:{mails[-1].id}",
                   f"{len(mails)} 封邮件已搁置，不再自动发送（它们可能已经送达，请向收件人确认；未收到的可运行 "
                   f"duban outbox {where} --retry --failed 再发一次）：{listing}",
                   f"{len(mails)} mail(s) set aside, not sent again by themselves (they may already have been "
                   f"delivered: ask the recipients; for one that did not arrive, run duban outbox {where} --retry "
                   f"--failed): {listing}")


def skipped_long(runs: Runs, now: datetime, calendar: WorkCalendar) -> list[Problem]:
    day = (datetime.combine(now.date(), calendar.closes) - datetime.combine(now.date(), calendar.opens))
    hours = day.total_seconds() / 3600
    found = []
    for workbook, since, _last, why in runs.skips():
        if calendar.working_hours_between(since, now) > hours:
            stamp_ = since.strftime("%Y-%m-%d %H:%M")
            found.append(Problem(f"workbook-skipped:{workbook}",
                                 f"{workbook} 自 {stamp_} 起一直无法写入（{said(why, 'zh')}），已超过一个工作日",
                                 f"{workbook} could not be written since {stamp_} ({said(why, 'en')}): more than a "
                                 f"working day"))
    return found


def broken(workbooks: dict[str, list[str]]) -> list[Problem]:
    """One problem per workbook that cannot be read, in the words of the problem catalogue
    (what is wrong and what to do), zh and en."""
    return [Problem(f"workbook-broken:{w}", f"{w}：{zh}", f"{w}: {en}") for w, (zh, en) in workbooks.items()]


def recipients(settings: Settings, people: dict) -> list[tuple[str, str, str]]:
    """(name, email, language) of the admins (else the clerks) found in the directory."""
    names = settings.serve.admins or settings.mail.clerks
    return [(n, *people[n]) for n in names if n in people and people[n][0]]


def tell(db: Path, settings, runs: Runs, problems: list[Problem], people: dict, now: datetime,
         folder: Path, dry_run: bool, log) -> list[str]:
    """Post one notice per new problem of the day to each admin, through the outbox (sent at once,
    also outside office hours); returns the problem keys told."""
    if not problems:
        return []
    day = now.date().isoformat()
    admins = recipients(settings, people)
    told = []
    for problem in problems:
        if dry_run:
            log.info("would tell the admins: %s", problem.en)
            continue
        if not runs.tell_once(problem.key, day, now):
            continue
        told.append(problem.key)
        if not admins:
            log.warning("no admin to tell (serve.admins and mail.clerks name nobody in the directory): %s",
                        problem.en)
            continue
        log.warning("telling the admins: %s", problem.en)
        with MailQueue(db) as queue:
            box = Outbox(folder, settings, now, None, queue)
            for notice in notices(problem, admins, day):
                box.post(notice)
    return told


def notices(problem: Problem, admins: list[tuple[str, str, str]], day: str) -> list[Notice]:
    """The problem as a notice to each admin: once a day (serve's own record, `Runs.tell_once`,
    says whether it was told today; the queue key makes sure it is queued once)."""
    return [Notice("notice", Person(name, None, email, False, None, lang), urgent=True, once="",
                   key=f"serve:{problem.key}:{day}:{email}", content={"zh": problem.zh, "en": problem.en})
            for name, email, lang in admins]
