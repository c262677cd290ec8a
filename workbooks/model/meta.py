"""Names and layout of the two hidden sheets every duban workbook carries (_duban, _names).

_names holds what the dropdowns list: the directory's people in column A and its departments in
column B, each under a header in row 1; `duban check` refreshes both from the directory."""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

META_SHEET = "_duban"
NAMES_SHEET = "_names"
NAMES_FIRST_ROW = 2
NAMES_LAST_ROW = 1000
NAMES_HEADER = {"zh": "姓名", "en": "Name"}
DEPARTMENTS_HEADER = {"zh": "部门", "en": "Department"}

# Keys in column A of the meta sheet, one per row, value in column B. `checked_cell`: the cell
# beside the header where `duban check` says when it last checked the workbook (a template's own
# cell, never a user's; workbooks without the key get no stamp).
META_KEYS = ("kind", "schema_version", "lang", "created_by", "checked_cell")
WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
STAMP = {"zh": "督办检查于 {day}（周{weekday}）{time}，颜色与系统提示以此时为准",
         "en": "Checked by duban on {weekday} {day} {time}; colours and alerts are as of then"}
NOT_YET = {"zh": "督办尚未检查此工作簿", "en": "Not yet checked by duban"}
STAMP_STARTS = ("督办检查于", "Checked by duban", *NOT_YET.values())


def checked_text(moment, lang: str) -> str:
    """The stamp's words: the weekday too, so colours read on a Saturday do not pass for Saturday's."""
    lang = lang if lang in STAMP else "zh"
    return STAMP[lang].format(day=moment.strftime("%Y-%m-%d"), time=moment.strftime("%H:%M"),
                              weekday=WEEKDAYS[lang][moment.weekday()])


def stamp_is_from(text: str, day) -> bool:
    """Whether a stamp found in the file was written on `day` (the stamp is then rewritten only
    along with some other change, so a check every 30 minutes does not rewrite every file)."""
    return day.strftime("%Y-%m-%d") in (text or "")


def duban_version() -> str:
    """The installed duban version (a checkout that was never installed says so)."""
    try:
        return version("duban")
    except PackageNotFoundError:
        return "0+unknown (not installed)"


def names_ref() -> str:
    """The range a person-column dropdown lists (as stored in the file, without a leading '=')."""
    return f"{NAMES_SHEET}!$A${NAMES_FIRST_ROW}:$A${NAMES_LAST_ROW}"


def departments_ref() -> str:
    """The range a department-column dropdown lists."""
    return f"{NAMES_SHEET}!$B${NAMES_FIRST_ROW}:$B${NAMES_LAST_ROW}"


@dataclass(frozen=True)
class Lists:
    """What `duban check` writes into _names: the directory's people and its departments."""

    names: tuple[str, ...]
    departments: tuple[str, ...] = ()
