"""The mail jobs end to end: real workbooks, the check, the ledger, and a real SMTP server on loopback."""
from __future__ import annotations

import email
import email.policy
import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from books import NOW, cli, col, settings, task, user_edit
from duban.jobs.remind import alert, remind, retry
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.kinds import KINDS
from smtp_server import SmtpServer

MORNING = NOW.replace(minute=30)                  # Monday 2026-11-23 09:30, office hours
EVENING = NOW.replace(hour=20)                    # Monday 20:00
HOSTILE = '<script>alert(1)</script>=HYPERLINK("http://evil.example","点我")'
INJECTED = "改合同\r\nBcc: evil@example.com"

PEOPLE = [
    # name, department, email, head, language
    ("张伟", "研发部", "zhang.wei@example.com", "no", "zh"),
    ("李娜", "研发部", "li.na@example.com", "yes", "zh"),
    ("赵敏", "财务部", "zhao.min@example.com", "yes", "zh"),
    ("周杰", "市场部", "zhou.jie@example.com", "no", "en"),
    ("王芳", "综合管理部", "wang.fang@example.com", "no", "zh"),
    ("陈总", "综合管理部", "chen@example.com", "yes", "zh"),
    ("孙丽", "市场部", "sun.li@example.com", "yes", "zh"),
]

TASKS = [
    # row 2: 4 working days overdue -> overdue + escalated; RACI A is 陈总; initiator 周杰 copied
    task("季度预算编制", owner="张伟", due=date(2026, 11, 17), project="Q3新品推广项目", initiator="周杰"),
    # row 3: blocked, high priority, needs 财务部 -> urgent alert; overdue 4 days -> escalated to 赵敏 too
    task("渠道费用确认", owner="张伟", due=date(2026, 11, 17), status="blocked", priority="high", help_from="财务部"),
    # row 4: due soon, owner reads English
    task("Launch checklist", owner="周杰", due=date(2026, 11, 24)),
    # row 5: the owner is not in the directory
    task("整理档案", owner="无名氏", due=date(2026, 11, 20)),
    # row 6: hostile text in the task name
    task(HOSTILE, owner="孙丽", due=date(2026, 11, 20)),
    # row 7: nothing to say
    task("写周报", owner="李娜"),
    # row 8: a date nobody can read: the owner hears of it in their digest, the clerks in their report
    task("修订制度", owner="陈总", due="11月31日"),
]


def directory_rows() -> list[dict]:
    return [{"name": n, "department": d, "email": e, "dept_head": h, "language": lang} for n, d, e, h, lang in PEOPLE]


def make_folder(folder: Path, tasks: list[dict] = TASKS) -> Path:
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=directory_rows())
    write_workbook("tasks", folder / KINDS["tasks"].filename("zh"), rows=tasks)
    write_workbook("raci", folder / KINDS["raci"].filename("zh"),
                   rows=[{"project": "Q3新品推广项目", "task": "季度预算编制", "responsible": "张伟", "accountable": "陈总"}])
    return folder


def smtp_settings(server: SmtpServer, **mail):
    return settings(mail={"transport": "smtp", "clerks": ["王芳"], **mail,
                          "smtp": {"host": "127.0.0.1", "port": server.port, "security": "none", "user": "",
                                   "timeout": 5}})


def by_recipient(server: SmtpServer) -> dict[str, list[email.message.EmailMessage]]:
    found: dict[str, list] = {}
    for received in server.received:
        message = received.message
        found.setdefault(str(message["To"].addresses[0].display_name), []).append(message)
    return found


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def subjects(server: SmtpServer) -> list[str]:
    return sorted(str(r.message["Subject"]) for r in server.received)


# ---- who gets what --------------------------------------------------------------------------------
@pytest.mark.slow
def test_one_digest_per_person_grouped_by_rule_most_urgent_first(tmp_path, smtp_server):
    run = remind(make_folder(tmp_path), smtp_settings(smtp_server), MORNING)
    assert run.delivery.error is None and len(run.delivery.sent) == len(smtp_server.received)
    digests = {name: [m for m in mails if "升级" not in str(m["Subject"]) and "Escalation" not in str(m["Subject"])
                      and "数据问题报告" not in str(m["Subject"])]
               for name, mails in by_recipient(smtp_server).items()}
    assert len(digests["张伟"]) == 1
    zhang = digests["张伟"][0]
    assert str(zhang["Subject"]) == "【督办】您有2项逾期 — 2026-11-23"      # items, by the group the body lists them in
    assert zhang["To"].addresses[0].addr_spec == "zhang.wei@example.com"
    html = html_of(zhang)
    assert html.index("逾期") < html.index("阻塞")                      # most urgent group first
    assert "季度预算编制" in html and "渠道费用确认" in html and "T-000001" in html
    assert "任务跟进表" in html and "第2行" in html and "2026-11-17" in html
    assert "写周报" not in html
    assert "李娜" not in digests or all("写周报" not in html_of(m) for m in digests["李娜"])


@pytest.mark.slow
def test_the_recipients_language_chooses_the_mail_language(tmp_path, smtp_server):
    remind(make_folder(tmp_path), smtp_settings(smtp_server), MORNING)
    [zhou] = [m for m in by_recipient(smtp_server)["周杰"] if "Escalation" not in str(m["Subject"])]
    assert str(zhou["Subject"]) == "[duban] You have 1 item due soon — 2026-11-23"
    assert "Dear 周杰," in text_of(zhou) and "Launch checklist" in text_of(zhou)


@pytest.mark.slow
def test_escalations_reach_the_head_the_raci_accountable_and_the_helping_departments_head(tmp_path, smtp_server):
    remind(make_folder(tmp_path), smtp_settings(smtp_server), MORNING)
    escalations = {r.message["To"].addresses[0].display_name: r for r in smtp_server.received
                   if str(r.message["Subject"]).startswith("【督办】升级提醒")}
    assert set(escalations) == {"李娜", "陈总", "赵敏"}
    head = escalations["李娜"].message
    assert "季度预算编制" in html_of(head) and "渠道费用确认" in html_of(head)        # one mail, both items
    assert [a.display_name for a in head["Cc"].addresses] == ["周杰"]                 # the initiator, copied
    assert sorted(escalations["李娜"].rcpt_tos) == ["li.na@example.com", "zhou.jie@example.com"]
    assert "季度预算编制" in html_of(escalations["陈总"].message)                      # RACI Accountable
    assert "渠道费用确认" not in html_of(escalations["陈总"].message)
    assert "渠道费用确认" in html_of(escalations["赵敏"].message)                      # help needed from 财务部
    assert "季度预算编制" not in html_of(escalations["赵敏"].message)


@pytest.mark.slow
def test_unknown_people_and_data_problems_go_to_the_clerks(tmp_path, smtp_server):
    remind(make_folder(tmp_path), smtp_settings(smtp_server), MORNING)
    [report] = [m for m in by_recipient(smtp_server)["王芳"] if "数据问题报告" in str(m["Subject"])]
    text = text_of(report)
    assert "无名氏" in text and "通讯录中没有此人" in text
    assert "任务跟进表!I8" in text and "11月31日" in text        # the row problem, with its cell
    [owner] = [m for m in by_recipient(smtp_server)["陈总"] if "您有" in str(m["Subject"])]
    assert str(owner["Subject"]) == "【督办】您有1项数据问题 — 2026-11-23"
    assert "修订制度" in text_of(owner) and "“11月31日”不是有效日期" in text_of(owner)


def test_urgent_alerts_go_at_once_to_the_person_and_their_head_and_only_once(tmp_path, smtp_server):
    folder, config = make_folder(tmp_path), smtp_settings(smtp_server)
    first = alert(folder, config, EVENING)                      # outside office hours: alerts are not held
    received = {r.message["To"].addresses[0].display_name: r.message for r in smtp_server.received}
    assert set(received) == {"张伟", "李娜"}
    assert str(received["张伟"]["Subject"]) == "【督办·紧急】阻塞：渠道费用确认"
    assert [m.status for m in first.outgoing] == ["queued", "queued"]
    again = alert(folder, config, EVENING + timedelta(minutes=5))
    assert again.outgoing == [] and len(smtp_server.received) == 2


def test_an_alert_is_not_sent_again_when_the_check_then_gives_its_row_an_id(tmp_path, smtp_server):
    """alert reads without writing, so a new row is told about under its place (workbook!row); the
    check then writes its ID: what was told goes with it, and the next alert sends nothing."""
    from duban.jobs.check import check_folder

    folder, config = make_folder(tmp_path), smtp_settings(smtp_server)
    first = alert(folder, config, EVENING)
    assert [m.status for m in first.outgoing] == ["queued", "queued"]
    assert check_folder(folder, config, EVENING + timedelta(minutes=2)).workbooks
    again = alert(folder, config, EVENING + timedelta(minutes=5))
    assert again.outgoing == [] and len(smtp_server.received) == 2


# ---- nothing twice ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_second_run_the_same_day_sends_nothing_new(tmp_path, smtp_server):
    folder, config = make_folder(tmp_path), smtp_settings(smtp_server)
    remind(folder, config, MORNING)
    count = len(smtp_server.received)
    second = remind(folder, config, MORNING + timedelta(hours=2))
    assert len(smtp_server.received) == count > 0
    assert second.outgoing == [] and second.skipped > 0


@pytest.mark.slow
def test_the_next_working_day_reminds_again(tmp_path, smtp_server):
    folder, config = make_folder(tmp_path), smtp_settings(smtp_server)
    remind(folder, config, MORNING)
    first = by_recipient(smtp_server)
    remind(folder, config, MORNING + timedelta(days=1))
    second = by_recipient(smtp_server)
    assert len(second["张伟"]) == len(first["张伟"]) + 1
    assert len(second["李娜"]) == len(first["李娜"])          # escalations wait 2 working days


@pytest.mark.slow
def test_a_changed_deadline_starts_the_reminders_again(tmp_path, smtp_server):
    folder, config = make_folder(tmp_path), smtp_settings(smtp_server)
    remind(folder, config, MORNING)
    before = len(by_recipient(smtp_server)["周杰"])
    user_edit(folder / KINDS["tasks"].filename("zh"), {f"{col('due')}4": date(2026, 11, 25)})
    run = remind(folder, config, MORNING + timedelta(hours=1))
    zhou = by_recipient(smtp_server)["周杰"]
    assert len(zhou) == before + 1
    assert "2026-11-25" in html_of(zhou[-1]) and "Launch checklist" in html_of(zhou[-1])
    assert [m.to for m in run.outgoing] == ["周杰"]


@pytest.mark.slow
def test_smtp_down_then_back_delivers_each_mail_exactly_once(tmp_path):
    server = SmtpServer().start()
    config = smtp_settings(server)
    server.stop()
    folder = make_folder(tmp_path)
    try:
        down = remind(folder, config, MORNING)
        assert down.delivery.sent == [] and down.delivery.error
        waiting = len(down.delivery.still_queued)
        assert waiting == len(down.outgoing) > 0
        server.start()
        back = retry(folder, config, MORNING + timedelta(minutes=10))
        assert len(back.delivery.sent) == waiting and len(server.received) == waiting
        assert retry(folder, config, MORNING + timedelta(minutes=20)).delivery.sent == []
        assert remind(folder, config, MORNING + timedelta(minutes=30)).outgoing == []
        assert len(server.received) == waiting
    finally:
        server.stop()


@pytest.mark.slow
def test_a_refused_recipient_does_not_lose_the_others_mail(tmp_path, smtp_server):
    smtp_server.handler.refuse["zhang.wei@example.com"] = "550 5.1.1 mailbox unavailable"
    run = remind(make_folder(tmp_path), smtp_settings(smtp_server), MORNING)
    got = by_recipient(smtp_server)
    assert "张伟" not in got and {"周杰", "李娜", "王芳"} <= set(got)
    assert [m.recipients for m in run.delivery.failed] == [["zhang.wei@example.com"]]
    assert "550" in run.delivery.failed[0].last_error


# ---- what the mail looks like -----------------------------------------------------------------------
@pytest.mark.slow
def test_chinese_names_and_subjects_decode_and_hostile_values_are_text(tmp_path, smtp_server):
    remind(make_folder(tmp_path), smtp_settings(smtp_server), MORNING)
    [sun] = by_recipient(smtp_server)["孙丽"]
    raw = smtp_server.received[[r.message["To"].addresses[0].display_name for r in smtp_server.received].index("孙丽")].content
    assert b"\xe5" not in raw.split(b"\r\n\r\n", 1)[0]            # headers are 7-bit on the wire
    assert str(sun["From"]) == "督办助手 <duban@example.com>"
    assert str(sun["Subject"]) == "【督办】您有1项逾期 — 2026-11-23"
    html = html_of(sun)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;点我&#34;)" in html
    assert HOSTILE in text_of(sun)


def test_line_breaks_in_cell_values_cannot_add_headers(tmp_path, smtp_server):
    tasks = [task(INJECTED, owner="张伟", status="blocked", priority="high")]
    alert(make_folder(tmp_path, tasks), smtp_settings(smtp_server), MORNING)
    assert smtp_server.received
    for received in smtp_server.received:
        assert received.message["Bcc"] is None
        assert "evil@example.com" not in received.rcpt_tos
        assert str(received.message["Subject"]) == "【督办·紧急】阻塞：改合同  Bcc: evil@example.com"


@pytest.mark.slow
def test_mail_outside_office_hours_waits_for_the_next_working_morning(tmp_path, smtp_server):
    folder, config = make_folder(tmp_path), smtp_settings(smtp_server)
    run = remind(folder, config, EVENING)
    assert run.outgoing and {m.status for m in run.outgoing} == {"held"}
    assert {m.not_before for m in run.outgoing} == {datetime(2026, 11, 24, 9, 0, tzinfo=NOW.tzinfo)}
    assert smtp_server.received == []
    retry(folder, config, EVENING + timedelta(hours=1))                       # 21:00: still held
    assert smtp_server.received == []
    retry(folder, config, datetime(2026, 11, 24, 9, 1, tzinfo=NOW.tzinfo))
    assert len(smtp_server.received) == len(run.outgoing)


@pytest.mark.slow
def test_dry_run_sends_and_records_nothing(tmp_path, smtp_server):
    folder, config = make_folder(tmp_path), smtp_settings(smtp_server)
    run = remind(folder, config, MORNING, dry_run=True)
    assert run.outgoing and {m.status for m in run.outgoing} == {"dry-run"} and run.delivery is None
    assert smtp_server.received == []
    db = folder / ".duban" / "state.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            tables = {t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            for table in {"mail_queue", "notified"} & tables:
                assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)
    assert len(remind(folder, config, MORNING).outgoing) == len(run.outgoing)


@pytest.mark.slow
def test_outbox_transport_writes_eml_files_that_parse_back(tmp_path):
    folder = make_folder(tmp_path)
    config = settings(mail={"clerks": ["王芳"]})
    run = remind(folder, config, MORNING)
    files = sorted((folder / "outbox").glob("*.eml"))
    assert len(files) == len(run.outgoing) == len(run.delivery.sent) > 0
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {str(m["Subject"]) for m in parsed} == {m.subject for m in run.outgoing}
    for message in parsed:
        assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None


@pytest.mark.slow
def test_remind_and_outbox_from_the_command_line(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\n', encoding="utf-8")
    done = cli("remind", str(folder), "--now", MORNING.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["delivery"]["sent"]) == len(result["mails"]) > 0
    assert {m["to"] for m in result["mails"] if m["kind"] == "escalation"} == {"李娜", "陈总", "赵敏"}
    listing = cli("outbox", str(folder), "--json")
    assert listing.returncode == 0, listing.stderr
    assert {m["status"] for m in json.loads(listing.stdout)} == {"sent"}
    assert len(list((folder / "outbox").glob("*.eml"))) == len(result["mails"])


@pytest.mark.slow
def test_a_directory_address_mail_cannot_go_to_is_reported_not_sent(tmp_path, smtp_server):
    folder = make_folder(tmp_path)
    people = [dict(row) for row in directory_rows()]
    people[0]["email"] = "zhang wei@example.com"            # a space: not one address
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=people)
    run = remind(folder, smtp_settings(smtp_server), MORNING)
    assert "张伟" not in by_recipient(smtp_server)
    assert [p.value for p in run.unknown if p.code == "bad-email"] == ["zhang wei@example.com"]
    [report] = [m for m in by_recipient(smtp_server)["王芳"] if "数据问题报告" in str(m["Subject"])]
    assert "zhang wei@example.com" in text_of(report)


@pytest.mark.slow
def test_mail_that_cannot_go_for_days_is_given_up_and_the_clerks_are_told(tmp_path):
    server = SmtpServer().start()
    config = smtp_settings(server, give_up_days=3)
    server.stop()
    folder = make_folder(tmp_path)
    try:
        down = remind(folder, config, MORNING)
        stuck = {m.subject for m in down.outgoing}
        server.start()
        later = remind(folder, config, MORNING + timedelta(days=4))        # Friday: the server is back
        assert {m.subject for m in later.delivery.given_up} == stuck
        sent = {str(r.message["Subject"]) for r in server.received}
        assert not stuck & sent                                           # the old mail never goes out late
        [report] = [r.message for r in server.received if "数据问题报告" in str(r.message["Subject"])]
        text = text_of(report)
        assert "【督办】您有2项逾期 — 2026-11-23" in text and "已放弃" in text
        again = remind(folder, config, MORNING + timedelta(days=7))        # next Monday: told once only
        reports = [r.message for r in server.received if "数据问题报告" in str(r.message["Subject"])]
        assert "已放弃" not in text_of(reports[-1]) and len(reports) == 2
        assert again.delivery.given_up == []
    finally:
        server.stop()
