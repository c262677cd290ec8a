"""The state database (`DIR/.duban/state.db`): one way to open it for the journal, the ledger and the queue.

The folder is often a share that serve (on the server) and the Excel console (on a clerk's PC)
both reach. SQLite's WAL mode keeps its index in shared memory (`-shm`), which machines do not
share over SMB or NFS, so the database uses the rollback journal (`journal_mode=DELETE`), which
relies only on file locks the file server sees. Opening a damaged file, or one the disk or
share will not let duban write, raises `faults.StorageFault` naming the file and what to do.
After a job that changed the state, `keep_good_copy` keeps `state.db.bak`: the copy the
sentence for a damaged database points at. A state started afresh (state.db deleted or emptied)
never overwrites it: `set_aside_copy` first renames it to `state.db.bak-<its time>` (a kept copy,
never rotated or replaced), which the "state-new" warning names and the ledger takes its
"already sent" lines back from.
"""
from __future__ import annotations

import os
import re
import sqlite3
import struct
from datetime import datetime
from pathlib import Path

from duban.workbooks.share import faults
from duban.workbooks.share.files import unique_suffix

_TABLE = re.compile(r"\s*CREATE (TABLE|VIEW) IF NOT EXISTS (\w+)")
JOURNAL_MODE = "delete"          # not WAL: safe when the file is on a share used from two machines


def connect(path: Path, schema: str, read_only: bool = False) -> sqlite3.Connection:
    """Autocommit connection (callers open their own transactions), the rollback journal (see the
    module docstring), a generous busy timeout for a second job on the same folder, and `schema`
    applied. A damaged, full or read-only state database raises faults.StorageFault.

    `read_only` (dry runs) changes nothing on disk: see `_read_only`."""
    faults.last_opened = path      # what faults.translate names when a sqlite3 error names no file
    try:
        if read_only:
            return _read_only(path, schema)
        path.parent.mkdir(parents=True, exist_ok=True)
        _check_length(path)
        if not path.exists() or path.stat().st_size == 0:      # a state started afresh: the last copy
            set_aside_copy(path)                                # of the old one is kept before anything
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            _journal_mode(db)
            db.executescript(schema)
        except BaseException:
            db.close()
            raise
        return db
    except (sqlite3.Error, OSError) as exc:
        fault = faults.translate(exc, path)
        if fault is None:
            raise
        raise fault from exc


def _journal_mode(db: sqlite3.Connection) -> None:
    """Set the rollback journal. A file still in WAL mode (an older duban) changes only when no
    other connection has it open; until then it is used as it is, and changes at a later open."""
    try:
        db.execute(f"PRAGMA journal_mode={JOURNAL_MODE}")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise


def _read_only(path: Path, schema: str) -> sqlite3.Connection:
    """A connection that creates and changes no file: an empty in-memory database when `path`
    does not exist; else `path` opened `mode=ro`. While no `-wal` or `-journal` file is beside it
    (no change half-made; duban's writers are held off by the run lock) the file is opened
    `immutable`, so that a file still in WAL mode (written by an older duban) gets no `-shm`
    left behind. Tables (and views) the file lacks are empty TEMP ones."""
    if not path.exists():
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(schema)
        return db
    _check_length(path)
    immutable = not any(path.with_name(path.name + s).exists() for s in ("-wal", "-journal"))
    uri = path.resolve().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
    db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    try:
        _verify(db, path)
    except BaseException:
        db.close()
        raise
    have = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    for statement in schema.split(";"):
        found = _TABLE.match(statement)
        if found and found[2] not in have:
            db.execute(statement.replace(f"CREATE {found[1]}", f"CREATE TEMP {found[1]}", 1))
    return db


_verified: set[tuple] = set()     # (file, mtime, size) found whole by this process


def _verify(db: sqlite3.Connection, path: Path) -> None:
    """A reader (status, the outbox listing, a dry run) sees damage too: SQLite reads the pages a
    query happens to touch, and a damaged file could show as an empty, healthy-looking state. So
    a file is `quick_check`ed once per version (milliseconds for a state of this size) and a
    damaged one raises the same sentence a writer gets."""
    info = path.stat()
    key = (str(path.resolve()), info.st_mtime_ns, info.st_size)
    if key in _verified:
        return
    found = db.execute("PRAGMA quick_check(1)").fetchone()[0]
    if found != "ok":
        raise faults.corrupt(path, " ".join(found.replace("*** in database main ***", "").split()))
    _verified.add(key)


def _check_length(path: Path) -> None:
    """A file cut short (a copy that stopped, a disk that filled) is damaged, though SQLite would
    open it and fail only at the first page it lacks: the header says how many pages there are.
    Not judged while a journal beside it may still be rolled back."""
    if any(path.with_name(path.name + s).exists() for s in ("-wal", "-journal")):
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
            size = os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        return
    if len(head) == 0:
        return                                   # an empty file is a new database
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        raise faults.corrupt(path, "not an SQLite database" if len(head) >= 16 else f"only {size} bytes")
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    (pages,), counter, valid_for = struct.unpack(">I", head[28:32]), head[24:28], head[92:96]
    if counter == valid_for and pages and size < pages * page_size:
        raise faults.corrupt(path, f"cut short: {size} of {pages * page_size} bytes")


# ---- the last good copy ----------------------------------------------------------------------------
def keep_good_copy(path: Path) -> Path | None:
    """After a job that changed `path`: an SQLite online backup of it into `state.db.bak`, put in
    place only once the copy passes `PRAGMA quick_check`, so the .bak is always a database that
    opens. Skipped when the copy is already newer than the database (nothing changed since).
    Returns the copy, or None when there is none. Never raises: a copy that cannot be made (the
    disk full, the source damaged) leaves the previous one as it was."""
    bak = faults.backup_of(path)
    try:
        if not path.exists() or path.stat().st_size == 0:
            return None
        if bak.exists() and bak.stat().st_mtime_ns > path.stat().st_mtime_ns:
            return bak
        if _holds_journal(bak) and not _holds_journal(path):     # an emptied state never replaces a real one
            set_aside_copy(path)
        tmp = path.with_name(f".{bak.name}.{unique_suffix()}.tmp")
        try:
            source = sqlite3.connect(path, timeout=30)
            try:
                target = sqlite3.connect(tmp)
                try:
                    source.backup(target)
                    ok = target.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                    if ok:
                        target.execute(f"PRAGMA journal_mode={JOURNAL_MODE}")
                finally:
                    target.close()
            finally:
                source.close()
            if not ok:
                return bak if bak.exists() else None
            os.replace(tmp, bak)
        finally:
            tmp.unlink(missing_ok=True)
        return bak
    except (sqlite3.Error, OSError):
        return bak if bak.exists() else None


# ---- a kept copy: the last good state before one started afresh -------------------------------------
KEPT_MARK = ".bak-"


def set_aside_copy(path: Path, only_if_journal: bool = False) -> Path | None:
    """Rename `state.db.bak` to `state.db.bak-<YYYYmmdd-HHMMSS>` (its own time, company zone) so
    that a fresh state's copy does not replace it; None when there is nothing to keep (no copy,
    an empty one, or with `only_if_journal` one without a journal row). Never raises."""
    bak = faults.backup_of(path)
    try:
        if not bak.exists() or bak.stat().st_size == 0 or (only_if_journal and not _holds_journal(bak)):
            return None
        stamp = datetime.fromtimestamp(bak.stat().st_mtime, tz=faults.company_zone).strftime("%Y%m%d-%H%M%S")
        kept = bak.with_name(f"{bak.name}-{stamp}")
        n = 1
        while kept.exists():
            n += 1
            kept = bak.with_name(f"{bak.name}-{stamp}-{n}")
        os.replace(bak, kept)
        return kept
    except OSError:
        return None


def kept_copies(path: Path) -> list[Path]:
    """The kept copies of earlier states of `path`, newest first."""
    found = [p for p in path.parent.glob(path.name + KEPT_MARK + "*") if p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)


def _holds_journal(path: Path) -> bool:
    """Does this state database (a copy of one) hold a journal row? False if it cannot be read."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return False
    try:
        return con.execute("SELECT 1 FROM rows LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        con.close()
