"""What a workbook carries in its hidden _duban sheet so that duban can undo its own paint
without its state: a workbook identity (a UUID, written once, which a rename or a move keeps)
and, for every cell duban coloured, the colour and the format the cell had before.

The record is written into the same package write as the paint it describes, so the file and
its record never disagree. It lives in key/value rows from RECORD_ROW down, below the template's
own keys (which are never touched): `workbook_id`, `format.N` (one original format, as the
journal keeps it) and `painted.N` (JSON lists of [ID, column, colour, format N]), each cell
well under Excel's 32,767 characters.
"""
from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape

RECORD_ROW = 20
IDENTITY = "workbook_id"
CELL_LIMIT = 30000          # characters per cell (Excel's limit is 32,767)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

Painted = dict[tuple[str, str], tuple[str, dict]]


def identity_of(meta: dict) -> str | None:
    return meta.get(IDENTITY) or None


def painted_of(meta: dict) -> Painted:
    """(ID, column) -> (colour name, original format), from a read workbook's _duban keys.
    A record that does not parse is no record (the journal's, if any, still counts)."""
    try:
        formats = {int(k[7:]): json.loads(v) for k, v in meta.items() if k.startswith("format.")}
        found: Painted = {}
        for key, value in meta.items():
            if key.startswith("painted."):
                for ident, column, colour, fmt in json.loads(value):
                    if fmt in formats:
                        found[(str(ident), str(column))] = (str(colour), formats[fmt])
        return found
    except (ValueError, TypeError):
        return {}


def record_rows(identity: str, painted: Painted) -> list[tuple[str, str]]:
    """The rows to keep in _duban: identity, the distinct original formats, the painted cells."""
    rows = [(IDENTITY, identity)]
    numbers: dict[str, int] = {}
    entries = []
    texts: dict[int, str] = {}       # most cells share one original format object: encode it once
    for (ident, column), (colour, spec) in sorted(painted.items()):
        if (text := texts.get(id(spec))) is None:
            text = texts[id(spec)] = json.dumps(spec, sort_keys=True, ensure_ascii=False)
        if text not in numbers:
            numbers[text] = len(numbers) + 1
            rows.append((f"format.{numbers[text]}", text))
        entries.append(json.dumps([ident, column, colour, numbers[text]], ensure_ascii=False))
    chunks: list[list[str]] = []
    size = CELL_LIMIT
    for entry in entries:
        if size + len(entry) + 1 > CELL_LIMIT:
            chunks.append([])
            size = 2
        chunks[-1].append(entry)
        size += len(entry) + 1
    return rows + [(f"painted.{n}", "[" + ",".join(chunk) + "]") for n, chunk in enumerate(chunks, start=1)]


def meta_sheet(raw: bytes, rows: list[tuple[str, str]]) -> bytes | None:
    """The _duban sheet with its rows from RECORD_ROW on replaced by `rows` (inline strings, so
    no shared-string table is touched); the rows above are kept byte for byte. None when the
    sheet already holds exactly these rows, or has no sheetData to write into."""
    prefix = (re.match(rb"\s*(?:<\?[^>]*\?>\s*)?<(\w+:)?worksheet\b", raw) or [b"", b""])[1] or b""
    p = prefix
    data = re.search(rb"<" + p + rb"sheetData\b[^>]*?(/>|>)", raw)
    if not data:
        return None
    if data.group(1) == b"/>":
        body, close = b"", data.end()
    else:
        end = raw.index(b"</" + p + b"sheetData>", data.end())
        body, close = raw[data.end():end], end + len(b"</" + p + b"sheetData>")
    kept = [m.group(0) for m in re.finditer(rb"<" + p + rb'row\b[^>]*?\br=["\'](\d+)["\'][^>]*?(?:/>|>.*?</' + p
                                             + rb"row>)", body, re.S) if int(m.group(1)) < RECORD_ROW]
    new = []
    for offset, (key, value) in enumerate(rows):
        r = RECORD_ROW + offset
        cells = b"".join(b'<%sc r="%s%d" t="inlineStr"><%sis><%st xml:space="preserve">%s</%st></%sis></%sc>'
                         % (p, letter, r, p, p, escape(_ILLEGAL.sub("", text)).encode(), p, p, p)
                         for letter, text in ((b"A", key), (b"B", value)))
        new.append(b'<%srow r="%d">%s</%srow>' % (p, r, cells, p))
    out = raw[:data.start()] + b"<" + p + b"sheetData>" + b"".join(kept + new) + b"</" + p + b"sheetData>" + raw[close:]
    if rows:
        out = re.sub(rb"(<" + p + rb'dimension\s+ref=")[^"]*(")',
                     lambda d: d.group(1) + b"A1:B%d" % (RECORD_ROW + len(rows) - 1) + d.group(2), out, count=1)
    return None if out == raw else out
