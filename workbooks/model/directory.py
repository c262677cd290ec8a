"""The staff directory as lookups, and the cross-check of every person and department against it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.kinds import DIRECTORY
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import Record, WorkbookRead
from duban.workbooks.model.schema import ColumnType


@dataclass(frozen=True)
class Person:
    name: str
    department: str | None
    email: str | None
    head: bool
    manager: str | None
    lang: str
    # Who a group bot can @-mention: the directory's optional columns (None when empty or absent,
    # and the mobile number None when it is not one; the reader reported it). No ID: the plain name.
    mobile: str | None = None
    wecom_id: str | None = None
    dingtalk_id: str | None = None
    feishu_id: str | None = None
    # How and when the person hears (issue: act from the message): the digest by mail (default),
    # by group only, or weekly; away until a day (inclusive), and who stands in meanwhile.
    reminders: str = "mail"
    away_until: date | None = None
    stand_in: str | None = None

    def away(self, today: date) -> bool:
        """Away on `today` with someone to stand in (without a stand-in nobody else can hear)."""
        return bool(self.stand_in) and self.away_until is not None and today <= self.away_until


@dataclass
class Directory:
    people: dict[str, Person] = field(default_factory=dict)

    @classmethod
    def from_reads(cls, reads: list[WorkbookRead]) -> "Directory":
        directory = cls()
        for read in ranked(reads):
            for rec in read.records:
                if rec["name"]:
                    directory.people.setdefault(rec["name"], Person(
                        rec["name"], rec["department"], rec["email"], rec["dept_head"] == "yes",
                        rec["manager"], rec["language"] or "zh", rec["mobile"], rec["wecom_id"],
                        rec["dingtalk_id"], rec["feishu_id"], rec["reminders"] or "mail",
                        _day(rec["away_until"]), rec["stand_in"]))
        return directory

    @property
    def departments(self) -> set[str]:
        return {p.department for p in self.people.values() if p.department}

    def heads(self, department: str) -> list[Person]:
        return [p for p in self.people.values() if p.department == department and p.head]

    def __contains__(self, name: str) -> bool:
        return name in self.people

    def __bool__(self) -> bool:
        return bool(self.people)


def _day(value) -> date | None:
    return value.date() if isinstance(value, datetime) else value if isinstance(value, date) else None


def ranked(reads: list[WorkbookRead]) -> list[WorkbookRead]:
    """The workbooks taken for a directory, the one most clearly the directory first.

    A folder may hold more than one: someone's contact list headed 姓名/部门/邮箱/电话 matches
    three of the directory's columns and is taken for one too. Sorting by path alone let
    `研发部/联系人.xlsx` (研 before 通) override the official 通讯录 and redirect a person's mail to
    an old address. So: more of the directory's own columns matched first, then the shallower
    path, then the template's own file name (通讯录.xlsx / Directory.xlsx), then the path."""
    names = {DIRECTORY.file_zh.casefold(), DIRECTORY.file_en.casefold()}

    def clarity(read: WorkbookRead) -> tuple:
        own = sum(1 for key in read.columns if key not in ("id", "alerts"))
        return (-own, len(read.path.parts), read.path.name.casefold() not in names, str(read.path))

    return sorted((r for r in reads if r.kind is not None and r.kind.key == "directory"), key=clarity)


def duplicates(reads: list[WorkbookRead]) -> list[tuple[WorkbookRead, Problem]]:
    """A name on a second directory row: `from_reads` uses the first one (in `ranked` order) only,
    so each later row is a problem (at its name cell) saying where the row in use is, what it
    holds, and what to do: the row to delete is always the one not used."""
    first: dict[str, tuple[WorkbookRead, Record]] = {}
    found = []
    for read in ranked(reads):
        if "name" not in read.columns:
            continue
        for rec in read.records:
            name = rec["name"]
            if not name:
                continue
            if name not in first:
                first[name] = (read, rec)
                continue
            used_read, used = first[name]
            file = "" if used_read is read else f"{used_read.path.name} "
            found.append((read, Problem(
                "duplicate-person", str(read.path), read.sheet, f"{col_letters(read.columns['name'] + 1)}{rec.row}",
                rec.row, "name", name, {"first": {"zh": f"{file}第{used.row}行", "en": f"{file}row {used.row}"},
                                        "department": used["department"] or "—", "email": used["email"] or "—"})))
    return found


def crosscheck(read: WorkbookRead, directory: Directory) -> list[Problem]:
    """unknown-person and unknown-department problems for one workbook (none without a directory)."""
    if not directory or read.kind is None:
        return []
    departments = directory.departments
    problems = []
    for column in read.kind.columns:
        j = read.columns.get(column.key)
        if j is None or column.type not in (ColumnType.PERSON, ColumnType.PEOPLE, ColumnType.DEPARTMENT):
            continue
        for rec in read.records:
            for value in _names(rec[column.key]):
                if _known(value, column.type, directory, departments):
                    continue
                code = "unknown-department" if column.type is ColumnType.DEPARTMENT else "unknown-person"
                problems.append(Problem(code, str(read.path), read.sheet, f"{col_letters(j + 1)}{rec.row}", rec.row,
                                        column.key, value, {"column": {"zh": column.zh, "en": column.en}}))
    return problems


def _names(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def _known(value: str, kind: ColumnType, directory: Directory, departments: set[str]) -> bool:
    if kind is ColumnType.DEPARTMENT:
        return value in departments
    # people columns such as 发起人/部门 may name a department instead of a person
    return value in directory or value in departments
