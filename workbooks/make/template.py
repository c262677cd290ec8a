"""Writing a kind's standard workbook: styled Excel table, dropdowns, date checks, status colours.

The status cell's conditional formats are the live colours staff see while editing (done green,
past its due date red). duban's check paints the same cell with the colour of the row's most
severe flag, and a matching conditional format would hide that paint, so every one of them
applies only while the row's Alerts cell is empty: once duban has something to say about a row,
its colour is duban's.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from duban.workbooks.make.guide import add_guide
from duban.workbooks.make.styles import FONT_NAME, FONT_SIZE, fill, font
from duban.workbooks.model import meta
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.flags import FLAGS, Colour
from duban.workbooks.model.kinds import KINDS, PROGRESS_STEPS
from duban.workbooks.model.schema import SCHEMA_VERSION, Column, ColumnType as T, Kind, Role
from duban.workbooks.model.thresholds import Thresholds
from duban.workbooks.share.files import replacing
from duban.workbooks.xlsx import rowheight

LAST_ROW = 2000          # validations and status colours cover rows 2..LAST_ROW
BLANK_ROWS = 20          # table rows in an empty template, so filter and sort work at once
TABLE_STYLE = "TableStyleMedium2"
HEADER_FILL = "BDD7EE"
JOB_HEADER_FILL = "E7E6E6"
HEADER_FONT_COLOUR = "1F3864"
# mobile numbers as text: Excel keeps "+86 138…" and "138 0013 8000" as typed, never 1.38E+10
NUMBER_FORMATS = {T.DATE: "yyyy-mm-dd", T.DATETIME: "yyyy-mm-dd hh:mm", T.PERCENT: "0%", T.MOBILE: "@"}
MAX_FROZEN_WIDTH = 80    # characters: freeze ID..name column only while it leaves room to scroll
WRAP = Alignment(vertical="top", wrap_text=True)
STAMP_WIDTH = 24         # the "last checked" note: narrow, small and wrapped, as it is printed too
_THIN = Side(style="thin", color="8EA9DB")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

MESSAGES = {
    "zh": {
        "enum": "请从下拉列表中选择：{choices}。",
        "date": "请输入有效日期，例如 2026-08-10。",
        "datetime": "请输入日期和时间，例如 2026-08-10 14:30。",
        "percent": "请选择 0%、25%、50%、75% 或 100%。",
        "person": "通讯录中没有这个姓名。请核对写法，或请文员在通讯录中添加此人。",
        "department": "通讯录中没有这个部门。请核对部门名称，或请文员在通讯录中添加。",
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
        "department": "This department is not in the directory. Check the name, or ask a clerk to add it.",
        "people": "Names from the directory; separate several with commas.",
        "title": "Invalid entry",
        "job_owned": "duban fills this column in automatically; please do not edit it.",
    },
}


def write_workbook(kind: Kind | str, path: Path, lang: str = "zh",
                   rows: Iterable[dict] = (), names: Iterable[str] = (),
                   departments: Iterable[str] = (), thresholds: Thresholds | None = None,
                   palette: Mapping[str, Colour] | None = None) -> Path:
    """Write the standard workbook for `kind` to `path` (atomically) and return the path.
    `names` and `departments` fill the hidden lists the person and department dropdowns show;
    `thresholds` and `palette` are the folder's configured ones (the shipped ones without)."""
    kind = KINDS[kind] if isinstance(kind, str) else kind
    wb = build_workbook(kind, lang, list(rows), list(names), list(departments), thresholds, palette)
    path = Path(path)
    with replacing(path) as tmp:
        wb.save(tmp)
    return path


def build_workbook(kind: Kind, lang: str, rows: list[dict], names: list[str],
                   departments: Sequence[str] = (), thresholds: Thresholds | None = None,
                   palette: Mapping[str, Colour] | None = None) -> Workbook:
    """The workbook in memory: main sheet (first, active), Guide, hidden _names and _duban."""
    wb = Workbook()
    _set_body_font(wb)
    ws = wb.active
    ws.title = kind.sheet(lang)
    _write_main(ws, kind, lang, rows, thresholds, palette)
    _add_stamp(ws, kind, lang)
    add_guide(wb, kind, lang, thresholds, palette)
    _add_names(wb, lang, names, list(departments))
    _add_meta(wb, kind, lang)
    wb.active = 0
    return wb


def _set_body_font(wb: Workbook) -> None:
    """Every cell without a style of its own, typed now or later, is in duban's font (styles.FONT_NAME):
    the workbook's default font (font 0) and the Normal style's, instead of the theme's Calibri."""
    body = font()
    wb._fonts = IndexedList([body])        # openpyxl has no public setter for the default font
    wb._named_styles["Normal"].font = body


# ---- main sheet ----------------------------------------------------------------------------
def _write_main(ws: Worksheet, kind: Kind, lang: str, rows: list[dict], thresholds: Thresholds | None,
                palette: Mapping[str, Colour] | None) -> None:
    for i, col in enumerate(kind.columns, start=1):
        _write_header(ws.cell(row=1, column=i), col, lang)
        _format_column(ws, i, col, lang)
        _add_validation(ws, i, col, lang, kind, thresholds)
    for r, row in enumerate(rows, start=2):
        for i, col in enumerate(kind.columns, start=1):
            _write_value(ws.cell(row=r, column=i), col, row.get(col.key), lang)
        _fit_height(ws, r, kind)
    _add_status_colours(ws, kind, palette)
    _add_table(ws, kind, len(rows))
    ws.freeze_panes = freeze_cell(kind)
    ws.row_dimensions[1].height = 32
    _page_setup(ws, stamp_cell(kind).rstrip("1"))


def freeze_cell(kind: Kind) -> str:
    """The header row and the columns up to the row's name (ID, 任务名称) stay in view: the cell
    right of the name column, below the header. A name column far to the right (会议纪要's 行动项)
    would freeze most of the screen, so then only up to column B (会议名称)."""
    title = kind.by_role.get(Role.TITLE) or kind.by_role.get(Role.NAME)
    last = kind.columns.index(title) + 1 if title else 1
    if sum(c.width for c in kind.columns[:last]) > MAX_FROZEN_WIDTH:
        last = 2
    return f"{col_letters(last + 1)}2"


def _write_header(cell, col: Column, lang: str) -> None:
    cell.value = col.header(lang)
    cell.font = Font(name=FONT_NAME, sz=FONT_SIZE, family=2, charset=134, bold=True, color=HEADER_FONT_COLOUR)
    cell.fill = PatternFill("solid", fgColor=JOB_HEADER_FILL if col.job_owned else HEADER_FILL)
    cell.border = BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if col.job_owned:
        cell.comment = Comment(MESSAGES[lang]["job_owned"], "duban", height=60, width=220)


def _format_column(ws: Worksheet, index: int, col: Column, lang: str) -> None:
    dim = ws.column_dimensions[col_letters(index)]
    longest_word = max(len(w) for w in col.header(lang).split())  # never break a word in two
    dim.width = max(col.width, longest_word + 3)
    if col.type in NUMBER_FORMATS:
        dim.number_format = NUMBER_FORMATS[col.type]  # new cells staff type get the format too
    if wraps(col):
        dim.alignment = WRAP                           # and long text wraps in them as it is typed


def wraps(col: Column) -> bool:
    """Columns of words (Alerts, task names, notes, names and departments): they wrap, so a long
    one makes its row taller rather than running into the next column or off the printed page,
    which is one page wide. Dates, numbers, dropdowns, IDs and email addresses stay one line."""
    return col.role is Role.ALERTS or (col.type in (T.TEXT, T.PERSON, T.PEOPLE, T.DEPARTMENT)
                                       and col.role is not Role.EMAIL)


def _fit_height(ws: Worksheet, r: int, kind: Kind) -> None:
    """Row `r` tall enough for its wrapped text (LibreOffice does not fit a row to it itself)."""
    needs = [rowheight.height(str(ws.cell(row=r, column=i).value),
                              ws.column_dimensions[col_letters(i)].width)
             for i, col in enumerate(kind.columns, start=1)
             if wraps(col) and ws.cell(row=r, column=i).value is not None]
    if tallest := max((h for h in needs if h), default=None):
        ws.row_dimensions[r] = _FittedRow(ws, index=r, ht=tallest)


class _FittedRow(RowDimension):
    """A row height worked out from the row's text, not set by hand: written without
    customHeight, so Excel refits the row when someone edits it and duban's write-back may
    make it taller for a longer alert."""

    @property
    def customHeight(self) -> bool:
        return False


def _write_value(cell, col: Column, value, lang: str) -> None:
    if value is None or value == "":
        return
    if col.type is T.ENUM and isinstance(value, str):
        value = next((c.label(lang) for c in col.choices if c.key == value), value)
    cell.value = value
    if col.type in NUMBER_FORMATS and not isinstance(value, str):
        cell.number_format = NUMBER_FORMATS[col.type]
    cell.alignment = WRAP if wraps(col) else Alignment(vertical="top")


def _add_table(ws: Worksheet, kind: Kind, n_rows: int) -> None:
    last_row = 1 + (n_rows or BLANK_ROWS)
    ref = f"A1:{col_letters(len(kind.columns))}{last_row}"
    table = Table(displayName=f"duban_{kind.key}", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)


def _page_setup(ws: Worksheet, last: str) -> None:
    """A4 landscape, the table's columns on one page wide (as many pages down as needed), header
    on each. The print area ends with the "last checked" note beside the header (`last`), so
    every printed page says when duban's colours and alerts were true; the note is kept narrow."""
    ws.print_area = f"A1:{last}1048576"         # whole columns: Excel prints only the rows in use
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


# ---- data validation -----------------------------------------------------------------------
def _column_range(index: int) -> str:
    letter = col_letters(index)
    return f"{letter}2:{letter}{LAST_ROW}"


def _add_validation(ws: Worksheet, index: int, col: Column, lang: str, kind: Kind,
                    thresholds: Thresholds | None = None) -> None:
    dv = _validation(col, lang)
    if dv is None:
        return
    if col.type is T.DEPARTMENT and kind.key == "directory":
        dv.showErrorMessage = False   # the directory is where a new department is first written
    dv.errorTitle = MESSAGES[lang]["title"]
    if help_text := col.help(lang, thresholds):
        dv.promptTitle, dv.prompt, dv.showInputMessage = col.header(lang)[:32], help_text[:255], True
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
    if col.type is T.DEPARTMENT:
        return _list(meta.departments_ref(), msg["department"], style="warning", quoted=False)
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
def _add_status_colours(ws: Worksheet, kind: Kind, palette: Mapping[str, Colour] | None = None) -> None:
    """Live colours for the status cell while staff edit, each only while the Alerts cell is
    empty (see the module docstring): past its due date and not done red, first (duban ranks
    overdue above every status colour), then the colour of the status value (已完成 green)."""
    col = kind.status_column
    if col is None:
        return
    target = _column_range(kind.columns.index(col) + 1)
    for formula, colour in status_colour_rules(kind):
        ws.conditional_formatting.add(target, FormulaRule(formula=[formula], fill=fill(colour, palette),
                                                          font=font(colour, named=False, palette=palette)))


def status_colour_rules(kind: Kind) -> list[tuple[str, str]]:
    """(formula for row 2, palette colour) of each conditional format on the status column."""
    status_column = kind.status_column
    assert status_column is not None, f"{kind.key} has no status column"
    status = _cell(kind, status_column)
    alerts = kind.by_role.get(Role.ALERTS)
    quiet = [f'{_cell(kind, alerts)}=""'] if alerts else []   # duban has nothing to say about the row

    def when(*tests: str) -> str:
        tests = (*quiet, *tests)
        return f"AND({','.join(tests)})" if len(tests) > 1 else tests[0]

    def one_of(choices) -> str:
        labels = dict.fromkeys(label for c in choices for label in (c.zh, c.en))
        return "OR(" + ",".join(f'{status}="{label}"' for label in labels) + ")"

    found = []
    due = kind.by_role.get(Role.DUE)
    done = [c for c in status_column.choices if c.done]
    if due is not None and done:
        d = _cell(kind, due)   # a real date (not text, not blank) before today; INT drops a time
        late = f"INT({d})<TODAY()"
        if due.type is T.DATETIME:      # a time of day (an ETA of 15:20) is late once it has passed
            late = f"IF(MOD({d},1)>0,{d}<NOW(),{late})"
        found.append((when(f"ISNUMBER({d})", late, f"NOT({one_of(done)})"),
                      FLAGS["overdue"].colour))
    for choice in status_column.choices:
        if choice.colour:
            found.append((when(one_of([choice])), choice.colour))
    return found


def stamp_cell(kind: Kind) -> str:
    """Where `duban check` writes when it last checked: row 1, one empty column right of the table."""
    return f"{col_letters(len(kind.columns) + 2)}1"


def _add_stamp(ws: Worksheet, kind: Kind, lang: str) -> None:
    cell = ws[stamp_cell(kind)]
    cell.value = meta.NOT_YET[lang]
    cell.font = Font(name=FONT_NAME, sz=FONT_SIZE - 1, italic=True, color="595959")
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.column_dimensions[cell.column_letter].width = STAMP_WIDTH
    ws.column_dimensions[col_letters(len(kind.columns) + 1)].width = 2   # the gap keeps the table
                                                                             # from growing into the note


def _cell(kind: Kind, col: Column) -> str:
    """Row 2's cell of `col`, column absolute (as conditional formats over a range expect)."""
    return f"${col_letters(kind.columns.index(col) + 1)}2"


# ---- hidden sheets -------------------------------------------------------------------------
def _add_names(wb: Workbook, lang: str, names: list[str], departments: list[str]) -> None:
    """The hidden lists the dropdowns show: people in column A, departments in column B."""
    ws = wb.create_sheet(meta.NAMES_SHEET)
    ws["A1"] = meta.NAMES_HEADER[lang]
    ws["B1"] = meta.DEPARTMENTS_HEADER[lang]
    for column, values in ((1, names), (2, departments)):
        for r, value in enumerate(values, start=meta.NAMES_FIRST_ROW):
            ws.cell(row=r, column=column, value=value)
    ws.column_dimensions["A"].width = ws.column_dimensions["B"].width = 14
    ws.sheet_state = "hidden"


def _add_meta(wb: Workbook, kind: Kind, lang: str) -> None:
    ws = wb.create_sheet(meta.META_SHEET)
    values = (kind.key, SCHEMA_VERSION, lang, f"duban {meta.duban_version()}", stamp_cell(kind))
    for r, (key, value) in enumerate(zip(meta.META_KEYS, values), start=1):
        ws.cell(row=r, column=1, value=key)
        ws.cell(row=r, column=2, value=value)
    ws.sheet_state = "hidden"
