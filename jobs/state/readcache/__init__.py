"""The folder's read cache: a workbook whose bytes have not changed since duban last read it is
not parsed again by any command; its records come back from the state folder and the rules run
at the new time. A file is known unchanged by a stat (size, modification time, inode, change
time) as long as its SHA-256 is recent; a file whose stat moved is hashed, and every file is
hashed again at a slower pace (`REHASH_SECONDS`), against a save that keeps both size and time.
The check's write-back goes through `writer`: a workbook whose plan the file already held, as
the write-back found last time, is answered "unchanged" without opening the file.

`FolderCache.of(folder, settings)` is the one way in; `read_folder` asks it for each file's
fingerprint and read. The entries (`store`, `codec`) are kept only where the state folder exists
and `[performance] cache_mb` is not 0.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from duban.jobs.settings.typed import Settings
from duban.jobs.state.readcache import codec
from duban.jobs.state.readcache.store import STATS, WRITING, Entry, Store, name_of, secret
from duban.jobs.state.readcache.unchanged import answer, remembered
from duban.jobs.state.runlock import state_dir
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.read.midsave import unreadable
from duban.workbooks.write.plan import Fingerprint

REHASH_SECONDS = 12 * 3600    # a file's hash older than this (less up to a quarter, per file) is taken again
RACY_SECONDS = 3              # a file saved this close to its hashing may be saved again within its time stamp
TOUCH_SECONDS = 3600          # a used entry's time is brought forward at most this often (least recently used)
SCHEMA = 1                    # raise when the entries' shape changes


@dataclass(frozen=True)
class Known:
    """What this process knows of a file's bytes: its SHA-256 when the stat was `stat`."""
    stat: tuple               # (size, mtime_ns, inode, ctime_ns)
    sha256: str
    hashed: float             # time.time() when the hash was taken
    racy: bool                # saved so close to the hashing that the stat alone cannot vouch for it


class FolderCache:
    def __init__(self, folder: Path, settings: Settings, store: Store | None = None):
        self.folder, self.settings, self.store = folder, settings, store
        self.hits = self.misses = self.hashed = self.unpatched = 0
        self.known: dict[str, Known] = {}
        self._loaded: tuple[str, Entry] | None = None    # fingerprint() read it; read() uses it
        self.memo_last: tuple | None = None               # (plan, its key, the memo's answer): unchanged.answer

    @classmethod
    def of(cls, folder: Path, settings: Settings) -> "FolderCache":
        """The cache of this folder's state folder (entries kept only where the state folder
        exists), one per folder and process, so a long process (serve) keeps what it learnt."""
        where = state_dir(folder, settings)
        key = (os.path.abspath(folder), os.path.abspath(where))
        found = _FOLDERS.get(key)
        if found is None or found.settings is not settings:
            limit = settings.performance.cache_mb << 20
            signing = secret() if limit > 0 else None
            store = Store(where, limit, signing) if signing is not None else None
            fresh = cls(folder, settings, store)
            if found is not None and (store is None) == (found.store is None):
                fresh.known = found.known
            found = _FOLDERS[key] = fresh
        return found

    # ---- fingerprints: a stat, and a hash only when the stat moved or the hash is due ----
    def fingerprint(self, path: Path) -> Fingerprint | None:
        """The file's size, time and hash (None: it cannot be read now)."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        stat = _stat_key(st)
        rel = self.relpath(path)
        known = self.known.get(rel) or self._known_on_disk(rel)
        now = _clock()
        if known is not None and known.stat == stat and not known.racy and \
                0 <= now - known.hashed < REHASH_SECONDS * _spread(rel):
            return Fingerprint(st.st_size, st.st_mtime_ns, known.sha256)
        try:
            with open(path, "rb") as fh:
                sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
            after = _stat_key(os.stat(path))
        except OSError:
            return None
        self.hashed += 1
        STATS["hashed"] += 1
        if after == stat:           # the bytes hashed are the ones this stat describes
            self.known[rel] = Known(stat, sha256, now, racy=now - st.st_mtime_ns / 1e9 < RACY_SECONDS)
        else:
            self.known.pop(rel, None)
        return Fingerprint(st.st_size, st.st_mtime_ns, sha256)

    def _known_on_disk(self, rel: str) -> Known | None:
        entry = self._entry(rel)
        if entry is None:
            return None
        h = entry.header
        try:
            known = Known(tuple(h["stat"]), h["sha256"], float(h["hashed"]), bool(h["racy"]))
        except (KeyError, TypeError, ValueError):
            return None
        self.known[rel] = known
        return known

    # ---- reads ----
    def read(self, path: Path, fingerprint: Fingerprint | None, today, settings: Settings, reader) -> WorkbookRead:
        """The file's read: a fresh copy of the records kept for these bytes (and this day, these
        reader settings, this version of duban), or `reader(path, settings, today)`, kept."""
        rel = self.relpath(path)
        entry = self._entry(rel) if fingerprint is not None else None
        self._loaded = None
        stamp = _stamp(today, settings, reader)
        if entry is not None and fingerprint is not None and _same_read(entry.header, fingerprint, stamp):
            try:
                read = codec.load(entry.body, path)
            except Exception:  # noqa: BLE001 - whatever is wrong with an entry, the file is read instead
                read = None
            if read is not None:
                self.hits += 1
                STATS["hits"] += 1
                self._refresh(rel, entry, fingerprint)
                return read
        self.misses += 1
        STATS["parses"] += 1
        read = reader(path, settings, today)
        if fingerprint is not None and self._keeps(read):
            try:
                body = codec.dump(read)
            except codec.Unstorable:
                return read
            self._save(rel, fingerprint, stamp, body)
        return read

    def _entry(self, rel: str) -> Entry | None:
        if self._loaded is not None and self._loaded[0] == rel:
            return self._loaded[1]
        if self.store is None:
            return None
        entry = self.store.load(name_of(rel))
        if entry is None or entry.header.get("rel") != rel:
            return None
        self._loaded = (rel, entry)
        return entry

    def _keeps(self, read: WorkbookRead) -> bool:
        """Not a file caught mid-save (read again next time), nor, in a folder duban keeps no
        state for yet, a file that is no duban table (its state folder is taken away again)."""
        if self.store is None or unreadable(read):
            return False
        return read.kind is not None or (self.folder / self.settings.state.path).exists()

    def _header(self, rel: str, fingerprint: Fingerprint, stamp: str) -> dict:
        known = self.known.get(rel)
        if known is None or (known.stat[0], known.stat[1], known.sha256) != \
                (fingerprint.size, fingerprint.mtime_ns, fingerprint.sha256):
            known = Known((fingerprint.size, fingerprint.mtime_ns, None, None), fingerprint.sha256, 0.0, True)
        return {"rel": rel, "stat": list(known.stat), "sha256": known.sha256, "hashed": known.hashed,
                "racy": known.racy, "read": stamp}

    def _save(self, rel: str, fingerprint: Fingerprint, stamp: str, body) -> None:
        assert self.store is not None
        self.store.save(name_of(rel), self._header(rel, fingerprint, stamp), body)

    def _refresh(self, rel: str, entry: Entry, fingerprint: Fingerprint) -> None:
        """A used entry: its hash and stat brought up to date (hashed again, or touched with the
        same bytes), else its time, so the least recently used go first."""
        assert self.store is not None
        header = self._header(rel, fingerprint, entry.header["read"])
        if header != entry.header:
            self.store.save(name_of(rel), header, entry.body)
        elif _clock() - entry.mtime > TOUCH_SECONDS:
            self.store.touch(name_of(rel))

    def forget(self, path: Path) -> None:
        """Nothing kept of this file any more (the write-back found it saved since it was read)."""
        rel = self.relpath(path)
        self.known.pop(rel, None)
        if self.store is not None:
            self.store.remove(name_of(rel))

    # ---- the write-back: a workbook as planned already is not opened again ----
    def writer(self, apply):
        """`apply` (the write-back), behind what is known of workbooks already as planned."""
        return remembered(self, apply)

    def known_unchanged(self, plan) -> bool:
        """Would `writer` answer this plan "unchanged" without the write-back? (Then nobody needs
        to patch it ahead, jobs.checkstream.)"""
        return self.store is not None and answer(self, plan) is not None

    def relpath(self, path: Path) -> str:
        try:
            return Path(path).relative_to(self.folder).as_posix()
        except ValueError:
            return os.path.abspath(path)


_FOLDERS: dict[tuple[str, str], FolderCache] = {}


@contextmanager
def kept_as_is(frozen: bool = True) -> Iterator[None]:
    """Inside (a dry run: it changes no file), cache entries are read but never written, touched
    or removed."""
    token = WRITING.set(not frozen)
    try:
        yield
    finally:
        WRITING.reset(token)


def _clock() -> float:
    return time.time()


def _stat_key(st: os.stat_result) -> tuple:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _spread(rel: str) -> float:
    """Between 0.75 and 1 by file, so that a folder's files fall due over hours, not in one run."""
    return 0.75 + int(name_of(rel)[:4], 16) / 0xFFFF / 4


def _same_read(header: dict, fingerprint: Fingerprint, stamp: str) -> bool:
    return (header.get("read") == stamp and header.get("sha256") == fingerprint.sha256
            and isinstance(header.get("stat"), list) and header["stat"][:1] == [fingerprint.size])


def _stamp(today, settings: Settings, reader) -> str:
    """Everything a read depends on besides the bytes: the day (a year-less date is read relative
    to today), the reader's settings, the reader and this duban's code."""
    return hashlib.sha256(repr((today.isoformat(), repr(settings.reader), reader.__module__,
                                reader.__qualname__, _code(reader.__module__))).encode()).hexdigest()


@cache
def _code(module: str) -> str:
    """This duban's reading code (its version, the reader's and models' sources and the module
    the reader comes from): an upgrade, or an edit, never reuses an entry made by another."""
    import sys
    from importlib import metadata

    from duban.workbooks import model, read
    digest = hashlib.sha256(f"{SCHEMA}".encode())
    try:
        digest.update(metadata.version("duban").encode())
    except metadata.PackageNotFoundError:
        pass
    for package in (read, model):
        for base in package.__path__:
            for source in sorted(Path(base).glob("*.py")):
                digest.update(source.name.encode() + source.read_bytes())
    for file in (codec.__file__, getattr(sys.modules.get(module), "__file__", None)):
        if file and file.endswith(".py"):
            digest.update(Path(file).read_bytes())
    return digest.hexdigest()
