"""Issue 20, "act from the message": the reply links and Reply-To a reminder carries, asserted on the
real .eml files `remind` and `alert` write to the outbox folder (the folder of tests/test_mail_content.py).

Each link is read back the way a mail app and duban's inbox read it: the `mailto:` URL split with
urllib, its token found and verified for the person and row the ledger says the mail told, its body
parsed as the command the button offers. With `[reply]` off, the mail is the mail of before, byte
for byte (tests/data/mail_before_reply.json holds it, made by the code of before issue 20)."""
from __future__ import annotations

import email
import email.policy
import json
import re
import sqlite3
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from books import settings
from duban.jobs.remind import alert, remind
from duban.mailer.reply import commands, token
from duban.mailer.reply.mailto import COMMANDS, OFFERED
from duban.mailer.replylinks import EXAMPLES
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.kinds import KINDS
from test_mail_content import MORNING, PEOPLE, html_of, mails, make_folder, text_of

TODAY = MORNING.date()
ADDRESS = "duban@example.com"
# the command a button offers -> the kind `commands.parse` reads it as
PARSED = {"done": "done", "progress": "progress", "snooze": "snooze", "help": "help", "acknowledge": "acknowledge",
          "responded": "acknowledge"}


def reply_settings(plus: bool = True, enabled: bool = True, **rules):
    return settings(mail={"clerks": ["王芳"], "share_path": "\\\\fileserver\\督办"}, rules=rules,
                    reply={"enabled": enabled, "address": ADDRESS, "plus_addressing": plus,
                           "imap": {"host": "imap.example.com", "user": "duban", "password_env": "DUBAN_IMAP"}})


def run(folder: Path, config) -> list[email.message.EmailMessage]:
    remind(folder, config, MORNING)
    alert(folder, config, MORNING)
    return mails(folder)


def to(message) -> str:
    return message["To"].addresses[0].display_name


def links(message) -> list[dict]:
    """Every mailto: link of the HTML part, split as a mail app splits it."""
    found = []
    for href in re.findall(r'<a href="(mailto:[^"]+)"', html_of(message)):
        url = urlsplit(unescape(href))
        query = parse_qs(url.query, keep_blank_values=True)
        found.append({"address": unquote(url.path), "subject": query["subject"][0], "body": query["body"][0]})
    return found


def ledger_pairs(folder: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(folder / ".duban" / "state.db") as db:
        return set(db.execute("SELECT recipient, item FROM notified"))


@pytest.fixture(scope="module")
def replied(tmp_path_factory) -> tuple[Path, list]:
    folder = make_folder(tmp_path_factory.mktemp("reply"))
    return folder, run(folder, reply_settings())


# ---- reply off: the mail of before -------------------------------------------------------------------
def comparable(found: list) -> dict:
    return {f'{m["To"]}|{m["Subject"]}': {"html": html_of(m), "text": text_of(m),
                                         "headers": sorted(h for h in m.keys() if h not in ("Date", "Message-ID"))}
            for m in found}


@pytest.mark.slow
@pytest.mark.parametrize("reply", [None, {"enabled": False, "address": ADDRESS}])
def test_with_reply_off_digests_and_alerts_are_byte_for_byte_the_mail_of_before(tmp_path, reply):
    before = json.loads((Path(__file__).parent / "data" / "mail_before_reply.json").read_text())
    config = settings(mail={"clerks": ["王芳"], "share_path": "\\\\fileserver\\督办"}, **({"reply": reply} if reply else {}))
    now = comparable(run(make_folder(tmp_path), config))
    assert {k: now[k] for k in before} == before
    assert not any("mailto:" in m["html"] or "Reply-To" in m["headers"] for m in now.values())


# ---- the links ---------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", ["张伟", "周杰"])       # zh and en
def test_every_link_prefills_its_command_and_its_token_holds_for_this_person_and_row_only(replied, name):
    folder, found = replied
    keys = token.Keys(folder / ".duban")
    sent = ledger_pairs(folder)
    lang = next(lang for n, *_rest, lang in PEOPLE if n == name)
    digest = next(m for m in found if to(m) == name and "URGENT" not in str(m["Subject"]) and "紧急" not in str(m["Subject"]))
    seen: dict[str, list[str]] = {}
    for link in links(digest):
        tok = token.find([link["address"]], link["subject"])
        assert tok and link["address"] == token.plus_address(ADDRESS, tok) and token.issued_on(tok) == TODAY
        recipient, item = token.match(keys, tok, [p for p in sent if p[0] == name])     # what the inbox does
        assert recipient == name and item in link["subject"]
        assert token.verify(keys, tok, name, item, TODAY) is token.Verdict.OK
        assert token.verify(keys, tok, "李娜", item, TODAY) is token.Verdict.FORGED
        assert all(token.verify(keys, tok, name, other, TODAY) is token.Verdict.FORGED
                   for _r, other in sent if other != item)
        body = link["body"]
        typed = EXAMPLES[lang].get(body, body)          # a value command is offered as its start: type the value
        command = commands.parse(typed, TODAY)
        assert isinstance(command, commands.Command), (body, command)
        seen.setdefault(item, []).append(command.kind)
    kinds = {"T": "tasks", "R": "requests", "I": "incidents", "M": "meetings"}
    assert seen and {item[0] for item in seen} <= set(kinds)
    for item, offered in seen.items():
        assert offered == [PARSED[c] for c in OFFERED[kinds[item[0]]]], item
    label = {"zh": 0, "en": 2}[lang]
    assert COMMANDS[OFFERED["tasks"][0]][label] in html_of(digest)      # the button's words in the reader's language
    assert "C-000001" not in seen           # a customer visit offers no command: no button


@pytest.mark.slow
def test_the_text_part_gives_the_address_and_what_to_type_and_the_mail_says_commands_can_be_typed(replied):
    folder, found = replied
    digest = next(m for m in found if to(m) == "张伟")
    text = text_of(digest)
    assert commands.HINT["zh"] in text and commands.HINT["zh"] in html_of(digest)
    line = re.search(r"回复处理：发邮件至 (duban\+[a-z2-7]{30}@example\.com)，正文第一行写：已完成 或 进度 75% 或 暂缓至 12-10 或 需协助 财务部",
                     text)
    assert line, text
    english = next(m for m in found if to(m) == "周杰" and "You have" in str(m["Subject"]))
    assert "Reply: mail duban+" in text_of(english) and "with this on the first line: responded" in text_of(english)


@pytest.mark.slow
def test_several_items_reply_to_the_plain_address_and_say_to_use_the_buttons(replied):
    _folder, found = replied
    digest = next(m for m in found if to(m) == "张伟")
    assert digest["Reply-To"].addresses[0].addr_spec == ADDRESS
    assert "请用每项下面的按钮回复" in text_of(digest)


@pytest.mark.slow
def test_an_escalation_offers_no_link_and_says_who_can_act_and_a_head_gets_none_for_another_s_row(replied):
    _folder, found = replied
    escalation = next(m for m in found if "升级提醒" in str(m["Subject"]))
    assert not links(escalation) and escalation["Reply-To"] is None
    assert "回复本邮件不会改动工作簿：事项只能由负责人本人更新" in text_of(escalation)
    head_alert = next(m for m in found if to(m) == "孙丽")      # the responder's head, alerted with him
    assert not links(head_alert) and head_alert["Reply-To"] is None and "可以回复的指令" not in text_of(head_alert)
    own_alert = next(m for m in found if to(m) == "周杰" and "URGENT" in str(m["Subject"]))
    assert links(own_alert)


def one_task_folder(folder: Path) -> Path:
    rows = [{"name": n, "department": d, "email": e, "dept_head": h, "language": lang} for n, d, e, h, lang in PEOPLE]
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=rows)
    write_workbook("tasks", folder / KINDS["tasks"].filename("zh"), rows=[
        {"task": "季度预算编制", "owner": "张伟", "due": date(2026, 11, 14), "status": "in_progress",
         "last_update": date(2026, 11, 20)}])
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("plus", [True, False])
def test_a_mail_about_one_row_replies_to_that_row_so_plain_reply_works(tmp_path, plus):
    folder = one_task_folder(tmp_path)
    remind(folder, reply_settings(plus), MORNING)
    [digest] = [m for m in mails(folder) if to(m) == "张伟"]
    keys = token.Keys(folder / ".duban")
    reply_to = digest["Reply-To"].addresses[0].addr_spec
    subject = str(digest["Subject"])
    # what a mail app sends when the person presses Reply and types one word
    tok = token.find([reply_to], f"回复：{subject}")
    assert tok is not None
    assert token.verify(keys, tok, "张伟", "T-000001", TODAY) is token.Verdict.OK
    if plus:
        assert reply_to == token.plus_address(ADDRESS, tok) and "督办#" not in subject
    else:
        assert reply_to == ADDRESS and subject.endswith(token.subject_tag(tok))
        assert all(link["address"] == ADDRESS and token.subject_tag(tok) in link["subject"] for link in links(digest))
    assert "也可以直接回复本邮件，在第一行写指令。" in text_of(digest)


@pytest.mark.slow
def test_buttons_are_table_cells_outlook_draws_without_scripts_or_style_sheets(replied):
    _folder, found = replied
    html = html_of(next(m for m in found if to(m) == "张伟"))
    assert "<script" not in html and "<style" not in html and "class=" not in html
    buttons = re.findall(r'<td bgcolor="#1f4e79" style="[^"]*"><a href="mailto:[^"]+" style="[^"]*">([^<]+)</a></td>', html)
    assert buttons[:4] == ["标记完成", "填写进度", "暂缓", "需要协助"]



def test_a_stand_in_gets_the_absent_person_s_links_and_nobody_else_does(tmp_path):
    """A's write path lets the owner's stand-in act while the owner is away: the stand-in's digest
    (its recipient the stand-in, on behalf of the owner) offers the buttons; anyone else's does not."""
    from types import SimpleNamespace

    from duban.mailer.replylinks import ReplyWay, offer

    way = ReplyWay(token.Keys(tmp_path), ADDRESS)
    entry = {"key": "T-000001", "item_kind": "tasks", "people": ("张伟",), "owner": "张伟"}
    assert offer(way, "张伟", entry, "digest", "zh", TODAY)
    # told, but not the row's owner (a meeting's recorder, a request's initiator): a reply would be refused
    minutes = {"key": "M-000001", "item_kind": "meetings", "people": ("李娜",), "owner": "陈静"}
    assert offer(way, "李娜", minutes, "digest", "zh", TODAY) is None
    assert offer(way, "李娜", entry, "digest", "zh", TODAY) is None
    stand_in = offer(way, "李娜", entry, "digest", "zh", TODAY, SimpleNamespace(name="张伟"))
    tok = token.find([stand_in["address"]], "")
    assert token.verify(token.Keys(tmp_path), tok, "李娜", "T-000001", TODAY) is token.Verdict.OK
    assert offer(way, "张伟", entry, "escalation", "zh", TODAY) is None
    assert offer(way, "张伟", {**entry, "key": "任务跟进表.xlsx!5"}, "digest", "zh", TODAY) is None
    assert offer(None, "张伟", entry, "digest", "zh", TODAY) is None


def test_a_mail_whose_items_do_not_all_have_buttons_says_where_the_others_are_updated(tmp_path):
    from duban.mailer.replylinks import ReplyWay, hints, offer

    way = ReplyWay(token.Keys(tmp_path), ADDRESS)
    task = {"key": "T-000001", "item_kind": "tasks", "people": ("张伟",), "owner": "张伟"}
    minutes = {"key": "M-000001", "item_kind": "meetings", "people": ("张伟",), "owner": "陈静"}
    project = {"key": "P-000005", "item_kind": "projects", "people": ("张伟",), "owner": "张伟"}
    for entry in (task, minutes, project):
        entry["reply"] = offer(way, "张伟", entry, "digest", "zh", TODAY)
    assert [link["text"] for link in project["reply"]["links"]] == ["已完成", "暂缓至 12-10"]
    said = hints(way, "digest", [task, minutes, project], "zh")
    assert said[-1] == "没有按钮的事项请在工作簿中更新（您不是其负责人，或这类事项不能通过回复处理）。"
    assert "Items without buttons" not in " ".join(hints(way, "digest", [task, project], "en"))


def test_acknowledge_is_offered_only_while_the_request_waits_for_it(tmp_path):
    from duban.mailer.replylinks import ReplyWay, offer

    way = ReplyWay(token.Keys(tmp_path), ADDRESS)
    waiting = {"key": "R-000001", "item_kind": "requests", "people": ("刘洋",), "owner": "刘洋",
               "rules": ["not_acknowledged"]}
    due_soon = {**waiting, "key": "R-000003", "rules": ["due_soon"]}        # acknowledged on 10-30 already
    assert [link["text"] for link in offer(way, "刘洋", waiting, "digest", "zh", TODAY)["links"]] == ["已收到", "已完成"]
    assert [link["text"] for link in offer(way, "刘洋", due_soon, "digest", "zh", TODAY)["links"]] == ["已完成"]
    answered = {"key": "I-000001", "item_kind": "incidents", "people": ("周敏",), "owner": "周敏",
                "rules": ["incident_report_late"]}
    assert offer(way, "周敏", answered, "alert", "zh", TODAY) is None       # nothing left to do by reply
