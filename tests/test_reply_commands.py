"""Commands typed in a reply to duban's mail (issue 20, update by reply), and the mailto links that
prefill them: replies as people type them on phones, in both languages, and what is said back."""
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings, strategies as st

from duban.mailer.reply.commands import HINT, NOTE_CHARS, Command, Unknown, parse
from duban.mailer.reply.mailto import OFFERED, commands_for, link

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize("typed, kind, value", [
    ("已完成", "done", None), ("完成", "done", None), ("完成了。", "done", None), ("done", "done", None),
    ("Done!", "done", None), ("DONE", "done", None), ("  已完成！！  ", "done", None), ("已完成\u200b", "done", None),
    ("【已完成】", "done", None), ("done 👍", "done", None),
    ("进度 75%", "progress", 75), ("进度75", "progress", 75), ("进度：７５％", "progress", 75),
    ("进度\u3000７５", "progress", 75), ("progress 75%", "progress", 75), ("Progress: 40 %", "progress", 40),
    ("进度 0", "progress", 0), ("进度 100%", "progress", 100), ("进度 62.5%", "progress", 63), ("75％", "progress", 75),
    ("进度 75%（陈镕代回）", "progress", 75), ("progress 75% (on it)", "progress", 75), ("进度 40%【手机】", "progress", 40),
    ("已收到", "acknowledge", None), ("收到", "acknowledge", None), ("收到！", "acknowledge", None),
    ("ack", "acknowledge", None), ("ACK.", "acknowledge", None), ("received", "acknowledge", None),
    ("Received.", "acknowledge", None), ("已响应", "acknowledge", None), ("responded", "acknowledge", None),
    ("暂缓至 12-10", "snooze", date(2026, 12, 10)), ("暂缓至１２－１０", "snooze", date(2026, 12, 10)),
    ("暂缓到 12月10日", "snooze", date(2026, 12, 10)), ("暂缓到12月10号。", "snooze", date(2026, 12, 10)),
    ("snooze until 2026-12-10", "snooze", date(2026, 12, 10)), ("snooze 12/10", "snooze", date(2026, 12, 10)),
    ("Snooze until Dec 10", "snooze", date(2026, 12, 10)), ("snooze till 10 January", "snooze", date(2027, 1, 10)),
    ("暂缓至 2027年1月5日", "snooze", date(2027, 1, 5)), ("暂缓至 12-07", "snooze", TODAY),
    ("暂缓至 1-15", "snooze", date(2027, 1, 15)), ("暂缓至 12-01", "snooze", date(2027, 12, 1)),
    ("暂缓至 2027-12-07", "snooze", date(2027, 12, 7)),
    ("需协助 财务部", "help", "财务部"), ("需协助：财务部", "help", "财务部"), ("需要协助 财务部。", "help", "财务部"),
    ("需协助财务部", "help", "财务部"), ("需财务部协助", "help", "财务部"), ("help 财务部", "help", "财务部"),
    ("blocked 财务部", "help", "财务部"), ("Blocked by IT", "help", "IT"), ("help from Finance, asap", "help", "Finance"),
    ("需协助 财务部，报销流程卡住了", "help", "财务部"),
    ("好的，我下午处理", "note", "好的，我下午处理"), ("进度很好，下周能完成", "note", "进度很好，下周能完成"),
    ("完成度很低", "note", "完成度很低"), ("Helpful, thanks", "note", "Helpful, thanks"),
    ("Help! the server has been down since this morning and nobody answers", "note",
     "Help! the server has been down since this morning and nobody answers"),
    ("等供应商回复\n预计周三到货\n\n发自我的iPhone", "note", "等供应商回复 预计周三到货"),
    ("Waiting for the vendor\n-- \nLi Na\nFinance", "note", "Waiting for the vendor"),
    ("\n\n  等\t供应商   回复  \n", "note", "等 供应商 回复"),
])
def test_a_typed_reply_is_read_as_its_command(typed, kind, value):
    assert parse(typed, TODAY) == Command(kind, value)


def test_only_the_first_line_can_be_a_command():
    assert parse("已完成\n附件已上传", TODAY) == Command("done")
    assert parse("好的\n已完成", TODAY) == Command("note", "好的 已完成")


@pytest.mark.parametrize("typed, code, zh, en", [
    ("进度 120%", "bad-progress", "进度应在0到100之间，您写的是120。",
     "Progress must be between 0 and 100; you wrote 120."),
    ("progress -5", "bad-progress", "进度请写0到100之间的数，例如：进度 75%。您写的是“progress -5”。",
     "Progress must be a number from 0 to 100, e.g. progress 75%. You wrote \"progress -5\"."),
    ("暂缓至 13-45", "bad-date", "“13-45”不是日期。请写成：暂缓至 12-10 或 暂缓至 2027-01-15。",
     "\"13-45\" is not a date. Write it as: snooze until 12-10, or snooze until 2027-01-15."),
    ("snooze", "bad-date", "没有写暂缓到哪一天。请写成：暂缓至 12-10 或 暂缓至 2027-01-15。",
     "The reply does not say until when. Write it as: snooze until 12-10, or snooze until 2027-01-15."),
    ("暂缓至 2026-12-01", "past-date", "2026-12-01已经过去，暂缓日期须是今天或以后。",
     "2026-12-01 has passed; a snooze must end today or later."),
    ("snooze until 2027-12-08", "far-date", "2027-12-08超过一年，暂缓最多到2027-12-07。",
     "2027-12-08 is more than a year away; a snooze can last until 2027-12-07."),
    ("暂缓至 2月29日", "far-date", "2028-02-29超过一年，暂缓最多到2027-12-07。",
     "2028-02-29 is more than a year away; a snooze can last until 2027-12-07."),
    ("需协助", "no-department", "请写上需要哪个部门协助，例如：需协助 财务部。",
     "Say which department you need help from, e.g. help Finance."),
    ("help", "no-department", "请写上需要哪个部门协助，例如：需协助 财务部。",
     "Say which department you need help from, e.g. help Finance."),
    ("", "empty", "回复中没有文字。", "The reply has no text."),
    (" \n\u3000\n\u200b", "empty", "回复中没有文字。", "The reply has no text."),
])
def test_a_reply_that_cannot_be_done_says_why_and_which_commands_exist(typed, code, zh, en):
    found = parse(typed, TODAY)
    assert found == Unknown(code, zh + HINT["zh"], en + " " + HINT["en"])
    assert found.sentence() == found.zh and found.sentence("en") == found.en


def test_the_list_of_commands_names_each_command_in_both_languages():
    assert HINT["zh"] == "可以回复的指令：已完成；进度 75%；已收到；暂缓至 12-10；需协助 财务部；其他文字会作为备注记入该事项。"
    assert HINT["en"] == ("Commands you can reply with: done; progress 75%; received; snooze until 12-10; "
                          "help Finance; any other text is added to the item as a note.")
    for example in ("已完成", "进度 75%", "已收到", "暂缓至 12-10", "需协助 财务部"):   # the examples themselves work
        assert parse(example, TODAY).__class__ is Command and parse(example, TODAY).kind != "note"


def test_a_date_without_a_year_is_the_next_one_on_or_after_today():
    new_year_eve = date(2026, 12, 31)
    assert parse("暂缓至 1-2", new_year_eve) == Command("snooze", date(2027, 1, 2))
    assert parse("暂缓至 12-31", new_year_eve) == Command("snooze", new_year_eve)
    assert parse("暂缓至 12-30", new_year_eve) == Command("snooze", date(2027, 12, 30))
    assert parse("暂缓至 2月29日", date(2027, 12, 1)) == Command("snooze", date(2028, 2, 29))
    assert parse("暂缓至 2029-02-28", date(2028, 2, 29)) == Command("snooze", date(2029, 2, 28))
    assert parse("暂缓至 2029-03-01", date(2028, 2, 29)).code == "far-date"
    assert parse("暂缓至 12-31", date(9999, 12, 1)) == Command("snooze", date(9999, 12, 31))
    assert parse("暂缓至 1-1", date(9999, 12, 1)).code == "bad-date"      # no year 10000 to put it in


@pytest.mark.parametrize("command, kind, zh, en", [
    (Command("done"), None, "状态改为“已完成”。", "Status set to Done."),
    (Command("progress", 75), None, "进度改为75%。", "Progress set to 75%."),
    (Command("acknowledge"), "requests", "确认接收时间填写为您回复的时间。",
     "Acknowledged time filled in with the time of your reply."),
    (Command("acknowledge"), "incidents", "响应时间填写为您回复的时间。",
     "Responded time filled in with the time of your reply."),
    (Command("acknowledge"), None, "记录为已收到（您回复的时间）。", "Marked as received, at the time of your reply."),
    (Command("snooze", date(2026, 12, 10)), None,
     "暂缓至2026-12-10：在此之前该事项不出现在您的待办摘要中；截止日期、颜色和升级不变。",
     "Snoozed until 2026-12-10: the item leaves your digest until then; its due date, colour and escalation "
     "do not change."),
    (Command("help", "财务部"), None, "状态改为“阻塞”，需协助部门填写“财务部”。",
     "Status set to Blocked, help needed from 财务部."),
    (Command("note", "等供应商回复"), None, "在备注列追加（附日期和您的姓名）：等供应商回复",
     "Added to the note column, with the date and your name: 等供应商回复"),
])
def test_a_command_says_what_will_be_written(command, kind, zh, en):
    assert command.describe("zh", kind) == zh
    assert command.describe("en", kind) == en


def test_a_command_is_a_value():
    with pytest.raises(AttributeError):
        Command("done").kind = "note"  # type: ignore[misc]
    assert {Command("progress", 75), Command("progress", 75)} == {Command("progress", 75)}


def _xml_char(c: str) -> bool:
    return c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"


@settings(max_examples=300, deadline=None)
@given(st.text(), st.dates())
def test_parse_never_raises_and_a_note_is_one_line_of_at_most_500_characters(text, today):
    found = parse(text, today)
    assert isinstance(found, (Command, Unknown))
    if isinstance(found, Command) and found.kind == "note":
        assert 0 < len(found.value) <= NOTE_CHARS
        assert found.value.splitlines() == [found.value]
        assert found.value == found.value.strip()
        assert all(_xml_char(c) for c in found.value)           # a workbook cell can hold it
    if isinstance(found, Command) and found.kind == "snooze":
        assert 0 <= (found.value - today).days <= 366
    if isinstance(found, Command) and found.kind == "progress":
        assert 0 <= found.value <= 100


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=NOTE_CHARS, max_size=3 * NOTE_CHARS)
       .filter(lambda t: any(c.isalpha() for c in t)))
def test_a_long_reply_is_cut_to_500_characters(text):
    found = parse("备注 " + text, TODAY)
    assert found.__class__ is Command and found.kind == "note"
    assert len(found.value) <= NOTE_CHARS and "\n" not in found.value and "\r" not in found.value
    assert found.value.startswith("备注")


def test_a_note_drops_what_a_workbook_cell_cannot_hold():
    assert parse("等\x00供应商\x1b回复\u202e\ud800\uffff！", TODAY) == Command("note", "等 供应商 回复！")
    assert parse("\ue000造字\U000f0000", TODAY) == Command("note", "\ue000造字\U000f0000")   # private use stays


# ---- mailto links ----------------------------------------------------------------------------------
def _back(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    assert parts.scheme == "mailto"
    return parts.path, parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)


def test_a_link_prefills_subject_and_command_and_keeps_the_plus_address():
    url = link("duban+ab12cd@corp.cn", "Re: 【督办】您有3项 — 12-07 & more? #1 100% a+b", "进度 75%")
    assert url == ("mailto:duban+ab12cd@corp.cn?subject=Re%3A%20%E3%80%90%E7%9D%A3%E5%8A%9E%E3%80%91%E6%82%A8%E6%9C%893"
                   "%E9%A1%B9%20%E2%80%94%2012-07%20%26%20more%3F%20%231%20100%25%20a%2Bb"
                   "&body=%E8%BF%9B%E5%BA%A6%2075%25")
    address, query = _back(url)
    assert address == "duban+ab12cd@corp.cn"
    assert query == {"subject": ["Re: 【督办】您有3项 — 12-07 & more? #1 100% a+b"], "body": ["进度 75%"]}


def test_line_breaks_are_crlf_in_the_body_and_a_space_in_the_subject():
    url = link("duban@corp.cn", "a\nb", "已完成\n谢谢\r\n李娜\r")
    assert "body=%E5%B7%B2%E5%AE%8C%E6%88%90%0D%0A" in url
    assert _back(url)[1] == {"subject": ["a b"], "body": ["已完成\r\n谢谢\r\n李娜\r\n"]}


def test_an_address_cannot_smuggle_a_header():
    url = link("duban+x?bcc=all@corp.cn#y", "s", "done")
    address, query = _back(url)
    assert address == "duban+x%3Fbcc%3Dall@corp.cn%23y"
    assert set(query) == {"subject", "body"}


_NO_BREAKS = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\u2028\u2029\x85\x0b\x0c"))


@settings(max_examples=300, deadline=None)
@given(_NO_BREAKS, _NO_BREAKS)
def test_a_link_parses_back_to_exactly_its_subject_and_body(subject, body):
    url = link("duban+tok@corp.cn", subject, body)
    assert _back(url) == ("duban+tok@corp.cn", {"subject": [subject], "body": [body]})
    query = urlsplit(url).query
    assert " " not in url and "+" not in query and "#" not in url and query.count("&") == 1 and "?" not in query


@settings(max_examples=200, deadline=None)
@given(st.lists(_NO_BREAKS, min_size=1, max_size=5))
def test_a_body_of_several_lines_comes_back_with_crlf(lines):
    assert _back(link("d@corp.cn", "s", "\n".join(lines)))[1]["body"] == ["\r\n".join(lines)]


# ---- which commands a mail offers -------------------------------------------------------------------
def test_each_kind_offers_its_commands_with_labels_a_person_reads():
    assert commands_for("tasks") == [("标记完成", "已完成"), ("填写进度", "进度 "), ("暂缓", "暂缓至 "), ("需要协助", "需协助 ")]
    assert commands_for("tasks", "en") == [("Mark done", "done"), ("Report progress", "progress "),
                                           ("Snooze", "snooze until "), ("Need help", "help ")]
    assert commands_for("requests") == [("确认收到", "已收到"), ("标记完成", "已完成")]
    assert commands_for("requests", "en") == [("Acknowledge", "received"), ("Mark done", "done")]
    assert commands_for("incidents") == [("已响应", "已响应")]
    assert commands_for("incidents", "en") == [("Responded", "responded")]
    assert commands_for("meetings") == [("标记完成", "已完成"), ("填写进度", "进度 ")]
    assert commands_for("customers") == []


_FILLED = {"progress": ("60", 60), "snooze": ("12-10", date(2026, 12, 10)), "help": ("财务部", "财务部")}
_KIND = {"done": "done", "progress": "progress", "snooze": "snooze", "help": "help", "acknowledge": "acknowledge",
         "responded": "acknowledge"}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", sorted(OFFERED))
def test_every_offered_command_is_read_back_as_its_kind(kind, lang):
    for name, (label, text) in zip(OFFERED[kind], commands_for(kind, lang)):
        if name in _FILLED:
            typed, value = _FILLED[name]
            assert parse(text + typed, TODAY) == Command(_KIND[name], value), label
            assert parse(text, TODAY).__class__ is Unknown, label      # sent without the value: told how
        else:
            assert parse(text, TODAY) == Command(_KIND[name]), label
        body = _back(link("duban+t@corp.cn", "Re: x", text))[1]["body"][0]
        assert body == text
