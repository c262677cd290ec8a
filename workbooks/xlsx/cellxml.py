"""One cell's XML as the sheet patcher writes it: the edit to make, the new `<c>` element, a
restyled start tag, and a whole row re-built when its cells lack references.

Everything here works on a single cell or row element as bytes; where in the sheet it goes is
the patcher's business (sheetxml, layout).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, overload
from xml.sax.saxutils import escape

from duban.workbooks.model.a1 import ref_col

ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
UNSAFE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def attributes(raw: bytes) -> dict[bytes, bytes]:
    """A start tag's attributes, with either quote; values as written, ready to go back between
    double quotes (a double quote inside a single-quoted value escaped). The reference is upper-
    cased: `a1` is A1 to every reader, and the read-back looks for it as A1."""
    out = {name: sq.replace(b'"', b"&quot;") if sq else dq for name, dq, sq in _ATTR.findall(raw)}
    if b"r" in out:
        out[b"r"] = out[b"r"].strip().upper()
    return out


@dataclass(slots=True)
class CellEdit:
    """What to do to one cell: new text (None: keep the value), or a new number, and/or a new format.

    `style(current_s) -> new_s | None` is called with the cell's current format index. `number`:
    the `<v>` of a plain number (a date is its serial: Excel sorts and filters it as a date only
    then); the style gives it its date or percent format."""

    text: str | None = None
    style: Callable[[int], int | None] | None = None
    grow: bool = False      # the cell wraps: its row is made tall enough for the new text (rowheight)
    number: str | None = None
    column_format: bool = False   # a cell not in the sheet yet starts from its column's format, as in Excel

    @property
    def value(self) -> bool:
        """Does the edit change the cell's value (not only its format)?"""
        return self.text is not None or self.number is not None


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


@lru_cache(maxsize=16)
def unaddressed(prefix: bytes) -> re.Pattern:
    """A row or cell start tag that does not open with `r="` and a capital-letter reference (no
    r, r not first, single quotes, lowercase): one scan finds any."""
    return re.compile(rb"<" + re.escape(prefix) + rb'(row|c)(?:/?>|\s+(?!r="[A-Z]*\d))')


@lru_cache(maxsize=16)
def cell_tag(prefix: bytes) -> re.Pattern:
    return re.compile(rb"<" + re.escape(prefix) + rb"c\b([^>]*?)/?>")


_S = re.compile(rb"""\ss\s*=\s*["'](\d*)["']""")   # s="" occurs in real files: format 0, like no s


def restyle(tag: bytes, edit: CellEdit) -> bytes | None:
    """A cell's start tag with its s attribute changed by `edit.style`, or None if unchanged."""
    m = _S.search(tag)
    current = int(m.group(1) or 0) if m else 0
    if edit.style is None:
        return None
    new = edit.style(current)
    if new is None or new == current:
        return None
    s = b' s="%d"' % new
    if m:
        return tag[:m.start()] + s + tag[m.end():]
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end] + s + tag[end:]


def new_text(prefix: bytes, ref: str, text: str, s: bytes | None = None) -> bytes:
    """A new cell holding only text (most job-owned cells), with format `s` if given: what
    `edited_cell` builds, without its dict work."""
    body = escape(ILLEGAL.sub("", text)).encode() if UNSAFE.search(text) else text.encode()
    space = b' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else b""
    return b'<%sc r="%s"%s t="inlineStr"><%sis><%st%s>%s</%st></%sis></%sc>' % (
        prefix, ref.encode(), b' s="%s"' % s if s is not None else b"", prefix, prefix, space, body, prefix,
        prefix, prefix)


def new_text_cell(prefix: bytes, ref: str, edit: CellEdit, own: bytes | None) -> bytes:
    """A cell not in the sheet yet that an edit gives text (`edit.text`, no number), starting
    from format `own` (its column's) or none: the bytes `edited_cell` would build, faster."""
    s = own
    if edit.style is not None:
        current = int(own or b"0")
        new_s = edit.style(current)
        if new_s is not None and new_s != current:
            s = b"%d" % new_s
    return new_text(prefix, ref, edit.text or "", s)


def new_cells(cells: dict[str, CellEdit], prefix: bytes):
    """The cells of a row that had none, in column order."""
    out = []
    for ref, edit in cells.items():
        new = edited_cell(prefix, {b"r": ref.encode()}, None, edit)
        if new is not None:
            out.append((0, ref_col(ref), 0, new))
    return sorted(out)


def rebuilt_row(body: bytes, cells: dict[str, CellEdit], prefix: bytes) -> bytes:
    """Rows where some cells lack r attributes (allowed: such a cell follows the previous one).
    Every cell's column is worked out in order; edited cells are rebuilt, new ones inserted."""
    cell_re = re.compile(rb"<" + prefix + rb"c\b([^>]*?)(/>|>(.*?)</" + prefix + rb"c>)", re.S)
    wanted = {ref_col(ref): (ref, edit) for ref, edit in cells.items()}
    out, cursor, col = [], 0, 0
    for m in cell_re.finditer(body):
        attrs = attributes(m.group(1))
        col = ref_col(attrs[b"r"].decode()) if b"r" in attrs else col + 1
        for left in sorted(c for c in wanted if c < col):
            ref, edit = wanted.pop(left)
            if (new := edited_cell(prefix, {b"r": ref.encode()}, None, edit)) is not None:
                out += [body[cursor:m.start()], new]
                cursor = m.start()
        if col in wanted:
            _ref, edit = wanted.pop(col)
            out += [body[cursor:m.start()], edited_cell(prefix, attrs, m.group(3) or b"", edit)]
            cursor = m.end()
    out.append(body[cursor:])
    for right in sorted(wanted):
        ref, edit = wanted[right]
        if (new := edited_cell(prefix, {b"r": ref.encode()}, None, edit)) is not None:
            out.append(new)
    return b"".join(out)


@overload
def edited_cell(prefix: bytes, attrs: dict[bytes, bytes], content: bytes, edit: CellEdit) -> bytes: ...
@overload
def edited_cell(prefix: bytes, attrs: dict[bytes, bytes], content: None, edit: CellEdit) -> bytes | None: ...
def edited_cell(prefix: bytes, attrs: dict[bytes, bytes], content: bytes | None, edit: CellEdit) -> bytes | None:
    """One `<c>` element after the edit (None: a missing cell that needs nothing written)."""
    missing = content is None and attrs.keys() == {b"r"}
    content = content or b""
    current = int(attrs.get(b"s") or b"0")    # s="" is format 0
    if edit.style is not None:
        new_s = edit.style(current)
        if new_s is not None and new_s != current:
            attrs[b"s"] = str(new_s).encode()
    if edit.value:
        for drop in (b"t", b"cm", b"vm"):
            attrs.pop(drop, None)
        content = b""
        if edit.number is not None:
            content = b"<" + prefix + b"v>" + edit.number.encode() + b"</" + prefix + b"v>"
        elif edit.text:
            attrs[b"t"] = b"inlineStr"
            text = escape(ILLEGAL.sub("", edit.text)).encode()
            space = b' xml:space="preserve"' if edit.text != edit.text.strip() else b""
            content = b"<" + prefix + b"is><" + prefix + b"t" + space + b">" + text + b"</" + prefix + b"t></" \
                + prefix + b"is>"
    if missing and not content and b"s" not in attrs:
        return None
    start = b"<" + prefix + b"c" + b"".join(b" " + k + b'="' + v + b'"' for k, v in attrs.items())
    return start + (b">" + content + b"</" + prefix + b"c>" if content else b"/>")
