"""What the queue holds and what a delivery did, as data: a message to queue (`Queued`), a queued
one as listed (`QueuedMail`), and the report of one delivery (`DeliveryReport`)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Queued:
    """A finished message of a channel, to be stored under its idempotency key."""

    key: str
    kind: str
    recipients: list[str]     # the channel's addresses (mail: the envelope recipients)
    subject: str              # what the listing and the reports show
    message: bytes            # exactly what the transport sends, on every try
    channel: str = "mail"


@dataclass
class QueuedMail:
    id: int
    key: str
    kind: str
    recipients: list[str]
    subject: str
    status: str  # queued | sent | failed | given_up | set_aside
    attempts: int
    last_error: str | None  # for a sent mail: the recipients the server deferred or refused (each has a copy)
    queued_at: datetime
    not_before: datetime | None
    next_attempt: datetime
    sent_at: datetime | None
    unknown: int = 0        # sends after which no answer came: it may already have been delivered
    channel: str = "mail"   # the channel whose transport delivers it

    @classmethod
    def from_row(cls, row: tuple) -> QueuedMail:
        *head, recips, subject, status, attempts, error = row[:8]
        times = [datetime.fromisoformat(t) if t else None for t in row[8:12]]
        return cls(*head, json.loads(recips), subject, status, attempts, error, *times, row[12], row[13])


@dataclass
class DeliveryReport:
    sent: list[QueuedMail] = field(default_factory=list)
    failed: list[QueuedMail] = field(default_factory=list)
    given_up: list[QueuedMail] = field(default_factory=list)
    still_queued: list[QueuedMail] = field(default_factory=list)
    set_aside: list[QueuedMail] = field(default_factory=list)  # may have been delivered; for a person
    error: str | None = None  # why the server could not be reached, when it could not
    setting: str | None = None  # with `error`: the setting to fix (the queue is held until then)
    waiting: str | None = None  # a lane paused, not a fault (a group bot's rate limit): until when, why
    # every lane's (lane, error, setting) of this delivery: `error` and `setting` are the first's
    faults: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def unanswered(self) -> list[QueuedMail]:
        """Mail of this report that went at least once without an answer (may be delivered twice)."""
        return [m for m in self.sent + self.still_queued if m.unknown]

    @property
    def partial(self) -> list[QueuedMail]:
        """Sent mails that some recipients deferred or refused (named in `last_error`)."""
        return [m for m in self.sent if m.last_error]

    def then(self, later: DeliveryReport) -> DeliveryReport:
        """This delivery followed by `later` (in the same run) as one report."""
        return DeliveryReport(self.sent + later.sent, self.failed + later.failed, self.given_up + later.given_up,
                              later.still_queued, self.set_aside + later.set_aside, self.error or later.error,
                              self.setting or later.setting, self.waiting or later.waiting, self.faults + later.faults)

    def beside(self, other: DeliveryReport) -> DeliveryReport:
        """This delivery and `other`, of another channel in the same run, as one report."""
        return DeliveryReport(self.sent + other.sent, self.failed + other.failed, self.given_up + other.given_up,
                              self.still_queued + other.still_queued, self.set_aside + other.set_aside,
                              self.error or other.error, self.setting or other.setting, self.waiting or other.waiting,
                              self.faults + other.faults)
