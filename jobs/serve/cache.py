"""Incremental reads for serve: a workbook unchanged since it was last read (same size, mtime and
SHA-256) is not parsed again; its records are handed back as a fresh copy and the rules are
applied at the new time as always. Kept in serve's one long process, keyed by path and
fingerprint (and the day: a year-less date is read relative to today).

The same hook lets a stop request end a job between two workbooks (`Stopping`).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable

from duban.jobs.settings.typed import Settings
from duban.jobs.validate import READ_CACHE
from duban.workbooks.model.records import WorkbookRead


class Stopping(Exception):
    """serve was asked to stop: the job ends before its next workbook."""


class ReadCache:
    def __init__(self):
        self.entries: dict[Path, tuple[tuple, WorkbookRead]] = {}
        self.hits = self.misses = 0
        self.stop_requested: Callable[[], bool] = lambda: False
        self.unchanged = _UnchangedMemo()

    def read(self, path: Path, fingerprint, today, settings: Settings, reader) -> WorkbookRead:
        if self.stop_requested():
            raise Stopping()
        if fingerprint is None:                 # could not stat or hash it: read as usual, keep nothing
            self.entries.pop(path, None)
            return reader(path, settings, today)
        key = (fingerprint, today, settings.reader)
        found = self.entries.get(path)
        if found is not None and found[0] == key:
            self.hits += 1
            return _copy(found[1])
        self.misses += 1
        read = reader(path, settings, today)
        self.entries[path] = (key, _copy(read))
        return read

    @contextmanager
    def active(self):
        """Every read_folder inside uses this cache, and the check's write-back skips a workbook it
        found unchanged before when nothing about it has changed since (`writer`, which
        jobs.check asks for through the same context)."""
        token = READ_CACHE.set(self)
        try:
            yield self
        finally:
            READ_CACHE.reset(token)

    def writer(self, apply):
        """`apply` behind the unchanged-workbook memo (see `_UnchangedMemo`)."""
        return self.unchanged.wrap(apply)


class _UnchangedMemo:
    """A write-back that found a workbook already as planned ("unchanged": nothing written) gives
    the same answer while the file (size, mtime) and the plan (values, paints, lists) are the same:
    the file is not opened and re-patched every 30 minutes to learn nothing. Anything else (open
    in Excel, changed, another plan) goes to the real write-back."""

    def __init__(self):
        self.known: dict[Path, tuple] = {}
        self.hits = 0

    def wrap(self, real):
        from duban.workbooks.write import guard, refusal

        def apply(plan, *args, **kwargs):
            key = _plan_key(plan)
            known = self.known.get(plan.path)
            if known is not None and known[0] == key and _same_file(plan) and not guard.lock_owner(plan.path):
                self.hits += 1
                return refusal.WriteResult(refusal.UNCHANGED, None, dict(known[1]))
            result = real(plan, *args, **kwargs)
            if result.status == refusal.UNCHANGED:
                self.known[plan.path] = (key, dict(result.originals))
            else:
                self.known.pop(plan.path, None)
            return result
        return apply


def _plan_key(plan) -> tuple:
    fp = plan.fingerprint
    return (fp.size, fp.mtime_ns, fp.sha256, plan.sheet, plan.rows_before, repr(sorted(plan.values.items())),
            repr(plan.paints), repr(sorted(plan.expect.items())), repr(plan.names))


def _same_file(plan) -> bool:
    try:
        stat = plan.path.stat()
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (plan.fingerprint.size, plan.fingerprint.mtime_ns)


def _copy(read: WorkbookRead) -> WorkbookRead:
    """A copy the jobs may change (new IDs go into records, cross-check problems are appended)."""
    return replace(read, records=[type(r)(r) for r in read.records], problems=list(read.problems),
                   meta=dict(read.meta))
