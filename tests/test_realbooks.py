"""Write-back into workbooks shaped as real files are: one fixture per shape, under tests/data/
(built by tests/data/make_fixtures.py). Each is read by duban, written with the same plan (IDs
and an alert into the job's columns, two status cells painted), then read back by
python-calamine and checked in its XML; LibreOffice reads a few as a second reader."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine as calamine
from lxml import etree

import lo
from books import NOW, check, settings
from duban.jobs.check import check_folder
from duban.workbooks.model.flags import PALETTE
from duban.workbooks.read.reader import read_workbook, scan_back
from duban.workbooks.write import writeback
from duban.workbooks.write.plan import Fingerprint, Paint, WritePlan
from duban.workbooks.write.refusal import REFUSED, WRITTEN, WriteResult
from duban.workbooks.write.writeback import apply
from duban.workbooks.xlsx import safety

DATA = Path(__file__).resolve().parent / "data"
SHEET = "任务跟进表"
BOOK = "任务跟进表.xlsx"
VALUES = {"A2": "T-000001", "F2": "逾期3天", "A3": "T-000002", "A4": "T-000003"}
PAINTS = {"B2": "red", "B4": "green"}
ROWS_AFTER = [["编号", "状态", "任务名称", "负责人", "截止日期", "系统提示"],
              ["T-000001", "进行中", "写周报", "张伟", "2026-11-20", "逾期3天"],
              ["T-000002", "进行中", "对账", "李娜", "2026-12-31", ""],
              ["T-000003", "已完成", "归档", "王芳", "2026-11-10", ""]]
WRITABLE = ["splice_order", "empty_stylesheet", "empty_s", "no_styles", "strict", "backslash_names",
            "root_parts", "dimension_one_cell", "styles_bom"]
needs_lo = pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)


def fixture(tmp_path: Path, name: str) -> Path:
    path = tmp_path / BOOK
    shutil.copy(DATA / f"{name}.xlsx", path)
    return path


def write(path: Path) -> WriteResult:
    """duban's read, then one write of the common plan, verified by a python-calamine read-back."""
    read = read_workbook(path, NOW.date())
    assert read.kind is not None and read.kind.key == "tasks", read.problems
    paints = [Paint(ref, PALETTE[colour]) for ref, colour in PAINTS.items()]
    plan = WritePlan(path, read.sheet, Fingerprint.of(path), read.rows_read, values=dict(VALUES),
                     paints=paints, expect=dict(VALUES))
    return apply(plan, path.parent / "backups", verify=lambda temp: scan_back(temp, read, list(VALUES)))


def rows(path: Path) -> list[list]:
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        return book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    finally:
        book.close()


def parts(path: Path) -> dict[str, bytes]:
    """Every zip entry by its name as stored."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def part(path: Path, suffix: str) -> bytes:
    """The one part whose name (slashes either way) ends with `suffix`."""
    [data] = [d for n, d in parts(path).items() if n.replace("\\", "/").endswith(suffix)]
    return data


def fill(path: Path, ref: str) -> str:
    """A cell's fill as its format says, read here independently of duban: the fill colour
    (RRGGBB) or, without one, the pattern name ("none")."""
    sheet, styles = etree.fromstring(part(path, "sheet1.xml")), etree.fromstring(part(path, "styles.xml"))
    cell = sheet.find(f".//{{*}}c[@r='{ref}']")
    xf = styles.find("{*}cellXfs")[int(cell.get("s") or 0) if cell is not None else 0]
    pattern = styles.find("{*}fills")[int(xf.get("fillId", "0"))].find("{*}patternFill")
    colour = pattern.find("{*}fgColor")
    return colour.get("rgb")[-6:] if colour is not None else pattern.get("patternType")


def row_xml(path: Path, row: int) -> bytes:
    return re.search(rb'<row r="%d".*?</row>' % row, part(path, "sheet1.xml"), re.S).group(0)


# ---- every shape: written, and read back right ------------------------------------------------
@pytest.mark.parametrize("name", WRITABLE)
def test_each_real_shape_is_written_and_reads_back(tmp_path, name):
    path = fixture(tmp_path, name)
    before = parts(path)
    result = write(path)
    assert (result.status, result.reason) == (WRITTEN, "")
    assert rows(path) == ROWS_AFTER
    after = parts(path)
    for entry, data in after.items():
        if entry.endswith((".xml", ".rels")):
            etree.fromstring(data)                      # every part well-formed
    changed = {n.replace("\\", "/").rsplit("/", 1)[-1] for n in after if before.get(n) != after[n]}
    declared = {"workbook.xml.rels", "[Content_Types].xml"} if name == "no_styles" else set()
    assert changed == {"sheet1.xml", "styles.xml"} | declared      # every other part byte for byte
    assert (fill(path, "B2"), fill(path, "B4")) == ("FFC7CE", "C6EFCE")
    assert fill(path, "C2") == fill(path, "B3") == fill(path, "A1") == "none"   # unpainted cells stay plain


def test_the_new_id_goes_before_a_repainted_first_cell(tmp_path):
    """`duban init --demo`'s customer table: a new A2 before B2, B2 repainted in the same row."""
    path = fixture(tmp_path, "splice_order")
    assert b'<c r="A2"' not in part(path, "sheet1.xml")
    assert write(path).status == WRITTEN
    refs = re.findall(rb'<c r="([A-Z]+)2"', row_xml(path, 2))
    assert refs == [b"A", b"B", b"C", b"D", b"E", b"F"]
    assert re.match(rb'<row r="2"><c r="A2" t="inlineStr"><is><t>T-000001</t></is></c><c r="B2" t="inlineStr" '
                    rb's="\d+">', row_xml(path, 2))


def test_a_whole_check_of_the_demo_shape_writes_it(tmp_path):
    path = fixture(tmp_path, "splice_order")
    result = check(tmp_path)
    assert (result.write, result.reason) == (WRITTEN, "")
    assert rows(path)[1][0].startswith("T-") and fill(path, "B2") == "FFC7CE"


def test_an_empty_stylesheet_gets_excels_defaults_before_the_flag_formats(tmp_path):
    path = fixture(tmp_path, "empty_stylesheet")
    assert write(path).status == WRITTEN
    styles = etree.fromstring(part(path, "styles.xml"))
    first_xf = styles.find("{*}cellXfs")[0]
    assert {first_xf.get(k) for k in ("numFmtId", "fontId", "fillId", "borderId")} == {"0"}
    assert [f.find("{*}patternFill").get("patternType") for f in styles.find("{*}fills")][:2] == ["none", "gray125"]
    assert len(styles.find("{*}borders")[0]) == 5 and len(styles.find("{*}fonts")[0]) > 0
    assert [int(s.get("count")) for s in styles] == [len(s) for s in styles]


def test_an_empty_s_attribute_is_format_zero(tmp_path):
    path = fixture(tmp_path, "empty_s")
    assert write(path).status == WRITTEN
    b2 = re.search(rb'<c r="B2"[^>]*>', row_xml(path, 2)).group(0)
    assert len(re.findall(rb'\ss="', b2)) == 1 and b's=""' not in b2
    assert re.search(rb'<c r="A4" s="" t="inlineStr"><is><t>T-000003</t>', row_xml(path, 4))
    assert re.search(rb'<c r="C2" s="" t="inlineStr">', row_xml(path, 2))     # untouched cells keep theirs


def test_a_package_without_styles_gets_a_styles_part_its_relationship_and_content_type(tmp_path):
    path = fixture(tmp_path, "no_styles")
    assert not any("styles" in n for n in parts(path))
    assert write(path).status == WRITTEN
    names = list(parts(path))
    assert names[-1] == "xl/styles.xml"
    rels = etree.fromstring(part(path, "xl/_rels/workbook.xml.rels"))
    assert [(r.get("Type").rsplit("/", 1)[1], r.get("Target")) for r in rels][-1] == ("styles", "styles.xml")
    assert len({r.get("Id") for r in rels}) == len(rels)
    types = etree.fromstring(part(path, "[Content_Types].xml"))
    assert {(o.get("PartName"), o.get("ContentType").rsplit(".", 1)[1]) for o in types.iter("{*}Override")} >= \
        {("/xl/styles.xml", "styles+xml")}


def test_strict_open_xml_is_written_in_its_own_namespaces(tmp_path):
    path = fixture(tmp_path, "strict")
    assert write(path).status == WRITTEN
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    for suffix in ("sheet1.xml", "styles.xml", "workbook.xml"):
        root = etree.fromstring(part(path, suffix))
        assert {etree.QName(el).namespace for el in root.iter() if isinstance(el.tag, str)} == {strict}, suffix


@pytest.mark.parametrize("name", ["backslash_names", "root_parts"])
def test_odd_part_names_are_accepted_and_kept(tmp_path, name):
    path = fixture(tmp_path, name)
    assert safety.inspect(path, 10 ** 8) is None
    before = list(parts(path))
    assert write(path).status == WRITTEN
    assert list(parts(path)) == before                   # the same entry names, in the same order


def test_a_one_cell_dimension_is_widened(tmp_path):
    path = fixture(tmp_path, "dimension_one_cell")
    assert write(path).status == WRITTEN
    assert re.search(rb'<dimension ref="([^"]*)"', part(path, "sheet1.xml")).group(1) == b"A1:F4"


def test_a_byte_order_mark_in_styles_is_kept_with_its_declaration(tmp_path):
    path = fixture(tmp_path, "styles_bom")
    assert write(path).status == WRITTEN
    assert part(path, "styles.xml").startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')


# ---- nothing escapes one workbook's write -------------------------------------------------------
def assert_refused_untouched(path: Path, before: bytes, result) -> None:
    assert result.status == REFUSED and result.why.code == "unexpected"
    zh, en = result.why.text("zh"), result.why.text("en")
    assert "原文件未改动" in zh and "nothing was written" in en and "whoever runs duban" in en
    assert re.search("ValueError|RuntimeError", zh) and re.search("ValueError|RuntimeError", en)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.name != "backups") == [path.name]   # no temp file


def test_an_unforeseen_error_refuses_that_workbook_with_a_sentence(tmp_path):
    path = fixture(tmp_path, "bad_style_ids")
    before = path.read_bytes()
    assert_refused_untouched(path, before, write(path))


@pytest.mark.parametrize("where", ["_patched_parts", "_verify_package"])
def test_an_error_at_any_step_leaves_the_file_and_no_temp_file(tmp_path, monkeypatch, where):
    path = fixture(tmp_path, "splice_order")
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(writeback, where, boom)
    assert_refused_untouched(path, before, write(path))


def test_the_run_goes_on_past_a_workbook_that_raised(tmp_path):
    shutil.copy(DATA / "bad_style_ids.xlsx", tmp_path / BOOK)
    shutil.copy(DATA / "splice_order.xlsx", tmp_path / "项目二.xlsx")
    results = {r.read.path.name: r for r in check_folder(tmp_path, settings(), NOW).workbooks}
    assert results[BOOK].write == REFUSED and "ValueError" in results[BOOK].reason
    assert "意外错误" in results[BOOK].why.text("zh")
    assert results["项目二.xlsx"].write == WRITTEN


# ---- a second reader ---------------------------------------------------------------------------
@needs_lo
@pytest.mark.slow
def test_libreoffice_reads_the_written_shapes(tmp_path):
    names = ["empty_stylesheet", "no_styles", "strict", "empty_s"]
    written = []
    for name in names:
        folder = tmp_path / name
        folder.mkdir()
        written.append(fixture(folder, name))
        assert write(written[-1]).status == WRITTEN
        written[-1] = written[-1].rename(tmp_path / f"{name}.xlsx")
    for name, out in zip(names, lo.convert_all(written, lo.XLSX, tmp_path / "lo")):
        ws = openpyxl.load_workbook(out)[SHEET]
        assert [[c.value for c in r] for r in ws.iter_rows()] == [[v or None for v in r] for r in ROWS_AFTER], name
        assert (ws["B2"].fill.fgColor.rgb[-6:], ws["B4"].fill.fgColor.rgb[-6:]) == ("FFC7CE", "C6EFCE"), name
        assert ws["C2"].fill.fill_type is None and ws["A1"].fill.fill_type is None, name
