"""A message for a group, as data, before any platform has shaped it.

The jobs say what a group should read (a title, one line per item, who should be @-mentioned, an
optional picture); each platform module turns that into its own JSON. Lines are plain text from
workbooks that anyone can edit: the platform modules neutralise them (text.py) and never let them
carry markup or a mention of their own. A person is @-mentioned only by an ID the platform knows
(a mobile number or a user ID from the directory); without one the name is written plainly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

# IDs come from the directory workbook, which anyone can edit: an ID that is not a plain token, or
# that names everybody ("all" in WeCom's mentioned_list is the whole group), is dropped, and the
# person is then written by name without an @.
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@\-]{0,79}")
EVERYONE = frozenset({"all", "everyone", "here", "channel"})
MOBILE = re.compile(r"\+?\d{5,20}")
# A link duban itself adds (the weekly archive): http(s) only, and no character that could close
# the markdown around it or open a mention; anything else is dropped and the label stays as text.
SAFE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#!$&'*+,;=%]{1,1000}")
MOST_MENTIONED = 30
SIGN_IN = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?")


def safe_id(value: str) -> str:
    value = str(value or "").strip()
    return value if SAFE_ID.fullmatch(value) and value.lower() not in EVERYONE else ""


def safe_mobile(value: str) -> str:
    value = re.sub(r"[\s\-()]", "", str(value or ""))
    return value if MOBILE.fullmatch(value) else ""


def safe_sign_in(value: str) -> str:
    value = str(value or "").strip()
    return value if SIGN_IN.fullmatch(value) else ""


@dataclass(frozen=True)
class Person:
    """Someone a message may @-mention. Every ID is optional; each platform uses the ones it can.

    mobile: DingTalk (atMobiles) and WeCom (mentioned_mobile_list);
    wecom / dingtalk: the user ID in that company's directory;
    feishu: an open_id (ou_…) or a user_id; slack: a member ID (U…); teams: the sign-in name (UPN).
    """
    name: str
    mobile: str = ""
    wecom: str = ""
    dingtalk: str = ""
    feishu: str = ""
    slack: str = ""
    teams: str = ""

    def __post_init__(self):
        for f in fields(self):
            if f.name != "name":
                clean = {"mobile": safe_mobile, "teams": safe_sign_in}.get(f.name, safe_id)
                object.__setattr__(self, f.name, clean(getattr(self, f.name)))


def safe_url(value: str) -> str:
    value = str(value or "").strip()
    return value if SAFE_URL.fullmatch(value) else ""


@dataclass(frozen=True)
class Link:
    """A link the sender adds below the lines (not cell text: cells never become links)."""
    label: str
    url: str

    def __post_init__(self):
        object.__setattr__(self, "url", safe_url(self.url))


@dataclass(frozen=True)
class GroupMessage:
    """title: one line; lines: the items, in order of importance (the cut keeps the first);
    more: items the sender already left out (counted in the "…另外 N 项" tail);
    image: PNG bytes (only WeCom shows it, as a second message); links: shown after the lines, never cut;
    footer: the last line of every message."""
    title: str
    lines: tuple[str, ...] = ()
    mentions: tuple[Person, ...] = ()
    image: bytes | None = None
    more: int = 0
    language: str = "zh"
    links: tuple[Link, ...] = ()
    footer: str = "督办 duban"   # also the keyword a keyword-secured DingTalk or Feishu bot can be given

    @property
    def addressed(self) -> tuple[Person, ...]:
        """The people named at the end: at most MOST_MENTIONED (a group bot is not a mailing list)."""
        return self.mentions[:MOST_MENTIONED]
