"""Issue 9, "mail is never lost": a recipient deferred (451) or refused (550) inside a mail the others
got, one job at a time per folder for a job's whole run, dry runs that change no file, and cell
text that cannot reorder or hide what a mail says. Against real things: workbooks, SQLite, an
aiosmtpd server on loopback, .eml files, and other processes holding the run lock."""
from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from books import NOW, ROOT, cli, settings, task
from duban.jobs.check import check_folder
from duban.jobs.remind import alert, remind, retry
from duban.jobs.settings.typed import Settings
from duban.jobs.state.runlock import run_lock
from duban.mailer.message import Address
from duban.mailer.queue import BACKOFF, MailQueue
from duban.mailer.smtp import SmtpTransport
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.errors import DubanError
from duban.workbooks.model.kinds import KINDS
from smtp_server import SmtpServer
from test_mail import MORNING, PEOPLE, TASKS, smtp_settings, text_of
from test_mail_delivery import LI, WANG, digest, enqueue, settings as delivery_settings

LIU = ("刘洋", "市场部", "liu.yang@example.com", "no", "zh")      # greylisted: 451 on the first RCPT, then accepted
WU = ("吴刚", "市场部", "wu.gang@example.com", "no", "zh")         # refused: 550 always
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
C0 = "".join(map(chr, range(0x20))) + "\x7f"


def make_folder(folder: Path, tasks: list[dict] = TASKS, people=PEOPLE) -> Path:
    rows = [{"name": n, "department": d, "email": e, "dept_head": h, "language": lang} for n, d, e, h, lang in people]
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=rows)
    write_workbook("tasks", folder / KINDS["tasks"].filename("zh"), rows=tasks)
    write_workbook("raci", folder / KINDS["raci"].filename("zh"),
                   rows=[{"project": "Q3新品推广项目", "task": "季度预算编制", "responsible": "张伟", "accountable": "陈总"}])
    return folder


def copies(server: SmtpServer) -> Counter:
    """(Message-ID, envelope recipient) -> how many times the server accepted that mail for that address."""
    return Counter((str(r.message["Message-ID"]), to.lower()) for r in server.received for to in r.rcpt_tos)


# ---- a recipient deferred or refused inside a mail the others got ------------------------------------
def test_a_deferred_recipient_gets_its_copy_on_the_retry_and_nobody_gets_two(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / ".duban" / "state.db")
    nobody = Address("无此人", "nobody@example.com")
    smtp_server.handler.defer[LI.email] = "451 4.7.1 greylisted, try again later"
    smtp_server.handler.refuse[nobody.email] = "550 5.1.1 No such user"
    enqueue(queue, digest("k", to=[WANG], cc=[LI, nobody]))
    smtp = SmtpTransport(delivery_settings(smtp_server), None)

    first = queue.deliver(smtp, NOW, give_up_days=3)
    assert [m.key for m in first.sent] == ["k"]
    assert first.sent[0].last_error == ("deferred li.lei@example.com: 451 4.7.1 greylisted, try again later; "
                                        "refused nobody@example.com: 550 5.1.1 No such user")
    assert [(m.key, m.recipients, m.status, m.attempts, m.next_attempt) for m in first.still_queued] == [
        ("k → li.lei@example.com", [LI.email], "queued", 1, NOW + BACKOFF[0])]
    assert [(m.key, m.recipients, m.last_error) for m in first.failed] == [
        ("k → nobody@example.com", [nobody.email], "550 5.1.1 No such user")]
    assert [len(smtp_server.delivered_to(a)) for a in (WANG.email, LI.email, nobody.email)] == [1, 0, 0]

    assert queue.deliver(smtp, NOW + BACKOFF[0] - timedelta(seconds=1), 3).sent == []   # waits out its backoff
    second = queue.deliver(smtp, NOW + BACKOFF[0], 3)
    assert [m.key for m in second.sent] == ["k → li.lei@example.com"] and second.still_queued == []
    assert queue.deliver(smtp, NOW + timedelta(hours=5), 3).sent == []
    [to_li] = smtp_server.delivered_to(LI.email)
    assert to_li.rcpt_tos == [LI.email]                          # only to the one deferred, never again to the others
    assert to_li.content == smtp_server.delivered_to(WANG.email)[0].content == queue.message("k")  # the same bytes
    assert [len(smtp_server.delivered_to(a)) for a in (WANG.email, LI.email, nobody.email)] == [1, 1, 0]


def test_a_recipient_deferred_for_good_backs_off_and_is_given_up_like_a_whole_mail(tmp_path, smtp_server):
    queue = MailQueue(tmp_path / ".duban" / "state.db")
    smtp_server.handler.refuse[LI.email] = "452 4.2.2 mailbox full"
    enqueue(queue, digest("k", to=[WANG, LI]), not_before=NOW + timedelta(hours=1))
    smtp, start = SmtpTransport(delivery_settings(smtp_server), None), NOW + timedelta(hours=1)
    queue.deliver(smtp, start, 3)
    at = start
    for tries, wait in enumerate(BACKOFF, start=1):             # 5 min, 15 min, 1 h, 4 h: as a whole mail
        [copy] = queue.entries("queued")
        assert (copy.attempts, copy.next_attempt) == (tries, at + wait)
        assert copy.last_error.endswith("452 4.2.2 mailbox full")
        at += wait
        queue.deliver(smtp, at, 3)
    assert queue.entries("queued")[0].next_attempt == at + BACKOFF[-1]
    # given up three days after its hold ended, as the whole mail would be (not three days after the last try)
    assert queue.deliver(smtp, start + timedelta(days=3) - timedelta(seconds=1), 3).given_up == []
    [given_up] = queue.deliver(smtp, start + timedelta(days=3), 3).given_up
    assert (given_up.key, given_up.recipients) == ("k → li.lei@example.com", [LI.email])
    assert len(smtp_server.delivered_to(WANG.email)) == 1 and smtp_server.delivered_to(LI.email) == []


@pytest.mark.slow
def test_remind_across_two_runs_with_a_greylisted_and_a_refused_recipient(tmp_path, smtp_server):
    """刘洋 and 吴刚 are copied on escalations (initiators). The server defers 刘洋's first RCPT (451)
    and refuses 吴刚 (550): each mail reaches everyone else once; 刘洋 gets the deferred one exactly
    once, on the next run; the clerks' problems report names 吴刚's address."""
    tasks = [dict(t) for t in TASKS]
    tasks[0]["initiator"], tasks[1]["initiator"] = "刘洋", "吴刚"
    folder = make_folder(tmp_path, tasks, PEOPLE + [LIU, WU])
    config = smtp_settings(smtp_server)
    smtp_server.handler.defer["liu.yang@example.com"] = "451 4.7.1 greylisted, try again in 5 minutes"
    smtp_server.handler.refuse["wu.gang@example.com"] = "550 5.1.1 mailbox unavailable"

    first = remind(folder, config, MORNING)
    after_first = copies(smtp_server)
    assert first.delivery.error is None
    [deferred] = first.delivery.still_queued
    assert deferred.recipients == ["liu.yang@example.com"] and deferred.kind == "escalation"
    refused = [m for m in first.delivery.failed]
    assert refused and {tuple(m.recipients) for m in refused} == {("wu.gang@example.com",)}
    assert all(" → wu.gang@example.com" in m.key for m in refused)      # copies: the mails went to the others
    assert not smtp_server.delivered_to("wu.gang@example.com")
    [report] = [r.message for r in smtp_server.received if "数据问题报告" in str(r.message["Subject"])]
    text = text_of(report)
    assert "wu.gang@example.com" in text and "550 5.1.1 mailbox unavailable" in text and "拒收" in text
    assert "liu.yang@example.com" not in text                          # deferred is not a problem: it is retried

    second = remind(folder, config, MORNING + timedelta(minutes=10))
    assert second.outgoing == [] and [m.key for m in second.delivery.sent] == [deferred.key]
    final = copies(smtp_server)
    new = final - after_first
    assert list(new.values()) == [1] and list(new)[0][1] == "liu.yang@example.com"
    assert set(final.values()) == {1}                                  # every (mail, address): exactly once
    message_id = list(new)[0][0]
    assert {to for (mid, to) in final if mid == message_id} >= {"liu.yang@example.com", "li.na@example.com"}
    assert len(smtp_server.delivered_to("liu.yang@example.com")) == len(
        [m for m in first.outgoing if "刘洋" in m.cc])                    # every mail he is copied on: once each

    third = remind(folder, config, MORNING + timedelta(hours=2))       # nothing more, and the clerks told once
    assert third.delivery.sent == [] and copies(smtp_server) == final


# ---- one job at a time, for the whole run ----------------------------------------------------------
HOLDER = """
import sys, time
from pathlib import Path
from duban.jobs.settings import config
from duban.jobs.state.runlock import run_lock
folder = Path(sys.argv[1])
with run_lock(folder, config.load(folder), sys.argv[2]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def hold_lock(folder: Path, seconds: float, job: str = "check") -> subprocess.Popen:
    """Another process running a duban job on `folder` for `seconds` (returns once it holds the lock)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), job, str(seconds)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def outbox_folder(tmp_path: Path, wait: int | None = None) -> tuple[Path, Settings]:
    folder = make_folder(tmp_path)
    lines = ['[mail]', 'clerks = ["王芳"]']
    if wait is not None:
        lines += ["[state]", f"lock_wait_seconds = {wait}"]
    (folder / "duban.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = settings(mail={"clerks": ["王芳"]}, **({"state": {"lock_wait_seconds": wait}} if wait is not None else {}))
    return folder, config


@pytest.mark.slow
def test_remind_started_while_a_check_runs_waits_for_it_then_mails(tmp_path):
    folder, config = outbox_folder(tmp_path)
    holder = hold_lock(folder, 2)
    started = time.monotonic()
    run = remind(folder, config, MORNING)
    waited = time.monotonic() - started
    assert holder.wait(5) == 0 and waited > 1
    assert len(run.delivery.sent) == len(run.outgoing) > 0
    assert len(list((folder / "outbox").glob("*.eml"))) == len(run.outgoing)


@pytest.mark.slow
def test_after_the_wait_a_job_names_what_is_running_and_exits_non_zero(tmp_path):
    folder, config = outbox_folder(tmp_path, wait=1)
    holder = hold_lock(folder, 30, job="remind")
    try:
        with pytest.raises(DubanError) as err:
            check_folder(folder, config, MORNING)
        message = str(err.value)
        assert message.startswith(f"another duban job is running on {folder}: duban remind (pid {holder.pid} on "
                                  f"{socket.gethostname()}, started ")
        assert message.endswith("; waited 1 seconds for it to finish (state.lock_wait_seconds). "
                                "Try again when it has finished.")
        started = time.monotonic()
        done = cli("remind", str(folder), "--now", MORNING.isoformat())
        assert time.monotonic() - started < 20
        assert done.returncode == 1 and f"duban remind（进程 {holder.pid}" in done.stderr, done.stderr   # zh company
        assert not (folder / "outbox").exists()                         # nothing was mailed
    finally:
        holder.kill()
        holder.wait()
    assert remind(folder, config, MORNING).delivery.sent                  # the holder died: its lock went with it


def lock_is_taken(folder: Path) -> bool:
    """Would another job have to wait? (a new open file: the run lock, an open-file-description
    record lock on Linux, conflicts even within this process)"""
    from duban.jobs.state import locking
    with open(folder / ".duban" / "check.lock", "a+") as fh:
        if not locking.try_lock(fh):
            return True
        locking.unlock(fh)
        return False


@pytest.mark.parametrize("job", ["remind", "alert", "outbox"])
@pytest.mark.slow
def test_a_job_holds_the_lock_from_its_check_to_its_last_mail(tmp_path, monkeypatch, job):
    import duban.jobs.check
    import duban.jobs.remind

    folder, config = outbox_folder(tmp_path)
    seen: list[tuple[str, bool, str]] = []
    real_read, real_deliver = duban.jobs.check.read_folder, duban.jobs.remind.deliver

    def reading(*args, **kw):
        seen.append(("check", lock_is_taken(folder), (folder / ".duban" / "check.lock").read_text()))
        return real_read(*args, **kw)

    def delivering(*args, **kw):
        seen.append(("mail", lock_is_taken(folder), (folder / ".duban" / "check.lock").read_text()))
        return real_deliver(*args, **kw)

    monkeypatch.setattr(duban.jobs.check, "read_folder", reading)
    monkeypatch.setattr(duban.jobs.remind, "deliver", delivering)
    if job == "outbox":
        remind(folder, config, MORNING.replace(hour=20))                  # held until the morning
        seen.clear()
        retry(folder, config, MORNING + timedelta(days=1))
    else:
        (remind if job == "remind" else alert)(folder, config, MORNING)
    assert seen and all(taken for _step, taken, _who in seen)
    assert {step for step, *_ in seen} == ({"mail"} if job == "outbox" else {"check", "mail"})
    assert all(f"pid={os.getpid()} " in who and f" job={job} " in who for *_, who in seen)
    assert not lock_is_taken(folder) and (folder / ".duban" / "check.lock").read_text() == ""


def test_two_threads_take_turns(tmp_path):
    folder, config = outbox_folder(tmp_path)
    order: list[str] = []
    inside = threading.Event()

    def first():
        with run_lock(folder, config, "check"):
            inside.set()
            order.append("first in")
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    with run_lock(folder, config, "remind"):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


# ---- --dry-run changes no file ----------------------------------------------------------------------
def listing(folder: Path) -> dict[str, int]:
    """Every file and folder under `folder` with its mtime (ns)."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))} | {
        ".": folder.stat().st_mtime_ns}


def dry_runs(folder: Path, config: dict, now) -> list:
    runs = [check_folder(folder, config, now, dry_run=True), remind(folder, config, now, dry_run=True),
            alert(folder, config, now, dry_run=True)]
    for command in ("check", "remind", "alert"):
        done = cli(command, str(folder), "--dry-run", "--now", now.isoformat())
        assert done.returncode == 0, done.stderr
    return runs


@pytest.mark.slow
def test_dry_run_on_a_fresh_folder_creates_and_changes_nothing(tmp_path):
    folder, config = outbox_folder(tmp_path)
    before = listing(folder)
    time.sleep(0.01)
    checked, reminded, alerted = dry_runs(folder, config, MORNING)
    assert listing(folder) == before and not (folder / ".duban").exists()
    assert {w.write for w in checked.workbooks if w.read.kind} == {"dry-run"}
    assert reminded.outgoing and alerted.outgoing                        # it still says who would get what
    assert {m.status for m in reminded.outgoing + alerted.outgoing} == {"dry-run"}


@pytest.mark.slow
def test_dry_run_with_state_reads_it_and_changes_nothing(tmp_path):
    folder, config = outbox_folder(tmp_path)
    remind(folder, config, MORNING)
    mails = len(list((folder / "outbox").glob("*.eml")))
    before = listing(folder)
    assert {".duban/state.db", ".duban/check.lock"} <= set(before)
    time.sleep(0.01)
    _checked, same_day, _alerted = dry_runs(folder, config, MORNING + timedelta(hours=1))
    assert same_day.outgoing == []                                       # the ledger was read: all told already
    next_day = remind(folder, config, MORNING + timedelta(days=1), dry_run=True)
    assert [m.to for m in next_day.outgoing if m.kind == "digest"]
    assert listing(folder) == before                                     # no -wal, -shm, lock or mtime change
    assert len(list((folder / "outbox").glob("*.eml"))) == mails


# ---- cell text cannot reorder or hide what a mail says --------------------------------------------------
@pytest.mark.slow
def test_bidi_and_control_characters_in_cells_are_neutralised_in_the_eml(tmp_path):
    title = "报销单\u202excod.exe_x001B_]0;pwned_x0007_\u2066隔离\u2069\u202a嵌\u202c\u202b入\u202d覆\u2067盖\u2068" \
            "\r\n第二行\t_x0000_末尾"
    folder, config = outbox_folder(tmp_path)
    write_workbook("tasks", folder / KINDS["tasks"].filename("zh"),
                   rows=[task(title, owner="张伟", status="blocked", priority="high")])
    remind(folder, config, MORNING)
    alert(folder, config, MORNING)
    files = sorted((folder / "outbox").glob("*.eml"))
    found = 0
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subject = str(message["Subject"])
        parts = [subject, message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()]
        if "报销单" not in "".join(parts):
            continue
        found += 1
        for part in parts:
            assert not set(part) & set(BIDI), path.name
        assert not set(subject) & set(C0), path.name
        for part in parts[1:]:
            assert not set(part) & (set(C0) - {"\n", "\r", "\t"}), path.name
            assert "报销单xcod.exe]0;pwned隔离嵌入覆盖第二行末尾" in part.replace(" ", "")
        text = parts[1]
        line = next(row for row in text.splitlines() if "报销单" in row)
        assert "第二行" in line                                            # CR/LF did not split the item's line
    subjects = [str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"]) for p in files]
    assert found >= 2 and "【督办·紧急】阻塞：报销单xcod.exe ]0;pwned 隔离嵌入覆盖  第二行  末尾" in subjects
