"""What a reply's command writes into one row, in the workbook's own words: its headers, its
status labels, its language; or why it writes nothing (a `Refusal` with a sentence each way).

Pure: the row as read, the workbook read and the time are passed in. Dates and percents are
numbers with their format (plan.numbers), so Excel sorts and filters them as dates and percents.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from duban.workbooks.model.records import Record, WorkbookRead
from duban.workbooks.model.schema import Column, Role

EXCEL_EPOCH = datetime(1899, 12, 30)


@dataclass
class Cell:
    """One cell a reply writes: by column key, as text or as a number (its `<v>`, how it is shown)."""

    key: str
    value: object                    # the record's value after the write (status key, float, date, text)
    text: str | None = None
    number: tuple[str, str] | None = None
    said: str = ""                   # how a person reads it ("已完成", "2026-12-07 10:42", "75%")


@dataclass(frozen=True)
class Refusal:
    code: str
    zh: str
    en: str


def serial(moment: date | datetime) -> str:
    """Excel's day number of a date or a (naive, local) date-time, as its `<v>` text."""
    if isinstance(moment, datetime):
        days = (moment - EXCEL_EPOCH) / timedelta(days=1)
        return repr(round(days, 10)).removesuffix(".0")
    return str((moment - EXCEL_EPOCH.date()).days)


def cells_for(command: str, value: str | None, person: str, rec: Record, read: WorkbookRead,
              received: datetime, zone: ZoneInfo) -> list[Cell] | Refusal:
    """The cells `command` changes in `rec` (empty: nothing to change), or why it cannot."""
    local = received.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    maker = _COMMANDS.get(command)
    if maker is None:
        return _not_for(read, command)
    found = maker(value, person, rec, read, local)
    if isinstance(found, Refusal) or not found:
        return found
    changed = [cell for cell in found if rec[cell.key] != cell.value]
    if changed and (stamp := _column(read, Role.LAST_UPDATE)) and rec[stamp.key] != local.date():
        changed.append(_date(stamp.key, local.date()))      # a reply is an update
    return changed


# ---- the commands -------------------------------------------------------------------------------
def _done(value, person, rec, read, local):
    status = _column(read, Role.STATUS)
    if status is None:
        return _not_for(read, "done")
    done = next((c for c in status.choices if c.key == "done"), None) or next(c for c in status.choices if c.done)
    cells = [_status(read, done.key)]
    if (progress := _column(read, Role.PROGRESS)) is not None:
        cells.append(_percent(progress.key, 1.0))
    return cells


def _progress(value, person, rec, read, local):
    column = _column(read, Role.PROGRESS)
    if column is None:
        return _missing(read, Role.PROGRESS, "progress")
    cells = [_percent(column.key, int(value or 0) / 100)]
    if (status := _column(read, Role.STATUS)) is not None and rec[status.key] == "not_started":
        cells.append(_status(read, "in_progress"))
    return cells


_ACKNOWLEDGE = {"requests": (Role.ACKNOWLEDGED, "pending", "received"),
                "incidents": (Role.RESPONDED, "awaiting", "in_progress")}


def _acknowledge(value, person, rec, read, local):
    if read.kind.key not in _ACKNOWLEDGE:
        return _not_for(read, "acknowledge")
    role, before, after = _ACKNOWLEDGE[read.kind.key]
    column = _column(read, role)
    if column is None:
        return _missing(read, role, "acknowledge")
    cells = [] if rec[column.key] else [_moment(column.key, local)]     # the first acknowledgement stands
    if (status := _column(read, Role.STATUS)) is not None and rec[status.key] in (before, None):
        cells.append(_status(read, after))
    return cells


def _snooze(value, person, rec, read, local):
    column = _column(read, Role.SNOOZED)
    if column is None:
        return _missing(read, Role.SNOOZED, "snooze")
    return [_date(column.key, date.fromisoformat(value or ""))]


def _help(value, person, rec, read, local):
    status, column = _column(read, Role.STATUS), _column(read, Role.HELP_FROM)
    if read.kind.by_role.get(Role.HELP_FROM) is None or status is None:
        return _not_for(read, "help")
    if column is None:
        return _missing(read, Role.HELP_FROM, "help")
    blocked = next(c for c in status.choices if c.blocked)
    return [_status(read, blocked.key), Cell(column.key, value, text=value or "", said=value or "")]


def _note(value, person, rec, read, local):
    column = _column(read, Role.NOTE)
    if column is None:
        return _missing(read, Role.NOTE, "note") if read.kind.by_role.get(Role.NOTE) else _not_for(read, "note")
    colon = "：" if read.lang == "zh" else ": "
    line = f"{local:%m-%d} {person}{colon}{value or ''}"
    before = str(rec[column.key] or "").rstrip("\n")
    if before.endswith(line):       # written already (a run stopped before it recorded so): not twice
        return []
    text = f"{before}\n{line}" if before else line
    return [Cell(column.key, text, text=text, said=line)]


_COMMANDS = {"done": _done, "progress": _progress, "acknowledge": _acknowledge, "snooze": _snooze,
             "help": _help, "note": _note}


# ---- cells in the workbook's words --------------------------------------------------------------
def _column(read: WorkbookRead, role: Role) -> Column | None:
    """The kind's column of `role`, if this workbook has it."""
    column = read.kind.by_role.get(role)
    return column if column is not None and column.key in read.columns else None


def _status(read: WorkbookRead, key: str) -> Cell:
    label = read.kind.status_column.choice(key).label(read.lang)
    return Cell(read.kind.status_column.key, key, text=label, said=label)


def _percent(key: str, fraction: float) -> Cell:
    return Cell(key, fraction, number=(repr(round(fraction, 6)).removesuffix(".0"), "percent"),
                said=f"{fraction:.0%}")


def _date(key: str, day: date) -> Cell:
    return Cell(key, day, number=(serial(day), "date"), said=day.isoformat())


def _moment(key: str, moment: datetime) -> Cell:
    return Cell(key, moment, number=(serial(moment), "datetime"), said=f"{moment:%Y-%m-%d %H:%M}")


# ---- why not -------------------------------------------------------------------------------------
_WHAT = {"done": ("“已完成”", "'done'"), "progress": ("“进度”", "'progress'"), "acknowledge": ("“已收到”", "'received'"),
         "snooze": ("“暂缓至”", "'snooze'"), "help": ("“需协助”", "'help'"), "note": ("备注", "a note")}


def _not_for(read: WorkbookRead, command: str) -> Refusal:
    zh, en = _WHAT.get(command, (command, command))
    sheet_zh, sheet_en = read.kind.sheet("zh"), read.kind.sheet("en")
    return Refusal("not-for-kind", f"{sheet_zh}的行不能用{zh}指令修改，回复未执行。请改用其他指令（如“进度 50%”或“已完成”），"
                                   "或直接在共享盘上的工作簿中修改。",
                   f"A row of {sheet_en} cannot be changed with {en}, so the reply was not applied. Reply with another "
                   "command (such as 'progress 50%' or 'done'), or edit the workbook on the shared drive.")


def _missing(read: WorkbookRead, role: Role, command: str) -> Refusal:
    column = read.kind.by_role[role]
    zh, en = _WHAT.get(command, (command, command))
    file = read.path.name
    return Refusal("no-column", f"工作簿 {file} 没有“{column.zh}”列，{zh}无法写入，回复未执行。请文员在表头加上“{column.zh}”列"
                                f"（duban init 生成的模板已带此列），然后再回复一次。",
                   f"The workbook {file} has no '{column.en}' column, so {en} cannot be written and the reply was not "
                   f"applied. Ask a clerk to add a '{column.en}' column to the header (the templates duban init makes "
                   "have it), then reply again.")
