"""What the inbox did with each reply it read, by Message-ID, in state.db: so a reply read again
(a crash before it was moved, a copy delivered twice) is never answered or applied twice, and a
refused change can quote the line it came from. And the (recipient, item) pairs the ledger says
duban mailed: the only ones a token can name."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from duban.jobs.notify.ledger import Ledger
from duban.workbooks.share.statedb import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_replies (
    message_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, code TEXT NOT NULL, item TEXT NOT NULL,
    sender TEXT NOT NULL, first_line TEXT NOT NULL, at TEXT NOT NULL);
"""


class Replies:
    """The replies handled so far (a dry run opens it read-only and records nothing)."""

    def __init__(self, path: Path, read_only: bool = False):
        self.db = connect(path, SCHEMA, read_only=read_only)
        self.read_only = read_only

    def __enter__(self) -> Replies:
        return self

    def __exit__(self, *exc) -> None:
        self.db.close()

    def seen(self, message_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM inbox_replies WHERE message_id = ?", (message_id,)).fetchone() is not None

    def record(self, message_id: str, outcome: str, code: str, item: str, sender: str, first_line: str,
               now: datetime) -> None:
        """Note the reply as handled (the first record stays: a reply is decided once)."""
        if self.read_only:
            return
        self.db.execute("INSERT OR IGNORE INTO inbox_replies VALUES (?,?,?,?,?,?,?)",
                        (message_id, outcome, code, item, sender, first_line, now.isoformat(timespec="seconds")))

    def first_line(self, message_id: str) -> str:
        row = self.db.execute("SELECT first_line FROM inbox_replies WHERE message_id = ?", (message_id,)).fetchone()
        return row[0] if row else ""


def sent_pairs(path: Path, read_only: bool = False) -> list[tuple[str, str]]:
    """Every (person, item) the ledger says duban told, groups ("#…") left out: a group's message
    carries no reply link."""
    with Ledger(path, read_only=read_only) as ledger:
        return [(recipient, item) for recipient, item in ledger.told_pairs()]
