"""The check's walk through a folder: one workbook after another, in the folder's order, with
the write-back's patch (the CPU-heavy part) handed to worker processes a few workbooks ahead.

Each workbook is planned in the parent (IDs from the journal, rules, what was painted), its
patch runs in a worker (`patch`: the new parts, not yet written anywhere), and the parent then
writes the temporary file, tells the journal (write-ahead) and commits, in the folder's order.
The walk keeps `WINDOW` workbooks planned ahead whatever the number of workers, so the journal
sees the same calls in the same order with one worker as with eight.

With `each` (jobs.check), a workbook's records are unpacked for its turn (readwork.Shelf) and let
go after it: memory follows one workbook, not the folder.
"""
from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from duban.jobs.pool import Lane, processes
from duban.jobs.readwork import WHOLE
from duban.workbooks.write import writeback
from duban.workbooks.write.paintrecord import record_rows

WINDOW = 4          # workbooks planned ahead of the one being written


def run(reads: list, shelf, each: Callable | None, progress, plan_one: Callable, site, live,
        known_unchanged: Callable = lambda plan: False) -> list:
    """Every workbook's check (`plan_one(read)`: a result, or a planned write to `finish`).
    `known_unchanged(plan)`: the read cache knows the file holds this plan already (no patch)."""
    workers = processes(site.settings, len(reads)) if live is None else 1
    lane = Lane(workers)
    waiting: deque = deque()
    results = []
    begin = getattr(progress, "begin", None)
    if begin:
        begin("checking", len(reads))
    try:
        for index, read in enumerate(reads):
            reads[index] = None                 # the walk holds it from here on, and then lets it go
            step = plan_one(shelf.full(read) if shelf else read)
            handed = lane.submit(patch, step.plan) if hasattr(step, "finish") and lane.pool \
                and not known_unchanged(step.plan) else None
            waiting.append((step, handed))
            while len(waiting) > WINDOW:
                results.append(_done(*waiting.popleft(), lane, each, progress))
        while waiting:
            results.append(_done(*waiting.popleft(), lane, each, progress))
    finally:
        lane.close()
    return results


def _done(step, handed, lane: Lane, each, progress):
    result = step.finish(lane.result(handed, _lost) if handed else None) if hasattr(step, "finish") else step
    if progress and begin_of(progress):
        progress(result.read.path)
    if each is not None:
        result.kept = each(result)
        if result.read.kind is not None and result.read.kind.key not in WHOLE:
            result.read.let_go, result.read.records = result.read.rows_read, []
        result.flags = {row: found for row, found in result.flags.items() if found}
    return result


def begin_of(progress) -> bool:
    """Whether `progress` follows the checking too (it has `begin`), not only the reading."""
    return hasattr(progress, "begin")


def patch(plan) -> tuple | None:
    """In a worker: the parts a write of `plan` changes and the painted cells' originals, made
    from the very version the plan was made from (its hash before, its stat after), or None:
    a file saved meanwhile, or anything unforeseen (the parent's write-back, which checks the
    version again, patches itself and says why it skips or refuses)."""
    try:
        data = plan.path.read_bytes()
        if len(data) != plan.fingerprint.size or hashlib.sha256(data).hexdigest() != plan.fingerprint.sha256:
            return None
        made = writeback.patched_parts(plan)
        stat = plan.path.stat()
        return made if (stat.st_size, stat.st_mtime_ns) == (plan.fingerprint.size, plan.fingerprint.mtime_ns) else None
    except Exception:  # noqa: BLE001 - the parent's own patch gives the refusal its sentence
        return None


def _lost(plan) -> None:
    return None         # the worker died patching it: the parent patches it itself


@dataclass
class Recorded:
    """What the workbook's hidden _duban sheet records after a write, given the painted cells'
    original formats: what was painted before, changed by this run's paint, for the rows the
    workbook still has. An object rather than a closure, so that a plan can go to a worker."""
    identity: str
    present: frozenset
    painted: dict
    flag_key: str | None
    paints: list

    def __call__(self, originals: dict[str, dict]) -> list[tuple[str, str]]:
        after = {key: entry for key, entry in self.painted.items() if key[0] in self.present}
        for key, entry in painted_entries(self.flag_key, self.paints, originals).items():
            if entry is None:
                after.pop(key, None)
            else:
                after[key] = entry
        return record_rows(self.identity, after)


def painted_entries(flag_key: str | None, paints: list, originals: dict[str, dict]) -> dict[Any, Any]:
    """What the journal keeps of a run's paint, by (row ID, column): colour and original format."""
    return {(paint.owner, flag_key): (paint.colour.name, originals[paint.ref]) if paint.colour else None
            for paint in paints}
