"""Mail delivery against real things: .eml files, an aiosmtpd server (plain, SMTPS, STARTTLS), SQLite."""
from __future__ import annotations

import getpass
import io
import os
import re
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.settings import config
from duban.jobs.state.journal import Journal
from duban.mailer.message import Address, BadAddress, Mail, build, recipients
from duban.mailer.queue import LEASE, MailQueue
from duban.mailer.seam import Connection, TemporaryFailure
from duban.mailer.smtp import RateLimiter, SmtpTransport
from duban.mailer.transports import OutboxTransport, from_settings
from duban.workbooks.model.errors import ConfigError
from smtp_server import SmtpServer, tls_contexts

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
SENDER = Address("督办助手", "duban@example.com")
WANG, LI = Address("王芳", "wang.fang@example.com"), Address("李雷", "li.lei@example.com")
SUBJECT = "【督办】您有3项逾期、1项阻塞 — 2026-11-23"
MINUTE = timedelta(minutes=1)


def digest(key: str = "digest:2026-11-23:wang", to=(WANG,), cc=(), subject: str = SUBJECT, body: str = "") -> Mail:
    text = body or "王芳，您好：\n逾期 3 项：T-000012 …\n"
    return Mail("digest", key, list(to), list(cc), subject, f"<p>{text}</p>", text)


def settings(server: SmtpServer | None = None, **smtp) -> config.Settings:
    return config.load().changed(mail={"transport": "smtp", "max_per_minute": 100_000, "smtp": {
        "host": "127.0.0.1", "port": server.port if server else 1, "security": "none", "user": "", "timeout": 5,
        **smtp}})


def queue_of(tmp_path) -> MailQueue:
    return MailQueue(tmp_path / ".duban" / "state.db")


def enqueue(queue: MailQueue, mail: Mail, now=NOW, not_before=None) -> bool:
    return queue.enqueue(mail, build(mail, SENDER, now), now, not_before)


def keys(mails) -> list[str]:
    return [m.key for m in mails]


# ---- the message ---------------------------------------------------------------------------------------
def test_outbox_writes_eml_files_that_parse_back(tmp_path):
    import email
    import email.policy

    mail = digest(cc=[LI])
    outbox = OutboxTransport(tmp_path / "outbox")
    outbox.send(build(mail, SENDER, NOW), recipients(mail), mail.key)
    outbox.send(build(mail, SENDER, NOW), recipients(mail), mail.key)  # same second, same key: a second file

    files = sorted((p.name for p in (tmp_path / "outbox").iterdir()), key=len)
    assert len(files) == 2 and re.fullmatch(r"20261123-090000-王芳-[0-9a-f]{10}\.eml", files[0])
    assert files[1] == files[0].replace(".eml", "-2.eml")
    old_umask = os.umask(0o022)
    os.umask(old_umask)
    assert (tmp_path / "outbox" / files[0]).stat().st_mode & 0o777 == 0o666 & ~old_umask   # readable on the share
    parsed = email.message_from_bytes((tmp_path / "outbox" / files[0]).read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == SUBJECT
    assert [(a.display_name, a.addr_spec) for a in parsed["To"].addresses] == [("王芳", "wang.fang@example.com")]
    assert parsed["Cc"].addresses[0].display_name == "李雷"
    assert parsed["From"].addresses[0].display_name == "督办助手"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == mail.text
    assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n").strip() == mail.html
    assert parsed["Message-ID"].endswith("@example.com>") and parsed["Content-Language"] == "zh-CN"


def test_names_and_subjects_cannot_add_headers():
    evil = "\r\nBcc: evil@x.com"
    msg = build(digest(to=[Address("王芳" + evil, WANG.email)], subject="提醒" + evil), SENDER, NOW)
    raw = msg.as_bytes()
    assert b"\r\nBcc:" not in raw
    assert msg["Subject"] == "提醒  Bcc: evil@x.com"
    assert recipients(digest(to=[Address("王芳" + evil, WANG.email)])) == [WANG.email]


@pytest.mark.parametrize("bad", ["wang@x.com\r\nBcc: evil@x.com", "wang@x.com, evil@x.com", "王芳 <wang@x.com>",
                                 "wang fang@x.com", "", "wang"])
def test_an_address_that_is_not_one_plain_address_is_refused(bad):
    with pytest.raises(BadAddress) as err:
        build(digest(to=[Address("王芳", bad)]), SENDER, NOW)
    assert str(err.value) == (f"王芳: {bad!r} is not one plain email address (like wang.fang@example.com: no spaces, "
                              f"commas, angle brackets or line breaks). Correct it in 通讯录 (Directory).")
    assert isinstance(err.value, ValueError)


# ---- SMTP, for real ------------------------------------------------------------------------------------
def test_smtp_without_tls_or_login_delivers_chinese_names_and_subject(smtp_server):
    mail = digest(cc=[LI])
    with SmtpTransport(settings(smtp_server), None) as smtp:
        assert smtp.send(build(mail, SENDER, NOW), recipients(mail), mail.key) == {}
    [got] = smtp_server.received
    assert got.mail_from == "duban@example.com"
    assert got.rcpt_tos == ["wang.fang@example.com", "li.lei@example.com"]
    assert got.message["Subject"] == SUBJECT
    assert got.message["To"].addresses[0].display_name == "王芳"
    assert got.message["From"].addresses[0].display_name == "督办助手"
    assert smtp_server.handler.logins == []  # user "" means an internal relay: no AUTH at all


def test_header_injection_adds_no_recipient_over_smtp(smtp_server):
    evil = "\r\nBcc: evil@x.com"
    mail = digest(to=[Address("王芳" + evil, WANG.email)], subject=SUBJECT + evil)
    with SmtpTransport(settings(smtp_server), None) as smtp:
        smtp.send(build(mail, SENDER, NOW), recipients(mail), mail.key)
    [got] = smtp_server.received
    assert got.rcpt_tos == [WANG.email]
    headers = got.content.split(b"\r\n\r\n")[0]
    assert "Bcc" not in got.message and not re.search(rb"^Bcc:", headers, re.M | re.I)
    assert got.message["Subject"] == SUBJECT + "  Bcc: evil@x.com"
    assert sorted(got.message.keys()) == sorted(["From", "To", "Subject", "Date", "Message-ID", "Content-Language",
                                                 "MIME-Version", "Content-Type"])


def test_a_body_that_is_an_existing_file_path_is_sent_as_text(tmp_path, smtp_server):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CONTENT")
    mail = Mail("notice", "path-body", [WANG], [], "path", str(secret), str(secret))
    with SmtpTransport(settings(smtp_server), None) as smtp:
        smtp.send(build(mail, SENDER, NOW), recipients(mail), mail.key)
    got = smtp_server.received[0].message
    assert got.get_content_type() == "multipart/alternative"
    assert list(got.iter_attachments()) == []
    assert got.get_body(("plain",)).get_content().strip() == str(secret)
    assert "TOP SECRET" not in got.as_string()


def test_user_set_without_password_is_a_config_error_never_a_prompt(monkeypatch, tmp_path, smtp_server):
    def no_prompt(*args, **kwargs):
        raise AssertionError("duban asked for a password on the terminal")

    class NoStdin(io.StringIO):
        def read(self, *a):
            no_prompt()

        readline = read

    monkeypatch.setattr(getpass, "getpass", no_prompt)
    monkeypatch.setattr(sys, "stdin", NoStdin())
    monkeypatch.setitem(sys.modules, "keyring", None)  # as on a server without a keyring
    monkeypatch.delenv("DUBAN_SMTP_PASSWORD", raising=False)
    s = settings(smtp_server, user="alice")
    expected = ("duban.toml: mail.smtp.user is 'alice' but no password was found. Set the environment variable "
                "DUBAN_SMTP_PASSWORD, or store it in the system keyring (service 'duban', user 'alice'). duban "
                "runs unattended, so it never asks for a password on the terminal.")
    for make in (lambda: SmtpTransport(s, None), lambda: from_settings(s, tmp_path)):
        with pytest.raises(ConfigError) as err:
            make()
        assert str(err.value) == expected
    monkeypatch.setenv("DUBAN_SMTP_PASSWORD", "s3cret")  # following the advice works
    with from_settings(s, tmp_path) as smtp:
        smtp.send(build(digest(), SENDER, NOW), [WANG.email])
    assert smtp_server.handler.logins == [(b"alice", b"s3cret")]


def test_a_user_without_at_is_not_turned_into_a_gmail_address(smtp_server):
    with SmtpTransport(settings(smtp_server, user="alice"), "pw") as smtp:
        smtp.send(build(digest(), SENDER, NOW), [WANG.email])
    assert smtp_server.handler.logins == [(b"alice", b"pw")]
    assert smtp_server.received[0].mail_from == "duban@example.com"


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_modes_deliver_and_verify_the_certificate(tmp_path, security):
    server_ctx, client_ctx = tls_contexts(tmp_path)
    options = {"ssl_context": server_ctx} if security == "ssl" else {"tls_context": server_ctx,
                                                                      "require_starttls": True}
    server = SmtpServer(**options).start()
    try:
        s = settings(server, security=security, user="alice")
        with SmtpTransport(s, "pw", ssl_context=client_ctx) as smtp:
            smtp.send(build(digest(), SENDER, NOW), [WANG.email])
        assert server.received[0].message["Subject"] == SUBJECT
        assert server.handler.logins == [(b"alice", b"pw")]
        with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED"):
            SmtpTransport(s, "pw").open()  # the system's trust store does not know this self-signed cert
        assert len(server.received) == 1
    finally:
        server.stop()


def test_a_server_that_never_answers_times_out_as_a_temporary_failure():
    import socket
    import time

    socket.setdefaulttimeout(3)  # what an unpassed timeout would fall back to (instead of hanging forever)
    try:
        with socket.socket() as silent:  # accepts connections (backlog) but never says hello
            silent.bind(("127.0.0.1", 0))
            silent.listen(1)
            s = settings(timeout=0.5, port=silent.getsockname()[1])
            started = time.monotonic()
            with pytest.raises(TemporaryFailure, match="timed out"):
                SmtpTransport(s, None).open()
            assert time.monotonic() - started < 2
    finally:
        socket.setdefaulttimeout(None)


def test_transport_setting_picks_the_transport_and_names_a_bad_value(tmp_path):
    s = config.load()
    outbox = from_settings(s, tmp_path)
    assert isinstance(outbox, OutboxTransport) and outbox.folder == tmp_path / "outbox"
    s = replace(s, mail=replace(s.mail, transport="pigeon"))
    with pytest.raises(ConfigError) as err:
        from_settings(s, tmp_path)
    assert str(err.value) == (f"duban.toml: mail.transport is 'pigeon'; use \"outbox\" (write .eml files into "
                              f"{tmp_path / 'outbox'}) or \"smtp\" (send through [mail.smtp]).")


# ---- the queue -----------------------------------------------------------------------------------------
def test_the_same_key_is_queued_and_sent_once(tmp_path, smtp_server):
    queue = queue_of(tmp_path)
    assert enqueue(queue, digest()) is True
    assert enqueue(queue, digest(subject="another subject"), NOW + MINUTE) is False
    assert [m.subject for m in queue.entries()] == [SUBJECT]
    report = queue.deliver(SmtpTransport(settings(smtp_server), None), NOW, give_up_days=3)
    assert keys(report.sent) == ["digest:2026-11-23:wang"]
    assert enqueue(queue, digest()) is False  # sent mails keep their key forever
    assert queue.deliver(SmtpTransport(settings(smtp_server), None), NOW + MINUTE, 3).sent == []
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].content == queue.message("digest:2026-11-23:wang")  # byte for byte


def test_smtp_down_keeps_everything_then_each_mail_goes_exactly_once(tmp_path):
    server, queue = SmtpServer(), queue_of(tmp_path)  # not started: nothing listens on its port
    for n in range(3):
        enqueue(queue, digest(f"k{n}"))
    report = queue.deliver(SmtpTransport(settings(server), None), NOW, 3)
    assert report.sent == [] and keys(report.still_queued) == ["k0", "k1", "k2"]
    assert report.error.startswith(f"cannot connect to 127.0.0.1:{server.port} (ConnectionRefusedError")
    assert {(m.status, m.attempts, m.last_error) for m in queue.entries()} == {("queued", 0, report.error)}
    server.start()
    try:
        report = queue.deliver(SmtpTransport(settings(server), None), NOW + MINUTE, 3)
        assert keys(report.sent) == ["k0", "k1", "k2"] and report.error is None
        assert queue.deliver(SmtpTransport(settings(server), None), NOW + 2 * MINUTE, 3).sent == []
        assert sorted(r.message["Subject"] for r in server.received) == [SUBJECT] * 3
        assert len(server.received) == 3 and len(server.handler.connections) == 1
    finally:
        server.stop()


def test_421_stops_the_batch_and_backs_off_only_the_mail_tried(tmp_path, smtp_server):
    queue, smtp = queue_of(tmp_path), SmtpTransport(settings(smtp_server), None)
    for n in range(3):
        enqueue(queue, digest(f"k{n}"))
    smtp_server.handler.reply_all = "421 4.3.2 Service shutting down"
    report = queue.deliver(smtp, NOW, 3)
    first, *rest = queue.entries()
    assert (first.attempts, first.next_attempt, first.last_error) == (1, NOW + 5 * MINUTE,
                                                                      "421 4.3.2 Service shutting down")
    assert [(m.attempts, m.last_error) for m in rest] == [(0, "421 4.3.2 Service shutting down")] * 2
    assert report.error == "421 4.3.2 Service shutting down" and len(report.still_queued) == 3
    smtp_server.handler.reply_all = None
    assert keys(queue.deliver(smtp, NOW + MINUTE, 3).sent) == ["k1", "k2"]  # k0 waits out its backoff
    assert keys(queue.deliver(smtp, NOW + 5 * MINUTE, 3).sent) == ["k0"]
    assert len(smtp_server.received) == 3


def test_a_refused_recipient_fails_that_mail_and_the_others_go(tmp_path, smtp_server):
    queue = queue_of(tmp_path)
    smtp_server.handler.refuse["nobody@example.com"] = "550 5.1.1 No such user"
    enqueue(queue, digest("a"))
    enqueue(queue, digest("b", to=[Address("无此人", "nobody@example.com")]))
    enqueue(queue, digest("c", to=[WANG, Address("无此人", "nobody@example.com")]))
    enqueue(queue, digest("d"))
    report = queue.deliver(SmtpTransport(settings(smtp_server), None), NOW, 3)
    assert keys(report.sent) == ["a", "c", "d"]
    assert [(m.key, m.status, m.recipients, m.last_error) for m in report.failed] == [
        ("b", "failed", ["nobody@example.com"], "nobody@example.com: 550 5.1.1 No such user"),
        ("c → nobody@example.com", "failed", ["nobody@example.com"], "550 5.1.1 No such user")]  # c's copy for nobody
    assert [(m.key, m.last_error) for m in report.partial] == [
        ("c", "refused nobody@example.com: 550 5.1.1 No such user")]
    assert report.still_queued == []
    assert [r.rcpt_tos for r in smtp_server.received] == [[WANG.email]] * 3
    assert queue.deliver(SmtpTransport(settings(smtp_server), None), NOW + timedelta(hours=5), 3).sent == []


def test_mail_that_cannot_go_for_give_up_days_is_given_up_and_reported(tmp_path, smtp_server):
    queue = queue_of(tmp_path)
    enqueue(queue, digest("old"))
    enqueue(queue, digest("new"), NOW + timedelta(days=2))
    smtp_server.stop()
    down = SmtpTransport(settings(smtp_server), None)
    assert queue.deliver(down, NOW + timedelta(days=2, hours=23), give_up_days=3).given_up == []
    report = queue.deliver(down, NOW + timedelta(days=3), give_up_days=3)
    assert [(m.key, m.status) for m in report.given_up] == [("old", "given_up")]
    assert report.given_up[0].last_error.startswith("cannot connect")
    assert keys(report.still_queued) == ["new"]
    smtp_server.start()
    assert keys(queue.deliver(down, NOW + timedelta(days=3, minutes=1), 3).sent) == ["new"]
    assert [r.message["Subject"] for r in smtp_server.received] == [SUBJECT]
    # what the clerks' report advises (`outbox --retry --failed`) sends the given-up mail after all
    assert queue.retry_now(NOW + timedelta(days=3, minutes=2), include_failed=True) == 1
    assert keys(queue.deliver(down, NOW + timedelta(days=3, minutes=2), 3).sent) == ["old"]


def test_held_mail_waits_for_not_before_and_retry_now_skips_the_backoff(tmp_path, smtp_server):
    queue, smtp = queue_of(tmp_path), SmtpTransport(settings(smtp_server), None)
    enqueue(queue, digest("held"), not_before=NOW + timedelta(hours=1))
    enqueue(queue, digest("soon"))
    smtp_server.handler.reply_all = "451 4.3.0 try later"  # a 4xx that keeps the connection: not "server down"
    report = queue.deliver(smtp, NOW, 3)
    assert report.error is None and [(m.key, m.attempts) for m in report.still_queued] == [("held", 0), ("soon", 1)]
    smtp_server.handler.reply_all = None
    assert queue.deliver(smtp, NOW + MINUTE, 3).sent == []
    assert queue.retry_now(NOW + MINUTE) == 2
    assert keys(queue.deliver(smtp, NOW + MINUTE, 3).sent) == ["soon"]
    assert keys(queue.deliver(smtp, NOW + timedelta(hours=1), 3).sent) == ["held"]


@pytest.mark.slow
def test_one_deliver_uses_one_connection_for_twenty_mails(tmp_path, smtp_server):
    queue = queue_of(tmp_path)
    for n in range(20):
        enqueue(queue, digest(f"k{n:02}"))
    report = queue.deliver(SmtpTransport(settings(smtp_server), None), NOW, 3)
    assert len(report.sent) == 20 and len(smtp_server.received) == 20
    assert len(smtp_server.handler.connections) == 1


def test_the_rate_limiter_waits_exactly_as_long_as_needed():
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock.now, sleep=clock.sleep)
    waits = []
    for at in (0, 10, 20, 30, 75, 76):
        clock.t = max(clock.t, at)
        waits.append(limiter.wait())
    assert waits == [0, 0, 0, 30, 0, 4] and clock.slept == [30, 4]  # sends at 0 10 20 60 75 80


def test_smtp_sends_go_through_the_rate_limiter(tmp_path, smtp_server):
    clock, queue = FakeClock(), queue_of(tmp_path)
    for n in range(5):
        enqueue(queue, digest(f"k{n}"))
    smtp = SmtpTransport(settings(smtp_server), None, limiter=RateLimiter(2, clock=clock.now, sleep=clock.sleep))
    assert len(queue.deliver(smtp, NOW, 3).sent) == 5
    assert clock.slept == [60, 60]


def test_a_second_deliverer_never_sends_a_mail_the_first_is_sending(tmp_path):
    first, second = queue_of(tmp_path), queue_of(tmp_path)
    for n in range(3):
        enqueue(first, digest(f"k{n}"))
    sent: list[str] = []
    inner = Recording(sent)
    outer = Recording(sent, during_first_send=lambda: second.deliver(inner, NOW, 3))
    first.deliver(outer, NOW, 3)
    assert sorted(sent) == ["k0", "k1", "k2"]  # each once, whoever sent it
    assert {m.status for m in first.entries()} == {"sent"}


def test_a_crash_before_the_server_accepts_leaves_the_mail_queued(tmp_path):
    queue, sent = queue_of(tmp_path), []
    enqueue(queue, digest("k"))
    with pytest.raises(RuntimeError):
        queue.deliver(Recording(sent, crash=True), NOW, 3)
    assert [(m.status, m.attempts) for m in queue.entries()] == [("queued", 0)]
    assert queue.deliver(Recording(sent), NOW + MINUTE, 3).sent == []  # still leased to the crashed run
    assert keys(queue.deliver(Recording(sent), NOW + LEASE, 3).sent) == ["k"]


def test_the_queue_shares_state_db_with_the_journal(tmp_path):
    journal, queue = Journal(tmp_path / ".duban" / "state.db"), queue_of(tmp_path)
    assert journal.reserve_ids("T", 1, []) == ["T-000001"]
    assert enqueue(queue, digest())
    assert journal.reserve_ids("T", 1, []) == ["T-000002"]
    tables = {r[0] for r in journal.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"mail_queue", "rows", "events"} <= tables
    journal.close()


def test_outbox_delivery_through_the_queue(tmp_path):
    queue = queue_of(tmp_path)
    enqueue(queue, digest())
    report = queue.deliver(from_settings(config.load(), tmp_path), NOW, 3)
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert keys(report.sent) == ["digest:2026-11-23:wang"]
    assert eml.read_bytes() == queue.message("digest:2026-11-23:wang")
    assert not list((tmp_path / "outbox").glob(".*"))  # no temp files left behind


class FakeClock:
    def __init__(self):
        self.t, self.slept = 0.0, []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class Recording(Connection):
    """A transport that notes keys; can run something during its first send, or crash."""

    def __init__(self, sent: list[str], during_first_send=None, crash: bool = False):
        self.sent, self.during, self.crash = sent, during_first_send, crash

    def send(self, message, recipients, key=None, before_content=None):
        if self.crash:
            raise RuntimeError("power cut")
        if self.during:
            during, self.during = self.during, None
            during()
        self.sent.append(key)
        return {}
