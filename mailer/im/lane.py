"""A group's lane in the queue and what a queued group message holds.

The queue (mailer/queue.py) keeps each message's lane in its `channel` column: "mail", or one
per group bot, `group:<name>` (the name of its [im.groups.<name>] table), so that each group has
its own hold and its own order. A queued group message is the message itself, platform-neutral
(mailer.im.message.GroupMessage as JSON): its words are fixed when it is queued, and its platform's
bodies are built when it goes, from the group's settings of that moment (`Envelope.bodies`), so a
keyword fixed in duban.toml, or a group moved to another platform, reaches the messages already
waiting. The webhook address and the secret are not in it (they are read from the environment
when it goes), and the signature is made on each try (send.attempt).
"""
from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, replace

from duban.mailer.im.message import GroupMessage, Link, Person
from duban.mailer.im.platforms import PLATFORMS
from duban.mailer.im.words import footer

PREFIX = "group:"


def lane(group: str) -> str:
    return f"{PREFIX}{group}"


def group_of(lane_name: str) -> str:
    """The group a lane delivers to ("" for a lane that is not a group's)."""
    return lane_name[len(PREFIX):] if lane_name.startswith(PREFIX) else ""


@dataclass(frozen=True)
class Envelope:
    """What the queue stores for one group message: the group and the message, not yet shaped
    for any platform."""

    group: str
    message: GroupMessage

    def bodies(self, platform: str, keyword: str = "") -> list[dict]:
        """The bodies to post in order (WeCom's weekly chart is a second one) on `platform` (a
        duban.toml name), its footer carrying the group's current `keyword`."""
        said = replace(self.message, footer=footer(keyword, self.message.footer))
        return PLATFORMS[platform].build(said)

    def pack(self) -> bytes:
        said = asdict(self.message)
        said["image"] = base64.b64encode(self.message.image).decode("ascii") if self.message.image else None
        return json.dumps({"group": self.group, "message": said},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def unpack(cls, data: bytes) -> Envelope:
        found = json.loads(data.decode("utf-8"))
        said = found["message"]
        image = said.get("image")
        return cls(found["group"], GroupMessage(
            said["title"], tuple(said.get("lines", ())), tuple(Person(**p) for p in said.get("mentions", ())),
            base64.b64decode(image) if image else None, said.get("more", 0), said.get("language", "zh"),
            tuple(Link(**link) for link in said.get("links", ())), said.get("footer", GroupMessage.footer)))
