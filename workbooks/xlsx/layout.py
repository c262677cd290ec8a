"""Where things are in one worksheet's XML: its namespace prefix, its rows (found by number or
counted), and for one row the cuts that apply a set of cell edits (`Layout`), worked out once
per sheet rather than per row.
"""
from __future__ import annotations

import re
from functools import lru_cache

from duban.workbooks.model.a1 import col_number, ref_col
from duban.workbooks.xlsx import rowheight
from duban.workbooks.xlsx.cellxml import (
    Ambiguous,
    CellEdit,
    attributes,
    edited_cell,
    new_text_cell,
    rebuilt_row,
    restyle,
    unaddressed,
)


def rows_by_number(raw: bytes, prefix: bytes, data: int, wanted: list[int]):
    """The wanted rows found directly by their number (rows are in ascending order in a sheet)."""
    pos = data
    for number in wanted:
        start = raw.find(b"<" + prefix + b'row r="%d"' % number, pos)
        if start < 0:
            continue
        tag_end = raw.index(b">", start) + 1
        closed = raw[tag_end - 2] == 47  # "/"
        attrs = raw[start + len(prefix) + 4: tag_end - (2 if closed else 1)]
        yield number, start, tag_end, attrs, closed
        pos = tag_end


def all_rows(raw: bytes, prefix: bytes, data: int, wanted: set[int]):
    """Every start tag of a wanted row, in file order, however many there are of each number;
    rows without r are counted (each follows the previous one)."""
    row_start = re.compile(rb"<" + prefix + rb"row\b([^>]*?)(/?)>")
    last = 0
    for m in row_start.finditer(raw, data):
        last = _row_number(m.group(1), last)
        if last in wanted:
            yield last, m.start(), m.end(), m.group(1), bool(m.group(2))


def sheet_prefix(raw: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?worksheet\b", raw)
    return m.group(1) or b"" if m else b""


_ROW_R = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*(\d+)\s*["']""")


def _row_number(attrs: bytes, last: int) -> int:
    m = _ROW_R.search(attrs)
    return int(m.group(1)) if m else last + 1


_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*?)/?>")


@lru_cache(maxsize=64)
def _cell_start(prefix: bytes) -> re.Pattern:
    return re.compile(rb"<" + prefix + rb'c r="([A-Z]+)(\d+)"')



class Layout:
    """What the row patcher needs to know about one sheet, worked out once (not per row)."""

    def __init__(self, raw: bytes):
        prefix = self.prefix = sheet_prefix(raw)
        self.raw, self.data = raw, max(raw.find(b"<" + prefix + b"sheetData"), 0)
        data = self.data
        self.tag, self.end_tag = b"<" + prefix + b"c", b"</" + prefix + b"c>"
        self.find_tag = self.tag + b' r="'
        self.cell_start = _cell_start(prefix)
        odd: set[bytes] = set()                  # b"row" / b"c": some start tag lacks a leading r
        for m in unaddressed(prefix).finditer(raw, data):
            odd.add(m.group(1))
            if len(odd) == 2:
                break
        self.rows_numbered = b"row" not in odd   # every row starts `<row r="N"`
        self.addressed = b"c" not in odd          # every cell starts `<c r="..."`
        self._ordered: bool | None = None
        self._widths: tuple[dict[int, float], float] | None = None
        self._col_styles: dict[int, bytes] | None = None
        self._columns: dict[bytes, int] = {}

    def width(self, col: int) -> float:
        """Column `col`'s width as the sheet gives it (for rows that must grow to show wrapped text)."""
        if self._widths is None:
            self._widths = rowheight.column_widths(self.raw[:self.data])
        widths, default = self._widths
        return widths.get(col, default)

    @property
    def ordered(self) -> bool:
        """Rows in ascending order, each number once (as the format wants, and the fast path
        needs): one scan of the row numbers, done when a write first asks."""
        if self._ordered is None:
            pattern = re.compile(rb"<" + re.escape(self.prefix) + rb'row r="(\d+)"')
            numbers = list(map(int, pattern.findall(self.raw, self.data)))
            self._ordered = all(map(int.__lt__, numbers, numbers[1:]))
        return self._ordered

    def cuts(self, lo: int, hi: int, cells: dict[str, CellEdit]) -> tuple[list, int]:
        """Cuts for one row whose body is raw[lo:hi], and the rightmost column a new cell took.
        Fast path: cells found by their leading r attribute (Excel, LibreOffice and openpyxl
        write it first); rows with cells lacking r are re-parsed whole."""
        raw, tag, find_tag = self.raw, self.tag, self.find_tag
        cuts, missing = [], []
        for ref, edit in cells.items():
            tag_ref = find_tag + ref.encode() + b'"'
            at = raw.find(tag_ref, lo, hi)
            if at < 0:
                missing.append((ref, edit))
                continue
            if raw.find(tag_ref, at + len(tag_ref), hi) >= 0:     # the same cell twice in the row
                raise Ambiguous(ref)
            close = raw.index(b">", at)
            if not edit.value:  # a new format only: the start tag is all that changes
                if (new := restyle(raw[at:close + 1], edit)) is not None:
                    cuts.append((at, 0, close + 1, new))
                continue
            if raw[close - 1] == 47:  # "/": an empty cell
                end, attrs_raw, content = close + 1, raw[at + len(tag):close - 1], b""
            else:
                end_tag = raw.index(self.end_tag, close)
                end, attrs_raw, content = end_tag + len(tag) + 2, raw[at + len(tag):close], raw[close + 1:end_tag]
            cuts.append((at, 0, end, edited_cell(self.prefix, attributes(attrs_raw), content, edit)))
        if not missing:
            return cuts, 0
        if not self.addressed and unaddressed(self.prefix).search(raw, lo, hi):  # a cell without a leading r
            return [(lo, 0, hi, rebuilt_row(raw[lo:hi], cells, self.prefix))], \
                max(ref_col(r) for r in cells)
        added, widest = self._inserts(lo, hi, missing)
        return cuts + added, widest

    def _inserts(self, lo: int, hi: int, missing: list) -> tuple[list, int]:
        """New cells for the row: each goes before the first cell to its right, else at the end."""
        raw, find_tag, widest, cuts = self.raw, self.find_tag, 0, []
        first = raw.find(find_tag, lo, hi)
        first_col = self._col_at(first) if first >= 0 else 0
        last_col = None
        for ref, edit in missing:
            col = ref_col(ref)
            own = self.column_style(col) if edit.column_format else None   # as Excel: the column's format
            new: bytes | None
            if edit.text and edit.number is None:
                new = new_text_cell(self.prefix, ref, edit, own)
            else:
                attrs = {b"r": ref.encode()}
                if own:
                    attrs[b"s"] = own
                new = edited_cell(self.prefix, attrs, None, edit)
            if new is None:
                continue
            if first < 0 or first_col > col:
                pos = first if first >= 0 else hi
            else:
                if last_col is None:
                    last_col = self._col_at(raw.rfind(find_tag, lo, hi))
                pos = hi if last_col < col else next(
                    (m.start() for m in self.cell_start.finditer(raw, lo, hi) if self._number(m.group(1)) > col), hi)
            cuts.append((pos, col, pos, new))
            widest = max(widest, col)
        return cuts, widest

    def column_style(self, col: int) -> bytes | None:
        """The format `<cols>` gives column `col` (a new cell there starts from it, as in Excel)."""
        if self._col_styles is None:
            self._col_styles = {}
            for m in _COL.finditer(self.raw, 0, self.data):
                attrs = attributes(m.group(1))
                lo, hi = attrs.get(b"min", b""), attrs.get(b"max", b"")
                if (style := attrs.get(b"style")) and lo.isdigit():
                    for number in range(int(lo), int(hi if hi.isdigit() else lo) + 1):
                        self._col_styles[number] = style
        return self._col_styles.get(col)

    def _col_at(self, at: int) -> int:
        """The column number of the cell whose `<c r="` starts at `at`."""
        if m := self.cell_start.match(self.raw, at):
            return self._number(m.group(1))
        start = at + len(self.find_tag)
        return col_number(self.raw[start:self.raw.index(b'"', start)].rstrip(b"0123456789").decode())

    def _number(self, letters: bytes) -> int:
        """A column's number from its letters as bytes, remembered for the sheet (a few columns
        over a hundred thousand rows)."""
        if (number := self._columns.get(letters)) is None:
            number = self._columns[letters] = col_number(letters.decode())
        return number
