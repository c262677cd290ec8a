"""Property test of a number written into a cell (a reply's date or progress): whatever shape the
row has, the cell ends up a plain number — `<v>` and no `t`, so Excel sorts and filters it as a
date or a percent — with the format its style callback gives, every other cell as it was.

The rows are the ones of tests/test_sheetxml_props.py (cells present or absent, with or without
`r`, quoted either way, a row split in two elements); edits mix numbers with text and formats.
"""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from duban.workbooks.model.a1 import col_letters
from duban.workbooks.xlsx.cellxml import CellEdit
from duban.workbooks.xlsx.sheetxml import patch_sheet
from test_sheetxml_props import NS, ROW, Cell, actual, original, rows, shapes, sheet

COLUMNS = 7
NUMBERS = st.sampled_from(["46387", "46387.4375", "0.75", "1", "0"])


@st.composite
def mixed_edits(draw):
    """{column: ("number" | "text", value, new format or None)}, at least one number."""
    chosen = sorted(draw(st.sets(st.integers(1, COLUMNS), min_size=1, max_size=COLUMNS)))
    out = {}
    for col in chosen:
        if draw(st.booleans()) or col == chosen[0]:
            out[col] = ("number", draw(NUMBERS), draw(st.sampled_from([None, 0, 4, 7])))
        else:
            out[col] = ("text", draw(st.sampled_from(["", "已完成", "a<b>&c"])), draw(st.sampled_from([None, 4])))
    return out


def cell_edit(what: str, value: str, style) -> CellEdit:
    callback = (lambda current: style) if style is not None else None
    return CellEdit(number=value, style=callback) if what == "number" else CellEdit(value, callback)


def expected(cells: list[Cell], plan: dict) -> list[tuple]:
    by_col = {c.col: c for c in cells}
    out = []
    for col in sorted(set(by_col) | set(plan)):
        cell = by_col.get(col)
        s, t, text = original(cell) if cell else (None, None, "")
        if col in plan:
            what, value, style = plan[col]
            if style is not None and style != int(s or 0):
                s = str(style)
            if what == "number":
                t, text = None, value
            else:
                t, text = ("inlineStr" if value else None), value
                if cell is None and not value and s is None:
                    continue
        r = None if cell is not None and not cell.has_r else f"{col_letters(col)}{ROW}"
        out.append((col, r, s, t, text))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=rows(), plan=mixed_edits(), row_has_r=st.booleans(), data=st.data())
def test_a_number_lands_as_a_plain_number_with_its_format_and_nothing_else_changes(cells, plan, row_has_r, data):
    shape = data.draw(shapes(cells))
    raw = sheet(cells, row_has_r, shape)
    edits = {f"{col_letters(col)}{ROW}": cell_edit(*spec) for col, spec in plan.items()}
    new = patch_sheet(raw, {ROW: edits})
    got = actual(new, 2 if shape.split is not None and row_has_r else 1)
    assert got == expected(cells, plan)
    for c in etree.fromstring(new).iter(f"{{{NS}}}c"):     # a number is a <v>, never a string, never a formula
        if c.get("t") is None and len(c):
            assert [etree.QName(child).localname for child in c] == ["v"]
    assert new.split(b"<dimension")[0] == raw.split(b"<dimension")[0]


def test_a_new_number_cell_takes_its_columns_format_as_excel_does():
    """A row without a cell in the column: the new cell starts from the format `<cols>` gives the
    column (the template's border and font), and its style callback sees that format."""
    seen = []
    raw = (f'<worksheet xmlns="{NS}"><cols><col min="1" max="2" width="9"/><col min="3" max="4" style="5"/></cols>'
           f'<sheetData><row r="{ROW}"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>').encode()
    new = patch_sheet(raw, {ROW: {"D2": CellEdit(number="46387", style=lambda s: seen.append(s) or 8, column_format=True),
                                  "B2": CellEdit(number="0.5", column_format=True), "C2": CellEdit("t", column_format=True)}})
    assert seen == [5]
    assert re.search(rb'<c r="D2" s="8"><v>46387</v></c>', new)
    assert re.search(rb'<c r="B2"><v>0.5</v></c>', new)       # no column format: none given
    assert re.search(rb'<c r="C2" s="5" t="inlineStr"><is><t>t</t></is></c>', new)   # text too
