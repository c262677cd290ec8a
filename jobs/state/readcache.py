"""The folder's read cache: a workbook whose bytes have not changed since duban last read it is
not parsed again by any command; its records come back from the state folder and the rules run
at the new time. (Contract stub for issue 22: reads every file, keeps nothing.)

`FolderCache.of(folder, settings)` is the one way in; `read_folder` asks it for each file's
fingerprint and read, and the check asks it for the write-back (`writer`), which may skip a
workbook whose plan the file already holds.
"""
from __future__ import annotations

from pathlib import Path

from duban.jobs.settings.typed import Settings
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.write.plan import Fingerprint


class FolderCache:
    def __init__(self, where: Path | None, settings: Settings):
        self.where = where              # the cache's folder inside the state folder; None: keep nothing
        self.settings = settings
        self.hits = self.misses = 0

    @classmethod
    def of(cls, folder: Path, settings: Settings) -> "FolderCache":
        """The cache of this folder's state folder (kept only where the state folder exists)."""
        return cls(None, settings)

    def fingerprint(self, path: Path) -> Fingerprint | None:
        """The file's size, time and hash (None: it cannot be read now)."""
        try:
            return Fingerprint.of(path)
        except OSError:
            return None

    def read(self, path: Path, fingerprint: Fingerprint | None, today, settings: Settings, reader) -> WorkbookRead:
        """The file's read: `reader(path, settings, today)`, or a fresh copy of the records kept
        for this fingerprint."""
        self.misses += 1
        return reader(path, settings, today)

    def writer(self, apply):
        """`apply` (the write-back), behind what is known of workbooks already as planned."""
        return apply
