"""What a channel is: a renderer (a notice in, a finished message out), a transport (delivers the
queue's messages of that channel), and how it addresses a person (or says why it cannot).

The registry of channels is jobs/notify/channels.py; the outbox (jobs/notify/outbox.py) is the one
step that uses them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Protocol

from duban.jobs.notify.router import Notice
from duban.mailer.queued import Queued
from duban.mailer.seam import Transport
from duban.workbooks.model.directory import Person
from duban.workbooks.model.problems import Problem

# Every kind of notice the jobs produce; a channel's renderer says each (tests/test_channels.py).
NOTICE_KINDS = frozenset({"digest", "escalation", "alert", "problems", "summary", "notice", "answer"})


@dataclass(frozen=True)
class Composed:
    """A notice rendered for a channel: what the run's table lists, and the message to queue,
    built only when it is queued (a dry run lists the subject and builds nothing)."""

    subject: str
    items: int
    message: Callable[[], Queued]


class Renderer(Protocol):
    def compose(self, notice: Notice, key: str, now: datetime) -> Composed: ...


@dataclass(frozen=True)
class Channel:
    """One way duban reaches people. `renderer` is made once per run from the folder's settings;
    `address` is a person's address on this channel (None: it cannot reach them), and
    `unreachable` says why, as a problem for the clerks: (person, listed in the directory, where
    they were named).

    A channel delivers through one or more lanes: the queue's `channel` column, each lane with a
    transport of its own and a hold of its own (mail has one lane, "mail"; group bots one per
    group, "group:<name>", so a group with a wrong secret holds only its own messages).
    `lanes(settings)` names them (None: one lane, the channel's name); `transport(settings,
    folder, lane, now)` is made for each lane at each delivery (`now`: the run's clock, which a
    rate kept across runs counts in)."""

    name: str
    renderer: Callable[[Any, Path], Renderer]
    transport: Callable[[Any, Path, str, datetime], Transport]
    address: Callable[[Person], str | None]
    unreachable: Callable[[Person, bool, str], Problem]
    kinds: frozenset[str]            # the notice kinds its renderer can say
    lanes: Callable[[Any], list[str]] | None = None

    def lanes_of(self, settings) -> list[str]:
        return self.lanes(settings) if self.lanes is not None else [self.name]
