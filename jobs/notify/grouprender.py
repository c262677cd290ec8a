"""Group notices rendered for their group's bot: the message said (mailer/im/say.py), packed as the
queue stores a group message (an Envelope in the group's lane; the webhook address and the secret
are read only when it goes).

The words are fixed here, once, when the notice is queued: every try posts the same text. Only
their platform's shape (the bodies, the keyword in the footer) is made when the message goes
(mailer/im/transport.py), from the group's settings then, so a fixed keyword or a group moved to
another platform reaches what is already waiting.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from duban.jobs.notify.channel import Composed
from duban.jobs.notify.router import Notice
from duban.mailer.im import message as im
from duban.mailer.im.lane import Envelope, lane
from duban.mailer.im.say import message
from duban.mailer.im.words import listing
from duban.mailer.queued import Queued
from duban.mailer.share import Share
from duban.workbooks.model.directory import Person
from duban.workbooks.model.errors import ConfigError


def mentioned(person: Person) -> im.Person:
    """A directory person as a group message can @ them: by the IDs the directory gives (the
    message drops any that is not a plain ID); none: the plain name."""
    return im.Person(person.name, person.mobile or "", wecom=person.wecom_id or "",
                     dingtalk=person.dingtalk_id or "", feishu=person.feishu_id or "")


class GroupRenderer:
    """Renders a folder's group notices: the file's place by `mail.share_path` (as the mail names
    it), for a group `[im.groups]` lists."""

    def __init__(self, settings, folder: Path):
        self.settings = settings
        self.share = Share.of(settings.mail.share_path, folder)

    def compose(self, notice: Notice, key: str, now: datetime) -> Composed:
        group = self.settings.im.group(notice.group)
        if group is None:
            raise ConfigError(f"a group message is for the group {notice.group!r}, which [im.groups] does not list",
                              f"有一条群消息要发往群「{notice.group}」，但 [im.groups] 中没有这个群")
        said, told = message(notice, notice.lang, now, self.share, tuple(mentioned(p) for p in notice.mentions),
                             self.scope(notice))

        def build() -> Queued:
            envelope = Envelope(group.name, said)
            return Queued(key, notice.kind, [group.name], said.title, envelope.pack(), lane(group.name))
        return Composed(said.title, told, build)

    def scope(self, notice: Notice) -> str:
        """Whose digest it is: the department(s) the jobs name (content "department" or
        "departments"), else those [im.departments] sends to this group, else the group."""
        content = notice.content if isinstance(notice.content, dict) else {}
        named = content.get("department") or listing(content.get("departments") or (), notice.lang)
        mapped = [d for d, g in self.settings.im.departments.items() if g == notice.group]
        return named or listing(mapped, notice.lang) or notice.group
