"""Issue 16, mail points 1-3: a poison mail (stored, then the connection dropped), a mail whose fate
is unknown (no answer after DATA, an answer after the timeout, a kill -9 between the server storing
it and duban recording it), and settings the server turns down. Against an aiosmtpd server on
loopback scripted to misbehave, real SQLite, real `duban` processes and SIGKILL."""
from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from books import ROOT, cli
from duban.jobs.remind import alert, remind, retry
from duban.mailer.message import Address, Mail
from duban.mailer.queue import BACKOFF, LEASE, MailQueue
from duban.mailer.smtp import SmtpTransport
from duban.mailer.transports import OutboxTransport
from smtp_server import SmtpServer, tls_contexts
from test_mail import MORNING, make_folder, smtp_settings, text_of
from test_mail_delivery import LI, NOW, WANG, digest, enqueue, settings as delivery_settings

POISON = Address("孙丽", "sun.li@example.com")      # the server keeps her mail, then drops the connection


def copies(server: SmtpServer) -> Counter:
    """Message-ID -> how many times the server accepted (stored) that mail."""
    return Counter(str(r.message["Message-ID"]) for r in server.received)


def subjects(server: SmtpServer) -> list[str]:
    return [str(r.message["Subject"]) for r in server.received]


# ---- 1. one poison mail does not stop the batch ---------------------------------------------------------
def test_a_mail_kept_then_dropped_by_the_server_does_not_stop_the_others(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    smtp_server.handler.drop_after_data.add(POISON.email)
    for n, to in enumerate([WANG, POISON, LI, WANG]):
        enqueue(queue, digest(f"k{n}", to=[to], subject=f"mail {n}"))
    smtp = SmtpTransport(delivery_settings(smtp_server), None)

    first = queue.deliver(smtp, NOW, 3)
    assert [m.key for m in first.sent] == ["k0", "k2", "k3"] and first.error is None
    [waiting] = first.still_queued
    assert (waiting.key, waiting.status, waiting.unknown, waiting.next_attempt) == ("k1", "queued", 1, NOW + BACKOFF[0])
    assert waiting.last_error.startswith("no answer after the mail was sent (SMTPServerDisconnected")
    assert len(smtp_server.handler.connections) == 2                 # a new connection after the cut, then on

    enqueue(queue, digest("k4", to=[LI], subject="mail 4"), NOW + BACKOFF[0])
    enqueue(queue, problems_report("p", WANG), NOW + BACKOFF[0])
    second = queue.deliver(smtp, NOW + BACKOFF[0], 3)
    assert [m.key for m in second.set_aside] == ["k1"] and second.still_queued == []
    assert subjects(smtp_server)[-3:] == ["数据问题报告", "mail 4", "mail 1"]  # report first; poison after the rest
    [aside] = queue.entries("set_aside")
    assert aside.unknown == 2 and aside.last_error.startswith("no answer after the mail was sent")

    assert queue.deliver(smtp, NOW + timedelta(days=5), 3).sent == []  # never a third time, never given up
    assert [m.status for m in queue.entries()] == ["sent", "set_aside", "sent", "sent", "sent", "sent"]
    counts = copies(smtp_server)
    poison_id = str(smtp_server.delivered_to(POISON.email)[0].message["Message-ID"])
    assert counts.pop(poison_id) == 2 and set(counts.values()) == {1}   # the same Message-ID both times


def problems_report(key: str, to: Address) -> Mail:
    return Mail("problems", key, [to], [], "数据问题报告", "<p>问题</p>", "问题")


def test_a_person_can_send_a_set_aside_mail_once_more(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    smtp_server.handler.drop_after_data.add(POISON.email)
    enqueue(queue, digest("k", to=[POISON]))
    smtp = SmtpTransport(delivery_settings(smtp_server), None)
    queue.deliver(smtp, NOW, 3)
    assert [m.key for m in queue.deliver(smtp, NOW + BACKOFF[0], 3).set_aside] == ["k"]
    smtp_server.handler.drop_after_data.clear()                     # the filter was fixed
    assert queue.retry_now(NOW + timedelta(hours=1), include_failed=True) == 1
    assert [m.key for m in queue.deliver(smtp, NOW + timedelta(hours=1), 3).sent] == ["k"]
    assert len(smtp_server.delivered_to(POISON.email)) == 3


# ---- 2. unknown fate: no answer in time ------------------------------------------------------------------
@pytest.mark.slow
def test_data_answered_after_the_timeout_is_sent_at_most_twice(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    smtp_server.handler.answer_delay[LI.email] = 1.5
    enqueue(queue, digest("slow", to=[LI]))
    enqueue(queue, digest("fine", to=[WANG]))
    smtp = SmtpTransport(delivery_settings(smtp_server, timeout=0.5, data_timeout=0.5), None)
    first = queue.deliver(smtp, NOW, 3)
    assert [m.key for m in first.sent] == ["fine"] and [m.key for m in first.unanswered] == ["slow"]
    assert "waited up to 0.5 s, [mail.smtp] data_timeout" in first.still_queued[0].last_error
    assert [m.key for m in queue.deliver(smtp, NOW + BACKOFF[0], 3).set_aside] == ["slow"]
    for _ in range(3):
        queue.deliver(smtp, NOW + timedelta(days=1), 3)
    time.sleep(1.2)                                                  # let the server finish its late answers
    assert len(smtp_server.delivered_to(LI.email)) == 2              # was 3 before: never a third time


@pytest.mark.slow
def test_a_large_mail_gets_data_timeout_not_the_command_timeout(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    smtp_server.handler.answer_delay[LI.email] = 1.0                 # a server scanning a large mail
    enqueue(queue, digest("big", to=[LI], body="附件说明\n" * 20000))
    smtp = SmtpTransport(delivery_settings(smtp_server, timeout=0.4, data_timeout=5), None)
    report = queue.deliver(smtp, NOW, 3)
    assert [m.key for m in report.sent] == ["big"] and report.unanswered == []
    assert len(smtp_server.delivered_to(LI.email)) == 1


# ---- 2. unknown fate: kill -9 between the server storing a mail and duban recording it ---------------------
def smtp_toml(folder: Path, server: SmtpServer, **smtp) -> None:
    values = {"host": "127.0.0.1", "port": server.port, "security": "none", "user": "", "timeout": 5, **smtp}
    lines = ['[mail]', 'transport = "smtp"', 'clerks = ["王芳"]', '[mail.smtp]']
    lines += [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in values.items()]
    (folder / "duban.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_remind(folder: Path, now) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from duban.jobs.cli import main; main()", "remind", str(folder),
                             "--now", now.isoformat()], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("when", ["before the answer", "just after the answer"])
@pytest.mark.slow
def test_kill_9_while_the_server_takes_a_mail_sends_nothing_twice(tmp_path, smtp_server, when):
    folder = make_folder(tmp_path)
    smtp_toml(folder, smtp_server)
    stored = []

    def kill(got):
        stored.append(got)
        if len(stored) == 2:
            if when == "before the answer":
                os.kill(proc.pid, signal.SIGKILL)               # stored, not yet answered: fate unknown to duban
            else:
                threading.Timer(0.005, os.kill, (proc.pid, signal.SIGKILL)).start()

    proc = start_remind(folder, MORNING)
    smtp_server.handler.after_store = kill
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL and len(stored) >= 2
    smtp_server.handler.after_store = None
    killed_id = str(stored[1].message["Message-ID"])

    with MailQueue(folder / ".duban" / "state.db") as queue:
        before = {m.key: m.status for m in queue.entries()}
    later = remind(folder, smtp_settings(smtp_server), MORNING + LEASE + timedelta(minutes=20))
    again = remind(folder, smtp_settings(smtp_server), MORNING + timedelta(hours=3))
    counts = copies(smtp_server)
    assert set(counts.values()) == {1}, counts                      # not one mail twice
    with MailQueue(folder / ".duban" / "state.db") as queue:
        final = {m.key: m.status for m in queue.entries()}
    assert set(final.values()) <= {"sent", "set_aside"}             # none lost silently, none waiting
    aside = [k for k, s in final.items() if s == "set_aside"]
    assert len(aside) <= 1 and set(before) <= set(final)
    if aside:                                                        # the killed one, named to the clerks
        assert [m.key for m in later.delivery.set_aside] == aside and later.undelivered
        [report] = [r.message for r in smtp_server.received if "数据问题报告" in str(r.message["Subject"])]
        text = text_of(report)
        assert "已搁置" in text and "可能已经送达" in text
    else:                                                           # it was recorded sent before the kill
        assert killed_id in counts
    assert again.delivery.sent == [] and again.outgoing == []


def test_a_send_cut_short_by_a_crash_is_looked_up_in_the_outbox(tmp_path):
    """The outbox transport can see whether the .eml file is there: exactly once either way."""
    class DiesAfterWriting(OutboxTransport):
        def send(self, *args, **kw):
            super().send(*args, **kw)
            raise KeyboardInterrupt                                   # the process dies after the file is written

    class DiesBeforeWriting(OutboxTransport):
        def send(self, message, recipients, key=None, before_content=None):
            before_content()
            raise KeyboardInterrupt

    for dies, files in ((DiesAfterWriting, 1), (DiesBeforeWriting, 1)):
        folder = tmp_path / dies.__name__
        queue = MailQueue(folder / "state.db")
        enqueue(queue, digest("k"))
        with pytest.raises(KeyboardInterrupt):
            queue.deliver(dies(folder / "outbox"), NOW, 3)
        queue.close()
        queue = MailQueue(folder / "state.db")
        assert queue.deliver(OutboxTransport(folder / "outbox"), NOW + timedelta(minutes=1), 3).sent == []  # leased
        report = queue.deliver(OutboxTransport(folder / "outbox"), NOW + timedelta(hours=1), 3)
        assert [m.key for m in report.sent] == ["k"] and report.set_aside == []
        assert len(list((folder / "outbox").glob("*.eml"))) == files
        assert queue.deliver(OutboxTransport(folder / "outbox"), NOW + timedelta(days=1), 3).sent == []


# ---- 3. settings the server turns down: held, named, exit code 1 ----------------------------------------
def test_a_wrong_password_holds_the_mail_and_names_the_setting(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    smtp_server.handler.refuse_login = True
    enqueue(queue, digest("k"))
    smtp = SmtpTransport(delivery_settings(smtp_server, user="alice"), "wrong")
    first = queue.deliver(smtp, NOW, give_up_days=3)
    assert first.error.startswith(f"127.0.0.1:{smtp_server.port} refused the login of 'alice' (535")
    assert first.setting == "[mail.smtp] user, and the password in the environment variable DUBAN_SMTP_PASSWORD " \
                            "(or the keyring)"
    tries = len(smtp_server.handler.logins)
    later = queue.deliver(smtp, NOW + timedelta(days=5), give_up_days=3)    # held: no retry, not given up
    assert len(smtp_server.handler.logins) == tries and later.given_up == [] and later.setting == first.setting
    smtp_server.handler.refuse_login = False                          # the person fixed the password
    assert queue.deliver(smtp, NOW + timedelta(days=5), 3).sent == []  # still held until they say so
    queue.retry_now(NOW + timedelta(days=5))                          # duban outbox --retry
    assert [m.key for m in queue.deliver(smtp, NOW + timedelta(days=5), 3).sent] == ["k"]
    assert len(smtp_server.received) == 1


def test_a_changed_setting_lifts_the_hold_by_itself(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    smtp_server.handler.refuse_login = True
    enqueue(queue, digest("k"))
    queue.deliver(SmtpTransport(delivery_settings(smtp_server, user="alice"), "pw"), NOW, 3)
    assert queue.hold() is not None
    smtp_server.handler.refuse_login = False
    fixed = SmtpTransport(delivery_settings(smtp_server, user="bob"), "pw")
    assert [m.key for m in queue.deliver(fixed, NOW + timedelta(hours=1), 3).sent] == ["k"]
    assert queue.hold() is None


def test_starttls_not_offered_is_a_settings_problem(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    enqueue(queue, digest("k"))
    report = queue.deliver(SmtpTransport(delivery_settings(smtp_server, security="starttls"), None), NOW, 3)
    assert report.error == f"127.0.0.1:{smtp_server.port} does not offer STARTTLS (SMTPNotSupportedError: " \
                           f"STARTTLS extension not supported by server.)"
    assert report.setting.startswith("[mail.smtp] security and port")
    assert queue.hold() is not None and smtp_server.received == []


def test_ssl_spoken_to_a_plain_port_is_a_settings_problem(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / "state.db")
    enqueue(queue, digest("k"))
    report = queue.deliver(SmtpTransport(delivery_settings(smtp_server, security="ssl"), None), NOW, 3)
    assert report.error.startswith(f"TLS with 127.0.0.1:{smtp_server.port} failed (SSLError: [SSL: WRONG_VERSION_NUMBER]")
    assert report.setting.startswith("[mail.smtp] security and port: this server answers in plain text")
    assert 'try security = "starttls"' in report.setting          # the cure, not only where to look
    assert queue.hold() is not None


def test_tls_required_before_mail_is_a_settings_problem_not_a_refused_mail(tmp_path):
    server_ctx, _client = tls_contexts(tmp_path)
    server = SmtpServer(tls_context=server_ctx, require_starttls=True).start()
    try:
        queue = MailQueue(tmp_path / "state.db")
        enqueue(queue, digest("a"))
        enqueue(queue, digest("b"))
        report = queue.deliver(SmtpTransport(delivery_settings(server), None), NOW, 3)
        assert report.failed == [] and report.setting.startswith("[mail.smtp] user and security")
        assert [m.status for m in queue.entries()] == ["queued", "queued"]   # not "refused": nothing lost
    finally:
        server.stop()


@pytest.mark.parametrize("fault", ["down", "password", "no starttls"])
@pytest.mark.slow
def test_remind_alert_and_outbox_retry_exit_1_when_mail_cannot_go(tmp_path, fault):
    server = SmtpServer()
    folder = make_folder(tmp_path)
    smtp = {"down": {}, "password": {"user": "alice"}, "no starttls": {"security": "starttls"}}[fault]
    smtp_toml(folder, server, **smtp)
    env = {**os.environ, "DUBAN_SMTP_PASSWORD": "wrong"}
    if fault != "down":
        server.start()
        server.handler.refuse_login = True
    try:
        at = MORNING.isoformat()
        runs = [cli("remind", str(folder), "--now", at, env=env), cli("alert", str(folder), "--now", at, env=env),
                cli("outbox", str(folder), "--retry", "--now", at, env=env)]
    finally:
        server.stop()
    for done in runs:
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        if fault == "down":
            assert "邮件服务器无法连接" in done.stderr
        else:
            setting = "[mail.smtp] user" if fault == "password" else "[mail.smtp] security"
            said = " ".join(done.stderr.split())         # rich folds long lines
            assert "邮件设置有误" in said and setting in said and f"duban outbox {folder} --retry" in said
    assert server.received == []
    if fault != "down":                                              # and `duban status` says so until fixed
        shown = cli("status", str(folder))
        assert "邮件已暂停发送" in shown.stdout and setting in shown.stdout, shown.stdout


# ---- several days against a server with one poison recipient ------------------------------------------------
@pytest.mark.slow
def test_four_days_with_a_poison_recipient_every_mail_once_or_set_aside(tmp_path, smtp_server):
    """Every working day: remind at 09:30, alert at 10:30 and 15:00; the server keeps every mail to
    孙丽 and drops the connection before answering. Each mail reaches its mailboxes exactly once, or is
    set aside after at most two copies; the clerks' reports all go; nothing is given up or left waiting."""
    folder = make_folder(tmp_path)
    config = smtp_settings(smtp_server)
    smtp_server.handler.drop_after_data.add(POISON.email)
    runs = []
    for day in range(4):
        base = MORNING + timedelta(days=day)
        runs += [remind(folder, config, base), alert(folder, config, base + timedelta(hours=1)),
                 alert(folder, config, base + timedelta(hours=5, minutes=30))]
    runs.append(retry(folder, config, MORNING + timedelta(days=4)))
    with MailQueue(folder / ".duban" / "state.db") as queue:
        entries = queue.entries()
    assert {m.status for m in entries} == {"sent", "set_aside"}        # nothing given up, nothing waiting
    aside = {m.key for m in entries if m.status == "set_aside"}
    assert aside and all(POISON.email in m.recipients for m in entries if m.key in aside)
    assert all(POISON.email not in m.recipients for m in entries if m.status == "sent")
    assert {m.kind for m in entries if m.kind == "problems" and m.status == "sent"} == {"problems"}
    assert all(m.status == "sent" for m in entries if m.kind == "problems")
    counts, poison_ids = copies(smtp_server), {str(r.message["Message-ID"]) for r in smtp_server.delivered_to(POISON.email)}
    assert all(counts[i] <= 2 for i in poison_ids) and len(poison_ids) == len(aside)
    assert all(n == 1 for i, n in counts.items() if i not in poison_ids)
    assert all(r.delivery.error is None for r in runs)
    assert any(r.undelivered for r in runs)                           # the day a mail was set aside: exit code 1
    reports = [text_of(r.message) for r in smtp_server.received if "数据问题报告" in str(r.message["Subject"])]
    assert any("sun.li@example.com" in t and "已搁置" in t for t in reports)


# ---- serve's admins hear of a set-aside mail, ahead of other mail ------------------------------------------
def test_serve_tells_its_admins_of_a_set_aside_mail(tmp_path):
    import io
    import sqlite3

    from duban.jobs.serve.loop import Serve
    from duban.jobs.settings import config

    settings = config.load(values={"serve": {"admins": ["杨帆"]}, "schedule": dict(
        check="every 2 hours", remind="off", alert="off", summary_week="off", summary_month="off")})

    def ok(job, folder, settings, slot, dry_run, cache):     # the first job sets a mail aside
        with MailQueue(folder / ".duban" / "state.db") as queue:
            if enqueue(queue, digest("poison", to=[POISON], subject="给孙丽的提醒")):
                queue.db.execute("UPDATE mail_queue SET status='set_aside', last_error='no answer'")
        return {"result": "ok", "people": {"杨帆": ("yangfan@example.com", "zh")}}

    start = NOW.replace(hour=8)
    serve = Serve(tmp_path, settings, start=start, until=start + timedelta(hours=3), runner=ok, stream=io.StringIO())
    assert serve.run() == 0
    told = sqlite3.connect(tmp_path / ".duban" / "state.db").execute("SELECT problem, day FROM serve_told").fetchall()
    assert told == [("mail-set-aside:1", "2026-11-23")]
    [eml] = (tmp_path / "outbox").glob("*.eml")
    text = text_of(email.message_from_bytes(eml.read_bytes(), policy=email.policy.default))
    assert "1 封邮件已搁置" in text and "sun.li@example.com: 给孙丽的提醒" in text and "可能已经送达" in text


@pytest.mark.slow
def test_the_terminal_says_a_mail_may_already_have_been_delivered(tmp_path, smtp_server):
    folder = make_folder(tmp_path)
    smtp_toml(folder, smtp_server)
    smtp_server.handler.drop_after_data.add(POISON.email)
    first = cli("remind", str(folder), "--now", MORNING.isoformat())
    assert first.returncode == 0, first.stderr                       # sent once more by itself: nothing to fix yet
    flat = first.stderr.replace("\n", "")
    assert "发出后邮件服务器没有答复，可能已经送达：sun.li@example.com" in flat and "最多再发一次" in flat
    second = cli("outbox", str(folder), "--retry", "--now", (MORNING + timedelta(minutes=10)).isoformat())
    assert second.returncode == 1                                    # set aside: a person has to look
    assert "已搁置，不再自动发送：sun.li@example.com" in second.stderr.replace("\n", "")
    [aside] = json.loads(cli("outbox", str(folder), "--status", "set_aside", "--json").stdout)
    assert (aside["recipients"], aside["sends_without_answer"]) == (["sun.li@example.com"], 2)
    [report] = [r.message for r in smtp_server.received if "数据问题报告" in str(r.message["Subject"])]
    assert "邮件服务器没有答复" in text_of(report) and "sun.li@example.com" in text_of(report)


def test_mail_that_cut_the_connection_before_it_went_does_not_stay_first(tmp_path, smtp_server):
    """Three mails whose RCPT makes the server drop the connection would stop every batch if they
    stayed first (three cuts in a row): after their first try they go after the fresh mail."""
    queue = MailQueue(tmp_path / "state.db")
    dropped = [Address(f"丢{n}", f"drop{n}@example.com") for n in range(3)]

    async def drop_at_rcpt(server, session, envelope, address, rcpt_options):
        if address.startswith("drop"):
            server.transport.abort()
            return "250 never heard"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handler.handle_RCPT = drop_at_rcpt
    for n, to in enumerate(dropped):
        enqueue(queue, digest(f"bad{n}", to=[to]))
    smtp = SmtpTransport(delivery_settings(smtp_server), None)
    first = queue.deliver(smtp, NOW, 3)
    assert first.error.startswith("the server cut the connection 3 times in a row")
    enqueue(queue, digest("fresh", to=[WANG]), NOW + BACKOFF[0])
    second = queue.deliver(smtp, NOW + BACKOFF[0], 3)
    assert [m.key for m in second.sent] == ["fresh"]
    assert {m.key for m in second.still_queued} == {"bad0", "bad1", "bad2"}
