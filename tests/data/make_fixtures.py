"""Builds the small workbooks under tests/data/, one per shape of real file the write-back met.

Each is a minimal task table (编号, 状态, 任务名称, 负责人, 截止日期, 系统提示) written part by
part with zipfile, so the odd shape is exactly the one named and nothing else: no program's
habits hide it. Run `python tests/data/make_fixtures.py` to rebuild them; the output is
byte-for-byte the same every time (fixed zip dates, fixed order).

Every fixture has the same rows: row 2 is overdue (its status cell gets painted) and, like
rows 3 and 4, has no ID yet. In rows 2 and 3 the ID cell (A) is absent, so the new ID goes
before the row's first cell, the status cell.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from duban.workbooks.model.a1 import col_letters

HERE = Path(__file__).resolve().parent
DATE = (2024, 1, 2, 3, 4, 6)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
SHEET_NAME = "任务跟进表"

HEADERS = ["编号", "状态", "任务名称", "负责人", "截止日期", "系统提示"]
ROWS = [  # (row, {column: text}); A (编号) and F (系统提示) are the job's
    (2, {"B": "进行中", "C": "写周报", "D": "张伟", "E": "2026-11-20"}),
    (3, {"B": "进行中", "C": "对账", "D": "李娜", "E": "2026-12-31"}),
    (4, {"A": "", "B": "已完成", "C": "归档", "D": "王芳", "E": "2026-11-10"}),
]


def cell(ref: str, text: str, s: str | None = None) -> str:
    style = f' s="{s}"' if s is not None else ""
    if not text:
        return f'<c r="{ref}"{style}/>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{text}</t></is></c>'


def sheet(ns: str = MAIN, dimension: str = "A1:F4", s: str | None = None) -> bytes:
    """The task sheet; `s` is put on every data cell (e.g. "" for the empty-attribute shape)."""
    header = "".join(cell(f"{col_letters(i)}1", h) for i, h in enumerate(HEADERS, 1))
    rows = [f'<row r="1">{header}</row>']
    for r, cells in ROWS:
        rows.append(f'<row r="{r}">' + "".join(cell(f"{c}{r}", t, s) for c, t in cells.items()) + "</row>")
    return (f'{DECL}<worksheet xmlns="{ns}"><dimension ref="{dimension}"/><sheetData>{"".join(rows)}'
            f"</sheetData></worksheet>").encode()


def workbook(ns: str = MAIN, rel: str = REL) -> bytes:
    return (f'{DECL}<workbook xmlns="{ns}" xmlns:r="{rel}"><sheets>'
            f'<sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()


def rels(*targets: tuple[str, str, str]) -> bytes:
    """A relationships part from (Id, Type, Target) triples."""
    items = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in targets)
    return f'{DECL}<Relationships xmlns="{PKG_REL}">{items}</Relationships>'.encode()


def styles(body: str | None = None, ns: str = MAIN) -> bytes:
    """A small stylesheet as Excel writes it (format 1 is a bold font), or `<styleSheet/>` + body."""
    if body is None:
        body = ('<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/>'
                '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
                '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
                '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1">'
                '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2">'
                '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>')
    return f'{DECL}<styleSheet xmlns="{ns}">{body}</styleSheet>'.encode()


def content_types(workbook_part: str = "/xl/workbook.xml", sheet_part: str = "/xl/worksheets/sheet1.xml",
                  styles_part: str | None = "/xl/styles.xml") -> bytes:
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    over = [(workbook_part, f"{ct}.sheet.main+xml"), (sheet_part, f"{ct}.worksheet+xml")]
    if styles_part:
        over.append((styles_part, f"{ct}.styles+xml"))
    items = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in over)
    return (f'{DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{items}</Types>').encode()


def package(parts: list[tuple[str, bytes]]) -> bytes:
    """A zip of the parts in this order, deflated, every entry with the same fixed date."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


def standard(sheet_xml: bytes | None = None, styles_xml: bytes | None = None, sep: str = "/",
             with_styles: bool = True) -> bytes:
    """The usual layout (xl/workbook.xml, xl/worksheets/sheet1.xml, xl/styles.xml), entry names
    joined with `sep`; the targets inside the parts stay as the standard writes them."""
    t = REL
    book_rels = [("rId1", f"{t}/worksheet", "worksheets/sheet1.xml")]
    if with_styles:
        book_rels.append(("rId2", f"{t}/styles", "styles.xml"))
    parts = [("[Content_Types].xml", content_types(styles_part="/xl/styles.xml" if with_styles else None)),
             ("_rels/.rels", rels(("rId1", f"{t}/officeDocument", "xl/workbook.xml"))),
             ("xl/workbook.xml", workbook()),
             ("xl/_rels/workbook.xml.rels", rels(*book_rels)),
             ("xl/worksheets/sheet1.xml", sheet_xml or sheet())]
    if with_styles:
        parts.append(("xl/styles.xml", styles_xml or styles()))
    return package([(name.replace("/", sep), data) for name, data in parts])


# ---- the fixtures: one per shape ----------------------------------------------------------------
def splice_order() -> bytes:
    """The demo's customer table shape: the new ID goes before the row's first cell, which is repainted."""
    return standard()


def empty_stylesheet() -> bytes:
    """`<styleSheet/>`: no fonts, fills, borders or cell formats at all."""
    return standard(styles_xml=f'{DECL}<styleSheet xmlns="{MAIN}"/>'.encode())


def empty_s() -> bytes:
    """Every data cell carries `s=""` (format 0, written by some generators)."""
    return standard(sheet_xml=sheet(s=""))


def no_styles() -> bytes:
    """No styles part at all: no part, no relationship, no content type (the standard allows it)."""
    return standard(with_styles=False)


def strict() -> bytes:
    """Excel's "Strict Open XML Spreadsheet": purl.oclc.org namespaces and relationship types."""
    t = STRICT_REL
    return package([
        ("[Content_Types].xml", content_types()),
        ("_rels/.rels", rels(("rId1", f"{t}/officeDocument", "xl/workbook.xml"))),
        ("xl/workbook.xml", workbook(STRICT_MAIN, STRICT_REL)),
        ("xl/_rels/workbook.xml.rels", rels(("rId1", f"{t}/worksheet", "worksheets/sheet1.xml"),
                                            ("rId2", f"{t}/styles", "styles.xml"))),
        ("xl/worksheets/sheet1.xml", sheet(STRICT_MAIN)),
        ("xl/styles.xml", styles(ns=STRICT_MAIN)),
    ])


def backslash_names() -> bytes:
    """Zip entry names with backslashes (xl\\worksheets\\sheet1.xml), as some Windows tools write."""
    return standard(sep="\\")


def root_parts() -> bytes:
    """The workbook at the package root (/workbook.xml), found through _rels/.rels, sheets beside it."""
    t = REL
    return package([
        ("[Content_Types].xml", content_types("/workbook.xml", "/worksheets/sheet1.xml", "/styles.xml")),
        ("_rels/.rels", rels(("rId1", f"{t}/officeDocument", "/workbook.xml"))),
        ("workbook.xml", workbook()),
        ("_rels/workbook.xml.rels", rels(("rId1", f"{t}/worksheet", "worksheets/sheet1.xml"),
                                         ("rId2", f"{t}/styles", "styles.xml"))),
        ("worksheets/sheet1.xml", sheet()),
        ("styles.xml", styles()),
    ])


def dimension_one_cell() -> bytes:
    """`<dimension ref="A1"/>`: the single-cell form, though the table spans A1:F4."""
    return standard(sheet_xml=sheet(dimension="A1"))


def styles_bom() -> bytes:
    """styles.xml starting with a UTF-8 byte order mark before its XML declaration."""
    return standard(styles_xml=b"\xef\xbb\xbf" + styles())


def bad_style_ids() -> bytes:
    """A cell format whose fontId is not a number: nothing planned for it, so an unexpected error."""
    return standard(styles_xml=styles().replace(b'fontId="1"', b'fontId="bold"'))


FIXTURES = {
    "splice_order.xlsx": splice_order,
    "empty_stylesheet.xlsx": empty_stylesheet,
    "empty_s.xlsx": empty_s,
    "no_styles.xlsx": no_styles,
    "strict.xlsx": strict,
    "backslash_names.xlsx": backslash_names,
    "root_parts.xlsx": root_parts,
    "dimension_one_cell.xlsx": dimension_one_cell,
    "styles_bom.xlsx": styles_bom,
    "bad_style_ids.xlsx": bad_style_ids,
}


# ---- issue 16, point 14: shapes some generators write -------------------------------------------
SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def single_quotes() -> bytes:
    """Every attribute of the sheet in single quotes (`<c r='B2' t='s'>`), the statuses as shared
    strings: dropping a cell's quoted t would show the string's index (0, 1) instead of its text."""
    statuses = ["进行中", "已完成"]
    xml = sheet().decode()
    for r, cells in ROWS:
        status = cells["B"]
        xml = xml.replace(f'<c r="B{r}" t="inlineStr"><is><t>{status}</t></is></c>',
                          f'<c r="B{r}" t="s"><v>{statuses.index(status)}</v></c>')
    xml = xml.replace('"', "'").replace("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>", DECL.strip())
    strings = "".join(f"<si><t>{s}</t></si>" for s in statuses)
    sst = f'{DECL}<sst xmlns="{MAIN}" count="{len(statuses)}" uniqueCount="{len(statuses)}">{strings}</sst>'
    types = content_types().replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST}"/>'
                                                 "</Types>".encode())
    t = REL
    return package([
        ("[Content_Types].xml", types),
        ("_rels/.rels", rels(("rId1", f"{t}/officeDocument", "xl/workbook.xml"))),
        ("xl/workbook.xml", workbook()),
        ("xl/_rels/workbook.xml.rels", rels(("rId1", f"{t}/worksheet", "worksheets/sheet1.xml"),
                                            ("rId2", f"{t}/styles", "styles.xml"),
                                            ("rId3", f"{t}/sharedStrings", "sharedStrings.xml"))),
        ("xl/worksheets/sheet1.xml", xml.encode()),
        ("xl/styles.xml", styles()),
        ("xl/sharedStrings.xml", sst.encode()),
    ])


def lowercase_refs() -> bytes:
    """Cell references in lowercase (`r="b2"`), which every reader takes for B2."""
    return standard(sheet_xml=re.sub(rb'<c r="([A-Z]+)', lambda m: b'<c r="' + m.group(1).lower(), sheet()))


def duplicate_rows() -> bytes:
    """Rows 2 and 4 each written as two `<row>` elements with the same number, their cells
    shared between them (readers merge them); B4, painted, is in the second one."""
    xml = sheet().decode()
    xml = xml.replace('<c r="D2"', '</row><row r="2"><c r="D2"', 1)
    xml = xml.replace('<c r="B4"', '<c r="C4" t="inlineStr"><is><t>归档</t></is></c></row><row r="4"><c r="B4"', 1)
    xml = xml.replace('<c r="C4" t="inlineStr"><is><t>归档</t></is></c><c r="D4"', '<c r="D4"', 1)
    return standard(sheet_xml=xml.encode())


def partial_styles() -> bytes:
    """A stylesheet with fonts, cell formats and dxfs but no fills, borders or cell styles: the
    sections duban needs go in where the schema orders them."""
    return standard(styles_xml=styles(
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellXfs>'
        '<dxfs count="1"><dxf><font><b/></font></dxf></dxfs>'))


def dangling_font() -> bytes:
    """Data cells in format 1, whose font (5) and fill (3) do not exist: readers draw them plain,
    and duban's flag font or fill must not land in those slots."""
    return standard(sheet_xml=sheet(s="1"), styles_xml=styles().replace(
        b'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>',
        b'<xf numFmtId="0" fontId="5" fillId="3" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'))


FIXTURES.update({
    "single_quotes.xlsx": single_quotes,
    "lowercase_refs.xlsx": lowercase_refs,
    "duplicate_rows.xlsx": duplicate_rows,
    "partial_styles.xlsx": partial_styles,
    "dangling_font.xlsx": dangling_font,
})


def main() -> None:
    for name, build in FIXTURES.items():
        (HERE / name).write_bytes(build())
        print(HERE / name)


if __name__ == "__main__":
    main()
