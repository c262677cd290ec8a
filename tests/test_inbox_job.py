"""`duban inbox` end to end: a demo folder reminded at a fixed time (so the ledger names what was
sent), real tokens for the ledger's (person, item) pairs, replies written as Outlook, Foxmail and
Apple Mail write them and APPENDed into a real Dovecot on loopback, then `duban inbox` as a
subprocess: the workbook's cells changed, the mail moved to the done folder, one answer (with
In-Reply-To) for each reply that could not be applied, the clerks told of a forwarded one, nothing
for an auto-reply, and a reply read twice applied once.
"""
from __future__ import annotations

import email
import email.policy
import importlib.util
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, time
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.init import init_folder
from duban.jobs.settings import folder as opening
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.jobs.settings.schedule import parse, specs
from duban.jobs.validate import read_folder
from duban.mailer.reply import token
from duban.mailer.reply.mailbox import DONE_FOLDER
from imap_server import ImapServer, running

ROOT = Path(__file__).resolve().parent.parent
REPLIES = Path(__file__).resolve().parent / "data" / "replies"
RUN = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"
TODAY = date(2026, 12, 7)                  # a Monday
REMINDED = "2026-12-07T09:00"
READ = "2026-12-07T10:30"
PASSWORD_ENV = "DUBAN_TEST_REPLY_PASSWORD"
LINA, LIUYANG, SUNLI = "lina@example.com", "liuyang@example.com", "sunli@example.com"


@pytest.fixture(scope="module")
def _server():
    yield from running()


@pytest.fixture
def imap(_server) -> ImapServer:
    _server.empty()
    return _server


def duban(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", **(env or {})}
    environ.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=environ, cwd=ROOT, timeout=120)


def reply_settings(server: ImapServer, enabled: bool = True, port: int | None = None) -> str:
    return (f"\n[reply]\nenabled = {'true' if enabled else 'false'}\naddress = \"duban@example.com\"\n"
            f"[reply.imap]\nhost = \"{server.host}\"\nport = {port or server.port}\nsecurity = \"none\"\n"
            f"user = \"{server.user}\"\npassword_env = \"{PASSWORD_ENV}\"\n")


@pytest.fixture
def folder(tmp_path, imap) -> Path:
    """The demo, reminded at 09:00 so the ledger lists the digests' (person, item) pairs, with [reply] on."""
    folder = tmp_path / "督办"
    init_folder(folder, demo=True, today=TODAY, now=datetime.combine(TODAY, time(8)))
    with (folder / "duban.toml").open("a", encoding="utf-8") as toml:
        toml.write(reply_settings(imap))
    done = duban("remind", folder, "--now", REMINDED)
    assert done.returncode == 0, done.stderr
    return folder


def inbox(folder: Path, server: ImapServer, *more: str) -> subprocess.CompletedProcess:
    return duban("inbox", folder, "--now", READ, *more, env={PASSWORD_ENV: server.password})


def issue(folder: Path, person: str, item: str, day: date = TODAY) -> str:
    return token.issue(token.Keys(folder / ".duban"), person, item, day)


def from_client(sample: str, to_token: str, message_id: str, sender: str = LINA) -> bytes:
    """A reply as the client of `sample` (tests/data/replies) wrote it, to this token's address."""
    raw = (REPLIES / sample).read_bytes()
    head, body = raw.split(b"\r\n\r\n", 1)
    head = re.sub(rb"(?m)^To: .*$", f"To: <duban+{to_token}@example.com>".encode(), head)
    head = re.sub(rb"(?m)^Message-ID: .*$", f"Message-ID: {message_id}".encode(), head)
    head = head.replace(b"<lina@example.com>", f"<{sender}>".encode())
    return head + b"\r\n\r\n" + body


def written(text: str, to_token: str | None, message_id: str, sender: str = LINA, subject: str = "回复：【督办】",
            **headers: str) -> bytes:
    """A plain reply: `text` above nothing, to the token's address (or none)."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = f"duban+{to_token}@example.com" if to_token else "duban@example.com"
    message["Subject"] = subject
    message["Date"] = "Mon, 07 Dec 2026 10:12:00 +0800"
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def cells(folder: Path, item: str) -> dict:
    settings = opening.settings_of(folder, True)
    for read in read_folder(folder, settings, TODAY):
        for record in read.records:
            if record.get("id") == item:
                return dict(record.values)
    raise AssertionError(f"no row {item}")


def answers(folder: Path, before: set[Path]) -> list[email.message.EmailMessage]:
    found = sorted(set((folder / "outbox").glob("*.eml")) - before)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in found]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.mark.slow
def test_replies_are_applied_answered_and_moved(folder, imap):
    lina = issue(folder, "李娜", "T-000004")
    imap.append(from_client("outlook_zh_header_block.eml", lina, "<progress@outlook.example>"))      # 进度 75%
    imap.append(from_client("apple_zh.eml", issue(folder, "刘洋", "R-000001"), "<ack@apple.example>",
                            sender=LIUYANG))                                                          # 已收到
    imap.append(written("附件已上传到共享盘", lina, "<note@foxmail.example>"))
    imap.append(written("附件已上传到共享盘", lina, "<note@foxmail.example>"))     # the same reply delivered twice
    imap.append(written("进度 120%", lina, "<unknown@example.com>"))
    imap.append(written("已完成", lina[:-1] + ("a" if lina[-1] != "a" else "b"), "<forged@example.com>"))
    imap.append(written("已完成", issue(folder, "李娜", "T-000004", date(2026, 11, 1)), "<expired@example.com>"))
    imap.append(written("已完成", lina, "<forwarded@example.com>", sender=SUNLI))
    imap.append(written("我正在休假", lina, "<away@example.com>", Auto_Submitted="auto-replied"))
    imap.append(written("已完成", None, "<lost@example.com>"))
    before = set((folder / "outbox").glob("*.eml"))

    done = inbox(folder, imap, "--json")
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    outcome = {r["message_id"]: (r["outcome"], r["code"]) for r in said["replies"] if r["outcome"] != "already"}
    assert outcome == {
        "<progress@outlook.example>": ("applied", ""), "<ack@apple.example>": ("applied", ""),
        "<note@foxmail.example>": ("applied", ""),
        "<unknown@example.com>": ("answered", "bad-progress"),
        "<forged@example.com>": ("answered", "forged"), "<expired@example.com>": ("answered", "expired"),
        "<forwarded@example.com>": ("answered", "wrong-sender"), "<away@example.com>": ("ignored", "auto-reply"),
        "<lost@example.com>": ("answered", "no-token")}
    assert [r["outcome"] for r in said["replies"]].count("already") == 1       # the second copy

    task, request = cells(folder, "T-000004"), cells(folder, "R-000001")
    assert task["progress"] == 0.75
    assert task["note"].count("附件已上传到共享盘") == 1
    assert request["acknowledged"] is not None
    assert imap.count("INBOX") == 0 and imap.count(DONE_FOLDER) == 10

    mails = answers(folder, before)
    to = sorted(str(m["To"]) for m in mails)
    assert len(mails) == 6, to            # unknown, forged, expired, wrong sender + clerks, no token
    assert sum(LINA in t for t in to) == 4 and sum(SUNLI in t for t in to) == 1 and \
        sum("wangfang@example.com" in t for t in to) == 1
    replied = {str(m["In-Reply-To"]) for m in mails if m["In-Reply-To"]}
    assert replied == {"<unknown@example.com>", "<forged@example.com>", "<expired@example.com>",
                       "<forwarded@example.com>", "<lost@example.com>"}
    forged = next(m for m in mails if m["In-Reply-To"] == "<forged@example.com>")
    assert "回复链接无效" in body(forged) and "T-000004" not in body(forged)      # nothing that helps a forger
    expired = next(m for m in mails if m["In-Reply-To"] == "<expired@example.com>")
    assert "2026-11-01" in body(expired) and "最新一封督办提醒" in body(expired)
    clerks = next(m for m in mails if "wangfang@example.com" in str(m["To"]))
    assert all(word in body(clerks) for word in ("T-000004", "李娜", SUNLI))
    unknown = next(m for m in mails if m["In-Reply-To"] == "<unknown@example.com>")
    assert "进度 120%" in body(unknown) and "已完成" in body(unknown)        # what was received; the commands

    # read again: the same replies once more (a crash before the move) change and answer nothing
    imap.append(written("附件已上传到共享盘", lina, "<note@foxmail.example>"))
    imap.append(written("已完成", lina, "<forwarded@example.com>", sender=SUNLI))
    before = set((folder / "outbox").glob("*.eml"))
    again = inbox(folder, imap, "--json")
    assert again.returncode == 0, again.stderr
    assert [r["outcome"] for r in json.loads(again.stdout)["replies"]] == ["already", "already"]
    assert answers(folder, before) == []
    assert cells(folder, "T-000004")["note"].count("附件已上传到共享盘") == 1


def test_the_table_says_what_became_of_each_reply(folder, imap):
    imap.append(from_client("foxmail_zh.eml", issue(folder, "李娜", "T-000004"), "<done@foxmail.example>"))
    imap.append(written("我正在休假", None, "<away@example.com>", X_Autoreply="yes"))
    done = inbox(folder, imap)
    assert done.returncode == 0, done.stderr
    assert "lina@example.com" in done.stdout and "T-000004" in done.stdout
    assert "已更新" in done.stdout and "忽略：这是一封自动回复" in done.stdout
    assert cells(folder, "T-000004")["status"] == "done"
    status = duban("status", folder)
    assert re.search(r"回复更新\s+工作时间内每 5 分钟\s+[-\d]+ [:\d]+\s+成功（手动）", status.stdout), status.stdout
    assert "2026-12-07 10:30 回复更新 成功（手动）" in status.stdout


def test_a_dry_run_moves_stores_and_sends_nothing(folder, imap):
    imap.append(written("进度 90%", issue(folder, "李娜", "T-000004"), "<dry@example.com>"))
    before = set((folder / "outbox").glob("*.eml"))
    done = inbox(folder, imap, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert [r["outcome"] for r in json.loads(done.stdout)["replies"]] == ["stored"]
    assert imap.count("INBOX") == 1 and cells(folder, "T-000004")["progress"] == 0.5
    assert answers(folder, before) == []


def test_inbox_off_says_what_to_set(folder, imap):
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"), encoding="utf-8")
    done = inbox(folder, imap)
    assert done.returncode == 1
    assert "[reply] enabled = true" in done.stderr and "password_env" in done.stderr


def test_a_mailbox_that_cannot_be_read_is_a_non_zero_exit_naming_what_to_do(folder, imap):
    wrong = duban("inbox", folder, "--now", READ, env={PASSWORD_ENV: "not-the-password"})
    assert wrong.returncode == 1
    assert "[reply.imap] user" in wrong.stderr and "not-the-password" not in wrong.stderr + wrong.stdout
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(f"port = {imap.port}", "port = 1"), encoding="utf-8")
    closed = inbox(folder, imap)
    assert closed.returncode == 1
    assert "下次运行时重试" in closed.stderr


def test_serve_runs_inbox_in_office_hours_only_when_reply_is_on(folder, imap):
    settings = opening.settings_of(folder, True)
    calendar = calendar_from(settings)
    spec = next(s for s in specs(settings) if s.job == "inbox")
    assert spec.describe() == "every 5 minutes in office hours"
    zone = ZoneInfo(settings.company.timezone)
    evening = datetime(2026, 12, 7, 20, 0, tzinfo=zone)
    assert spec.next(evening, calendar) == datetime(2026, 12, 8, 9, 0, tzinfo=zone)
    assert spec.latest(evening, calendar).hour < 19
    assert parse("inbox", "every 5 minutes").office is False
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"), encoding="utf-8")
    assert next(s for s in specs(opening.settings_of(folder, True)) if s.job == "inbox").kind == "off"


# ---- the answer mail alone -----------------------------------------------------------------------
def test_an_answer_speaks_the_senders_language_and_threads_only_under_a_well_formed_id():
    from duban.jobs.inbox import answers
    from duban.jobs.inbox.reasons import reason
    from duban.jobs.notify.mailchannel import threaded
    from duban.mailer.answer import render_answer
    from duban.workbooks.model.directory import Directory, Person

    directory = Directory({"Amy Lee": Person("Amy Lee", "Sales", "Amy@Example.com", False, None, "en")})
    amy = answers.to_sender("", "amy@example.com", directory, "zh")
    stranger = answers.to_sender("某人", "someone@example.com", directory, "zh")
    assert (amy.name, amy.lang, stranger.name, stranger.lang) == ("Amy Lee", "en", "某人", "zh")
    assert answers.to_sender("x", "not an address", directory, "zh") is None

    notice = answers.answer(amy, "<r1@example.com>", reason("forged", share=r"\\fs\督办"), "done", "T-000001")
    said = render_answer(amy.name, notice.content, amy.lang)
    assert said.subject == "[duban] Your reply was not applied"
    assert "This reply link is not valid." in said.text and r"\\fs\督办" in said.text and "done" in said.text
    assert notice.key == "answer:<r1@example.com>" and notice.once == ""

    good, bad = EmailMessage(), EmailMessage()
    threaded(good, {"in_reply_to": "<r1@example.com>"})
    threaded(bad, {"in_reply_to": "<r1@example.com>\r\nBcc: all@example.com"})
    assert (good["In-Reply-To"], good["References"]) == ("<r1@example.com>", "<r1@example.com>")
    assert bad["In-Reply-To"] is None and bad["Bcc"] is None


def test_serve_runs_the_job_by_its_name_and_records_a_mailbox_it_cannot_reach_as_failed(folder, imap, monkeypatch):
    from duban.jobs import tasks
    from duban.jobs.settings import jobs

    monkeypatch.setenv(PASSWORD_ENV, imap.password)
    imap.append(written("进度 80%", issue(folder, "李娜", "T-000004"), "<serve@example.com>"))
    run = tasks.runner(jobs.get("inbox"))
    slot = datetime(2026, 12, 7, 10, 35, tzinfo=ZoneInfo("Asia/Shanghai"))
    facts = run(folder, opening.settings_of(folder, True), slot, False)
    assert facts.get("result", "ok") == "ok" and facts["replies"] == {"applied": 1}
    assert cells(folder, "T-000004")["progress"] == 0.8
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(f"port = {imap.port}", "port = 1"), encoding="utf-8")
    facts = run(folder, opening.settings_of(folder, True), slot, False)
    assert facts["result"] == "failed" and "cannot connect to the reply mailbox" in facts["error"]


def test_a_reply_to_the_link_in_the_reminder_itself_updates_the_row(folder, imap):
    """The token the reminder carries (not one the test issues) names the same (person, item) the
    ledger holds: a reply to it lands in the row."""
    digests = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
               for p in (folder / "outbox").glob("*.eml")]
    lina = next(m for m in digests if LINA in str(m["To"]) and "T-000004" in body(m))
    text = body(lina)
    address = re.search(r"duban\+[a-z2-7]{30}@example\.com", text[text.index("[T-000004]"):])[0]
    imap.append(from_client("foxmail_zh.eml", address[len("duban+"):-len("@example.com")], "<link@x>"))
    flagged = cells(folder, "T-000004")["alerts"]
    done = inbox(folder, imap, "--json")
    assert done.returncode == 0, done.stderr
    assert [(r["item"], r["outcome"]) for r in json.loads(done.stdout)["replies"]] == [("T-000004", "applied")]
    assert cells(folder, "T-000004")["status"] == "done"
    # the row is checked at once: it no longer says why it was flagged (not at the next check only)
    assert flagged and cells(folder, "T-000004")["alerts"] != flagged


CLIENTS = ["outlook_zh_header_block.eml", "outlook_zh_fullwidth.eml", "outlook_en_original_message.eml",
           "foxmail_zh.eml", "foxmail_en.eml", "163_xiedao.eml", "163_reply_original.eml", "126_netease_master.eml",
           "qq_html.eml", "qq_app_header.eml", "gmail_zh.eml", "gmail_en_wrapped.eml", "apple_zh_iphone.eml"]


@pytest.mark.slow
def test_every_mail_clients_reply_is_read_for_its_own_line_only_through_the_real_mailbox(folder, imap):
    """Each client's reply shape (tests/data/replies: Outlook, Foxmail, 163/126, QQ mail, Gmail, Apple
    Mail; their headers, charsets and quote separators as sent) through Dovecot and `duban inbox`: the
    command read is the person's own line, never a command word of the quoted reminder below it.
    A reply of 已收到 goes to a request of 刘洋's, everything else to 李娜's task T-000004."""
    from duban.mailer.reply import commands

    spec = importlib.util.spec_from_file_location("make_replies", REPLIES / "make_replies.py")
    made = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_replies", made)      # its dataclass looks itself up there
    spec.loader.exec_module(made)
    SHAPES = made.SHAPES

    wanted = {}
    for n, sample in enumerate(CLIENTS):
        shape = next(s for s in SHAPES if s.file == sample)
        said = commands.parse(shape.reply, TODAY)
        ack = getattr(said, "kind", "") == "acknowledge"
        person, item, sender = ("刘洋", "R-000001", LIUYANG) if ack else ("李娜", "T-000004", LINA)
        message_id = f"<client{n}@example.com>"
        imap.append(from_client(sample, issue(folder, person, item), message_id, sender=sender))
        wanted[message_id] = (item, getattr(said, "kind", "note"))
    done = inbox(folder, imap, "--json")
    assert done.returncode == 0, done.stderr
    got = {r["message_id"]: (r["item"], r["command"], r["outcome"]) for r in json.loads(done.stdout)["replies"]}
    assert {m: got[m][:2] for m in wanted} == wanted
    assert {got[m][2] for m in wanted} == {"applied"}
    assert "督办原文" not in (cells(folder, "T-000004")["note"] or "")       # the quoted reminder stayed out
    assert imap.count("INBOX") == 0
