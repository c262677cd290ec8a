"""The group bot transport through the real queue: MailQueue.put + MailQueue.deliver(GroupTransport)
against the loopback fakes (tests/im_fakes.py) on a real state.db, in simulated time.

What is counted is what the fake got: each message reaches the group once, whatever the
platform answered before (a rate limit, a wrong secret, no answer), and never more than the
platform's rate allows in a minute."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.settings.typed import ImGroup
from duban.mailer.im.lane import Envelope, lane
from duban.mailer.im.message import GroupMessage, Person
from duban.mailer.im.platforms import PLATFORMS
from duban.mailer.im.transport import GroupTransport
from duban.mailer.queue import MailQueue
from duban.mailer.queued import Queued
from duban.mailer.reasons import error_text, setting_text
from im_fakes import TOKEN, FakeBot, Got

T0 = datetime(2026, 12, 7, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))      # a Monday, clear of Feishu's peak minutes
SECRET = "SEC0123456789abcdef0123456789abcdef"
WRONG = "SECffffffffffffffffffffffffffffffff"
GIVE_UP = 3
PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 50


@pytest.fixture
def bots():
    started = []

    def start(platform, cls=FakeBot, **kw):
        started.append(cls(platform, **kw).start())
        return started[-1]
    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def queue(tmp_path):
    with MailQueue(tmp_path / "state.db") as q:
        yield q


class Group:
    """Sets up one group the way duban.toml and the environment would: the real ImGroup, its
    webhook address (and secret) in environment variables pointing at a fake."""

    def __init__(self, monkeypatch, fake, name="研发群", secret="", keyword=""):
        self.settings = ImGroup(name, "lark" if fake.platform == "feishu" else fake.platform, "DUBAN_TEST_HOOK",
                                "DUBAN_TEST_SECRET" if secret else "", keyword)
        monkeypatch.setenv("DUBAN_TEST_HOOK", fake.url)
        if secret:
            monkeypatch.setenv("DUBAN_TEST_SECRET", secret)
        self.lane = lane(name)

    def put(self, queue, key, now=T0, image=None, title="紧急：事项 INC-7 未响应"):
        """Queue a message as the renderer does: the words only, shaped for the platform when it goes."""
        message = GroupMessage(title, ("描述：机房断电", f"消息 {key}"), mentions=(Person("张三", mobile="13800001111"),),
                               image=image, footer="督办 duban")
        data = Envelope(self.settings.name, message).pack()
        assert queue.put(Queued(key, "alert", [self.settings.name], title, data, channel=self.lane), now)

    def deliver(self, queue, tmp_path, now=T0, **kw):
        return queue.deliver(GroupTransport(self.settings, tmp_path / "state.db", now, **kw), now, GIVE_UP, self.lane)


def posted(fake):
    """The message keys the group accepted, in order (each message's lines name its key)."""
    return [key_of(g) for g in fake.got if g.verdict == "ok"]


def key_of(got):
    text = got.raw.decode("utf-8")
    if '"image"' in text and '"base64"' in text:
        return "image"
    return next(word for word in text.replace('"', " ").replace("\\n", " ").split() if word.startswith("m-"))


def statuses(queue, group):
    return {m.key: m.status for m in queue.entries(channel=group.lane)}


# --- sent once, and recorded ---------------------------------------------------------------

@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "feishu"])
def test_a_message_goes_once_and_is_recorded(bots, queue, tmp_path, monkeypatch, platform):
    signed = platform != "wecom"
    fake = bots(platform, secret=SECRET if signed else "")
    group = Group(monkeypatch, fake, secret=SECRET if signed else "")
    group.put(queue, "m-1")
    report = group.deliver(queue, tmp_path)
    assert [m.key for m in report.sent] == ["m-1"] and report.error is None
    assert posted(fake) == ["m-1"] and len(fake.got) == 1
    assert statuses(queue, group) == {"m-1": "sent"}
    group.deliver(queue, tmp_path, T0 + timedelta(hours=1))         # nothing is due: nothing goes again
    assert len(fake.got) == 1
    assert queue.db.execute("SELECT key, part, state FROM im_part").fetchall() == [("m-1", 0, "sent")]


def test_the_transport_keeps_no_address_in_its_setup(bots, tmp_path, monkeypatch):
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    transport = GroupTransport(group.settings, tmp_path / "state.db", T0)
    assert TOKEN not in transport.setup and fake.url not in transport.setup
    assert transport.patience >= 2 * 10     # the text and the chart, each up to the post timeout


# --- rate limits: the lane waits, each message goes once later ----------------------------------

@pytest.mark.parametrize("platform, code", [("wecom", "45009"), ("dingtalk", "130101"), ("feishu", "429"),
                                            ("wecom", "500")])
def test_a_rate_limited_group_waits_and_then_sends_each_message_once(bots, queue, tmp_path, monkeypatch,
                                                                     platform, code):
    fake = bots(platform)
    group = Group(monkeypatch, fake)
    for n in range(3):
        group.put(queue, f"m-{n}")
    fake.answer = code
    first = group.deliver(queue, tmp_path)
    assert len(fake.got) == 1 and not first.sent and first.setting is None
    said = first.error if code == "500" else first.waiting    # a server error is a fault; a rate limit a pause
    assert "retry" in error_text(said, "en") and "重试" in error_text(said, "zh")
    if code != "500":
        assert first.error is None
        assert {m.attempts for m in queue.entries("queued", group.lane)} == {0}   # no growing backoff
    assert set(statuses(queue, group).values()) == {"queued"}
    assert queue.hold(group.lane) is None              # a rate limit is not a setting to fix
    fake.answer = "ok"
    later = T0
    for minutes in (2, 4, 6, 8, 11, 15, 25, 40):
        later = T0 + timedelta(minutes=minutes)
        group.deliver(queue, tmp_path, later)
    assert sorted(posted(fake)) == ["m-0", "m-1", "m-2"]
    assert len(fake.got) == 4                          # the refused one, then each message once
    assert set(statuses(queue, group).values()) == {"sent"}


def test_dingtalk_blocks_the_bot_for_ten_minutes(bots, queue, tmp_path, monkeypatch):
    fake = bots("dingtalk", secret=SECRET)
    group = Group(monkeypatch, fake, secret=SECRET)
    group.put(queue, "m-1")
    fake.answer = "130101"
    group.deliver(queue, tmp_path)
    fake.answer = "ok"
    group.put(queue, "m-2", T0 + timedelta(minutes=1))
    for minutes in (1, 3, 6, 9):          # m-2 is due, m-1 waits for the block: DingTalk still blocks both
        report = group.deliver(queue, tmp_path, T0 + timedelta(minutes=minutes))
        assert len(fake.got) == 1 and not report.sent
        if minutes == 1:
            assert "10:20:00" in error_text(report.waiting, "zh") and "10:20:00" in error_text(report.waiting, "en")
            assert report.error is None
    group.deliver(queue, tmp_path, T0 + timedelta(minutes=11))     # the block is over: both go at once
    assert sorted(posted(fake)) == ["m-1", "m-2"] and len(fake.got) == 3
    assert set(statuses(queue, group).values()) == {"sent"}


# --- a refused setting holds the lane until it is fixed ---------------------------------------

def test_a_wrong_dingtalk_secret_holds_the_lane_until_the_variable_is_fixed(bots, queue, tmp_path, monkeypatch):
    fake = bots("dingtalk", secret=SECRET)
    group = Group(monkeypatch, fake, secret=WRONG)
    group.put(queue, "m-1")
    group.put(queue, "m-2")
    report = group.deliver(queue, tmp_path)
    assert [g.verdict for g in fake.got] == ["bad sign"] and not report.sent
    since, setup, reason, setting = queue.hold(group.lane)
    assert setting == '[im.groups."研发群"] secret_env (DUBAN_TEST_SECRET)'
    assert error_text(reason, "zh").startswith("钉钉加签失败：请检查 secret")
    assert error_text(reason, "en").startswith("DingTalk signature refused: check the secret")
    assert queue.hold("mail") is None                  # only this group's lane waits
    for hours in (1, 30, 24 * 5):                      # held: nothing goes, nothing is given up
        report = group.deliver(queue, tmp_path, T0 + timedelta(hours=hours))
        assert len(fake.got) == 1 and report.setting == setting
    assert set(statuses(queue, group).values()) == {"queued"}
    monkeypatch.setenv("DUBAN_TEST_SECRET", SECRET)    # a person fixes the variable
    report = group.deliver(queue, tmp_path, T0 + timedelta(days=5, minutes=1))
    assert sorted(m.key for m in report.sent) == ["m-1", "m-2"] and queue.hold(group.lane) is None
    assert sorted(posted(fake)) == ["m-1", "m-2"] and len(fake.got) == 3


@pytest.mark.parametrize("platform, code, key", [("wecom", "93000", "webhook_env (DUBAN_TEST_HOOK)"),
                                                 ("feishu", "19024", "keyword (督办)"),
                                                 ("dingtalk", "310000-ip", "IP 地址段中加入本机出口 IP"),
                                                 ("feishu", "19022", "IP 地址段中加入本机出口 IP")])
def test_each_refused_setting_names_the_key_to_change(bots, queue, tmp_path, monkeypatch, platform, code, key):
    fake = bots(platform)
    group = Group(monkeypatch, fake, keyword="督办" if platform != "wecom" else "")
    group.put(queue, "m-1")
    fake.answer = code
    report = group.deliver(queue, tmp_path)
    if "IP" in key:          # not a duban.toml key: the platform's allow-list, in the reader's language
        label = PLATFORMS[platform].LABEL
        assert setting_text(report.setting, "zh") == f"在{label['zh']}机器人安全设置的 {key}"
        assert setting_text(report.setting, "en") == f"add this machine's outgoing IP to the {label['en']} bot's IP allow-list"
    else:
        assert report.setting == f'[im.groups."研发群"] {key}'
    assert queue.hold(group.lane)[2] == report.error and error_text(report.error, "zh") != error_text(report.error, "en")
    fake.answer = "ok"
    group.deliver(queue, tmp_path, T0 + timedelta(hours=1))     # the same settings: still held
    assert len(fake.got) == 1
    queue.retry_now(T0 + timedelta(hours=2))                     # fixed on the platform: duban outbox --retry
    group.deliver(queue, tmp_path, T0 + timedelta(hours=2))
    assert posted(fake) == ["m-1"] and statuses(queue, group) == {"m-1": "sent"}


def test_a_keyword_fixed_in_duban_toml_sends_the_held_message_with_the_new_keyword_once(bots, queue, tmp_path,
                                                                                        monkeypatch):
    """The bot wants 值班; duban.toml said 告警: held. The keyword is corrected: the message that
    waited goes, with 值班 (its words were queued before; its footer follows the setting)."""
    fake = bots("dingtalk", secret=SECRET, keyword="值班")
    group = Group(monkeypatch, fake, secret=SECRET, keyword="告警")
    group.put(queue, "m-1")
    report = group.deliver(queue, tmp_path)
    assert [g.verdict for g in fake.got] == ["no keyword"] and "keyword" in report.setting
    group.deliver(queue, tmp_path, T0 + timedelta(hours=1))             # the same settings: still held
    assert len(fake.got) == 1
    group.settings = dataclasses.replace(group.settings, keyword="值班")  # a person fixes duban.toml
    for hours in (2, 3, 30):
        group.deliver(queue, tmp_path, T0 + timedelta(hours=hours))
    assert posted(fake) == ["m-1"] and len(fake.got) == 2
    said = json.dumps(fake.got[-1].body, ensure_ascii=False)
    assert "督办 duban · 值班" in said and "告警" not in said
    assert statuses(queue, group) == {"m-1": "sent"} and queue.hold(group.lane) is None


def test_a_group_moved_from_wecom_to_dingtalk_gets_its_waiting_message_there_once(bots, queue, tmp_path, monkeypatch):
    wecom, dingtalk = bots("wecom"), bots("dingtalk", secret=SECRET)
    group = Group(monkeypatch, wecom)
    group.put(queue, "m-1")
    wecom.answer = "500"
    group.deliver(queue, tmp_path)                                      # WeCom is down: it waits
    assert statuses(queue, group) == {"m-1": "queued"}
    monkeypatch.setenv("DUBAN_TEST_HOOK", dingtalk.url)                 # the company moves the group to DingTalk
    monkeypatch.setenv("DUBAN_TEST_SECRET", SECRET)
    group.settings = dataclasses.replace(group.settings, platform="dingtalk", secret_env="DUBAN_TEST_SECRET")
    for hours in (1, 2, 30):
        group.deliver(queue, tmp_path, T0 + timedelta(hours=hours))
    assert posted(dingtalk) == ["m-1"] and len(dingtalk.got) == 1 and dingtalk.got[0].body["msgtype"] == "markdown"
    assert not posted(wecom) and len(wecom.got) == 1
    assert statuses(queue, group) == {"m-1": "sent"}


def test_an_unset_webhook_variable_holds_the_lane_and_setting_it_sends(bots, queue, tmp_path, monkeypatch):
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1")
    monkeypatch.delenv("DUBAN_TEST_HOOK")
    report = group.deliver(queue, tmp_path)
    assert setting_text(report.setting, "zh") == \
        "在 duban 运行的环境中设置环境变量 DUBAN_TEST_HOOK（或用 keyring set duban DUBAN_TEST_HOOK 存入系统密钥环）"
    assert setting_text(report.setting, "en").startswith("set the environment variable DUBAN_TEST_HOOK where")
    assert "im.groups" not in report.setting and not fake.got       # duban.toml is right: nothing there to change
    assert "DUBAN_TEST_HOOK" in error_text(report.error, "zh") and "环境变量" in error_text(report.error, "zh")
    assert "DUBAN_TEST_HOOK is not set" in error_text(report.error, "en")
    assert "keyring set" not in report.error       # the step is the setting's sentence: said once, not twice
    monkeypatch.setenv("DUBAN_TEST_HOOK", fake.url)
    report = group.deliver(queue, tmp_path, T0 + timedelta(minutes=1))
    assert [m.key for m in report.sent] == ["m-1"] and posted(fake) == ["m-1"]


# --- an unknown answer fails; a hang is posted once, then set aside ---------------------------------

def test_a_queued_message_that_cannot_be_read_fails_alone(bots, queue, tmp_path, monkeypatch):
    """A message in the shape an earlier build queued (the platform's bodies) fails with a sentence;
    the next message of the lane goes."""
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    old = json.dumps({"platform": "wecom", "group": "研发群", "bodies": [{"msgtype": "text"}]}).encode()
    assert queue.put(Queued("m-0", "alert", ["研发群"], "旧消息", old, channel=group.lane), T0)
    group.put(queue, "m-1")
    report = group.deliver(queue, tmp_path)
    assert [m.key for m in report.failed] == ["m-0"] and [m.key for m in report.sent] == ["m-1"]
    assert posted(fake) == ["m-1"] and len(fake.got) == 1
    assert "无法读取" in error_text(report.failed[0].last_error, "zh")
    assert "cannot be read" in error_text(report.failed[0].last_error, "en")


def test_an_unknown_errcode_fails_the_message_and_retry_failed_sends_it(bots, queue, tmp_path, monkeypatch):
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1")
    group.put(queue, "m-2")
    fake.answer = "777777"
    report = group.deliver(queue, tmp_path)
    assert sorted(m.key for m in report.failed) == ["m-1", "m-2"] and not report.sent
    assert statuses(queue, group) == {"m-1": "failed", "m-2": "failed"} and not posted(fake)
    assert "777777" in error_text(queue.entries("failed")[0].last_error, "zh")
    fake.answer = "ok"
    group.deliver(queue, tmp_path, T0 + timedelta(hours=1))
    assert len(fake.got) == 2                            # failed stays failed by itself
    queue.retry_now(T0 + timedelta(hours=2), include_failed=True)
    group.deliver(queue, tmp_path, T0 + timedelta(hours=2))
    assert sorted(posted(fake)) == ["m-1", "m-2"]


def test_a_group_that_hangs_gets_a_message_once_then_it_is_set_aside(bots, queue, tmp_path, monkeypatch, capsys):
    """No answer after the post: the group may show it, so it is never posted again by itself
    (mail would be sent once more); a person looks in the group and retries if it is not there."""
    from duban.jobs.settings import config
    from duban.jobs.terminal.mail import mail_summary

    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1")
    group.put(queue, "m-2")
    fake.answer = "hang"
    reports = [group.deliver(queue, tmp_path, T0 + timedelta(minutes=minutes), timeout=0.3)
               for minutes in (0, 6, 30, 90, 300)]
    hung = [key_of(g) for g in fake.got]
    assert hung == ["m-1", "m-2"]                              # each posted once, never a second time
    assert statuses(queue, group) == {"m-1": "set_aside", "m-2": "set_aside"}
    assert [m.key for m in reports[0].set_aside] == ["m-1"] and [m.key for m in reports[1].set_aside] == ["m-2"]
    assert all(e.unknown == 1 for e in queue.entries(channel=group.lane))
    run = type("Run", (), dict(now=T0, folder=tmp_path, skipped=0, unknown=[], transport="outbox",
                               destination="outbox/", outgoing=[], delivery=reports[0]))()
    for lang, said, mail in (("zh", "群消息可能已发出：请到群里看一下", "收件人"),
                             ("en", "The group message may have been posted: look in the group", "recipient")):
        mail_summary(run, config.load(values={"company": {"language": lang}}), False)
        err = " ".join(capsys.readouterr().err.split())         # the console wraps lines
        assert said in err and "--retry --failed" in err and mail not in err
    fake.answer = "ok"                                         # it was not there: duban outbox --retry --failed
    queue.retry_now(T0 + timedelta(hours=6), include_failed=True)
    group.deliver(queue, tmp_path, T0 + timedelta(hours=6))
    assert posted(fake) == ["m-1", "m-2"] and set(statuses(queue, group).values()) == {"sent"}


# --- WeCom's text and chart: a partial success never posts the text twice -----------------------

class ChartLimited(FakeBot):
    """Rate-limits the chart (an image body) while `limit_images` is set; the text goes."""

    limit_images = True

    def respond(self, path, raw):
        if self.limit_images and json.loads(raw).get("msgtype") == "image":
            self.answer = "45009"
        try:
            return super().respond(path, raw)
        finally:
            self.answer = "ok"


def test_a_text_that_went_is_not_posted_again_when_its_chart_was_rate_limited(bots, queue, tmp_path, monkeypatch):
    fake = bots("wecom", cls=ChartLimited)
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1", image=PNG)
    report = group.deliver(queue, tmp_path)
    assert [(key_of(g), g.verdict) for g in fake.got] == [("m-1", "ok"), ("image", "45009")] and not report.sent
    fake.limit_images = False
    for minutes in (6, 30, 90):
        group.deliver(queue, tmp_path, T0 + timedelta(minutes=minutes))
    assert [(key_of(g), g.verdict) for g in fake.got] == [("m-1", "ok"), ("image", "45009"), ("image", "ok")]
    assert statuses(queue, group) == {"m-1": "sent"}


# --- the pace across runs ------------------------------------------------------------------------

def test_twenty_five_messages_at_once_go_twenty_in_the_first_minute_and_the_rest_after(bots, queue, tmp_path,
                                                                                         monkeypatch):
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    for n in range(25):
        group.put(queue, f"m-{n:02}")
    first = group.deliver(queue, tmp_path)
    assert len(first.sent) == 20 and len(fake.got) == 20
    assert "20" in error_text(first.waiting, "zh") and "a minute" in error_text(first.waiting, "en")
    assert first.error is None                    # duban's own pace is no fault
    second = GroupTransport(group.settings, tmp_path / "state.db", T0 + timedelta(seconds=30))   # another job
    assert not queue.deliver(second, T0 + timedelta(seconds=30), GIVE_UP, group.lane).sent
    assert len(fake.got) == 20
    for seconds in (90, 400, 1000):
        group.deliver(queue, tmp_path, T0 + timedelta(seconds=seconds))
    assert sorted(posted(fake)) == [f"m-{n:02}" for n in range(25)] and len(fake.got) == 25
    assert set(statuses(queue, group).values()) == {"sent"}


def test_feishu_is_not_sent_to_at_nine_and_goes_after_the_peak(bots, queue, tmp_path, monkeypatch):
    fake = bots("feishu", secret=SECRET)
    group = Group(monkeypatch, fake, secret=SECRET)
    nine = T0.replace(hour=9, minute=0)
    group.put(queue, "m-1", nine)
    report = group.deliver(queue, tmp_path, nine)
    assert not fake.got and not report.sent
    assert "09:03" in error_text(report.waiting, "zh") and "09:03" in error_text(report.waiting, "en")
    assert report.error is None
    group.deliver(queue, tmp_path, nine + timedelta(minutes=5))
    assert posted(fake) == ["m-1"]


def test_a_slot_a_moment_away_is_waited_for(bots, queue, tmp_path, monkeypatch):
    """Feishu's five a second: the sixth message waits about a second, in the same run."""
    fake = bots("feishu")
    group = Group(monkeypatch, fake)
    for n in range(7):
        group.put(queue, f"m-{n}")
    clock = {"t": 0.0}
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        clock["t"] += seconds
    report = group.deliver(queue, tmp_path, clock=lambda: clock["t"], sleep=sleep)
    assert len(report.sent) == 7 and len(fake.got) == 7
    assert len(waits) == 1 and 1 <= waits[0] <= 3


# --- what state.db keeps --------------------------------------------------------------------------

def test_no_webhook_address_or_secret_is_written_to_the_state_database(bots, queue, tmp_path, monkeypatch):
    fake = bots("dingtalk", secret=SECRET)
    group = Group(monkeypatch, fake, secret=WRONG)
    group.put(queue, "m-1")
    group.deliver(queue, tmp_path)                        # held: the hold's setup is stored
    monkeypatch.setenv("DUBAN_TEST_SECRET", SECRET)
    group.deliver(queue, tmp_path, T0 + timedelta(minutes=1))
    fake.answer = "130101"
    group.put(queue, "m-2", T0 + timedelta(minutes=2))
    group.deliver(queue, tmp_path, T0 + timedelta(minutes=2))   # a block and a pace row are stored
    assert posted(fake) == ["m-1"]
    queue.close()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    for secret in (SECRET, WRONG, TOKEN, fake.url, "127.0.0.1"):
        assert secret.encode() not in data
    assert b"im_pace" in data and b"im_block" in data


# --- a run that died while a message was going ------------------------------------------------------

class Crash(BaseException):
    """The process ends here (kill -9, a power cut): nothing after it runs."""


def die(*args, **kw):
    raise Crash


def test_a_run_that_died_after_the_group_took_the_message_does_not_post_it_again(bots, queue, tmp_path, monkeypatch):
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1")
    settle = GroupTransport._settle

    def answered_then_died(self, said, key, part):
        settle(self, said, key, part)
        raise Crash
    monkeypatch.setattr(GroupTransport, "_settle", answered_then_died)
    with pytest.raises(Crash):
        group.deliver(queue, tmp_path)
    monkeypatch.setattr(GroupTransport, "_settle", settle)
    assert statuses(queue, group) == {"m-1": "queued"}
    group.deliver(queue, tmp_path, T0 + timedelta(minutes=30))      # the dead run's lease is over
    assert statuses(queue, group) == {"m-1": "sent"} and posted(fake) == ["m-1"] and len(fake.got) == 1


@pytest.mark.parametrize("dies_in, then, posts", [
    ("duban.mailer.im.transport.attempt", "set_aside", 0),   # during the post: not known, never a second time
    ("duban.mailer.im.sent.Sent.going", "sent", 1)])         # marked in flight, dead before the post: it goes
def test_a_run_that_died_before_an_answer_came(bots, queue, tmp_path, monkeypatch, dies_in, then, posts):
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1")
    with monkeypatch.context() as patched, pytest.raises(Crash):
        patched.setattr(dies_in, die)
        group.deliver(queue, tmp_path)
    assert queue.db.execute("SELECT COUNT(*) FROM mail_fate WHERE in_flight IS NOT NULL").fetchone() == (1,)
    for minutes in (30, 90):                                  # the dead run's lease is over
        group.deliver(queue, tmp_path, T0 + timedelta(minutes=minutes))
    assert statuses(queue, group) == {"m-1": then} and len(posted(fake)) == len(fake.got) == posts


# --- a refusal of one message's content fails that message; the lane goes on ----------------------

POISON = {"wecom": (200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}),
          "dingtalk": (200, {"errcode": 430104, "errmsg": "message contains inappropriate content"}),
          "feishu": (200, {"code": 9499, "msg": "Bad Request"}),
          "slack": (400, "invalid_payload"), "teams": (400, "Bad card")}


class Poisoned(FakeBot):
    """Refuses the content of the message whose lines name `m-poison`, as the platform does; takes the rest."""

    def respond(self, path, raw):
        if "m-poison" not in raw.decode("utf-8"):
            return super().respond(path, raw)
        self.got.append(Got(path, {}, json.loads(raw), raw, "poison"))
        status, reply = POISON[self.platform]
        return status, reply, {} if isinstance(reply, str) else {"Content-Type": "application/json"}


@pytest.mark.parametrize("platform", sorted(POISON))
def test_a_message_whose_content_is_refused_fails_alone_and_the_next_ones_go(bots, queue, tmp_path, monkeypatch,
                                                                           platform):
    fake = bots(platform, cls=Poisoned)
    group = Group(monkeypatch, fake)
    for key in ("m-poison", "m-1", "m-2"):
        group.put(queue, key)
    report = group.deliver(queue, tmp_path)
    assert [m.key for m in report.failed] == ["m-poison"] and [m.key for m in report.sent] == ["m-1", "m-2"]
    assert report.setting is None and report.error is None and queue.hold(group.lane) is None   # not held
    assert posted(fake) == ["m-1", "m-2"] and [g.verdict for g in fake.got] == ["poison", "ok", "ok"]
    assert statuses(queue, group) == {"m-poison": "failed", "m-1": "sent", "m-2": "sent"}
    said = queue.entries("failed", group.lane)[0].last_error
    assert "maintainer" in error_text(said, "en") and "维护人" in error_text(said, "zh")
    group.put(queue, "m-3", T0 + timedelta(minutes=5))                  # the lane keeps going
    group.deliver(queue, tmp_path, T0 + timedelta(minutes=5))
    assert posted(fake) == ["m-1", "m-2", "m-3"] and len(fake.got) == 4   # the refused one is not tried again


# --- no webhook token in any reason ------------------------------------------------------------------

class EchoingProxy(FakeBot):
    """An office proxy's error page that echoes the address it could not reach, key and all."""

    def respond(self, path, raw):
        self.got.append(Got(path, {}, {}, raw, "proxy"))
        page = f"<html>Proxy error: cannot reach {self.url} (token {TOKEN})</html>"
        return (403 if self.platform == "slack" else 200), page, {"Content-Type": "text/html"}


@pytest.mark.parametrize("platform", ["wecom", "slack"])    # an answer not known (failed); a refused webhook (held)
def test_no_reason_carries_the_webhook_token_even_when_the_answer_echoes_it(bots, queue, tmp_path, monkeypatch,
                                                                          platform):
    fake = bots(platform, cls=EchoingProxy)
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1")
    report = group.deliver(queue, tmp_path)
    said = report.failed[0].last_error if platform == "wecom" else report.error
    assert said and "***" in said and "Proxy error" in said              # the page is still shown, without the key
    assert TOKEN not in said and fake.url not in said
    if platform == "slack":
        assert TOKEN not in queue.hold(group.lane)[2]
    queue.close()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    assert TOKEN.encode() not in data and b"Proxy error" in data


# --- a platform's busy minutes are the platform module's own hook -------------------------------------

def test_any_platform_with_busy_minutes_waits_for_them_and_one_without_does_not(bots, queue, tmp_path, monkeypatch):
    from duban.mailer.im import feishu
    nine = T0.replace(hour=9, minute=0)
    fake = bots("wecom")
    group = Group(monkeypatch, fake)
    group.put(queue, "m-1", nine)
    group.deliver(queue, tmp_path, nine)
    assert posted(fake) == ["m-1"]                                       # WeCom has no busy minutes
    monkeypatch.setattr(PLATFORMS["wecom"], "off_peak", feishu.off_peak, raising=False)
    group.put(queue, "m-2", nine)
    report = group.deliver(queue, tmp_path, nine + timedelta(seconds=30))
    assert posted(fake) == ["m-1"] and "09:03" in error_text(report.waiting, "en")
    assert "WeCom" in error_text(report.waiting, "en") and "企业微信" in error_text(report.waiting, "zh")


# --- the record of a body that went outlives any purge while its message may still go ------------------

def test_a_text_that_went_is_remembered_while_its_message_waits_even_for_months(bots, queue, tmp_path, monkeypatch):
    fake = bots("wecom", cls=ChartLimited)
    group = Group(monkeypatch, fake)
    group.put(queue, "m-2")
    group.put(queue, "m-1", image=PNG)
    group.deliver(queue, tmp_path)                    # m-2 went; m-1's text went, its chart was rate-limited
    assert [(key_of(g), g.verdict) for g in fake.got] == [("m-2", "ok"), ("m-1", "ok"), ("image", "45009")]
    later = T0 + timedelta(days=90)
    group.deliver(queue, tmp_path, later)             # m-1 is given up; a person retries it months later
    assert statuses(queue, group)["m-1"] == "given_up"
    queue.retry_now(later, include_failed=True)
    fake.limit_images = False
    group.deliver(queue, tmp_path, later)
    assert [(key_of(g), g.verdict) for g in fake.got] == [("m-2", "ok"), ("m-1", "ok"), ("image", "45009"),
                                                         ("image", "ok")]     # the text never twice
    assert statuses(queue, group) == {"m-1": "sent", "m-2": "sent"}
    GroupTransport(group.settings, tmp_path / "state.db", later + timedelta(days=61)).open()
    assert not queue.db.execute("SELECT key FROM im_part WHERE key='m-2'").fetchall()   # sent long ago: forgotten
