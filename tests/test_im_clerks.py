"""A new user's findings on the jobs side of group bots (issue 19): one group's fault is the group's,
never mail's (the clerks' problems report goes in the same run; serve's log and self-alert name the
group), and a department in [im.departments] the directory does not have is told to the clerks.

Real folders (tests/books.py workbooks), real state.db, the loopback bots of tests/im_fakes.py."""
from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest

from duban.jobs.remind import remind
from duban.mailer.queue import MailQueue
from im_fakes import FakeBot
from test_im_routing import MORNING, make_folder, with_groups


def mails(folder) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((folder / "outbox").glob("*.eml"))]


def queued(folder, found) -> list[tuple[str, str, str]]:
    with MailQueue(folder / found.state.path) as queue:
        return [(m.channel, m.kind, m.status) for m in queue.entries()]


@pytest.fixture
def bots(monkeypatch):
    """The urgent and the 财务群 bots on loopback; 研发群's variable is set per test (or not)."""
    fakes = {"紧急群": FakeBot("dingtalk").start(), "财务群": FakeBot("feishu").start()}
    monkeypatch.setenv("DUBAN_TEST_URGENT_URL", fakes["紧急群"].url)
    monkeypatch.setenv("DUBAN_TEST_FIN_URL", fakes["财务群"].url)
    monkeypatch.delenv("DUBAN_TEST_RD_URL", raising=False)
    yield fakes
    for fake in fakes.values():
        fake.stop()


@pytest.mark.parametrize("fault", ["unset", "refused"])
def test_a_group_lanes_fault_does_not_hold_back_the_clerks_problems_report(tmp_path, bots, monkeypatch, fault):
    """研发群's webhook variable unset, or its bot refusing the key (WeCom 93000): the lane is held,
    and the clerks' problems report (a mail) still goes in this run, naming the group."""
    if fault == "refused":
        wecom = FakeBot("wecom").start()
        wecom.answer = "93000"
        monkeypatch.setenv("DUBAN_TEST_RD_URL", wecom.url)
    try:
        folder, found = make_folder(tmp_path), with_groups()
        run = remind(folder, found, MORNING + timedelta(minutes=1))
    finally:
        if fault == "refused":
            wecom.stop()
    rows = queued(folder, found)
    assert ("mail", "problems", "sent") in rows, rows
    assert all(status == "sent" for channel, _k, status in rows if channel == "mail")
    assert {s for c, _k, s in rows if c == "group:研发群"} == {"queued"}    # held for its setting
    assert {lane for lane, _e, _s in run.delivery.faults} == {"group:研发群"}
    assert run.undelivered          # the command exits 1 (README: a run that leaves a group held), as for mail


def test_serves_log_line_names_the_group_not_the_mail_server(tmp_path, bots):
    """The line serve logs for a remind whose 研发群 variable is unset: the group's fault, no mail
    server (and no mail waits: the report went)."""
    from duban.jobs import tasks

    folder, found = make_folder(tmp_path), with_groups()
    facts = tasks.remind(folder, found, MORNING + timedelta(minutes=1), False)
    assert "mail server" not in facts["summary"] and facts["server"] is None
    assert "(group 研发群: " in facts["summary"] and "DUBAN_TEST_RD_URL" in facts["summary"]


def test_a_department_the_directory_does_not_have_is_told_to_the_clerks_with_the_likely_name(tmp_path, bots, capsys):
    """[im.departments] maps "市场" (a typo of the directory's 市场部) and "法务部" (no such department
    at all): the terminal and the clerks' problems report say so, with "是不是 市场部？" for the typo."""
    from duban.jobs.terminal.mail import mail_summary  # the run as `duban remind` prints it

    folder = make_folder(tmp_path)
    found = with_groups(departments={"研发部": "研发群", "市场": "财务群", "法务部": "财务群"})
    run = remind(folder, found, MORNING + timedelta(minutes=1))
    said = {p.value: p for p in run.unknown if p.code == "im-department-unknown"}
    assert sorted(said) == ["市场", "法务部"]
    assert said["市场"].message("zh") == (
        "duban.toml：[im.departments] 把部门“市场”对应到群「财务群」，但通讯录中没有这个部门，这一行不起作用"
        "（该群收不到这个部门的日报和升级提醒）。是不是 市场部？请按通讯录中的写法填写部门名称。")
    assert said["市场"].message("en") == (
        "duban.toml: [im.departments] maps the department \"市场\" to the group 财务群, but the directory has no "
        "such department, so that line does nothing (the group gets no digest or escalation of it). Did you mean "
        "市场部? Write the department as the directory does.")
    assert "是不是" not in said["法务部"].message("zh") and "Did you mean" not in said["法务部"].message("en")
    with MailQueue(folder / found.state.path) as queue:
        [report] = [m for m in queue.entries("sent", "mail") if m.kind == "problems"]
    [mail] = [m for m in mails(folder) if str(m["Subject"]) == report.subject]
    text = mail.get_body(("plain",)).get_content()
    assert "部门“市场”对应到群「财务群」" in text and "是不是 市场部？" in text and "部门“法务部”" in text
    capsys.readouterr()
    mail_summary(run, found, False)
    printed = capsys.readouterr().err.replace("\n", "")
    assert "duban.toml：[im.departments] 把部门“市场”" in printed and "无法送达：duban.toml" not in printed


def test_serves_admins_delivery_log_names_a_held_group_not_the_admins_mail(tmp_path, bots):
    """serve delivers its admins' mail through the whole queue: 研发群's unset variable is logged as
    that group's message waiting, not as "the admins' mail waits"."""
    import io

    from duban.jobs.serve.loop import Serve
    from duban.mailer.im.lane import lane
    from duban.mailer.queued import Queued

    found = with_groups()
    (tmp_path / found.state.path).parent.mkdir(parents=True, exist_ok=True)
    with MailQueue(tmp_path / found.state.path) as queue:
        queue.put(Queued("k1", "digest", ["研发群"], "研发部今日待办", b"{}", lane("研发群")), MORNING)
    from duban.jobs.serve import logs

    log = io.StringIO()
    serve = Serve(tmp_path, found, start=MORNING, until=MORNING, stream=log)
    serve.log = logs.setup(serve.tz, None, log)          # as run() sets it up, without the log folder
    try:
        serve._deliver(MORNING)
    finally:
        logs.close(serve.log)
    said = log.getvalue()
    assert "group 研发群's message waits in the queue" in said and "DUBAN_TEST_RD_URL" in said, said
    assert "admins' mail" not in said
