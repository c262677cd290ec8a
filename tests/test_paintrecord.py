"""The _duban sheet's record of duban's paint: written and read back exactly, within Excel's cell
limit, below the template's keys, and not rewritten when it already holds the same."""
from __future__ import annotations

from duban.workbooks.write.paintrecord import CELL_LIMIT, RECORD_ROW, identity_of, meta_sheet, painted_of, record_rows

SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<x:dimension ref="A1:B2"/><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c></x:row>'
         b'<x:row r="2"><x:c r="A2" t="s"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>')


def _meta(rows):
    return dict(rows)


def test_many_painted_cells_round_trip_within_excels_cell_limit():
    formats = [{"fill": f"<fill n='{i}'/>", "font": None, "attrs": [], "children": [], "border": None,
                "numFmt": [0, None]} for i in range(3)]
    painted = {(f"T-{n:06d}", "status"): (("red", "orange", "amber")[n % 3], formats[n % 3]) for n in range(5000)}
    rows = record_rows("0c6f3a52-5d0e-4a43-9a4e-6f1f2b8d6a10", painted)
    assert all(len(v) <= CELL_LIMIT for _k, v in rows)
    assert sum(k.startswith("painted.") for k, _v in rows) > 1          # split over several cells
    assert sum(k.startswith("format.") for k, _v in rows) == 3          # each format once
    assert painted_of(_meta(rows)) == painted
    assert identity_of(_meta(rows)) == "0c6f3a52-5d0e-4a43-9a4e-6f1f2b8d6a10"


def test_the_record_goes_below_the_template_keys_and_is_not_rewritten_when_the_same():
    rows = record_rows("id-1", {("T-000001", "status"): ("red", {"fill": "<fill/>"})})
    first = meta_sheet(SHEET, rows)
    assert first is not None
    assert b'<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c></x:row>' in first      # the keys kept as they were
    assert b'<x:row r="%d">' % RECORD_ROW in first and b"id-1" in first
    assert b'<x:dimension ref="A1:B%d"/>' % (RECORD_ROW + len(rows) - 1) in first
    assert meta_sheet(first, rows) is None                                              # already so: no write
    fewer = meta_sheet(first, record_rows("id-1", {}))
    assert b"T-000001" not in fewer and b"id-1" in fewer                                # a cleared paint leaves


def test_a_record_that_does_not_parse_is_no_record():
    assert painted_of({"painted.1": "[not json", "format.1": "{}"}) == {}
    assert painted_of({"painted.1": '[["T-1", "status", "red", 9]]'}) == {}          # a format it does not have
