"""Review of issue 17 (point 5): a due time of day passed less than a day ago is told in hours in
`explain` and in the summary's overdue list (as the Alerts say 逾期11小时), English counts are
singular for one, and a time typed as text carries the company offset in `check --json`."""
from __future__ import annotations

import email
import email.policy
import json

import openpyxl
import pytest

from test_cli import duban


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("times") / "demo"
    assert duban("init", folder, "--demo").returncode == 0
    assert duban("check", folder, "--now", "2026-12-07T02:20").returncode == 0
    return folder


@pytest.mark.slow
def test_explain_says_hours_for_an_eta_passed_less_than_a_day_ago(demo):
    out = duban("explain", demo, "I-000002", "--now", "2026-12-07T02:20").stdout      # ETA 2026-12-06 15:20
    assert "预计完成时间 2026-12-06 15:20：已过 11小时" in out and "1 天（1 个工作日）" not in out, out


@pytest.mark.slow
def test_the_summary_overdue_list_says_hours_too(demo):
    assert duban("summary", demo, "--week", "--now", "2026-12-07T02:25").returncode == 0
    lines = [line for p in (demo / "outbox").glob("*.eml")
             for line in email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             .get_body(("plain",)).get_content().splitlines() if line.startswith("- I-000002")]
    assert lines and all(line.split(" (")[0].endswith("截止日期 2026-12-06 15:20, 11小时") for line in lines), lines


@pytest.mark.slow
def test_english_explain_says_1_day_and_1_working_day(tmp_path):
    folder = tmp_path / "en"
    assert duban("init", folder, "--demo", "--lang", "en").returncode == 0
    assert duban("check", folder, "--now", "2026-12-04T10:00").returncode == 0
    out = duban("explain", folder, "T-000004", "--now", "2026-12-04T10:00").stdout
    assert "Due 2026-12-03: 1 day ago, 1 working day\n" in out and "1 days" not in out, out
    later = duban("explain", folder, "T-000001", "--now", "2026-12-04T10:00").stdout
    assert "Due 2026-12-08: 2 working days from today" in later


@pytest.mark.slow
def test_a_time_typed_as_text_has_the_company_offset_in_check_json(tmp_path):
    folder = tmp_path / "demo"
    assert duban("init", folder, "--demo").returncode == 0
    path = folder / "紧急事务响应表.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    column = next(c.column for c in sheet[1] if c.value == "预计完成时间")
    sheet.cell(3, column).value = "12月6日15:20"       # I-000002's ETA, typed the common way
    book.save(path)
    result = duban("check", folder, "--now", "2026-12-07T02:20", "--json", "--dry-run")
    flags = [f for f in json.loads(result.stdout)["flags"] if f["rule"] == "overdue" and f["sheet"] == "紧急事务响应表"]
    assert [(f["message"], f["deadline"]) for f in flags] == [("逾期11小时", "2026-12-06T15:20:00+08:00")]
