"""Mail, the first channel: a notice rendered as HTML and text mail, addressed by the person's
邮箱 in the directory, delivered by the outbox folder or SMTP (`mail.transport`)."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from duban.jobs.notify.channel import NOTICE_KINDS, Channel, Composed
from duban.jobs.notify.router import Notice
from duban.jobs.state.runlock import state_dir
from duban.mailer.answer import render_answer
from duban.mailer.inline import attach_inline
from duban.mailer.message import PLAIN_ADDRESS, Address, Mail, build, recipients
from duban.mailer.queued import Queued
from duban.mailer.render import render
from duban.mailer.reply.token import Keys
from duban.mailer.replylinks import ReplyWay
from duban.mailer.seam import as_bytes
from duban.mailer.servenotice import render_notice
from duban.mailer.share import Share
from duban.mailer.summary import render_summary
from duban.mailer.transports import from_settings
from duban.workbooks.model.directory import Person
from duban.workbooks.model.problems import Problem

MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>")    # printable ASCII, no < > or spaces


class MailRenderer:
    """Renders a folder's notices as mail, from `[mail]`: the sender, the share path that names
    the workbooks, the most items one mail lists."""

    def __init__(self, settings, folder: Path):
        mail = settings.mail
        self.sender = Address(mail.sender_name, mail.sender)
        self.share = Share.of(mail.share_path, folder)
        self.max_items = mail.max_items
        self.folder = folder
        reply = settings.reply
        self.reply = ReplyWay(Keys(state_dir(folder, settings)), reply.address, reply.plus_addressing) \
            if reply.enabled and reply.address else None

    def compose(self, notice: Notice, key: str, now: datetime) -> Composed:
        lang = notice.lang
        if notice.kind == "summary":
            rendered, items = render_summary(notice.content, lang), notice.content["items"]
        elif notice.kind == "notice":
            rendered = render_notice(notice.recipient.name, notice.content["zh"], notice.content["en"], lang,
                                     self.folder)
            items = rendered.items
        elif notice.kind == "answer":
            rendered, items = render_answer(notice.recipient.name, notice.content, lang), 1
        else:
            rendered = render(notice, lang, now, notice.extra, self.share, self.max_items, self.reply)
            items = rendered.items
        mail = Mail(notice.kind, key, [_address(notice.recipient)], [_address(p) for p in notice.cc],
                    rendered.subject, rendered.html, rendered.text, lang, getattr(rendered, "reply_to", ""))

        def message() -> Queued:
            built = build(mail, self.sender, now)
            for cid, data, filename in notice.attachments:
                built = attach_inline(built, data, cid, filename)
            if notice.kind == "answer":
                threaded(built, notice.content)
            return Queued(key, notice.kind, recipients(mail), mail.subject, as_bytes(built), "mail")
        return Composed(rendered.subject, items, message)


def threaded(built, content: dict) -> None:
    """An answer shows under the reply it answers: In-Reply-To and References name that reply's
    Message-ID, only when it is one well-formed id (it comes from whoever wrote the reply)."""
    parent = str(content.get("in_reply_to") or "")
    if MESSAGE_ID.fullmatch(parent):
        built["In-Reply-To"] = parent
        built["References"] = parent


def _address(person: Person) -> Address:
    return Address(person.name, person.email or "")


def address(person: Person) -> str | None:
    """The person's 邮箱, when it is one plain address mail can go to."""
    return person.email if person.email and PLAIN_ADDRESS.fullmatch(person.email) else None


def unreachable(person: Person, listed: bool, context: str) -> Problem:
    """Why no mail can go to `person`, named in `context`: an address that is not one, no 邮箱,
    or a name the directory does not list."""
    if person.email:
        return Problem("bad-email", context, value=person.email)
    return Problem("no-email" if listed else "unknown-recipient", context, value=person.name)


def transport(settings, folder: Path, lane: str, now: datetime):
    """Mail's one lane: the outbox folder or SMTP, as `[mail] transport` says."""
    return from_settings(settings, folder)


MAIL = Channel("mail", MailRenderer, transport, address, unreachable, NOTICE_KINDS)
