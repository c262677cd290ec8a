"""A 30-day soak of `duban serve` in simulated time, over the standard workbooks.

A scripted staff edits the workbooks between runs (acknowledges requests, completes tasks, adds
rows, keeps the task workbook open in Excel for two days); the SMTP server on loopback is down for
a day and refuses one recipient (and defers another) for an hour; serve is stopped for two days
and restarted; one workbook is replaced by a broken file for a day. Then: one digest per recipient
per working day, no mail twice, none lost, every skipped write done later, every run recorded,
the admins told once about the broken workbook, and state.db under 50 MB.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from books import owner_file
from duban.jobs.init import init_folder
from duban.jobs.serve.loop import Serve
from duban.jobs.serve.runs import Runs
from duban.jobs.settings import config
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.jobs.settings.schedule import specs
from duban.mailer.queue import MailQueue
from duban.workbooks.model.kinds import KINDS
from smtp_server import SmtpServer

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 0, 0, tzinfo=TZ)          # a Monday; November has no public holiday
END = START + timedelta(days=30)
STOPPED = (datetime(2026, 11, 18, 12, 0, tzinfo=TZ), datetime(2026, 11, 20, 12, 0, tzinfo=TZ))
SMTP_DOWN = (datetime(2026, 11, 9, 0, 0, tzinfo=TZ), datetime(2026, 11, 10, 0, 0, tzinfo=TZ))
REFUSING = (datetime(2026, 11, 16, 8, 30, tzinfo=TZ), datetime(2026, 11, 16, 9, 30, tzinfo=TZ))
OPEN_IN_EXCEL = (datetime(2026, 11, 5, 10, 0, tzinfo=TZ), datetime(2026, 11, 7, 10, 0, tzinfo=TZ))
BROKEN = (datetime(2026, 11, 24, 0, 0, tzinfo=TZ), datetime(2026, 11, 25, 0, 0, tzinfo=TZ))
ADMIN, CLERK, REFUSED, DEFERRED = "杨帆", "王芳", "lina@example.com", "liuyang@example.com"
ADMIN_ADDRESS, CLERK_ADDRESS = "yangfan@example.com", "wangfang@example.com"
DIGEST = re.compile(r"^(?:【督办】您有|\[duban\] You have).* — (\d{4}-\d{2}-\d{2})$")
TASKS, REQUESTS, PROJECTS = (KINDS[k].filename("zh") for k in ("tasks", "requests", "projects"))

# Hourly checks and alerts (not the shipped 30 and 5 minutes) keep the 30 days at about a minute;
# the summaries have their own tests.
SCHEDULE = {"check": "every 2 hours", "alert": "every 60 minutes", "remind": "09:00",
            "summary_week": "off", "summary_month": "off"}


def _settings(folder: Path, server: SmtpServer) -> dict:
    text = (folder / "duban.toml").read_text(encoding="utf-8")
    text = text.replace('clerks = []', f'clerks = ["{CLERK}"]', 1).replace('admins = []', f'admins = ["{ADMIN}"]', 1)
    text = text.replace('transport = "outbox"', 'transport = "smtp"', 1).replace("port = 465", f"port = {server.port}")
    text = text.replace('security = "ssl"', 'security = "none"').replace("max_per_minute = 60", "max_per_minute = 10000")
    for job, value in SCHEDULE.items():
        text = _set(text, job, value)
    (folder / "duban.toml").write_text(text, encoding="utf-8")
    return config.load(folder)


def _set(text: str, key: str, value: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"{key} = "):
            lines[i] = f'{key} = "{value}"'
            break
    return "\n".join(lines) + "\n"


class Staff:
    """Edits the workbooks as people do (openpyxl, as a save from a spreadsheet app), and plays the
    outside world: the mail server going down, a file open in Excel, a broken file."""

    def __init__(self, folder: Path, server: SmtpServer):
        self.folder, self.server = folder, server
        self.saved_broken: bytes | None = None
        self.owner: Path | None = None
        self.edits = Counter()
        self.added = 0

    def __call__(self, serve: Serve, moment: datetime) -> None:
        self.world(moment)
        if moment.minute == 0 and moment.hour in (10, 15) and serve.calendar.is_workday(moment.date()):
            self.work(moment)

    def world(self, moment: datetime) -> None:
        up = self.server.controller is not None
        if SMTP_DOWN[0] <= moment < SMTP_DOWN[1] and up:
            self.server.stop()
        elif not (SMTP_DOWN[0] <= moment < SMTP_DOWN[1]) and not up:
            self.server.start()
        handler = self.server.handler
        if REFUSING[0] <= moment < REFUSING[1]:
            handler.refuse[REFUSED] = "550 5.1.1 mailbox unavailable"
            handler.defer.setdefault(DEFERRED, "451 4.7.1 greylisted, try again")
        else:
            handler.refuse.pop(REFUSED, None)
        tasks = self.folder / TASKS
        if OPEN_IN_EXCEL[0] <= moment < OPEN_IN_EXCEL[1] and self.owner is None:
            self.owner = owner_file(tasks, "李娜")
        elif moment >= OPEN_IN_EXCEL[1] and self.owner is not None:
            self.owner.unlink()
            self.owner = None
        broken = self.folder / PROJECTS
        if BROKEN[0] <= moment < BROKEN[1] and self.saved_broken is None:
            self.saved_broken = broken.read_bytes()
            broken.write_bytes(b"PK\x03\x04 this is not a workbook any more" * 10)
        elif moment >= BROKEN[1] and self.saved_broken is not None:
            broken.write_bytes(self.saved_broken)
            self.saved_broken = None

    def work(self, moment: datetime) -> None:
        if self.owner is None:                      # the task workbook is closed: edit it
            self._tasks(moment)
        self._requests(moment)

    def _tasks(self, moment: datetime) -> None:
        path = self.folder / TASKS
        book = openpyxl.load_workbook(path)
        sheet = book[KINDS["tasks"].sheet("zh")]
        keys = [c.key for c in KINDS["tasks"].columns]
        col = {k: keys.index(k) + 1 for k in keys}
        rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col["task"]).value]
        open_rows = [r for r in rows if sheet.cell(r, col["status"]).value not in ("已完成", "已取消")]
        if moment.hour == 10 and open_rows:          # someone finishes a task
            r = open_rows[0]
            sheet.cell(r, col["status"]).value = "已完成"
            sheet.cell(r, col["progress"]).value = 1
            sheet.cell(r, col["last_update"]).value = moment.replace(tzinfo=None)
            self.edits["completed"] += 1
        else:                                        # a new task, due in a few days (some will be late)
            r = (rows[-1] if rows else 1) + 1
            self.added += 1
            values = {"task": f"新任务 {self.added}", "project": "浸泡测试", "initiator": "张伟", "owner": "刘洋",
                      "department": "产品部", "priority": "高", "due": (moment + timedelta(days=3)).replace(tzinfo=None),
                      "progress": 0, "status": "进行中", "last_update": moment.replace(tzinfo=None)}
            for key, value in values.items():
                sheet.cell(r, col[key]).value = value
            self.edits["added"] += 1
        book.save(path)

    def _requests(self, moment: datetime) -> None:
        path = self.folder / REQUESTS
        book = openpyxl.load_workbook(path)
        sheet = book[KINDS["requests"].sheet("zh")]
        keys = [c.key for c in KINDS["requests"].columns]
        col = {k: keys.index(k) + 1 for k in keys}
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(r, col["request"]).value and not sheet.cell(r, col["acknowledged"]).value:
                sheet.cell(r, col["acknowledged"]).value = moment.replace(tzinfo=None)
                self.edits["acknowledged"] += 1
                book.save(path)
                return
        r = sheet.max_row + 1                        # nothing to acknowledge: a new request comes in
        values = {"request": f"协助需求 {r}", "from_dept": "市场部", "requester": "张伟", "to_dept": "研发部",
                  "receiver": "马超", "priority": "中", "submitted": moment.replace(tzinfo=None),
                  "wanted_by": (moment + timedelta(days=5)).replace(tzinfo=None), "status": "待确认"}
        for key, value in values.items():
            sheet.cell(r, col[key]).value = value
        self.edits["requested"] += 1
        book.save(path)


@pytest.mark.slow
def test_thirty_days_of_serve(tmp_path):
    folder = tmp_path / "share"
    init_folder(folder, lang="zh", demo=True, force=False, today=START.date(), now=START)
    server = SmtpServer().start()
    try:
        settings = _settings(folder, server)
        staff = Staff(folder, server)
        log = io.StringIO()
        first = Serve(folder, settings, start=START, until=STOPPED[0], hook=staff, stream=log)
        assert first.run() == 0
        assert not (folder / ".duban" / "serve.lock").exists()
        second = Serve(folder, settings, start=STOPPED[1], until=END, hook=staff, stream=log)
        assert second.run() == 0
    finally:
        server.stop()
    db = folder / ".duban" / "state.db"
    calendar = calendar_from(settings)
    output = log.getvalue()
    with Runs(db, TZ, read_only=True) as state:     # what `duban status` reads
        all_runs, skips = state.all(), state.skips()
    with MailQueue(db, read_only=True) as mail:     # what `duban outbox --status` lists
        queue = mail.entries()

    # ---- every run recorded ----------------------------------------------------------------------
    ran = {(r.job, r.scheduled): r.result for r in all_runs if r.started is not None}
    for spec in specs(settings):
        for window in ((START - timedelta(seconds=1), STOPPED[0]), (STOPPED[1], END)):
            for slot in spec.slots(*window, calendar):
                assert (spec.job, slot) in ran, (spec.job, slot)
    assert set(ran.values()) == {"ok"}, Counter(ran.values())
    assert all(r.finished is not None for r in all_runs if r.started is not None)
    skipped = [(r.job, r.as_json()["error"]) for r in all_runs if r.result == "skipped"]   # a missed run, said
    assert {job for job, _ in skipped} == {"check", "alert", "remind"}     # the two days stopped
    remind_skip = next(e for j, e in skipped if j == "remind")
    assert "missed 1" in remind_skip and "caught up by the run of 2026-11-20 09:00" in remind_skip
    assert (("remind", datetime(2026, 11, 20, 9, 0, tzinfo=TZ)) in ran)       # caught up at 12:00

    # ---- mail: one digest per recipient per working day, none twice, none lost -------------------
    # what the mailboxes got: a digest is "【督办】您有…" / "[duban] You have…", dated in its subject
    inbox = {r.message["Message-ID"]: r.message for r in server.received}
    digests = Counter((message["To"].addresses[0].addr_spec, m.group(1)) for message in inbox.values()
                      if (m := DIGEST.match(str(message["Subject"]))))
    assert digests and max(digests.values()) == 1, [k for k, n in digests.items() if n > 1][:3]
    digest_days = {day for _address, day in digests}
    served_workdays = {d.date().isoformat() for d in specs(settings)[2].slots(START, END, calendar)
                       if not (STOPPED[0] <= d < STOPPED[1])} | {"2026-11-20"}     # 11-20: caught up at 12:00
    assert digest_days == served_workdays
    received = Counter((r.message["Message-ID"], rcpt.lower()) for r in server.received for rcpt in r.rcpt_tos)
    assert received and max(received.values()) == 1, [k for k, n in received.items() if n > 1][:3]
    clerk_read = " ".join(_text(r.message) for r in server.delivered_to(CLERK_ADDRESS))
    for queued in queue:
        if queued.status == "sent":
            continue
        if queued.status in ("failed", "given_up"):     # the clerks read which mail did not go, and to whom
            assert queued.kind == "problems" or all(a in clerk_read for a in queued.recipients), queued
        else:       # still waiting: only mail held for the morning after the last slot
            assert queued.next_attempt > END - timedelta(days=1), queued
    refused = [q for q in queue if q.status == "failed" and REFUSED in q.recipients]
    assert refused, "the refused recipient's copy is failed and reported"
    assert server.delivered_to(DEFERRED), "the deferred recipient got the mail later"
    late = [r for r in server.received if r.message["Date"] and
            SMTP_DOWN[0] <= parsedate_to_datetime(r.message["Date"]).astimezone(TZ) < SMTP_DOWN[1]]
    assert late, "mail queued while the server was down went out when it came back"

    # ---- skipped writes done later ---------------------------------------------------------------
    assert skips == []
    skipped_at = [r.scheduled for r in all_runs if r.job == "check" and r.started is not None
                  and TASKS in r.detail.get("skipped", {})]
    assert skipped_at and min(skipped_at) >= OPEN_IN_EXCEL[0] and max(skipped_at) < OPEN_IN_EXCEL[1]
    assert staff.edits["completed"] and staff.edits["added"] and staff.edits["acknowledged"]

    # ---- the admins: told once about the broken workbook (and about the rest, once a day) --------
    admin = [(parsedate_to_datetime(r.message["Date"]).astimezone(TZ).date().isoformat(), _text(r.message))
             for r in server.delivered_to(ADMIN_ADDRESS) if "服务" in str(r.message["Subject"])]
    broken = [day for day, text in admin if f"{PROJECTS}：" in text]
    assert broken == ["2026-11-24"]
    assert any(day == "2026-11-06" and f"{TASKS} 自 " in text and "一直无法写入" in text for day, text in admin)
    assert any("邮件队列中有" in text for _day, text in admin)
    assert len(admin) == len(set(admin))
    admin_mail = [r for r in server.delivered_to(ADMIN_ADDRESS) if PROJECTS in r.message["Subject"]
                  and "serve" in r.message["Subject"] or "服务" in r.message["Subject"]
                  and PROJECTS in r.message["Subject"]]
    assert len(admin_mail) == 1

    # ---- the state database stays small ----------------------------------------------------------
    runs = Counter(r.result for r in all_runs)
    assert db.stat().st_size < 50 * 1024 * 1024
    assert "duban serve stopped" in output
    print(f"\nsoak: runs {dict(runs)}; digests {len(digests)} on {len(digest_days)} days; "
          f"mails received {sum(received.values())}; queue {Counter(q.status for q in queue)}; "
          f"admins told {len(admin)}; checks skipped (open in Excel) {len(skipped_at)}; "
          f"state.db {db.stat().st_size / 1e6:.1f} MB")


def _text(message) -> str:
    """A mail as its reader reads it: the plain-text body, lines joined."""
    return " ".join(message.get_body(("plain",)).get_content().split())
