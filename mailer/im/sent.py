"""What the group transport remembers in the state database, across jobs and runs.

The 5-minute alert and the 09:00 remind are separate runs (and serve and a clerk's console may
deliver at the same moment), so what keeps one webhook under its platform's rate has to live
where all of them see it: here, in state.db, beside the queue.
- `im_pace`: the moment of each POST to a webhook (kept two minutes: the windows are a minute);
  a slot is taken in the same transaction that checks the window, so two runs cannot both take
  the twentieth.
- `im_block`: after a rate-limit answer, nothing goes to that webhook before `until` (DingTalk
  blocks a bot for ten minutes).
- `im_part`: per queued message (its key) and body (WeCom's chart is a second body), `going`
  right before the POST, `sent` once the platform said yes, so a retry after a partial success
  never posts a body twice, and a run that died mid-POST leaves an honest "not known". A record
  is kept as long as its message may still go: only the records of a message the queue has sent
  (or no longer holds) are pruned, after `KEEP_PARTS`; a lane held for months, or a failed message
  retried with `duban outbox --retry --failed`, still finds which of its bodies the group has.
A webhook is known here only by the SHA-256 of its address: no address, no secret in the file.
Times are epoch seconds of the run's clock (the simulated one in tests), not the wall clock.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from duban.mailer.im.limits import Limits
from duban.mailer.im.pace import next_slot
from duban.workbooks.share.statedb import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS im_part (
    key TEXT NOT NULL, part INTEGER NOT NULL, state TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (key, part));
CREATE TABLE IF NOT EXISTS im_pace (webhook TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS im_pace_webhook ON im_pace (webhook, at);
CREATE TABLE IF NOT EXISTS im_block (webhook TEXT PRIMARY KEY, until REAL NOT NULL);
"""
KEEP_PACE = 120.0                  # seconds: every platform's window is a minute
KEEP_PARTS = 60 * 24 * 3600.0      # a sent message's records: long after any crash check needs them
GOING, SENT = "going", "sent"


def webhook_id(url: str) -> str:
    """How a webhook is known in state.db: the SHA-256 of its address (the address holds its key)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class Sent:
    def __init__(self, db_path: Path, now: float):
        self.db = connect(db_path, SCHEMA)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM im_pace WHERE at < ?", (now - KEEP_PACE,))
            self.db.execute("DELETE FROM im_block WHERE until < ?", (now - KEEP_PACE,))
            self._prune_parts(now - KEEP_PARTS)

    def _prune_parts(self, before: float) -> None:
        """Forget the bodies of messages the queue sent (or holds no more) before `before`; never
        those of a message still queued, held, failed, given up or set aside: any may go again."""
        if not self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='mail_queue'").fetchone():
            self.db.execute("DELETE FROM im_part WHERE at < ?", (before,))
            return
        self.db.execute("DELETE FROM im_part WHERE at < ? AND NOT EXISTS (SELECT 1 FROM mail_queue q "
                        "WHERE q.key = im_part.key AND q.status != 'sent')", (before,))

    def close(self) -> None:
        self.db.close()

    def parts(self, key: str) -> dict[int, str]:
        """part index -> GOING or SENT, for the bodies of `key` tried before."""
        return dict(self.db.execute("SELECT part, state FROM im_part WHERE key=?", (key,)).fetchall())

    def going(self, key: str, part: int, now: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO im_part (key, part, state, at) VALUES (?, ?, ?, ?)",
                        (key, part, GOING, now))

    def done(self, key: str, part: int, now: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO im_part (key, part, state, at) VALUES (?, ?, ?, ?)",
                        (key, part, SENT, now))

    def not_sent(self, key: str, part: int) -> None:
        """The platform answered and did not take it: nothing is in doubt."""
        self.db.execute("DELETE FROM im_part WHERE key=? AND part=? AND state=?", (key, part, GOING))

    def blocked_until(self, webhook: str) -> float:
        row = self.db.execute("SELECT until FROM im_block WHERE webhook=?", (webhook,)).fetchone()
        return row[0] if row else 0.0

    def block(self, webhook: str, until: float) -> None:
        """Nothing to this webhook before `until` (a later block already there stays)."""
        self.db.execute("INSERT INTO im_block (webhook, until) VALUES (?, ?) ON CONFLICT (webhook) DO UPDATE "
                        "SET until=MAX(until, excluded.until)", (webhook, until))

    def take(self, webhook: str, limits: Limits, now: float) -> float:
        """Take a slot to post to `webhook` now: 0.0 if taken (the moment is recorded), else the
        earliest moment one is free (the platform's block or the rate)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            times = [t for (t,) in self.db.execute("SELECT at FROM im_pace WHERE webhook=? AND at > ?",
                                                   (webhook, now - KEEP_PACE))]
            slot = next_slot(times, limits, now, self.blocked_until(webhook))
            if slot > now:
                return slot
            self.db.execute("INSERT INTO im_pace (webhook, at) VALUES (?, ?)", (webhook, now))
            return 0.0
