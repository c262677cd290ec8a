"""Five working days of `duban serve` in simulated time with group bots beside mail.

The folder `duban init --demo` makes, a duban.toml with an [im] table: an urgent group on DingTalk
(加签 and a keyword), a department group on WeCom (产品部), one on Feishu with 签名 (研发部), and
an admins' group on WeCom; the webhooks point at loopback fakes that check every signature.
A scripted staff edits the workbooks (incidents logged and answered late, requests acknowledged,
tasks going overdue and done). The WeCom department group answers "rate-limited" (45009) for the
hour of Tuesday's 09:00 remind; the Feishu group's secret is wrong for Wednesday, then fixed;
serve keeps running. Then: every group message went exactly once (the fakes' accepted bodies are
the queued ones, each once), nothing lost or given up, one digest per department group per
working day, each urgent item told at most twice (once, then the repeat with the head), the
admins told once about the wrong secret with the fix, no Feishu message at a :00/:30 peak, and
mail as before: one digest per recipient per working day.
"""
from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from duban.jobs.init import init_folder
from duban.jobs.serve.loop import Serve
from duban.jobs.settings import config
from duban.mailer.im.feishu import off_peak
from duban.mailer.im.lane import Envelope, lane
from duban.mailer.queue import MailQueue
from duban.workbooks.model.kinds import KINDS
from im_fakes import FakeBot
from smtp_server import SmtpServer

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 0, 0, tzinfo=TZ)          # a Monday; no public holiday that week
END = START + timedelta(days=5)                         # Saturday 00:00: five working days
WORKDAYS = [(START + timedelta(days=d)).date().isoformat() for d in range(5)]
RATE_LIMITED = (datetime(2026, 11, 3, 9, 0, tzinfo=TZ), datetime(2026, 11, 3, 10, 0, tzinfo=TZ))
WRONG_SECRET = (datetime(2026, 11, 4, 0, 0, tzinfo=TZ), datetime(2026, 11, 5, 0, 0, tzinfo=TZ))
ADMIN, CLERK = "杨帆", "王芳"
ADMIN_ADDRESS = "yangfan@example.com"
HEAD_MOBILE = "13800138009"                            # 郑浩, head of 研发部, the incidents' responder
URGENT, PRODUCT, RD, OPS = "紧急群", "产品群", "研发群", "运维群"
SECRETS = {URGENT: "SECdingtalk0123456789abcdef", RD: "feishu-secret-0123456789"}
KEYWORD = "督办"
ROW = re.compile(r"([^/\s]+\.xlsx) 第(\d+)行")                  # where a group message says an item is
DIGEST = re.compile(r"^(?:【督办】您有|\[duban\] You have).* — (\d{4}-\d{2}-\d{2})$")
TASKS, REQUESTS, INCIDENTS = (KINDS[k].filename("zh") for k in ("tasks", "requests", "incidents"))
# Alerts every 20 minutes (:00, :20, :40): a Feishu message held off the :00 peak goes at :20.
SCHEDULE = {"check": "every 2 hours", "alert": "every 20 minutes", "remind": "09:00",
            "summary_week": "friday 17:30", "summary_month": "off"}
# (logged, answered, description): incidents the staff writes into the incident workbook
INCIDENTS_LOGGED = [
    (datetime(2026, 11, 3, 14, 0, tzinfo=TZ), datetime(2026, 11, 3, 15, 20, tzinfo=TZ), "浸泡测试事故一：支付回调超时"),
    (datetime(2026, 11, 4, 10, 0, tzinfo=TZ), datetime(2026, 11, 4, 10, 40, tzinfo=TZ), "浸泡测试事故二：库存同步中断"),
]
DEMO_INCIDENT = "官网商城下单页无法提交订单"        # the demo's incident, unanswered since Sunday night
DEMO_ANSWERED = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)

IM = f'''
[im.groups."{URGENT}"]
platform = "dingtalk"
webhook_env = "DUBAN_IM_URGENT_URL"
secret_env = "DUBAN_IM_URGENT_SECRET"
keyword = "{KEYWORD}"

[im.groups."{PRODUCT}"]
platform = "wecom"
webhook_env = "DUBAN_IM_PRODUCT_URL"

[im.groups."{RD}"]
platform = "feishu"
webhook_env = "DUBAN_IM_RD_URL"
secret_env = "DUBAN_IM_RD_SECRET"

[im.groups."{OPS}"]
platform = "wecom"
webhook_env = "DUBAN_IM_OPS_URL"
'''


@dataclass
class World:
    """The simulated moment, as the staff hook last saw it (the fakes note it with each request)."""

    now: datetime = START


@dataclass
class Bot(FakeBot):
    """A fake group bot that notes the simulated moment of each request (beside `got`) and
    answers `code` during its `windows` of simulated time."""

    world: World | None = None
    windows: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    moments: list[datetime] = field(default_factory=list)

    def respond(self, path: str, raw: bytes):
        at = self.world.now
        self.answer = next((code for start, end, code in self.windows if start <= at < end), "ok")
        found = super().respond(path, raw)
        self.moments.append(at)
        return found


def _settings(folder: Path, server: SmtpServer) -> dict:
    text = (folder / "duban.toml").read_text(encoding="utf-8")
    text = text.replace('clerks = []', f'clerks = ["{CLERK}"]', 1).replace('admins = []', f'admins = ["{ADMIN}"]', 1)
    text = text.replace('transport = "outbox"', 'transport = "smtp"', 1).replace("port = 465", f"port = {server.port}")
    text = text.replace('security = "ssl"', 'security = "none"').replace("max_per_minute = 60", "max_per_minute = 10000")
    text = text.replace('urgent_group = ""', f'urgent_group = "{URGENT}"', 1)
    text = text.replace('admins_group = ""', f'admins_group = "{OPS}"', 1)
    text = text.replace("[im.departments]", f'[im.departments]\n"产品部" = "{PRODUCT}"\n"研发部" = "{RD}"', 1)
    for job, value in SCHEDULE.items():
        text = _set(text, job, value)
    (folder / "duban.toml").write_text(text + IM, encoding="utf-8")
    return config.load(folder)


def _set(text: str, key: str, value: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"{key} = "):
            lines[i] = f'{key} = "{value}"'
            break
    return "\n".join(lines) + "\n"


class Staff:
    """Edits the workbooks as people do (openpyxl), and plays the world: the simulated moment the
    fakes read, the Feishu secret wrong for a day and then fixed (the environment variable)."""

    def __init__(self, folder: Path, world: World, monkeypatch):
        self.folder, self.world, self.monkeypatch = folder, world, monkeypatch
        self.edits: Counter = Counter()
        self.added = 0

    def __call__(self, serve: Serve, moment: datetime) -> None:
        self.world.now = moment
        wrong = WRONG_SECRET[0] <= moment < WRONG_SECRET[1]
        self.monkeypatch.setenv("DUBAN_IM_RD_SECRET", "a-wrong-secret-42" if wrong else SECRETS[RD])
        self._incidents(moment)
        if moment.minute == 0 and moment.hour in (10, 15) and serve.calendar.is_workday(moment.date()):
            self._tasks(moment)
            self._requests(moment)

    def _sheet(self, kind: str, name: str):
        book = openpyxl.load_workbook(self.folder / name)
        sheet = book[KINDS[kind].sheet("zh")]
        keys = [c.key for c in KINDS[kind].columns]
        return book, sheet, {k: keys.index(k) + 1 for k in keys}

    def _incidents(self, moment: datetime) -> None:
        naive = moment.replace(tzinfo=None)
        todo = [(None, DEMO_ANSWERED, DEMO_INCIDENT)] + INCIDENTS_LOGGED
        if not any(moment in (logged, answered) for logged, answered, _d in todo):
            return
        book, sheet, col = self._sheet("incidents", INCIDENTS)
        for logged, answered, description in todo:
            if moment == logged:
                r = sheet.max_row + 1
                values = {"type": "系统故障", "reporter": "马超", "occurred": naive, "description": description,
                          "department": "研发部", "responder": "郑浩", "status": "待响应"}
                for key, value in values.items():
                    sheet.cell(r, col[key]).value = value
                self.edits["incident logged"] += 1
            if moment == answered:
                r = next(r for r in range(2, sheet.max_row + 1)
                         if description in str(sheet.cell(r, col["description"]).value or ""))
                sheet.cell(r, col["responded"]).value = naive
                sheet.cell(r, col["plan"]).value = "已定位原因，正在处理。"
                sheet.cell(r, col["status"]).value = "处理中"
                self.edits["incident answered"] += 1
        book.save(self.folder / INCIDENTS)

    def _tasks(self, moment: datetime) -> None:
        book, sheet, col = self._sheet("tasks", TASKS)
        rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col["task"]).value]
        open_rows = [r for r in rows if sheet.cell(r, col["status"]).value not in ("已完成", "已取消")]
        if moment.hour == 10 and open_rows:          # someone finishes a task
            r = open_rows[0]
            sheet.cell(r, col["status"]).value = "已完成"
            sheet.cell(r, col["progress"]).value = 1
            sheet.cell(r, col["last_update"]).value = moment.replace(tzinfo=None)
            self.edits["completed"] += 1
        else:                                        # a new task of 产品部, due tomorrow (it will be late)
            r = (rows[-1] if rows else 1) + 1
            self.added += 1
            values = {"task": f"新任务 {self.added}", "project": "浸泡测试", "initiator": "张伟", "owner": "刘洋",
                      "department": "产品部", "priority": "中", "due": (moment + timedelta(days=1)).replace(tzinfo=None),
                      "progress": 0, "status": "进行中", "last_update": moment.replace(tzinfo=None)}
            for key, value in values.items():
                sheet.cell(r, col[key]).value = value
            self.edits["added"] += 1
        book.save(self.folder / TASKS)

    def _requests(self, moment: datetime) -> None:
        book, sheet, col = self._sheet("requests", REQUESTS)
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(r, col["request"]).value and not sheet.cell(r, col["acknowledged"]).value:
                sheet.cell(r, col["acknowledged"]).value = moment.replace(tzinfo=None)
                self.edits["acknowledged"] += 1
                book.save(self.folder / REQUESTS)
                return
        r = sheet.max_row + 1                        # nothing to acknowledge: a new request to 研发部
        values = {"request": f"协助需求 {r}", "from_dept": "市场部", "requester": "张伟", "to_dept": "研发部",
                  "receiver": "马超", "priority": "中", "submitted": moment.replace(tzinfo=None),
                  "wanted_by": (moment + timedelta(days=5)).replace(tzinfo=None), "status": "待确认"}
        for key, value in values.items():
            sheet.cell(r, col[key]).value = value
        self.edits["requested"] += 1
        book.save(self.folder / REQUESTS)


def _bots(world: World) -> dict[str, Bot]:
    return {URGENT: Bot("dingtalk", secret=SECRETS[URGENT], keyword=KEYWORD, world=world),
            PRODUCT: Bot("wecom", world=world, windows=[(*RATE_LIMITED, "45009")]),
            RD: Bot("feishu", secret=SECRETS[RD], world=world),
            OPS: Bot("wecom", world=world)}


def _unsigned(bot: Bot, body: dict) -> dict:
    """A body as queued: Feishu's signature and timestamp are added on each attempt."""
    return {k: v for k, v in body.items() if not (bot.platform == "feishu" and k in ("timestamp", "sign"))}


def _text(body) -> str:
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.slow
def test_five_days_of_serve_with_group_bots(tmp_path, monkeypatch):
    folder = tmp_path / "share"
    init_folder(folder, lang="zh", demo=True, force=False, today=START.date(), now=START)
    world = World()
    bots = _bots(world)
    server = SmtpServer().start()
    for bot in bots.values():
        bot.start()
    try:
        for name, env in ((URGENT, "URGENT"), (PRODUCT, "PRODUCT"), (RD, "RD"), (OPS, "OPS")):
            monkeypatch.setenv(f"DUBAN_IM_{env}_URL", bots[name].url)
        monkeypatch.setenv("DUBAN_IM_URGENT_SECRET", SECRETS[URGENT])
        monkeypatch.setenv("DUBAN_IM_RD_SECRET", SECRETS[RD])
        settings = _settings(folder, server)
        staff = Staff(folder, world, monkeypatch)
        log = io.StringIO()
        assert Serve(folder, settings, start=START, until=END, hook=staff, stream=log).run() == 0
    finally:
        for bot in bots.values():
            bot.stop()
        server.stop()
    db = folder / ".duban" / "state.db"
    with MailQueue(db, read_only=True) as mail:
        queue = mail.entries()
        bodies = {q.key: mail.message(q.key) for q in queue if q.channel.startswith("group:")}
        holds = mail.holds()
    assert staff.edits["incident logged"] == 2 and staff.edits["incident answered"] == 3

    # ---- nothing lost: every group message went (none waiting, failed or given up) ----------------
    groups = [q for q in queue if q.channel.startswith("group:")]
    assert groups, "group messages were queued"
    assert {q.status for q in groups} == {"sent"}, Counter((q.channel, q.status) for q in groups)
    assert holds == {}, holds

    # ---- nothing twice: what each fake accepted is exactly the queued messages' bodies (shaped for
    # the group's platform and keyword, as the transport does when it sends), each once -------------
    for name, bot in bots.items():
        group = settings.im.groups[name]
        queued = Counter(_text(b) for q in groups if q.channel == lane(name)
                         for b in Envelope.unpack(bodies[q.key]).bodies(group.platform, group.keyword))
        accepted = Counter(_text(_unsigned(bot, g.body)) for g in bot.got if g.verdict == "ok")
        assert accepted == queued, (name, accepted - queued, queued - accepted)
    refused = {name: Counter(g.verdict for g in bot.got if g.verdict != "ok") for name, bot in bots.items()}
    assert refused[URGENT] == refused[OPS] == Counter(), refused
    assert set(refused[PRODUCT]) == {"45009"}, refused          # the hour rate-limited, nothing else
    assert refused[RD] == Counter({"bad sign": 1}), refused     # the lane held after one refusal, until fixed
    for name, code, window in ((PRODUCT, "45009", RATE_LIMITED), (RD, "bad sign", WRONG_SECRET)):
        bot = bots[name]
        assert all(window[0] <= at < window[1] for g, at in zip(bot.got, bot.moments) if g.verdict == code)

    # ---- signatures: every DingTalk and Feishu message delivered carried a valid one --------------
    assert all(g.query.get("sign") and g.query.get("timestamp") for g in bots[URGENT].got if g.verdict == "ok")
    assert all(g.body.get("sign") and g.body.get("timestamp") for g in bots[RD].got if g.verdict == "ok")
    assert all(KEYWORD in g.raw.decode("utf-8") for g in bots[URGENT].got)

    # ---- Feishu: never at a peak minute (:57-:02, :27-:32) ------------------------------------------
    feishu_at = bots[RD].moments
    assert feishu_at and all(off_peak(at) == at for at in feishu_at), sorted(set(feishu_at))[:5]

    # ---- one digest per department group per working day -------------------------------------------
    for name in (PRODUCT, RD):
        days = Counter(q.queued_at.astimezone(TZ).date().isoformat() for q in groups
                       if q.channel == lane(name) and q.kind == "digest")
        assert sorted(days) == WORKDAYS and max(days.values()) == 1, (name, days)
    product = [q for q in groups if q.channel == lane(PRODUCT) and q.kind == "digest"]
    tuesday = next(q for q in product if q.queued_at.astimezone(TZ).date() == RATE_LIMITED[0].date())
    assert tuesday.sent_at >= RATE_LIMITED[1], tuesday
    rd = [q for q in groups if q.channel == lane(RD) and q.kind == "digest"]
    wednesday = next(q for q in rd if q.queued_at.astimezone(TZ).date() == WRONG_SECRET[0].date())
    assert wednesday.sent_at >= WRONG_SECRET[1], wednesday

    # ---- Friday's weekly summary: each department group once ----------------------------------------
    for name in (PRODUCT, RD):
        assert [q.kind for q in groups if q.channel == lane(name)].count("summary") == 1, name

    # ---- the urgent group: each incident told once, then at most once more, @ the head ---------------
    urgent = [g.body for g in bots[URGENT].got if g.verdict == "ok"]
    for description in [DEMO_INCIDENT] + [d for _l, _a, d in INCIDENTS_LOGGED]:
        told = [b for b in urgent if description in _text(b)]
        assert 1 <= len(told) <= 2, (description, len(told))
        assert all(HEAD_MOBILE in b["at"]["atMobiles"] for b in told), told
    assert sum("再次提醒" in _text(b) for b in urgent) >= 1, "an incident unanswered that long is told again"
    rows = Counter(row for b in urgent for row in set(ROW.findall(b["markdown"]["text"])))     # every urgent row
    assert rows and max(rows.values()) <= 2, rows

    # ---- the admins: told once about the wrong Feishu secret, with the fix -------------------------
    def about_secret(text: str) -> bool:
        return RD in text and "签名" in text and "secret" in text and "DUBAN_IM_RD_SECRET" in text
    told_secret = [t for t in (_text(g.body) for g in bots[OPS].got if g.verdict == "ok") if about_secret(t)]
    mailed_secret = [r for r in server.delivered_to(ADMIN_ADDRESS) if about_secret(_mail_text(r.message))]
    assert len(told_secret) == 1 and len(mailed_secret) == 1, (told_secret, len(mailed_secret))

    # ---- mail unaffected: one digest per recipient per working day, none twice ---------------------
    inbox = {r.message["Message-ID"]: r.message for r in server.received}
    digests = Counter((m["To"].addresses[0].addr_spec, d.group(1)) for m in inbox.values()
                      if (d := DIGEST.match(str(m["Subject"]))))
    assert digests and max(digests.values()) == 1
    assert {day for _a, day in digests} == set(WORKDAYS)
    received = Counter((r.message["Message-ID"], rcpt.lower()) for r in server.received for rcpt in r.rcpt_tos)
    assert max(received.values()) == 1
    print(f"\nim soak: group messages {Counter(q.channel for q in groups)}; "
          f"requests the fakes saw {({n: len(b.got) for n, b in bots.items()})}; refused {refused}; "
          f"mail digests {len(digests)}; mails {sum(received.values())}")


def _mail_text(message) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split()) + str(message["Subject"])
