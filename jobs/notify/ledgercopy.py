"""A copy of the notification ledger beside state.db (`ledger-copy.jsonl`), so that "already
sent today" is not lost with state.db.

Every ledger line is appended here (one JSON list per line, fsynced) right after it is stored in
state.db. When the ledger is opened and the copy's last line is not in it (state.db deleted,
emptied, or put back from an older copy), every line of the copy is taken back in; with the copy
lost too, the lines of the state's kept copy (`state.db.bak-<time>`) are. Lines are
only ever appended; a line cut short by a crash is skipped. The copy is lost only with the
state folder itself.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from duban.workbooks.share.statedb import kept_copies

NAME = "ledger-copy.jsonl"
_TAIL = 4096
_ROW = "recipient=? AND item=? AND rule=? AND deadline=? AND kind=? AND day=?"


def copy_of(db_path: Path) -> Path:
    return Path(db_path).with_name(NAME)


def append(db_path: Path, rows: list[tuple]) -> bool:
    """Add these ledger lines to the copy (the ledger stored them a moment ago). False if the
    copy could not be written (a full disk, a read-only folder): state.db has the lines, so the
    run goes on; only the safety net has a hole."""
    if not rows:
        return True
    text = "".join(json.dumps(list(row[:8]), ensure_ascii=False) + "\n" for row in rows)
    try:
        with open(copy_of(db_path), "a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        return False
    return True


def restore(db: sqlite3.Connection, db_path: Path) -> int:
    """Take the copy's lines back into the ledger if its last one is missing; how many came back.
    A ledger still empty after that (the copy lost too) takes the lines of the newest kept copy of
    the state before it started afresh (statedb.set_aside_copy), so nothing is sent twice."""
    return _from_copy(db, db_path) + _from_kept(db, db_path)


def _from_kept(db: sqlite3.Connection, db_path: Path) -> int:
    if db.execute("SELECT 1 FROM notified LIMIT 1").fetchone() is not None:
        return 0
    for kept in kept_copies(Path(db_path)):
        try:
            con = sqlite3.connect(kept.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
            try:
                rows = con.execute("SELECT recipient, item, rule, deadline, kind, day, at, mail FROM notified").fetchall()
            finally:
                con.close()
        except sqlite3.Error:           # a kept copy without a ledger, or unreadable: the next one
            continue
        if rows:
            return _insert(db, rows)
    return 0


def _from_copy(db: sqlite3.Connection, db_path: Path) -> int:
    path = copy_of(db_path)
    last = _last_line(path)
    if last is None or db.execute(f"SELECT 1 FROM notified WHERE {_ROW}", last[:6]).fetchone():
        return 0
    return _insert(db, list(_lines(path)))


def _insert(db: sqlite3.Connection, rows: list) -> int:
    with db:
        db.execute("BEGIN")
        before = db.total_changes
        db.executemany("INSERT OR IGNORE INTO notified (recipient, item, rule, deadline, kind, day, at, mail) "
                       "VALUES (?,?,?,?,?,?,?,?)", rows)
        return db.total_changes - before


def _last_line(path: Path) -> list | None:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - _TAIL))
            tail = fh.read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(tail):
        if (row := _parse(line)) is not None:
            return row
    return None


def _lines(path: Path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if (row := _parse(line)) is not None:
                yield row


def _parse(line: str) -> list | None:
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row if isinstance(row, list) and len(row) == 8 and all(isinstance(v, str) for v in row) else None
