"""The mail queue, in the journal's SQLite file: nothing lost when the server is down, nothing sent twice.

Every mail is stored with its finished bytes under an idempotency key before anything is sent;
a key is accepted once, ever, so a crash or a double trigger cannot queue it again. `deliver`
marks each mail sent in its own commit right after the server accepts it. The one window left
is SMTP's own: a crash after the server's "250 OK" and before that commit sends the mail again
on the next run. That at-least-once window cannot be closed from the client side; it is kept to
one mail and one statement.

A mail the server accepts for some recipients and not others is sent for those it accepted,
never again. Each recipient it did not accept gets a copy of its own in the queue, in the same
commit that marks the mail sent (key `<mail key> → <address>`, the same bytes, that one address
as the only envelope recipient, the mail's queued time and hold): a recipient deferred with 4xx
is queued and retried with the same backoff and give-up as a whole mail; one refused with 5xx is
`failed` (for the clerks' problems report; `duban outbox --retry --failed` tries it again).

Times are stored as UTC ISO strings with their offset, so SQL can compare them as text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from workbooks.statedb import connect

from .message import Mail, clean, recipients
from .transports import PermanentFailure, TemporaryFailure, Transport, as_bytes, temporary

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    recipients TEXT NOT NULL, subject TEXT NOT NULL, message BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    queued_at TEXT NOT NULL, not_before TEXT, next_attempt TEXT NOT NULL, sent_at TEXT);
CREATE INDEX IF NOT EXISTS mail_queue_due ON mail_queue (status, next_attempt);
"""
BACKOFF = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
LEASE = timedelta(minutes=15)  # a mail taken by one deliverer is left alone this long by any other
COPY = " → "                   # a recipient's own copy of a mail: f"{mail key}{COPY}{address}"
FIELDS = "id, key, kind, recipients, subject, status, attempts, last_error, queued_at, not_before, next_attempt, sent_at"


def stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("mail queue times must carry a time zone")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass
class QueuedMail:
    id: int
    key: str
    kind: str
    recipients: list[str]
    subject: str
    status: str  # queued | sent | failed | given_up
    attempts: int
    last_error: str | None  # for a sent mail: the recipients the server deferred or refused (each has a copy)
    queued_at: datetime
    not_before: datetime | None
    next_attempt: datetime
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: tuple) -> QueuedMail:
        *head, recips, subject, status, attempts, error = row[:8]
        times = [datetime.fromisoformat(t) if t else None for t in row[8:]]
        return cls(*head, json.loads(recips), subject, status, attempts, error, *times)


@dataclass
class DeliveryReport:
    sent: list[QueuedMail] = field(default_factory=list)
    failed: list[QueuedMail] = field(default_factory=list)
    given_up: list[QueuedMail] = field(default_factory=list)
    still_queued: list[QueuedMail] = field(default_factory=list)
    error: str | None = None  # why the server could not be reached, when it could not

    @property
    def partial(self) -> list[QueuedMail]:
        """Sent mails that some recipients deferred or refused (named in `last_error`)."""
        return [m for m in self.sent if m.last_error]

    def then(self, later: DeliveryReport) -> DeliveryReport:
        """This delivery followed by `later` (in the same run) as one report."""
        return DeliveryReport(self.sent + later.sent, self.failed + later.failed, self.given_up + later.given_up,
                              later.still_queued, self.error or later.error)


class MailQueue:
    def __init__(self, db_path: Path, read_only: bool = False):
        """`read_only` (dry runs): no file is created or changed (see workbooks.statedb.connect)."""
        self.db = connect(db_path, SCHEMA, read_only=read_only)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> MailQueue:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def enqueue(self, mail: Mail, message: EmailMessage, now: datetime, not_before: datetime | None = None) -> bool:
        """Store the mail to be sent (not before `not_before`); False, storing nothing, if its key is known."""
        due = max(now, not_before) if not_before else now
        cur = self.db.execute(
            "INSERT OR IGNORE INTO mail_queue (key, kind, recipients, subject, message, queued_at, not_before, "
            "next_attempt) VALUES (?,?,?,?,?,?,?,?)",
            (mail.key, mail.kind, json.dumps(recipients(mail)), clean(mail.subject), as_bytes(message),
             stamp(now), stamp(not_before) if not_before else None, stamp(due)))
        return cur.rowcount == 1

    def waiting_since(self, cutoff: datetime) -> tuple[int, datetime | None, str | None]:
        """(how many queued mails were due to go by `cutoff`, the oldest such time, the newest error
        the server gave): mail that keeps waiting is something for a person to look at."""
        count, oldest = self.db.execute(
            "SELECT COUNT(*), MIN(MAX(queued_at, COALESCE(not_before, ''))) FROM mail_queue "
            "WHERE status='queued' AND MAX(queued_at, COALESCE(not_before, '')) <= ?", (stamp(cutoff),)).fetchone()
        error = self.db.execute("SELECT last_error FROM mail_queue WHERE status='queued' AND last_error IS NOT NULL "
                                "ORDER BY id DESC LIMIT 1").fetchone()
        return count, datetime.fromisoformat(oldest) if oldest else None, error[0] if error else None

    def entries(self, status: str | None = None) -> list[QueuedMail]:
        where, args = ("WHERE status=?", (status,)) if status else ("", ())
        rows = self.db.execute(f"SELECT {FIELDS} FROM mail_queue {where} ORDER BY id", args)
        return [QueuedMail.from_row(r) for r in rows]

    def message(self, key: str) -> bytes | None:
        """The exact bytes queued under `key` (and sent, byte for byte, on every try)."""
        row = self.db.execute("SELECT message FROM mail_queue WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def retry_now(self, now: datetime, include_failed: bool = False) -> int:
        """Make waiting mails due now (never before their not_before); with include_failed, refused ones too."""
        at = stamp(now)
        count = self.db.execute("UPDATE mail_queue SET next_attempt=MAX(?, COALESCE(not_before, '')) "
                                "WHERE status='queued'", (at,)).rowcount
        if include_failed:  # a fresh give-up window starts now
            count += self.db.execute("UPDATE mail_queue SET status='queued', not_before=?, next_attempt=? "
                                     "WHERE status='failed'", (at, at)).rowcount
        return count

    def deliver(self, transport: Transport, now: datetime, give_up_days: int) -> DeliveryReport:
        """Send every due mail, oldest first, over one connection; see the module docstring for guarantees."""
        report, at = DeliveryReport(), stamp(now)
        report.given_up = self._give_up(stamp(now - timedelta(days=give_up_days)))
        due = self.db.execute("SELECT id, next_attempt FROM mail_queue WHERE status='queued' AND next_attempt<=? "
                              "ORDER BY queued_at, id", (at,)).fetchall()
        outcome: dict[str, list[int]] = {"sent": [], "failed": []}
        if due:
            try:
                with transport:
                    self._send_all(transport, due, now, outcome)
            except TemporaryFailure as exc:  # could not connect, or the server went away mid-batch
                report.error = exc.reason
                self.db.execute("UPDATE mail_queue SET last_error=? WHERE status='queued' AND next_attempt<=?",
                                (exc.reason, at))
        report.sent, report.failed = self._rows(outcome["sent"]), self._rows(outcome["failed"])
        report.still_queued = self.entries("queued")
        return report

    def _send_all(self, transport: Transport, due: list[tuple], now: datetime, outcome: dict) -> None:
        for ident, version in due:
            claimed = self.db.execute(
                "UPDATE mail_queue SET next_attempt=? WHERE id=? AND status='queued' AND next_attempt=? "
                "RETURNING key, recipients, message", (stamp(now + LEASE), ident, version)).fetchall()
            if not claimed:  # another deliverer took it, or it changed meanwhile
                continue
            key, recips, message = claimed[0]
            try:
                refused = transport.send(message, json.loads(recips), key)
            except TemporaryFailure as exc:
                self.db.execute("UPDATE mail_queue SET attempts=attempts+1, last_error=?, next_attempt=? WHERE id=?",
                                (exc.reason, stamp(now + self._backoff(ident)), ident))
                if exc.server_down:
                    raise
            except PermanentFailure as exc:
                self.db.execute("UPDATE mail_queue SET status='failed', attempts=attempts+1, last_error=? "
                                "WHERE id=?", (exc.reason, ident))
                outcome["failed"].append(ident)
            else:
                outcome["failed"] += self._sent(ident, key, refused, now)
                outcome["sent"].append(ident)

    def _backoff(self, ident: int) -> timedelta:
        """How long to wait after one more failed try of this mail (BACKOFF, by tries so far)."""
        attempts = self.db.execute("SELECT attempts FROM mail_queue WHERE id=?", (ident,)).fetchone()[0]
        return BACKOFF[min(attempts, len(BACKOFF) - 1)]

    def _sent(self, ident: int, key: str, refused: dict[str, str], now: datetime) -> list[int]:
        """Mark a mail sent and, in the same commit, queue a copy for each recipient the server
        deferred (retried like a whole mail) or refused (failed). The ids of the failed copies."""
        error = "; ".join(f"{'deferred' if temporary(why) else 'refused'} {r}: {why}" for r, why in refused.items())
        wait, failed = self._backoff(ident), []
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE mail_queue SET status='sent', attempts=attempts+1, last_error=?, sent_at=? "
                            "WHERE id=?", (error or None, stamp(now), ident))
            for address, why in refused.items():
                later = temporary(why)
                copy = self.db.execute(
                    "INSERT OR IGNORE INTO mail_queue (key, kind, recipients, subject, message, status, attempts, "
                    "last_error, queued_at, not_before, next_attempt) SELECT ?, kind, ?, subject, message, ?, "
                    "attempts, ?, queued_at, not_before, ? FROM mail_queue WHERE id=? RETURNING id",
                    (f"{key}{COPY}{address}", json.dumps([address]), "queued" if later else "failed", why,
                     stamp(now + wait) if later else stamp(now), ident)).fetchall()
                if copy and not later:
                    failed.append(copy[0][0])
        return failed

    def expire(self, now: datetime, give_up_days: int) -> list[QueuedMail]:
        """Give up mail waiting longer than `give_up_days` (deliver() does this too, first)."""
        return self._give_up(stamp(now - timedelta(days=give_up_days)))

    def _give_up(self, cutoff: str) -> list[QueuedMail]:
        rows = self.db.execute(
            "UPDATE mail_queue SET status='given_up', last_error=COALESCE(last_error, 'never sent') "
            "WHERE status='queued' AND MAX(queued_at, COALESCE(not_before, ''))<=? RETURNING id", (cutoff,)).fetchall()
        return self._rows([r[0] for r in rows])

    def _rows(self, ids: list[int]) -> list[QueuedMail]:
        found: list[QueuedMail] = []
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found += [QueuedMail.from_row(r) for r in
                      self.db.execute(f"SELECT {FIELDS} FROM mail_queue WHERE id IN ({marks}) ORDER BY id", chunk)]
        return found
