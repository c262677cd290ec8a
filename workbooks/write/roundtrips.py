"""Counting the disk round trips a piece of code makes: fsyncs, renames and other metadata calls.

On a share every fsync, rename, stat and open is a round trip to the file server, and they cost
more than the bytes. The write-back's promise is a fixed, small number of them per workbook;
the tests assert it and bench/writeback.py prints it, so a change that adds one is seen. Counting
wraps the `os` functions (and `open`) for the duration, process-wide, so only one count at a time.
"""
from __future__ import annotations

import builtins
import io
import os
import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from duban.workbooks.share import noreplace

SYNCS = ("fsync", "fdatasync")
RENAMES = ("rename", "replace", "link", "renameat2")
METADATA = ("stat", "lstat", "open", "unlink", "remove", "rmdir", "mkdir", "chmod", "chown", "utime",
            "scandir", "listdir", "listxattr", "getxattr", "setxattr", "removexattr")


class RoundTrips(Counter):
    """Calls by name; `syncs`, `renames` and `metadata` sum the three kinds."""

    @property
    def syncs(self) -> int:
        return sum(self[name] for name in SYNCS)

    @property
    def renames(self) -> int:
        return sum(self[name] for name in RENAMES)

    @property
    def metadata(self) -> int:
        return sum(self[name] for name in METADATA)

    def line(self) -> str:
        return f"{self.syncs} fsyncs, {self.renames} renames, {self.metadata} metadata ops"


_lock = threading.Lock()


@contextmanager
def counting() -> Iterator[RoundTrips]:
    """Count the calls made inside the block (by every thread)."""
    found = RoundTrips()
    saved: list[tuple[object, str, object]] = []

    def wrap(owner, name: str, key: str) -> None:
        real = getattr(owner, name, None)
        if real is None:
            return

        def counted(*args, **kwargs):
            with _lock:
                found[key] += 1
            return real(*args, **kwargs)
        saved.append((owner, name, real))
        setattr(owner, name, counted)

    for name in SYNCS + RENAMES[:3] + tuple(n for n in METADATA if n != "open"):
        wrap(os, name, name)
    wrap(os, "open", "open")
    real_open = builtins.open
    for owner in (builtins, io):
        wrap(owner, "open", "open")
    if noreplace._renameat2 is not None:
        wrap(noreplace, "_renameat2", "renameat2")
    try:
        yield found
    finally:
        for holder, name, real in reversed(saved):
            setattr(holder, name, real)
        assert builtins.open is real_open
