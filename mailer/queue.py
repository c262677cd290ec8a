"""The mail queue, in the journal's SQLite file: nothing lost when the server is down, nothing sent twice.

Every mail is stored with its finished bytes under an idempotency key before anything is sent;
a key is accepted once, ever, so a crash or a double trigger cannot queue it again. `deliver`
marks each mail sent in its own commit right after the server accepts it.

SMTP leaves one window no client can close: between the server storing a mail and its answer
being recorded. Write-ahead narrows it to exactly that: right before the mail itself goes (after
the server's 354) the mail is marked in flight, in its own commit. Then, per mail:
- the server answered: sent (the in-flight mark is cleared in the same commit), or refused;
- the connection was cut, or no answer came within `data_timeout`, after the mail had gone: its
  fate is unknown. It is sent once more (the same bytes, so the same Message-ID), never a third
  time: a second unknown sets it aside (`set_aside`) for a person. So over SMTP duban by itself
  gets a mail to a mailbox at most twice, and twice only when a server dropped a mail it had kept.
  A transport with `resend_unknown` off (a group bot: a chat group would read it twice) has it
  set aside at the first unknown;
- the run died (kill -9, power cut) with a mail in flight: the next run finds the mark once the
  lease is over and sets that mail aside without sending it again, so a kill never duplicates
  (the outbox transport can look: the .eml file is there, or it is sent).
A connection cut before the mail went is an ordinary temporary failure of that mail. Either
way the batch reconnects and goes on with the next mail, so one bad mail never stops the others,
and mail that has cut the connection is tried after the rest (`ORDER`). A setting the server
turned down (`SetupError`: password, TLS) holds the queue, not counting towards give-up, until
the settings change or `retry_now` (`duban outbox --retry`) lifts the hold.

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
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from duban.mailer import queuetables as tables
from duban.mailer.message import Mail, clean, recipients
from duban.mailer.queued import DeliveryReport, Queued, QueuedMail
from duban.mailer.queuetables import ORDER, SCHEMA, TABLES
from duban.mailer.seam import (
    ConnectionCut,
    PermanentFailure,
    SetupError,
    TemporaryFailure,
    Transport,
    Wait,
    as_bytes,
    temporary,
)
from duban.mailer.stored import packed, unpacked
from duban.workbooks.share.statedb import connect

BACKOFF = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
LEASE = timedelta(minutes=15)  # a mail taken by one deliverer is left alone this long by any other
COPY = " → "                   # a recipient's own copy of a mail: f"{mail key}{COPY}{address}"
SET_ASIDE_AFTER = 2       # sends without an answer: the mail is set aside, never sent a third time
CUTS_IN_A_ROW = 3         # this many mails in a row cut the connection: the server is in trouble, stop


def stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("mail queue times must carry a time zone")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


class MailQueue:
    def __init__(self, db_path: Path, read_only: bool = False):
        """`read_only` (dry runs): no file is created or changed (see workbooks.statedb.connect). A
        state.db from before a column was added gets it here (`queuetables.upgrade`)."""
        self.db = connect(db_path, SCHEMA, read_only=read_only)
        self.fields, self.held = tables.upgrade(self.db, read_only)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> MailQueue:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def enqueue(self, mail: Mail, message: EmailMessage, now: datetime, not_before: datetime | None = None) -> bool:
        """Store the mail to be sent (not before `not_before`); False, storing nothing, if its key is known."""
        return self.put(Queued(mail.key, mail.kind, recipients(mail), mail.subject, as_bytes(message)), now,
                        not_before)

    def put(self, item: Queued, now: datetime, not_before: datetime | None = None) -> bool:
        """Store a finished message of any channel (not to go before `not_before`); False, storing
        nothing, if its key is known."""
        due = max(now, not_before) if not_before else now
        cur = self.db.execute(
            "INSERT OR IGNORE INTO mail_queue (key, kind, recipients, subject, message, queued_at, not_before, "
            "next_attempt, channel) VALUES (?,?,?,?,?,?,?,?,?)",
            (item.key, item.kind, json.dumps(item.recipients), clean(item.subject), packed(item.message),
             stamp(now), stamp(not_before) if not_before else None, stamp(due), item.channel))
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

    def entries(self, status: str | None = None, channel: str | None = None) -> list[QueuedMail]:
        where, args = ("WHERE status=?", (status,)) if status else ("", ())
        if channel is not None:
            where, args = f"{where} {'AND' if where else 'WHERE'} channel=?", (*args, channel)
        rows = self.db.execute(f"SELECT {self.fields} FROM {TABLES} {where} ORDER BY id", args)
        return [QueuedMail.from_row(r) for r in rows]

    def unanswered(self) -> list[QueuedMail]:
        """Queued or sent mail that went at least once without an answer (may arrive twice)."""
        rows = self.db.execute(f"SELECT {self.fields} FROM {TABLES} WHERE status IN ('queued', 'sent') AND unknown > 0 "
                               "ORDER BY id")
        return [QueuedMail.from_row(r) for r in rows]

    def hold(self, channel: str | None = None) -> tuple[str, str, str, str] | None:
        """(since, setup, reason, setting) while a SetupError holds the queue (of `channel`), else None."""
        if channel is None:
            return self.db.execute(f"SELECT since, setup, reason, setting FROM {self.held} ORDER BY since").fetchone()
        return self.db.execute(f"SELECT since, setup, reason, setting FROM {self.held} WHERE channel=?",
                               (channel,)).fetchone()

    def holds(self) -> dict[str, tuple[str, str, str, str]]:
        """Every channel held by a SetupError: channel -> (since, setup, reason, setting)."""
        return {c: tuple(rest) for c, *rest in self.db.execute(f"SELECT * FROM {self.held} ORDER BY since")}

    def lanes(self) -> set[str]:
        """Every lane with messages waiting or a settings hold (`duban outbox` delivers each one)."""
        return {c for (c,) in self.db.execute("SELECT channel FROM mail_queue WHERE status='queued' "
                                              "UNION SELECT channel FROM channel_hold")}

    def fail_lane(self, channel: str, reason: str, now: datetime) -> list[QueuedMail]:
        """A lane with nowhere to go (its group taken out of duban.toml): its waiting messages fail at
        once with `reason` (`retry_now(include_failed=True)` queues them again) and its hold ends."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM channel_hold WHERE channel=?", (channel,))
            ids = [r[0] for r in self.db.execute(
                "UPDATE mail_queue SET status='failed', last_error=? WHERE status='queued' AND channel=? "
                "RETURNING id", (reason, channel)).fetchall()]
            self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id IN (SELECT id FROM mail_queue "
                            "WHERE channel=? AND status='failed')", (channel,))
        return self._rows(sorted(ids))

    def message(self, key: str) -> bytes | None:
        """The exact bytes queued under `key` (and sent, byte for byte, on every try)."""
        row = self.db.execute("SELECT message FROM mail_queue WHERE key=?", (key,)).fetchone()
        return unpacked(row[0]) if row else None

    def retry_now(self, now: datetime, include_failed: bool = False) -> int:
        """Make waiting mails due now (never before their not_before) and lift a settings hold; with
        include_failed, refused, set-aside and given-up ones too (a set-aside mail gets one more
        send; a given-up one a fresh give-up window: a weekly summary is never made twice)."""
        at = stamp(now)
        self._lift_hold(at)
        count = self.db.execute("UPDATE mail_queue SET next_attempt=MAX(?, COALESCE(not_before, '')) "
                                "WHERE status='queued' AND id NOT IN (SELECT id FROM mail_fate WHERE in_flight "
                                "IS NOT NULL)", (at,)).rowcount
        if include_failed:  # a fresh give-up window starts now
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("UPDATE mail_fate SET unknown=MIN(unknown, ?), in_flight=NULL WHERE id IN "
                                "(SELECT id FROM mail_queue WHERE status='set_aside')", (SET_ASIDE_AFTER - 1,))
                count += self.db.execute("UPDATE mail_queue SET status='queued', not_before=?, next_attempt=? "
                                         "WHERE status IN ('failed', 'set_aside', 'given_up')", (at, at)).rowcount
        return count

    def deliver(self, transport: Transport, now: datetime, give_up_days: float,
                channel: str = "mail") -> DeliveryReport:
        """Send every due message of `channel` through its transport, most urgent first, over one
        connection (a new one after a cut); see the module docstring for guarantees."""
        report, at = DeliveryReport(), stamp(now)
        held = self.hold(channel)
        if held and held[1] == transport.setup:    # the settings the server turned down: wait for a person
            report.error, report.setting = held[2], held[3]
            report.faults = [(channel, report.error, report.setting)]
            report.still_queued = self.entries("queued", channel)
            return report
        self._lift_hold(at, channel)                # the settings changed since: try them
        report.given_up = self._give_up(stamp(now - timedelta(days=give_up_days)), channel)
        outcome: dict[str, list[int]] = {"sent": [], "failed": [], "set_aside": []}
        self._settle_crashed(transport, now, outcome, channel)
        due = self.db.execute(f"SELECT id, next_attempt FROM {TABLES} WHERE status='queued' AND next_attempt<=? "
                              f"AND channel=? ORDER BY {ORDER}", (at, channel)).fetchall()
        if due:
            try:
                with transport:
                    report.waiting = self._send_all(transport, due, now, outcome)
            except SetupError as exc:               # hold everything until the setting is fixed
                report.error, report.setting = exc.reason, exc.setting
                self.db.execute("INSERT OR REPLACE INTO channel_hold (channel, since, setup, reason, setting) "
                                "VALUES (?, ?, ?, ?, ?)", (channel, at, transport.setup, exc.reason, exc.setting))
                self._note_error(exc.reason, at, channel)
            except TemporaryFailure as exc:  # could not connect, or the server went away mid-batch
                report.error = exc.reason
                self._note_error(exc.reason, at, channel)
        if report.error:
            report.faults = [(channel, report.error, report.setting)]
        report.sent, report.failed = self._rows(outcome["sent"]), self._rows(outcome["failed"])
        report.set_aside = self._rows(outcome["set_aside"])
        report.still_queued = self.entries("queued", channel)
        return report

    def _lift_hold(self, at: str, channel: str | None = None) -> None:
        """End a settings hold (of `channel`; None: any): the messages it held start a fresh give-up
        window now (they did not age while they waited for a person)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            held = self.db.execute("DELETE FROM channel_hold WHERE ? IS NULL OR channel=? RETURNING channel",
                                   (channel, channel)).fetchall()
            for (which,) in held:
                self.db.execute("UPDATE mail_queue SET not_before=MAX(COALESCE(not_before, ''), ?) "
                                "WHERE status='queued' AND channel=?", (at, which))

    def _note_error(self, reason: str, at: str, channel: str) -> None:
        self.db.execute("UPDATE mail_queue SET last_error=? WHERE status='queued' AND next_attempt<=? AND channel=?",
                        (reason, at, channel))

    def _send_all(self, transport: Transport, due: list[tuple], now: datetime, outcome: dict) -> str | None:
        """Send the due messages in order; the sentence of a `Wait` that paused the lane, if one did."""
        cuts = 0
        for ident, version in due:
            claimed = self.db.execute(
                "UPDATE mail_queue SET next_attempt=? WHERE id=? AND status='queued' AND next_attempt=? "
                "RETURNING key, recipients, message",
                (stamp(now + LEASE + timedelta(seconds=transport.patience)), ident, version)).fetchall()
            if not claimed:  # another deliverer took it, or it changed meanwhile
                continue
            key, recips, message = claimed[0]
            message = unpacked(message)
            try:
                refused = transport.send(message, json.loads(recips), key,
                                         before_content=lambda ident=ident: self._in_flight(ident, now))
            except SetupError:
                self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id=?", (ident,))
                self.db.execute("UPDATE mail_queue SET next_attempt=? WHERE id=?", (stamp(now), ident))
                raise
            except Wait as exc:                     # the lane pauses: this mail keeps its place and its tries
                self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id=?", (ident,))
                self.db.execute("UPDATE mail_queue SET last_error=?, next_attempt=? WHERE id=?",
                                (exc.reason, stamp(max(exc.until, now)), ident))
                return exc.reason
            except ConnectionCut as exc:            # this mail, not the batch: reconnect and go on
                cuts += 1
                if exc.content_sent:
                    if self._unanswered(ident, exc.reason, now, transport.resend_unknown):
                        outcome["set_aside"].append(ident)
                else:
                    self._failed_once(ident, exc.reason, now)
                if cuts >= CUTS_IN_A_ROW:
                    raise TemporaryFailure(f"the server cut the connection {cuts} times in a row (last: "
                                           f"{exc.reason})") from exc
                transport.close()
                transport.open()                    # cannot reconnect: the server is down, the batch stops
                continue
            except TemporaryFailure as exc:
                self._failed_once(ident, exc.reason, now)
                if exc.server_down:
                    raise
            except PermanentFailure as exc:
                self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id=?", (ident,))
                self.db.execute("UPDATE mail_queue SET status='failed', attempts=attempts+1, last_error=? "
                                "WHERE id=?", (exc.reason, ident))
                outcome["failed"].append(ident)
            else:
                outcome["failed"] += self._sent(ident, key, refused, now)
                outcome["sent"].append(ident)
            cuts = 0
        return None

    def _in_flight(self, ident: int, now: datetime) -> None:
        """The write-ahead mark, committed before the mail itself goes (see the module docstring)."""
        self.db.execute("INSERT INTO mail_fate (id, in_flight) VALUES (?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET in_flight=excluded.in_flight", (ident, stamp(now)))

    def _failed_once(self, ident: int, reason: str, now: datetime) -> None:
        """A try the server answered with "not now" (or cut before the mail went): back off."""
        self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id=?", (ident,))
        self.db.execute("UPDATE mail_queue SET attempts=attempts+1, last_error=?, next_attempt=? WHERE id=?",
                        (reason, stamp(now + self._backoff(ident)), ident))

    def _unanswered(self, ident: int, reason: str, now: datetime, resend: bool = True) -> bool:
        """The mail went and no answer came: one more send after the backoff, or, the second time
        (the first, if not `resend`), set aside. True if set aside."""
        wait = self._backoff(ident)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO mail_fate (id, unknown) VALUES (?, 1) ON CONFLICT (id) DO UPDATE "
                            "SET unknown=unknown+1, in_flight=NULL", (ident,))
            unknown = self.db.execute("SELECT unknown FROM mail_fate WHERE id=?", (ident,)).fetchone()[0]
            aside = unknown >= (SET_ASIDE_AFTER if resend else 1)
            self.db.execute("UPDATE mail_queue SET status=?, attempts=attempts+1, last_error=?, next_attempt=? "
                            "WHERE id=?", ("set_aside" if aside else "queued", reason, stamp(now + wait), ident))
        return aside

    def _settle_crashed(self, transport: Transport, now: datetime, outcome: dict, channel: str) -> None:
        """Mail left in flight by a run that died (its lease is over): the outbox can look whether
        the file is there; over SMTP its fate is unknown, so it is set aside, never sent again."""
        rows = self.db.execute(
            f"SELECT id, key, message, in_flight FROM {TABLES} WHERE status='queued' AND in_flight IS NOT NULL "
            "AND next_attempt<=? AND channel=?", (stamp(now), channel)).fetchall()
        look = getattr(transport, "delivered", None)
        for ident, key, message, since in rows:
            there = look(unpacked(message), key) if look else None
            if there is None:
                with self.db:
                    self.db.execute("BEGIN IMMEDIATE")
                    self.db.execute("UPDATE mail_fate SET unknown=unknown+1, in_flight=NULL WHERE id=?", (ident,))
                    self.db.execute(
                        "UPDATE mail_queue SET status='set_aside', attempts=attempts+1, last_error=? WHERE id=?",
                        (f"the run that was sending it ({since}) ended while the server was taking it", ident))
                outcome["set_aside"].append(ident)
            elif there:
                with self.db:
                    self.db.execute("BEGIN IMMEDIATE")
                    self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id=?", (ident,))
                    self.db.execute("UPDATE mail_queue SET status='sent', attempts=attempts+1, sent_at=? WHERE id=?",
                                    (since, ident))
                outcome["sent"].append(ident)
            else:
                self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id=?", (ident,))

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
            self.db.execute("UPDATE mail_fate SET in_flight=NULL WHERE id=?", (ident,))
            for address, why in refused.items():
                later = temporary(why)
                copy = self.db.execute(
                    "INSERT OR IGNORE INTO mail_queue (key, kind, recipients, subject, message, status, attempts, "
                    "last_error, queued_at, not_before, next_attempt, channel) SELECT ?, kind, ?, subject, message, "
                    "?, attempts, ?, queued_at, not_before, ?, channel FROM mail_queue WHERE id=? RETURNING id",
                    (f"{key}{COPY}{address}", json.dumps([address]), "queued" if later else "failed", why,
                     stamp(now + wait) if later else stamp(now), ident)).fetchall()
                if copy and not later:
                    failed.append(copy[0][0])
        return failed

    def expire(self, now: datetime, give_up_days: int) -> list[QueuedMail]:
        """Give up mail waiting longer than `give_up_days` (deliver() does this too, first)."""
        return self._give_up(stamp(now - timedelta(days=give_up_days)))

    def _give_up(self, cutoff: str, channel: str | None = None) -> list[QueuedMail]:
        """Messages (of `channel`; None: any) waiting past the cutoff; none of a channel whose
        settings hold waits for a person (who was told)."""
        rows = self.db.execute(
            "UPDATE mail_queue SET status='given_up', last_error=COALESCE(last_error, 'never sent') "
            "WHERE status='queued' AND MAX(queued_at, COALESCE(not_before, ''))<=? AND (? IS NULL OR channel=?) "
            "AND channel NOT IN (SELECT channel FROM channel_hold) RETURNING id", (cutoff, channel, channel)).fetchall()
        return self._rows([r[0] for r in rows])

    def _rows(self, ids: list[int]) -> list[QueuedMail]:
        found: list[QueuedMail] = []
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found += [QueuedMail.from_row(r) for r in
                      self.db.execute(f"SELECT {self.fields} FROM {TABLES} WHERE id IN ({marks}) ORDER BY id", chunk)]
        return found
