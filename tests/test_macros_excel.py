"""The Excel adapter (issue 13): its xlwings side against xlwings' real classes, the fake against the interface,
and Excel's "call was rejected by callee"."""
from __future__ import annotations

import inspect
from pathlib import Path
from unittest.mock import call, create_autospec

import pytest
import xlwings
from xlwings.main import Font

from duban.macros import excel as X
from duban.macros.fake import FakeBook, FakeExcel, FakeSheet


def spec(cls):
    """An instance mock of a real xlwings class: a misspelt attribute, or a wrong-arity call, fails."""
    return create_autospec(cls, instance=True, spec_set=True)


def xl_range(value=None, color=None, font_color=None):
    rng = spec(xlwings.Range)
    rng.font = spec(Font)
    rng.font.color = font_color
    rng.color = color
    rng.options.return_value = rng
    rng.value = value
    return rng


def xl_sheet(name: str, ranges: dict):
    sheet = spec(xlwings.Sheet)
    sheet.name = name
    sheet.range.side_effect = lambda cell1, cell2=None: ranges.setdefault(cell1, xl_range())
    return sheet


def xl_book(fullname: str, sheets: list):
    book = spec(xlwings.Book)
    book.fullname = fullname
    book.sheets = sheets_of(sheets)
    return book


class sheets_of(list):
    """What Book.sheets gives: iterable, and indexed by name."""

    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return super().__getitem__(key)


@pytest.mark.slow
def test_the_xlwings_side_makes_only_real_calls():
    ranges: dict = {"A1:B2": xl_range([[1, None], ["x", 2.5]]), "K5": xl_range(color=(255, 199, 206),
                                                                              font_color=(156, 0, 6))}
    sheet = xl_sheet("任务跟进表", ranges)
    book = xl_book(r"\\fileserver\共享 盘\任务 跟进表.xlsx", [sheet])
    app = spec(xlwings.App)
    app.books = [xl_book(r"D:\other.xlsx", []), book]
    excel = X.XlwingsExcel(app)

    found = excel.open_book(Path(r"\\fileserver\共享 盘\任务 跟进表.xlsx"))      # UNC, Chinese, spaces
    assert found is not None and excel.open_book(Path(r"\\fileserver\x.xlsx")) is None
    assert found.sheet("missing") is None
    ws = found.sheet("任务跟进表")
    assert ws.read("A1:B2") == [[1, None], ["x", 2.5]]
    ranges["A1:B2"].options.assert_called_with(ndim=2)
    ws.write("C3", [["T-000001"], ["T-000002"]])
    assert ranges["C3"].value == [["T-000001"], ["T-000002"]]
    ws.clear("A16:F2039")
    ranges["A16:F2039"].clear_contents.assert_called_once_with()
    assert ws.colour("K5") == ("FFC7CE", "9C0006")
    ws.set_colour("K6", "E4DFEC", "5B2C83", "lightUp")
    assert ranges["K6"].color == (0xE4, 0xDF, 0xEC) and ranges["K6"].font.color == (0x5B, 0x2C, 0x83)
    assert ranges["K6"].api.Interior.Pattern == X.XL_PATTERN_LIGHT_UP
    ws.set_colour("K7", None, None)
    assert ranges["K7"].color is None and ranges["K7"].font.color == (0, 0, 0)

    selection = xl_range([["T-000007"]])
    book.selection = selection
    assert found.selected_value() == "T-000007"
    found.save()
    book.save.assert_called_once_with()

    excel.status("正在检查 3/20 个工作簿…")
    assert app.status_bar == "正在检查 3/20 个工作簿…"
    excel.status(None)
    assert app.status_bar is False                  # Excel's own status bar again
    excel.screen_updating(False)
    assert app.screen_updating is False


def test_a_wrong_call_on_the_real_classes_fails():
    rng = xl_range()
    with pytest.raises(AttributeError):
        rng.colour = (1, 2, 3)          # misspelt
    with pytest.raises(TypeError):
        spec(xlwings.Sheet).range()      # wrong arity
    with pytest.raises(AttributeError):
        spec(xlwings.App).statusbar = "x"


INTERFACE = (X.Sheet, X.Book, X.Excel)


@pytest.mark.parametrize("base, real, fake", [(X.Sheet, X.XlwingsSheet, FakeSheet), (X.Book, X.XlwingsBook, FakeBook),
                                              (X.Excel, X.XlwingsExcel, FakeExcel)])
def test_the_fake_and_the_xlwings_side_implement_the_same_interface(base, real, fake):
    for name in base.__abstractmethods__:
        wanted = inspect.signature(getattr(base, name))
        assert inspect.signature(getattr(real, name)) == wanted, (real, name)
        assert inspect.signature(getattr(fake, name)) == wanted, (fake, name)


class ComError(Exception):
    """What pywintypes.com_error looks like: (hresult, text, excepinfo, argerror)."""


def test_call_rejected_by_callee_is_retried_then_said_in_a_sentence():
    waits = []
    attempts = iter([ComError(-2147418111, "Call was rejected by callee.", None, None)] * 2 + ["done"])

    def flaky():
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    assert X.com_retry(flaky, sleep=waits.append) == "done" and len(waits) == 2

    def always_busy():
        raise ComError(-2147417846, "The message filter indicated that the application is busy.", None, None)
    waits.clear()
    with pytest.raises(X.ExcelBusy) as caught:
        X.com_retry(always_busy, sleep=waits.append)
    assert len(waits) == X.RETRIES - 1 and sum(waits) < 10
    assert "Excel 正忙" in caught.value.text("zh") and "Press Enter or Esc" in caught.value.text("en")

    def other():
        raise ComError(-2147352567, "Exception occurred.", None, None)
    waits.clear()
    with pytest.raises(ComError):
        X.com_retry(other, sleep=waits.append)
    assert waits == []


def test_busy_excel_during_a_call_goes_through_the_retry():
    rng = xl_range()
    sheet = xl_sheet("S", {"A1": rng})
    rng.clear_contents.side_effect = [ComError(-2147418111, "rejected", None, None), None]
    X.XlwingsSheet(sheet).clear("A1")
    assert rng.clear_contents.call_args_list == [call(), call()]


def test_same_file_ignores_case_and_separators():
    assert X.same_file(r"\\Server\共享 盘\任务 跟进表.xlsx", r"\\server\共享 盘\任务 跟进表.XLSX")
    assert not X.same_file(r"\\server\a\任务跟进表.xlsx", r"\\server\b\任务跟进表.xlsx")
