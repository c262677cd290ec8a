"""What rules take and give: a record and a context in, a `Flag` (or None) out. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property
from typing import Any, Callable

from duban.jobs.settings.typed import Rules
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.flags import FLAGS, FlagType
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Role

_UNSET = object()


@dataclass(frozen=True)
class RowHistory:
    """What the change journal knows about a row (None fields: not known yet)."""

    first_seen: datetime | None = None
    last_changed: datetime | None = None
    status_since: datetime | None = None


@dataclass(frozen=True)
class Flag:
    rule: str
    zh: str
    en: str
    people: tuple[str, ...] = ()
    deadline: date | datetime | None = None
    # escalated: how far up the reporting line it has gone (1: the department head; 2: the head's
    # 直属上级, …; rules.escalation_levels). due_soon: whether today is a reminder day (False on the
    # days rules.due_soon_offsets leaves out: the cell keeps its colour, the mail says nothing).
    level: int = 1
    remind: bool = True

    @property
    def type(self) -> FlagType:
        return FLAGS[self.rule]

    @property
    def rank(self) -> int:
        return self.type.rank

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class Context:
    """Everything a rule may look at besides the record: the clock, the calendar, the thresholds."""

    now: datetime                      # aware, company time zone
    calendar: WorkCalendar
    thresholds: Rules                  # settings.rules: the configured thresholds
    history: Callable[[Record], RowHistory | None] = lambda record: None
    problems: Callable[[Record], list[Problem]] = lambda record: []
    lang: str = "zh"

    @cached_property
    def today(self) -> date:
        return self.now.date()

    @cached_property
    def memo(self) -> dict:
        """Per-run answers shared by all rows (e.g. the weekly update deadline, a rule's flag for
        one due date and owner: see `remembered`)."""
        return {}

    def remembered(self, key: tuple, make: Callable[[], Any]) -> Any:
        """`make()`, once per run for each `key`: a rule whose answer depends only on a few cells,
        the clock, the calendar and the thresholds keys it by those cells, so 100,000 rows sharing
        a few hundred due dates and owners build a few hundred flags (issue 22). The key must hold
        every cell `make` reads; `make` must not read the row's history or problems. The answers
        are shared by every Context of the run (one per workbook) with the same clock, calendar
        and thresholds."""
        answers = self.answers
        found = answers.get(key, _UNSET)
        if found is _UNSET:
            found = answers[key] = make()
        return found

    @cached_property
    def answers(self) -> dict:
        """`remembered`'s store, kept by the calendar for this clock and these thresholds."""
        return self.calendar.answers(self.now, self.thresholds)

    def aware(self, moment: date | datetime) -> datetime:
        """A cell's date or naive date-time as an aware moment in company time (dates: midnight)."""
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time())
        return moment.replace(tzinfo=self.calendar.tz) if moment.tzinfo is None else moment


def timed(due: date | datetime | None) -> bool:
    """A due date-time with a time of day (an incident's 预计完成时间 15:20): due at that minute.
    A plain date, or a date-time at midnight (a date typed alone in a date-time column), means
    the whole day, as a date column's deadline does."""
    return isinstance(due, datetime) and due.time() != time()


def people(record: Record, *roles: Role) -> tuple[str, ...]:
    """The names in the given role columns, in order, without repeats."""
    found: list[str] = []
    for role in roles:
        value = record.role(role)
        for name in (value if isinstance(value, tuple) else (value,)):
            if name and name not in found:
                found.append(name)
    return tuple(found)


def plural(n: int | float, zh_unit: str, en_unit: str) -> tuple[str, str]:
    """('3天', '3 days') style pairs; 1 gets the singular in English."""
    n_text = f"{n:g}"
    return f"{n_text}{zh_unit}", f"{n_text} {en_unit}{'' if n == 1 else 's'}"
