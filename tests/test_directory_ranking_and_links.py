"""Issue 16 review, three residues found by re-attacking the installed duban, on real files and the
real CLI: a contact list taken for a second directory must not redirect mail; a hard-linked
workbook must not be split in two by a write; a save that went into a backup is said on the terminal."""
from __future__ import annotations

import email
import email.policy
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.directory import ranked
from duban.workbooks.model.kinds import DIRECTORY
from test_bad_input import duban

NAME = col_letters([c.key for c in DIRECTORY.columns].index("name") + 1)


def demo(folder: Path) -> Path:
    done = duban("init", folder, "--demo")
    assert done.returncode == 0, done.stderr
    return folder


# ---- 1. a contact list taken for the directory never overrides the official one ---------------
def contact_list(folder: Path) -> Path:
    """A personal contact list: 3 of the directory's 8 columns, and an old address for 马超;
    its folder 研发部 sorts before 通讯录 (研 < 通)."""
    path = folder / "研发部" / "联系人.xlsx"
    path.parent.mkdir()
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "部门", "邮箱", "电话"])
    wb.active.append(["马超", "研发部", "machao-old@gmail.com", "139"])
    wb.save(path)
    return path


def official_row(folder: Path, name: str) -> int:
    ws = openpyxl.load_workbook(folder / DIRECTORY.filename("zh")).active
    return next(r for r in range(1, ws.max_row + 1) if ws[f"{NAME}{r}"].value == name)


@pytest.mark.slow
def test_a_contact_list_does_not_redirect_mail_and_the_duplicate_is_filed_on_it(tmp_path):
    folder = demo(tmp_path / "share")
    contact_list(folder)
    row = official_row(folder, "马超")
    done = duban("validate", folder, "--json")
    books = {b["file"]: b for b in json.loads(done.stdout)["workbooks"]}
    assert books["研发部/联系人.xlsx"]["kind"] == "directory"          # still taken for one, and said so
    official = [p for p in books[DIRECTORY.filename("zh")]["problems"] if p["code"] == "duplicate-person"]
    assert official == []                                         # the official row was called the duplicate
    [twice] = [p for p in books["研发部/联系人.xlsx"]["problems"] if p["code"] == "duplicate-person"]
    assert twice["cell"] == "A2"
    assert f"已列在{DIRECTORY.filename('zh')} 第{row}行" in twice["message"]
    assert "machao@" in twice["message"] and "machao-old" not in twice["message"]

    done = duban("remind", folder)
    assert done.returncode == 0, done.stderr
    to = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["To"].addresses[0].addr_spec
          for p in sorted((folder / "outbox").glob("*.eml"))]
    assert [a for a in to if a.startswith("machao")] and "machao-old@gmail.com" not in to


@pytest.mark.slow
def test_the_directory_most_clearly_a_directory_ranks_first(tmp_path):
    """More of its columns first; then the shallower path and the template's own name."""
    from books import NOW
    from duban.workbooks.read.reader import read_workbook

    folder = demo(tmp_path / "share")
    contact_list(folder)
    deeper = folder / "总部" / DIRECTORY.filename("zh")
    deeper.parent.mkdir()
    deeper.write_bytes((folder / DIRECTORY.filename("zh")).read_bytes())
    copy = folder / "通讯录备份.xlsx"
    copy.write_bytes((folder / DIRECTORY.filename("zh")).read_bytes())
    reads = [read_workbook(p, NOW.date()) for p in sorted([copy, deeper, folder / "研发部" / "联系人.xlsx",
                                                             folder / DIRECTORY.filename("zh")])]
    assert [r.path for r in ranked(reads)] == [folder / DIRECTORY.filename("zh"), copy, deeper,
                                              folder / "研发部" / "联系人.xlsx"]


# ---- 2. a hard-linked workbook is not split in two by a write ---------------------------------
@pytest.mark.slow
def test_a_workbook_with_a_second_name_in_the_share_is_not_written(tmp_path):
    import os

    folder = demo(tmp_path / "share")
    (folder / "部门").mkdir()
    book = folder / "部门" / "任务跟进表.xlsx"
    (folder / "任务跟进表.xlsx").rename(book)
    os.link(book, folder / "硬链接.xlsx")
    before = book.read_bytes()

    first = duban("check", folder)
    assert first.returncode == 1, first.stdout + first.stderr          # a refusal is loud
    said = " ".join(first.stderr.split())
    assert "部门/任务跟进表.xlsx" in said and "硬链接.xlsx" in said and "硬链接" in said and "符号链接" in said
    assert os.path.samefile(book, folder / "硬链接.xlsx") and book.read_bytes() == before   # one file, untouched

    again = duban("check", folder, "--json")
    books = {b["workbook"]: b for b in json.loads(again.stdout)["workbooks"]}
    assert len([w for w in books if w.endswith("任务跟进表.xlsx") or w.endswith("硬链接.xlsx")]) == 1
    [linked] = [b for w, b in books.items() if w.endswith(("任务跟进表.xlsx", "硬链接.xlsx"))]
    assert linked["write"] == "refused" and linked["new_ids"] == 15      # still the one file's 15 rows, unwritten
    assert sum(b["new_ids"] for b in books.values()) == 15               # 30 when the write had split it
    assert os.path.samefile(book, folder / "硬链接.xlsx")


@pytest.mark.slow
def test_a_second_name_outside_the_share_does_not_stop_the_write(tmp_path):
    import os

    folder = demo(tmp_path / "share")
    book = folder / "任务跟进表.xlsx"
    os.link(book, tmp_path / "elsewhere.xlsx")
    done = duban("check", folder, "--json")
    assert done.returncode == 0, done.stderr
    [wb] = [b for b in json.loads(done.stdout)["workbooks"] if b["workbook"] == "任务跟进表.xlsx"]
    assert wb["write"] == "written", wb["reason"]
    assert not os.path.samefile(book, tmp_path / "elsewhere.xlsx")      # the other name keeps the old version


# ---- 3. a save that went into a backup is said on the terminal, in red ------------------------
def coloured(*args) -> subprocess.CompletedProcess:
    """The CLI as a terminal that shows colours would get it (FORCE_COLOR, no NO_COLOR)."""
    import os
    import sys

    from test_bad_input import ROOT, RUN

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(FORCE_COLOR="1", COLUMNS="400", PYTHONIOENCODING="utf-8", TTY_COMPATIBLE="1")
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=ROOT, timeout=120)


@pytest.mark.slow
def test_a_save_through_a_held_handle_is_said_in_red_by_check_and_status(tmp_path):
    import io
    import os
    import re

    folder = demo(tmp_path / "share")
    book = folder / "任务跟进表.xlsx"
    fd = os.open(book, os.O_RDWR)                          # a sync tool opens the workbook
    try:
        assert duban("check", folder).returncode == 0       # duban writes: the old inode goes to the backups
        wb = openpyxl.load_workbook(book)
        wb.active["C2"] = "用户保存的内容"
        buf = io.BytesIO()
        wb.save(buf)
        os.lseek(fd, 0, 0)
        os.ftruncate(fd, 0)
        os.write(fd, buf.getvalue())                        # ... and saves through its handle afterwards
    finally:
        os.close(fd)
    [held] = [p for p in (folder / ".duban" / "backups").rglob("任务跟进表.*.xlsx")
              if openpyxl.load_workbook(p).active["C2"].value == "用户保存的内容"]

    def said(text: str) -> bool:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", " ".join(text.split()))
        return "有一次对 任务跟进表.xlsx 的保存没有进入工作簿" in plain and held.name in plain

    done = coloured("check", folder)
    assert said(done.stderr), done.stderr
    line = next(said_line for said_line in done.stderr.splitlines() if "有一次对" in said_line)
    assert "\x1b[1;31m" in line                                         # red, bold
    status = coloured("status", folder)
    assert said(status.stdout), status.stdout        # (click colours it red on a terminal only)
    data = json.loads(duban("status", folder, "--json").stdout)
    assert data["held_saves"] == [{"workbook": "任务跟进表.xlsx", "backup": str(held)}]


@pytest.mark.slow
def test_remind_says_the_save_in_a_backup_too(tmp_path):
    import os

    folder = demo(tmp_path / "share")
    book = folder / "任务跟进表.xlsx"
    fd = os.open(book, os.O_RDWR)
    try:
        assert duban("check", folder).returncode == 0
        os.lseek(fd, 0, os.SEEK_END)
        os.write(fd, b"\0")                  # any save through the held handle: the backup changed
    finally:
        os.close(fd)
    done = duban("remind", folder)
    assert "有一次对 任务跟进表.xlsx 的保存没有进入工作簿" in " ".join(done.stderr.split()), done.stderr
