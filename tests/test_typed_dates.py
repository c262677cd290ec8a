"""Dates as people type them (issue 17, point 10): no space before the time, English month
names, Chinese numerals; and a date-time column's hint shows a date-time."""
from datetime import date, datetime

import pytest

from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.problems import Problem
from duban.workbooks.read.parse import Issue, converter

TODAY = date(2026, 11, 23)
DUE = KINDS["tasks"].column("due")                  # a date column
SUBMITTED = KINDS["requests"].column("submitted")   # a date-time column
ETA = KINDS["incidents"].column("eta")


@pytest.mark.parametrize("raw, expected", [
    ("12月3日14:00", datetime(2026, 12, 3, 14, 0)),        # no space: the common way
    ("12月3号14:00", datetime(2026, 12, 3, 14, 0)),
    ("12月3日14时30分", datetime(2026, 12, 3, 14, 30)),
    ("2026年12月3日14:00", datetime(2026, 12, 3, 14, 0)),
    ("十二月三日", datetime(2026, 12, 3)),
    ("十二月三日14:00", datetime(2026, 12, 3, 14, 0)),
    ("十一月三十日", datetime(2026, 11, 30)),
    ("二〇二六年十二月二十一日 9:05", datetime(2026, 12, 21, 9, 5)),
    ("Dec 3", datetime(2026, 12, 3)),
    ("Dec 3 14:00", datetime(2026, 12, 3, 14, 0)),
    ("dec. 3, 2026 14:00", datetime(2026, 12, 3, 14, 0)),
    ("December 3rd", datetime(2026, 12, 3)),
    ("3 Dec", datetime(2026, 12, 3)),
    ("3 Dec 2026 14:00", datetime(2026, 12, 3, 14, 0)),
])
def test_date_time_forms_people_type(raw, expected):
    assert converter(SUBMITTED, TODAY)(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("12月3日14:00", date(2026, 12, 3)),
    ("十二月三日", date(2026, 12, 3)),
    ("Dec 3", date(2026, 12, 3)),
    ("3 Dec", date(2026, 12, 3)),
    ("Sept 30", date(2026, 9, 30)),
])
def test_the_same_forms_in_a_date_column(raw, expected):
    assert converter(DUE, TODAY)(raw) == expected


@pytest.mark.parametrize("raw", ["十三月三日", "十二月三十二日", "Dex 3", "Dec 32", "3 Foo", "12月3日25:00",
                                 "12314:00", "Dec", "十二月", "明天下午"])
def test_bad_forms_are_still_rejected_with_an_example(raw):
    result = converter(DUE, TODAY)(raw)
    assert isinstance(result, Issue) and result.code == "bad-date" and result.params["example"]


def test_feb_30_in_words_suggests_the_last_day_of_february():
    assert converter(DUE, TODAY)("Feb 30").params["example"] == "2026-02-28"
    assert converter(DUE, TODAY)("二月三十日").params["example"] == "2026-02-28"


def test_a_date_time_column_hints_a_date_time():
    result = converter(ETA, TODAY)("明天下午")
    assert isinstance(result, Issue) and result.code == "bad-datetime"
    assert result.params["example"] == "2026-11-23 14:00"
    problem = Problem(result.code, "紧急事务响应表.xlsx", row=5, value="明天下午", params=result.params)
    assert "“明天下午”不是有效的日期和时间" in problem.text("zh") and "2026-11-23 14:00" in problem.text("zh")
    assert "2026-11-23 14:00" in problem.text("en") and "date and time" in problem.text("en")
    assert converter(ETA, TODAY)("11月31日 9:00").params["example"] == "2026-11-30 14:00"


@pytest.mark.parametrize("raw", ["#REF!", "#N/A"])
def test_formula_errors_are_named_as_such(raw):
    for column in (DUE, ETA):
        result = converter(column, TODAY)(raw)
        assert isinstance(result, Issue) and result.code == "formula-error"
