"""One workbook read in a worker process, and brought back to the parent.

The worker stamps, fingerprints and reads the file through the folder's read cache
(jobs.state.readcache.FolderCache, made once per process), as the parent would. A read travels
back as plain data: its records as plain dicts and its kind by key, rebuilt in the parent as
the same typed records (a record's class is made per kind at run time and cannot be sent).
Shelved, the records stay compressed until the check comes to the workbook (`Shelf`).
"""
from __future__ import annotations

import pickle
import zlib
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

from duban.jobs.settings.typed import Settings
from duban.jobs.state.readcache import FolderCache
from duban.jobs.state.readcache.store import WRITING
from duban.workbooks.model.directory import crosscheck
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead, record_class
from duban.workbooks.read import midsave
from duban.workbooks.read.errorcells import mark_formula_errors
from duban.workbooks.read.reader import read_workbook
from duban.workbooks.share.batch import cyclic_gc_paused

_here: dict = {}        # this worker's folder cache, settings and day (set once by `start`)


def start(folder: Path, settings: Settings, today: date, writing: bool = True) -> None:
    """The worker's setup: the folder's read cache, made here (never sent from the parent), and
    written to only when the parent's run may write (not in a dry run)."""
    WRITING.set(writing)
    _here.update(cache=FolderCache.of(folder, settings), settings=settings, today=today)


def read_file(path: Path, settings: Settings, today: date) -> WorkbookRead:
    """One file read (the reader, then its error cells named); a parser bug on it is its problem."""
    try:
        found = read_workbook(path, today, asdict(settings.reader))
        mark_formula_errors(found)       # error cells reach the reader as blanks: say what they are
        return found
    except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the others
        return WorkbookRead(path, problems=[Problem("unreadable", str(path),
                                                    params={"detail": f"{type(exc).__name__}: {exc}"[:200]})])


def read(path: Path, shelve: bool = False) -> tuple:
    """(stamp, fingerprint, the read as plain data) of one file, in this worker; `shelve`: its
    records compressed (see `Shelf`), but a directory's or a RACI table's."""
    cache = _here["cache"]
    stamp = midsave.stamp(path)
    fingerprint = cache.fingerprint(path)
    with cyclic_gc_paused():
        found = cache.read(path, fingerprint, _here["today"], _here["settings"], read_file)
    return stamp, fingerprint, pack(found, shelve)


def read_shelved(path: Path) -> tuple:
    return read(path, shelve=True)


def lost(path: Path) -> tuple:
    """The result for a file whose worker died reading it, twice: one problem, the run goes on."""
    detail = "the reader's process ended while reading this file"
    return midsave.stamp(path), None, pack(WorkbookRead(path, problems=[Problem(
        "unreadable", str(path), params={"detail": detail})]))


def pack(found: WorkbookRead, shelve: bool = False) -> tuple | None:
    """The read as data a process can send: (kind key, the read without kind or records, rows);
    None for a kind the parent could not name again (the parent then reads the file itself)."""
    if found.kind is not None and KINDS.get(found.kind.key) is not found.kind:
        return None
    key = found.kind.key if found.kind is not None else None
    rows = [dict(rec) for rec in found.records]
    if shelve and key is not None and key not in WHOLE and rows:
        return key, replace(found, kind=None, records=[]), len(rows), _squeeze(rows)
    return key, replace(found, kind=None, records=[]), rows, None


def unpack(packed: tuple) -> WorkbookRead:
    key, found, rows, blob = packed
    if key is None:
        return found
    found.kind = KINDS[key]
    found.records = Shelved(found.kind, rows, blob) if blob is not None else _typed(found.kind, rows)
    return found


def _typed(kind, rows: list[dict]) -> list:
    make = record_class(kind)
    return [make(row) for row in rows]


def _squeeze(rows: list[dict]) -> bytes:
    """This process's own rows, for this process or its parent (never written anywhere)."""
    return zlib.compress(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL), 1)


WHOLE = frozenset({"directory", "raci"})    # every workbook's check needs these whole: never shelved


class Shelved(Sequence):
    """A workbook's records, kept compressed while the check streams through the folder: each
    look through them (a rename found by IDs, a fresh journal's counters) unpacks them anew;
    `Shelf.full` unpacks them once for the workbook's check, and after it they are let go."""

    def __init__(self, kind, count: int, blob: bytes):
        self.kind, self.count, self.blob = kind, count, blob

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        return self.unpacked()[index]

    def __iter__(self):
        return iter(self.unpacked())

    def unpacked(self) -> list:
        return _typed(self.kind, pickle.loads(zlib.decompress(self.blob)))     # noqa: S301 - our own bytes


class Shelf:
    """The check's streaming of a folder (jobs.check `each`): read_folder hands back the big
    workbooks' records shelved (`Shelved`) and leaves their directory cross-check for `full`,
    which the check calls right before each workbook's turn."""

    def __init__(self):
        self.directory = None

    def shelve(self, found: WorkbookRead) -> WorkbookRead:
        """A read made in this process, shelved as a worker's would be."""
        packed = pack(found, shelve=True)
        return unpack(packed) if packed is not None else found

    def full(self, found: WorkbookRead) -> WorkbookRead:
        """The read with its records unpacked and its cross-check problems added."""
        if not isinstance(found.records, Shelved):
            return found
        whole = replace(found, records=found.records.unpacked(), problems=list(found.problems))
        if self.directory is not None:
            whole.problems.extend(crosscheck(whole, self.directory))
        return whole
