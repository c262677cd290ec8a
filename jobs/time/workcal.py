"""Working time: office hours, weekends, public holidays and make-up working days, in the company's zone.

For China the source is `chinesecalendar` (it knows the make-up working days 调休 that the
`holidays` package only partly knows); years it has no data for fall back to the `holidays`
package and then to weekends only, with one warning (naming the years) per run instead of a crash.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

try:
    import chinese_calendar
except ImportError:  # pragma: no cover - installed with duban
    chinese_calendar = None


FIRST_YEAR, LAST_YEAR = 1950, 2100   # the calendar's range: holiday tables are looked up only for these years
_ORDINAL_MONDAY = date(1, 1, 1).toordinal()   # 0001-01-01 was a Monday (ordinal 1)


def _weekdays_through(day: date) -> int:
    """Monday-to-Friday days from 0001-01-01 up to and including `day`, in O(1)."""
    weeks, rest = divmod(day.toordinal() - _ORDINAL_MONDAY + 1, 7)
    return 5 * weeks + min(rest, 5)


@dataclass(frozen=True)
class _Year:
    """One year's departures from "Monday to Friday": weekdays off and weekend days worked."""

    off: frozenset[date]          # public holidays falling on a weekday
    on: frozenset[date]           # make-up working days (调休) falling on a weekend
    marks: tuple[tuple[date, int], ...]  # both, sorted, with -1 (off) or +1 (on)


_PLAIN_YEAR = _Year(frozenset(), frozenset(), ())
# (country, year) -> table, shared by every calendar in this process (duban serve builds one per run)
_SHARED_YEARS: dict[tuple[str, int], _Year] = {}


@dataclass
class WorkCalendar:
    """Working days and hours. Every question costs O(1) plus one small table per calendar year
    touched (built once, cached); years outside FIRST_YEAR..LAST_YEAR count Monday to Friday."""

    country: str = "CN"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    opens: time = time(9)
    closes: time = time(18)
    warnings: list[str] = field(default_factory=list)
    lang: str = "en"           # the warnings' language: company.language

    def __post_init__(self) -> None:
        self._warned: set[int] = set()
        self._warned_by_source: dict[str, list[int]] = {}
        self._warned_line: dict[str, str] = {}
        self._years: dict[int, _Year] = {}
        self._between: dict[tuple[date, date], int] = {}   # rows share a few hundred distinct dates
        self._added: dict[tuple[date, int], date] = {}      # and a few escalation clocks (issue 22)
        self._answers: list[tuple[tuple, object, dict]] = []
        self.year_lookups = 0      # holiday tables built (each one costs a holiday-source lookup)

    def answers(self, now: datetime, settings: object) -> dict:
        """A store for answers worked out at `now` under `settings` with this calendar (the rules'
        flags per due date and owner: jobs.rules.base.Context.remembered), shared by every
        workbook of a run, which asks with the same two. The last four stores are kept."""
        moment = (now.replace(tzinfo=None), now.tzinfo)     # the same instant in another zone is another day
        for held, owner, found in self._answers:
            if held == moment and owner is settings:
                return found
        store: dict = {}
        self._answers = [(moment, settings, store), *self._answers[:3]]
        return store

    # ---- days ----------------------------------------------------------------------------
    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            shared = (self.country.upper(), year)
            table = _SHARED_YEARS.get(shared)
            if table is None:
                table = self._build_year(year) if FIRST_YEAR <= year <= LAST_YEAR else _PLAIN_YEAR
                if year not in self._warned:    # a fallback table warns in every run, so it is not shared
                    _SHARED_YEARS[shared] = table
            self._years[year] = table
        return table

    def _build_year(self, year: int) -> _Year:
        self.year_lookups += 1
        country = self.country.upper()
        first, days = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
        if country == "CN" and chinese_calendar is not None:
            try:
                worked = [(d, chinese_calendar.is_workday(d)) for d in (first + timedelta(n) for n in range(days))]
            except NotImplementedError:
                self._warn(year, "chinesecalendar")
            else:
                return _table(d for d, work in worked if work != (d.weekday() < 5))
        import holidays as holidays_pkg  # loaded on first need (a year outside chinesecalendar, another country)
        try:
            public = holidays_pkg.country_holidays(country, years=year)
        except NotImplementedError:
            self._warn(year, "holidays")
            return _PLAIN_YEAR
        if not public and country != "CN":
            self._warn(year, "holidays")
        return _table(d for d in public if d.year == year and d.weekday() < 5)

    def is_workday(self, day: date) -> bool:
        table = self._year(day.year)
        if day.weekday() < 5:
            return day not in table.off
        return day in table.on

    def _warn(self, year: int, source: str) -> None:
        if year in self._warned:
            return
        self._warned.add(year)
        fallback = "the holidays package (make-up working days may be missing)" if source == "chinesecalendar" \
            else "weekends only"
        years = self._warned_by_source.setdefault(source, [])   # one line per source, listing its years
        years.append(year)
        text = _year_ranges(years)
        package = "chinesecalendar" if source == "chinesecalendar" else "holidays"
        line = (f"{source} has no holiday data for {text}; working days in {text} use {fallback}. "
                f"Upgrade it with: pip install -U {package}")
        if self.lang == "zh":
            fallback = " holidays 包的节假日（可能缺少调休上班日）" if source == "chinesecalendar" else "周一至周五"
            line = (f"{source} 没有 {text} 年的节假日数据，{text} 年的工作日按{fallback}计算。"
                    f"请让管理员升级它：pip install -U {package}")
        if len(years) > 1 and (old := self._warned_line.get(source)) in self.warnings:
            self.warnings[self.warnings.index(old)] = line
        else:
            self.warnings.append(line)
        self._warned_line[source] = line

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start).

        Whole weeks are counted arithmetically; only the holiday tables of the years within
        the calendar's range are consulted, so 1900-01-01 to 9999-12-31 costs what a century does."""
        if end <= start:
            return 0
        found = self._between.get((start, end))
        if found is None:
            found = self._between[start, end] = self._count_between(start, end)
        return found

    def _count_between(self, start: date, end: date) -> int:
        count = _weekdays_through(end) - _weekdays_through(start)
        for year in range(max(start.year, FIRST_YEAR), min(end.year, LAST_YEAR) + 1):
            table = self._year(year)
            if not table.marks:
                continue
            if start.year < year < end.year:
                count += len(table.on) - len(table.off)
            else:
                count += sum(mark for day, mark in table.marks if start < day <= end)
        return count

    def add_working_days(self, day: date, count: int) -> date:
        """The date `count` working days after `day` (count >= 0); date.max if that is past the year 9999.
        Remembered per (day, count): the escalation rule asks it of every overdue row."""
        if count <= 0:
            return day
        found = self._added.get((day, count))
        if found is None:
            found = self._added[day, count] = self._add_days(day, count)
        return found

    def _add_days(self, day: date, count: int) -> date:
        while day.year <= LAST_YEAR:                 # whole years first, then day by day within one
            year_end = date(day.year + ((day.month, day.day) == (12, 31)), 12, 31)
            in_year = self.working_days_between(day, year_end)
            if in_year >= count:
                while count > 0:
                    day += timedelta(days=1)
                    count -= self.is_workday(day)
                return day
            count -= in_year
            day = year_end
        weeks = (count - 1) // 5                      # beyond the calendar: Monday to Friday
        if day.toordinal() + 7 * weeks + 7 > date.max.toordinal():
            return date.max
        day += timedelta(weeks=weeks)
        count -= 5 * weeks
        while count > 0:
            day += timedelta(days=1)
            count -= day.weekday() < 5
        return day

    def next_workday(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one."""
        return day if self.is_workday(day) else self.add_working_days(day, 1)

    # ---- hours ---------------------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment.astimezone(self.tz)

    def _office(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_workday(day):
            return None
        return (datetime.combine(day, self.opens, self.tz), datetime.combine(day, self.closes, self.tz))

    def _day_length(self) -> timedelta:
        return datetime.combine(date(2000, 1, 3), self.closes) - datetime.combine(date(2000, 1, 3), self.opens)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours elapsed between two moments (0 when end <= start): the two end days
        in part, the working days between them whole."""
        start, end = self._local(start), self._local(end)
        if end <= start:
            return 0.0

        def part(day: date) -> timedelta:
            window = self._office(day)
            if not window:
                return timedelta()
            lo, hi = max(start, window[0]), min(end, window[1])
            return hi - lo if hi > lo else timedelta()

        first, last = start.date(), end.date()
        if first == last:
            total = part(first)
        else:
            between = self.working_days_between(first, last - timedelta(days=1))
            total = part(first) + part(last) + between * self._day_length()
        return total.total_seconds() / 3600

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when `hours` of office time have passed since `start`."""
        moment = self._local(start)
        try:
            left = timedelta(hours=hours)
        except OverflowError:
            raise ValueError(f"{hours} working hours is beyond any calendar") from None
        day = moment.date()
        window = self._office(day)
        if not window or moment >= window[1]:
            day = self.next_workday(day + timedelta(days=1) if day < date.max else day)
            window = self._office(day)
            if not window:
                raise ValueError("no working time found after the year 9999; check [company] calendar")
        lo = max(moment, window[0])
        if left <= window[1] - lo:
            return lo + left
        left -= window[1] - lo
        length = self._day_length()
        more = -(-left // length)                     # further working days needed (ceiling)
        last = self.add_working_days(day, more)
        if last == date.max and self.working_days_between(day, last) < more:
            raise ValueError(f"{hours} working hours is beyond the year 9999")
        day = last
        return datetime.combine(day, self.opens, self.tz) + (left - (more - 1) * length)

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself if within office hours on a working day, else the next opening time."""
        return self.add_working_hours(moment, 0)

    def is_office_time(self, moment: datetime) -> bool:
        moment = self._local(moment)
        window = self._office(moment.date())
        return bool(window and window[0] <= moment < window[1])


def _year_ranges(years: list[int]) -> str:
    """2027, 2028, 2029, 2035 -> "2027-2029, 2035"."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _table(days: Iterable[date]) -> _Year:
    found = set(days)
    off = frozenset(d for d in found if d.weekday() < 5)
    on = frozenset(found - off)
    return _Year(off, on, tuple(sorted([(d, -1) for d in off] + [(d, 1) for d in on])))
