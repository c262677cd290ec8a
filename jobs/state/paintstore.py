"""The painted cells' original formats, each stored once.

Most cells duban colours had the same format before (a workbook's body style), and that format's
JSON is ~600 bytes: stored in every painted cell it was 41 MB of a 138 MB state.db at 1,000
workbooks. Now the `formats` table keeps each distinct format once, keyed by a hash of its JSON
(`#` and 32 hex digits of its SHA-256), and `painted.original` / `painted_pending.original` hold
that key. A journal an earlier duban wrote keeps JSON there; it is read as it is and converted
once (`migrate`, one transaction). A key whose format is missing or not JSON (a damaged or hostile
state) is ignored: the cell is taken as not painted by the journal, the workbook's own record
(its _duban sheet) still says what it wore.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3

SCHEMA = "CREATE TABLE IF NOT EXISTS formats (ref TEXT PRIMARY KEY, spec TEXT NOT NULL) WITHOUT ROWID;"
MIGRATED = "formats_by_ref"          # journal_facts key: painted originals are keys since then


def ref_of(text: str) -> str:
    return "#" + hashlib.sha256(text.encode()).hexdigest()[:32]


class Encoder:
    """Format dicts -> keys, each distinct object encoded once (most cells share one object)."""

    def __init__(self):
        self._by_id: dict[int, str] = {}
        self.formats: dict[str, str] = {}

    def ref(self, spec: dict) -> str:
        if (ref := self._by_id.get(id(spec))) is None:
            text = json.dumps(spec, sort_keys=True)
            ref = self._by_id[id(spec)] = ref_of(text)
            self.formats[ref] = text
        return ref

    def store(self, db: sqlite3.Connection) -> None:
        """Inside the caller's transaction: the formats its rows name."""
        db.executemany("INSERT OR IGNORE INTO formats VALUES (?,?)", self.formats.items())


def decoded(rows) -> dict[tuple[str, str], tuple[str, dict]]:
    """(ID, column) -> (colour, format) from (id, col, colour, original, spec) rows; equal formats
    share one object (the write-back memoises on it)."""
    parsed: dict[str, dict | None] = {}
    out = {}
    for ident, col, colour, original, spec in rows:
        text = spec if spec is not None else original
        if text not in parsed:
            parsed[text] = _loads(text)
        if parsed[text] is not None:
            out[(ident, col)] = (colour, parsed[text])
    return out


def _loads(text: str) -> dict | None:
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def migrate(db: sqlite3.Connection) -> int:
    """Once per journal: every JSON original in painted and painted_pending becomes its key, in one
    transaction. Returns the distinct formats found."""
    if db.execute("SELECT 1 FROM journal_facts WHERE key=?", (MIGRATED,)).fetchone():
        return 0
    with db:
        db.execute("BEGIN IMMEDIATE")
        texts = {t for table in ("painted", "painted_pending") for (t,) in db.execute(
            f"SELECT DISTINCT original FROM {table} WHERE original LIKE '{{%'")}
        refs = {text: ref_of(text) for text in texts}
        db.executemany("INSERT OR IGNORE INTO formats VALUES (?,?)", [(ref, text) for text, ref in refs.items()])
        db.execute("CREATE TEMP TABLE IF NOT EXISTS format_refs (text TEXT PRIMARY KEY, ref TEXT NOT NULL)")
        db.execute("DELETE FROM format_refs")
        db.executemany("INSERT INTO format_refs VALUES (?,?)", refs.items())
        for table in ("painted", "painted_pending"):
            db.execute(f"UPDATE {table} SET original = (SELECT ref FROM format_refs WHERE text = {table}.original) "
                       "WHERE original IN (SELECT text FROM format_refs)")
        db.execute("INSERT OR REPLACE INTO journal_facts VALUES (?, datetime('now'))", (MIGRATED,))
    return len(refs)


def unused(db: sqlite3.Connection) -> int:
    """Forget formats no painted cell names any more (serve's retention)."""
    return db.execute("DELETE FROM formats WHERE ref NOT IN (SELECT original FROM painted) "
                      "AND ref NOT IN (SELECT original FROM painted_pending WHERE original IS NOT NULL)").rowcount
