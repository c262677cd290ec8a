"""One mail as data (`Mail`) and its wire form (`build`): UTF-8, plain text + HTML, no header injection.

Names, subjects and addresses come from workbooks anyone can edit, so nothing from them reaches a
header unchecked: control characters in names and subjects become spaces, bidi controls are
dropped, and an address that is not one plain `user@domain` is refused with `BadAddress` instead
of being "repaired".
"""
from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from duban.workbooks.model.errors import DubanError

KINDS = ("digest", "escalation", "alert", "problems", "notice", "summary", "answer")
# 7bit: bodies go out as base64/quoted-printable, so no server needs 8BITMIME or SMTPUTF8.
POLICY = email.policy.SMTP.clone(cte_type="7bit")
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


class BadAddress(DubanError, ValueError):
    """An email address that is not one plain `user@domain`; the message names the person and the value."""


@dataclass(frozen=True)
class Address:
    name: str
    email: str


@dataclass
class Mail:
    kind: str   # one of KINDS
    key: str    # idempotency key: a mail with the same key is queued only once, ever
    to: list[Address]
    cc: list[Address] = field(default_factory=list)
    subject: str = ""
    html: str = ""
    text: str = ""
    lang: str = "zh"
    reply_to: str = ""      # [reply] enabled: where a plain Reply goes (a row's token address, or the reply mailbox)


# Bidi embedding, override and isolate controls: a right-to-left override (U+202E) makes
# "报销单\u202Excod.exe" show as "报销单exe.docx"; dropped, so text shows in its stored order.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = [*range(0x00, 0x20), *range(0x7f, 0xa0), 0x2028, 0x2029]   # Unicode Cc, Zl, Zp
_PLAIN = {**dict.fromkeys(CONTROLS, " "), **dict.fromkeys(map(ord, BIDI_CONTROLS))}


def plain(text: str) -> str:
    """Workbook text made safe to show: bidi controls dropped, every control character (CR, LF,
    TAB, ESC, NUL, line and paragraph separators …) replaced by a space."""
    return text.translate(_PLAIN)


def clean(text: str) -> str:
    """`plain(text)`, trimmed: for headers (subject, display names)."""
    return plain(text).strip()


def checked(address: Address) -> HeaderAddress:
    """The header form of `address`, or `BadAddress` when its email is not one plain address."""
    if not PLAIN_ADDRESS.fullmatch(address.email or ""):
        raise BadAddress(f"{clean(address.name) or '(no name)'}: {address.email!r} is not one plain email address "
                         f"(like wang.fang@example.com: no spaces, commas, angle brackets or line breaks). "
                         f"Correct it in 通讯录 (Directory).")
    return HeaderAddress(display_name=clean(address.name), addr_spec=address.email)


def recipients(mail: Mail) -> list[str]:
    """The envelope recipients: every To and Cc address once, in order."""
    unique: dict[str, str] = {}
    for a in [*mail.to, *mail.cc]:
        unique.setdefault(checked(a).addr_spec.lower(), a.email)
    return list(unique.values())


def _encoding(body: str) -> str:
    """base64 for Chinese (a third bigger, against three times for quoted-printable); saves email's trial encodings."""
    return "quoted-printable" if body.isascii() else "base64"


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """The Subject, folded so that it reads back exactly. The email package folds a long line of
    ASCII words before a lone encoded word ("… 1 blocked item —") with one space too many, which
    every client then shows; such a subject goes out as encoded words only, folded by hand."""
    folded = POLICY.fold("Subject", subject)
    unfolded = folded.split(":", 1)[1].replace("\r\n", "").strip()
    if str(POLICY.header_factory("Subject", unfolded)) == subject:
        msg["Subject"] = subject
    else:
        msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n"))


def build(mail: Mail, sender: Address, now: datetime | None = None) -> EmailMessage:
    """The complete message: From/To/Cc/Subject/Date/Message-ID (urgent alerts: Importance high,
    X-Priority 1), text part first, then HTML."""
    if mail.kind not in KINDS:
        raise ValueError(f"mail kind {mail.kind!r} is not one of {', '.join(KINDS)}")
    if not mail.to:
        raise BadAddress(f"{mail.key}: the mail has no recipient. Check the person's 邮箱 in 通讯录 (Directory).")
    origin, to = checked(sender), [checked(a) for a in mail.to]
    seen = {a.addr_spec.lower() for a in to}
    cc = [a for a in map(checked, mail.cc) if a.addr_spec.lower() not in seen]
    msg = EmailMessage(policy=POLICY)
    msg["From"], msg["To"] = origin, to
    if cc:
        msg["Cc"] = cc
    if mail.reply_to:
        msg["Reply-To"] = checked(Address(sender.name, mail.reply_to))
    _set_subject(msg, clean(mail.subject))
    msg["Date"] = format_datetime(now or datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=origin.domain)
    if mail.kind == "answer":       # RFC 3834: an automatic answer; auto-responders (and another duban) stay quiet
        msg["Auto-Submitted"] = "auto-replied"
    if mail.kind == "alert":        # Outlook's red "!" (Importance), and the older clients' X-Priority
        msg["Importance"] = "high"
        msg["X-Priority"] = "1"
    msg.set_content(mail.text, charset="utf-8", cte=_encoding(mail.text))
    msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte=_encoding(mail.html))
    for part in msg.iter_parts():
        del part["MIME-Version"]  # add_alternative repeats it on the subpart; once at the top is enough
    msg["Content-Language"] = "en" if mail.lang == "en" else "zh-CN"  # after set_content, which clears Content-*
    return msg
