"""How tall a row must be for a wrapped cell's text to show whole, on screen and on paper.

Excel fits a row without a stored height to its wrapped text when it opens the file, but
LibreOffice (and its PDF export) draws such a row one line high and cuts the text: a row that
needs more lines must say so with a height (`ht`, not marked custom, so Excel still refits it
when someone edits the row). The estimate counts a CJK character two widths of "0", any other
one, with some slack for lines that break between words.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

LINE_POINTS = 14.0        # one line of duban's 10-point font, with its leading
PADDING = 2.0
DEFAULT_WIDTH = 8.43      # Excel's column width when the sheet says none
SLACK = 1.15              # English breaks between words, so its lines end short of the width
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_NUM = rb"""\s*=\s*["']([\d.]+)["']"""


def lines(text: str, width: float) -> int:
    """How many lines `text` takes in a wrapped cell `width` characters wide."""
    usable = max(width - 1.0, 1.0)
    if len(text) * 2.0 * SLACK <= usable and "\n" not in text:   # fits even if every character were wide
        return 1
    return sum(max(1, math.ceil(_units(part) * (SLACK if part.isascii() else 1.0) / usable))
               for part in text.split("\n"))


@lru_cache(maxsize=4096)        # a check writes the same few alert texts into thousands of rows
def height(text: str, width: float) -> float | None:
    """The row height (points) `text` needs in a wrapped cell, or None when one line is enough."""
    n = lines(text, width)
    return n * LINE_POINTS + PADDING if n > 1 else None


def _units(text: str) -> float:
    if text.isascii():                  # IDs, English alerts: one unit a character, no table lookups
        return float(len(text))
    return sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)


def column_widths(raw: bytes) -> tuple[dict[int, float], float]:
    """The widths the sheet's `<cols>` give (column number -> width) and its default width."""
    data = raw.find(b"sheetData")
    head = raw[:data if data >= 0 else len(raw)]
    widths: dict[int, float] = {}
    for m in _COL.finditer(head):
        attrs = m.group(1)
        lo, hi, width = (re.search(rb"\b" + name + _NUM, attrs) for name in (b"min", b"max", b"width"))
        if lo and width:
            for col in range(int(float(lo.group(1))), int(float((hi or lo).group(1))) + 1):
                widths[col] = float(width.group(1))
    default = re.search(rb"\bdefaultColWidth" + _NUM, head)
    return widths, float(default.group(1)) if default else DEFAULT_WIDTH
