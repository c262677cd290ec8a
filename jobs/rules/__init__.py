"""The rules registry: each rule is a flag type (what is said about it) and the function that raises it.

A rule is declared once as data, on its flag type in `workbooks.model.flags` (its words in both
languages, English count nouns, next step per kind, urgency, colour, rank and the columns it
reads, so the Guide sheet, the mail and the summary can say it without importing jobs), and its
function here, a small pure function (record, context) -> Flag | None named after the flag.
`RULES` pairs them; `register` adds a new `Rule` (flag type and function together) at run time,
which is how a rule reaches the check, explain, the mail and the summary in one step.
`evaluate` runs every rule that applies to a record's kind and returns its flags, most severe first.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from duban.jobs.rules import customers, deadlines, progress, sla
from duban.jobs.rules.base import Context, Flag, RowHistory
from duban.workbooks.model import flags as flag_types
from duban.workbooks.model.flags import FLAGS, FlagType
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Kind


@dataclass(frozen=True)
class Rule:
    """One rule: its flag type and the function that raises it; called like that function."""

    type: FlagType
    check: Callable[[Record, Context], Flag | None]

    def __post_init__(self):
        object.__setattr__(self, "__name__", self.type.code)    # explain and the tests name a rule by its code

    @property
    def code(self) -> str:
        return self.type.code

    def __call__(self, record: Record, ctx: Context) -> Flag | None:
        return self.check(record, ctx)


_CHECKS = (deadlines.overdue, deadlines.due_soon, deadlines.escalated, progress.blocked, progress.stale,
           sla.not_acknowledged, sla.no_first_plan, sla.incident_unanswered, sla.incident_report_late,
           sla.minutes_late, customers.customer_followup_late, progress.data_problem, progress.done)

# the registry: code -> Rule, in declaration order
RULES: dict[str, Rule] = {check.__name__: Rule(FLAGS[check.__name__], check) for check in _CHECKS}
assert RULES.keys() == FLAGS.keys(), "every flag type has exactly one rule"


def register(rule: Rule) -> None:
    """Add `rule` (and its flag type, for the Guide, the mail and the summary) to the registries."""
    if rule.code in RULES:
        raise ValueError(f"rule {rule.code!r} is declared twice")
    if FLAGS.get(rule.code) is not rule.type:
        flag_types.register(rule.type)
    RULES[rule.code] = rule


def unregister(code: str) -> None:
    RULES.pop(code, None)
    flag_types.unregister(code)


@contextmanager
def registered(rule: Rule) -> Iterator[Rule]:
    """`rule` registered for the length of a `with` block (tests add a toy rule this way)."""
    register(rule)
    try:
        yield rule
    finally:
        unregister(rule.code)


def rules_for(kind: Kind, only: frozenset[str] | None = None) -> list[Rule]:
    """The rules that can fire on `kind` (`only`: just these flag codes, e.g. the urgent ones)."""
    return [rule for code, rule in RULES.items()
            if rule.type.applies_to(kind) and (only is None or code in only)]


def evaluate(record: Record, ctx: Context, rules: list | None = None) -> list[Flag]:
    """Every flag on one record, most severe first."""
    found = [flag for check in _checks(rules or rules_for(record.kind), record, ctx) if (flag := check(record, ctx))]
    if len(found) > 1:
        found.sort(key=_rank)
    return found


def _checks(rules: list, record: Record, ctx: Context) -> list[Callable]:
    """The functions to call for `rules` on `record`: each Rule's own check, a call less per rule
    and row (a check evaluates every rule on 100,000 rows), and on a done row only those that can
    fire on one (`OPEN_ONLY`); worked out once per rules list and Context."""
    held = ctx.memo.get(_CHECKS)
    if held is None or held[0] is not rules:
        checks = [rule.check if rule.__class__ is Rule else rule for rule in rules]
        held = ctx.memo[_CHECKS] = (rules, checks, [check for check in checks if check not in OPEN_ONLY])
    return held[2] if record.done else held[1]


_CHECKS = ("rules", "checks")      # the memo key of `_checks`
# The checks that return None on a done row before reading anything else (each says so in its
# first lines): evaluate does not call them for done rows. A registered rule is always called.
OPEN_ONLY = frozenset({deadlines.overdue, deadlines.due_soon, deadlines.escalated, progress.blocked, progress.stale,
                       sla.not_acknowledged, sla.no_first_plan, sla.incident_unanswered})


def _rank(flag: Flag) -> int:
    return flag.rank


__all__ = ["Context", "Flag", "Rule", "RowHistory", "RULES", "evaluate", "register", "registered", "rules_for",
           "unregister"]
