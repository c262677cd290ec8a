"""The working-time calendar: chinesecalendar checked against holidays, fallbacks, office hours."""
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import holidays
import pytest

from duban.jobs.settings import config
from duban.jobs.settings.calendar import from_settings
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.errors import ConfigError

TZ = ZoneInfo("Asia/Shanghai")


def test_chinesecalendar_agrees_with_the_holidays_package_on_2025_public_holidays():
    cal = WorkCalendar()
    public = holidays.country_holidays("CN", years=2025, categories=("public",))
    for day, name in public.items():
        if "substitut" in name.lower() or "day off" in name.lower():
            continue
        assert not cal.is_workday(day), (day, name)


def test_make_up_working_days_are_working_days():
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 10, 10))          # Saturday worked for National Day
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 11, 21))      # ordinary Saturday


def test_a_year_without_chinesecalendar_data_warns_once_and_still_answers():
    cal = WorkCalendar()
    assert cal.is_workday(date(2035, 3, 5)) is True    # a Monday
    assert cal.is_workday(date(2035, 3, 10)) is False  # a Saturday
    cal.is_workday(date(2035, 6, 6))
    assert len(cal.warnings) == 1 and "2035" in cal.warnings[0]


def test_other_countries_use_the_holidays_package():
    cal = WorkCalendar("DE", ZoneInfo("Europe/Berlin"))
    assert not cal.is_workday(date(2026, 12, 25)) and cal.is_workday(date(2026, 12, 23))


def test_working_hours_skip_nights_and_weekends():
    cal = WorkCalendar()
    start = datetime(2026, 11, 20, 17, 0, tzinfo=TZ)          # Friday 17:00
    assert cal.working_hours_between(start, datetime(2026, 11, 23, 10, 0, tzinfo=TZ)) == pytest.approx(2)
    assert cal.add_working_hours(start, 2) == datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
    night = datetime(2026, 11, 23, 20, 0, tzinfo=TZ)
    assert cal.next_opening(night) == datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
    assert not cal.is_office_time(night) and cal.is_office_time(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))


def test_settings_office_hours_are_checked():
    settings = config.load()
    settings = replace(settings, company=replace(settings.company, office_hours=("18:00", "09:00")))
    with pytest.raises(ConfigError, match="office_hours"):
        from_settings(settings)
    settings = replace(settings, company=replace(settings.company, office_hours=("8:30", "17:30")))
    assert (from_settings(settings).opens, from_settings(settings).closes) == (time(8, 30), time(17, 30))
