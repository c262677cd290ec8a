"""The rules, as data: each is a small pure function (record, context) -> Flag | None.

`evaluate` runs every rule that applies to a record's kind and returns its flags, most
severe first. A rule applies when the kind has the columns (roles) it reads, so one rule
serves every kind that has a due date, a status or an owner; adding a rule is one line here.
"""
from __future__ import annotations

from workbooks.records import Record
from workbooks.schema import Kind, Role

from . import customers, deadlines, progress, sla
from .base import Context, Flag, RowHistory

R = Role
RULES = (
    (deadlines.overdue, (R.DUE, R.STATUS)),
    (deadlines.due_soon, (R.DUE, R.STATUS)),
    (deadlines.escalated, (R.STATUS,)),
    (progress.blocked, (R.STATUS,)),
    (progress.stale, (R.STATUS, R.LAST_UPDATE)),
    (sla.not_acknowledged, (R.SUBMITTED, R.ACKNOWLEDGED)),
    (sla.no_first_plan, (R.SUBMITTED, R.FIRST_PLAN)),
    (sla.incident_unanswered, (R.OCCURRED, R.RESPONDED)),
    (sla.incident_report_late, (R.OCCURRED, R.REPORT_FILED)),
    (sla.minutes_late, (R.HELD_AT, R.MINUTES_SENT)),
    (customers.customer_followup_late, (R.LAST_CONTACT,)),
    (progress.data_problem, ()),
    (progress.done, (R.STATUS,)),
)


def rules_for(kind: Kind) -> list:
    return [rule for rule, roles in RULES if all(kind.role_key(r) for r in roles)]


def evaluate(record: Record, ctx: Context, rules: list | None = None) -> list[Flag]:
    """Every flag on one record, most severe first."""
    found = [flag for rule in (rules or rules_for(record.kind)) if (flag := rule(record, ctx))]
    if len(found) > 1:
        found.sort(key=_rank)
    return found


def _rank(flag: Flag) -> int:
    return flag.rank


__all__ = ["Context", "Flag", "RowHistory", "RULES", "evaluate", "rules_for"]
