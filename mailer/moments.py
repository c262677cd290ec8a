"""A row's moments as a message needs them: a cell holds a date or a date-time (naive, as Excel
keeps it), and both the mail and the group messages count days and durations from them."""
from __future__ import annotations

from datetime import date, datetime, time


def day_of(moment: date | datetime) -> date:
    """The day of a date or date-time."""
    return moment.date() if isinstance(moment, datetime) else moment


def aware(moment: date | datetime, now: datetime) -> datetime:
    """A cell's date or naive date-time in `now`'s time zone (a date: its midnight)."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment
