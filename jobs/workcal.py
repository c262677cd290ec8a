"""Working time: office hours, weekends, public holidays and make-up working days, in the company's zone.

For China the source is `chinesecalendar` (it knows the make-up working days 调休 that the
`holidays` package only partly knows); years it has no data for fall back to the `holidays`
package and then to weekends only, with one warning per year per run instead of a crash.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

try:
    import chinese_calendar
except ImportError:  # pragma: no cover - installed with duban
    chinese_calendar = None


@dataclass
class WorkCalendar:
    country: str = "CN"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    opens: time = time(9)
    closes: time = time(18)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._warned: set[int] = set()
        self.is_workday = lru_cache(maxsize=4096)(self._is_workday)
        self.working_days_between = lru_cache(maxsize=65536)(self._working_days_between)

    # ---- days ----------------------------------------------------------------------------
    def _is_workday(self, day: date) -> bool:
        if self.country.upper() == "CN" and chinese_calendar is not None:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:
                self._warn(day.year, "chinesecalendar")
        try:
            public = holidays_pkg.country_holidays(self.country.upper(), years=day.year)
        except NotImplementedError:
            self._warn(day.year, "holidays")
            return day.weekday() < 5
        if not public and self.country.upper() != "CN":
            self._warn(day.year, "holidays")
        return day.weekday() < 5 and day not in public

    def _warn(self, year: int, source: str) -> None:
        if year in self._warned:
            return
        self._warned.add(year)
        fallback = "the holidays package (make-up working days may be missing)" if source == "chinesecalendar" \
            else "weekends only"
        self.warnings.append(f"{source} has no holiday data for {year}; working days in {year} use {fallback}. "
                             f"Upgrade it with: pip install -U {'chinesecalendar' if source == 'chinesecalendar' else 'holidays'}")

    def add_working_days(self, day: date, count: int) -> date:
        """The date `count` working days after `day` (count >= 0)."""
        while count > 0:
            day += timedelta(days=1)
            count -= self.is_workday(day)
        return day

    def _working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    # ---- hours ---------------------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment.astimezone(self.tz)

    def _office(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_workday(day):
            return None
        return (datetime.combine(day, self.opens, self.tz), datetime.combine(day, self.closes, self.tz))

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours elapsed between two moments (0 when end <= start)."""
        start, end = self._local(start), self._local(end)
        total, day = timedelta(), start.date()
        while day <= end.date():
            if window := self._office(day):
                lo, hi = max(start, window[0]), min(end, window[1])
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when `hours` of office time have passed since `start`."""
        left, moment = timedelta(hours=hours), self._local(start)
        for _ in range(3660):  # ten years of days: a calendar with no working day ends the loop
            if window := self._office(moment.date()):
                lo = max(moment, window[0])
                if lo < window[1]:
                    if lo + left <= window[1]:
                        return lo + left
                    left -= window[1] - lo
            moment = datetime.combine(moment.date() + timedelta(days=1), time(), self.tz)
        raise ValueError("no working time found in ten years; check [company] calendar")

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself if within office hours on a working day, else the next opening time."""
        return self.add_working_hours(moment, 0)

    def is_office_time(self, moment: datetime) -> bool:
        moment = self._local(moment)
        window = self._office(moment.date())
        return bool(window and window[0] <= moment < window[1])


def from_settings(settings: dict) -> WorkCalendar:
    from .clock import zone
    from .errors import ConfigError

    company = settings["company"]
    try:
        opens, closes = (datetime.strptime(t, "%H:%M").time() for t in company["office_hours"])
    except (ValueError, TypeError):
        raise ConfigError(f"duban.toml: company.office_hours should be two times like [\"09:00\", \"18:00\"], "
                          f"found {company['office_hours']!r}.") from None
    if opens >= closes:
        raise ConfigError("duban.toml: company.office_hours must open before it closes, e.g. [\"09:00\", \"18:00\"].")
    return WorkCalendar(company["calendar"], zone(settings), opens, closes)
