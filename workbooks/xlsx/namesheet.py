"""The hidden _names sheet: the people (and departments) the workbook's drop-downs offer,
rewritten whole as inline strings.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

from duban.workbooks.xlsx.cellxml import ILLEGAL
from duban.workbooks.xlsx.layout import sheet_prefix


def names_sheet(raw: bytes, names) -> bytes | None:
    """The hidden _names sheet holding the people in column A and, given a `meta.Lists`, the
    departments in column B, from row 2 (row 1, their headers, kept); `names` is a Lists or a
    plain list of names. None when it already does. Written as inline strings so no
    shared-string table is touched."""
    columns = [list(getattr(names, "names", names))]
    if getattr(names, "departments", None) is not None:
        columns.append(list(names.departments))
    prefix = sheet_prefix(raw)
    m = re.search(rb"<" + prefix + rb"sheetData\b[^>]*?(/>|>)", raw)
    if not m:
        return None
    end = m.end() if m.group(1) == b"/>" else raw.index(b"</" + prefix + b"sheetData>", m.end())
    body = raw[m.end():end] if m.group(1) == b">" else b""
    header = re.match(rb"\s*<" + prefix + rb'row r="1"[^>]*?(?:/>|>.*?</' + prefix + rb"row>)", body, re.S)
    p = prefix
    rows = [header.group(0).strip() if header else b""]
    length = max(map(len, columns))
    for r in range(2, length + 2):
        cells = b""
        for letter, values in zip(b"AB", columns):
            if r - 2 < len(values):
                text = escape(ILLEGAL.sub("", values[r - 2])).encode()
                cells += (b'<%sc r="%c%d" t="inlineStr"><%sis><%st>%s</%st></%sis></%sc>'
                          % (p, letter, r, p, p, text, p, p, p))
        rows.append(b'<%srow r="%d">%s</%srow>' % (p, r, cells, p))
    new_data = b"<" + p + b"sheetData>" + b"".join(rows) + b"</" + p + b"sheetData>"
    close = end if m.group(1) == b"/>" else end + len(b"</" + p + b"sheetData>")
    out = raw[:m.start()] + new_data + raw[close:]
    last = b"AB"[len(columns) - 1]
    out = re.sub(rb"(<" + p + rb'dimension\s+ref=")[^"]*(")',
                 lambda d: d.group(1) + b"A1:%c%d" % (last, max(1, length + 1)) + d.group(2), out, count=1)
    return None if out == raw else out
