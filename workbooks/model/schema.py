"""The vocabulary for declaring a workbook kind as data: columns, their types, roles and choices.

A kind is one sheet with one header row. Everything duban knows about a kind (headers in both
languages, types, dropdown values, which column plays which part in the rules, the help text
for the Guide sheet) lives in its declaration in `workbooks.model.kinds`, so adding a kind or a
column touches one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from duban.workbooks.model.thresholds import Thresholds, fill_in

SCHEMA_VERSION = 1
LANGS = ("zh", "en")


class ColumnType(StrEnum):
    TEXT = "text"
    PERSON = "person"          # exactly one person from the directory
    PEOPLE = "people"          # one or more people, separated by 、 , ， ; ；
    DEPARTMENT = "department"
    DATE = "date"
    DATETIME = "datetime"
    ENUM = "enum"
    PERCENT = "percent"
    NUMBER = "number"
    MOBILE = "mobile"          # a mainland China mobile number, kept as its 11 digits
    ID = "id"


class Role(StrEnum):
    """The part a column plays in the rules; rules ask for roles, never for headers."""

    ID = "id"
    ALERTS = "alerts"
    TITLE = "title"
    PROJECT = "project"
    INITIATOR = "initiator"
    OWNER = "owner"
    COLLABORATORS = "collaborators"
    DEPARTMENT = "department"
    PRIORITY = "priority"
    DUE = "due"
    PROGRESS = "progress"
    STATUS = "status"
    HELP_FROM = "help_from"
    NOTE = "note"            # the row's own words on where it stands (what it waits for): escalations quote it
    LAST_UPDATE = "last_update"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    FIRST_PLAN = "first_plan"
    OCCURRED = "occurred"
    RESPONDED = "responded"
    REPORT_FILED = "report_filed"
    HELD_AT = "held_at"
    MINUTES_SENT = "minutes_sent"
    LAST_CONTACT = "last_contact"
    NEXT_VISIT = "next_visit"
    TIER = "tier"
    PURCHASES = "purchases"
    RESPONSIBLE = "responsible"
    ACCOUNTABLE = "accountable"
    CONSULTED = "consulted"
    INFORMED = "informed"
    NAME = "name"
    EMAIL = "email"
    DEPT_HEAD = "dept_head"
    MANAGER = "manager"
    LANGUAGE = "language"
    SNOOZED = "snoozed"      # 暂缓至: the row leaves its owner's digest until that day (due date unchanged)
    REMINDERS = "reminders"  # directory: how a person takes digests (mail, group only, weekly)
    AWAY_UNTIL = "away_until"  # directory: away until that day; the stand-in hears meanwhile
    STAND_IN = "stand_in"    # directory: who hears in the person's place while away


@dataclass(frozen=True)
class Choice:
    """One dropdown value, with its meaning for the rules (done, blocked)."""

    key: str
    zh: str
    en: str
    done: bool = False
    blocked: bool = False
    aliases: tuple[str, ...] = ()
    colour: str | None = None  # palette name used by the template's conditional formatting

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    type: ColumnType
    required: bool = False
    role: Role | None = None
    choices: tuple[Choice, ...] = ()
    job_owned: bool = False
    width: int = 14
    help_zh: str = ""
    help_en: str = ""
    aliases: tuple[str, ...] = ()

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def help(self, lang: str, thresholds: Thresholds | None = None) -> str:
        """What to write here, with the configured thresholds (the shipped ones without)."""
        return fill_in(self.help_zh if lang == "zh" else self.help_en, lang, thresholds)

    def choice(self, key: str) -> Choice:
        for c in self.choices:
            if c.key == key:
                return c
        raise KeyError(key)

    def choice_labels(self, lang: str) -> list[str]:
        return [c.label(lang) for c in self.choices]


@dataclass(frozen=True)
class Kind:
    """A workbook kind: one sheet, one header row, the columns in their template order."""

    key: str
    sheet_zh: str
    sheet_en: str
    file_zh: str
    file_en: str
    id_prefix: str
    columns: tuple[Column, ...]
    help_zh: str = ""
    help_en: str = ""
    examples: tuple[dict, ...] = field(default=(), compare=False)
    # Column keys of which a hand-made header must show at least one to be taken for this kind,
    # when its required columns alone are common words (RACI: Project and Task head timesheets too).
    signature: tuple[str, ...] = ()

    def sheet(self, lang: str) -> str:
        return self.sheet_zh if lang == "zh" else self.sheet_en

    def filename(self, lang: str) -> str:
        return self.file_zh if lang == "zh" else self.file_en

    def help(self, lang: str, thresholds: Thresholds | None = None) -> str:
        """What the workbook is for, with the configured thresholds (the shipped ones without)."""
        return fill_in(self.help_zh if lang == "zh" else self.help_en, lang, thresholds)

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    @cached_property
    def by_role(self) -> dict[Role, Column]:
        return {c.role: c for c in self.columns if c.role is not None}

    def column(self, key: str) -> Column:
        return self.by_key[key]

    def role_key(self, role: Role) -> str | None:
        return self.role_keys.get(role)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @cached_property
    def status_column(self) -> Column | None:
        return self.by_role.get(Role.STATUS)

    @cached_property
    def status_choices(self) -> dict[str, Choice]:
        """Status key -> Choice, for the rules' hot path."""
        column = self.status_column
        return {c.key: c for c in column.choices} if column else {}

    @cached_property
    def role_keys(self) -> dict[Role, str]:
        return {role: col.key for role, col in self.by_role.items()}

    @property
    def flag_column(self) -> Column | None:
        """The cell coloured by a row's most severe flag: its status, else its title."""
        return self.by_role.get(Role.STATUS) or self.by_role.get(Role.TITLE)
