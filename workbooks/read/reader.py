"""Reads any standard workbook into typed records plus a list of problems; never raises on bad input.

python-calamine does the reading (fast, and it never evaluates anything). The sheet is read
with `skip_empty_area=False`, so list index i is always Excel row i+1 and column j is letter
j: the row numbers in problems and in the write-back are the true ones. Cells are converted
column by column with memoising converters, which keeps a 100,000-row sheet within a small
factor of the raw calamine load.

calamine builds one dense grid per sheet, so a single cell far from the table (XFD1, FOO100000)
would ask for gigabytes and abort the process: sheets are loaded through `grid.Sheets`, which
measures each sheet first and cuts one that would pass `max_grid_mb` down to the table's
columns (found from its first rows); a sheet still too big is a problem of its workbook only.
"""
from __future__ import annotations

import zipfile
from datetime import date
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import python_calamine as calamine
from lxml import etree

from duban.workbooks.model.a1 import col_letters, col_number
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.meta import META_SHEET, NAMES_SHEET, STAMP_STARTS
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead, record_class
from duban.workbooks.model.schema import ColumnType, Role
from duban.workbooks.read import errorcells
from duban.workbooks.read.headers import HeaderMatch, find_header, near_miss, near_miss_hint
from duban.workbooks.read.parse import Issue, convert_column, converter
from duban.workbooks.read.sheetscan import ScannedSheets
from duban.workbooks.xlsx import grid, safety

DEFAULTS = {"header_scan_rows": 20, "max_unzipped_mb": 500, "max_grid_mb": 1000, "assume_year_window_days": 183,
            "plausible_years": 20}


def read_workbook(path: Path | str, today: date | None = None, settings: dict | None = None) -> WorkbookRead:
    """Read one file; a file that cannot be used comes back with `kind=None` and one problem."""
    path = Path(path)
    opts = {**DEFAULTS, **(settings or {})}
    result = WorkbookRead(path)
    if problem := safety.inspect(path, int(opts["max_unzipped_mb"] * 1_000_000)):
        result.problems.append(problem)
        return result
    try:
        _read(path, result, today or date.today(), opts)
    except grid.TooBig as exc:
        result.kind, result.records = None, []
        result.problems = [_too_big(path, exc, opts["max_grid_mb"])]
    except (calamine.CalamineError, calamine.PasswordError, calamine.ZipError, calamine.XmlError,
            calamine.WorksheetNotFound, OSError, ValueError, KeyError, zipfile.BadZipFile, etree.LxmlError) as exc:
        result.kind = None
        result.records = []
        result.problems = [Problem("unreadable", str(path), params={"detail": _short(exc)})]
    return result


def _too_big(path: Path, exc: grid.TooBig, limit_mb: float) -> Problem:
    need = exc.rows * exc.columns * grid.BYTES_PER_CELL
    return Problem("sheet-too-large", str(path), exc.sheet, params={
        "sheet": exc.sheet, "rows": f"{exc.rows:,}", "columns": f"{exc.columns:,}", "last": f"{col_letters(exc.columns)}{exc.rows}",
        "size": f"{need / 1_000_000:,.0f} MB", "limit": f"{limit_mb:,.0f} MB"})


def _read(path: Path, result: WorkbookRead, today: date, opts: dict) -> None:
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        sheets = ScannedSheets(path, book, int(opts["max_grid_mb"] * 1_000_000))
        result.meta = _meta(sheets)
        found = _locate(sheets, result, opts["header_scan_rows"])
        if found is None:
            near = _near_miss(sheets, opts["header_scan_rows"])
            result.problems.append(Problem("unknown-kind", str(path), params={
                "rows": opts["header_scan_rows"], "hint": near_miss_hint(near) if near else ""}))
            return
        (sheet_name, rows), match = found
        result.kind, result.sheet = match.kind, sheet_name
        if sheets.errors.get(sheet_name) is False:     # looked through whole while measured: no error cell
            errorcells.seen_clean(result)
        result.lang = str(result.meta["lang"]) if result.meta.get("lang") in ("zh", "en") else match.lang
        result.header_row = match.row_index + 1
        result.columns = match.columns
        result.headers = _headers(rows[match.row_index], match.columns)
        _structure_problems(result, match)
        _stamp(result, rows)
        _read_rows(result, rows, match, today, opts["assume_year_window_days"], opts["plausible_years"])
    finally:
        book.close()


def _headers(row: list, columns: dict[str, int]) -> dict[str, str]:
    """Each column's header as written in the workbook (one line), which mail quotes when it
    asks someone to fill a cell: the words they see, whatever the template would call it."""
    return {key: " ".join(str(row[i]).split()) for key, i in columns.items() if i < len(row) and str(row[i]).strip()}


def _meta(sheets: grid.Sheets) -> dict[str, str]:
    if META_SHEET not in sheets.book.sheet_names:
        return {}
    rows = sheets.rows(META_SHEET, columns=2)
    return {str(r[0]).strip(): _meta_value(r[1]) for r in rows if len(r) >= 2 and r[0] != ""}


def _stamp(result: WorkbookRead, rows: list[list]) -> None:
    """Keep the template's "last checked" cell only while it is duban's: in the header row, right
    of every column the table uses, and empty or holding duban's own words (else a person has
    taken the cell over, and duban leaves it alone)."""
    ref = result.meta.pop("checked_cell", "")
    col, header_row = _stamp_column(ref), result.header_row
    if col is None or header_row is None or ref[len(ref.rstrip("0123456789")):] != str(header_row):
        return
    if col <= max(result.columns.values(), default=-1):
        return
    row = rows[header_row - 1] if len(rows) >= header_row else []
    text = str(row[col]) if col < len(row) else ""
    if text and not text.startswith(STAMP_STARTS):
        return
    result.meta["checked_cell"], result.meta["checked_text"] = ref, text


def _stamp_column(ref: str) -> int | None:
    """The 0-based column of the "last checked" cell named in the meta sheet, if it is a cell."""
    letters, digits = ref.rstrip("0123456789"), ref[len(ref.rstrip("0123456789")):]
    if not (letters.isalpha() and letters.isupper() and digits):
        return None
    return col_number(letters) - 1


def _meta_value(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


def _locate(sheets: grid.Sheets, result: WorkbookRead, scan_rows: int):
    """The sheet and header row: the meta sheet's kind first, else the best-matching sheet.

    Each candidate sheet is loaded once (calamine parses a whole sheet even for a few rows); a
    sheet too big to load whole is searched in its first rows, and the chosen one is then loaded
    cut to the table's columns (`_table_rows`).
    """
    book = sheets.book
    declared = KINDS.get(result.meta.get("kind", ""))
    kinds = [declared] if declared else None
    candidates = [m.name for m in book.sheets_metadata
                  if m.name not in (META_SHEET, NAMES_SHEET) and m.typ == calamine.SheetTypeEnum.WorkSheet]
    if declared:
        preferred = [n for n in candidates if n in (declared.sheet_zh, declared.sheet_en)]
        candidates = preferred + [n for n in candidates if n not in preferred]
    best, others = None, []
    for name in candidates:
        if best is not None and declared:   # the declared table is found: only glance at the others
            try:
                if match := find_header(sheets.rows(name, rows=scan_rows), scan_rows):
                    others.append((name, match))
            except grid.TooBig:             # even its first rows pass the limit: not the table, not looked at
                pass
            continue
        rows = sheets.rows(name) if sheets.fits(name) else None     # None: loaded once chosen
        match = find_header(rows if rows is not None else sheets.rows(name, rows=scan_rows), scan_rows, kinds)
        if match and (best is None or match.score > best[1].score):
            if best is not None:
                others.append((best[0][0], best[1]))
            best = ((name, rows), match)
        elif match:
            others.append((name, match))
    if best is not None:
        _second_tables(result, best[0][0], others)
        if best[0][1] is None:
            best = ((best[0][0], _table_rows(sheets, best[0][0], best[1], result.meta)), best[1])
    return best


def _near_miss(sheets: grid.Sheets, scan_rows: int) -> HeaderMatch | None:
    """The closest header of any sheet that was not taken for a kind (read again: rare files only)."""
    best = None
    for m in sheets.book.sheets_metadata:
        if m.name in (META_SHEET, NAMES_SHEET) or m.typ != calamine.SheetTypeEnum.WorkSheet:
            continue
        found = near_miss(sheets.rows(m.name, rows=scan_rows), scan_rows)
        if found and (best is None or len(found.columns) > len(best.columns)):
            best = found                # the first sheet wins a tie
    return best


def _table_rows(sheets: grid.Sheets, name: str, match: HeaderMatch, meta: dict) -> list[list]:
    """A sheet too big to load whole, cut to the columns the table uses (its duplicates and the
    "last checked" cell included): cells beyond them are not the table."""
    used = [*match.columns.values(), *(j for extra in match.duplicates.values() for j in extra)]
    stamp = _stamp_column(meta.get("checked_cell", ""))
    return sheets.rows(name, columns=max(used + ([stamp] if stamp is not None else [])) + 1)


def _second_tables(result: WorkbookRead, used: str, others: list) -> None:
    """A second duban table on another sheet is never read: say so, rather than ignore its rows."""
    for name, match in others:
        table = {"zh": match.kind.sheet("zh"), "en": match.kind.sheet("en")}
        result.problems.append(Problem("second-table", str(result.path), name,
                                       params={"sheet": name, "table": table, "used": used}))


def _structure_problems(result: WorkbookRead, match: HeaderMatch) -> None:
    file, lang_header = str(result.path), match.row_index + 1
    for column in match.missing_required:
        result.problems.append(Problem("missing-column", file, result.sheet, row=lang_header,
                                       column=column.key, params={"column": _labels(column)}))
    for key, extra in match.duplicates.items():
        column = match.kind.column(key)
        first = f"{col_letters(match.columns[key] + 1)}{lang_header}"
        result.problems.append(Problem("duplicate-column", file, result.sheet, f"{col_letters(extra[0] + 1)}{lang_header}",
                                       lang_header, key, params={"column": _labels(column), "first": first}))


def _read_rows(result: WorkbookRead, rows: list[list], match: HeaderMatch, today: date, window: int,
               plausible_years: int = 20) -> None:
    """Convert column by column: each distinct raw value is parsed once, then mapped in C loops."""
    kind = match.kind
    kept = _content_rows(rows, match)
    keys = list(match.columns)
    raw_columns = _columns([rows[i] for i in kept], [match.columns[k] for k in keys])
    converted = []
    for key, raw in zip(keys, raw_columns):
        column = kind.column(key)
        values, bad = convert_column(column, raw, converter(column, today, window, plausible_years))
        if bad:
            _collect_issues(result, values, raw, kept, match.columns[key], column)
        converted.append(values)
    row_numbers = [i + 1 for i in kept]
    make = record_class(kind)
    result.records = list(map(make, map(zip, repeat(("_row", *keys)), zip(row_numbers, *converted))))
    _row_checks(result)
    result.problems.sort(key=lambda p: (p.row or 0, result.columns.get(p.column or "", 0)))


def _columns(picked: list[list], indexes: list[int]) -> list[tuple]:
    """The chosen columns of the picked rows, transposed (one tuple per column, each a C loop)."""
    return [tuple(map(itemgetter(j), picked)) for j in indexes]


def _content_rows(rows: list[list], match: HeaderMatch) -> list[int]:
    """Indexes of rows below the header with something in a user column (blank rows are skipped)."""
    content = [j for key, j in match.columns.items() if not match.kind.column(key).job_owned]
    return content_rows(rows, match.row_index + 1, content)


def content_rows(rows: list[list], first: int, columns: list[int]) -> list[int]:
    if not columns:
        return []
    pick = itemgetter(*columns, columns[0])  # always a tuple, even for one column
    width = len(columns) + 1
    return [i for i in range(first, len(rows)) if pick(rows[i]).count("") != width]


def scan_back(path: Path, read: WorkbookRead, refs: list[str]) -> tuple[int, dict[str, str]]:
    """Re-read a file just written, row by row without keeping it: content rows and some cells' text."""
    kind, sheet_name, header_row = read.kind, read.sheet, read.header_row
    assert kind is not None and sheet_name is not None and header_row is not None, "a read that found its table"
    wanted: dict[int, list[tuple[int, str]]] = {}
    columns: dict[str, int] = {}
    for ref in refs:
        letters = ref.rstrip("0123456789")
        if letters not in columns:
            columns[letters] = col_number(letters) - 1
        wanted.setdefault(int(ref[len(letters):]) - 1, []).append((columns[letters], ref))
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        sheet = book.get_sheet_by_name(sheet_name)
        offset = sheet.start[1] if sheet.start else 0
        content = [j - offset for key, j in read.columns.items() if not kind.column(key).job_owned]
        pick = itemgetter(*content, content[0]) if content and min(content) >= 0 else None
        count, found = 0, {}
        for i, row in enumerate(sheet.iter_rows()):
            if i >= header_row and pick and len(row) > max(content) and pick(row).count("") != len(content) + 1:
                count += 1
            for col, ref in wanted.get(i, ()):
                found[ref] = _show(row[col - offset]) if 0 <= col - offset < len(row) else ""
    finally:
        book.close()
    return count, found


def _collect_issues(result: WorkbookRead, values: list, raw: tuple, kept: list[int], j: int, column) -> None:
    """Turn Issue markers into problems and keep the value each one settled on (often None)."""
    file, sheet, letter = str(result.path), result.sheet, col_letters(j + 1)
    for n, issue in enumerate(values):
        if issue.__class__ is not Issue:
            continue
        row, value = kept[n] + 1, raw[n]
        extra = _others(result.kind) if issue.code == "multiple-owners" else {}
        result.problems.append(Problem(issue.code, file, sheet, f"{letter}{row}", row, column.key,
                                       _show(value), {"column": _labels(column), **extra, **issue.params}))
        values[n] = issue.value


def _row_checks(result: WorkbookRead) -> None:
    for check in (_required_empty, _duplicate_ids, _status_progress, _emails):
        check(result)


def _cell(result: WorkbookRead, key: str, row: int) -> str:
    return f"{col_letters(result.columns[key] + 1)}{row}"


def _required_empty(result: WorkbookRead) -> None:
    assert result.kind is not None, "called once the table is found"
    required = [c for c in result.kind.required if c.key in result.columns]
    reported = {(p.row, p.column) for p in result.problems}
    records = result.records
    for column in required:     # column by column (the problems are sorted by row and column after)
        blank = [record for record, value in zip(records, map(itemgetter(column.key), records)) if value is None]
        for record in blank:
            if (record.row, column.key) not in reported:
                result.problems.append(Problem("required-empty", str(result.path), result.sheet,
                                               _cell(result, column.key, record.row), record.row, column.key,
                                               params={"column": _labels(column)}))


def _duplicate_ids(result: WorkbookRead) -> None:
    if "id" not in result.columns:
        return
    seen: dict[str, int] = {}
    for record in result.records:
        ident = record.id
        if not ident:
            continue
        if ident in seen:
            other = f"{result.sheet}!{_cell(result, 'id', seen[ident])}"
            result.problems.append(Problem("duplicate-id", str(result.path), result.sheet, _cell(result, "id", record.row),
                                           record.row, "id", ident, {"other": other}))
        else:
            seen[ident] = record.row


def _status_progress(result: WorkbookRead) -> None:
    kind = result.kind
    assert kind is not None, "called once the table is found"
    status_col, progress_key = kind.status_column, kind.role_key(Role.PROGRESS)
    if not status_col or progress_key not in result.columns or status_col.key not in result.columns:
        return
    choices, records = kind.status_choices, result.records      # record.status, looked up in C loops
    for record, (key, progress) in zip(records, map(itemgetter(status_col.key, progress_key), records)):
        if progress is None or (status := choices.get(key)) is None or status.done == (progress >= 1):
            continue
        result.problems.append(Problem("status-progress-mismatch", str(result.path), result.sheet,
                                       _cell(result, status_col.key, record.row), record.row, status_col.key,
                                       status.label(result.lang),
                                       {"status": {"zh": status.zh, "en": status.en}, "progress": f"{progress:.0%}"}))


def _emails(result: WorkbookRead) -> None:
    assert result.kind is not None, "called once the table is found"
    key = result.kind.role_key(Role.EMAIL)
    if key not in result.columns:
        return
    for record in result.records:
        email = record.get(key)
        if email and ("@" not in email or email.startswith("@") or email.endswith("@") or " " in email):
            result.problems.append(Problem("bad-email", str(result.path), result.sheet, _cell(result, key, record.row),
                                           record.row, key, email))


def _others(kind) -> dict:
    """Where the extra names of a one-person cell can go: the kind's 协作人 column where it has one
    (tasks); other kinds have none, and their message must not send people to it."""
    column = kind.by_role.get(Role.COLLABORATORS) if kind is not None else None
    if column is None:
        return {"others": {"zh": "", "en": ""}}
    return {"others": {"zh": f"，其他人写到“{column.zh}”", "en": f" and move the others to {column.en}"}}


def _labels(column) -> dict[str, str]:
    return {"zh": column.zh, "en": column.en}


def _show(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def person_columns(kind) -> list:
    """Columns naming people, for the directory cross-check."""
    return [c for c in kind.columns if c.type in (ColumnType.PERSON, ColumnType.PEOPLE)]
