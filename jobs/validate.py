"""The validate job: read every workbook in a folder, cross-check people against the directory."""
from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Callable

from duban.jobs.settings.typed import Settings
from duban.jobs.state.readcache import FolderCache
from duban.workbooks.model.directory import Directory, crosscheck, duplicates
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.read import midsave
from duban.workbooks.read.errorcells import mark_formula_errors
from duban.workbooks.read.reader import read_workbook
from duban.workbooks.share.batch import cyclic_gc_paused
from duban.workbooks.share.discover import find_workbooks
from duban.workbooks.write.plan import Fingerprint

# An incremental-read cache (duban serve, one long process: jobs.serve.cache.ReadCache) that every
# read_folder in this context uses; None (the default) reads every file every time.
READ_CACHE: ContextVar = ContextVar("duban_read_cache", default=None)


def read_folder(folder: Path, settings: Settings, today: date, progress: Callable[[Path], None] | None = None,
                fingerprints: dict[Path, Fingerprint] | None = None, cache=None) -> list[WorkbookRead]:
    """Every workbook read, with directory cross-check problems added; one bad file never stops the rest.

    With `fingerprints`, each file's size, time and hash are taken just before it is read, so a
    later write can tell whether anyone saved the file in between. With a `cache` (or one set in
    READ_CACHE), a file whose fingerprint is unchanged since it was last read is not parsed again:
    `cache.read(path, fingerprint, today, settings, reader)` hands back a fresh copy of its records.

    A file that cannot be read is looked at again after a moment (workbooks.midsave): one caught in
    the middle of a save is read then, or noted as being saved, never called damaged.
    """
    cache = cache if cache is not None else READ_CACHE.get() or FolderCache.of(folder, settings)

    def read_one(path: Path) -> WorkbookRead:
        fingerprint = cache.fingerprint(path)
        if fingerprints is not None and fingerprint is not None:
            fingerprints[path] = fingerprint
        with cyclic_gc_paused():
            return cache.read(path, fingerprint, today, settings, _read_one)

    reads, stamps = [], {}
    for path in find_workbooks(folder):
        if progress:
            progress(path)
        stamps[path] = midsave.stamp(path)
        reads.append(read_one(path))
    reads = midsave.settle(reads, stamps, read_one, time.monotonic())
    directory = Directory.from_reads(reads)
    for read in reads:
        read.problems.extend(crosscheck(read, directory))
    for read, problem in duplicates(reads):      # a person listed twice: which row is used, and why
        read.problems.append(problem)
    return reads


def _read_one(path: Path, settings: Settings, today: date) -> WorkbookRead:
    try:
        read = read_workbook(path, today, asdict(settings.reader))
        mark_formula_errors(read)       # error cells reach the reader as blanks: say what they are
        return read
    except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the others
        return WorkbookRead(path, problems=[Problem("unreadable", str(path),
                                                    params={"detail": f"{type(exc).__name__}: {exc}"[:200]})])
