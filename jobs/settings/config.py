"""Loading duban.toml: the shipped defaults, overlaid with the folder's own file, checked key by key.

Every key a user may set exists in `defaults.toml` with its default value, so the defaults
file is both the documentation written by `duban init` and the schema used to check a
user's file: an unknown key or a value of the wrong type is a `ConfigError` naming the key.
`limits.LIMITS` adds each key's allowed range or form. `load` then turns the checked dict into
typed `Settings` once; `checked` gives the dict itself (for tests of the checking alone).
"""
from __future__ import annotations

import copy
import difflib
import re
import tomllib
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from duban.jobs.settings.limits import EXAMPLE_COUNTRIES, LIMITS, Limit, known_country, limit_for, number, whole
from duban.jobs.settings.typed import Settings
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
    if values:
        _overlay(settings, values, CONFIG_NAME, "")
    _tell_times_in_company_zone(settings)
    return settings


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


def _checked(name: str, value: Any, default: Any, fname: str) -> Any:
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
