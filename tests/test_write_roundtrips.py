"""The write-back's round trips to the disk, counted (on a share each is one to the server), and its
inline patch for small workbooks, which must give the very bytes the threaded one gives."""
from __future__ import annotations

import json
import os
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from books import NOW, col, make_book, task
from duban.workbooks.model.flags import PALETTE
from duban.workbooks.read.reader import read_workbook
from duban.workbooks.share import files, seals
from duban.workbooks.write import writeback
from duban.workbooks.write.plan import Fingerprint, Paint, WritePlan
from duban.workbooks.write.refusal import UNCHANGED, WRITTEN
from duban.workbooks.write.roundtrips import counting

ID, ALERTS, STATUS = col("id"), col("alerts"), col("status")
ROWS = [task(f"任务{n}", due=date(2026, 11, 1) + timedelta(days=n)) for n in range(30)]


def plan_of(path: Path) -> WritePlan:
    """IDs and alerts for every row, half the status cells painted: a first check's write."""
    read = read_workbook(path, NOW.date())
    rows = range(2, 2 + len(ROWS))
    values = {ref: text for r in rows for ref, text in ((f"{ID}{r}", f"T-{r:06d}"), (f"{ALERTS}{r}", "逾期3天"))}
    plan = WritePlan(path, read.sheet, Fingerprint.of(path), read.rows_read, values=values, expect=dict(values),
                     wrap={f"{ALERTS}{r}" for r in rows})
    plan.paints = [Paint(f"{STATUS}{r}", PALETTE["red"]) for r in rows if r % 2]
    return plan


@pytest.fixture
def books(tmp_path):
    return [make_book(tmp_path, ROWS, name=f"{n}任务跟进表.xlsx") for n in range(3)]


def test_a_workbook_write_makes_two_fsyncs_four_renames_and_few_metadata_calls(books, tmp_path):
    backups = tmp_path / ".duban" / "backups"
    assert writeback.apply(plan_of(books[0]), backups).status == WRITTEN     # makes the backups folder
    plan = plan_of(books[1])
    with counting() as trips:
        assert writeback.apply(plan, backups).status == WRITTEN
    # the temp file, then the workbook's folder once the new file has its name; was 4 (the backups
    # folder and the seals file too)
    assert trips.syncs == 2, trips
    assert trips.renames == 4, trips          # aside, link to the name, into the backups, the seals file
    assert trips["open"] <= 7 and trips["stat"] + trips["lstat"] <= 17, trips
    assert trips.metadata <= 30, trips        # was 54
    assert sorted(p.name for p in books[1].parent.iterdir() if p.name.startswith(".") and "duban-" in p.name) == []


def test_a_plan_the_file_already_holds_is_found_with_one_read_and_nothing_written(books, tmp_path):
    backups = tmp_path / ".duban" / "backups"
    writeback.apply(plan_of(books[0]), backups)
    again = plan_of(books[0])
    before = books[0].read_bytes()
    with counting() as trips:
        assert writeback.apply(again, backups).status == UNCHANGED
    assert (trips.syncs, trips.renames, trips["open"], trips["unlink"]) == (0, 0, 1, 0), trips
    assert trips.metadata <= 6, trips         # was 11: the workbook was opened and hashed three times
    assert books[0].read_bytes() == before


def _parts(plan: WritePlan, threads: bool) -> dict:
    parts, originals = writeback.patched_parts(plan, threads)
    return {name: (b"".join(part.pieces), part.crc, part.size) for name, part in parts.items()}, originals


@pytest.mark.parametrize("chunk", [writeback.CHUNK, 700])      # one piece, and many pieces of whole rows
def test_the_inline_patch_and_the_threaded_one_give_the_same_bytes(books, monkeypatch, chunk):
    monkeypatch.setattr(writeback, "CHUNK", chunk)
    plan = plan_of(books[0])
    inline, threaded = _parts(plan, False), _parts(plan_of(books[0]), True)
    assert inline == threaded
    assert len(inline[0]) >= 2                # the sheet and the styles were both patched


def test_a_small_workbook_is_patched_and_written_without_a_thread(books, tmp_path, monkeypatch):
    started = []
    real = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self.name), real(self))[1])
    assert writeback.apply(plan_of(books[0]), tmp_path / "backups").status == WRITTEN
    assert started == []
    writeback.patched_parts(plan_of(books[1]), True)
    assert started                            # the threaded path does start them


def test_the_seals_keep_only_backups_still_there_without_a_look_at_each(books, tmp_path):
    backups = tmp_path / ".duban" / "backups"
    for day in range(4):                      # four writes of one workbook, two backups kept
        plan = plan_of(books[0])
        plan.values = {ref: f"{text}{day}" for ref, text in plan.values.items()}
        plan.expect = dict(plan.values)
        assert writeback.apply(plan, backups, keep=2).status == WRITTEN
    kept = sorted(p.name for p in backups.iterdir() if not p.name.startswith("."))
    assert len(kept) == 2
    assert sorted(json.loads((backups / seals.SEALS).read_text("utf-8"))) == kept
    assert seals.changed([backups / name for name in kept]) == []


def test_a_record_written_atomically_gets_the_plain_mode_without_a_chmod(tmp_path):
    target = tmp_path / "sub" / "state.json"
    with counting() as trips:
        key = files.write_atomically(target, b"{}", durable=False)
    assert target.read_bytes() == b"{}" and (trips.syncs, trips["chmod"]) == (0, 0), trips
    assert target.stat().st_mode & 0o777 == files.plain_mode()
    assert key == (target.stat().st_ino, 2, target.stat().st_mtime_ns)
    os.chmod(target, 0o640)
    files.write_atomically(target, b"[]")     # durable, and the mode the file had
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]
