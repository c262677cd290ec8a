"""Issue 10 §2, "mails a recipient can act on": what each mail says, asserted on the real .eml files
the outbox transport writes (parsed with the email package, HTML and text parts both).

One folder holds every kind a person is reminded about; `duban remind` and `duban alert` run on it
as they do for a clerk, and the mails are read back as Outlook would get them."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import date, datetime, timedelta
from pathlib import Path, PureWindowsPath

import pytest
from typer.testing import CliRunner

from books import NOW, cli, settings, task
from duban.jobs.cli import app
from duban.jobs.remind import alert, remind
from duban.mailer.nextsteps import declared, next_step, template
from duban.mailer.share import Share
from duban.mailer.words import duration
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.flags import FLAGS
from duban.workbooks.model.kinds import KINDS

MORNING = NOW.replace(minute=30)                               # Monday 2026-11-23 09:30
UNC = "\\\\fileserver\\督办"
TZ = NOW.tzinfo

PEOPLE = [
    # name, department, email, head, language
    ("张伟", "研发部", "zhang.wei@example.com", "no", "zh"),
    ("李娜", "研发部", "li.na@example.com", "yes", "zh"),
    ("周杰", "市场部", "zhou.jie@example.com", "no", "en"),
    ("孙丽", "市场部", "sun.li@example.com", "yes", "zh"),
    ("王芳", "综合管理部", "wang.fang@example.com", "no", "zh"),
]

TASKS = [
    # row 2: due 11-14, nine days overdue on 11-23 (and escalated to 李娜, head of 研发部)
    task("季度预算编制", owner="张伟", due=date(2026, 11, 14), last_update=date(2026, 11, 20)),
    # row 3: blocked, high priority, English owner: an urgent alert and a blocked item with its deadline
    task("渠道费用确认", owner="周杰", due=date(2026, 12, 10), status="blocked", priority="high"),
    # row 4: a date nobody can read
    task("修订制度", owner="张伟", due="11月31日"),
]
REQUESTS = [
    # neither acknowledged nor answered with a first plan: two flags, one row
    {"request": "提供新品FAQ文档", "from_dept": "市场部", "requester": "周杰", "to_dept": "研发部", "receiver": "张伟",
     "priority": "high", "submitted": datetime(2026, 11, 19, 10, 0), "wanted_by": date(2026, 12, 4), "status": "pending"},
]
OCCURRED = (MORNING - timedelta(minutes=832)).replace(tzinfo=None)       # 13 h 52 min before the run
INCIDENTS = [
    {"type": "system", "reporter": "孙丽", "occurred": OCCURRED, "description": "官网下单页无法提交订单",
     "department": "市场部", "responder": "周杰", "status": "awaiting"},
    # responded, overdue against its ETA and without its report: 已解决/已关闭 and 报告提交时间
    {"type": "complaint", "reporter": "李娜", "occurred": datetime(2026, 11, 19, 10, 0), "description": "客户投诉包装破损",
     "department": "研发部", "responder": "张伟", "responded": datetime(2026, 11, 19, 10, 5),
     "eta": datetime(2026, 11, 21, 18, 0), "status": "in_progress"},
]
HELD = datetime(2026, 11, 20, 14, 0)
MEETINGS = [   # two actions of one meeting whose minutes 张伟 has not sent
    {"meeting": "Q3新品推广周协调会", "held_at": HELD, "recorder": "张伟", "action": "协调设计师支援推广素材",
     "owner": "李娜", "due": date(2026, 12, 31), "status": "not_started"},
    {"meeting": "Q3新品推广周协调会", "held_at": HELD, "recorder": "张伟", "action": "提交渠道投放预算",
     "owner": "李娜", "due": date(2026, 12, 31), "status": "in_progress"},
]
CUSTOMERS = [
    {"customer": "华信连锁超市集团", "tier": "strategic", "manager": "张伟", "last_contact": date(2026, 11, 1),
     "next_visit": date(2026, 11, 30)},
]


def make_folder(folder: Path, tasks: list[dict] = TASKS, sub: str = "") -> Path:
    rows = [{"name": n, "department": d, "email": e, "dept_head": h, "language": lang} for n, d, e, h, lang in PEOPLE]
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=rows)
    write_workbook("tasks", folder / sub / KINDS["tasks"].filename("zh"), rows=tasks)
    write_workbook("requests", folder / KINDS["requests"].filename("zh"), rows=REQUESTS)
    write_workbook("incidents", folder / KINDS["incidents"].filename("zh"), rows=INCIDENTS)
    write_workbook("meetings", folder / KINDS["meetings"].filename("zh"), rows=MEETINGS)
    write_workbook("customers", folder / KINDS["customers"].filename("zh"), rows=CUSTOMERS)
    return folder


def config(share_path: str = UNC, **mail):
    return settings(mail={"clerks": ["王芳"], "share_path": share_path, **mail})


def mails(folder: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((folder / "outbox").glob("*.eml"))]


def mail_to(folder: Path, name: str, subject: str) -> email.message.EmailMessage:
    [found] = [m for m in mails(folder) if m["To"].addresses[0].display_name == name and subject in str(m["Subject"])]
    return found


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture(scope="module")
def reminded(tmp_path_factory) -> Path:
    """One `remind` at Monday 09:30 on the folder above, the workbook paths named as on \\\\fileserver\\督办."""
    folder = make_folder(tmp_path_factory.mktemp("remind"))
    remind(folder, config(), MORNING)
    return folder


# ---- where the file is ------------------------------------------------------------------------------
TASKS_URL = "file://fileserver/%E7%9D%A3%E5%8A%9E/%E4%BB%BB%E5%8A%A1%E8%B7%9F%E8%BF%9B%E8%A1%A8.xlsx"


@pytest.mark.slow
def test_every_item_names_its_workbook_by_full_path_with_a_link_that_opens_it(reminded):
    digest = mail_to(reminded, "张伟", "您有")
    html, text = html_of(digest), text_of(digest)
    assert f'<a href="{TASKS_URL}"' in html and "\\\\fileserver\\督办\\任务跟进表.xlsx</a>" in html
    assert "\\\\fileserver\\督办\\任务跟进表.xlsx" in text and f"<{TASKS_URL}>" in text
    # every item of every kind: as many links as items, each to its own workbook
    items = len(re.findall(r'<td colspan="4"', html))
    links = re.findall(r'<a href="(file://fileserver/[^"]+)"', html)
    assert items == len(links) == 6                # the incident overdue and without its report: one item
    for kind in ("tasks", "requests", "incidents", "meetings", "customers"):
        name = KINDS[kind].filename("zh")
        assert PureWindowsPath(UNC, name).as_uri() in links, name
        assert f"\\\\fileserver\\督办\\{name}" in text
    assert "工作表“任务跟进表”第2行" in text


@pytest.mark.slow
def test_the_problems_report_and_escalations_link_the_workbook_too(reminded):
    report = mail_to(reminded, "王芳", "数据问题报告")
    assert f'<a href="{TASKS_URL}"' in html_of(report) and "任务跟进表!I4" in text_of(report)
    escalation = mail_to(reminded, "李娜", "升级提醒")
    assert f'<a href="{TASKS_URL}"' in html_of(escalation) and f"<{TASKS_URL}>" in text_of(escalation)


@pytest.mark.slow
def test_a_workbook_in_a_subfolder_and_a_mac_share_path(tmp_path):
    folder = make_folder(tmp_path, sub="二部")
    remind(folder, config("/Volumes/督办"), MORNING)
    digest = mail_to(folder, "张伟", "您有")
    url = "file:///Volumes/%E7%9D%A3%E5%8A%9E/%E4%BA%8C%E9%83%A8/%E4%BB%BB%E5%8A%A1%E8%B7%9F%E8%BF%9B%E8%A1%A8.xlsx"
    assert f'<a href="{url}"' in html_of(digest) and "/Volumes/督办/二部/任务跟进表.xlsx" in text_of(digest)


@pytest.mark.slow
def test_without_a_share_path_the_folders_absolute_path_is_named(tmp_path):
    folder = make_folder(tmp_path)
    remind(folder, config(""), MORNING)
    digest = mail_to(folder, "张伟", "您有")
    book = folder.absolute() / "任务跟进表.xlsx"
    assert f'<a href="{book.as_uri()}"' in html_of(digest) and str(book) in text_of(digest)


@pytest.mark.parametrize("root, rel, path, url", [
    (UNC, "sub/任务跟进表.xlsx", "\\\\fileserver\\督办\\sub\\任务跟进表.xlsx",
     "file://fileserver/%E7%9D%A3%E5%8A%9E/sub/%E4%BB%BB%E5%8A%A1%E8%B7%9F%E8%BF%9B%E8%A1%A8.xlsx"),
    ("//fileserver/督办", "a b#1.xlsx", "\\\\fileserver\\督办\\a b#1.xlsx", "file://fileserver/%E7%9D%A3%E5%8A%9E/a%20b%231.xlsx"),
    ("S:\\共享\\督办", "任务.xlsx", "S:\\共享\\督办\\任务.xlsx",
     "file:///S:/%E5%85%B1%E4%BA%AB/%E7%9D%A3%E5%8A%9E/%E4%BB%BB%E5%8A%A1.xlsx"),
    ("/Volumes/督办", "x 100%.xlsx", "/Volumes/督办/x 100%.xlsx", "file:///Volumes/%E7%9D%A3%E5%8A%9E/x%20100%25.xlsx"),
    ("督办", "x.xlsx", "督办/x.xlsx", ""),                      # not absolute: shown, not linked
])
def test_share_paths_and_their_file_urls(root, rel, path, url):
    share = Share(root)
    assert share.path(rel) == path and share.url(rel) == url


# ---- what to do, per kind -----------------------------------------------------------------------------
STEP_WORDS = {   # the item (its title) and the words its next step must have
    "季度预算编制": ["“状态”改为“已完成”"],
    "提供新品FAQ文档": ["“确认接收时间”", "“初步方案反馈时间”"],
    "客户投诉包装破损": ["“已解决”或“已关闭”", "“报告提交时间”"],
    "Q3新品推广周协调会": ["“纪要发出时间”"],
    "华信连锁超市集团": ["“上次沟通日期”", "“下次回访日期”"],
    "修订制度": ["按上面的说明修改"],
}


def _blocks(text: str) -> dict[str, str]:
    """The text part's items by title: '- [ID] title（…）：…' up to the next item."""
    found = {}
    for block in re.split(r"\n(?=- )", text):
        if match := re.match(r"- (?:\[[^\]]*\] )?(.+?)(?:（|：|: | \()", block):
            found[match.group(1)] = block
    return found


def test_each_item_says_its_own_next_step(reminded):
    digest = mail_to(reminded, "张伟", "您有")
    blocks = _blocks(text_of(digest))
    for title, words in STEP_WORDS.items():
        assert "下一步：" in blocks[title], title
        for word in words:
            assert word in blocks[title], (title, word)
    customer = blocks["华信连锁超市集团"]
    assert "状态" not in customer                      # a customer row has no status to set
    assert "将状态改为" not in text_of(digest) and "已完成”，提醒会自动停止" not in text_of(digest)
    html = html_of(digest)
    assert html.count("下一步：</b>") == 8         # one per flag of each item: 1 + 2 + 2 + 1 + 1 + 1


def test_escalations_and_the_problems_report_say_what_their_readers_do(reminded):
    escalation = text_of(mail_to(reminded, "李娜", "升级提醒"))
    assert "下一步：请与负责人张伟沟通" in escalation and "“状态”改为“已完成”" not in escalation
    report = text_of(mail_to(reminded, "王芳", "数据问题报告"))
    assert "请写成 2026-11-30 这样的日期" in report and "改为“已完成”，提醒" not in report
    assert "单元格改正后" in report


def test_every_rule_has_a_next_step_for_every_kind_it_applies_to_naming_only_that_kinds_columns():
    for rule, flag in FLAGS.items():
        if rule == "done":
            continue
        for kind in KINDS.values():
            if not flag.applies_to(kind) or kind.key in ("raci", "directory"):
                continue
            for book_lang in ("zh", "en"):
                headers = {c.header(book_lang) for c in kind.columns}
                statuses = {c.label(book_lang) for c in kind.status_choices.values()}
                for lang in ("zh", "en"):
                    sentence = next_step(rule, kind.key, lang, book_lang, "张伟")
                    quoted = re.findall(r"“([^”]+)”" if lang == "zh" else r'"([^"]+)"', sentence)
                    assert quoted or rule in ("escalated", "data_problem"), (rule, kind.key, sentence)
                    for label in quoted:
                        if label.startswith("紧急事件处理报告"):
                            continue
                        assert label in headers | statuses, (rule, kind.key, lang, book_lang, label)
                    if rule != "escalated":
                        assert template(rule, kind.key, lang) != template("nonexistent", kind.key, lang), (rule, kind.key)
    assert all(len(pair) == 2 and all(pair) for pair in declared().values())


# ---- one row once -----------------------------------------------------------------------------------------
def test_a_row_with_two_flags_appears_once_with_both(reminded):
    digest = mail_to(reminded, "张伟", "您有")
    html, text = html_of(digest), text_of(digest)
    assert html.count("提供新品FAQ文档") == 1 and text.count("提供新品FAQ文档") == 1
    block = _blocks(text)["提供新品FAQ文档"]
    assert "未确认接收" in block and "未反馈初步方案" in block
    assert "1项未确认接收" in str(digest["Subject"]) and "未反馈初步方案" not in str(digest["Subject"])   # one item


def test_the_minutes_of_one_meeting_are_one_item(reminded):
    digest = mail_to(reminded, "张伟", "您有")
    html, text = html_of(digest), text_of(digest)
    assert html.count("Q3新品推广周协调会") == 1 and text.count("Q3新品推广周协调会") == 1
    block = _blocks(text)["Q3新品推广周协调会"]
    assert "M-000001" in block and "M-000002" in block and "第2、3行" in block
    assert "1项纪要未发出" in str(digest["Subject"])
    assert "以下6项需要您处理" in text                      # rows, not flags: 8 flags on 6 items


# ---- escalations and alerts in real numbers ---------------------------------------------------------------
def test_escalations_name_the_owner_the_real_lateness_the_status_and_the_last_update(reminded):
    escalation = mail_to(reminded, "李娜", "升级提醒")
    for part in (html_of(escalation), text_of(escalation)):
        assert "逾期9天" in part and "超过3个工作日" not in part
        assert "负责人：张伟" in part and "状态：进行中" in part and "反馈时间：2026-11-20" in part
        assert "2026-11-14" in part


@pytest.mark.slow
def test_urgent_alerts_give_the_real_elapsed_time_and_are_marked_important(tmp_path):
    folder = make_folder(tmp_path)
    alert(folder, config(), MORNING)
    head = mail_to(folder, "孙丽", "紧急")                         # 周杰's head, in Chinese
    assert "已过13小时52分钟" in text_of(head) and "已过13小时52分钟" in html_of(head)
    assert "超10分钟" not in text_of(head)
    assert "请督促负责人周杰尽快处理：立即响应" in text_of(head)
    owner = mail_to(folder, "周杰", "URGENT")                      # in English
    assert "No response 13 h 52 min after it occurred" in text_of(owner)
    for message in mails(folder):
        assert message["Importance"] == "high" and message["X-Priority"] == "1"
    assert {m["To"].addresses[0].display_name for m in mails(folder)} == {"周杰", "孙丽"}


def test_a_digest_is_not_marked_important(reminded):
    digest = mail_to(reminded, "张伟", "您有")
    assert digest["Importance"] is None and digest["X-Priority"] is None


def test_durations_read_as_people_write_them():
    assert duration(timedelta(minutes=832), "zh") == "13小时52分钟"
    assert duration(timedelta(minutes=832), "en") == "13 h 52 min"
    assert duration(timedelta(minutes=45), "en") == "45 min"
    assert duration(timedelta(days=2, hours=3, minutes=10), "zh") == "2天3小时"
    assert duration(timedelta(seconds=20), "zh") == "0分钟"


# ---- a digest of hundreds -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_twelve_thousand_late_rows_make_one_mail_under_1_mb_with_the_most_urgent_first(tmp_path):
    rows = [task(f"批量任务{i:05d}", owner="张伟", due=date(2026, 11, 20) - timedelta(days=i % 30)) for i in range(12000)]
    folder = make_folder(tmp_path, tasks=rows)
    remind(folder, config(), MORNING)
    path = next(p for p in (folder / "outbox").glob("*.eml")
                if "张伟" in str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["To"])
                and "您有" in str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"]))
    assert path.stat().st_size < 1_000_000
    digest = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    html, text = html_of(digest), text_of(digest)
    assert len(re.findall(r'<td colspan="4"', html)) == 50
    total = 12000 + 4                                   # the late rows and the other kinds' items
    assert f"以下{total}项需要您处理" in text
    assert f"另有{total - 50}项未列出（上面是最紧急的50项）" in text and "“系统提示”" in text
    assert f"\\\\fileserver\\督办\\任务跟进表.xlsx：{12000 - 50}项" in text
    assert f'<a href="{TASKS_URL}"' in html
    # the most urgent first: the longest overdue (29 days) come first
    assert "逾期32天" in html.split('<td colspan="4"')[0]
    assert str(digest["Subject"]).startswith("【督办】您有12004项待办：12001项逾期、")   # 12,000 tasks and the incident


@pytest.mark.slow
def test_the_number_of_items_listed_is_a_setting(tmp_path):
    folder = make_folder(tmp_path)
    remind(folder, config(max_items=2), MORNING)
    text = text_of(mail_to(folder, "张伟", "您有"))
    assert len(re.findall(r"^- \[", text, re.M)) == 2 and "另有4项未列出（上面是最紧急的2项）" in text
    assert "\\\\fileserver\\督办\\客户分层跟进表.xlsx：1项" in text


# ---- words and punctuation -----------------------------------------------------------------------------------
CJK = "\u4e00-\u9fff"


def test_chinese_text_uses_chinese_punctuation(reminded):
    for message in mails(reminded):
        if message["Content-Language"] != "zh-CN":
            continue
        text = text_of(message)
        body = "\n".join(line for line in text.splitlines() if "file://" not in line and ":\\" not in line)
        assert not re.search(rf"[{CJK}）]:", body), re.search(rf".{{20}}[{CJK}）]:.{{20}}", body)
        assert not re.search(rf"[{CJK}] \(", body) and "):" not in body


def test_english_mail_reads_as_a_native_speaker_writes_it(reminded):
    digest = mail_to(reminded, "周杰", "[duban]")
    subject, text = str(digest["Subject"]), text_of(digest)
    assert "1 items" not in subject + text and "You have 1 blocked —" not in subject
    assert subject.startswith("[duban] You have 2 items: 1 unanswered incident and 1 blocked item —")
    assert "2 items need your attention:" in text
    block = _blocks(text)["渠道费用确认"]
    assert "Blocked" in block and "Deadline: 2026-12-10" in block     # a blocked item shows its deadline
    assert "Next step: Name the department" in block


@pytest.mark.slow
def test_a_blocked_item_shows_its_deadline_in_chinese_too(tmp_path):
    folder = make_folder(tmp_path, tasks=[task("渠道费用确认", owner="张伟", due=date(2026, 12, 10), status="blocked")])
    remind(folder, config(), MORNING)
    block = _blocks(text_of(mail_to(folder, "张伟", "您有")))["渠道费用确认"]
    assert "期限：2026-12-10" in block


# ---- the terminal: where the mail went, and refused writes ---------------------------------------------------
@pytest.mark.slow
def test_remind_says_where_the_mail_went(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\nhold_outside_office_hours = false\n', encoding="utf-8")
    done = cli("remind", str(folder), "--now", MORNING.isoformat())
    assert done.returncode == 0, done.stderr
    n = len(list((folder / "outbox").glob("*.eml")))
    flat = re.sub(r"\s+", "", done.stdout)
    assert f"{n}封邮件已写入{folder}/outbox/" in flat
    (folder / "duban.toml").write_text('[company]\nlanguage = "en"\n[mail]\nclerks = ["王芳"]\n', encoding="utf-8")
    done = cli("remind", str(folder), "--now", (MORNING + timedelta(days=1)).isoformat())
    assert done.returncode == 0, done.stderr
    assert re.search(r"\d+ mails written to", " ".join(done.stdout.split())), done.stdout


@pytest.fixture
def refusing(monkeypatch):
    """Every workbook write refused, as the write's own check refuses a file it cannot verify."""
    from duban.jobs import check
    from duban.workbooks.write.refusal import REFUSED, Reason, WriteResult

    monkeypatch.setattr(check, "apply", lambda *a, **kw: WriteResult(REFUSED, Reason.of("damaged", error="verify failed")))


def _invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_a_refused_write_is_shown_in_red_exits_1_and_reaches_the_clerks(tmp_path, refusing):
    folder = make_folder(tmp_path)
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\nhold_outside_office_hours = false\n', encoding="utf-8")
    done = _invoke("remind", folder, "--now", MORNING.isoformat())
    assert done.exit_code == 1, done.output
    assert "工作簿未写入（已拒绝）：任务跟进表.xlsx" in " ".join(done.stderr.split())
    assert "新文件未通过自检" in done.stderr
    report = mail_to(folder, "王芳", "数据问题报告")
    for part in (text_of(report), html_of(report)):
        assert "督办没有把检查结果（编号、系统提示、颜色）写入这个工作簿" in part
        assert "新文件未通过自检（verify failed）" in part
    checked = _invoke("check", folder, "--now", (MORNING + timedelta(hours=1)).isoformat())
    assert checked.exit_code == 1 and "已拒绝" in checked.stderr


@pytest.mark.slow
def test_the_red_is_red(tmp_path, refusing, monkeypatch):
    """rich prints the refusal in red where the terminal shows colour."""
    import io

    from rich.console import Console

    from duban.jobs.terminal import report

    folder = make_folder(tmp_path)
    buffer = io.StringIO()
    monkeypatch.setattr(report, "err", Console(file=buffer, force_terminal=True, color_system="standard"))
    _invoke("check", folder, "--now", MORNING.isoformat())
    assert "\x1b[1;31m" in buffer.getvalue() and "已拒绝" in buffer.getvalue()


@pytest.mark.slow
def test_a_skipped_write_stays_routine(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "~$任务跟进表.xlsx").write_bytes(b"\x05zhang")                  # open in Excel
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\nhold_outside_office_hours = false\n', encoding="utf-8")
    assert _invoke("check", folder, "--now", MORNING.isoformat()).exit_code == 0
    done = _invoke("remind", folder, "--now", MORNING.isoformat())
    assert done.exit_code == 0 and "已拒绝" not in done.stderr


@pytest.mark.slow
def test_the_mail_footer_puts_the_date_on_its_own_line(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    assert cli("remind", str(folder)).returncode == 0
    [first, *_] = sorted((folder / "outbox").glob("*.eml"))
    html = email.message_from_bytes(first.read_bytes(), policy=email.policy.default) \
        .get_body(("html",)).get_content()
    assert "自动停止。 ·" not in html and "<br><span style=\"white-space:nowrap;\">" in html
