"""What a write-back is to do: the plan (`WritePlan`: job-owned values, cells to colour, what
to find when verifying) and its translation into cell edits for the sheet patcher, each cell's
new format worked out from its own.

A plan is made by the check and is testable alone; writeback.apply carries it out.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from duban.workbooks.model.a1 import ref_row
from duban.workbooks.model.flags import Colour
from duban.workbooks.xlsx.cellxml import CellEdit
from duban.workbooks.xlsx.stylebook import StyleBook


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> "Fingerprint":
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls(stat.st_size, stat.st_mtime_ns, digest)


@dataclass
class Paint:
    """Colour one cell (`colour` None: give it back its own format). `previous`: what duban
    painted there last time and the format it had before, from the journal; `owner`: the
    row's ID, under which the journal keeps this cell's original format."""

    ref: str
    colour: Colour | None
    previous: tuple[Colour, dict] | None = None
    owner: str | None = None
    # no record of the cell's own format anywhere (a lost state, a workbook without _duban): if
    # it wears exactly one of these colours, duban's fill and font colour are taken off it
    strip: tuple[Colour, ...] = ()


@dataclass
class WritePlan:
    path: Path
    sheet: str
    fingerprint: Fingerprint
    rows_before: int
    values: dict[str, str] = field(default_factory=dict)     # job-owned cells: ref -> text
    # cells that take a number, ref -> (its <v>, shown as "date" / "datetime" / "percent"): a
    # verified reply's date or progress, which Excel must sort and filter as one (not as text)
    numbers: dict[str, tuple[str, str]] = field(default_factory=dict)
    # of `values` and `numbers`: a cell not in the sheet yet starts from its column's format (a
    # reply's note in an empty cell keeps the column's font and border, as typing it in Excel would)
    column_format: set[str] = field(default_factory=set)
    date1904: bool = False           # `numbers` already counted as the workbook's 1904 date system does
    paints: list[Paint] = field(default_factory=list)
    expect: dict[str, str] = field(default_factory=dict)     # ref -> value to find when verifying
    wrap: set[str] = field(default_factory=set)   # of `values`: cells whose format must wrap (Alerts)
    grow: set[str] = field(default_factory=set)   # of `wrap`: cells whose text may need a taller row
    names: list[str] | None = None   # refresh the hidden person list (_names) with these, if it exists
    root: Path | None = None         # the folder duban was given: nothing outside it is ever written
    # what the hidden _duban sheet should record after this write (paintrecord.record_rows), given
    # the painted cells' original formats; None: leave _duban alone
    records: Callable[[dict[str, dict]], list[tuple[str, str]]] | None = None


DAYS_1900_TO_1904 = 1462      # Excel's 1904 date system starts 1,462 days after the 1900 one


def in_1904(plan: WritePlan) -> None:
    """The plan's date numbers (given in the 1900 system, as every new workbook counts) as a
    workbook in the 1904 date system counts them, and what verifying expects with them; once."""
    if plan.date1904:
        return
    plan.date1904 = True
    for ref, (number, shown) in list(plan.numbers.items()):
        if shown in ("date", "datetime"):
            shifted = repr(round(float(number) - DAYS_1900_TO_1904, 10)).removesuffix(".0")
            plan.numbers[ref] = (shifted, shown)
            if plan.expect.get(ref) == number:
                plan.expect[ref] = shifted


def cell_edits(plan: WritePlan, book: StyleBook, originals: dict) -> dict[int, dict[str, CellEdit]]:
    """The plan's cells grouped by row, each with its new text and/or its style callback."""
    edits: dict[int, dict[str, CellEdit]] = {}
    wrapping = _wrapper(book) if plan.wrap else None
    for ref, text in plan.values.items():
        row = ref_row(ref)
        wraps = bool(text) and ref in plan.wrap
        edit = CellEdit(text, wrapping if wraps else None, grow=wraps and ref in plan.grow,
                        column_format=ref in plan.column_format)
        if (cells := edits.get(row)) is None:
            edits[row] = {ref: edit}
        else:
            cells[ref] = edit
    for ref, (number, shown) in plan.numbers.items():
        edits.setdefault(ref_row(ref), {})[ref] = CellEdit(number=number, style=_numberer(book, shown),
                                                           column_format=ref in plan.column_format)
    memo: dict = {}
    for paint in plan.paints:
        ref = paint.ref
        style = _painter(book, paint, originals, memo)
        if (cells := edits.get(row := ref_row(ref))) is None:
            edits[row] = {ref: CellEdit(None, style)}
        elif (painted := cells.get(ref)) is None:
            cells[ref] = CellEdit(None, style)
        else:
            painted.style = style
    return edits


def _wrapper(book: StyleBook):
    """The style callback for a cell whose text must wrap (an Alerts cell): its own format with
    wrapping on, so a long alert makes the row taller instead of running off the printed page.
    A format that wraps already (a duban template's) is kept as it is."""
    memo: dict[int, int] = {}

    def style(current: int) -> int:
        if current not in memo:
            spec = book.describe(current)
            memo[current] = current if StyleBook.wraps(spec) else book.find_or_add(StyleBook.wrapped(spec))
        return memo[current]
    return style


def _numberer(book: StyleBook, shown: str):
    """The style callback for a cell taking a number: its own format (font, fill, border kept),
    with a date or percent number format if it does not show one already."""
    memo: dict[int, int] = {}

    def style(current: int) -> int:
        if current not in memo:
            spec = book.describe(current)
            target = StyleBook.numbered(spec, shown)
            memo[current] = current if target is spec else book.find_or_add(target)
        return memo[current]
    return style


def _painter(book: StyleBook, paint: Paint, originals: dict, memo: dict):
    """The style callback for one cell: its own format, coloured (or given back), by content.

    `memo` shares the answer between cells with the same format, colour and history (most do)."""
    group = id(paint.colour), paint.previous and (id(paint.previous[0]), id(paint.previous[1])), id(paint.strip)

    def style(current: int) -> int:
        key = (current, group)
        if key not in memo:
            base = _base_format(book, current, paint.previous, paint.strip)
            target = book.coloured(base, paint.colour) if paint.colour else base
            memo[key] = (base, book.find_or_add(target))
        base, index = memo[key]
        if paint.colour:
            originals[paint.ref] = base
        return index
    return style


def _base_format(book: StyleBook, current: int, previous: tuple[Colour, dict] | None,
                 strip: tuple[Colour, ...] = ()) -> dict:
    """The cell's own format: the recorded one if the cell still wears duban's colour, else its
    current one (without duban's fill and font colour if it wears one it has no record of)."""
    if previous and book.wears(current, previous[0]):
        return previous[1]
    if strip and any(book.wears(current, colour) for colour in strip):
        return book.uncoloured(book.describe(current))
    return book.describe(current)
