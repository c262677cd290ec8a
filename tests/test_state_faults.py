"""Issue 16, points 9 and 11: a damaged state.db, a full disk, a read-only share or state folder
are told as a sentence naming the file and what to do (never "unexpected error"); the state
database and the run lock are safe on a share used from two machines.

Real files throughout: garbage written into state.db, a tmpfs that fills up, a read-only bind
mount, a process without the right to override file modes, two processes taking the lock."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest

from books import ROOT, cli
from duban.jobs.init import init_folder
from duban.jobs.settings import config
from duban.jobs.state.runlock import run_lock
from duban.workbooks.model.errors import DubanError
from duban.workbooks.share import statedb
from duban.workbooks.share.files import replacing

NOW = "2026-11-23T09:00"
SCHEMA = "CREATE TABLE IF NOT EXISTS t (x INTEGER);"


def folder_in(where: Path, lang: str = "zh") -> Path:
    folder = where / "share"
    init_folder(folder, lang=lang, demo=True, today=date(2026, 11, 23))
    return folder


def checked(folder: Path) -> Path:
    """A first good check: state.db and its last good copy exist."""
    done = cli("check", str(folder), "--now", NOW)
    assert done.returncode == 0, done.stderr
    return folder / ".duban" / "state.db"


def told(done: subprocess.CompletedProcess) -> str:
    """The one sentence on stderr of a run that failed without a traceback."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr
    assert "意外错误" not in done.stderr and "意外错误" not in done.stdout
    return done.stderr


# ---- 9: a damaged state.db ------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_garbage_in_state_db_names_it_and_its_last_good_copy_and_the_advice_works(tmp_path, lang):
    folder = folder_in(tmp_path, lang)
    db = checked(folder)
    bak = db.with_name("state.db.bak")
    assert bak.exists()
    with sqlite3.connect(bak) as copy:           # the copy is a whole database with the journal in it
        assert copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM rows").fetchone()[0] > 0
    db.write_bytes(os.urandom(40_000))
    text = told(cli("check", str(folder), "--now", NOW))
    assert str(db) in text and str(bak) in text
    assert ("已损坏" in text and "state.db.damaged" in text) if lang == "zh" else \
        ("is damaged" in text and "rename the damaged file to state.db.damaged" in text)
    # doing what it says works
    db.rename(db.with_name("state.db.damaged"))
    shutil.copy(bak, db)
    assert cli("check", str(folder), "--now", NOW).returncode == 0


@pytest.mark.slow
def test_a_state_db_cut_short_or_damaged_inside_is_told_too(tmp_path):
    folder = folder_in(tmp_path, "en")
    db = checked(folder)
    whole = db.read_bytes()
    db.write_bytes(whole[:len(whole) // 2])                 # a copy that stopped half-way
    text = told(cli("remind", str(folder), "--now", NOW, "--dry-run"))
    assert f"The state database {db} is damaged (cut short" in text and "state.db.bak" in text
    damaged = bytearray(whole)
    damaged[4096:len(whole) - 4096] = b"\xff" * (len(whole) - 8192)    # pages overwritten, length kept
    db.write_bytes(bytes(damaged))
    text = told(cli("check", str(folder), "--now", NOW))
    assert f"The state database {db} is damaged" in text and "state.db.bak" in text


@pytest.mark.slow
def test_no_good_copy_says_so_and_what_then(tmp_path):
    folder = folder_in(tmp_path, "en")
    db = checked(folder)
    db.with_name("state.db.bak").unlink()
    db.write_bytes(b"not a database at all" * 100)
    text = told(cli("check", str(folder), "--now", NOW))
    assert str(db) in text and "there is no good copy" in text


def test_the_good_copy_follows_changes_and_a_damaged_database_never_replaces_it(tmp_path):
    db = tmp_path / "state.db"
    with statedb.connect(db, SCHEMA) as conn:
        conn.execute("INSERT INTO t VALUES (1)")
    bak = statedb.keep_good_copy(db)
    assert bak == tmp_path / "state.db.bak"
    conn = statedb.connect(db, SCHEMA)
    conn.execute("INSERT INTO t VALUES (2)")
    conn.close()
    os.utime(db, ns=(bak.stat().st_mtime_ns + 10**9,) * 2)
    statedb.keep_good_copy(db)
    with sqlite3.connect(bak) as copy:
        assert copy.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    good = bak.read_bytes()
    data = bytearray(db.read_bytes())
    data[100:4096] = os.urandom(3996)                        # page 1's body: the schema is gone
    db.write_bytes(bytes(data))
    os.utime(db, ns=(bak.stat().st_mtime_ns + 2 * 10**9,) * 2)
    assert statedb.keep_good_copy(db) == bak
    assert bak.read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# ---- 9: a read-only share or state folder, a full disk ------------------------------------------------
def _mount(*args: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def read_only(tmp_path):
    """Bind-mount a folder read-only over itself (root only); undone afterwards."""
    mounted = []

    def make(path: Path) -> None:
        if not (_mount("--bind", str(path), str(path)) and (mounted.append(path) or True)
                and _mount("-o", "remount,ro,bind", str(path))):
            pytest.skip("cannot make a read-only bind mount here (needs root and mount)")
    yield make
    for path in reversed(mounted):
        subprocess.run(["umount", str(path)], capture_output=True)


@pytest.mark.parametrize("what", ["state", "share"])
@pytest.mark.slow
def test_a_read_only_state_folder_or_share_is_named(tmp_path, read_only, what):
    folder = folder_in(tmp_path, "en")
    checked(folder)
    read_only(folder / ".duban" if what == "state" else folder)
    text = told(cli("check", str(folder), "--now", NOW))
    assert f"{folder / '.duban'}" in text and "read-only disk or share (mounted read-only)" in text
    assert "mount it read-write" in text


def _without_override() -> list[str]:
    """Run as root that must obey file modes (no CAP_DAC_OVERRIDE), or as this unprivileged user."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores file modes, and setpriv (to drop that right) is not installed")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", drop, "--inh-caps", drop]


@pytest.mark.slow
def test_a_state_folder_without_write_permission_is_named(tmp_path):
    folder = folder_in(tmp_path, "zh")
    state = folder / ".duban"
    state.mkdir()
    prefix = _without_override()
    state.chmod(0o555)
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", "from duban.jobs.cli import main; main()", "check",
                               str(folder), "--now", NOW], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        state.chmod(0o755)
    text = told(done)
    assert f"没有权限写入 {state}" in text and "写权限" in text


@pytest.mark.slow
def test_a_share_without_write_permission_refuses_each_workbook_with_the_reason(tmp_path):
    folder = folder_in(tmp_path, "en")
    (folder / ".duban").mkdir()
    prefix = _without_override()
    folder.chmod(0o555)
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", "from duban.jobs.cli import main; main()", "check",
                               str(folder), "--now", NOW], cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": "2000"})
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    refused = [line for line in done.stdout.splitlines() if "Tasks.xlsx" in line]
    assert refused and "refused" in refused[0] and f"No permission to write {folder}" in refused[0]
    assert "unexpected error" not in done.stdout


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    where.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield where
    subprocess.run(["umount", str(where)], capture_output=True)


def fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass


@pytest.mark.parametrize("job", ["check", "remind"])
@pytest.mark.slow
def test_a_full_disk_is_told_and_nothing_is_lost_once_space_returns(small_disk, job):
    folder = folder_in(small_disk, "zh")
    if job == "remind":
        checked(folder)
    before = {p.name: p.read_bytes() for p in folder.glob("*.xlsx")}
    fill(small_disk)
    text = told(cli(job, str(folder), "--now", NOW))
    assert f"磁盘已满：无法写入 {folder}" in text and "腾出空间" in text
    assert {p.name: p.read_bytes() for p in folder.glob("*.xlsx")} == before
    (small_disk / "filler").unlink()
    assert cli("check", str(folder), "--now", NOW).returncode == 0


# ---- 11: safe on a share -------------------------------------------------------------------------------
def test_a_fresh_state_db_uses_the_rollback_journal_not_wal(tmp_path):
    db = tmp_path / "state.db"
    conn = statedb.connect(db, SCHEMA)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert db.read_bytes()[18:20] == b"\x01\x01"            # file format: legacy (rollback journal), not WAL
    old = tmp_path / "old.db"                                # written by an older duban in WAL mode
    with sqlite3.connect(old) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    held = sqlite3.connect(old, isolation_level=None)           # an older duban still has it open
    held.execute("SELECT * FROM t").fetchall()
    conn = statedb.connect(old, SCHEMA)                          # used as it is meanwhile
    conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    held.close()
    statedb.connect(old, SCHEMA).close()
    assert old.read_bytes()[18:20] == b"\x01\x01" and not old.with_name("old.db-wal").exists()


HOLD = """
import sys, time
from pathlib import Path
from duban.jobs.settings import config
from duban.jobs.state.runlock import run_lock
folder = Path(sys.argv[1])
with run_lock(folder, config.load(folder), "check"):
    print("locked", flush=True)
    time.sleep(30)
"""

SAMBA = """
import fcntl, sys, time
with open(sys.argv[1], "a+") as fh:       # what Samba does for a Windows PC's lock of byte 0
    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0, 0)
    print("locked", flush=True)
    time.sleep(30)
"""


def _holding(code: str, arg: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", code, str(arg)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_the_run_lock_is_a_record_lock_another_process_sees(tmp_path):
    folder = folder_in(tmp_path, "en")
    lock = folder / ".duban" / "check.lock"
    holder = _holding(HOLD, folder)
    try:
        with open(lock, "a+") as fh:
            with pytest.raises(OSError):                     # EAGAIN / EACCES: held by the other process
                fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0, 0)
    finally:
        holder.kill()
        holder.wait()
    with open(lock, "a+") as fh:                              # the holder died: its lock went with it
        fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0, 0)


@pytest.mark.slow
def test_a_record_lock_taken_elsewhere_holds_a_job_off(tmp_path):
    folder = folder_in(tmp_path, "en")
    (folder / ".duban").mkdir(exist_ok=True)
    settings = config.load(folder, values={"state": {"lock_wait_seconds": 0.5}})
    holder = _holding(SAMBA, folder / ".duban" / "check.lock")
    try:
        with pytest.raises(DubanError, match="another duban job is running"):
            with run_lock(folder, settings, "check"):
                pass
    finally:
        holder.kill()
        holder.wait()
    with run_lock(folder, settings, "check"):
        pass


def test_two_writers_never_share_a_temp_file_name(tmp_path):
    host = socket.gethostname()
    names = []
    for _ in range(2):
        with replacing(tmp_path / f"{uuid.uuid4().hex}.xlsx") as tmp:
            names.append(tmp.name)
            tmp.write_bytes(b"x")
    assert all(f"-{os.getpid()}-" in n for n in names)
    assert all(("".join(c if c.isalnum() or c in "_-" else "_" for c in host))[:40] in n for n in names)


@pytest.mark.slow
def test_the_workbook_writers_temp_file_is_named_for_its_host_and_process_and_cleared_after_a_crash(tmp_path):
    folder = folder_in(tmp_path, "en")
    done = cli("check", str(folder), "--now", NOW, env={**os.environ, "DUBAN_CRASH_AT": "temp-written"})
    assert done.returncode == 137, done.stderr
    host = "".join(c if c.isalnum() or c in "_-" else "_" for c in socket.gethostname())[:40]
    left = [p.name for p in folder.iterdir() if ".duban-tmp" in p.name]
    assert len(left) == 1 and re.fullmatch(rf"\..+\.duban-tmp\.{re.escape(host)}-\d+-[0-9a-f]{{8}}\.xlsx", left[0])
    assert cli("check", str(folder), "--now", NOW).returncode == 0
    assert not [p for p in folder.iterdir() if ".duban-tmp" in p.name]


@pytest.mark.slow
def test_the_excel_console_shows_the_same_sentence_for_a_damaged_state_db(tmp_path):
    from duban.macros import console, layout as L
    from duban.macros.fake import FakeExcel

    folder = folder_in(tmp_path, "zh")
    db = checked(folder)
    db.write_bytes(os.urandom(20_000))
    excel = FakeExcel()
    book = excel.open_file(folder / L.CONSOLE_NAME)
    book.sheets[L.CONSOLE_SHEET["zh"]].write(L.ACTION_CELL, [[L.label("check", "zh")]])
    result = console.run(excel, book, now=NOW)
    assert result.error and result.sentence.startswith(f"状态数据库 {db} 已损坏")
    assert f"{db}.bak" in result.sentence and not (folder / ".duban" / "console.log").exists()
