"""A new workbook kind, or a new rule, is one declaration registered in one place.

Each test registers one object (a toy `Kind`, or a toy `Rule` carrying its flag type) and sees it
reach everything a clerk and the staff see: the check (a workbook of the kind is read and its rows
flagged), a digest in Chinese and in English (a rule with its English count noun), explain, and
the weekly report. Nothing else is edited; the registries are put back after each test.
"""
from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from pathlib import Path

import pytest

from books import NOW, settings, task
from duban.jobs import rules
from duban.jobs.check import check_folder
from duban.jobs.explain import explain_row
from duban.jobs.remind import remind
from duban.jobs.rules.base import Flag, people
from duban.jobs.summary.job import summary
from duban.jobs.summary.view import scope_view
from duban.mailer.summary import render_summary
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model import kinds
from duban.workbooks.model.flags import FlagType
from duban.workbooks.model.kinds import KINDS, WORK_STATUS
from duban.workbooks.model.schema import Column, ColumnType as T, Kind, Role as R

MORNING = NOW.replace(minute=30)            # Monday 2026-11-23 09:30
EVENING = NOW.replace(hour=18)              # the same day, after the week's report is due
PEOPLE = [{"name": "张伟", "department": "研发部", "email": "zhang.wei@example.com", "dept_head": "yes", "language": "zh"},
          {"name": "周杰", "department": "研发部", "email": "zhou.jie@example.com", "dept_head": "no", "language": "en"}]
NAMES = [p["name"] for p in PEOPLE]


def _column(key, zh, en, type_, required=False, role=None, **more) -> Column:
    return Column(key, zh, en, type_, required, role, help_zh=f"{zh}。", help_en=f"{en}.", **more)


ERRANDS = Kind(
    "errands", "跑腿单", "Errands", "跑腿单.xlsx", "Errands.xlsx", "E",
    (_column("id", "编号", "ID", T.ID, role=R.ID, job_owned=True),
     _column("errand", "跑腿事项", "Errand", T.TEXT, True, R.TITLE),
     _column("owner", "负责人", "Owner", T.PERSON, True, R.OWNER),
     _column("due", "截止日期", "Due", T.DATE, True, R.DUE),
     _column("status", "状态", "Status", T.ENUM, role=R.STATUS, choices=WORK_STATUS),
     _column("alerts", "系统提示", "Alerts", T.TEXT, role=R.ALERTS, job_owned=True)),
    help_zh="跑腿单：谁在哪天前办好哪件小事。", help_en="Errands: who runs which small errand by when.")


def _rush(record, ctx):
    """A toy rule: a row whose title asks for haste (加急 / RUSH) and is not done."""
    title = str(record.role(R.TITLE) or "")
    if record.done or not ("加急" in title or "RUSH" in title.upper()):
        return None
    return Flag("rush", "标为加急", "marked rush", people(record, R.OWNER))


RUSH = rules.Rule(FlagType(
    "rush", "amber", 13, "加急", "Rush", "事项名称中写有“加急”且未完成。", "The title says RUSH and it is not done.",
    needs=(R.TITLE, R.STATUS), nouns=("rush item", "rush items"),
    steps={None: ("先办这一项，办完后更新{c[status]}。", "Do this one first, then update {c[status]}.")}), _rush)


@pytest.fixture
def errands():
    with kinds.registered(ERRANDS):       # the one place
        yield ERRANDS
    assert "errands" not in KINDS


@pytest.fixture
def rush():
    with rules.registered(RUSH):          # the one place
        yield RUSH
    assert "rush" not in rules.RULES


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "share"
    folder.mkdir()
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=PEOPLE)
    return folder


def _mails(folder: Path) -> dict[str, email.message.EmailMessage]:
    found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in sorted((folder / "outbox").glob("*.eml"))]
    return {m["To"].addresses[0].display_name: m for m in found}


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _week(folder: Path, s) -> dict[str, str]:
    """The weekly report's company view in both languages, as its mail's text part. duban first saw
    the rows this Monday, so last week is the baseline: what stands now."""
    run = summary(folder, s, EVENING, "week")
    figures = run.stock or run.figures
    return {lang: render_summary(scope_view(figures, "company", None, {}, None, lang, folder, None, "王芳", EVENING,
                                            s, 8), lang).text for lang in ("zh", "en")}


def test_a_kind_registered_in_one_place_is_checked_mailed_explained_and_summarised(tmp_path, errands):
    folder = _folder(tmp_path)
    write_workbook(errands, folder / errands.filename("zh"), names=NAMES, rows=[
        {"errand": "取快递", "owner": "张伟", "due": date(2026, 11, 18), "status": "in_progress"},
        {"errand": "Post the contracts", "owner": "周杰", "due": date(2026, 11, 20), "status": "in_progress"},
        {"errand": "订会议室", "owner": "张伟", "due": date(2026, 12, 18), "status": "in_progress"}])
    s = settings(mail={"clerks": ["张伟"]})

    [book] = [w for w in check_folder(folder, s, MORNING).workbooks if w.read.kind is errands]
    assert {row: [f.rule for f in found] for row, found in book.flags.items()} == {
        2: ["escalated", "overdue"], 3: ["overdue"], 4: []}
    assert [rec.id for rec in book.read.records] == ["E-000001", "E-000002", "E-000003"]

    remind(folder, s, MORNING)
    mails = _mails(folder)
    assert str(mails["周杰"]["Subject"]) == "[duban] You have 1 overdue item — 2026-11-23"
    assert "Post the contracts" in _text(mails["周杰"]) and errands.filename("zh") in _text(mails["周杰"])
    assert 'When it is done, set "状态" to a done status.' in _text(mails["周杰"])     # the rule's step for any kind
    assert str(mails["张伟"]["Subject"]).startswith("【督办】您有1项逾期")
    assert "取快递" in _text(mails["张伟"])

    said = explain_row(folder, s, MORNING, "E-000002")
    assert {v.rule: v.fired for v in said.verdicts} == {
        "escalated": False, "overdue": True, "blocked": False, "due_soon": False, "data_problem": False, "done": False}

    week = _week(folder, s)
    assert "E-000001 取快递" in week["zh"] and "E-000002 Post the contracts" in week["zh"]
    assert "订会议室" not in week["zh"] and "逾期最久的事项（前2项，共2项）" in week["zh"]
    assert "Longest overdue (2 of 2)" in week["en"] and "Open: 3" in week["en"]


def test_a_rule_registered_in_one_place_is_checked_mailed_explained_and_summarised(tmp_path, rush):
    folder = _folder(tmp_path)
    soon = (MORNING + timedelta(days=30)).date()
    write_workbook("tasks", folder / KINDS["tasks"].filename("zh"), names=NAMES, rows=[
        task("加急：打印标书", owner="张伟", due=soon, last_update=date(2026, 11, 23)),
        task("RUSH: call the printer", owner="周杰", due=soon, last_update=date(2026, 11, 23)),
        task("整理档案", owner="张伟", due=soon, last_update=date(2026, 11, 23))])
    s = settings(mail={"clerks": ["张伟"]})

    [book] = [w for w in check_folder(folder, s, MORNING).workbooks if w.read.kind is KINDS["tasks"]]
    assert {row: [f.rule for f in found] for row, found in book.flags.items()} == {2: ["rush"], 3: ["rush"], 4: []}

    remind(folder, s, MORNING)
    mails = _mails(folder)
    assert str(mails["周杰"]["Subject"]) == "[duban] You have 1 rush item — 2026-11-23"
    assert "Marked rush" in _text(mails["周杰"]) and 'Do this one first, then update "状态".' in _text(mails["周杰"])
    assert str(mails["张伟"]["Subject"]) == "【督办】您有1项加急 — 2026-11-23"
    assert "标为加急" in _text(mails["张伟"]) and "先办这一项，办完后更新“状态”。" in _text(mails["张伟"])

    said = explain_row(folder, s, MORNING, "T-000001")
    [verdict] = [v for v in said.verdicts if v.rule == "rush"]
    assert (verdict.name, verdict.fired, verdict.why) == ("加急 (rush)", True, "标为加急")

    week = _week(folder, s)
    assert "当前提示：加急 2项" in week["zh"] and "Flags now: 2 rush items" in week["en"]
