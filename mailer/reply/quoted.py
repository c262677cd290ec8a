"""The words a person wrote in a reply, without the quoted original, the signature or the client's furniture.

A reply to a duban mail carries the duban mail below it, and that mail is full of command-like
words (已完成, 进度, 暂缓至): if any of it survived, quoting would act. So the text is cut at the
first line that starts a quote, and nothing below that line is ever returned.

The public libraries that strip quotes know Gmail's and Outlook's English lines and miss most of
the Chinese clients' ones (Outlook's full-width colon `发件人：`, Foxmail's `原始邮件` rule, 163's
`回复的原邮件`, QQ mail's `&nbsp;`-padded rule, Gmail's `于…写道：`), so duban keeps its own list,
`SEPARATORS`, each entry naming the clients that write it; the tests hold one reply per client.

A separator must be recognisable on its own line(s) — a date in an attribution, the rest of a
header block after `From:` — so a person's own sentence above it is never taken for one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from html.parser import HTMLParser

# Chinese clients label GBK or GB18030 text as gb2312; GB18030 reads all three.
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "gb_2312-80": "gb18030",
          "euc-cn": "gb18030", "x-euc-cn": "gb18030", "chinese": "gb18030"}
_SINGLE_BYTE = frozenset(("us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"))
QUOTED_LINE = ">"      # a line the HTML conversion marks as inside a quote block, as plain text does


@dataclass(frozen=True)
class Separator:
    """A line (or a few, when a client wraps it) where a quoted original begins.

    `pattern` must match the whole line, trimmed (`&nbsp;` is a space to both); `span` lines may be
    joined with a space (Gmail wraps a long attribution); `fields` more header lines (Sent, To,
    Subject, 发送时间, 收件人, 主题…) must follow within a few lines, so that `From: …` alone, a
    person's own words, is not one."""

    name: str
    clients: str
    pattern: re.Pattern[str]
    span: int = 1
    fields: int = 0


def _re(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


_HEADER_FIELD = _re(r"\*?\s*(sent|date|to|cc|subject|发送时间|日期|时间|收件人|抄送|主题)\s*\*?\s*[:：].*")

SEPARATORS: tuple[Separator, ...] = (
    Separator("original-message", "Outlook (en, zh), 163/126/yeah.net",
              _re(r"-{2,6}\s*(original message|原始邮件|邮件原件)\s*-{2,6}")),
    Separator("original-rule", "Foxmail (zh, en), QQ mail",
              _re(r"-{7,}\s*(原始邮件|original)\s*-{7,}")),
    Separator("reply-original", "163/126/yeah.net", _re(r"-{2,}\s*回复的原邮件\s*-{2,}")),
    Separator("forwarded", "Gmail, Apple Mail, Outlook (a forward under the reply)",
              _re(r"(-{2,}\s*(forwarded message|转发的邮件|转发邮件信息)\s*-{2,}|begin forwarded message:|以下为转发的邮件[:：])")),
    Separator("header-block", "Outlook (en, zh with ':' or '：'), QQ mail, Foxmail",
              _re(r"\*?\s*(from|发件人)\s*\*?\s*[:：].*"), fields=2),
    Separator("wrote", "Gmail (en, wrapped over lines), Apple Mail (en), Thunderbird, 163 (en: 'At …')",
              _re(r"(on|at)\s.*\d.*\swrote\s*:"), span=3),
    Separator("xie-dao", "163/126/yeah.net, Gmail (zh), Apple Mail (zh)",
              _re(r".*\d{4}\s*[-/年.]\s*\d{1,2}.*写道\s*[:：]"), span=3),
    Separator("quote", "every client's plain text; HTML quote blocks", re.compile(QUOTED_LINE + r".*")),
    Separator("signature", "the '-- ' line of RFC 3676", re.compile(r"--")),
    Separator("mobile-signature", "iPhone, iPad, Android clients, 网易邮箱大师, Outlook and Windows Mail",
              _re(r"((发自|来自)我的\s*[\w \-]{1,24}|发自\s*(网易邮箱大师|网易邮箱|qq邮箱|foxmail|企业微信|钉钉)[\w ]{0,12}"
                  r"|sent from my\s+[\w \-]{1,30}|(sent from|get) (mail|outlook) for [\w \-]{1,20}"
                  r"|从\s*windows\s*版?邮件发送|从我的\s*[\w \-]{1,24}发送|获取\s*outlook\s*for\s*[\w ]{1,12})")),
)
_ATTRIBUTION = 400     # characters: no client's attribution is longer, and its patterns need not scan a long line
_FIELD_WINDOW = 8      # non-blank lines after `From:` in which the rest of a header block must show
_FURNITURE = re.compile(r"[_\-=*~]{5,}")   # Outlook's rule above its header block, and the like


def new_text(message: EmailMessage | Message) -> str:
    """The words the sender wrote above the quoted original, trimmed; '' when there are none."""
    return above_quote(body_text(message))


def above_quote(text: str) -> str:
    """`text` up to its first separator, without trailing blank lines and rules, each line right-trimmed."""
    lines = text.split("\n")
    kept = lines[:cut(lines)[0]]
    while kept and (not kept[-1].strip() or _FURNITURE.fullmatch(kept[-1].strip())):
        kept.pop()
    return "\n".join(line.rstrip() for line in kept).strip()


def cut(lines: list[str]) -> tuple[int, Separator | None]:
    """Where the first quote, signature or original starts, and which separator says so
    (len(lines) and None when there is none)."""
    plain = [_plain(line) for line in lines]
    for index in range(len(plain)):
        for separator in SEPARATORS:
            if _starts_here(separator, plain, index):
                return index, separator
    return len(lines), None


def _plain(line: str) -> str:
    return line.strip()     # &nbsp; (QQ mail) goes too: str.strip and the patterns' \s take it as a space


def _starts_here(separator: Separator, plain: list[str], index: int) -> bool:
    if not plain[index]:
        return False
    for span in range(1, separator.span + 1):
        end = index + span
        if end > len(plain) or not plain[end - 1]:
            break
        if separator.span > 1 and sum(map(len, plain[index:end])) > _ATTRIBUTION:
            break
        if separator.pattern.fullmatch(" ".join(plain[index:end])):
            return _fields_follow(plain, end, separator.fields) and not _starts_later(separator, plain, index, end)
    return False


def _starts_later(separator: Separator, plain: list[str], index: int, end: int) -> bool:
    """A wrapped attribution matched from `index` that also matches from a later line begins there:
    '已完成' right above '在 2026-12-07 … 写道：' is the person's, not the attribution's first line."""
    return any(separator.pattern.fullmatch(" ".join(plain[later:end])) for later in range(index + 1, end))


def _fields_follow(plain: list[str], start: int, wanted: int) -> bool:
    if not wanted:
        return True
    following = [line for line in plain[start:] if line][:_FIELD_WINDOW]
    names = {match.group(1).lower() for line in following if (match := _HEADER_FIELD.fullmatch(line))}
    return len(names) >= wanted


# ---- the body as text ----

def body_text(message: EmailMessage | Message) -> str:
    """The text/plain part as text (else the text/html part converted), lines ending in '\\n'."""
    plain = _part(message, "plain")
    text = _unflowed(_newlines(part_text(plain)), plain) if plain is not None else ""
    html = _part(message, "html")
    if text.strip() or html is None:     # an empty text/plain beside the HTML is a client's placeholder
        return text
    return html_to_text(part_text(html))


def _part(message: Message, subtype: str) -> Message | None:
    if isinstance(message, EmailMessage):
        return message.get_body(preferencelist=(subtype,))
    for part in message.walk():   # a message parsed without the modern policy has no get_body
        if part.get_content_type() == f"text/{subtype}" and not part.get_filename():
            return part
    return None


def part_text(part: Message) -> str:
    """The part's text: base64 and quoted-printable undone, the charset read as the client meant it
    (a gb2312 label read as GB18030), and UTF-8 then GB18030 tried when the label is wrong or absent
    (UTF-8 first under a Western label, which reads any bytes and would hide it)."""
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    payload = part.get_payload()
    if isinstance(payload, str) and max(payload, default=" ") > "\xff" and raw == payload.encode("raw-unicode-escape"):
        return payload      # parsed from a str, not from the bytes that came: it is text already
    label = _WIDER.get(label := (part.get_content_charset() or "").lower(), label)
    tried = ("utf-8", label, "gb18030") if label in _SINGLE_BYTE else (label, "utf-8", "gb18030")
    for charset in dict.fromkeys(c for c in tried if c):
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", errors="replace")


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unflowed(text: str, part: Message) -> str:
    """format=flowed (RFC 3676, Apple Mail, Thunderbird): a line ending in a space goes on in the next."""
    if str(part.get_param("format", "", header="content-type")).lower() != "flowed":
        return text
    delete_space = str(part.get_param("delsp", "", header="content-type")).lower() == "yes"
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        line = line[1:] if line.startswith(" ") else line          # space-stuffing undone
        if joining and out and not line.startswith(QUOTED_LINE):
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and line != "-- " and not line.startswith(QUOTED_LINE)
        if joining and delete_space:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


_BLOCKS = frozenset("address article aside blockquote br dd div dl dt figure footer form h1 h2 h3 h4 h5 h6 header "
                    "hr li main nav ol p pre section table tbody td th tr ul".split())
_HIDDEN = frozenset(("head", "script", "style", "title", "template"))
_QUOTE_MARKS = ("gmail_quote", "divrplyfwdmsg", "yahoo_quoted", "moz-cite-prefix", "appendonsend")


class _HtmlText(HTMLParser):
    """HTML as lines of text: blocks and <br> break lines, hidden elements say nothing, and from the
    first quote block on (a <blockquote>, Gmail's gmail_quote, Outlook's divRplyFwdMsg…) every
    line starts with '>', as plain text marks a quote."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.hidden = 0
        self.quoted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        if tag == "br" or (tag in _BLOCKS and self.lines[-1].strip()):
            self.lines.append("")
        marks = " ".join(str(value) for name, value in attrs if name in ("class", "id")).lower()
        style = " ".join(str(value) for name, value in attrs if name == "style").replace(" ", "").lower()
        if any(mark in marks for mark in _QUOTE_MARKS) or (tag == "blockquote" and "border:none" not in style):
            if self.lines[-1].strip():
                self.lines.append("")   # an inline element that starts a quote starts its line too
            self.quoted = True      # Gmail's indent button is a <blockquote style="…border:none…">, not a quote

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag in _BLOCKS and self.lines[-1].strip():
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)
        if not self.lines[-1].strip() and text.strip() and self.quoted:
            self.lines[-1] = QUOTED_LINE + " "
        self.lines[-1] += text


def html_to_text(html: str) -> str:
    """An HTML body as plain lines (no blank line twice in a row), quote blocks marked with '>'."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    out: list[str] = []
    for line in (line.strip(" ") for line in parser.lines):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")
