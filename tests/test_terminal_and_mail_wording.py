"""Review 17 (new-user reading): what the terminal and the mails say is true and in the company's
language -- an empty filtered queue, the chart-font line, the service warnings, the English summary's
wording, the IDs of a skipped workbook, and a customer tier inferred from purchases."""
from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from books import cli
from duban.jobs.rules import Context, customers
from duban.jobs.settings import config
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.records import make_record
from test_elapsed_and_lock_messages import book, cell
from test_summary_requests import ignored  # noqa: F401  (the fixture: a department ignoring its requests)

SH = ZoneInfo("Asia/Shanghai")
NOW = "2026-11-28T16:56"
WIDE = {**os.environ, "COLUMNS": "300"}


def _customer(**values):
    return make_record(KINDS["customers"], 2, {"customer": "华东某集团", "manager": "孙丽", **values})


def test_a_tier_inferred_from_purchases_says_so_where_a_filled_tier_does_not():
    rules = config.load().rules
    ctx = Context(datetime(2026, 11, 23, 9, tzinfo=SH), WorkCalendar(), rules, history=lambda r: None,
                  problems=lambda r: [])
    flag = customers.customer_followup_late(_customer(purchases=650, last_contact=date(2026, 11, 14)), ctx)
    assert flag.zh == "战略客户已9天未沟通（周期7天；层级未填，按年采购额650万元视为战略客户）"
    assert flag.en == ("no contact for 9 days (strategic: every 7 days; tier blank, taken as strategic from "
                       "annual purchases of 650 (10k CNY))")
    never = customers.customer_followup_late(_customer(purchases=120), ctx)
    assert never.zh == "重点客户无沟通记录（层级未填，按年采购额120万元视为重点客户）"
    filled = customers.customer_followup_late(_customer(tier="strategic", purchases=650,
                                                        last_contact=date(2026, 11, 14)), ctx)
    assert filled.zh == "战略客户已9天未沟通（周期7天）"


# ---- point 5: a workbook skipped because it is open got no IDs -------------------------------------
@pytest.mark.slow
def test_a_workbook_skipped_because_it_is_open_shows_that_no_ids_were_written(tmp_path):
    folder = tmp_path / "share"
    rows = [{"任务名称": f"周报{n}", "负责人": "张伟", "截止日期": "2026-12-01"} for n in range(3)]
    path = book(folder, "tasks", "任务跟进表.xlsx", rows)
    lock = path.with_name(f".~lock.{path.name}#")
    lock.write_text("Wang Fang,wf,pc-17,23.11.2026 08:55,file:///home/wf;", "utf-8")
    skipped = cli("check", str(folder), "--now", NOW, env=WIDE)
    assert "3（未写入，下次写回时编号）" in skipped.stdout, skipped.stdout
    assert cell(path, 2, "编号").value in (None, "")              # and truly none was written
    (folder / "duban.toml").write_text('[company]\nlanguage = "en"\n', "utf-8")
    english = cli("check", str(folder), "--now", NOW, env=WIDE)
    assert "3 (none written: numbered when the workbook is next written)" in english.stdout, english.stdout
    lock.unlink()
    written = cli("check", str(folder), "--now", NOW, env=WIDE)
    assert "none written" not in written.stdout and str(cell(path, 2, "编号").value).startswith("T-"), written.stdout


# ---- point 1: a filtered queue with nothing in that state -------------------------------------------
@pytest.mark.slow
def test_outbox_status_with_nothing_in_that_state_says_what_the_queue_holds(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    sent = cli("remind", str(folder))
    assert sent.returncode == 0, sent.stderr
    n = len(list((folder / "outbox").glob("*.eml")))
    assert n > 1
    waiting = cli("outbox", str(folder), "--status", "waiting")
    assert waiting.stdout.strip() == f"队列中没有等待发送的邮件（共 {n} 封：已发送 {n} 封）。", waiting.stdout
    assert "队列为空" not in waiting.stdout
    refused = cli("outbox", str(folder), "--status", "failed")
    assert refused.stdout.strip() == f"队列中没有被拒收的邮件（共 {n} 封：已发送 {n} 封）。", refused.stdout
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text("utf-8").replace('language = "zh"', 'language = "en"', 1), "utf-8")
    english = cli("outbox", str(folder), "--status", "set_aside")
    assert english.stdout.strip() == f"No mail in the queue is set aside (it holds {n} mails: {n} sent).", english.stdout
    listed = cli("outbox", str(folder), "--status", "sent", env=WIDE)
    assert listed.stdout.count("sent") >= n, listed.stdout          # the filter itself still lists
    empty = tmp_path / "empty"
    assert cli("init", str(empty)).returncode == 0
    assert cli("outbox", str(empty), "--status", "waiting").stdout.strip() == "队列为空。"


# ---- point 2: the chart font is a diagnostic, not a line every summary prints -----------------------
@pytest.mark.slow
def test_summary_prints_the_chart_font_only_with_debug(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    plain = cli("summary", str(folder), "--week", "--dry-run")
    assert plain.returncode == 0, plain.stderr
    assert "chart font" not in plain.stderr + plain.stdout, plain.stderr
    assert plain.stderr.strip() == "", plain.stderr          # nothing English on a Chinese company's stderr
    debug = cli("--debug", "summary", str(folder), "--week", "--dry-run", env=WIDE)
    assert "chart font:" in debug.stderr, debug.stderr


# ---- point 3: duban service warns in the company's language ----------------------------------------
@pytest.mark.slow
def test_service_warnings_follow_the_company_language(tmp_path):
    folder = tmp_path / "督办"           # under /tmp: the unit leaves PrivateTmp out and says so
    assert cli("init", str(folder)).returncode == 0
    unit = cli("service", str(folder), "--systemd")
    assert unit.returncode == 0, unit.stderr
    assert f"duban: 注意：未加入 PrivateTmp=yes：{folder} 位于 /tmp 之下" in unit.stderr, unit.stderr
    assert "warning:" not in unit.stderr and "left out" not in unit.stderr
    assert "# PrivateTmp=yes left out:" in unit.stdout          # the unit file itself stays English
    task = cli("service", str(folder), "--windows")
    assert "不是 Windows 路径" in task.stderr and "这个任务是在" in task.stderr, task.stderr
    assert "warning:" not in task.stderr and "not a Windows path" not in task.stderr
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text("utf-8").replace('language = "zh"', 'language = "en"', 1), "utf-8")
    english = cli("service", str(folder), "--systemd")
    assert "duban: warning: PrivateTmp=yes left out" in english.stderr and "注意" not in english.stderr, english.stderr
    task = cli("service", str(folder), "--windows")
    assert "is not a Windows path" in task.stderr and "this task was built on" in task.stderr, task.stderr


# ---- point 4: the English summary reads as English --------------------------------------------------
@pytest.mark.slow
def test_the_english_summary_names_the_whole_company_and_says_what_its_average_includes(ignored):  # noqa: F811 - the fixture
    from duban.jobs.summary.view import scope_view
    from duban.mailer.summary import render_summary

    folder, s, run = ignored
    view = scope_view(run.figures, "company", "", {}, None, "en", folder, run.archive, "Zheng", run.now, s, 8)
    text = render_summary(view, "en").text
    assert "This is the weekly report for the whole company, 09-11 17:00 to 09-18 17:00." in text, text
    assert "of Company" not in text and "counting the" not in text
    assert "(including 4 still unacknowledged, counted at their wait so far, so at least this)" in text, text
    from duban.jobs.summary.view import TEXT, _open_in_avg
    assert _open_in_avg(TEXT["en"], 1) == " (including 1 still unacknowledged, counted at its wait so far, so at least this)"
    assert _open_in_avg(TEXT["en"], 0) == ""
    zh = render_summary(scope_view(run.figures, "company", "", {}, None, "zh", folder, run.archive, "郑浩", run.now,
                                   s, 8), "zh").text
    assert "这是全公司本周（09-11 17:00 至 09-18 17:00）的工作周报。" in zh and "（含未确认的4项，按已等待时间计（至少））" in zh, zh
