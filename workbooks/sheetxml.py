"""Patching one worksheet's XML as a byte stream: job-owned cell values and cell formats only.

A 100,000-row sheet is ~40 MB of XML; building a tree of it costs gigabytes and seconds. The
patcher instead walks the `<row>` start tags with a compiled regex, rewrites only the rows
named in the plan, and copies every other byte unchanged, so formulas, merged ranges,
validations, conditional formats and extension lists (and their namespace prefixes) survive.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator
from xml.sax.saxutils import escape

_REF = re.compile(r"([A-Z]+)(\d+)")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class CellEdit:
    """What to do to one cell: new text (None: keep the value) and/or a new format.

    `style(current_s) -> new_s | None` is called with the cell's current format index."""

    text: str | None = None
    style: Callable[[int], int | None] | None = None


class MissingRow(Exception):
    """A planned row is not in the sheet (it was deleted since the read)."""


def patch_sheet(raw: bytes, edits: dict[int, dict[str, CellEdit]]) -> bytes:
    """The sheet XML with the edits applied, in one piece (small sheets, tests)."""
    return b"".join(stream(raw, splices(raw, edits)))


def stream(raw: bytes, cuts: list[tuple[int, int, int, bytes]]) -> Iterator[bytes | memoryview]:
    """The patched sheet as chunks: unchanged stretches are views of `raw`, never copies."""
    view, pos = memoryview(raw), 0
    for start, _order, end, new in cuts:
        yield view[pos:start]
        yield new
        pos = end
    yield view[pos:]


def splices(raw: bytes, edits: dict[int, dict[str, CellEdit]]) -> list[tuple[int, int, int, bytes]]:
    """Where the edits change `raw`: sorted (start, order, end, new bytes); [] if nothing changes."""
    prefix = _prefix(raw)
    row_start = re.compile(rb"<" + prefix + rb"row\b([^>]*?)(/?)>")
    row_end = b"</" + prefix + b"row>"
    cuts, last_row, pending, max_col = [], 0, dict(edits), 0
    data = raw.find(b"<" + prefix + b"sheetData")
    for m in row_start.finditer(raw, max(data, 0)):
        number = _row_number(m.group(1), last_row)
        last_row = number
        if number not in pending:
            continue
        cells = pending.pop(number)
        if m.group(2):  # <row .../>: give it a body
            body = _patch_body(b"", cells, prefix, 0, 0)
            widest = max(_col(r.rstrip("0123456789")) for r in cells)
            tag = b"<" + prefix + b"row" + _widen_spans(m.group(1), widest) + b">"
            cuts.append((m.start(), 0, m.end(), tag + b"".join(n for *_x, n in body) + row_end))
        else:
            end = raw.index(row_end, m.end())
            found, widest = _row_cuts(raw, m.end(), end, cells, prefix)
            cuts += found
            if widest and (attrs := _widen_spans(m.group(1), widest)) != m.group(1):
                cuts.append((m.start(), 0, m.end(), b"<" + prefix + b"row" + attrs + b">"))
        max_col = max(max_col, widest)
        if not pending:
            break
    if pending:
        raise MissingRow(f"rows {sorted(pending)[:5]} are no longer in the sheet")
    cuts += _dimension_cut(raw, prefix, max_col)
    cuts = [c for c in cuts if c[0] != c[2] or c[3]]
    cuts = [c for c in cuts if raw[c[0]:c[2]] != c[3]]
    cuts.sort(key=lambda c: (c[0], c[1]))
    return cuts


def _prefix(raw: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?worksheet\b", raw)
    return m.group(1) or b"" if m else b""


def _row_number(attrs: bytes, last: int) -> int:
    m = re.search(rb'\br="(\d+)"', attrs)
    return int(m.group(1)) if m else last + 1


@lru_cache(maxsize=64)
def _cell_start(prefix: bytes) -> re.Pattern:
    return re.compile(rb"<" + prefix + rb'c r="([A-Z]+)(\d+)"')


def _row_cuts(raw: bytes, lo: int, hi: int, cells: dict[str, CellEdit], prefix: bytes):
    """Cuts for one row whose body is raw[lo:hi]. Fast path: cells found by their leading r
    attribute (Excel, LibreOffice and openpyxl write it first); other rows are re-parsed whole."""
    tag = b"<" + prefix + b"c"
    cuts, missing, widest = [], [], 0
    for ref, edit in cells.items():
        at = raw.find(tag + b' r="' + ref.encode() + b'"', lo, hi)
        if at < 0:
            missing.append((ref, edit))
            continue
        close = raw.index(b">", at)
        if raw[close - 1] == 47:  # "/": an empty cell
            end, attrs_raw, content = close + 1, raw[at + len(tag):close - 1], b""
        else:
            end_tag = raw.index(b"</" + prefix + b"c>", close)
            end, attrs_raw, content = end_tag + len(tag) + 2, raw[at + len(tag):close], raw[close + 1:end_tag]
        cuts.append((at, 0, end, _cell(prefix, dict(_ATTR.findall(attrs_raw)), content, edit)))
    if not missing:
        return cuts, 0
    if raw.count(tag + b' r="', lo, hi) != raw.count(tag + b" ", lo, hi):  # some cell has no leading r
        body = raw[lo:hi]
        return [(lo, 0, hi, _patch_row_slow(body, cells, prefix))], max(_col(r.rstrip("0123456789")) for r in cells)
    for ref, edit in missing:
        col = _col(ref.rstrip("0123456789"))
        new = _cell(prefix, {b"r": ref.encode()}, None, edit)
        if new is not None:
            pos = _insert_at(raw, lo, hi, prefix, col)
            cuts.append((pos, col, pos, new))
            widest = max(widest, col)
    return cuts, widest


def _patch_body(body: bytes, cells, prefix, lo, hi):
    """An empty row: its new cells in column order."""
    out = []
    for ref, edit in cells.items():
        new = _cell(prefix, {b"r": ref.encode()}, None, edit)
        if new is not None:
            out.append((0, _col(ref.rstrip("0123456789")), 0, new))
    return sorted(out)


def _insert_at(raw: bytes, lo: int, hi: int, prefix: bytes, col: int) -> int:
    """Where a new cell of column `col` goes: before the first cell to its right, else at the end.
    The common cases (left of the first cell, right of the last) need no scan of the row."""
    pattern = _cell_start(prefix)
    first = pattern.search(raw, lo, hi)
    if first is None or _col(first.group(1).decode()) > col:
        return first.start() if first else hi
    last = pattern.match(raw, raw.rfind(b"<" + prefix + b'c r="', lo, hi), hi)
    if _col(last.group(1).decode()) < col:
        return hi
    return next((m.start() for m in pattern.finditer(raw, lo, hi) if _col(m.group(1).decode()) > col), hi)


@lru_cache(maxsize=4096)
def _col(letters: str) -> int:
    return col_number(letters)


def _patch_row_slow(body: bytes, cells: dict[str, CellEdit], prefix: bytes) -> bytes:
    """Rows whose cells lack r attributes: parse every cell and rebuild the body."""
    cell_re = re.compile(rb"<" + prefix + rb"c\b([^>]*?)(/>|>(.*?)</" + prefix + rb"c>)", re.S)
    found, order = {}, []
    for position, m in enumerate(cell_re.finditer(body), start=1):
        attrs = dict(_ATTR.findall(m.group(1)))
        ref = attrs.get(b"r", b"").decode() or col_letters(position) + "?"
        col = _col(ref.rstrip("0123456789?")) if b"r" in attrs else position
        order.append((col, m))
        found[ref if b"r" in attrs else None] = m
    inserts = {}
    for ref, edit in cells.items():
        if ref in found:
            continue
        col = _col(ref.rstrip("0123456789"))
        if any(c == col for c, _m in order):  # addressed by position only
            continue
        new = _cell(prefix, {b"r": ref.encode()}, None, edit)
        if new is not None:
            inserts[col] = new
    by_col = {col: m for col, m in order}
    edited = {id(by_col[_col(ref.rstrip("0123456789"))]): edit for ref, edit in cells.items()
              if _col(ref.rstrip("0123456789")) in by_col}
    out, cursor = [], 0
    for col, m in order:
        for add in sorted(c for c in inserts if c < col):
            out += [body[cursor:m.start()], inserts.pop(add)]
            cursor = m.start()
        edit = edited.get(id(m))
        if edit is None:
            continue
        out += [body[cursor:m.start()], _cell(prefix, dict(_ATTR.findall(m.group(1))), m.group(3) or b"", edit)]
        cursor = m.end()
    out.append(body[cursor:])
    out += [inserts[c] for c in sorted(inserts)]
    return b"".join(out)


def _cell(prefix: bytes, attrs: dict[bytes, bytes], content: bytes | None, edit: CellEdit) -> bytes | None:
    """One `<c>` element after the edit (None: a missing cell that needs nothing written)."""
    missing = content is None and attrs.keys() == {b"r"}
    content = content or b""
    current = int(attrs.get(b"s", b"0"))
    if edit.style is not None:
        new_s = edit.style(current)
        if new_s is not None and new_s != current:
            attrs[b"s"] = str(new_s).encode()
    if edit.text is not None:
        for drop in (b"t", b"cm", b"vm"):
            attrs.pop(drop, None)
        content = b""
        if edit.text:
            attrs[b"t"] = b"inlineStr"
            text = escape(_ILLEGAL.sub("", edit.text)).encode()
            space = b' xml:space="preserve"' if edit.text != edit.text.strip() else b""
            content = b"<" + prefix + b"is><" + prefix + b"t" + space + b">" + text + b"</" + prefix + b"t></" \
                + prefix + b"is>"
    if missing and not content and b"s" not in attrs:
        return None
    start = b"<" + prefix + b"c" + b"".join(b" " + k + b'="' + v + b'"' for k, v in attrs.items())
    return start + (b">" + content + b"</" + prefix + b"c>" if content else b"/>")


def _widen_spans(attrs: bytes, col: int) -> bytes:
    m = re.search(rb'\bspans="(\d+):(\d+)"', attrs)
    if not m or not col:
        return attrs
    lo, hi = int(m.group(1)), int(m.group(2))
    return attrs[:m.start()] + f'spans="{min(lo, col)}:{max(hi, col)}"'.encode() + attrs[m.end():]


def _dimension_cut(raw: bytes, prefix: bytes, col: int) -> list:
    """Widen <dimension ref> when a job-owned cell was added right of the used range."""
    if not col:
        return []
    m = re.search(rb"<" + prefix + rb'dimension\s+ref="([A-Z]+\d+):([A-Z]+)(\d+)"', raw[:4096])
    if not m or col_number(m.group(2).decode()) >= col:
        return []
    return [(m.start(2), 0, m.end(2), col_letters(col).encode())]
