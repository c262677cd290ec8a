"""What each group bot is told (jobs/notify/groups.py) and how remind, alert and the weekly summary
post it: the urgent group gets every urgent item once and, if still unanswered after
`im.urgent_repeat_minutes`, once more with @ of the head; each department's group one digest a
day and the escalations to its head; a mail-only installation nothing at all.

The planner is tested on real workbooks read by the check (records in, notices out); the runs on
a real folder, with the state database the queue and the ledger keep."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from books import NOW, settings, task
from duban.jobs.check import check_folder
from duban.jobs.notify import groups, router
from duban.jobs.notify.ledger import Ledger, filed_as
from duban.jobs.notify.outbox import item_key
from duban.jobs.remind import alert, remind
from duban.jobs.settings import config
from duban.mailer.im.lane import lane
from duban.mailer.queue import MailQueue
from duban.mailer.queued import Queued
from duban.mailer.seam import Connection
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.kinds import KINDS
from im_fakes import FakeBot

MORNING = NOW.replace(minute=30)          # Monday 2026-11-23 09:30, office hours
OCCURRED = MORNING - timedelta(minutes=40)

PEOPLE = [   # name, department, head, mobile, WeCom ID
    ("张伟", "研发部", "no", "13800000001", "zhangwei"),
    ("李娜", "研发部", "yes", "13800000002", "lina"),
    ("赵敏", "财务部", "yes", "", ""),
    ("周杰", "市场部", "no", "", ""),
    ("王芳", "综合管理部", "no", "", ""),
    ("陈总", "综合管理部", "yes", "", ""),
]
TASKS = [
    # row 2: 4 working days overdue -> overdue + escalated to 李娜 (研发部) and the RACI A 陈总
    task("季度预算编制", owner="张伟", due=date(2026, 11, 17), project="Q3新品推广项目"),
    # row 3: blocked, high priority, help from 财务部 -> urgent; overdue -> escalated to 李娜 and 赵敏
    task("渠道费用确认", owner="张伟", due=date(2026, 11, 17), status="blocked", priority="high", help_from="财务部"),
    # row 4: due soon, owner in 市场部 (no group)
    task("Launch checklist", owner="周杰", due=date(2026, 11, 24)),
    # row 5: the owner is in no directory; the row's department is 财务部
    task("整理档案", owner="无名氏", due=date(2026, 11, 20), department="财务部"),
    # row 6: done: nothing to say
    task("写周报", owner="张伟", due=date(2026, 11, 17), status="done"),
]
INCIDENT = {"type": "system", "reporter": "周杰", "occurred": OCCURRED.replace(tzinfo=None),
            "description": "官网下单页无法提交订单", "department": "研发部", "responder": "张伟", "status": "in_progress"}
IM = {"urgent_group": "紧急群", "urgent_repeat_minutes": 30,
      "departments": {"研发部": "研发群", "财务部": "财务群"},
      "groups": {"紧急群": {"platform": "dingtalk", "webhook_env": "DUBAN_TEST_URGENT_URL"},
                 "研发群": {"platform": "wecom", "webhook_env": "DUBAN_TEST_RD_URL"},
                 "财务群": {"platform": "feishu", "webhook_env": "DUBAN_TEST_FIN_URL"}}}


def make_folder(folder: Path, incident: dict = INCIDENT) -> Path:
    rows = [{"name": n, "department": d, "email": f"{i}@example.com", "dept_head": h, "language": "zh",
             "mobile": m, "wecom_id": w} for i, (n, d, h, m, w) in enumerate(PEOPLE)]
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=rows)
    write_workbook("tasks", folder / KINDS["tasks"].filename("zh"), rows=TASKS)
    write_workbook("raci", folder / KINDS["raci"].filename("zh"),
                   rows=[{"project": "Q3新品推广项目", "task": "季度预算编制", "responsible": "张伟", "accountable": "陈总"}])
    write_workbook("incidents", folder / KINDS["incidents"].filename("zh"), rows=[incident])
    return folder


def with_groups(**im):
    """The settings of a folder whose duban.toml has an [im] table (checked as the file is)."""
    return config.load(values={"mail": {"clerks": ["王芳"]}, "im": {**IM, **im}})


def read(folder: Path, found, now: datetime = MORNING):
    report = check_folder(folder, found, now, dry_run=True)
    sources = [router.Source(w.relpath, w.read, w.flags) for w in report.workbooks]
    return sources, Directory.from_reads([s.read for s in sources])


def daily(folder: Path, found) -> list[router.Notice]:
    sources, directory = read(folder, found)
    return groups.daily(sources, router.plan(sources, directory, found.mail.clerks), directory, found)


def urgent(folder: Path, found, ledger, now: datetime = MORNING) -> list[router.Notice]:
    sources, directory = read(folder, found, now)
    return groups.urgent(router.plan_alerts(sources, directory), directory, found, now, ledger)


def told(notice) -> list[tuple[str, str]]:
    return [(i.title or i.key, i.rule) for i in notice.items]


def names(people) -> list[str]:
    return [p.name for p in people]


# ---- the planner -------------------------------------------------------------------------------------
def test_each_department_group_gets_one_digest_of_its_rows_and_a_department_without_group_nothing(tmp_path):
    found = with_groups()
    notices = [n for n in daily(make_folder(tmp_path), found) if n.kind == "digest"]
    by_group = {n.group: n for n in notices}
    assert sorted(by_group) == ["研发群", "财务群"]                      # 市场部 has no group
    rd, fin = by_group["研发群"], by_group["财务群"]
    # the owner's department: every 研发部 item, most urgent first, escalated and done aside
    assert told(rd) == [("官网下单页无法提交订单", "incident_unanswered"), ("季度预算编制", "overdue"),
                        ("渠道费用确认", "overdue"), ("渠道费用确认", "blocked")]
    # no owner known: the row's department; its data problem (the owner is in no directory) with it
    assert told(fin) == [("整理档案", "overdue"), ("整理档案", "data_problem")]
    assert (rd.channel, rd.recipient.name, rd.once, rd.topics, rd.urgent) == \
        ("group", "#研发群", "day", ("group-digest",), False)
    assert rd.content == {"departments": ["研发部"], "department": "研发部"} and rd.mentions == []


def test_two_departments_sharing_a_group_give_it_one_digest(tmp_path):
    found = with_groups(departments={"研发部": "研发群", "财务部": "研发群", "市场部": "研发群"})
    [digest] = [n for n in daily(make_folder(tmp_path), found) if n.kind == "digest"]
    assert digest.group == "研发群" and "department" not in digest.content
    assert digest.content["departments"] == ["研发部", "市场部", "财务部"]
    assert len(digest.items) == 7 and len({(i.key, i.rule) for i in digest.items}) == 7
    assert [i.rank for i in digest.items] == sorted(i.rank for i in digest.items)


def test_an_escalation_to_a_head_goes_to_the_heads_department_group_with_the_head_mentioned(tmp_path):
    found = with_groups()
    by_group = {n.group: n for n in daily(make_folder(tmp_path), found) if n.kind == "escalation"}
    assert sorted(by_group) == ["研发群", "财务群"]          # 陈总 (RACI A, 综合管理部) has no group
    rd, fin = by_group["研发群"], by_group["财务群"]
    assert names(rd.mentions) == ["李娜"] and rd.mentions[0].wecom_id == "lina"
    assert told(rd) == [("季度预算编制", "escalated"), ("渠道费用确认", "escalated")]
    assert names(fin.mentions) == ["赵敏"] and told(fin) == [("渠道费用确认", "escalated")]
    assert fin.items[0].why == (("help", "财务部"),)
    assert (rd.once, rd.recipient.name, rd.channel) == ("items", "#研发群", "group")


def test_a_row_that_climbed_to_a_head_as_another_heads_manager_stays_out_of_that_heads_group(tmp_path):
    """Up the line (escalation_levels > 1), 赵敏, head of 财务部, is told about 研发部's row as 李娜's
    manager: her mail says so, but 财务群 is not where 研发部's late row belongs."""
    found = with_groups()
    sources, directory = read(make_folder(tmp_path), found)
    planned = router.plan(sources, directory, found.mail.clerks)
    for notice in planned.of_kind("escalation"):
        if notice.recipient.name == "赵敏":
            notice.items[:] = [replace(i, why=(("manager", "李娜@研发部"),)) if i.why == (("help", "财务部"),) else i
                               for i in notice.items]
    by_group = {n.group: n for n in groups.daily(sources, planned, directory, found) if n.kind == "escalation"}
    assert sorted(by_group) == ["研发群"] and told(by_group["研发群"]) == [("季度预算编制", "escalated"),
                                                                           ("渠道费用确认", "escalated")]


def test_the_urgent_group_gets_every_urgent_item_at_once_with_the_responsible_and_their_head(tmp_path):
    folder, found = make_folder(tmp_path), with_groups()
    with Ledger(tmp_path / "state.db") as ledger:
        [notice] = urgent(folder, found, ledger)
    assert (notice.kind, notice.group, notice.recipient.name, notice.urgent, notice.once) == \
        ("alert", "紧急群", "#紧急群", True, "items")
    assert sorted(i.rule for i in notice.items) == ["blocked", "incident_unanswered"]
    assert names(notice.mentions) == ["张伟", "李娜"]
    assert notice.mentions[0].mobile == "13800000001" and notice.content is None


def test_no_urgent_group_or_a_mail_only_installation_gets_no_group_notice(tmp_path):
    folder = make_folder(tmp_path)
    with Ledger(tmp_path / "state.db") as ledger:
        assert urgent(folder, with_groups(urgent_group=""), ledger) == []
        assert urgent(folder, settings(), ledger) == []
    assert daily(folder, settings()) == []
    assert daily(folder, with_groups(departments={})) == []


class Takes(Connection):
    """A group bot at the queue's seam that takes every message."""

    setup = "takes"

    def send(self, message, recipients, key=None, before_content=None):
        return {}


def sent(db: Path, key: str, at: datetime) -> None:
    """The queue row of `key` (an urgent group's alert), sent at `at`."""
    with MailQueue(db) as queue:
        queue.put(Queued(key, "alert", ["紧急群"], "紧急", b"{}", lane("紧急群")), at)
        assert [m.key for m in queue.deliver(Takes(), at, 3, lane("紧急群")).sent] == [key]


def test_the_repeat_comes_after_the_set_minutes_with_the_head_mentioned_and_once(tmp_path):
    folder, found = make_folder(tmp_path), with_groups()
    with Ledger(tmp_path / "state.db") as ledger:
        [first] = urgent(folder, found, ledger)
        ledger.record(first, first.items, MORNING.date(), MORNING, "k1")
        assert urgent(folder, found, ledger, MORNING + timedelta(minutes=45)) == []          # not sent yet
        sent(tmp_path / "state.db", "k1", MORNING)
        assert urgent(folder, found, ledger, MORNING + timedelta(minutes=29)) == []          # not yet
        later = MORNING + timedelta(minutes=31)
        [again] = urgent(folder, found, ledger, later)
        assert again.content == {"repeat": True, "minutes": 31} and filed_as(again) == "alert-repeat"
        assert names(again.mentions) == ["李娜"]                                            # the head
        assert told(again) == told(first) and again.urgent and again.group == "紧急群"
        assert item_key(again, later.date()).startswith("alert-repeat:#紧急群:2026-11-23:")
        assert ledger.fresh(again, later.date(), None, 1) == again.items                   # not told yet
        ledger.record(again, again.items, later.date(), later, again.key)
        assert ledger.fresh(again, later.date(), None, 1) == []
        assert urgent(folder, found, ledger, later + timedelta(hours=2)) == []             # never again


def test_a_new_urgent_item_is_told_alone_with_only_its_own_people_mentioned(tmp_path):
    folder, found = make_folder(tmp_path), with_groups()
    with Ledger(tmp_path / "state.db") as ledger:
        [first] = urgent(folder, found, ledger)
        ledger.record(first, first.items, MORNING.date(), MORNING, "k1")
        write_workbook("incidents", folder / KINDS["incidents"].filename("zh"), rows=[INCIDENT, {
            **INCIDENT, "description": "仓库漏水", "department": "市场部", "responder": "周杰",
            "occurred": (MORNING - timedelta(minutes=20)).replace(tzinfo=None)}])
        [new] = urgent(folder, found, ledger, MORNING + timedelta(minutes=5))
    assert told(new) == [("仓库漏水", "incident_unanswered")] and names(new.mentions) == ["周杰"]


def test_first_told_reads_when_the_group_was_first_told(tmp_path):
    folder, found = make_folder(tmp_path), with_groups()
    with Ledger(tmp_path / "state.db") as ledger:
        [first] = urgent(folder, found, ledger)
        item = first.items[0]
        assert ledger.first_told("#紧急群", item, "alert") is None
        ledger.record(first, first.items, MORNING.date(), MORNING, "k1")
        ledger.record(first, first.items, MORNING.date(), MORNING + timedelta(minutes=5), "k2")
        assert ledger.first_told("#紧急群", item, "alert") == MORNING
        assert ledger.first_told("张伟", item, "alert") is None


def test_each_department_group_gets_one_weekly_report_and_the_chart_only_where_it_shows():
    """A group that two departments share gets one post naming both (content `names`), not one each."""
    found = with_groups(departments={"研发部": "研发群", "财务部": "财务群", "市场部": "研发群"})
    notices = groups.weekly(["研发部", "市场部", "财务部", "综合管理部", ""], found,
                            lambda scope, name: f"summary:week:2026-11-20:{scope}:{name}")
    assert [(n.kind, n.group, n.once, n.topics, n.content) for n in notices] == [
        ("summary", "研发群", "ever", ("summary:week:2026-11-20:group:研发部+市场部",),
         {"scope": "department", "name": "研发部", "names": ["研发部", "市场部"]}),
        ("summary", "财务群", "ever", ("summary:week:2026-11-20:department:财务部",),
         {"scope": "department", "name": "财务部", "names": ["财务部"]})]
    assert [n.key for n in notices] == ["summary:#研发群:summary:week:2026-11-20:group:研发部+市场部",
                                        "summary:#财务群:summary:week:2026-11-20:department:财务部"]
    assert groups.shows_images(found, "研发群") and not groups.shows_images(found, "财务群")
    assert not groups.shows_images(found, "紧急群") and not groups.shows_images(found, "无此群")
    assert groups.weekly(["研发部"], settings(), lambda scope, name: "t") == []


# ---- through the jobs ---------------------------------------------------------------------------------
def rows(folder: Path, found) -> list[tuple[str, str, list[str]]]:
    with MailQueue(folder / found.state.path) as queue:
        return [(m.channel, m.kind, m.recipients) for m in queue.entries()]


def ledger_recipients(folder: Path, found) -> set[str]:
    con = sqlite3.connect(folder / found.state.path)
    try:
        return {r for (r,) in con.execute("SELECT recipient FROM notified")}
    finally:
        con.close()


def test_a_mail_only_installation_queues_and_records_nothing_for_groups(tmp_path):
    folder, found = make_folder(tmp_path), settings(mail={"clerks": ["王芳"]})
    remind(folder, found, MORNING)
    alert(folder, found, MORNING + timedelta(minutes=40))
    assert {channel for channel, _k, _r in rows(folder, found)} == {"mail"}
    assert not any(r.startswith("#") for r in ledger_recipients(folder, found))


@pytest.fixture
def webhooks(monkeypatch):
    """The three groups' bots as loopback fakes, their addresses in the variables duban.toml names."""
    fakes = {"紧急群": FakeBot("dingtalk").start(), "研发群": FakeBot("wecom").start(), "财务群": FakeBot("feishu").start()}
    for name, fake in zip(("URGENT", "RD", "FIN"), fakes.values()):
        monkeypatch.setenv(f"DUBAN_TEST_{name}_URL", fake.url)
    yield fakes
    for fake in fakes.values():
        fake.stop()


def test_remind_queues_one_digest_per_department_group_a_day_and_the_escalations(tmp_path, webhooks):
    folder, found = make_folder(tmp_path), with_groups()
    run = remind(folder, found, MORNING, dry_run=True)
    assert sorted((o.kind, o.to) for o in run.outgoing if o.channel.startswith("group:")) == [
        ("digest", "#研发群"), ("digest", "#财务群"), ("escalation", "#研发群"), ("escalation", "#财务群")]
    assert rows(folder, found) == []
    run = remind(folder, found, MORNING)
    grouped = sorted((c, k) for c, k, _r in rows(folder, found) if c != "mail")
    assert grouped == [("group:研发群", "digest"), ("group:研发群", "escalation"),
                       ("group:财务群", "digest"), ("group:财务群", "escalation")]
    assert {o.status for o in run.outgoing if o.channel.startswith("group:")} == {"queued"}
    wecom = webhooks["研发群"]
    assert [g.body["msgtype"] for g in wecom.got if g.verdict == "ok"] == ["markdown", "markdown"]   # digest, escalation
    assert "<@lina>" in wecom.got[1].body["markdown"]["content"]             # the head, by WeCom user ID
    again = remind(folder, found, MORNING + timedelta(hours=3))
    assert [o for o in again.outgoing if o.channel.startswith("group:")] == [] and len(wecom.got) == 2
    assert sorted((c, k) for c, k, _r in rows(folder, found) if c != "mail") == grouped
    remind(folder, found, MORNING + timedelta(days=1))                   # Tuesday: the digest again
    assert sum(1 for c, k, _r in rows(folder, found) if (c, k) == ("group:研发群", "digest")) == 2


def test_alert_tells_the_urgent_group_once_repeats_once_and_stops_when_answered(tmp_path, webhooks):
    folder, found = make_folder(tmp_path), with_groups()

    def urgent_rows():
        return [(k, r) for c, k, r in rows(folder, found) if c == "group:紧急群"]

    alert(folder, found, MORNING)
    assert urgent_rows() == [("alert", ["紧急群"])]
    bot = webhooks["紧急群"]
    [first] = [g.body for g in bot.got if g.verdict == "ok"]
    assert first["at"]["atMobiles"] == ["13800000001", "13800000002"]          # 张伟 and his head 李娜
    alert(folder, found, MORNING + timedelta(minutes=5))
    alert(folder, found, MORNING + timedelta(minutes=29))
    assert len(urgent_rows()) == 1
    run = alert(folder, found, MORNING + timedelta(minutes=30))         # 必达: told again
    assert [o.kind for o in run.outgoing if o.channel.startswith("group:")] == ["alert"]
    assert len(urgent_rows()) == 2
    [_first, again] = [g.body for g in bot.got if g.verdict == "ok"]
    assert again["at"]["atMobiles"] == ["13800000002"]                          # the head
    alert(folder, found, MORNING + timedelta(minutes=65))
    assert len(urgent_rows()) == 2                                     # once
    # a new incident, answered before its repeat is due: no repeat
    other = {**INCIDENT, "description": "机房断电", "occurred": (MORNING + timedelta(minutes=50)).replace(tzinfo=None)}
    write_workbook("incidents", folder / KINDS["incidents"].filename("zh"), rows=[other])
    alert(folder, found, MORNING + timedelta(minutes=70))
    assert len(urgent_rows()) == 3
    answered = {**other, "responded": (MORNING + timedelta(minutes=75)).replace(tzinfo=None)}
    write_workbook("incidents", folder / KINDS["incidents"].filename("zh"), rows=[answered])
    alert(folder, found, MORNING + timedelta(minutes=110))
    assert len(urgent_rows()) == 3


def test_the_weekly_summary_goes_to_each_department_group_once(tmp_path, webhooks):
    from duban.jobs.summary.job import summary

    folder, found = make_folder(tmp_path), with_groups()
    check_folder(folder, found, MORNING - timedelta(days=14))             # duban watched the week whole
    run = summary(folder, found, MORNING, "week", dry_run=True)
    assert sorted(o.to for o in run.outgoing if o.channel.startswith("group:")) == ["#研发群", "#财务群"]
    summary(folder, found, MORNING, "week")
    grouped = sorted((c, k) for c, k, _r in rows(folder, found) if c != "mail")
    assert grouped == [("group:研发群", "summary"), ("group:财务群", "summary")]
    again = summary(folder, found, MORNING + timedelta(hours=1), "week")
    assert [o for o in again.outgoing if o.channel.startswith("group:")] == []
    limited = summary(folder, found, MORNING + timedelta(hours=1), "week", project="Q3新品推广项目", dry_run=True)
    assert all(o.channel == "mail" for o in limited.outgoing)            # a project's report is not a group's


def test_a_wecom_group_gets_the_weeks_trend_chart_as_an_image(tmp_path, webhooks):
    from duban.jobs.summary.job import summary

    folder, found = make_folder(tmp_path), with_groups()
    check_folder(folder, found, MORNING - timedelta(days=21))
    summary(folder, found, MORNING - timedelta(days=7), "week")        # last week's figures: the trend's first point
    wecom = webhooks["研发群"]
    assert [g.body["msgtype"] for g in wecom.got] == ["markdown"]       # one point: no chart yet
    summary(folder, found, MORNING, "week")
    assert [g.body["msgtype"] for g in wecom.got] == ["markdown", "markdown", "image"]
    assert wecom.got[2].body["image"]["base64"]


def test_a_department_digest_made_after_hours_waits_for_the_morning_and_an_urgent_alert_does_not(tmp_path, webhooks):
    folder, found = make_folder(tmp_path), with_groups()
    evening = MORNING.replace(hour=20)
    run = remind(folder, found, evening)
    held = {(o.kind, o.to): (o.status, o.not_before) for o in run.outgoing if o.channel.startswith("group:")}
    assert held[("digest", "#研发群")] == ("held", datetime(2026, 11, 24, 9, 0, tzinfo=MORNING.tzinfo))
    assert webhooks["研发群"].got == []
    run = alert(folder, found, evening)
    assert [(o.to, o.status) for o in run.outgoing if o.channel.startswith("group:")] == [("#紧急群", "queued")]
    assert len(webhooks["紧急群"].got) == 1


def test_the_repeat_is_timed_from_when_the_first_alert_was_sent_not_queued(tmp_path, webhooks):
    """The urgent group's bot down for 40 minutes (urgent_repeat_minutes 30): the alert goes when
    the lane clears, and the repeat only 30 minutes after that, never back to back with it."""
    folder, found = make_folder(tmp_path), with_groups()
    bot = webhooks["紧急群"]

    def posted() -> list[bool]:         # each alert the group saw: is it the repeat?
        return ["再次" in g.body["markdown"]["text"] for g in bot.got if g.verdict == "ok"]

    bot.answer = "500"
    alert(folder, found, MORNING)                                   # queued, the bot down
    alert(folder, found, MORNING + timedelta(minutes=10))           # down still (the queue backs off)
    assert posted() == []
    bot.answer = "ok"
    alert(folder, found, MORNING + timedelta(minutes=40))           # the lane clears: the alert goes, alone
    assert posted() == [False]
    alert(folder, found, MORNING + timedelta(minutes=69))           # 29 minutes after it was sent
    assert posted() == [False]
    run = alert(folder, found, MORNING + timedelta(minutes=70))     # 30 minutes after: the repeat
    assert posted() == [False, True]
    with MailQueue(folder / found.state.path) as queue:
        went = {m.key.split(":")[0]: m.sent_at for m in queue.entries("sent", lane("紧急群"))}
    assert went == {"alert": MORNING + timedelta(minutes=40), "alert-repeat": MORNING + timedelta(minutes=70)}
    assert [o.kind for o in run.outgoing if o.channel.startswith("group:")] == ["alert"]



def test_a_group_several_departments_share_gets_one_weekly_post_with_a_line_a_department(tmp_path, webhooks):
    """业务群-like: 研发部, 财务部 and 市场部 all map to 研发群: one WeCom post (no chart), a line for each
    department with its figures; the first week duban did not see whole is explained, not '· 基线'."""
    from duban.jobs.summary.job import summary

    folder = make_folder(tmp_path)
    found = with_groups(departments={"研发部": "研发群", "财务部": "研发群", "市场部": "研发群"})
    summary(folder, found, MORNING, "week")            # duban started watching this week: the baseline
    wecom = webhooks["研发群"]
    assert [g.body["msgtype"] for g in wecom.got] == ["markdown"]
    text = wecom.got[0].body["markdown"]["content"]
    lines = text.splitlines()
    for department in ("研发部", "财务部", "市场部"):
        [line] = [x for x in lines if x.lstrip("-*> ").startswith(f"{department}：")]
        assert "逾期" in line and "未完成" in line, line
    assert "研发群" in lines[0] and "基线" not in lines[0] and "本期为基线" in text
    summary(folder, found, MORNING + timedelta(hours=1), "week")
    assert len(wecom.got) == 1                                         # once
