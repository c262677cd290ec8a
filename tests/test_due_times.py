"""A deadline with a time of day (an incident's 预计完成时间 15:20) is overdue once that time has
passed, not the next day (issue 17, point 5). Rules are pure: a fixed clock, no I/O here
except the one check of a real workbook at the end."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from books import cli
from duban.jobs.rules import Context, deadlines, evaluate
from duban.jobs.settings import config
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.records import make_record

TZ = ZoneInfo("Asia/Shanghai")
RULES = config.load().rules
CAL = WorkCalendar()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def ctx(now: datetime) -> Context:
    return Context(now, CAL, RULES)


def incident(eta, **values):
    base = {"type": "system", "reporter": "张伟", "occurred": datetime(2026, 11, 24, 9, 0), "description": "系统宕机",
            "responder": "李娜", "responded": datetime(2026, 11, 24, 9, 5), "report_filed": datetime(2026, 11, 24, 11),
            "status": "in_progress", "eta": eta}
    return make_record(KINDS["incidents"], 5, {**base, **values})


ETA = datetime(2026, 11, 24, 15, 20)        # a Tuesday


def test_an_eta_passed_today_is_overdue_in_hours_not_due_today():
    flags = evaluate(incident(ETA), ctx(at(2026, 11, 24, 23, 36)))
    assert [f.rule for f in flags] == ["overdue"]
    assert (flags[0].zh, flags[0].en, flags[0].deadline) == ("逾期8小时", "8 hours overdue", ETA)


def test_less_than_an_hour_late_counts_minutes_and_one_is_singular():
    assert deadlines.overdue(incident(ETA), ctx(at(2026, 11, 24, 15, 20))) is None     # at the minute: not yet
    flag = deadlines.overdue(incident(ETA), ctx(at(2026, 11, 24, 15, 45)))
    assert (flag.zh, flag.en) == ("逾期25分钟", "25 minutes overdue")
    assert deadlines.overdue(incident(ETA), ctx(at(2026, 11, 24, 16, 21))).en == "1 hour overdue"


def test_over_a_day_late_counts_days_as_a_date_deadline_does():
    flag = deadlines.overdue(incident(ETA), ctx(at(2026, 11, 26, 9, 0)))
    assert (flag.zh, flag.en) == ("逾期2天", "2 days overdue")
    # late overnight, under 24 hours: hours, not "1 day"
    assert deadlines.overdue(incident(ETA), ctx(at(2026, 11, 25, 9, 0))).zh == "逾期17小时"


def test_before_the_time_it_is_due_today_at_that_time():
    flag = deadlines.due_soon(incident(ETA), ctx(at(2026, 11, 24, 10, 0)))
    assert (flag.zh, flag.en) == ("今天15:20到期", "due today at 15:20")
    assert deadlines.overdue(incident(ETA), ctx(at(2026, 11, 24, 10, 0))) is None
    assert deadlines.due_soon(incident(ETA), ctx(at(2026, 11, 24, 15, 21))) is None


def test_a_date_alone_in_a_date_time_column_means_the_whole_day():
    day_only = datetime(2026, 11, 24)       # typed 11月24日: read as midnight, meant as the day
    assert deadlines.overdue(incident(day_only), ctx(at(2026, 11, 24, 23, 36))) is None
    assert deadlines.due_soon(incident(day_only), ctx(at(2026, 11, 24, 23, 36))).zh == "今天到期"
    assert deadlines.overdue(incident(day_only), ctx(at(2026, 11, 25, 0, 1))).zh == "逾期1天"


def test_date_columns_are_unchanged():
    task = make_record(KINDS["tasks"], 5, {"task": "x", "owner": "张伟", "status": "in_progress",
                                           "due": date(2026, 11, 24)})
    assert deadlines.overdue(task, ctx(at(2026, 11, 24, 23, 59))) is None
    assert deadlines.due_soon(task, ctx(at(2026, 11, 24, 23, 59))).zh == "今天到期"


def test_escalation_still_counts_working_days_from_the_day():
    assert deadlines.escalated(incident(ETA), ctx(at(2026, 11, 24, 23, 36))) is None
    assert deadlines.escalated(incident(ETA), ctx(at(2026, 11, 27, 9, 0))).rule == "escalated"


@pytest.mark.slow
def test_check_paints_a_passed_eta_red_the_same_evening(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    path = write_workbook("incidents", folder / "紧急事务响应表.xlsx")
    book = load_workbook(path)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    row = {"类型": "系统故障", "发起人": "张伟", "发生时间": datetime(2026, 11, 24, 9, 0), "事务描述(含影响范围)": "系统宕机",
           "响应人": "李娜", "响应时间": datetime(2026, 11, 24, 9, 5), "预计完成时间": "11月24日15:20",
           "报告提交时间": datetime(2026, 11, 24, 11, 0), "状态": "处理中"}
    for name, value in row.items():
        sheet.cell(row=2, column=headers.index(name) + 1, value=value)
    book.save(path)
    assert cli("check", str(folder), "--now", "2026-11-24T23:36").returncode == 0
    sheet = load_workbook(path).worksheets[0]
    alerts = sheet.cell(row=2, column=headers.index("系统提示") + 1).value
    status = sheet.cell(row=2, column=headers.index("状态") + 1)
    assert alerts == "逾期8小时"
    assert status.fill.fgColor.rgb.endswith("FFC7CE")       # red (Excel "Bad"), not amber


def test_the_templates_own_colouring_turns_a_passed_eta_red_between_checks():
    from duban.workbooks.make.template import status_colour_rules
    [(incident_rule, colour), *_] = status_colour_rules(KINDS["incidents"])
    assert colour == "red" and "<NOW()" in incident_rule and "MOD(" in incident_rule
    [(task_rule, _), *_] = status_colour_rules(KINDS["tasks"])
    assert "NOW()" not in task_rule and "<TODAY()" in task_rule       # a date column: the day
