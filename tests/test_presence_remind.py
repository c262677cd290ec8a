"""Snooze, reminder modes and a stand-in, end to end: a folder made by `duban init`, its directory and
a task's 暂缓至 edited in a spreadsheet app (openpyxl), `duban remind` run on three days, and the
mail read back from the outbox folder: who got which mail (To and Cc) on which day. And `duban
explain` saying it, in both languages."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from books import cli
from duban.jobs.check import check_folder
from duban.jobs.explain import explain_row
from duban.jobs.init import init_folder
from duban.jobs.settings import config
from duban.workbooks.model.kinds import KINDS

PEOPLE = [  # name, department, head, reminders, away until, stand-in
    ("张伟", "研发部", "否", "", date(2026, 11, 24), "周杰"),
    ("李娜", "研发部", "是", "", None, ""),
    ("王芳", "财务部", "否", "", None, ""),
    ("赵敏", "财务部", "是", "每周", None, ""),
    ("周杰", "市场部", "否", "", None, ""),
    ("陈明", "市场部", "否", "仅群消息", None, ""),
]
ADDRESS = {name: f"p{i}@example.com" for i, (name, *_rest) in enumerate(PEOPLE)}
TASKS = [  # title, owner, due, 暂缓至
    ("季度预算编制", "张伟", date(2026, 11, 10), None),       # overdue and escalated to 李娜
    ("供应商对账", "张伟", date(2026, 11, 10), date(2026, 11, 25)),   # the same, snoozed until Wednesday
    ("年度审计准备", "赵敏", date(2026, 11, 25), None),       # due soon: 赵敏 takes the digest weekly
    ("展会物料", "陈明", date(2026, 11, 25), None),          # group only, but 市场部 has no group
]


def headers(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def fill(path: Path, rows: list[dict]) -> None:
    """Type rows into the sheet under its headers, as a person would in a spreadsheet app."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    at = headers(sheet)
    for r, values in enumerate(rows, start=2):
        for header, value in values.items():
            sheet.cell(r, at[header], value)
    book.save(path)


def make_folder(folder: Path) -> Path:
    init_folder(folder, "zh")
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("clerks = []", 'clerks = ["王芳"]', 1), encoding="utf-8")
    fill(folder / KINDS["directory"].filename("zh"), [
        {"姓名": n, "部门": d, "邮箱": ADDRESS[n], "部门负责人": h, "语言": "zh", "提醒方式": m or None,
         "休假至": away, "代理人": stand_in or None} for n, d, h, m, away, stand_in in PEOPLE])
    fill(folder / KINDS["tasks"].filename("zh"), [
        {"任务名称": t, "负责人": o, "截止日期": due, "状态": "进行中", "反馈时间": date(2026, 11, 20), "暂缓至": snooze}
        for t, o, due, snooze in TASKS])
    return folder


def remind(folder: Path, day: date) -> list[tuple[str, str, str, str]]:
    """`duban remind` on `day` at 09:30: the mails it wrote, as (kind, To, Cc, text) by name."""
    before = set((folder / "outbox").glob("*.eml")) if (folder / "outbox").exists() else set()
    done = cli("remind", str(folder), "--now", f"{day.isoformat()}T09:30")
    assert done.returncode == 0, done.stdout + done.stderr
    names = {a: n for n, a in ADDRESS.items()}
    found = []
    for path in sorted(set((folder / "outbox").glob("*.eml")) - before):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        to = ",".join(names[a.addr_spec] for a in message["To"].addresses)
        cc = ",".join(names[a.addr_spec] for a in message["Cc"].addresses) if message["Cc"] else ""
        text = message.get_body(("plain",)).get_content()
        found.append((kind_of(str(message["Subject"])), to, cc, text))
    return sorted(found, key=lambda m: m[:3])


def kind_of(subject: str) -> str:
    for word, kind in (("升级", "escalation"), ("数据问题", "problems"), ("紧急", "alert")):
        if word in subject:
            return kind
    return "digest"


def titles(text: str) -> list[str]:
    return [t for t, *_rest in TASKS if re.search(t, text)]


@pytest.mark.slow
def test_three_days_of_remind_with_a_snooze_a_weekly_person_a_group_only_person_and_a_stand_in(tmp_path):
    folder = make_folder(tmp_path)
    # Monday: 张伟 is away, so his digest goes to 周杰 with him in cc, without the snoozed row
    monday = remind(folder, date(2026, 11, 23))
    by = {(k, to, cc): titles(text) for k, to, cc, text in monday}
    assert by[("digest", "周杰", "张伟")] == ["季度预算编制"]
    # the weekly 赵敏 hears on the week's first working day; 陈明 (group only, no group) by mail still
    assert by[("digest", "赵敏", "")] == ["年度审计准备"]
    assert by[("digest", "陈明", "")] == ["展会物料"]
    # the snoozed row still escalates: 李娜 hears of both
    assert by[("escalation", "李娜", "")] == ["季度预算编制", "供应商对账"]
    assert ("digest", "张伟", "") not in by
    [report] = [text for k, to, _cc, text in monday if k == "problems" and to == "王芳"]
    assert "陈明的提醒方式是“仅群消息”" in report
    # Tuesday, 张伟's last day away: 周杰 again; 赵敏 nothing (weekly); the snooze holds
    tuesday = {(k, to, cc): titles(text) for k, to, cc, text in remind(folder, date(2026, 11, 24))}
    assert tuesday[("digest", "周杰", "张伟")] == ["季度预算编制"]
    assert not any(to == "赵敏" for _k, to, _cc in tuesday)
    # Wednesday: 张伟 is back and the snooze day has come: both rows, to him, nobody in cc
    wednesday = {(k, to, cc): titles(text) for k, to, cc, text in remind(folder, date(2026, 11, 25))}
    assert wednesday[("digest", "张伟", "")] == ["季度预算编制", "供应商对账"]
    assert not any(to == "周杰" and cc == "张伟" for _k, to, cc in wednesday)
    assert not any(to == "赵敏" for _k, to, _cc in wednesday)
    # the snoozed row keeps its flags and Alerts cell: as late, and escalated, as its twin
    sheet = openpyxl.load_workbook(folder / KINDS["tasks"].filename("zh")).worksheets[0]
    alerts = {sheet.cell(r, headers(sheet)["任务名称"]).value: sheet.cell(r, headers(sheet)["系统提示"]).value
              for r in (2, 3)}
    assert alerts["供应商对账"] == alerts["季度预算编制"] and "已升级" in alerts["供应商对账"]


def explained(folder: Path, row_id: str, lang: str, day: date = date(2026, 11, 23)) -> list[str]:
    settings = config.load(folder).changed(company={"language": lang})
    now = datetime(day.year, day.month, day.day, 10, 0, tzinfo=settings.company.tz)
    check_folder(folder, settings, now)
    return explain_row(folder, settings, now, row_id).facts


def test_explain_says_snoozed_muted_and_away_in_both_languages(tmp_path):
    folder = make_folder(tmp_path)
    facts = explained(folder, "T-000002", "zh")      # the snoozed row of the away 张伟
    assert "暂缓至 2026-11-25：此前本行不出现在每日摘要中（个人和部门群的），2026-11-25 当天重新出现；" \
           "截止日期、颜色、升级和紧急提醒都不变。" in facts
    assert "负责人 张伟 休假至 2026-11-24：本行的每日摘要和紧急提醒发给代理人 周杰，抄送 张伟。" in facts
    facts = explained(folder, "T-000002", "en")
    assert "Snooze until 2026-11-25: the row stays out of the daily digests (people's and groups') until then and " \
           "is back on 2026-11-25; its due date, colour, escalation and urgent alerts do not change." in facts
    assert "The owner 张伟 is away until 2026-11-24: this row's digests and urgent alerts go to the stand-in 周杰, " \
           "with 张伟 in cc." in facts
    # on the snooze day, and with 张伟 back
    facts = explained(folder, "T-000002", "en", date(2026, 11, 25))
    assert "Snooze until 2026-11-25: reached; the row is back in the daily digests." in facts
    assert not any("away" in f for f in facts)
    # the weekly owner, the group-only owner without a group
    assert "负责人 赵敏 的提醒方式为“每周”：每日摘要只在每周第一个工作日（本周为 2026-11-23）发邮件；升级和紧急提醒照常发送。" \
        in explained(folder, "T-000003", "zh")
    assert "The owner 陈明 takes reminders by group only, but their department \"市场部\" has no group in " \
           "[im.departments] of duban.toml, so the daily digest still goes by mail." in explained(folder, "T-000004", "en")
    # no snooze, and the owner takes the digest by mail: nothing of that said
    assert [f for f in explained(folder, "T-000001", "zh") if "暂缓" in f or "提醒方式" in f] == []


def test_explain_names_the_stand_in_an_escalation_goes_to_and_a_broken_chain(tmp_path):
    folder = make_folder(tmp_path)
    book = openpyxl.load_workbook(folder / KINDS["directory"].filename("zh"))
    sheet = book.worksheets[0]
    at = headers(sheet)
    sheet.cell(3, at["休假至"], date(2026, 11, 30))          # 李娜, the head 张伟's rows escalate to
    sheet.cell(3, at["代理人"], "赵敏")
    sheet.cell(2, at["代理人"], "无名氏")                      # 张伟's stand-in: nobody in the directory
    book.save(folder / KINDS["directory"].filename("zh"))
    facts = explained(folder, "T-000001", "zh")
    assert "升级提醒的接收人 李娜 休假至 2026-11-30：本行的升级提醒改发代理人 赵敏，抄送 李娜。" in facts
    assert "负责人 张伟 休假至 2026-11-24，但提醒仍发给本人：张伟休假至 2026-11-24，但代理人“无名氏”不在通讯录中，" \
           "休假期间的提醒仍发给张伟本人。请更正代理人姓名，或在通讯录中添加此人及其邮箱。" in facts
    assert "李娜, whom this row's escalation goes to, is away until 2026-11-30: it goes to the stand-in 赵敏 " \
           "instead, with 李娜 in cc." in explained(folder, "T-000001", "en")
