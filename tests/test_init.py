"""`duban init`: what it writes for a new folder, and what `--force` keeps of what it replaces."""
from __future__ import annotations

import sqlite3
import tomllib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import python_calamine as calamine

from books import cli
from duban.jobs.init import init_folder
from duban.jobs.settings import config

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _clerks(folder) -> list[str]:
    return tomllib.loads((folder / "duban.toml").read_text(encoding="utf-8"))["mail"]["clerks"]


@pytest.mark.slow
def test_only_the_demo_names_a_clerk(tmp_path):
    init_folder(tmp_path / "plain", today=NOW.date())
    init_folder(tmp_path / "demo", demo=True, today=NOW.date())
    assert _clerks(tmp_path / "plain") == [] and config.checked(tmp_path / "plain")["mail"]["clerks"] == []
    assert _clerks(tmp_path / "demo") == ["王芳"]


@pytest.mark.slow
def test_force_keeps_every_replaced_file_and_the_old_journal(tmp_path):
    init_folder(tmp_path, demo=True, today=NOW.date())
    book = tmp_path / "任务跟进表.xlsx"
    assert cli("check", str(tmp_path), "--now", "2026-11-23T09:00").returncode == 0
    checked = book.read_bytes()
    created = init_folder(tmp_path, force=True, today=NOW.date(), now=NOW)
    assert created.kept_in == tmp_path / ".duban" / "replaced" / "20261123-090000"
    assert (created.kept_in / book.name).read_bytes() == checked       # the checked file, IDs and all
    assert sorted(p.name for p in created.kept_in.iterdir()) == sorted(
        [p.name for p in created] + ["state.db"])
    with sqlite3.connect(created.kept_in / "state.db") as old, sqlite3.connect(tmp_path / ".duban/state.db") as new:
        assert old.execute("SELECT count(*) FROM rows").fetchone()[0] > 0
        assert new.execute("SELECT count(*) FROM rows").fetchone()[0] == 0       # the journal starts afresh
    rows = calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_index(0).to_python()
    assert len([r for r in rows[1:] if any(r)]) == 0                            # the template replaced it
    again = init_folder(tmp_path, force=True, today=NOW.date(), now=NOW)       # same second: a new folder
    assert again.kept_in.name == "20261123-090000-2"


@pytest.mark.slow
def test_running_the_demo_line_twice_does_not_mail_everyone_twice(tmp_path):
    folder = tmp_path / "demo"
    for attempt in range(2):
        assert cli("init", str(folder), "--demo", "--force").returncode == 0
        remind = cli("remind", str(folder), "--now", "2026-11-23T10:00")
        assert remind.returncode == 0, remind.stderr
        if attempt == 0:
            first = sorted((folder / "outbox").glob("*.eml"))
            assert len(first) > 5
    assert sorted((folder / "outbox").glob("*.eml")) == first
    assert "封邮件此前已发出，内容未变，未重复发送" in remind.stdout
    assert "被替换的文件和原变更日志已保存在" in cli("init", str(folder), "--demo", "--force").stdout


@pytest.mark.slow
def test_force_does_not_replace_a_workbook_someone_has_open(tmp_path):
    init_folder(tmp_path, demo=True, today=NOW.date())
    book = tmp_path / "任务跟进表.xlsx"
    before = book.read_bytes()
    (tmp_path / "~$任务跟进表.xlsx").write_bytes(bytes([4]) + b"wang" + b"\0" * 60)
    result = cli("init", str(tmp_path), "--force")
    assert result.returncode == 2 and "nothing was replaced" in result.stderr
    assert book.read_bytes() == before and not (tmp_path / ".duban" / "replaced").exists()
