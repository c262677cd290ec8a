"""Reading a patched sheet back as it streams out: every planned cell must hold its text and
no row may be lost (the always-on check of a write-back).
"""
from __future__ import annotations

import re
from html import unescape
from xml.sax.saxutils import escape

from duban.workbooks.model.a1 import ref_row
from duban.workbooks.xlsx.cellxml import UNSAFE


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
        self.prefix, self.row_tags = prefix, 0
        self.wrong: list[str] = []
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
        written = self._is_t + (escape(value).encode() if UNSAFE.search(value) else value.encode()) + self._t_is
        if end - start_end - 1 == len(written) and piece.startswith(written, start_end + 1):
            return value, end
        return unescape(b"".join(_TEXT.findall(piece, start_end, end)).decode("utf-8")), end
