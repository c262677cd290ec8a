"""One-click `mailto:` links that prefill a reply with a command, and which commands a mail offers per kind.

A person on a phone taps "标记完成" and their mail app opens a reply to duban's address with the
subject and the command already written; they press send. The link follows RFC 6068: subject and
body are UTF-8, percent-encoded, with every `&`, `?`, `#`, `%`, `+` and space encoded (a `+` left
bare would come back as a space), and line breaks as CRLF (%0D%0A). The address keeps its `+`,
since the per-item token rides on plus-addressing (`duban+<token>@…`).

Commands that need a value (progress, snooze, help) are offered as their start ("进度 "): the
person types the number, date or department; sent as is, the reply answers with how to write it.
The command texts are the ones `commands.parse` reads, so every offered link parses to its kind.
"""
from __future__ import annotations

import re
from urllib.parse import quote

# RFC 6068 `addr-spec` may carry unreserved characters and some-delims bare; everything else is encoded
_ADDRESS_SAFE = "!$'()*+,;:@"
_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85\x0b\x0c]")

# kind (workbooks' Kind.name) -> the commands a mail offers for its items, in this order
OFFERED = {
    "tasks": ("done", "progress", "snooze", "help"),
    "projects": ("done", "snooze"),         # the project log has no progress or help column
    "requests": ("acknowledge", "done"),
    "incidents": ("responded",),
    "meetings": ("done", "progress"),
}
# command -> (zh label, zh command text, en label, en command text)
COMMANDS = {
    "done": ("标记完成", "已完成", "Mark done", "done"),
    "progress": ("填写进度", "进度 ", "Report progress", "progress "),
    "snooze": ("暂缓", "暂缓至 ", "Snooze", "snooze until "),
    "help": ("需要协助", "需协助 ", "Need help", "help "),
    "acknowledge": ("确认收到", "已收到", "Acknowledge", "received"),
    "responded": ("已响应", "已响应", "Responded", "responded"),
}


def link(address: str, subject: str, command: str) -> str:
    """`mailto:` URL to `address` with `subject` (on one line) and `command` as the body."""
    subject_line = _BREAKS.sub(" ", subject)
    body = _BREAKS.sub("\r\n", command)
    return (f"mailto:{_encode(address, _ADDRESS_SAFE)}"
            f"?subject={_encode(subject_line)}&body={_encode(body)}")


def _encode(text: str, safe: str = "") -> str:
    """UTF-8 percent-encoding; an unpaired surrogate (it has no UTF-8) becomes "?", not an error."""
    return quote(text, safe=safe, encoding="utf-8", errors="replace")


# a command that only makes sense while the row is flagged for it: acknowledging a request already
# acknowledged, or answering an incident already answered, would change nothing
WHILE = {"acknowledge": "not_acknowledged", "responded": "incident_unanswered"}


def commands_for(kind: str, lang: str = "zh", rules=None) -> list[tuple[str, str]]:
    """(label, command text) pairs a mail offers for an item of `kind`; none for a kind without any.
    `rules`: the codes the item is flagged for, when known (see WHILE)."""
    en = lang == "en"
    offered = []
    for name in OFFERED.get(kind, ()):
        if rules is not None and name in WHILE and WHILE[name] not in rules:
            continue
        zh_label, zh_text, en_label, en_text = COMMANDS[name]
        offered.append((en_label, en_text) if en else (zh_label, zh_text))
    return offered
