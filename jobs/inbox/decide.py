"""What to do with one reply, decided from its bytes alone: apply a command, answer why not, or
ignore it. Pure: the key, the ledger's (recipient, item) pairs and the directory are passed in, so
every branch is testable without a mailbox.

The order matters: an automatic reply is set aside before anything else (answering it would start
a mail loop, acting on it would apply an out-of-office's quoted commands); the token is checked
before the sender, and the sender before the words, so a forged or forwarded reply never gets as
far as a command, and the answer to a forged one says nothing that helps the forger.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from duban.jobs.inbox.reasons import Reason, command_reason, reason
from duban.mailer.reply import autoreply, commands, token
from duban.workbooks.model.directory import Directory

FIRST_LINE_CHARS = 200


@dataclass(frozen=True)
class Decision:
    """One reply, decided. `outcome`: "change" (apply `command` to `item` for `person`), "answer"
    (tell the sender `reason`), or "ignore" (an automatic reply: nobody is told)."""

    outcome: str
    reason: Reason | None = None
    item: str = ""                   # the ledger's item key the token names ("" when none)
    person: str = ""                 # the directory name the token was sent to
    command: commands.Command | None = None
    tell_clerks: bool = False        # a reply from someone the link was not sent to


def message_id(message: EmailMessage, raw: bytes) -> str:
    """The reply's Message-ID, else a stable id made from its bytes (a reply read twice is one reply)."""
    found = str(message.get("message-id") or "").strip()
    return found[:300] if found else f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@duban.invalid>"


def sender(message: EmailMessage) -> tuple[str, str]:
    """(display name, address) of From; ('', '') when there is none that reads as an address."""
    try:
        found = getaddresses([str(message.get("from") or "")])
    except (ValueError, IndexError):      # a header too broken to read names no one
        return "", ""
    name, address = found[0] if found else ("", "")
    return (name, address) if "@" in address else ("", "")


def _stood_in_for(address: str, stand_in: str, directory: Directory) -> str | None:
    """The person with this address whose 代理人 is `stand_in`, or None: a stand-in's mail copies the
    absent person, who may press its buttons too; the write path then checks the row is theirs."""
    wanted = address.casefold()
    return next((p.name for p in directory.people.values()
                 if p.stand_in == stand_in and p.email and p.email.strip().casefold() == wanted), None)


def mailbox_of(address: str) -> str:
    """An address as compared with duban's own: case-folded, without a +tag (duban+<token>@…)."""
    local, _at, domain = address.strip().casefold().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else address.strip().casefold()


def first_line(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line[:FIRST_LINE_CHARS]


def received_at(message: EmailMessage, now: datetime, issued: date | None) -> datetime:
    """When the reply arrived: the time the company's own mail server stamped on it (the topmost
    Received header, which the sender cannot write), else the mail's Date; never after `now`, never
    before the token's day (a wrong clock cannot date an acknowledgement into the future or before
    the reminder); `now` when neither can be read. The sender's Date alone could backdate an
    acknowledgement into its SLA."""
    stamped = str((message.get_all("received") or [""])[0]).rpartition(";")[2].strip()
    sent = _moment(stamped) or _moment(str(message.get("date") or ""))
    if sent is None:
        return now
    sent = sent.astimezone(now.tzinfo)
    floor = datetime.combine(issued, datetime.min.time(), now.tzinfo) if issued else now - timedelta(days=366)
    return min(now, max(sent, floor))


def _moment(text: str) -> datetime | None:
    try:
        found = parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError, IndexError):
        return None
    return found if found is not None and found.tzinfo is not None else None


def decide(message: EmailMessage, text: str, keys: token.Keys, sent: list[tuple[str, str]], directory: Directory,
           today: date, valid_days: int, share: str, own: frozenset[str] = frozenset()) -> Decision:
    """The decision about one reply whose own words (quoted text removed) are `text`; `own`: duban's
    own addresses (the sender and the reply address), whose mail is never answered (a loop)."""
    if autoreply.is_automatic(message):
        return Decision("ignore", reason("auto-reply"))
    _name, address = sender(message)
    if mailbox_of(address) in own:
        return Decision("ignore", reason("own-mail"))
    if not any(p.email and p.email.strip().casefold() == address.casefold() for p in directory.people.values()):
        return Decision("ignore", reason("stranger"))      # nobody outside the directory is answered
    to = [str(v) for name in ("to", "cc", "delivered-to") for v in message.get_all(name, [])]
    found = token.find(to, str(message.get("subject") or ""))
    if found is None:
        return Decision("answer", reason("no-token"))
    pair = token.match(keys, found, sent)
    if pair is None:
        return Decision("answer", reason("forged", share=share))
    person, item = pair
    verdict = token.verify(keys, found, person, item, today, valid_days)
    if verdict is token.Verdict.FORGED:
        return Decision("answer", reason("forged", share=share))
    if verdict is token.Verdict.EXPIRED:
        issued = token.issued_on(found)
        return Decision("answer", reason("expired", issued=issued.isoformat() if issued else "?", days=valid_days,
                                         share=share), item, person)
    who = directory.people.get(person)
    if who is None or not who.email:
        return Decision("answer", reason("left", person=person, share=share), item, person)
    if address.casefold() != who.email.strip().casefold():
        absent = _stood_in_for(address, person, directory)
        if absent is None:
            return Decision("answer", reason("wrong-sender", person=person), item, person, tell_clerks=True)
        person = absent         # the owner on leave, answering from the copy of their stand-in's mail
    said = commands.parse(text, today)
    if isinstance(said, commands.Unknown):
        return Decision("answer", command_reason(said.code, said.zh, said.en), item, person)
    return Decision("change", None, item, person, said)

