"""Typed cell parsing: one converter per column type, problems as values instead of exceptions.

A converter takes one raw cell value as python-calamine gives it (str, float, int, bool,
date, datetime, time, timedelta; '' for blank) and returns the typed value, or an `Issue`
carrying a problem code (and, for notes such as an assumed year, the value it settled on).
Converters are built once per column and memoise text, because shared-drive workbooks
repeat the same names, statuses and dates thousands of times.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Sequence

from duban.workbooks.model.schema import Column, ColumnType, Role

EXCEL_EPOCH = datetime(1899, 12, 30)
MAX_SERIAL = 2958465  # 9999-12-31
PEOPLE_SEPARATORS = re.compile(r"[、,，;；\n]+")
_BOXES = "□■☐☑☒✓✔√ "


@dataclass(slots=True)
class Issue:
    """A cell that did not parse cleanly: `code` names the problem, `value` what was kept."""

    code: str
    value: Any = None
    params: dict = field(default_factory=dict)


def norm(text: str) -> str:
    """Fold a label for matching: full-width to half-width, case, spaces, checkbox marks."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split()).strip(_BOXES + "*")


def is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


# ---- dates ------------------------------------------------------------------------------
# the time follows a space or a T, or straight after 日/号 ("12月3日14:00", the common way)
_TIME = r"(?:(?:\s*[T ]|(?<=[日号]))\s*(\d{1,2})[:：时点](\d{1,2})?(?:[:：分](\d{1,2})?)?秒?)?"
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _TIME + r"$")
_SHORT = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _TIME + r"$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# English month names: "Dec 3", "December 3rd, 2026 14:00", "3 Dec", "3 Dec 2026"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:\s*,?\s*(\d{4}))?"
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s*(\d{1,2})" + _ORDINAL + _YEAR + _TIME + r"$", re.IGNORECASE)
_DAY_MONTH = re.compile(r"^(\d{1,2})" + _ORDINAL + r"\s*([a-z]+)\.?" + _YEAR + _TIME + r"$", re.IGNORECASE)
_MONTHS = {name: n for n, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")), 1) for name in names}
# Chinese numerals in dates: 十二月三日, 二〇二六年十二月二十一日
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_CN_NUMBER = re.compile(r"[〇零一二三四五六七八九两十]+")
_TRAILERS = ("之前", "以前", "前")


PLAUSIBLE_YEARS = 20   # a date further than this from today is taken for a typo ([reader] plausible_years)


def _years_from(day: date, years: int) -> date:
    """The same day `years` later (earlier when negative); 28 Feb for 29 Feb; clamped to date's range."""
    year = min(max(day.year + years, date.min.year), date.max.year)
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


class DateParser:
    """Parses the date forms staff actually type; `today` decides the year when none is given.

    A date more than `plausible_years` from today (1900-01-01 for 2026-01-01, 9999-12-31) is an
    `implausible-date` problem and no date at all for the rules: one comparison per distinct value."""

    def __init__(self, today: date, with_time: bool, year_window_days: int = 183,
                 plausible_years: int = PLAUSIBLE_YEARS):
        self.today = today
        self.with_time = with_time
        self.window = year_window_days
        earliest, latest = _years_from(today, -plausible_years), _years_from(today, plausible_years)
        self.bounds = (earliest, latest)
        self.lo, self.hi = ((datetime.combine(earliest, time()), datetime.combine(latest, time.max)) if with_time
                            else (earliest, latest))

    def __call__(self, value: Any) -> Any:
        parsed = self._parse(value)
        if parsed.__class__ is Issue or self.lo <= parsed <= self.hi:
            return parsed
        shown = parsed.date() if isinstance(parsed, datetime) else parsed
        return Issue("implausible-date", params={"earliest": self.bounds[0].isoformat(),
                                                 "latest": self.bounds[1].isoformat(),
                                                 "example": _years_from(shown, self.today.year - shown.year).isoformat()})

    def _parse(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value if self.with_time else value.date()
        if isinstance(value, date):
            return datetime.combine(value, time()) if self.with_time else value
        if isinstance(value, bool):
            return self._bad()
        if isinstance(value, (int, float)):
            return self._serial(value)
        if isinstance(value, str):
            return self._text(value)
        return self._bad()

    def _serial(self, number: float) -> Any:
        if not 1 <= number < MAX_SERIAL:
            return self._bad()
        moment = EXCEL_EPOCH + timedelta(days=float(number))
        moment = moment.replace(microsecond=0)
        return moment if self.with_time else moment.date()

    def _text(self, raw: str) -> Any:
        text = unicodedata.normalize("NFKC", raw).strip()
        for trailer in _TRAILERS:
            text = text.removesuffix(trailer).strip()
        found = self._match(text, raw)
        if found.__class__ is Issue and found.code.startswith("bad-") and _CN_NUMBER.search(text):
            found = self._match(_CN_NUMBER.sub(_cn_number, text), raw)     # 十二月三日 as 12月3日
        return found

    def _match(self, text: str, raw: str) -> Any:
        if m := _FULL.match(text):
            return self._build(int(m[1]), int(m[2]), int(m[3]), m.groups()[3:], raw, assumed=False)
        if m := _SHORT.match(text):
            return self._build(self.today.year, int(m[1]), int(m[2]), m.groups()[2:], raw, assumed=True)
        if m := _COMPACT.match(text):
            return self._build(int(m[1]), int(m[2]), int(m[3]), (None, None, None), raw, assumed=False)
        if (m := _MONTH_DAY.match(text)) and (month := _MONTHS.get(m[1].lower())):
            return self._build(int(m[3] or self.today.year), month, int(m[2]), m.groups()[3:], raw, assumed=not m[3])
        if (m := _DAY_MONTH.match(text)) and (month := _MONTHS.get(m[2].lower())):
            return self._build(int(m[3] or self.today.year), month, int(m[1]), m.groups()[3:], raw, assumed=not m[3])
        return self._bad()

    def _build(self, year: int, month: int, day: int, hms, raw: str, assumed: bool) -> Any:
        try:
            day_value = date(year, month, day)
            hour, minute, second = (int(x or 0) for x in hms)
            clock = time(hour, minute, second)
        except ValueError:
            return self._bad(year, month)
        value = datetime.combine(day_value, clock) if self.with_time else day_value
        if assumed and abs((day_value - self.today).days) > self.window:
            return Issue("assumed-year", value, {"date": day_value.isoformat()})
        return value

    def _bad(self, year: int | None = None, month: int | None = None) -> Issue:
        """A value that is no date: bad-date, or for a date-time column bad-datetime (its hint a date-time)."""
        return Issue("bad-datetime" if self.with_time else "bad-date", params={"example": self._example(year, month)})

    def _example(self, year: int | None = None, month: int | None = None) -> str:
        day = (date(year, month, calendar.monthrange(year, month)[1]) if year and month and 1 <= month <= 12
               else self.today)
        return f"{day.isoformat()} 14:00" if self.with_time else day.isoformat()


def _cn_number(m: re.Match) -> str:
    """二十一 -> 21, 十二 -> 12, 十 -> 10, 二〇二六 -> 2026 (digit by digit when there is no 十)."""
    token = m[0]
    if "十" not in token:
        return "".join(str(_CN_DIGITS[c]) for c in token)
    tens, _, units = token.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return token                        # 一百十, 十十: not a date's number; left to be refused
    return str(_CN_DIGITS[tens] * 10 if tens else 10) if not units else \
        str((_CN_DIGITS[tens] if tens else 1) * 10 + _CN_DIGITS[units])


# ---- numbers ----------------------------------------------------------------------------
def parse_percent(value: Any) -> Any:
    """75%, 0.75 and 75 all mean three quarters; anything outside 0–100% is a problem."""
    if isinstance(value, bool):
        return Issue("bad-percent")
    if isinstance(value, (int, float)):
        number, had_sign = float(value), False
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().strip(_BOXES)
        had_sign = text.endswith("%")
        try:
            number = float(text.rstrip("%").replace(",", "").strip())
        except ValueError:
            return Issue("bad-percent")
    else:
        return Issue("bad-percent")
    fraction = number / 100 if had_sign or number > 1 else number
    if not 0 <= fraction <= 1:
        return Issue("bad-percent")
    return round(fraction, 6)


def parse_number(value: Any) -> Any:
    if isinstance(value, bool):
        return Issue("bad-number")
    if isinstance(value, (int, float)):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").replace(" ", "")
    text = text.removesuffix("万元").removesuffix("万")
    try:
        return float(text)
    except ValueError:
        return Issue("bad-number")


# ---- mobile numbers -----------------------------------------------------------------------
# Group bots @-mention by mobile number (WeCom, DingTalk): a wrong one mentions nobody, or someone
# else, so it is checked here. Written as people write them (138 0013 8000, 138-0013-8000,
# +86 13800138000, 0086…, or a number cell), kept as the 11 digits the platforms take.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()（）.]+")


def parse_mobile(value: Any) -> Any:
    if isinstance(value, bool):
        return Issue("bad-mobile")
    text = _MOBILE_SEPARATORS.sub("", unicodedata.normalize("NFKC", parse_text(value)))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    return text if _MOBILE.fullmatch(text) else Issue("bad-mobile")


# ---- text, people, choices --------------------------------------------------------------
def parse_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_people(value: Any) -> Any:
    names = tuple(n.strip() for n in PEOPLE_SEPARATORS.split(parse_text(value)) if n.strip())
    return names or None


def parse_person(value: Any) -> Any:
    names = parse_people(value)
    if names and len(names) > 1:
        return Issue("multiple-owners", names[0])
    return names[0] if names else None


def choice_parser(column: Column) -> Callable[[Any], Any]:
    """Accepts a dropdown value in either language, by key or alias, ignoring case and spaces."""
    lookup: dict[str, str] = {}
    for choice in column.choices:
        for label in (choice.key, choice.zh, choice.en, *choice.aliases):
            lookup.setdefault(norm(label), choice.key)
    code = "unknown-status" if column.role is Role.STATUS else "unknown-choice"
    labels = {lang: "、".join(column.choice_labels(lang)) if lang == "zh" else ", ".join(column.choice_labels(lang))
              for lang in ("zh", "en")}

    def parse(value: Any) -> Any:
        key = lookup.get(norm(parse_text(value)))
        return key if key else Issue(code, params={"choices": labels})

    return parse


# ---- formula errors ------------------------------------------------------------------------
# What a formula can return instead of a value. An error cell reaches the reader as '' (see
# errorcells.py, which finds it in the sheet's XML); a formula typed as text (t="str") or a
# generator that stores the error as text gives the words themselves, caught here.
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
_FILL = {ColumnType.DATE: ("日期", "the date"), ColumnType.DATETIME: ("日期和时间", "the date and time"),
         ColumnType.ENUM: ("下拉列表中的一项", "one of the dropdown values"),
         ColumnType.PERSON: ("姓名", "the name"), ColumnType.PEOPLE: ("姓名", "the names"),
         ColumnType.DEPARTMENT: ("部门名称", "the department"), ColumnType.PERCENT: ("进度", "the progress"),
         ColumnType.NUMBER: ("数字", "the number"), ColumnType.MOBILE: ("手机号码", "the mobile number")}


def formula_error_params(column: Column) -> dict:
    """The fields of a formula-error problem: the column, and what to type there instead."""
    zh, en = _FILL.get(column.type, ("内容", "the value"))
    return {"column": {"zh": column.zh, "en": column.en}, "fill": {"zh": zh, "en": en}}


# ---- assembling a converter for a column ---------------------------------------------------
_TYPED = frozenset({ColumnType.DATE, ColumnType.DATETIME, ColumnType.ENUM, ColumnType.PERCENT, ColumnType.NUMBER,
                    ColumnType.PERSON, ColumnType.PEOPLE, ColumnType.MOBILE})   # the rest take parse_text


def convert_column(column: Column, raw: Sequence, convert: Callable[[Any], Any]) -> tuple[list, bool]:
    """A column's typed values, the Issue itself where a cell did not parse, and whether any did.

    Each distinct raw value goes through `convert` once and the cells are mapped in C loops. A
    text column of many distinct texts (task names, IDs, notes: about one per row) is stripped in
    C loops instead, which is what `convert` makes of such a cell ('' -> None); one holding an
    error value's words takes the general way. TRUE and 1 are one key to a dict (True == 1), so
    a column holding both keeps each cell's type in its key."""
    distinct = set(raw)
    if len(distinct) * 8 > len(raw) and column.type not in _TYPED and set(map(type, distinct)) == {str}:
        stripped = set(map(str.strip, distinct))
        if ERROR_VALUES.isdisjoint(stripped):
            values = list(map(str.strip, raw))
            return ([value or None for value in values] if "" in stripped else values), False
    keys: Sequence = raw
    if (True in distinct or False in distinct) and bool in (types := set(map(type, raw))) and len(types) > 1:
        keys = [(value, value.__class__) for value in raw]
        distinct = set(keys)
    parsed = {key: convert(key[0] if keys is not raw else key) for key in distinct}
    return list(map(parsed.__getitem__, keys)), any(found.__class__ is Issue for found in parsed.values())


def converter(column: Column, today: date, year_window_days: int = 183,
              plausible_years: int = PLAUSIBLE_YEARS) -> Callable[[Any], Any]:
    """The converter for one column; blank cells (None, '', spaces only) become None."""
    kind = column.type
    base: Callable[[Any], Any]
    if kind in (ColumnType.DATE, ColumnType.DATETIME):
        base = DateParser(today, kind is ColumnType.DATETIME, year_window_days, plausible_years)
    elif kind is ColumnType.ENUM:
        base = choice_parser(column)
    else:
        base = {ColumnType.PERCENT: parse_percent, ColumnType.NUMBER: parse_number,
                ColumnType.PERSON: parse_person, ColumnType.PEOPLE: parse_people,
                ColumnType.MOBILE: parse_mobile}.get(kind, parse_text)

    error = Issue("formula-error", params=formula_error_params(column))

    def convert(value: Any) -> Any:
        if is_blank(value):
            return None
        return error if value.__class__ is str and value.strip() in ERROR_VALUES else base(value)

    return convert
