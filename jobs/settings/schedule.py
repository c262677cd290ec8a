"""The `[schedule]` of duban.toml as job specs: when each job is due, in the company's time zone.

Values (one per job key; a bad one is a `ConfigError` naming the key and an example):
- ``"every 30 minutes"``, ``"every 2 hours"``, ``"every 10 seconds"`` (tests, small set-ups): every
  day, on slots aligned to the clock (``every 30 minutes`` runs at :00 and :30, whatever the zone);
- ``"09:00"``: every working day at that time (weekends and holidays skipped, make-up working days
  run, from the same calendar as the rules); for ``summary_month``, the first working day of each
  month at that time (``"first working day 09:30"`` says the same for any key);
- ``"friday 17:30"``: every week on that day (also ``周五 17:30``);
- ``"every 5 minutes in office hours"`` (also ``工作时间``): the same slots, only those inside the
  company's office hours on working days (`duban inbox`: nobody waits for an answer at night);
- ``"off"``: the job does not run.

A spec only answers "which scheduled times fall in (a, b]", so the live loop, the catch-up on start
and the simulated clock all agree on the same slots; `jobs.serve.loop` hands them to `schedule`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Iterator
from zoneinfo import ZoneInfo

from duban.jobs.settings import jobs
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.errors import ConfigError

if TYPE_CHECKING:
    from duban.jobs.settings.typed import Settings

WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
            "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
            "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6, "周天": 6}
UNITS = {"second": 1, "seconds": 1, "sec": 1, "secs": 1, "s": 1, "minute": 60, "minutes": 60, "min": 60,
         "mins": 60, "m": 60, "hour": 3600, "hours": 3600, "h": 3600}
EXAMPLES = '"every 30 minutes", "09:00" (working days), "friday 17:30", "first working day 09:30" or "off"'
_EPOCH = datetime(2000, 1, 3, tzinfo=timezone.utc)     # interval slots are counted from here
_EVERY = re.compile(r"every\s+(?:(\d+)\s*)?([a-z]+)")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_OFFICE = re.compile(r"\s*(?:(?:in|during) office hours|工作时间内?)$")
_FIRST = re.compile(r"(?:first working day|monthly|每月第一个工作日)\s*(.*)")


@dataclass(frozen=True)
class JobSpec:
    """One job's schedule. `kind`: interval | workdays | weekly | monthly | off."""

    job: str
    text: str
    kind: str
    seconds: int = 0                 # interval
    at: time | None = None           # workdays, weekly, monthly
    weekday: int | None = None       # weekly
    office: bool = False             # interval: only the slots inside office hours

    def describe(self) -> str:
        if self.kind == "interval":
            n, unit = ((self.seconds // 3600, "hours") if self.seconds % 3600 == 0 else
                       (self.seconds // 60, "minutes") if self.seconds % 60 == 0 else (self.seconds, "seconds"))
            return f"every {n} {unit}" + (" in office hours" if self.office else "")
        hhmm = self.at.strftime("%H:%M") if self.at else ""
        if self.kind == "weekly":
            return f"{next(k for k, v in WEEKDAYS.items() if v == self.weekday)} {hhmm}"
        return {"workdays": f"working days {hhmm}", "monthly": f"first working day of the month {hhmm}",
                "off": "off"}[self.kind]

    @property
    def working_days(self) -> bool:
        return self.kind in ("workdays", "monthly")

    # ---- slots -------------------------------------------------------------------------
    def slots(self, after: datetime, until: datetime, calendar: WorkCalendar) -> Iterator[datetime]:
        """The scheduled times t with after < t <= until, in order, as aware datetimes in the company zone."""
        tz = calendar.tz
        if self.kind == "off" or until <= after:
            return
        if self.kind == "interval":
            step = timedelta(seconds=self.seconds)
            n = (after - _EPOCH) // step + 1
            t = _EPOCH + n * step
            while t <= until:
                if not self.office or calendar.is_office_time(t):
                    yield t.astimezone(tz)
                t += step
            return
        day = after.astimezone(tz).date()
        last = until.astimezone(tz).date()
        while day <= last:
            if self.at is not None and self._runs_on(day, calendar):
                t = _wall(day, self.at, tz)
                if after < t <= until:
                    yield t
            day += timedelta(days=1)

    def _runs_on(self, day: date, calendar: WorkCalendar) -> bool:
        if self.kind == "workdays":
            return calendar.is_workday(day)
        if self.kind == "weekly":
            return day.weekday() == self.weekday
        if self.kind == "monthly":          # the month's first working day
            return calendar.next_workday(day.replace(day=1)) == day
        return False

    def latest(self, now: datetime, calendar: WorkCalendar, since: datetime | None = None) -> datetime | None:
        """The last scheduled time at or before `now` (after `since`, when given; looks back at most 400 days)."""
        if self.kind == "off":
            return None
        if self.kind == "interval":
            step = timedelta(seconds=self.seconds)
            t = (_EPOCH + ((now - _EPOCH) // step) * step).astimezone(calendar.tz)
            if self.office:             # back to the last slot in office hours
                floor = since if since is not None else now - timedelta(days=400)
                while t > floor and not calendar.is_office_time(t):
                    t -= step
                return t if t > floor else None
            return t if since is None or t > since else None
        floor = since if since is not None else now - timedelta(days=400)
        window = timedelta(days=8)
        end = now
        while end > floor:         # search backwards a week at a time: cheap for daily and weekly jobs
            start = max(floor, end - window)
            found = max(self.slots(start, end, calendar), default=None)    # the slots come in order
            if found is not None:
                return found
            end = start
            window = timedelta(days=40)
        return None

    def next(self, now: datetime, calendar: WorkCalendar) -> datetime | None:
        """The first scheduled time after `now` (None for off; looks ahead at most 400 days)."""
        if self.kind == "off":
            return None
        span = timedelta(seconds=self.seconds) if self.kind == "interval" and not self.office else timedelta(days=40)
        start = now
        for _ in range(12):
            for t in self.slots(start, start + span, calendar):
                return t
            start += span
        return None

    def count(self, after: datetime, until: datetime, calendar: WorkCalendar) -> int:
        """How many slots in (after, until]."""
        if self.kind == "interval" and not self.office:
            step = timedelta(seconds=self.seconds)
            return max(0, (until - _EPOCH) // step - (after - _EPOCH) // step)
        return sum(1 for _ in self.slots(after, until, calendar))


def _wall(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on `day` in `tz`; a wall time that does not exist (spring forward) is the first moment after the gap."""
    t = datetime.combine(day, at, tzinfo=tz)
    back = t.astimezone(timezone.utc).astimezone(tz)
    if back.replace(tzinfo=None) != t.replace(tzinfo=None):     # in the gap: keep the same UTC instant
        return back
    return t


def parse(job: str, text: str) -> JobSpec:
    """One `[schedule]` value; ConfigError naming `schedule.<job>` and an example when it is not one."""
    raw = text
    value = " ".join(str(text).strip().lower().split())
    if value in ("off", "never", "none", "关闭", ""):
        return JobSpec(job, raw, "off")
    office = _OFFICE.search(value)
    if office and _EVERY.fullmatch(value[:office.start()]):
        return replace(parse(job, value[:office.start()]), text=raw, office=True)
    if m := _EVERY.fullmatch(value):
        count, unit = int(m[1] or 1), m[2]
        if unit in UNITS and count > 0:
            seconds = count * UNITS[unit]
            if seconds <= 7 * 86400:
                return JobSpec(job, raw, "interval", seconds=seconds)
        raise _bad(job, raw, "the interval should be seconds, minutes or hours, at most a week")
    first = _FIRST.fullmatch(value)
    if first:
        if t := _hhmm(first[1] or "09:00"):
            return JobSpec(job, raw, "monthly", at=t)
        raise _bad(job, raw)
    if t := _hhmm(value):
        return JobSpec(job, raw, "monthly" if job == "summary_month" else "workdays", at=t)
    parts = value.replace("　", " ").split(" ")
    if len(parts) == 2 and parts[0] in WEEKDAYS and (t := _hhmm(parts[1])):
        return JobSpec(job, raw, "weekly", at=t, weekday=WEEKDAYS[parts[0]])
    raise _bad(job, raw)


def _hhmm(text: str) -> time | None:
    m = _TIME.fullmatch(text.strip())
    return time(int(m[1]), int(m[2])) if m else None


def _bad(job: str, text: str, why: str = "") -> ConfigError:
    return ConfigError(f"duban.toml: schedule.{job} is {text!r}{' (' + why + ')' if why else ''}; "
                       f"write it like {EXAMPLES}.")


def check_value(text: str) -> str:
    """For jobs.config's table of limits: any job's grammar (ValueError when it is none)."""
    try:
        parse("check", text)
    except ConfigError:
        raise ValueError from None
    return text


def specs(settings: Settings) -> list[JobSpec]:
    """Every scheduled job's spec, in the jobs table's order (jobs.settings.jobs); a job the
    settings do not name runs on the table's default schedule; a job that needs a table turned on
    (`Job.needs`: inbox needs [reply] enabled = true) is off while it is not."""
    return [parse(job.name, "off" if job.needs and not getattr(settings, job.needs).enabled
                  else settings.schedule.of(job.name, job.schedule or "off")) for job in jobs.scheduled()]
