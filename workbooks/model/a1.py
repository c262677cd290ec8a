"""A1 cell references: column letters and numbers, the one place they are computed.

Columns are counted from 1, as the file format and Excel count them (A = 1, Z = 26, AA = 27).
It lives in the bottom layer (model) because every layer names cells: problems, the reader,
the sheet patcher, the templates, the console.
"""
from __future__ import annotations

from functools import lru_cache

_DIGITS = "0123456789"


def col_letters(number: int) -> str:
    """A column's letters from its 1-based number (1 -> A, 27 -> AA); "" for no column (0 or less)."""
    out = ""
    number = max(number, 0)
    while number:
        number, rem = divmod(number - 1, 26)
        out = chr(65 + rem) + out
    return out


@lru_cache(maxsize=4096)
def col_number(letters: str) -> int:
    """A column's 1-based number from its letters, either case ("AA" -> 27)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def ref_row(ref: str) -> int:
    """The row number of a cell reference ("AB12" -> 12)."""
    return int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))


def ref_col(ref: str) -> int:
    """The 1-based column number of a cell reference ("AB12" -> 28)."""
    return col_number(ref.rstrip(_DIGITS))
