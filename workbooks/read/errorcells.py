"""Cells whose formula returns an error (#REF!, #N/A, #DIV/0!, …): said as such, not taken for blanks.

python-calamine gives an error cell as '' (python-calamine issue #105), exactly like an empty
cell, so a `#REF!` in a date column was reported as "required but empty" and a `#N/A` status
was silently no status. The sheet's own XML says it: such a cell is `<c r="F7" t="e">` with
the error text as its value. `mark_formula_errors` finds those cells in the table's columns
(one streamed pass over the sheet part, skipped at C speed when no `t="e"` occurs) and puts a
`formula-error` problem in place of whatever the blank made the reader say about the cell.
"""
from __future__ import annotations

import re
import weakref
import zipfile

from lxml import etree

from duban.workbooks.model.a1 import col_number, ref_row
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.read.parse import formula_error_params
from duban.workbooks.xlsx import package

CHUNK = 4 << 20
_MARKER = re.compile(rb"""t=["']e["']""")     # an error cell's type, in either quote style
_REF = re.compile(r"^([A-Za-z]{1,3})(\d+)$")


def mark_formula_errors(read: WorkbookRead) -> None:
    """Replace the reader's words about error cells of the table with a formula-error problem each."""
    if read.kind is None or read.sheet is None or read.header_row is None or _CLEAN.get(id(read)) is read:
        return
    try:
        found = error_cells(read.path, read.sheet)
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return          # the reader has already said what is wrong with such a file
    if not found:
        return
    keys = {j: key for key, j in read.columns.items()}
    problems: dict[str, Problem] = {}
    for ref, error in found.items():
        row = ref_row(ref)
        key = keys.get(col_number(ref[:len(ref) - len(str(row))]) - 1)
        if key is None or row <= read.header_row:
            continue
        column = read.kind.column(key)
        if column.job_owned:
            continue
        problems[ref] = Problem("formula-error", str(read.path), read.sheet, ref, row, key, error,
                                formula_error_params(column))
    if problems:
        read.problems[:] = [p for p in read.problems if p.cell not in problems or p.sheet != read.sheet]
        read.problems.extend(problems.values())
        read.problems.sort(key=lambda p: (p.row or 0, read.columns.get(p.column or "", 0)))


def error_cells(path, sheet: str) -> dict[str, str]:
    """{cell reference: error text} of the sheet's error cells (empty when it has none)."""
    with zipfile.ZipFile(path) as zf:
        part = package.workbook_parts(zf)[0][sheet]
        if not _mentions_errors(zf, part):
            return {}
        with zf.open(part) as stream:
            return _parse(stream)


def _mentions_errors(zf: zipfile.ZipFile, part: str) -> bool:
    """Does the sheet part hold `t="e"` anywhere? About the cost of inflating it (0.24 s for the
    87 MB sheet of a 100,000-row workbook, whose read takes 4 s)."""
    marks = Marks()
    with zf.open(part) as stream:
        while not marks.found and (chunk := stream.read(CHUNK)):
            marks.see(chunk)
    return marks.found


class Marks:
    """Watches a sheet part's bytes go by, in pieces cut anywhere, for an error cell's type.
    `complete`: the reader saw the part's end (so no `found` means there is none)."""

    def __init__(self) -> None:
        self.found, self.complete, self._tail = False, False, b""

    def see(self, chunk: bytes) -> None:
        if not self.found and (_MARKER.search(self._tail + chunk[:8]) or _MARKER.search(chunk)):
            self.found = True
        self._tail = (self._tail + chunk[-8:])[-8:]      # the last 8 bytes read, however small the reads


# Reads whose sheet was seen whole, while it was measured, to hold no error cell (the reader
# says so: sheetscan); each leaves this registry with the read itself.
_CLEAN: weakref.WeakValueDictionary[int, WorkbookRead] = weakref.WeakValueDictionary()


def seen_clean(read: WorkbookRead) -> None:
    """`read`'s table sheet has no error cell (its bytes were looked through already)."""
    _CLEAN[id(read)] = read


def _parse(stream) -> dict[str, str]:
    """The error cells, streamed: rows are dropped once read, so memory stays flat."""
    found: dict[str, str] = {}
    for _event, elem in etree.iterparse(stream, events=("end",), tag=("{*}c", "{*}row"), resolve_entities=False,
                                        no_network=True, huge_tree=True, load_dtd=False):
        if etree.QName(elem).localname == "row":
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
            continue
        if elem.get("t") == "e" and (ref := elem.get("r")) and _REF.match(ref):
            value = next((child.text for child in elem if etree.QName(child).localname == "v"), None)
            found[ref.upper()] = (value or "").strip() or "#VALUE!"
    return found

