"""Each rule at its edges, with a fixed clock and the China calendar (no I/O)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.rules import Context, RowHistory, customers, deadlines, evaluate, progress, sla
from duban.jobs.settings import config
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.records import make_record

TZ = ZoneInfo("Asia/Shanghai")
RULES = config.load().rules
CAL = WorkCalendar()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def ctx(now: datetime, history=None, problems=None) -> Context:
    return Context(now, CAL, RULES, history=lambda r: history, problems=lambda r: problems or [])


def task(**values):
    base = {"task": "推广素材制作", "owner": "张伟", "status": "in_progress"}
    return make_record(KINDS["tasks"], 5, {**base, **values})


# ---- overdue / due soon --------------------------------------------------------------------
def test_overdue_starts_the_day_after_the_due_date():
    rec = task(due=date(2026, 11, 23))
    assert deadlines.overdue(rec, ctx(at(2026, 11, 23, 23, 59))) is None
    flag = deadlines.overdue(rec, ctx(at(2026, 11, 26, 0, 1)))
    assert (flag.zh, flag.en, flag.people) == ("逾期3天", "3 days overdue", ("张伟",))
    assert deadlines.overdue(task(due=date(2026, 11, 22)), ctx(at(2026, 11, 23, 9))).en == "1 day overdue"


def test_done_is_never_overdue():
    assert deadlines.overdue(task(due=date(2026, 11, 1), status="done"), ctx(at(2026, 11, 23, 9))) is None


def test_due_soon_counts_working_days_across_a_weekend():
    friday = at(2026, 11, 20, 10)
    assert deadlines.due_soon(task(due=date(2026, 11, 24)), ctx(friday)).zh == "2个工作日后到期"  # Mon, Tue
    assert deadlines.due_soon(task(due=date(2026, 11, 25)), ctx(friday)) is None              # 3 working days
    assert deadlines.due_soon(task(due=date(2026, 11, 20)), ctx(friday)).en == "due today"


def test_due_soon_skips_the_national_day_holiday():
    # 2026-09-30 (Wed) -> Oct 1-7 are holidays, so a due date of Oct 8 is 1 working day away
    flag = deadlines.due_soon(task(due=date(2026, 10, 8)), ctx(at(2026, 9, 30, 10)))
    assert flag is not None and flag.en == "due in 1 working day"


def test_escalation_after_three_working_days_overdue():
    due = date(2026, 11, 18)  # Wednesday; Thu, Fri, Mon are 3 working days
    assert deadlines.escalated(task(due=due), ctx(at(2026, 11, 20, 9))) is None
    assert deadlines.escalated(task(due=due), ctx(at(2026, 11, 23, 9))).rule == "escalated"


def test_escalation_of_a_row_blocked_for_three_working_days_uses_the_journal():
    rec = task(due=date(2026, 12, 31), status="blocked")
    since = RowHistory(status_since=at(2026, 11, 19, 15))
    assert deadlines.escalated(rec, ctx(at(2026, 11, 23, 9), since)) is None       # Fri, Mon = 2
    assert deadlines.escalated(rec, ctx(at(2026, 11, 24, 9), since)).zh == "阻塞已满3个工作日，已升级"
    assert deadlines.escalated(rec, ctx(at(2026, 11, 24, 9), None)) is None         # no history yet


# ---- blocked / stale / done ------------------------------------------------------------------
def test_blocked_by_status_or_by_help_needed():
    now = ctx(at(2026, 11, 23, 9))
    assert progress.blocked(task(status="blocked"), now).zh == "阻塞"
    assert progress.blocked(task(help_from="财务部"), now).zh == "阻塞，需财务部协助"
    assert progress.blocked(task(help_from="财务部", status="done"), now) is None
    assert progress.blocked(task(), now) is None


def test_stale_edges_around_friday_17_00():
    rec = task(due=date(2026, 12, 31), last_update=date(2026, 11, 19))  # updated Thursday
    assert progress.stale(rec, ctx(at(2026, 11, 20, 16, 59))) is None    # before the deadline: last week's applies
    flag = progress.stale(rec, ctx(at(2026, 11, 20, 17, 1)))
    assert flag is not None and "11-20 17:00" in flag.zh
    assert progress.stale(task(last_update=date(2026, 11, 20)), ctx(at(2026, 11, 23, 9))) is None


def test_stale_uses_the_journal_when_last_update_is_blank():
    rec = task(due=date(2026, 12, 31))
    old = RowHistory(first_seen=at(2026, 11, 1, 9), last_changed=at(2026, 11, 18, 9))
    new = RowHistory(first_seen=at(2026, 11, 21, 9), last_changed=at(2026, 11, 21, 9))
    assert progress.stale(rec, ctx(at(2026, 11, 23, 9), old)).rule == "stale"
    assert progress.stale(rec, ctx(at(2026, 11, 23, 9), new)) is None


def test_stale_by_last_update_even_when_the_journal_first_saw_the_row_recently():
    """The second run after installing duban must not forget rows whose 反馈时间 is weeks old."""
    rec = task(due=date(2026, 12, 31), last_update=date(2026, 11, 2))
    seen_yesterday = RowHistory(first_seen=at(2026, 11, 22, 9), last_changed=at(2026, 11, 22, 9))
    assert progress.stale(rec, ctx(at(2026, 11, 23, 9), seen_yesterday)).rule == "stale"


# ---- requests: working hours vs wall-clock hours ------------------------------------------------
def request(**values):
    base = {"request": "提供Q3预算", "from_dept": "市场部", "requester": "王芳", "to_dept": "财务部",
            "receiver": "李娜", "status": "pending"}
    return make_record(KINDS["requests"], 3, {**base, **values})


def test_acknowledgement_counts_office_hours_only():
    rec = request(submitted=datetime(2026, 11, 20, 17, 0))  # Friday 17:00: 1 h Fri + 1 h Mon
    assert sla.not_acknowledged(rec, ctx(at(2026, 11, 21, 12))) is None       # Saturday
    assert sla.not_acknowledged(rec, ctx(at(2026, 11, 23, 9, 59))) is None
    flag = sla.not_acknowledged(rec, ctx(at(2026, 11, 23, 10, 1)))
    assert (flag.zh, flag.people) == ("超2工作小时未确认接收", ("李娜",))


def test_acknowledgement_across_a_make_up_working_day():
    # 2026-10-10 is a Saturday worked in lieu of the National Day holiday
    rec = request(submitted=datetime(2026, 10, 10, 16, 30))
    assert sla.not_acknowledged(rec, ctx(at(2026, 10, 10, 18, 0))) is None     # 1.5 h so far
    assert sla.not_acknowledged(rec, ctx(at(2026, 10, 12, 9, 31))) is not None  # Sunday skipped


def test_acknowledged_request_is_not_flagged():
    rec = request(submitted=datetime(2026, 11, 20, 9), acknowledged=datetime(2026, 11, 20, 10))
    assert sla.not_acknowledged(rec, ctx(at(2026, 11, 23, 12))) is None


def test_first_plan_counts_wall_clock_hours():
    rec = request(submitted=datetime(2026, 11, 20, 17, 0), acknowledged=datetime(2026, 11, 20, 17, 30))
    assert sla.no_first_plan(rec, ctx(at(2026, 11, 21, 16, 59))) is None
    assert sla.no_first_plan(rec, ctx(at(2026, 11, 21, 17, 1))).en == "no first plan within 24 hours"


# ---- incidents and meetings ---------------------------------------------------------------------
def incident(**values):
    base = {"reporter": "陈静", "occurred": datetime(2026, 11, 23, 2, 0), "description": "官网宕机",
            "responder": "黄强", "status": "awaiting"}
    return make_record(KINDS["incidents"], 2, {**base, **values})


def test_incident_unanswered_after_ten_minutes_even_at_night():
    assert sla.incident_unanswered(incident(), ctx(at(2026, 11, 23, 2, 10))) is None
    flag = sla.incident_unanswered(incident(), ctx(at(2026, 11, 23, 2, 11)))
    assert flag.type.urgent and flag.people == ("黄强",)
    assert sla.incident_unanswered(incident(responded=datetime(2026, 11, 23, 2, 5)), ctx(at(2026, 11, 23, 3))) is None


def test_incident_report_late_after_24_hours():
    rec = incident(responded=datetime(2026, 11, 23, 2, 5), status="resolved")
    assert sla.incident_report_late(rec, ctx(at(2026, 11, 24, 1, 59))) is None
    assert sla.incident_report_late(rec, ctx(at(2026, 11, 24, 2, 1))).rule == "incident_report_late"


def test_minutes_late_two_hours_after_the_meeting_goes_to_the_recorder():
    rec = make_record(KINDS["meetings"], 2, {"meeting": "Q3协调会", "held_at": datetime(2026, 11, 23, 10),
                                              "recorder": "吴婷", "action": "出方案", "owner": "张伟",
                                              "due": date(2026, 11, 30), "status": "not_started"})
    assert sla.minutes_late(rec, ctx(at(2026, 11, 23, 12, 0))) is None
    flag = sla.minutes_late(rec, ctx(at(2026, 11, 23, 12, 1)))
    assert (flag.zh, flag.people) == ("会议开始后超2小时未发出纪要", ("吴婷",))


# ---- customers ------------------------------------------------------------------------------------
def customer(**values):
    return make_record(KINDS["customers"], 2, {"customer": "华东某集团", "manager": "孙丽", **values})


@pytest.mark.parametrize("purchases, level", [(650, "strategic"), (500, "strategic"), (499, "key"), (100, "key"),
                                              (99, "regular"), (None, "regular")])
def test_tier_derived_from_purchases(purchases, level):
    assert customers.tier(customer(purchases=purchases), RULES) == level


def test_customer_cadence_by_tier():
    now = ctx(at(2026, 11, 23, 9))
    assert customers.customer_followup_late(customer(tier="strategic", last_contact=date(2026, 11, 16)), now) is None
    flag = customers.customer_followup_late(customer(tier="strategic", last_contact=date(2026, 11, 15)), now)
    assert flag.zh == "战略客户已8天未沟通（周期7天）"
    assert customers.customer_followup_late(customer(purchases=50, last_contact=date(2026, 11, 1)), now) is None
    missed = customers.customer_followup_late(customer(last_contact=date(2026, 11, 20), next_visit=date(2026, 11, 22)), now)
    assert missed.en == "follow-up visit 11-22 missed"


# ---- evaluate ---------------------------------------------------------------------------------------
def test_evaluate_orders_flags_most_severe_first():
    rec = task(due=date(2026, 11, 10), status="blocked", last_update=date(2026, 11, 1))
    flags = evaluate(rec, ctx(at(2026, 11, 23, 9)))
    assert [f.rule for f in flags] == ["escalated", "overdue", "blocked", "stale"]


def test_done_row_gets_only_the_green_flag():
    rec = task(due=date(2026, 11, 10), status="done", progress=1.0, last_update=date(2026, 11, 1))
    assert [f.rule for f in evaluate(rec, ctx(at(2026, 11, 23, 9)))] == ["done"]


# ---- data problems: the Alerts cell says what validate knows ---------------------------------------
def _problem(code, column=None, value=None, **params):
    from duban.workbooks.model.kinds import KINDS as K
    from duban.workbooks.model.problems import Problem
    if column:
        col = K["tasks"].column(column)
        params.setdefault("column", {"zh": col.zh, "en": col.en})
    return Problem(code, "/x/任务跟进表.xlsx", "任务跟进表", "I5", 5, column, value, params)


def _alerts(*problems):
    flag = progress.data_problem(task(), ctx(at(2026, 11, 23, 9), problems=list(problems)))
    return flag.zh, flag.en


def test_data_problem_alert_says_what_is_wrong_in_both_languages():
    bad_date = _problem("bad-date", "due", "11月31日", example="2026-11-30")
    assert _alerts(bad_date) == ("截止日期“11月31日”不是有效日期", 'Due "11月31日" is not a date')
    mismatch = _problem("status-progress-mismatch", "status", "已完成",
                        status={"zh": "已完成", "en": "Done"}, progress="50%")
    assert _alerts(mismatch) == ("状态为“已完成”但进度为 50%", 'status is "Done" but progress is 50%')
    empty = _problem("required-empty", "owner")
    assert _alerts(empty) == ("“负责人”为必填项，目前为空", '"Owner" is required but empty')
    stranger = _problem("unknown-person", "owner", "李四")
    assert _alerts(stranger) == ("负责人：通讯录中没有“李四”", 'Owner "李四" is not in the directory')


def test_data_problem_alert_leaves_the_advice_to_the_problems_report_and_joins_several():
    choices = {"zh": "高、中、低", "en": "High, Medium, Low"}
    problems = [_problem("bad-date", "due", "11月31日", example="2026-11-30"),
                _problem("unknown-choice", "priority", "急", choices=choices)]
    zh, en = _alerts(*problems)
    assert zh == "截止日期“11月31日”不是有效日期；“急”不是“优先级”的可选值"
    assert en == 'Due "11月31日" is not a date; "急" is not a valid Priority'
    assert "请" not in zh and "Pick" not in en and "Write" not in en
    many = [_problem("bad-date", "due", f"{n}月99日", example="2026-11-30") for n in range(1, 7)]
    zh, en = _alerts(*many)
    assert zh.count("不是有效日期") == 3 and zh.endswith("等3处数据问题")
    assert en.endswith("and 3 more data problems")
    assert len(zh) < 80, "short enough to read in a cell"


def test_rules_apply_to_the_kinds_their_flag_types_declare():
    """One source: the flags a Guide sheet lists are the rules the check runs on that kind."""
    from duban.jobs.rules import rules_for
    from duban.workbooks.model.flags import flags_for
    for kind in KINDS.values():
        assert {r.__name__ for r in rules_for(kind)} == {f.code for f in flags_for(kind)}
    assert {f.code for f in flags_for(KINDS["raci"])} == {"data_problem"}
    assert {f.code for f in flags_for(KINDS["customers"])} == {"customer_followup_late", "data_problem"}
    assert "stale" not in {f.code for f in flags_for(KINDS["requests"])}
    assert "minutes_late" in {f.code for f in flags_for(KINDS["meetings"])}
