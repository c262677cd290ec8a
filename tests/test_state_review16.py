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
def test_status_and_outbox_on_a_damaged_state_db_say_so_and_exit_1(tmp_path, command):
    folder = folder_in(tmp_path)
    done = cli("remind", str(folder), "--now", NOW)
    assert done.returncode == 0, done.stderr
    db = folder / ".duban" / "state.db"
    _damage_pages(db)
    text = told(cli(command[0], str(folder), *command[1:]))
    assert f"状态数据库 {db} 已损坏" in text and f"{db}.bak" in text and "state.db.damaged" in text


# ---- 4: the copy's time in the company's zone -----------------------------------------------------------
def test_the_good_copys_time_is_told_in_company_time(tmp_path):
    folder = folder_in(tmp_path, "en")              # company.timezone: Asia/Shanghai (UTC+8)
    db = checked(folder)
    saved = datetime(2026, 11, 23, 10, 23, tzinfo=timezone.utc).timestamp()
    os.utime(f"{db}.bak", (saved, saved))
    db.write_bytes(os.urandom(40_000))
    text = told(cli("status", str(folder), env=UTC))        # this machine's clock in UTC
    assert "(saved 2026-11-23 18:23)" in text, text


# ---- 5: --dry-run advised only to commands that accept it -----------------------------------------------
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


def test_the_excel_console_refuses_a_state_a_simulation_wrote(tmp_path):
    from macros import console, layout as L
    from macros.fake import FakeExcel

    folder = _simulated(tmp_path, "zh")
    excel = FakeExcel()
    book = excel.open_file(folder / L.CONSOLE_NAME)
    book.sheets[L.CONSOLE_SHEET["zh"]].write(L.ACTION_CELL, [[L.label("remind", "zh")]])
    result = console.run(excel, book)
    assert result.error and "模拟运行" in result.sentence and str(folder / ".duban") in result.sentence
