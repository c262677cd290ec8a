"""The folder's read cache (issue 22): an unchanged workbook is neither parsed nor patched again by
any command, an edited one is, and nothing the state folder holds is trusted unless this user's
duban signed it. Real workbooks (the demo folder), real CLI runs where it is about a second process."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from duban.jobs.check import check_folder
from duban.jobs.init import init_folder
from duban.jobs.serve.cache import ReadCache
from duban.jobs.settings import config
from duban.jobs.state import readcache
from duban.jobs.state.readcache import FolderCache, codec
from duban.jobs.state.readcache.store import STATS, Store, name_of, secret
from duban.jobs.validate import read_folder

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()


def _settings(folder: Path, **performance):
    return config.load(folder, values={"performance": {"workers": 1, **performance}})


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "folder"
    init_folder(folder, demo=True, today=TODAY)
    text = (folder / "duban.toml").read_text(encoding="utf-8").replace("workers = 0 ", "workers = 1 ")
    (folder / "duban.toml").write_text(text, encoding="utf-8")
    (folder / ".duban").mkdir()        # the state folder, as the first check leaves it
    return folder


@pytest.fixture
def demo(demo_source, tmp_path) -> Path:
    folder = tmp_path / "folder"
    shutil.copytree(demo_source, folder)
    return folder


def _counts() -> dict:
    return dict(STATS)


def _since(before: dict) -> dict:
    return {k: STATS[k] - before[k] for k in STATS}


def _reads(folder: Path, settings=None, today=TODAY, cache=None):
    return read_folder(folder, settings or _settings(folder), today, cache=cache)


def _fresh(folder: Path, today=TODAY):
    return _reads(folder, _settings(folder, cache_mb=0), today)


def _edit(path: Path, ref: str, text: str) -> None:
    book = openpyxl.load_workbook(path)
    book.worksheets[0][ref] = text
    book.save(path)


# ---- reads -------------------------------------------------------------------------------------
def test_a_read_from_the_cache_equals_a_fresh_read(demo):
    first = _reads(demo)
    before = _counts()
    again = _reads(demo)
    assert _since(before)["parses"] == 0 and _since(before)["hits"] == len(first)
    fresh = _fresh(demo)
    assert again == fresh
    for cached, read in zip(again, fresh):
        assert [type(r) for r in cached.records] == [type(r) for r in read.records]
        assert [(k, type(v), v) for r in cached.records for k, v in r.items()] == \
            [(k, type(v), v) for r in read.records for k, v in r.items()]


def test_the_read_handed_out_is_the_callers_to_change(demo):
    _reads(demo)
    one = _reads(demo)
    victim = next(r for r in one if r.records)
    victim.records[0]["id"] = "T-CHANGED"
    victim.problems.clear()
    again = next(r for r in _reads(demo) if r.path == victim.path)
    assert again.records[0]["id"] != "T-CHANGED"
    assert again == next(r for r in _fresh(demo) if r.path == victim.path)


def test_an_edited_workbook_is_read_again(demo):
    _reads(demo)
    target = demo / "任务跟进表.xlsx"
    _edit(target, "B3", "改过的任务")
    before = _counts()
    reads = _reads(demo)
    assert _since(before)["parses"] == 1
    read = next(r for r in reads if r.path == target)
    assert any(r["task"] == "改过的任务" for r in read.records)


def test_a_new_day_or_other_reader_settings_read_again(demo):
    _reads(demo)
    before = _counts()
    _reads(demo, today=TODAY + timedelta(days=1))
    assert _since(before)["parses"] == 8
    before = _counts()
    other = config.load(demo, values={"performance": {"workers": 1}, "reader": {"header_scan_rows": 25}})
    assert other.reader != _settings(demo).reader
    _reads(demo, other, today=TODAY + timedelta(days=1))
    assert _since(before)["parses"] == 8


def test_a_change_that_keeps_the_stat_is_caught_when_the_hash_falls_due(demo, monkeypatch):
    """A save keeping size and times (which a share may not tell apart) is reused by the stat
    until the file's hash is taken again, at the slower pace."""
    settings = _settings(demo)
    cache = FolderCache.of(demo, settings)
    _reads(demo, settings, cache=cache)
    target = demo / "任务跟进表.xlsx"
    rel = cache.relpath(target)
    _edit(target, "B3", "悄悄改过")
    stat = readcache._stat_key(os.stat(target))      # as if the save had kept the size and the times:
    cache.known[rel] = replace(cache.known[rel], stat=stat, racy=False)
    entry = cache.store.load(name_of(rel))
    cache.store.save(name_of(rel), {**entry.header, "stat": list(stat)}, entry.body)
    stale = next(r for r in _reads(demo, settings, cache=cache) if r.path == target)
    assert not any(r["task"] == "悄悄改过" for r in stale.records)   # the gap the re-hash closes
    later = readcache._clock() + readcache.REHASH_SECONDS
    monkeypatch.setattr(readcache, "_clock", lambda: later)
    before = _counts()
    fresh = next(r for r in _reads(demo, settings, cache=cache) if r.path == target)
    assert _since(before)["hashed"] == 8 and _since(before)["parses"] == 1
    assert any(r["task"] == "悄悄改过" for r in fresh.records)


def test_an_unchanged_file_is_not_hashed_again(demo, monkeypatch):
    _reads(demo)
    monkeypatch.setattr(readcache, "_clock", lambda: readcache.time.time() + 60)   # past the racy window
    _reads(demo)
    before = _counts()
    _reads(demo)
    assert _since(before) == {"hits": 8, "parses": 0, "hashed": 0, "unpatched": 0}


# ---- what is not trusted -----------------------------------------------------------------------
def _entry(folder: Path, name: str) -> Path:
    return folder / ".duban" / "cache" / name_of(name)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign key", "pickle", "signed garbage"])
def test_a_damaged_or_hostile_entry_is_ignored_and_the_file_read(demo, damage, tmp_path):
    _reads(demo)
    entry = _entry(demo, "任务跟进表.xlsx")
    data = entry.read_bytes()
    marker = tmp_path / "ran"
    if damage == "truncated":
        entry.write_bytes(data[:len(data) // 2])
    elif damage == "flipped":          # the body changed, the signature kept
        entry.write_bytes(data.replace("项目".encode(), "项曰".encode(), 1))
    elif damage == "foreign key":      # well formed, signed by someone else's key
        other = Store(demo / ".duban", 1 << 30, b"k" * 32)
        head = data.split(b"\n", 2)
        other.save(entry.name, json.loads(head[1]), head[2])
    elif damage == "pickle":
        class Boom:
            def __reduce__(self):
                return (open, (str(marker), "w"))
        entry.write_bytes(pickle.dumps(Boom()))
    else:                              # signed with this user's key, but not a read
        head = json.loads(data.split(b"\n", 2)[1])
        Store(demo / ".duban", 1 << 30, secret()).save(entry.name, head, b'{"kind": "tasks", "n": 5}')
    before = _counts()
    reads = _reads(demo)
    assert _since(before)["parses"] == 1 and not marker.exists()
    assert reads == _fresh(demo)


def test_the_codec_keeps_every_plain_value_exactly():
    values = [None, True, False, 0, -7, 2 ** 62, 1.5, 0.1, -0.0, "", "文本", date(2026, 2, 28),
              datetime(2026, 11, 23, 9, 30, 15, 123), time(17, 45), ("张伟", "王芳"), ["a", ("b",)],
              {"k": [1, "x"]}]
    for v in values:
        back = codec.unvalue(json.loads(json.dumps(codec.value(v))))
        assert back == v and type(back) is type(v)
    for bad in (float("nan"), object(), datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")), {1: "x"}):
        with pytest.raises(codec.Unstorable):
            codec.value(bad)


# ---- where and how much is kept --------------------------------------------------------------------
def test_a_dry_run_of_a_folder_without_a_state_folder_leaves_nothing(demo_source, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    for book in demo_source.glob("*.xlsx"):
        shutil.copy(book, folder)
    listing = sorted(p.name for p in folder.iterdir())
    check_folder(folder, _settings(folder), NOW, dry_run=True)
    _reads(folder)
    assert sorted(p.name for p in folder.iterdir()) == listing


def test_a_check_of_a_folder_with_no_duban_table_still_leaves_no_state_folder(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["日期", "工时"])
    book.active.append([date(2026, 11, 2), 8])
    book.save(tmp_path / "工时.xlsx")
    check_folder(tmp_path, _settings(tmp_path), NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["工时.xlsx"]


def test_cache_mb_0_keeps_nothing(demo):
    _reads(demo, _settings(demo, cache_mb=0))
    assert not (demo / ".duban" / "cache").exists()
    _reads(demo)
    assert len(list((demo / ".duban" / "cache").iterdir())) == 8


def test_the_bound_drops_the_least_recently_used(tmp_path):
    state = tmp_path / ".duban"
    state.mkdir()
    store = Store(state, 10_000, b"s" * 32)
    for n in range(4):
        assert store.save(f"e{n}", {"n": n}, b"x" * 2_000)
        os.utime(store.dir / f"e{n}", (1_000_000 + n, 1_000_000 + n))
    store.sizes = None                              # a new process: it looks at the folder first
    store.touch("e0")                               # used just now: kept
    assert store.save("e4", {"n": 4}, b"x" * 2_000)
    assert store.save("e5", {"n": 5}, b"x" * 2_000)  # over 10,000 bytes: the oldest go
    kept = sorted(p.name for p in store.dir.iterdir())
    assert "e0" in kept and "e5" in kept and "e1" not in kept
    assert sum(p.stat().st_size for p in store.dir.iterdir()) <= 10_000
    assert not store.save("big", {}, b"x" * 20_000)      # larger than the bound: not kept


# ---- the write-back: a workbook as planned is not patched again ------------------------------------
PROBE = """
import atexit, json, sys
from duban.jobs.state.readcache.store import STATS
from duban.workbooks.write import writeback
patched = []
real = writeback._patched_parts
writeback._patched_parts = lambda plan: patched.append(plan.path) or real(plan)
atexit.register(lambda: print("PROBE", json.dumps({**STATS, "patched": len(patched)}), file=sys.stderr))
from duban.jobs.cli import main
sys.argv = ["duban", *sys.argv[1:]]
main()
"""


def _probe(folder: Path, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, "check", str(folder), "--now", NOW.isoformat(),
                           "--no-dashboard", *args], capture_output=True, text=True, timeout=300)
    line = [x for x in done.stderr.splitlines() if x.startswith("PROBE ")]
    assert line, done.stderr[-2000:]
    return json.loads(line[-1][6:])


def test_a_second_check_process_of_an_unchanged_folder_neither_parses_nor_patches(demo):
    settings = _settings(demo)
    check_folder(demo, settings, NOW)           # writes IDs and colours
    report = check_folder(demo, settings, NOW)  # reads what it wrote: already as planned
    assert {w.write for w in report.workbooks if w.read.kind is not None} == {"unchanged"}
    books = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in demo.glob("*.xlsx")}
    seen = _probe(demo)
    assert seen["parses"] == 0 and seen["patched"] == 0 and seen["unpatched"] == 8, seen
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in demo.glob("*.xlsx")} == books


def test_an_edited_workbook_is_patched_again(demo):
    settings = _settings(demo)
    check_folder(demo, settings, NOW)
    check_folder(demo, settings, NOW)
    target = demo / "任务跟进表.xlsx"
    book = openpyxl.load_workbook(target)
    sheet = book.worksheets[0]
    sheet.cell(sheet.max_row + 1, 2, "新加的任务")
    book.save(target)
    before = _counts()
    report = check_folder(demo, settings, NOW)
    assert _since(before)["parses"] == 1 and _since(before)["unpatched"] == 7
    assert next(w for w in report.workbooks if w.read.path == target).write == "written"


def test_serve_loads_what_a_command_kept(demo):
    settings = _settings(demo)
    _reads(demo, settings)
    serve = ReadCache()
    with serve.active(demo, settings):
        before = _counts()
        reads = _reads(demo, settings)
        assert _since(before)["parses"] == 0 and serve.hits == 8
        assert _reads(demo, settings) == reads and serve.hits == 16
    found = ReadCache()                       # not told the folder: finds it from the first workbook
    with found.active():
        _reads(demo, settings)
    assert found.folder is not None and found.folder.folder == demo and found.misses == 0


def test_the_memo_gives_back_what_the_write_back_said_while_file_and_plan_stay(demo):
    from duban.workbooks.write.plan import Fingerprint, WritePlan
    from duban.workbooks.write.refusal import UNCHANGED, WriteResult

    path = demo / "任务跟进表.xlsx"
    shared = {"attrs": [("applyFill", "1")], "font": "<font/>", "numFmt": [14, "yyyy-mm-dd"]}
    originals = {"K2": shared, "K3": shared, "K4": {"attrs": [], "font": None, "numFmt": [0, "General"]}}
    calls = []

    def real(plan, *args, **kwargs):
        calls.append(plan.path)
        return WriteResult(UNCHANGED, originals=originals)

    def plan(values):
        return WritePlan(path, "任务跟进表", Fingerprint.of(path), 10, values=values)

    cache = FolderCache.of(demo, _settings(demo))
    apply = cache.writer(real)
    assert not cache.known_unchanged(plan({"A2": "T-1"}))
    assert apply(plan({"A2": "T-1"})).originals == originals and len(calls) == 1
    assert cache.known_unchanged(plan({"A2": "T-1"})) and not cache.known_unchanged(plan({"A2": "T-9"}))
    again = apply(plan({"A2": "T-1"}))
    assert again.status == UNCHANGED and again.originals == originals and len(calls) == 1
    second = plan({"A2": "T-2"})
    apply(second)                                                # another plan: the write-back decides
    apply(second)
    assert len(calls) == 2
    os.utime(path, ns=(1, 1))                                    # saved since the plan was made
    apply(second)
    assert len(calls) == 3
    third = plan({"A2": "T-2"})
    apply(third)
    apply(third)
    assert len(calls) == 4
    (demo / ("~$" + path.name)).write_bytes(b"\x05Alice" + b" " * 60)   # open in Excel: the write-back says so
    apply(third)
    assert len(calls) == 5


def test_a_dry_run_over_a_kept_state_reads_the_cache_and_writes_nothing_to_it(demo):
    settings = _settings(demo)
    check_folder(demo, settings, NOW)                       # the state folder and its cache exist
    cache = demo / ".duban" / "cache"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in cache.iterdir()}
    assert before
    book = demo / "任务跟进表.xlsx"
    book.write_bytes(book.read_bytes())                     # a new mtime: this one is read again
    os.utime(book, ns=(book.stat().st_atime_ns, book.stat().st_mtime_ns + 5_000_000_000))
    report = check_folder(demo, settings, NOW, dry_run=True)
    assert {w.write for w in report.workbooks if w.read.kind is not None} == {"dry-run"}
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in cache.iterdir()} == before
