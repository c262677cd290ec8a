"""The platforms by the name `duban.toml` uses for them (wecom, dingtalk, feishu, lark, slack, teams).

Lark is Feishu outside China: the same protocol at open.larksuite.com, so the same module."""
from __future__ import annotations

from types import ModuleType

from duban.mailer.im import dingtalk, feishu, slack, teams, wecom

PLATFORMS: dict[str, ModuleType] = {m.NAME: m for m in (wecom, dingtalk, feishu, slack, teams)} | {"lark": feishu}
