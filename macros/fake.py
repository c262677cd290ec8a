"""An Excel in memory, implementing excel.py's interface: the console and the live applier are
tested (and benchmarked) with it on any machine.

A `FakeBook` can be loaded from a real file (values, fills and font colours, with openpyxl);
its `save()` then writes the changed cells back into that file, as Excel's save would, so a
test sees on disk what Excel would have saved. Every call is logged in `FakeExcel.log`, in
order, so a test can tell that screen updating was off while cells were written.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from duban.macros.excel import Book, Excel, Sheet, Values, same_file
from duban.workbooks.model.a1 import col_number

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def cell_index(ref: str) -> tuple[int, int]:
    """"B7" -> (7, 2)."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)), col_number(m.group(1))


def bounds(ref: str) -> tuple[int, int, int, int]:
    """"A2:C9" -> (2, 1, 9, 3): first row, first column, last row, last column."""
    first, _, last = ref.partition(":")
    r1, c1 = cell_index(first)
    r2, c2 = cell_index(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


class FakeSheet(Sheet):
    def __init__(self, name: str, excel: "FakeExcel | None" = None):
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.colours: dict[tuple[int, int], tuple[str | None, str | None, str]] = {}
        self.dirty: set[tuple[int, int]] = set()
        self.excel = excel

    def _log(self, *entry) -> None:
        if self.excel is not None:
            self.excel.log.append((entry[0], self.name, *entry[1:]))

    def read(self, ref: str) -> Values:
        r1, c1, r2, c2 = bounds(ref)
        return [[self.cells.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    def write(self, ref: str, values: Values) -> None:
        if not isinstance(values, list):
            values = [[values]]
        elif values and not isinstance(values[0], list):
            values = [values]
        r1, c1, *_ = bounds(ref)
        self._log("write", ref, len(values))
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                key = (r1 + i, c1 + j)
                if value is None or value == "":
                    self.cells.pop(key, None)
                else:
                    self.cells[key] = value
                self.dirty.add(key)

    def clear(self, ref: str) -> None:
        r1, c1, r2, c2 = bounds(ref)
        self._log("clear", ref)
        for key in [k for k in self.cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]:
            del self.cells[key]
            self.dirty.add(key)

    def colour(self, ref: str) -> tuple[str | None, str | None]:
        fill, font, _ = self.colours.get(cell_index(ref), (None, None, "solid"))
        return fill, font

    def set_colour(self, ref: str, fill: str | None, font: str | None, pattern: str = "solid") -> None:
        self._log("colour", ref, fill)
        r1, c1, r2, c2 = bounds(ref)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                self.colours[(r, c)] = (fill, font, pattern if fill else "solid")
                self.dirty.add((r, c))

    def value(self, ref: str) -> Any:
        return self.cells.get(cell_index(ref))

    def rows(self, first: int = 1, last: int | None = None, width: int | None = None) -> list[list]:
        """The sheet's rows as lists (for tests): `first` to the last used row, trailing blanks cut."""
        if not self.cells:
            return []
        last = last or max(r for r, _ in self.cells)
        width = width or max(c for _, c in self.cells)
        out = []
        for r in range(first, last + 1):
            row = [self.cells.get((r, c)) for c in range(1, width + 1)]
            while row and row[-1] is None:
                row.pop()
            out.append(row)
        return out


class FakeBook(Book):
    def __init__(self, path: Path, sheets: list[str] = (), excel: "FakeExcel | None" = None):
        self.path = Path(path)
        self.excel = excel
        self.sheets: dict[str, FakeSheet] = {name: FakeSheet(name, excel) for name in sheets}
        self.selected: Any = None
        self.saves = 0
        self._backed_by_file = False

    @classmethod
    def from_file(cls, path: Path, excel: "FakeExcel | None" = None) -> "FakeBook":
        """The workbook as Excel would show it after opening `path`: values and colours."""
        from openpyxl import load_workbook

        wb = load_workbook(path, keep_vba=str(path).lower().endswith(".xlsm"))
        book = cls(path, [], excel)
        for ws in wb.worksheets:
            sheet = book.sheets[ws.title] = FakeSheet(ws.title, excel)
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        sheet.cells[(cell.row, cell.column)] = cell.value
                    if (fill := _fill_of(cell)) != (None, None, "solid"):
                        sheet.colours[(cell.row, cell.column)] = fill
        book._backed_by_file = True
        return book

    def sheet(self, name: str) -> Sheet | None:
        if self.excel is not None:
            self.excel.log.append(("sheet", name))
        return self.sheets.get(name)

    def selected_value(self) -> Any:
        return self.selected

    def save(self) -> None:
        """Excel's save: the changed cells go into the file (loaded from it), the rest stays."""
        if self.excel is not None:
            self.excel.log.append(("save", self.path.name))
        self.saves += 1
        if not self._backed_by_file:
            return
        from copy import copy

        from openpyxl import load_workbook
        from openpyxl.styles import Color, PatternFill

        wb = load_workbook(self.path, keep_vba=str(self.path).lower().endswith(".xlsm"))
        for sheet in self.sheets.values():
            ws = wb[sheet.name]
            for r, c in sorted(sheet.dirty):
                cell = ws.cell(r, c)
                cell.value = sheet.cells.get((r, c))
                if (r, c) in sheet.colours:
                    fill, font, pattern = sheet.colours[(r, c)]
                    if fill is None:
                        cell.fill = PatternFill(fill_type=None)
                    elif pattern == "solid":          # as Excel writes Interior.Color
                        cell.fill = PatternFill("solid", fgColor="FF" + fill, bgColor=Color(indexed=64))
                    else:
                        cell.fill = PatternFill(pattern, fgColor="FF" + (font or "000000"), bgColor="FF" + fill)
                    new_font = copy(cell.font)
                    new_font.color = Color(rgb="FF" + font) if font else None
                    cell.font = new_font
            sheet.dirty.clear()
        wb.save(self.path)


def _fill_of(cell) -> tuple[str | None, str | None, str]:
    fill, font = cell.fill, cell.font
    font_rgb = font.color.rgb[-6:] if font is not None and font.color is not None and font.color.type == "rgb" \
        and isinstance(font.color.rgb, str) else None
    kind = fill.patternType if fill is not None else None
    if not kind or kind == "none":
        return None, font_rgb, "solid"
    colour = fill.fgColor if kind == "solid" else fill.bgColor
    rgb = colour.rgb[-6:] if colour is not None and colour.type == "rgb" and isinstance(colour.rgb, str) else None
    return rgb, font_rgb, kind


class FakeExcel(Excel):
    def __init__(self):
        self.books: list[FakeBook] = []
        self.log: list[tuple] = []
        self.status_texts: list[str | None] = []
        self.screen: list[bool] = []
        self.updating = True

    def add(self, book: FakeBook) -> FakeBook:
        book.excel = self
        for sheet in book.sheets.values():
            sheet.excel = self
        self.books.append(book)
        return book

    def open_file(self, path: Path) -> FakeBook:
        """Open a real file in this fake Excel."""
        return self.add(FakeBook.from_file(path, self))

    def open_books(self) -> list[Book]:
        self.log.append(("books",))
        return list(self.books)

    def open_book(self, path: Path) -> Book | None:
        self.log.append(("book", Path(path).name))
        return next((b for b in self.books if same_file(b.path, path)), None)

    def status(self, text: str | None) -> None:
        self.status_texts.append(text)
        self.log.append(("status", text))

    def screen_updating(self, on: bool) -> None:
        self.screen.append(on)
        self.updating = on
        self.log.append(("screen", on))
