"""The Guide sheet (说明 / Guide): what a workbook is for, its columns, its flags and colours.

It lists only the flags that can fire on its kind (flags.flags_for, the same declaration
jobs.rules runs by) and only the colours those flags and its statuses use. The thresholds it states
("2个工作日内到期") and its swatches are the folder's configured ones when the caller hands them in."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from duban.workbooks.make.styles import fill, font
from duban.workbooks.model import meta
from duban.workbooks.model.flags import PALETTE, Colour, flags_for
from duban.workbooks.model.kinds import PROGRESS_STEPS
from duban.workbooks.model.schema import Column, ColumnType as T, Kind
from duban.workbooks.model.thresholds import Thresholds

SHEET = {"zh": "说明", "en": "Guide"}
WIDTHS = (20, 10, 16, 34, 60)
SECTION_FILL = PatternFill("solid", fgColor="BDD7EE")
WRAP = Alignment(wrap_text=True, vertical="top")

TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "{sheet} · 使用说明",
        "how": "请在“{sheet}”工作表中填写，每行一项。灰色表头的列（编号、系统提示）由督办系统填写，请勿修改；"
               "人名须与通讯录一致，多人用“、”分隔；日期请写成 2026-08-10 这样的格式或在单元格中选择。",
        "columns": "各列说明",
        "column_head": ("列名", "必填", "类型", "可选值 / 格式", "说明"),
        "flags": "系统标记",
        "flag_head": ("标记", "颜色", "含义"),
        "colours": "颜色图例",
        "colour_head": ("颜色", "", "代表"),
        "status": "状态“{label}”",
        "yes": "是", "no": "否", "sep": "、",
        "footer": "本表由 {version} 生成。",
    },
    "en": {
        "title": "{sheet}: how to use this workbook",
        "how": "Fill in the \"{sheet}\" sheet, one item per row. The grey-headed columns (ID, Alerts) are "
               "filled in by duban; do not edit them. Names must match the directory; separate several "
               "with commas. Write dates like 2026-08-10 or pick them in the cell.",
        "columns": "Columns",
        "column_head": ("Column", "Required", "Type", "Values / format", "Meaning"),
        "flags": "Flags",
        "flag_head": ("Flag", "Colour", "Meaning"),
        "colours": "Colours",
        "colour_head": ("Colour", "", "Stands for"),
        "status": "status \"{label}\"",
        "yes": "Yes", "no": "No", "sep": ", ",
        "footer": "Made by {version}.",
    },
}
TYPE_NAMES = {
    T.TEXT: ("文本", "Text"), T.PERSON: ("人名（一人）", "Person (one)"),
    T.PEOPLE: ("人名（可多人）", "People (one or more)"), T.DEPARTMENT: ("部门", "Department"),
    T.DATE: ("日期", "Date"), T.DATETIME: ("日期和时间", "Date and time"), T.ENUM: ("下拉选项", "Dropdown"),
    T.PERCENT: ("百分比", "Percent"), T.NUMBER: ("数字", "Number"), T.ID: ("编号", "ID"),
    T.MOBILE: ("手机号码", "Mobile number"),
}
FORMATS = {
    T.DATE: ("如 2026-08-10", "e.g. 2026-08-10"),
    T.DATETIME: ("如 2026-08-10 14:30", "e.g. 2026-08-10 14:30"),
    T.PERSON: ("通讯录中的一个姓名", "One name from the directory"),
    T.PEOPLE: ("通讯录中的姓名，多人用“、”分隔", "Names from the directory, separated by commas"),
    T.DEPARTMENT: ("通讯录中的部门名称", "A department from the directory"),
    T.NUMBER: ("数字，如 120", "A number, e.g. 120"),
    T.MOBILE: ("11位手机号码，如 138 0013 8000", "11 digits, e.g. 138 0013 8000"),
}
JOB_FILLED = ("由督办系统填写", "Filled in by duban")
COLOUR_NAMES = {
    "red": ("红色", "Red"), "orange": ("橙色", "Orange"), "amber": ("黄色", "Amber"),
    "purple": ("紫色斜纹", "Purple, hatched"), "grey": ("灰色", "Grey"), "green": ("绿色", "Green"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def add_guide(wb: Workbook, kind: Kind, lang: str, thresholds: Thresholds | None = None,
              palette: Mapping[str, Colour] | None = None) -> Worksheet:
    """Add the Guide sheet (second sheet) explaining `kind` in `lang`, with the thresholds and colours
    given (the shipped ones without)."""
    ws = wb.create_sheet(SHEET[lang])
    t = TEXT[lang]
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions["ABCDE"[i]].width = width
    ws.append([t["title"].format(sheet=kind.sheet(lang))])
    ws["A1"].font = font(bold=True, size=14)
    _paragraph(ws, kind.help(lang, thresholds))
    _paragraph(ws, t["how"].format(sheet=kind.sheet(lang)))
    _section(ws, t["columns"], t["column_head"])
    for col in kind.columns:
        ws.append(column_row(col, lang, thresholds))
        _wrap_last(ws)
        _fit_height(ws, WIDTHS)
    _section(ws, t["flags"], t["flag_head"])
    for flag in flags_for(kind):
        _swatch_row(ws, flag.colour, flag.label(lang), _pick(COLOUR_NAMES[flag.colour], lang),
                    flag.help(lang, thresholds), palette)
    _section(ws, t["colours"], t["colour_head"])
    for colour in PALETTE:
        if meaning := colour_meaning(kind, colour, lang):
            _swatch_row(ws, colour, _pick(COLOUR_NAMES[colour], lang), "", meaning, palette)
    ws.append([])
    ws.append([t["footer"].format(version=f"duban {meta.duban_version()}")])
    ws.sheet_view.showGridLines = False
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def column_row(col: Column, lang: str, thresholds: Thresholds | None = None) -> list[str]:
    """One line of the columns table: header, required, type, values, help."""
    t = TEXT[lang]
    header = col.header(lang) + (" *" if col.required else "")
    required = t["yes"] if col.required else t["no"]
    return [header, required, _pick(TYPE_NAMES[col.type], lang), allowed_values(col, lang), col.help(lang, thresholds)]


def allowed_values(col: Column, lang: str) -> str:
    sep = TEXT[lang]["sep"]
    if col.job_owned:
        return _pick(JOB_FILLED, lang)
    if col.type is T.ENUM:
        return sep.join(col.choice_labels(lang))
    if col.type is T.PERCENT:
        return sep.join(PROGRESS_STEPS)
    return _pick(FORMATS[col.type], lang) if col.type in FORMATS else ""


def colour_meaning(kind: Kind, colour: str, lang: str) -> str:
    """The flags shown in `colour`, then the statuses of this kind coloured so."""
    t = TEXT[lang]
    items = [f.label(lang) for f in flags_for(kind) if f.colour == colour]
    status = kind.status_column
    if status is not None:
        items += [t["status"].format(label=c.label(lang)) for c in status.choices if c.colour == colour]
    return t["sep"].join(items)


def _paragraph(ws: Worksheet, text: str) -> None:
    ws.append([text])
    _merge_from(ws, 1)
    ws.cell(row=ws.max_row, column=1).alignment = WRAP
    _fit_height(ws, [sum(WIDTHS)])


def _merge_from(ws: Worksheet, column: int) -> None:
    """Merge the last row's cells from `column` to the last guide column."""
    row = ws.max_row
    ws.merge_cells(start_row=row, start_column=column, end_row=row, end_column=len(WIDTHS))


def _fit_height(ws: Worksheet, widths: Sequence[float]) -> None:
    """Size the last row for its wrapped text, cell i being `widths[i]` characters wide.

    Excel does not grow rows for wrapped text written by a program, so estimate (CJK counts 2)."""
    lines = 1
    for cell, width in zip(ws[ws.max_row], widths):
        units = sum(2 if ord(ch) > 0x2E80 else 1.1 for ch in str(cell.value or ""))
        lines = max(lines, -(-int(units) // int(width - 2)))
    ws.row_dimensions[ws.max_row].height = 16 * lines


def _section(ws: Worksheet, title: str, head: tuple[str, ...]) -> None:
    ws.append([])
    ws.append([title])
    ws.cell(row=ws.max_row, column=1).font = font(bold=True, size=12)
    ws.append(list(head))
    for cell in ws[ws.max_row][:len(head)]:
        cell.font, cell.fill = font(bold=True), SECTION_FILL
    if len(head) < len(WIDTHS):
        _merge_from(ws, len(head))


def _swatch_row(ws: Worksheet, colour: str, label: str, colour_name: str, meaning: str,
                palette: Mapping[str, Colour] | None = None) -> None:
    ws.append([label, colour_name, meaning])
    cell = ws.cell(row=ws.max_row, column=1)
    cell.fill, cell.font = fill(colour, palette), font(colour, bold=True, palette=palette)
    _wrap_last(ws)
    _merge_from(ws, 3)
    _fit_height(ws, [*WIDTHS[:2], sum(WIDTHS[2:])])


def _wrap_last(ws: Worksheet) -> None:
    for cell in ws[ws.max_row]:
        cell.alignment = WRAP
