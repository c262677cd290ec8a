"""Bad values get a sentence, never minutes or a crash: implausible dates, bounded calendar arithmetic,
and cell text that cannot drive the clerk's terminal."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.check import check_folder
from duban.jobs.settings import config
from duban.jobs.terminal.report import printable
from duban.jobs.time import workcal
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.read.parse import DateParser, Issue
from duban.workbooks.read.reader import read_workbook
from test_cli import DUE, GOOD_ROWS, TASKS, write_tasks

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
LAST_UPDATE = col_letters([c.key for c in TASKS.columns].index("last_update") + 1)


def duban_bytes(*args) -> subprocess.CompletedProcess:
    """The CLI as a subprocess, its output as raw bytes (what the terminal would receive)."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, env=env, cwd=ROOT,
                          timeout=60)


# ---- implausible dates ----------------------------------------------------------------------
@pytest.mark.parametrize("raw", [date(1900, 1, 1), date(9999, 12, 31), datetime(1900, 1, 1, 9), 1.0, 2958464.0,
                                 "9999-12-31", "1900/1/1", "20620101"])
def test_a_date_decades_away_is_implausible(raw):
    for with_time in (False, True):
        issue = DateParser(date(2026, 11, 23), with_time)(raw)
        assert isinstance(issue, Issue) and issue.code == "implausible-date", (raw, issue)
        assert issue.value is None                        # the rules see no date rather than a wrong one
        assert issue.params["earliest"] == "2006-11-23" and issue.params["latest"] == "2046-11-23"


@pytest.mark.parametrize("raw", [date(2007, 1, 1), date(2046, 11, 23), "2026-11-30", "11月30日", 46000.0])
def test_dates_within_twenty_years_are_plausible(raw):
    assert not isinstance(DateParser(date(2026, 11, 23), False)(raw), Issue)


def test_the_plausible_range_is_a_reader_setting(tmp_path):
    path = write_tasks(tmp_path / "任务跟进表.xlsx", _far_dates())
    codes = [p.code for p in read_workbook(path, NOW.date()).problems]
    assert codes.count("implausible-date") == 3
    wide = read_workbook(path, NOW.date(), {"plausible_years": 200}).problems
    assert [p.code for p in wide].count("implausible-date") == 1          # 9999 is still too far
    (tmp_path / "duban.toml").write_text("[reader]\nplausible_years = 200\n", encoding="utf-8")
    assert config.checked(tmp_path)["reader"]["plausible_years"] == 200


def test_far_dates_check_with_bounded_calendar_work_and_become_data_problems(tmp_path, monkeypatch):
    """1900-01-01 and 9999-12-31 once made `check` walk the calendar day by day for minutes."""
    lookups = _count_calendar_lookups(monkeypatch)
    write_tasks(tmp_path / "任务跟进表.xlsx", _far_dates())
    report = check_folder(tmp_path, config.load(tmp_path), NOW)
    [wb] = report.workbooks
    far = {p.cell: p for p in wb.read.problems if p.code == "implausible-date"}
    assert set(far) == {f"{DUE}2", f"{DUE}3", f"{LAST_UPDATE}3"}
    assert lookups["days"] <= 2 * 366 and lookups["years"] <= 2, lookups   # this year and next, at most
    zh, en = far[f"{DUE}2"].message("zh"), far[f"{DUE}2"].message("en")
    assert zh.startswith(f"任务跟进表!{DUE}2：") and "1900-01-01" in zh and "请改为正确的日期" in zh
    assert en.startswith(f"任务跟进表!{DUE}2: ") and "1900-01-01" in en and "Correct it" in en
    assert any(f.rule == "data_problem" for f in wb.flags[2]) and any(f.rule == "data_problem" for f in wb.flags[3])


@pytest.mark.slow
def test_far_dates_through_the_cli(tmp_path):
    write_tasks(tmp_path / "任务跟进表.xlsx", _far_dates())
    result = duban_bytes("check", tmp_path, "--now", "2026-11-23T09:00", "--json")
    assert result.returncode == 0, result.stderr
    [book] = json.loads(result.stdout)["workbooks"]
    assert sorted(p["cell"] for p in book["problems"] if p["code"] == "implausible-date") == sorted(
        [f"{DUE}2", f"{DUE}3", f"{LAST_UPDATE}3"])


# ---- the calendar: whole weeks arithmetically, one table per year, clamped to its range ----------
def test_working_days_across_millennia_cost_one_table_per_year_in_range(monkeypatch):
    lookups = _count_calendar_lookups(monkeypatch)
    cal = WorkCalendar()
    assert cal.working_days_between(date(1900, 1, 1), date(2026, 11, 23)) > 30_000
    assert cal.working_days_between(date(2026, 11, 23), date(9999, 12, 31)) > 2_000_000
    assert cal.add_working_days(date(1900, 1, 1), 10**6) > date(5000, 1, 1)
    assert cal.add_working_days(date(2026, 1, 1), 10**7) == date.max            # clamped, not OverflowError
    start, end = datetime(1900, 1, 1, tzinfo=TZ), datetime(9999, 12, 30, tzinfo=TZ)
    assert cal.working_hours_between(start, end) > 10**7
    span = workcal.LAST_YEAR - workcal.FIRST_YEAR + 1
    assert lookups["years"] <= span and lookups["days"] <= span * 366, lookups
    assert len(cal.warnings) <= 2                      # one line per source, naming the years


def test_an_absurd_number_of_hours_is_a_value_error_not_an_overflow():
    cal = WorkCalendar()
    for hours in (1e308, 1e8):
        with pytest.raises(ValueError, match="working hours"):
            cal.add_working_hours(NOW, hours)


def test_the_arithmetic_agrees_with_walking_day_by_day():
    cal = WorkCalendar()
    start = date(2024, 12, 20)
    walked = 0
    for n in range(1, 800):
        day = start + timedelta(days=n)
        walked += cal.is_workday(day)
        assert cal.working_days_between(start, day) == walked, day
        if cal.is_workday(day):
            assert cal.add_working_days(start, walked) == day
    eve = datetime(2026, 9, 30, 17, 0, tzinfo=TZ)           # the eve of National Day: 1-7 October off
    assert cal.add_working_hours(eve, 2) == datetime(2026, 10, 8, 10, 0, tzinfo=TZ)
    assert cal.working_hours_between(eve, datetime(2026, 10, 8, 10, 0, tzinfo=TZ)) == pytest.approx(2)
    saturday = datetime(2026, 10, 10, 17, 0, tzinfo=TZ)     # a make-up working Saturday counts
    assert cal.add_working_hours(saturday, 2) == datetime(2026, 10, 12, 10, 0, tzinfo=TZ)


# ---- cell text on the terminal -------------------------------------------------------------
HOSTILE = "_x001B_]0;pwned_x0007_"          # Excel's escape for ESC: calamine gives the real character


def test_printable_neutralises_controls_line_breaks_and_bidi():
    text = printable("a\x1b]0;t\x07b\r\nc\nd\te\u202eabc\u2066\x9b\x7f 　全角")
    assert text == "a␛]0;t␇b⏎c⏎d eabc�␡ 　全角"
    assert printable("普通文本 plain") == "普通文本 plain"


def test_validate_prints_cell_values_without_control_characters_on_one_line(tmp_path):
    rows = [dict(r) for r in GOOD_ROWS]
    rows[1]["due"] = HOSTILE + "下周\n周三\u202e"
    write_tasks(tmp_path / "任务跟进表.xlsx", rows)
    result = duban_bytes("validate", tmp_path, "--now", "2026-11-23T09:00")
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout)
    [line] = [ln for ln in result.stdout.decode().splitlines() if f"任务跟进表!{DUE}3" in ln]
    assert "下周⏎周三" in line and "␛]0;pwned␇" in line       # visible, and the row did not split


@pytest.mark.slow
def test_check_explain_and_history_print_no_control_characters(tmp_path):
    rows = [dict(r) for r in GOOD_ROWS]
    rows[0].update(help_from=HOSTILE + "市场部\n财务部", task="写\u202e周报\r\n第二行")
    rows[1].update(owner=HOSTILE + "李娜")
    write_tasks(tmp_path / HOSTILE.replace("_x001B_", "\x1b").replace("_x0007_", "\x07").join(["", ".xlsx"])
                if sys.platform != "win32" else tmp_path / "t.xlsx", rows)
    check = duban_bytes("check", tmp_path, "--now", "2026-11-23T09:00")
    assert check.returncode == 0, check.stderr
    _assert_clean(check.stdout + check.stderr)
    explain = duban_bytes("explain", tmp_path, "T-000001", "--now", "2026-11-23T09:00")
    assert explain.returncode == 0, explain.stderr
    _assert_clean(explain.stdout + explain.stderr)
    [blocked] = [ln for ln in explain.stdout.decode().splitlines() if "blocked" in ln]
    assert "市场部⏎财务部" in blocked                         # one table row, the break visible
    history = duban_bytes("history", tmp_path)
    assert history.returncode == 0, history.stderr
    _assert_clean(history.stdout + history.stderr)


def _assert_clean(output: bytes) -> None:
    assert b"\x1b" not in output and b"\x07" not in output, output
    text = output.decode("utf-8")
    assert not any(0x80 <= ord(c) < 0xA0 or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                   for c in text), text


# ---- helpers ----------------------------------------------------------------------------------
def _far_dates() -> list[dict]:
    rows = [dict(r) for r in GOOD_ROWS]
    rows[0]["due"] = date(1900, 1, 1)
    rows[1].update(due=date(9999, 12, 31), last_update=datetime(1900, 1, 1, 9, 0))
    return rows


def _count_calendar_lookups(monkeypatch) -> dict:
    """Count what the holiday sources are asked: days (chinesecalendar) and year tables built."""
    counts = {"days": 0, "years": 0}
    monkeypatch.setattr(workcal, "_SHARED_YEARS", {}, raising=False)   # no tables from earlier tests
    real_day, real_build = workcal.chinese_calendar.is_workday, WorkCalendar._build_year

    def is_workday(day):
        counts["days"] += 1
        return real_day(day)

    def build(self, year):
        counts["years"] += 1
        return real_build(self, year)

    monkeypatch.setattr(workcal.chinese_calendar, "is_workday", is_workday)
    monkeypatch.setattr(WorkCalendar, "_build_year", build)
    return counts
