"""serve's own alerts to `serve.admins`: something needs a human. Once per problem per day, through
the same mail queue as every other mail (so the ledger's promises hold: a key is queued once, ever).

Problems: a job that failed (or timed out) twice in a row; mail waiting in the queue for more than
an hour (not counting mail held for the next working morning); mail set aside (it cut the
connection twice, or a run died while the server was taking it: it may have been delivered, and
a person decides; told the day it happens and once a day while any stays set aside, and sent
before other mail, so the notice never waits behind the mail it reports); a workbook whose write has been
skipped (open in Excel) for more than a working day; a workbook that cannot be read at all; a group
bot that refused its messages for a setting (a wrong key, secret, keyword or IP: its lane is held
until the setting changes or `duban outbox --retry`; told once per hold, not once a day, with the
platform's fix), and a group's messages waiting for more than an hour.
Admins are names from the directory; with none set, the clerks (`mail.clerks`) are told. With an
admins' group (`im.admins_group`), each problem is posted there too, except a problem of that very
group (its messages cannot get through).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from duban.jobs.notify.outbox import Outbox
from duban.jobs.notify.router import Notice, group_recipient
from duban.jobs.serve.runs import Runs
from duban.jobs.settings.typed import Settings
from duban.jobs.state.bilingual import said
from duban.jobs.time.workcal import WorkCalendar
from duban.mailer.im.lane import group_of
from duban.mailer.queue import MailQueue, stamp
from duban.mailer.reasons import BOTH, error_text, setting_text
from duban.workbooks.model.directory import Person
from duban.workbooks.share.commandline import folder_arg

QUEUE_LATE = timedelta(hours=1)


@dataclass(frozen=True)
class Problem:
    key: str          # e.g. "job-failing:remind", "workbook-broken:任务跟进表.xlsx"
    zh: str
    en: str
    ever: bool = False    # told once for its key, not once a day (a group's hold: its key has the hold's start)
    group: str = ""       # the group bot it is about (not posted to that group: it cannot get through)


def failing(runs: Runs, job: str) -> Problem | None:
    last = runs.last(job, 2)
    if len(last) == 2 and all(r.result in ("failed", "timeout") for r in last) \
            and not any((r.error or "").startswith(("stopped", "ended by serve", "did not finish")) for r in last):
        why = last[0].error or last[0].result
        return Problem(f"job-failing:{job}", f"任务 {job} 连续两次失败：{why}",
                       f"the {job} job failed twice in a row: {why}")
    return None


def waiting(queue: MailQueue, cutoff: datetime) -> dict[str, tuple[int, datetime, str | None]]:
    """Per lane ("mail", "group:<name>"): (how many queued messages were due to go by `cutoff`, the
    oldest such time, the newest error the lane's transport gave)."""
    due = "MAX(queued_at, COALESCE(not_before, ''))"
    found = {}
    for channel, count, oldest in queue.db.execute(
            f"SELECT channel, COUNT(*), MIN({due}) FROM mail_queue WHERE status='queued' AND {due} <= ? "
            "GROUP BY channel", (stamp(cutoff),)):
        error = queue.db.execute("SELECT last_error FROM mail_queue WHERE status='queued' AND channel=? AND "
                                 "last_error IS NOT NULL ORDER BY id DESC LIMIT 1", (channel,)).fetchone()
        found[channel] = (count, datetime.fromisoformat(oldest), error[0] if error else None)
    return found


def queue_late(queue: MailQueue, now: datetime) -> Problem | None:
    if "mail" not in (late := waiting(queue, now - QUEUE_LATE)):
        return None
    count, oldest, error = late["mail"]
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


def group_lanes(queue: MailQueue, now: datetime, folder: Path | str = "DIR") -> list[Problem]:
    """Each group bot's lane: held because its bot refused a setting (told once per hold, with the
    platform's fix and what lifts the hold), else messages waiting for more than an hour."""
    where, found = folder_arg(folder), []
    holds = queue.holds()
    for channel, (since, _setup, reason, setting) in holds.items():
        if name := group_of(channel):
            found.append(Problem(f"group-held:{name}:{since}", held(name, reason, setting, where, "zh"),
                                 held(name, reason, setting, where, "en"), True, name))
    for channel, (count, oldest, error) in waiting(queue, now - QUEUE_LATE).items():
        if (name := group_of(channel)) and channel not in holds:
            at = oldest.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")
            why = (f"（{bare(error_text(error, 'zh'))}）", f" ({bare(error_text(error, 'en'))})") if error else ("", "")
            found.append(Problem(f"group-waiting:{name}",
                                 f"群「{name}」有 {count} 条消息等待超过一小时（最早自 {at}）{why[0]}",
                                 f"{count} message(s) to the group {name} waited for more than an hour (the oldest "
                                 f"since {at}){why[1]}", group=name))
    return found


# A group lane held by a refused setting, with the platform's fix and what lifts the hold (the
# admins' notice here, `duban status` and `duban outbox` in jobs/terminal/lanes.py)
HELD = {"zh": "群「{name}」的消息已暂停发送{since}：{error}。请{fix}，然后运行 duban outbox {folder} --retry。",
        "en": "Messages to the group {name} are on hold{since}: {error}. {fix}, then run duban outbox "
              "{folder} --retry."}


def held(name: str, reason: str, setting: str, folder: str, lang: str, since: str = "") -> str:
    """The hold of group `name` as a sentence in `lang` (`since`: when it began, as shown)."""
    when = ("（自 {}）" if lang == "zh" else " (since {})").format(since) if since else ""
    return HELD.get(lang, HELD["zh"]).format(name=name, since=when, error=bare(error_text(reason, lang)),
                                              fix=fix(setting, lang), folder=folder)


# "[im.groups."紧急群"] secret_env (DUBAN_IM_URGENT_SECRET)": the variable that holds the refused value
VARIABLE = re.compile(r"\b(?:secret_env|webhook_env) \(([A-Za-z_][A-Za-z0-9_]*)\)")


def fix(setting: str, lang: str) -> str:
    """What a person does about a group's refused setting, as the start of a sentence: change a
    duban.toml key ("修改 [im.groups."紧急群"] secret_env (…)"), or a whole step the transport wrote in
    both languages (set an unset variable; the platform's IP allow-list), as it is."""
    said = setting_text(setting, lang)
    if variable := VARIABLE.search(setting):   # the variable's value is wrong, not the duban.toml line
        name, key = variable[1], said.replace(f" ({variable[1]})", "")
        said = (f"检查环境变量 {name} 的值（{key} 所指；或系统密钥环 duban 中的同名项）" if lang == "zh" else
                f"check the value of the variable {name} (named by {key}; or the same name in the keyring under duban)")
    elif BOTH not in setting:
        said = ("修改 " if lang == "zh" else "fix ") + said
    return said if lang == "zh" else said[:1].upper() + said[1:]


def bare(text: str) -> str:
    """A sentence to go inside another, without its own full stop (no "。。")."""
    return text.rstrip().rstrip("。.")


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
    group = settings.im.admins
    told = []
    for problem in problems:
        if dry_run:
            log.info("would tell the admins: %s", problem.en)
            continue
        if not runs.tell_once(problem.key, "ever" if problem.ever else day, now):
            continue
        told.append(problem.key)
        posts = notices(problem, admins, day)
        if group is not None and group.name != problem.group:
            posts.append(group_notice(problem, group.name, settings.company.language, day))
        if not posts:
            log.warning("no admin to tell (serve.admins and mail.clerks name nobody in the directory): %s",
                        problem.en)
            continue
        log.warning("telling the admins: %s", problem.en)
        with MailQueue(db) as queue:
            box = Outbox(folder, settings, now, None, queue)
            for notice in posts:
                box.post(notice)
    return told


def notices(problem: Problem, admins: list[tuple[str, str, str]], day: str) -> list[Notice]:
    """The problem as a notice to each admin: once a day (serve's own record, `Runs.tell_once`,
    says whether it was told today; the queue key makes sure it is queued once)."""
    return [Notice("notice", Person(name, None, email, False, None, lang), urgent=True, once="",
                   key=f"serve:{problem.key}:{day}:{email}", content={"zh": problem.zh, "en": problem.en})
            for name, email, lang in admins]


def group_notice(problem: Problem, group: str, lang: str, day: str) -> Notice:
    """The problem as a notice to the admins' group (`im.admins_group`), in the company's language."""
    return Notice("notice", group_recipient(group, lang), urgent=True, once="", key=f"serve:{problem.key}:{day}:#{group}",
                  content={"zh": problem.zh, "en": problem.en}, channel="group", group=group)
