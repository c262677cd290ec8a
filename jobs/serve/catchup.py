"""The catch-up decision, pure: given a job's schedule, the last slot it ran for and the time now,
which slot (if any) runs now and which were missed.

`schedule` never runs a job whose time passed while the process was not running (or the machine
slept). On start and after every wake-up serve asks, for each job: was a scheduled time since its
last run missed? If so the *latest* one runs, once (three missed 09:00 reminders are one run),
provided it is within `serve.catch_up_hours`; the earlier ones, and a latest one older than that,
are recorded as skipped, not run. A job that never ran runs its latest slot if that is within the
grace (so the first start at 10:00 sends today's 09:00 reminders), and records nothing older.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from duban.jobs.settings.schedule import JobSpec
from duban.jobs.time.workcal import WorkCalendar


@dataclass(frozen=True)
class Decision:
    run: datetime | None              # the slot to run now, or None
    missed: int = 0                   # slots since the last run that will never run
    first_missed: datetime | None = None
    last_missed: datetime | None = None

    @property
    def anything(self) -> bool:
        return self.run is not None or self.missed > 0


def decide(spec: JobSpec, last: datetime | None, now: datetime, grace: timedelta,
           calendar: WorkCalendar) -> Decision:
    """What to do for `spec` at `now`, its last settled slot being `last` (None: never ran)."""
    latest = spec.latest(now, calendar, since=last)
    if latest is None:
        return Decision(None)
    within = now - latest <= grace
    if last is None:
        return Decision(latest if within else None)
    earlier = spec.count(last, latest, calendar) - 1          # missed slots strictly before `latest`
    first = next(spec.slots(last, latest, calendar)) if earlier > 0 else None
    if within:
        before = _before(spec, latest, calendar) if earlier > 0 else None
        return Decision(latest, earlier, first, before)
    return Decision(None, earlier + 1, first or latest, latest)


def _before(spec: JobSpec, slot: datetime, calendar: WorkCalendar) -> datetime | None:
    return spec.latest(slot - timedelta(microseconds=1), calendar)
