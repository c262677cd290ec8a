"""[im] in duban.toml: the group bots' settings, checked key by key and made into typed objects once.

The webhook URL and the signing secret are never in the file: it names the environment variables,
and `ImGroup.webhook_url()` / `ImGroup.secret()` read them only when a message goes.
"""
from __future__ import annotations

import pickle
import re

import pytest

from duban.jobs.settings import config, secrets
from duban.jobs.settings.limits import GROUP_EXAMPLES, GROUP_LIMITS, GROUP_REQUIRED, IM_PLATFORMS, looks_secret
from duban.jobs.settings.typed import Im, ImGroup, Settings
from duban.workbooks.model.errors import ConfigError

FULL = '''
[im]
urgent_group = "紧急群"
admins_group = "运维群"
urgent_repeat_minutes = 45

[im.departments]
"研发部" = "研发群"
"销售部" = "研发群"

[im.groups."紧急群"]
platform = "dingtalk"
webhook_env = "DUBAN_IM_URGENT_URL"
secret_env = "DUBAN_IM_URGENT_SECRET"
keyword = "督办"

[im.groups."研发群"]
platform = "wecom"
webhook_env = "DUBAN_IM_RD_URL"

[im.groups."运维群"]
platform = "slack"
webhook_env = "DUBAN_IM_OPS_URL"
'''


def _load(tmp_path, text: str) -> Settings:
    (tmp_path / "duban.toml").write_text(text, encoding="utf-8")
    return config.load(tmp_path)


def _refused(tmp_path, text: str) -> ConfigError:
    (tmp_path / "duban.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path)
    return err.value


def _group(platform: str = "wecom", **keys: str) -> str:
    lines = "".join(f'{k} = "{v}"\n' for k, v in {"platform": platform, "webhook_env": "DUBAN_IM_URL", **keys}.items())
    return f'[im.groups."群"]\n{lines}'


def test_a_full_im_section_becomes_typed_objects(tmp_path):
    im = _load(tmp_path, FULL).im
    assert isinstance(im, Im)
    assert (im.urgent_group, im.admins_group, im.urgent_repeat_minutes) == ("紧急群", "运维群", 45)
    assert im.urgent == ImGroup("紧急群", "dingtalk", "DUBAN_IM_URGENT_URL", "DUBAN_IM_URGENT_SECRET", "督办")
    assert im.admins == ImGroup("运维群", "slack", "DUBAN_IM_OPS_URL")
    assert im.of_department("研发部") == im.of_department("销售部") == ImGroup("研发群", "wecom", "DUBAN_IM_RD_URL")
    assert im.of_department("财务部") is None
    assert dict(im.departments) == {"研发部": "研发群", "销售部": "研发群"}
    with pytest.raises(AttributeError):
        im.urgent.platform = "feishu"             # type: ignore[misc, union-attr]


def test_the_typed_im_settings_cross_to_serves_worker_process(tmp_path):
    settings = _load(tmp_path, FULL)
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_no_im_section_means_no_groups_and_nothing_else_changes(tmp_path):
    plain = _load(tmp_path, '[mail]\nclerks = ["王芳"]\n')
    assert plain.im == Im() and dict(plain.im.groups) == {} and dict(plain.im.departments) == {}
    assert (plain.im.urgent, plain.im.admins, plain.im.of_department("研发部")) == (None, None, None)
    assert plain == config.load(values={"mail": {"clerks": ["王芳"]}})
    assert Settings().im == config.load().im == Im()


def test_the_shipped_example_group_loads_once_its_lines_are_uncommented(tmp_path):
    """defaults.toml shows a group commented out: `duban init`'s file stays mail-only and readable,
    and removing the leading # gives a valid group (its Chinese name already in quotes)."""
    text = config.default_text()
    assert "\n[im]" in text and '# [im.groups."紧急群"]' in text
    text = re.sub(r"^# (\[im\.groups\.|platform|webhook_env|secret_env|keyword)", r"\1", text, flags=re.M)
    im = _load(tmp_path, text.replace('urgent_group = ""', 'urgent_group = "紧急群"', 1)).im
    assert im.urgent == ImGroup("紧急群", "dingtalk", "DUBAN_IM_URGENT_URL", "DUBAN_IM_URGENT_SECRET", "督办")


def test_every_platform_is_accepted(tmp_path):
    for platform in IM_PLATFORMS:
        assert _load(tmp_path, _group(platform)).im.groups["群"].platform == platform


def test_a_bad_platform_is_refused_naming_the_key_and_the_choices(tmp_path):
    err = _refused(tmp_path, '[company]\nlanguage = "en"\n' + _group("wechat"))
    assert err.lang == "en"
    assert err.text("en") == ('''duban.toml: 'im.groups.群.platform' should be one of "wecom", "dingtalk", "feishu", '''
                              '''"lark", "slack", "teams", like "dingtalk"; found "wechat".''')
    assert err.text("zh") == ('''duban.toml：'im.groups.群.platform' 应为以下之一："wecom"、"dingtalk"、"feishu"、'''
                              '''"lark"、"slack"、"teams"，例如 "dingtalk"；现为 "wechat"。''')
    assert _refused(tmp_path, _group("wechat")).lang == "zh"


@pytest.mark.parametrize("key, line, group", [
    ("im.urgent_group", 'urgent_group = "紧急"', "紧急"),
    ("im.admins_group", 'admins_group = "运维"', "运维"),
])
def test_a_group_named_in_im_must_exist(tmp_path, key, line, group):
    err = _refused(tmp_path, f"[im]\n{line}\n" + _group())
    assert err.text("en") == (f"duban.toml: '{key}' is \"{group}\", but there is no [im.groups.\"{group}\"] table "
                              f"(groups: 群). Add the group with its platform and webhook_env, or write \"\" for none.")
    assert err.text("zh") == (f"duban.toml：'{key}' 为 \"{group}\"，但没有 [im.groups.\"{group}\"] 这个群（已有的群：群）。"
                              f"请添加这个群（写明 platform 和 webhook_env），或写 \"\" 表示不发。")


def test_a_department_must_name_an_existing_group_with_a_hint(tmp_path):
    err = _refused(tmp_path, '[im.departments]\n"研发部" = "研发"\n[im.groups."研发群"]\n'
                             'platform = "feishu"\nwebhook_env = "RD_URL"\n')
    assert err.text("en") == ("duban.toml: 'im.departments.研发部' is \"研发\", but there is no [im.groups.\"研发\"] table "
                              "(groups: 研发群). Did you mean \"研发群\"? Add the group with its platform and webhook_env.")
    assert err.text("zh") == ("duban.toml：'im.departments.研发部' 为 \"研发\"，但没有 [im.groups.\"研发\"] 这个群"
                              "（已有的群：研发群）。是不是 \"研发群\"？请添加这个群（写明 platform 和 webhook_env）。")
    err = _refused(tmp_path, '[im.departments]\n"研发部" = ""\n')
    assert "'im.departments.研发部' is \"\"" in err.text("en") and "(groups: none yet)" in err.text("en")


SECRETS = [
    ("webhook_env", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"),
    ("webhook_env", "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"),
    ("webhook_env", "oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"),
    ("webhook_env", "access_token=0123456789abcdef"),
    ("webhook_env", "key=693a91f6"),
    ("webhook_env", "693a91f6-7aaa-4bc4-97a0-0ec2afa5aaaa"),
    ("secret_env", "SEC" + "0123456789abcdef" * 4),
    ("secret_env", "qW3rTy8uIoP1aSdF5gHjK"),
]


@pytest.mark.parametrize("key, value", SECRETS, ids=[f"{k}={v[:24]}" for k, v in SECRETS])
def test_a_url_key_or_secret_in_an_env_setting_is_refused_and_never_repeated(tmp_path, key, value):
    keys = {key: value} if key == "webhook_env" else {"secret_env": value}
    err = _refused(tmp_path, _group("dingtalk", **keys))
    example = GROUP_EXAMPLES[key]
    assert err.text("en").startswith(f"duban.toml: 'im.groups.群.{key}' holds what looks like the ")
    assert err.text("en").endswith(f"Put it in an environment variable (or the system keyring) and name the variable "
                                   f"here, like {key} = \"{example}\".")
    assert err.text("zh").endswith(f"请把它放进环境变量（或系统密钥环），在这里只写变量名，例如 {key} = \"{example}\"。")
    assert value not in err.text("en") and value not in err.text("zh")


def test_variable_names_are_not_taken_for_secrets():
    for name in ("DUBAN_IM_URGENT_URL", "DUBAN_IM_URGENT_SECRET", "RD_URL", "dingtalk_secret", "WEBHOOK1", "A"):
        assert not looks_secret(name), name


def test_a_webhook_env_that_is_no_variable_name_is_refused(tmp_path):
    err = _refused(tmp_path, _group(webhook_env="DUBAN IM URL"))
    assert err.text("en") == ("duban.toml: 'im.groups.群.webhook_env' should be an environment variable name, like "
                              "\"DUBAN_IM_URGENT_URL\"; found \"DUBAN IM URL\".")


def test_a_group_without_platform_or_webhook_env_is_refused(tmp_path):
    err = _refused(tmp_path, '[im.groups."群"]\nwebhook_env = "URL"\n')
    assert err.text("en") == ('duban.toml: the group [im.groups."群"] has no platform; add platform = "dingtalk" '
                              '(one of wecom, dingtalk, feishu, lark, slack, teams).')
    err = _refused(tmp_path, '[im.groups.ops]\nplatform = "teams"\n')
    assert err.text("en") == ('duban.toml: the group [im.groups.ops] has no webhook_env; add webhook_env = '
                              '"DUBAN_IM_URGENT_URL" (the environment variable holding the group\'s webhook URL).')
    assert err.text("zh") == ('duban.toml：群 [im.groups.ops] 没有 webhook_env；请加上 webhook_env = '
                              '"DUBAN_IM_URGENT_URL"（存放该群 webhook 地址的环境变量）。')


def test_an_unknown_key_in_a_group_is_refused_with_a_hint(tmp_path):
    err = _refused(tmp_path, _group("dingtalk", secret="X"))
    assert err.text("en") == "duban.toml: unknown setting 'im.groups.群.secret'. Did you mean 'im.groups.群.secret_env'?"


def test_a_signing_secret_or_keyword_on_a_platform_without_one_is_refused(tmp_path):
    err = _refused(tmp_path, _group("wecom", secret_env="WECOM_SECRET"))
    assert err.text("en") == ("duban.toml: 'im.groups.群.secret_env' is set, but wecom group bots have no signing "
                              "secret (加签) (only dingtalk, feishu, lark do); remove the line.")
    err = _refused(tmp_path, _group("slack", keyword="督办"))
    assert "slack group bots have no keyword security" in err.text("en")
    assert _load(tmp_path, _group("feishu", secret_env="FS_SECRET", keyword="督办")).im.groups["群"].keyword == "督办"


def test_a_chinese_name_without_quotes_is_told_how_to_write_it(tmp_path):
    for text in ('[im.groups.紧急群]\nplatform = "wecom"\n', '[im.departments]\n研发部 = "研发群"\n'):
        err = _refused(tmp_path, text)
        assert "not valid TOML" in err.text("en")
        assert err.text("en").endswith('A name in Chinese is written in double quotes: [im.groups."紧急群"], '
                                       '"研发部" = "研发群".')
        assert err.text("zh").endswith('中文名称须加双引号：[im.groups."紧急群"]、"研发部" = "研发群"。')
    assert "double quotes" not in _refused(tmp_path, "[reader\n").text("en")


def test_urgent_repeat_minutes_is_range_checked(tmp_path):
    err = _refused(tmp_path, '[company]\nlanguage = "en"\n[im]\nurgent_repeat_minutes = 0\n')
    assert err.text("en") == ("duban.toml: 'im.urgent_repeat_minutes' should be a number above 0 and at most 10080, "
                              "like 30; found 0.")


def test_the_group_limits_cover_the_group_keys_and_say_what_they_allow_in_chinese():
    from dataclasses import fields
    assert set(GROUP_LIMITS) == set(GROUP_EXAMPLES) == {f.name for f in fields(ImGroup)} - {"name"}
    assert set(GROUP_REQUIRED) <= set(GROUP_EXAMPLES)
    for key, limit in GROUP_LIMITS.items():
        assert re.search(r"[\u4e00-\u9fff]", limit.zh), key
        assert limit.check(GROUP_EXAMPLES[key]) == GROUP_EXAMPLES[key], key


# reading the secrets: only when used, from the environment or the keyring

def _no_keyring(monkeypatch):
    monkeypatch.setattr(secrets, "keyring_value", lambda variable: None)


def test_the_webhook_url_and_secret_are_read_from_the_environment_when_used(tmp_path, monkeypatch):
    _no_keyring(monkeypatch)
    group = _load(tmp_path, FULL).im.urgent                # loading reads no variable
    assert group is not None
    env = {"DUBAN_IM_URGENT_URL": "https://oapi.dingtalk.com/robot/send?access_token=t0k",
           "DUBAN_IM_URGENT_SECRET": "SECabc"}
    assert group.webhook_url(env) == env["DUBAN_IM_URGENT_URL"] and group.secret(env) == "SECabc"
    monkeypatch.setenv("DUBAN_IM_URGENT_URL", "http://127.0.0.1:8765/hook")
    assert group.webhook_url() == "http://127.0.0.1:8765/hook"
    assert ImGroup("研发群", "wecom", "DUBAN_IM_RD_URL").secret({}) is None


def test_a_missing_variable_is_one_sentence_naming_it(tmp_path, monkeypatch):
    _no_keyring(monkeypatch)
    group = _load(tmp_path, FULL).im.urgent
    assert group is not None
    with pytest.raises(ConfigError) as err:
        group.webhook_url({})
    assert err.value.text("en") == (
        "The webhook URL of the group 紧急群 is not set: the environment variable DUBAN_IM_URGENT_URL (named by "
        "im.groups.紧急群.webhook_env in duban.toml) is empty or missing, and the system keyring has no entry for it "
        "(service 'duban', user 'DUBAN_IM_URGENT_URL'). Set DUBAN_IM_URGENT_URL where duban runs (for duban serve: "
        "in its service's environment), or store it with `keyring set duban DUBAN_IM_URGENT_URL`.")
    assert err.value.text("zh").startswith("群「紧急群」的 webhook 地址未设置：环境变量 DUBAN_IM_URGENT_URL"
                                           "（由 duban.toml 中的 im.groups.紧急群.webhook_env 指定）为空或不存在")
    with pytest.raises(ConfigError) as err:
        group.secret({"DUBAN_IM_URGENT_URL": "https://x", "DUBAN_IM_URGENT_SECRET": "  "})
    assert err.value.text("en").startswith("The signing secret of the group 紧急群 is not set: the environment "
                                           "variable DUBAN_IM_URGENT_SECRET (named by im.groups.紧急群.secret_env")
    assert "加签密钥未设置：环境变量 DUBAN_IM_URGENT_SECRET" in err.value.text("zh")


def test_the_keyring_is_asked_when_the_environment_has_nothing(monkeypatch):
    asked = []
    monkeypatch.setattr(secrets, "keyring_value", lambda variable: asked.append(variable) or "https://kr.example/h")
    group = ImGroup("群", "wecom", "DUBAN_IM_URL")
    assert secrets.read("V", "s", ("x", "x"), {}, lambda v: "from-keyring") == "from-keyring"
    assert group.webhook_url({"DUBAN_IM_URL": "https://env.example/h"}) == "https://env.example/h" and asked == []
    assert group.webhook_url({}) == "https://kr.example/h" and asked == ["DUBAN_IM_URL"]


def test_a_variable_holding_no_https_url_is_refused_without_repeating_it():
    group = ImGroup("群", "wecom", "DUBAN_IM_URL")
    for value in ("693a91f6-7aaa-4bc4-97a0-0ec2afa5aaaa", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"):
        with pytest.raises(ConfigError) as err:
            group.webhook_url({"DUBAN_IM_URL": value})
        assert err.value.text("en") == ("The webhook URL of the group 群 in the environment variable DUBAN_IM_URL is "
                                         "not a URL starting with https://; copy the whole webhook address from the "
                                         "group bot's settings into DUBAN_IM_URL.")
        assert value not in err.value.text("zh")


def test_a_department_or_group_of_the_wrong_shape_is_refused(tmp_path):
    err = _refused(tmp_path, '[im.departments]\n"研发部" = 3\n')
    assert err.text("en") == ("duban.toml: 'im.departments.研发部' should be a group name from [im.groups] in quotes, "
                              "like \"研发群\"; found 3.")
    err = _refused(tmp_path, '[im.groups]\n"研发群" = "wecom"\n')
    assert err.text("en") == ("duban.toml: 'im.groups.研发群' must be a table ([im.groups.\"研发群\"]) with its "
                              "platform and webhook_env.")
    err = _refused(tmp_path, '[im.groups." "]\nplatform = "wecom"\nwebhook_env = "U"\n')
    assert err.text("en") == ('duban.toml: " " in [im.groups] is not a usable name: write 1 to 64 characters, '
                              'without control characters.')
