"""The reader on real .xlsx files: header tolerance, true row numbers, typed records, problems."""
from datetime import date

import openpyxl
import pytest

from duban.workbooks.model.kinds import KINDS
from duban.workbooks.read.reader import read_workbook

TODAY = date(2026, 11, 23)
TASKS = KINDS["tasks"]


def write(path, rows, title="任务跟进表", at=(1, 1)):
    """Write `rows` (lists) with the first at cell `at` (row, column), like a person would."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                sheet.cell(at[0] + i, at[1] + j, value)
    book.save(path)
    return path


def codes(read):
    return sorted(p.code for p in read.problems)


def test_plain_header_in_row_one(tmp_path):
    path = write(tmp_path / "t.xlsx", [["任务名称", "负责人", "截止日期", "状态"],
                                       ["写周报", "张伟", date(2026, 11, 27), "进行中"]])
    read = read_workbook(path, TODAY)
    assert read.kind.key == "tasks" and read.lang == "zh" and read.header_row == 1
    [rec] = read.records
    assert (rec.row, rec["task"], rec["owner"], rec["due"], rec["status"]) == (2, "写周报", "张伟", date(2026, 11, 27), "in_progress")
    assert rec["project"] is None                     # absent column reads as blank
    assert read.problems == []


def test_title_row_reordered_columns_stray_spaces_and_extra_columns(tmp_path):
    rows = [["2026年第四季度 市场部任务跟进表"], [],
            [" 截止 日期", "我的备注", "状态 ", "负责人", "任务名称"],
            [date(2026, 12, 1), "随便写", "已完成", "王芳", "报销"],
            [None, None, None, None, None],
            [date(2026, 12, 2), None, "阻塞", "李娜", "对账"]]
    read = read_workbook(write(tmp_path / "t.xlsx", rows), TODAY)
    assert read.kind.key == "tasks" and read.header_row == 3
    assert [r.row for r in read.records] == [4, 6]    # the blank row 5 is skipped, not the end
    assert [r["task"] for r in read.records] == ["报销", "对账"]
    assert "我的备注" not in read.records[0]


def test_leading_empty_rows_and_columns_keep_true_cell_addresses(tmp_path):
    rows = [["任务名称", "负责人", "截止日期"], ["对账", "李娜", "11月31日"]]
    read = read_workbook(write(tmp_path / "t.xlsx", rows, at=(5, 3)), TODAY)
    assert read.header_row == 5 and read.records[0].row == 6
    [problem] = read.problems
    assert (problem.code, problem.cell) == ("bad-date", "E6")
    assert problem.message("zh") == "任务跟进表!E6：“11月31日”不是有效日期。请写成 2026-11-30 这样的日期，或在单元格中选择日期。"
    assert problem.message("en") == '任务跟进表!E6: "11月31日" is not a date. Write it as 2026-11-30 or pick a date in the cell.'


def test_english_headers_and_statuses(tmp_path):
    rows = [["Task", "Owner", "Due", "Status", "Progress"], ["Weekly report", "Zhang Wei", "2026/11/27", "Done", "100%"]]
    read = read_workbook(write(tmp_path / "t.xlsx", rows, title="Tasks"), TODAY)
    assert read.kind.key == "tasks" and read.lang == "en"
    rec = read.records[0]
    assert (rec["status"], rec["progress"], rec.done) == ("done", 1.0, True)


def test_every_kind_is_recognised_from_its_chinese_and_english_headers(tmp_path):
    for key, kind in KINDS.items():
        for lang in ("zh", "en"):
            headers = [c.header(lang) for c in kind.columns]
            read = read_workbook(write(tmp_path / f"{key}-{lang}.xlsx", [headers], title="Sheet1"), TODAY)
            assert (read.kind and read.kind.key, read.lang) == (key, lang), headers
            assert set(read.columns) == {c.key for c in kind.columns}


def test_missing_required_column_is_a_workbook_problem_and_rows_are_still_read(tmp_path):
    rows = [["任务名称", "负责人", "状态"], ["写周报", "张伟", "进行中"], ["对账", "李娜", "阻塞"]]
    read = read_workbook(write(tmp_path / "t.xlsx", rows), TODAY)
    assert codes(read) == ["missing-column"]
    assert read.problems[0].column == "due" and read.problems[0].scope == "workbook"
    assert "截止日期" in read.problems[0].message("zh") and '"Due"' in read.problems[0].message("en")
    assert [r["status"] for r in read.records] == ["in_progress", "blocked"]


def test_row_problems(tmp_path):
    rows = [["编号", "任务名称", "负责人", "截止日期", "当前进度", "状态"],
            ["T-000001", "甲", "张伟", "2026-12-01", "50%", "已完成"],     # status / progress disagree
            ["T-000001", "乙", "张伟、李娜", "2026-12-01", "20%", "进行中"],  # duplicate id, two owners
            [None, None, "王芳", "明天", "abc", "搁置"]]                       # empty task, bad date/percent/status
    read = read_workbook(write(tmp_path / "t.xlsx", rows), TODAY)
    found = {(p.code, p.cell) for p in read.problems}
    assert found == {("status-progress-mismatch", "F2"), ("duplicate-id", "A3"), ("multiple-owners", "C3"),
                     ("required-empty", "B4"), ("bad-date", "D4"), ("bad-percent", "E4"), ("unknown-status", "F4")}
    assert read.records[1]["owner"] == "张伟"          # the first owner is kept for reminders
    dup = next(p for p in read.problems if p.code == "duplicate-id")
    assert "任务跟进表!A2" in dup.message("zh")


def test_meta_sheet_declares_the_kind_even_with_odd_headers(tmp_path):
    path = write(tmp_path / "t.xlsx", [["会议名称", "行动项", "负责人", "完成时限", "记录人", "会议时间"]], title="我的表")
    book = openpyxl.load_workbook(path)
    meta = book.create_sheet("_duban")
    meta.append(["kind", "meetings"])
    meta.append(["lang", "en"])
    meta.sheet_state = "hidden"
    book.save(path)
    read = read_workbook(path, TODAY)
    assert (read.kind.key, read.lang, read.meta["kind"]) == ("meetings", "en", "meetings")


@pytest.mark.parametrize("email, ok", [("wang.fang@example.com", True), ("wangfang", False), ("a b@x.cn", False)])
def test_directory_emails(tmp_path, email, ok):
    rows = [["姓名", "部门", "邮箱"], ["王芳", "综合管理部", email]]
    read = read_workbook(write(tmp_path / "d.xlsx", rows, title="通讯录"), TODAY)
    assert read.kind.key == "directory"
    assert codes(read) == ([] if ok else ["bad-email"])


@pytest.mark.parametrize("declared", [False, True])
def test_a_second_duban_table_on_another_sheet_is_reported_not_ignored(tmp_path, declared):
    path = write(tmp_path / "t.xlsx", [["任务名称", "负责人", "截止日期", "状态"],
                                       ["写周报", "张伟", date(2026, 11, 27), "进行中"]])
    book = openpyxl.load_workbook(path)
    extra = book.create_sheet("二组任务")
    extra.append(["Task", "Owner", "Due", "Status"])
    extra.append(["Plan", "李娜", date(2026, 11, 30), "In progress"])
    book.create_sheet("备注").append(["这里只是说明文字"])
    if declared:
        meta = book.create_sheet("_duban")
        meta.append(["kind", "tasks"])
        meta.sheet_state = "hidden"
    book.save(path)
    read = read_workbook(path, TODAY)
    assert read.sheet == "任务跟进表" and [r["task"] for r in read.records] == ["写周报"]
    [second] = [p for p in read.problems if p.code == "second-table"]
    assert (second.scope, second.sheet) == ("workbook", "二组任务")
    assert second.message("zh") == ("t.xlsx [二组任务]：工作表“二组任务”中也有一张督办表格（任务跟进表），但督办只读取"
                                    "工作表“任务跟进表”，“二组任务”中的行不会被检查或提醒。请把这些行移到“任务跟进表”中，或单独存为一个工作簿。")
    assert "Move them into \"任务跟进表\"" in second.message("en")


def test_a_template_workbook_has_no_second_table(tmp_path):
    from duban.workbooks.make.template import write_workbook
    for key in KINDS:
        read = read_workbook(write_workbook(key, tmp_path / f"{key}.xlsx", lang="zh", rows=[]), TODAY)
        assert "second-table" not in codes(read), key
