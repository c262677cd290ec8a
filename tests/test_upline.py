"""Issue 20: reminders N working days before (rules.due_soon_offsets) and escalation up the
reporting line (rules.escalation_levels), as pure rules over a real calendar, and as routing over
a directory with a three-level line, a circle and a head without a manager."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from duban.jobs.notify.escalation import Reach
from duban.jobs.notify.router import Raci, Router, Source, escalation_roles, plan
from duban.jobs.notify.upline import climb
from duban.jobs.rules import Context, RowHistory, deadlines
from duban.mailer.render import render
from duban.workbooks.model.directory import Directory, Person
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.records import WorkbookRead, make_record
from test_rules import CAL, RULES, at, task

OFFSETS = replace(RULES, due_soon_offsets=(3, 1, 0))
LEVELS = replace(RULES, escalation_levels=3, escalation_level_working_days=2)


def ctx(now, rules=RULES, history=None) -> Context:
    return Context(now, CAL, rules, history=lambda r: history)


def days(rec, rules, first: date, last: date) -> dict[date, tuple[str, bool] | None]:
    """The due_soon flag (its text and whether the mail goes) on each day from first to last."""
    out, day = {}, first
    while day <= last:
        flag = deadlines.due_soon(rec, ctx(at(day.year, day.month, day.day, 9), rules))
        out[day] = (flag.zh, flag.remind) if flag else None
        day = date.fromordinal(day.toordinal() + 1)
    return out


# ---- reminders N days before ---------------------------------------------------------------------
def test_offsets_over_a_weekend_mail_only_on_those_days_and_keep_the_cell_for_the_window():
    rec = task(due=date(2026, 11, 24))                      # Tuesday
    seen = days(rec, OFFSETS, date(2026, 11, 17), date(2026, 11, 25))
    assert seen[date(2026, 11, 18)] is None                          # Wed: 4 working days
    assert seen[date(2026, 11, 19)] == ("3个工作日后到期", True)       # Thu: 3 (the window stretches to it)
    assert seen[date(2026, 11, 20)] == ("2个工作日后到期", False)      # Fri: coloured, no mail
    assert seen[date(2026, 11, 23)] == ("1个工作日后到期", True)       # Mon: 1
    assert seen[date(2026, 11, 24)] == ("今天到期", True)
    assert seen[date(2026, 11, 25)] is None                          # never after the due date
    mailed = [d for d, f in seen.items() if f and f[1] and CAL.is_workday(d)]
    assert mailed == deadlines.reminder_days(date(2026, 11, 24), ctx(at(2026, 11, 17, 9), OFFSETS))


def test_without_offsets_every_day_of_the_window_is_a_reminder_day():
    seen = days(task(due=date(2026, 11, 24)), RULES, date(2026, 11, 18), date(2026, 11, 24))
    assert seen[date(2026, 11, 19)] is None and seen[date(2026, 11, 20)] == ("2个工作日后到期", True)
    assert all(f[1] for f in seen.values() if f)
    assert deadlines.reminder_days(date(2026, 11, 24), ctx(at(2026, 11, 17, 9))) == []


def test_offsets_across_the_national_day_and_a_due_date_on_a_sunday():
    # 2026: Oct 1-7 off, Sat Oct 10 a make-up working day, Sun Oct 11 off
    fri = task(due=date(2026, 10, 9))
    assert deadlines.reminder_days(date(2026, 10, 9), ctx(at(2026, 9, 1, 9), OFFSETS)) == [
        date(2026, 9, 29), date(2026, 10, 8), date(2026, 10, 9)]
    assert deadlines.due_soon(fri, ctx(at(2026, 9, 30, 9), OFFSETS)).remind is False      # 2 working days
    assert deadlines.due_soon(fri, ctx(at(2026, 9, 29, 9), OFFSETS)).zh == "3个工作日后到期"
    # due on a Sunday: "0" is the working Saturday before it, "1" the Friday
    assert deadlines.reminder_days(date(2026, 10, 11), ctx(at(2026, 9, 1, 9), OFFSETS)) == [
        date(2026, 9, 30), date(2026, 10, 9), date(2026, 10, 10)]


# ---- levels over time ----------------------------------------------------------------------------
def test_levels_go_up_every_two_working_days_and_stop_at_the_top():
    rec = task(due=date(2026, 11, 18))                        # Wed; level 1 after 3 working days (Mon 23)
    said = {d: deadlines.escalated(rec, ctx(at(2026, 11, d, 9), LEVELS)) for d in (20, 23, 24, 25, 27, 30)}
    assert said[20] is None
    assert (said[23].zh, said[23].level) == ("逾期已满3个工作日，已升级", 1)
    assert said[24].level == 1
    assert (said[25].zh, said[25].en, said[25].level) == (
        "逾期已满5个工作日，已升级至第2级", "overdue for 5 working days: escalated to level 2", 2)
    assert (said[27].zh, said[27].level) == ("逾期已满7个工作日，已升级至第3级", 3)
    assert said[30].level == 3                                 # escalation_levels = 3
    assert deadlines.escalated(rec, ctx(at(2026, 11, 30, 9))).zh == "逾期已满3个工作日，已升级"   # default: 1 level


def test_a_blocked_row_climbs_from_the_day_it_was_blocked_over_a_holiday():
    since = RowHistory(status_since=at(2026, 9, 28, 10))     # Mon; Tue, Wed, Thu Oct 8 = 3
    rec = task(due=date(2026, 12, 31), status="blocked")
    assert deadlines.escalated(rec, ctx(at(2026, 10, 8, 9), LEVELS, since)).level == 1
    assert deadlines.escalated(rec, ctx(at(2026, 10, 9, 9), LEVELS, since)).level == 1
    assert deadlines.escalated(rec, ctx(at(2026, 10, 10, 9), LEVELS, since)).zh == "阻塞已满5个工作日，已升级至第2级"


# ---- routing up the line -------------------------------------------------------------------------
def person(name, department, manager=None, head=False, email=True) -> Person:
    address = "".join(f"{ord(c):x}" for c in name) + "@example.cn"      # an address the mail channel takes
    return Person(name, department, address if email else None, head, manager, "zh")


def directory(*people: Person) -> Directory:
    return Directory({p.name: p for p in people})


LINE = directory(person("张伟", "研发部", "王强"), person("王强", "研发部", "李总", head=True),
                 person("李总", "总经办", "赵董"), person("赵董", "董事会"))
SOURCE = Path("研发部/任务.xlsx")


def routed(book: Directory, level: int) -> dict:
    return escalation_roles(task(due=date(2026, 11, 18)), Router(book), Raci(), level)


def test_each_level_adds_the_next_manager_with_why():
    assert routed(LINE, 1) == {"王强": (("department", "研发部"),)}
    assert routed(LINE, 2) == {"王强": (("department", "研发部"),), "李总": (("manager", "王强@研发部"),)}
    assert routed(LINE, 3)["赵董"] == (("manager", "李总"),)
    assert list(routed(LINE, 5)) == ["王强", "李总", "赵董"]        # the line ends at the top


def test_a_circle_and_a_missing_manager_end_the_line_without_a_loop():
    circle = directory(person("张伟", "研发部", "王强"), person("王强", "研发部", "李总", head=True),
                       person("李总", "总经办", "王强"))
    line = climb(circle, "研发部", 5)
    assert [s.person for s in line.steps] == ["李总"] and line.reached == 2
    assert [(g.kind, g.loop, g.level) for g in line.gaps] == [("manager-cycle", "王强 → 李总 → 王强", 3)]
    alone = directory(person("张伟", "研发部"), person("王强", "研发部", head=True))
    line = climb(alone, "研发部", 2)
    assert line.steps == [] and [(g.kind, g.people) for g in line.gaps] == [("no-manager", ("王强",))]
    selfish = directory(person("王强", "研发部", "王强", head=True))
    assert [g.kind for g in climb(selfish, "研发部", 2).gaps] == ["manager-cycle"]


def read_of(*records) -> WorkbookRead:
    return WorkbookRead(SOURCE, KINDS["tasks"], sheet="任务跟进", records=list(records))


@pytest.mark.parametrize("book, said, problem", [
    (directory(person("张伟", "研发部", "王强"), person("王强", "研发部", "李总", head=True),
               person("李总", "总经办", "王强")),
     "逾期已满7个工作日，已升级至第2级；通讯录中的直属上级构成循环：王强 → 李总 → 王强",
     "第5行已到第3级升级，但通讯录中的“直属上级”构成循环：王强 → 李总 → 王强，升级只到了第2级"),
    (directory(person("张伟", "研发部"), person("王强", "研发部", head=True)),
     "逾期已满7个工作日，已升级；通讯录中王强没有直属上级",
     "第5行已到第2级升级，应告知王强的直属上级，但通讯录中王强的“直属上级”为空，升级只到了第1级"),
])
def test_gaps_are_told_in_the_cell_and_to_the_clerks(book, said, problem):
    rec = task(due=date(2026, 11, 18))
    flag = deadlines.escalated(rec, ctx(at(2026, 11, 27, 9), LEVELS))
    flags = {5: [flag]}
    problems = Reach(book, Raci()).review(read_of(rec), flags)
    assert flags[5][0].zh == said and flags[5][0].level == 3
    assert [p.text("zh") for p in problems if p.code in ("manager-cycle", "no-manager")][0].startswith(problem)
    en = next(p.text("en") for p in problems if p.code in ("manager-cycle", "no-manager"))
    assert en.startswith("row 5: due for escalation level") and "directory" in en
    assert Reach(book, Raci()).reword(rec, flag).zh == said                     # explain says the same


def test_the_manager_gets_the_escalation_mail_saying_why():
    rec = task(due=date(2026, 11, 18))
    now = at(2026, 11, 25, 9)
    flags = {5: [deadlines.escalated(rec, ctx(now, LEVELS))]}
    notices = {n.recipient.name: n for n in plan([Source(str(SOURCE), read_of(rec), flags)], LINE, []).notices
               if n.kind == "escalation"}
    assert sorted(notices) == ["李总", "王强"]                     # level 2: not yet 赵董
    assert notices["李总"].items[0].level == 2
    zh = render(notices["李总"], "zh", now).text
    assert "您收到这一项，因为您是研发部负责人王强的直属上级（已升级至第2级）。" in zh
    en = render(notices["李总"], "en", now).text
    assert "you are the manager of 王强, head of 研发部 (escalated to level 2)" in en
    level1 = {5: [deadlines.escalated(rec, ctx(at(2026, 11, 24, 9), LEVELS))]}
    assert [n.recipient.name for n in plan([Source(str(SOURCE), read_of(rec), level1)], LINE, []).notices
            if n.kind == "escalation"] == ["王强"]


def test_a_due_soon_flag_on_an_off_day_is_in_no_digest():
    rec = task(due=date(2026, 11, 24))
    for day, mailed in ((20, False), (23, True)):
        flags = {5: [deadlines.due_soon(rec, ctx(at(2026, 11, day, 9), OFFSETS))]}
        digests = [n for n in plan([Source(str(SOURCE), read_of(rec), flags)], LINE, []).notices if n.kind == "digest"]
        assert bool(digests) is mailed


# ---- end to end: the demo over simulated days ----------------------------------------------------
DAYS = ("2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10",
        "2026-12-11")


@pytest.mark.slow
def test_demo_days_the_manager_hears_on_level_two_and_reminders_come_on_offset_days(tmp_path):
    """市场部's head 张伟 gets 杨帆 as 直属上级; 李娜's row due Thu 12-03 reaches level 1 on Tue 12-08
    (3 working days) and level 2 on Thu 12-10 (2 more); 刘洋's row due Tue 12-08 is mailed 3 working
    days before (Thu 12-03) and on the day, not on Fri 12-04 or Mon 12-07, while its cell stays amber."""
    import email
    import email.policy

    import openpyxl

    from test_cli import duban

    demo = tmp_path / "demo"
    assert duban("init", demo, "--demo").returncode == 0
    toml = demo / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("due_soon_offsets = []", "due_soon_offsets = [3, 0]")
                    .replace("escalation_levels = 1 ", "escalation_levels = 2 "), encoding="utf-8")
    book = openpyxl.load_workbook(demo / "通讯录.xlsx")
    sheet = book["通讯录"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "张伟")
    row[6].value = "杨帆"                                     # 直属上级
    book.save(demo / "通讯录.xlsx")
    told: dict[str, list[tuple[str, str, str]]] = {}
    seen: set = set()
    for day in DAYS:
        done = duban("remind", demo, "--now", f"{day}T09:30")
        assert done.returncode == 0, done.stdout + done.stderr
        for path in sorted(set((demo / "outbox").glob("*.eml")) - seen):
            seen.add(path)
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            told.setdefault(day, []).append((str(mail["To"]), mail["Subject"], mail.get_body(("plain",)).get_content()))
    up = "因为您是市场部负责人张伟的直属上级（已升级至第2级）"
    manager = [day for day, mails in told.items() for to, subject, text in mails if "杨帆" in to and up in text]
    assert manager == ["2026-12-10"], manager
    head = [day for day, mails in told.items() for to, subject, text in mails
            if "张伟" in to and "升级提醒" in subject and "李娜" in text]
    assert head and head[0] == "2026-12-08", head
    reminded = [day for day, mails in told.items() for to, subject, text in mails
                if "刘洋" in to and "新品核心卖点提炼" in text and day <= "2026-12-08"]
    assert reminded == ["2026-12-03", "2026-12-08"], reminded
    out = duban("explain", demo, _id(demo, "新品核心卖点提炼"), "--now", "2026-12-07T10:00").stdout
    line = next(x for x in out.splitlines() if "(due_soon)" in x)
    assert "1个工作日后到期" in line and "今天不发提醒邮件" in line and "2026-12-03、2026-12-08" in line, out
    out = duban("explain", demo, _id(demo, "李娜"), "--now", "2026-12-09T10:00").stdout
    line = next(x for x in out.splitlines() if "(escalated)" in x)
    assert "第1级（共2级），2026-12-10 升至第2级" in line, out


def _id(demo: Path, text: str) -> str:
    """The ID duban gave the task row whose title or owner is `text`."""
    import openpyxl
    sheet = openpyxl.load_workbook(demo / "任务跟进表.xlsx").worksheets[0]
    return next(r[0].value for r in sheet.iter_rows(min_row=2) if text in (r[1].value, r[4].value))


def test_an_away_manager_at_level_two_is_heard_through_the_stand_in():
    """Stand-ins are presence.py's (helper C): the level-2 escalation of an away 直属上级 goes to their
    代理人, with the absent manager in cc, saying why it reached the manager."""
    from duban.jobs.notify.presence import Presence

    away = replace(LINE.people["李总"], away_until=date(2026, 11, 30), stand_in="钱总")
    book = directory(*[away if p.name == "李总" else p for p in LINE.people.values()], person("钱总", "总经办"))
    rec = task(due=date(2026, 11, 18))
    now = at(2026, 11, 25, 9)
    flags = {5: [deadlines.escalated(rec, ctx(now, LEVELS))]}
    presence = Presence(book, now.date(), CAL, lambda d: None)
    notices = [n for n in plan([Source(str(SOURCE), read_of(rec), flags)], book, [], presence).notices
               if n.kind == "escalation"]
    stand_in = next(n for n in notices if n.recipient.name == "钱总")
    assert stand_in.on_behalf.name == "李总" and [p.name for p in stand_in.cc] == ["李总"]
    assert stand_in.items[0].why == (("manager", "王强@研发部"),) and stand_in.items[0].level == 2
    assert "李总" not in [n.recipient.name for n in notices]


def test_one_head_without_a_manager_is_one_problem_however_many_rows_and_levels_wait_on_them():
    """Rows at level 2 and at level 3, all stopped at 王强 (no 直属上级): the clerks read one line
    naming 王强 and every row, with one piece of advice (the lowest level that was not reached)."""
    book = directory(person("张伟", "研发部"), person("王强", "研发部", head=True))
    older = make_record(KINDS["tasks"], 5, {**task(due=date(2026, 11, 13)).values})
    newer = make_record(KINDS["tasks"], 6, {**task(due=date(2026, 11, 20)).values})
    now = ctx(at(2026, 11, 27, 9), LEVELS)
    flags = {5: [deadlines.escalated(older, now)], 6: [deadlines.escalated(newer, now)]}
    assert {flags[5][0].level, flags[6][0].level} == {2, 3}
    problems = [p for p in Reach(book, Raci()).review(read_of(older, newer), flags) if p.code == "no-manager"]
    assert len(problems) == 1 and problems[0].value == "王强"
    assert problems[0].text("zh").startswith("第5、6行已到第2级升级") and "escalation_levels 改为 1" in problems[0].text("zh")
