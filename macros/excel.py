"""The few Excel operations duban uses, behind one small interface, and their xlwings version.

The console (console.py) and the live applier (live.py) only ever talk to `Excel`, `Book` and
`Sheet` below, so their logic runs on Linux against the in-memory fake (fake.py); the xlwings
implementation here is the only code that touches Excel, and the tests check each call it
makes against xlwings' real classes (`unittest.mock.create_autospec`, spec_set).

The operations: the workbooks open in this Excel (listed once per click: each listing is a
round trip through COM), a workbook open in this Excel by its path, a sheet by name, read a range's
values, write values, clear a range, read and set a range's colours (fill, font, pattern),
the selected cell's value, the status bar, screen updating, save.

Excel busy (a cell in edit mode, a dialog open, Excel recalculating) answers COM calls with
"call was rejected by callee" (RPC_E_CALL_REJECTED) or "retry later"; every xlwings call here
is retried a bounded number of times with a growing pause, then `ExcelBusy` says so in one
sentence.
"""
from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from pathlib import Path, PureWindowsPath
from typing import Any, Callable

from duban.workbooks.model.errors import DubanError

Values = list[list[Any]]

# RPC_E_CALL_REJECTED (0x80010001) and RPC_E_SERVERCALL_RETRYLATER (0x8001010A), as pywin32 gives them.
BUSY_HRESULTS = {-2147418111, -2147417846, 0x80010001, 0x8001010A}
BUSY_WORDS = ("rejected by callee", "call was rejected", "retrylater", "被呼叫方拒绝", "应用程序正在使用中")
RETRIES = 8
FIRST_WAIT = 0.1     # seconds; doubled each time up to MAX_WAIT (about 6 s in all)
MAX_WAIT = 1.6


class ExcelBusy(DubanError):
    """Excel kept refusing calls (a cell in edit mode, a dialog open); `text(lang)` says so."""

    TEXT = {"zh": "Excel 正忙（可能有单元格处于编辑状态或有对话框未关闭），多次重试后仍未响应。请按 Enter 或 Esc "
                  "结束编辑、关闭对话框后再点一次“运行”。",
            "en": "Excel is busy (a cell is being edited or a dialog is open) and kept refusing the call after "
                  "several tries. Press Enter or Esc to finish editing, close any dialog, then click Run again."}

    def __init__(self):
        super().__init__(self.TEXT["en"])

    def text(self, lang: str) -> str:
        return self.TEXT.get(lang, self.TEXT["zh"])


def is_busy_error(exc: BaseException) -> bool:
    """Is this Excel's "call was rejected by callee" / "retry later" (pywintypes.com_error)?"""
    codes = {getattr(exc, "hresult", None), *(a for a in exc.args[:1] if isinstance(a, int))}
    if codes & BUSY_HRESULTS:
        return True
    text = " ".join(str(a) for a in exc.args).lower()
    return any(word in text for word in BUSY_WORDS)


def com_retry(call: Callable[[], Any], tries: int = RETRIES,
              sleep: Callable[[float], None] = time.sleep) -> Any:
    """`call()`, retried while Excel rejects it as busy; other errors go through at once."""
    wait = FIRST_WAIT
    for attempt in range(tries):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - only the busy kind is retried
            if not is_busy_error(exc):
                raise
            if attempt == tries - 1:
                raise ExcelBusy() from None
            sleep(wait)
            wait = min(wait * 2, MAX_WAIT)
    raise ExcelBusy()


# ---- the interface -------------------------------------------------------------------------------
class Sheet(ABC):
    name: str

    @abstractmethod
    def read(self, ref: str) -> Values:
        """The values of `ref` ("A1", "A2:C9") as rows of cells (always two-dimensional)."""

    @abstractmethod
    def write(self, ref: str, values: Values) -> None:
        """Rows of values written from the top-left cell `ref`."""

    @abstractmethod
    def clear(self, ref: str) -> None:
        """Empty the cells of `ref`, keeping their format."""

    @abstractmethod
    def colour(self, ref: str) -> tuple[str | None, str | None]:
        """(fill, font colour) of the cell `ref` as RGB hex ("FFC7CE"); None: no fill / automatic."""

    @abstractmethod
    def set_colour(self, ref: str, fill: str | None, font: str | None, pattern: str = "solid") -> None:
        """Fill `ref` (None: no fill) and colour its font (None: automatic); `pattern` "lightUp"
        hatches the fill with lines in the font colour (duban's data-problem colour)."""


class Book(ABC):
    path: Path

    @abstractmethod
    def sheet(self, name: str) -> Sheet | None:
        """The sheet called `name`, or None."""

    @abstractmethod
    def selected_value(self) -> Any:
        """The value of the selected cell (the top-left one of a selection), or None."""

    @abstractmethod
    def save(self) -> None:
        """Save the workbook where it is, through Excel."""


class Excel(ABC):
    @abstractmethod
    def open_books(self) -> list[Book]:
        """Every workbook open in this Excel, in one listing (the console asks once per click)."""

    @abstractmethod
    def open_book(self, path: Path) -> Book | None:
        """The workbook at `path` if it is open in this Excel, else None."""

    @abstractmethod
    def status(self, text: str | None) -> None:
        """Show `text` in the status bar; None gives the status bar back to Excel."""

    @abstractmethod
    def screen_updating(self, on: bool) -> None:
        """Turn screen updating off while writing, and back on."""


def same_file(a: Path | str, b: Path | str) -> bool:
    """Do two paths name one file? Case-insensitive as on Windows and macOS, and, when both exist,
    by file identity too (a mapped drive Z:\\ and its UNC path \\\\server\\share name one file)."""
    norm = [os.path.normcase(os.path.normpath(str(p))).casefold().replace("\\", "/") for p in (a, b)]
    if norm[0] == norm[1]:
        return True
    if PureWindowsPath(str(a)).name.casefold() != PureWindowsPath(str(b)).name.casefold():
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# ---- the xlwings implementation -------------------------------------------------------------------
def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))


def _hex(rgb) -> str | None:
    if rgb is None:
        return None
    if isinstance(rgb, str):
        return rgb.lstrip("#").upper()
    return "".join(f"{int(c):02X}" for c in rgb[:3])


XL_PATTERN_SOLID, XL_PATTERN_LIGHT_UP = 1, 14   # xlwings.constants.Pattern


class XlwingsSheet(Sheet):
    def __init__(self, sheet):
        self._sheet = sheet
        self.name = sheet.name

    def _retry(self, call):
        return com_retry(call)

    def read(self, ref: str) -> Values:
        value = self._retry(lambda: self._sheet.range(ref).options(ndim=2).value)
        return [list(row) for row in value] if value else [[None]]

    def write(self, ref: str, values: Values) -> None:
        def put():
            self._sheet.range(ref).value = values
        self._retry(put)

    def clear(self, ref: str) -> None:
        self._retry(lambda: self._sheet.range(ref).clear_contents())

    def colour(self, ref: str) -> tuple[str | None, str | None]:
        def get():
            rng = self._sheet.range(ref)
            return _hex(rng.color), _hex(rng.font.color)
        return self._retry(get)

    def set_colour(self, ref: str, fill: str | None, font: str | None, pattern: str = "solid") -> None:
        def put():
            rng = self._sheet.range(ref)
            rng.color = _rgb(fill) if fill else None
            rng.font.color = _rgb(font or "000000")
            if fill:
                _hatch(rng, pattern, font)
        self._retry(put)


def _hatch(rng, pattern: str, font: str | None) -> None:
    """Interior.Pattern has no xlwings wrapper: through the COM object on Windows, else a solid fill."""
    try:
        interior = rng.api.Interior
        if pattern == "solid":
            interior.Pattern = XL_PATTERN_SOLID
        else:
            interior.Pattern = XL_PATTERN_LIGHT_UP
            r, g, b = _rgb(font or "000000")
            interior.PatternColor = r + (g << 8) + (b << 16)
    except Exception as exc:  # noqa: BLE001 - macOS's AppleScript api differs: the solid fill stays
        if is_busy_error(exc):
            raise


class XlwingsBook(Book):
    def __init__(self, book):
        self._book = book
        self.path = Path(book.fullname)

    def sheet(self, name: str) -> Sheet | None:
        names = com_retry(lambda: [s.name for s in self._book.sheets])
        if name not in names:
            return None
        return XlwingsSheet(com_retry(lambda: self._book.sheets[name]))

    def selected_value(self) -> Any:
        def get():
            selection = self._book.selection
            if selection is None:
                return None
            value = selection.options(ndim=2).value
            return value[0][0] if value and value[0] else None
        return com_retry(get)

    def save(self) -> None:
        com_retry(lambda: self._book.save())


class XlwingsExcel(Excel):
    """The Excel that called the macro (`app` is an xlwings App)."""

    def __init__(self, app):
        self._app = app

    def open_books(self) -> list[Book]:
        return com_retry(lambda: [XlwingsBook(book) for book in self._app.books])

    def open_book(self, path: Path) -> Book | None:
        for book in com_retry(lambda: list(self._app.books)):
            if same_file(book.fullname, path):
                return XlwingsBook(book)
        return None

    def status(self, text: str | None) -> None:
        def put():
            self._app.status_bar = text if text is not None else False   # False: Excel's own again
        com_retry(put)

    def screen_updating(self, on: bool) -> None:
        def put():
            self._app.screen_updating = on
        com_retry(put)


def caller() -> tuple[XlwingsExcel, XlwingsBook]:
    """The Excel and the workbook whose button ran this Python (RunPython)."""
    import xlwings

    book = xlwings.Book.caller()
    return XlwingsExcel(book.app), XlwingsBook(book)
