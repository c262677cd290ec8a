"""The channel registry and the one notification pipeline: every channel complete, a toy channel
added in one place gets a digest, the queue keeps each message's channel, and a state.db from
before channels still opens and sends."""
from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from books import NOW, settings, task
from duban.jobs.check import check_folder
from duban.jobs.notify import router
from duban.jobs.notify.channel import NOTICE_KINDS, Channel, Composed
from duban.jobs.notify.channels import CHANNELS, register, unregister
from duban.jobs.notify.ledger import Ledger
from duban.jobs.notify.outbox import Outbox, deliver
from duban.jobs.remind import remind
from duban.mailer.queue import MailQueue
from duban.mailer.queued import Queued
from duban.mailer.seam import Connection, SetupError
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.problems import Problem

MORNING = NOW.replace(minute=30)          # Monday 09:30, office hours
PEOPLE = [{"name": "张伟", "department": "研发部", "email": "zhang.wei@example.com", "dept_head": "no", "language": "zh"},
          {"name": "王芳", "department": "综合管理部", "email": "wang.fang@example.com", "dept_head": "no", "language": "zh"}]


def missing(name: str, channel: Channel) -> list[str]:
    """What a declared channel lacks, in words."""
    found = []
    if channel.name != name:
        found.append(f"declared as {name!r} but named {channel.name!r}")
    for part in ("renderer", "transport", "address", "unreachable"):
        if not callable(getattr(channel, part, None)):
            found.append(f"no {part}")
    found += [f"no rendering of {kind!r} notices" for kind in sorted(NOTICE_KINDS - set(channel.kinds))]
    return found


def test_every_registered_channel_is_complete():
    assert CHANNELS, "no channel is registered"
    assert {name: missing(name, channel) for name, channel in CHANNELS.items() if missing(name, channel)} == {}


def test_the_completeness_check_names_what_a_channel_lacks():
    lame = Channel("lame", None, None, lambda p: None, None, frozenset({"digest"}))
    assert missing("lame", lame) == ["no renderer", "no transport", "no unreachable"] + [
        f"no rendering of {kind!r} notices" for kind in sorted(NOTICE_KINDS - {"digest"})]


# ---- a toy channel, declared here and nowhere else -------------------------------------------------
class ToyTransport(Connection):
    setup = "toy"

    def __init__(self):
        self.sent: list[tuple[str, list[str], bytes]] = []

    def send(self, message, recipients, key=None, before_content=None):
        if before_content:
            before_content()
        self.sent.append((key, recipients, message))
        return {}


class ToyRenderer:
    """One line per item: the group bot's way of saying a digest."""

    def __init__(self, settings, folder):
        self.folder = folder

    def compose(self, notice, key, now):
        lines = [f"{notice.recipient.name}: {len(notice.items)}"] + [f"- {i.title} ({i.rule})" for i in notice.items]
        text = "\n".join(lines)
        return Composed(lines[0], len(notice.items),
                        lambda: Queued(key, notice.kind, [notice.recipient.name], lines[0], text.encode(), "toy"))


@pytest.fixture
def toy():
    transport = ToyTransport()
    channel = register(Channel("toy", ToyRenderer, lambda settings, folder, lane, now: transport, lambda person: person.name,
                               lambda person, listed, context: Problem("no-email", context, value=person.name),
                               NOTICE_KINDS))
    try:
        yield transport
    finally:
        unregister(channel.name)


def folder_with_tasks(folder: Path) -> Path:
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=PEOPLE)
    write_workbook("tasks", folder / KINDS["tasks"].filename("zh"), rows=[
        task("季度预算编制", owner="张伟", due=MORNING.date() - timedelta(days=1)),
        task("整理档案", owner="无名氏", due=MORNING.date() - timedelta(days=1))])
    return folder


def planned(folder: Path, config) -> router.Plan:
    report = check_folder(folder, config, MORNING, dry_run=True)
    sources = [router.Source(w.relpath, w.read, w.flags) for w in report.workbooks]
    return router.plan(sources, Directory.from_reads([s.read for s in sources]), config.mail.clerks)


def test_a_toy_channel_registered_in_one_place_gets_a_digest_through_the_pipeline(tmp_path, toy):
    folder = folder_with_tasks(tmp_path / "demo")
    config = settings(mail={"clerks": ["王芳"]})
    plan = planned(folder, config)
    # 无名氏 is in no directory: mail cannot reach them, the toy channel (by name) can
    [digest] = [n for n in plan.notices if n.kind == "digest" and n.recipient.name == "无名氏"]
    db = folder / config.state.path
    with Ledger(db) as ledger, MailQueue(db) as queue:
        box = Outbox(folder, config, MORNING, ledger, queue)
        [notice] = box.reach([dataclasses.replace(digest, channel="toy")], plan.named)
        assert box.unknown == [] and box.post(notice)
        assert [(m.channel, m.kind, m.recipients) for m in queue.entries()] == [("toy", "digest", ["无名氏"])]
        report = deliver(folder, config, MORNING, queue)
        assert [m.channel for m in report.sent] == ["toy"]
        assert not box.post(notice)                  # the ledger: told once
    [(key, to, body)] = toy.sent
    assert to == ["无名氏"] and key.startswith("digest:无名氏:2026-11-23:")
    assert body.decode().splitlines()[1] == "- 整理档案 (overdue)"
    assert not (folder / "outbox").exists() or not list((folder / "outbox").glob("*.eml"))   # mail sent nothing


def test_a_recipient_mail_cannot_reach_has_a_notice_and_the_mail_channel_says_why(tmp_path):
    folder = folder_with_tasks(tmp_path / "demo")
    config = settings(mail={"clerks": ["王芳"]})
    plan = planned(folder, config)
    assert {(n.kind, n.recipient.name) for n in plan.notices} >= {("digest", "张伟"), ("digest", "无名氏")}
    db = folder / config.state.path
    with Ledger(db) as ledger, MailQueue(db) as queue:
        box = Outbox(folder, config, MORNING, ledger, queue)
        reached = box.reach(plan.notices, plan.named)
        assert "无名氏" not in {n.recipient.name for n in reached}
        assert [(p.code, p.value) for p in box.unknown] == [("unknown-recipient", "无名氏")]
        assert box.unknown[0].file.endswith(KINDS["tasks"].filename("zh"))


def test_mail_rows_store_their_channel(tmp_path):
    folder = folder_with_tasks(tmp_path / "demo")
    config = settings(mail={"clerks": ["王芳"]})
    remind(folder, config, MORNING)
    with MailQueue(folder / config.state.path) as queue:
        rows = queue.entries()
        assert rows and {m.channel for m in rows} == {"mail"}
        assert {m.kind for m in rows} == {"digest", "problems"}


OLD_SCHEMA = """
CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    recipients TEXT NOT NULL, subject TEXT NOT NULL, message BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    queued_at TEXT NOT NULL, not_before TEXT, next_attempt TEXT NOT NULL, sent_at TEXT);
CREATE INDEX mail_queue_due ON mail_queue (status, next_attempt);
CREATE TABLE mail_fate (id INTEGER PRIMARY KEY, unknown INTEGER NOT NULL DEFAULT 0, in_flight TEXT);
CREATE TABLE mail_hold (
    id INTEGER PRIMARY KEY CHECK (id = 1), since TEXT NOT NULL, setup TEXT NOT NULL, reason TEXT NOT NULL,
    setting TEXT NOT NULL);
"""
OLD_MAIL = (b"From: duban@example.com\r\nTo: zhang.wei@example.com\r\nSubject: old\r\n"
            b"Date: Mon, 23 Nov 2026 09:00:00 +0800\r\nMessage-ID: <old@example.com>\r\n\r\nqueued by an older duban\r\n")


def old_state(db: Path) -> None:
    """A state.db as duban wrote it before channels: one mail waiting in the queue."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(db)
    con.executescript(OLD_SCHEMA)
    con.execute("INSERT INTO mail_queue (key, kind, recipients, subject, message, queued_at, next_attempt) "
                "VALUES ('old-1', 'digest', ?, 'old', ?, '2026-11-23T01:00:00+00:00', '2026-11-23T01:00:00+00:00')",
                (json.dumps(["zhang.wei@example.com"]), OLD_MAIL))
    con.commit()
    con.close()


def columns(db: Path, table: str) -> set[str]:
    con = sqlite3.connect(db)
    try:
        return {c[1] for c in con.execute(f"PRAGMA table_info({table})")}
    finally:
        con.close()


def test_an_old_state_db_is_read_as_it_is_and_changed_by_no_reader(tmp_path):
    db = tmp_path / ".duban" / "state.db"
    old_state(db)
    with MailQueue(db, read_only=True) as queue:
        assert [(m.key, m.channel, m.status) for m in queue.entries()] == [("old-1", "mail", "queued")]
        assert queue.hold() is None
    assert "channel" not in columns(db, "mail_queue")


def test_an_old_state_db_gets_the_channel_column_and_its_waiting_mail_is_sent(tmp_path):
    folder = folder_with_tasks(tmp_path / "demo")
    config = settings(mail={"clerks": ["王芳"]})
    db = folder / config.state.path
    old_state(db)
    run = remind(folder, config, MORNING)
    assert "old-1" in [m.key for m in run.delivery.sent]
    assert {"channel"} <= columns(db, "mail_queue") and {"channel"} <= columns(db, "mail_hold")
    assert OLD_MAIL in [p.read_bytes() for p in (folder / "outbox").glob("*.eml")]
    with MailQueue(db) as queue:
        assert {m.channel for m in queue.entries()} == {"mail"}
        assert queue.entries("queued") == []


class RefusingTransport(Connection):
    """A mail server that turns the settings down (a wrong password)."""

    setup = "smtp mail.example.com:465 ssl duban"

    def open(self):
        raise SetupError("mail.example.com:465 refused the login of 'duban' (535 5.7.8 bad credentials)",
                         "[mail.smtp] user")

    def send(self, *args, **kw):
        raise AssertionError("never reached")


def test_a_settings_hold_holds_its_own_channel_only(tmp_path):
    db = tmp_path / "state.db"
    toy_transport = ToyTransport()
    with MailQueue(db) as queue:
        queue.put(Queued("m1", "digest", ["zhang.wei@example.com"], "mail", OLD_MAIL), MORNING)
        held = queue.deliver(RefusingTransport(), MORNING, 3, "mail")
        assert held.error and held.setting == "[mail.smtp] user" and queue.hold("mail") is not None
        assert [m.key for m in held.still_queued] == ["m1"]
        later = MORNING + timedelta(days=5)          # past give_up_days: the held mail is not given up
        queue.put(Queued("t1", "digest", ["张伟"], "toy", b"toy message", "toy"), later)
        sent = queue.deliver(toy_transport, later, 3, "toy")
        assert [m.key for m in sent.sent] == ["t1"] and sent.error is None
        assert [k for k, _to, _body in toy_transport.sent] == ["t1"]
        assert queue.hold("mail") is not None and queue.hold("toy") is None     # the toy run lifted nothing
        assert [(m.key, m.status) for m in queue.entries("queued")] == [("m1", "queued")]
        again = queue.deliver(RefusingTransport(), later, 3, "mail")            # same settings: still held
        assert again.error == held.error and again.sent == []


class RefusedLane(Connection):
    """A group bot whose secret is wrong: every lane has its own settings and its own hold."""

    def __init__(self, setup: str):
        self.setup = setup

    def open(self):
        raise SetupError(f"{self.setup}: sign not match", f"[im.groups.{self.setup}] secret_env")

    def send(self, *args, **kw):
        raise AssertionError("never reached")


def test_two_lanes_are_held_apart_and_a_hold_from_an_older_state_db_is_kept(tmp_path):
    db = tmp_path / ".duban" / "state.db"
    old_state(db)
    con = sqlite3.connect(db)           # an older duban held its mail: one row, id 1
    con.execute("INSERT INTO mail_hold VALUES (1, '2026-11-23T01:00:00+00:00', 'smtp old', '535 no', "
                "'[mail.smtp] user')")
    con.commit()
    con.close()
    with MailQueue(db, read_only=True) as queue:     # a reader sees the old hold as mail's
        assert queue.holds() == {"mail": ("2026-11-23T01:00:00+00:00", "smtp old", "535 no", "[mail.smtp] user")}
    with MailQueue(db) as queue:
        assert queue.hold("mail")[3] == "[mail.smtp] user"
        for group in ("研发群", "紧急群"):
            queue.put(Queued(f"g-{group}", "digest", [group], group, b"{}", f"group:{group}"), MORNING)
            queue.deliver(RefusedLane(group), MORNING, 3, f"group:{group}")
        assert set(queue.holds()) == {"mail", "group:研发群", "group:紧急群"}
        assert queue.hold("group:紧急群")[3] == "[im.groups.紧急群] secret_env"
        fixed = queue.deliver(ToyTransport(), MORNING, 3, "group:研发群")     # its settings changed: sent
        assert [m.key for m in fixed.sent] == ["g-研发群"]
        assert set(queue.holds()) == {"mail", "group:紧急群"}
