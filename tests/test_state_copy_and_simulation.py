"""Issue 16 review, the state: a lost state.db never costs its last good copy; a state a
simulation wrote is refused by every job that would change it; readers see a damaged state.db;
the copy's time is told in company time; --dry-run is advised only where it is accepted.

Real processes (`duban …` through jobs.cli.main), real folders, real SQLite files."""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from books import cli
from test_state_faults import NOW, checked, folder_in, read_only, told  # noqa: F401 - read_only: a fixture

UTC = {**os.environ, "TZ": "UTC"}


def _damage_pages(db: Path) -> None:
    """Garbage inside every page after the first (the header still says SQLite): what a bad
    sector or a torn copy leaves, and what SQLite reads without complaint until it meets it."""
    data = bytearray(db.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset + 100:offset + 400] = b"\xde\xad" * 150
    db.write_bytes(bytes(data))


# ---- 3: status and the outbox listing see a damaged state.db ---------------------------------------
@pytest.mark.parametrize("command", [("status",), ("status", "--json"), ("outbox",)])
@pytest.mark.slow
def test_status_and_outbox_on_a_damaged_state_db_say_so_and_exit_1(tmp_path, command):
    folder = folder_in(tmp_path)
    done = cli("remind", str(folder), "--now", NOW)
    assert done.returncode == 0, done.stderr
    db = folder / ".duban" / "state.db"
    _damage_pages(db)
    text = told(cli(command[0], str(folder), *command[1:]))
    assert f"状态数据库 {db} 已损坏" in text and f"{db}.bak" in text and "state.db.damaged" in text


# ---- 4: the copy's time in the company's zone -----------------------------------------------------------
@pytest.mark.slow
def test_the_good_copys_time_is_told_in_company_time(tmp_path):
    folder = folder_in(tmp_path, "en")              # company.timezone: Asia/Shanghai (UTC+8)
    db = checked(folder)
    saved = datetime(2026, 11, 23, 10, 23, tzinfo=timezone.utc).timestamp()
    os.utime(f"{db}.bak", (saved, saved))
    db.write_bytes(os.urandom(40_000))
    text = told(cli("status", str(folder), env=UTC))        # this machine's clock in UTC
    assert "(saved 2026-11-23 18:23)" in text, text


# ---- 5: --dry-run advised only to commands that accept it -----------------------------------------------
@pytest.mark.slow
def test_a_read_only_state_advises_dry_run_only_where_it_is_accepted(tmp_path, read_only):  # noqa: F811
    folder = folder_in(tmp_path, "en")
    checked(folder)
    read_only(folder / ".duban")
    check = told(cli("check", str(folder), "--now", NOW))
    assert "read-only disk or share" in check and "add --dry-run" in check
    for command in (("outbox", str(folder), "--retry"), ("serve", str(folder))):
        text = told(cli(*command))
        assert "read-only disk or share" in text and "--dry-run" not in text, (command, text)


# ---- 2: a state a simulation wrote is refused by every job that would change it -------------------------
def _simulated(tmp_path: Path, lang: str) -> Path:
    folder = folder_in(tmp_path, lang)
    start = datetime.now() + timedelta(days=1)
    done = cli("serve", str(folder), "--from", start.isoformat(timespec="minutes"),
               "--until", (start + timedelta(days=1)).isoformat(timespec="minutes"))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_jobs_refuse_a_state_a_simulation_wrote_with_serves_sentence(tmp_path, lang):
    folder = _simulated(tmp_path, lang)
    db = folder / ".duban" / "state.db"
    served = told(cli("serve", str(folder)))
    sentence = served.removeprefix("duban: ").strip()
    assert str(db.parent) in sentence and ("模拟运行" in sentence if lang == "zh" else "simulated run" in sentence)
    assert ("副本" in sentence) if lang == "zh" else ("copy of the folder" in sentence)
    with sqlite3.connect(db) as con:
        before = con.execute("SELECT COUNT(*) FROM notified").fetchone()[0]
    outbox = len(list((folder / "outbox").glob("*.eml")))
    for command in (("check",), ("remind",), ("alert",), ("summary", "--week")):
        done = cli(command[0], str(folder), *command[1:])
        assert done.returncode == 1 and done.stderr.removeprefix("duban: ").strip() == sentence, (command, done)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM notified").fetchone()[0] == before
    assert len(list((folder / "outbox").glob("*.eml"))) == outbox
    for command in (("check", "--dry-run"), ("remind", "--dry-run")):       # only looking is fine
        done = cli(command[0], str(folder), *command[1:])
        assert done.returncode == 0, (command, done.stderr)


@pytest.mark.slow
def test_the_excel_console_refuses_a_state_a_simulation_wrote(tmp_path):
    from duban.macros import console, layout as L
    from duban.macros.fake import FakeExcel

    folder = _simulated(tmp_path, "zh")
    excel = FakeExcel()
    book = excel.open_file(folder / L.CONSOLE_NAME)
    book.sheets[L.CONSOLE_SHEET["zh"]].write(L.ACTION_CELL, [[L.label("remind", "zh")]])
    result = console.run(excel, book)
    assert result.error and "模拟运行" in result.sentence and str(folder / ".duban") in result.sentence


# ---- 1: a lost state.db never costs its last good copy, nor "already sent" ------------------------------
def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as con:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _reminded(tmp_path: Path) -> tuple[Path, Path, int]:
    """A folder reminded once at NOW: (folder, state.db, mails in outbox/)."""
    folder = folder_in(tmp_path)
    done = cli("remind", str(folder), "--now", NOW)
    assert done.returncode == 0, done.stderr
    db = folder / ".duban" / "state.db"
    assert _count(Path(f"{db}.bak"), "rows") > 0 and _count(Path(f"{db}.bak"), "notified") > 0
    return folder, db, len(list((folder / "outbox").glob("*.eml")))


def _said(done) -> str:
    """The terminal's words, without the line breaks and spaces it wraps long lines at."""
    return "".join((done.stdout + done.stderr).split())


def _kept(db: Path) -> list[Path]:
    return sorted(db.parent.glob("state.db.bak-*"))


@pytest.mark.parametrize("first", ["check", "outbox"])
@pytest.mark.slow
def test_a_deleted_state_db_keeps_its_last_good_copy_and_the_warning_names_it(tmp_path, first):
    from zoneinfo import ZoneInfo

    folder, db, _mails = _reminded(tmp_path)
    rows, notified = _count(Path(f"{db}.bak"), "rows"), _count(Path(f"{db}.bak"), "notified")
    db.unlink()
    if first == "outbox":           # a job that changes the state but checks no workbook runs first
        assert cli("outbox", str(folder), "--retry", "--now", "2026-11-23T09:30").returncode == 0
    done = cli("check", str(folder), "--now", "2026-11-23T10:00", env=UTC)
    assert done.returncode == 0, done.stderr
    [kept] = _kept(db)
    assert (_count(kept, "rows"), _count(kept, "notified")) == (rows, notified)     # the real state, whole
    saved = datetime.fromtimestamp(kept.stat().st_mtime, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    text = _said(done)
    assert f"另存为{kept}（保存于{saved}）".replace(" ", "") in text and f"把{kept}复制为{db}" in text, text
    assert "state.db.new" in text
    again = cli("check", str(folder), "--now", "2026-11-23T11:00")      # later runs never replace it
    assert again.returncode == 0 and _kept(db) == [kept] and _count(kept, "rows") == rows
    # doing what it says brings the journal back
    db.rename(db.with_name("state.db.new"))
    kept_bytes = kept.read_bytes()
    db.write_bytes(kept_bytes)
    assert cli("check", str(folder), "--now", "2026-11-23T12:00").returncode == 0
    assert _count(db, "notified") >= notified and _count(db, "events") >= _count(kept, "events")
    assert "状态文件" not in _said(cli("check", str(folder), "--now", "2026-11-23T12:30"))


@pytest.mark.slow
def test_state_and_ledger_copy_both_lost_sends_nothing_twice(tmp_path):
    folder, db, mails = _reminded(tmp_path)
    db.unlink()
    (folder / ".duban" / "ledger-copy.jsonl").unlink()
    done = cli("remind", str(folder), "--now", "2026-11-23T10:00")
    assert done.returncode == 0, done.stderr
    assert len(list((folder / "outbox").glob("*.eml"))) == mails         # not one mail twice
    text = _said(done)
    assert "不会重发" in text and str(_kept(db)[0]) in text


@pytest.mark.slow
def test_an_emptied_state_db_keeps_its_last_good_copy(tmp_path):
    folder, db, mails = _reminded(tmp_path)
    notified = _count(db, "notified")
    with sqlite3.connect(db) as con:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                    "AND name NOT LIKE 'sqlite%'").fetchall():
            con.execute(f"DELETE FROM {table}")
    (folder / ".duban" / "ledger-copy.jsonl").unlink()
    done = cli("remind", str(folder), "--now", "2026-11-23T10:00")
    assert done.returncode == 0, done.stderr
    [kept] = _kept(db)
    assert _count(kept, "notified") == notified and _count(kept, "rows") > 0
    assert len(list((folder / "outbox").glob("*.eml"))) == mails
    assert str(kept) in _said(done)
