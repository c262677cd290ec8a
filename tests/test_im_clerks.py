"""A new user's findings on the jobs side of group bots (issue 19): one group's fault is the group's,
never mail's (the clerks' problems report goes in the same run; serve's log and self-alert name the
group), and a department in [im.departments] the directory does not have is told to the clerks.

Real folders (tests/books.py workbooks), real state.db, the loopback bots of tests/im_fakes.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from duban.jobs.remind import remind
from duban.mailer.queue import MailQueue
from im_fakes import FakeBot
from test_im_routing import MORNING, make_folder, with_groups


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


def test_serves_log_line_names_the_group_not_the_mail_server(tmp_path, bots):
    """The line serve logs for a remind whose 研发群 variable is unset: the group's fault, no mail
    server (and no mail waits: the report went)."""
    from duban.jobs import tasks

    folder, found = make_folder(tmp_path), with_groups()
    facts = tasks.remind(folder, found, MORNING + timedelta(minutes=1), False)
    assert "mail server" not in facts["summary"] and facts["server"] is None
    assert "(group 研发群: " in facts["summary"] and "DUBAN_TEST_RD_URL" in facts["summary"]
