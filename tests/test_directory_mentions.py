"""Issue 19: the directory's optional columns for group-bot @-mentions (手机 / Mobile, 企业微信ID,
钉钉ID, 飞书ID). Read under either language's headers; a mobile number that is not one is a data
problem naming its cell (never a crash, and no @ by it); a directory made before these columns
reads exactly as before; `duban init` writes them, and the demo fills some and leaves some empty."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from duban.workbooks.make import demo
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.directory import Directory, Person
from duban.workbooks.model.kinds import DIRECTORY
from duban.workbooks.read.reader import read_workbook

TODAY = date(2026, 12, 7)
HEADERS = {
    "zh": ["姓名", "部门", "邮箱", "手机", "企业微信ID", "钉钉ID", "飞书ID"],
    "en": ["Name", "Department", "Email", "Mobile", "WeCom user ID", "DingTalk user ID", "Feishu user ID"],
}
OLD_HEADERS = {"zh": ["姓名", "部门", "邮箱", "部门负责人", "语言"], "en": ["Name", "Department", "Email", "Dept head", "Language"]}


def book(path: Path, header: list[str], *rows: list) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def people(path: Path) -> tuple[dict[str, Person], list]:
    read = read_workbook(path, TODAY)
    assert read.kind is DIRECTORY
    return Directory.from_reads([read]).people, read.problems


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_mention_columns_are_read_under_either_languages_headers(tmp_path, lang):
    path = book(tmp_path / "dir.xlsx", HEADERS[lang],
                ["张伟", "市场部", "zhangwei@example.com", "138 0013 8000", "  ZhangWei ", "manager4100", "5e1a7c00"],
                ["李娜", "市场部", "lina@example.com", None, None, None, None])
    found, problems = people(path)
    assert problems == []
    zhang, li = found["张伟"], found["李娜"]
    assert (zhang.mobile, zhang.wecom_id, zhang.dingtalk_id, zhang.feishu_id) == (
        "13800138000", "ZhangWei", "manager4100", "5e1a7c00")        # digits only; IDs trimmed
    assert (li.mobile, li.wecom_id, li.dingtalk_id, li.feishu_id) == (None, None, None, None)   # plain name, no @


@pytest.mark.parametrize("written", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
                                     "+86-13800138000", "0086 13800138000", "8613800138000", "(138) 0013 8000",
                                     "１３８００１３８０００", 13800138000, 13800138000.0])
def test_a_mobile_number_is_kept_as_its_eleven_digits_however_it_is_written(tmp_path, written):
    path = book(tmp_path / "dir.xlsx", HEADERS["zh"][:4], ["张伟", "市场部", "zhangwei@example.com", written])
    found, problems = people(path)
    assert problems == [] and found["张伟"].mobile == "13800138000"


def test_other_headers_people_write_for_the_mobile_column_are_taken_too(tmp_path):
    path = book(tmp_path / "dir.xlsx", ["姓名", "部门", "邮箱", "手机号码"], ["张伟", "市场部", "z@example.com", "13800138000"])
    assert people(path)[0]["张伟"].mobile == "13800138000"


@pytest.mark.parametrize("bad", ["1380013800", "138001380001", "021-6234 5678", "23800138000", "12800138000",
                                 "+1 415 555 0100", "问张伟", "13800138000 / 13900139000"])
def test_a_number_that_is_not_a_mobile_is_a_problem_at_its_cell_and_no_mention(tmp_path, bad):
    path = book(tmp_path / "dir.xlsx", HEADERS["zh"],
                ["张伟", "市场部", "zhangwei@example.com", "13800138000", "ZhangWei", None, None],
                ["李娜", "市场部", "lina@example.com", bad, "LiNa", None, None])
    found, problems = people(path)
    [problem] = problems
    assert (problem.code, problem.cell, problem.row, problem.column, problem.value) == ("bad-mobile", "D3", 3, "mobile", bad)
    assert problem.severity == "warning"
    zh, en = problem.message("zh"), problem.message("en")
    assert zh.startswith("Sheet!D3：") and en.startswith("Sheet!D3: ")
    assert f"“{bad}”不是有效的手机号码" in zh and "11位" in zh and "138 0013 8000" in zh and "留空" in zh
    assert f'"{bad}" is not a mobile number' in en and "11-digit" in en and "leave the cell empty" in en
    assert found["李娜"].mobile is None and found["李娜"].wecom_id == "LiNa"     # the rest of the row still counts
    assert found["张伟"].mobile == "13800138000"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_directory_without_the_columns_reads_as_before_with_no_problem(tmp_path, lang):
    path = book(tmp_path / "old.xlsx", OLD_HEADERS[lang],
                ["张伟", "市场部", "zhangwei@example.com", "是" if lang == "zh" else "Yes", "zh"],
                ["李娜", "市场部", "lina@example.com", "否" if lang == "zh" else "No", "en"])
    found, problems = people(path)
    assert problems == []
    assert found["张伟"] == Person("张伟", "市场部", "zhangwei@example.com", True, None, "zh")
    assert found["李娜"] == Person("李娜", "市场部", "lina@example.com", False, None, "en")
    assert all(p.mobile is p.wecom_id is p.dingtalk_id is p.feishu_id is None for p in found.values())


def test_the_columns_are_optional_in_the_kind():
    keys = ("mobile", "wecom_id", "dingtalk_id", "feishu_id")
    assert all(not DIRECTORY.column(k).required for k in keys)
    assert [c.key for c in DIRECTORY.columns][-4:] == list(keys)       # after the old ones: old files keep their order


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_template_has_the_columns_with_help_in_its_language(tmp_path, lang):
    path = write_workbook("directory", tmp_path / DIRECTORY.filename(lang), lang)
    read = read_workbook(path, TODAY)
    assert read.kind is DIRECTORY and read.problems == []
    for key in ("mobile", "wecom_id", "dingtalk_id", "feishu_id"):
        assert read.headers[key] == DIRECTORY.column(key).header(lang)
    wb = openpyxl.load_workbook(path)
    guide = {str(c.value) for row in wb.worksheets[1].iter_rows() for c in row if c.value is not None}
    for key in ("mobile", "wecom_id", "dingtalk_id", "feishu_id"):
        column = DIRECTORY.column(key)
        assert column.header(lang) in guide and column.help(lang) in guide
    mobile = openpyxl.utils.get_column_letter(read.columns["mobile"] + 1)
    assert wb.worksheets[0].column_dimensions[mobile].number_format == "@"    # "+86 138…" stays as typed


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_demo_directory_fills_some_mentions_and_leaves_some_empty(tmp_path, lang):
    rows = demo.demo_rows(TODAY, lang)["directory"]
    path = write_workbook("directory", tmp_path / DIRECTORY.filename(lang), lang, rows)
    found, problems = people(path)
    assert problems == []
    everyone = list(found.values())
    for field in ("mobile", "wecom_id", "dingtalk_id", "feishu_id"):
        filled = [getattr(p, field) for p in everyone if getattr(p, field)]
        assert 0 < len(filled) < len(everyone), field
    assert all(len(p.mobile) == 11 and p.mobile.startswith("138") for p in everyone if p.mobile)
    assert {p.mobile for p in everyone if p.mobile} >= {"13800138000", "13800138001"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_duban_init_writes_the_columns_and_the_demo_mentions(tmp_path, lang):
    from duban.jobs.init import init_folder

    init_folder(tmp_path / "plain", lang, today=TODAY)
    init_folder(tmp_path / "demo", lang, demo=True, today=TODAY)
    plain = read_workbook(tmp_path / "plain" / DIRECTORY.filename(lang), TODAY)
    assert {"mobile", "wecom_id", "dingtalk_id", "feishu_id"} <= plain.columns.keys() and plain.records == []
    found, problems = people(tmp_path / "demo" / DIRECTORY.filename(lang))
    assert problems == [] and any(p.mobile for p in found.values()) and any(not p.mobile for p in found.values())
