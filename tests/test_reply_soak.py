"""Issue 20's soak: 30 simulated days of `duban serve` over two twins of the demo, one acting from the mail.

The QUIET twin has [reply] on against Dovecot on loopback, due_soon_offsets [3, 1, 0], quieter digests
(still open after 2 days, at most 5 unchanged reminders) and tokens valid for 3 days. Its scripted
staff act FROM THE MAIL they got: take a digest the SMTP server received, find the row's `mailto:`
link, and APPEND a reply to the link's address with the link's command, From their own address:
acknowledgements, completions, progress, a snooze, a link replied to From somebody else, a link of
a nine-day-old mail, and a completion while the task workbook is open in Excel for a day.
The LOUD twin runs the shipped settings (no reply, nothing quieter); its staff make the same changes
by hand (openpyxl) at the moment the quiet twin's replies landed.
Then: every reply's cells are in the workbook, once (one journal "reply" event each, history says
who), the refused ones changed nothing and got one answer each, the waiting one landed after the
lock went, no reply read twice, no mail sent twice, fewer mails in the quiet twin, and every row
the loud twin told anyone about was told in the quiet one too, or resolved or snoozed by a reply.
"""
from __future__ import annotations

import email
import email.policy
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parsedate_to_datetime
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from books import owner_file
from duban.jobs.inbox.changes import ChangeStore
from duban.jobs.init import init_folder
from duban.jobs.serve.loop import Serve
from duban.jobs.settings import config
from duban.jobs.validate import read_folder
from duban.mailer.queue import MailQueue
from duban.mailer.reply.mailbox import DONE_FOLDER
from duban.workbooks.model.kinds import KINDS
from imap_server import ImapServer
from smtp_server import SmtpServer

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 0, 0, tzinfo=TZ)          # a Monday; November has no public holiday
END = START + timedelta(days=30)
LOCKED = (datetime(2026, 11, 10, 10, 0, tzinfo=TZ), datetime(2026, 11, 11, 10, 0, tzinfo=TZ))
PASSWORD_ENV = "DUBAN_TEST_REPLY_PASSWORD"
ROOT = Path(__file__).resolve().parent.parent
RUN = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"
KIND_OF = {"T": "tasks", "P": "projects", "R": "requests", "I": "incidents", "M": "meetings"}
SCHEDULE = {"check": "every 4 hours", "alert": "every 2 hours", "remind": "09:00", "summary_week": "off",
            "summary_month": "off", "inbox": "every 60 minutes in office hours"}
COMMAND = {"已完成": "done", "已收到": "acknowledge", "进度 ": "progress", "暂缓至 ": "snooze"}

# (day, what, the command the link carries, the body sent): acted on at 10:00, after the 09:00 digests;
# progress values no demo row has, so each reply changes its row
ACTS = [
    (date(2026, 11, 2), "apply", "已收到", "已收到"),
    (date(2026, 11, 3), "apply", "已完成", "已完成"),
    (date(2026, 11, 3), "apply", "进度 ", "进度 65%"),
    (date(2026, 11, 4), "apply", "暂缓至 ", "暂缓至 11-16"),
    (date(2026, 11, 5), "forged", "已完成", "已完成"),
    (date(2026, 11, 6), "apply", "已收到", "已收到"),
    (date(2026, 11, 10), "locked", "已完成", "已完成"),
    (date(2026, 11, 12), "expired", "已完成", "已完成"),
    (date(2026, 11, 16), "apply", "已完成", "已完成"),
    (date(2026, 11, 17), "apply", "进度 ", "进度 85%"),
    (date(2026, 11, 23), "apply", "已完成", "已完成"),
    (date(2026, 11, 25), "apply", "已收到", "已收到"),
    (date(2026, 11, 26), "apply", "进度 ", "进度 45%"),
    (date(2026, 11, 30), "apply", "已完成", "已完成"),
]
ARRIVALS = (datetime(2026, 11, 5, 10, 0, tzinfo=TZ), datetime(2026, 11, 24, 10, 0, tzinfo=TZ))


def arrivals(folder: Path, moment: datetime) -> None:
    """A new request comes in (both twins, by hand): someone has something to acknowledge again."""
    if moment not in ARRIVALS:
        return
    kind = KINDS["requests"]
    path = folder / kind.filename("zh")
    book = openpyxl.load_workbook(path)
    sheet = book[kind.sheet("zh")]
    keys = [c.key for c in kind.columns]
    r = max(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, keys.index("request") + 1).value) + 1
    values = {"request": f"协助需求 {moment:%m%d}", "from_dept": "市场部", "requester": "张伟", "to_dept": "研发部",
              "receiver": "马超", "priority": "中", "submitted": moment.replace(tzinfo=None),
              "wanted_by": (moment + timedelta(days=5)).replace(tzinfo=None), "status": "待确认"}
    for key, value in values.items():
        sheet.cell(r, keys.index(key) + 1).value = value
    book.save(path)


def unacknowledged(message, item: str) -> bool:
    """The mail tells `item` as not acknowledged (a person acknowledges what is asked, nothing else)."""
    text = message.get_body(("plain",)).get_content()
    return any(f"[{item}" in part and part.startswith("未确认接收") for part in text.split("\n== ")[1:])


def _settings(folder: Path, smtp: SmtpServer, imap: ImapServer | None) -> object:
    text = (folder / "duban.toml").read_text(encoding="utf-8")
    text = text.replace('transport = "outbox"', 'transport = "smtp"', 1).replace("port = 465", f"port = {smtp.port}")
    text = text.replace('security = "ssl"', 'security = "none"').replace("max_per_minute = 60", "max_per_minute = 10000")
    for job, value in SCHEDULE.items():
        text = re.sub(rf"(?m)^{job} = .*$", f'{job} = "{value}"', text, count=1)
    if imap is not None:
        for key, value in (("due_soon_offsets", "[3, 1, 0]"), ("still_open_after_days", "2"),
                           ("max_unchanged_reminders", "5")):
            text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        text += (f'\n[reply]\nenabled = true\naddress = "duban@example.com"\nvalid_days = 3\n'
                 f'[reply.imap]\nhost = "{imap.host}"\nport = {imap.port}\nsecurity = "none"\n'
                 f'user = "{imap.user}"\npassword_env = "{PASSWORD_ENV}"\n')
    (folder / "duban.toml").write_text(text, encoding="utf-8")
    return config.load(folder)


def links(message) -> list[dict]:
    """Every mailto: link of a mail's HTML part, as a mail app splits it: address, subject, body."""
    html = message.get_body(("html",))
    found = []
    for href in re.findall(r'<a href="(mailto:[^"]+)"', html.get_content() if html else ""):
        url = urlsplit(unescape(href))
        query = parse_qs(url.query, keep_blank_values=True)
        found.append({"address": unquote(url.path), "subject": query["subject"][0], "body": query["body"][0]})
    return found


def day_of(message) -> date:
    return parsedate_to_datetime(message["Date"]).astimezone(TZ).date()


class Replier:
    """The quiet twin's staff: reply from the mail they got; keep the task workbook open for a day."""

    def __init__(self, folder: Path, smtp: SmtpServer, imap: ImapServer, addresses: dict[str, str]):
        self.folder, self.smtp, self.imap, self.addresses = folder, smtp, imap, addresses
        self.acts: list[dict] = []
        self.lock: Path | None = None
        self.pending_while_locked: tuple | None = None

    def __call__(self, serve: Serve, moment: datetime) -> None:
        arrivals(self.folder, moment)
        tasks = self.folder / KINDS["tasks"].filename("zh")
        if LOCKED[0] <= moment < LOCKED[1] and self.lock is None:
            self.lock = owner_file(tasks, "李娜")
        elif moment >= LOCKED[1] and self.lock is not None:
            self.lock.unlink()
            self.lock = None
        if self.lock is not None and moment.hour == 15 and moment.minute == 0 and self.pending_while_locked is None:
            locked = [a for a in self.acts if a["what"] == "locked"]
            with ChangeStore(self.folder / ".duban" / "state.db", read_only=True) as store:
                self.pending_while_locked = tuple(store.status(a["mid"]) for a in locked)
        if moment.hour == 10 and moment.minute == 0:
            for day, what, offered, body in ACTS:
                if day == moment.date():
                    self.act(moment, what, offered, body)

    def mails(self, day: date) -> list:
        """Digests and alerts delivered on `day`, by recipient name, as the SMTP server got them."""
        got = [r.message for r in self.smtp.received if day_of(r.message) == day and r.message["To"]]
        return sorted(got, key=lambda m: (str(m["To"]), str(m["Subject"])))

    def act(self, moment: datetime, what: str, offered: str, body: str) -> None:
        taken = {a["item"] for a in self.acts}
        source_day = date(2026, 11, 2) if what == "expired" else moment.date()
        for message in self.mails(source_day):
            recipient = message["To"].addresses[0]
            for link in links(message):
                item = link["subject"].split()[-1]
                if link["body"] != offered or item in taken:
                    continue
                if offered == "已收到" and not unacknowledged(message, item):
                    continue
                if what == "locked" and not item.startswith("T-"):
                    continue
                sender = recipient.addr_spec
                if what == "forged":          # the link's reply sent From another person of the directory
                    sender = next(a for n, a in sorted(self.addresses.items()) if a != recipient.addr_spec)
                mid = f"<soak-{len(self.acts) + 1}-{what}@phone.example>"
                reply = EmailMessage(policy=email.policy.SMTP)
                reply["From"] = sender
                reply["To"] = link["address"]
                reply["Subject"] = link["subject"]
                reply["Date"] = format_datetime(moment + timedelta(minutes=1))
                reply["Message-ID"] = mid
                reply["In-Reply-To"] = str(message["Message-ID"])
                reply.set_content(body + "\n")
                self.imap.append(reply.as_bytes())
                self.acts.append({"what": what, "item": item, "command": COMMAND[offered], "body": body,
                                  "mid": mid, "sender": sender, "recipient": recipient.display_name,
                                  "at": moment, "from_day": source_day})
                return      # a link not found: the count of acts below says so


class Hand:
    """The loud twin's staff: the same changes, by hand in Excel (openpyxl), when the quiet twin's landed."""

    def __init__(self, folder: Path, changes: list[tuple[datetime, str, str, str | None]]):
        self.folder, self.changes, self.made = folder, sorted(changes), []

    def __call__(self, serve: Serve, moment: datetime) -> None:
        arrivals(self.folder, moment)
        while self.changes and self.changes[0][0] <= moment:
            _at, item, command, value = self.changes.pop(0)
            self.edit(moment, item, command, value)

    def edit(self, moment: datetime, item: str, command: str, value: str | None) -> None:
        kind = KINDS[KIND_OF[item[0]]]
        path = self.folder / kind.filename("zh")
        book = openpyxl.load_workbook(path)
        sheet = book[kind.sheet("zh")]
        keys = [c.key for c in kind.columns]
        col = {k: keys.index(k) + 1 for k in keys}
        [row] = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col["id"]).value == item]
        now = moment.replace(tzinfo=None)
        if command == "done":
            sheet.cell(row, col["status"]).value = "已完成"
            if "progress" in col:
                sheet.cell(row, col["progress"]).value = 1
        elif command == "progress":
            sheet.cell(row, col["progress"]).value = int(value) / 100
        elif command == "acknowledge":
            sheet.cell(row, col["acknowledged"]).value = now
            sheet.cell(row, col["status"]).value = "已接收"
        else:                        # before issue 20 there was no snooze: the loud twin's staff do nothing
            book.close()
            return
        if "last_update" in col:
            sheet.cell(row, col["last_update"]).value = now
        book.save(path)
        self.made.append((item, command))


def values(folder: Path, settings, item: str) -> dict:
    for read in read_folder(folder, settings, END.date()):
        for record in read.records:
            if record.get("id") == item:
                return dict(record.values)
    raise AssertionError(f"no row {item}")


def mail_counts(db: Path) -> Counter:
    with MailQueue(db, read_only=True) as queue:
        return Counter(q.kind for q in queue.entries(status="sent", channel="mail"))


def told(db: Path) -> set[str]:
    with sqlite3.connect(db) as con:
        return {i for (i,) in con.execute("SELECT DISTINCT item FROM notified")}


def digest_days(db: Path, item: str) -> list[str]:
    """The days a digest told anyone about `item`, as the ledger says."""
    with sqlite3.connect(db) as con:
        return sorted({d for (d,) in con.execute("SELECT day FROM notified WHERE item=? AND kind='digest'", (item,))})


def history(folder: Path, item: str) -> str:
    done = subprocess.run([sys.executable, "-c", RUN, "history", str(folder), item], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, timeout=120,
                          env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())


def unique_mail(smtp: SmtpServer, db: Path) -> None:
    """No mail twice: one copy per (Message-ID, recipient) at the server, one queue key each."""
    received = Counter((r.message["Message-ID"], t.lower()) for r in smtp.received for t in r.rcpt_tos)
    assert received and max(received.values()) == 1, [k for k, n in received.items() if n > 1][:3]
    with MailQueue(db, read_only=True) as queue:
        keys = Counter(q.key for q in queue.entries())
    assert max(keys.values()) == 1


@pytest.mark.slow
def test_thirty_days_acting_from_the_mail_send_fewer_mails_and_lose_nothing(tmp_path, monkeypatch):
    quiet, loud = tmp_path / "quiet", tmp_path / "loud"
    for folder in (quiet, loud):
        init_folder(folder, lang="zh", demo=True, force=False, today=START.date(), now=START)
    imap = ImapServer()
    quiet_smtp, loud_smtp = SmtpServer(), SmtpServer()
    try:
        imap.start()
        monkeypatch.setenv(PASSWORD_ENV, imap.password)
        quiet_smtp.start()
        settings = _settings(quiet, quiet_smtp, imap)
        addresses = _addresses(quiet, settings)
        staff = Replier(quiet, quiet_smtp, imap, addresses)
        assert Serve(quiet, settings, start=START, until=END, hook=staff).run() == 0
        db = quiet / ".duban" / "state.db"
        with ChangeStore(db, read_only=True) as store:
            landed = {a["mid"]: store.status(a["mid"]) for a in staff.acts}
            applied_at = dict(store.db.execute("SELECT message_id, applied_at FROM reply_changes"))
            stored = store.db.execute("SELECT message_id, item, command, value, applied_at FROM reply_changes "
                                      "WHERE status='applied'").fetchall()
        inbox_left, done_folder = imap.count("INBOX"), imap.count(DONE_FOLDER)

        loud_smtp.start()
        loud_settings = _settings(loud, loud_smtp, None)
        hand = Hand(loud, [(datetime.fromisoformat(at), item, command, value)
                           for _mid, item, command, value, at in stored])
        assert Serve(loud, loud_settings, start=START, until=END, hook=hand).run() == 0
    finally:
        quiet_smtp.stop()
        loud_smtp.stop()
        imap.close()

    acts = staff.acts
    print("\nreplies:", [(a["at"].date().isoformat(), a["what"], a["item"], a["body"], a["sender"]) for a in acts])
    by_what = Counter(a["what"] for a in acts)
    assert by_what == Counter(what for _day, what, _offered, _body in ACTS), acts      # each act found its link
    assert {a["command"] for a in acts if a["what"] == "apply"} == {"done", "acknowledge", "progress", "snooze"}

    # ---- each reply's cells are in the workbook, once; history says who -------------------------------------
    with sqlite3.connect(db) as con:
        events = Counter(i for (i,) in con.execute("SELECT id FROM events WHERE event='reply'"))
        answered = dict(con.execute("SELECT message_id, code FROM inbox_replies WHERE outcome='answered'"))
    applied = [a for a in acts if a["what"] in ("apply", "locked")]
    assert {a["mid"]: landed[a["mid"]][0] for a in applied} == {a["mid"]: "applied" for a in applied}
    assert events == Counter(a["item"] for a in applied)          # exactly one "reply" event per applied reply
    for a in applied:
        row = values(quiet, settings, a["item"])
        if a["command"] == "done":
            assert row["status"] == "done", a
        elif a["command"] == "progress":
            assert row["progress"] == int(a["body"].split()[-1].rstrip("%")) / 100, a
        elif a["command"] == "acknowledge":
            assert row["acknowledged"] is not None and row["acknowledged"].date() == a["at"].date(), (a, row)
        else:
            assert row["snoozed"] == date(2026, 11, 16), (a, row)
        said = history(quiet, a["item"])
        assert f"由{a['recipient']}通过邮件回复修改" in said, said

    # ---- the forged and the expired ones changed nothing and got exactly one answer each ------------------
    mails = [r.message for r in quiet_smtp.received]
    for what, code in (("forged", "wrong-sender"), ("expired", "expired")):
        [a] = [a for a in acts if a["what"] == what]
        assert landed[a["mid"]] is None and events[a["item"]] == sum(b["item"] == a["item"] for b in applied), a
        assert answered.get(a["mid"]) == code, (a, answered)
        to_sender = [m for m in mails if m["In-Reply-To"] == a["mid"]]
        assert [str(m["To"].addresses[0].addr_spec) for m in to_sender] == [a["sender"]], to_sender
    [forged] = [a for a in acts if a["what"] == "forged"]
    clerks = [m for m in mails if "wangfang@example.com" in str(m["To"]) and forged["item"] in _text(m)
              and forged["sender"] in _text(m)]
    assert len(clerks) == 1
    [expired] = [a for a in acts if a["what"] == "expired"]
    assert (expired["at"].date() - expired["from_day"]).days > 3

    # ---- the reply while the workbook was open waited, then landed once after the lock went --------------
    [locked] = [a for a in acts if a["what"] == "locked"]
    assert staff.pending_while_locked == (("pending", ""),), staff.pending_while_locked
    assert datetime.fromisoformat(applied_at[locked["mid"]]) >= LOCKED[1]

    # ---- no reply read twice: the mailbox empty, every reply in the done folder -----------------------------
    assert inbox_left == 0 and done_folder == len(acts)

    # ---- fewer mails, no mail twice, nothing lost ---------------------------------------------------------
    loud_db = loud / ".duban" / "state.db"
    unique_mail(quiet_smtp, db)
    unique_mail(loud_smtp, loud_db)
    quiet_count, loud_count = mail_counts(db), mail_counts(loud_db)
    print(f"\nreply soak, mails sent over 30 days: loud {sum(loud_count.values())} {dict(loud_count)}; "
          f"quiet {sum(quiet_count.values())} {dict(quiet_count)}; "
          f"received loud {len(loud_smtp.received)}, quiet {len(quiet_smtp.received)}; "
          f"replies {dict(by_what)}; loud hand edits {len(hand.made)}; "
          f"state.db {db.stat().st_size / 1e6:.1f} MB")
    assert sum(quiet_count.values()) < sum(loud_count.values())
    assert hand.made and len(hand.made) == sum(a["command"] != "snooze" for a in applied)
    resolved = {a["item"] for a in applied}
    lost = told(loud_db) - told(db) - resolved
    assert not lost, sorted(lost)
    print(f"rows told: loud {len(told(loud_db))}, quiet {len(told(db))}; replied to {len(resolved)}")

    # ---- the snooze: out of the digests until the day, back then; the due date as it was -------------------
    [snoozed] = [a for a in acts if a["command"] == "snooze"]
    quiet_days, loud_days = digest_days(db, snoozed["item"]), digest_days(loud_db, snoozed["item"])
    between = lambda days: [d for d in days if "2026-11-05" <= d < "2026-11-16"]     # noqa: E731
    assert between(loud_days) and not between(quiet_days), (loud_days, quiet_days)
    assert any(d >= "2026-11-16" for d in quiet_days), quiet_days
    assert values(quiet, settings, snoozed["item"])["due"] == values(loud, loud_settings, snoozed["item"])["due"]
    assert db.stat().st_size < 50 * 1024 * 1024


def _addresses(folder: Path, settings) -> dict[str, str]:
    from duban.workbooks.model.directory import Directory
    directory = Directory.from_reads(read_folder(folder, settings, START.date()))
    return {name: person.email for name, person in directory.people.items() if person.email}


def _text(message) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())
