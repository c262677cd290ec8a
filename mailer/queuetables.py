"""What the queue stores in state.db: its tables, the columns added since the first queue, and
how a state.db written by an older duban is read (as it is) and upgraded (on opening for writing).
"""
from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    recipients TEXT NOT NULL, subject TEXT NOT NULL, message BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    queued_at TEXT NOT NULL, not_before TEXT, next_attempt TEXT NOT NULL, sent_at TEXT,
    channel TEXT NOT NULL DEFAULT 'mail');
CREATE INDEX IF NOT EXISTS mail_queue_due ON mail_queue (status, next_attempt);
CREATE TABLE IF NOT EXISTS mail_fate (
    id INTEGER PRIMARY KEY, unknown INTEGER NOT NULL DEFAULT 0, in_flight TEXT);
CREATE TABLE IF NOT EXISTS mail_hold (
    id INTEGER PRIMARY KEY CHECK (id = 1), since TEXT NOT NULL, setup TEXT NOT NULL, reason TEXT NOT NULL,
    setting TEXT NOT NULL, channel TEXT NOT NULL DEFAULT 'mail');
CREATE TABLE IF NOT EXISTS channel_hold (
    channel TEXT PRIMARY KEY, since TEXT NOT NULL, setup TEXT NOT NULL, reason TEXT NOT NULL, setting TEXT NOT NULL);
"""
# Columns added since the first queue: (table, column, definition). A state.db written before
# gets them when it is opened for writing (every row it holds is mail); opened read-only it is
# read as it is, the missing column read as 'mail'.
ADDED = (("mail_queue", "channel", "TEXT NOT NULL DEFAULT 'mail'"),
         ("mail_hold", "channel", "TEXT NOT NULL DEFAULT 'mail'"))
# mail_fate: per mail, how often it went without an answer (`unknown`), and since when it is in
# flight (the write-ahead mark). A table of its own, so a state.db from before keeps working, also
# read-only. channel_hold: the hold a SetupError puts on one channel's messages (a lane: mail, or one
# group bot, `group:<name>`), one per channel, so a group with a wrong secret holds only its own.
# mail_hold held one channel at a time; a state.db that has a row in it gets it moved on opening
# for writing (read-only, both are read: `HOLDS`). `channel`: which transport delivers a message
# (jobs.notify.channels); the queue keeps its name, mail_queue, from when mail was the only one.
FIELDS = ("id, key, kind, recipients, subject, status, attempts, last_error, queued_at, not_before, next_attempt, "
          "sent_at, COALESCE(unknown, 0), channel")
TABLES = "mail_queue LEFT JOIN mail_fate USING (id)"
HOLDS = ("(SELECT channel, since, setup, reason, setting FROM channel_hold UNION ALL "
         "SELECT channel, since, setup, reason, setting FROM mail_hold)")
# urgent alerts first, then the clerks' report and serve's notices (never behind the mail they
# report), then the rest; within each, mail that failed before (a cut connection, a 4xx) after
# fresh mail and mail that went without an answer last, so no bad mail stays first; oldest first
ORDER = ("CASE kind WHEN 'alert' THEN 0 WHEN 'problems' THEN 1 WHEN 'notice' THEN 1 ELSE 2 END, "
         "COALESCE(unknown, 0), attempts, queued_at, id")


def upgrade(db: sqlite3.Connection, read_only: bool) -> tuple[str, str]:
    """Bring an older state.db's tables up to date (never when `read_only`: then the missing
    columns are read as 'mail'); returns the (fields, holds) SQL to read it with."""
    fields, held = FIELDS, HOLDS
    for table, column, definition in ADDED:
        if column not in {c[1] for c in db.execute(f"PRAGMA table_info({table})")}:
            if read_only:       # nothing may change: the old file's rows are all mail
                fields = fields.replace(f", {column}", f", 'mail' AS {column}")
                held = held.replace(f"SELECT {column}, since, setup, reason, setting FROM {table}",
                                    f"SELECT 'mail', since, setup, reason, setting FROM {table}")
            else:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    if not read_only and db.execute("SELECT 1 FROM mail_hold").fetchone():
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO channel_hold SELECT channel, since, setup, reason, setting FROM mail_hold")
            db.execute("DELETE FROM mail_hold")
    return fields, held
