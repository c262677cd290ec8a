"""The state database (`DIR/.duban/state.db`): one way to open it for the journal, the ledger and the queue."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

_TABLE = re.compile(r"\s*CREATE TABLE IF NOT EXISTS (\w+)")


def connect(path: Path, schema: str, read_only: bool = False) -> sqlite3.Connection:
    """Autocommit connection (callers open their own transactions), WAL so readers never block
    the job, a generous busy timeout for a second job on the same folder, and `schema` applied.

    `read_only` (dry runs) changes nothing on disk: see `_read_only`."""
    if read_only:
        return _read_only(path, schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db


def _read_only(path: Path, schema: str) -> sqlite3.Connection:
    """A connection that creates and changes no file: an empty in-memory database when `path`
    does not exist; else `path` opened `mode=ro`. SQLite's read-only WAL reader would still
    create `-wal` and `-shm` files and leave them behind, so while there is no `-wal` file (no
    connection open, every change checkpointed into the file; duban's writers are held off by
    the run lock) the file is opened `immutable`. Tables the file lacks are empty TEMP tables."""
    if not path.exists():
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(schema)
        return db
    immutable = not path.with_name(path.name + "-wal").exists()
    uri = path.resolve().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
    db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    have = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for statement in schema.split(";"):
        found = _TABLE.match(statement)
        if found and found[1] not in have:
            db.execute(statement.replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
    return db
