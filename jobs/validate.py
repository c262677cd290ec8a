"""The validate job: read every workbook in a folder, cross-check people against the directory."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from workbooks.batch import cyclic_gc_paused
from workbooks.directory import Directory, crosscheck
from workbooks.discover import find_workbooks
from workbooks.problems import Problem
from workbooks.reader import read_workbook
from workbooks.records import WorkbookRead
from workbooks.writeback import Fingerprint


def read_folder(folder: Path, settings: dict, today: date, progress: Callable[[Path], None] | None = None,
                fingerprints: dict[Path, Fingerprint] | None = None) -> list[WorkbookRead]:
    """Every workbook read, with directory cross-check problems added; one bad file never stops the rest.

    With `fingerprints`, each file's size, time and hash are taken just before it is read, so a
    later write can tell whether anyone saved the file in between.
    """
    reads = []
    for path in find_workbooks(folder):
        if progress:
            progress(path)
        if fingerprints is not None:
            try:
                fingerprints[path] = Fingerprint.of(path)
            except OSError:
                pass
        with cyclic_gc_paused():
            reads.append(_read_one(path, settings, today))
    directory = Directory.from_reads(reads)
    for read in reads:
        read.problems.extend(crosscheck(read, directory))
    return reads


def _read_one(path: Path, settings: dict, today: date) -> WorkbookRead:
    try:
        return read_workbook(path, today, settings.get("reader"))
    except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the others
        return WorkbookRead(path, problems=[Problem("unreadable", str(path),
                                                    params={"detail": f"{type(exc).__name__}: {exc}"[:200]})])
