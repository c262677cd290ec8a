"""Property test of the row patcher: any row a program may write, any job-owned edits, gives a
well-formed row, its cells in column order, each cell exactly what the edits say.

Rows vary in what real files vary in: cells present or absent in any column, with or without
an `r` attribute (a cell without one follows the previous cell), `r` first or not, `s` absent,
empty or a number, values of several types or none; the row itself with or without `r`, or
`<row/>` when it has no cells. Shapes some generators write (issue 16): every attribute in
single quotes, references in lowercase, and the row written as two `<row r="2">` elements that
share its cells. Edits write a value and/or a format into any column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from duban.workbooks.model.a1 import col_letters, col_number
from duban.workbooks.xlsx.cellxml import CellEdit
from duban.workbooks.xlsx.sheetxml import patch_sheet


@dataclass
class Shape:
    """How the sheet is written: quote character, reference case, and where row 2 is split
    into a second element (None: one element)."""

    quote: str = '"'
    lower: bool = False
    split: int | None = None


PLAIN = Shape()     # what Excel writes


@st.composite
def shapes(draw, cells):
    """A shape for these cells; a split only before a cell that has its own r (a cell without
    one would count from the start of the second element)."""
    splits = [i for i, c in enumerate(cells) if i and c.has_r]
    split = draw(st.sampled_from([None, *splits])) if splits else None
    return Shape(draw(st.sampled_from(['"', "'"])), draw(st.booleans()), split)

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
COLUMNS = 7
ROW = 2
BEFORE = '<row r="1"><c r="A1"><v>1</v></c></row>'
AFTER = '<row r="3"><c r="B3" t="inlineStr"><is><t>after</t></is></c></row>'
BODIES = {"empty": "", "number": "<v>42</v>", "shared": "<v>0</v>", "inline": "<is><t>old &amp; text</t></is>",
          "closed": None}
TEXTS = st.sampled_from(["", "ID-1", " padded ", "a<b>&c", "中文 提示", "x\x01y"])


@dataclass
class Cell:
    col: int
    has_r: bool
    r_first: bool
    s: str | None
    body: str


@st.composite
def rows(draw):
    """The existing cells of row 2: a sorted set of columns, each written in one of the ways."""
    present = sorted(draw(st.sets(st.integers(1, COLUMNS), max_size=COLUMNS)))
    out, prev = [], 0
    for col in present:
        has_r = draw(st.booleans()) if col == prev + 1 else True   # only a neighbour may omit r
        out.append(Cell(col, has_r, draw(st.booleans()), draw(st.sampled_from([None, "", "0", "3"])),
                        draw(st.sampled_from(sorted(BODIES)))))
        prev = col
    return out


@st.composite
def edits(draw):
    """{column: (text or None, new format or None or "keep")}: never neither, as plans never are."""
    chosen = draw(st.sets(st.integers(1, COLUMNS), min_size=1, max_size=COLUMNS))
    out = {}
    for col in sorted(chosen):
        text = draw(st.none() | TEXTS)
        style = draw(st.sampled_from(["keep", 0, 3, 5]) if text is None else
                     st.sampled_from([None, "keep", 0, 3, 5]))
        out[col] = (text, style)
    return out


def cell_xml(cell: Cell, shape: Shape = PLAIN) -> str:
    q = shape.quote
    attrs = []
    if cell.s is not None:
        attrs.append(f"s={q}{cell.s}{q}")
    if cell.body == "shared":
        attrs.append(f"t={q}s{q}")
    elif cell.body == "inline":
        attrs.append(f"t={q}inlineStr{q}")
    if cell.has_r:
        letters = col_letters(cell.col).lower() if shape.lower else col_letters(cell.col)
        ref = f"r={q}{letters}{ROW}{q}"
        attrs.insert(0 if cell.r_first else len(attrs), ref)
    start = "<c" + "".join(" " + a for a in attrs)
    body = BODIES[cell.body]
    return start + "/>" if body is None else f"{start}>{body}</c>"


def sheet(cells: list[Cell], row_has_r: bool, shape: Shape = PLAIN) -> bytes:
    row_attr = f" r={shape.quote}{ROW}{shape.quote}" if row_has_r else ""
    parts = [cells] if shape.split is None or not row_has_r else [cells[:shape.split], cells[shape.split:]]
    row = ""
    for part in parts:
        inner = "".join(cell_xml(c, shape) for c in part)
        row += f"<row{row_attr}>{inner}</row>" if inner else f"<row{row_attr}/>"
    return (f'<worksheet xmlns="{NS}"><dimension ref="A1:C3"/><sheetData>{BEFORE}{row}{AFTER}</sheetData>'
            f'</worksheet>').encode()


def style_of(choice):
    if choice is None:
        return None
    return lambda current: None if choice == "keep" else choice


def original(cell: Cell) -> tuple:
    text = {"number": "42", "shared": "0", "inline": "old & text"}.get(cell.body, "")
    t = {"shared": "s", "inline": "inlineStr"}.get(cell.body)
    return cell.s, t, text


def expected(cells: list[Cell], plan: dict) -> list[tuple]:
    """(column, r, s, t, text) of every cell of the patched row, worked out from the model."""
    by_col = {c.col: c for c in cells}
    out = []
    for col in sorted(set(by_col) | set(plan)):
        cell = by_col.get(col)
        s, t, text = original(cell) if cell else (None, None, "")
        if col in plan:
            new_text, choice = plan[col]
            new_s = None if choice in (None, "keep") else choice
            if new_s is not None and new_s != int(s or 0):
                s = str(new_s)
            if new_text is not None:
                text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", new_text)
                t = "inlineStr" if new_text else None
            if cell is None and not text and s is None:
                continue                       # nothing to write in a missing cell: not created
        r = None if cell is not None and not cell.has_r else f"{col_letters(col)}{ROW}"   # any case: see actual
        out.append((col, r, s, t, text))
    return out


def actual(xml: bytes, elements: int = 1) -> list[tuple]:
    """(column, r, s, t, text) of row 2's cells, parsed by libxml2, from all its elements, in
    column order; columns from r (read in any case, as readers do) or position. Each element
    must hold its cells in column order, and no column may be written twice."""
    root = etree.fromstring(xml)
    rows = root.findall(f".//{{{NS}}}row")
    assert len(rows) == 2 + elements
    out = []
    for row in rows[1:-1]:
        col, cols = 0, []
        for c in row.iter(f"{{{NS}}}c"):
            r = c.get("r") and c.get("r").upper()
            col = col_number(r.rstrip("0123456789")) if r else col + 1
            assert r is None or r.endswith(str(ROW))
            cols.append(col)
            out.append((col, r, c.get("s"), c.get("t"), "".join(c.itertext())))
        assert cols == sorted(cols), "cells out of column order"
    columns = [c[0] for c in out]
    assert len(columns) == len(set(columns)), "a cell written twice"
    return sorted(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=rows(), plan=edits(), row_has_r=st.booleans(), data=st.data())
@pytest.mark.slow
def test_a_patched_row_is_well_formed_in_column_order_and_as_planned(cells, plan, row_has_r, data):
    shape = data.draw(shapes(cells))
    raw = sheet(cells, row_has_r, shape)
    cell_edits = {f"{col_letters(col)}{ROW}": CellEdit(text, style_of(choice)) for col, (text, choice) in plan.items()}
    new = patch_sheet(raw, {ROW: cell_edits})
    got = actual(new, 2 if shape.split is not None and row_has_r else 1)   # raises if the XML is not well-formed
    assert got == expected(cells, plan)
    assert new.split(b"<dimension")[0] == raw.split(b"<dimension")[0]
    assert b"<sheetData>" + BEFORE.encode() in new and new.endswith(AFTER.encode() + b"</sheetData></worksheet>")


def test_the_demo_case_a_new_cell_before_a_restyled_first_cell():
    """The shape `duban init --demo` produced: ID written into A, B (the first cell) repainted."""
    cells = [Cell(2, True, True, "1", "inline"), Cell(3, True, True, None, "number")]
    raw = sheet(cells, True)
    new = patch_sheet(raw, {ROW: {"A2": CellEdit("C-1"), "B2": CellEdit(None, lambda s: 4)}})
    assert actual(new) == [(1, "A2", None, "inlineStr", "C-1"), (2, "B2", "4", "inlineStr", "old & text"),
                           (3, "C2", None, None, "42")]
