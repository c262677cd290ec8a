"""The answer to a reply that duban could not apply, as mail text: what was received (its first
line), why it was not applied, and the one thing to do, in the reader's language.

Short on purpose: it is read on a phone, by someone who expected their reply to work. The reasons
come from the inbox job (jobs/inbox) in both languages; this module only lays them out. An answer
to the clerks (a reply from someone the link was not sent to) uses the same layout.
"""
from __future__ import annotations

from duban.mailer.message import plain
from duban.mailer.render import ENV, Rendered

QUOTE_CHARS = 80          # of the received line: enough to recognise it, never the whole reply


def render_answer(name: str, content: dict, lang: str) -> Rendered:
    """Subject, HTML and text of one answer to `name`. `content`: {"subject": {zh, en}, "received":
    the first line of the reply (may be ""), "why": {zh, en}, "todo": {zh, en}, "item": the row's
    ID or "", "clerks": True for the clerks' copy (the reply is not theirs)}."""
    chinese = lang != "en"
    pick = "zh" if chinese else "en"
    received = plain(str(content.get("received") or "")).strip()
    if len(received) > QUOTE_CHARS:
        received = received[:QUOTE_CHARS - 1] + "…"
    context = {
        "chinese": chinese, "name": plain(name), "received": received, "item": plain(str(content.get("item") or "")),
        "why": content["why"][pick], "todo": content["todo"][pick], "clerks": bool(content.get("clerks")),
    }
    subject = plain(content["subject"][pick])[:180]
    html = ENV.get_template("answer.html.j2").render(subject=subject, **context)
    text = ENV.get_template("answer.txt.j2").render(subject=subject, **context)
    return Rendered(subject, html, text, 1)
