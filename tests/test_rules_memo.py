"""The rules' shortcuts (issue 22) against the plain evaluation: flags remembered per run by the cells
they read (Context.remembered), done rows skipping the rules that never fire on them, the
calendar's remembered answers. Many rows evaluated with one Context and one calendar must get
exactly the flags each row gets alone, with a fresh Context and calendar and every rule called."""
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from duban.jobs import rules
from duban.jobs.rules import Context, RowHistory, evaluate, rules_for
from duban.jobs.settings import config
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import make_record

TZ = ZoneInfo("Asia/Shanghai")
RULES = config.load().rules
DAYS = [date(2026, 9, 28) + timedelta(days=n) for n in range(0, 70, 3)]          # across the National Day week
MOMENTS = [datetime(2026, 10, 9, 9, tzinfo=TZ), datetime(2026, 10, 10, 17, 30, tzinfo=TZ),     # 10-10: a make-up Saturday
           datetime(2026, 11, 23, 9, tzinfo=TZ), datetime(2026, 11, 29, 23, 59, tzinfo=TZ)]
WHEN = st.one_of(st.none(), st.sampled_from(DAYS),
                 st.builds(lambda d, h: datetime.combine(d, datetime.min.time()) + timedelta(hours=h),
                           st.sampled_from(DAYS), st.sampled_from([0, 10, 15.5])))
HISTORY = st.one_of(st.none(), st.builds(
    lambda a, b: RowHistory(datetime.combine(a, datetime.min.time(), TZ), datetime.combine(b, datetime.min.time(), TZ),
                            datetime.combine(b, datetime.min.time(), TZ)), st.sampled_from(DAYS), st.sampled_from(DAYS)))


def _status(kind):
    return st.one_of(st.none(), st.sampled_from([c.key for c in kind.status_column.choices]))


def _row(kind_key):
    kind = KINDS[kind_key]
    people = st.sampled_from([None, "张伟", "王芳"])
    if kind_key == "tasks":
        values = st.fixed_dictionaries({"task": st.just("任务"), "owner": people, "status": _status(kind),
                                        "due": st.one_of(st.none(), st.sampled_from(DAYS)), "last_update": WHEN,
                                        "help_from": st.sampled_from([None, "研发部"])})
    elif kind_key == "requests":
        values = st.fixed_dictionaries({"request": st.just("需求"), "receiver": people, "requester": people,
                                        "status": _status(kind), "submitted": WHEN, "acknowledged": WHEN,
                                        "first_plan": WHEN, "wanted_by": st.one_of(st.none(), st.sampled_from(DAYS))})
    else:
        values = st.fixed_dictionaries({"type": st.just("outage"), "reporter": people, "responder": people,
                                        "status": _status(kind), "occurred": WHEN, "responded": WHEN, "eta": WHEN,
                                        "report_filed": WHEN})
    return st.tuples(values, HISTORY, st.booleans())


def _context(now, calendar, histories, problems, thresholds):
    return Context(now, calendar, thresholds, history=lambda rec: histories.get(rec.row),
                   problems=lambda rec: problems.get(rec.row, []))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind_key=st.sampled_from(["tasks", "requests", "incidents"]), now=st.sampled_from(MOMENTS),
       levels=st.sampled_from([1, 2]), offsets=st.sampled_from([[], [3, 0]]), data=st.data())
def test_remembered_flags_are_the_flags_each_row_gets_alone(kind_key, now, levels, offsets, data):
    kind = KINDS[kind_key]
    thresholds = replace(RULES, escalation_levels=levels, due_soon_offsets=offsets)
    rows = data.draw(st.lists(_row(kind_key), min_size=1, max_size=40))
    records = [make_record(kind, n + 2, values) for n, (values, _h, _p) in enumerate(rows)]
    histories = {n + 2: history for n, (_v, history, _p) in enumerate(rows)}
    problems = {n + 2: [Problem("bad-date", "t.xlsx", kind.sheet_zh, f"A{n + 2}", n + 2, "status", "x")]
                for n, (_v, _h, bad) in enumerate(rows) if bad}
    calendar, chosen = WorkCalendar(), rules_for(kind)
    later = now + timedelta(days=3, hours=5)
    for moment in (now, later, now):        # a Context per few rows (a workbook each), one calendar for all
        fast = []
        for start in range(0, len(records), 7):
            shared = _context(moment, calendar, histories, problems, thresholds)
            fast += [evaluate(rec, shared, chosen) for rec in records[start:start + 7]]
        for rec, found in zip(records, fast):
            alone = _context(moment, WorkCalendar(), histories, problems, thresholds)
            plain = sorted((flag for rule in chosen if (flag := rule.check(rec, alone))), key=lambda f: f.rank)
            assert found == plain, (moment, rec, found, plain)


def test_a_done_row_skips_only_the_rules_that_never_fire_on_one():
    done = make_record(KINDS["tasks"], 2, {"task": "任务", "owner": "张伟", "status": "done",
                                           "due": date(2026, 11, 1)})
    calls = []
    spy = rules.Rule(rules.RULES["overdue"].type, lambda rec, ctx: calls.append(rec) or None)
    ctx = Context(MOMENTS[2], WorkCalendar(), RULES)
    assert [f.rule for f in evaluate(done, ctx, [*rules_for(KINDS["tasks"]), spy])] == ["done"]
    assert calls == [done]                   # a rule not known to skip done rows is still asked
