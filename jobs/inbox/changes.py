"""Verified replies waiting to be written: the `reply_changes` table of the folder's state.db.

The inbox job stores a change as soon as a reply is verified, and deletes the mail only then; the
write into the workbook comes after (apply.py), now or, while the file is open in Excel, on a
later run. So a change is never lost between the mailbox and the file, and never applied twice:
the reply's Message-ID is the key, whatever its status.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from duban.workbooks.share.statedb import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS reply_changes (
    message_id TEXT PRIMARY KEY, item TEXT NOT NULL, person TEXT NOT NULL, command TEXT NOT NULL, value TEXT,
    received TEXT NOT NULL, sender TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'pending',
    applied_at TEXT, code TEXT NOT NULL DEFAULT '', seq INTEGER);
CREATE INDEX IF NOT EXISTS reply_changes_pending ON reply_changes (status, seq);
"""
PENDING, APPLIED, REFUSED = "pending", "applied", "refused"


@dataclass(frozen=True)
class Change:
    """One verified command of one reply, for one row."""

    message_id: str      # the reply's Message-ID: a reply is applied once, ever
    item: str            # the row's ID (T-000012), or "relpath!row" while it had none (the ledger's item key)
    person: str          # who replied: the directory name the token was issued to (verified by the inbox)
    command: str         # mailer.reply.commands.Command.kind: done, progress, acknowledge, snooze, help, note
    value: str | None    # "75" (progress), "2026-12-10" (snooze), a department (help), the note; None otherwise
    received: datetime   # aware: when the reply arrived (the acknowledgement / response time written)
    sender: str = ""     # the From address, for the answer mail


class ChangeStore:
    def __init__(self, db: Path, read_only: bool = False):
        self.db = connect(db, SCHEMA, read_only=read_only)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "ChangeStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, change: Change) -> bool:
        """Store a change; False when this Message-ID is already stored (pending, applied or refused)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM reply_changes").fetchone()[0]
            cur = self.db.execute(
                "INSERT OR IGNORE INTO reply_changes (message_id, item, person, command, value, received, sender, seq) "
                "VALUES (?,?,?,?,?,?,?,?)", (change.message_id, change.item, change.person, change.command,
                                             change.value, change.received.isoformat(), change.sender, seq))
        return cur.rowcount == 1

    def seen(self, message_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM reply_changes WHERE message_id=?", (message_id,)).fetchone() is not None

    def pending(self) -> list[Change]:
        """The changes not yet applied or refused, oldest first (in the order they were stored)."""
        rows = self.db.execute("SELECT message_id, item, person, command, value, received, sender FROM reply_changes "
                               "WHERE status=? ORDER BY seq", (PENDING,))
        return [Change(m, i, p, c, v, datetime.fromisoformat(r), s) for m, i, p, c, v, r, s in rows]

    def status(self, message_id: str) -> tuple[str, str] | None:
        """(status, code) of a stored change, None when there is none."""
        found = self.db.execute("SELECT status, code FROM reply_changes WHERE message_id=?", (message_id,)).fetchone()
        return tuple(found) if found else None

    def settle(self, message_id: str, status: str, at: datetime, code: str = "") -> None:
        """Applied or refused: never handed out again."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE reply_changes SET status=?, applied_at=?, code=? WHERE message_id=?",
                            (status, at.isoformat(), code, message_id))
