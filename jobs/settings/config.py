"""Loading duban.toml: the shipped defaults, overlaid with the folder's own file, checked key by key.

Every key a user may set exists in `defaults.toml` with its default value, so the defaults
file is both the documentation written by `duban init` and the schema used to check a
user's file: an unknown key or a value of the wrong type is a `ConfigError` naming the key.
`LIMITS` below adds each key's allowed range or form (one line per key; a key without a line
there is type-checked only), so a bad value stops the command with exit code 2 and a sentence
naming the file, the key, the value found and an example, instead of misbehaving later.
"""
from __future__ import annotations

import copy
import difflib
import fnmatch
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Callable

from duban.workbooks.model.errors import ConfigError

CONFIG_NAME = "duban.toml"


def default_text() -> str:
    return resources.files("duban.jobs.settings").joinpath("defaults.toml").read_text(encoding="utf-8")


def defaults() -> dict:
    return tomllib.loads(default_text())


# ---- what each setting may be ----------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """One setting's rule: `check(value)` returns the value to use, or raises ValueError; `says`
    is the phrase for the message ("a whole number from 1 to 250")."""

    says: str
    check: Callable[[Any], Any]
    why: str = ""           # said after the value found, e.g. "an unknown country"
    zh: str = ""            # `says` in Chinese ("1 到 250 之间的整数"); "" = as `says`
    why_zh: str = ""        # `why` in Chinese


def whole(lo: int, hi: int) -> Limit:
    def check(v):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError
        return v
    return Limit(f"a whole number from {lo} to {hi}", check, zh=f" {lo} 到 {hi} 之间的整数")


def number(lo: float, hi: float, above: bool = False) -> Limit:
    """lo <= v <= hi (lo < v with `above`); NaN and infinity never pass."""
    def check(v):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or not (lo < v if above else lo <= v) or v > hi:
            raise ValueError
        return v
    return Limit(f"a number {'above' if above else 'from'} {lo:g} {'and at most' if above else 'to'} {hi:g}", check,
                 zh=f"大于 {lo:g}、不超过 {hi:g} 的数" if above else f" {lo:g} 到 {hi:g} 之间的数")


def one_of(*choices: str, fold: bool = False) -> Limit:
    def check(v):
        if (v.lower() if fold else v) not in choices:
            raise ValueError
        return v
    return Limit("one of " + ", ".join(f'"{c}"' for c in choices), check,
                 zh="以下之一：" + "、".join(f'"{c}"' for c in choices))


def matching(pattern: str, says: str, zh: str = "") -> Limit:
    regex = re.compile(pattern)

    def check(v):
        if not regex.fullmatch(v):
            raise ValueError
        return v
    return Limit(says, check, zh=zh)


HHMM = r"(?:[01]?\d|2[0-3]):[0-5]\d"
TIME = matching(HHMM, "a time of day as HH:MM (24-hour clock)", " 24 小时制的时刻 HH:MM")
HEX = matching(r"#?[0-9A-Fa-f]{6}", "six hex digits RRGGBB", "六位十六进制颜色 RRGGBB")


def _time_zone(v):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError from None
    return v


def known_country(code: str) -> bool:
    """A calendar duban can use: CN (chinesecalendar) or a country the holidays package knows."""
    if code.upper() == "CN":
        return True
    import holidays
    return code.upper() in holidays.list_supported_countries()


def _country(v):
    if not known_country(v):
        raise ValueError
    return v


def _office_hours(v):
    if len(v) != 2 or not all(isinstance(t, str) and re.fullmatch(HHMM, t) for t in v):
        raise ValueError
    opens, closes = (tuple(map(int, t.split(":"))) for t in v)
    if opens >= closes:
        raise ValueError
    return v


def _state_path(v):
    """Relative, inside the folder (no `..`, no drive, no root), and a .db file."""
    parts = PurePosixPath(v.replace("\\", "/"))
    if (not v.strip() or parts.is_absolute() or PureWindowsPath(v).drive or ".." in parts.parts
            or parts.suffix.lower() != ".db"):
        raise ValueError
    return v


def _names(v):
    if not all(isinstance(n, str) and n.strip() for n in v):
        raise ValueError
    return v


def _schedule(v):
    from duban.jobs.settings.schedule import check_value     # the one grammar, shared with duban serve
    return check_value(v)


def _patterns(v):
    from duban.jobs.settings.colours import PATTERNS
    if v not in PATTERNS:
        raise ValueError
    return v


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXAMPLE_COUNTRIES = '"CN", "US", "DE", "JP" or "GB"'
EXAMPLE_COUNTRIES_ZH = '"CN"、"US"、"DE"、"JP" 或 "GB"'
NAMES = Limit("a list of names from the directory, like [\"王芳\"]", _names, zh='通讯录中的姓名列表，如 ["王芳"]')

# Each setting's allowed values, by dotted key (`*` matches one table name). A key missing here
# is only checked for its type (that of its default). Add a line when you add a key.
LIMITS: dict[str, Limit] = {
    "company.timezone": Limit("an IANA time zone name", _time_zone, "which is not a known time zone",
                              " IANA 时区名称", "这不是已知的时区"),
    "company.calendar": Limit(f"a country code such as {EXAMPLE_COUNTRIES}", _country, "an unknown country",
                              f"国家代码（{EXAMPLE_COUNTRIES_ZH}等）", "这是未知的国家"),
    "company.office_hours": Limit("two times HH:MM, the opening before the closing", _office_hours,
                                  zh="两个 HH:MM 时刻，上班早于下班"),
    "company.language": one_of("zh", "en"),
    "reader.header_scan_rows": whole(1, 1000),
    "reader.max_unzipped_mb": number(0, 100_000, above=True),
    "reader.max_grid_mb": number(0, 1_000_000, above=True),
    "reader.assume_year_window_days": whole(1, 366),
    "reader.plausible_years": whole(1, 200),
    "rules.due_soon_working_days": whole(0, 60),
    "rules.stale_weekday": one_of(*WEEKDAYS, fold=True),
    "rules.stale_time": TIME,
    "rules.ack_working_hours": number(0, 1000, above=True),
    "rules.first_plan_hours": number(0, 8760, above=True),
    "rules.incident_response_minutes": number(0, 10_080, above=True),
    "rules.incident_report_hours": number(0, 8760, above=True),
    "rules.minutes_hours": number(0, 8760, above=True),
    "rules.escalate_working_days": whole(1, 250),
    "rules.customer_cadence_days.*": whole(1, 3660),
    "rules.tier_thresholds.*": number(0, 1e9),
    "colours.*.fill": HEX,
    "colours.*.font": HEX,
    "colours.*.pattern": Limit("an Excel fill pattern such as \"solid\" or \"lightUp\"", _patterns,
                               zh='Excel 填充图案，如 "solid" 或 "lightUp"'),
    "state.path": Limit("a path inside this folder ending in .db", _state_path,
                        "which is outside this folder or not a .db file", "本文件夹内、以 .db 结尾的路径",
                        "它在本文件夹之外，或不是 .db 文件"),
    "state.backups": whole(1, 1000),
    "state.lock_wait_seconds": number(0, 86_400),
    "state.keep_mail_days": whole(1, 3660),
    "state.keep_events_days": whole(30, 36_600),
    "state.keep_runs_days": whole(1, 3660),
    "state.vacuum_days": whole(1, 366),
    "schedule.*": Limit('a schedule such as "every 30 minutes", "09:00" (working days), "friday 17:30", '
                        '"first working day 09:30" or "off"', lambda v: _schedule(v),
                        zh='运行计划，如 "every 30 minutes"、"09:00"（工作日）、"friday 17:30"、'
                           '"first working day 09:30" 或 "off"'),
    "serve.catch_up_hours": number(0, 720),
    "serve.job_timeout_minutes": number(0, 1440, above=True),
    "serve.heartbeat_seconds": whole(1, 3600),
    "serve.admins": NAMES,
    "mail.transport": one_of("outbox", "smtp"),
    "mail.sender": matching(r"[^@\s]+@[^@\s]+", "an email address like name@company.com",
                            "电子邮件地址，如 name@company.com"),
    "mail.clerks": NAMES,
    "mail.max_per_minute": whole(1, 10_000),
    "mail.give_up_days": number(0, 365, above=True),
    "mail.escalation_repeat_working_days": whole(1, 250),
    "mail.max_items": whole(1, 10_000),
    "summary.recipients": Limit("a list of names from the directory, like [\"杨帆\"]", _names,
                                zh='通讯录中的姓名列表，如 ["杨帆"]'),
    "mail.smtp.host": matching(r"\S+", "a host name or address", "主机名或地址"),
    "mail.smtp.port": whole(1, 65535),
    "mail.smtp.security": one_of("ssl", "starttls", "none"),
    "mail.smtp.password_env": matching(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name", "环境变量名"),
    "mail.smtp.timeout": number(0, 3600, above=True),
    "mail.smtp.data_timeout": number(0, 3600, above=True),
}


def limit_for(name: str) -> Limit | None:
    if name in LIMITS:
        return LIMITS[name]
    return next((limit for key, limit in LIMITS.items() if "*" in key and fnmatch.fnmatchcase(name, key)
                 and name.count(".") == key.count(".")), None)


def load(folder: Path | None = None, path: Path | None = None) -> dict:
    """The settings for a folder: defaults overlaid with `folder/duban.toml` when present. A bad
    file is a ConfigError in both languages, marked with the one the file asks for (zh if none)."""
    settings = defaults()
    path = path or (folder / CONFIG_NAME if folder else None)
    if path and path.exists():
        text = path.read_text(encoding="utf-8")
        try:
            user = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the line it names, "
                              f"or delete the file to use the defaults.",
                              f"{path} 不是有效的 TOML（{exc}）。请改正它指出的那一行，或删除该文件以使用默认设置。",
                              _language(text)) from None
        try:
            _overlay(settings, user, path.name, "")
        except ConfigError as exc:
            exc.lang = _language(text, user)
            raise
    _tell_times_in_company_zone(settings)
    return settings


def _tell_times_in_company_zone(settings: dict) -> None:
    """Sentences built below the jobs (a damaged state.db's "last good copy, saved at …") print
    times in the company's zone, as everything else; an unknown zone is told by clock.zone later."""
    from duban.workbooks.share import faults
    from zoneinfo import ZoneInfo

    try:
        faults.set_zone(ZoneInfo(settings["company"]["timezone"]))
    except (ValueError, KeyError, LookupError, TypeError):
        pass


def _language(text: str, user: dict | None = None) -> str:
    """company.language as the file sets it, read even from a file that is not valid TOML; zh when
    it sets none (or none duban speaks): the language a bad duban.toml is told in."""
    if user is not None:
        lang = user.get("company", {}).get("language") if isinstance(user.get("company"), dict) else None
    else:
        found = re.search(r'^\s*language\s*=\s*["\'](\w+)["\']', text, re.M)
        lang = found[1] if found else None
    return lang if lang in ("zh", "en") else "zh"


def _overlay(base: dict, user: dict, fname: str, prefix: str) -> None:
    for key, value in user.items():
        name = f"{prefix}{key}"
        if key not in base:
            hint = difflib.get_close_matches(key, list(base), n=1)
            raise ConfigError(f"{fname}: unknown setting '{name}'." + (f" Did you mean '{prefix}{hint[0]}'?" if hint else ""),
                              f"{fname}：没有 '{name}' 这项设置。" + (f"是不是 '{prefix}{hint[0]}'？" if hint else ""))
        default = base[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{fname}: '{name}' must be a table ([{name}]).",
                                  f"{fname}：'{name}' 应是一个表（[{name}]）。")
            _overlay(base[key], value, fname, f"{name}.")
            continue
        base[key] = _checked(name, value, default, fname)


def _checked(name: str, value, default, fname: str):
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float))
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(f"{fname}: '{name}' should be {_kind(default)} like {_toml(default)}, found {_toml(value)}.",
                          f"{fname}：'{name}' 应为{_kind(default, 'zh')}，例如 {_toml(default)}；现为 {_toml(value)}。")
    if (limit := limit_for(name)) is not None:
        try:
            value = limit.check(value)
        except (ValueError, TypeError, AttributeError):
            found, example = _toml(value), _toml(default)
            raise ConfigError(f"{fname}: '{name}' should be {limit.says}, like {example}; "
                              f"found {found}{', ' + limit.why if limit.why else ''}.",
                              f"{fname}：'{name}' 应为{limit.zh or limit.says}，例如 {example}；"
                              f"现为 {found}{'，' + limit.why_zh if limit.why_zh else ''}。") from None
    return copy.deepcopy(value)


def _toml(value) -> str:
    """A value as it is written in duban.toml (strings in double quotes, true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):   # control and bidi characters as \uXXXX: the message goes to a terminal
        return '"' + "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf")
                             else "\\" + c if c in '\\"' else c for c in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return repr(value)


def _kind(v, lang: str = "en") -> str:
    kinds = (KINDS_ZH if lang == "zh" else {bool: "true or false", int: "a number", float: "a number",
                                            str: "text in quotes", list: "a list"})
    return kinds.get(type(v), type(v).__name__)


KINDS_ZH = {bool: " true 或 false", int: "数字", float: "数字", str: "带引号的文字", list: "列表"}
