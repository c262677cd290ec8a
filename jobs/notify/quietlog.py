"""What a quiet digest is decided from: the days the ledger says a row was in this person's digest
since the journal last saw it change (both tables live in the same state.db).

A ledger line counts when it was written at or after the row's last change: the check that first
records a row and the digest that first tells it run with the same clock, so day one counts; a
person's edit at 10:42 after the 09:00 digest starts the count again the next day.
"""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

from duban.jobs.notify import quiet
from duban.jobs.time.workcal import WorkCalendar


def quieter(db, notice, today: date, calendar: WorkCalendar, after: int, cap: int) -> tuple[list, list]:
    """(the digest's items: the lead, then the still-open ones marked; the rows handed to escalation)."""
    if not after and not cap:
        return list(notice.items), []
    told = {(i.key, i.rule, i.deadline_key): unchanged(db, notice.recipient.name, i, calendar)
            for i in notice.items}
    lead, still, dropped = quiet.decide(notice.items, told, today, recent(calendar, today, after), after, cap)
    return lead + still, dropped


def recent(calendar: WorkCalendar, today: date, n: int) -> list[date]:
    """The `n` working days before `today`, oldest first."""
    days, day = [], today
    while len(days) < n and day > date.min + timedelta(days=1):
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            days.append(day)
    return days[::-1]


def unchanged(db, recipient: str, item, calendar: WorkCalendar) -> frozenset[date] | None:
    """The days `recipient`'s digest told `item` (its rule and deadline) at or after the row last
    changed; None when the journal does not know the row."""
    changed = last_changed(db, item, calendar)
    if changed is None:
        return None
    lines = db.execute("SELECT day, at FROM notified WHERE recipient=? AND item=? AND rule=? AND deadline=? "
                       "AND kind='digest'", (recipient, item.key, item.rule, item.deadline_key)).fetchall()
    return frozenset(date.fromisoformat(day) for day, at in lines
                     if _moment(datetime.fromisoformat(at), calendar) >= changed)


def last_changed(db, item, calendar: WorkCalendar) -> datetime | None:
    """When the journal last saw the row change (its first sighting counts), in the calendar's zone."""
    try:
        found = db.execute("SELECT last_changed FROM rows WHERE id=? AND deleted_at IS NULL "
                           "ORDER BY workbook=? DESC LIMIT 1", (item.key, item.workbook)).fetchone()
    except sqlite3.OperationalError:        # no journal in this state.db yet
        return None
    return _moment(datetime.fromisoformat(found[0]), calendar) if found else None


def _moment(at: datetime, calendar: WorkCalendar) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=calendar.tz)
