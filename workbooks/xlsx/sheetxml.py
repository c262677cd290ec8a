"""Patching one worksheet's XML as a byte stream: job-owned cell values and cell formats only.

A 100,000-row sheet is ~40 MB of XML; building a tree of it costs gigabytes and seconds. The
patcher instead walks the `<row>` start tags with a compiled regex, rewrites only the rows
named in the plan, and copies every other byte unchanged, so formulas, merged ranges,
validations, conditional formats and extension lists (and their namespace prefixes) survive.

The fast path expects what Excel writes: every row and cell start tag opening with
`r="A1"` (double quotes, capital letters) and rows in ascending order, each number once. Any
other shape XML allows or readers forgive (single-quoted attributes, lowercase or absent
references, a row number written twice) takes the careful path: the row is parsed cell by
cell, and a cell written twice, which no patch could settle, refuses the write (`Ambiguous`).
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator

from duban.workbooks.model.a1 import col_letters, col_number, ref_col
from duban.workbooks.xlsx import rowheight
from duban.workbooks.xlsx.cellxml import Ambiguous, CellEdit, MissingRow, attributes, cell_tag, new_cells
from duban.workbooks.xlsx.layout import Layout, all_rows, rows_by_number


def patch_sheet(raw: bytes, edits: dict[int, dict[str, CellEdit]]) -> bytes:
    """The sheet XML with the edits applied, in one piece (small sheets, tests)."""
    return b"".join(stream(raw, splices(raw, edits)))


PIECE = 1 << 20


def stream(raw: bytes, cuts: Iterable[tuple[int, int, int, bytes]]) -> Iterator[bytes | memoryview]:
    """The patched sheet as pieces: unchanged stretches are views of `raw` (at most 1 MB each),
    never copies. `cuts` may be a generator: the sheet streams out while it is being patched."""
    view, pos = memoryview(raw), 0
    for start, _order, end, new in cuts:
        while start - pos > PIECE:
            yield view[pos:pos + PIECE]
            pos += PIECE
        yield view[pos:start]
        yield new
        pos = end
    for at in range(pos, len(raw), PIECE):
        yield view[at:at + PIECE]


def splices(raw: bytes, edits: dict[int, dict[str, CellEdit]], sheet: Layout | None = None
            ) -> Iterator[tuple[int, int, int, bytes]]:
    """Where the edits change `raw`, in order: (start, order, end, new bytes), generated row by
    row as they are found. Raises MissingRow, after the last cut, for planned rows not found."""
    sheet = sheet or Layout(raw)
    prefix, data = sheet.prefix, sheet.data
    yield from _dimension_cut(raw, prefix, _widest_new(edits), min(edits, default=0), max(edits, default=0))
    if not (sheet.rows_numbered and sheet.ordered):
        yield from _careful_splices(raw, edits, sheet)
        return
    found = 0
    for number, start, tag_end, attrs, closed in rows_by_number(raw, prefix, data, sorted(edits)):
        found += 1
        yield from _row_cuts(raw, sheet, start, tag_end, attrs, closed, edits[number])
    if found != len(edits):
        seen = {number for number, *_x in rows_by_number(raw, prefix, data, sorted(edits))}
        raise MissingRow(sorted(set(edits) - seen))


def _row_cuts(raw: bytes, sheet: "Layout", start: int, tag_end: int, attrs: bytes, closed: bool,
              cells: dict[str, CellEdit]) -> list[tuple[int, int, int, bytes]]:
    """The cuts that apply `cells` to the one row element whose start tag is raw[start:tag_end]."""
    prefix = sheet.prefix
    row_end = b"</" + prefix + b"row>"
    if not cells:
        return []
    if closed:  # <row .../>: give it a body
        widest = max(ref_col(r) for r in cells)
        tag = b"<" + prefix + b"row" + _taller(_widen_spans(attrs, widest), sheet, cells) + b">"
        return [(start, 0, tag_end, tag + b"".join(n for *_x, n in new_cells(cells, prefix)) + row_end)]
    cuts, widest = sheet.cuts(tag_end, raw.index(row_end, tag_end), cells)
    if (wide := _taller(_widen_spans(attrs, widest), sheet, cells)) != attrs:
        cuts.insert(0, (start, 0, tag_end, b"<" + prefix + b"row" + wide + b">"))
    if len(cuts) > 1:
        cuts.sort(key=_cut_key)
    return [(start, order, end, new) for start, order, end, new in cuts
            if end - start != len(new) or (new and raw[start:end] != new)]   # skip cuts that change nothing


def _careful_splices(raw: bytes, edits: dict[int, dict[str, CellEdit]], sheet: "Layout"):
    """Rows without numbers, out of order, or written twice: every row element is found; a
    planned cell goes where it already is (in whichever element of its row), a new one into
    the row's first element, in column order. A cell found twice raises Ambiguous."""
    prefix, row_end = sheet.prefix, b"</" + sheet.prefix + b"row>"
    elements: dict[int, list[tuple]] = {}
    for found in all_rows(raw, prefix, sheet.data, set(edits)):
        elements.setdefault(found[0], []).append(found)
    missing = sorted(set(edits) - set(elements))
    cuts = []
    for number, cells in edits.items():
        group = elements.get(number)
        if not group:
            continue
        shares: list[dict[str, CellEdit]] = [{} for _ in group]
        for ref, edit in cells.items():
            holders = [k for k, (_n, _s, tag_end, _a, closed) in enumerate(group)
                       if not closed and _holds(raw[tag_end:raw.index(row_end, tag_end)], ref, prefix)]
            if len(holders) > 1:
                raise Ambiguous(ref)
            shares[holders[0] if holders else 0][ref] = edit
        for (_n, start, tag_end, attrs, closed), share in zip(group, shares):
            cuts += _row_cuts(raw, sheet, start, tag_end, attrs, closed, share)
    cuts.sort(key=_cut_key)
    yield from cuts
    if missing:
        raise MissingRow(missing)


def _holds(body: bytes, ref: str, prefix: bytes) -> bool:
    """Does this row body hold the cell `ref` (any quote, any letter case, or no r and placed
    after the cell before)? Twice in one body raises Ambiguous."""
    want, count, col = ref_col(ref), 0, 0
    for m in cell_tag(prefix).finditer(body):
        r = attributes(m.group(1)).get(b"r")
        col = ref_col(r.decode()) if r else col + 1
        count += col == want
    if count > 1:
        raise Ambiguous(ref)
    return count == 1


def _cut_key(cut: tuple) -> tuple[int, bool, int]:
    """Cuts in file order; at one offset, insertions (in column order) before the cut that
    rewrites the cell starting there, or a new cell would land inside that cell's start tag."""
    return cut[0], cut[2] != cut[0], cut[1]


def _widest_new(edits: dict[int, dict[str, CellEdit]]) -> int:
    """The rightmost column an edit may write (to widen the sheet's dimension, once, up front)."""
    letters = {ref.rstrip("0123456789") for cells in edits.values() for ref, edit in cells.items()
               if edit.text or edit.number is not None or edit.style is not None}
    return max(map(col_number, letters), default=0)



_SPANS = re.compile(rb'\bspans="(\d+):(\d+)"')


def _widen_spans(attrs: bytes, col: int) -> bytes:
    m = _SPANS.search(attrs)
    if not m or not col:
        return attrs
    lo, hi = int(m.group(1)), int(m.group(2))
    return attrs[:m.start()] + f'spans="{min(lo, col)}:{max(hi, col)}"'.encode() + attrs[m.end():]


_HT = re.compile(rb"""\sht\s*=\s*["']([\d.]*)["']""")
_CUSTOM = re.compile(rb"""\scustomHeight\s*=\s*["'](1|true)["']""")


def _taller(attrs: bytes, sheet: "Layout", cells: dict[str, CellEdit]) -> bytes:
    """The row's attributes with a height its growing cells' new text fits in: only ever taller,
    and never where someone set the height by hand (customHeight)."""
    wanted = [(ref, edit.text) for ref, edit in cells.items() if edit.grow and edit.text]
    if not wanted or _CUSTOM.search(attrs):
        return attrs
    need = max((h for ref, text in wanted
                if (h := rowheight.height(text, sheet.width(ref_col(ref)))) is not None),
               default=None)
    m = _HT.search(attrs)
    if need is None or (m and m.group(1) and float(m.group(1)) >= need):
        return attrs
    ht = b' ht="%g"' % need
    return attrs[:m.start()] + ht + attrs[m.end():] if m else attrs + ht


_DIMENSION = re.compile(rb"""dimension\s+ref=["']([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?["']""")


def _dimension_cut(raw: bytes, prefix: bytes, col: int, top: int, bottom: int) -> list:
    """Widen <dimension ref> when a job-owned cell was added right of the used range. The
    single-cell form (`ref="A1"`, written by some programs) becomes a range that also spans the
    edited rows `top` to `bottom`."""
    if not col:
        return []
    m = _DIMENSION.search(raw, 0, 4096)
    if not m or raw[m.start() - 1 - len(prefix):m.start()] != b"<" + prefix:
        return []
    if m.group(3) is None:   # one cell: the range from it to the new column, down to the last edited row
        if col_number(m.group(1).decode()) >= col:
            return []
        row = int(m.group(2))
        ref = b"%s%d:%s%d" % (m.group(1), min(row, top), col_letters(col).encode(), max(row, bottom))
        return [(m.start(1), 0, m.end(2), ref)]
    if col_number(m.group(3).decode()) >= col:
        return []
    return [(m.start(3), 0, m.end(3), col_letters(col).encode())]
