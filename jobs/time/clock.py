"""The one place duban reads the wall clock; everything else is handed a time (and `--now` replaces it)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from duban.workbooks.model.errors import ConfigError, UsageError


def zone(name: str) -> ZoneInfo:
    """The zone called `name` (company.timezone); a ConfigError naming the setting when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"duban.toml: company.timezone '{name}' is not a known time zone. "
                          f"Use an IANA name such as 'Asia/Shanghai'.") from None


def now(tz: ZoneInfo, override: str | None = None) -> datetime:
    """The current time in the company's zone `tz`, or `override` (ISO 8601; naive means company time)."""
    if not override:
        return datetime.now(tz)
    try:
        moment = datetime.fromisoformat(override)
    except ValueError:
        raise UsageError(f"--now “{override}” 不是 ISO 日期时间，请写成 2026-11-23T09:00 这样。 / "
                         f"--now '{override}' is not an ISO date-time. Write it like 2026-11-23T09:00.") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
