"""The answer mails of the inbox as notices of kind "answer": one to the sender of a reply that
could not be applied, and one to the clerks when the sender was not the person the link was for.

Each is keyed by the reply's Message-ID (`once=""`, key `answer:<id>`), so the queue never sends
two answers to one reply, whatever crashes or re-reads happen; an answer goes to the From address
only (never to a list or to the Cc of the reply), in the language the directory gives the sender,
else the company's.
"""
from __future__ import annotations

from duban.jobs.inbox.reasons import Reason, reason
from duban.jobs.notify.router import Notice
from duban.mailer.message import PLAIN_ADDRESS
from duban.workbooks.model.directory import Directory, Person

SUBJECT = {"zh": "【督办】您的回复未执行", "en": "[duban] Your reply was not applied"}
CLERKS_SUBJECT = {"zh": "【督办】有人使用他人的回复链接：{item}", "en": "[duban] A reply about {item} came from someone else"}


def to_sender(name: str, address: str, directory: Directory, lang: str) -> Person | None:
    """The sender as a recipient of the answer: the directory's person with that address (their
    name and language), else the name they gave; None when From is no address mail can go to."""
    if not PLAIN_ADDRESS.fullmatch(address or ""):
        return None
    wanted = address.strip().casefold()
    listed = next((p for p in directory.people.values() if p.email and p.email.strip().casefold() == wanted), None)
    if listed is not None:
        return Person(listed.name, listed.department, address, False, None,
                      listed.lang if listed.lang in ("zh", "en") else lang)
    return Person(name.strip() or address, None, address, False, None, lang)


def answer(person: Person, message_id: str, why: Reason, received: str, item: str) -> Notice:
    """The answer to one reply: what was received, why it was not applied, what to do."""
    content = {"subject": SUBJECT, "received": received, "item": item, "in_reply_to": message_id, **why.content()}
    return Notice("answer", person, once="", key=f"answer:{message_id}", content=content)


def to_clerks(clerks: tuple[str, ...], directory: Directory, lang: str, message_id: str, item: str, person: str,
              sender: str, received: str) -> Notice | None:
    """One short mail to the clerks (the first as recipient, the others copied) naming the item,
    the person the link was for and who replied instead; None when no clerk has an address."""
    found = [directory.people[c] for c in clerks if c in directory.people and directory.people[c].email]
    if not found:
        return None
    first = found[0]
    why = reason("clerks", sender=sender, person=person, item=item)
    content = {"subject": {k: v.format(item=item) for k, v in CLERKS_SUBJECT.items()}, "received": received,
               "item": item, "clerks": True, **why.content()}
    recipient = Person(first.name, first.department, first.email, first.head, first.manager,
                       first.lang if first.lang in ("zh", "en") else lang)
    return Notice("answer", recipient, cc=found[1:], once="", key=f"answer:{message_id}:clerks", content=content)
