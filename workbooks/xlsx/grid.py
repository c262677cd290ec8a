"""Loading a sheet's rows without ever building a cell grid larger than a set budget.

python-calamine turns a sheet into one dense grid, from its first used cell to its last. One
cell typed far away (`XFD1` beside a 20,000-row table, ten cells at `FOO100000`) makes that grid
billions of cells: the allocation fails inside Rust and the whole process aborts, taking every
other workbook of the run with it. So before calamine sees a sheet, its extent is read from the
cell addresses in its XML (`extent`); a sheet whose grid would pass the budget is cut down to
the rows or columns the reader needs (`trimmed`) and calamine reads that copy instead. A sheet
that stays over the budget even then raises `TooBig`, a problem of its workbook alone.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import python_calamine as calamine
from lxml import etree

from duban.workbooks.model.a1 import col_number
from duban.workbooks.xlsx import package

# calamine keeps 32 bytes per grid cell (its Data value); the Python rows add an 8-byte slot each
BYTES_PER_CELL = 40
_CHUNK = 1 << 22


class TooBig(Exception):
    """A sheet whose grid would not fit the budget, even cut down to the table's columns."""

    def __init__(self, sheet: str, rows: int, columns: int):
        self.sheet, self.rows, self.columns = sheet, rows, columns
        super().__init__(f"sheet {sheet} spans {rows} rows x {columns} columns")


@dataclass(frozen=True)
class Extent:
    """How far a sheet's grid reaches: its last row and last column (1-based; 0 when empty)."""

    rows: int
    columns: int

    @property
    def bytes(self) -> int:
        return self.rows * self.columns * BYTES_PER_CELL


# Every r attribute holding a row number or a cell address of two or three letters (any case,
# either quote, spaces around "="). One-letter columns are at most Z, counted as 26 without
# being looked at: that keeps the scan to a tenth of the addresses of a usual sheet.
_REFS = re.compile(rb"""r\s*=\s*["']([A-Za-z]{2,3}\d+|\d+)["']""")   # (a \b before r would make it 9x slower)


@lru_cache(maxsize=8)
def _unaddressed(prefix: bytes) -> re.Pattern:
    """A row or cell start tag whose first attribute is not r: its place follows the one before."""
    return re.compile(rb"<" + re.escape(prefix) + rb"(?:row|c)(?:/?>|\s(?!\s*r\s*=))")


def extent(zf: zipfile.ZipFile, entry: str) -> Extent:
    """The extent of the sheet stored at `entry`, from its addresses, streamed in pieces."""
    return measure(lambda: zf.open(entry))


def exact_extent(zf: zipfile.ZipFile, entry: str) -> Extent:
    """The extent of the sheet stored at `entry`, walked tag by tag (`_exact`; the tests hold
    `extent` against it)."""
    return _exact(lambda: zf.open(entry))


def _pieces(opener):
    """The sheet XML in pieces of about 4 MB, each ending at the end of a tag."""
    tail = b""
    with opener() as part:
        while chunk := part.read(_CHUNK):
            piece = tail + chunk
            cut = piece.rfind(b">") + 1                 # whole tags only; the rest waits for the next piece
            yield piece[:cut]
            tail = piece[cut:]


def measure(opener) -> Extent:
    """The extent of the sheet XML `opener()` opens, from its addresses. A sheet with rows or
    cells that carry no address (allowed: each follows the one before) is walked properly
    instead (`_exact`)."""
    rows = columns = 0
    prefix: bytes | None = None
    for piece in _pieces(opener):
        if prefix is None and (m := re.search(rb"<(\w+:)?worksheet\b", piece)):
            prefix = m.group(1) or b""
        if _unaddressed(prefix or b"").search(piece):
            return _exact(opener)
        for ref in _REFS.findall(piece):
            if ref[0] > 57:                         # letters first: a cell address
                letters = ref.rstrip(b"0123456789")
                columns = max(columns, _col(letters.upper()))
                rows = max(rows, int(ref[len(letters):]))
            else:
                rows = max(rows, int(ref))
    return Extent(rows, max(columns, 26) if rows else 0)


_TAG = re.compile(rb"""<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)""")
_R = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*([A-Za-z]*)(\d*)""")


def _exact(opener) -> Extent:
    """The extent of a sheet walked tag by tag, placing rows and cells without an address after
    the one before, as calamine does (slower: sheets with such rows or cells only)."""
    rows = columns = row = col = 0
    for piece in _pieces(opener):
        for tag, attrs in _TAG.findall(piece):
            m = _R.search(attrs)
            if tag == b"row":
                row = int(m.group(2)) if m and m.group(2) and not m.group(1) else row + 1
                col = 0
            else:
                col = _col(m.group(1).upper()) if m and m.group(1) else col + 1
                rows, columns = max(rows, row), max(columns, col)
    return Extent(rows, columns)


def trimmed(path, entry: str, rows: int | None, columns: int | None) -> tuple[bytes, Extent]:
    """The package at `path` with the sheet at `entry` cut to its first `rows` rows and first
    `columns` columns (None: all), and the extent of what is left. Every other part is copied
    as stored; only the cut sheet is new."""
    with zipfile.ZipFile(path) as zf, zf.open(entry) as part:
        xml, kept = _walk(part, rows, columns)
    out = io.BytesIO()
    package.rewrite(path, out, {entry: package.deflate(xml, 1)})
    return out.getvalue(), kept


def _walk(source, max_row: int | None, max_col: int | None) -> tuple[bytes, Extent]:
    """Stream the sheet: keep the rows up to `max_row` and their cells up to `max_col`, as a new
    sheet holding only its sheetData, and the extent of what is kept (every cell is looked at,
    wherever it is in its row). Each row is dropped from the parsed tree once handled, so
    memory follows what is kept, not the sheet."""
    root: Any = None             # lxml elements (untyped), made at the first row
    sheet_data: Any = None
    last_row = used_rows = used_cols = 0
    for _event, el in etree.iterparse(source, events=("end",), tag="{*}row", huge_tree=True,
                                      resolve_entities=False, no_network=True):
        if root is None:
            ns = etree.QName(el).namespace
            root = etree.Element(f"{{{ns}}}worksheet" if ns else "worksheet", nsmap=el.nsmap)
            sheet_data = etree.SubElement(root, f"{{{ns}}}sheetData" if ns else "sheetData")
        last_row = _address(el.get("r"), last_row, row=True)
        if max_row is not None and last_row > max_row:
            break
        col = 0
        for cell in list(el.iterchildren("{*}c")):
            col = _address(cell.get("r"), col, row=False)
            if max_col is not None and col > max_col:
                el.remove(cell)
            else:
                used_rows, used_cols = last_row, max(used_cols, col)
        if len(el):
            el.set("r", str(last_row))                   # a row without r keeps its place in the copy
            el.tail = None
            sheet_data.append(el)                        # moved out of the parsed tree
        else:
            el.clear()
            if (parent := el.getparent()) is not None:
                parent.remove(el)
    if root is None:
        root = etree.Element(f"{{{package.NS_MAIN}}}worksheet", nsmap={None: package.NS_MAIN})
        etree.SubElement(root, f"{{{package.NS_MAIN}}}sheetData")
    return etree.tostring(root), Extent(used_rows, used_cols)


def _address(ref: str | None, previous: int, row: bool) -> int:
    """A row number or column number from an r attribute (any letter case), or the next one."""
    if not ref:
        return previous + 1
    ref = ref.strip()
    if row:
        return int(ref) if ref.isdigit() else previous + 1
    letters = ref.rstrip("0123456789").upper()
    return col_number(letters) if letters.isalpha() else previous + 1


def _col(letters: bytes) -> int:
    """`a1.col_number` for the bytes of a streamed sheet (per cell: no decoding)."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


class Sheets:
    """The sheets of one workbook for the reader, each loaded within `budget` bytes of grid."""

    def __init__(self, path, book: calamine.CalamineWorkbook, budget: int):
        self.path, self.book, self.budget = path, book, budget
        with zipfile.ZipFile(path) as zf:
            self.parts = package.book_parts(zf).sheets
            self._extents: dict[str, Extent] = {}

    def extent(self, name: str) -> Extent:
        if name not in self._extents:
            entry = self.parts.get(name)
            with zipfile.ZipFile(self.path) as zf:
                self._extents[name] = extent(zf, entry) if entry else Extent(0, 0)
        return self._extents[name]

    def fits(self, name: str) -> bool:
        return self.extent(name).bytes <= self.budget

    def rows(self, name: str, rows: int | None = None, columns: int | None = None) -> list[list]:
        """The sheet's rows from A1 (list i is Excel row i+1, item j column j), all of them when the
        grid fits, else cut to the first `rows` rows and/or `columns` columns. Raises TooBig when
        even the cut sheet passes the budget, or when it does not fit and no cut was named."""
        if self.fits(name):
            data = self.book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            return data[:rows] if rows is not None else data
        whole = self.extent(name)
        if rows is None and columns is None:
            raise TooBig(name, whole.rows, whole.columns)
        xml, kept = trimmed(self.path, self.parts[name], rows, columns)
        if kept.bytes > self.budget:
            raise TooBig(name, kept.rows, kept.columns)
        with calamine.CalamineWorkbook.from_filelike(io.BytesIO(xml)) as book:
            return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
