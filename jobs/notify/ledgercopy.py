"""A copy of the notification ledger beside state.db (`ledger-copy.jsonl`), so that "already
sent today" is not lost with state.db.

Every mail's ledger lines are appended here right after they are stored in state.db, fsynced: one
JSON object per (recipient, kind, day, mail) with its items as [item, rule, deadline] (a copy an
earlier duban wrote has one JSON list of 8 strings per line; both are read). When the ledger is opened and the copy's last line is not in it (state.db deleted,
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

from duban.jobs.notify import ledgerstore
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
    text = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in _entries(rows))
    try:
        with open(copy_of(db_path), "a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        return False
    return True


def _entries(rows: list[tuple]) -> list[dict]:
    """The lines grouped by the mail that told them: one JSON object each."""
    sends: dict[tuple, dict] = {}
    for recipient, item, rule, deadline, kind, day, at, mail in (row[:8] for row in rows):
        entry = sends.setdefault((recipient, kind, day, mail), {"to": recipient, "kind": kind, "day": day, "at": at,
                                                                "mail": mail, "items": []})
        entry["items"].append([item, rule, deadline])
    return list(sends.values())


def restore(db: sqlite3.Connection, db_path: Path) -> int:
    """Take the copy's lines back into the ledger if its last one is missing; how many came back.
    A ledger still empty after that (the copy lost too) takes the lines of the newest kept copy of
    the state before it started afresh (statedb.set_aside_copy), so nothing is sent twice."""
    return _from_copy(db, db_path) + _from_kept(db, db_path)


def _from_kept(db: sqlite3.Connection, db_path: Path) -> int:
    if db.execute("SELECT 1 FROM ledger_told LIMIT 1").fetchone() is not None:
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
    if last is None or db.execute(f"SELECT 1 FROM notified WHERE {_ROW}", last[0][:6]).fetchone():
        return 0
    return _insert(db, [line for lines in _lines(path) for line in lines])


def _insert(db: sqlite3.Connection, rows: list) -> int:
    return ledgerstore.store(db, [tuple(row) for row in rows])


def _last_line(path: Path) -> list[list] | None:
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


def _parse(line: str) -> list[list] | None:
    """The ledger lines of one line of the copy; None for a line cut short or not a ledger's."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    if isinstance(row, list):            # an earlier duban's: one line, 8 strings
        return [row] if len(row) == 8 and all(isinstance(v, str) for v in row) else None
    if not isinstance(row, dict):
        return None
    head = [row.get(k) for k in ("to", "kind", "day", "at", "mail")]
    items = row.get("items")
    if not all(isinstance(v, str) for v in head) or not isinstance(items, list) or not items or \
            not all(isinstance(i, list) and len(i) == 3 and all(isinstance(v, str) for v in i) for i in items):
        return None
    to, kind, day, at, mail = head
    return [[to, item, rule, deadline, kind, day, at, mail] for item, rule, deadline in items]


def compact(db: sqlite3.Connection, db_path: Path) -> int | None:
    """Rewrite the copy from the ledger (serve's retention): each kept item with the mail that
    last told it, so the copy stays as small as the ledger (appended to by every remind, it would
    grow by megabytes a day). Written aside, fsynced and put in place in one rename: a kill leaves
    the old copy or the new one. After a loss of state.db the quiet-digest counts start again;
    what is sent once, or once a day, is still never sent twice. Lines written, None if it could not."""
    path = copy_of(db_path)
    if not path.exists():
        return None
    lines = ledgerstore.last_sends(db)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in _entries(lines)))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    return len(lines)


def compact_if_large(db: sqlite3.Connection, db_path: Path, floor: int = 8 << 20) -> int | None:
    """Compact the copy when a job opening the ledger finds it over `floor` bytes and three times
    what a compacted copy would hold (~60 bytes per kept item): reminds run by a scheduler, without
    serve's daily retention, keep it small too."""
    try:
        size = copy_of(db_path).stat().st_size
    except OSError:
        return None
    if size <= floor or size <= 3 * 60 * db.execute("SELECT COUNT(*) FROM ledger_told").fetchone()[0]:
        return None
    return compact(db, db_path)
