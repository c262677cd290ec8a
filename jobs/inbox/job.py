"""`duban inbox`: read the replies to duban's mail, store what may be applied, answer what may not,
then write the stored changes into the workbooks (jobs/inbox/apply.py).

For each waiting reply, oldest first: one already handled (its Message-ID stored as a change or as
answered) is just moved to the done folder; otherwise it is decided (jobs/inbox/decide.py), the
change or the answer is stored, and only then is the mail moved. A crash in between reads it again
next time, and the Message-ID makes that harmless: the change store refuses it and the answer's
queue key is taken. Answers go through the one outbox (kind "answer"), like every other mail.

The job holds the folder's run lock ("inbox") for its whole run, so it never writes a workbook
while a check or remind writes it too.
"""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from duban.jobs.check import CheckReport, check_folder
from duban.jobs.inbox import answers
from duban.jobs.inbox.apply import apply_pending
from duban.jobs.inbox.changes import Change, ChangeStore
from duban.jobs.inbox.decide import Decision, decide, first_line, mailbox_of, message_id, received_at, sender
from duban.jobs.inbox.reasons import Reason, refused
from duban.jobs.inbox.replies import Replies, sent_pairs
from duban.jobs.notify.outbox import Outbox, Outgoing, deliver
from duban.jobs.settings.typed import Settings
from duban.jobs.state.runlock import run_lock, state_dir
from duban.jobs.validate import read_folder
from duban.mailer.queue import MailQueue
from duban.mailer.queued import DeliveryReport
from duban.mailer.reasons import error_text, setting_text
from duban.mailer.reply import quoted, token
from duban.mailer.reply.mailbox import Mailbox
from duban.mailer.seam import SetupError, TemporaryFailure
from duban.workbooks.model.directory import Directory

DISABLED = Reason(
    "reply-disabled",
    "回复更新未开启：duban.toml 中 [reply] 的 enabled 为 false。",
    "Update by reply is off: [reply] enabled is false in duban.toml.",
    "如需开启，请在 duban.toml 中写入 [reply] enabled = true、address（回复邮箱地址），以及 [reply.imap] 的 host、user "
    "和 password_env（保存 IMAP 密码的环境变量名），然后再运行 duban inbox。",
    "To turn it on, write [reply] enabled = true and address (the reply mailbox's address), and under [reply.imap] "
    "host, user and password_env (the variable that holds the IMAP password) in duban.toml, then run duban inbox "
    "again.")


@dataclass
class Handled:
    """One reply in the run's table: who sent it, about which item, what it asked, what became of it.
    `outcome`: stored (waiting for the write), applied, waiting (the workbook is open), refused,
    answered, ignored (an automatic reply), already (handled before)."""

    message_id: str
    sender: str
    item: str = ""
    command: str = ""
    outcome: str = ""
    reason: Reason | None = None


@dataclass
class InboxRun:
    now: datetime
    dry_run: bool = False
    disabled: Reason | None = None                 # [reply] enabled = false: what to set
    replies: list[Handled] = field(default_factory=list)
    outcomes: list = field(default_factory=list)   # apply.Outcome of every change written (or not) now
    answers: list[Outgoing] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    failure: TemporaryFailure | SetupError | None = None    # the mailbox could not be read
    check: CheckReport | None = None               # the check run after replies changed workbooks

    @property
    def failed(self) -> bool:
        """The run could not do its work: the CLI's exit code says so."""
        return self.disabled is not None or self.failure is not None


def inbox(folder: Path, settings: Settings, now: datetime, dry_run: bool = False) -> InboxRun:
    """Read, decide, store, answer, move; then apply what is stored. See the module docstring."""
    run = InboxRun(now, dry_run)
    if not settings.reply.enabled:
        run.disabled = DISABLED
        return run
    db = folder / settings.state.path
    with run_lock(folder, settings, "inbox", dry_run):
        imap = settings.reply.imap
        try:
            with Mailbox(imap.host, imap.port, imap.user, imap.password(), imap.security, imap.folder,
                         imap.done_folder) as box:
                waiting = box.waiting()
                if waiting:
                    _read(folder, settings, now, dry_run, db, box, waiting, run)
        except (TemporaryFailure, SetupError) as exc:
            run.failure = exc
        if not dry_run:
            _apply(folder, settings, now, db, run)
    return run


def _read(folder: Path, settings: Settings, now: datetime, dry_run: bool, db: Path, box: Mailbox,
          waiting: list[tuple[str, bytes]], run: InboxRun) -> None:
    """Decide each waiting reply; store its change or its answer; then move it to the done folder."""
    reads = read_folder(folder, settings, now.date())
    directory = Directory.from_reads(reads)
    keys = token.Keys(state_dir(folder, settings))
    pairs = sent_pairs(db, read_only=dry_run)
    share = settings.mail.share_path or str(folder.absolute())   # where staff find it
    with ChangeStore(db, read_only=dry_run) as changes, Replies(db, read_only=dry_run) as replies, \
            MailQueue(db, read_only=dry_run) as queue:
        outbox = Outbox(folder, settings, now, None, queue, dry_run)
        for uid, raw in waiting:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            mid = message_id(message, raw)
            name, address = sender(message)
            if changes.seen(mid) or replies.seen(mid):
                run.replies.append(Handled(mid, address, outcome="already"))
            else:
                run.replies.append(_one(message, mid, name, address, settings, now, keys, pairs, directory, share,
                                        changes, replies, outbox))
            if not dry_run:
                box.handled(uid)        # only now: the change or the answer is stored
        run.answers = outbox.outgoing
        if not dry_run and outbox.outgoing:
            run.delivery = deliver(folder, settings, now, queue)


def _one(message, mid: str, name: str, address: str, settings: Settings, now: datetime, keys: token.Keys,
         pairs: list[tuple[str, str]], directory: Directory, share: str, changes: ChangeStore, replies: Replies,
         outbox: Outbox) -> Handled:
    """One reply not handled before: decided, then its change or its answer stored."""
    try:
        text = quoted.new_text(message)
        own = frozenset(mailbox_of(a) for a in (settings.mail.sender, settings.reply.address) if a)
        decision = decide(message, text, keys, pairs, directory, now.date(), settings.reply.valid_days, share, own)
    except Exception:  # noqa: BLE001 - one mail no parser can read must not stop the box for ever
        text, decision = "", Decision("ignore", Reason("unreadable", "无法读取这封邮件。", "This mail cannot be read.",
                                                       "无需操作。", "Nothing."))
    line = first_line(text)
    handled = Handled(mid, address, decision.item, decision.command.kind if decision.command else "")
    if decision.outcome == "change":
        command = decision.command
        issued = token.issued_on(token.find([str(v) for h in ("to", "cc", "delivered-to")
                                             for v in message.get_all(h, [])], str(message.get("subject") or "")) or "")
        changes.add(Change(mid, decision.item, decision.person, command.kind, _value(command.value),
                           received_at(message, now, issued), address))
        handled.outcome = "stored"
    elif decision.outcome == "answer":
        _answer(outbox, settings, directory, mid, name, address, decision, line)
        handled.outcome, handled.reason = "answered", decision.reason
    else:
        handled.outcome, handled.reason = "ignored", decision.reason
    replies.record(mid, handled.outcome, decision.reason.code if decision.reason else "", decision.item, address,
                   line, now)
    return handled


def _answer(outbox: Outbox, settings: Settings, directory: Directory, mid: str, name: str, address: str,
            decision: Decision, line: str) -> None:
    """The answer to the sender and, for a reply from someone else, the clerks' mail."""
    person = answers.to_sender(name, address, directory, settings.lang)
    if person is not None and decision.reason is not None:
        outbox.post(answers.answer(person, mid, decision.reason, line, decision.item))
    if decision.tell_clerks:
        notice = answers.to_clerks(settings.mail.clerks, directory, settings.lang, mid, decision.item,
                                   decision.person, address, line)
        if notice is not None:
            outbox.post(notice)


def _value(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _apply(folder: Path, settings: Settings, now: datetime, db: Path, run: InboxRun) -> None:
    """Write what is stored (this run's and earlier ones'); answer each refused change once."""
    run.outcomes = apply_pending(folder, settings, now)
    if not run.outcomes:
        return
    if any(o.status == "applied" and o.cells for o in run.outcomes):
        # the rows just changed get their colour and 系统提示 now (a row marked done stops saying
        # "逾期"), not at the next scheduled check; the run lock is this run's already
        run.check = check_folder(folder, settings, now)
    rows = {h.message_id: h for h in run.replies if h.outcome != "already"}     # a copy read twice stays "already"
    refusals = [o for o in run.outcomes if o.status == "refused"]
    directory = Directory.from_reads(read_folder(folder, settings, now.date())) if refusals else Directory()
    share = settings.mail.share_path or str(folder.absolute())   # where staff find it
    with Replies(db) as replies, MailQueue(db) as queue:
        outbox = Outbox(folder, settings, now, None, queue)
        for outcome in run.outcomes:
            change = outcome.change
            row = rows.get(change.message_id)
            if row is None:
                row = Handled(change.message_id, change.sender, change.item, change.command)
                run.replies.append(row)
            row.outcome = outcome.status
            if outcome.status != "refused":
                continue
            row.reason = refused(outcome.code, outcome.zh, outcome.en, share)
            person = answers.to_sender("", change.sender, directory, settings.lang)
            if person is not None:
                outbox.post(answers.answer(person, change.message_id, row.reason,
                                           replies.first_line(change.message_id), change.item))
        run.answers += outbox.outgoing
        if outbox.outgoing:
            delivered = deliver(folder, settings, now, queue)
            run.delivery = run.delivery.then(delivered) if run.delivery else delivered


def facts(run: InboxRun) -> dict:
    """What serve records of an inbox run (jobs/tasks.py): counts by outcome and a summary line; a
    mailbox that could not be read is a failed run, with its sentence and the setting to change."""
    counts: dict[str, int] = {}
    for row in run.replies:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    queued = sum(1 for a in run.answers if a.status in ("queued", "held"))
    summary = (f"inbox: {len(run.replies)} reply(ies)" + "".join(f", {n} {k}" for k, n in sorted(counts.items()))
               + f"; {queued} answer(s) queued")
    found = {"summary": summary, "replies": counts, "mails": queued,
             "outgoing": [(a.kind, a.to, a.subject, 1) for a in run.answers[:200]]}
    if run.disabled is not None:
        found["summary"] = "inbox: [reply] enabled = false, nothing read"
    if run.failure is not None:
        error = f"the reply mailbox cannot be read: {error_text(run.failure.reason, 'en')}"
        if isinstance(run.failure, SetupError):
            error += f" (change {setting_text(run.failure.setting, 'en')} in duban.toml)"
        found.update(result="failed", error=error[:1000])
    return found
