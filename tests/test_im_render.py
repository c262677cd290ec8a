"""What a group reads: each kind of notice rendered by the group channel for each platform, with what
a reader on a phone needs (counts, owner, days late, the file's place, the more-tail, the
mentions), inside the platform's limits, cell text inert, in the group's language, with the bot's
keyword; the queued envelope; and one group digest through the real outbox, ledger and queue."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from books import NOW
from duban.jobs.notify.channels import CHANNELS
from duban.jobs.notify.groupchannel import GROUP, address, lanes, unreachable
from duban.jobs.notify.grouprender import GroupRenderer, mentioned
from duban.jobs.notify.ledger import Ledger
from duban.jobs.notify.outbox import Outbox, deliver
from duban.jobs.notify.router import Item, Notice, group_recipient
from duban.jobs.settings import config
from duban.jobs.settings.typed import Im, ImGroup
from duban.mailer.im import wecom
from duban.mailer.im.lane import Envelope
from duban.mailer.im.platforms import PLATFORMS
from duban.mailer.im.post import encode
from duban.mailer.im.send import attempt
from duban.mailer.queue import MailQueue
from duban.workbooks.model.directory import Person
from duban.workbooks.model.errors import ConfigError
from duban.workbooks.model.problems import Problem
from im_fakes import FakeBot

NAMES = ("wecom", "dingtalk", "feishu", "slack", "teams")
MORNING = NOW.replace(minute=30)                      # Monday 2026-11-23 09:30
SHARE = "\\\\fileserver\\督办"
BOOK = "研发部/任务跟进表.xlsx"
PLACE = "\\\\fileserver\\督办\\研发部\\任务跟进表.xlsx"
HOSTILE = "<@all> @所有人 [x](http://evil) <font color=red>红</font>"
ZHANG = Person("张伟", "研发部", "zhang.wei@example.com", False, None, "zh", mobile="13800138000",
               wecom_id="zhangwei", dingtalk_id="zw01", feishu_id="ou_zhangwei")
HEAD = Person("李娜", "研发部", "li.na@example.com", True, None, "zh", mobile="13900139000", wecom_id="lina",
              dingtalk_id="ln01", feishu_id="ou_lina")
PLAIN = Person("王芳", "研发部", None, False, None, "zh")          # no ID: the plain name, no @


def config_of(platform: str = "wecom", keyword: str = "", lang: str = "zh"):
    """The default settings with the share path and one group, 研发群, on `platform`."""
    base = config.load().changed(mail={"share_path": SHARE}, company={"language": lang})
    return dataclasses.replace(base, im=Im(departments={"研发部": "研发群"}, groups={
        "研发群": ImGroup("研发群", platform, "DUBAN_TEST_URL", "", keyword)}))


def item(n: int, rule: str = "overdue", **kw) -> Item:
    rank = {"overdue": 2, "due_soon": 6, "stale": 11, "escalated": 1, "incident_unanswered": 0, "blocked": 5}[rule]
    deadline = {"overdue": date(2026, 11, 20), "due_soon": date(2026, 11, 25)}.get(rule)
    fields = dict(key=f"T-{n:04d}", workbook=BOOK, sheet="任务", row=10 + n, kind="tasks", title=f"任务{n}",
                  project=None, rule=rule, rank=rank, zh="逾期", en="Overdue", deadline=deadline, people=("张伟",),
                  owner="张伟", due=deadline, last_update=date(2026, 11, 10))
    return Item(**{**fields, **kw})


def notice(kind: str, items=(), lang: str = "zh", **kw) -> Notice:
    return Notice(kind, group_recipient("研发群", lang), items=list(items), channel="group", group="研发群", **kw)


def composed(the_notice: Notice, platform: str = "wecom", keyword: str = "", lang: str = "zh", now=MORNING):
    cfg = config_of(platform, keyword, lang)
    return GroupRenderer(cfg, Path("/srv/demo")).compose(the_notice, "key-1", now)


def bodies(the_notice: Notice, platform: str = "wecom", keyword: str = "", **kw) -> list[dict]:
    """What the group's transport posts: the queued message shaped for the group's platform and
    keyword when it goes."""
    queued = composed(the_notice, platform, keyword=keyword, **kw).message().message
    return Envelope.unpack(queued).bodies(platform, keyword)


def strings(value) -> list[str]:
    """Every string a body holds (what the platform shows, and the IDs it mentions)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def text(found: list[dict]) -> str:
    return "\n".join(s for body in found if "image" not in body for s in strings(body))


def digest_of(n: int = 300) -> Notice:
    """A department's digest: n rows, every other one overdue, the rest due soon."""
    return notice("digest", [item(i, "overdue" if i % 2 else "due_soon") for i in range(n)],
                  content={"department": "研发部"})


# ---- the department's daily message -----------------------------------------------------------------
@pytest.mark.parametrize("platform", NAMES)
def test_a_digest_of_300_rows_says_counts_owner_days_place_and_how_many_more(platform):
    found = bodies(digest_of(300), platform)
    said = text(found)
    assert "研发部 督办日报 11月23日：逾期 150 · 即将到期 150" in said
    shown = re.findall(r"任务跟进表\.xlsx 第(\d+)行", said)
    assert 1 <= len(shown) <= 10
    assert all(int(row) % 2 == 1 for row in shown)             # the overdue rows (rank 2) before the due-soon
    assert f"…另外 {300 - len(shown)} 项，详见邮件 / 工作簿" in said
    assert "负责人：张伟" in said and "逾期 3 天" in said and f"{PLACE} 第11行" in said
    assert said.rstrip().endswith("督办 duban")                 # the footer last: below the list and its "more"
    for body in found:
        assert len(encode(body)) <= PLATFORMS[platform].LIMITS.body_bytes


def test_wecom_lists_ten_rows_of_a_long_digest_and_counts_the_other_290():
    content = bodies(digest_of(300))[0]["markdown"]["content"]
    assert len(content.encode()) <= wecom.LIMITS.text_bytes
    assert len(re.findall(r"第\d+行", content)) == 10
    assert "…另外 290 项，详见邮件 / 工作簿" in content
    assert content.startswith("**研发部 督办日报 11月23日：逾期 150 · 即将到期 150**\n任务1 · 负责人：张伟 · 逾期 3 天 · ")


def test_a_digest_says_due_soon_and_stale_in_numbers():
    said = text(bodies(notice("digest", [item(1, "due_soon"), item(2, "stale")])))
    assert "2 天后到期" in said and "未按时更新（最近更新 2026-11-10）" in said
    assert "即将到期 1 · 未按时更新 1" in said


def test_the_digest_names_the_departments_the_settings_send_to_the_group_when_the_job_names_none():
    assert composed(notice("digest", [item(1)])).subject == "研发部 督办日报 11月23日：逾期 1"


def test_an_english_group_reads_english():
    found = bodies(dataclasses.replace(digest_of(300), recipient=group_recipient("研发群", "en")), "slack", lang="en")
    said = text(found)
    assert "研发部 duban digest 23 Nov: 150 overdue items · 150 items due soon" in said
    assert "Owner: 张伟" in said and "3 days overdue" in said and f"{PLACE} row 11" in said
    assert re.search(r"…and \d+ more, see the mail / workbook", said)
    assert "逾期" not in said and "负责人" not in said


# ---- escalations and urgent alerts --------------------------------------------------------------------
def test_an_escalation_says_why_and_mentions_the_head_by_id():
    late = item(1, "escalated", cause="overdue", due=date(2026, 11, 14))
    stuck = item(2, "escalated", cause="blocked", deadline=date(2026, 11, 16), due=date(2026, 12, 31),
                 help_from="财务部")
    found = bodies(notice("escalation", [late, stuck], mentions=[HEAD]))
    content = found[0]["markdown"]["content"]
    assert content.startswith("**升级：请研发部负责人协调以下 2 项**")
    assert "任务1 · 负责人：张伟 · 逾期 9 天 · " in content
    assert "任务2 · 负责人：张伟 · 阻塞已 7 天 · 需 财务部 协助 · " in content
    assert "<@lina>" in content


def incident(**kw) -> Item:
    return item(7, "incident_unanswered", deadline=datetime(2026, 11, 23, 9, 10), kind="incidents",
                started=datetime(2026, 11, 23, 9, 5), title="机房断电", note="二号楼全部停电",
                people=("张伟",), **kw)


@pytest.mark.parametrize("platform", NAMES)
def test_an_urgent_alert_says_what_who_how_long_and_what_to_fill(platform):
    found = bodies(notice("alert", [incident()], mentions=[ZHANG, HEAD], urgent=True), platform)
    said = text(found)
    assert "紧急：紧急事务未响应：机房断电" in said
    assert "机房断电（二号楼全部停电）" in said and "需响应：张伟" in said and "已等待 25分钟" in said
    assert "响应时间" in said                     # what to do: the cell to fill, as the workbook heads it
    assert f"{PLACE} 第17行" in said


def test_several_urgent_items_are_counted_in_the_title_and_each_has_its_line():
    later = item(3, "incident_unanswered", kind="incidents", title="水管爆裂", started=datetime(2026, 11, 23, 8, 0),
                 deadline=datetime(2026, 11, 23, 8, 10))
    made = composed(notice("alert", [incident(), later], urgent=True))
    assert made.subject == "紧急：紧急事务未响应：水管爆裂 等 2 项" and made.items == 2
    content = Envelope.unpack(made.message().message).bodies("wecom")[0]["markdown"]["content"]
    assert "水管爆裂 · 需响应：张伟 · 已等待 1小时30分钟" in content and "机房断电（二号楼全部停电）" in content
    english = composed(notice("alert", [incident(), later], lang="en"), "slack", lang="en")
    assert english.subject == "URGENT: Incident unanswered: 水管爆裂 and 1 more"


def test_a_repeat_says_still_unanswered_and_mentions_the_head():
    found = bodies(notice("alert", [incident()], mentions=[HEAD], urgent=True, content={"repeat": True, "minutes": 30}),
                   "dingtalk")
    body = found[0]
    assert body["markdown"]["title"].startswith("再次提醒：机房断电 已等待 25分钟，仍未响应")
    assert body["at"]["atMobiles"] == ["13900139000"] and "@13900139000" in body["markdown"]["text"]


@pytest.mark.parametrize(("platform", "where"), [
    ("wecom", lambda b: b["markdown"]["content"]),
    ("dingtalk", lambda b: b["at"]["atMobiles"]),
    ("feishu", lambda b: json.dumps(b, ensure_ascii=False)),
])
def test_mentions_go_by_the_directory_ids_and_plain_names_stay_names(platform, where):
    found = bodies(notice("alert", [incident()], mentions=[HEAD, PLAIN], urgent=True), platform)
    seen = where(found[0])
    expected = {"wecom": "<@lina>", "dingtalk": "13900139000", "feishu": '"user_id": "ou_lina"'}[platform]
    assert expected in seen
    assert "王芳" in text(found) and "@王芳" not in text(found)


def test_a_wecom_mention_by_mobile_alone_goes_in_the_mobile_list():
    by_mobile = dataclasses.replace(HEAD, wecom_id=None)
    [body] = bodies(notice("alert", [incident()], mentions=[by_mobile], urgent=True))
    assert body["msgtype"] == "text" and body["text"]["mentioned_mobile_list"] == ["13900139000"]
    assert len(body["text"]["content"].encode()) <= wecom.TEXT_LIMIT


def test_a_directory_person_becomes_a_mention_with_every_id():
    assert mentioned(ZHANG) == mentioned(ZHANG)
    found = mentioned(ZHANG)
    assert (found.name, found.mobile, found.wecom, found.dingtalk, found.feishu) == \
        ("张伟", "13800138000", "zhangwei", "zw01", "ou_zhangwei")
    assert mentioned(PLAIN).mobile == mentioned(PLAIN).wecom == ""


# ---- cell text stays text --------------------------------------------------------------------------
@pytest.mark.parametrize("platform", NAMES)
def test_hostile_cells_arrive_as_text(platform):
    rows = [item(1, title=HOSTILE, owner="@所有人 <@all>", note=HOSTILE)]
    hostile_person = Person("<@all>", "研发部", None, False, None, "zh", wecom_id="all", dingtalk_id="@all")
    for kind in ("digest", "escalation", "alert"):
        found = bodies(notice(kind, rows, mentions=[hostile_person]), platform)
        said = text(found)
        for active in ("<@all>", "@所有人", "[x](http://evil)", "<font", "@all"):
            assert active not in said, (kind, active)
        assert "＜＠all＞" in said and "［x］(http://evil)" in said
        raw = json.dumps(found, ensure_ascii=False)
        assert '"isAtAll": true' not in raw and '"all"' not in raw


# ---- the keyword a secured bot needs --------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_a_keyword_secured_bot_accepts_every_kind_because_the_keyword_is_in_every_body(platform):
    fake = FakeBot(platform, keyword="周报提醒").start()
    try:
        module = PLATFORMS[platform]
        for the_notice in (digest_of(40), notice("alert", [incident()]), notice("escalation", [item(1, "escalated")]),
                           notice("notice", content={"zh": "状态文件无法写入", "en": "state file not writable"})):
            for body in bodies(the_notice, platform, keyword="周报提醒"):
                assert "周报提醒" in json.dumps(body, ensure_ascii=False)
                got = attempt(module, fake.url, "", body, timeout=5.0)
                assert got.ok, (the_notice.kind, got.zh)
        [body] = bodies(digest_of(40), platform)          # without the keyword: refused, as the fake says
        assert not attempt(module, fake.url, "", body, timeout=5.0).ok
    finally:
        fake.stop()


def test_a_keyword_already_in_the_footer_is_not_repeated():
    said = text(bodies(digest_of(3), "dingtalk", keyword="督办"))
    assert said.count("督办 duban") == 1 and "· 督办" not in said


# ---- summary, serve's notice, the problems report -------------------------------------------------------
VIEW = {"heading": "研发部 周报 · 2026-11-22", "subject": "【督办】研发部 周报", "items": 42,
        "tiles": [[{"label": "本周完成", "value": 12}, {"label": "按时完成率", "value": "80%"}],
                  [{"label": "未完成", "value": 42}, {"label": "逾期", "value": 5}]],
        "flags_now": {"label": "当前提示", "text": "逾期 5 · 阻塞 1"},
        "archive_path": "\\\\fileserver\\督办\\督办报表\\2026-W47.xlsx",
        "archive_url": "file://fileserver/%E7%9D%A3%E5%8A%9E/2026-W47.xlsx"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_a_summary_gives_the_headline_figures_the_archive_path_and_on_wecom_the_chart():
    found = bodies(notice("summary", content=VIEW, attachments=(("cid", PNG, "trend.png"),)))
    said = text(found)
    assert "研发部 周报 · 2026-11-22" in said and "本周完成 12 · 按时完成率 80%" in said
    assert "未完成 42 · 逾期 5" in said and "当前提示：逾期 5 · 阻塞 1" in said
    assert "归档：\\\\fileserver\\督办\\督办报表\\2026-W47.xlsx" in said and "file://" not in said
    assert found[1]["msgtype"] == "image" and found[1]["image"]["md5"] == hashlib.md5(PNG).hexdigest()
    assert composed(notice("summary", content=VIEW)).items == 42


def test_a_summary_archive_on_the_web_is_a_link_and_other_platforms_get_no_picture():
    view = {**VIEW, "archive_url": "https://intranet.example.com/duban/2026-W47.html"}
    found = bodies(notice("summary", content=view, attachments=(("cid", PNG, "trend.png"),)), "dingtalk")
    assert len(found) == 1
    assert "[查看归档](https://intranet.example.com/duban/2026-W47.html)" in found[0]["markdown"]["text"]


def test_serves_notice_is_its_sentence_in_the_groups_language():
    content = {"zh": "邮件服务器拒绝登录，请检查密码", "en": "The mail server refused the login; check the password"}
    assert "邮件服务器拒绝登录，请检查密码" in text(bodies(notice("notice", content=content)))
    english = dataclasses.replace(notice("notice", content=content), recipient=group_recipient("研发群", "en"))
    said = text(bodies(english, "teams", lang="en"))
    assert "duban serve needs attention" in said and "check the password" in said and "邮件" not in said


def test_the_problems_report_counts_and_lists_the_first_few():
    problems = [Problem("bad-date", BOOK, "任务", f"F{i}", i, value="11月31日", params={"example": "2026-11-30"}) for i in range(8)]
    found = bodies(notice("problems", problems=problems, once="day"))
    content = found[0]["markdown"]["content"]
    assert content.startswith("**8 个数据问题，详见邮件**")
    assert content.count("11月31日") == 5 and "…另外 3 项" in content


# ---- the channel and the queue ---------------------------------------------------------------------------
def test_the_envelope_holds_the_message_in_the_groups_lane_and_is_shaped_when_it_goes():
    made = composed(digest_of(5), "feishu", keyword="值班")
    queued = made.message()
    assert (queued.key, queued.kind, queued.recipients, queued.channel) == ("key-1", "digest", ["研发群"], "group:研发群")
    assert queued.subject == made.subject == "研发部 督办日报 11月23日：逾期 2 · 即将到期 3"
    envelope = Envelope.unpack(queued.message)
    assert (envelope.group, envelope.message.title, len(envelope.message.lines)) == ("研发群", made.subject, 5)
    assert "值班" not in queued.message.decode()          # the keyword is the group's setting when it goes
    [post] = envelope.bodies("feishu", "值班")
    assert post["msg_type"] == "post" and post["content"]["post"]["zh_cn"]["title"] == made.subject
    assert "督办 duban · 值班" in json.dumps(post, ensure_ascii=False)
    [markdown] = envelope.bodies("dingtalk", "紧急")        # the same words on another platform, another keyword
    assert markdown["markdown"]["title"] == made.subject and markdown["markdown"]["text"].endswith("督办 duban · 紧急")
    assert Envelope.unpack(envelope.pack()) == envelope
    assert "DUBAN_TEST_URL" not in queued.message.decode()


def test_the_envelope_keeps_every_part_of_the_message():
    summary = composed(notice("summary", content=VIEW, attachments=(("cid", PNG, "trend.png"),),
                              mentions=[ZHANG, PLAIN]), "wecom")
    envelope = Envelope.unpack(summary.message().message)
    said = envelope.message
    assert said.image == PNG and said.links and said.mentions[0].wecom == "zhangwei" and said.mentions[1].name == "王芳"
    assert Envelope.unpack(envelope.pack()) == envelope
    assert [b["msgtype"] for b in envelope.bodies("wecom")] == ["markdown", "image"]


def test_a_group_nobody_configured_is_refused_in_words():
    with pytest.raises(ConfigError) as refused:
        composed(dataclasses.replace(digest_of(1), group="财务群"))
    assert "财务群" in refused.value.zh and "[im.groups]" in str(refused.value)


def test_the_group_channel_addresses_the_group_and_has_a_lane_per_group():
    assert address(group_recipient("研发群", "zh")) == "研发群"
    assert address(ZHANG) is None
    problem = unreachable(ZHANG, True, "duban.toml [im]")
    assert problem.code == "group-unknown" and "张伟" in problem.message("zh") and "[im.groups" in problem.message("en")
    assert lanes(config_of()) == ["group:研发群"] == GROUP.lanes_of(config_of())
    assert lanes(config.load()) == []


TOML = '''
[mail]
share_path = '\\\\fileserver\\督办'
[im.departments]
"研发部" = "研发群"
[im.groups."研发群"]
platform = "dingtalk"
webhook_env = "DUBAN_TEST_RD_URL"
keyword = "督办"
'''


def test_a_group_digest_posted_through_the_outbox_queues_once_in_its_lane_and_goes_once(tmp_path, monkeypatch):
    assert CHANNELS.get("group") is GROUP
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "duban.toml").write_text(TOML, encoding="utf-8")
    cfg = config.load(folder)
    db = folder / cfg.state.path
    daily = dataclasses.replace(digest_of(30), once="day", topics=("group-digest",))
    with Ledger(db) as ledger, MailQueue(db) as queue:
        assert Outbox(folder, cfg, MORNING, ledger, queue).post(daily)
        [queued] = queue.entries()
        assert (queued.channel, queued.kind, queued.recipients) == ("group:研发群", "digest", ["研发群"])
        assert queued.subject.startswith("研发部 督办日报 11月23日：逾期 15 · 即将到期 15")
        assert not Outbox(folder, cfg, MORNING + timedelta(hours=3), ledger, queue).post(daily)
        assert len(queue.entries()) == 1
    fake = FakeBot("dingtalk", keyword="督办").start()
    monkeypatch.setenv("DUBAN_TEST_RD_URL", fake.url)
    try:
        with MailQueue(db) as queue:
            report = deliver(folder, cfg, MORNING, queue)
            assert [m.channel for m in report.sent] == ["group:研发群"]
            assert deliver(folder, cfg, MORNING + timedelta(minutes=5), queue).sent == []
    finally:
        fake.stop()
    [got] = fake.got
    assert got.verdict == "ok" and got.body["markdown"]["title"].startswith("研发部 督办日报 11月23日")
    assert f"{PLACE} 第11行" in got.body["markdown"]["text"]


def test_every_group_sentence_is_in_both_languages():
    from duban.mailer.im.words import WORDS
    assert set(WORDS["zh"]) == set(WORDS["en"])
    assert composed(notice("alert", [])).subject == "紧急提醒"


def test_every_notice_kind_renders_for_a_group():
    for kind in GROUP.kinds:
        the_notice = {"digest": digest_of(2), "escalation": notice("escalation", [item(1, "escalated")]),
                      "alert": notice("alert", [incident()]), "summary": notice("summary", content=VIEW),
                      "notice": notice("notice", content={"zh": "中", "en": "en"}),
                      "answer": notice("answer", content={"subject": {"zh": "未执行", "en": "Not applied"},
                                                          "why": {"zh": "链接无效", "en": "Link not valid"},
                                                          "todo": {"zh": "回复最新提醒", "en": "Reply to the latest"}}),
                      "problems": notice("problems", problems=[Problem("bad-date", BOOK, "任务", "F3", 3, value="x", params={"example": "2026-11-30"})])}[kind]
        assert composed(the_notice).subject, kind

