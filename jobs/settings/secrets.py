"""Webhook URLs and signing secrets, read where they live: an environment variable or the system keyring.

duban.toml only names the variable (im.groups.<name>.webhook_env / secret_env), as it does for the
SMTP password: a webhook URL carries its key or token, so whoever reads the file could post to the
group. The values are read when a delivery makes each configured group's transport (every run
that delivers, for every group in duban.toml, whether or not it has messages waiting), never when
the settings load: a `duban validate` or a dry run on another machine needs none of them, and a
missing one is reported only when its group has a message due (its lane is held, naming the
variable), so a group with nothing to send today does not stop anything.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Callable

from duban.workbooks.model.errors import ConfigError

KEYRING_SERVICE = "duban"


def keyring_value(variable: str) -> str | None:
    """The keyring's entry (service 'duban', user = the variable's name); None without keyring or backend."""
    try:
        import keyring
        return keyring.get_password(KEYRING_SERVICE, variable)
    except Exception:  # not installed, or no usable keyring backend on this machine
        return None


def read(variable: str, setting: str, what: tuple[str, str], environ: Mapping[str, str] | None = None,
         keyring_lookup: Callable[[str], str | None] | None = None) -> str:
    """The value of `variable` (named by the setting `setting`), from the environment, else the
    keyring; missing, a ConfigError in both languages saying which variable and where to put it.
    `what` names the value in English and Chinese ("the webhook URL of the group 紧急群")."""
    environ = os.environ if environ is None else environ
    lookup = keyring_lookup or keyring_value
    value = (environ.get(variable) or "").strip() or (lookup(variable) or "").strip()
    if value:
        return value
    raise ConfigError(
        f"{what[0]} is not set: the environment variable {variable} (named by {setting} in duban.toml) is empty "
        f"or missing, and the system keyring has no entry for it (service '{KEYRING_SERVICE}', user '{variable}'). "
        f"Set {variable} where duban runs (for duban serve: in its service's environment), or store it with "
        f"`keyring set {KEYRING_SERVICE} {variable}`.",
        f"{what[1]}未设置：环境变量 {variable}（由 duban.toml 中的 {setting} 指定）为空或不存在，系统密钥环中也没有"
        f"（服务 '{KEYRING_SERVICE}'，用户 '{variable}'）。请在运行督办的环境中设置 {variable}（duban serve："
        f"在其服务的环境中），或用 `keyring set {KEYRING_SERVICE} {variable}` 存入密钥环。")


def webhook_url(variable: str, setting: str, what: tuple[str, str], environ: Mapping[str, str] | None = None,
                keyring_lookup: Callable[[str], str | None] | None = None) -> str:
    """`read`, and the value must be an https URL (http only to this machine, for a local relay or a
    test), judged by its host as `mailer.im.post` judges it before sending."""
    url = read(variable, setting, what, environ, keyring_lookup)
    from duban.mailer.im.post import secure  # the HTTP client loads only when a group message goes
    if not secure(url) or any(c.isspace() for c in url):     # the same rule as the one POST that uses it
        raise ConfigError(
            f"{what[0]} in the environment variable {variable} is not a URL starting with https://; copy the "
            f"whole webhook address from the group bot's settings into {variable}.",
            f"环境变量 {variable} 中的{what[1]}不是以 https:// 开头的地址；请从群机器人的设置中复制完整的 "
            f"webhook 地址，放进 {variable}。")
    return url
