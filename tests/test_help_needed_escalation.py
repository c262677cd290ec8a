"""Review of issue 17 (point 4): a row the blocked rule flags because 需协助部门 is filled in (its
status 进行中) escalates after the same working days as a 阻塞 row, so the help department's head
hears of it; and its next step asks to clear 需协助部门 once helped, not to set back a status it has."""
from __future__ import annotations

import email
import email.policy
from datetime import date

import pytest

from duban.jobs.rules import RowHistory, deadlines
from duban.mailer.nextsteps import next_step
from test_cli import duban
from test_rules import at, ctx, task


def test_a_help_needed_row_escalates_like_a_blocked_one():
    rec = task(due=date(2026, 12, 15), help_from="财务部")       # status in_progress
    since = RowHistory(status_since=at(2026, 11, 20, 10))         # Friday
    assert deadlines.escalated(rec, ctx(at(2026, 11, 24, 9), since)) is None        # Mon, Tue: 2
    assert deadlines.escalated(rec, ctx(at(2026, 11, 25, 9), since)).zh == "阻塞已满3个工作日，已升级"
    assert deadlines.escalated(task(due=date(2026, 12, 15)), ctx(at(2026, 11, 25, 9), since)) is None


def test_the_next_step_of_a_help_needed_row_that_is_not_blocked_clears_the_department():
    step = next_step("blocked", "tasks", "zh", help_from="财务部", status_blocked=False)
    assert step == "与“需协助部门”中的财务部沟通，在“完成情况简述”写明还在等什么；协助到位后清空“需协助部门”。"
    en = next_step("blocked", "tasks", "en", book_lang="en", help_from="Finance", status_blocked=False)
    assert en.endswith('once the help has arrived, clear "Help needed from".') and "set back" not in en
    assert "改回“进行中”" in next_step("blocked", "tasks", "zh", help_from="财务部")     # a 阻塞 status still is


@pytest.mark.slow
def test_demo_row_with_help_from_escalates_to_the_help_department_head(tmp_path):
    assert duban("init", tmp_path / "demo", "--demo").returncode == 0
    assert duban("check", tmp_path / "demo", "--now", "2026-11-26T08:00").returncode == 0
    out = duban("explain", tmp_path / "demo", "T-000002", "--now", "2026-12-07T10:00").stdout
    assert "状态：进行中" in out
    line = next(x for x in out.splitlines() if "(escalated)" in x)
    assert "是" in line and "阻塞已满3个工作日，已升级" in line, out
    assert duban("remind", tmp_path / "demo", "--now", "2026-12-07T10:00").returncode == 0
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in (tmp_path / "demo" / "outbox").glob("*.eml")]
    texts = [(str(m["To"]), m["Subject"], m.get_body(("plain",)).get_content()) for m in mails]
    head = next(t for to, subject, t in texts if "何俊" in to and "升级提醒" in subject)     # 财务部's head
    assert "您部门（财务部）被列为“需协助部门”" in head and "阻塞已11天（自2026-11-26起）" in head
    owner = next(t for to, _subject, t in texts if "孙丽" in to and "T-000002" in t)
    item = owner[owner.index("T-000002"):].split("文件：")[0]
    assert "协助到位后清空“需协助部门”" in item and "改回" not in item


@pytest.mark.slow
def test_the_urgent_alert_to_a_head_says_the_same_next_step(tmp_path):
    assert duban("init", tmp_path / "demo", "--demo").returncode == 0
    assert duban("check", tmp_path / "demo", "--now", "2026-11-26T08:00").returncode == 0
    assert duban("alert", tmp_path / "demo", "--now", "2026-12-07T10:05").returncode == 0
    steps = [line for p in (tmp_path / "demo" / "outbox").glob("*.eml")
             for line in email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             .get_body(("plain",)).get_content().splitlines() if "请督促负责人孙丽" in line]
    assert steps and all("协助到位后清空“需协助部门”" in s and "改回" not in s for s in steps), steps
