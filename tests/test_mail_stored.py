"""The queue keeps messages deflated (a remind at 1,000 workbooks added megabytes of bodies to
state.db) and sends exactly the bytes queued; a message an older duban stored plain still goes."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from duban.mailer.message import Address, Mail, build, recipients
from duban.mailer.queue import MailQueue
from duban.mailer.seam import as_bytes
from duban.mailer.stored import MARK
from duban.mailer.transports import OutboxTransport

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SENDER = Address("督办助手", "duban@example.com")
WANG = Address("王芳", "wang.fang@example.com")


def _mail(key: str) -> Mail:
    rows = "".join(f"<li>任务{n:04d} 推广素材制作，逾期{n % 9 + 1}天，文件：//share/跟进表{n % 7}.xlsx</li>" for n in range(300))
    return Mail(key=key, kind="digest", to=[WANG], subject="【督办】您有300项待办", text="您有300项待办。",
                html=f"<ul>{rows}</ul>")


def _stored(db) -> dict[str, bytes]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT key, message FROM mail_queue"))


def test_a_queued_message_is_stored_deflated_and_sent_byte_for_byte(tmp_path):
    db = tmp_path / ".duban" / "state.db"
    mail = _mail("digest:2026-11-23:wang")
    message = build(mail, SENDER, NOW)
    with MailQueue(db) as queue:
        assert queue.enqueue(mail, message, NOW)
        assert queue.message(mail.key) == as_bytes(message)
        stored = _stored(db)[mail.key]
        assert stored.startswith(MARK) and len(stored) * 2 < len(as_bytes(message))
        queue.deliver(OutboxTransport(tmp_path / "outbox"), NOW, 3)
    [sent] = (tmp_path / "outbox").iterdir()
    assert sent.read_bytes() == as_bytes(message)


def test_a_message_an_older_version_stored_plain_is_sent_as_it_is(tmp_path):
    db = tmp_path / ".duban" / "state.db"
    mail = _mail("digest:2026-11-22:wang")
    plain = as_bytes(build(mail, SENDER, NOW))
    with MailQueue(db) as queue:
        assert queue.enqueue(mail, build(mail, SENDER, NOW), NOW)
        queue.db.execute("UPDATE mail_queue SET message=? WHERE key=?", (plain, mail.key))
        assert queue.message(mail.key) == plain
        queue.deliver(OutboxTransport(tmp_path / "outbox"), NOW, 3)
    [sent] = (tmp_path / "outbox").iterdir()
    assert sent.read_bytes() == plain and recipients(mail) == ["wang.fang@example.com"]
