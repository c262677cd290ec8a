"""The sheet patcher on small hand-written sheet XML: every way a row can be written by some program."""
from __future__ import annotations

import re

import pytest
from lxml import etree

from workbooks.sheetxml import CellEdit, MissingRow, patch_sheet

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet(rows: str, prefix: str = "", dimension: str = "A1:C3") -> bytes:
    p = prefix + ":" if prefix else ""
    ns = NS.replace("xmlns=", f"xmlns:{prefix}=") if prefix else NS
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns}>'
            f'<{p}dimension ref="{dimension}"/><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>').encode()


def cells(xml: bytes) -> list[tuple[str | None, str | None, str]]:
    """(r, s, text) of every cell, in document order, parsed by a real XML parser."""
    root = etree.fromstring(xml)
    out = []
    for c in root.iter("{*}c"):
        text = "".join(c.itertext())
        out.append((c.get("r"), c.get("s"), text))
    return out


def text(value: str) -> CellEdit:
    return CellEdit(text=value)


def style(new: int) -> CellEdit:
    return CellEdit(style=lambda current: new)


ROW = '<row r="2" spans="1:3"><c r="A2" s="1"><v>1</v></c><c r="B2" s="2" t="s"><v>0</v></c><c r="C2"/></row>'


def test_existing_cells_are_rewritten_and_others_kept_byte_for_byte():
    raw = sheet('<row r="1"><c r="A1"><v>9</v></c></row>' + ROW)
    new = patch_sheet(raw, {2: {"A2": text("T-000001"), "B2": style(7)}})
    assert cells(new) == [("A1", None, "9"), ("A2", "1", "T-000001"), ("B2", "7", "0"), ("C2", None, "")]
    assert b'<c r="A2" s="1" t="inlineStr"><is><t>T-000001</t></is></c>' in new
    assert new.replace(re.search(rb'<c r="A2".*?</c><c r="B2"[^>]*>', new).group(0), b"") == \
        raw.replace(re.search(rb'<c r="A2".*?</c><c r="B2"[^>]*>', raw).group(0), b"")


@pytest.mark.parametrize("ref, position", [("D2", 2), ("B2", 1)])
def test_a_missing_cell_is_inserted_in_column_order(ref, position):
    raw = sheet('<row r="2" spans="1:3"><c r="A2"><v>1</v></c><c r="C2"><v>3</v></c></row>')
    new = patch_sheet(raw, {2: {ref: text("hi")}})
    assert [c[0] for c in cells(new)].index(ref) == position
    assert len(cells(new)) == 3


def test_a_cell_right_of_the_used_range_widens_spans_and_dimension():
    raw = sheet(ROW)
    new = patch_sheet(raw, {2: {"E2": text("逾期3天")}})
    assert b'spans="1:5"' in new and b'<dimension ref="A1:E3"/>' in new
    assert cells(new)[-1] == ("E2", None, "逾期3天")


def test_an_empty_self_closing_row_gets_a_body():
    raw = sheet('<row r="2" spans="1:3" ht="15"/>')
    new = patch_sheet(raw, {2: {"C2": text("b"), "A2": text("a")}})
    assert cells(new) == [("A2", None, "a"), ("C2", None, "b")]
    assert b'ht="15"' in new


def test_rows_without_r_attributes_are_counted():
    raw = sheet('<row><c><v>1</v></c></row><row><c><v>2</v></c></row><row><c><v>3</v></c></row>')
    new = patch_sheet(raw, {3: {"B3": text("x")}})
    assert cells(new) == [(None, None, "1"), (None, None, "2"), (None, None, "3"), ("B3", None, "x")]


def test_cells_without_r_follow_the_previous_cell():
    """Some generators write r on the row only; cell columns then count from the left."""
    raw = sheet('<row r="2"><c s="1"><v>1</v></c><c s="2"><v>2</v></c><c r="D2"><v>4</v></c></row>')
    new = patch_sheet(raw, {2: {"B2": CellEdit(text="new", style=lambda s: 9), "C2": text("c"), "E2": text("e")}})
    assert cells(new) == [(None, "1", "1"), (None, "9", "new"), ("C2", None, "c"), ("D2", None, "4"), ("E2", None, "e")]


def test_a_namespace_prefix_is_kept_on_new_elements():
    raw = sheet(ROW.replace("<", "<x:").replace("<x:/", "</x:"), prefix="x")
    new = patch_sheet(raw, {2: {"D2": text("t")}})
    assert b"<x:c r=\"D2\" t=\"inlineStr\"><x:is><x:t>t</x:t></x:is></x:c>" in new
    assert cells(new)[-1] == ("D2", None, "t")


def test_text_is_escaped_and_control_characters_dropped():
    raw = sheet(ROW)
    new = patch_sheet(raw, {2: {"C2": text('<script>&"x"\x07 ')}})
    assert cells(new)[-1] == ("C2", None, '<script>&"x" ')
    assert b'xml:space="preserve"' in new


def test_empty_text_clears_the_value_but_keeps_the_format():
    raw = sheet(ROW)
    new = patch_sheet(raw, {2: {"B2": text("")}})
    assert b'<c r="B2" s="2"/>' in new


def test_nothing_to_do_gives_the_same_bytes():
    raw = sheet(ROW)
    assert patch_sheet(raw, {2: {"D2": text("")}}) == raw           # a missing cell cleared: nothing
    assert patch_sheet(raw, {2: {"A2": style(1)}}) == raw             # same format


def test_a_row_that_is_gone_is_an_error():
    with pytest.raises(MissingRow):
        patch_sheet(sheet(ROW), {5: {"A5": text("x")}})
