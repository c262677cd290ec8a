"""Live recolouring: the check's write plan applied through Excel to a tracker open in it.

`duban check` plans each workbook's writes (write.plan.WritePlan: IDs and Alerts values, the
status-cell paint, the hidden name lists), then applies the plan. The file patcher must skip
a workbook someone has open; when the check runs from the console and the workbook is open
in that same Excel, `LiveApplier` applies the plan through Excel instead and lets Excel save
it. It is handed to `jobs.check.check_folder(live=...)`, which asks it first for every
workbook: it answers None for a workbook not open in this Excel (the file patcher then does
as always), else the write's result, which the check journals exactly as a patched file's.
Which workbooks are open is asked once per click (`books`, one listing through COM), not once
per workbook: a check of 1,000 workbooks asked Excel 1,000 times. A workbook closed after the
listing is left to the file patcher, as one never open.

Safety, as the file patcher's:
- the file must still be the version read (size, time, SHA-256), or the write is skipped;
- the open workbook's ID column must hold the IDs read, row for row: unsaved inserted or
  deleted rows in Excel would shift the plan's cells, so the write is skipped until saved;
- the journal's write-ahead (`before_commit`) gets the painted cells' original formats, worked
  out from the file exactly as the patcher does, before Excel changes anything;
- the new IDs are read back from Excel before saving; the version read is copied to the
  backups folder; screen updating is off while cells change and is always turned back on.

A cleared flag gives the cell back its own fill and font colour, from the format the journal
kept (what duban changes is the fill and the font colour; a theme colour comes back as
automatic). Known limit: if Excel fails half-way (after some cells changed, before the save),
the workbook is not saved and the write counts as not made; the changed cells stay unsaved
in Excel, and if the user saves them the next check takes their colour as the cell's own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from duban.macros.excel import Book, Excel, ExcelBusy, Sheet, is_busy_error, same_file
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.meta import META_SHEET, NAMES_SHEET
from duban.workbooks.write import writeback
from duban.workbooks.write.commit import copy_to_backups
from duban.workbooks.write.paintrecord import RECORD_ROW
from duban.workbooks.write.plan import Fingerprint, WritePlan
from duban.workbooks.write.refusal import REFUSED, SKIPPED, UNCHANGED, WRITTEN, Reason, Refused, WriteResult

LIVE_REASONS = {
    "excel-busy": ("本机 Excel 正忙（可能有单元格处于编辑状态），本次未写入，下次运行时再写",
                   "Excel was busy (a cell being edited?); not written, will retry next run"),
    "unsaved-rows": ("在 Excel 中打开且行有未保存的增删（第{row}行的编号与文件不一致），本次未写入；请保存后再检查",
                     "open in Excel with unsaved inserted or deleted rows (row {row}'s ID differs from the file); "
                     "not written. Save it, then check again"),
    "excel-failed": ("通过 Excel 写入时出错（{error}），未保存，文件保持原样；但打开的工作簿中可能已有部分改动："
                     "请关闭它并选择“不保存”，再运行检查",
                     "writing through Excel failed ({error}); the file is as it was, but the open workbook may show "
                     "some changes: close it without saving, then check again"),
    "misread": ("通过 Excel 写入后单元格{cells}读回不一致，未保存，文件保持原样；请关闭工作簿并选择“不保存”，再运行检查",
                "cells {cells} did not read back as written through Excel; not saved, the file is as it was. "
                "Close the workbook without saving, then check again"),
}


class _Closed(Exception):
    """The workbook listed as open no longer answers (closed since the listing)."""


@dataclass(frozen=True)
class LiveReason(Reason):
    """A reason only the live path gives, in the clerk's language like writeback's."""

    def text(self, lang: str = "en") -> str:
        zh, en = LIVE_REASONS[self.code]
        return (zh if lang == "zh" else en).format(**dict(self.params))


class LiveApplier:
    """check_folder's `live` hook: (plan, read, backups, keep, before_commit) -> WriteResult | None."""

    def __init__(self, excel: Excel, books: Callable[[], list[Book]] | None = None):
        self.excel = excel
        self.applied: list[Path] = []        # the workbooks written through Excel this run
        self._list = books or excel.open_books
        self._books: list[Book] | None = None

    def open_book(self, path: Path) -> Book | None:
        """The workbook at `path` among the books open in this Excel, listed at the first call."""
        if self._books is None:
            self._books = []                 # Excel busy while listing: none open (the file patcher skips open files)
            self._books = self._list()
        return next((book for book in self._books if same_file(book.path, path)), None)

    def __call__(self, plan: WritePlan, read, backups: Path, keep: int, before_commit=None,
                 zone=None) -> WriteResult | None:
        try:
            book = self.open_book(plan.path)
        except Exception:  # noqa: BLE001 - Excel busy: the file patcher decides
            return None                      # (it skips a file open in Excel)
        if book is None:
            return None
        try:
            result = self._apply(book, plan, read, backups, keep, before_commit, zone)
        except _Closed:
            return None
        except ExcelBusy:
            return WriteResult(SKIPPED, LiveReason.of("excel-busy"))
        except Exception as exc:  # noqa: BLE001 - one workbook's failure never stops the check
            if is_busy_error(exc):
                return WriteResult(SKIPPED, LiveReason.of("excel-busy"))
            return WriteResult(REFUSED, LiveReason.of("excel-failed", error=f"{type(exc).__name__}: {exc}"[:200]))
        if result.status == WRITTEN:
            self.applied.append(plan.path)
        return result

    def _apply(self, book, plan: WritePlan, read, backups: Path, keep: int, before_commit, zone) -> WriteResult:
        try:
            if Fingerprint.of(plan.path) != plan.fingerprint:
                return WriteResult(SKIPPED, Reason.of("changed"))
        except FileNotFoundError:
            return WriteResult(SKIPPED, Reason.of("gone"))
        try:
            sheet = book.sheet(plan.sheet)
        except Exception as exc:  # noqa: BLE001 - busy goes on up; anything else: closed since the listing
            if isinstance(exc, ExcelBusy) or is_busy_error(exc):
                raise
            raise _Closed() from exc
        if sheet is None:
            return WriteResult(REFUSED, Reason.of("no-sheet", sheet=plan.sheet))
        if (row := _first_shifted_row(sheet, plan, read)) is not None:
            return WriteResult(SKIPPED, LiveReason.of("unsaved-rows", row=row))
        try:       # what would change, and the painted cells' own formats, as the patcher finds them
            parts, originals = writeback.patched_parts(plan)
        except Refused as exc:
            return WriteResult(REFUSED, exc.why)
        if not parts:                       # already as planned: no save, no backup, no new file time
            return WriteResult(UNCHANGED, originals=originals)
        if before_commit:                                   # write-ahead; the new file's identity is not known yet
            before_commit(originals, (-1, -1))
        self.excel.screen_updating(False)
        try:
            for ref, block in _blocks(plan.values):
                sheet.write(ref, block)
            for paint in plan.paints:
                _paint(sheet, paint)
            if plan.names is not None and (names := book.sheet(NAMES_SHEET)) is not None:
                _write_names(names, plan.names)
            if plan.records is not None and (meta := book.sheet(META_SHEET)) is not None:
                _write_records(meta, plan.records(originals))
            wrong = [ref for ref, value in plan.expect.items() if _text(sheet.read(ref)[0][0]) != value]
            if wrong:
                return WriteResult(REFUSED, LiveReason.of("misread", cells=", ".join(wrong[:5])))
            backup = copy_to_backups(plan.path, backups, keep, zone)
            book.save()
        finally:
            self.excel.screen_updating(True)
        return WriteResult(WRITTEN, originals=originals, backup=backup)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _first_shifted_row(sheet: Sheet, plan: WritePlan, read) -> int | None:
    """The first row whose ID in Excel is not the one read from the file (None: all match).
    A row getting a new ID must be blank in Excel."""
    index = read.columns.get("id")
    if index is None or not read.records:
        return None
    letter = col_letters(index + 1)
    rows = [rec.row for rec in read.records]
    first, last = min(rows), max(rows)
    found = sheet.read(f"{letter}{first}:{letter}{last}")
    for rec in read.records:
        ref = f"{letter}{rec.row}"
        wanted = "" if ref in plan.expect else (rec.id or "")
        if _text(found[rec.row - first][0]).upper() != wanted.upper():
            return rec.row
    return None


_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _blocks(values: dict[str, str]):
    """The planned values as (top cell, column of values) blocks of consecutive rows: one call each."""
    cells = sorted(((m.group(1), int(m.group(2)), text) for ref, text in values.items()
                    if (m := _REF.match(ref))), key=lambda c: (len(c[0]), c[0], c[1]))
    block: list = []
    for letter, row, text in cells:
        if block and (block[-1][0] != letter or block[-1][1] != row - 1):
            yield f"{block[0][0]}{block[0][1]}", [[c[2]] for c in block]
            block = []
        block.append((letter, row, text))
    if block:
        yield f"{block[0][0]}{block[0][1]}", [[c[2]] for c in block]


def _paint(sheet: Sheet, paint) -> None:
    if paint.colour is not None:
        sheet.set_colour(paint.ref, paint.colour.fill, paint.colour.font, paint.colour.pattern)
        return
    if not paint.previous:
        return
    worn, original = paint.previous
    if sheet.colour(paint.ref) != (worn.fill, worn.font):
        return                                   # someone recoloured it since: theirs stays
    fill, font, pattern = colours_of(original)
    sheet.set_colour(paint.ref, fill, font, pattern)


_RGB = re.compile(r'rgb="[0-9A-Fa-f]{2}([0-9A-Fa-f]{6})"')


def colours_of(spec: dict) -> tuple[str | None, str | None, str]:
    """(fill, font colour, pattern) of a format the journal kept (stylebook.StyleBook.describe)."""
    fill_xml, font_xml = spec.get("fill") or "", spec.get("font") or ""
    pattern = (re.search(r'patternType="(\w+)"', fill_xml) or [None, "none"])[1]
    fill = None
    if pattern not in ("none", "gray125"):
        fg = re.search(r"<fgColor\b[^>]*>", fill_xml)
        bg = re.search(r"<bgColor\b[^>]*>", fill_xml)
        source = fg if pattern == "solid" else bg
        if source and (m := _RGB.search(source.group(0))):
            fill = m.group(1).upper()
    color = re.search(r"<color\b[^>]*>", font_xml)
    font = m.group(1).upper() if color and (m := _RGB.search(color.group(0))) else None
    return fill, font, "solid" if pattern in ("solid", "none", "gray125") else pattern


def _write_records(sheet: Sheet, rows: list[tuple[str, str]]) -> None:
    """The _duban sheet's record rows (identity, the painted cells' own formats), as the file
    patcher writes them (workbooks.paintrecord), and nothing left below them."""
    old = sheet.read(f"A{RECORD_ROW}:B{RECORD_ROW + len(rows) + 500}")
    used = max((i for i, row in enumerate(old) if any(v not in (None, "") for v in row)), default=-1)
    if used >= len(rows):
        sheet.clear(f"A{RECORD_ROW + len(rows)}:B{RECORD_ROW + used}")
    if rows:
        sheet.write(f"A{RECORD_ROW}", [list(row) for row in rows])


def _write_names(sheet: Sheet, names) -> None:
    people = list(getattr(names, "names", names))
    departments = list(getattr(names, "departments", None) or [])
    length = max(len(people), len(departments), 0)
    old = sheet.read(f"A2:B{length + 501}")
    used = max((i for i, row in enumerate(old) if any(v not in (None, "") for v in row)), default=-1)
    if used >= length:
        sheet.clear(f"A{length + 2}:B{used + 2}")
    if length:
        sheet.write("A2", [[people[i] if i < len(people) else None,
                            departments[i] if i < len(departments) else None] for i in range(length)])
