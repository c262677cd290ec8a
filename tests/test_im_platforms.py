"""The group-bot platforms, each against its loopback fake (tests/im_fakes.py): what is accepted,
what each refusal means for duban, the signatures, the byte cut, the neutralised cell text and
the @-mentions. Nothing here reaches the internet."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings, strategies as st

from duban.mailer.im import answer, dingtalk, feishu, slack, teams, wecom
from duban.mailer.im.answer import Outcome
from duban.mailer.im.message import GroupMessage, Person
from duban.mailer.im.platforms import PLATFORMS
from duban.mailer.im.post import encode
from duban.mailer.im.send import attempt
from duban.mailer.im.text import ACTIVE, cut_bytes, fit, neutralise, size
from im_fakes import FakeBot

SECRET = "SECa1b2c3d4e5f6"
NAMES = ("dingtalk", "feishu", "slack", "teams", "wecom")     # lark is feishu (a test below)
ZHANG = Person("张三", mobile="13800001111", wecom="zhangsan", dingtalk="zs01", feishu="ou_7d8a6e6df7621556ce0d21922b676706",
               slack="U024BE7LH", teams="zhang.san@example.com")
LI = Person("李四")          # no ID anywhere: plain name, no @
HOSTILE = "<@all> @所有人 @all 请看 [点这里](javascript:alert(1)) <font color=\"warning\">红</font> <b>x</b> `code` <!channel>"


@pytest.fixture
def bots():
    started = []

    def start(platform, **kw):
        started.append(FakeBot(platform, **kw).start())
        return started[-1]
    yield start
    for fake in started:
        fake.stop()


def send(fake, message, secret="", now=time.time, timeout=5.0):
    platform = PLATFORMS[fake.platform]
    return [attempt(platform, fake.url, secret, body, now, timeout) for body in platform.build(message)]


def simple(**kw):
    return GroupMessage("紧急：事项 INC-7 未响应", ("描述：机房断电", "已等待 12 分钟"), **kw)


# --- accepted, and every documented refusal classified ---------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_each_platform_accepts_a_plain_message(bots, name):
    fake = bots(name, secret=SECRET if name in ("dingtalk", "feishu") else "")
    assert [a.outcome for a in send(fake, simple(mentions=(ZHANG, LI)), SECRET)] == [Outcome.OK]
    assert [g.verdict for g in fake.got] == ["ok"]


CASES = [  # platform, what the fake is told to say, outcome, least wait, words the admins' sentence must hold
    ("wecom", "45009", Outcome.RETRY, 60, ""), ("wecom", "93000", Outcome.PERMANENT, 0, "webhook 地址"),
    ("wecom", "40058", Outcome.PERMANENT, 0, "维护人"), ("wecom", "777777", Outcome.FAILED, 0, "777777"),
    ("dingtalk", "130101", Outcome.RETRY, 600, ""),
    ("dingtalk", "310000-sign", Outcome.PERMANENT, 0, "钉钉加签失败：请检查 secret"),
    ("dingtalk", "310000-keyword", Outcome.PERMANENT, 0, "关键词不匹配：消息需包含"),
    ("dingtalk", "310000-timestamp", Outcome.PERMANENT, 0, "时钟"),
    ("dingtalk", "310000-ip", Outcome.PERMANENT, 0, "白名单"),
    ("dingtalk", "300001", Outcome.PERMANENT, 0, "access_token"), ("dingtalk", "777777", Outcome.FAILED, 0, ""),
    ("feishu", "19021", Outcome.PERMANENT, 0, "签名校验失败"), ("feishu", "19024", Outcome.PERMANENT, 0, "关键词"),
    ("feishu", "19022", Outcome.PERMANENT, 0, "白名单"), ("feishu", "11232", Outcome.RETRY, 120, "整点"),
    ("feishu", "9499", Outcome.PERMANENT, 0, ""), ("feishu", "777777", Outcome.FAILED, 0, ""),
    ("slack", "invalid_payload", Outcome.PERMANENT, 0, "invalid_payload"),
    ("slack", "no_service", Outcome.PERMANENT, 0, "重新创建"), ("slack", "channel_is_archived", Outcome.PERMANENT, 0, ""),
    ("slack", "200-odd", Outcome.FAILED, 0, ""),
    ("teams", "404", Outcome.PERMANENT, 0, "工作流"), ("teams", "400", Outcome.PERMANENT, 0, ""),
] + [(name, "500", Outcome.RETRY, 60, "") for name in ("wecom", "dingtalk", "feishu", "slack", "teams")] \
  + [(name, "429", Outcome.RETRY, 60, "") for name in ("wecom", "dingtalk", "feishu", "slack", "teams")]


@pytest.mark.parametrize(("name", "said", "outcome", "wait", "words"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_answer_is_classified(bots, name, said, outcome, wait, words):
    fake = bots(name, answer=said)
    [got] = send(fake, simple())
    assert got.outcome is outcome and not got.ok
    assert got.wait >= wait
    assert words in got.zh and got.en


def test_the_chinese_platforms_refuse_with_http_200_and_that_is_never_success(bots):
    for name in ("wecom", "dingtalk", "feishu"):
        fake = bots(name, answer="777777")
        [got] = send(fake, simple())
        assert got.outcome is Outcome.FAILED, name
        assert fake.got[-1].verdict == "777777"


def test_a_body_that_is_not_json_from_a_chinese_platform_is_a_failure():
    for platform in (wecom, dingtalk, feishu):
        assert platform.classify(200, b"<html>proxy login</html>").outcome is Outcome.FAILED
        assert platform.classify(200, b'{"errcode": "0"}').outcome is Outcome.FAILED


def test_a_hanging_platform_is_a_retry_that_may_have_been_delivered(bots):
    fake = bots("wecom", answer="hang")
    [got] = send(fake, simple(), timeout=0.3)
    assert got.outcome is Outcome.RETRY and got.wait >= 60 and got.maybe_sent


def test_nobody_listening_is_a_retry_that_was_not_delivered(bots):
    fake = bots("slack")
    url = fake.url
    fake.stop()
    got = attempt(slack, url, "", slack.build(simple())[0], timeout=2.0)
    assert got.outcome is Outcome.RETRY and not got.maybe_sent


def test_a_rate_limit_answer_waits_at_least_a_minute_even_when_it_asks_for_less(bots):
    fake = bots("slack", answer="429", retry_after="5")
    assert send(fake, simple())[0].wait == 60
    fake.retry_after = "300"
    assert send(fake, simple())[0].wait == 300


# --- signatures ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["dingtalk", "feishu"])
def test_signature_accepted_with_the_secret_and_refused_with_another(bots, name):
    fake = bots(name, secret=SECRET)
    assert send(fake, simple(), SECRET)[0].ok
    [wrong] = send(fake, simple(), "SECwrong")
    assert wrong.outcome is Outcome.PERMANENT
    assert ("加签失败" if name == "dingtalk" else "签名校验失败") in wrong.zh
    assert [g.verdict for g in fake.got] == ["ok", "bad sign"]


@pytest.mark.parametrize("name", ["dingtalk", "feishu"])
def test_a_timestamp_older_than_an_hour_is_refused_and_each_attempt_signs_anew(bots, name):
    fake = bots(name, secret=SECRET)
    stale = send(fake, simple(), SECRET, now=lambda: time.time() - 2 * 3600)[0]
    assert stale.outcome is Outcome.PERMANENT and "时钟" in stale.zh
    moments = iter([time.time() - 30, time.time()])
    platform, body = PLATFORMS[name], PLATFORMS[name].build(simple())[0]
    assert attempt(platform, fake.url, SECRET, body, lambda: next(moments)).ok
    assert attempt(platform, fake.url, SECRET, body, lambda: next(moments)).ok
    first, second = fake.got[-2:]
    stamps = [g.query["timestamp"] for g in (first, second)] if name == "dingtalk" else \
        [g.body["timestamp"] for g in (first, second)]
    assert stamps[0] != stamps[1]


def test_dingtalk_signature_is_the_documented_recipe():
    url, _ = dingtalk.sign("https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=old", {}, "SECx",
                           1577000000.123)
    query = parse_qs(urlsplit(url).query)
    assert query["timestamp"] == ["1577000000123"] and query["access_token"] == ["abc"] and len(query["sign"]) == 1
    digest = hmac.new(b"SECx", b"1577000000123\nSECx", hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()]
    assert "%2B" in url or "%2F" in url or "%3D" in url      # URL-encoded in the address


def test_feishu_signature_is_the_documented_recipe_with_key_and_message_reversed():
    _, body = feishu.sign("https://open.feishu.cn/open-apis/bot/v2/hook/x", {"msg_type": "text"}, "s3cret", 1599360473.9)
    digest = hmac.new(b"1599360473\ns3cret", b"", hashlib.sha256).digest()
    assert body == {"msg_type": "text", "timestamp": "1599360473", "sign": base64.b64encode(digest).decode()}


@pytest.mark.parametrize("name", ["dingtalk", "feishu"])
def test_a_keyword_secured_bot_accepts_duban_messages(bots, name):
    fake = bots(name, keyword="督办")
    assert send(fake, simple())[0].ok
    fake.keyword = "监控"
    assert "关键词" in send(fake, simple())[0].zh


# --- the byte cut -------------------------------------------------------------------------------

def digest(n=400):
    return GroupMessage("今日督办摘要：逾期 400 项", tuple(f"第{i}项 采购合同审批逾期 {i % 30} 天 责任人王五 文件 共享盘/项目/合同.xlsx"
                                                  for i in range(n)), mentions=(ZHANG,))


def test_a_long_chinese_digest_is_cut_under_4096_bytes_with_the_tail(bots):
    fake = bots("wecom")
    assert send(fake, GroupMessage(digest().title, digest().lines))[0].ok
    content = fake.got[-1].body["markdown"]["content"]
    assert size(content) <= 4096
    kept = content.count("采购合同审批逾期")
    assert 0 < kept < 400
    assert f"…另外 {400 - kept} 项，详见邮件 / 工作簿" in content


@pytest.mark.parametrize("name", NAMES)
def test_every_platform_takes_the_long_digest_within_its_limits(bots, name):
    fake = bots(name)
    got = send(fake, digest())
    assert all(a.ok for a in got), [(a.code, a.zh) for a in got]
    raw = fake.got[-1].raw.decode()
    assert "另外" in raw and len(fake.got[-1].raw) <= PLATFORMS[name].LIMITS.body_bytes


def test_wecom_text_with_mobile_mentions_stays_under_2048_bytes(bots):
    fake = bots("wecom")
    message = GroupMessage("摘要", digest().lines, mentions=(Person("赵六", mobile="13900002222"),))
    assert send(fake, message)[0].ok
    assert fake.got[-1].body["msgtype"] == "text" and size(fake.got[-1].body["text"]["content"]) <= 2048


def test_the_english_tail():
    text = fit("Digest", [f"item {i} overdue" for i in range(500)], 300, "en")
    assert size(text) <= 300 and text.endswith("more, see the mail / workbook")


def test_a_wecom_picture_goes_as_a_second_message_with_its_md5(bots):
    fake = bots("wecom")
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    assert all(a.ok for a in send(fake, simple(image=picture)))
    image = fake.got[-1].body["image"]
    assert base64.b64decode(image["base64"]) == picture and image["md5"] == hashlib.md5(picture).hexdigest()


# --- neutralised cell text and the mentions -----------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_cell_text_arrives_inert(bots, name):
    fake = bots(name)
    assert send(fake, GroupMessage(HOSTILE, (HOSTILE, "第二行\n# 标题\n> 引用")))[0].ok
    raw = fake.got[-1].raw.decode("utf-8")
    for active in ("<@all>", "@所有人", "@all", "](javascript", "<font", "<b>", "`code`", "<!channel>", "\n# "):
        assert active not in raw, active
    assert "＜＠all＞" in raw and "＠所有人" in raw and "［点这里］(javascript" in raw
    body = fake.got[-1].body
    assert body.get("at", {}).get("isAtAll") in (None, False)
    assert "mentioned_list" not in json.dumps(body) or "@all" not in json.dumps(body)


def test_an_id_from_the_directory_that_means_everyone_is_dropped():
    sneaky = Person("王五", wecom="@all", mobile="@all", feishu="all", slack="<!here>", dingtalk="everyone", teams="x")
    assert (sneaky.wecom, sneaky.mobile, sneaky.feishu, sneaky.slack, sneaky.dingtalk, sneaky.teams) == ("",) * 6
    assert "<@" not in wecom.build(GroupMessage("t", mentions=(sneaky,)))[0]["markdown"]["content"]


def test_mentions_each_platform_its_own_way():
    message = simple(mentions=(ZHANG, LI))
    [w] = wecom.build(message)
    assert "<@zhangsan>" in w["markdown"]["content"] and "李四" in w["markdown"]["content"]
    assert "@李四" not in w["markdown"]["content"] and "<@李四>" not in w["markdown"]["content"]
    [w_text] = wecom.build(simple(mentions=(Person("赵六", mobile="13900002222"), ZHANG, LI)))
    assert w_text["text"]["mentioned_mobile_list"] == ["13900002222"]
    assert w_text["text"]["mentioned_list"] == ["zhangsan"] and "李四" in w_text["text"]["content"]
    [d] = dingtalk.build(message)
    assert d["at"] == {"atMobiles": ["13800001111"], "atUserIds": [], "isAtAll": False}
    assert "@13800001111" in d["markdown"]["text"] and "@李四" not in d["markdown"]["text"]
    [d_id] = dingtalk.build(simple(mentions=(Person("钱七", dingtalk="qian7"),)))
    assert d_id["at"]["atUserIds"] == ["qian7"] and "@qian7" in d_id["markdown"]["text"]
    [f] = feishu.build(message)
    rows = f["content"]["post"]["zh_cn"]["content"]
    assert {"tag": "at", "user_id": ZHANG.feishu} in rows[-2] and {"tag": "text", "text": "李四 "} in rows[-2]
    [s] = slack.build(message)
    assert "<@U024BE7LH>" in s["blocks"][0]["text"]["text"] and "<@李四" not in s["blocks"][0]["text"]["text"]
    [t] = teams.build(message)
    card = t["attachments"][0]["content"]
    assert card["msteams"]["entities"] == [{"type": "mention", "text": "<at>张三</at>",
                                            "mentioned": {"id": "zhang.san@example.com", "name": "张三"}}]
    assert "<at>李四</at>" not in json.dumps(card, ensure_ascii=False)


def test_every_platform_module_declares_the_same_names():
    for name, platform in PLATFORMS.items():
        assert platform.NAME == name or (name, platform.NAME) == ("lark", "feishu")
        for attr in ("LABEL", "LIMITS", "SUPPORTS", "build", "sign", "classify"):
            assert hasattr(platform, attr), (name, attr)
        assert platform.LIMITS.per_minute > 0 and platform.LIMITS.body_bytes >= platform.LIMITS.text_bytes


def test_dingtalk_rate_limit_waits_its_ten_minutes():
    got = dingtalk.classify(200, b'{"errcode":130101,"errmsg":"send too fast"}')
    assert got.outcome is Outcome.RETRY and got.wait == 600


def test_post_refuses_a_plain_http_address_off_this_machine():
    got = attempt(slack, "http://hooks.example.com/services/x", "", {"text": "x"})
    assert got.outcome is Outcome.RETRY and not got.maybe_sent and "https" in got.en


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=400))
def test_cut_bytes_never_passes_the_limit_nor_splits_a_character(text, limit):
    cut = cut_bytes(text, limit)
    assert size(cut) <= limit
    assert cut == text or (cut.endswith("…") and text.startswith(cut[:-1])) or cut == ""
    cut.encode("utf-8").decode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40).map(neutralise), st.lists(st.text(max_size=60).map(neutralise), max_size=60),
       st.integers(min_value=120, max_value=2000), st.integers(min_value=0, max_value=50), st.sampled_from(["zh", "en"]))
def test_fit_never_passes_the_limit_and_counts_what_it_left_out(head, cells, limit, more, language):
    lines = [f"L{i}:{cell}" for i, cell in enumerate(cells)]
    text = fit(head, lines, limit, language, more)
    assert size(text) <= limit
    rows = text.split("\n")[1 if head else 0:]
    shown = [row for row in rows if row and not row.startswith("…")]
    left = len(lines) - len(shown) + more
    if left:
        assert text.endswith(f"另外 {left} 项，详见邮件 / 工作簿" if language == "zh" else f"and {left} more, see the mail / workbook")


MENTIONS = ("<@", "@all", "@所有人", "<at", "<!channel>", "<!here>", "<!everyone>", "](", "<font", "`")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("@<>[]()`#!*_ all所有人font=\n\r\u202e\u200bab:/")) | st.characters(),
               max_size=80))
def test_the_neutraliser_leaves_no_active_mention_or_markup(text):
    inert = neutralise(text)
    assert not ACTIVE & set(inert)
    assert not any(m in inert for m in MENTIONS)
    assert "\n" not in inert and "\r" not in inert


def test_a_cell_typed_in_markdown_is_shown_as_typed_not_bold():
    assert neutralise("**加粗** *斜* ~~删~~ C:\\a") == "＊＊加粗＊＊ ＊斜＊ ～～删～～ C:\\a"


def test_answers_are_one_of_four_outcomes_and_ok_is_only_ok():
    assert answer.OK.ok and not answer.unknown({"zh": "x", "en": "x"}, "1").ok and not answer.retry(60, "", "").ok
    assert encode({"a": "中"}) == '{"a":"中"}'.encode()


def test_feishu_messages_are_held_off_the_hour_and_half_hour():
    from datetime import datetime

    from duban.mailer.im.feishu import off_peak
    day = datetime(2026, 12, 7)
    assert [off_peak(day.replace(hour=h, minute=m)).strftime("%H:%M") for h, m in
            ((9, 0), (9, 30), (17, 30), (9, 2), (9, 27), (9, 59), (9, 3), (9, 15), (23, 58))] == \
        ["09:03", "09:33", "17:33", "09:03", "09:33", "10:03", "09:03", "09:15", "00:03"]


def test_lark_is_feishu_at_another_address():
    assert PLATFORMS["lark"] is feishu


@pytest.mark.parametrize("name", NAMES)
def test_a_link_duban_adds_is_a_link_and_an_unsafe_one_is_text(bots, name):
    from duban.mailer.im.message import Link
    fake = bots(name)
    good = "https://share.example.com/archive/2026-W49.xlsx"
    message = simple(links=(Link("归档", good), Link("坏的", "javascript:alert(1)"), Link("括号", "https://a.example/b)(c")))
    assert send(fake, message)[0].ok
    raw = fake.got[-1].raw.decode("utf-8")
    assert good in raw and "javascript" not in raw and "a.example" not in raw and "坏的" in raw


def test_dingtalk_tells_an_ip_refusal_from_a_word_that_merely_contains_ip():
    said = '{"errcode":310000,"errmsg":"%s"}'
    assert "白名单" in dingtalk.classify(200, (said % "ip 10.0.0.1 not in whitelist").encode()).zh
    assert "白名单" not in dingtalk.classify(200, (said % "description of tips").encode()).zh


PEOPLE = st.builds(Person, name=st.text(max_size=300), mobile=st.from_regex(r"1[3-9]\d{9}", fullmatch=True) | st.text(max_size=5),
                   wecom=st.text(max_size=90), dingtalk=st.text(max_size=20), feishu=st.text(max_size=40),
                   slack=st.text(max_size=12), teams=st.emails() | st.just(""))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(NAMES), st.text(max_size=600), st.lists(st.text(max_size=400), max_size=200),
       st.lists(PEOPLE, max_size=45), st.lists(st.builds(lambda label: (label, "https://example.com/a"), st.text(max_size=400)),
                                               max_size=3))
def test_whatever_the_cells_hold_every_body_passes_its_platforms_limits(name, title, lines, people, links):
    from duban.mailer.im.message import Link
    from im_fakes import PATHS
    message = GroupMessage(title, tuple(lines), tuple(people), links=tuple(Link(*k) for k in links))
    fake = FakeBot(name)
    for body in PLATFORMS[name].build(message):
        raw = encode(body)
        assert len(raw) <= PLATFORMS[name].LIMITS.body_bytes
        assert fake.respond(PATHS[name], raw)[0] in (200, 202)
        assert fake.got[-1].verdict == "ok"


def test_pacing_keeps_each_webhook_under_its_rate():
    from duban.mailer.im.pace import next_slot
    now = 1_000_000.0
    twenty = [now - 59 + i for i in range(20)]          # WeCom: 20 in the last minute
    assert next_slot(twenty, wecom.LIMITS, now) == twenty[0] + 61
    assert next_slot(twenty[1:], wecom.LIMITS, now) == now
    assert next_slot([], dingtalk.LIMITS, now, blocked_until=now + 600) == now + 600
    five = [now - 0.5] * 5                               # Feishu: 5 a second
    assert next_slot(five, feishu.LIMITS, now) == now - 0.5 + 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=600), max_size=150), st.sampled_from(NAMES))
def test_sending_at_each_next_slot_never_passes_the_rate(gaps, name):
    from duban.mailer.im.pace import MARGIN, next_slot
    limits, sent, now = PLATFORMS[name].LIMITS, [], 0.0
    for gap in gaps[:60]:
        now = next_slot(sent, limits, now + gap / 100)
        sent.append(now)
        assert sum(1 for t in sent if t > now - 60 - MARGIN + 1e-9) <= limits.per_minute
        if limits.per_second:
            assert sum(1 for t in sent if t > now - 1 - MARGIN + 1e-9) <= limits.per_second


def test_a_webhook_address_never_travels_in_clear_beyond_this_machine():
    from duban.mailer.im.post import secure
    assert secure("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k") and secure("http://127.0.0.1:8080/x")
    for url in ("http://127.0.0.1.example.com/x", "http://localhost.example.com/x", "http://oapi.dingtalk.com/robot/send",
                "ftp://127.0.0.1/x", "https:///nohost", "http://[::1"):
        assert not secure(url), url


# --- what each refusal is about (the transport holds a lane only for a setting) ------------------------

ABOUT = {("wecom", "45009"): "pause", ("wecom", "93000"): "webhook", ("wecom", "40058"): "message",
         ("dingtalk", "130101"): "pause", ("dingtalk", "310000-sign"): "secret", ("dingtalk", "310000-keyword"): "keyword",
         ("dingtalk", "310000-timestamp"): "secret", ("dingtalk", "310000-ip"): "ip", ("dingtalk", "300001"): "webhook",
         ("feishu", "19021"): "secret", ("feishu", "19024"): "keyword", ("feishu", "19022"): "ip",
         ("feishu", "11232"): "pause", ("feishu", "9499"): "message", ("slack", "invalid_payload"): "message",
         ("slack", "no_service"): "webhook", ("slack", "channel_is_archived"): "webhook", ("teams", "404"): "webhook",
         ("teams", "400"): "message",
         **{(name, "429"): "pause" for name in NAMES}, **{(name, "500"): "" for name in NAMES}}


@pytest.mark.parametrize(("name", "said"), sorted(ABOUT), ids=[f"{n}-{s}" for n, s in sorted(ABOUT)])
def test_each_refusal_says_what_it_is_about(bots, name, said):
    [got] = send(bots(name, answer=said), simple())
    assert got.about == ABOUT[name, said]
    assert (got.outcome is Outcome.PERMANENT) == (got.about not in ("pause", ""))


def test_dingtalk_content_refusals_are_about_the_message():
    body = json.dumps({"errcode": 430104, "errmsg": "message contains inappropriate content"}).encode()
    got = dingtalk.classify(200, body)
    assert (got.outcome, got.about) == (Outcome.PERMANENT, "message") and "430104" in got.en


# --- an answer that is not HTTP is no answer: the body went, its fate is not known ----------------------

def not_http(reply: bytes):
    """A loopback server that reads one request and answers `reply` (not HTTP), then hangs up."""
    import socket
    import threading
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            got = b""
            while b"\r\n\r\n" not in got:
                got += conn.recv(65536)
            conn.sendall(reply)
        server.close()
    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/cgi-bin/webhook/send?key=k"


@pytest.mark.parametrize("reply", [b"garbage not http\r\n\r\n",
                                   b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{\"errcode\""])   # cut short
def test_an_answer_that_is_not_http_is_no_answer_and_maybe_sent(reply):
    from duban.mailer.im.post import NoAnswer, post
    with pytest.raises(NoAnswer) as caught:
        post(not_http(reply), {"msgtype": "text", "text": {"content": "x"}}, timeout=5)
    assert caught.value.maybe_sent and "not HTTP" in caught.value.reason
    got = attempt(wecom, not_http(reply), "", {"msgtype": "text", "text": {"content": "x"}}, timeout=5)
    assert got.outcome is Outcome.RETRY and got.maybe_sent
