"""The outbox step: the one path every notice takes to the queue, whatever job made it.

Jobs produce notices (jobs.notify.router.Notice): digests, escalations, alerts and the problems
report (remind, alert), the weekly and monthly summaries, serve's notices to its admins. Here
each is
1. addressed on its channel (`reach`): a person the channel cannot reach gets nothing, and the
   channel says why, once per name, for the terminal and the clerks' problems report;
2. checked against the once-only ledger (jobs/notify/ledger.py): only what is news is told;
3. rendered by its channel's renderer (jobs/notify/channels.py);
4. held for the next office opening when made outside office hours (`mail.hold_outside_office_hours`),
   unless it is urgent;
5. queued under a key derived from what it tells (the queue refuses a key twice, ever), and
   noted in the ledger.
`deliver` then hands every channel's waiting messages to that channel's transport; a group's lane
whose group is no longer in duban.toml has none, so its messages fail at once with the sentence
that says how to send them after all (its hold, if any, ends).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from duban.jobs.notify.channel import Renderer
from duban.jobs.notify.channels import CHANNELS
from duban.jobs.notify.ledger import Ledger, filed_as
from duban.jobs.notify.quietlog import quieter
from duban.jobs.notify.router import Named, Notice
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.mailer.im.lane import group_of, lane
from duban.mailer.queue import MailQueue
from duban.mailer.queued import DeliveryReport
from duban.mailer.reasons import bilingual
from duban.workbooks.model.problems import Problem
from duban.workbooks.share.commandline import folder_arg


@dataclass
class Outgoing:
    """One message as planned: for the run's table and for --dry-run."""

    kind: str
    to: str
    email: str
    subject: str
    items: int
    status: str              # queued, held (until not_before), already (sent before), dry-run
    not_before: datetime | None = None
    cc: list[str] = field(default_factory=list)
    channel: str = "mail"


class Outbox:
    """One run's notices, from `reach` and `post` to the queue (the caller holds the run lock and
    opens the ledger and the queue; a dry run opens them read-only and queues nothing)."""

    def __init__(self, folder: Path, settings, now: datetime, ledger: Ledger | None, queue: MailQueue,
                 dry_run: bool = False):
        self.folder, self.settings, self.now, self.today = folder, settings, now, now.date()
        self.ledger, self.queue, self.dry_run = ledger, queue, dry_run
        self.calendar = calendar_from(settings)
        office = self.calendar.is_office_time(now) or not settings.mail.hold_outside_office_hours
        self.hold = None if office else self.calendar.next_opening(now)
        self.repeat_days = settings.mail.escalation_repeat_working_days
        self.outgoing: list[Outgoing] = []
        self.unknown: list[Problem] = []     # why a channel cannot reach someone, once per name
        self.skipped = 0                     # notices with nothing new since their recipient was told
        self._renderers: dict[str, Renderer] = {}

    def reach(self, notices: list[Notice], named: dict[str, Named]) -> list[Notice]:
        """The notices whose recipient their channel can reach, each copying only whom it can
        reach; for everyone else the channel's reason goes into `unknown`, in the order they were
        first named."""
        channels: dict[str, list[str]] = {}
        for notice in notices:
            for person in (notice.recipient, *notice.cc):
                channels.setdefault(person.name, []).append(notice.channel)
        lost: set[tuple[str, str]] = set()
        for name, found in named.items():
            for channel in dict.fromkeys(channels.get(name, ())):
                if CHANNELS[channel].address(found.person) is None:
                    lost.add((channel, name))
                    self.unknown.append(CHANNELS[channel].unreachable(found.person, found.listed, found.context))
        return [replace(n, cc=[p for p in n.cc if (n.channel, p.name) not in lost]) for n in notices
                if (n.channel, n.recipient.name) not in lost]

    def post(self, notice: Notice, fill: Callable[[Notice], Notice] | None = None) -> bool:
        """Queue the notice's news (True); False when there is none, it was queued before, or
        this is a dry run. `fill` completes a notice that is news (a summary's view and chart)
        before it is rendered, so nothing is made for a notice that is not sent."""
        found = self._news(notice)
        if found is None:
            return False
        notice, items, key = found
        if fill is not None:
            notice = fill(notice)
        composed = self._renderer(notice.channel).compose(notice, key, self.now)
        not_before = None if notice.urgent else self.hold
        person = notice.recipient
        out = Outgoing(notice.kind, person.name, person.email or "", composed.subject, composed.items,
                       "dry-run" if self.dry_run else ("held" if not_before else "queued"), not_before,
                       [p.name for p in notice.cc], lane(notice.group) if notice.group else notice.channel)
        self.outgoing.append(out)
        if self.dry_run:
            return False
        queued = self.queue.put(composed.message(), self.now, not_before)
        if not queued:
            out.status = "already"
        if self.ledger is not None and notice.once:
            self.ledger.record(notice, items, self.today, self.now, key, list(notice.topics))
        return queued

    def _news(self, notice: Notice):
        """(the notice with only what is new, its items, its queue key), or None."""
        name = notice.recipient.name
        if notice.once == "items":
            items = self.ledger.fresh(notice, self.today, self.calendar, self.repeat_days)
            if notice.kind == "digest" and notice.channel == "mail":    # quieter: unchanged rows one line, then gone
                rules = self.settings.rules
                items, _escalated = quieter(self.ledger.db, replace(notice, items=items), self.today, self.calendar,
                                            rules.still_open_after_days, rules.max_unchanged_reminders)
            if not items:
                self.skipped += 1
                return None
            notice = replace(notice, items=items)
            return notice, items, notice.key or item_key(notice, self.today)
        topic = notice.topics[0] if notice.topics else ""
        if notice.once == "day" and self.ledger.told_today(name, notice.kind, topic, self.today) or \
                notice.once == "ever" and self.ledger.ever_told_to(name, notice.kind, topic):
            self.skipped += 1
            return None
        if not (notice.items or notice.problems or notice.extra or notice.content):
            return None         # nothing to say (a problems report with no problem)
        return notice, [], notice.key or f"{notice.kind}:{name}:{self.today}"

    def _renderer(self, channel: str) -> Renderer:
        if channel not in self._renderers:
            self._renderers[channel] = CHANNELS[channel].renderer(self.settings, self.folder)
        return self._renderers[channel]


def item_key(notice: Notice, today: date) -> str:
    """The queue key of a notice about items: kind (as the ledger files it: an urgent group's repeat
    is "alert-repeat"), recipient, day and exactly which (item, rule, deadline) it tells."""
    told = sorted(f"{i.key}|{i.rule}|{i.deadline_key}" for i in notice.items)
    digest = hashlib.sha256("\n".join(told).encode()).hexdigest()[:16]
    return f"{filed_as(notice)}:{notice.recipient.name}:{today}:{digest}"


def deliver(folder: Path, settings, now: datetime, queue: MailQueue) -> DeliveryReport:
    """Send what the queue holds that is due now: each channel's lanes through their own transport."""
    report, known = DeliveryReport(), set()
    for channel in CHANNELS.values():
        for way in channel.lanes_of(settings):
            known.add(way)
            transport = channel.transport(settings, folder, way, now)
            report = report.beside(queue.deliver(transport, now, settings.mail.give_up_days, way))
    for way in sorted(queue.lanes() - known):      # a group taken out of duban.toml: nowhere to go
        if name := group_of(way):
            report.failed += queue.fail_lane(way, gone(name, folder_arg(Path(folder).absolute())), now)
    return report


def mail_fault(report: DeliveryReport) -> str | None:
    """Why mail's own lane could not go in this delivery (None: it could). A group lane's fault (its
    bot refused the key, its variable is unset) is that group's, and holds back no mail."""
    return next((error for lane, error, _setting in report.faults if not group_of(lane)), None)


def gone(group: str, folder: str) -> str:
    """Why a group's queued messages failed: the group is no longer in duban.toml (both languages)."""
    return bilingual(
        f"the group {group} is no longer in duban.toml: add it back under [im.groups.\"{group}\"] and run "
        f"duban outbox {folder} --retry --failed, or these messages stay undelivered",
        f"群「{group}」已不在 duban.toml 中：请在 [im.groups.\"{group}\"] 下把它加回来，然后运行 "
        f"duban outbox {folder} --retry --failed，否则这些消息不会送达")
