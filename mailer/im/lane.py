"""A group's lane in the queue and what a queued group message holds.

The queue (mailer/queue.py) keeps each message's lane in its `channel` column: "mail", or one
per group bot, `group:<name>` (the name of its [im.groups.<name>] table), so that each group has
its own hold and its own order. A queued group message is the platform's bodies as JSON, built
when the message is queued and never again, so every try sends the same text; the webhook
address and the secret are not in it (they are read from the environment when it goes), and the
signature is made on each try (send.attempt).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

PREFIX = "group:"


def lane(group: str) -> str:
    return f"{PREFIX}{group}"


def group_of(lane_name: str) -> str:
    """The group a lane delivers to ("" for a lane that is not a group's)."""
    return lane_name[len(PREFIX):] if lane_name.startswith(PREFIX) else ""


@dataclass(frozen=True)
class Envelope:
    """What the queue stores for one group message: the platform it was built for, the group,
    and the bodies to post in order (WeCom's weekly chart is a second body)."""

    platform: str
    group: str
    bodies: tuple[dict, ...]

    def pack(self) -> bytes:
        return json.dumps({"platform": self.platform, "group": self.group, "bodies": list(self.bodies)},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def unpack(cls, data: bytes) -> Envelope:
        found = json.loads(data.decode("utf-8"))
        return cls(found["platform"], found["group"], tuple(found["bodies"]))
