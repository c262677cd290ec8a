"""Loading duban.toml: the shipped defaults, overlaid with the folder's own file, checked key by key.

Every key a user may set exists in `defaults.toml` with its default value, so the defaults
file is both the documentation written by `duban init` and the schema used to check a
user's file: an unknown key or a value of the wrong type is a `ConfigError` naming the key. Two
kinds of table are the exception: those the company names ([im.groups], [im.departments]), and
those shown commented out so that `duban init`'s file stays as it was ([reply], OPTIONAL_TABLES).
`limits.LIMITS` adds each key's allowed range or form. `load` then turns the checked dict into
typed `Settings` once; `checked` gives the dict itself (for tests of the checking alone).
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import ipaddress
import re
import tomllib
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from duban.jobs.settings import jobs
from duban.jobs.settings.limits import (
    ENV_NAME,
    EXAMPLE_COUNTRIES,
    GROUP_EXAMPLES,
    GROUP_REQUIRED,
    IM_PLATFORMS,
    KEYWORD_PLATFORMS,
    LIMITS,
    SIGNED_PLATFORMS,
    Limit,
    known_country,
    limit_for,
    looks_secret,
    number,
    whole,
)
from duban.jobs.settings.typed import Reply, Settings
from duban.workbooks.model.errors import ConfigError
from duban.workbooks.share import faults

__all__ = ["CONFIG_NAME", "EXAMPLE_COUNTRIES", "LIMITS", "Limit", "Settings", "checked", "default_text", "defaults",
           "known_country", "limit_for", "load", "number", "whole"]

CONFIG_NAME = "duban.toml"


def default_text() -> str:
    return resources.files("duban.jobs.settings").joinpath("defaults.toml").read_text(encoding="utf-8")


def defaults() -> dict[str, Any]:
    """defaults.toml as a dict (what `duban init` writes, and the schema a user's file is checked against)."""
    return tomllib.loads(default_text())


def load(folder: Path | None = None, path: Path | None = None, values: dict[str, Any] | None = None) -> Settings:
    """The typed settings for a folder (the defaults without one): parsed once, per run. `values`
    (tables as in duban.toml) go over the file, checked the same way: a test's or a caller's changes."""
    return Settings.from_dict(checked(folder, path, values))


def checked(folder: Path | None = None, path: Path | None = None,
            values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings for a folder as a dict: defaults overlaid with `folder/duban.toml` when present. A
    bad file is a ConfigError in both languages, marked with the one the file asks for (zh if none)."""
    settings = defaults()
    # every job of the jobs table may be scheduled by its name, also one added after defaults.toml
    if "schedule" in settings:
        settings["schedule"] = {**{job.name: job.schedule for job in jobs.scheduled() if job.schedule},
                                **settings["schedule"]}
    path = path or (folder / CONFIG_NAME if folder else None)
    lang = None
    if path and path.exists():
        text = path.read_text(encoding="utf-8")
        try:
            user = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            hint = _bare_name_hint(text, str(exc))
            raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the line it names, "
                              f"or delete the file to use the defaults.{hint[0]}",
                              f"{path} 不是有效的 TOML（{exc}）。请改正它指出的那一行，或删除该文件以使用默认设置。{hint[1]}",
                              _language(text)) from None
        try:
            _overlay(settings, user, path.name, "")
        except ConfigError as exc:
            exc.lang = _language(text, user)
            raise
        lang = _language(text, user)
    if values:
        _overlay(settings, values, CONFIG_NAME, "")
    try:
        _check_group_names(settings, path.name if path else CONFIG_NAME)
        _check_reply(settings, path.name if path else CONFIG_NAME)
    except ConfigError as exc:
        exc.lang = lang
        raise
    _tell_times_in_company_zone(settings)
    return settings


def _bare_name_hint(text: str, error: str) -> tuple[str, str]:
    """When the line at fault uses a Chinese (non-ASCII) name as a key or a table name without quotes
    ([im.groups.紧急群], 研发部 = "研发群"), say how TOML 1.0 wants it written; else nothing."""
    at = re.search(r"at line (\d+)", error)
    lines = text.splitlines()
    line = lines[int(at[1]) - 1] if at and 0 < int(at[1]) <= len(lines) else ""
    key = line.split("=", 1)[0] if "=" in line and not line.lstrip().startswith("[") else line.split("#", 1)[0]
    if '"' in key or "'" in key or all(ord(c) < 128 for c in key):
        return "", ""
    return (' A name in Chinese is written in double quotes: [im.groups."紧急群"], "研发部" = "研发群".',
            '中文名称须加双引号：[im.groups."紧急群"]、"研发部" = "研发群"。')


def _tell_times_in_company_zone(settings: dict[str, Any]) -> None:
    """Sentences built below the jobs (a damaged state.db's "last good copy, saved at …") print
    times in the company's zone, as everything else; an unknown zone is told by clock.zone later."""
    try:
        faults.set_zone(ZoneInfo(settings["company"]["timezone"]))
    except (ValueError, KeyError, LookupError, TypeError):
        pass


def _language(text: str, user: dict[str, Any] | None = None) -> str:
    """company.language as the file sets it, read even from a file that is not valid TOML; zh when
    it sets none (or none duban speaks): the language a bad duban.toml is told in."""
    if user is not None:
        lang = user.get("company", {}).get("language") if isinstance(user.get("company"), dict) else None
    else:
        found = re.search(r'^\s*language\s*=\s*["\'](\w+)["\']', text, re.M)
        lang = found[1] if found else None
    return lang if isinstance(lang, str) and lang in ("zh", "en") else "zh"


def _overlay(base: dict[str, Any], user: dict[str, Any], fname: str, prefix: str) -> None:
    for key, value in user.items():
        name = f"{prefix}{key}"
        if name in WRITTEN_SECRETS:
            raise _written_secret(name, fname)
        if key not in base and name in OPTIONAL_TABLES:
            base[key] = OPTIONAL_TABLES[name]()
        if key not in base:
            hint = difflib.get_close_matches(key, list(base) + ([] if prefix else list(OPTIONAL_TABLES)), n=1)
            raise ConfigError(f"{fname}: unknown setting '{name}'." + (f" Did you mean '{prefix}{hint[0]}'?" if hint else ""),
                              f"{fname}：没有 '{name}' 这项设置。" + (f"是不是 '{prefix}{hint[0]}'？" if hint else ""))
        default = base[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{fname}: '{name}' must be a table ([{name}]).",
                                  f"{fname}：'{name}' 应是一个表（[{name}]）。")
            if name in NAMED_TABLES:      # the company names the keys: its groups, its departments
                base[key] = {**default, **NAMED_TABLES[name](value, fname)}
                continue
            _overlay(base[key], value, fname, f"{name}.")
            continue
        if name in SECRET_NAMES and isinstance(value, str) and value and \
                (not re.fullmatch(ENV_NAME, value) or looks_secret(value)):
            raise _written_secret(name, fname)
        base[key] = _checked(name, value, default, fname)


def _checked(name: str, value: Any, default: Any, fname: str) -> Any:
    limit = limit_for(name)
    example = default if limit is None or limit.example is None else limit.example
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float))
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(f"{fname}: '{name}' should be {_kind(default)} like {_toml(example)}, found {_toml(value)}.",
                          f"{fname}：'{name}' 应为{_kind(default, 'zh')}，例如 {_toml(example)}；现为 {_toml(value)}。")
    if limit is not None:
        try:
            value = limit.check(value)
        except (ValueError, TypeError, AttributeError):
            found, example = _toml(value), _toml(example)
            raise ConfigError(f"{fname}: '{name}' should be {limit.says}, like {example}; "
                              f"found {found}{', ' + limit.why if limit.why else ''}.",
                              f"{fname}：'{name}' 应为{limit.zh or limit.says}，例如 {example}；"
                              f"现为 {found}{'，' + limit.why_zh if limit.why_zh else ''}。") from None
    return copy.deepcopy(value)


def _toml(value: Any) -> str:
    """A value as it is written in duban.toml (strings in double quotes, true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):   # control and bidi characters as \uXXXX: the message goes to a terminal
        return '"' + "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf")
                             else "\\" + c if c in '\\"' else c for c in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return repr(value)


def _kind(v: Any, lang: str = "en") -> str:
    kinds: dict[type, str] = (KINDS_ZH if lang == "zh" else {bool: "true or false", int: "a number", float: "a number",
                                            str: "text in quotes", list: "a list"})
    return kinds.get(type(v), type(v).__name__)


KINDS_ZH: dict[type, str] = {bool: " true 或 false", int: "数字", float: "数字", str: "带引号的文字", list: "列表"}


# [im]: group bots. The company names its groups and its departments, so [im.groups] and
# [im.departments] are open tables: their keys are checked here, not against defaults.toml.

def _entry_name(table: str, key: str, fname: str) -> str:
    if not key.strip() or len(key) > 64 or any(unicodedata.category(c) in ("Cc", "Cf") for c in key):
        raise ConfigError(f"{fname}: {_toml(key)} in [{table}] is not a usable name: write 1 to 64 characters, "
                          f"without control characters.",
                          f"{fname}：[{table}] 中的 {_toml(key)} 不能用作名称：请写 1 到 64 个字符，不含控制字符。")
    return key


def _departments(table: dict[str, Any], fname: str) -> dict[str, str]:
    """[im.departments]: department (as the directory writes it) -> the name of its group."""
    found = {}
    for department, group in table.items():
        name = f"im.departments.{_entry_name('im.departments', department, fname)}"
        if not isinstance(group, str):
            raise ConfigError(f"{fname}: '{name}' should be a group name from [im.groups] in quotes, like "
                              f"\"研发群\"; found {_toml(group)}.",
                              f"{fname}：'{name}' 应为 [im.groups] 中的群名（带引号），例如 \"研发群\"；现为 {_toml(group)}。")
        found[department] = group
    return found


def _groups(table: dict[str, Any], fname: str) -> dict[str, dict[str, Any]]:
    """[im.groups.<name>]: each group's platform and the names of the variables holding its secrets."""
    found = {}
    for group, keys in table.items():
        name, header = f"im.groups.{_entry_name('im.groups', group, fname)}", _header("im", "groups", group)
        if not isinstance(keys, dict):
            raise ConfigError(f"{fname}: '{name}' must be a table ({header}) with its platform and webhook_env.",
                              f"{fname}：'{name}' 应是一个表（{header}），写明 platform 和 webhook_env。")
        for key in ("webhook_env", "secret_env"):
            if isinstance(keys.get(key), str) and looks_secret(keys[key]):
                raise ConfigError(
                    f"{fname}: '{name}.{key}' holds what looks like the {_SECRET_WORDS[key][0]} itself; it must never "
                    f"be written in this file. Put it in an environment variable (or the system keyring) and name "
                    f"the variable here, like {key} = {_toml(GROUP_EXAMPLES[key])}.",
                    f"{fname}：'{name}.{key}' 看起来是{_SECRET_WORDS[key][1]}本身；它绝不能写在本文件中。请把它放进"
                    f"环境变量（或系统密钥环），在这里只写变量名，例如 {key} = {_toml(GROUP_EXAMPLES[key])}。")
        checked = dict(GROUP_EXAMPLES)
        _overlay(checked, keys, fname, f"{name}.")
        for key in GROUP_REQUIRED:
            if key not in keys:
                raise ConfigError(
                    f"{fname}: the group {header} has no {key}; add {key} = {_toml(GROUP_EXAMPLES[key])} "
                    f"({_REQUIRED_WORDS[key][0]}).",
                    f"{fname}：群 {header} 没有 {key}；请加上 {key} = {_toml(GROUP_EXAMPLES[key])}"
                    f"（{_REQUIRED_WORDS[key][1]}）。")
        platform = checked["platform"]
        for key, allowed in (("secret_env", SIGNED_PLATFORMS), ("keyword", KEYWORD_PLATFORMS)):
            if keys.get(key) and platform not in allowed:
                raise ConfigError(
                    f"{fname}: '{name}.{key}' is set, but {platform} group bots have no {_UNUSED_WORDS[key][0]} "
                    f"(only {', '.join(allowed)} do); remove the line.",
                    f"{fname}：设置了 '{name}.{key}'，但 {platform} 的群机器人没有{_UNUSED_WORDS[key][1]}"
                    f"（只有 {'、'.join(allowed)} 有）；请删除这一行。")
        found[group] = {key: checked[key] if key in keys else "" for key in GROUP_EXAMPLES}
    return found


_SECRET_WORDS = {"webhook_env": ("webhook URL or its key/token", " webhook 地址或其中的 key/token "),
                 "secret_env": ("signing secret", "加签密钥")}
_REQUIRED_WORDS = {"platform": ("one of " + ", ".join(IM_PLATFORMS), "以下之一：" + "、".join(IM_PLATFORMS)),
                   "webhook_env": ("the environment variable holding the group's webhook URL",
                               "存放该群 webhook 地址的环境变量")}
_UNUSED_WORDS = {"secret_env": ("signing secret (加签)", "加签密钥"), "keyword": ("keyword security", "关键词安全设置")}
def _header(*parts: str) -> str:
    """A table's header as duban.toml must write it: a name other than ASCII letters, digits, - and _
    in double quotes (TOML 1.0 has no bare Chinese keys): [im.groups."紧急群"]."""
    return "[" + ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else _toml(p) for p in parts) + "]"


NAMED_TABLES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "im.departments": _departments, "im.groups": _groups}


def _check_group_names(settings: dict[str, Any], fname: str) -> None:
    """Every group named by im.urgent_group, im.admins_group and [im.departments] has its table."""
    im = settings.get("im")
    if not isinstance(im, dict):
        return
    groups = im.get("groups", {})
    named = [(f"im.{key}", im.get(key, "")) for key in ("urgent_group", "admins_group")]
    named += [(f"im.departments.{dept}", group) for dept, group in im.get("departments", {}).items()]
    for name, group in named:
        if group in groups or (not group and not name.startswith("im.departments.")):
            continue
        hint = difflib.get_close_matches(group, list(groups), n=1)
        or_none = ("", "") if name.startswith("im.departments.") else (', or write "" for none', '，或写 "" 表示不发')
        raise ConfigError(
            f"{fname}: '{name}' is {_toml(group)}, but there is no {_header('im', 'groups', group)} table "
            f"(groups: {', '.join(groups) or 'none yet'})." + (f" Did you mean {_toml(hint[0])}?" if hint else "")
            + f" Add the group with its platform and webhook_env{or_none[0]}.",
            f"{fname}：'{name}' 为 {_toml(group)}，但没有 {_header('im', 'groups', group)} 这个群"
            f"（已有的群：{'、'.join(groups) or '还没有'}）。" + (f"是不是 {_toml(hint[0])}？" if hint else "")
            + f"请添加这个群（写明 platform 和 webhook_env）{or_none[1]}。")


# [reply]: defaults.toml shows it commented out, so a mail-only installation's duban.toml stays as it was;
# the table's defaults (typed.Reply) join the settings when a file writes [reply]. A password written into
# the file, where the name of its variable belongs, is refused and never repeated.
OPTIONAL_TABLES: dict[str, Callable[[], dict[str, Any]]] = {"reply": lambda: dataclasses.asdict(Reply())}
WRITTEN_SECRETS = {"reply.imap.password": "reply.imap.password_env"}    # key -> the key naming its variable
SECRET_NAMES = {"reply.imap.password_env": "DUBAN_IMAP_PASSWORD"}
_REPLY_REQUIRED = {   # dotted key -> its table, example, and what it is in both languages
    "reply.address": ("[reply]", "duban@example.com", "the mailbox replies go to", "回复发往的邮箱"),
    "reply.imap.host": ("[reply.imap]", "imap.example.com", "the IMAP server duban reads replies from",
                        "督办读取回复的 IMAP 服务器"),
    "reply.imap.user": ("[reply.imap]", "duban@example.com", "the mailbox's login", "该邮箱的登录名"),
    "reply.imap.password_env": ("[reply.imap]", "DUBAN_IMAP_PASSWORD", "the environment variable holding its password",
                                "存放其密码的环境变量"),
}


def _written_secret(name: str, fname: str) -> ConfigError:
    variable = WRITTEN_SECRETS.get(name, name)
    example = _toml(SECRET_NAMES[variable])
    return ConfigError(
        f"{fname}: '{name}' holds what looks like the IMAP password itself; a password is never written in this "
        f"file (the value is not repeated here). Put it in an environment variable (or the system keyring) and "
        f"name the variable in '{variable}', like {variable.rpartition('.')[2]} = {example}.",
        f"{fname}：'{name}' 看起来是 IMAP 密码本身；密码绝不写在本文件中（此处不重复其内容）。请把它放进环境变量"
        f"（或系统密钥环），在 '{variable}' 中只写变量名，例如 {variable.rpartition('.')[2]} = {example}。")


def _check_reply(settings: dict[str, Any], fname: str) -> None:
    """With replies on, every key they need is set (all missing ones in one message); an unencrypted
    IMAP connection only to this machine; handled replies moved to a folder other than the one read."""
    reply = settings.get("reply")
    if not isinstance(reply, dict):
        return
    imap = reply["imap"]
    if reply["enabled"]:
        missing = [(key, *said) for key, said in _REPLY_REQUIRED.items()
                   if not (imap if key.startswith("reply.imap.") else reply)[key.rpartition(".")[2]]]
        if missing:
            raise ConfigError(
                f"{fname}: replies are on (reply.enabled = true), but " + "; ".join(
                    f"'{key}' is not set: add {key.rpartition('.')[2]} = {_toml(example)} under {table} ({en})"
                    for key, table, example, en, _ in missing) + "; or set enabled = false.",
                f"{fname}：已启用回复（reply.enabled = true），但" + "；".join(
                    f"没有设置 '{key}'：请在 {table} 下加上 {key.rpartition('.')[2]} = {_toml(example)}（{zh}）"
                    for key, table, example, _, zh in missing) + "；或设 enabled = false。")
    host = imap["host"]
    if imap["security"] == "none" and host and not _loopback(host):
        raise ConfigError(
            f"{fname}: 'reply.imap.security' is \"none\" (no encryption), which is allowed only for a server on this "
            f"machine (127.0.0.1 or localhost): the password and the replies would cross the network to {host} "
            f"unencrypted. Use \"ssl\" (port 993) or \"starttls\" (port 143).",
            f"{fname}：'reply.imap.security' 为 \"none\"（不加密），只允许用于本机的服务器（127.0.0.1 或 "
            f"localhost）：否则密码和回复会以明文经网络传到 {host}。请改用 \"ssl\"（端口 993）或 \"starttls\"（端口 143）。")
    if imap["done_folder"] == imap["folder"]:
        raise ConfigError(
            f"{fname}: 'reply.imap.done_folder' is {_toml(imap['folder'])}, the folder replies are read from, so a "
            f"handled reply would be read again; name another folder, like \"duban-handled\".",
            f"{fname}：'reply.imap.done_folder' 为 {_toml(imap['folder'])}，即读取回复的文件夹，处理过的回复会被"
            f"再次读取；请另写一个文件夹，例如 \"duban-handled\"。")


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
