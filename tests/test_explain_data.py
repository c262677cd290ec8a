"""`explain` returns data (the row, its facts, every rule's verdict); the terminal prints it and the
Excel console shows it as rows, each from the same Explanation."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.check import check_folder
from duban.jobs.explain import TEXT, Explanation, explain_row
from duban.jobs.init import init_folder
from duban.jobs.rules import rules_for
from duban.jobs.settings import config
from duban.jobs.terminal.explain import show
from duban.jobs.terminal.report import out
from duban.macros.actions import explanation_result

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def explained(tmp_path, kind: list | None = None) -> Explanation:
    folder = tmp_path / "共享"
    init_folder(folder, lang="zh", demo=True, today=date(2026, 11, 23))
    settings = config.load(folder)
    report = check_folder(folder, settings, NOW)
    flagged = next((wb, row) for wb in report.workbooks for row, flags in wb.flags.items()
                   if any(f.rule == "overdue" for f in flags))
    ident = next(rec.id for rec in flagged[0].read.records if rec.row == flagged[1])
    if kind is not None:
        kind.append(flagged[0].read.kind)
    return explain_row(folder, settings, NOW, ident)


@pytest.mark.slow
def test_explain_returns_every_rule_and_the_facts(tmp_path):
    kind: list = []
    said = explained(tmp_path, kind)
    assert said.lang == "zh" and said.where == f"第{said.row}行"
    assert said.facts[0].startswith("现在：2026-11-23 09:00")
    read_kind = next(v for v in said.verdicts if v.rule == "overdue")
    assert read_kind.fired and read_kind.name.endswith("(overdue)") and read_kind.why
    assert [v.rule for v in said.verdicts] == [rule.code for rule in rules_for(kind[0])]   # every rule of its kind
    assert any(not v.fired for v in said.verdicts)


@pytest.mark.slow
def test_the_terminal_and_the_console_show_the_same_verdicts(tmp_path):
    said = explained(tmp_path)
    with out.capture() as captured:
        show(said)
    text = captured.get()
    t = TEXT["zh"]
    assert text.splitlines()[0] == f"{said.row_id}  {said.relpath} · {said.sheet} {said.where}{said.kind}"
    result = explanation_result(said, "zh", NOW)
    table = result.tables[0]
    assert table.header == [t["rule"], t["fired"], t["why"]]
    assert table.rows == [[v.name, t["yes"] if v.fired else t["no"], v.why] for v in said.verdicts]
    assert result.lines[0] == text.splitlines()[0] and result.lines[1:1 + len(said.facts)] == said.facts
    for v in said.verdicts:
        assert v.name in text
