"""Cell text made inert for a group chat, and cut at a platform's byte limit.

Anyone can type into a workbook, and a cell that says `<@all>`, `@所有人` or `[点这里](javascript:…)`
must reach a group as those characters, not as a mention of everybody or a link. Rather than
escape each platform's syntax (five dialects, some undocumented), the characters that start any
markup or mention become their full-width twins, which read the same to a person and mean
nothing to a parser: @ < > [ ] ` (and a # that would start a heading). Line breaks inside a cell
become spaces, so a cell cannot start a markdown line of its own; control and bidi characters go.

Platforms count UTF-8 bytes, not characters (4,096 bytes is about 1,365 Chinese characters), so
the cut counts bytes and never splits a character; what is left out is counted in a tail
("…另外 N 项，详见邮件 / 工作簿").
"""
from __future__ import annotations

import re
import unicodedata

# `*` and `~` too: a cell's **bold**, *italic* or ~~struck~~ would be shown as such by a markdown group
INERT = str.maketrans({"@": "＠", "<": "＜", ">": "＞", "[": "［", "]": "］", "`": "｀", "#": "＃", "*": "＊",
                       "~": "～"})
ACTIVE = frozenset("@<>[]`#*~")   # none of these survives neutralise()
TITLE_BYTES = 256
WHO_BYTES = 1024
LABEL_BYTES = 200
_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def _kept(char: str) -> bool:
    """Drop control (Cc) and format (Cf: bidi overrides, zero-width joiners) characters; keep the rest."""
    return unicodedata.category(char) not in ("Cc", "Cf")


def neutralise(text: str) -> str:
    """Cell text as inert text: no mention, link, tag, code span or heading survives."""
    text = _BREAKS.sub(" ", str(text))
    return "".join(c for c in text if _kept(c) or c == "\t").replace("\t", " ").translate(INERT)


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def cut_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` in at most `limit` UTF-8 bytes; when it must be cut, it ends in `ellipsis` (which
    counts), and the cut falls between characters."""
    if size(text) <= limit:
        return text
    room = limit - size(ellipsis)
    if room < 0:
        return ""
    head = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return head + ellipsis


def clip(text: str, chars: int, ellipsis: str = "…") -> str:
    """`text` in at most `chars` characters (a field a platform counts in characters, DingTalk's
    notification title): cut, it ends in `ellipsis`, and an English word is not cut in half."""
    if len(text) <= chars:
        return text
    head = text[:chars - len(ellipsis)]
    space, cut = head.rfind(" "), head[-1:] + text[len(head)]
    if space > len(head) // 2 and cut.isascii() and cut.isalnum():      # mid-word: back to the last space
        head = head[:space]
    return head.rstrip(" ·:：,，;；") + ellipsis


def tail(left_out: int, language: str) -> str:
    if language == "zh":
        return f"…另外 {left_out} 项，详见邮件 / 工作簿"
    return f"…and {left_out} more, see the mail / workbook"


def fit(head: str, lines: list[str] | tuple[str, ...], limit: int, language: str = "zh",
        more: int = 0, joiner: str = "\n") -> str:
    """`head`, then as many whole `lines` as fit in `limit` bytes with room for the tail that
    counts the rest (and `more`, items the caller already left out). A first line too long on its
    own is cut rather than dropped, so the group always reads at least one item."""
    lines = list(lines)

    def joined(parts: list[str]) -> str:
        return joiner.join(p for p in parts if p)

    def ending(kept: int) -> list[str]:
        left = len(lines) - kept + more
        return [tail(left, language)] if left else []

    step, used, best = size(joiner), size(head), 0     # prefix sums: no string is rebuilt per try
    for kept in range(1, len(lines) + 1):
        used += step + size(lines[kept - 1]) if (head or kept > 1) else size(lines[0])
        end = ending(kept)
        if used + (step + size(end[0]) if end else 0) > limit:
            break
        best = kept
    if best or not lines:
        return cut_bytes(joined([head, *lines[:best], *ending(best)]), limit)
    fixed = joined([head, *ending(1)])
    room = limit - size(fixed) - (step if fixed else 0)
    first = cut_bytes(lines[0], room) if room > size("…") else ""
    return cut_bytes(joined([head, first, *ending(1 if first else 0)]), limit)


def headline(text: str) -> str:
    """A title: neutralised and at most TITLE_BYTES (a title is one line, never the whole budget)."""
    return cut_bytes(neutralise(text), TITLE_BYTES)


def who(parts: list[str], language: str, limit: int = WHO_BYTES) -> str:
    """The line that names the people a message is for (mentions the platform's way, or plain
    names), whole parts only, at most `limit` bytes: a mention cut in half would be neither."""
    line = "提醒：" if language == "zh" else "For: "
    shown = 0
    for part in parts:
        if size(line) + size(part) + 4 > limit:
            break
        line, shown = line + (" " if shown else "") + part, shown + 1
    return "" if not parts else line + (" …" if shown < len(parts) else "")


def link(label: str, url: str, style: str) -> str:
    """A link duban adds (its URL already checked by message.safe_url): markdown `[label](url)`,
    Slack `<url|label>`, or `label: url` where nothing is markup. No URL: the label as text."""
    label = cut_bytes(neutralise(label), LABEL_BYTES)
    if not url:
        return label
    if style == "markdown":
        return f"[{label}]({url})"
    if style == "slack":
        return f"<{url}|{label.replace('|', '｜')}>"
    return f"{label}: {url}"
