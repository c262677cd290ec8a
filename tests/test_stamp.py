"""Each template workbook says, beside its header, when duban last checked it (never in a user's cell)."""
from __future__ import annotations

from datetime import datetime, timedelta

import openpyxl
import python_calamine as calamine

from books import BOOK, NOW, check, make_book, task

STAMP_REF = "R1"          # tasks: 16 columns (A..P), one empty column, then the stamp
STAMP_INDEX = 17          # R, counted from A = 0


def header_row(path) -> list:
    return calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[0]


def test_a_new_template_says_it_was_not_checked_yet(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    book = openpyxl.load_workbook(path)
    assert book["任务跟进表"][STAMP_REF].value == "督办尚未检查此工作簿"
    meta = {r[0].value: r[1].value for r in book["_duban"].iter_rows()}
    assert meta["checked_cell"] == STAMP_REF


def test_the_stamp_names_the_weekday_and_is_rewritten_once_a_day_not_every_run(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=NOW.tzinfo)
    assert check(tmp_path, saturday).write == "written"
    assert header_row(path)[STAMP_INDEX] == "督办检查于 2026-11-28（周六）10:00，颜色与系统提示以此时为准"
    assert check(tmp_path, saturday + timedelta(minutes=30)).write == "unchanged"
    assert header_row(path)[STAMP_INDEX].startswith("督办检查于 2026-11-28（周六）10:00")
    assert check(tmp_path, saturday + timedelta(days=2)).write == "written"
    assert header_row(path)[STAMP_INDEX].startswith("督办检查于 2026-11-30（周一）10:00")


def test_the_stamp_moves_with_any_other_change(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    check(tmp_path, NOW)
    book = openpyxl.load_workbook(path)
    book["任务跟进表"].append([None, "新任务", None, None, "张伟"])
    book.save(path)
    assert check(tmp_path, NOW + timedelta(hours=2)).write == "written"
    assert header_row(path)[STAMP_INDEX].endswith("11:00，颜色与系统提示以此时为准")


def test_a_person_who_takes_the_cell_over_keeps_it(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    book = openpyxl.load_workbook(path)
    book["任务跟进表"][STAMP_REF] = "我的备注"
    book.save(path)
    check(tmp_path, NOW)
    assert header_row(path)[STAMP_INDEX] == "我的备注"


def test_a_workbook_made_by_hand_gets_no_stamp(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "任务跟进表"
    sheet.append(["编号", "任务名称", "负责人", "截止日期", "状态", "系统提示"])
    sheet.append([None, "写周报", "张伟", datetime(2026, 11, 20), "进行中"])
    book.save(tmp_path / BOOK)
    assert check(tmp_path, NOW).write == "written"           # an ID and an Alerts text
    assert header_row(tmp_path / BOOK) == ["编号", "任务名称", "负责人", "截止日期", "状态", "系统提示"]
