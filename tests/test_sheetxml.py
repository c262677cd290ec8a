"""The sheet patcher on small hand-written sheet XML: every way a row can be written by some program."""
from __future__ import annotations

import re

import pytest
from lxml import etree

from duban.workbooks.xlsx.cellxml import CellEdit, MissingRow
from duban.workbooks.xlsx.sheetxml import patch_sheet

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


@pytest.mark.parametrize("dimension, widened", [("A1", b"A1:E2"), ("B5", b"B2:E5"), ("F1", b"F1")])
def test_a_one_cell_dimension_becomes_a_range_to_the_new_column(dimension, widened):
    raw = sheet(ROW, dimension=dimension)
    new = patch_sheet(raw, {2: {"E2": text("x")}})
    assert re.search(rb'<dimension ref="([^"]*)"/>', new).group(1) == widened


def test_a_new_cell_before_a_restyled_first_cell_goes_before_its_start_tag():
    raw = sheet('<row r="2"><c r="B2" s="1"><v>1</v></c></row>')
    new = patch_sheet(raw, {2: {"A2": text("T-1"), "B2": style(5)}})
    assert cells(new) == [("A2", None, "T-1"), ("B2", "5", "1")]


def test_an_empty_s_is_format_zero():
    raw = sheet('<row r="2"><c r="A2" s=""/><c r="B2" s=""><v>1</v></c><c r="C2" s=""/></row>')
    new = patch_sheet(raw, {2: {"A2": text("T-1"), "B2": style(5), "C2": style(0)}})
    assert cells(new) == [("A2", "", "T-1"), ("B2", "5", "1"), ("C2", "", "")]
    assert new.count(b" s=") == 3


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


def test_cells_whose_r_is_not_the_first_attribute_are_found_not_duplicated():
    raw = sheet('<row r="2"><c s="1" r="A2"><v>1</v></c><c t="s" r="B2"><v>0</v></c></row>')
    new = patch_sheet(raw, {2: {"A2": text("T-000001"), "C2": text("c")}})
    assert cells(new) == [("A2", "1", "T-000001"), ("B2", None, "0"), ("C2", None, "c")]


def test_a_cell_with_no_attributes_at_all_takes_the_next_column():
    raw = sheet('<row r="2"><c r="A2"><v>1</v></c><c><v>2</v></c></row>')
    new = patch_sheet(raw, {2: {"B2": text("b"), "C2": text("c")}})
    assert cells(new) == [("A2", None, "1"), (None, None, "b"), ("C2", None, "c")]


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


# ---- reading the new sheet back as it streams out ------------------------------------------------------
def read_back(xml: bytes, expect: dict[str, str], pieces: int = 1):
    """Feed ReadBack `xml` cut after row ends into about `pieces` pieces."""
    from duban.workbooks.xlsx.readback import ReadBack
    check = ReadBack(b"", expect)
    ends = [m.end() for m in re.finditer(rb"</row>", xml)]
    cuts = [ends[i] for i in range(0, len(ends) - 1, max(1, len(ends) // pieces))][1:]
    start = 0
    for cut in cuts:
        check.feed(xml[start:cut])
        start = cut
    check.feed(xml[start:], final=True)
    return check.row_tags, check.wrong


@pytest.mark.parametrize("pieces", [1, 2, 3])
def test_read_back_finds_every_planned_cell_whichever_piece_it_is_in(pieces):
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>T-{n:06d}</t></is></c></row>' for n in range(2, 8))
    expect = {f"A{n}": f"T-{n:06d}" for n in range(2, 8)}
    assert read_back(sheet(rows), expect, pieces) == (6, [])
    wrong = {**expect, "A4": "T-999999"}
    assert read_back(sheet(rows), wrong, pieces) == (6, ["A4"])
    missing = {**expect, "B5": "x"}
    missing = dict(sorted(missing.items(), key=lambda kv: (int(kv[0][1:]), kv[0])))
    assert read_back(sheet(rows), missing, pieces) == (6, ["B5"])


def test_read_back_reads_cells_not_written_the_way_duban_writes_them():
    rows = ('<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> a&amp;b </t></is></c>'
            '<c r="B2" t="inlineStr"><is><r><t>x</t></r><r><t>y</t></r></is></c><c r="C2" t="str"><v>7</v></c></row>')
    assert read_back(sheet(rows), {"A2": " a&b ", "B2": "xy", "C2": "7"}) == (1, [])
    assert read_back(sheet(rows), {"A2": "a&b", "B2": "x", "C2": "8"}) == (1, ["A2", "B2", "C2"])
