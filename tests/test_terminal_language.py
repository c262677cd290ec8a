"""What a clerk reads in the terminal follows [company] language and shows the company's time."""
from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from books import cli, make_book, task, user_edit
from test_mail import make_folder

ENV = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TZ": "America/New_York"}


def _folder(tmp_path, lang: str = "zh"):
    make_book(tmp_path, [task("写周报", status="in_progress", progress=0.5)])
    (tmp_path / "duban.toml").write_text(f'[company]\nlanguage = "{lang}"\n', encoding="utf-8")
    assert cli("check", str(tmp_path), "--now", "2026-11-23T09:00", env=ENV).returncode == 0
    user_edit(tmp_path / "任务跟进表.xlsx", {"K2": "已完成", "J2": 1})
    assert cli("check", str(tmp_path), "--now", "2026-11-24T09:00", env=ENV).returncode == 0
    return tmp_path


@pytest.mark.slow
def test_history_speaks_the_clerks_language_not_the_journals_keys(tmp_path):
    shown = cli("history", str(_folder(tmp_path)), "T-000001", env=ENV).stdout
    assert "状态变更" in shown and "进行中 → 已完成" in shown
    assert "当前进度：50% → 100%；状态：进行中 → 已完成" in shown
    assert "任务名称：写周报" in shown and "新增" in shown
    assert "反馈时间" not in shown          # a new row is named by its required columns, not listed column by column
    for internal in ("in_progress", "done", '{"', "created", "changed"):
        assert internal not in shown, internal


@pytest.mark.slow
def test_history_in_english(tmp_path):
    shown = cli("history", str(_folder(tmp_path, "en")), "T-000001", env=ENV).stdout
    assert "status changed" in shown and "In progress → Done" in shown and "Progress: 50% → 100%" in shown


@pytest.mark.slow
def test_explain_in_chinese_and_in_english(tmp_path):
    folder = _folder(tmp_path)
    zh = cli("explain", str(folder), "T-000001", "--now", "2026-11-24T09:00", env=ENV).stdout
    assert "状态：已完成" in zh and "已完成 (done)" in zh and "是否触发" in zh and "conditions not met" not in zh
    (folder / "duban.toml").write_text('[company]\nlanguage = "en"\n', encoding="utf-8")
    en = cli("explain", str(folder), "T-000001", "--now", "2026-11-24T09:00", env=ENV).stdout
    assert "status: Done" in en and "Fired" in en and "是否触发" not in en


@pytest.mark.slow
def test_outbox_lists_company_time_and_worded_states(tmp_path):
    folder = make_folder(tmp_path)           # a directory, tasks and RACI: people to mail
    (folder / "duban.toml").write_text("[mail]\nhold_outside_office_hours = false\n", encoding="utf-8")
    before = datetime.now(ZoneInfo("Asia/Shanghai"))
    assert cli("remind", str(folder), env=ENV).returncode == 0
    shown = cli("outbox", str(folder), env=ENV).stdout
    assert "已发送" in shown and " sent " not in shown
    assert before.strftime("%m-%d %H:") in shown          # Shanghai's hour, not New York's


@pytest.mark.slow
def test_explain_says_how_far_a_blocked_row_is_from_escalation(tmp_path):
    make_book(tmp_path, [task("对账", status="blocked")])
    assert cli("check", str(tmp_path), "--now", "2026-11-23T09:00", env=ENV).returncode == 0
    shown = cli("explain", str(tmp_path), "T-000001", "--now", "2026-11-25T10:00", env=ENV).stdout
    flat = "".join(ch for ch in shown if not ch.isspace() and ch not in "│┃")   # the table may wrap the reason
    assert "自2026-11-23起阻塞2个工作日，满3个工作日升级" in flat
