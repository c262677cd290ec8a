"""Every rule and every kind declares all that the rest of duban needs to say about it.

The rules (flag types in workbooks.model.flags, their functions in jobs.rules.RULES) and the kinds
(workbooks.model.kinds.KINDS) are each one registry; these tests walk them and name what a
declaration leaves out, so a forgotten English noun or next step fails here, not in an English
digest on a clerk's PC. `missing_for_rule` and `missing_for_kind` are also run on incomplete toy
declarations, to show they name the gap.
"""
from __future__ import annotations

import re

import pytest

from duban.jobs.rules import RULES, Rule
from duban.workbooks.model.flags import FLAGS, PALETTE, FlagType, Urgency
from duban.workbooks.model.kinds import KINDS, counted
from duban.workbooks.model.schema import ColumnType, Kind, Role

PLACEHOLDER = re.compile(r"\{([cs])\[(\w+)\]\}")


def missing_for_rule(flag: FlagType, rule: Rule | None) -> list[str]:
    """What the rule `flag.code` does not say, each as a short phrase ([] when complete)."""
    gaps = []
    if rule is None or not callable(rule.check):
        gaps.append("a function in jobs.rules.RULES")
    elif rule.type is not flag:
        gaps.append("the same flag type in FLAGS and RULES")
    for field in ("zh", "en", "help_zh", "help_en"):
        if not getattr(flag, field).strip():
            gaps.append(f"words: {field}")
    if flag.colour not in PALETTE:
        gaps.append(f"a colour in the palette (not {flag.colour!r})")
    if not isinstance(flag.urgency, Urgency):
        gaps.append("an urgency (workbooks.model.flags.Urgency)")
    if flag.urgency is Urgency.HIGH_PRIORITY and not any(k.role_key(Role.PRIORITY) for k in KINDS.values()
                                                         if flag.applies_to(k)):
        gaps.append("a kind with a priority column, for its high-priority alerts")
    if not all(isinstance(role, Role) for role in flag.needs):
        gaps.append("its needs as column roles")
    if not flag.mailed:
        return gaps
    if len(flag.nouns) != 2 or not all(n.strip() for n in flag.nouns):
        gaps.append("English count nouns (singular, plural)")
    for kind in KINDS.values():
        if flag.applies_to(kind) and kind.flag_column is not None:
            gaps += [f"next step for {kind.key}: {gap}" for gap in _step_gaps(flag, kind)]
    return gaps


def _step_gaps(flag: FlagType, kind: Kind) -> list[str]:
    step = flag.step(kind.key)
    if step is None:
        return ["none declared"]
    if len(step) != 2 or not all(step):
        return ["both languages"]
    gaps = []
    for text in step:
        for table, key in PLACEHOLDER.findall(text):
            known = kind.by_key if table == "c" else kind.status_choices
            if key not in known:
                gaps.append(f"{'column' if table == 'c' else 'status'} {key!r}, which {kind.key} does not have")
    return list(dict.fromkeys(gaps))


def missing_for_kind(kind: Kind) -> list[str]:
    """What the kind `kind.key` does not say, each as a short phrase ([] when complete)."""
    gaps = [f"words: {field}" for field in ("sheet_zh", "sheet_en", "file_zh", "file_en", "help_zh", "help_en")
            if not getattr(kind, field).strip()]
    others = [k for k in KINDS.values() if k.key != kind.key]
    if any(k.id_prefix == kind.id_prefix for k in others) or not kind.id_prefix:
        gaps.append(f"an ID prefix of its own (not {kind.id_prefix!r})")
    if kind.by_role.get(Role.ID) is None:
        gaps.append("an ID column")
    for column in kind.columns:
        if not (column.zh.strip() and column.en.strip()):
            gaps.append(f"column {column.key}: headers in both languages")
        if not (column.help_zh.strip() and column.help_en.strip()):
            gaps.append(f"column {column.key}: help in both languages")
        if column.type is ColumnType.ENUM and not column.choices:
            gaps.append(f"column {column.key}: its choices")
        for choice in column.choices:
            if not (choice.zh and choice.en):
                gaps.append(f"column {column.key}: choice {choice.key} in both languages")
            if choice.colour is not None and choice.colour not in PALETTE:
                gaps.append(f"column {column.key}: choice {choice.key}'s colour in the palette")
    if not [f for f in FLAGS.values() if f.applies_to(kind)]:
        gaps.append("a rule that applies to it")
    if counted(kind) and not any(c.done for c in kind.status_choices.values()):
        gaps.append("a done status, for the reports to count it done")
    if counted(kind) and kind.by_role.get(Role.OWNER) is None:
        gaps.append("an owner column, for its reminders")
    return gaps


@pytest.mark.parametrize("code", list(FLAGS))
def test_every_rule_says_all_that_mail_explain_and_the_summary_need(code):
    assert missing_for_rule(FLAGS[code], RULES.get(code)) == []


@pytest.mark.parametrize("key", list(KINDS))
def test_every_kind_says_all_that_reading_mail_and_the_summary_need(key):
    kind = KINDS[key]
    if key in ("raci", "directory"):         # lists of people, not of work: no owner to remind
        assert not counted(kind)
    assert missing_for_kind(kind) == []


def test_the_two_registries_hold_the_same_rules_and_each_severity_once():
    assert RULES.keys() == FLAGS.keys()
    ranks = [f.rank for f in FLAGS.values()]
    assert len(set(ranks)) == len(ranks)


def test_urgency_is_declared_once_and_says_what_the_alert_job_does():
    """Unanswered incidents always alert; blocked rows alert when their priority is high."""
    assert {c: f.urgency for c, f in FLAGS.items() if f.urgent} == {
        "incident_unanswered": Urgency.ALWAYS, "blocked": Urgency.HIGH_PRIORITY}


class _Row:
    def __init__(self, priority):
        self.priority = priority

    def role(self, role):
        return self.priority if role is Role.PRIORITY else None


def test_a_flag_alerts_a_row_as_its_urgency_says():
    blocked, unanswered, overdue = FLAGS["blocked"], FLAGS["incident_unanswered"], FLAGS["overdue"]
    assert blocked.alerts(_Row("high")) and not blocked.alerts(_Row("low")) and not blocked.alerts(_Row(None))
    assert unanswered.alerts(_Row(None)) and not overdue.alerts(_Row("high"))


def test_a_rule_left_incomplete_is_named_with_what_it_lacks():
    flag = FlagType("toy_gap", "teal", 99, "玩具", "", "说明", "Help", needs=(Role.DUE,), steps={
        "tasks": ("把{c[wanted_by]}改为{s[received]}", "Set {c[wanted_by]} to {s[received]}")})
    assert missing_for_rule(flag, None) == [
        "a function in jobs.rules.RULES", "words: en", "a colour in the palette (not 'teal')",
        "English count nouns (singular, plural)",
        "next step for tasks: column 'wanted_by', which tasks does not have",
        "next step for tasks: status 'received', which tasks does not have",
        *[f"next step for {k.key}: none declared" for k in KINDS.values()
          if k.key != "tasks" and flag.applies_to(k) and k.flag_column is not None]]


def test_a_kind_left_incomplete_is_named_with_what_it_lacks():
    tasks = KINDS["tasks"]
    kind = Kind("toy_gap", "玩具", "", "玩具.xlsx", "Toy.xlsx", tasks.id_prefix, tasks.columns[:2], help_zh="说明")
    assert missing_for_kind(kind) == ["words: sheet_en", "words: help_en", "an ID prefix of its own (not 'T')"]
