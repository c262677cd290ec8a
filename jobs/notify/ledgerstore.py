"""How the notification ledger is stored: small, whatever the number of reminds.

A ledger line says "this recipient was told this item (rule, deadline) under this kind on this
day, at this time, in this mail". Stored one per line, a daily digest of 1,000 workbooks added
~137,000 lines (33 MB) a day. Now:
- `ledger_sends`: one row per (recipient, kind, day, mail): when, and which mail; numbered per
  recipient and kind (`seq`, small numbers);
- `ledger_told`: one row per (recipient, item, rule, deadline, kind), updated in place: the last
  day it was told, how many days it was told, and the `seq`s of the sends that told it (the first
  one and the last KEEP - 1: what the once-only, repeat and quiet-digest rules look at).
The view `notified` gives the lines back with the old table's columns (one per kept send), so
readers that ask the ledger in SQL (quiet digests, replies, tests) read it as before.
"""
from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
KEEP = 64      # sends remembered per item: the first and the 63 latest (quiet rules count at most these)
LINE = ("recipient", "item", "rule", "deadline", "kind", "day", "at", "mail")

TABLES = """
CREATE TABLE IF NOT EXISTS ledger_sends (
    recipient TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL, day TEXT NOT NULL, at TEXT NOT NULL,
    mail TEXT NOT NULL, PRIMARY KEY (recipient, kind, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_told (
    recipient TEXT NOT NULL, item TEXT NOT NULL, rule TEXT NOT NULL, deadline TEXT NOT NULL, kind TEXT NOT NULL,
    last_day TEXT NOT NULL, days INTEGER NOT NULL, seqs TEXT NOT NULL,
    PRIMARY KEY (recipient, item, rule, deadline, kind)) WITHOUT ROWID;
"""
VIEW = """
CREATE VIEW IF NOT EXISTS notified AS
SELECT t.recipient AS recipient, t.item AS item, t.rule AS rule, t.deadline AS deadline, t.kind AS kind,
       s.day AS day, s.at AS at, s.mail AS mail
  FROM ledger_told t, json_each(CASE WHEN json_valid('[' || t.seqs || ']') THEN '[' || t.seqs || ']' ELSE '[]' END) j,
       ledger_sends s
 WHERE s.recipient = t.recipient AND s.kind = t.kind AND s.seq = j.value;
"""
SCHEMA = TABLES + VIEW


def old_table(db: sqlite3.Connection) -> bool:
    """Does this state.db still hold the ledger as one row per line (an earlier duban)?"""
    return db.execute("SELECT 1 FROM sqlite_master WHERE name='notified' AND type='table'").fetchone() is not None


def migrate(db: sqlite3.Connection, read_only: bool = False) -> int:
    """An earlier duban's `notified` table becomes the compact tables and the view, in one
    transaction (a kill leaves the old table as it was). Read-only (a dry run): the lines are
    taken into the connection's TEMP tables and the old table is left alone. Lines moved."""
    if not old_table(db):
        return 0
    lines = db.execute(f"SELECT {', '.join(LINE)} FROM main.notified").fetchall()
    if read_only:
        return store(db, lines, read_only=True)
    with db:
        db.execute("BEGIN IMMEDIATE")
        if not old_table(db):           # another process migrated it meanwhile
            return 0
        moved = _store(db, lines)
        db.execute("DROP TABLE notified")
        db.execute(VIEW)
    return moved


def store(db: sqlite3.Connection, lines: Iterable[tuple], read_only: bool = False) -> int:
    """Keep these ledger lines (recipient, item, rule, deadline, kind, day, at, mail), in one
    transaction; a line already kept (same key and day) is ignored. Returns the lines taken.
    `read_only`: a dry run's connection, whose ledger tables are TEMP ones."""
    with db:
        db.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
        return _store(db, lines)


def _store(db: sqlite3.Connection, lines: Iterable[tuple]) -> int:
    groups: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for line in lines:
        groups[(line[0], line[4])].append(tuple(line))
    return sum(_store_group(db, recipient, kind, group) for (recipient, kind), group in groups.items())


def _store_group(db: sqlite3.Connection, recipient: str, kind: str, lines: list[tuple]) -> int:
    """One recipient's lines of one kind: what is known of them read in one query, written with
    two executemany (a digest of 1,000 items is three statements, not 2,000)."""
    known = {(i, r, d): [day if _DAY.fullmatch(str(day)) else "", n if isinstance(n, int) else 0, seqs]
             for i, r, d, day, n, seqs in db.execute(
        "SELECT item, rule, deadline, last_day, days, seqs FROM ledger_told WHERE recipient=? AND kind=?",
        (recipient, kind))}
    sends: dict[tuple[str, str], int] = {}
    new, changed = {}, {}
    taken = 0
    for _r, item, rule, deadline, _k, day, at, mail in sorted(lines, key=lambda line: (line[6], line[7])):
        if (seq := sends.get((day, mail))) is None:
            seq = sends[(day, mail)] = _send(db, recipient, kind, day, at, mail)
        key = (item, rule, deadline)
        if (entry := known.get(key)) is None:
            known[key] = new[key] = [day, 1, str(seq)]
            taken += 1
            continue
        if day == entry[0] or (day < entry[0] and _told_on(db, recipient, kind, entry[2], day)):
            continue        # told that day already (the old table's key had the day in it)
        seqs = sorted({*seqs_of(entry[2]), seq})
        seqs = seqs if len(seqs) <= KEEP else seqs[:1] + seqs[-(KEEP - 1):]
        entry[:] = [max(day, entry[0]), entry[1] + 1, ",".join(map(str, seqs))]
        taken += 1
        if key not in new:
            changed[key] = entry
    db.executemany("INSERT INTO ledger_told VALUES (?,?,?,?,?,?,?,?)",
                   [(recipient, *key, kind, *entry) for key, entry in new.items()])
    db.executemany("UPDATE ledger_told SET last_day=?, days=?, seqs=? WHERE recipient=? AND item=? AND rule=? "
                   "AND deadline=? AND kind=?", [(*entry, recipient, *key, kind) for key, entry in changed.items()])
    return taken


def _send(db: sqlite3.Connection, recipient: str, kind: str, day: str, at: str, mail: str) -> int:
    """The seq of this (recipient, kind, day, mail) send, stored if new."""
    found = db.execute("SELECT seq FROM ledger_sends WHERE recipient=? AND kind=? AND day=? AND mail=?",
                       (recipient, kind, day, mail)).fetchone()
    if found:
        return found[0]
    (last,) = db.execute("SELECT MAX(seq) FROM ledger_sends WHERE recipient=? AND kind=?", (recipient, kind)).fetchone()
    seq = (last or 0) + 1
    db.execute("INSERT INTO ledger_sends VALUES (?,?,?,?,?,?)", (recipient, kind, seq, day, at, mail))
    return seq


def _told_on(db: sqlite3.Connection, recipient: str, kind: str, seqs: str, day: str) -> bool:
    """Was it told on `day` by one of its kept sends? (Asked only of a line older than the last
    day told: a copy's lines taken in again.)"""
    told = {q for (q,) in db.execute("SELECT seq FROM ledger_sends WHERE recipient=? AND kind=? AND day=?",
                                     (recipient, kind, day))}
    return not told.isdisjoint(seqs_of(seqs))


def seqs_of(text: str) -> list[int]:
    """The send numbers of a `seqs` column; what is not a number (a damaged or hostile state) is left out."""
    return [int(part) for part in str(text).split(",") if part.strip().isdigit()]


def last_days(db: sqlite3.Connection, recipient: str, kind: str) -> dict[tuple[str, str, str], str]:
    """(item, rule, deadline) -> the last day `recipient` was told it under `kind`: one query per
    notice. A day that is not a date (a damaged or hostile state) is left out."""
    return {(i, r, d): day for i, r, d, day in db.execute(
        "SELECT item, rule, deadline, last_day FROM ledger_told WHERE recipient=? AND kind=?", (recipient, kind))
        if isinstance(day, str) and _DAY.fullmatch(day)}


def prune(db: sqlite3.Connection, before: str) -> dict[str, int]:
    """Forget what no rule needs any more (serve's retention, jobs/serve/retention.py): an item last
    told before the day `before` that is no live row of the journal any more, or whose rule has
    been told since under a later deadline (its once-only and repeat rules can no longer fire for
    it); then the sends no kept item names. Topics (once-only mails about no item) are kept."""
    tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "ledger_told" not in tables:
        return {"told": 0, "sends": 0}
    live = "t.item IN (SELECT id FROM rows WHERE deleted_at IS NULL)" if "rows" in tables else "0"
    with db:
        db.execute("BEGIN IMMEDIATE")
        told = db.execute(
            f"DELETE FROM ledger_told AS t WHERE t.rule <> '' AND t.last_day < ? AND (NOT {live} OR EXISTS ("
            "SELECT 1 FROM ledger_told n WHERE n.recipient = t.recipient AND n.item = t.item AND n.rule = t.rule "
            "AND n.kind = t.kind AND n.deadline <> t.deadline AND n.last_day > t.last_day))", (before,)).rowcount
        named = {(r, k, q) for r, k, seqs in db.execute("SELECT recipient, kind, seqs FROM ledger_told")
                 for q in seqs_of(seqs)}
        gone = [key for key in db.execute("SELECT recipient, kind, seq FROM ledger_sends WHERE day < ?", (before,))
                if key not in named]
        db.executemany("DELETE FROM ledger_sends WHERE recipient=? AND kind=? AND seq=?", gone)
    return {"told": told, "sends": len(gone)}


def last_sends(db: sqlite3.Connection) -> list[tuple]:
    """Every kept item with the send that last told it, as ledger lines: what the ledger's copy
    beside state.db keeps when it is compacted (jobs/notify/ledgercopy.compact)."""
    sends = {(r, k, q): (day, at, mail) for r, k, q, day, at, mail in db.execute("SELECT * FROM ledger_sends")}
    lines = []
    for recipient, item, rule, deadline, kind, seqs in db.execute(
            "SELECT recipient, item, rule, deadline, kind, seqs FROM ledger_told"):
        if (told := seqs_of(seqs)) and (send := sends.get((recipient, kind, told[-1]))) is not None:
            lines.append((recipient, item, rule, deadline, kind, *send))
    return sorted(lines, key=lambda line: (line[6], line[7]))
