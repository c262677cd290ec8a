"""A user's save is never lost: saves injected at every step of the commit, a thread racing the
write, and kill -9 between the new file landing and the journal learning of it."""
from __future__ import annotations

import dataclasses
import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from books import BOOK, NOW, ROOT, check, col, column_values, make_book, settings, style_index, task, user_edit
from duban.jobs.check import check_folder
from duban.jobs.state.journal import Journal
from duban.workbooks.read.reader import read_workbook, scan_back
from duban.workbooks.write import commit
from duban.workbooks.write.commit import AFTER, RESCUED, TAKEN_BACK, aside_of, recover, temp_of
from duban.workbooks.write.plan import Fingerprint, WritePlan
from duban.workbooks.write.writeback import apply
from duban.workbooks.xlsx import package
from duban.workbooks.xlsx.stylebook import StyleBook

ID, STATUS = col("id"), col("status")

# Every point of a write, in order, and what becomes of a save landing there:
# (duban's write lands?, race code). temp-written comes before the last "changed?" check.
POINTS = {
    "temp-written": (False, ""),            # before the last check: seen by it, nothing touched
    "before-replace": (False, TAKEN_BACK),  # after the check, before the move: the move takes it, it goes back
    "moved-aside": (False, AFTER),          # while the original is aside (being hashed): the save stays
    "verified": (False, AFTER),             # between the backup and the replace: the save stays
    "replaced": (True, ""),                 # after the replace: the save is on top of duban's
    "backed-up": (True, ""),                # after the original reached the backups
}


def save_as_user(path: Path, data: bytes, style: str) -> None:
    """A save as Excel/LibreOffice do it (a temporary file renamed over the name) or in place."""
    if style == "replace":
        temp = path.with_name("~save" + path.name[:4] + ".tmp")
        temp.write_bytes(data)
        os.replace(temp, path)
    else:
        with open(path, "wb") as fh:
            fh.write(data)


def inject(point: str, path: Path, data: bytes, style: str):
    """commit.on_point: one user save of `data` at `point`."""
    def hook(name: str) -> None:
        if name == point:
            save_as_user(path, data, style)
    return hook


@pytest.fixture
def hooks():
    yield
    commit.on_point = None


@pytest.fixture(params=["links", "no-links"])
def links(request, monkeypatch):
    """With hard links, and as on a file system without them (os.link refused)."""
    if request.param == "no-links":
        def refused(*_args, **_kw):
            raise PermissionError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(os, "link", refused)
    return request.param


def user_version(path: Path, text: str) -> bytes:
    """The bytes of `path` as a user would save it with B2 changed (a different, valid workbook)."""
    copy = path.with_name("~user-" + text + ".xlsx")
    shutil.copy(path, copy)
    user_edit(copy, {"B2": text})
    data = copy.read_bytes()
    copy.unlink()
    return data


def plan_for(path: Path, **values) -> WritePlan:
    read = read_workbook(path, NOW.date())
    plan = WritePlan(path, read.sheet, Fingerprint.of(path), read.rows_read, values=dict(values), expect=dict(values))
    plan.verify = lambda temp: scan_back(temp, read, list(plan.expect))
    return plan


def backups_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*.xlsx")} if folder.exists() else {}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.suffix == ".xlsx")


# ---- a save at every step ---------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["replace", "in-place"])
@pytest.mark.parametrize("point", list(POINTS))
def test_a_save_at_any_step_of_the_write_is_never_lost(tmp_path, hooks, links, point, style):
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    original = path.read_bytes()
    mine = user_version(path, "用户改的")
    plan = plan_for(path, **{f"{ID}2": "T-000001", f"{ID}3": "T-000002"})
    backups = tmp_path / ".duban" / "backups"
    commit.on_point = inject(point, path, mine, style)
    result = apply(plan, backups, keep=10, verify=plan.verify)
    landed, race = POINTS[point]

    assert path.read_bytes() == mine                      # the user's save is the workbook
    assert result.status == ("written" if landed else "skipped"), result
    assert result.race == race
    if not landed:
        assert "changed" in result.reason
    kept = backups_of(backups)
    # the version duban read is in the backups whenever it was moved; never the user's, never twice
    assert list(kept.values()) == ([original] if landed or race == AFTER else [])
    assert result.backup == (next(iter(backups.glob("*.xlsx")), None) if kept else None)
    assert leftovers(tmp_path) == []                      # no temporary or aside file left behind


def test_a_save_taken_by_the_move_while_another_lands_is_kept_in_the_backups(tmp_path, hooks, links):
    """Two saves racing duban: the first is taken by the move, the second takes the name. The
    second is the workbook, the first is kept in the backups, even with no backups configured."""
    path = make_book(tmp_path, [task("写周报")])
    plan = plan_for(path, **{f"{ID}2": "T-000001"})
    first, second = user_version(path, "第一次"), user_version(path, "第二次")
    hook_first, hook_second = inject("before-replace", path, first, "replace"), inject("moved-aside", path, second, "replace")
    commit.on_point = lambda name: (hook_first(name), hook_second(name))
    backups = tmp_path / "backups"
    result = apply(plan, backups, keep=0, verify=plan.verify)
    assert (result.status, result.race) == ("skipped", RESCUED)
    assert path.read_bytes() == second
    assert list(backups_of(backups).values()) == [first] and result.rescued.read_bytes() == first
    assert result.rescued.name.endswith("-saved.xlsx")
    assert leftovers(tmp_path) == []


def test_a_file_another_program_holds_is_skipped_and_left_alone(tmp_path, monkeypatch):
    """On a Windows share the move fails while Excel has the file open: skipped, untouched."""
    path = make_book(tmp_path, [task("写周报")])
    content = path.read_bytes()
    plan = plan_for(path, **{f"{ID}2": "T-000001"})
    real = os.rename

    def rename(src, dst, *a, **kw):
        if Path(src) == path:
            raise PermissionError(errno.EACCES, "The process cannot access the file")
        return real(src, dst, *a, **kw)
    monkeypatch.setattr(os, "rename", rename)
    result = apply(plan, tmp_path / "backups", verify=plan.verify)
    assert (result.status, result.reason) == ("skipped", "open in Excel or another program (will retry next run)")
    assert path.read_bytes() == content and leftovers(tmp_path) == []


# ---- the same through a whole check: the journal agrees with the file -----------------------------------
def journal_state(folder: Path) -> tuple[set[str], dict, int]:
    j = Journal(folder / ".duban" / "state.db")
    try:
        ids = {r[0] for r in j.db.execute("SELECT id FROM rows")}
        pending = j.db.execute("SELECT COUNT(*) FROM painted_pending").fetchone()[0] + \
            j.db.execute("SELECT COUNT(*) FROM pending_writes").fetchone()[0]
        return ids, j.painted(BOOK), pending
    finally:
        j.close()


@pytest.mark.parametrize("point", list(POINTS))
@pytest.mark.slow
def test_a_save_during_a_check_keeps_the_journal_consistent(tmp_path, hooks, point):
    path = make_book(tmp_path, [task("对账", status="blocked"), task("报销")])
    mine = user_version(path, "用户改的")
    commit.on_point = inject(point, path, mine, "replace")
    result = check(tmp_path)
    commit.on_point = None
    landed, _race = POINTS[point]
    assert path.read_bytes() == mine
    ids, painted, pending = journal_state(tmp_path)
    assert pending == 0
    if landed:       # duban's write landed (the user then saved over it): the journal knows what it wrote
        assert (result.write, result.provisional) == ("written", frozenset())
        assert ids == {"T-000001", "T-000002"} and set(painted) == {("T-000001", "status")}
    else:            # it did not: no ID or paint the file never had
        assert result.write == "skipped" and "changed" in result.reason
        assert ids == set() and painted == {}
    again = check(tmp_path, NOW + timedelta(hours=1))    # the next run writes, on top of the user's version
    assert again.write == "written"
    assert column_values(path, "task")[0] == "用户改的"
    ids_now = set(column_values(path, "id"))
    assert len(ids_now) == 2 and ids_now <= journal_state(tmp_path)[0]
    if not landed:
        assert ids_now == {"T-000003", "T-000004"}     # IDs reserved by the skipped write are never reused
    assert journal_state(tmp_path)[2] == 0


# ---- a thread saving while writes run ------------------------------------------------------------------------
RACE_TRIES = 20


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 6,000-row workbook (so that hashing it takes a little while), its plan, and three user versions."""
    source = make_book(tmp_path_factory.mktemp("big"), [task(f"任务{i}", owner="王芳") for i in range(6000)])
    return source, plan_for(source, **{f"{ID}2": "T-000001"}), [user_version(source, f"版本{i}") for i in range(3)]


@pytest.mark.slow
def test_a_thread_saving_during_writes_never_loses_a_save(tmp_path, hooks, links, capsys, big):
    """RACE_TRIES writes, each raced by a thread that waits for the temporary file to be complete,
    then saves 1-3 times at random moments over about the time the rest of the write takes until
    the new file lands (calibrated on one unraced write). After
    each try the user's last save is in the workbook or in the backups, and a write reported as
    written is duban's version or has the user's later save on top."""
    rng = random.Random(20261123)
    source, read_plan, versions = big
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)               # the saver thread wakes when its moment comes, not 5 ms late
    try:
        _race(tmp_path, rng, source, read_plan, versions, links, capsys)
    finally:
        sys.setswitchinterval(switch)


def _race(tmp_path, rng, source, read_plan, versions, links, capsys):
    window = _commit_time(tmp_path / "calibrate", source, read_plan)
    outcomes: Counter = Counter()
    started = time.monotonic()
    for attempt in range(RACE_TRIES):
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        path = folder / BOOK
        shutil.copy2(source, path)                   # same bytes and time: the plan's fingerprint holds
        plan = dataclasses.replace(read_plan, path=path)
        written = threading.Event()        # the saver starts its clock when the temporary file is complete
        commit.on_point = lambda name, written=written: name == "temp-written" and written.set()
        saves, moments = [], []

        def saver(written=written, saves=saves, moments=moments, attempt=attempt, path=path):
            written.wait(10)
            for _ in range(rng.randint(1, 3)):
                time.sleep(rng.uniform(0, window * 1.3))
                data = versions[len(saves) % len(versions)] + b"\0" * (attempt + 1)   # distinct bytes per try
                saves.append(data)
                moments.append(time.monotonic())     # when the save began: a loaded machine may pause the
                save_as_user(path, data, rng.choice(["replace", "in-place"]))   # thread after it lands
        thread = threading.Thread(target=saver)
        thread.start()
        result = apply(plan, folder / "backups", keep=10)
        ended = time.monotonic()
        written.set()
        thread.join()
        final, kept = path.read_bytes(), backups_of(folder / "backups")
        assert saves and final == saves[-1], (attempt, result)      # the user's last save is the workbook
        assert all(k not in saves for k in kept.values()) or result.race == RESCUED
        during = sum(m < ended for m in moments)
        if result.status == "skipped":
            assert during and "changed" in result.reason, (attempt, result)
            outcomes[f"skipped: {result.race or 'seen by the last check'}"] += 1
        else:
            assert result.status == "written", result
            assert result.backup and result.backup.read_bytes() == source.read_bytes()   # the version read
            outcomes["written, a save landed on top during the write" if during
                     else "written, the saves came after it"] += 1
        assert leftovers(folder) == []
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nrace ({links}): {RACE_TRIES} tries in {seconds:.1f} s, commit window ~{window * 1000:.1f} ms: "
              + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    assert sum(outcomes.values()) == RACE_TRIES


def _commit_time(folder: Path, source: Path, read_plan: WritePlan) -> float:
    """How long a write takes from its temporary file being complete to the new file landing
    (the median of three unraced writes)."""
    times = []
    for n in range(3):
        (folder / str(n)).mkdir(parents=True)
        path = folder / str(n) / BOOK
        shutil.copy2(source, path)
        marks = {}
        commit.on_point = lambda name, marks=marks: marks.setdefault(name, time.monotonic())
        try:
            apply(dataclasses.replace(read_plan, path=path), folder / "backups")
        finally:
            commit.on_point = None
        times.append(marks["replaced"] - marks["temp-written"])
    return max(sorted(times)[1], 0.001)


# ---- kill -9 between the new file landing and the journal learning of it ---------------------------------------
def describe(path: Path, ref: str) -> dict:
    with zipfile.ZipFile(path) as zf:
        book = StyleBook(package.parse(zf.read("xl/styles.xml")))
    return book.describe(style_index(path, ref))


def killed_at(folder: Path, point: str) -> None:
    """`duban check` in a real process, stopped at `point` and killed there with SIGKILL."""
    flag = folder.parent / f"{folder.name}-paused"
    env = {**os.environ, "DUBAN_PAUSE_AT": point, "DUBAN_PAUSE_FLAG": str(flag)}
    proc = subprocess.Popen([sys.executable, "-c", "from duban.jobs.cli import main; main()", "check", str(folder),
                             "--now", NOW.isoformat()], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the check never reached " + point
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.mark.parametrize("point,then", [("replaced", "clear"), ("replaced", "recheck"), ("backed-up", "clear"),
                                        ("moved-aside", "recheck"), ("verified", "recheck")])
@pytest.mark.slow
def test_killed_before_the_journal_commit_the_colour_still_clears(tmp_path, point, then):
    """kill -9 after the new (orange) file is in place but before the journal was told: the
    write-ahead entry makes the next run take the orange as duban's, so once the row is
    unblocked the cell gets back its original format, not orange for ever."""
    path = make_book(tmp_path, [task("对账", status="blocked"), task("报销")])
    ref = f"{STATUS}2"
    original_s, original = style_index(path, ref), describe(path, ref)
    killed_at(tmp_path, point)
    if point in ("replaced", "backed-up"):
        assert style_index(path, ref) != original_s          # the orange reached the file...
        assert journal_state(tmp_path)[2] > 0                 # ...and the journal has it only as pending
    if then == "recheck":                                     # a run before the user touches the file
        result = check(tmp_path, NOW + timedelta(hours=1))
        assert result.write in ("written", "unchanged")
        ident = column_values(path, "id")[0]                  # T-000001, or a new one if the kill came before the write
        assert journal_state(tmp_path)[2] == 0 and set(journal_state(tmp_path)[1]) == {(ident, "status")}
        assert style_index(path, ref) != original_s
    user_edit(path, {ref: "进行中"})                           # unblocked: the flag clears
    result = check(tmp_path, NOW + timedelta(hours=2))
    assert (result.write, result.flags[2]) == ("written", [])
    assert describe(path, ref) == original
    assert style_index(path, ref) == original_s
    assert journal_state(tmp_path)[1] == {} and journal_state(tmp_path)[2] == 0
    assert not aside_of(path).exists() and not temp_of(path).exists()


@pytest.mark.slow
def test_a_pending_write_that_never_landed_is_forgotten(tmp_path):
    """Killed after the write-ahead but before the move: the file is the one read, the entry goes."""
    path = make_book(tmp_path, [task("对账", status="blocked")])
    content = path.read_bytes()
    killed_at(tmp_path, "before-replace")
    assert path.read_bytes() == content and journal_state(tmp_path)[2] > 0
    check_folder(tmp_path, settings(), NOW, dry_run=True)
    assert journal_state(tmp_path)[2] > 0                    # a dry run settles nothing
    result = check(tmp_path, NOW + timedelta(hours=1))
    assert result.write == "written" and journal_state(tmp_path)[2] == 0
    assert set(journal_state(tmp_path)[1]) == {("T-000002", "status")}   # T-000001 went with the killed run


def test_recover_puts_back_a_workbook_left_aside_and_removes_stale_temporaries(tmp_path):
    path = make_book(tmp_path / "部门", [task("写周报")])
    content = path.read_bytes()
    os.rename(path, aside_of(path))
    temp_of(path).write_bytes(b"half a file")
    assert recover(tmp_path, tmp_path / ".duban" / "backups", 10) == [path]
    assert path.read_bytes() == content and not aside_of(path).exists() and not temp_of(path).exists()
    shutil.copy(path, aside_of(path))                      # both names: the aside one goes to the backups
    assert recover(tmp_path, tmp_path / ".duban" / "backups", 0) == []
    assert [p.read_bytes() for p in (tmp_path / ".duban" / "backups" / "部门").glob("*.xlsx")] == [content]


def test_recovery_walks_beside_the_workbooks_not_into_dubans_own_folders(tmp_path):
    book = tmp_path / "部门" / BOOK
    book.parent.mkdir()
    stale = temp_of(book)
    stale.write_bytes(b"half a file")                                  # a crash's leftover beside a workbook
    kept = temp_of(tmp_path / ".duban" / "backups" / "部门" / BOOK)    # a name alike inside duban's own folder
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"not ours to tidy")
    recover(tmp_path, tmp_path / ".duban" / "backups", 10)
    assert not stale.exists() and kept.read_bytes() == b"not ours to tidy"
