"""Loading duban.toml: the shipped defaults, overlaid with the folder's own file, checked key by key.

Every key a user may set exists in `defaults.toml` with its default value, so the defaults
file is both the documentation written by `duban init` and the schema used to check a
user's file: an unknown key or a value of the wrong type is a `ConfigError` naming the key.
"""
from __future__ import annotations

import copy
import difflib
import tomllib
from importlib import resources
from pathlib import Path

from .errors import ConfigError

CONFIG_NAME = "duban.toml"


def default_text() -> str:
    return resources.files("jobs").joinpath("defaults.toml").read_text(encoding="utf-8")


def defaults() -> dict:
    return tomllib.loads(default_text())


def load(folder: Path | None = None, path: Path | None = None) -> dict:
    """The settings for a folder: defaults overlaid with `folder/duban.toml` when present."""
    settings = defaults()
    path = path or (folder / CONFIG_NAME if folder else None)
    if path and path.exists():
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the line it names, "
                              f"or delete the file to use the defaults.") from None
        _overlay(settings, user, path.name, "")
    return settings


def _overlay(base: dict, user: dict, fname: str, prefix: str) -> None:
    for key, value in user.items():
        name = f"{prefix}{key}"
        if key not in base:
            hint = difflib.get_close_matches(key, list(base), n=1)
            also = f" Did you mean '{prefix}{hint[0]}'?" if hint else ""
            raise ConfigError(f"{fname}: unknown setting '{name}'.{also}")
        default = base[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{fname}: '{name}' must be a table ([{name}]).")
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
        raise ConfigError(f"{fname}: '{name}' should be {_kind(default)} like {default!r}, "
                          f"found {value!r}.")
    return copy.deepcopy(value)


def _kind(v) -> str:
    return {bool: "true or false", int: "a number", float: "a number", str: "text in quotes",
            list: "a list"}.get(type(v), type(v).__name__)
