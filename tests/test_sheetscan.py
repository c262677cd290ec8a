"""One inflating of a sheet for the grid guard and the formula-error scan (issue 22): a sheet without
error cells is not opened again, one with them still says so, and the read-ahead thread gives the
same read, raises its errors in the reader and stops when closed early."""
import threading
from datetime import date

import openpyxl
import pytest

from duban.workbooks.read import errorcells, sheetscan
from duban.workbooks.read.errorcells import mark_formula_errors
from duban.workbooks.read.reader import read_workbook

TODAY = date(2026, 11, 23)


def _tasks(path, rows=60, error_at=None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "任务跟进表"
    sheet.append(["编号", "任务名称", "负责人", "截止日期", "状态"])
    for n in range(rows):
        sheet.append([f"T-{n:04d}", f"任务{n}", "张伟", date(2026, 11, 1 + n % 28), "进行中"])
    if error_at:
        sheet[error_at] = "#N/A"            # openpyxl stores an error value as an error cell (t="e")
    book.save(path)
    return path


@pytest.fixture
def opened(monkeypatch):
    """How often the formula-error scan opens a sheet part itself."""
    calls = []
    real = errorcells._mentions_errors

    def counting(zf, part):
        calls.append(part)
        return real(zf, part)
    monkeypatch.setattr(errorcells, "_mentions_errors", counting)
    return calls


def test_a_sheet_without_error_cells_is_not_opened_again(tmp_path, opened):
    read = read_workbook(_tasks(tmp_path / "t.xlsx"), TODAY)
    mark_formula_errors(read)
    assert read.kind.key == "tasks" and read.problems == [] and opened == []


def test_an_error_cell_is_still_a_formula_error(tmp_path, opened):
    read = read_workbook(_tasks(tmp_path / "t.xlsx", error_at="D5"), TODAY)
    mark_formula_errors(read)
    assert [(p.code, p.cell, p.value) for p in read.problems] == [("formula-error", "D5", "#N/A")]
    assert len(opened) == 1


def test_a_read_not_made_by_the_reader_is_scanned_as_before(tmp_path, opened):
    read = read_workbook(_tasks(tmp_path / "t.xlsx"), TODAY)
    copy = type(read)(**{f: getattr(read, f) for f in read.__dataclass_fields__})
    mark_formula_errors(copy)
    assert copy.problems == [] and len(opened) == 1


def test_reading_ahead_in_a_thread_reads_the_same(tmp_path, monkeypatch):
    path = _tasks(tmp_path / "t.xlsx", rows=400, error_at="C9")
    inline = read_workbook(path, TODAY)
    mark_formula_errors(inline)
    monkeypatch.setattr(sheetscan, "AHEAD_BYTES", 0)
    monkeypatch.setattr(sheetscan, "PIECE", 1000)          # many small pieces: markers cut across them
    started = []
    real = sheetscan._Ahead.__init__
    monkeypatch.setattr(sheetscan._Ahead, "__init__", lambda self, *a: started.append(a) or real(self, *a))
    ahead = read_workbook(path, TODAY)
    mark_formula_errors(ahead)
    assert started and [dict(r) for r in ahead.records] == [dict(r) for r in inline.records]
    assert ahead.problems == inline.problems and [p.code for p in ahead.problems] == ["formula-error"]
    assert not [t for t in threading.enumerate() if t.name == "duban-inflate"]


def test_the_read_ahead_raises_in_the_reader_and_stops_when_closed(tmp_path):
    path = _tasks(tmp_path / "t.xlsx", rows=400)
    stream = sheetscan._Ahead(path, "xl/worksheets/sheet1.xml")
    assert stream.read(100).startswith(b"<")
    stream.close()
    assert not stream._thread.is_alive()
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip at all")
    broken = sheetscan._Ahead(tmp_path / "broken.xlsx", "xl/worksheets/sheet1.xml")
    with pytest.raises(Exception, match="zip"):
        broken.read(100)
    broken.close()
