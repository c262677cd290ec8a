"""The platforms by the name `duban.toml` uses for them (wecom, dingtalk, feishu, slack, teams)."""
from __future__ import annotations

from types import ModuleType

from duban.mailer.im import dingtalk, feishu, slack, teams, wecom

PLATFORMS: dict[str, ModuleType] = {m.NAME: m for m in (wecom, dingtalk, feishu, slack, teams)}
