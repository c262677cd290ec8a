"""A cell far from the table (issue 16, point 13): python-calamine builds one dense grid per sheet,
so ten cells at FOO100000 once asked for 14 GB and aborted the whole run. The reader now reads
only the table's columns of such a sheet, within [reader] max_grid_mb; a sheet too big even so is
a problem of its own workbook. The folder-wide cases run duban as a real process (an abort there
would otherwise take pytest down) and measure its peak memory."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
import python_calamine as calamine
from hypothesis import HealthCheck, given, settings, strategies as st

from books import make_book, task
from duban.jobs.settings import config
from duban.jobs.validate import read_folder
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.read.reader import read_workbook
from duban.workbooks.xlsx import grid

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "tests" / "data" / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

TODAY = date(2026, 11, 23)
HEADERS = ["编号", "任务名称", "负责人", "截止日期", "状态", "系统提示"]
# run `duban`, then report the process's own peak RSS (kB on Linux) on stderr's last line
RUN = ("import atexit, resource, sys; sys.argv[0] = 'duban'; "
       "atexit.register(lambda: print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)); "
       "from duban.jobs.cli import main; main()")
PEAK_CEILING_MB = 1000      # generous: without the fix the first far-away workbook asks for 14 GB and aborts


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def table_rows(count: int, due: str = "2026-12-31") -> list[str]:
    """The header row and `count` task rows (B..E; A, the ID, and F, the alerts, left to duban)."""
    rows = ['<row r="1">' + "".join(inline(f"{col_letters(i)}1", h) for i, h in enumerate(HEADERS, 1)) + "</row>"]
    for r in range(2, count + 2):
        rows.append(f'<row r="{r}">{inline(f"B{r}", f"任务{r}")}{inline(f"C{r}", "张伟")}'
                    f'{inline(f"D{r}", due)}{inline(f"E{r}", "进行中")}</row>')
    return rows


def book(path: Path, rows: list[str]) -> Path:
    sheet = f'{fixtures.DECL}<worksheet xmlns="{fixtures.MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    path.write_bytes(fixtures.standard(sheet_xml=sheet.encode()))
    return path


def foo_book(path: Path) -> Path:
    """A small task table and ten cells at FOO100000 to FOX100000."""
    far = '<row r="100000">' + "".join(inline(f"FO{chr(79 + i)}100000", f"远{i}") for i in range(10)) + "</row>"
    return book(path, table_rows(3) + [far])


def xfd_book(path: Path, count: int = 20_000) -> Path:
    """A 20,000-row task table with one "x" typed in XFD1, its first row overdue."""
    rows = table_rows(count)
    rows[0] = rows[0].replace("</row>", inline("XFD1", "x") + "</row>")
    rows[1] = rows[1].replace("2026-12-31", "2026-11-02")
    return book(path, rows)


def duban(*args) -> tuple[subprocess.CompletedProcess, float]:
    """duban as a real process, and its peak memory in MB."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                            encoding="utf-8", env=env, cwd=ROOT, timeout=300)
    peaks = re.findall(r"^PEAK (\d+)$", result.stderr, re.M)
    return result, (int(peaks[-1]) / 1024 if peaks else float("inf"))


def folder_with_far_cells(tmp_path: Path) -> Path:
    folder = tmp_path / "share"
    folder.mkdir()
    foo_book(folder / "远处十格.xlsx")
    xfd_book(folder / "两万行.xlsx")
    make_book(folder, [task("甲"), task("乙")])
    return folder


# ---- the whole folder goes on ---------------------------------------------------------------------
@pytest.mark.slow
def test_validate_reads_every_workbook_of_a_folder_with_far_away_cells_within_bounded_memory(tmp_path):
    folder = folder_with_far_cells(tmp_path)
    result, peak = duban("validate", folder, "--json", "--now", "2026-11-23T09:00")
    assert result.returncode == 0, result.stderr[-2000:]
    books = {b["file"]: b for b in json.loads(result.stdout)["workbooks"]}
    assert {name: (b["kind"], b["rows"]) for name, b in books.items()} == {
        "远处十格.xlsx": ("tasks", 3), "两万行.xlsx": ("tasks", 20_000), "任务跟进表.xlsx": ("tasks", 2)}
    assert all(b["problems"] == [] for b in books.values()), books
    assert peak < PEAK_CEILING_MB, f"peak RSS {peak:.0f} MB"


@pytest.mark.slow
def test_check_writes_the_table_beside_a_far_away_cell_and_keeps_that_cell(tmp_path):
    folder = folder_with_far_cells(tmp_path)
    result, peak = duban("check", folder, "--now", "2026-11-23T09:00", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert peak < PEAK_CEILING_MB, f"peak RSS {peak:.0f} MB"
    with zipfile.ZipFile(folder / "两万行.xlsx") as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    assert re.search(rb'<c r="A2"[^>]*><is><t>T-\d+</t></is></c>', xml)           # the new ID
    assert re.search(rb'<c r="F2"[^>]*><is><t>[^<]*\xe9\x80\xbe\xe6\x9c\x9f', xml)  # 逾期… in the alerts
    assert inline("XFD1", "x").encode() in xml                                    # the far cell, untouched
    again = read_workbook(folder / "两万行.xlsx", TODAY)
    assert again.rows_read == 20_000 and again.records[0]["id"].startswith("T-")


# ---- one workbook's problem ---------------------------------------------------------------------
def test_a_table_too_big_even_cut_to_its_columns_is_a_problem_of_that_workbook_only(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    rows = table_rows(3) + ['<row r="200000">' + inline("B200000", "远处") + "</row>"]   # in a table column
    book(folder / "很长.xlsx", rows)
    make_book(folder, [task("甲")])
    settings = config.load(values={"reader": {"max_grid_mb": 20}})   # 200,000 rows x 6 columns x 40 bytes = 48 MB
    reads = {r.path.name: r for r in read_folder(folder, settings, TODAY)}
    assert reads["任务跟进表.xlsx"].rows_read == 1 and reads["任务跟进表.xlsx"].kind.key == "tasks"
    long = reads["很长.xlsx"]
    assert long.kind is None and [p.code for p in long.problems] == ["sheet-too-large"]
    zh, en = long.problems[0].message("zh"), long.problems[0].message("en")
    assert zh.startswith("很长.xlsx [任务跟进表]：工作表“任务跟进表”中表格所在的列一直用到第 200,000 行、共 6 列（到 F200000）")
    assert "max_grid_mb" in zh and "Ctrl+End" in en and "the others were read as usual" in en
    settings = config.checked(values={"reader": {"max_grid_mb": 100}})  # within the budget: read, far row and all
    long = read_workbook(folder / "很长.xlsx", TODAY, settings["reader"])
    assert long.rows_read == 4 and long.records[-1].row == 200_000


def test_a_far_cell_right_of_the_table_is_not_read_and_the_rows_keep_their_numbers(tmp_path):
    path = book(tmp_path / "t.xlsx", table_rows(5)[:1] + ['<row r="3">' + inline("B3", "甲") + inline("C3", "张伟")
                                                          + inline("D3", "2026-12-01") + inline("ZZ3", "备注") + "</row>",
                                                          '<row r="900">' + inline("AAA900", "远") + "</row>"])
    read = read_workbook(path, TODAY, {"max_grid_mb": 1})   # 900 x 703 cells x 40 bytes = 25 MB: cut
    assert (read.kind.key, read.rows_read, read.records[0].row, read.records[0]["task"]) == ("tasks", 1, 3, "甲")
    assert read.problems == [] and read.columns == {"id": 0, "task": 1, "owner": 2, "due": 3, "status": 4, "alerts": 5}


# ---- the estimate ------------------------------------------------------------------------------
@pytest.mark.parametrize("rows, expected", [
    ('<row r="1"><c r="A1"><v>1</v></c><c r = "XFD1"><v>2</v></c></row>', (1, 16_384)),
    ("<row r='7'><c r='ab7'><v>1</v></c></row>", (7, 28)),
    ('<row><c><v>1</v></c></row><row><c r="C2"><v>1</v></c><c><v>2</v></c></row>', (2, 4)),
    ('<row r="1"><c s="1" r="B1"><v>1</v></c></row><row r="50000"><c r="A50000"><v>1</v></c></row>', (50_000, 2)),
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="12"><c r="B12"><v>1</v></c></row>'
     '<row r="12"><c r="AC12"><v>1</v></c></row>', (12, 29)),
])
def test_the_grid_estimate_never_falls_short_of_the_sheet(tmp_path, rows, expected):
    path = book(tmp_path / "e.xlsx", [rows])
    with zipfile.ZipFile(path) as zf:
        quick, exact = grid.extent(zf, "xl/worksheets/sheet1.xml"), grid.exact_extent(zf, "xl/worksheets/sheet1.xml")
    assert (exact.rows, exact.columns) == expected
    assert quick.rows >= exact.rows and quick.columns >= exact.columns


@st.composite
def sparse_sheets(draw):
    """Rows of cells anywhere (up to XFD and row 1,048,576), written in the ways XML and readers
    allow: either quote, any letter case, spaces around "=", r not first, rows or cells without r
    (which take the place after the one before)."""
    rows, number = [], 0
    for _ in range(draw(st.integers(1, 4))):
        q = draw(st.sampled_from(['"', "'"]))
        if draw(st.booleans()):
            number = min(draw(st.integers(number + 1, number + 300_000)), 1_048_576)
            row = f"<row r{draw(st.sampled_from(['=', ' = ']))}{q}{number}{q}>"
        else:
            number, row = number + 1, "<row>"
        col = 0
        for _ in range(draw(st.integers(0, 3))):
            s = f" s={q}0{q}"
            if draw(st.booleans()):
                col = min(draw(st.integers(col + 1, col + 5_000)), 16_384)
                letters = col_letters(col).lower() if draw(st.booleans()) else col_letters(col)
                ref = f" r={q}{letters}{number}{q}"
                attrs = s + ref if draw(st.booleans()) else ref + s
            else:
                col, attrs = col + 1, s
            row += f"<c{attrs}><v>1</v></c>"
        rows.append(row + "</row>")
    return "".join(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=sparse_sheets())
def test_the_estimate_is_never_below_what_calamine_builds(tmp_path, rows):
    path = book(tmp_path / "s.xlsx", [rows])
    with zipfile.ZipFile(path) as zf:
        quick = grid.extent(zf, "xl/worksheets/sheet1.xml")
    exact = grid.exact_extent(zipfile.ZipFile(path), "xl/worksheets/sheet1.xml")
    assert quick.rows >= exact.rows and quick.columns >= exact.columns
    if exact.rows * exact.columns <= 2_000_000:        # small enough to let calamine build it
        with calamine.CalamineWorkbook.from_path(str(path)) as wb:
            end = wb.get_sheet_by_name("任务跟进表").end
        if end is not None:
            assert exact.rows >= end[0] + 1 and exact.columns >= end[1] + 1
