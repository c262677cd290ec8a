"""Builds the replies under tests/data/replies/, one .eml per shape a mail client gives a reply to duban.

Each is written byte by byte (headers, MIME boundaries, base64 / quoted-printable, the charset the
client declares), as the client sends it, so a test reads what arrives over IMAP rather than what
Python's email package would have made. Above the quote is the person's line (`REPLY`); below it
is duban's own mail (`ORIGINAL`), full of command words that must never be read as the reply.
Run `python tests/data/replies/make_replies.py` to rebuild them; the output is the same every time.
"""
from __future__ import annotations

import base64
import html
import quopri
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DUBAN = "duban <duban+t8Kq2ZxY@example.com>"
PERSON = "李娜 <lina@example.com>"
SUBJECT = "【督办】T-0042 对账 今天到期 / due today"
# duban's mail as the person received it: every command word of a reply is in it.
ORIGINAL = [
    "李娜，您好：",
    "以下事项今天到期 / due today:",
    "T-0042 对账  截止 2026-12-07  进度 40%",
    "直接回复本邮件即可更新 / reply to update:",
    "已完成 / done",
    "进度 75%",
    "已收到",
    "暂缓至 12-10 / snooze until 2026-12-10",
    "需协助 财务部",
]
BELOW = ("督办原文", "暂缓至", "需协助", "40%")   # words only the original has: none may survive


@dataclass(frozen=True)
class Shape:
    """One client's reply: the file, who writes it this way, the line above, and the separator
    (a name in quoted.SEPARATORS) that must be the first one found."""

    file: str
    client: str
    reply: str
    separator: str
    plain: list[str] | None           # the text/plain part's lines (None: the client sends HTML only)
    html: str | None = None           # the text/html part
    charset: str = "utf-8"
    encoding: str = "base64"          # base64 | quoted-printable | 8bit
    extra: str = ""                   # more Content-Type parameters (format=flowed)
    codec: str = ""                   # how the bytes are really encoded, when not as labelled

    def bytes_of(self, text: str) -> bytes:
        return text.encode(self.codec or self.charset)


def _original_html() -> str:
    return "".join(f"<div>{html.escape(line)}</div>" for line in ORIGINAL + ["督办原文"])


def _plain_original() -> list[str]:
    return ORIGINAL + ["督办原文"]


OUTLOOK_HEAD_EN = ["From: " + DUBAN, "Sent: Monday, December 7, 2026 9:00 AM", "To: " + PERSON, "Subject: " + SUBJECT]
OUTLOOK_HEAD_ZH = ["发件人: " + DUBAN, "发送时间: 2026年12月7日 9:00", "收件人: " + PERSON, "主题: " + SUBJECT]
OUTLOOK_HEAD_FW = ["发件人：" + DUBAN, "发送时间：2026年12月7日 星期一 9:00", "收件人：" + PERSON, "主题：" + SUBJECT]
FOXMAIL_HEAD_ZH = ['发件人: "duban"<duban+t8Kq2ZxY@example.com>;', "发送时间: 2026年12月7日(星期一) 上午9:00",
                   '收件人: "李娜"<lina@example.com>;', "主题: " + SUBJECT]
FOXMAIL_HEAD_EN = ['From:  "duban"<duban+t8Kq2ZxY@example.com>;', "Date:  Mon, Dec 7, 2026 09:00 AM",
                   'To:  "李娜"<lina@example.com>;', "Subject:  " + SUBJECT]
NBSP = "\xa0"


def _qq_html(reply: str, rule: bool) -> str:
    head = "".join(f"<div><b>{html.escape(line.split(':', 1)[0])}:</b>&nbsp;{html.escape(line.split(':', 1)[1].strip())}</div>"
                   for line in FOXMAIL_HEAD_ZH)
    top = ('<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
           "------------------&nbsp;原始邮件&nbsp;------------------</div>") if rule else ""
    return (f'<meta http-equiv="Content-Type" content="text/html; charset=GB18030"><div>{reply}</div><div><br></div>'
            f'<div><br></div>{top}<div style="font-size: 12px;background:#efefef;padding:8px;">{head}</div>'
            f"<div><br></div>{_original_html()}")


SHAPES = [
    Shape("outlook_en_original_message.eml", "Outlook (en), plain text", "已完成", "original-message",
          ["已完成", "", "-----Original Message-----", *OUTLOOK_HEAD_EN, "", *_plain_original()],
          encoding="quoted-printable"),
    Shape("outlook_en_header_block.eml", "Outlook 365 (en)", "Done, thanks.\n已完成", "header-block",
          ["Done, thanks.", "已完成", "", "________________________________", *OUTLOOK_HEAD_EN, "", *_plain_original()],
          html=('<html><head><style>p {margin:0}</style></head><body><div>Done, thanks.<br>已完成</div>'
                '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri">'
                + "".join(f"<b>{html.escape(line.split(':', 1)[0])}:</b> {html.escape(line.split(':', 1)[1])}<br>"
                          for line in OUTLOOK_HEAD_EN)
                + f"</font></div>{_original_html()}</body></html>")),
    Shape("outlook_zh_header_block.eml", "Outlook (zh), ASCII colon, gb2312", "进度 75%", "header-block",
          ["进度 75%", "", "发件人: " + DUBAN, *OUTLOOK_HEAD_ZH[1:], "", *_plain_original()], charset="gb2312"),
    Shape("outlook_zh_fullwidth.eml", "Outlook (zh), full-width colon, GBK-only name under a gb2312 label",
          "进度 75%（陈镕代回）", "header-block",
          ["进度 75%（陈镕代回）", "", *OUTLOOK_HEAD_FW, "", *_plain_original()],
          html=("<div>进度 75%（陈镕代回）</div><div><br></div><div style=\"border:none;border-top:solid #E1E1E1 1.0pt\">"
                + "".join(f"<p><b>{html.escape(line.split('：', 1)[0])}：</b>{html.escape(line.split('：', 1)[1])}</p>"
                          for line in OUTLOOK_HEAD_FW) + f"</div>{_original_html()}"),
          charset="gb2312", codec="gbk"),
    Shape("outlook_zh_original_legacy.eml", "Outlook 2010-2016 (zh)", "已收到", "original-message",
          ["已收到", "", "-----邮件原件-----", *OUTLOOK_HEAD_ZH, "", *_plain_original()], charset="gbk",
          encoding="quoted-printable"),
    Shape("foxmail_zh.eml", "Foxmail (zh)", "已完成", "original-rule",
          ["已完成", "", "", "------------------ 原始邮件 ------------------", *FOXMAIL_HEAD_ZH, "", *_plain_original()],
          charset="GB18030"),
    Shape("foxmail_en.eml", "Foxmail (en)", "进度 75%", "original-rule",
          ["进度 75%", "", "------------------ Original ------------------", *FOXMAIL_HEAD_EN, "", *_plain_original()],
          charset="GB18030"),
    Shape("163_xiedao.eml", "163 web mail", "已完成", "xie-dao",
          ["已完成", "", '在 2026-12-07 09:00:11，"duban" <duban+t8Kq2ZxY@example.com> 写道：',
           *[">" + line for line in _plain_original()]],
          html=('<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial"><div>已完成</div>'
                '<br><br>在 2026-12-07 09:00:11，"duban" &lt;duban+t8Kq2ZxY@example.com&gt; 写道：<br>'
                '<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex; MARGIN: 0px 0px 0px 0.8ex; '
                f'BORDER-LEFT: #ccc 1px solid">{_original_html()}</blockquote></div>'),
          charset="gbk"),
    Shape("163_en.eml", "163 web mail (en)", "Done, 已完成", "wrote",
          ["Done, 已完成", "", 'At 2026-12-07 09:00:11, "duban" <duban+t8Kq2ZxY@example.com> wrote:',
           *[">" + line for line in _plain_original()]], encoding="quoted-printable"),
    Shape("163_reply_original.eml", "网易邮箱大师 / 163 app", "进度 75%", "reply-original",
          ["进度 75%", "", "", "----- 回复的原邮件 -----", "| 发件人 | duban<duban+t8Kq2ZxY@example.com> |",
           "| 日期 | 2026年12月07日 09:00 |", "| 主题 | " + SUBJECT + " |", *_plain_original()]),
    Shape("126_netease_master.eml", "网易邮箱大师 with its signature (126)", "已收到", "mobile-signature",
          ["已收到", "", "", "发自网易邮箱大师", "", "", "-----原始邮件-----", *OUTLOOK_HEAD_ZH, *_plain_original()],
          charset="gb2312", encoding="quoted-printable"),
    Shape("qq_html.eml", "QQ mail (web), HTML only", "已完成", "original-rule", None,
          html=_qq_html("已完成", rule=True), charset="GB18030"),
    Shape("qq_app_header.eml", "QQ mail (app): the &nbsp; header block without a rule", "进度 75%", "header-block",
          None, html=_qq_html("进度 75%", rule=False), charset="gb18030"),
    Shape("gmail_en_wrapped.eml", "Gmail (en), attribution wrapped over two lines", "Received, on it.", "wrote",
          ["Received, on it.", "", "On Mon, Dec 7, 2026 at 9:00 AM duban <duban+t8Kq2ZxY@example.com>", "wrote:", "",
           *["> " + line for line in _plain_original()]],
          html=('<div dir="ltr">Received, on it.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
                "On Mon, Dec 7, 2026 at 9:00 AM duban &lt;duban+t8Kq2ZxY@example.com&gt; wrote:<br></div>"
                '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">'
                f"{_original_html()}</blockquote></div>")),
    Shape("gmail_zh.eml", "Gmail (zh)", "已完成", "xie-dao",
          ["已完成", "", "duban <duban+t8Kq2ZxY@example.com> 于2026年12月7日周一 09:00写道：", "",
           *["> " + line for line in _plain_original()]]),
    Shape("apple_zh_iphone.eml", "Apple Mail on iPhone (zh), format=flowed", "好的，进度 75%，本周五前完成对账。",
          "mobile-signature",
          ["好的，进度 75%，本周五前完成 ", "对账。", "", "发自我的iPhone", "",
           "在 2026年12月7日，09:00，duban <duban+t8Kq2ZxY@example.com> 写道：", "",
           *["> " + line for line in _plain_original()]], encoding="quoted-printable", extra="; format=flowed; delsp=yes"),
    Shape("apple_zh.eml", "Apple Mail (zh), no signature", "已收到", "xie-dao",
          ["已收到", "", "在 2026年12月7日，09:00，duban <duban+t8Kq2ZxY@example.com> 写道：", "",
           *["> " + line for line in _plain_original()]]),
    Shape("apple_en.eml", "Apple Mail (en)", "Done", "wrote",
          ["Done", "", "On 7 Dec 2026, at 09:00, duban <duban+t8Kq2ZxY@example.com> wrote:", "",
           *["> " + line for line in _plain_original()]], encoding="quoted-printable", extra="; format=flowed"),
    Shape("apple_en_iphone.eml", "Apple Mail on iPhone (en)", "进度 75%", "mobile-signature",
          ["进度 75%", "", "Sent from my iPhone", "", "On 7 Dec 2026, at 09:00, duban <duban@example.com> wrote:", "",
           *["> " + line for line in _plain_original()]]),
    Shape("plain_quote.eml", "any client quoting with '>' only", "已完成\n附件已上传到共享盘。", "quote",
          ["已完成", "附件已上传到共享盘。", "", *["> " + line for line in _plain_original()]], encoding="8bit"),
    Shape("signature.eml", "a '-- ' signature above the quote", "进度 75%", "signature",
          ["进度 75%", "", "-- ", "李娜 | 财务部 | 已完成 ISO 审核", "", *["> " + line for line in _plain_original()]]),
    Shape("gmail_forward.eml", "Gmail: the duban mail forwarded to the reply address", "已收到，转给王芳处理", "forwarded",
          ["已收到，转给王芳处理", "", "---------- Forwarded message ---------", "From: " + DUBAN,
           "Date: Mon, Dec 7, 2026 at 9:00 AM", "Subject: " + SUBJECT, "To: " + PERSON, "", *_plain_original()]),
    Shape("outlook_nothing_above.eml", "Outlook (zh): sent with nothing written", "", "header-block",
          ["", "", *OUTLOOK_HEAD_FW, "", *_plain_original()], charset="gb2312"),
]


def _encoded(text: str, shape: Shape) -> bytes:
    raw = shape.bytes_of(text)
    if shape.encoding == "base64":
        return b"\r\n".join(base64.encodebytes(raw).splitlines()) + b"\r\n"
    if shape.encoding == "quoted-printable":
        return quopri.encodestring(raw).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return raw


def _part(subtype: str, text: str, shape: Shape) -> bytes:
    extra = shape.extra if subtype == "plain" else ""
    head = (f"Content-Type: text/{subtype}; charset=\"{shape.charset}\"{extra}\r\n"
            f"Content-Transfer-Encoding: {shape.encoding}\r\n\r\n").encode("ascii")
    return head + _encoded(text, shape)


def _subject() -> str:
    return "=?UTF-8?B?" + base64.b64encode(("回复：" + SUBJECT).encode()).decode("ascii") + "?="


def eml(shape: Shape) -> bytes:
    """The whole message, CRLF line ends, as it comes from the reply box."""
    head = ("From: =?UTF-8?B?5p2O5aic?= <lina@example.com>\r\nTo: " + DUBAN.split(" ", 1)[1] + "\r\n"
            f"Subject: {_subject()}\r\nDate: Mon, 07 Dec 2026 10:42:11 +0800\r\n"
            f"Message-ID: <{shape.file}@example.com>\r\nMIME-Version: 1.0\r\n").encode("ascii")
    parts = []
    if shape.plain is not None:
        parts.append(_part("plain", "\r\n".join(shape.plain) + "\r\n", shape))
    if shape.html is not None:
        parts.append(_part("html", shape.html, shape))
    if len(parts) == 1:
        return head + parts[0]
    boundary = b"----=_duban_reply_boundary"
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary + b"--\r\n"
    return head + b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n\r\n' + body


def main() -> None:
    for shape in SHAPES:
        (HERE / shape.file).write_bytes(eml(shape))


if __name__ == "__main__":
    main()
