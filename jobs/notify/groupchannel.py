"""Group bots, the second channel: a group's notices rendered for its platform (GroupRenderer),
queued in the group's own lane (`group:<name>`, one per [im.groups] table) and posted by that
group's transport. Its "person" is the group itself (router.group_recipient: "#<group>")."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from duban.jobs.notify.channel import NOTICE_KINDS, Channel
from duban.jobs.notify.grouprender import GroupRenderer
from duban.mailer.im.lane import group_of, lane
from duban.workbooks.model.directory import Person
from duban.workbooks.model.problems import Problem


def address(person: Person) -> str | None:
    """The group a group notice goes to: its recipient is "#<group>"; anyone else is no group."""
    return person.name[1:] if person.name.startswith("#") and len(person.name) > 1 else None


def unreachable(person: Person, listed: bool, context: str) -> Problem:
    """Why no group message can go to `person`: it names no group [im.groups] lists."""
    return Problem("group-unknown", context, value=person.name.lstrip("#"))


def transport(settings, folder: Path, lane_name: str, now: datetime):
    """The lane's group bot: its webhook read from the environment when a message goes, the pace
    of its sends kept in the state database."""
    # imported here: the HTTP client loads only when a group has something to send
    from duban.mailer.im.transport import GroupTransport
    return GroupTransport(settings.im.groups[group_of(lane_name)], folder / settings.state.path, now)


def lanes(settings) -> list[str]:
    return [lane(name) for name in settings.im.groups]


GROUP = Channel("group", GroupRenderer, transport, address, unreachable, NOTICE_KINDS, lanes)
