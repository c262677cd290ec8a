"""The read cache's files in the state folder: one signed file per workbook, written whole or not
at all, and kept within `[performance] cache_mb` by dropping the least recently used.

The state folder is on a share that others can write, so an entry is trusted only when it carries
the signature of a key this user keeps outside the share (`secret`); anything else (damaged,
cut short, from another user, machine or version, written by hand) is not an entry: the workbook
is read again and the entry replaced. Entries are a cache: a lost or half-written one costs one
read, so they are renamed into place without a sync, and two processes (a pool's workers, serve
and a command) may write the same one at once: the last rename wins, both are whole.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson

MAGIC = b"duban-read-cache/1 "
TEMP_AGE = 3600          # seconds: a temporary file this old was left by a killed writer
KEEP_SHARE = 0.8         # after an eviction the cache holds at most this share of its bound
STATS = {"hits": 0, "parses": 0, "hashed": 0, "unpatched": 0}    # this process's, for tests and benchmarks
# False inside a dry run (jobs.check, `kept_as_is`): entries are read, never written, touched or removed
WRITING: ContextVar[bool] = ContextVar("duban_cache_writing", default=True)


@dataclass
class Entry:
    header: dict
    body: memoryview     # the bytes after the header (codec.load reads them)
    mtime: float         # when the file was last written or used (least recently used goes first)


@cache
def secret() -> bytes | None:
    """This user's signing key, kept outside the share (made once); None: no place for one, and
    then nothing is kept on disk."""
    base = os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else os.environ.get("XDG_CACHE_HOME")
    where = Path(base) if base else Path.home() / ".cache"
    path = where / "duban" / "readcache.key"
    try:
        return _key_at(path)
    except OSError:
        return None


def _key_at(path: Path) -> bytes | None:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(temp, path)       # the first writer's key wins; a second reads it
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)
        key = path.read_bytes()
    return key if len(key) == 32 else None


def name_of(relpath: str) -> str:
    return hashlib.sha256(relpath.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class Store:
    """The entries of one state folder (`<state>/cache/`), each `name + suffix`."""

    def __init__(self, state: Path, limit_bytes: int, key: bytes):
        self.state, self.dir, self.limit, self.key = state, state / "cache", limit_bytes, key
        self.sizes: dict[str, tuple[int, float]] | None = None    # file -> (size, mtime): after a scan
        self.total = 0

    # ---- reading ----
    def load(self, file: str) -> Entry | None:
        """The entry, if it is one this user signed; None for anything else."""
        try:
            with open(self.dir / file, "rb") as fh:
                data = fh.read()
                mtime = os.fstat(fh.fileno()).st_mtime
        except (OSError, ValueError):
            return None
        return self.verify(data, mtime)

    def verify(self, data: bytes, mtime: float) -> Entry | None:
        first = data.find(b"\n")
        if not data.startswith(MAGIC) or first != len(MAGIC) + 64:
            return None
        view = memoryview(data)
        mac = hmac.digest(self.key, view[first + 1:], "sha256").hex().encode()
        if not hmac.compare_digest(mac, data[len(MAGIC):first]):
            return None
        second = data.find(b"\n", first + 1)
        try:
            header = orjson.loads(view[first + 1:second]) if second > 0 else None
        except orjson.JSONDecodeError:
            return None
        if type(header) is not dict:
            return None
        return Entry(header, view[second + 1:], mtime)

    def touch(self, file: str) -> None:
        """Mark the entry as used now (the least recently used are dropped first)."""
        if not WRITING.get():
            return
        try:
            os.utime(self.dir / file)
        except OSError:
            pass

    # ---- writing ----
    def save(self, file: str, header: dict, body: bytes | memoryview) -> bool:
        """Write the entry whole (a temporary file renamed into place); False when it is not kept:
        no state folder, over the bound, or the share refused."""
        if not WRITING.get():
            return False
        head = orjson.dumps(header) + b"\n"
        mac = hmac.new(self.key, head, "sha256")
        mac.update(body)
        data = b"".join((MAGIC, mac.hexdigest().encode(), b"\n", head, body))
        if len(data) > self.limit or not self.state.is_dir():
            return False
        temp = self.dir / f".{file}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            self.dir.mkdir(exist_ok=True)
            with open(temp, "wb") as fh:
                fh.write(data)
            os.replace(temp, self.dir / file)
        except OSError:
            try:
                temp.unlink(missing_ok=True)
            except OSError:
                pass
            return False
        self._count(file, len(data))
        return True

    def remove(self, file: str) -> None:
        if not WRITING.get():
            return
        try:
            (self.dir / file).unlink(missing_ok=True)
        except OSError:
            pass
        if self.sizes is not None and file in self.sizes:
            self.total -= self.sizes.pop(file)[0]

    # ---- the bound ----
    def _count(self, file: str, size: int) -> None:
        if self.sizes is None:
            self._scan()                  # the file just written included
        else:
            self.total += size - self.sizes.get(file, (0, 0))[0]
            self.sizes[file] = (size, time.time())
        if self.total > self.limit:
            self._evict(keep=file)

    def _scan(self) -> None:
        """What the folder holds now (once per process, at its first write), without the
        temporary files killed writers left."""
        sizes: dict[str, tuple[int, float]] = {}
        now = time.time()
        try:
            with os.scandir(self.dir) as found:
                for item in found:
                    try:
                        st = item.stat()
                    except OSError:
                        continue
                    if item.name.startswith("."):
                        if now - st.st_mtime > TEMP_AGE:
                            _unlink(item.path)
                        continue
                    sizes[item.name] = (st.st_size, st.st_mtime)
        except OSError:
            pass
        self.sizes, self.total = sizes, sum(size for size, _ in sizes.values())

    def _evict(self, keep: str) -> None:
        """Drop the least recently used entries until the cache holds KEEP_SHARE of its bound
        (the folder is looked at again: other processes write here too)."""
        self._scan()
        assert self.sizes is not None
        for file, (size, _) in sorted(self.sizes.items(), key=lambda item: item[1][1]):
            if self.total <= self.limit * KEEP_SHARE:
                break
            if file != keep:
                _unlink(self.dir / file)
                del self.sizes[file]
                self.total -= size


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
