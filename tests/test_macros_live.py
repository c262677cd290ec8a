"""Live recolouring (issue 13): a tracker open in the console's Excel is updated through Excel, journaled once."""
from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from duban.jobs.check import check_folder
from duban.jobs.init import init_folder
from duban.jobs.settings import config
from duban.jobs.time import clock
from duban.macros import console, layout as L
from duban.macros.excel import ExcelBusy
from duban.macros.fake import FakeExcel, FakeSheet
from duban.macros.live import LiveApplier, _paint, colours_of
from duban.workbooks.model.flags import PALETTE
from duban.workbooks.write.plan import Paint

NOW = "2026-11-23T09:00"
TASKS = "任务跟进表.xlsx"


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "共享 盘" / "部门 A"
    init_folder(folder, demo=True, today=date(2026, 11, 23))
    return folder


def check_from_console(folder: Path, excel: FakeExcel):
    book = excel.open_file(folder / L.CONSOLE_NAME)
    book.sheets["督办控制台"].write(L.ACTION_CELL, [["立即检查"]])
    return console.run(excel, book, now=NOW), book


def journal(folder: Path, sql: str, *args):
    with sqlite3.connect(folder / ".duban" / "state.db") as db:
        return db.execute(sql, args).fetchall()


@pytest.mark.slow
def test_an_open_tracker_is_written_through_excel_and_journaled_once(folder):
    excel = FakeExcel()
    tracker = excel.open_file(folder / TASKS)
    result, book = check_from_console(folder, excel)
    assert not result.error, result.sentence
    assert tracker.saves == 1                                   # saved by "Excel", not patched under it
    assert "（其中 1 个通过 Excel）" in result.sentence
    rows = book.sheets["督办控制台"].rows(int(L.RAN_CELL[1:]), width=L.WIDTH)
    assert [TASKS, 15] == next(r for r in rows if r and r[0] == TASKS)[:2]
    assert "已写入（通过 Excel 并保存）" in next(r for r in rows if r and r[0] == TASKS)[3]
    # on disk: every row has its ID, flagged rows their Alerts, status cells their colours
    data = CalamineWorkbook.from_path(str(folder / TASKS)).get_sheet_by_name("任务跟进表").to_python()
    header = data[0]
    ids = [row[header.index("编号")] for row in data[1:] if any(row)]
    assert len(ids) == 15 and all(i.startswith("T-") for i in ids)
    sheet = tracker.sheets["任务跟进表"]
    status_col = header.index("状态") + 1
    blocked = next(r for r, row in enumerate(data[1:], 2) if row[header.index("状态")] == "阻塞")
    assert sheet.colours[(blocked, status_col)][:2] == (PALETTE["orange"].fill, PALETTE["orange"].font)
    assert data[blocked - 1][header.index("系统提示")].startswith("阻塞")
    # the journal: each row once, the painted cells with their own (uncoloured) format, nothing pending
    assert journal(folder, "SELECT COUNT(*) FROM rows WHERE workbook=?", TASKS) == [(15,)]
    painted = journal(folder, "SELECT p.colour, COALESCE(f.spec, p.original) FROM painted p "     # formats stored once
                              "LEFT JOIN formats f ON f.ref = p.original WHERE p.workbook=?", TASKS)
    assert painted and all("FFF" not in original.split('"fill"')[1][:80] for _, original in painted)
    assert journal(folder, "SELECT COUNT(*) FROM painted_pending") == [(0,)]
    # the next check (from the command line, file closed) finds the IDs and gives no new ones
    settings = config.load(folder)
    again = check_folder(folder, settings, clock.now(settings.company.tz, "2026-11-23T09:30"))
    tasks = next(w for w in again.workbooks if w.relpath == TASKS)
    assert tasks.new_ids == 0 and tasks.journal.get("new", 0) == 0
    assert journal(folder, "SELECT COUNT(*) FROM rows WHERE workbook=?", TASKS) == [(15,)]


@pytest.mark.slow
def test_unsaved_row_changes_in_excel_skip_the_write(folder):
    excel = FakeExcel()
    check_from_console(folder, FakeExcel())                     # IDs in the file first
    tracker = excel.open_file(folder / TASKS)
    sheet = tracker.sheets["任务跟进表"]
    id_col = 1
    column = [sheet.cells.get((r, id_col)) for r in range(2, 17)]
    for r, value in enumerate([None] + column[:-1], 2):          # a row inserted at 2, not saved
        sheet.cells[(r, id_col)] = value
    before = (folder / TASKS).read_bytes()
    settings = config.load(folder)
    live = LiveApplier(excel)                                   # a week later: new Alerts texts to write
    report = check_folder(folder, settings, clock.now(settings.company.tz, "2026-11-30T09:00"), live=live)
    tasks = next(w for w in report.workbooks if w.relpath == TASKS)
    assert tasks.write == "skipped" and "未保存" in tasks.why.text("zh") and "row 2" in tasks.why.text("en")
    assert tracker.saves == 0 and (folder / TASKS).read_bytes() == before and live.applied == []
    assert journal(folder, "SELECT COUNT(*) FROM painted_pending") == [(0,)]


@pytest.mark.slow
def test_a_file_saved_since_it_was_read_is_skipped(folder):
    excel = FakeExcel()
    tracker = excel.open_file(folder / TASKS)

    class SavedMeanwhile(LiveApplier):     # a save lands between the read and the live write
        def __call__(self, plan, *args, **kwargs):
            if plan.path.name == TASKS:
                os.utime(plan.path, ns=(plan.fingerprint.mtime_ns + 10**9,) * 2)
            return super().__call__(plan, *args, **kwargs)
    settings = config.load(folder)
    report = check_folder(folder, settings, clock.now(settings.company.tz, NOW), live=SavedMeanwhile(excel))
    tasks = next(w for w in report.workbooks if w.relpath == TASKS)
    assert tasks.write == "skipped" and tasks.why.code == "changed" and tracker.saves == 0


@pytest.mark.slow
def test_excel_busy_skips_that_workbook_and_the_rest_go_on(folder):
    excel = FakeExcel()
    tracker = excel.open_file(folder / TASKS)

    def busy(*args, **kwargs):
        raise ExcelBusy()
    tracker.sheets["任务跟进表"].write = busy
    settings = config.load(folder)
    report = check_folder(folder, settings, clock.now(settings.company.tz, NOW), live=LiveApplier(excel))
    tasks = next(w for w in report.workbooks if w.relpath == TASKS)
    assert tasks.write == "skipped" and "Excel 正忙" in tasks.why.text("zh")
    assert all(w.write == "written" for w in report.workbooks if w.relpath != TASKS)
    assert journal(folder, "SELECT COUNT(*) FROM painted_pending") == [(0,)]
    assert excel.updating                                      # screen updating back on after the failure


def test_a_cleared_flag_gives_the_cell_its_own_colours_back():
    sheet = FakeSheet("任务跟进表")
    red = PALETTE["red"]
    own = {"fill": '<fill xmlns="x"><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill>',
           "font": '<font xmlns="x"><color rgb="FF1F4E79"/><sz val="10"/></font>'}
    sheet.set_colour("K5", red.fill, red.font)
    _paint(sheet, Paint("K5", None, (red, own), "T-000005"))
    assert sheet.colour("K5") == ("DDEBF7", "1F4E79")
    # a cell someone recoloured since keeps their colour
    sheet.set_colour("K6", "FFFF00", None)
    _paint(sheet, Paint("K6", None, (red, own), "T-000006"))
    assert sheet.colour("K6") == ("FFFF00", None)
    # an uncoloured original: no fill, automatic font; the hatched data-problem colour is kept as a pattern
    assert colours_of({"fill": "<fill><patternFill/></fill>", "font": None}) == (None, None, "solid")
    purple = PALETTE["purple"]
    _paint(sheet, Paint("K7", purple))
    assert sheet.colours[(7, 11)] == (purple.fill, purple.font, "lightUp")


@pytest.mark.slow
def test_a_click_with_nothing_new_neither_saves_nor_backs_up_the_open_tracker(folder):
    check_from_console(folder, FakeExcel())                   # nothing open: written by the file patcher
    backups = sorted((folder / ".duban" / "backups").glob("任务跟进表.*"))
    excel = FakeExcel()
    tracker = excel.open_file(folder / TASKS)                # now open in Excel, exactly as duban left it
    result, _ = check_from_console(folder, excel)
    assert not result.error, result.sentence
    assert tracker.saves == 0 and sorted((folder / ".duban" / "backups").glob("任务跟进表.*")) == backups
    assert "（其中 0 个通过 Excel）" in result.sentence
