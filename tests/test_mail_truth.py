"""Issue 17 §1, §4, §9 and parts of §11, "what people read is true": links that open the file,
escalations that say why the reader got them, subjects that count what the body lists.

The mails are the real .eml files the outbox transport writes, read back with the email package;
`duban remind` runs as a real process where the folder argument matters."""
from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from books import task
from duban.jobs.remind import alert, remind
from test_mail_content import MORNING, TASKS, config, html_of, mail_to, make_folder, text_of as _text_of

TOML = '[mail]\nclerks = ["王芳"]\nhold_outside_office_hours = false\n'


def _remind_from_parent(folder: Path, toml: str) -> subprocess.CompletedProcess:
    """`duban remind NAME` run in the folder's parent, NAME relative, as the README's `duban remind demo`."""
    (folder / "duban.toml").write_text(toml, encoding="utf-8")
    return subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", "remind", folder.name,
                           "--now", MORNING.isoformat()], cwd=folder.parent, capture_output=True, text=True,
                          timeout=120)


def text_of(message) -> str:
    return _text_of(message).replace("\r\n", "\n")


def _problems_report(folder: Path) -> email.message.EmailMessage:
    return mail_to(folder, "王芳", "数据问题报告")


# ---- §1 a relative folder argument --------------------------------------------------------------------
@pytest.mark.slow
def test_a_relative_folder_argument_names_each_workbook_once_in_the_problems_report(tmp_path):
    folder = make_folder(tmp_path / "demo")
    done = _remind_from_parent(folder, TOML)
    assert done.returncode == 0, done.stderr
    report = _problems_report(folder)
    text, html = text_of(report), html_of(report)
    book = folder.absolute() / "任务跟进表.xlsx"
    assert f"文件：{book}\n" in text and f'<a href="{book.as_uri()}"' in html
    assert "demo/demo" not in text + html
    # the digests (which were right) and the report name the same file
    digest = text_of(mail_to(folder, "张伟", "您有"))
    assert f"文件：{book}，" in digest


@pytest.mark.slow
def test_a_relative_folder_argument_under_a_unc_share_root(tmp_path):
    folder = make_folder(tmp_path / "综合管理部")
    done = _remind_from_parent(folder, TOML.replace("[mail]\n", "[mail]\nshare_path = '\\\\fileserver\\综合管理部'\n"))
    assert done.returncode == 0, done.stderr
    text = text_of(_problems_report(folder))
    assert "文件：\\\\fileserver\\综合管理部\\任务跟进表.xlsx\n" in text
    assert "综合管理部\\综合管理部" not in text
    url = "file://fileserver/%E7%BB%BC%E5%90%88%E7%AE%A1%E7%90%86%E9%83%A8/" \
          "%E4%BB%BB%E5%8A%A1%E8%B7%9F%E8%BF%9B%E8%A1%A8.xlsx"
    assert f'<a href="{url}"' in html_of(_problems_report(folder))


# ---- §9 subjects and counts agree with the bodies ----------------------------------------------------------
def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(\d+)项", text)]


@pytest.fixture(scope="module")
def reminded(tmp_path_factory) -> Path:
    """remind and alert at Monday 09:30 on issue 10's folder, plus a task whose owner the directory lacks."""
    folder = make_folder(tmp_path_factory.mktemp("truth"), tasks=TASKS + [task("整理档案", owner="无名氏",
                                                                               due=date(2026, 11, 20))])
    remind(folder, config(), MORNING)
    alert(folder, config(), MORNING)
    return folder


@pytest.mark.slow
def test_a_digest_subject_counts_items_by_the_group_the_body_lists_them_in(reminded):
    digest = mail_to(reminded, "张伟", "您有")
    subject, text = str(digest["Subject"]), text_of(digest)
    total, *groups = _numbers(subject)
    assert f"以下{total}项需要您处理" in text and total == 6 and sum(groups) == total     # 8 flags on 6 items
    assert subject == "【督办】您有6项待办：2项逾期、1项未确认接收、1项纪要未发出、1项回访逾期、1项数据问题 — 2026-11-23"
    assert "未反馈初步方案" not in subject            # the request's second flag: the same item
    english = str(mail_to(reminded, "周杰", "[duban] You have")["Subject"])
    assert english == "[duban] You have 2 items: 1 unanswered incident and 1 blocked item — 2026-11-23"


@pytest.mark.slow
def test_the_problems_report_subject_counts_what_its_body_lists(reminded):
    report = mail_to(reminded, "王芳", "数据问题报告")
    subject, text = str(report["Subject"]), text_of(report)
    [n] = [int(x) for x in re.findall(r"(\d+)个问题", subject)]
    assert f"以下{n}个问题" in text and n == 3
    assert n == len(re.findall(r"^- ", text, re.M))                 # two cells and one name nobody can be mailed


@pytest.mark.slow
def test_the_urgent_chinese_subject_names_the_first_item_as_the_english_does(reminded):
    head = mail_to(reminded, "孙丽", "紧急")
    assert str(head["Subject"]) == "【督办·紧急】紧急事务未响应：官网下单页无法提交订单 等2项紧急事项"
    first = re.search(r"- \[[^\]]+\] ([^：]+)：", text_of(head)).group(1)
    assert first == "官网下单页无法提交订单"
    owner = mail_to(reminded, "周杰", "URGENT")
    assert str(owner["Subject"]) == "[duban URGENT] Incident unanswered: 官网下单页无法提交订单 and 1 more urgent item"


@pytest.mark.slow
def test_an_item_with_several_flags_shows_the_deadline_of_each(reminded):
    digest = mail_to(reminded, "张伟", "您有")
    text, html = text_of(digest), html_of(digest)
    assert "期限：2026-11-19 12:00（未确认接收）、2026-11-20 10:00（未反馈初步方案）" in text
    assert "期限：2026-11-21 18:00（逾期）、2026-11-20 10:00（报告未提交）" in text
    cell = html.split("提供新品FAQ文档")[1].split("</tr>")[0]
    assert "2026-11-19 12:00" in cell and "2026-11-20 10:00" in cell
    assert "期限：2026-11-14\n" in text                   # one flag, one deadline, as before


@pytest.mark.slow
def test_the_minutes_clock_says_it_counts_from_the_meetings_start(reminded):
    text = text_of(mail_to(reminded, "张伟", "您有"))
    assert "会议开始后已过2天19小时，纪要仍未发出" in text and "会议结束后" not in text


# ---- §4 escalations say why the reader got them ------------------------------------------------------------
@pytest.fixture(scope="module")
def escalated(tmp_path_factory) -> Path:
    """issue 10's mail folder (研发部, 财务部, a RACI naming 陈总 Accountable), the blocked row waiting on 财务部."""
    import test_mail

    tasks = list(test_mail.TASKS)
    tasks[1] = task("渠道费用确认", owner="张伟", due=date(2026, 11, 17), status="blocked", priority="high",
                    help_from="财务部", note="等财务审批")
    folder = test_mail.make_folder(tmp_path_factory.mktemp("escalated"), tasks)
    remind(folder, config(), MORNING)
    return folder


def _block(text: str, title: str) -> str:
    return next(b for b in re.split(r"\n(?=- )", text) if title in b.split("\n")[0])


@pytest.mark.slow
def test_the_head_of_the_department_asked_to_help_is_told_so_with_the_blocker(escalated):
    message = mail_to(escalated, "赵敏", "升级提醒")                # head of 财务部, the 需协助部门
    for part in (text_of(message), html_of(message)):
        assert "您收到这一项，因为您部门（财务部）被列为“需协助部门”。" in part
        assert "完成情况简述：等财务审批" in part and "需协助部门：财务部" in part
        assert "弄清需要您部门提供什么协助" in part and "弄清卡在哪里" not in part


@pytest.mark.slow
def test_the_owners_head_and_the_accountable_are_each_told_their_part(escalated):
    head = text_of(mail_to(escalated, "李娜", "升级提醒"))           # head of 研发部, the owner's department
    assert "您收到这一项，因为这是您部门（研发部）的事项。" in _block(head, "渠道费用确认")
    assert "完成情况简述：等财务审批" in _block(head, "渠道费用确认")
    assert "您部门（研发部）被列为" not in head and "审批人（A）" not in head
    accountable = text_of(mail_to(escalated, "陈总", "升级提醒"))   # RACI A of 季度预算编制
    assert "您收到这一项，因为您是此任务在RACI权责表中的审批人（A）。" in _block(accountable, "季度预算编制")
    assert "您部门" not in _block(accountable, "季度预算编制")


@pytest.mark.slow
def test_an_english_reader_is_told_why_in_english(tmp_path):
    import test_mail

    rows = [r if r["name"] != "赵敏" else {**r, "language": "en"} for r in test_mail.directory_rows()]
    folder = test_mail.make_folder(tmp_path, [task("渠道费用确认", owner="张伟", due=date(2026, 11, 17),
                                                   status="blocked", help_from="财务部", note="等财务审批")])
    from duban.workbooks.make.template import write_workbook
    from duban.workbooks.model.kinds import KINDS
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=rows)
    remind(folder, config(), MORNING)
    text = text_of(mail_to(folder, "赵敏", "Escalation"))
    assert 'You get this because your department (财务部) is asked to help ("需协助部门").' in text
    assert "完成情况简述: 等财务审批" in text and "find out what help your department is asked for" in text


# ---- §11 a blocked row that names its helper is not asked to name it -------------------------------------------
@pytest.mark.slow
def test_a_blocked_next_step_names_the_department_filled_in(escalated):
    block = _block(text_of(mail_to(escalated, "张伟", "您有")), "渠道费用确认")
    assert "下一步：与“需协助部门”中的财务部沟通解决" in block
    assert "写明需要哪个部门协助" not in block
    other = text_of(mail_to(escalated, "张伟", "您有"))
    assert other.count("写明需要哪个部门协助") == 0


# ---- §11 a one-person cell names only columns its own workbook has ------------------------------------------
def test_two_names_in_a_one_person_cell_are_told_where_the_others_go_only_where_that_column_exists(tmp_path):
    from duban.workbooks.make.template import write_workbook
    from duban.workbooks.model.kinds import KINDS
    from duban.workbooks.model.schema import ColumnType
    from duban.workbooks.read.reader import read_workbook

    seen = {}
    for kind in KINDS.values():
        people = [c for c in kind.columns if c.type == ColumnType.PERSON]
        if not people or kind.key in ("raci", "directory"):
            continue
        row = {c.key: "张伟、李娜" for c in people}
        path = write_workbook(kind.key, tmp_path / kind.filename("zh"), rows=[row])
        found = [p for p in read_workbook(path, date(2026, 11, 23)).problems if p.code == "multiple-owners"]
        assert found, kind.key
        headers = {c.zh for c in kind.columns} | {c.en for c in kind.columns}
        for problem in found:
            for lang, quote in (("zh", r"“([^”]+)”"), ("en", r'"([^"]+)"')):
                text = problem.text(lang)
                named = [q for q in re.findall(quote, text) if q != "张伟、李娜"]
                assert named and set(named) <= headers, (kind.key, text)
                if lang == "en" and "Collaborators" in text:
                    assert "collaborators" in {c.key for c in kind.columns}, (kind.key, text)
            seen[kind.key] = problem.text("zh")
    assert "其他人写到“协作人”" in seen["tasks"]
    assert "协作人" not in seen["meetings"] and seen["meetings"].endswith("请只保留一人。")


@pytest.mark.slow
def test_the_weekly_department_report_lists_what_other_departments_wait_on_it_for(tmp_path):
    from datetime import timedelta

    import test_mail
    from duban.jobs.check import check_folder
    from duban.jobs.summary.job import summary

    tasks = [*test_mail.TASKS, task("年度审计", owner="赵敏", due=date(2026, 12, 31))]     # 财务部 has rows too
    tasks[1] = task("渠道费用确认", owner="张伟", due=date(2026, 11, 27), status="blocked", help_from="财务部",
                    note="等财务审批")
    folder = test_mail.make_folder(tmp_path, tasks)
    found = config(hold_outside_office_hours=False)
    check_folder(folder, found, MORNING - timedelta(days=5))          # duban watched the whole week
    summary(folder, found, MORNING, "week")
    finance = mail_to(folder, "赵敏", "财务部周报")
    text, html = text_of(finance), html_of(finance)
    assert "其他部门在等本部门协助（共1项）" in text and "其他部门在等本部门协助（共1项）" in html
    line = next(x for x in text.splitlines() if "渠道费用确认" in x)
    assert line.startswith("- T-000002 渠道费用确认 — 部门 研发部, 负责人 张伟")
    rd = text_of(mail_to(folder, "李娜", "研发部周报"))               # its own blocked list; nobody waits on 研发部
    assert "其他部门在等本部门协助" not in rd and "渠道费用确认" in rd


# ---- §11 English says "1 meeting", never "1 meetings" --------------------------------------------------------
SINGULAR_VERBS = {"is", "was", "has", "does"}


@pytest.mark.slow
def test_english_mail_never_puts_a_plural_after_one(tmp_path):
    """Everyone reads English; one of everything: a late task, an incident with its report late, a
    meeting without minutes. The month's review, the digests, the escalation and the problems report."""
    import test_mail_content as content
    from duban.jobs.check import check_folder
    from duban.jobs.summary.job import summary
    from duban.workbooks.make.template import write_workbook
    from duban.workbooks.model.kinds import KINDS

    tz = MORNING.tzinfo
    people = [{"name": n, "department": d, "email": e, "dept_head": h, "language": "en"}
              for n, d, e, h, _lang in content.PEOPLE]
    write_workbook("directory", tmp_path / KINDS["directory"].filename("zh"), rows=people)
    write_workbook("tasks", tmp_path / KINDS["tasks"].filename("zh"), rows=[
        task("季度预算编制", owner="张伟", due=date(2026, 10, 14), last_update=date(2026, 10, 12)),
        task("修订制度", owner="张伟", due="11月31日")])
    write_workbook("incidents", tmp_path / KINDS["incidents"].filename("zh"), rows=[
        {"type": "system", "reporter": "孙丽", "occurred": datetime(2026, 10, 12, 10, 0), "description": "官网下单页无法提交订单",
         "department": "市场部", "responder": "周杰", "responded": datetime(2026, 10, 12, 10, 5), "status": "in_progress"}])
    write_workbook("meetings", tmp_path / KINDS["meetings"].filename("zh"), rows=[
        {"meeting": "周协调会", "held_at": datetime(2026, 10, 13, 14, 0), "recorder": "张伟", "action": "提交预算",
         "owner": "李娜", "due": date(2026, 12, 31), "status": "in_progress"}])
    found = config(hold_outside_office_hours=False)
    check_folder(tmp_path, found, datetime(2026, 9, 28, 9, 0, tzinfo=tz))     # duban saw October whole
    summary(tmp_path, found, datetime(2026, 11, 2, 9, 30, tzinfo=tz), "month")
    remind(tmp_path, found, datetime(2026, 10, 19, 9, 30, tzinfo=tz))
    messages = content.mails(tmp_path)
    kinds = {k for m in messages for k in ("monthly review", "You have", "Escalation", "Problems report")
             if k in str(m["Subject"])}
    assert kinds == {"monthly review", "You have", "Escalation", "Problems report"}, kinds
    assert any("meetings held: 1" in str(m["Subject"]) for m in messages)
    for message in messages:
        assert message["Content-Language"] == "en"
        for part in (str(message["Subject"]), text_of(message), html_of(message)):
            wrong = [w for w in re.findall(r"\b1 ([A-Za-z]+s)\b", part) if w not in SINGULAR_VERBS]
            assert not wrong, (str(message["Subject"]), wrong)


def test_no_english_problem_text_puts_a_plural_after_one():
    """Every problem the clerks' report can carry, with 1 for every number in it (but the header search's
    depth, [reader] scan_rows, which is never 1)."""
    from duban.workbooks.model.problems import CATALOGUE

    class One(dict):
        def __missing__(self, key):
            return "1"

    for code, kind in CATALOGUE.items():
        text = kind.template("en").format_map(One()).replace("the first 1 rows", "the first 20 rows")
        wrong = [w for w in re.findall(r"\b1 ([A-Za-z]+s)\b", text) if w not in SINGULAR_VERBS | {"declares"}]
        assert not wrong, (code, wrong, text)
