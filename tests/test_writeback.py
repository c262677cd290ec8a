"""Lossless write-back on real files: fidelity, flag then clear, files open or changed, crashes, backups."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import struct
import zipfile
import zlib
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

import lo
from books import (
    BOOK,
    NOW,
    SHEET,
    cells_xml,
    check,
    cli,
    col,
    look,
    make_book,
    owner_file,
    settings,
    sheet_part,
    sheet_xml,
    style_index,
    task,
    user_edit,
    values,
)
from duban.jobs.check import check_folder
from duban.jobs.state.journal import Journal
from duban.workbooks.model.a1 import col_number, ref_col, ref_row
from duban.workbooks.model.flags import PALETTE
from duban.workbooks.read.reader import read_workbook, scan_back
from duban.workbooks.share.discover import find_workbooks
from duban.workbooks.write.commit import recover
from duban.workbooks.write.plan import Fingerprint, WritePlan
from duban.workbooks.write.writeback import apply
from duban.workbooks.xlsx import package
from duban.workbooks.xlsx.stylebook import StyleBook

needs_lo = pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)
ID, STATUS, ALERTS, DUE = col("id"), col("status"), col("alerts"), col("due")
STAMP_COLUMN = "R"            # row 1 only: when duban last checked (see tests/test_stamp.py)
JOB_COLUMNS = (ID, ALERTS, STAMP_COLUMN)

ROWS = [
    task("写周报", due=date(2026, 11, 20)),                                  # row 2: overdue (red)
    task("对账", owner="李娜", status="blocked"),                            # row 3: blocked (orange)
    task("报销", owner="王芳"),                                              # row 4: nothing
    task("归档", owner="王芳", due=date(2026, 11, 10), status="done", progress=1),  # row 5: done (green)
]
FLAGGED = {f"{STATUS}2": "red", f"{STATUS}3": "orange", f"{STATUS}5": "green"}
ALERT_TEXTS = ["逾期3天", "阻塞", None, None]

DATA = "数据"      # the other sheet of the fidelity workbook
FORMULAS = {"C1": ("SUM(B1:B3)", 65), "C2": ("B2*2", 40), "C3": (f'COUNTIF({SHEET}!K:K,"进行中")', 2),
            "D1": ("Budget*1", 10)}


def rgb(colour) -> str:
    value = getattr(colour, "rgb", None)
    return value[-6:].upper() if isinstance(value, str) else ""   # theme colours have no rgb


# ---- the fidelity workbook -----------------------------------------------------------------------
def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    pixels = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))


class RawPng(Image):
    """An openpyxl image from PNG bytes (openpyxl's own Image needs Pillow only to sniff the size)."""

    def __init__(self, data: bytes, width: int, height: int):
        self.ref, self.width, self.height, self.format, self._raw = None, width, height, "png", data

    def _data(self) -> bytes:
        return self._raw


def build_rich_workbook(path: Path) -> None:
    """The task template plus another sheet with formulas, a chart, an image, a comment, a defined
    name, data validation and conditional formatting."""
    make_book(path.parent, ROWS, path.name)
    wb = openpyxl.load_workbook(path)
    wb[SHEET]["B3"].comment = Comment("请尽快处理", "王芳")
    data = wb.create_sheet(DATA, 1)
    for r, (month, amount) in enumerate([("一月", 10), ("二月", 20), ("三月", 35)], start=1):
        data.cell(r, 1, month)
        data.cell(r, 2, amount)
    for ref, (formula, _) in FORMULAS.items():
        data[ref] = "=" + formula
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=3))
    chart.set_categories(Reference(data, min_col=1, min_row=1, max_row=3))
    data.add_chart(chart, "F2")
    data.add_image(RawPng(png(), 40, 30), "F20")
    wb.defined_names["Budget"] = DefinedName("Budget", attr_text=f"{DATA}!$B$1")
    dv = DataValidation(type="whole", operator="between", formula1="0", formula2="100")
    data.add_data_validation(dv)
    dv.add("B1:B3")
    data.conditional_formatting.add("B1:B3", CellIsRule(operator="greaterThan", formula=["15"],
                                                        fill=PatternFill("solid", fgColor="FFFF00")))
    wb.save(path)


def add_cached_values(path: Path) -> None:
    """What a spreadsheet app does on save and openpyxl does not: store each formula's value."""
    part = sheet_part(path, DATA)
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == part:
                for ref, (_, value) in FORMULAS.items():
                    data = re.sub(rb'(<c r="%s"[^>]*><f>[^<]*</f>)(?:<v\s*/>|<v></v>)' % ref.encode(),
                                  rb"\g<1><v>%d</v>" % value, data)
            zf.writestr(info, data)


@pytest.fixture(scope="module")
def fidelity(tmp_path_factory):
    """The rich workbook, saved by LibreOffice where available, before and after one `duban check`."""
    base = tmp_path_factory.mktemp("fidelity")
    built = base / "build" / BOOK
    build_rich_workbook(built)
    folder = base / "share"
    folder.mkdir()
    if lo.available():
        shutil.copy(lo.convert(built, lo.XLSX, base / "lo"), folder / BOOK)
    else:
        shutil.copy(built, folder / BOOK)
        add_cached_values(folder / BOOK)
    before = base / "before.xlsx"
    shutil.copy(folder / BOOK, before)
    result = check(folder)
    return SimpleNamespace(before=before, after=folder / BOOK, result=result, base=base)


@pytest.mark.slow
def test_fidelity_workbook_really_has_everything(fidelity):
    """Guard for the tests below: the input has what they claim to keep, and the check wrote."""
    with zipfile.ZipFile(fidelity.before) as zf:
        names = zf.namelist()
        book = zf.read("xl/workbook.xml")
        data_sheet = zf.read(sheet_part(fidelity.before, DATA))
    assert any(n.startswith("xl/charts/chart") for n in names)
    assert any(n.startswith("xl/media/image") for n in names)
    assert any(n.startswith("xl/drawings/drawing") for n in names)
    assert any("comments" in n for n in names)
    assert b"Budget" in book
    assert b"dataValidation" in data_sheet and b"conditionalFormatting" in data_sheet
    assert b"dataValidation" in sheet_xml(fidelity.before) and b"conditionalFormatting" in sheet_xml(fidelity.before)
    assert fidelity.result.write == "written", fidelity.result.reason
    assert {row: [f.rule for f in flags] for row, flags in fidelity.result.flags.items()} == \
        {2: ["overdue"], 3: ["blocked"], 4: [], 5: ["done"]}


@pytest.mark.slow
def test_fidelity_only_styles_and_the_checked_sheet_change(fidelity):
    """...and the hidden _duban sheet, which records the workbook's identity and its paint."""
    own = {"xl/styles.xml", sheet_part(fidelity.before), sheet_part(fidelity.before, "_duban")}
    with zipfile.ZipFile(fidelity.before) as old, zipfile.ZipFile(fidelity.after) as new:
        assert new.namelist() == old.namelist()
        changed = [n for n in old.namelist() if old.read(n) != new.read(n)]
        assert set(changed) == own
        for info in old.infolist():
            copy = new.getinfo(info.filename)
            assert (copy.date_time, copy.compress_type) == (info.date_time, info.compress_type), info.filename
        assert new.testzip() is None


@pytest.mark.slow
def test_fidelity_checked_sheet_changes_only_job_cells_and_flag_formats(fidelity):
    before, after = sheet_xml(fidelity.before), sheet_xml(fidelity.after)
    outside = re.compile(rb"<(?:\w+:)?sheetData.*</(?:\w+:)?sheetData>", re.S)
    assert outside.sub(b"", after) == outside.sub(b"", before)   # root, namespaces, validations, CF, ...
    old, new = cells_xml(fidelity.before), cells_xml(fidelity.after)
    for ref, cell in old.items():
        letters = ref.rstrip("0123456789")
        if letters in JOB_COLUMNS:
            continue
        if ref in FLAGGED:
            assert re.sub(rb'\ss="\d+"', b"", new[ref]) == re.sub(rb'\ss="\d+"', b"", cell), ref
            assert new[ref] != cell, f"{ref} should have been coloured"
        else:
            assert new[ref] == cell, ref
    assert {r for r in new if r not in old} <= {f"{c}{n}" for c in JOB_COLUMNS for n in range(2, 6)}


@pytest.mark.slow
def test_fidelity_formulas_keep_their_cached_values(fidelity):
    expected = {ref: value for ref, (_, value) in FORMULAS.items()}
    for path in (fidelity.before, fidelity.after):
        grid = values(path, DATA)
        assert {ref: grid[ref_row(ref) - 1][ref_col(ref) - 1] for ref in FORMULAS} == expected
        cached = openpyxl.load_workbook(path, data_only=True)[DATA]
        assert {ref: cached[ref].value for ref in FORMULAS} == expected
        formulas = openpyxl.load_workbook(path)[DATA]
        assert {ref: formulas[ref].value for ref in FORMULAS} == {r: "=" + f for r, (f, _) in FORMULAS.items()}


@pytest.mark.slow
def test_fidelity_user_values_unchanged_only_id_and_alerts_written(fidelity):
    old, new = openpyxl.load_workbook(fidelity.before), openpyxl.load_workbook(fidelity.after)
    assert new.sheetnames == old.sheetnames
    for ws in old.worksheets:
        other = new[ws.title]
        if ws.title == "_duban":        # duban's own sheet: its record rows are added below the keys
            assert other.max_row >= 20 and other["A20"].value == "workbook_id"
            continue
        assert (other.max_row, other.max_column) == (ws.max_row, ws.max_column), ws.title
        for row in ws.iter_rows():
            for cell in row:
                if ws.title == SHEET and cell.column_letter in JOB_COLUMNS and (cell.row > 1 or cell.column_letter == STAMP_COLUMN):
                    continue
                assert other[cell.coordinate].value == cell.value, f"{ws.title}!{cell.coordinate}"
    main = new[SHEET]
    assert [main[f"{ID}{r}"].value for r in range(2, 6)] == ["T-000001", "T-000002", "T-000003", "T-000004"]
    assert [main[f"{ALERTS}{r}"].value for r in range(2, 6)] == ALERT_TEXTS
    assert old[SHEET]["B3"].comment.text == main["B3"].comment.text == "请尽快处理"
    assert [n for n in new.defined_names] == [n for n in old.defined_names] and "Budget" in new.defined_names
    assert len(main.data_validations.dataValidation) == len(old[SHEET].data_validations.dataValidation) > 0
    assert len(list(main.conditional_formatting)) == len(list(old[SHEET].conditional_formatting)) > 0


@pytest.mark.slow
def test_fidelity_styles_unchanged_except_flagged_cells(fidelity):
    old, new = openpyxl.load_workbook(fidelity.before), openpyxl.load_workbook(fidelity.after)
    for ws in old.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if ws.title == SHEET and (cell.coordinate in FLAGGED or cell.column_letter in JOB_COLUMNS and cell.row > 1):
                    continue        # job-owned cells are new cells (format 0), compared in the sheet XML test
                assert look(new[ws.title][cell.coordinate]) == look(cell), f"{ws.title}!{cell.coordinate}"
    for ref, colour_name in FLAGGED.items():
        colour, was, now = PALETTE[colour_name], old[SHEET][ref], new[SHEET][ref]
        assert (now.fill.fill_type, rgb(now.fill.fgColor), rgb(now.font.color)) == ("solid", colour.fill, colour.font)
        assert (rgb(was.fill.fgColor), rgb(was.font.color) if was.font.color else None) != (colour.fill, colour.font)
        assert look(now)[2:] == look(was)[2:]                # border, alignment, protection, number format
        assert (now.font.name, now.font.sz, now.font.b, now.font.i) == (was.font.name, was.font.sz, was.font.b, was.font.i)


@needs_lo
@pytest.mark.slow
def test_fidelity_libreoffice_opens_the_result_with_user_cells_unchanged(fidelity):
    out = fidelity.base / "csv"
    out.mkdir()
    shutil.copy(fidelity.before, out / "before.xlsx")
    shutil.copy(fidelity.after, out / "after.xlsx")
    old_csv, new_csv = lo.convert_all([out / "before.xlsx", out / "after.xlsx"], lo.CSV_UTF8, out / "out")
    old = list(csv.reader(old_csv.open(encoding="utf-8")))
    new = list(csv.reader(new_csv.open(encoding="utf-8")))
    assert len(new) == len(old) >= 5
    skip = {col_number(c) - 1 for c in JOB_COLUMNS}
    for r, (a, b) in enumerate(zip(old, new), start=1):
        kept = [j for j in range(len(a)) if j not in skip or (r == 1 and j != col_number(STAMP_COLUMN) - 1)]
        assert [b[j] for j in kept] == [a[j] for j in kept], f"row {r}"
    assert [row[0] for row in new[1:5]] == ["T-000001", "T-000002", "T-000003", "T-000004"]
    assert [row[col_number(ALERTS) - 1] for row in new[1:5]] == [t or "" for t in ALERT_TEXTS]
    assert new[1][col_number(DUE) - 1] == "2026-11-20"
    # the other sheet as LibreOffice shows it: same values, formulas included
    [old_x, new_x] = lo.convert_all([out / "before.xlsx", out / "after.xlsx"], lo.XLSX, out / "xlsx")
    assert values(new_x, DATA) == values(old_x, DATA) == values(fidelity.before, DATA)


# ---- flag, then clear ----------------------------------------------------------------------------
def describe(path: Path, ref: str) -> dict:
    with zipfile.ZipFile(path) as zf:
        book = StyleBook(package.parse(zf.read("xl/styles.xml")))
    return book.describe(style_index(path, ref))


def test_flag_then_clear_gives_back_the_exact_original_format(tmp_path):
    path = make_book(tmp_path, [task("对账", status="blocked"), task("报销")])
    ref = f"{STATUS}2"
    original_s, original = style_index(path, ref), describe(path, ref)
    original_look = look(openpyxl.load_workbook(path)[SHEET][ref])
    untouched = {r: c for r, c in cells_xml(path).items() if r[0] not in JOB_COLUMNS and r != ref}

    assert check(tmp_path).write == "written"
    coloured = openpyxl.load_workbook(path)[SHEET][ref]
    assert (rgb(coloured.fill.fgColor), rgb(coloured.font.color)) == (PALETTE["orange"].fill, PALETTE["orange"].font)
    assert style_index(path, ref) != original_s

    user_edit(path, {ref: "进行中"})              # unblocked
    result = check(tmp_path)
    assert (result.write, result.flags[2]) == ("written", [])
    assert style_index(path, ref) == original_s
    assert describe(path, ref) == original
    assert look(openpyxl.load_workbook(path)[SHEET][ref]) == original_look
    assert {r: c for r, c in cells_xml(path).items() if r in untouched} == untouched
    assert openpyxl.load_workbook(path)[SHEET][f"{ALERTS}2"].value is None
    assert check(tmp_path).write == "unchanged"


def test_overdue_then_done_then_reopened(tmp_path):
    """Red while overdue; marked done it turns green (the done colour) and the journal records the
    first done time; reopened with a new due date, the cell gets its original format back exactly."""
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    ref = f"{STATUS}2"
    original_s, original = style_index(path, ref), describe(path, ref)
    check(tmp_path)
    red = openpyxl.load_workbook(path)[SHEET][ref]
    assert (rgb(red.fill.fgColor), rgb(red.font.color)) == (PALETTE["red"].fill, PALETTE["red"].font)
    assert openpyxl.load_workbook(path)[SHEET][f"{ALERTS}2"].value == "逾期3天"

    user_edit(path, {ref: "已完成"})
    done_at = NOW + timedelta(hours=2)
    result = check(tmp_path, done_at)
    assert (result.write, [f.rule for f in result.flags[2]]) == ("written", ["done"])
    ws = openpyxl.load_workbook(path)[SHEET]
    assert (rgb(ws[ref].fill.fgColor), rgb(ws[ref].font.color)) == (PALETTE["green"].fill, PALETTE["green"].font)
    assert ws[f"{ALERTS}2"].value is None
    green = describe(path, ref)
    assert {k: v for k, v in green.items() if k not in ("fill", "font", "attrs")} == \
        {k: v for k, v in original.items() if k not in ("fill", "font", "attrs")}
    journal = Journal(tmp_path / ".duban" / "state.db")
    try:
        row = journal.row("T-000001")
        assert (row["status"], row["first_done"]) == ("done", done_at.isoformat())
    finally:
        journal.close()

    user_edit(path, {ref: "进行中", f"{DUE}2": date(2026, 12, 31)})
    result = check(tmp_path, NOW + timedelta(hours=4))
    assert (result.write, result.flags[2]) == ("written", [])
    assert style_index(path, ref) == original_s
    assert describe(path, ref) == original


def test_clear_after_another_app_resaved_the_coloured_file(tmp_path):
    """A user saves the workbook with another app (formats renumbered) while the cell is coloured:
    clearing the flag still gives back the original format, by content."""
    path = make_book(tmp_path, [task("对账", status="blocked")])
    ref = f"{STATUS}2"
    original_look = look(openpyxl.load_workbook(path)[SHEET][ref])
    check(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb[SHEET][ref] = "进行中"
    wb.save(path)
    assert look(openpyxl.load_workbook(path)[SHEET][ref]) != original_look   # still orange
    assert check(tmp_path).write == "written"
    assert look(openpyxl.load_workbook(path)[SHEET][ref]) == original_look


# ---- files open or changed -------------------------------------------------------------------------
@pytest.mark.parametrize("user", ["zhangwei", "张伟"])
def test_owner_file_means_no_write_but_reading_and_flags_go_on(tmp_path, user):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    owner_file(path, user)
    content, stat = path.read_bytes(), path.stat()
    result = check(tmp_path)
    assert (result.write, result.reason) == ("skipped", f"open in Excel/WPS by {user} (will retry next run)")
    assert [f.rule for f in result.flags[2]] == ["overdue"]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (content, stat.st_mtime_ns)
    assert not (tmp_path / ".duban" / "backups").exists() or not any((tmp_path / ".duban" / "backups").rglob("*.xlsx"))
    path.with_name("~$" + path.name).unlink()          # closed: the next run writes
    result = check(tmp_path)
    assert (result.write, result.reason) == ("written", "")
    assert re.fullmatch(r"T-\d{6}", column_of(path, ID)[0])


def column_of(path: Path, letter: str) -> list:
    ws = openpyxl.load_workbook(path)[SHEET]
    return [ws[f"{letter}{r}"].value for r in range(2, ws.max_row + 1)]


def test_libreoffice_lock_file_means_no_write(tmp_path):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    path.with_name(f".~lock.{path.name}#").write_text("Wang Fang,wf,pc-17,23.11.2026 08:55,file:///home/wf;", "utf-8")
    content = path.read_bytes()
    result = check(tmp_path)
    assert (result.write, result.reason) == ("skipped", "open in LibreOffice by Wang Fang (will retry next run)")
    assert path.read_bytes() == content


@pytest.mark.slow
def test_owner_file_reported_by_the_cli(tmp_path):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    owner_file(path, "lina")
    content = path.read_bytes()
    done = cli("check", str(tmp_path), "--now", NOW.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    [book] = report["workbooks"]
    assert (book["write"], book["reason"]) == ("skipped", "open in Excel/WPS by lina (will retry next run)")
    assert [(f["row"], f["rule"]) for f in report["flags"]] == [(2, "overdue")]
    assert path.read_bytes() == content
    text = cli("check", str(tmp_path), "--now", NOW.isoformat(), env={**os.environ, "COLUMNS": "300"})
    assert "正被lina用 Excel/WPS 打开" in text.stdout, text.stdout       # the clerk's language alone


def plan_for(path: Path, fingerprint: Fingerprint, **values) -> WritePlan:
    read = read_workbook(path, NOW.date())
    plan = WritePlan(path, read.sheet, fingerprint, read.rows_read, values=dict(values), expect=dict(values))
    plan.verify = lambda temp: scan_back(temp, read, list(plan.expect))
    return plan


def test_file_saved_after_it_was_read_is_not_overwritten(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    plan = plan_for(path, Fingerprint.of(path), **{f"{ID}2": "T-000001"})
    user_edit(path, {"B2": "写月报"})                   # someone saves in between
    saved = path.read_bytes()
    result = apply(plan, tmp_path / "backups", verify=plan.verify)
    assert result.status == "skipped" and "changed" in result.reason
    assert path.read_bytes() == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == [BOOK]


def test_same_size_and_time_but_other_bytes_is_a_change(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    plan = plan_for(path, Fingerprint.of(path), **{f"{ID}2": "T-000001"})
    stat = path.stat()
    data = bytearray(path.read_bytes())
    at = data.index(b"docProps/app.xml") + 9         # a local header's file name: same length, other bytes
    data[at] ^= 0x20
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    result = apply(plan, tmp_path / "backups", verify=plan.verify)
    assert result.status == "skipped" and "changed" in result.reason
    assert path.read_bytes() == bytes(data)


def test_file_changed_during_a_real_check_is_skipped_and_retried(tmp_path):
    first = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))], "a.xlsx")
    make_book(tmp_path, [task("对账", status="blocked")], "b.xlsx")

    def progress(path: Path) -> None:                # called before each file is read
        if path.name == "b.xlsx":                     # a.xlsx has been read: its owner saves it now
            user_edit(first, {"B2": "写月报"})

    report = check_folder(tmp_path, settings(), NOW, progress=progress)
    a, b = report.workbooks
    assert (a.relpath, a.write) == ("a.xlsx", "skipped") and "changed" in a.reason
    assert [f.rule for f in a.flags[2]] == ["overdue"]
    assert (b.relpath, b.write) == ("b.xlsx", "written")
    assert column_of(first, "B") == ["写月报"] and column_of(first, ID) == [None]
    a = check_folder(tmp_path, settings(), NOW).workbooks[0]
    assert a.write == "written"
    assert column_of(first, "B") == ["写月报"] and column_of(first, ID)[0].startswith("T-")
    assert column_of(first, ALERTS) == ["逾期3天"]


# ---- refusing ----------------------------------------------------------------------------------------
def test_a_write_into_a_row_that_is_gone_is_refused(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    plan = plan_for(path, Fingerprint.of(path), **{f"{ID}2": "T-000001", f"{ID}40": "T-000002"})
    content = path.read_bytes()
    result = apply(plan, tmp_path / "backups", verify=plan.verify)
    assert result.status == "refused" and "40" in result.reason
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [BOOK]


def test_a_write_that_would_lose_rows_is_refused(tmp_path):
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    plan = plan_for(path, Fingerprint.of(path), **{f"{ID}2": "T-000001"})
    plan.rows_before += 1                              # the read saw a row the new file lacks
    content = path.read_bytes()
    result = apply(plan, tmp_path / "backups", verify=plan.verify)
    assert result.status == "refused" and "rows" in result.reason
    assert path.read_bytes() == content
    assert not (tmp_path / "backups").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [BOOK]


# ---- crashes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("point", ["temp-written", "before-replace", "moved-aside", "verified"])
@pytest.mark.slow
def test_killed_mid_write_leaves_the_old_file_whole(tmp_path, point):
    """Killed before the new file is in place: the old file is whole, at its name or (killed while
    it is moved aside, the time it takes to hash it) under its aside name until the next run."""
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20)), task("对账", status="blocked")])
    content, grid = path.read_bytes(), values(path)
    env = {**os.environ, "DUBAN_CRASH_AT": point}
    done = cli("check", str(tmp_path), "--now", NOW.isoformat(), env=env)
    assert done.returncode == 137, (done.stdout, done.stderr)
    aside = path.with_name(f".{path.stem}.duban-aside{path.suffix}")
    if point in ("moved-aside", "verified"):
        assert not path.exists() and aside.read_bytes() == content
        check_folder(tmp_path, settings(), NOW, dry_run=True)          # a dry run moves nothing
        assert not path.exists() and aside.read_bytes() == content
        recover(tmp_path, tmp_path / ".duban" / "backups", 10)         # what every check does first
    assert not aside.exists()
    assert path.read_bytes() == content
    assert values(path) == grid
    ws = openpyxl.load_workbook(path)[SHEET]
    assert [ws[f"B{r}"].value for r in (2, 3)] == ["写周报", "对账"] and ws[f"{ID}2"].value is None
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [BOOK]
    assert find_workbooks(tmp_path) == [path]
    backups = list((tmp_path / ".duban" / "backups").glob("*.xlsx"))
    assert len(backups) == 0                  # the original is moved to the backups only once the new file is in place
    assert all(b.read_bytes() == content for b in backups)

    done = cli("check", str(tmp_path), "--now", NOW.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["workbooks"][0]["write"] == "written"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".duban", "reports", BOOK, "看板.html"]   # and the dashboard
    ids = [row[0] for row in values(path)[1:3]]
    assert all(re.fullmatch(r"T-\d{6}", i) for i in ids) and len(set(ids)) == 2


# ---- backups ---------------------------------------------------------------------------------------------
def test_backups_rotate_and_hold_the_previous_versions(tmp_path):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    versions = []
    for day in range(4):                                # the alerts text changes every day: 逾期3天, 4天, ...
        versions.append(path.read_bytes())
        assert check(tmp_path, NOW + timedelta(days=day), backups=2).write == "written"
    assert column_of(path, ALERTS)[0].startswith("逾期6天（")
    kept = sorted((tmp_path / ".duban" / "backups").glob("*.xlsx"))
    assert [b.read_bytes() for b in kept] == versions[-2:]


def test_no_backups_when_the_count_is_zero(tmp_path):
    make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    assert check(tmp_path, backups=0).write == "written"
    assert not list((tmp_path / ".duban").rglob("*.xlsx"))


def test_dry_run_writes_and_records_nothing(tmp_path):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    content = path.read_bytes()
    result = check(tmp_path, dry_run=True)
    assert result.write == "dry-run" and [f.rule for f in result.flags[2]] == ["overdue"]
    assert path.read_bytes() == content
    assert check(tmp_path).write == "written" and column_of(path, ID) == ["T-000001"]


# ---- namespace prefixes ------------------------------------------------------------------------------------
MAIN_NS = package.NS_MAIN.encode()


def prefixed(xml: bytes) -> bytes:
    """The same XML with the main namespace bound to the prefix x: instead of the default."""
    xml = xml.replace(b'xmlns="' + MAIN_NS + b'"', b'xmlns:x="' + MAIN_NS + b'"', 1)
    return re.sub(rb"<(/?)([A-Za-z][\w.-]*)(?=[\s/>])", rb"<\1x:\2", xml)


def test_namespace_prefixes_are_kept(tmp_path):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20)), task("对账", status="blocked")])
    part = sheet_part(path)
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            zf.writestr(info, prefixed(data) if info.filename in (part, "xl/styles.xml") else data)
    assert check(tmp_path).write == "written"
    with zipfile.ZipFile(path) as zf:
        for name in (part, "xl/styles.xml"):
            xml = zf.read(name)
            assert b'xmlns="' + MAIN_NS + b'"' not in xml, name
            assert not re.findall(rb"<(?!x:|/x:|\?)[^>]{0,20}", xml), name
    assert [row[0] for row in values(path)[1:3]] == ["T-000001", "T-000002"]
    ws = openpyxl.load_workbook(path)[SHEET]
    assert rgb(ws[f"{STATUS}2"].fill.fgColor) == PALETTE["red"].fill
    user_edit_prefixed(path, f"{STATUS}3", "进行中")
    assert check(tmp_path).write == "written"
    ws = openpyxl.load_workbook(path)[SHEET]
    assert ws[f"{STATUS}3"].fill.fill_type is None


def user_edit_prefixed(path: Path, ref: str, text: str) -> None:
    part = sheet_part(path)
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == part:
                data = re.sub(rf'(<x:c r="{ref}"[^>]*?>)<x:is><x:t>[^<]*</x:t></x:is>'.encode(),
                              rb"\1<x:is><x:t>" + text.encode() + rb"</x:t></x:is>", data)
            zf.writestr(info, data)


# ---- the always-on check of the new file -----------------------------------------------------------
@pytest.mark.parametrize("damage, words", [
    (lambda chunks: [b"".join(bytes(c) for c in chunks).replace(b"</sheetData>", b"")], "failed its own check"),
    (lambda chunks: [re.sub(rb'<row r="3".*?</row>', b"", b"".join(bytes(c) for c in chunks), flags=re.S)],
     "rows instead of"),
], ids=["broken-xml", "lost-row"])
def test_the_new_file_is_read_back_before_it_replaces_the_old(tmp_path, monkeypatch, damage, words):
    """A patcher bug is caught by the write's own check, without any extra `verify=`."""
    from duban.workbooks.write import writeback
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    plan = plan_for(path, Fingerprint.of(path), **{f"{ID}2": "T-000001"})
    real = writeback.stream
    monkeypatch.setattr(writeback, "stream", lambda raw, cuts: damage(real(raw, cuts)))
    content = path.read_bytes()
    result = apply(plan, tmp_path / "backups")
    assert result.status == "refused" and words in result.reason
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [BOOK]


def test_a_workbook_whose_sheet_is_damaged_on_disk_is_refused_with_a_next_step(tmp_path):
    """The original's own checksum fails: say so (it is not duban's output) and touch nothing."""
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    plan = plan_for(path, None, **{f"{ID}2": "T-000001"})
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(package.workbook_parts(zf)[0][SHEET])
        start = info.header_offset + zipfile.sizeFileHeader + len(info.filename.encode()) + len(info.extra)
    data = bytearray(path.read_bytes())
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    plan.fingerprint = Fingerprint.of(path)
    result = apply(plan, tmp_path / "backups")
    assert result.status == "refused" and "workbook file itself is damaged" in result.reason
    assert "用 Excel 打开、修复并另存" in result.why.text("zh")
    assert path.read_bytes() == bytes(data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [BOOK]


# ---- the hidden person list ------------------------------------------------------------------------
def person(name: str, dept: str = "市场部", **more) -> dict:
    return {"name": name, "department": dept, "email": f"{abs(hash(name)) % 10**6}@example.com", **more}


def names_in(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["_names"]
    return [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]


def directory_book(folder: Path, people: list[dict]) -> Path:
    from duban.workbooks.make.template import write_workbook
    from duban.workbooks.model.kinds import KINDS
    return write_workbook("directory", folder / KINDS["directory"].filename("zh"), lang="zh", rows=people)


def test_person_lists_follow_the_directory(tmp_path):
    book = make_book(tmp_path, [task("写周报", owner="张伟")])
    directory_book(tmp_path, [person("张伟"), person("赵敏", "研发部"), person("周杰", "财务部")])
    dropdowns = sheet_xml(book).count(b"_names!$A$2:$A$1000")
    report = check_folder(tmp_path, settings(), NOW)
    assert names_in(book) == ["张伟", "赵敏", "周杰"]
    assert openpyxl.load_workbook(book)["_names"]["A1"].value == "姓名"          # header kept
    assert openpyxl.load_workbook(book)["_names"].sheet_state == "hidden"
    assert sheet_xml(book).count(b"_names!$A$2:$A$1000") == dropdowns > 0      # dropdowns still point there
    assert {w.relpath: w.write for w in report.workbooks}[BOOK] == "written"
    again = check_folder(tmp_path, settings(), NOW)
    assert {w.relpath: w.write for w in again.workbooks}[BOOK] == "unchanged"


@pytest.mark.slow
def test_a_broken_directory_leaves_the_person_lists_alone(tmp_path):
    book = make_book(tmp_path, [task("写周报")])
    from duban.workbooks.model.kinds import KINDS
    (tmp_path / KINDS["directory"].filename("zh")).write_bytes(b"not a workbook")
    check_folder(tmp_path, settings(), NOW)
    assert names_in(book) == ["张伟", "李娜", "王芳"]


def test_a_workbook_without_a_person_list_gets_none(tmp_path):
    book = make_book(tmp_path, [task("写周报")])
    wb = openpyxl.load_workbook(book)
    del wb["_names"]
    wb.save(book)
    directory_book(tmp_path, [person("张伟")])
    check_folder(tmp_path, settings(), NOW)
    assert "_names" not in openpyxl.load_workbook(book).sheetnames


@pytest.mark.slow
def test_why_a_write_was_skipped_is_told_in_the_clerks_language(tmp_path):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20))])
    owner_file(path, "李娜")
    result = check(tmp_path)
    assert result.why.text("zh") == "正被李娜用 Excel/WPS 打开，本次未写入，下次运行时再写"
    assert result.why.text("en") == result.reason == "open in Excel/WPS by 李娜 (will retry next run)"
    text = cli("check", str(tmp_path), "--now", NOW.isoformat(), env={**os.environ, "COLUMNS": "300"})
    assert "正被李娜用 Excel/WPS 打开" in text.stdout, text.stdout
    assert "open in" not in text.stdout             # a routine skip: no English after the Chinese


def test_a_list_of_rows_in_a_refusal_reads_in_each_language():
    from duban.workbooks.write.refusal import Reason
    why = Reason.of("rows-gone", rows=(3, 4))
    assert why.text("zh").startswith("第3、4行在读取后被删除")
    assert why.text("en").startswith("rows 3, 4 were deleted after duban read the sheet")
