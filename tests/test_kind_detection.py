"""Which kind a hand-made workbook is taken for (issue 16, point 15): a timesheet headed Project,
Task, Date, Hours was taken for a RACI table (Project and Task are its two required columns) and a
check made a .duban folder beside it. A kind now needs at least three of its own columns, two of
them required, and RACI one of its R/A/C/I columns; validate says which kind it took and why."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from books import NOW, settings
from duban.jobs.check import check_folder
from duban.workbooks.read.reader import read_workbook
from test_cli import duban

TODAY = date(2026, 11, 23)


def sheet(path: Path, rows: list[list], title: str = "Sheet1") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


TIMESHEET = [["Project", "Task", "Date", "Hours", "Employee"],
             ["Apollo", "Design review", date(2026, 11, 20), 3.5, "Zhang Wei"],
             ["Apollo", "Testing", date(2026, 11, 21), 6, "Li Na"]]


def test_a_timesheet_is_not_taken_for_a_raci_table(tmp_path):
    read = read_workbook(sheet(tmp_path / "timesheet.xlsx", TIMESHEET, "Timesheet"), TODAY)
    assert read.kind is None and [p.code for p in read.problems] == ["unknown-kind"]
    zh, en = read.problems[0].message("zh"), read.problems[0].message("en")    # the near miss, and what it lacks
    assert "第1行的表头与RACI权责表有 2 列相同（Project、Task），但要认作RACI权责表" in zh
    assert "并且有负责人R、审批人A、咨询人C、知情人I中的至少一列。请使用 duban init" in zh
    assert "Row 1 shares 2 columns with RACI (Project, Task)" in en and "one of Responsible, Accountable" in en


def test_a_sheet_naming_no_kinds_columns_gets_no_hint(tmp_path):
    read = read_workbook(sheet(tmp_path / "notes.xlsx", [["备注"], ["这里只是说明文字"]]), TODAY)
    assert read.problems[0].message("zh") == ("notes.xlsx：在前 20 行中找不到任何督办表格的表头。请使用 duban init 生成的"
                                              "模板，或把表头改成模板中的列名（如“任务名称”“负责人”“截止日期”）。")


def test_a_check_of_a_folder_with_only_a_timesheet_leaves_no_state_folder(tmp_path):
    sheet(tmp_path / "timesheet.xlsx", TIMESHEET, "Timesheet")
    report = check_folder(tmp_path, settings(), NOW)
    assert [(w.relpath, w.read.kind) for w in report.workbooks] == [("timesheet.xlsx", None)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timesheet.xlsx"]      # no .duban beside it
    assert (tmp_path / "timesheet.xlsx").read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("headers, kind", [
    (["Project", "Task", "Responsible"], "raci"),                     # one R/A/C/I column makes it RACI
    (["项目", "任务", "审批人A", "知情人I"], "raci"),
    (["Project", "Task", "Owner", "Due"], "tasks"),                   # a timesheet-like table that is a task list
    (["任务名称", "负责人", "截止日期"], "tasks"),                       # the three required columns
    (["Task", "Owner"], None),                                        # two words are not a table
    (["Project", "Status", "Priority"], None),                        # none of tasks' required columns
])
def test_a_kind_needs_more_than_a_couple_of_common_headers(tmp_path, headers, kind):
    read = read_workbook(sheet(tmp_path / "t.xlsx", [headers, ["x"] * len(headers)]), TODAY)
    assert (read.kind.key if read.kind else None) == kind


@pytest.mark.slow
def test_validate_says_which_kind_it_took_and_why(tmp_path):
    sheet(tmp_path / "任务.xlsx", [["任务名称", "负责人", "截止日期", "状态", "备注"], ["写周报", "张伟", "2026-12-01", "进行中", ""]])
    sheet(tmp_path / "Tasks.xlsx", [["Owner", "Task", "Due"], ["Zhang Wei", "Report", "2026-12-01"]])
    result = duban("validate", tmp_path, "--now", "2026-11-23T09:00")
    assert result.returncode == 0, result.stderr
    assert "  认作任务跟进表：第1行表头匹配到 4/16 列：任务名称、负责人、截止日期、状态" in result.stdout.splitlines()
    assert "  taken for Tasks: header row 1 matches 3 of its 16 columns: Owner, Task, Due" in result.stdout.splitlines()
    books = {b["file"]: b for b in json.loads(duban("validate", tmp_path, "--json").stdout)["workbooks"]}
    assert books["任务.xlsx"]["detected"] == "认作任务跟进表：第1行表头匹配到 4/16 列：任务名称、负责人、截止日期、状态"
