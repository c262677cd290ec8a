"""The change journal in SQLite: row snapshots by ID, status transitions, never-reused IDs, painted cells.

Each check stores every row's values by ID, so duban knows when a row first appeared, when it
last changed, when its status last changed (and when it first became done), and which rows
disappeared. It also remembers, for every cell duban coloured, the format the cell had before,
so clearing a flag gives the cell back exactly that format.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import orjson

from duban.jobs.rules.base import RowHistory
from duban.jobs.state import paintstore
from duban.jobs.state.lifetimes import Lifetimes
from duban.workbooks.model.records import Record
from duban.workbooks.share.statedb import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS id_counters (prefix TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    workbook TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, row INTEGER,
    first_seen TEXT NOT NULL, last_changed TEXT NOT NULL, status TEXT, status_since TEXT,
    first_done TEXT, deleted_at TEXT, data TEXT NOT NULL, first_data TEXT,
    PRIMARY KEY (workbook, id));
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, workbook TEXT NOT NULL, id TEXT NOT NULL,
    event TEXT NOT NULL, detail TEXT);
CREATE INDEX IF NOT EXISTS events_by_id ON events (id, seq);
CREATE TABLE IF NOT EXISTS painted (
    workbook TEXT NOT NULL, id TEXT NOT NULL, col TEXT NOT NULL, colour TEXT NOT NULL, original TEXT NOT NULL,
    PRIMARY KEY (workbook, id, col));
CREATE TABLE IF NOT EXISTS painted_pending (
    workbook TEXT NOT NULL, id TEXT NOT NULL, col TEXT NOT NULL, colour TEXT, original TEXT);
CREATE INDEX IF NOT EXISTS painted_pending_by_workbook ON painted_pending (workbook);
CREATE TABLE IF NOT EXISTS pending_writes (
    workbook TEXT PRIMARY KEY, at TEXT NOT NULL, old_size INTEGER NOT NULL, old_mtime_ns INTEGER NOT NULL,
    old_sha256 TEXT NOT NULL, new_size INTEGER NOT NULL, new_mtime_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS books (
    workbook TEXT PRIMARY KEY, identity TEXT, last_seen TEXT NOT NULL, gone_at TEXT);
CREATE TABLE IF NOT EXISTS journal_facts (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recorded (workbook TEXT PRIMARY KEY, digest TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rows_lifetimes ON rows (workbook, id, first_seen, first_done, deleted_at);
""" + paintstore.SCHEMA
ID_FORMAT = re.compile(r"^([A-Z]+)-(\d+)$")

# A row's "created" event is not stored: it is its rows entry (first_seen, and first_data, or
# data while the row has never changed), so a first check of 100,000 rows writes 100,000 rows,
# not 200,000. Journals written before this keep their stored "created" events.
EVENTS = """
SELECT at, workbook, id, event, detail FROM (
    SELECT r.first_seen AS at, r.workbook, r.id, 'created' AS event, COALESCE(r.first_data, r.data) AS detail,
           0 AS kind, r.rowid AS n
      FROM rows r
     WHERE {rows_where} NOT EXISTS (SELECT 1 FROM events e WHERE e.id = r.id AND e.workbook = r.workbook
                                                             AND e.event = 'created')
    UNION ALL
    SELECT at, workbook, id, event, detail, 1, seq FROM events {events_where})
ORDER BY at DESC, kind DESC, n DESC LIMIT ?"""


def snapshot_of(record: Record) -> str:
    """A row's user values as stable JSON, keys sorted, dates as ISO text (job-owned ID and
    Alerts excluded). orjson, because this runs for every row of every workbook on every run."""
    values = dict(record)
    for key in _NOT_SNAPSHOT:
        values.pop(key, None)
    return orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()


_NOT_SNAPSHOT = ("_row", "id", "alerts")


class Journal:
    def __init__(self, path: Path, read_only: bool = False):
        """`read_only` (dry runs): change no file at all; a journal not yet created is an empty one in memory."""
        self.db = connect(path, SCHEMA, read_only=read_only)
        self._later: list[tuple[str, tuple]] = []      # statements that ride on the next transaction
        if not read_only:       # a journal an earlier duban wrote: the first values, formats stored once
            if "first_data" not in {c[1] for c in self.db.execute("PRAGMA table_info(rows)")}:
                self.db.execute("ALTER TABLE rows ADD COLUMN first_data TEXT")
            paintstore.migrate(self.db)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.db.close()

    # ---- fewer transactions: each is a few round trips to the share (the rollback journal is made,
    # synced, deleted). What may wait -- a write that landed confirmed, a dropped one forgotten (a kill
    # before that is settled by the next run from the file: _resolve), a book's "last seen" -- rides
    # on the next transaction (the next write-ahead entry or record) or close.
    def later(self, sql: str, args: tuple = (), workbook: str = "") -> None:
        self._later.append((workbook, sql, args))

    def flush(self, workbook: str | None = None) -> None:
        """Run what waits, in a transaction; with `workbook`, only if something of its waits."""
        if any(workbook is None or w == workbook for w, _sql, _args in self._later):
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self._run_later()

    def _run_later(self) -> None:
        waiting, self._later = self._later, []
        for _workbook, sql, args in waiting:
            self.db.execute(sql, args)

    # ---- IDs ---------------------------------------------------------------------------
    def reserve_ids(self, prefix: str, count: int, seen: list[str], commit: bool = True) -> list[str]:
        """`count` new IDs like T-000124, above every ID ever issued or seen; never reused. With
        commit=False (dry runs) the IDs are only previewed and nothing is reserved."""
        return self.reserve_many([(prefix, count, seen)], commit)[0]

    def reserve_many(self, wanted: list[tuple[str, int, list[str]]], commit: bool = True) -> list[list[str]]:
        """`reserve_ids` for several workbooks, (prefix, count, IDs seen) each, in one transaction:
        the IDs one call each would give, in the same order (one round trip, not one per workbook)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._run_later()
            lasts = dict(self.db.execute("SELECT prefix, last FROM id_counters"))
            out = []
            for prefix, count, seen in wanted:
                numbers = [int(m[2]) for s in seen if (m := ID_FORMAT.match(s)) and m[1] == prefix]
                last = max([lasts.get(prefix, 0), *numbers])
                out.append([f"{prefix}-{n:06d}" for n in range(last + 1, last + count + 1)])
                if commit:
                    lasts[prefix] = last + count
            if commit:
                self.db.executemany("INSERT OR REPLACE INTO id_counters VALUES (?, ?)",
                                    [(p, lasts[p]) for p in dict.fromkeys(w[0] for w in wanted)])
        return out

    # ---- history -------------------------------------------------------------------------
    def histories(self, workbook: str) -> "Histories":
        rows = self.db.execute("SELECT id, first_seen, last_changed, status_since FROM rows "
                               "WHERE workbook=? AND deleted_at IS NULL", (workbook,))
        return Histories({i: rest for i, *rest in rows})

    def lifetimes(self) -> tuple[dict[tuple[str, str], tuple[str, str | None]], dict[str, str]]:
        """For the summaries: (workbook, ID) -> (first_seen, first_done) of every live row, and
        workbook -> the time of its first check (rows seen then were there before duban)."""
        lives = Lifetimes.of(self.db.execute(
            "SELECT workbook, id, first_seen, first_done FROM rows WHERE deleted_at IS NULL"))
        starts = dict(self.db.execute("SELECT workbook, MIN(first_seen) FROM rows GROUP BY workbook"))
        return lives, starts

    def record(self, workbook: str, records: list[Record], now: datetime) -> dict[str, int]:
        """Store this run's snapshot of one workbook; returns counts of new/changed/deleted rows.
        Rows exactly as last recorded (the digest of their snapshots, kept in `recorded`) cost
        one query: nothing can have changed."""
        digest = _digest(records)
        found = self.db.execute("SELECT digest FROM recorded WHERE workbook=?", (workbook,)).fetchone()
        if found and found[0] == digest:
            return {"new": 0, "changed": 0, "deleted": 0}
        snapshots = [(rec, snapshot_of(rec)) for rec in records if rec.id]
        batch = self._batch(workbook, snapshots, now)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._run_later()
            batch.run(self.db)
            self.db.execute("INSERT OR REPLACE INTO recorded VALUES (?,?)", (workbook, digest))
        return batch.counts

    def _batch(self, workbook: str, snapshots: list[tuple[Record, str]], now: datetime) -> "_Batch":
        stamp = now.isoformat()
        known = {r[0]: r[1:] for r in self.db.execute(
            "SELECT id, data, status, deleted_at, row FROM rows WHERE workbook=?", (workbook,))}
        batch = _Batch(workbook, stamp)
        seen: set[str] = set()
        for rec, data in snapshots:
            if rec.id not in seen:
                seen.add(rec.id)
                batch.add(rec, known.get(rec.id), data)
        for ident, (data, _status, deleted, _row) in known.items():
            if ident not in seen and deleted is None:
                batch.delete(ident, data)
        return batch

    def reply(self, workbook: str, ident: str, at: datetime, detail: str) -> None:
        """A verified reply written into the row (jobs/inbox): a "reply" event at the reply's time,
        `detail` saying by whom, which command and cells, so history shows who changed it, how."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO events (at, workbook, id, event, detail) VALUES (?,?,?,?,?)",
                            (at.isoformat(), workbook, ident, "reply", detail))

    def status_changes(self, since: datetime) -> list[tuple[str, str, str, str | None]]:
        """(workbook, ID, at, the status before) of every status change from `since` on, oldest
        first: what a row's status was at an earlier moment (the summaries' period end)."""
        return self.db.execute("SELECT workbook, id, at, json_extract(detail, '$[0]') FROM events "
                               "WHERE event='status' AND at >= ? ORDER BY seq", (since.isoformat(),)).fetchall()

    def events(self, ident: str | None = None, limit: int = 200) -> list[dict]:
        """The newest `limit` events (of one row ID, or all), oldest first."""
        if ident:
            sql, args = EVENTS.format(rows_where="r.id = ? AND", events_where="WHERE id = ?"), (ident, ident)
        else:
            sql, args = EVENTS.format(rows_where="", events_where=""), ()
        rows = self.db.execute(sql, (*args, limit)).fetchall()
        return [dict(zip(("at", "workbook", "id", "event", "detail"), r)) for r in reversed(rows)]

    def row(self, ident: str) -> dict | None:
        cur = self.db.execute("SELECT workbook, id, kind, row, first_seen, last_changed, status, status_since, "
                              "first_done, deleted_at, data FROM rows WHERE id=? ORDER BY deleted_at IS NULL DESC",
                              (ident,))
        found = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], found)) if found else None

    # ---- painted cells ---------------------------------------------------------------------
    # Write-ahead: before a write replaces the file, the paint it carries is recorded in
    # painted_pending (colour NULL: the cell is being given back its format), with the identity
    # of the file read and of the new file in pending_writes. After the write, confirm_painted()
    # moves it into painted, or drop_pending() forgets it. A kill between the two leaves it
    # pending; the next run decides from the file it reads (see _resolve).
    def painted(self, workbook: str, current=None, save: bool = True) -> dict[tuple[str, str], tuple[str, dict]]:
        """(ID, column) -> (colour, original format) of every cell duban coloured. `current`: the
        fingerprint of the file as read now, which settles a write a kill left pending (saved
        unless `save` is False: a dry run)."""
        if current is not None:
            self._resolve(workbook, current, save)
        return self._painted(workbook)

    def _painted(self, workbook: str) -> dict[tuple[str, str], tuple[str, dict]]:
        self.flush(workbook)                           # its confirmation, if one still waits
        return paintstore.decoded(self.db.execute(
            "SELECT p.id, p.col, p.colour, p.original, f.spec FROM painted p LEFT JOIN formats f ON f.ref = p.original "
            "WHERE p.workbook=?", (workbook,)))

    def set_painted(self, workbook: str, entries: dict[tuple[str, str], tuple[str, dict] | None]) -> None:
        """Remember (or forget, with None) the original format of each painted (ID, column) cell."""
        formats = paintstore.Encoder()     # most cells share one original format object: encode it once
        keep, forget = [], []
        for (ident, col), entry in entries.items():
            if entry is None:
                forget.append((workbook, ident, col))
                continue
            keep.append((workbook, ident, col, entry[0], formats.ref(entry[1])))
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._run_later()
            formats.store(self.db)
            self.db.executemany("DELETE FROM painted WHERE workbook=? AND id=? AND col=?", forget)
            self.db.executemany("INSERT OR REPLACE INTO painted VALUES (?,?,?,?,?)", keep)

    def plan_painted(self, workbook: str, entries: dict[tuple[str, str], tuple[str, dict] | None],
                     read, new: tuple[int, int], at: datetime | None = None) -> None:
        """Write-ahead, before the file changes: the paint (or, with None, the clearing) a write
        is about to put into the file, and which file is replaced by which. One executemany."""
        formats = paintstore.Encoder()
        rows = [(workbook, ident, col, None, None) if entry is None else
                (workbook, ident, col, entry[0], formats.ref(entry[1])) for (ident, col), entry in entries.items()]
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._run_later()              # a confirmation still waiting goes first
            formats.store(self.db)
            self.db.execute("DELETE FROM painted_pending WHERE workbook=?", (workbook,))
            self.db.executemany("INSERT INTO painted_pending VALUES (?,?,?,?,?)", rows)
            self.db.execute("INSERT OR REPLACE INTO pending_writes VALUES (?,?,?,?,?,?,?)",
                            (workbook, (at or datetime.now()).isoformat(), read.size, read.mtime_ns,
                             read.sha256, *new))

    def confirm_painted(self, workbook: str, forget: bool = True) -> None:
        """The write landed: its pending paint becomes the painted cells' record. With
        forget=False the clearings are not applied (the cells keep their record as well).
        Done with the next transaction (see `later`)."""
        if forget:
            self.later("DELETE FROM painted WHERE workbook=? AND (id, col) IN (SELECT id, col FROM "
                       "painted_pending WHERE workbook=? AND colour IS NULL)", (workbook, workbook), workbook)
        self.later("INSERT OR REPLACE INTO painted SELECT workbook, id, col, colour, original "
                   "FROM painted_pending WHERE workbook=? AND colour IS NOT NULL", (workbook,), workbook)
        self._clear_pending(workbook)

    def drop_pending(self, workbook: str) -> None:
        """The write did not land: forget its pending paint (with the next transaction)."""
        self._clear_pending(workbook)

    def _clear_pending(self, workbook: str) -> None:
        self.later("DELETE FROM painted_pending WHERE workbook=?", (workbook,), workbook)
        self.later("DELETE FROM pending_writes WHERE workbook=?", (workbook,), workbook)

    def _resolve(self, workbook: str, current, save: bool) -> None:
        """A write a kill left pending: did it land? The file read now tells.

        - the new file, untouched (same size and modification time): it landed, confirm it;
        - the very file that was to be replaced (size, time and SHA-256): it did not, drop it;
        - anything else (someone saved since): the colours it put on are taken as painted (a
          cell that does not wear them keeps its current format anyway), and a cell it was to
          give back keeps its earlier record too (it may still wear the earlier colour). Known
          limit: if that write had not landed and it was to change a cell from one colour to
          another, the earlier colour is taken for the cell's own format (a kill in the few
          milliseconds before the new file lands, then a user's save, then a colour change)."""
        self.flush(workbook)
        found = self.db.execute("SELECT old_size, old_mtime_ns, old_sha256, new_size, new_mtime_ns "
                                "FROM pending_writes WHERE workbook=?", (workbook,)).fetchone()
        if found is None:      # (pending paint and its write record are written and cleared together)
            return
        old, new = found[:3], found[3:]
        if (current.size, current.mtime_ns) == new:
            landed, forget = True, True
        elif (current.size, current.mtime_ns, current.sha256) == old:
            landed, forget = False, False
        else:
            landed, forget = True, False
        if not save:
            return
        if landed:
            self.confirm_painted(workbook, forget)
        else:
            self.drop_pending(workbook)
        self.flush()


class Histories:
    """What the journal knows of each live row, by ID; a row's times are parsed only when a rule
    asks (most rows never need them: their 反馈时间 or status decides)."""

    def __init__(self, raw: dict[str, tuple]):
        self._raw = raw

    def get(self, ident: str | None) -> RowHistory | None:
        raw = self._raw.get(ident)
        return RowHistory(*(datetime.fromisoformat(t) if t else None for t in raw)) if raw else None


class _Batch:
    """One workbook's journal changes, collected in memory and written with executemany."""

    def __init__(self, workbook: str, stamp: str):
        self.workbook, self.stamp = workbook, stamp
        self.inserts, self.events, self.changes, self.moves, self.statuses = [], [], [], [], []
        self.restores, self.deletes, self.rewrites = [], [], []
        self.counts = {"new": 0, "changed": 0, "deleted": 0}

    def event(self, ident: str, event: str, detail: str | None) -> None:
        self.events.append((self.stamp, self.workbook, ident, event, detail))

    def add(self, rec: Record, old, data: str) -> None:
        status = rec.status
        status, done_at = status and status.key, self.stamp if status and status.done else None
        if old is None:
            self.counts["new"] += 1
            self.inserts.append((self.workbook, rec.id, rec.kind.key, rec.row, self.stamp, self.stamp, status,
                                 self.stamp, done_at, data))
            return
        old_data, old_status, deleted, old_row = old
        if deleted is not None:
            self.restores.append((self.workbook, rec.id))
            self.event(rec.id, "restored", data)
        if old_data != data and json.loads(old_data) == json.loads(data):
            self.rewrites.append((data, rec.row, self.workbook, rec.id))   # same values, older JSON layout
        elif old_data != data:
            self.counts["changed"] += 1
            self.changes.append((data, self.stamp, rec.row, self.workbook, rec.id))
            self.event(rec.id, "changed", _diff(old_data, data))
        elif old_row != rec.row:
            self.moves.append((rec.row, self.workbook, rec.id))
        if old_status != status:
            self.statuses.append((status, self.stamp, done_at, self.workbook, rec.id))
            self.event(rec.id, "status", json.dumps([old_status, status]))

    def delete(self, ident: str, data: str) -> None:
        self.counts["deleted"] += 1
        self.deletes.append((self.stamp, self.workbook, ident))
        self.event(ident, "deleted", data)

    def run(self, db: sqlite3.Connection) -> None:
        db.executemany("INSERT INTO rows (workbook, id, kind, row, first_seen, last_changed, status, status_since, "
                       "first_done, data) VALUES (?,?,?,?,?,?,?,?,?,?)", self.inserts)
        db.executemany("UPDATE rows SET deleted_at=NULL WHERE workbook=? AND id=?", self.restores)
        db.executemany("UPDATE rows SET first_data=COALESCE(first_data, data), data=?, last_changed=?, row=? "
                       "WHERE workbook=? AND id=?", self.changes)
        db.executemany("UPDATE rows SET row=? WHERE workbook=? AND id=?", self.moves)
        db.executemany("UPDATE rows SET data=?, row=? WHERE workbook=? AND id=?", self.rewrites)
        db.executemany("UPDATE rows SET status=?, status_since=?, first_done=COALESCE(first_done, ?) "
                       "WHERE workbook=? AND id=?", self.statuses)
        db.executemany("UPDATE rows SET deleted_at=? WHERE workbook=? AND id=?", self.deletes)
        db.executemany("INSERT INTO events (at, workbook, id, event, detail) VALUES (?,?,?,?,?)", self.events)


def _digest(records: list[Record]) -> str:
    """Everything `record` reads of these rows (kind, row numbers, IDs, values -- statuses are
    values; not the Alerts column duban writes), in one hash of one orjson call."""
    kinds = sorted({rec.kind.key for rec in records})
    return hashlib.sha256(orjson.dumps([kinds, records], option=orjson.OPT_PASSTHROUGH_SUBCLASS,
                                       default=lambda rec: {k: v for k, v in rec.items() if k != "alerts"})).hexdigest()


def _diff(old: str, new: str) -> str:
    before, after = json.loads(old), json.loads(new)
    changed = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
    return json.dumps(changed, ensure_ascii=False)
