"""The state database (`DIR/.duban/state.db`): one way to open it for the journal and the ledger."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Autocommit connection (callers open their own transactions), WAL so readers never block
    the job, a generous busy timeout for a second job on the same folder, and `schema` applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db
