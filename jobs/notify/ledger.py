"""The notification ledger: which reminder went to whom, so none goes twice.

Keyed by (recipient, item, rule, the item's deadline, kind) and the day it was queued:
- digest items: once per day; a changed deadline is a new key, so reminders start again;
- escalations: at most every N working days (`mail.escalation_repeat_working_days`);
- urgent alerts and the problems report: alerts once per item and rule; problems once a day;
  an urgent group's repeat once per item and rule, filed apart (`filed_as`).
Stored small (jobs/notify/ledgerstore.py): one row per (recipient, kind, day, mail) and one per
item told, updated in place; the view `notified` shows the lines as before.
A ledger line is written right after its mail is queued. The mail's queue key is derived
from the same lines, so a crash between the two cannot make a second mail: the next run
builds the same key and the queue refuses it.
"""
from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

from duban.jobs.notify import ledgercopy, ledgerstore
from duban.jobs.notify.router import Item, Notice
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.share.statedb import connect


def filed_as(notice: Notice) -> str:
    """The kind the ledger files a notice's lines under: its own, but "alert-repeat" for an urgent
    group told again (content {"repeat": True}), so the repeat is told once, apart from the alert."""
    repeat = isinstance(notice.content, dict) and notice.content.get("repeat")
    return f"{notice.kind}-repeat" if repeat else notice.kind


class Ledger:
    def __init__(self, path: Path, read_only: bool = False):
        """`read_only` (dry runs): no file is created or changed (see jobs.state.connect). A
        state.db that lost lines its copy beside it has (ledgercopy) gets them back first."""
        self.db = connect(path, ledgerstore.SCHEMA, read_only=read_only)
        self.path = path
        self.read_only = read_only
        self.migrated = ledgerstore.migrate(self.db, read_only)     # a ledger an earlier duban wrote
        self.restored = 0 if read_only and Path(path).exists() else ledgercopy.restore(self.db, path)
        if not read_only:
            ledgercopy.compact_if_large(self.db, path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fresh(self, notice: Notice, today: date, calendar: WorkCalendar, repeat_days: int) -> list[Item]:
        """The notice's items that the recipient has not yet been told about (see module doc).
        What the recipient was told under the notice's kind is read in one query."""
        last = ledgerstore.last_days(self.db, notice.recipient.name, filed_as(notice))
        return [item for item in notice.items
                if not self._told(notice, last.get((item.key, item.rule, item.deadline_key)), today, calendar,
                                  repeat_days)]

    def _told(self, notice: Notice, day: str | None, today: date, calendar: WorkCalendar, repeat_days: int) -> bool:
        if day is None:
            return False
        if notice.kind == "alert":
            return True
        last = date.fromisoformat(day)
        if notice.kind == "escalation":
            return calendar.working_days_between(last, today) < repeat_days
        return last == today

    def first_told(self, recipient: str, item: Item, kind: str) -> datetime | None:
        """When `recipient` was first told `item` (its rule and deadline) under `kind` (as filed:
        "alert-repeat" for a repeat), None if never: an urgent group is told again from then."""
        found = [datetime.fromisoformat(at) for (at,) in self.db.execute(
            "SELECT at FROM notified WHERE recipient=? AND item=? AND rule=? AND deadline=? AND kind=?",
            (recipient, item.key, item.rule, item.deadline_key, kind))]
        return min(found) if found else None

    def first_sent(self, recipient: str, item: Item, kind: str) -> datetime | None:
        """When the first message that told `recipient` `item` under `kind` was SENT (the queue's
        sent_at of the ledger line's queue key, in the same state.db); None while none has gone:
        an urgent group's repeat is timed from the alert the group saw, not from when it was queued
        (a lane down for 40 minutes must not bring the alert and its repeat back to back)."""
        try:
            found = self.db.execute(
                "SELECT MIN(q.sent_at) FROM notified n JOIN mail_queue q ON q.key = n.mail AND q.status = 'sent' "
                "WHERE n.recipient=? AND n.item=? AND n.rule=? AND n.deadline=? AND n.kind=?",
                (recipient, item.key, item.rule, item.deadline_key, kind)).fetchone()
        except sqlite3.OperationalError:    # no queue in this state.db yet: nothing was sent
            return None
        return datetime.fromisoformat(found[0]) if found and found[0] else None

    def told_today(self, recipient: str, kind: str, topic: str, today: date) -> bool:
        """For mails about no single item (the problems report): already sent today?"""
        return self.db.execute("SELECT 1 FROM notified WHERE recipient=? AND item=? AND kind=? AND day=?",
                               (recipient, topic, kind, today.isoformat())).fetchone() is not None

    def ever_told(self, topic: str) -> bool:
        return self.db.execute("SELECT 1 FROM ledger_told WHERE item=?", (topic,)).fetchone() is not None

    def ever_told_to(self, recipient: str, kind: str, topic: str) -> bool:
        """For once-only mails about no single item (a period's summary): ever sent to this recipient?"""
        return self.db.execute("SELECT 1 FROM ledger_told WHERE recipient=? AND item=? AND kind=?",
                               (recipient, topic, kind)).fetchone() is not None

    def told_pairs(self) -> list[tuple[str, str]]:
        """Every (person, item) ever told, groups ("#…") left out: one row each, read from the items
        table, not expanded into lines through the view (jobs/inbox/replies.sent_pairs can use it)."""
        return self.db.execute("SELECT DISTINCT recipient, item FROM ledger_told WHERE recipient NOT LIKE '#%'").fetchall()

    def record(self, notice: Notice, items: list[Item], today: date, now: datetime, mail_key: str,
               topics: list[str] = ()) -> None:
        rows = [(notice.recipient.name, i.key, i.rule, i.deadline_key, filed_as(notice), today.isoformat(),
                 now.isoformat(), mail_key) for i in items]
        rows += [(notice.recipient.name, t, "", "", notice.kind, today.isoformat(), now.isoformat(), mail_key)
                 for t in topics]
        ledgerstore.store(self.db, rows, self.read_only)
        if not self.read_only:
            ledgercopy.append(self.path, rows)


def renamed(db, keys: dict[str, str]) -> int:
    """Rows the check just gave an ID (`workbook!row` -> ID, in the file now): what was told about
    them under their provisional key is theirs under the ID, so an alert sent before the check wrote
    the ID is not sent again after it. `db`: a connection to the state database (the journal's);
    nothing to do while no notice was ever filed. Returns the lines moved."""
    if not keys or db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name IN "
                              "('notified', 'ledger_told')").fetchone() is None:
        return 0
    table = "notified" if ledgerstore.old_table(db) else "ledger_told"     # not migrated yet: as it is
    provisional = [(old,) for old in keys]
    with db:
        db.execute("BEGIN IMMEDIATE")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS renaming (old TEXT PRIMARY KEY)")
        db.execute("DELETE FROM renaming")
        db.executemany("INSERT OR IGNORE INTO renaming VALUES (?)", provisional)
        found = [old for (old,) in db.execute(f"SELECT DISTINCT item FROM {table} WHERE item IN (SELECT old FROM renaming)")]
        return sum(db.execute(f"UPDATE OR IGNORE {table} SET item=? WHERE item=?", (keys[old], old)).rowcount
                   for old in found)
