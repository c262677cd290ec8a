"""Patching one worksheet's XML as a byte stream: job-owned cell values and cell formats only.

A 100,000-row sheet is ~40 MB of XML; building a tree of it costs gigabytes and seconds. The
patcher instead walks the `<row>` start tags with a compiled regex, rewrites only the rows
named in the plan, and copies every other byte unchanged, so formulas, merged ranges,
validations, conditional formats and extension lists (and their namespace prefixes) survive.

The fast path expects what Excel writes: every row and cell start tag opening with
`r="A1"` (double quotes, capital letters) and rows in ascending order, each number once. Any
other shape XML allows or readers forgive (single-quoted attributes, lowercase or absent
references, a row number written twice) takes the careful path: the row is parsed cell by
cell, and a cell written twice, which no patch could settle, refuses the write (`Ambiguous`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Iterator
from html import unescape
from xml.sax.saxutils import escape

from duban.workbooks.xlsx import rowheight

_REF = re.compile(r"([A-Z]+)(\d+)")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    """A start tag's attributes, with either quote; values as written, ready to go back between
    double quotes (a double quote inside a single-quoted value escaped). The reference is upper-
    cased: `a1` is A1 to every reader, and the read-back looks for it as A1."""
    out = {name: sq.replace(b'"', b"&quot;") if sq else dq for name, dq, sq in _ATTR.findall(raw)}
    if b"r" in out:
        out[b"r"] = out[b"r"].strip().upper()
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def ref_row(ref: str) -> int:
    """The row number of a cell reference ("AB12" -> 12)."""
    return int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass(slots=True)
class CellEdit:
    """What to do to one cell: new text (None: keep the value) and/or a new format.

    `style(current_s) -> new_s | None` is called with the cell's current format index."""

    text: str | None = None
    style: Callable[[int], int | None] | None = None
    grow: bool = False      # the cell wraps: its row is made tall enough for the new text (rowheight)


class Ambiguous(Exception):
    """A planned cell written more than once in the sheet: which one readers show is theirs to
    pick, so no patch can be known right."""

    def __init__(self, ref: str):
        self.ref = ref
        super().__init__(f"cell {ref} is written more than once in the sheet")


class MissingRow(Exception):
    """Planned rows not in the sheet (deleted since the read); `rows` names them."""

    def __init__(self, rows: list[int]):
        self.rows = rows
        super().__init__(f"rows {rows} are no longer in the sheet")


def patch_sheet(raw: bytes, edits: dict[int, dict[str, CellEdit]]) -> bytes:
    """The sheet XML with the edits applied, in one piece (small sheets, tests)."""
    return b"".join(stream(raw, splices(raw, edits)))


PIECE = 1 << 20


def stream(raw: bytes, cuts: Iterable[tuple[int, int, int, bytes]]) -> Iterator[bytes | memoryview]:
    """The patched sheet as pieces: unchanged stretches are views of `raw` (at most 1 MB each),
    never copies. `cuts` may be a generator: the sheet streams out while it is being patched."""
    view, pos = memoryview(raw), 0
    for start, _order, end, new in cuts:
        while start - pos > PIECE:
            yield view[pos:pos + PIECE]
            pos += PIECE
        yield view[pos:start]
        yield new
        pos = end
    for at in range(pos, len(raw), PIECE):
        yield view[at:at + PIECE]


def splices(raw: bytes, edits: dict[int, dict[str, CellEdit]], sheet: Layout | None = None
            ) -> Iterator[tuple[int, int, int, bytes]]:
    """Where the edits change `raw`, in order: (start, order, end, new bytes), generated row by
    row as they are found. Raises MissingRow, after the last cut, for planned rows not found."""
    sheet = sheet or Layout(raw)
    prefix, data = sheet.prefix, sheet.data
    yield from _dimension_cut(raw, prefix, _widest_new(edits), min(edits, default=0), max(edits, default=0))
    if not (sheet.rows_numbered and sheet.ordered):
        yield from _careful_splices(raw, edits, sheet)
        return
    found = 0
    for number, start, tag_end, attrs, closed in _rows_by_number(raw, prefix, data, sorted(edits)):
        found += 1
        yield from _row_cuts(raw, sheet, start, tag_end, attrs, closed, edits[number])
    if found != len(edits):
        seen = {number for number, *_x in _rows_by_number(raw, prefix, data, sorted(edits))}
        raise MissingRow(sorted(set(edits) - seen))


def _row_cuts(raw: bytes, sheet: "Layout", start: int, tag_end: int, attrs: bytes, closed: bool,
              cells: dict[str, CellEdit]) -> list[tuple[int, int, int, bytes]]:
    """The cuts that apply `cells` to the one row element whose start tag is raw[start:tag_end]."""
    prefix = sheet.prefix
    row_end = b"</" + prefix + b"row>"
    if not cells:
        return []
    if closed:  # <row .../>: give it a body
        widest = max(_col(r.rstrip("0123456789")) for r in cells)
        tag = b"<" + prefix + b"row" + _taller(_widen_spans(attrs, widest), sheet, cells) + b">"
        return [(start, 0, tag_end, tag + b"".join(n for *_x, n in _new_cells(cells, prefix)) + row_end)]
    cuts, widest = sheet.cuts(tag_end, raw.index(row_end, tag_end), cells)
    if (wide := _taller(_widen_spans(attrs, widest), sheet, cells)) != attrs:
        cuts.insert(0, (start, 0, tag_end, b"<" + prefix + b"row" + wide + b">"))
    if len(cuts) > 1:
        cuts.sort(key=_cut_key)
    return [(start, order, end, new) for start, order, end, new in cuts
            if end - start != len(new) or (new and raw[start:end] != new)]   # skip cuts that change nothing


def _careful_splices(raw: bytes, edits: dict[int, dict[str, CellEdit]], sheet: "Layout"):
    """Rows without numbers, out of order, or written twice: every row element is found; a
    planned cell goes where it already is (in whichever element of its row), a new one into
    the row's first element, in column order. A cell found twice raises Ambiguous."""
    prefix, row_end = sheet.prefix, b"</" + sheet.prefix + b"row>"
    elements: dict[int, list[tuple]] = {}
    for found in _all_rows(raw, prefix, sheet.data, set(edits)):
        elements.setdefault(found[0], []).append(found)
    missing = sorted(set(edits) - set(elements))
    cuts = []
    for number, cells in edits.items():
        group = elements.get(number)
        if not group:
            continue
        shares: list[dict[str, CellEdit]] = [{} for _ in group]
        for ref, edit in cells.items():
            holders = [k for k, (_n, _s, tag_end, _a, closed) in enumerate(group)
                       if not closed and _holds(raw[tag_end:raw.index(row_end, tag_end)], ref, prefix)]
            if len(holders) > 1:
                raise Ambiguous(ref)
            shares[holders[0] if holders else 0][ref] = edit
        for (_n, start, tag_end, attrs, closed), share in zip(group, shares):
            cuts += _row_cuts(raw, sheet, start, tag_end, attrs, closed, share)
    cuts.sort(key=_cut_key)
    yield from cuts
    if missing:
        raise MissingRow(missing)


def _holds(body: bytes, ref: str, prefix: bytes) -> bool:
    """Does this row body hold the cell `ref` (any quote, any letter case, or no r and placed
    after the cell before)? Twice in one body raises Ambiguous."""
    want, count, col = _col(ref.rstrip("0123456789")), 0, 0
    for m in _cell_tag(prefix).finditer(body):
        r = _attrs(m.group(1)).get(b"r")
        col = _col(r.decode().rstrip("0123456789")) if r else col + 1
        count += col == want
    if count > 1:
        raise Ambiguous(ref)
    return count == 1


def _cut_key(cut: tuple) -> tuple[int, bool, int]:
    """Cuts in file order; at one offset, insertions (in column order) before the cut that
    rewrites the cell starting there, or a new cell would land inside that cell's start tag."""
    return cut[0], cut[2] != cut[0], cut[1]


def _widest_new(edits: dict[int, dict[str, CellEdit]]) -> int:
    """The rightmost column an edit may write (to widen the sheet's dimension, once, up front)."""
    letters = {ref.rstrip("0123456789") for cells in edits.values() for ref, edit in cells.items()
               if edit.text or edit.style is not None}
    return max(map(_col, letters), default=0)


@lru_cache(maxsize=16)
def _unaddressed(prefix: bytes) -> re.Pattern:
    """A row or cell start tag that does not open with `r="` and a capital-letter reference (no
    r, r not first, single quotes, lowercase): one scan finds any."""
    return re.compile(rb"<" + re.escape(prefix) + rb'(row|c)(?:/?>|\s+(?!r="[A-Z]*\d))')


@lru_cache(maxsize=16)
def _cell_tag(prefix: bytes) -> re.Pattern:
    return re.compile(rb"<" + re.escape(prefix) + rb"c\b([^>]*?)/?>")


def _rows_by_number(raw: bytes, prefix: bytes, data: int, wanted: list[int]):
    """The wanted rows found directly by their number (rows are in ascending order in a sheet)."""
    pos = data
    for number in wanted:
        start = raw.find(b"<" + prefix + b'row r="%d"' % number, pos)
        if start < 0:
            continue
        tag_end = raw.index(b">", start) + 1
        closed = raw[tag_end - 2] == 47  # "/"
        attrs = raw[start + len(prefix) + 4: tag_end - (2 if closed else 1)]
        yield number, start, tag_end, attrs, closed
        pos = tag_end


def _all_rows(raw: bytes, prefix: bytes, data: int, wanted: set[int]):
    """Every start tag of a wanted row, in file order, however many there are of each number;
    rows without r are counted (each follows the previous one)."""
    row_start = re.compile(rb"<" + prefix + rb"row\b([^>]*?)(/?)>")
    last = 0
    for m in row_start.finditer(raw, data):
        last = _row_number(m.group(1), last)
        if last in wanted:
            yield last, m.start(), m.end(), m.group(1), bool(m.group(2))


def _prefix(raw: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?worksheet\b", raw)
    return m.group(1) or b"" if m else b""


_ROW_R = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*(\d+)\s*["']""")


def _row_number(attrs: bytes, last: int) -> int:
    m = _ROW_R.search(attrs)
    return int(m.group(1)) if m else last + 1


@lru_cache(maxsize=64)
def _cell_start(prefix: bytes) -> re.Pattern:
    return re.compile(rb"<" + prefix + rb'c r="([A-Z]+)(\d+)"')


class Layout:
    """What the row patcher needs to know about one sheet, worked out once (not per row)."""

    def __init__(self, raw: bytes):
        prefix = self.prefix = _prefix(raw)
        self.raw, self.data = raw, max(raw.find(b"<" + prefix + b"sheetData"), 0)
        data = self.data
        self.tag, self.end_tag = b"<" + prefix + b"c", b"</" + prefix + b"c>"
        self.find_tag = self.tag + b' r="'
        self.cell_start = _cell_start(prefix)
        odd: set[bytes] = set()                  # b"row" / b"c": some start tag lacks a leading r
        for m in _unaddressed(prefix).finditer(raw, data):
            odd.add(m.group(1))
            if len(odd) == 2:
                break
        self.rows_numbered = b"row" not in odd   # every row starts `<row r="N"`
        self.addressed = b"c" not in odd          # every cell starts `<c r="..."`
        self._ordered: bool | None = None
        self._widths: tuple[dict[int, float], float] | None = None

    def width(self, col: int) -> float:
        """Column `col`'s width as the sheet gives it (for rows that must grow to show wrapped text)."""
        if self._widths is None:
            self._widths = rowheight.column_widths(self.raw[:self.data])
        widths, default = self._widths
        return widths.get(col, default)

    @property
    def ordered(self) -> bool:
        """Rows in ascending order, each number once (as the format wants, and the fast path
        needs): one scan of the row numbers, done when a write first asks."""
        if self._ordered is None:
            pattern = re.compile(rb"<" + re.escape(self.prefix) + rb'row r="(\d+)"')
            numbers = list(map(int, pattern.findall(self.raw, self.data)))
            self._ordered = all(map(int.__lt__, numbers, numbers[1:]))
        return self._ordered

    def cuts(self, lo: int, hi: int, cells: dict[str, CellEdit]) -> tuple[list, int]:
        """Cuts for one row whose body is raw[lo:hi], and the rightmost column a new cell took.
        Fast path: cells found by their leading r attribute (Excel, LibreOffice and openpyxl
        write it first); rows with cells lacking r are re-parsed whole."""
        raw, tag, find_tag = self.raw, self.tag, self.find_tag
        cuts, missing = [], []
        for ref, edit in cells.items():
            tag_ref = find_tag + ref.encode() + b'"'
            at = raw.find(tag_ref, lo, hi)
            if at < 0:
                missing.append((ref, edit))
                continue
            if raw.find(tag_ref, at + len(tag_ref), hi) >= 0:     # the same cell twice in the row
                raise Ambiguous(ref)
            close = raw.index(b">", at)
            if edit.text is None:  # a new format only: the start tag is all that changes
                if (new := _restyle(raw[at:close + 1], edit)) is not None:
                    cuts.append((at, 0, close + 1, new))
                continue
            if raw[close - 1] == 47:  # "/": an empty cell
                end, attrs_raw, content = close + 1, raw[at + len(tag):close - 1], b""
            else:
                end_tag = raw.index(self.end_tag, close)
                end, attrs_raw, content = end_tag + len(tag) + 2, raw[at + len(tag):close], raw[close + 1:end_tag]
            cuts.append((at, 0, end, _cell(self.prefix, _attrs(attrs_raw), content, edit)))
        if not missing:
            return cuts, 0
        if not self.addressed and _unaddressed(self.prefix).search(raw, lo, hi):  # a cell without a leading r
            return [(lo, 0, hi, _patch_row_slow(raw[lo:hi], cells, self.prefix))], \
                max(_col(r.rstrip("0123456789")) for r in cells)
        new, widest = self._inserts(lo, hi, missing)
        return cuts + new, widest

    def _inserts(self, lo: int, hi: int, missing: list) -> tuple[list, int]:
        """New cells for the row: each goes before the first cell to its right, else at the end."""
        raw, find_tag, widest, cuts = self.raw, self.find_tag, 0, []
        first = raw.find(find_tag, lo, hi)
        first_col = self._col_at(first) if first >= 0 else 0
        last_col = None
        for ref, edit in missing:
            col = _col(ref.rstrip("0123456789"))
            new = _new_text(self.prefix, ref, edit.text) if edit.style is None and edit.text else \
                _cell(self.prefix, {b"r": ref.encode()}, None, edit)
            if new is None:
                continue
            if first < 0 or first_col > col:
                pos = first if first >= 0 else hi
            else:
                if last_col is None:
                    last_col = self._col_at(raw.rfind(find_tag, lo, hi))
                pos = hi if last_col < col else next(
                    (m.start() for m in self.cell_start.finditer(raw, lo, hi) if _col(m.group(1).decode()) > col), hi)
            cuts.append((pos, col, pos, new))
            widest = max(widest, col)
        return cuts, widest

    def _col_at(self, at: int) -> int:
        """The column number of the cell whose `<c r="` starts at `at`."""
        start = at + len(self.find_tag)
        return _col(self.raw[start:self.raw.index(b'"', start)].rstrip(b"0123456789").decode())


_S = re.compile(rb"""\ss\s*=\s*["'](\d*)["']""")   # s="" occurs in real files: format 0, like no s


def _restyle(tag: bytes, edit: CellEdit) -> bytes | None:
    """A cell's start tag with its s attribute changed by `edit.style`, or None if unchanged."""
    m = _S.search(tag)
    current = int(m.group(1) or 0) if m else 0
    new = edit.style(current)
    if new is None or new == current:
        return None
    s = b' s="%d"' % new
    if m:
        return tag[:m.start()] + s + tag[m.end():]
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end] + s + tag[end:]


_UNSAFE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _new_text(prefix: bytes, ref: str, text: str) -> bytes:
    """A new cell holding only text (most job-owned cells): what `_cell` builds, without its dict work."""
    body = escape(_ILLEGAL.sub("", text)).encode() if _UNSAFE.search(text) else text.encode()
    space = b' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else b""
    return b'<%sc r="%s" t="inlineStr"><%sis><%st%s>%s</%st></%sis></%sc>' % (
        prefix, ref.encode(), prefix, prefix, space, body, prefix, prefix, prefix)


def _new_cells(cells: dict[str, CellEdit], prefix: bytes):
    """The cells of a row that had none, in column order."""
    out = []
    for ref, edit in cells.items():
        new = _cell(prefix, {b"r": ref.encode()}, None, edit)
        if new is not None:
            out.append((0, _col(ref.rstrip("0123456789")), 0, new))
    return sorted(out)


@lru_cache(maxsize=4096)
def _col(letters: str) -> int:
    return col_number(letters)


def _patch_row_slow(body: bytes, cells: dict[str, CellEdit], prefix: bytes) -> bytes:
    """Rows where some cells lack r attributes (allowed: such a cell follows the previous one).
    Every cell's column is worked out in order; edited cells are rebuilt, new ones inserted."""
    cell_re = re.compile(rb"<" + prefix + rb"c\b([^>]*?)(/>|>(.*?)</" + prefix + rb"c>)", re.S)
    wanted = {_col(ref.rstrip("0123456789")): (ref, edit) for ref, edit in cells.items()}
    out, cursor, col = [], 0, 0
    for m in cell_re.finditer(body):
        attrs = _attrs(m.group(1))
        col = _col(attrs[b"r"].decode().rstrip("0123456789")) if b"r" in attrs else col + 1
        for left in sorted(c for c in wanted if c < col):
            ref, edit = wanted.pop(left)
            if (new := _cell(prefix, {b"r": ref.encode()}, None, edit)) is not None:
                out += [body[cursor:m.start()], new]
                cursor = m.start()
        if col in wanted:
            _ref, edit = wanted.pop(col)
            out += [body[cursor:m.start()], _cell(prefix, attrs, m.group(3) or b"", edit)]
            cursor = m.end()
    out.append(body[cursor:])
    for right in sorted(wanted):
        ref, edit = wanted[right]
        if (new := _cell(prefix, {b"r": ref.encode()}, None, edit)) is not None:
            out.append(new)
    return b"".join(out)


def _cell(prefix: bytes, attrs: dict[bytes, bytes], content: bytes | None, edit: CellEdit) -> bytes | None:
    """One `<c>` element after the edit (None: a missing cell that needs nothing written)."""
    missing = content is None and attrs.keys() == {b"r"}
    content = content or b""
    current = int(attrs.get(b"s") or b"0")    # s="" is format 0
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


_SPANS = re.compile(rb'\bspans="(\d+):(\d+)"')


def _widen_spans(attrs: bytes, col: int) -> bytes:
    m = _SPANS.search(attrs)
    if not m or not col:
        return attrs
    lo, hi = int(m.group(1)), int(m.group(2))
    return attrs[:m.start()] + f'spans="{min(lo, col)}:{max(hi, col)}"'.encode() + attrs[m.end():]


_HT = re.compile(rb"""\sht\s*=\s*["']([\d.]*)["']""")
_CUSTOM = re.compile(rb"""\scustomHeight\s*=\s*["'](1|true)["']""")


def _taller(attrs: bytes, sheet: "Layout", cells: dict[str, CellEdit]) -> bytes:
    """The row's attributes with a height its growing cells' new text fits in: only ever taller,
    and never where someone set the height by hand (customHeight)."""
    wanted = [(ref, edit.text) for ref, edit in cells.items() if edit.grow and edit.text]
    if not wanted or _CUSTOM.search(attrs):
        return attrs
    need = max((h for ref, text in wanted
                if (h := rowheight.height(text, sheet.width(_col(ref.rstrip("0123456789"))))) is not None),
               default=None)
    m = _HT.search(attrs)
    if need is None or (m and m.group(1) and float(m.group(1)) >= need):
        return attrs
    ht = b' ht="%g"' % need
    return attrs[:m.start()] + ht + attrs[m.end():] if m else attrs + ht


_DIMENSION = re.compile(rb"""dimension\s+ref=["']([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?["']""")


def _dimension_cut(raw: bytes, prefix: bytes, col: int, top: int, bottom: int) -> list:
    """Widen <dimension ref> when a job-owned cell was added right of the used range. The
    single-cell form (`ref="A1"`, written by some programs) becomes a range that also spans the
    edited rows `top` to `bottom`."""
    if not col:
        return []
    m = _DIMENSION.search(raw, 0, 4096)
    if not m or raw[m.start() - 1 - len(prefix):m.start()] != b"<" + prefix:
        return []
    if m.group(3) is None:   # one cell: the range from it to the new column, down to the last edited row
        if col_number(m.group(1).decode()) >= col:
            return []
        row = int(m.group(2))
        ref = b"%s%d:%s%d" % (m.group(1), min(row, top), col_letters(col).encode(), max(row, bottom))
        return [(m.start(1), 0, m.end(2), ref)]
    if col_number(m.group(3).decode()) >= col:
        return []
    return [(m.start(3), 0, m.end(3), col_letters(col).encode())]


# ---- reading back and the person list ------------------------------------------------------------
def count_row_tags(piece: bytes, prefix: bytes) -> int:
    """`<row...` start tags in a piece of a sheet, `<rowBreaks>` included: one fast scan, for
    comparing a sheet with itself (rowBreaks, after the rows, is in both or in neither)."""
    return piece.count(b"<" + prefix + b"row")


_TEXT = re.compile(rb"<(?:\w+:)?(?:t|v)\b[^>]*>([^<]*)</")
_LAST_ROW = re.compile(rb'r="(\d+)"')


class ReadBack:
    """The new sheet read back as it streams out, a piece of whole rows at a time: its row tags
    are counted (`count_row_tags`), and every cell of `expect` (in sheet order, as plans are)
    must hold its text."""

    def __init__(self, prefix: bytes, expect: dict[str, str]):
        self.prefix, self.row_tags, self.wrong = prefix, 0, []
        self._tag, self._close = b"<" + prefix + b'c r="', b"</" + prefix + b"c>"
        self._is_t, self._t_is = b"<%sis><%st>" % (prefix, prefix), b"</%st></%sis>" % (prefix, prefix)
        self._pending = list(reversed(expect.items()))     # popped from the end: sheet order

    def feed(self, piece: bytes, final: bool = False) -> None:
        self.row_tags += count_row_tags(piece, self.prefix)
        last_row = None if final else self._last_row(piece)
        pos = 0
        while self._pending:
            ref, value = self._pending[-1]
            if not final and (last_row is None or ref_row(ref) > last_row):
                return                                          # in a later piece
            at = piece.find(self._tag + ref.encode() + b'"', pos)
            if at < 0:
                at = piece.find(self._tag + ref.encode() + b'"')   # out of order: from the top once
            if at < 0:
                self.wrong.append(ref)
                self._pending.pop()
                continue
            self._pending.pop()
            text, pos = self._text(piece, at, value)
            if text != value:
                self.wrong.append(ref)

    def _last_row(self, piece: bytes) -> int | None:
        at = piece.rfind(b"<" + self.prefix + b"row ")
        m = _LAST_ROW.search(piece, at, piece.find(b">", at)) if at >= 0 else None
        return int(m.group(1)) if m else None

    def _text(self, piece: bytes, at: int, value: str) -> tuple[str, int]:
        """The text of the cell starting at `at`, and where it ends. A body exactly as duban
        writes `value` is taken as it is; anything else is read properly."""
        start_end = piece.index(b">", at)
        if piece[start_end - 1] == 47:
            return "", start_end
        end = piece.index(self._close, start_end)
        written = self._is_t + (escape(value).encode() if _UNSAFE.search(value) else value.encode()) + self._t_is
        if end - start_end - 1 == len(written) and piece.startswith(written, start_end + 1):
            return value, end
        return unescape(b"".join(_TEXT.findall(piece, start_end, end)).decode("utf-8")), end


def names_sheet(raw: bytes, names) -> bytes | None:
    """The hidden _names sheet holding the people in column A and, given a `meta.Lists`, the
    departments in column B, from row 2 (row 1, their headers, kept); `names` is a Lists or a
    plain list of names. None when it already does. Written as inline strings so no
    shared-string table is touched."""
    columns = [list(getattr(names, "names", names))]
    if getattr(names, "departments", None) is not None:
        columns.append(list(names.departments))
    prefix = _prefix(raw)
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
                text = escape(_ILLEGAL.sub("", values[r - 2])).encode()
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
