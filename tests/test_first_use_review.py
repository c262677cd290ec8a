"""What a new user found looking at the demo as its readers would: each fix, checked on the real file."""
from __future__ import annotations

import email
import email.policy
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

import lo
from books import cli
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.make.template import write_workbook

needs_lo = pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)


def test_a_rejected_request_is_not_grey_which_the_legend_keeps_for_not_updated(tmp_path):
    path = write_workbook("requests", tmp_path / "r.xlsx")
    rules = [rule for cf in load_workbook(path).worksheets[0].conditional_formatting for rule in cf.rules]
    colouring = [f for rule in rules for f in rule.formula if "已拒绝" in f]
    assert colouring and all("NOT(" in f for f in colouring)     # only as "not closed" in the overdue rule
    assert any('="已完成"' in f and "NOT(" not in f for rule in rules for f in rule.formula)


def test_the_printed_sheet_ends_with_the_last_checked_note(tmp_path):
    path = write_workbook("tasks", tmp_path / "t.xlsx")
    sheet = load_workbook(path).worksheets[0]
    assert sheet.print_area == f"'{sheet.title}'!$A$1:$Q$1048576"       # the "last checked" note in Q1 (issue 17)


def test_the_mail_footer_puts_the_date_on_its_own_line(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    assert cli("remind", str(folder)).returncode in (0, 1)
    [first, *_] = sorted((folder / "outbox").glob("*.eml"))
    html = email.message_from_bytes(first.read_bytes(), policy=email.policy.default) \
        .get_body(("html",)).get_content()
    assert "自动停止。 ·" not in html and "<br><span style=\"white-space:nowrap;\">" in html


@needs_lo
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_libreoffice_prints_the_table_with_the_note_beside_it(tmp_path):
    path = write_workbook("tasks", tmp_path / "t.xlsx")
    [pdf] = lo.convert_all([path], "pdf", tmp_path / "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "任务名称" in text and "系统提示" in text
    assert "督办尚未检查此工作簿" in text        # a printed page says when duban last looked (issue 17)


def test_retry_with_nothing_waiting_says_only_that(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    assert cli("remind", str(folder)).returncode in (0, 1)
    again = cli("outbox", str(folder), "--retry")
    assert again.returncode == 0
    assert again.stdout.strip() == "队列中没有等待发送的邮件。" and "0 封" not in again.stdout


def test_the_archive_names_the_configured_limits(tmp_path):
    import python_calamine as calamine
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("ack_working_hours = 2 ", "ack_working_hours = 4 ", 1)
                    .replace("incident_response_minutes = 10 ", "incident_response_minutes = 15 ", 1), encoding="utf-8")
    done = cli("summary", str(folder), "--week")
    assert done.returncode == 0, done.stderr
    [archive] = (folder / "reports").rglob("周报-*.xlsx")
    book = calamine.CalamineWorkbook.from_path(str(archive))
    cells = {str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row}
    assert "4工作小时内确认" in cells and "15分钟内响应" in cells
    assert "2工作小时内确认" not in cells and "10分钟内响应" not in cells
