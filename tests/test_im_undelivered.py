"""Group messages that did not get through, said as a group's, not as mail's: a group taken out of
duban.toml (its queued messages fail at once with the way to send them after all, its hold ends,
`duban status` says so), the clerks' problems report (the group and its platform's fix, in the
reader's language, no mail server words), a lane that only waits (a rate limit: said plainly, in
the reader's language) and the JSON's stored reasons said in each language.

Real state.db (the queue's own tables), the run's real delivery (jobs.remind.retry), the terminal's
real output."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from duban.jobs.notify.ledger import Ledger
from duban.jobs.remind import not_delivered, retry
from duban.jobs.serve.status import gather
from duban.jobs.settings import config
from duban.jobs.terminal import lanes
from duban.mailer.im.lane import lane
from duban.mailer.queue import MailQueue
from duban.mailer.queued import DeliveryReport, Queued, QueuedMail
from duban.mailer.reasons import bilingual
from duban.mailer.seam import Connection, ConnectionCut, PermanentFailure, SetupError

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=TZ)
IM = {"departments": {"研发部": "研发群"},
      "groups": {"研发群": {"platform": "wecom", "webhook_env": "DUBAN_TEST_NOT_SET_RD_URL"}}}
REFUSED = bilingual("WeCom refused this message's content (40058); please pass this to duban's maintainer",
                    "企业微信拒绝了这条消息的内容（40058），请把这条提示转给 duban 的维护人")
PAUSE = bilingual("Feishu / Lark is not sent to around the hour and half hour (its busy minutes); this group's "
                  "messages wait until 10:31", "整点和半点前后不向飞书发送（平台繁忙时段），本群消息等到 10:31 之后发送")


def found(lang: str = "zh") -> config.Settings:
    return config.load(values={"company": {"language": lang}, "mail": {"clerks": ["王芳"]}, "im": IM})


class Bot(Connection):
    """A group bot at the queue's seam: refuses a setting, refuses a message, or gets no answer."""

    setup = "bot"

    def __init__(self, fails: Exception):
        self.fails = fails

    def send(self, message, recipients, key=None, before_content=None):
        if before_content:
            before_content()
        raise self.fails


def put(queue: MailQueue, key: str, group: str, at: datetime = NOW) -> None:
    queue.put(Queued(key, "digest", [group], f"{group}今日待办 {key}", b'{"platform":"wecom"}', lane(group)), at)


def test_a_group_taken_out_of_duban_toml_fails_its_messages_at_once_and_its_hold_ends(tmp_path):
    settings = found()
    db = tmp_path / settings.state.path
    db.parent.mkdir(parents=True)
    with MailQueue(db) as queue:
        put(queue, "old1", "旧群")
        put(queue, "old2", "旧群")
        queue.deliver(Bot(SetupError(REFUSED, "[im.groups.旧群] webhook_env")), NOW, 3, lane("旧群"))
        assert queue.hold(lane("旧群"))
    run = retry(tmp_path, settings, NOW + timedelta(minutes=5))
    assert [m.key for m in run.delivery.failed] == ["old1", "old2"]
    with MailQueue(db) as queue:
        assert queue.hold(lane("旧群")) is None and queue.entries("queued") == []
        [why] = {m.last_error for m in queue.entries("failed")}
    assert "旧群" in why and "duban.toml" in why and "--retry --failed" in why and '[im.groups."旧群"]' in why
    # `duban status` says where the group went
    status = gather(tmp_path, settings, 0, NOW + timedelta(minutes=6))
    assert status["groups"]["旧群"]["failed"] == 2 and status["groups"]["旧群"]["platform"] == ""
    [(line, red)] = lanes.lines({"旧群": status["groups"]["旧群"]}, "zh", "DIR")
    assert "群「旧群」（已不在 duban.toml 中）" in line and not red
    [(line, _red)] = lanes.lines({"旧群": status["groups"]["旧群"]}, "en", "DIR")
    assert "group 旧群 (no longer in duban.toml)" in line
    # the clerks hear of it as a group's, in their language
    with Ledger(db) as ledger, MailQueue(db) as queue:
        told = not_delivered(queue, ledger, settings, tmp_path)
    assert [topic for topic, _p in told] == ["refused:old1", "refused:old2"]
    problem = told[0][1]
    assert problem.code == "group-refused" and problem.value == "旧群"
    assert "已不在 duban.toml 中" in problem.text("zh") and "no longer in duban.toml" not in problem.text("zh")
    assert "no longer in duban.toml" in problem.text("en") and "‖" not in problem.text("en")
    # put back and sent again: --retry --failed queues them once more
    with MailQueue(db) as queue:
        assert queue.retry_now(NOW + timedelta(minutes=7), include_failed=True) == 2


def test_the_clerks_hear_of_group_messages_as_the_groups_with_the_platforms_fix(tmp_path):
    settings = found()
    db = tmp_path / settings.state.path
    db.parent.mkdir(parents=True)
    with MailQueue(db) as queue:
        put(queue, "bad", "研发群")
        queue.deliver(Bot(PermanentFailure(REFUSED)), NOW, 3, lane("研发群"))
        put(queue, "cut", "研发群")
        for n in range(2):      # no answer twice (once, where a group is set aside at the first)
            if queue.entries("queued"):
                queue.retry_now(NOW + timedelta(hours=n + 1))
                queue.deliver(Bot(ConnectionCut(bilingual("WeCom did not answer", "企业微信没有答复"),
                                                content_sent=True)), NOW + timedelta(hours=n + 1), 3, lane("研发群"))
        put(queue, "old", "研发群", NOW - timedelta(days=5))
        queue.expire(NOW, 3)
    with Ledger(db) as ledger, MailQueue(db) as queue:
        told = dict(not_delivered(queue, ledger, settings, tmp_path))
    codes = {topic.split(":")[0]: p.code for topic, p in told.items()}
    assert codes == {"given-up": "group-given-up", "set-aside": "group-set-aside", "refused": "group-refused"}
    for problem in told.values():
        zh, en = problem.text("zh"), problem.text("en")
        assert "研发群" in zh and "研发群" in en and '[im.groups."研发群"]' in zh + en or "群里" in zh
        for mail_words in ("[mail.smtp]", "Message-ID", "邮箱", "email", "邮件服务器", "mail server"):
            assert mail_words not in zh and mail_words not in en
        assert "‖" not in zh and "‖" not in en
    refused = next(p for p in told.values() if p.code == "group-refused")
    assert "企业微信拒绝了这条消息的内容" in refused.text("zh") and "WeCom" not in refused.text("zh")
    assert "WeCom refused this message's content" in refused.text("en") and "企业微信" not in refused.text("en")
    assert "在群里查看" in next(p for p in told.values() if p.code == "group-set-aside").text("zh")


def test_a_group_lane_that_waits_is_said_plainly_in_the_readers_language(tmp_path, capsys):
    from duban.jobs.terminal.mail import mail_json, mail_summary

    waiting = QueuedMail(1, "k1", "digest", ["财务群"], "财务部今日待办", "queued", 0, PAUSE, NOW, None,
                         NOW + timedelta(minutes=31), None, 0, lane("财务群"))
    run = type("Run", (), dict(now=NOW, folder=tmp_path, skipped=0, unknown=[], transport="outbox",
                               destination="outbox/", outgoing=[],
                               delivery=DeliveryReport(still_queued=[waiting], waiting=PAUSE)))()
    for lang, said, other in (("zh", "群「财务群」暂缓发送：整点和半点前后不向飞书发送", "Feishu"),
                              ("en", "group 财务群 waits: Feishu / Lark is not sent to around the hour", "飞书")):
        mail_summary(run, config.load(values={"company": {"language": lang}}), False)
        shown = capsys.readouterr()
        line = next(x for x in shown.out.splitlines() if "财务群" in x and ("暂缓" in x or "waits" in x))
        assert said in line and other not in line and "‖" not in line
        assert "财务群" not in shown.err                  # not a fault: nothing on stderr
    assert mail_json(run)["delivery"]["waiting_reason"] == {"zh": PAUSE.split(" ‖ ")[1], "en": PAUSE.split(" ‖ ")[0]}


def test_the_json_keeps_a_stored_reason_and_says_it_in_each_language(tmp_path, capsys):
    from duban.jobs.terminal.mail import queue_listing

    settings = found()
    db = tmp_path / settings.state.path
    db.parent.mkdir(parents=True)
    with MailQueue(db) as queue:
        put(queue, "bad", "研发群")
        queue.deliver(Bot(PermanentFailure(REFUSED)), NOW, 3, lane("研发群"))
        put(queue, "held", "研发群")
        queue.deliver(Bot(SetupError(REFUSED, "[im.groups.研发群] webhook_env")), NOW, 3, lane("研发群"))
        queue_listing(queue.entries(), settings, True)
    listed = {m["key"]: m for m in json.loads(capsys.readouterr().out)}
    assert listed["bad"]["error"] == REFUSED                                    # as stored, as before
    assert listed["bad"]["error_text"] == {"zh": REFUSED.split(" ‖ ")[1], "en": REFUSED.split(" ‖ ")[0]}
    status = gather(tmp_path, settings, 0, NOW)
    hold = status["groups"]["研发群"]["setting_refused"]
    assert hold["error"] == REFUSED and hold["error_text"]["en"] == REFUSED.split(" ‖ ")[0]


def test_a_run_counts_mail_as_mail_and_says_each_groups_failed_or_given_up_messages_as_the_groups(tmp_path, capsys):
    from duban.jobs.terminal.mail import mail_summary

    def one(n: int, channel: str, status: str, error: str | None = None) -> QueuedMail:
        return QueuedMail(n, f"k{n}", "digest", ["研发群"], f"研发部今日待办 {n}", status, 1, error, NOW, None, NOW,
                          None, 0, channel)

    delivery = DeliveryReport(failed=[one(1, lane("研发群"), "failed", REFUSED)],
                              given_up=[one(2, lane("研发群"), "given_up"), one(3, lane("研发群"), "given_up")])
    run = type("Run", (), dict(now=NOW, folder=tmp_path, skipped=0, unknown=[], transport="outbox",
                               destination="outbox/", outgoing=[], delivery=delivery))()
    mail_summary(run, found("zh"), False)
    shown = capsys.readouterr()
    said = "".join((shown.out + shown.err).split())
    assert "失败" not in said and "放弃2封" not in said                  # no mail failed or was given up
    assert "群「研发群」：2条消息等待过久，已放弃" in said
    assert "群「研发群」的消息未发出" in said and "企业微信拒绝了这条消息的内容" in said and "邮件服务器" not in said
