"""Cell formats in xl/styles.xml, by content: describe a format, colour it, find or add it.

Formats are handled by content rather than index because Excel and LibreOffice renumber
`cellXfs` when they save. A described format (`Spec`) is plain JSON-able data, so the journal
can keep a cell's original format and duban can restore exactly that format later, whatever
its index has become.
"""
from __future__ import annotations

import copy
import json
import re

from lxml import etree

from duban.workbooks.model.flags import Colour
from duban.workbooks.xlsx.package import NS_MAIN, STRICT_MAIN

Q = "{%s}%%s" % NS_MAIN
IDS = ("numFmtId", "fontId", "fillId", "borderId")
FIRST_CUSTOM_NUMFMT = 164


def _c14n(el: etree._Element) -> str:
    """Canonical text of a format part, the same whether the file binds the main namespace to the
    default (`<fill>`) or to a prefix (`<x:fill>`), and in Strict files (their namespace is read
    as the transitional one), so formats compare by content alone."""
    ns = el.nsmap.get(el.prefix)
    if el.prefix is not None and ns in (NS_MAIN, STRICT_MAIN):
        el = _unprefixed(el, etree.Element(el.tag, dict(el.attrib), nsmap={None: ns}))
    text = etree.tostring(el, method="c14n", exclusive=True).decode()
    return text.replace(STRICT_MAIN, NS_MAIN) if ns == STRICT_MAIN else text


def _unprefixed(source: etree._Element, copy: etree._Element) -> etree._Element:
    copy.text = source.text
    for child in source:
        if isinstance(child.tag, str):
            _unprefixed(child, etree.SubElement(copy, child.tag, dict(child.attrib))).tail = child.tail
    return copy


_AFTER_XFS = ("cellStyles", "dxfs", "tableStyles", "colors", "extLst")
# The stylesheet's sections in the order its schema requires: a section duban creates goes
# before the first present section that comes after it (Excel rejects them out of order).
ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", *_AFTER_XFS)
# Excel's reserved first entries: a section created or found empty gets them before any format
# duban adds, or that format would become entry 0, the default of every cell without `s`.
DEFAULTS = {
    "fonts": ['<font><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'],
    "fills": ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>'],
    "borders": ["<border><left/><right/><top/><bottom/><diagonal/></border>"],
    "cellStyleXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'],
    "cellXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'],
    "cellStyles": ['<cellStyle name="Normal" xfId="0" builtinId="0"/>'],
}


MAX_GAP = 1024      # entries duban will fill in before its own; a format naming one further off is refused


class StyleGap(Exception):
    """Existing formats name an entry of a section so far past its end that filling the gap
    would bloat the stylesheet: no safe slot for duban's entry."""

    def __init__(self, section: str, index: int, count: int):
        self.section, self.index, self.count = section, index, count
        super().__init__(f"a cell format names {section} entry {index}, but there are only {count}")


class StyleBook:
    def __init__(self, root: etree._Element):
        self.root = root
        self.ns = etree.QName(root).namespace or NS_MAIN    # the transitional or the Strict namespace
        self.q = "{%s}%%s" % self.ns
        self.fonts = self._section("fonts")
        self.fills = self._section("fills")
        self.borders = self._section("borders")
        if (xfs := self.root.find(self.q % "cellXfs")) is None or not len(xfs):   # cellXfs[0] will be made,
            self._section("cellStyleXfs")                                       # and the style it names
            self._section("cellStyles")
        self.xfs = self._section("cellXfs")
        self.numfmts = self.root.find(self.q % "numFmts")
        self._index: dict[str, int] | None = None
        self._padded: set[str] = set()
        self.changed = False

    def _section(self, name: str) -> etree._Element:
        """A section of the stylesheet, created where the schema wants it if missing (a minimal
        styles.xml may lack it), and holding at least Excel's reserved first entries."""
        q = self.q
        found = self.root.find(q % name)
        if found is None:
            found = etree.Element(q % name, count="0", nsmap=self.root.nsmap)
            later = ORDER[ORDER.index(name) + 1:]
            anchor = next((child for child in self.root if isinstance(child.tag, str)
                           and etree.QName(child).localname in later), None)
            anchor.addprevious(found) if anchor is not None else self.root.append(found)
        for xml in DEFAULTS[name][len(found):]:
            found.append(self._element(re.sub(r"^<(\w+)", rf'<\1 xmlns="{NS_MAIN}"', xml, count=1)))
            found.set("count", str(len(found)))
        return found

    def _element(self, xml: str) -> etree._Element:
        """A format part from its canonical text (transitional namespace) in this file's namespace."""
        return etree.fromstring(xml.replace(NS_MAIN, self.ns) if self.ns != NS_MAIN else xml)

    # ---- describing ------------------------------------------------------------------------
    def describe(self, index: int) -> dict:
        """The full content of cell format `index` (its font, fill, border and number format)."""
        xfs = list(self.xfs)
        xf = xfs[index] if 0 <= index < len(xfs) else (xfs[0] if xfs else etree.Element(Q % "xf"))
        ids = {k: int(xf.get(k, "0")) for k in IDS}
        return {
            "attrs": sorted((k, v) for k, v in xf.attrib.items() if k not in IDS),
            "children": [_c14n(c) for c in xf],
            "font": self._part(self.fonts, ids["fontId"]),
            "fill": self._part(self.fills, ids["fillId"]),
            "border": self._part(self.borders, ids["borderId"]),
            "numFmt": [ids["numFmtId"], self._numfmt_code(ids["numFmtId"])],
        }

    @staticmethod
    def _part(section: etree._Element, index: int) -> str | None:
        """An entry by index; one past the end (written by some programs) reads as entry 0, as
        readers draw it, so a painted cell keeps that font's name and size."""
        items = list(section)
        if not 0 <= index < len(items):
            index = 0
        return _c14n(items[index]) if items else None

    def _numfmt_code(self, ident: int) -> str | None:
        if self.numfmts is None:
            return None
        for fmt in self.numfmts:
            if fmt.get("numFmtId") == str(ident):
                return fmt.get("formatCode")
        return None

    # ---- colouring -------------------------------------------------------------------------
    @staticmethod
    def coloured(spec: dict, colour: Colour) -> dict:
        """`spec` with the flag colour's fill and font colour, everything else kept."""
        font = etree.fromstring(spec["font"]) if spec["font"] else etree.Element(Q % "font", nsmap={None: NS_MAIN})
        for old in font.findall(Q % "color"):
            font.remove(old)
        etree.SubElement(font, Q % "color", rgb="FF" + colour.font)
        attrs = dict(spec["attrs"])
        attrs.update(applyFill="1", applyFont="1")
        return {**spec, "attrs": sorted(attrs.items()), "font": _c14n(font), "fill": fill_xml(colour)}

    @staticmethod
    def uncoloured(spec: dict) -> dict:
        """`spec` without a flag colour's fill and font colour (no fill, the font's own colour
        dropped): a painted cell's format when nothing recorded what it was before."""
        font = etree.fromstring(spec["font"]) if spec["font"] else None
        if font is not None:
            for old in font.findall(Q % "color"):
                font.remove(old)
        none = etree.Element(Q % "fill", nsmap={None: NS_MAIN})
        etree.SubElement(none, Q % "patternFill", patternType="none")
        return {**spec, "font": _c14n(font) if font is not None else None, "fill": _c14n(none)}

    @staticmethod
    def wraps(spec: dict) -> bool:
        """Does the described format wrap its text?"""
        return any(_is_wrapping(child) for child in spec["children"])

    @staticmethod
    def wrapped(spec: dict) -> dict:
        """`spec` with its text wrapped (and at the top of the cell, unless it says where):
        everything else, and any other alignment it has, kept."""
        children, found = [], False
        for child in spec["children"]:
            el = etree.fromstring(child)
            if etree.QName(el).localname == "alignment":
                found = True
                el.set("wrapText", "1")
                child = _c14n(el)
            children.append(child)
        if not found:
            el = etree.Element(Q % "alignment", nsmap={None: NS_MAIN}, vertical="top", wrapText="1")
            children.insert(0, _c14n(el))            # alignment comes first among an xf's children
        attrs = dict(spec["attrs"])
        attrs["applyAlignment"] = "1"
        return {**spec, "attrs": sorted(attrs.items()), "children": children}

    @staticmethod
    def numbered(spec: dict, shown: str) -> dict:
        """`spec` showing its number as `shown` ("date", "datetime", "percent"), everything else
        kept; `spec` itself when its number format already shows one (a date format for a date
        or a date-time: the workbook's own way of writing dates stays)."""
        ident, code = spec["numFmt"]
        if shown == "percent" and (ident in (9, 10) or "%" in _unquoted(code or "")):
            return spec
        if shown != "percent" and is_date_format(ident, code):
            return spec
        attrs = dict(spec["attrs"])
        attrs["applyNumberFormat"] = "1"
        return {**spec, "attrs": sorted(attrs.items()), "numFmt": list(NUMBER_FORMATS[shown])}

    def wears(self, index: int, colour: Colour) -> bool:
        """Does format `index` carry this flag colour (fill and font colour), i.e. did duban paint it?"""
        spec = self.describe(index)
        return spec["fill"] == fill_xml(colour) and f'rgb="FF{colour.font}"' in (spec["font"] or "")

    # ---- finding or adding -----------------------------------------------------------------
    def find_or_add(self, spec: dict) -> int:
        key = json.dumps(spec, sort_keys=True)
        index = self._lookup().get(key)
        if index is not None:
            return index
        xf = etree.SubElement(self.xfs, self.q % "xf")
        xf.set("numFmtId", str(self._numfmt_id(*spec["numFmt"])))
        xf.set("fontId", str(self._find_or_append(self.fonts, spec["font"])))
        xf.set("fillId", str(self._find_or_append(self.fills, spec["fill"])))
        xf.set("borderId", str(self._find_or_append(self.borders, spec["border"])))
        for name, value in spec["attrs"]:
            xf.set(name, value)
        for child in spec["children"]:
            xf.append(self._element(child))
        self.xfs.set("count", str(len(self.xfs)))
        self.changed = True
        index = len(self.xfs) - 1
        self._lookup()[key] = index
        return index

    def _lookup(self) -> dict[str, int]:
        if self._index is None:
            self._index = {}
            for i in range(len(self.xfs)):
                self._index.setdefault(json.dumps(self.describe(i), sort_keys=True), i)
        return self._index

    def _find_or_append(self, section: etree._Element, xml: str | None) -> int:
        if xml is None:
            return 0
        for i, item in enumerate(section):
            if _c14n(item) == xml:
                return i
        self._pad(section)
        section.append(self._element(xml))
        section.set("count", str(len(section)))
        return len(section) - 1

    def _pad(self, section: etree._Element) -> None:
        """Before the first entry duban adds to a section: if existing formats name entries past
        its end (a font index that does not exist, written by some programs), fill the gap with
        copies of entry 0, as readers show such formats, so duban's entry never takes a slot an
        existing format points at (the whole sheet would turn duban's colour)."""
        name = etree.QName(section).localname
        if name in self._padded:
            return
        self._padded.add(name)
        key = {"fonts": "fontId", "fills": "fillId", "borders": "borderId"}[name]
        named = [int(v) for xfs in (self.xfs, self.root.find(self.q % "cellStyleXfs")) if xfs is not None
                 for xf in xfs if (v := xf.get(key, "0")).isdigit()]
        furthest = max(named, default=-1)
        if furthest - len(section) >= MAX_GAP:
            raise StyleGap(name, furthest, len(section))
        while len(section) <= furthest:
            section.append(copy.deepcopy(section[0]))
        section.set("count", str(len(section)))

    def _numfmt_id(self, ident: int, code: str | None) -> int:
        if code is None or ident < FIRST_CUSTOM_NUMFMT:
            return ident
        if self.numfmts is None:
            self.numfmts = etree.Element(self.q % "numFmts", count="0", nsmap=self.root.nsmap)
            self.root.insert(0, self.numfmts)
        taken = {int(f.get("numFmtId")): f.get("formatCode") for f in self.numfmts}
        if taken.get(ident) == code:
            return ident
        for other, other_code in taken.items():
            if other_code == code:
                return other
        named = [int(v) for xf in self.xfs if (v := xf.get("numFmtId", "0")).isdigit()]   # defined or not
        new = max([FIRST_CUSTOM_NUMFMT - 1, *taken, *named]) + 1
        etree.SubElement(self.numfmts, self.q % "numFmt", numFmtId=str(new), formatCode=code)
        self.numfmts.set("count", str(len(self.numfmts)))
        return new


NUMBER_FORMATS = {"date": (FIRST_CUSTOM_NUMFMT, "yyyy-mm-dd"), "datetime": (FIRST_CUSTOM_NUMFMT, "yyyy-mm-dd hh:mm"),
                  "percent": (9, None)}      # 9: Excel's built-in 0%
_DATE_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])   # built-in date/time formats


def is_date_format(ident: int, code: str | None) -> bool:
    """Does this number format show a date or a time (so Excel treats the number as one)?"""
    if code is None:
        return ident in _DATE_IDS
    return bool(re.search(r"[ymdhs]", _unquoted(code).lower()))


def _unquoted(code: str) -> str:
    """A format code without its quoted text, escapes and [colour]/[$-804] sections."""
    return re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)


def _is_wrapping(child: str) -> bool:
    el = etree.fromstring(child)
    return etree.QName(el).localname == "alignment" and el.get("wrapText") in ("1", "true")


def fill_xml(colour: Colour) -> str:
    fill = etree.Element(Q % "fill", nsmap={None: NS_MAIN})
    pattern = etree.SubElement(fill, Q % "patternFill", patternType=colour.pattern)
    if colour.pattern == "solid":
        etree.SubElement(pattern, Q % "fgColor", rgb="FF" + colour.fill)
        etree.SubElement(pattern, Q % "bgColor", indexed="64")
    else:  # hatched: the lines in the font colour over the light fill
        etree.SubElement(pattern, Q % "fgColor", rgb="FF" + colour.font)
        etree.SubElement(pattern, Q % "bgColor", rgb="FF" + colour.fill)
    return _c14n(fill)
