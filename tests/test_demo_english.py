"""The English demo is English throughout, and the demo's names fit the date it is made on (issue 17, 8 and 11)."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from books import cli
from duban.workbooks.make import demo
from duban.workbooks.model.kinds import KINDS

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _strings(rows: dict) -> list[str]:
    return [v for found in rows.values() for row in found for v in row.values() if isinstance(v, str)]


@pytest.mark.slow
def test_the_english_demos_mails_are_all_in_english(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo", "--lang", "en").returncode == 0
    assert cli("remind", str(folder)).returncode == 0
    reminders = sorted((folder / "outbox").glob("*.eml"))
    assert cli("alert", str(folder)).returncode == 0
    mails = sorted((folder / "outbox").glob("*.eml"))
    assert len(reminders) >= 10 and len(mails) > len(reminders)          # the urgent alerts too
    for path in mails:
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in (str(mail["subject"]), str(mail["to"]), mail.get_body(("plain",)).get_content(),
                     mail.get_body(("html",)).get_content()):
            assert not CJK.search(part), (path.name, CJK.findall(part)[:10], part[:300])


@pytest.mark.slow
def test_the_english_demo_directory_names_people_in_english_who_read_english(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo", "--lang", "en").returncode == 0
    people = load_workbook(folder / KINDS["directory"].filename("en")).worksheets[0]
    rows = list(people.iter_rows(min_row=2, values_only=True))
    header = [c.value for c in people[1]]
    assert len(rows) == len(demo.PEOPLE)
    assert {row[header.index("Language")] for row in rows} == {"en"}
    assert not [row for row in rows if CJK.search(" ".join(str(v) for v in row if v))]
    assert 'clerks = ["Wang Fang"]' in (folder / "duban.toml").read_text(encoding="utf-8")
    names = load_workbook(folder / KINDS["tasks"].filename("en"))["_names"]
    assert [c.value for c in names["A"]][1:] == demo.directory_names("en")


def test_the_english_demo_data_has_no_chinese_and_an_english_typo():
    rows = demo.demo_rows(date(2026, 12, 6), "en")
    assert not [s for s in _strings(rows) if CJK.search(s)]
    assert "Nov 31" in [row["due"] for row in rows["tasks"]]
    assert "Li Na, Sun Li" in [row["consulted"] for row in rows["raci"]]      # several names: commas


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_the_demo_project_is_this_quarters(lang):
    december = _strings(demo.demo_rows(date(2026, 12, 6), lang))
    assert not [s for s in december if re.search(r"Q[123]", s)]
    assert any(s.startswith("Q4") for s in december)
    august = _strings(demo.demo_rows(date(2026, 8, 3), lang))
    assert any(s.startswith("Q3") for s in august) and not [s for s in august if re.search(r"Q[124]", s)]


@pytest.mark.slow
def test_a_chinese_mail_about_a_hand_made_english_workbook_quotes_its_own_headers(tmp_path):
    """The reader reads Chinese, the workbook is headed in English as its maker typed it: the next
    step names "DUE" and "PROGRESS NOTE", the cells they will look for, not the template's words."""
    from openpyxl import Workbook

    from duban.workbooks.make.template import write_workbook

    write_workbook("directory", tmp_path / KINDS["directory"].filename("zh"), rows=[
        {"name": "张伟", "department": "市场部", "email": "zhangwei@example.com", "dept_head": "yes", "language": "zh"}])
    wb = Workbook()
    wb.active.append(["TASK", "OWNER", "DUE", "STATUS", "PROGRESS NOTE", "ALERTS"])
    wb.active.append(["Quarterly budget", "张伟", date(2026, 11, 19), "In progress", "Waiting for Finance"])
    wb.save(tmp_path / "my tasks.xlsx")
    (tmp_path / "duban.toml").write_text("[mail]\nhold_outside_office_hours = false\n", encoding="utf-8")
    done = cli("remind", str(tmp_path), "--now", "2026-11-23T10:00")
    assert done.returncode == 0, done.stderr
    [mail] = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
              for p in (tmp_path / "outbox").glob("*.eml")]
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    assert "Quarterly budget" in text and "请与发起人商定新的“DUE”，并在“PROGRESS NOTE”写明原因" in text, text
    assert "“Due”" not in text and "“截止日期”" not in text
