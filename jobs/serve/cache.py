"""Incremental reads for serve: a workbook unchanged since it was last read (same size and
SHA-256) is not parsed again; its records are handed back as a fresh copy and the rules are
applied at the new time as always. Kept in serve's one long process, keyed by path and
fingerprint (and the day: a year-less date is read relative to today), over the folder's
persistent read cache (jobs.state.readcache.FolderCache), which it shares with the commands run
beside serve: what one parsed, the other loads, and a file is known unchanged by a stat.

The same hook lets a stop request end a job between two workbooks (`Stopping`).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable

from duban.jobs.settings.typed import Settings
from duban.jobs.state.readcache import FolderCache
from duban.jobs.state.readcache.unchanged import plan_key, same_file
from duban.jobs.state.runlock import state_dir
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
        self.folder: FolderCache | None = None          # the persistent cache below, once known
        self.alone = FolderCache(Path("."), None)       # fingerprints before it is known (memory only)

    def fingerprint(self, path: Path):
        """The file's size, time and hash, by a stat while its hash is recent (FolderCache)."""
        return (self.folder or self.alone).fingerprint(path)

    def read(self, path: Path, fingerprint, today, settings: Settings, reader) -> WorkbookRead:
        if self.stop_requested():
            raise Stopping()
        if fingerprint is None:                 # could not stat or hash it: read as usual, keep nothing
            self.entries.pop(path, None)
            return reader(path, settings, today)
        key = (fingerprint.size, fingerprint.sha256, today, settings.reader, reader)
        found = self.entries.get(path)
        if found is not None and found[0] == key:
            self.hits += 1
            return _copy(found[1])
        below = self._below(path, settings)
        if below is None:
            self.misses += 1
            read = reader(path, settings, today)
        else:
            loaded = below.hits
            read = below.read(path, fingerprint, today, settings, reader)
            if below.hits > loaded:
                self.hits += 1
            else:
                self.misses += 1
        self.entries[path] = (key, _copy(read))
        return read

    def _below(self, path: Path, settings: Settings) -> FolderCache | None:
        """The folder's persistent cache: the one `active` was given, else the nearest folder
        above the workbook that has a state folder."""
        if self.folder is None:
            for folder in Path(path).parents:
                if state_dir(folder, settings).is_dir():
                    self.folder = FolderCache.of(folder, settings)
                    break
        return self.folder

    @contextmanager
    def active(self, folder: Path | None = None, settings: Settings | None = None):
        """Every read_folder inside uses this cache, and the check's write-back skips a workbook it
        found unchanged before when nothing about it has changed since (`writer`, which
        jobs.check asks for through the same context). With the `folder` and its `settings`,
        the folder's persistent cache lies below from the first file on."""
        if folder is not None and settings is not None:
            self.folder = FolderCache.of(folder, settings)
        token = READ_CACHE.set(self)
        try:
            yield self
        finally:
            READ_CACHE.reset(token)

    def writer(self, apply):
        """`apply` behind the unchanged-workbook memo (see `_UnchangedMemo`), and below it the
        folder's persistent one (jobs.state.readcache.unchanged)."""
        return self.unchanged.wrap(self.folder.writer(apply) if self.folder is not None else apply)

    def known_unchanged(self, plan) -> bool:
        """Would `writer` answer this plan "unchanged" without the write-back?"""
        return self.unchanged.answers(plan) or (self.folder is not None and self.folder.known_unchanged(plan))


class _UnchangedMemo:
    """A write-back that found a workbook already as planned ("unchanged": nothing written) gives
    the same answer while the file (size, mtime) and the plan (values, paints, lists) are the same:
    the file is not opened and re-patched every 30 minutes to learn nothing. Anything else (open
    in Excel, changed, another plan) goes to the real write-back."""

    def __init__(self):
        self.known: dict[Path, tuple] = {}
        self.hits = 0

    def answers(self, plan, key: str | None = None) -> bool:
        from duban.workbooks.write import guard
        known = self.known.get(plan.path)
        return known is not None and known[0] == (key or plan_key(plan)) and same_file(plan) \
            and not guard.lock_owner(plan.path)

    def wrap(self, real):
        from duban.workbooks.write import refusal

        def apply(plan, *args, **kwargs):
            key = plan_key(plan)
            known = self.known.get(plan.path)
            if self.answers(plan, key):
                self.hits += 1
                return refusal.WriteResult(refusal.UNCHANGED, None, dict(known[1]))
            result = real(plan, *args, **kwargs)
            if result.status == refusal.UNCHANGED:
                self.known[plan.path] = (key, dict(result.originals))
            else:
                self.known.pop(plan.path, None)
            return result
        return apply


def _copy(read: WorkbookRead) -> WorkbookRead:
    """A copy the jobs may change (new IDs go into records, cross-check problems are appended)."""
    return replace(read, records=[type(r)(r) for r in read.records], problems=list(read.problems),
                   meta=dict(read.meta))
