"""Property test of the styles splice (issue 16, point 14): any subset of the stylesheet's
sections, cell formats naming fonts, fills, borders and number formats that may not exist; duban
colours some formats. The sections stay in schema order with true counts, every existing format
and every entry it names stay as they were, and duban's font or fill never lands in a slot an
existing format points at."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from duban.workbooks.model.flags import PALETTE
from duban.workbooks.xlsx import package
from duban.workbooks.xlsx.stylebook import ORDER, StyleBook, _c14n, fill_xml

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SECTIONS = {
    "numFmts": '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>',
    "fonts": '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/></font></fonts>',
    "fills": '<fills count="2"><fill><patternFill patternType="none"/></fill>'
             '<fill><patternFill patternType="gray125"/></fill></fills>',
    "borders": '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>',
    "cellStyleXfs": '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>',
    "cellStyles": '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>',
    "dxfs": '<dxfs count="1"><dxf><font><i/></font></dxf></dxfs>',
    "tableStyles": '<tableStyles count="0" defaultTableStyle="TableStyleMedium2"/>',
    "colors": '<colors><mruColors><color rgb="FF00FF00"/></mruColors></colors>',
    "extLst": '<extLst><ext uri="{x}"/></extLst>',
}
IDS = ("fontId", "fillId", "borderId")
KEYS = {"fontId": "fonts", "fillId": "fills", "borderId": "borders"}


@st.composite
def stylesheets(draw):
    present = draw(st.sets(st.sampled_from([*SECTIONS, "cellXfs"])))
    xfs = draw(st.lists(st.fixed_dictionaries({"numFmtId": st.sampled_from([0, 9, 164, 170]),
                                               **{k: st.integers(0, 5) for k in IDS}}), min_size=1, max_size=4))
    body = ""
    for name in ORDER:
        if name not in present:
            continue
        if name == "cellXfs":
            items = "".join('<xf numFmtId="%d" fontId="%d" fillId="%d" borderId="%d"/>'
                            % (x["numFmtId"], x["fontId"], x["fillId"], x["borderId"]) for x in xfs)
            body += f'<cellXfs count="{len(xfs)}">{items}</cellXfs>'
        else:
            body += SECTIONS[name]
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<styleSheet xmlns="{NS}">{body}</styleSheet>'.encode()


def section(root, name):
    return root.find(f"{{{NS}}}{name}")


def c14n(el) -> bytes:
    return etree.tostring(el, method="c14n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=stylesheets(), paints=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["red", "orange", "green"])),
                                          min_size=1, max_size=3))
@pytest.mark.slow
def test_colouring_keeps_every_existing_format_and_the_schema_order(raw, paints):
    before = package.parse(raw)
    old_xfs = list(section(before, "cellXfs")) if section(before, "cellXfs") is not None else []
    old_parts = {name: list(section(before, name)) if section(before, name) is not None else []
                 for name in ("fonts", "fills", "borders")}
    book = StyleBook(package.parse(raw))
    new = []
    for index, colour in paints:
        new.append((book.find_or_add(book.coloured(book.describe(index), PALETTE[colour])), PALETTE[colour]))
    after = package.parse(package.serialize(book.root, raw))               # well-formed
    names = [etree.QName(c).localname for c in after]
    assert names == sorted(names, key=ORDER.index)
    for sec in after:
        if sec.get("count") is not None and etree.QName(sec).localname != "tableStyles":
            assert int(sec.get("count")) == len(sec)
    xfs = list(section(after, "cellXfs"))
    assert [c14n(x) for x in xfs[:len(old_xfs)]] == [c14n(x) for x in old_xfs]    # existing formats as they were
    colours = {PALETTE[c].font for _i, c in paints} | {PALETTE[c].fill for _i, c in paints}
    for xf in old_xfs:
        for key in IDS:
            at, entries, old = int(xf.get(key)), list(section(after, KEYS[key])), old_parts[KEYS[key]]
            if at < len(old):
                assert c14n(entries[at]) == c14n(old[at])
            elif at < len(entries):                                         # was dangling: never duban's entry
                assert not any(c in etree.tostring(entries[at]).decode() for c in colours)
    defined = {int(f.get("numFmtId")) for f in (section(before, "numFmts") if section(before, "numFmts") is not None else [])}
    named = {int(x.get("numFmtId")) for x in old_xfs}
    added = {int(f.get("numFmtId")) for f in (section(after, "numFmts") if section(after, "numFmts") is not None else [])} - defined
    assert not added & named                                                # no format takes an id an existing one names
    for index, colour in new:
        xf = xfs[index]
        font = list(section(after, "fonts"))[int(xf.get("fontId"))]
        fill = list(section(after, "fills"))[int(xf.get("fillId"))]
        assert f'rgb="FF{colour.font}"' in etree.tostring(font).decode()
        assert _c14n(fill) == fill_xml(colour)
