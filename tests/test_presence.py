"""Who hears what, and when (jobs/notify/presence.py): snooze (暂缓至) keeps a row out of every digest
until its day and nothing else; reminder modes (提醒方式: group only, weekly) shape the mail digest
and never an escalation or urgent alert; an away person's (休假至, 代理人) digests, alerts and
escalations go to their stand-in with them in cc, down a chain, and a broken chain is a problem
for the clerks while the notice stays with the absent person.

Pure routing: records made by hand (make_record), flags as the rules give them, a Directory."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from duban.jobs.notify import groups, router
from duban.jobs.notify.presence import Presence, first_workday_of_week, standing, with_stand_ins
from duban.jobs.rules import Flag
from duban.jobs.settings import config
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.directory import Directory, Person
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.records import WorkbookRead, make_record

TASKS = KINDS["tasks"]
MON, TUE = date(2026, 11, 23), date(2026, 11, 24)
DUE = date(2026, 11, 17)
CAL = WorkCalendar()


def person(name, department, head=False, **more) -> Person:
    return Person(name, department, f"u{sum(map(ord, name))}@example.com", head, None, "zh", **more)


def directory(*people: Person) -> Directory:
    return Directory({p.name: p for p in people})


STAFF = [person("张伟", "研发部"), person("李娜", "研发部", head=True), person("王芳", "财务部"),
         person("赵敏", "财务部", head=True), person("周杰", "市场部")]


def staff(**changed) -> Directory:
    """STAFF with some people's optional columns set: staff(张伟={"reminders": "weekly"})."""
    people = [Person(**{**p.__dict__, **changed.get(p.name, {})}) for p in STAFF]
    return directory(*people)


def row(n: int, owner: str = "张伟", **more):
    return make_record(TASKS, n, {"id": f"T-{n:06d}", "task": f"任务{n}", "owner": owner, "due": DUE,
                                  "status": "in_progress", **more})


def source(*rows_flags) -> router.Source:
    """A tasks workbook of (record, [flags]) pairs."""
    read = WorkbookRead(Path("任务跟进表.xlsx"), TASKS, "zh", TASKS.sheet("zh"), 1,
                        {c.key: j for j, c in enumerate(TASKS.columns)}, records=[r for r, _f in rows_flags])
    return router.Source("任务跟进表.xlsx", read, {r.row: flags for r, flags in rows_flags})


def overdue(*people) -> Flag:
    return Flag("overdue", "逾期6天", "6 days overdue", tuple(people), DUE)


def escalated(*people) -> Flag:
    return Flag("escalated", "逾期6天，已升级", "6 days overdue: escalated", tuple(people), DUE)


def blocked(*people) -> Flag:
    return Flag("blocked", "阻塞", "blocked", tuple(people))


def presence(found: Directory, today: date = MON, departments: dict | None = None) -> Presence:
    groups_of = departments or {}
    return Presence(found, today, CAL, lambda d: groups_of.get(d))


def plan(sources, found: Directory, today: date = MON, departments: dict | None = None) -> router.Plan:
    return router.plan(sources, found, [], presence(found, today, departments))


def digests(planned) -> dict[str, list[str]]:
    return {n.recipient.name: [i.key for i in n.items] for n in planned.of_kind("digest")}


def notices(planned, kind: str) -> list[tuple]:
    return sorted((n.recipient.name, [p.name for p in n.cc], n.on_behalf.name if n.on_behalf else None,
                   sorted(i.key for i in n.items)) for n in planned.of_kind(kind))


# ---- snooze ----------------------------------------------------------------------------------------
def test_a_snoozed_row_leaves_every_digest_until_its_day_and_is_back_on_the_day():
    found = staff()
    rows = source((row(2, snoozed=date(2026, 11, 25)), [overdue("张伟", "王芳")]), (row(3), [overdue("张伟")]))
    assert digests(plan([rows], found, MON)) == {"张伟": ["T-000003"]}             # 王芳 had only the snoozed one
    assert digests(plan([rows], found, date(2026, 11, 24))) == {"张伟": ["T-000003"]}
    assert digests(plan([rows], found, date(2026, 11, 25))) == {"张伟": ["T-000002", "T-000003"], "王芳": ["T-000002"]}
    # a snooze date long past, or a datetime: just a date
    rows = source((row(2, snoozed=datetime(2026, 11, 1, 8, 0)), [overdue("张伟")]))
    assert digests(plan([rows], found, MON)) == {"张伟": ["T-000002"]}
    # without presence (a caller that knows no day) nothing is held back
    assert digests(router.plan([source((row(2, snoozed=date(2027, 1, 1)), [overdue("张伟")]))], found, [])) == \
        {"张伟": ["T-000002"]}


def test_a_snoozed_row_still_escalates_and_still_alerts():
    found = staff()
    late = row(2, snoozed=date(2026, 12, 31), priority="high", status="blocked")
    rows = source((late, [overdue("张伟"), escalated("张伟"), blocked("张伟")]))
    planned = plan([rows], found)
    assert digests(planned) == {}
    assert notices(planned, "escalation") == [("李娜", [], None, ["T-000002"])]
    alerts = router.plan_alerts([rows], found, presence(found))
    assert notices(alerts, "alert") == sorted([("张伟", [], None, ["T-000002"]), ("李娜", [], None, ["T-000002"])])


def test_a_department_group_digest_leaves_out_a_snoozed_row_too():
    settings = config.load(values={"im": {"departments": {"研发部": "研发群"},
                                          "groups": {"研发群": {"platform": "wecom", "webhook_env": "X_RD"}}}})
    found = staff()
    rows = source((row(2, snoozed=date(2026, 11, 30)), [overdue("张伟")]), (row(3), [overdue("张伟")]))
    today = presence(found, MON, {"研发部": "研发群"})
    planned = router.plan([rows], found, [], today)
    [digest] = [n for n in groups.daily([rows], planned, found, settings, today) if n.kind == "digest"]
    assert [i.key for i in digest.items] == ["T-000003"]
    [digest] = [n for n in groups.daily([rows], planned, found, settings) if n.kind == "digest"]   # no day known
    assert [i.key for i in digest.items] == ["T-000002", "T-000003"]


# ---- reminder modes ----------------------------------------------------------------------------------
def test_weekly_mails_the_digest_on_the_first_working_day_of_the_week_only():
    found = staff(张伟={"reminders": "weekly"})
    rows = source((row(2), [overdue("张伟", "王芳")]))
    assert digests(plan([rows], found, MON)) == {"张伟": ["T-000002"], "王芳": ["T-000002"]}
    assert digests(plan([rows], found, TUE)) == {"王芳": ["T-000002"]}
    # National Day: Monday 2026-10-05 to Wednesday are holidays, Thursday is the week's first working day
    assert first_workday_of_week(date(2026, 10, 6), CAL) == date(2026, 10, 8)
    assert digests(plan([rows], found, date(2026, 10, 8))) == {"张伟": ["T-000002"], "王芳": ["T-000002"]}
    assert first_workday_of_week(date(2026, 11, 26), None) == MON


def test_group_only_drops_from_the_mail_what_the_persons_group_lists_and_keeps_the_rest():
    found = staff(王芳={"reminders": "group"})
    # 2: owned in 财务部 (its group lists it); 3: owned in 市场部, no group: still by mail
    rows = source((row(2, owner="王芳"), [overdue("王芳")]), (row(3, owner="周杰"), [overdue("周杰", "王芳")]))
    assert digests(plan([rows], found, departments={"财务部": "财务群"})) == {"周杰": ["T-000003"], "王芳": ["T-000003"]}
    # the row's group is not the person's own: still by mail
    assert digests(plan([rows], found, departments={"财务部": "财务群", "市场部": "市场群"})) == \
        {"周杰": ["T-000003"], "王芳": ["T-000003"]}
    # no group for their department: everything by mail, and the clerks are told
    today = presence(found, MON, {"研发部": "研发群"})
    assert digests(router.plan([rows], found, [], today)) == {"王芳": ["T-000002", "T-000003"], "周杰": ["T-000003"]}
    [problem] = today.problems()
    assert (problem.code, problem.value, problem.column) == ("reminders-no-group", "王芳", "reminders")
    assert problem.text("zh") == ("王芳的提醒方式是“仅群消息”，但 duban.toml 的 [im.departments] 没有为其部门“财务部”指定群，"
                                  "每日摘要仍以邮件发送。请在 [im.departments] 中为财务部指定群，或把提醒方式改为“邮件”。")
    assert "Give 财务部 a group in [im.departments]" in problem.text("en")


def test_escalations_and_urgent_alerts_cannot_be_muted():
    found = staff(李娜={"reminders": "weekly"}, 张伟={"reminders": "group"})
    late = row(2, priority="high", status="blocked")
    rows = source((late, [escalated("张伟"), blocked("张伟")]))
    planned = plan([rows], found, TUE, {"研发部": "研发群"})
    assert notices(planned, "escalation") == [("李娜", [], None, ["T-000002"])]
    alerts = router.plan_alerts([rows], found, presence(found, TUE, {"研发部": "研发群"}))
    assert sorted(n.recipient.name for n in alerts.notices) == ["张伟", "李娜"]


# ---- stand-ins -----------------------------------------------------------------------------------
AWAY = date(2026, 11, 27)


def test_an_away_persons_digest_and_alerts_go_to_the_stand_in_with_them_in_cc_until_they_are_back():
    found = staff(张伟={"away_until": AWAY, "stand_in": "周杰"})
    rows = source((row(2), [overdue("张伟")]), (row(3, owner="周杰"), [overdue("周杰")]))
    planned = plan([rows], found)
    assert notices(planned, "digest") == [("周杰", [], None, ["T-000003"]), ("周杰", ["张伟"], "张伟", ["T-000002"])]
    [for_him] = [n for n in planned.of_kind("digest") if n.on_behalf]
    assert for_him.on_behalf.away_until == AWAY and for_him.lang == "zh"
    assert "周杰" in planned.named and "张伟" in planned.named
    # the last day away still goes to the stand-in; the day after, back to 张伟
    assert ("周杰", ["张伟"], "张伟", ["T-000002"]) in notices(plan([rows], found, AWAY), "digest")
    assert notices(plan([rows], found, date(2026, 11, 30)), "digest") == \
        [("周杰", [], None, ["T-000003"]), ("张伟", [], None, ["T-000002"])]
    urgent = source((row(4, priority="high", status="blocked"), [blocked("张伟")]))
    assert notices(router.plan_alerts([urgent], found, presence(found)), "alert") == \
        [("周杰", ["张伟"], "张伟", ["T-000004"]), ("李娜", [], None, ["T-000004"])]


def test_an_escalation_to_an_away_head_goes_to_the_heads_stand_in():
    found = staff(李娜={"away_until": AWAY, "stand_in": "赵敏"})
    rows = source((row(2, initiator="王芳"), [escalated("张伟")]))
    assert notices(plan([rows], found), "escalation") == [("赵敏", ["李娜", "王芳"], "李娜", ["T-000002"])]
    # about the stand-in's own row: an escalation never goes to the person it is about
    found = staff(李娜={"away_until": AWAY, "stand_in": "张伟"})
    assert notices(plan([rows], found), "escalation") == [("李娜", ["王芳"], None, ["T-000002"])]


def test_a_stand_in_who_is_away_too_passes_it_on_to_the_first_one_present():
    found = staff(张伟={"away_until": AWAY, "stand_in": "周杰"}, 周杰={"away_until": AWAY, "stand_in": "王芳"})
    rows = source((row(2), [overdue("张伟")]))
    assert notices(plan([rows], found), "digest") == [("王芳", ["张伟"], "张伟", ["T-000002"])]
    assert standing(found, "张伟", MON).chain == ("张伟", "周杰")
    assert presence(found).problems() == []


def test_a_cycle_of_away_stand_ins_leaves_the_notice_with_the_absent_person_and_tells_the_clerks():
    found = staff(张伟={"away_until": AWAY, "stand_in": "周杰"}, 周杰={"away_until": AWAY, "stand_in": "张伟"})
    rows = source((row(2), [overdue("张伟")]), (row(3, owner="周杰"), [overdue("周杰")]))
    assert notices(plan([rows], found), "digest") == [("周杰", [], None, ["T-000003"]), ("张伟", [], None, ["T-000002"])]
    [problem] = presence(found).problems()          # one cycle, told once
    assert problem.code == "stand-in-cycle" and problem.params["chain"] in ("张伟 → 周杰 → 张伟", "周杰 → 张伟 → 周杰")
    assert problem.text("en").startswith("The stand-ins lead in a circle of people who are all away (")
    assert "请为其中一人另选一位不在休假的代理人" in problem.text("zh")
    # oneself as one's stand-in is a cycle too
    found = staff(张伟={"away_until": AWAY, "stand_in": "张伟"})
    assert [p.params["chain"] for p in presence(found).problems()] == ["张伟 → 张伟"]


def test_a_stand_in_the_directory_lacks_or_mail_cannot_reach_is_a_problem_and_the_absent_person_still_hears():
    found = staff(张伟={"away_until": AWAY, "stand_in": "无名氏"})
    rows = source((row(2), [overdue("张伟")]))
    assert notices(plan([rows], found), "digest") == [("张伟", [], None, ["T-000002"])]
    [problem] = presence(found).problems()
    assert (problem.code, problem.value, problem.params["stand_in"]) == ("stand-in-unknown", "张伟", "无名氏")
    assert problem.text("zh") == ("张伟休假至 2026-11-27，但代理人“无名氏”不在通讯录中，休假期间的提醒仍发给张伟本人。"
                                  "请更正代理人姓名，或在通讯录中添加此人及其邮箱。")
    found = directory(*[Person(**{**p.__dict__, "email": None}) if p.name == "周杰" else p
                        for p in staff(张伟={"away_until": AWAY, "stand_in": "周杰"}).people.values()])
    assert notices(plan([rows], found), "digest") == [("张伟", [], None, ["T-000002"])]
    assert [p.code for p in presence(found).problems()] == ["stand-in-no-address"]
    # away with no stand-in named: nobody else can hear, nothing to report
    found = staff(张伟={"away_until": AWAY})
    assert notices(plan([rows], found), "digest") == [("张伟", [], None, ["T-000002"])]
    assert presence(found).problems() == []
    # a broken chain of someone not away today is no problem yet
    assert presence(staff(张伟={"away_until": AWAY, "stand_in": "无名氏"}), date(2026, 11, 30)).problems() == []


def test_the_group_bots_mention_the_stand_in_of_an_away_head():
    settings = config.load(values={"im": {"departments": {"研发部": "研发群"},
                                          "groups": {"研发群": {"platform": "wecom", "webhook_env": "X_RD"}}}})
    found = staff(李娜={"away_until": AWAY, "stand_in": "赵敏"})
    rows = source((row(2), [escalated("张伟")]))
    planned = plan([rows], found)
    [posted] = [n for n in groups.daily([rows], planned, found, settings) if n.kind == "escalation"]
    assert posted.group == "研发群" and [p.name for p in posted.mentions] == ["李娜", "赵敏"]
    assert [p.name for p in with_stand_ins([found.people["李娜"], found.people["张伟"]], found, MON)] == \
        ["李娜", "赵敏", "张伟"]


def test_the_urgent_group_mentions_the_stand_in_of_an_away_head_in_the_alert_and_in_its_repeat(tmp_path):
    """On real workbooks (tests/test_im_routing.py's folder) with 李娜, the head, away: the urgent group's
    alert @s her stand-in 赵敏 beside her, and so does the repeat that @s the heads."""
    from duban.jobs.notify.ledger import Ledger
    from duban.workbooks.make.template import write_workbook
    from test_im_routing import IM, MORNING, PEOPLE, make_folder, read, sent

    folder = make_folder(tmp_path)
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=[
        {"name": n, "department": d, "email": f"{i}@example.com", "dept_head": h, "language": "zh", "mobile": m,
         **({"away_until": date(2026, 11, 30), "stand_in": "赵敏"} if n == "李娜" else {})}
        for i, (n, d, h, m, _w) in enumerate(PEOPLE)])
    found = config.load(values={"mail": {"clerks": ["王芳"]}, "im": IM})
    sources, people = read(folder, found)
    today = Presence(people, MORNING.date(), CAL, lambda d: None)
    alerts = router.plan_alerts(sources, people, today)
    assert ("赵敏", ["李娜"], "李娜") in [(n.recipient.name, [p.name for p in n.cc], n.on_behalf and n.on_behalf.name)
                                       for n in alerts.notices]
    with Ledger(tmp_path / "state.db") as ledger:
        [first] = groups.urgent(alerts, people, found, MORNING, ledger)
        assert [p.name for p in first.mentions] == ["张伟", "李娜", "赵敏"]
        ledger.record(first, first.items, MORNING.date(), MORNING, "k1")
        sent(tmp_path / "state.db", "k1", MORNING)
        later = MORNING.replace(hour=10, minute=10)
        [again] = groups.urgent(router.plan_alerts(sources, people, today), people, found, later, ledger)
    assert again.content["repeat"] and [p.name for p in again.mentions] == ["李娜", "赵敏"]


def test_a_stand_ins_mail_says_whose_items_they_are_until_when_and_that_the_person_is_copied():
    from duban.mailer.render import render

    found = staff(张伟={"away_until": AWAY, "stand_in": "周杰", "lang": "zh"})
    rows = source((row(2), [overdue("张伟")]))
    [for_him] = [n for n in plan([rows], found).of_kind("digest") if n.on_behalf]
    zh = render(for_him, "zh", datetime(2026, 11, 23, 9, 0))
    assert "张伟休假至 2026-11-27，您是其代理人：以下是张伟的事项。" in zh.text and zh.text.count("抄送") == 1
    assert "张伟休假至 2026-11-27" in zh.html and zh.subject.endswith("（代张伟）")
    en = render(for_him, "en", datetime(2026, 11, 23, 9, 0))
    assert "张伟 is away until 2026-11-27 and you stand in: these are 张伟's items." in en.text
    assert en.subject.endswith(" (for 张伟)")
    [own] = [n for n in plan([source((row(3, owner="周杰"), [overdue("周杰")]))], found).of_kind("digest")]
    assert "代理人" not in render(own, "zh", datetime(2026, 11, 23, 9, 0)).text


def test_a_weekly_digest_says_why_it_comes_once_a_week():
    from duban.mailer.render import render

    found = staff(张伟={"reminders": "weekly"})
    [digest] = plan([source((row(2), [overdue("张伟")]))], found).of_kind("digest")
    assert "您选择每周接收一次摘要" in render(digest, "zh", datetime(2026, 11, 23, 9, 0)).text
    assert "You take the digest once a week" in render(digest, "en", datetime(2026, 11, 23, 9, 0)).text
    [daily] = plan([source((row(2, owner="周杰"), [overdue("周杰")]))], found).of_kind("digest")
    assert "每周" not in render(daily, "zh", datetime(2026, 11, 23, 9, 0)).text
