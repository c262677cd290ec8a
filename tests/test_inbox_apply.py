"""A verified reply written into its workbook: the exact cells, in the workbook's words, typed as
Excel wants them (a date a date, a percent a percent), every other cell as it was, a backup of
the version read, a "reply" event in the journal and `history`; an open file makes the change
wait, never lose it; a reply is written once; who may change which row.

Real workbooks from the templates, a real check first (IDs), the real state database.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

import lo
from books import NOW, cells_xml, cli, make_book, owner_file, settings, sheet_xml, task
from duban.jobs.check import check_folder
from duban.jobs.inbox.apply import apply_pending
from duban.jobs.inbox.changes import Change, ChangeStore
from duban.jobs.state.journal import Journal
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.read.reader import read_workbook

UTC = ZoneInfo("UTC")
RECEIVED = datetime(2026, 11, 23, 2, 42, tzinfo=UTC)      # 10:42 in Shanghai
LATER = NOW.replace(hour=11)
PEOPLE = [
    {"name": "张伟", "department": "研发部", "email": "zhang.wei@example.com", "dept_head": "yes", "language": "zh"},
    {"name": "李娜", "department": "研发部", "email": "li.na@example.com", "dept_head": "no", "language": "zh",
     "away_until": date(2026, 11, 30), "stand_in": "王芳"},
    {"name": "王芳", "department": "财务部", "email": "wang.fang@example.com", "dept_head": "yes", "language": "zh"},
]
needs_lo = pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)


def folder_with(tmp_path: Path, kind: str = "tasks", rows: list[dict] | None = None, **kw) -> tuple[Path, Path]:
    folder = tmp_path / "share"
    folder.mkdir()
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=PEOPLE)
    if kind == "tasks":
        book = make_book(folder, rows if rows is not None else [task("季度报表", owner="张伟", progress=0.5),
                                                                task("预算", owner="李娜", status="not_started")])
    else:
        book = write_workbook(kind, folder / KINDS[kind].filename("zh"), rows=rows or [], names=["张伟", "李娜", "王芳"])
    check_folder(folder, settings(), NOW, **kw)
    return folder, book


def reply(folder: Path, item: str, command: str, value: str | None = None, person: str = "张伟",
          message_id: str | None = None, received: datetime = RECEIVED) -> bool:
    with ChangeStore(folder / ".duban" / "state.db") as store:
        return store.add(Change(message_id or f"<{item}-{command}-{value}@mail>", item, person, command, value,
                                received, f"{person}@example.com"))


def run(folder: Path, now: datetime = LATER):
    return apply_pending(folder, settings(), now)


def ref(kind: str, key: str, row: int) -> str:
    return f"{col_letters([c.key for c in KINDS[kind].columns].index(key) + 1)}{row}"


def record(book: Path, row: int):
    read = read_workbook(book, LATER.date())
    return next(r for r in read.records if r.row == row)


def others_unchanged(before: dict[str, bytes], book: Path, changed: set[str]) -> None:
    """Every cell's XML but the changed ones, byte for byte as before."""
    after = cells_xml(book, sheet_of(book))
    assert {r: x for r, x in after.items() if r not in changed} == {r: x for r, x in before.items() if r not in changed}
    assert changed <= set(after)


def sheet_of(book: Path) -> str:
    return next(k.sheet("zh") for k in KINDS.values() if k.filename("zh") == book.name)


# ---- what a reply writes -------------------------------------------------------------------------
def test_done_writes_status_progress_and_the_update_day_and_nothing_else(tmp_path):
    folder, book = folder_with(tmp_path)
    before = cells_xml(book)
    assert reply(folder, "T-000001", "done")
    [outcome] = run(folder)
    assert (outcome.status, outcome.workbook, outcome.row) == ("applied", "任务跟进表.xlsx", 2)
    assert outcome.cells == {"状态": "已完成", "当前进度": "100%", "反馈时间": "2026-11-23"}
    rec = record(book, 2)
    assert (rec["status"], rec["progress"], rec["last_update"]) == ("done", 1.0, date(2026, 11, 23))
    others_unchanged(before, book, {ref("tasks", k, 2) for k in ("status", "progress", "last_update")})
    ws = openpyxl.load_workbook(book)["任务跟进表"]
    assert ws[ref("tasks", "status", 2)].value == "已完成"
    progress, updated = ws[ref("tasks", "progress", 2)], ws[ref("tasks", "last_update", 2)]
    assert progress.value == 1 and progress.number_format == "0%"               # a number, the template's format
    assert updated.is_date and updated.value == datetime(2026, 11, 23) and updated.number_format == "yyyy-mm-dd"
    assert list((folder / ".duban" / "backups").glob("任务跟进表*.xlsx"))       # the version read is kept


def test_the_reply_is_in_the_journal_and_history_says_who_and_when(tmp_path):
    folder, _book = folder_with(tmp_path)
    reply(folder, "T-000001", "done")
    run(folder)
    journal = Journal(folder / ".duban" / "state.db")
    try:
        [event] = [e for e in journal.events("T-000001") if e["event"] == "reply"]
        status = [e for e in journal.events("T-000001") if e["event"] == "status"]
    finally:
        journal.close()
    assert event["at"] == "2026-11-23T10:42:00+08:00"
    assert json.loads(event["detail"]) == {"by": "张伟", "at": "2026-11-23T10:42:00+08:00", "command": "done",
                                           "cells": {"状态": "已完成", "当前进度": "100%", "反馈时间": "2026-11-23"},
                                           "sender": "张伟@example.com"}
    assert json.loads(status[0]["detail"]) == ["in_progress", "done"]        # the row's new values recorded at once
    shown = cli("history", str(folder), "T-000001", env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"})
    assert shown.returncode == 0, shown.stderr
    flat = "".join(shown.stdout.replace("│", "").split())
    said = "由张伟通过邮件回复修改（11-23 10:42）：状态 → 已完成；当前进度 → 100%；反馈时间 → 2026-11-23"
    assert said.replace(" ", "") in flat            # (the table folds long cells: compared without spaces)


def test_history_in_english():
    from duban.jobs.terminal.events import event_detail, event_name
    detail = json.dumps({"by": "李娜", "at": "2026-12-07T10:42:00+08:00", "cells": {"Status": "Done"}})
    assert event_name("reply", "en") == "reply by mail"
    assert event_detail("T-000001", "reply", detail, "en") == "by reply from 李娜 at 12-07 10:42: Status → Done"
    assert event_detail("T-000001", "reply", detail, "zh") == "由李娜通过邮件回复修改（12-07 10:42）：Status → Done"


def test_progress_is_a_percent_number_and_starts_a_row_not_started(tmp_path):
    folder, book = folder_with(tmp_path)
    before = cells_xml(book)
    reply(folder, "T-000002", "progress", "75", person="李娜")
    [outcome] = run(folder)
    assert outcome.cells == {"当前进度": "75%", "状态": "进行中", "反馈时间": "2026-11-23"}
    others_unchanged(before, book, {ref("tasks", k, 3) for k in ("status", "progress", "last_update")})
    cell = openpyxl.load_workbook(book)["任务跟进表"][ref("tasks", "progress", 3)]
    assert (cell.value, cell.data_type, cell.number_format) == (0.75, "n", "0%")
    assert record(book, 3)["status"] == "in_progress"


def test_a_note_is_appended_on_a_new_line_with_day_and_name(tmp_path):
    folder, book = folder_with(tmp_path, rows=[task("季度报表", note="等待数据")])
    reply(folder, "T-000001", "note", "财务已确认，周五交")
    [outcome] = run(folder)
    assert outcome.cells == {"完成情况简述": "11-23 张伟：财务已确认，周五交", "反馈时间": "2026-11-23"}
    assert record(book, 2)["note"] == "等待数据\n11-23 张伟：财务已确认，周五交"
    reply(folder, "T-000001", "note", "已交", message_id="<second@mail>")
    run(folder)
    assert record(book, 2)["note"] == "等待数据\n11-23 张伟：财务已确认，周五交\n11-23 张伟：已交"


def test_a_note_written_but_not_yet_recorded_as_written_is_not_appended_twice(tmp_path):
    """A run stopped after the file was written and before the change was settled: the next run
    finds the line already ending the cell and writes nothing more, journals nothing more."""
    import sqlite3

    folder, book = folder_with(tmp_path)
    reply(folder, "T-000001", "note", "等财务确认")
    [first] = run(folder)
    assert first.status == "applied"
    db = sqlite3.connect(folder / ".duban" / "state.db")
    with db:
        db.execute("UPDATE reply_changes SET status='pending'")     # as if the settle never happened
    [again] = run(folder)
    assert (again.status, again.code) == ("applied", "unchanged")
    assert record(book, 2)["note"].count("等财务确认") == 1
    assert db.execute("SELECT COUNT(*) FROM events WHERE event='reply'").fetchone()[0] == 1


def test_help_blocks_the_row_and_names_the_department(tmp_path):
    folder, book = folder_with(tmp_path)
    reply(folder, "T-000001", "help", "财务部")
    [outcome] = run(folder)
    assert outcome.cells == {"状态": "阻塞", "需协助部门": "财务部", "反馈时间": "2026-11-23"}
    rec = record(book, 2)
    assert (rec["status"], rec["help_from"]) == ("blocked", "财务部")


def test_snooze_writes_a_real_date(tmp_path):
    folder, book = folder_with(tmp_path)
    reply(folder, "T-000001", "snooze", "2026-12-10")
    [outcome] = run(folder)
    assert outcome.status == "applied"
    cell = openpyxl.load_workbook(book)["任务跟进表"][ref("tasks", "snoozed", 2)]
    assert cell.is_date and cell.value == datetime(2026, 12, 10)
    assert record(book, 2)["snoozed"] == date(2026, 12, 10)


def test_a_workbook_in_the_1904_date_system_gets_the_same_date(tmp_path):
    """Old Mac templates count days from 1904: the day number written must be theirs, or Excel
    shows 2030-12-11 for 2026-12-10."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    folder, book = folder_with(tmp_path)
    wb = openpyxl.load_workbook(book)
    wb.epoch = CALENDAR_MAC_1904
    wb.save(book)
    reply(folder, "T-000001", "snooze", "2026-12-10")
    [outcome] = run(folder)
    assert outcome.status == "applied"
    again = openpyxl.load_workbook(book)
    assert again.epoch == CALENDAR_MAC_1904
    assert again["任务跟进表"][ref("tasks", "snoozed", 2)].value == datetime(2026, 12, 10)
    assert record(book, 2)["snoozed"] == date(2026, 12, 10)


def test_a_cell_without_a_date_format_is_given_one_and_keeps_its_font(tmp_path):
    folder, book = folder_with(tmp_path)
    wb = openpyxl.load_workbook(book)
    cell = wb["任务跟进表"][ref("tasks", "snoozed", 2)]
    cell.number_format, cell.font = "General", openpyxl.styles.Font(name="宋体", bold=True, sz=13)
    wb.save(book)
    check_folder(folder, settings(), NOW)
    reply(folder, "T-000001", "snooze", "2026-12-10")
    run(folder)
    cell = openpyxl.load_workbook(book)["任务跟进表"][ref("tasks", "snoozed", 2)]
    assert cell.is_date and cell.value == datetime(2026, 12, 10) and cell.number_format == "yyyy-mm-dd"
    assert (cell.font.name, cell.font.b, cell.font.sz) == ("宋体", True, 13)


def test_acknowledging_a_request_fills_the_time_once_and_receives_it(tmp_path):
    rows = [{"request": "新增报表", "from_dept": "财务部", "requester": "王芳", "to_dept": "研发部", "receiver": "张伟",
             "submitted": datetime(2026, 11, 23, 9, 30), "status": "pending"}]
    folder, book = folder_with(tmp_path, "requests", rows)
    before = cells_xml(book, "跨部门协作需求单")
    reply(folder, "R-000001", "acknowledge")
    [outcome] = run(folder)
    assert outcome.cells == {"确认接收时间": "2026-11-23 10:42", "状态": "已接收"}
    others_unchanged(before, book, {ref("requests", "acknowledged", 2), ref("requests", "status", 2)})
    cell = openpyxl.load_workbook(book)["跨部门协作需求单"][ref("requests", "acknowledged", 2)]
    assert cell.is_date and cell.value == datetime(2026, 11, 23, 10, 42)
    stamp = (book.stat().st_mtime_ns, sheet_xml(book, "跨部门协作需求单"))
    reply(folder, "R-000001", "acknowledge", message_id="<again@mail>", received=RECEIVED + timedelta(hours=1))
    [again] = run(folder)
    assert (again.status, again.code, again.cells) == ("applied", "unchanged", {})
    assert "无需修改" in again.zh and "nothing was changed" in again.en
    assert (book.stat().st_mtime_ns, sheet_xml(book, "跨部门协作需求单")) == stamp      # the first acknowledgement stands


def test_acknowledging_an_incident_fills_the_response_time(tmp_path):
    rows = [{"type": "system", "reporter": "王芳", "occurred": datetime(2026, 11, 23, 8, 0), "description": "系统宕机",
             "department": "研发部", "responder": "张伟", "status": "awaiting"}]
    folder, book = folder_with(tmp_path, "incidents", rows)
    ident = read_workbook(book, LATER.date()).records[0].id
    reply(folder, ident, "acknowledge")
    [outcome] = run(folder)
    assert outcome.cells == {"响应时间": "2026-11-23 10:42", "状态": "处理中"}
    rec = record(book, 2)
    assert (rec["responded"], rec["status"]) == (datetime(2026, 11, 23, 10, 42), "in_progress")


# ---- when it cannot be written now ---------------------------------------------------------------
def test_an_open_workbook_makes_the_change_wait_and_it_lands_later(tmp_path):
    folder, book = folder_with(tmp_path)
    lock = owner_file(book, "李娜")
    reply(folder, "T-000001", "done")
    before = book.read_bytes()
    [first] = run(folder)
    assert first.status == "waiting" and book.read_bytes() == before
    [second] = run(folder)                     # still open: still waiting, still there
    assert second.status == "waiting"
    lock.unlink()
    [third] = run(folder)
    assert third.status == "applied" and record(book, 2)["status"] == "done"
    assert run(folder) == []                   # settled: never again


def test_a_workbook_left_open_for_days_ends_the_wait_and_the_person_is_told(tmp_path):
    """A book open on someone's PC for days (or a stale lock file): after mail.give_up_days the reply
    is refused with a sentence saying so, never left waiting silently for ever."""
    folder, book = folder_with(tmp_path)
    owner_file(book, "李娜")
    reply(folder, "T-000001", "done")
    [first] = run(folder)
    assert first.status == "waiting" and "李娜" in first.zh and "李娜" in first.en      # who has it open
    [late] = run(folder, LATER + timedelta(days=3))
    assert (late.status, late.code) == ("refused", "not-written")
    assert "3天无法写入" in late.zh and "could not be written for 3 days" in late.en
    assert record(book, 2)["status"] != "done" and run(folder, LATER + timedelta(days=4)) == []


def test_a_workbook_unreadable_for_now_keeps_its_change_waiting(tmp_path):
    folder, book = folder_with(tmp_path)
    good = book.read_bytes()
    book.write_bytes(good[: len(good) // 2])            # caught half-saved
    reply(folder, "T-000001", "done")
    [first] = run(folder)
    assert (first.status, first.code, first.workbook) == ("waiting", "", "任务跟进表.xlsx")
    book.write_bytes(good)
    [second] = run(folder)
    assert second.status == "applied" and record(book, 2)["status"] == "done"


def test_a_workbook_unreadable_for_days_is_given_up(tmp_path):
    folder, book = folder_with(tmp_path)
    book.write_bytes(b"not a workbook")
    reply(folder, "T-000001", "done")
    assert run(folder)[0].status == "waiting"
    [late] = run(folder, LATER + timedelta(days=4))
    assert (late.status, late.code) == ("refused", "not-written") and "无法写入" in late.zh


def test_a_reply_is_written_once(tmp_path):
    folder, book = folder_with(tmp_path)
    assert reply(folder, "T-000001", "note", "一次", message_id="<once@mail>")
    run(folder)
    assert not reply(folder, "T-000001", "note", "一次", message_id="<once@mail>")     # the same mail again
    assert run(folder) == []
    assert record(book, 2)["note"] == "11-23 张伟：一次"


def test_a_write_the_write_back_refuses_waits_with_its_reason_then_gives_up(tmp_path):
    folder, book = folder_with(tmp_path)
    with zipfile.ZipFile(book) as zf:                # the sheet part damaged: the write-back refuses it
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet1"))
    parts[sheet] = parts[sheet].replace(b'<c r="A2"', b'<c r="A2"/><c r="A2"', 1)
    with zipfile.ZipFile(book, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    reply(folder, "T-000001", "done")
    [waiting] = run(folder)
    assert (waiting.status, waiting.code) == ("waiting", "write-refused")
    assert "暂时无法写入" in waiting.zh and "cannot be written now" in waiting.en
    [given_up] = run(folder, LATER + timedelta(days=4))
    assert (given_up.status, given_up.code) == ("refused", "not-written")
    assert "3天无法写入" in given_up.zh and "for 3 days" in given_up.en
    assert run(folder) == []


# ---- who may change what ----------------------------------------------------------------------------
def test_not_the_owner_is_refused_and_nothing_written(tmp_path):
    folder, book = folder_with(tmp_path)
    before = book.read_bytes()
    reply(folder, "T-000001", "done", person="王芳")
    [outcome] = run(folder)
    assert (outcome.status, outcome.code) == ("refused", "not-yours")
    assert outcome.zh.startswith("T-000001 的负责人是张伟，不是王芳") and "The owner of T-000001 is 张伟" in outcome.en
    assert book.read_bytes() == before
    assert run(folder) == []


def test_the_stand_in_may_reply_only_while_the_owner_is_away(tmp_path):
    folder, book = folder_with(tmp_path)      # 李娜 owns row 3 and is away until 11-30; 王芳 stands in
    reply(folder, "T-000002", "progress", "25", person="王芳")
    [outcome] = run(folder)
    assert outcome.status == "applied" and record(book, 3)["progress"] == 0.25
    reply(folder, "T-000002", "progress", "50", person="王芳", received=RECEIVED + timedelta(days=10))
    [late] = run(folder, LATER + timedelta(days=10))       # 李娜 is back: her stand-in no longer may
    assert (late.status, late.code) == ("refused", "not-yours")
    assert late.zh.startswith("李娜的休假已于 2026-11-30 结束，王芳的代理已到期") and "李娜's leave ended on 2026-11-30" in late.en
    assert record(book, 3)["progress"] == 0.25


def test_a_row_deleted_since_is_gone(tmp_path):
    folder, book = folder_with(tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["任务跟进表"].delete_rows(2)
    wb.save(book)
    reply(folder, "T-000001", "done")
    reply(folder, "T-999999", "done")
    outcomes = run(folder)
    assert [(o.change.item, o.status, o.code) for o in outcomes] == [("T-000001", "refused", "gone"),
                                                                     ("T-999999", "refused", "gone")]
    assert "已不在工作簿中" in outcomes[0].zh and "no longer in the workbook" in outcomes[0].en


def test_snooze_without_the_column_asks_for_it(tmp_path):
    folder, book = folder_with(tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["任务跟进表"]
    ws.delete_cols([c.key for c in KINDS["tasks"].columns].index("snoozed") + 1)
    wb.save(book)
    check_folder(folder, settings(), NOW)
    reply(folder, "T-000001", "snooze", "2026-12-10")
    [outcome] = run(folder)
    assert (outcome.status, outcome.code) == ("refused", "no-column")
    assert "没有“暂缓至”列" in outcome.zh and "duban init" in outcome.zh and "'Snooze until' column" in outcome.en


def test_acknowledge_on_a_task_is_refused_with_a_sentence(tmp_path):
    folder, _book = folder_with(tmp_path)
    reply(folder, "T-000001", "acknowledge")
    [outcome] = run(folder)
    assert (outcome.status, outcome.code) == ("refused", "not-for-kind")
    assert "任务跟进表的行不能用“已收到”指令修改" in outcome.zh and "cannot be changed with 'received'" in outcome.en


def test_a_row_without_an_id_yet_is_found_by_its_provisional_key(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=PEOPLE)
    book = make_book(folder, [task("季度报表")])
    reply(folder, "任务跟进表.xlsx!2", "done")
    [outcome] = run(folder)
    assert outcome.status == "applied" and record(book, 2)["status"] == "done"
    check_folder(folder, settings(), NOW)                     # the row gets its ID
    reply(folder, "任务跟进表.xlsx!2", "note", "x", message_id="<late@mail>")
    [late] = run(folder)
    assert (late.status, late.code) == ("refused", "gone")    # the key named a row without an ID


@needs_lo
@pytest.mark.slow
def test_libreoffice_reads_the_written_cells_as_a_date_and_a_percent(tmp_path):
    folder, book = folder_with(tmp_path)
    reply(folder, "T-000001", "snooze", "2026-12-10")
    reply(folder, "T-000002", "progress", "75", person="李娜")
    run(folder)
    out = tmp_path / "csv"
    out.mkdir()
    shutil.copy(book, out / "book.xlsx")
    [converted] = lo.convert_all([out / "book.xlsx"], lo.CSV_UTF8, out / "out")
    rows = list(csv.reader(converted.open(encoding="utf-8")))
    keys = [c.key for c in KINDS["tasks"].columns]
    assert rows[1][keys.index("snoozed")] == "2026-12-10"
    assert rows[2][keys.index("progress")] == "75%"
    assert rows[2][keys.index("status")] == "进行中"
