"""The channel registry: every way duban reaches people, declared in one place.

Mail is the first (jobs/notify/mailchannel.py), group bots the second (jobs/notify/groupchannel.py:
one lane per [im.groups] table, none without one). A new channel is a renderer and a transport
beside it, declared here as a `Channel`; tests/test_channels.py walks this registry and names
what a channel lacks.
"""
from __future__ import annotations

from duban.jobs.notify.channel import Channel
from duban.jobs.notify.groupchannel import GROUP
from duban.jobs.notify.mailchannel import MAIL

CHANNELS: dict[str, Channel] = {MAIL.name: MAIL, GROUP.name: GROUP}


def register(channel: Channel) -> Channel:
    """Add (or replace) a channel; returns it."""
    CHANNELS[channel.name] = channel
    return channel


def unregister(name: str) -> None:
    CHANNELS.pop(name, None)
