"""Who hears in whose place today, and which digests go: snooze, reminder modes, stand-ins. Pure.

The directory, the day and the calendar in, answers out. The router (router.py) asks it while it
plans digests and alerts, the group planner (groups.py) for snoozed rows and @-mentions, and
`explain` for what it says about a row:
- snooze (暂缓至): a row whose snooze date is after today is in no digest, a person's or a group's,
  until that day; on the day itself it is back ("暂缓至 12-10" = remind me again on 12-10). Its due
  date, flags, colour, escalation and urgent alerts are untouched, and the weekly summary counts it.
- reminder mode (提醒方式): "group" leaves out of the person's mail digest the rows their own
  department's group digest lists (anything else still comes by mail; with no group for their
  department everything does, and the clerks are told); "weekly" mails the digest on the first
  working day of the week only. Escalations and urgent alerts ignore the mode. The mode of the
  person whose digest it is decides, also while a stand-in receives it.
- stand-in (代理人): while a person is away (休假至, inclusive), their digests, urgent alerts and
  escalations go to the first present person down the stand-in chain, the absent person in cc
  (`Notice.on_behalf` says whose they are). A chain that loops, or names someone the directory
  lacks or no channel can reach, leaves the notice with the absent person, and is a problem for
  the clerks: never a loop, never a lost notice.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Callable

from duban.jobs.notify.channels import CHANNELS
from duban.jobs.notify.router import Notice, Router, names, owner_department
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.directory import Directory, Person, ranked
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import Record, WorkbookRead
from duban.workbooks.model.schema import Role

HEARD = ("digest", "alert", "escalation")      # the notices a stand-in receives in an absent person's place
CODES = ("stand-in-unknown", "stand-in-no-address", "stand-in-cycle", "reminders-no-group")   # problems.py


@dataclass(frozen=True)
class Standing:
    """Who hears for `name` today. `hearer` is `name` itself when they are present, or when the
    stand-in chain is broken (`broken`: the problem code, `at`: whose 代理人 cell breaks it)."""

    name: str
    hearer: str
    chain: tuple[str, ...] = ()      # the absent people walked from `name` on (a cycle: the loop)
    broken: str = ""                 # stand-in-unknown | stand-in-no-address | stand-in-cycle
    at: str = ""

    @property
    def delegated(self) -> bool:
        return self.hearer != self.name


def standing(directory: Directory, name: str, today: date) -> Standing:
    """Follow 代理人 from `name` while the person is away, to the first present one."""
    chain: list[str] = []
    person = directory.people.get(name)
    while person is not None and person.away(today):
        chain.append(person.name)
        nxt = directory.people.get(person.stand_in or "")
        if nxt is None:
            return Standing(name, name, tuple(chain), "stand-in-unknown", person.name)
        if nxt.name in chain:       # the loop itself, closed: 张伟 → 李娜 → 张伟
            loop = (*chain[chain.index(nxt.name):], nxt.name)
            return Standing(name, name, loop, "stand-in-cycle", person.name)
        if not CHANNELS["mail"].address(nxt):
            return Standing(name, name, tuple(chain), "stand-in-no-address", person.name)
        person = nxt
    return Standing(name, person.name if person is not None else name, tuple(chain))


def with_stand_ins(people: list[Person], directory: Directory, today: date) -> list[Person]:
    """`people` with, after each away one, who hears in their place (a group bot @-mentions both)."""
    found: dict[str, Person] = {}
    for person in people:
        found.setdefault(person.name, person)
        hearer = standing(directory, person.name, today).hearer
        if hearer != person.name:
            found.setdefault(hearer, directory.people[hearer])
    return list(found.values())


def first_workday_of_week(day: date, calendar: WorkCalendar | None) -> date:
    """The first working day of `day`'s week (Monday to Sunday): the weekly digest's day."""
    monday = day - timedelta(days=day.weekday())
    if calendar is None:
        return monday
    first = calendar.next_workday(monday)
    return first if first <= monday + timedelta(days=6) else monday


def snoozed_until(rec: Record) -> date | None:
    """The row's 暂缓至 as a day, None when blank (or not a date: the reader reported that)."""
    value = rec.role(Role.SNOOZED)
    return value.date() if isinstance(value, datetime) else value if isinstance(value, date) else None


@dataclass
class Presence:
    """Today's answers for routing (see module doc). `group_of` maps a department to its group's
    name (None: no group); `rows` locates each person's directory row for the clerks' problems."""

    directory: Directory
    today: date
    calendar: WorkCalendar | None = None
    group_of: Callable[[str], str | None] = lambda _department: None
    rows: dict[str, tuple[str, str, int, dict[str, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, reads: list[WorkbookRead], directory: Directory, today: date, calendar: WorkCalendar | None,
           settings) -> "Presence":
        """From a run's reads and settings: the groups of [im.departments], the directory's rows."""
        rows: dict[str, tuple[str, str, int, dict[str, int]]] = {}
        for read in ranked(reads):
            for rec in read.records:
                if rec["name"]:
                    rows.setdefault(rec["name"], (str(read.path), read.sheet, rec.row, read.columns))

        def group_of(department: str) -> str | None:
            group = settings.im.of_department(department) if department else None
            return group.name if group is not None else None
        return cls(directory, today, calendar, group_of, rows)

    # ---- snooze and modes: the digests --------------------------------------------------------
    def snoozed(self, rec: Record) -> bool:
        """The row stays out of every digest today (back on its snooze day)."""
        until = snoozed_until(rec)
        return until is not None and until > self.today

    def mode(self, name: str) -> str:
        person = self.directory.people.get(name)
        return person.reminders if person is not None else "mail"

    def weekly_day(self) -> date:
        return first_workday_of_week(self.today, self.calendar)

    def own_group(self, name: str) -> str | None:
        person = self.directory.people.get(name)
        return self.group_of(person.department) if person is not None and person.department else None

    def mails(self, name: str, rec: Record, router: Router) -> bool:
        """Whether `name`'s mail digest lists `rec` today, by their mode: weekly only on the week's
        first working day; group only where their own department's group digest lists the row."""
        mode = self.mode(name)
        if mode == "weekly":
            return self.today == self.weekly_day()
        if mode == "group":
            group = self.own_group(name)
            return group is None or self.group_of(owner_department(rec, router) or "") != group
        return True

    # ---- stand-ins: every notice a person would hear ------------------------------------------
    def standing(self, name: str) -> Standing:
        return standing(self.directory, name, self.today)

    def redirect(self, notices: list[Notice], router: Router) -> list[Notice]:
        """Digests, alerts and escalations of an away person to who hears in their place, with the
        absent person in cc. An escalation about the stand-in's own row stays with the absent one
        (an escalation never goes to the person it is about)."""
        out: list[Notice] = []
        for notice in notices:
            found = self.standing(notice.recipient.name) if notice.kind in HEARD and notice.channel == "mail" else None
            if found is None or not found.delegated:
                out.append(notice)
                continue
            own = [i for i in notice.items if notice.kind == "escalation" and found.hearer in _owners(i.owner)]
            if own:
                out.append(replace(notice, items=own))
            rest = [i for i in notice.items if i not in own]
            if rest or not notice.items:
                hearer = router.person(found.hearer, self._where(notice.recipient.name))
                cc = [notice.recipient] + [p for p in notice.cc if p.name not in (found.hearer, notice.recipient.name)]
                out.append(replace(notice, recipient=hearer, items=rest, cc=cc, on_behalf=notice.recipient))
        return out

    # ---- the clerks' problems -----------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """Broken stand-in chains of people away today, and "group only" people whose department has
        no group (their digest still goes by mail): each once, at the directory cell to fix."""
        found = []
        seen: set = set()
        for person in self.directory.people.values():
            got = self.standing(person.name)
            cycle = got.broken == "stand-in-cycle"
            said = (got.broken, frozenset(got.chain) if cycle else got.at)
            if got.broken and said not in seen:
                seen.add(said)
                found.append(self.broken(got))
            if person.reminders == "group" and self.own_group(person.name) is None:
                department = person.department or "—"
                found.append(self._problem("reminders-no-group", person, "reminders", {"department": department}))
        return found

    def broken(self, got: Standing) -> Problem:
        """The problem of a broken stand-in chain, at the 代理人 cell that breaks it."""
        at = self.directory.people[got.at]
        return self._problem(got.broken, at, "stand_in", {
            "stand_in": at.stand_in or "", "until": str(at.away_until),
            "chain": " → ".join(got.chain) if got.broken == "stand-in-cycle" else ""})

    def _problem(self, code: str, person: Person, column: str, params: dict) -> Problem:
        path, sheet, row, columns = self.rows.get(person.name, ("directory", None, None, {}))
        j = columns.get(column)
        cell = f"{col_letters(j + 1)}{row}" if j is not None and row is not None else None
        return Problem(code, path, sheet, cell, row, column, person.name, params)

    def _where(self, name: str) -> str:
        return self.rows[name][0] if name in self.rows else "directory"


def _owners(owner: str) -> list[str]:
    return names(tuple(owner.split("、")) if owner else None)
