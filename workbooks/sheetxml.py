"""Patching one worksheet's XML in place: job-owned cell values (inline strings) and cell formats.

Only the `<c>` elements named in the plan are touched; rows, other cells, formulas, merged
ranges, validations, conditional formats and extension lists are left exactly as parsed.
"""
from __future__ import annotations

import re

from lxml import etree

from .package import NS_MAIN

Q = "{%s}%%s" % NS_MAIN
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_REF = re.compile(r"([A-Z]+)(\d+)")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


class SheetPatch:
    def __init__(self, root: etree._Element):
        self.root = root
        self.data = root.find(Q % "sheetData")
        self._rows: dict[int, etree._Element] | None = None
        self._cells: dict[int, dict] = {}
        self.max_col = 0

    def _row_index(self) -> dict[int, etree._Element]:
        if self._rows is None:
            self._rows, last = {}, 0
            for row in self.data.iterchildren(Q % "row"):
                last = int(row.get("r") or last + 1)
                self._rows[last] = row
        return self._rows

    def _row(self, number: int, create: bool) -> etree._Element | None:
        rows = self._row_index()
        row = rows.get(number)
        if row is None and create:
            row = etree.Element(Q % "row", r=str(number))
            later = [n for n in rows if n > number]
            if later:
                rows[min(later)].addprevious(row)
            else:
                self.data.append(row)
            rows[number] = row
        return row

    def cell(self, ref: str, create: bool = False) -> etree._Element | None:
        letters, number = _REF.fullmatch(ref).groups()
        row = self._row(int(number), create)
        if row is None:
            return None
        cells = self._cells.get(int(number))
        if cells is None:
            cells = self._cells[int(number)] = {c.get("r"): c for c in row.iterchildren(Q % "c")}
        found = cells.get(ref)
        if found is None and None in cells:  # some cells lack r attributes
            found = self._by_position(row, col_number(letters))
        if found is not None or not create:
            return found
        new = self._insert(row, ref, col_number(letters))
        cells[ref] = new
        return new

    def _by_position(self, row: etree._Element, col: int) -> etree._Element | None:
        """Cells written without r attributes are addressed by their position in the row."""
        for position, c in enumerate(row.iterchildren(Q % "c"), start=1):
            r = c.get("r")
            if (col_number(_REF.fullmatch(r).group(1)) if r else position) == col:
                return c
        return None

    def _insert(self, row: etree._Element, ref: str, col: int) -> etree._Element:
        new = etree.Element(Q % "c", r=ref)
        for position, c in enumerate(row.iterchildren(Q % "c"), start=1):
            r = c.get("r")
            if (col_number(_REF.fullmatch(r).group(1)) if r else position) > col:
                c.addprevious(new)
                return self._created(new, row, col)
        row.append(new)
        return self._created(new, row, col)

    def _created(self, cell: etree._Element, row: etree._Element, col: int) -> etree._Element:
        self.max_col = max(self.max_col, col)
        spans = row.get("spans")
        if spans and ":" in spans:
            lo, hi = (int(x) for x in spans.split(":"))
            row.set("spans", f"{min(lo, col)}:{max(hi, col)}")
        return cell

    def style(self, ref: str) -> int:
        cell = self.cell(ref)
        return int(cell.get("s", "0")) if cell is not None else 0

    def set_style(self, ref: str, index: int) -> None:
        self.cell(ref, create=True).set("s", str(index))

    def set_text(self, ref: str, text: str) -> None:
        """Write a job-owned value as an inline string ('' clears it), keeping the cell's format."""
        cell = self.cell(ref, create=bool(text))
        if cell is None:
            return
        for child in list(cell):
            cell.remove(child)
        for attr in ("t", "cm", "vm"):
            cell.attrib.pop(attr, None)
        if text:
            cell.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(cell, Q % "is"), Q % "t")
            t.text = _ILLEGAL.sub("", text)
            if text != text.strip():
                t.set(XML_SPACE, "preserve")

    def fix_dimension(self) -> None:
        """Widen <dimension ref> when a job-owned cell was added to the right of the used range."""
        dim = self.root.find(Q % "dimension")
        if dim is None or not self.max_col or ":" not in dim.get("ref", ""):
            return
        first, last = dim.get("ref").split(":")
        letters, number = _REF.fullmatch(last).groups()
        if col_number(letters) < self.max_col:
            dim.set("ref", f"{first}:{col_letters(self.max_col)}{number}")
