"""What each duban.toml setting may be: one `Limit` per dotted key, with its phrase in both languages.

`LIMITS` adds each key's allowed range or form (one line per key; a key without a line there is
type-checked only, against its default's type), so a bad value stops the command with exit code 2
and a sentence naming the file, the key, the value found and an example, instead of misbehaving later.
"""
from __future__ import annotations

import fnmatch
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from duban.jobs.settings.colours import PATTERNS
from duban.jobs.settings.schedule import check_value


@dataclass(frozen=True)
class Limit:
    """One setting's rule: `check(value)` returns the value to use, or raises ValueError; `says`
    is the phrase for the message ("a whole number from 1 to 250")."""

    says: str
    check: Callable[[Any], Any]
    why: str = ""           # said after the value found, e.g. "an unknown country"
    zh: str = ""            # `says` in Chinese ("1 到 250 之间的整数"); "" = as `says`
    why_zh: str = ""        # `why` in Chinese
    example: Any = None     # the "like …" of a message; None = the key's default (a "" default shows nothing useful)


def whole(lo: int, hi: int) -> Limit:
    def check(v: Any) -> int:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError
        return v
    return Limit(f"a whole number from {lo} to {hi}", check, zh=f" {lo} 到 {hi} 之间的整数")


def number(lo: float, hi: float, above: bool = False) -> Limit:
    """lo <= v <= hi (lo < v with `above`); NaN and infinity never pass."""
    def check(v: Any) -> float:
        if not isinstance(v, (int, float)) or not math.isfinite(v) or not (lo < v if above else lo <= v) or v > hi:
            raise ValueError
        return v
    return Limit(f"a number {'above' if above else 'from'} {lo:g} {'and at most' if above else 'to'} {hi:g}", check,
                 zh=f"大于 {lo:g}、不超过 {hi:g} 的数" if above else f" {lo:g} 到 {hi:g} 之间的数")


def one_of(*choices: str, fold: bool = False) -> Limit:
    def check(v: Any) -> str:
        if (v.lower() if fold else v) not in choices:
            raise ValueError
        return str(v)
    return Limit("one of " + ", ".join(f'"{c}"' for c in choices), check,
                 zh="以下之一：" + "、".join(f'"{c}"' for c in choices))


def matching(pattern: str, says: str, zh: str = "", example: Any = None) -> Limit:
    regex = re.compile(pattern)

    def check(v: Any) -> str:
        if not regex.fullmatch(v):
            raise ValueError
        return str(v)
    return Limit(says, check, zh=zh, example=example)


HHMM = r"(?:[01]?\d|2[0-3]):[0-5]\d"
TIME = matching(HHMM, "a time of day as HH:MM (24-hour clock)", " 24 小时制的时刻 HH:MM")
HEX = matching(r"#?[0-9A-Fa-f]{6}", "six hex digits RRGGBB", "六位十六进制颜色 RRGGBB")


def _time_zone(v: Any) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError from None
    return str(v)


def known_country(code: str) -> bool:
    """A calendar duban can use: CN (chinesecalendar) or a country the holidays package knows."""
    if code.upper() == "CN":
        return True
    import holidays  # loaded only for a calendar other than CN: every command reads the settings
    return code.upper() in holidays.list_supported_countries()


def _country(v: Any) -> str:
    if not known_country(v):
        raise ValueError
    return str(v)


def _office_hours(v: Any) -> list[str]:
    if len(v) != 2 or not all(isinstance(t, str) and re.fullmatch(HHMM, t) for t in v):
        raise ValueError
    opens, closes = (tuple(map(int, t.split(":"))) for t in v)
    if opens >= closes:
        raise ValueError
    return list(v)


def _state_path(v: Any) -> str:
    """Relative, inside the folder (no `..`, no drive, no root), and a .db file."""
    parts = PurePosixPath(v.replace("\\", "/"))
    if (not v.strip() or parts.is_absolute() or PureWindowsPath(v).drive or ".." in parts.parts
            or parts.suffix.lower() != ".db"):
        raise ValueError
    return str(v)


def _offsets(v: Any) -> list[int]:
    """rules.due_soon_offsets: at most 10 different whole numbers 0..60 (0 = the due day), largest first."""
    if len(v) > 10 or any(isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 60 for n in v) \
            or len(set(v)) != len(v):
        raise ValueError
    return sorted(v, reverse=True)


def _names(v: Any) -> list[str]:
    if not all(isinstance(n, str) and n.strip() for n in v):
        raise ValueError
    return list(v)


def _patterns(v: Any) -> str:
    if v not in PATTERNS:
        raise ValueError
    return str(v)


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
    "rules.due_soon_offsets": Limit("a list of at most 10 different whole numbers from 0 to 60 (working days "
                                    "before the due date; 0 = the due day), or [] for every day of the window",
                                    _offsets, zh="最多 10 个互不相同、0 到 60 之间的整数组成的列表（到期前的工作日数，"
                                    "0 = 到期当天），或 [] 表示窗口内每天", example=[3, 1, 0]),
    "rules.escalation_levels": whole(1, 5),
    "rules.escalation_level_working_days": whole(1, 250),
    "rules.still_open_after_days": whole(0, 365),
    "rules.max_unchanged_reminders": whole(0, 365),
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
    "performance.workers": whole(0, 256),
    "performance.cache_mb": whole(0, 100_000),
    "state.lock_wait_seconds": number(0, 86_400),
    "state.keep_mail_days": whole(1, 3660),
    "state.keep_events_days": whole(30, 36_600),
    "state.keep_runs_days": whole(1, 3660),
    "state.vacuum_days": whole(1, 366),
    "schedule.*": Limit('a schedule such as "every 30 minutes", "09:00" (working days), "friday 17:30", '
                        '"first working day 09:30" or "off"', check_value,
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
    "im.urgent_group": matching(r"[^\x00-\x1f]{0,64}", 'a group name from [im.groups], or "" for none',
                                '[im.groups] 中的群名，或 "" 表示不发'),
    "im.admins_group": matching(r"[^\x00-\x1f]{0,64}", 'a group name from [im.groups], or "" for none',
                                '[im.groups] 中的群名，或 "" 表示不发'),
    "im.urgent_repeat_minutes": number(0, 10_080, above=True),
}


# [im.groups.<name>]: the company names its groups, so their keys are not in defaults.toml (which shows
# one commented) and their limits are here, by key. GROUP_EXAMPLES is each key's example value (the
# "like …" of a message); GROUP_REQUIRED the keys every group must set.
IM_PLATFORMS = ("wecom", "dingtalk", "feishu", "lark", "slack", "teams")
SIGNED_PLATFORMS = ("dingtalk", "feishu", "lark")      # 加签: a signing secret (secret_env) may be set
KEYWORD_PLATFORMS = ("dingtalk", "feishu", "lark")     # a keyword security setting (keyword) exists
ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
GROUP_EXAMPLES = {"platform": "dingtalk", "webhook_env": "DUBAN_IM_URGENT_URL",
                  "secret_env": "DUBAN_IM_URGENT_SECRET", "keyword": "督办"}
GROUP_REQUIRED = ("platform", "webhook_env")


def _optional_env_name(v: Any) -> str:
    if v and not re.fullmatch(ENV_NAME, v):
        raise ValueError
    return str(v)


def _keyword(v: Any) -> str:
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in v) or len(v) > 100:
        raise ValueError
    return str(v)


GROUP_LIMITS: dict[str, Limit] = {
    "platform": one_of(*IM_PLATFORMS),
    "webhook_env": matching(ENV_NAME, "an environment variable name", "环境变量名"),
    "secret_env": Limit('an environment variable name, or "" for none', _optional_env_name,
                        zh='环境变量名，或 "" 表示没有'),
    "keyword": Limit("a line of text of at most 100 characters", _keyword, zh="不超过 100 个字符的一行文字"),
}

# What a secret looks like when it is written where its variable's name belongs: a URL, a query
# parameter, a WeCom key (a UUID), a DingTalk secret (SEC + 64 hex digits), or a long mixed string.
_SECRET_LIKE = re.compile(r"://|^www\.|[/?=&:]|"
                          r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^SEC[0-9a-f]{32,}$",
                          re.I)


def looks_secret(value: str) -> bool:
    """True for a value that is (most likely) a webhook URL, its key or a signing secret, rather than
    the name of the environment variable holding it: such a value is refused, and never repeated."""
    if _SECRET_LIKE.search(value):
        return True
    return (len(value) >= 16 and "_" not in value and any(c.islower() for c in value)
            and any(c.isdigit() for c in value))


# [reply]: update a row by replying to its mail. defaults.toml shows the table commented out (a mail-only
# installation's file stays as it was), so its keys and their limits are here; the defaults are those of
# typed.Reply. A key required once `enabled = true` is checked with the other keys (config.reply_problems).
def _line(v: Any) -> str:
    if not v.strip() or len(v) > 200 or any(unicodedata.category(c) in ("Cc", "Cf") for c in v):
        raise ValueError
    return str(v)


REPLY_LIMITS: dict[str, Limit] = {
    "reply.address": matching(r"(?:[^@\s+]+@[^@\s]+\.[^@\s]+)?",
                              'a mail address without a +tag (duban adds +<token> itself), or "" while replies are off',
                              '不含 + 号的邮箱地址（督办会自己加上 +<token>），未启用回复时可为 ""',
                              example="duban@example.com"),
    "reply.valid_days": whole(1, 365),
    "reply.imap.host": matching(r"[^\s/]*", "a host name or address", "主机名或地址", example="imap.example.com"),
    "reply.imap.port": whole(1, 65535),
    "reply.imap.security": one_of("ssl", "starttls", "none"),
    "reply.imap.user": matching(r"[^\x00-\x1f\x7f]{0,200}", "a login name of at most 200 characters",
                                "不超过 200 个字符的登录名", example="duban@example.com"),
    "reply.imap.password_env": Limit('an environment variable name, or "" while replies are off', _optional_env_name,
                                     zh='环境变量名，未启用回复时可为 ""', example="DUBAN_IMAP_PASSWORD"),
    "reply.imap.folder": Limit("a folder name of 1 to 200 characters", _line, zh=" 1 到 200 个字符的文件夹名",
                               example="INBOX"),
    "reply.imap.done_folder": Limit("a folder name of 1 to 200 characters", _line, zh=" 1 到 200 个字符的文件夹名",
                                    example="duban-handled"),
}


def limit_for(name: str) -> Limit | None:
    if name in LIMITS:
        return LIMITS[name]
    if name in REPLY_LIMITS:
        return REPLY_LIMITS[name]
    if name.startswith("im.groups."):            # im.groups.<name>.<key>; a group's name may hold dots
        return GROUP_LIMITS.get(name.rpartition(".")[2])
    return next((limit for key, limit in LIMITS.items() if "*" in key and fnmatch.fnmatchcase(name, key)
                 and name.count(".") == key.count(".")), None)
