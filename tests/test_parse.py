"""Typed parsing of the forms staff actually type: dates, percents, dropdown values, people."""
from datetime import date, datetime

import pytest

from duban.workbooks.model.kinds import KINDS
from duban.workbooks.read.parse import Issue, choice_parser, converter, norm, parse_people, parse_percent, parse_person

TODAY = date(2026, 11, 23)
DUE = KINDS["tasks"].column("due")
SUBMITTED = KINDS["requests"].column("submitted")


@pytest.mark.parametrize("raw, expected", [
    (date(2026, 8, 10), date(2026, 8, 10)),
    (datetime(2026, 8, 10, 15, 30), date(2026, 8, 10)),
    (46244.0, date(2026, 8, 10)),             # Excel serial number
    (46244, date(2026, 8, 10)),
    ("2026-08-10", date(2026, 8, 10)),
    ("2026/8/10", date(2026, 8, 10)),
    ("2026.8.10", date(2026, 8, 10)),
    ("2026年8月10日", date(2026, 8, 10)),
    ("２０２６年８月１０日", date(2026, 8, 10)),  # full-width digits
    ("8月10日", date(2026, 8, 10)),
    ("8月10日前", date(2026, 8, 10)),           # as written in the seed templates
    ("8/10", date(2026, 8, 10)),
    (" 2026-08-10 ", date(2026, 8, 10)),
    ("20260810", date(2026, 8, 10)),
])
def test_date_forms(raw, expected):
    assert converter(DUE, TODAY)(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("2026-11-23 14:30", datetime(2026, 11, 23, 14, 30)),
    ("2026/11/23 9:05", datetime(2026, 11, 23, 9, 5)),
    ("2026年11月23日 14时30分", datetime(2026, 11, 23, 14, 30)),
    (date(2026, 11, 23), datetime(2026, 11, 23)),
    (46349.5, datetime(2026, 11, 23, 12, 0)),
])
def test_datetime_forms(raw, expected):
    assert converter(SUBMITTED, TODAY)(raw) == expected


@pytest.mark.parametrize("raw", ["11月31日", "2026-02-30", "明天", "soon", "13/45", 0, -5.0, True])
def test_bad_dates_are_issues_with_an_example(raw):
    result = converter(DUE, TODAY)(raw)
    assert isinstance(result, Issue) and result.code == "bad-date"
    assert result.value is None
    assert result.params["example"]


def test_impossible_day_suggests_last_day_of_that_month():
    assert converter(DUE, TODAY)("11月31日").params["example"] == "2026-11-30"


def test_yearless_date_far_from_today_is_noted_as_an_assumption():
    result = converter(DUE, TODAY)("1/5")       # in November, "1/5" may mean next January
    assert isinstance(result, Issue) and result.code == "assumed-year"
    assert result.value == date(2026, 1, 5)
    assert converter(DUE, TODAY)("12/5") == date(2026, 12, 5)  # close to today: no note


@pytest.mark.parametrize("raw, expected", [
    ("75%", 0.75), ("75 %", 0.75), ("７５％", 0.75), (0.75, 0.75), ("0.75", 0.75), (75, 0.75), ("75", 0.75),
    (1, 1.0), ("100%", 1.0), (0, 0.0), ("□50%", 0.5),
])
def test_percent_forms(raw, expected):
    assert parse_percent(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["abc", "150%", -0.2, 250, True])
def test_bad_percent(raw):
    assert parse_percent(raw).code == "bad-percent"


STATUS = KINDS["tasks"].column("status")


@pytest.mark.parametrize("raw, key", [
    ("已完成", "done"), (" 已完成 ", "done"), ("Done", "done"), ("DONE", "done"), ("in progress", "in_progress"),
    ("In  Progress", "in_progress"), ("阻塞", "blocked"), ("☑已完成", "done"), ("延期", "delayed"),
])
def test_status_in_either_language(raw, key):
    assert choice_parser(STATUS)(raw) == key


def test_unknown_status_lists_the_choices_in_both_languages():
    issue = choice_parser(STATUS)("搁置")
    assert issue.code == "unknown-status"
    assert "未开始、进行中、已完成、阻塞、延期" == issue.params["choices"]["zh"]
    assert "Blocked" in issue.params["choices"]["en"]


def test_other_enum_gives_unknown_choice():
    assert choice_parser(KINDS["tasks"].column("priority"))("urgent").code == "unknown-choice"
    assert choice_parser(KINDS["tasks"].column("priority"))(" high ") == "high"


@pytest.mark.parametrize("raw", ["张三、李四", "张三,李四", "张三，李四", "张三;李四", "张三；李四", " 张三 、 李四 "])
def test_people_separators(raw):
    assert parse_people(raw) == ("张三", "李四")


def test_person_takes_exactly_one():
    assert parse_person("张三") == "张三"
    issue = parse_person("张三、李四")
    assert issue.code == "multiple-owners" and issue.value == "张三"


def test_blank_cells_are_none():
    convert = converter(DUE, TODAY)
    assert convert("") is None and convert("   ") is None and convert(None) is None


def test_norm_folds_width_case_and_spaces():
    assert norm(" 对接人（首接人） ") == norm("对接人(首接人)")
    assert norm("Help Needed From") == norm("help needed  from")
