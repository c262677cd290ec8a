"""Group bots in operations: `duban status` and `duban outbox` show each group's lane beside mail
(waiting, held, sent, failed, its settings hold with the fix), --json includes them; the run table
names a group as a recipient; serve tells the admins once per hold of a group whose bot refused a
setting; the service files list the group variables' names, never a value; the README's
"Group bots" section holds the duban.toml lines the settings loader accepts."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.notify.outbox import Outgoing
from duban.jobs.settings import config
from duban.mailer.im import dingtalk
from duban.mailer.im.lane import lane
from duban.mailer.queue import MailQueue
from duban.mailer.queued import DeliveryReport, Queued
from duban.mailer.reasons import bilingual
from duban.mailer.seam import Connection, SetupError

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Shanghai")
RUN = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"
IM = """
[im]
urgent_group = "紧急群"
admins_group = "管理群"

[im.departments]
"研发部" = "研发群"

[im.groups."紧急群"]
platform = "dingtalk"
webhook_env = "DUBAN_IM_URGENT_URL"
secret_env = "DUBAN_IM_URGENT_SECRET"

[im.groups."研发群"]
platform = "wecom"
webhook_env = "DUBAN_IM_RD_URL"

[im.groups."管理群"]
platform = "feishu"
webhook_env = "DUBAN_IM_ADMINS_URL"
secret_env = "DUBAN_IM_ADMINS_SECRET"
"""
# how a group bot's transport keeps DingTalk's refusal of a signature: the platform's own sentence,
# both languages, English first (mailer.reasons)
SIGN = dingtalk.classify(200, json.dumps({"errcode": 310000, "errmsg": "sign not match"}).encode())
REFUSED = bilingual(SIGN.en, SIGN.zh)
SETTING = "[im.groups.紧急群] secret_env (DUBAN_IM_URGENT_SECRET)"


def duban(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=ROOT, timeout=120)


class Bot(Connection):
    """A group bot's stand-in at the queue's seam: takes every message, or refuses a setting."""

    setup = "fake bot"

    def __init__(self, refuse: tuple[str, str] | None = None):
        self.refuse, self.sent = refuse, []

    def send(self, message, recipients, key=None, before_content=None):
        if self.refuse:
            raise SetupError(*self.refuse)
        self.sent.append(key)
        return {}


def message(key: str, channel: str, to: str) -> Queued:
    return Queued(key, "digest", [to], f"督办日报 {key}", b'{"platform":"wecom","group":"","bodies":[]}', channel)


def folder_with_lanes(tmp_path: Path, lang: str = "zh") -> Path:
    """A folder whose state.db holds: one mail waiting; 研发群 3 sent, 1 waiting, 1 held for office
    hours; 紧急群 1 waiting behind a refused setting; 管理群 nothing."""
    (tmp_path / "duban.toml").write_text(f'[company]\nlanguage = "{lang}"\n' + IM, encoding="utf-8")
    now = datetime.now(TZ)
    (tmp_path / ".duban").mkdir()
    with MailQueue(tmp_path / ".duban" / "state.db") as queue:
        queue.put(message("m1", "mail", "wangfang@example.com"), now)
        for n in range(3):
            queue.put(message(f"rd{n}", lane("研发群"), "研发群"), now)
        assert len(queue.deliver(Bot(), now, 3, lane("研发群")).sent) == 3
        queue.put(message("rd3", lane("研发群"), "研发群"), now)
        queue.put(message("rd4", lane("研发群"), "研发群"), now, now + timedelta(days=1))
        queue.put(message("u1", lane("紧急群"), "紧急群"), now)
        report = queue.deliver(Bot((REFUSED, SETTING)), now, 3, lane("紧急群"))
        assert report.setting == SETTING and queue.hold(lane("紧急群"))
    return tmp_path


def test_status_json_has_each_group_lane_beside_mail(tmp_path):
    folder = folder_with_lanes(tmp_path)
    done = duban("status", folder, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"serve", "jobs", "runs", "queue", "skipped", "held_saves", "groups"} <= set(data)
    assert data["queue"]["waiting"] == 1 and data["queue"]["sent"] == 0         # mail's lane alone
    assert data["queue"]["setting_refused"] is None                            # a group's hold is not mail's
    rd = data["groups"]["研发群"]
    assert (rd["platform"], rd["waiting"], rd["held"], rd["sent"], rd["failed"], rd["setting_refused"]) == \
        ("wecom", 2, 1, 3, 0, None)
    urgent = data["groups"]["紧急群"]
    assert urgent["waiting"] == 1 and urgent["setting_refused"]["setting"] == SETTING
    assert urgent["setting_refused"]["error"] == REFUSED and urgent["setting_refused"]["since"].endswith("+08:00")
    assert data["groups"]["管理群"] == {"waiting": 0, "held": 0, "oldest": None, "failed": 0, "given_up": 0,
                                       "set_aside": 0, "sent": 0, "setting_refused": None, "platform": "feishu"}


def test_status_text_shows_each_group_and_its_hold_with_the_fix_in_chinese(tmp_path):
    folder = folder_with_lanes(tmp_path)
    done = duban("status", folder)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "邮件队列：1 封等待发送" in text
    assert "群「研发群」（企业微信）：2 条等待发送（其中 1 条暂存至上班时间）" in text and "3 条已发出" in text
    hold = next(line for line in text.splitlines() if "群「紧急群」的消息已暂停发送" in line)
    assert SIGN.zh.rstrip("。") in hold and "DingTalk" not in hold and "‖" not in hold
    assert "DUBAN_IM_URGENT_SECRET" in hold and f"duban outbox {folder} --retry" in hold
    assert "群「管理群」（飞书）：0 条等待发送" in text
    assert "等待发送的 1 封邮件和 3 条群消息不会自己发出" in text         # serve is not running


def test_status_text_in_english(tmp_path):
    folder = folder_with_lanes(tmp_path, "en")
    text = duban("status", folder).stdout
    assert "group 研发群 (WeCom): 2 waiting (1 held for office hours)" in text
    hold = next(line for line in text.splitlines() if "Messages to the group 紧急群 are on hold" in line)
    assert SIGN.en.rstrip(".") in hold and "钉钉" not in hold and "‖" not in hold


def test_outbox_names_groups_in_the_to_column_and_says_each_lane(tmp_path):
    folder = folder_with_lanes(tmp_path)
    done = duban("outbox", folder)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if "督办日报" in line]
    assert len(rows) == 7
    assert sum("群 研发群" in r for r in rows) == 5 and sum("群 紧急群" in r for r in rows) == 1
    assert any("wangfang@example.com" in r and "群 " not in r for r in rows)
    assert "群「研发群」（企业微信）：2 条等待发送" in done.stdout
    assert "群「紧急群」的消息已暂停发送" in done.stderr and "钉钉加签失败" in done.stderr
    listed = json.loads(duban("outbox", folder, "--json").stdout)
    assert {m["key"]: m["channel"] for m in listed}["u1"] == "group:紧急群"
    assert {m["channel"] for m in listed} == {"mail", "group:研发群", "group:紧急群"}


def test_the_run_table_and_its_json_name_a_group_as_recipient(tmp_path, capsys):
    from duban.jobs.terminal.mail import mail_json, mail_summary

    now = datetime(2026, 12, 7, 9, tzinfo=TZ)
    run = type("Run", (), dict(now=now, folder=tmp_path, skipped=0, unknown=[], transport="outbox",
                               destination="outbox/", delivery=DeliveryReport(), outgoing=[
        Outgoing("digest", "王芳", "wangfang@example.com", "您有2项待办", 2, "dry-run"),
        Outgoing("digest", "#研发群", "", "研发部今日待办 5 项", 5, "dry-run", channel="group")]))()
    for lang, shown in (("zh", "群 研发群"), ("en", "group 研发群")):
        mail_summary(run, config.load(values={"company": {"language": lang}}), False)
        table = capsys.readouterr().out
        row = next(line for line in table.splitlines() if "研发部今日待办" in line)
        assert shown in row and "#研发群" not in row
        assert any("王芳" in line and "群" not in line.replace("王芳", "") for line in table.splitlines())
    mails = mail_json(run)["mails"]
    assert [(m["channel"], m["group"]) for m in mails] == [("mail", None), ("group", "研发群")]


def test_a_group_setting_refused_in_a_run_is_not_called_a_mail_setting(tmp_path, capsys):
    from duban.jobs.terminal.mail import mail_summary

    run = type("Run", (), dict(now=datetime(2026, 12, 7, 9, tzinfo=TZ), folder=tmp_path, skipped=0, unknown=[],
                               transport="outbox", destination="outbox/", outgoing=[],
                               delivery=DeliveryReport(error=REFUSED, setting=SETTING)))()
    mail_summary(run, config.load(), False)
    said = capsys.readouterr().err
    assert "群机器人设置有误" in said and "邮件设置有误" not in said and "钉钉加签失败" in said


def test_a_run_says_what_went_to_each_group_apart_from_mail_and_which_group_was_down(tmp_path, capsys):
    from duban.jobs.terminal.mail import mail_summary
    from duban.mailer.queued import QueuedMail

    now = datetime(2026, 12, 7, 9, 5, tzinfo=TZ)

    def one(n: int, channel: str, status: str) -> QueuedMail:
        return QueuedMail(n, f"k{n}", "digest", ["x"], "s", status, 1, None, now, None, now, None, 0, channel)

    down = "WeCom server error (HTTP 502); will retry ‖ 企业微信服务器出错（HTTP 502），稍后重试"
    delivery = DeliveryReport(sent=[one(1, "mail", "sent"), one(2, lane("研发群"), "sent"), one(3, lane("研发群"), "sent")],
                              still_queued=[one(4, lane("市场群"), "queued")], error=down,
                              faults=[(lane("市场群"), down, None)])
    run = type("Run", (), dict(now=now, folder=tmp_path, skipped=0, unknown=[], transport="outbox",
                               destination="outbox/", outgoing=[], delivery=delivery))()
    mail_summary(run, config.load(), False)
    said = capsys.readouterr()
    text = "".join(said.out.split()) + "".join(said.err.split())
    assert "队列中等待的1封邮件已写入outbox/" in text               # one mail, not three
    assert "2条群消息已发到群「研发群」" in text and "群「市场群」：1条消息等待发送" in text
    assert "群「市场群」暂时发不出去（企业微信服务器出错（HTTP502），稍后重试）" in text
    assert "邮件服务器无法连接" not in text and "等待中" not in text          # no mail waits, no mail server was down


def test_messages_held_for_office_hours_are_counted_as_mail_and_group_messages(tmp_path, capsys):
    from duban.jobs.terminal.mail import mail_summary
    from duban.mailer.queued import QueuedMail

    now = datetime(2026, 12, 7, 7, tzinfo=TZ)
    later = now + timedelta(hours=2)

    def waiting(n: int, channel: str) -> QueuedMail:
        return QueuedMail(n, f"k{n}", "digest", ["x"], "s", "queued", 0, None, now, later, later, None, 0, channel)

    run = type("Run", (), dict(now=now, folder=tmp_path, skipped=0, unknown=[], transport="outbox",
                               destination="outbox/", outgoing=[], delivery=DeliveryReport(still_queued=[
                                   waiting(1, "mail"), waiting(2, lane("研发群")), waiting(3, lane("市场群"))])))()
    for lang, said in (("zh", "1 封邮件和 2 条群消息暂存至 12-07 09:00"),
                       ("en", "1 mail and 2 group messages held until 12-07 09:00")):
        mail_summary(run, config.load(values={"company": {"language": lang}}), False)
        assert said.replace(" ", "") in "".join(capsys.readouterr().err.split())     # the console wraps lines


# ---- serve tells the admins once per hold -----------------------------------------------------------
def quiet(job, folder, settings, slot, dry_run, cache):
    return {"result": "ok", "people": {"杨帆": ("yangfan@example.com", "zh")}}


SERVE_IM = """
[im]
admins_group = "管理群"

[im.groups."研发群"]
platform = "dingtalk"
webhook_env = "TEST_RD_URL"
secret_env = "TEST_RD_SECRET"

[im.groups."管理群"]
platform = "wecom"
webhook_env = "TEST_ADMINS_URL"
"""


@pytest.mark.slow
def test_a_group_held_by_a_refused_setting_is_told_to_the_admins_once(tmp_path, monkeypatch):
    """Two days of serve ticks: 研发群's DingTalk bot refuses the signature, its lane is held; the
    admins get one mail and one post in their own group (a WeCom fake) about it, never a second."""
    from duban.jobs.serve.loop import Serve
    from duban.jobs.serve.runs import Runs
    from duban.jobs.state import simstate
    from duban.mailer.im.lane import Envelope
    from duban.mailer.im.message import GroupMessage
    from im_fakes import FakeBot

    rd, admins = FakeBot("dingtalk", secret="SECrd", answer="310000-sign").start(), FakeBot("wecom").start()
    try:
        monkeypatch.setenv("TEST_RD_URL", rd.url)
        monkeypatch.setenv("TEST_RD_SECRET", "SECrd")
        monkeypatch.setenv("TEST_ADMINS_URL", admins.url)
        (tmp_path / "duban.toml").write_text(SERVE_IM, encoding="utf-8")
        settings = config.load(tmp_path, values={"serve": {"admins": ["杨帆"]}, "schedule": dict(
            check="every 2 hours", alert="off", remind="off", summary_week="off", summary_month="off")})
        start, db = datetime(2026, 11, 23, 8, 0, tzinfo=TZ), tmp_path / ".duban" / "state.db"
        until = start + timedelta(days=2)
        db.parent.mkdir()
        with Runs(db, TZ) as runs:           # a simulation's state, as serve's own would be
            simstate.mark(runs, start, until)
        said = GroupMessage("督办：研发部今日待办 3 项")
        with MailQueue(db) as queue:         # a group message that has waited two hours
            queue.put(Queued("digest:#研发群", "digest", ["研发群"], "研发部今日待办",
                             Envelope("研发群", said).pack(), lane("研发群")), start - timedelta(hours=2))
        serve = Serve(tmp_path, settings, start=start, until=until, runner=quiet, stream=io.StringIO())
        assert serve.run() == 0
    finally:
        rd.stop()
        admins.stop()
    assert rd.got and all(g.verdict != "ok" for g in rd.got)
    held = [k for k in serve.told if k.startswith("group-held:研发群:")]
    assert len(held) == 1, serve.told
    posted = [json.dumps(g.body, ensure_ascii=False) for g in admins.got if g.verdict == "ok"]
    told = [p for p in posted if "群「研发群」的消息已暂停发送" in p]
    assert len(told) == 1, posted
    assert "钉钉加签失败" in told[0] and "duban outbox" in told[0]          # the platform's fix, and what lifts it
    with MailQueue(db) as queue:
        assert queue.hold(lane("研发群")) and not queue.hold(lane("管理群"))
        mails = [m for m in queue.entries(channel="mail") if m.key.startswith("serve:group-held:研发群")]
    assert [m.recipients for m in mails] == [["yangfan@example.com"]]


# ---- the service files --------------------------------------------------------------------------------
def test_the_service_files_list_the_group_variables_and_never_their_values(tmp_path, monkeypatch):
    from duban.jobs.serve.service import systemd_unit, windows_task

    secrets = {"DUBAN_IM_URGENT_URL": "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN1",
               "DUBAN_IM_URGENT_SECRET": "SECxyz-signing-secret", "DUBAN_IM_RD_URL": "https://qyapi.example/KEY42",
               "DUBAN_IM_ADMINS_URL": "https://open.feishu.cn/hook/ADMINHOOK", "DUBAN_IM_ADMINS_SECRET": "adm1n-secret"}
    for var, value in secrets.items():
        monkeypatch.setenv(var, value)
    (tmp_path / "duban.toml").write_text(IM, encoding="utf-8")
    settings = config.load(tmp_path)
    unit = systemd_unit(tmp_path, settings, warn=lambda _: None)
    task = windows_task(tmp_path, settings, warn=lambda _: None)
    for text in (unit, task):
        for var, value in secrets.items():
            assert var in text and value not in text
    kept = unit[unit.index("[Service]"):unit.index("EnvironmentFile=")]
    assert re.search(r"#\s+DUBAN_IM_URGENT_SECRET: the signing secret of the group 紧急群", kept)
    assert all(line.startswith(("#", "[")) or "=" in line or not line.strip() for line in unit.splitlines())
    assert 'setx DUBAN_IM_RD_URL "..."' in task
    mail_only = systemd_unit(tmp_path, config.load(), warn=lambda _: None)
    assert "DUBAN_IM" not in mail_only and "group bots" not in mail_only


# ---- the README --------------------------------------------------------------------------------------
def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Group bots")
    return text[start:text.index("\n## ", start + 1)]


def test_the_readme_group_bots_section_holds_toml_the_settings_accept(tmp_path):
    section = readme_section()
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert blocks, "no duban.toml lines in the Group bots section"
    values = tomllib.loads("\n".join(blocks))
    settings = config.load(values=values)
    im = settings.im
    assert im.urgent is not None and im.admins is not None and im.departments
    for key in ("urgent_group", "admins_group", "urgent_repeat_minutes", "[im.departments]", "platform",
                "webhook_env", "secret_env", "keyword"):
        assert key in section
    assert {g.platform for g in im.groups.values()} >= {"wecom", "dingtalk", "feishu"}
    for words in ("群机器人", "加签", "签名校验", "incoming webhook", "Post to a channel when a webhook request is "
                  "received", "duban outbox", "--retry", "keyring set duban", "docs/group-message.png"):
        assert words in " ".join(section.split()), words
    assert (ROOT / "docs" / "group-message.png").stat().st_size > 10_000


def test_a_held_lanes_messages_are_paused_for_a_setting_not_waiting(tmp_path):
    """紧急群's lane is held by a refused setting: `duban outbox` shows its message paused (a setting is
    wrong), and the group's counts line (outbox and status) says paused, not waiting."""
    folder = folder_with_lanes(tmp_path)
    done = duban("outbox", folder)
    [row] = [line for line in done.stdout.splitlines() if "督办日报 u1" in line]
    assert "暂停（设置有误）" in row and "等待发送" not in row
    [rd] = [line for line in done.stdout.splitlines() if "督办日报 rd3" in line]
    assert "等待发送" in rd                                                   # a lane not held: waiting
    for text in (done.stdout, duban("status", folder).stdout):
        assert "群「紧急群」（钉钉）：1 条暂停发送（设置有误，见下）" in text and "群「紧急群」（钉钉）：1 条等待发送" not in text
    (tmp_path / "en").mkdir()
    english = duban("status", folder_with_lanes(tmp_path / "en", "en")).stdout
    assert "group 紧急群 (DingTalk): 1 paused (a setting is wrong, see below)" in english


def test_the_run_says_mail_and_group_messages_where_it_lists_or_looks_for_both(tmp_path, capsys):
    """The run table lists a group message: titled "邮件和群消息"; a --retry with nothing to send, where
    groups are configured: "没有…邮件或群消息"; a mail-only installation as before."""
    from duban.jobs.terminal.mail import mail_summary

    now = datetime(2026, 12, 7, 9, tzinfo=TZ)
    groups = config.load(values={"im": {"groups": {"研发群": {"platform": "wecom", "webhook_env": "X"}}}})

    def run(outgoing, retry=False):
        return type("Run", (), dict(now=now, folder=tmp_path, skipped=0, unknown=[], transport="outbox", retry=retry,
                                    destination="outbox/", delivery=DeliveryReport(), outgoing=outgoing))()

    group = [Outgoing("digest", "#研发群", "", "研发部今日待办", 5, "dry-run", channel="group")]
    mail = [Outgoing("digest", "王芳", "wangfang@example.com", "您有2项待办", 2, "dry-run")]
    for shown, title in ((group + mail, "邮件和群消息 2026-12-07 09:00"), (mail, "邮件 2026-12-07 09:00")):
        mail_summary(run(shown), groups, False)
        out = capsys.readouterr().out
        assert title in out and (shown != mail or "群消息" not in out)
    english = config.load(values={"company": {"language": "en"},
                                  "im": {"groups": {"研发群": {"platform": "wecom", "webhook_env": "X"}}}})
    mail_summary(run(group), english, False)
    assert "Mail and group messages 2026-12-07 09:00" in capsys.readouterr().out
    for settings, said in ((groups, "队列中没有等待发送的邮件或群消息。"), (english, "No mail or group message is waiting in the queue."),
                           (config.load(), "队列中没有等待发送的邮件。")):
        mail_summary(run([], retry=True), settings, False)
        assert said in capsys.readouterr().out
    mail_summary(run([]), groups, False)
    assert "没有需要发送的邮件或群消息。" in capsys.readouterr().out


def test_a_runs_line_for_a_held_group_says_paused_not_waiting():
    from duban.jobs.terminal.lanes import delivered
    from duban.mailer.queued import QueuedMail

    now = datetime(2026, 12, 7, 9, 5, tzinfo=TZ)

    def one(n: int, channel: str) -> QueuedMail:
        return QueuedMail(n, f"k{n}", "digest", ["x"], "s", "queued", 0, None, now, None, now, None, 0, channel)

    report = DeliveryReport(still_queued=[one(1, lane("紧急群")), one(2, lane("研发群"))],
                            faults=[(lane("紧急群"), REFUSED, SETTING)])
    assert delivered(report, "zh") == ["群「紧急群」：1 条消息暂停发送（设置有误）", "群「研发群」：1 条消息等待发送"]
    assert delivered(report, "en")[0] == "group 紧急群: 1 message(s) paused (a setting is wrong)"
