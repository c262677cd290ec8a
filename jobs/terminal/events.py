"""The change journal in words: event names and details as a clerk reads them, in their language.

The journal stores a row's values by column key (`owner`, `status: in_progress`), which is right
for the program and wrong for a person. Here each key becomes its column header in the
language asked for, a dropdown key its label, a list of people one name string.
"""
from __future__ import annotations

import json
from datetime import datetime

from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.schema import ColumnType

EVENTS = {
    "zh": {"created": "新增", "changed": "修改", "status": "状态变更", "deleted": "删除", "restored": "恢复",
           "moved": "工作簿改名或移动", "reply": "邮件回复"},
    "en": {"created": "created", "changed": "changed", "status": "status changed", "deleted": "deleted",
           "restored": "restored", "moved": "workbook renamed or moved", "reply": "reply by mail"},
}
SEPARATOR = {"zh": "；", "en": "; "}
COLON = {"zh": "：", "en": ": "}
BLANK = {"zh": "（空）", "en": "(blank)"}


def event_name(event: str, lang: str) -> str:
    return EVENTS.get(lang, EVENTS["zh"]).get(event, event)


def event_detail(ident: str, event: str, detail: str | None, lang: str) -> str:
    """`状态：进行中 → 已完成；截止日期：2026-11-20 → 2026-11-27` rather than the stored JSON."""
    if not detail:
        return ""
    prefix = ident.split("-", 1)[0]
    kind = next((k for k in KINDS.values() if k.id_prefix == prefix), None)    # the registry now
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if event == "moved" and isinstance(data, list) and len(data) == 2:
        return f"{data[0]} → {data[1]}"
    if event == "reply" and isinstance(data, dict):
        return reply_detail(data, lang)
    if kind is None:
        return detail
    if event == "status" and isinstance(data, list) and len(data) == 2:
        key = kind.status_column.key if kind.status_column else "status"
        return _arrow(kind, key, data, lang)
    if event == "changed" and isinstance(data, dict):
        return SEPARATOR[lang].join(f"{_header(kind, k, lang)}{COLON[lang]}{_arrow(kind, k, v, lang)}"
                                    for k, v in _in_column_order(kind, data) if isinstance(v, list) and len(v) == 2)
    if isinstance(data, dict):      # a row created, deleted or restored: the columns that name it
        named = _naming_keys(kind)
        return SEPARATOR[lang].join(f"{_header(kind, k, lang)}{COLON[lang]}{_value(kind, k, v, lang)}"
                                    for k, v in _in_column_order(kind, data) if k in named and v not in (None, "", []))
    return detail


def reply_detail(data: dict, lang: str) -> str:
    """"由李娜通过邮件回复修改（12-07 10:42）：状态 → 已完成" / "by reply from 李娜 at 12-07 10:42: Status → Done".
    The cells are named and worded as the workbook has them (its headers, its status labels)."""
    try:
        at = datetime.fromisoformat(data.get("at", ""))
    except (TypeError, ValueError):
        at = None
    cells = SEPARATOR[lang].join(f"{header} → {value if value not in (None, '') else BLANK[lang]}"
                                 for header, value in (data.get("cells") or {}).items())
    by = data.get("by") or "?"
    if lang == "zh":
        return f"由{by}通过邮件回复修改" + (f"（{at:%m-%d %H:%M}）" if at else "") + (f"：{cells}" if cells else "")
    return f"by reply from {by}" + (f" at {at:%m-%d %H:%M}" if at else "") + (f": {cells}" if cells else "")


def _naming_keys(kind) -> set[str]:
    """The required columns and the status: enough to know the row in a terminal table (the whole
    row is in `history --json`)."""
    keys = {c.key for c in kind.required}
    if kind.status_column:
        keys.add(kind.status_column.key)
    return keys


def _in_column_order(kind, data: dict) -> list[tuple]:
    """The workbook's own column order, which is the order a clerk reads the row in."""
    order = {c.key: n for n, c in enumerate(kind.columns)}
    return sorted(data.items(), key=lambda kv: order.get(kv[0], len(order)))


def _arrow(kind, key: str, pair: list, lang: str) -> str:
    return f"{_value(kind, key, pair[0], lang)} → {_value(kind, key, pair[1], lang)}"


def _header(kind, key: str, lang: str) -> str:
    column = kind.by_key.get(key)
    return column.header(lang) if column else key


def _value(kind, key: str, value, lang: str) -> str:
    if value in (None, "", []):
        return BLANK[lang]
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value)
    column = kind.by_key.get(key)
    if column is not None and column.choices and isinstance(value, str):
        try:
            return column.choice(value).label(lang)
        except KeyError:
            return value
    if column is not None and column.type == ColumnType.PERCENT and isinstance(value, (int, float)):
        return f"{value:.0%}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("T", " ") if _looks_like_time(value) else str(value)


def _looks_like_time(value) -> bool:
    return isinstance(value, str) and len(value) >= 16 and value[4] == "-" and value[10] == "T"
