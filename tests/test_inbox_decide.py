"""What the inbox decides about a reply. It never answers its own mail (an answer coming back, a mail
from duban's address), an automatic reply, or a sender the directory does not list; what it sends is
marked automatic (RFC 3834 Auto-Submitted), so an auto-responder, or another duban, never answers it
back; and an owner on leave may press the buttons of the stand-in's mail they are copied on."""
from __future__ import annotations

import email
import email.policy
from datetime import date, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from duban.jobs.inbox import answers
from duban.jobs.inbox.decide import decide, mailbox_of
from duban.jobs.inbox.reasons import reason
from duban.mailer.message import Address, Mail, build
from duban.mailer.reply import autoreply, token
from duban.workbooks.model.directory import Directory, Person

TODAY = date(2026, 12, 7)
OWN = frozenset({"duban@example.com"})
DIRECTORY = Directory({"李娜": Person("李娜", "研发部", "lina@example.com", False, None, "zh")})


def reply(sender: str, to: str, text: str = "已完成") -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"], message["Subject"] = sender, to, "回复：【督办】"
    message["Message-ID"] = "<r@example.com>"
    message.set_content(text)
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def decided(message: EmailMessage, tmp_path, sent=()):
    keys = token.Keys(tmp_path)
    return decide(message, "已完成", keys, list(sent), DIRECTORY, TODAY, 14, r"\\fs\督办", OWN)


def test_an_answer_is_marked_automatic_and_coming_back_it_is_ignored(tmp_path):
    notice = answers.answer(Person("李娜", None, "lina@example.com", False, None, "zh"), "<r@example.com>",
                            reason("no-token"), "已完成", "")
    mail = Mail("answer", "answer:<r@example.com>", [Address("李娜", "lina@example.com")], [], "【督办】您的回复未执行",
                "<p>x</p>", "x", "zh")
    built = build(mail, Address("督办", "duban@example.com"), datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert built["Auto-Submitted"] == "auto-replied" and notice.kind == "answer"
    assert autoreply.is_automatic(built)                                  # read back, it is set aside first
    digest = build(Mail("digest", "d", [Address("李娜", "lina@example.com")], [], "s", "<p>x</p>", "x", "zh"),
                   Address("督办", "duban@example.com"))
    assert digest["Auto-Submitted"] is None                               # a reminder is answerable: that is the point


def test_mail_from_dubans_own_address_is_never_answered_even_with_a_plus_tag(tmp_path):
    for sender in ("duban@example.com", "DUBAN+abc@Example.com", "督办 <duban@example.com>"):
        found = decided(reply(sender, "duban@example.com"), tmp_path)
        assert (found.outcome, found.reason.code) == ("ignore", "own-mail"), sender
    assert mailbox_of("Duban+x7@Example.COM") == "duban@example.com"


def test_a_sender_the_directory_does_not_list_gets_no_answer(tmp_path):
    found = decided(reply("someone@elsewhere.example", "duban@example.com"), tmp_path)
    assert (found.outcome, found.reason.code) == ("ignore", "stranger")
    assert "通讯录" in found.reason.why_zh and "directory" in found.reason.why_en
    listed = decided(reply("lina@example.com", "duban@example.com"), tmp_path)
    assert (listed.outcome, listed.reason.code) == ("answer", "no-token")   # a listed person is told what to do


def test_the_owner_on_leave_may_use_the_buttons_of_the_stand_ins_mail_they_are_copied_on(tmp_path):
    """李娜 is away, 王芳 stands in: 王芳's mail (Cc 李娜) carries tokens issued to 王芳. 李娜 pressing
    one is no forwarded mail: the change is hers (the write path checks the row is hers); 孙丽, whom
    nobody stands in for, is still a wrong sender."""
    people = {"李娜": Person("李娜", "研发部", "lina@example.com", False, None, "zh",
                           away_until=date(2026, 12, 11), stand_in="王芳"),
              "王芳": Person("王芳", "研发部", "wangfang@example.com", False, None, "zh"),
              "孙丽": Person("孙丽", "研发部", "sunli@example.com", False, None, "zh")}
    keys = token.Keys(tmp_path)
    issued = token.issue(keys, "王芳", "T-000004", TODAY)
    to = token.plus_address("duban@example.com", issued)

    def by(sender):
        return decide(reply(sender, to), "已完成", keys, [("王芳", "T-000004")], Directory(people), TODAY, 14, "s", OWN)
    assert (by("lina@example.com").outcome, by("lina@example.com").person) == ("change", "李娜")
    assert (by("wangfang@example.com").outcome, by("wangfang@example.com").person) == ("change", "王芳")
    wrong = by("sunli@example.com")
    assert (wrong.outcome, wrong.reason.code, wrong.tell_clerks) == ("answer", "wrong-sender", True)


def test_the_time_of_a_reply_is_the_mail_servers_stamp_not_the_senders_date():
    from duban.jobs.inbox.decide import received_at

    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 7, 11, 0, tzinfo=tz)
    message = reply("lina@example.com", "duban@example.com")
    message["Date"] = "Mon, 07 Dec 2026 08:00:00 +0800"          # written by the sender: 2 hours early
    assert received_at(message, now, TODAY) == datetime(2026, 12, 7, 8, 0, tzinfo=tz)
    message["Received"] = "from phone.example by mail.example.com; Mon, 07 Dec 2026 10:30:00 +0800"
    assert received_at(message, now, TODAY) == datetime(2026, 12, 7, 10, 30, tzinfo=tz)
    message.replace_header("Received", "from x by mail.example.com; Mon, 07 Dec 2026 13:00:00 +0800")
    assert received_at(message, now, TODAY) == now                # never after now
