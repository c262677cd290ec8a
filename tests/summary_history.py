"""A synthetic three-week history for the summary tests, with known answers.

Six real workbooks (tasks, requests, incidents, meetings, RACI, directory) are rewritten before
each `check` at simulated times from 2026-09-11 to 2026-09-30, as staff would edit them: tasks
done on time and late, a row that is new but already done, requests acknowledged across a
weekend with a make-up working Sunday (2026-09-20) and across the Mid-Autumn holiday (Friday
2026-09-25, which also makes that week end on Thursday 17:00), incidents answered in 4 and 25
minutes, meetings with minutes on time and late. Every row carries its ID from the start, so a
rewrite keeps each row's identity in the journal.

Weeks (Friday 17:00 update deadline; the calendar moves it to Thursday when Friday is a holiday):
  A  2026-09-11 17:00 → 2026-09-18 17:00
  B  2026-09-18 17:00 → 2026-09-24 17:00   (Friday 09-25 is Mid-Autumn)
  C  2026-09-24 17:00 → 2026-09-30 17:00   (Thursday 10-01 National Day; Wednesday ends the week)
"""
from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from duban.jobs.check import check_folder
from duban.jobs.settings import config
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.kinds import KINDS

TZ = ZoneInfo("Asia/Shanghai")
NAMES = ["张伟", "李娜", "郑浩", "孙丽", "王芳", "陈静"]
DEPTS = ["市场部", "研发部", "综合管理部"]
EMAIL = {"张伟": "zhang.wei", "李娜": "li.na", "郑浩": "zheng.hao", "孙丽": "sun.li", "王芳": "wang.fang",
         "陈静": "chen.jing"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def d(text: str) -> date:
    return date.fromisoformat(text)


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)     # naive: company time, as a cell holds it


def directory(lang_of_zheng: str = "en") -> list[dict]:
    rows = [("张伟", "市场部", "yes", "zh"), ("李娜", "市场部", "no", "zh"), ("郑浩", "研发部", "yes", lang_of_zheng),
            ("孙丽", "研发部", "no", "zh"), ("王芳", "综合管理部", "no", "zh"), ("陈静", "市场部", "no", "zh")]
    return [{"name": n, "department": dep, "email": f"{EMAIL[n]}@example.com", "dept_head": head, "language": lang}
            for n, dep, head, lang in rows]


def task(ident, name, owner, dept, due, status="in_progress", updated="2026-09-11", project=None, help_from=None):
    return {"id": ident, "task": name, "project": project, "owner": owner, "department": dept, "due": d(due),
            "status": status, "progress": 1.0 if status == "done" else 0.5, "last_update": d(updated),
            "help_from": help_from}


def request(ident, name, to_dept, receiver, submitted, acknowledged=None, first_plan=None, status="pending",
            from_dept="市场部", requester="张伟"):
    return {"id": ident, "request": name, "from_dept": from_dept, "requester": requester, "to_dept": to_dept,
            "receiver": receiver, "submitted": dt(submitted), "acknowledged": acknowledged and dt(acknowledged),
            "first_plan": first_plan and dt(first_plan), "status": status}


def incident(ident, what, dept, responder, occurred, responded=None, report=None, eta=None, status="in_progress"):
    return {"id": ident, "type": "complaint", "reporter": "王芳", "occurred": dt(occurred), "description": what,
            "department": dept, "responder": responder, "responded": responded and dt(responded),
            "report_filed": report and dt(report), "eta": eta and dt(eta), "status": status}


def action(ident, meeting, held, action_text, owner, due, minutes=None, status="in_progress"):
    return {"id": ident, "meeting": meeting, "held_at": dt(held), "host": "张伟", "recorder": "王芳",
            "minutes_sent": minutes and dt(minutes), "action": action_text, "owner": owner, "due": d(due),
            "status": status}


def baseline() -> dict[str, list[dict]]:
    """The workbooks at the first check (2026-09-11 10:00): rows there before duban."""
    return {
        "tasks": [
            task("T-000001", "官网改版", "孙丽", "研发部", "2026-09-16", project="新品发布"),
            task("T-000002", "发布会物料", "李娜", "市场部", "2026-09-15", project="新品发布"),
            task("T-000003", "竞品分析", "李娜", "市场部", "2026-09-30"),
            task("T-000004", "接口联调", "孙丽", "研发部", "2026-09-10", "blocked", "2026-09-17", "新品发布", "市场部"),
            task("T-000005", "旧任务归档", "李娜", "市场部", "2026-09-01", "done"),
        ],
        "requests": [request("R-000001", "历史需求", "研发部", "孙丽", "2026-08-20 10:00", "2026-08-20 11:00",
                             "2026-08-21 09:00", "done")],
        "incidents": [incident("I-000001", "八月客诉", "市场部", "李娜", "2026-08-25 10:00", "2026-08-25 10:05",
                               "2026-08-25 16:00", status="closed")],
        "meetings": [action("M-000001", "八月例会", "2026-08-20 10:00", "旧行动项", "李娜", "2026-08-28",
                            "2026-08-20 11:00", "done")],
        "raci": [{"id": "A-000001", "project": "新品发布", "task": "官网改版", "responsible": "孙丽", "accountable": "张伟",
                  "informed": "陈静"}],
        "directory": directory(),
    }


def find(rows: list[dict], ident: str) -> dict:
    return next(r for r in rows if r["id"] == ident)


# (check time, edit) in order; the week summaries run at Friday (Thursday) 17:30
def edits():
    def c1(b):      # Mon 09-14 10:00: a new task, a request acknowledged in 1 h, a new row already done
        b["tasks"] += [task("T-000006", "用户调研", "李娜", "市场部", "2026-09-23", updated="2026-09-18", project="新品发布"),
                       task("T-000008", "补录任务", "李娜", "市场部", "2026-09-12", "done")]
        b["requests"].append(request("R-000003", "活动页面需求", "市场部", "李娜", "2026-09-14 09:00", "2026-09-14 10:00",
                                     "2026-09-14 15:00", "in_progress", from_dept="研发部", requester="郑浩"))

    def c2(b):      # Tue 09-15 18:00: T2 done on its due day; a meeting with two actions, minutes in 1.5 h
        find(b["tasks"], "T-000002").update(status="done", progress=1.0, last_update=d("2026-09-15"))
        b["meetings"] += [action("M-000002", "新品发布协调会", "2026-09-15 14:00", "确认发布日期", "李娜", "2026-09-22",
                                 "2026-09-15 15:30"),
                          action("M-000003", "新品发布协调会", "2026-09-15 14:00", "准备演示环境", "孙丽", "2026-09-25",
                                 "2026-09-15 15:30")]

    def c3(b):      # Wed 09-16 10:30: an incident answered in 4 minutes
        b["incidents"].append(incident("I-000002", "官网宕机", "研发部", "孙丽", "2026-09-16 10:00", "2026-09-16 10:04",
                                       eta="2026-09-17 18:00"))

    def c4(b):      # Thu 09-17 10:00: T1 done a day late; the incident resolved before its ETA, report filed
        find(b["tasks"], "T-000001").update(status="done", progress=1.0, last_update=d("2026-09-17"))
        find(b["incidents"], "I-000002").update(status="resolved", report_filed=dt("2026-09-16 15:00"))

    def c5(b):      # Fri 09-18 16:45: a request submitted at 16:30, not yet acknowledged
        b["requests"].append(request("R-000002", "接口文档需求", "研发部", "孙丽", "2026-09-18 16:30"))

    def c6(b):      # Mon 09-21 10:00: acknowledged 09:30 (11 working hours: Sunday 09-20 is a make-up working day)
        find(b["requests"], "R-000002").update(acknowledged=dt("2026-09-21 09:30"), first_plan=dt("2026-09-19 10:00"),
                                               status="received")
        b["tasks"].append(task("T-000007", "渠道培训", "李娜", "市场部", "2026-09-21", updated="2026-09-21"))

    def c7(b):      # Tue 09-22 15:00: an incident answered in 25 minutes (no report); a meeting, minutes not sent yet
        b["incidents"].append(incident("I-000003", "客户投诉升级", "市场部", "李娜", "2026-09-22 14:00", "2026-09-22 14:25"))
        b["meetings"].append(action("M-000004", "周例会", "2026-09-22 10:00", "整理周报", "孙丽", "2026-09-29"))

    def c8(b):      # Wed 09-23 10:00: T6 done on its due day; minutes sent 23 h after the meeting; T3 blocked
        find(b["tasks"], "T-000006").update(status="done", progress=1.0, last_update=d("2026-09-23"))
        find(b["meetings"], "M-000004").update(minutes_sent=dt("2026-09-23 09:00"))
        find(b["tasks"], "T-000003").update(status="blocked", help_from="研发部", last_update=d("2026-09-23"))

    def c9(b):      # Thu 09-24 17:45: a request submitted at 17:30, the evening before the Mid-Autumn holiday
        b["requests"].append(request("R-000004", "数据导出需求", "研发部", "孙丽", "2026-09-24 17:30"))

    def c10(b):     # Mon 09-28 10:00: acknowledged 10:00 (1.5 working hours over the holiday); an action done late
        find(b["requests"], "R-000004").update(acknowledged=dt("2026-09-28 10:00"), first_plan=dt("2026-09-28 16:00"),
                                               status="received")
        find(b["meetings"], "M-000002").update(status="done")

    def c11(b):     # Tue 09-29 10:00: T4 unblocked and done, 19 days late
        find(b["tasks"], "T-000004").update(status="done", progress=1.0, help_from=None, last_update=d("2026-09-29"))

    return [("2026-09-14T10:00", c1), ("2026-09-15T18:00", c2), ("2026-09-16T10:30", c3), ("2026-09-17T10:00", c4),
            ("2026-09-18T16:45", c5), ("2026-09-21T10:00", c6), ("2026-09-22T15:00", c7), ("2026-09-23T10:00", c8),
            ("2026-09-24T17:45", c9), ("2026-09-28T10:00", c10), ("2026-09-29T10:00", c11)]


SUMMARIES = {"A": "2026-09-18T17:30", "B": "2026-09-24T17:30", "C": "2026-09-30T17:30"}


def settings(**mail) -> config.Settings:
    return config.load().changed(mail={"clerks": ["王芳"], "hold_outside_office_hours": False, **mail})


def write_all(folder: Path, books: dict[str, list[dict]]) -> None:
    for kind, rows in books.items():
        write_workbook(kind, folder / KINDS[kind].filename("zh"), lang="zh", rows=copy.deepcopy(rows), names=NAMES,
                       departments=DEPTS)


class History:
    """Plays the history into `folder`, calling `at_summary(label, now)` at each week's summary time."""

    def __init__(self, folder: Path, settings: dict):
        self.folder, self.settings = folder, settings
        self.books = baseline()

    def check(self, when: str) -> None:
        write_all(self.folder, self.books)
        check_folder(self.folder, self.settings, at(when))

    def play(self, at_summary=None, until: str = "C") -> None:
        self.check("2026-09-11T10:00")
        weeks = iter(SUMMARIES.items())
        label, summary_time = next(weeks)
        for when, edit in edits():
            while summary_time is not None and when > summary_time:
                if at_summary:
                    at_summary(label, at(summary_time))
                if label == until:
                    return
                label, summary_time = next(weeks, (None, None))
            edit(self.books)
            self.check(when)
        if summary_time is not None and at_summary:
            at_summary(label, at(summary_time))
