"""A workbook read in the middle of someone's save or copy is not damaged.

A program that saves in place (a script, a sync tool, a copy onto the share) leaves the file
half-written for a moment; read then, it looks truncated. Calling it damaged and advising a
restore would overwrite the save that is landing. So a file that could not be read is looked at
again after a short pause, once per folder: if it now reads, that read is used; if its size or
time moved meanwhile, it is "being saved or copied; read again next run" (a calm note); only a
file that stayed exactly as it was, and still cannot be read, keeps its damage problem.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead

UNREADABLE = {"truncated", "unreadable", "not-a-workbook"}   # what a half-written file can look like
SETTLE_SECONDS = 0.5


def stamp(path: Path) -> tuple[int, int] | None:
    """(size, mtime_ns), or None when the file cannot even be looked at."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def unreadable(read: WorkbookRead) -> bool:
    return read.kind is None and any(p.code in UNREADABLE for p in read.problems)


def settle(reads: list[WorkbookRead], stamps: dict[Path, tuple | None], read_again: Callable[[Path], WorkbookRead],
           last_read: float) -> list[WorkbookRead]:
    """`reads` with every unreadable file looked at again (see the module's doc). `stamps`: each
    file's (size, mtime_ns) taken just before it was first read; `last_read`: time.monotonic()
    when the last of them was read (the pause is counted from there)."""
    suspects = [i for i, read in enumerate(reads) if unreadable(read)]
    if not suspects:
        return reads
    time.sleep(max(0.0, last_read + SETTLE_SECONDS - time.monotonic()))
    for i in suspects:
        path = reads[i].path
        before = stamp(path)
        again = read_again(path)
        if not unreadable(again):
            reads[i] = again                             # the save finished meanwhile
        elif not (stamps.get(path) == before == stamp(path)):
            reads[i] = WorkbookRead(path, problems=[Problem("being-saved", str(path))])
    return reads
