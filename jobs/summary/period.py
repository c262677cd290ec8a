"""The period a report covers: the week that ends at the latest weekly update deadline, or a month.

A week ends at the update deadline (`rules.stale_weekday` / `rules.stale_time`, default Friday
17:00). When that day is not a working day (a holiday), the week ends at the same time on the
week's last working day before it; a week with no working day at all (Golden Week) ends on the
deadline weekday anyway. A week starts where the previous one ended. A month is a calendar
month, midnight to midnight in the company's time zone. Periods are half-open: [start, end).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from duban.jobs.rules.progress import WEEKDAYS
from duban.jobs.settings.typed import Rules
from duban.jobs.time.workcal import WorkCalendar


@dataclass(frozen=True)
class Period:
    kind: str            # "week" or "month"
    start: datetime      # aware, inclusive
    end: datetime        # aware, exclusive

    @property
    def label(self) -> str:
        """2026-11-27 (the week's last day) or 2026-11."""
        return self.end_day.isoformat() if self.kind == "week" else f"{self.start:%Y-%m}"

    @property
    def end_day(self) -> date:
        """The last day the period covers (a week: its deadline's day; a month: its last day)."""
        return self.end.date() if self.kind == "week" else (self.end - timedelta(days=1)).date()

    @property
    def quarter(self) -> str:
        day = self.end_day
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def to_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat()}


def week_end(day: date, calendar: WorkCalendar, thresholds: Rules) -> datetime:
    """The end (update deadline) of the week (Monday to Sunday) that contains `day`."""
    weekday = WEEKDAYS.index(thresholds.stale_weekday.lower())
    at = datetime.strptime(thresholds.stale_time, "%H:%M").time()
    monday = day - timedelta(days=day.weekday())
    deadline_day = monday + timedelta(days=weekday)
    for back in range(weekday + 1):
        candidate = deadline_day - timedelta(days=back)
        if calendar.is_workday(candidate):
            return datetime.combine(candidate, at, calendar.tz)
    return datetime.combine(deadline_day, at, calendar.tz)


def week(now: datetime, calendar: WorkCalendar, thresholds: Rules, back: int = 0) -> Period:
    """The latest week that has ended at or before `now` (`back` weeks earlier with back > 0)."""
    local = now.astimezone(calendar.tz)
    end = week_end(local.date(), calendar, thresholds)
    if end > local:
        end = week_end(local.date() - timedelta(days=7), calendar, thresholds)
    for _ in range(back):
        end = week_end(end.date() - timedelta(days=7), calendar, thresholds)
    start = week_end(end.date() - timedelta(days=7), calendar, thresholds)
    return Period("week", start, end)


def month(now: datetime, calendar: WorkCalendar, back: int = 0) -> Period:
    """The previous calendar month before `now` (`back` months earlier with back > 0)."""
    local = now.astimezone(calendar.tz)
    year, mon = local.year, local.month - 1 - back
    while mon < 1:
        year, mon = year - 1, mon + 12
    start = datetime.combine(date(year, mon, 1), time(), calendar.tz)
    nxt = date(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
    return Period("month", start, datetime.combine(nxt, time(), calendar.tz))


def previous(period: Period, calendar: WorkCalendar, thresholds: Rules, back: int = 1) -> Period:
    """The period `back` before `period`, of the same kind."""
    if period.kind == "week":
        return week(period.end, calendar, thresholds, back)
    return month(period.end, calendar, back)


def following(period: Period, calendar: WorkCalendar, thresholds: Rules) -> Period:
    """The period right after `period` (for "due next week / next month")."""
    if period.kind == "week":
        end = week_end(period.end.date() + timedelta(days=7), calendar, thresholds)
        return Period("week", period.end, end)
    nxt = period.end.date()
    after = date(nxt.year + (nxt.month == 12), 1 if nxt.month == 12 else nxt.month + 1, 1)
    return Period("month", period.end, datetime.combine(after, time(), calendar.tz))
