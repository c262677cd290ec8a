"""The validate job: read every workbook in a folder, cross-check people against the directory."""
from __future__ import annotations

import time
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Callable

from duban.jobs import readwork
from duban.jobs.pool import ordered, preload, processes
from duban.jobs.settings.typed import Settings
from duban.jobs.state.readcache import FolderCache
from duban.jobs.state.readcache.store import WRITING
from duban.workbooks.model.directory import Directory, crosscheck, duplicates
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.read import midsave
from duban.workbooks.share.batch import cyclic_gc_paused
from duban.workbooks.share.discover import find_workbooks
from duban.workbooks.write.plan import Fingerprint

preload(readwork.__name__, __name__)      # the workers start with the reader imported

# An incremental-read cache (duban serve, one long process: jobs.serve.cache.ReadCache) that every
# read_folder in this context uses; None (the default) reads every file every time.
READ_CACHE: ContextVar = ContextVar("duban_read_cache", default=None)
# The terminal's progress (jobs.terminal.progress.Tick) for the jobs run under it that were not
# handed one (remind checks inside): `begin(phase, total)`, then one call per workbook.
PROGRESS: ContextVar = ContextVar("duban_progress", default=None)


def read_folder(folder: Path, settings: Settings, today: date, progress: Callable[[Path], None] | None = None,
                fingerprints: dict[Path, Fingerprint] | None = None, cache=None, shelf=None) -> list[WorkbookRead]:
    """Every workbook read, with directory cross-check problems added; one bad file never stops the rest.

    With `fingerprints`, each file's size, time and hash are taken just before it is read, so a
    later write can tell whether anyone saved the file in between. With a `cache` (or one set in
    READ_CACHE), a file whose fingerprint is unchanged since it was last read is not parsed again:
    `cache.read(path, fingerprint, today, settings, reader)` hands back a fresh copy of its records.

    A file that cannot be read is looked at again after a moment (workbooks.midsave): one caught in
    the middle of a save is read then, or noted as being saved, never called damaged.

    With `[performance] workers` above one and more than a few files, worker processes read them
    (jobs.pool), each through its own FolderCache; the reads come back in the folder's order. An
    explicit `cache` or serve's in-memory one (READ_CACHE) lives in this process: read here.

    With a `shelf` (jobs.readwork.Shelf, the check's streaming), the records of all but the
    directory and RACI workbooks come back compressed, and their cross-check waits for `shelf.full`.
    """
    given = cache
    cache = cache if cache is not None else READ_CACHE.get() or FolderCache.of(folder, settings)

    def read_one(path: Path) -> WorkbookRead:
        fingerprint = cache.fingerprint(path)
        if fingerprints is not None and fingerprint is not None:
            fingerprints[path] = fingerprint
        with cyclic_gc_paused():
            return cache.read(path, fingerprint, today, settings, readwork.read_file)

    reads, stamps = [], {}
    paths = find_workbooks(folder)
    progress = progress or PROGRESS.get()
    if begin := getattr(progress, "begin", None):
        begin("reading", len(paths))
    workers = 1 if given is not None or READ_CACHE.get() is not None else processes(settings, len(paths))
    if workers > 1:     # the workers read and fingerprint; the parent keeps the folder's order
        work = readwork.read_shelved if shelf is not None else readwork.read
        for path, (stamp, fingerprint, packed) in zip(paths, ordered(work, paths, workers, readwork.start,
                                                                     (folder, settings, today, WRITING.get()),
                                                                     readwork.lost)):
            if progress:
                progress(path)
            stamps[path] = stamp
            if fingerprints is not None and fingerprint is not None:
                fingerprints[path] = fingerprint
            reads.append(readwork.unpack(packed) if packed is not None else read_one(path))
    for path in paths[len(reads):]:
        if progress:
            progress(path)
        stamps[path] = midsave.stamp(path)
        reads.append(shelf.shelve(read_one(path)) if shelf is not None else read_one(path))
    reads = midsave.settle(reads, stamps, read_one, time.monotonic())
    directory = Directory.from_reads(reads)
    if shelf is not None:
        shelf.directory = directory
    for read in reads:
        if not isinstance(read.records, readwork.Shelved):     # a shelved one is cross-checked by shelf.full
            read.problems.extend(crosscheck(read, directory))
    for read, problem in duplicates(reads):      # a person listed twice: which row is used, and why
        read.problems.append(problem)
    return reads
