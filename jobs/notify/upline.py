"""Escalation up the reporting line: who is told at each level above the department head.

Level 1 is the head of the owner's department (with the RACI Accountable and the help
department's head: jobs/notify/router.py `escalation_roles`). Level 2 is each such head's
直属上级 (Person.manager in the directory), level 3 that person's, and so on up to the level the
escalated rule gives the row (rules.escalation_levels; jobs/rules/deadlines.py). The line starts at
the owner's department heads only: it is the reporting line of the person whose work is late.

The walk never loops and never stops the run: it ends at a person with no 直属上级 on file
("no-manager") or at a 直属上级 already met on the way up ("manager-cycle", A → B → A). Both are
`Gap`s: jobs/notify/escalation.py tells the clerks (naming the people and the rows) and the
Alerts cell says how far the escalation got; the levels that exist are told all the same. A
直属上级 the directory does not list ends the walk too: the directory's own check names that
person, and the outbox says why they cannot be mailed.
"""
from __future__ import annotations

from dataclasses import dataclass

from duban.workbooks.model.directory import Directory


@dataclass(frozen=True)
class Step:
    """One manager told: at `level`, as the 直属上级 of `below` (who heads `department`, or "")."""

    person: str
    level: int
    below: str
    department: str = ""

    @property
    def why(self) -> tuple[str, str]:
        """The mail's reason (Item.why): ("manager", "王强") or, when 王强 heads a department,
        ("manager", "王强@研发部"): mailer/render.py `_why` says "您是研发部负责人王强的直属上级"."""
        return ("manager", f"{self.below}@{self.department}" if self.department else self.below)


@dataclass(frozen=True)
class Gap:
    """Where the line ends before the row's level: `people` is (the person without a 直属上级,)
    or the circle, its first name repeated at the end; `level` the level that was not reached."""

    kind: str                  # "no-manager" | "manager-cycle"
    people: tuple[str, ...]
    level: int

    @property
    def loop(self) -> str:
        return " → ".join(self.people)


@dataclass
class Climb:
    steps: list[Step]
    gaps: list[Gap]

    @property
    def reached(self) -> int:
        """The highest level someone was found for (1: the department head alone)."""
        return max((step.level for step in self.steps), default=1)


def climb(directory: Directory, department: str | None, level: int) -> Climb:
    """The managers above each head of `department` (level 1) up to `level`, and where a line ended
    early (nothing at level 1, or without a department)."""
    found = Climb([], [])
    heads = [p.name for p in directory.heads(department)] if department and level > 1 else []
    for head in heads:
        path = [head]
        for at in range(2, level + 1):
            below = directory.people.get(path[-1])
            if below is None:
                break
            boss = below.manager
            if not boss:
                _add(found.gaps, Gap("no-manager", (below.name,), at))
                break
            if boss in path:
                _add(found.gaps, Gap("manager-cycle", (*path[path.index(boss):], boss), at))
                break
            found.steps.append(Step(boss, at, below.name, (below.department or "") if below.head else ""))
            path.append(boss)
    return found


def _add(gaps: list[Gap], gap: Gap) -> None:
    """One gap per circle however it was entered (A → B → A and B → A → B are one circle)."""
    same = [g for g in gaps if g.kind == gap.kind and set(g.people) == set(gap.people)]
    if not same:
        gaps.append(gap)
