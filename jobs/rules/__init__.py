"""The rules, as data: each is a small pure function (record, context) -> Flag | None.

`evaluate` runs every rule that applies to a record's kind and returns its flags, most
severe first. Which kinds a rule applies to is declared once, on its flag type in
`workbooks.flags` (`needs`: the columns, by role, it reads), so the Guide sheet of each
workbook lists exactly the flags checked here; one rule serves every kind that has a due
date, a status or an owner. Adding a rule is a flag type there and one line here.
"""
from __future__ import annotations

from duban.workbooks.model.flags import FLAGS
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Kind

from duban.jobs.rules import customers, deadlines, progress, sla
from duban.jobs.rules.base import Context, Flag, RowHistory

_BY_FLAG = {
    "overdue": deadlines.overdue,
    "due_soon": deadlines.due_soon,
    "escalated": deadlines.escalated,
    "blocked": progress.blocked,
    "stale": progress.stale,
    "not_acknowledged": sla.not_acknowledged,
    "no_first_plan": sla.no_first_plan,
    "incident_unanswered": sla.incident_unanswered,
    "incident_report_late": sla.incident_report_late,
    "minutes_late": sla.minutes_late,
    "customer_followup_late": customers.customer_followup_late,
    "data_problem": progress.data_problem,
    "done": progress.done,
}
assert _BY_FLAG.keys() == FLAGS.keys(), "every flag type has exactly one rule"

# (rule, the roles it needs), the roles taken from the flag type
RULES = tuple((rule, FLAGS[code].needs) for code, rule in _BY_FLAG.items())


def rules_for(kind: Kind, only: frozenset[str] | None = None) -> list:
    """The rules that can fire on `kind` (`only`: just these flag codes, e.g. the urgent ones)."""
    return [rule for code, rule in _BY_FLAG.items()
            if FLAGS[code].applies_to(kind) and (only is None or code in only)]


def evaluate(record: Record, ctx: Context, rules: list | None = None) -> list[Flag]:
    """Every flag on one record, most severe first."""
    found = [flag for rule in (rules or rules_for(record.kind)) if (flag := rule(record, ctx))]
    if len(found) > 1:
        found.sort(key=_rank)
    return found


def _rank(flag: Flag) -> int:
    return flag.rank


__all__ = ["Context", "Flag", "RowHistory", "RULES", "evaluate", "rules_for"]
