"""Write-back into shapes some generators write (issue 16, point 14): single-quoted attributes,
lowercase references, a row number written twice, a stylesheet missing sections, formats naming a
font or fill that does not exist. Each fixture (tests/data/make_fixtures.py) gets the common plan
of tests/test_realbooks.py and is read back by python-calamine, openpyxl and LibreOffice; a shape
that cannot be patched exactly is refused with a sentence."""
from __future__ import annotations

import re
import shutil
import zipfile

import openpyxl
import pytest
from lxml import etree

import lo
from duban.workbooks.model.flags import PALETTE
from duban.workbooks.write.refusal import REFUSED, WRITTEN
from duban.workbooks.xlsx.cellxml import Ambiguous, CellEdit
from duban.workbooks.xlsx.sheetxml import patch_sheet
from duban.workbooks.xlsx.stylebook import ORDER
from test_realbooks import DATA, ROWS_AFTER, SHEET, fill, fixture, part, rows, write

SHAPES = ["single_quotes", "lowercase_refs", "duplicate_rows", "partial_styles", "dangling_font"]
RED_FONT = PALETTE["red"].font
needs_lo = pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)


def styles(path):
    return etree.fromstring(part(path, "styles.xml"))


def cell_font(path, ref: str) -> etree._Element | None:
    """The font a cell's format names, read here independently of duban (None: no such font)."""
    sheet, book = etree.fromstring(part(path, "sheet1.xml")), styles(path)
    cell = next((c for c in sheet.iter("{*}c") if (c.get("r") or "").upper() == ref), None)
    xf = book.find("{*}cellXfs")[int(cell.get("s") or 0) if cell is not None else 0]
    fonts = book.find("{*}fonts")
    index = int(xf.get("fontId", "0"))
    return fonts[index] if index < len(fonts) else None


@pytest.mark.parametrize("name", SHAPES)
def test_each_odd_shape_is_written_exactly(tmp_path, name):
    path = fixture(tmp_path, name)
    result = write(path)
    assert (result.status, result.reason) == (WRITTEN, "")
    assert rows(path) == ROWS_AFTER                                        # python-calamine
    ws = openpyxl.load_workbook(path)[SHEET]                               # openpyxl
    assert [[c.value for c in r] for r in ws.iter_rows(max_col=6)] == [[v or None for v in r] for r in ROWS_AFTER]
    assert (ws["B2"].fill.fgColor.rgb[-6:], ws["B4"].fill.fgColor.rgb[-6:]) == ("FFC7CE", "C6EFCE")
    assert ws["C2"].fill.fill_type is None and (ws["C2"].font.color is None or RED_FONT not in ws["C2"].font.color.rgb)
    sheet = part(path, "sheet1.xml")
    for row in re.findall(rb"<row\b.*?</row>", sheet, re.S):                # no cell twice, none out of order
        refs = [r.upper() for r in re.findall(rb"""<c\s+r=["']([A-Za-z]+)\d+""", row)]
        assert refs == sorted(set(refs), key=lambda r: (len(r), r)), row
    book = styles(path)
    names = [etree.QName(child).localname for child in book]
    assert names == sorted(names, key=ORDER.index)                         # sections in schema order
    assert [int(s.get("count")) for s in book if s.get("count")] == [len(s) for s in book if s.get("count")]


def test_single_quoted_cells_keep_their_type_and_column(tmp_path):
    """The shape that once turned painted text cells into the numbers 0 and 1."""
    path = fixture(tmp_path, "single_quotes")
    assert write(path).status == WRITTEN
    b2 = re.search(rb"<c r=[\"']B2[\"'][^>]*>", part(path, "sheet1.xml")).group(0)
    assert re.search(rb"""t=["']s["']""", b2) and re.search(rb"""s=["']\d+["']""", b2)
    assert rows(path)[1][1] == "进行中" and rows(path)[3][1] == "已完成"


def test_a_cell_in_the_second_element_of_a_doubled_row_is_painted_there(tmp_path):
    path = fixture(tmp_path, "duplicate_rows")
    assert write(path).status == WRITTEN
    fours = re.findall(rb'<row r="4".*?</row>', part(path, "sheet1.xml"), re.S)
    assert len(fours) == 2 and b'r="B4"' not in fours[0] and re.search(rb'<c r="B4" [^>]*s="\d+"', fours[1])
    assert fill(path, "B4") == "C6EFCE"


def replace_part(path, entry: str, change) -> None:
    """Rewrite one part of a package, every other part as it was."""
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info, change(data) if info.filename == entry else data)


def test_duplicate_cells_are_refused_with_a_sentence(tmp_path):
    """B2 written in both elements of row 2: which one a reader shows is its own choice."""
    path = tmp_path / "任务跟进表.xlsx"
    shutil.copy(DATA / "duplicate_rows.xlsx", path)
    replace_part(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        b'<row r="2"><c r="D2"', '<row r="2"><c r="B2" t="inlineStr"><is><t>进行中</t></is></c><c r="D2"'.encode(), 1))
    before = path.read_bytes()
    result = write(path)
    assert result.status == REFUSED and result.why.code == "ambiguous-cell"
    assert "单元格B2在工作表中被写了不止一次" in result.why.text("zh") and "nothing was written" in result.why.text("en")
    assert path.read_bytes() == before


def test_a_missing_section_goes_where_the_schema_orders_it(tmp_path):
    path = fixture(tmp_path, "partial_styles")
    assert [etree.QName(c).localname for c in styles(path)] == ["fonts", "cellXfs", "dxfs"]
    assert write(path).status == WRITTEN
    assert [etree.QName(c).localname for c in styles(path)] == ["fonts", "fills", "borders", "cellXfs", "dxfs"]


def test_dunbans_font_and_fill_never_take_a_slot_an_existing_format_names(tmp_path):
    """Format 1 names font 5 and fill 3, which do not exist; every data cell wears it."""
    path = fixture(tmp_path, "dangling_font")
    assert write(path).status == WRITTEN
    book = styles(path)
    xf1 = book.find("{*}cellXfs")[1]
    assert (xf1.get("fontId"), xf1.get("fillId")) == ("5", "3")           # the existing format is as it was
    font5, fill3 = book.find("{*}fonts")[5], book.find("{*}fills")[3]
    assert RED_FONT not in etree.tostring(font5).decode()                  # a plain copy of font 0, not duban's
    assert fill3.find("{*}patternFill").get("patternType") == "none"
    assert cell_font(path, "C2") is not None and RED_FONT not in etree.tostring(cell_font(path, "C2")).decode()
    assert RED_FONT in etree.tostring(cell_font(path, "B2")).decode() and fill(path, "B2") == "FFC7CE"
    assert cell_font(path, "B2").find("{*}name").get("val") == "Calibri"     # font 0's, as readers drew font 5


def test_a_format_naming_a_font_far_past_the_end_is_refused_not_padded(tmp_path):
    path = fixture(tmp_path, "dangling_font")
    replace_part(path, "xl/styles.xml", lambda xml: xml.replace(b'fontId="5"', b'fontId="5000"'))
    before = path.read_bytes()
    result = write(path)
    assert result.status == REFUSED and result.why.code == "style-gap"
    assert "fonts 中的第 5000 项，但文件中只有 2 项" in result.why.text("zh") and "nothing was written" in result.why.text("en")
    assert path.read_bytes() == before


# ---- the patcher alone -----------------------------------------------------------------------------
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_a_quoted_value_holding_the_other_quote_survives_the_rewrite():
    raw = (f"<worksheet {NS}><sheetData><row r='2'><c r='A2' t='inlineStr' x:note='say \"hi\"' "
           "xmlns:x='urn:x'><is><t>a</t></is></c></row></sheetData></worksheet>").encode()
    new = patch_sheet(raw, {2: {"A2": CellEdit("T-1")}})
    cell = etree.fromstring(new).find(".//{*}c")
    assert (cell.get("r"), cell.get("{urn:x}note"), "".join(cell.itertext())) == ("A2", 'say "hi"', "T-1")


@pytest.mark.parametrize("row", [
    '<row r="2"><c r="B2"><v>1</v></c><c r="B2"><v>2</v></c></row>',             # twice in one element
    "<row r='2'><c r='b2'><v>1</v></c></row><row r='2'><c r='B2'><v>2</v></c></row>",   # in both elements
])
def test_a_cell_written_twice_is_never_patched(row):
    raw = f"<worksheet {NS}><sheetData>{row}</sheetData></worksheet>".encode()
    with pytest.raises(Ambiguous):
        patch_sheet(raw, {2: {"B2": CellEdit(None, lambda s: 5)}})


# ---- a second reader ---------------------------------------------------------------------------
@needs_lo
@pytest.mark.slow
def test_libreoffice_reads_the_odd_shapes_as_written(tmp_path):
    written = []
    for name in SHAPES:
        folder = tmp_path / name
        folder.mkdir()
        path = fixture(folder, name)
        assert write(path).status == WRITTEN, name
        written.append(path.rename(tmp_path / f"{name}.xlsx"))
    for name, out in zip(SHAPES, lo.convert_all(written, lo.XLSX, tmp_path / "lo")):
        ws = openpyxl.load_workbook(out)[SHEET]
        assert [[c.value for c in r] for r in ws.iter_rows(max_col=6)] == [[v or None for v in r] for r in ROWS_AFTER], name
        assert (ws["B2"].fill.fgColor.rgb[-6:], ws["B4"].fill.fgColor.rgb[-6:]) == ("FFC7CE", "C6EFCE"), name
        assert ws["C2"].fill.fill_type is None, name
        assert ws["C2"].font.color is None or RED_FONT not in str(ws["C2"].font.color.rgb), name
