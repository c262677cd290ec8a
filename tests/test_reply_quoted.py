"""A reply's own words, cut from the quoted duban mail, for every mail client's way of quoting;
and auto-replies and bounces told apart from a person's reply.

The replies are files under tests/data/replies/, built by make_replies.py there as each client
sends them (its charset, its transfer encoding, its separator in zh and en). duban's mail under
each quote says 已完成, 进度 and 暂缓至 too: none of it may come back as the reply.
"""
from __future__ import annotations

import email
import email.policy
import importlib.util
import re
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import assume, given, settings, strategies as st

from duban.mailer.reply.autoreply import is_automatic
from duban.mailer.reply.quoted import SEPARATORS, above_quote, body_text, cut, html_to_text, new_text, part_text

DATA = Path(__file__).resolve().parent / "data" / "replies"
_spec = importlib.util.spec_from_file_location("make_replies", DATA / "make_replies.py")
assert _spec and _spec.loader
replies = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("make_replies", replies)   # its dataclass looks itself up there
_spec.loader.exec_module(replies)
SHAPES = {shape.file: shape for shape in replies.SHAPES}


def _read(name: str) -> EmailMessage:
    message = email.message_from_bytes((DATA / name).read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_a_clients_reply_gives_the_persons_words_and_nothing_of_the_original(name):
    shape = SHAPES[name]
    text = new_text(_read(name))
    assert text == shape.reply, shape.client
    assert not [word for word in replies.BELOW if word in text]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_cut_is_at_the_clients_own_separator(name):
    index, separator = cut(body_text(_read(name)).split("\n"))
    assert separator is not None and separator.name == SHAPES[name].separator


@pytest.mark.parametrize("name", sorted(name for name, shape in SHAPES.items() if shape.html))
def test_the_html_part_gives_the_same_words(name):
    html = _read(name).get_body(preferencelist=("html",))
    assert html is not None
    assert above_quote(html_to_text(part_text(html))) == SHAPES[name].reply


def test_every_separator_has_a_clients_reply_and_every_reply_a_known_separator():
    assert {shape.separator for shape in SHAPES.values()} == {separator.name for separator in SEPARATORS}


def test_the_files_are_what_the_generator_writes():
    assert {path.name for path in DATA.glob("*.eml")} == set(SHAPES)
    stale = [name for name, shape in SHAPES.items() if (DATA / name).read_bytes() != replies.eml(shape)]
    assert not stale, "run python tests/data/replies/make_replies.py"


def test_a_gb2312_label_on_gbk_text_is_read_as_gb18030():
    """Outlook and Foxmail say gb2312 and send GBK: 镕 is not in GB2312."""
    assert "陈镕" in new_text(_read("outlook_zh_fullwidth.eml"))


def _plain(body: bytes, charset: str | None, cte: str = "8bit") -> EmailMessage:
    label = f'; charset="{charset}"' if charset else ""
    raw = (f"From: lina@example.com\r\nSubject: Re\r\nMIME-Version: 1.0\r\nContent-Type: text/plain{label}\r\n"
           f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode("ascii") + body
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("charset, codec", [
    (None, "utf-8"), (None, "gb18030"), ("us-ascii", "utf-8"), ("us-ascii", "gb18030"), ("gb2312", "utf-8"),
    ("gb2312", "gb18030"), ("x-unknown", "utf-8"), ("x-unknown", "gb18030"),
    ("iso-8859-1", "utf-8"),   # (GB18030 under a Latin-1 label is not recoverable: Latin-1 reads any bytes)
])
def test_utf8_or_gb18030_bytes_under_a_wrong_or_missing_label_are_read(charset, codec):
    assert new_text(_plain("进度 75%\r\n\r\n> 已完成\r\n".encode(codec), charset)) == "进度 75%"


def test_gbk_text_under_a_gb2312_label_that_is_also_valid_utf8_is_read_as_gbk():
    """陳發 in GBK is also valid UTF-8 (ꐰl): trying UTF-8 after gb2312 failed would give that."""
    assert new_text(_plain("陳發\r\n".encode("gbk"), "gb2312")) == "陳發"


def test_a_message_parsed_from_a_str_is_read_as_it_is():
    message = email.message_from_string("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                                        "进度 75%\n\n> 已完成\n")
    assert new_text(message) == "进度 75%"


def test_an_empty_text_part_beside_html_gives_way_to_the_html():
    message = EmailMessage()
    message.set_content("\n")
    message.add_alternative("<div>已收到</div><blockquote type=\"cite\">已完成</blockquote>", subtype="html")
    assert new_text(message) == "已收到"


@pytest.mark.parametrize("signature", ["获取 Outlook for iOS", "Get Outlook for Android", "从我的三星手机发送",
                                       "发自我的华为手机", "发自我的 iPad", "Sent from my Huawei phone", "发自钉钉邮箱"])
def test_a_mobile_signature_ends_the_words(signature):
    assert above_quote(f"已完成\n\n{signature}\n暂缓至 12-10") == "已完成"


def test_a_message_without_text_gives_nothing():
    message = EmailMessage()
    message.set_content(b"\x89PNG", maintype="image", subtype="png")
    assert new_text(message) == ""


def test_a_persons_own_from_line_is_not_a_header_block():
    text = "From: 财务部的意见，已完成\nTo: 张伟 please check\n\n> 督办原文"
    assert above_quote(text) == "From: 财务部的意见，已完成\nTo: 张伟 please check"


def test_a_line_right_above_a_wrapped_attribution_is_the_persons():
    text = "On it, 75% done\nOn Mon, Dec 7, 2026 at 9:00 AM duban <d@example.com>\nwrote:\n> 已完成"
    assert above_quote(text) == "On it, 75% done"
    assert above_quote("已完成 2026-12-07\n在 2026-12-07 09:00:11，duban 写道：\n> 暂缓至") == "已完成 2026-12-07"


def test_a_line_longer_than_any_attribution_is_the_persons():
    long_line = "On 7 Dec 2026 " + "进度说明" * 100 + " wrote:"
    assert above_quote(long_line + "\n> 已完成") == long_line


def test_gmails_indent_is_not_a_quote():
    html = ('<div>进度 75%</div><blockquote style="margin:0 0 0 40px;border:none;padding:0px">本周完成</blockquote>'
            '<div class="gmail_quote">On Mon, Dec 7, 2026 at 9:00 AM duban wrote:<blockquote>已完成</blockquote></div>')
    assert above_quote(html_to_text(html)) == "进度 75%\n本周完成"
    assert above_quote(html_to_text('进度 75%<span class="gmail_quote">已完成</span>')) == "进度 75%"


# ---- arbitrary words above each client's quote ----

_WORDS = st.text(st.characters(categories=("L", "N", "Zs"), include_characters="，。！？、%:：;,.!?()（）'\""),
                 max_size=40)
_NOT_OWN = re.compile(r"wrote|写道|from|发件人|发自|来自我的|sent|get |从|original|原始|原件|原邮件|forward|转发", re.I)
_PLAIN_SHAPES = [shape for shape in replies.SHAPES if shape.plain and not shape.extra]


def _below(shape) -> list[str]:
    """The shape's lines from its separator down (what the client put under the person's words)."""
    return shape.plain[len(shape.reply.split("\n")):]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_WORDS, min_size=1, max_size=6), shape=st.sampled_from(_PLAIN_SHAPES),
       gap=st.booleans(), charset=st.sampled_from(["utf-8", "gb18030"]), cte=st.sampled_from(["base64", "quoted-printable"]))
def test_arbitrary_words_above_any_clients_quote_come_back_trimmed_and_alone(lines, shape, gap, charset, cte):
    assume(not any(_NOT_OWN.search(line) for line in lines))   # a separator's own words are not the property's
    below = _below(shape)
    if not gap:
        while below and not below[0].strip():
            below = below[1:]
    message = EmailMessage()
    message.set_content("\n".join(lines + below) + "\n", charset=charset, cte=cte)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    expected = "\n".join(line.rstrip() for line in lines).strip()
    assert new_text(parsed) == expected
    assert "督办原文" not in new_text(parsed)


# ---- auto-replies and bounces ----

def _reply(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "李娜 <lina@example.com>"
    message["To"] = "duban+t8Kq2ZxY@example.com"
    message["Subject"] = headers.pop("Subject", "回复：【督办】T-0042 休假审批 今天到期")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("已完成\n")
    return message


def test_a_persons_reply_is_not_automatic_even_with_outlooks_suppress_header():
    assert not is_automatic(_reply())
    assert not is_automatic(_reply(X_Auto_Response_Suppress="All", Auto_Submitted="no", Precedence="normal",
                                   Return_Path="<lina@example.com>"))
    assert not is_automatic(_reply(Subject="Re: 【督办】不在办公室的打印机 Out of Office printer"))


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"},                                    # RFC 3834, Gmail's vacation answer
    {"Auto_Submitted": "auto-generated; owner-email=\"it@example.com\""},  # Exchange's out-of-office
    {"X_Autoreply": "yes"},                                                # 163 / 126 auto-reply
    {"X_Autorespond": "Vacation"},
    {"Precedence": "bulk"}, {"Precedence": "junk"}, {"Precedence": "auto_reply"}, {"Precedence": "List"},
    {"Return_Path": "<>"}, {"Return_Path": "< >"},
    {"Subject": "自动回复: 回复：【督办】T-0042"}, {"Subject": "自动答复: 【督办】T-0042"},
    {"Subject": "Auto Reply: Re: 【督办】T-0042"}, {"Subject": "[Auto-Reply] 【督办】"},
    {"Subject": "Automatic reply: 【督办】T-0042"}, {"Subject": "Out of Office: 【督办】T-0042"},
    {"Subject": "【休假】李娜 12-07 至 12-14"}, {"Subject": "不在办公室：【督办】T-0042"},
])
def test_an_auto_reply_is_automatic(headers):
    assert is_automatic(_reply(**headers))


def test_a_delivery_report_is_automatic():
    """A bounce (DSN) is multipart/report, whatever its other headers say."""
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@example.com>"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("已完成\n")
    report.add_attachment("Reporting-MTA: dns; mail.example.com\n", subtype="delivery-status")
    report.replace_header("Content-Type", report["Content-Type"].replace("multipart/mixed", "multipart/report"))
    assert report.get_content_type() == "multipart/report" and not report.get("Return-Path")
    assert is_automatic(report)
