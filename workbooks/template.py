"""Writing a kind's standard workbook: styled Excel table, dropdowns, date checks, status colours."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from . import meta
from .guide import add_guide
from .kinds import KINDS, PROGRESS_STEPS
from .schema import SCHEMA_VERSION, Column, ColumnType as T, Kind
from .styles import fill, font

LAST_ROW = 2000          # validations and status colours cover rows 2..LAST_ROW
BLANK_ROWS = 20          # table rows in an empty template, so filter and sort work at once
TABLE_STYLE = "TableStyleMedium2"
HEADER_FILL = "BDD7EE"
JOB_HEADER_FILL = "E7E6E6"
NUMBER_FORMATS = {T.DATE: "yyyy-mm-dd", T.DATETIME: "yyyy-mm-dd hh:mm", T.PERCENT: "0%"}
_THIN = Side(style="thin", color="8EA9DB")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

MESSAGES = {
    "zh": {
        "enum": "请从下拉列表中选择：{choices}。",
        "date": "请输入有效日期，例如 2026-08-10。",
        "datetime": "请输入日期和时间，例如 2026-08-10 14:30。",
        "percent": "请选择 0%、25%、50%、75% 或 100%。",
        "person": "通讯录中没有这个姓名。请核对写法，或请文员在通讯录中添加此人。",
        "people": "请填写通讯录中的姓名，多人用“、”分隔。",
        "title": "输入有误",
        "job_owned": "此列由督办系统自动填写，请勿修改。",
    },
    "en": {
        "enum": "Pick one of: {choices}.",
        "date": "Enter a valid date, e.g. 2026-08-10.",
        "datetime": "Enter a date and time, e.g. 2026-08-10 14:30.",
        "percent": "Pick 0%, 25%, 50%, 75% or 100%.",
        "person": "This name is not in the directory. Check the spelling, or ask a clerk to add the person.",
        "people": "Names from the directory; separate several with commas.",
        "title": "Invalid entry",
        "job_owned": "duban fills this column in automatically; please do not edit it.",
    },
}


def write_workbook(kind: Kind | str, path: Path, lang: str = "zh",
                   rows: Iterable[dict] = (), names: Iterable[str] = ()) -> Path:
    """Write the standard workbook for `kind` to `path` (atomically) and return the path."""
    kind = KINDS[kind] if isinstance(kind, str) else kind
    wb = build_workbook(kind, lang, list(rows), list(names))
    path = Path(path)
    with replacing(path) as tmp:
        wb.save(tmp)
    return path


def build_workbook(kind: Kind, lang: str, rows: list[dict], names: list[str]) -> Workbook:
    """The workbook in memory: main sheet (first, active), Guide, hidden _names and _duban."""
    wb = Workbook()
    ws = wb.active
    ws.title = kind.sheet(lang)
    _write_main(ws, kind, lang, rows)
    add_guide(wb, kind, lang)
    _add_names(wb, lang, names)
    _add_meta(wb, kind, lang)
    wb.active = 0
    return wb


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temp path beside `path`; on success it replaces `path`, on failure it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; a shared drive needs the usual mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _file_mode(path: Path) -> int:
    """The existing file's permissions, or what a plain open() would give under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ---- main sheet ----------------------------------------------------------------------------
def _write_main(ws: Worksheet, kind: Kind, lang: str, rows: list[dict]) -> None:
    for i, col in enumerate(kind.columns, start=1):
        _write_header(ws.cell(row=1, column=i), col, lang)
        _format_column(ws, i, col, lang)
        _add_validation(ws, i, col, lang)
    for r, row in enumerate(rows, start=2):
        for i, col in enumerate(kind.columns, start=1):
            _write_value(ws.cell(row=r, column=i), col, row.get(col.key), lang)
    _add_status_colours(ws, kind)
    _add_table(ws, kind, len(rows))
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    _page_setup(ws)


def _write_header(cell, col: Column, lang: str) -> None:
    cell.value = col.header(lang)
    cell.font = Font(bold=True, color="1F3864")
    cell.fill = PatternFill("solid", fgColor=JOB_HEADER_FILL if col.job_owned else HEADER_FILL)
    cell.border = BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if col.job_owned:
        cell.comment = Comment(MESSAGES[lang]["job_owned"], "duban", height=60, width=220)


def _format_column(ws: Worksheet, index: int, col: Column, lang: str) -> None:
    dim = ws.column_dimensions[get_column_letter(index)]
    longest_word = max(len(w) for w in col.header(lang).split())  # never break a word in two
    dim.width = max(col.width, longest_word + 3)
    if col.type in NUMBER_FORMATS:
        dim.number_format = NUMBER_FORMATS[col.type]  # new cells staff type get the format too


def _write_value(cell, col: Column, value, lang: str) -> None:
    if value is None or value == "":
        return
    if col.type is T.ENUM and isinstance(value, str):
        value = next((c.label(lang) for c in col.choices if c.key == value), value)
    cell.value = value
    if col.type in NUMBER_FORMATS and not isinstance(value, str):
        cell.number_format = NUMBER_FORMATS[col.type]
    cell.alignment = Alignment(vertical="top")


def _add_table(ws: Worksheet, kind: Kind, n_rows: int) -> None:
    last_row = 1 + (n_rows or BLANK_ROWS)
    ref = f"A1:{get_column_letter(len(kind.columns))}{last_row}"
    table = Table(displayName=f"duban_{kind.key}", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)


def _page_setup(ws: Worksheet) -> None:
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


# ---- data validation -----------------------------------------------------------------------
def _column_range(index: int) -> str:
    letter = get_column_letter(index)
    return f"{letter}2:{letter}{LAST_ROW}"


def _add_validation(ws: Worksheet, index: int, col: Column, lang: str) -> None:
    dv = _validation(col, lang)
    if dv is None:
        return
    dv.errorTitle = MESSAGES[lang]["title"]
    if col.help(lang):
        dv.promptTitle, dv.prompt, dv.showInputMessage = col.header(lang)[:32], col.help(lang)[:255], True
    ws.add_data_validation(dv)
    dv.add(_column_range(index))


def _validation(col: Column, lang: str) -> DataValidation | None:
    msg = MESSAGES[lang]
    if col.type is T.ENUM:
        labels = col.choice_labels(lang)
        sep = "、" if lang == "zh" else ", "
        return _list(",".join(labels), msg["enum"].format(choices=sep.join(labels)))
    if col.type is T.PERCENT:
        return _list(",".join(PROGRESS_STEPS), msg["percent"], style="warning")
    if col.type in (T.DATE, T.DATETIME):
        return _date_range(msg[col.type.value])
    if col.type is T.PERSON:
        return _list(meta.names_ref(), msg["person"], style="warning", quoted=False)
    if col.type is T.PEOPLE:
        dv = _list(meta.names_ref(), msg["people"], quoted=False)
        dv.showErrorMessage = False  # several names are typed, so any text is allowed
        return dv
    return None


def _list(source: str, error: str, style: str = "stop", quoted: bool = True) -> DataValidation:
    formula = f'"{source}"' if quoted else source
    return DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                          errorStyle=style, error=error)


def _date_range(error: str) -> DataValidation:
    lo, hi = (str(int(to_excel(d))) for d in (date(2000, 1, 1), date(2100, 12, 31)))
    return DataValidation(type="date", operator="between", formula1=lo, formula2=hi,
                          allow_blank=True, showErrorMessage=True, errorStyle="stop", error=error)


# ---- status colours ------------------------------------------------------------------------
def _add_status_colours(ws: Worksheet, kind: Kind) -> None:
    col = kind.status_column
    if col is None:
        return
    index = kind.columns.index(col) + 1
    cell = f"${get_column_letter(index)}2"
    for choice in col.choices:
        if choice.colour:
            labels = dict.fromkeys((choice.zh, choice.en))
            tests = ",".join(f'{cell}="{label}"' for label in labels)
            rule = FormulaRule(formula=[f"OR({tests})"], fill=fill(choice.colour), font=font(choice.colour))
            ws.conditional_formatting.add(_column_range(index), rule)


# ---- hidden sheets -------------------------------------------------------------------------
def _add_names(wb: Workbook, lang: str, names: list[str]) -> None:
    ws = wb.create_sheet(meta.NAMES_SHEET)
    ws["A1"] = meta.NAMES_HEADER[lang]
    for r, name in enumerate(names, start=meta.NAMES_FIRST_ROW):
        ws.cell(row=r, column=1, value=name)
    ws.column_dimensions["A"].width = 14
    ws.sheet_state = "hidden"


def _add_meta(wb: Workbook, kind: Kind, lang: str) -> None:
    ws = wb.create_sheet(meta.META_SHEET)
    values = (kind.key, SCHEMA_VERSION, lang, f"duban {meta.duban_version()}")
    for r, (key, value) in enumerate(zip(meta.META_KEYS, values), start=1):
        ws.cell(row=r, column=1, value=key)
        ws.cell(row=r, column=2, value=value)
    ws.sheet_state = "hidden"
