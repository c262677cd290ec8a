"""[reply] and the issue-20 [rules] keys: typed, range-checked, told in both languages; replies off by default."""
from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from duban.jobs.settings import config, secrets
from duban.jobs.settings.typed import Imap, Reply, Rules, Settings
from duban.workbooks.model.errors import ConfigError

FULL = '''
[reply]
enabled = true
address = "duban@example.com"
plus_addressing = false
valid_days = 30

[reply.imap]
host = "imap.exmail.qq.com"
port = 143
security = "starttls"
user = "duban@example.com"
password_env = "DUBAN_IMAP_PASSWORD"
folder = "督办回复"
done_folder = "已处理"
'''

ON = '''
[reply]
enabled = true
address = "duban@example.com"
[reply.imap]
host = "imap.example.com"
user = "duban@example.com"
password_env = "DUBAN_IMAP_PASSWORD"
'''


def _load(tmp_path, text: str) -> Settings:
    (tmp_path / "duban.toml").write_text(text, encoding="utf-8")
    return config.load(tmp_path)


def _refused(tmp_path, text: str) -> ConfigError:
    (tmp_path / "duban.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path)
    return err.value


def _on_without(key: str) -> str:
    """ON with one line removed."""
    lines = [line for line in ON.splitlines() if not line.startswith(f"{key} = ")]
    assert len(lines) == len(ON.splitlines()) - 1, key
    return "\n".join(lines) + "\n"


# ---- defaults: off, and a mail-only installation unchanged ---------------------------------------------------------

def test_replies_are_off_by_default_with_the_documented_values():
    reply = config.load().reply
    assert reply == Settings().reply == Reply()
    assert (reply.enabled, reply.address, reply.plus_addressing, reply.valid_days) == (False, "", True, 14)
    assert reply.imap == Imap("", 993, "ssl", "", "", "INBOX", "duban-handled")


def test_a_file_without_reply_gives_enabled_false_and_nothing_else_changes(tmp_path):
    plain = _load(tmp_path, '[mail]\nclerks = ["王芳"]\n')
    assert plain.reply.enabled is False and plain.reply == Reply()
    assert "reply" not in config.checked(tmp_path)          # the checked dict of a mail-only file is as before
    assert plain == config.load(values={"mail": {"clerks": ["王芳"]}})


def test_the_file_init_writes_has_no_live_reply_table_and_its_commented_block_loads(tmp_path):
    """defaults.toml (what `duban init` writes) shows [reply] commented out; removing the leading #
    gives replies on, with every required key set."""
    text = config.default_text()
    assert "reply" not in config.defaults() and re.search(r"^\[reply", text, re.M) is None
    assert "# [reply]" in text and "# [reply.imap]" in text
    block = text[text.index("# [reply]"):]
    uncommented = re.sub(r"^# ", "", block, flags=re.M)
    reply = _load(tmp_path, text[:text.index("# [reply]")] + uncommented).reply
    assert reply == Reply(True, "duban@example.com", True, 14,
                          Imap("imap.example.com", 993, "ssl", "duban@example.com", "DUBAN_IMAP_PASSWORD",
                               "INBOX", "duban-handled"))


def test_a_full_reply_table_becomes_typed_frozen_objects_that_pickle(tmp_path):
    settings = _load(tmp_path, FULL)
    assert settings.reply == Reply(True, "duban@example.com", False, 30,
                                   Imap("imap.exmail.qq.com", 143, "starttls", "duban@example.com",
                                        "DUBAN_IMAP_PASSWORD", "督办回复", "已处理"))
    assert pickle.loads(pickle.dumps(settings)) == settings
    with pytest.raises(AttributeError):
        settings.reply.imap.port = 1                   # type: ignore[misc]
    assert settings.changed(reply={"imap": {"port": 2993}}).reply.imap.port == 2993


def test_a_partial_table_keeps_the_other_defaults(tmp_path):
    reply = _load(tmp_path, "[reply.imap]\nport = 1993\n").reply
    assert reply == Reply(imap=Imap(port=1993)) and reply.enabled is False


# ---- required keys once enabled -------------------------------------------------------------------------------------

MISSING = [
    ("address", "reply.address", "[reply]", '"duban@example.com"', "the mailbox replies go to", "回复发往的邮箱"),
    ("host", "reply.imap.host", "[reply.imap]", '"imap.example.com"', "the IMAP server duban reads replies from",
     "督办读取回复的 IMAP 服务器"),
    ("user", "reply.imap.user", "[reply.imap]", '"duban@example.com"', "the mailbox's login", "该邮箱的登录名"),
    ("password_env", "reply.imap.password_env", "[reply.imap]", '"DUBAN_IMAP_PASSWORD"',
     "the environment variable holding its password", "存放其密码的环境变量"),
]


@pytest.mark.parametrize("line, key, table, example, en, zh", MISSING, ids=[m[1] for m in MISSING])
def test_each_required_key_missing_with_replies_on_is_one_sentence_naming_it(tmp_path, line, key, table, example,
                                                                             en, zh):
    err = _refused(tmp_path, _on_without(line))
    assert err.text("en") == (f"duban.toml: replies are on (reply.enabled = true), but '{key}' is not set: add "
                              f"{line} = {example} under {table} ({en}); or set enabled = false.")
    assert err.text("zh") == (f"duban.toml：已启用回复（reply.enabled = true），但没有设置 '{key}'：请在 {table} 下加上 "
                              f"{line} = {example}（{zh}）；或设 enabled = false。")
    assert err.lang == "zh"
    assert _refused(tmp_path, '[company]\nlanguage = "en"\n' + _on_without(line)).lang == "en"
    # following the advice works
    fixed = _on_without(line).replace(f"{table}\n", f"{table}\n{line} = {example}\n", 1)
    assert _load(tmp_path, fixed).reply.enabled is True


def test_every_missing_key_is_named_in_one_message_and_off_needs_none(tmp_path):
    err = _refused(tmp_path, "[reply]\nenabled = true\n")
    assert [m[1] for m in MISSING] == re.findall(r"'(reply\.[a-z_.]+)' is not set", err.text("en"))
    assert [m[1] for m in MISSING] == re.findall(r"没有设置 '(reply\.[a-z_.]+)'", err.text("zh"))
    assert _load(tmp_path, "[reply]\nenabled = false\n").reply == Reply()


def test_an_empty_string_counts_as_missing(tmp_path):
    err = _refused(tmp_path, ON.replace('host = "imap.example.com"', 'host = ""'))
    assert "'reply.imap.host' is not set" in err.text("en")


# ---- wrong types and ranges ----------------------------------------------------------------------------------------

WRONG = [
    ("[reply]\nenabled = \"yes\"\n",
     "'reply.enabled' should be true or false like false, found \"yes\".",
     "'reply.enabled' 应为 true 或 false，例如 false；现为 \"yes\"。"),
    ("[reply]\nvalid_days = 0\n",
     "'reply.valid_days' should be a whole number from 1 to 365, like 14; found 0.",
     "'reply.valid_days' 应为 1 到 365 之间的整数，例如 14；现为 0。"),
    ("[reply]\nvalid_days = 366\n",
     "'reply.valid_days' should be a whole number from 1 to 365, like 14; found 366.",
     "'reply.valid_days' 应为 1 到 365 之间的整数，例如 14；现为 366。"),
    ("[reply]\nvalid_days = 7.5\n",
     "'reply.valid_days' should be a whole number from 1 to 365, like 14; found 7.5.",
     "'reply.valid_days' 应为 1 到 365 之间的整数，例如 14；现为 7.5。"),
    ("[reply]\naddress = 3\n",
     "'reply.address' should be text in quotes like \"duban@example.com\", found 3.",
     "'reply.address' 应为带引号的文字，例如 \"duban@example.com\"；现为 3。"),
    ("[reply]\naddress = \"duban+x@example.com\"\n",
     "'reply.address' should be a mail address without a +tag (duban adds +<token> itself), or \"\" while replies "
     "are off, like \"duban@example.com\"; found \"duban+x@example.com\".",
     "'reply.address' 应为不含 + 号的邮箱地址（督办会自己加上 +<token>），未启用回复时可为 \"\"，例如 "
     "\"duban@example.com\"；现为 \"duban+x@example.com\"。"),
    ("[reply]\nplus_addressing = 1\n",
     "'reply.plus_addressing' should be true or false like true, found 1.",
     "'reply.plus_addressing' 应为 true 或 false，例如 true；现为 1。"),
    ("[reply.imap]\nport = 0\n",
     "'reply.imap.port' should be a whole number from 1 to 65535, like 993; found 0.",
     "'reply.imap.port' 应为 1 到 65535 之间的整数，例如 993；现为 0。"),
    ("[reply.imap]\nsecurity = \"tls\"\n",
     "'reply.imap.security' should be one of \"ssl\", \"starttls\", \"none\", like \"ssl\"; found \"tls\".",
     "'reply.imap.security' 应为以下之一：\"ssl\"、\"starttls\"、\"none\"，例如 \"ssl\"；现为 \"tls\"。"),
    ("[reply.imap]\nhost = \"imap example com\"\n",
     "'reply.imap.host' should be a host name or address, like \"imap.example.com\"; found \"imap example com\".",
     "'reply.imap.host' 应为主机名或地址，例如 \"imap.example.com\"；现为 \"imap example com\"。"),
    ("[reply.imap]\nfolder = \" \"\n",
     "'reply.imap.folder' should be a folder name of 1 to 200 characters, like \"INBOX\"; found \" \".",
     "'reply.imap.folder' 应为 1 到 200 个字符的文件夹名，例如 \"INBOX\"；现为 \" \"。"),
    ("[reply]\nimap = \"imap.example.com\"\n",
     "'reply.imap' must be a table ([reply.imap]).",
     "'reply.imap' 应是一个表（[reply.imap]）。"),
    ("reply = true\n",
     "'reply' must be a table ([reply]).",
     "'reply' 应是一个表（[reply]）。"),
]


@pytest.mark.parametrize("text, en, zh", WRONG, ids=[w[0].strip().replace("\n", " ") for w in WRONG])
def test_a_wrong_type_or_range_is_refused_in_both_languages(tmp_path, text, en, zh):
    err = _refused(tmp_path, text)
    assert err.text("en") == f"duban.toml: {en}"
    assert err.text("zh") == f"duban.toml：{zh}"


def test_an_unknown_key_gets_a_did_you_mean(tmp_path):
    err = _refused(tmp_path, "[reply]\nvalid_day = 7\n")
    assert err.text("en") == "duban.toml: unknown setting 'reply.valid_day'. Did you mean 'reply.valid_days'?"
    err = _refused(tmp_path, "[reply.imap]\nhostname = \"imap.example.com\"\n")
    assert err.text("zh") == "duban.toml：没有 'reply.imap.hostname' 这项设置。是不是 'reply.imap.host'？"
    err = _refused(tmp_path, "[repl]\nenabled = true\n")
    assert err.text("en") == "duban.toml: unknown setting 'repl'. Did you mean 'reply'?"


def test_the_done_folder_must_differ_from_the_folder_read(tmp_path):
    err = _refused(tmp_path, '[reply.imap]\nfolder = "回复"\ndone_folder = "回复"\n')
    assert err.text("en") == ('duban.toml: \'reply.imap.done_folder\' is "回复", the folder replies are read from, so '
                              'a handled reply would be read again; name another folder, like "duban-handled".')
    assert err.text("zh") == ('duban.toml：\'reply.imap.done_folder\' 为 "回复"，即读取回复的文件夹，处理过的回复会被'
                              '再次读取；请另写一个文件夹，例如 "duban-handled"。')


# ---- security "none": this machine only ----------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["imap.example.com", "10.0.0.5", "192.168.1.20", "localhost.example.com"])
def test_no_encryption_is_refused_for_a_server_across_the_network(tmp_path, host):
    err = _refused(tmp_path, ON.replace('host = "imap.example.com"', f'host = "{host}"\nsecurity = "none"'))
    assert err.text("en") == (
        "duban.toml: 'reply.imap.security' is \"none\" (no encryption), which is allowed only for a server on this "
        f"machine (127.0.0.1 or localhost): the password and the replies would cross the network to {host} "
        "unencrypted. Use \"ssl\" (port 993) or \"starttls\" (port 143).")
    assert err.text("zh") == (
        "duban.toml：'reply.imap.security' 为 \"none\"（不加密），只允许用于本机的服务器（127.0.0.1 或 localhost）："
        f"否则密码和回复会以明文经网络传到 {host}。请改用 \"ssl\"（端口 993）或 \"starttls\"（端口 143）。")
    fixed = ON.replace('host = "imap.example.com"', f'host = "{host}"\nsecurity = "starttls"')
    assert _load(tmp_path, fixed).reply.imap.security == "starttls"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "::1", "127.0.0.2"])
def test_no_encryption_is_accepted_on_this_machine(tmp_path, host):
    text = ON.replace('host = "imap.example.com"', f'host = "{host}"\nsecurity = "none"\nport = 1143')
    imap = _load(tmp_path, text).reply.imap
    assert (imap.host, imap.security, imap.port) == (host, "none", 1143)


# ---- the password: from the environment or the keyring, never from duban.toml --------------------------------------

def test_a_password_written_in_the_file_is_refused_naming_password_env(tmp_path):
    err = _refused(tmp_path, ON + 'password = "Geheim-2026!"\n')
    assert err.text("en") == (
        "duban.toml: 'reply.imap.password' holds what looks like the IMAP password itself; a password is never "
        "written in this file (the value is not repeated here). Put it in an environment variable (or the system "
        "keyring) and name the variable in 'reply.imap.password_env', like password_env = \"DUBAN_IMAP_PASSWORD\".")
    assert err.text("zh") == (
        "duban.toml：'reply.imap.password' 看起来是 IMAP 密码本身；密码绝不写在本文件中（此处不重复其内容）。"
        "请把它放进环境变量（或系统密钥环），在 'reply.imap.password_env' 中只写变量名，例如 "
        "password_env = \"DUBAN_IMAP_PASSWORD\"。")


@pytest.mark.parametrize("value", ["Geheim-2026!", "p@ss word", "qW3rTy8uIoP1aSdF5gHjK", "1234"])
def test_a_password_written_where_its_variable_name_belongs_is_refused_unrepeated(tmp_path, value):
    err = _refused(tmp_path, ON.replace('password_env = "DUBAN_IMAP_PASSWORD"', f'password_env = "{value}"'))
    assert err.text("en").startswith("duban.toml: 'reply.imap.password_env' holds what looks like the IMAP password")
    assert value not in err.text("en") and value not in err.text("zh")


def _refusal(values: dict) -> tuple[str, str] | None:
    try:
        config.load(values=values)
    except ConfigError as err:
        return err.text("en"), err.text("zh")
    return None


@hsettings(max_examples=80, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_no_password_in_the_file_is_ever_repeated(value):
    """The refusal is the same sentence whatever the value: it cannot carry any part of it."""
    assert _refusal({"reply": {"imap": {"password": value}}}) == _refusal({"reply": {"imap": {"password": "x"}}})
    said = _refusal({"reply": {"imap": {"password_env": value}}})
    if said is None:                                           # only a variable's name passes
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value)
    else:
        assert said == _refusal({"reply": {"imap": {"password_env": "not a name"}}})


def test_the_password_comes_from_the_named_variable_when_used(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets, "keyring_value", lambda variable: None)
    imap = _load(tmp_path, ON).reply.imap                 # loading reads no variable
    assert imap.password({"DUBAN_IMAP_PASSWORD": "s3cret"}) == "s3cret"
    monkeypatch.setenv("DUBAN_IMAP_PASSWORD", "from-env")
    assert imap.password() == "from-env"
    monkeypatch.delenv("DUBAN_IMAP_PASSWORD")
    with pytest.raises(ConfigError) as err:
        imap.password()
    assert err.value.text("en").startswith(
        "The IMAP password of duban@example.com is not set: the environment variable DUBAN_IMAP_PASSWORD (named by "
        "reply.imap.password_env in duban.toml) is empty or missing")
    assert err.value.text("zh").startswith(
        "duban@example.com 的 IMAP 密码未设置：环境变量 DUBAN_IMAP_PASSWORD（由 duban.toml 中的 reply.imap.password_env "
        "指定）为空或不存在")


def test_the_keyring_is_asked_when_the_environment_has_none(tmp_path, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(secrets, "keyring_value", lambda variable: asked.append(variable) or "from-keyring")
    imap = _load(tmp_path, ON).reply.imap
    assert imap.password({"DUBAN_IMAP_PASSWORD": "env"}) == "env" and asked == []
    assert imap.password({}) == "from-keyring" and asked == ["DUBAN_IMAP_PASSWORD"]


# ---- the new [rules] keys ------------------------------------------------------------------------------------------

def test_the_new_rules_keys_default_to_todays_behaviour():
    rules = config.load().rules
    assert rules == Rules() and rules.due_soon_working_days == 2 and rules.escalate_working_days == 3
    assert (rules.due_soon_offsets, rules.escalation_levels, rules.escalation_level_working_days,
            rules.still_open_after_days, rules.max_unchanged_reminders) == ((), 1, 2, 0, 0)


def test_the_new_rules_keys_reach_the_typed_settings(tmp_path):
    rules = _load(tmp_path, "[rules]\ndue_soon_offsets = [0, 3, 1]\nescalation_levels = 3\n"
                            "escalation_level_working_days = 5\nstill_open_after_days = 2\n"
                            "max_unchanged_reminders = 4\n").rules
    assert rules.due_soon_offsets == (3, 1, 0)             # largest first, whatever the order written
    assert (rules.escalation_levels, rules.escalation_level_working_days, rules.still_open_after_days,
            rules.max_unchanged_reminders) == (3, 5, 2, 4)
    assert rules.due_soon_working_days == 2 and rules.customer_cadence_days["key"] == 14


OFFSETS_EN = ("'rules.due_soon_offsets' should be a list of at most 10 different whole numbers from 0 to 60 "
              "(working days before the due date; 0 = the due day), or [] for every day of the window, like [3, 1, 0]; "
              "found {found}.")
OFFSETS_ZH = ("'rules.due_soon_offsets' 应为最多 10 个互不相同、0 到 60 之间的整数组成的列表（到期前的工作日数，"
              "0 = 到期当天），或 [] 表示窗口内每天，例如 [3, 1, 0]；现为 {found}。")


@pytest.mark.parametrize("value", ["[3, 3, 0]", "[-1]", "[61]", "[1.5]", "[true]", '["3"]',
                                   "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"])
def test_bad_offsets_are_refused_in_both_languages(tmp_path, value):
    err = _refused(tmp_path, f"[rules]\ndue_soon_offsets = {value}\n")
    assert err.text("en") == "duban.toml: " + OFFSETS_EN.format(found=value)
    assert err.text("zh") == "duban.toml：" + OFFSETS_ZH.format(found=value)


def test_offsets_that_are_no_list_are_refused(tmp_path):
    err = _refused(tmp_path, "[rules]\ndue_soon_offsets = 3\n")
    assert err.text("en") == "duban.toml: 'rules.due_soon_offsets' should be a list like [3, 1, 0], found 3."
    assert err.text("zh") == "duban.toml：'rules.due_soon_offsets' 应为列表，例如 [3, 1, 0]；现为 3。"


@given(st.lists(st.integers(0, 60), unique=True, max_size=10))
def test_any_set_of_offsets_in_range_is_kept_largest_first(offsets):
    rules = config.load(values={"rules": {"due_soon_offsets": offsets}}).rules
    assert rules.due_soon_offsets == tuple(sorted(offsets, reverse=True))


RULES_RANGES = [("escalation_levels", 0, "from 1 to 5", " 1 到 5 ", 1), ("escalation_levels", 6, "from 1 to 5", " 1 到 5 ", 1),
                ("escalation_level_working_days", 0, "from 1 to 250", " 1 到 250 ", 2),
                ("still_open_after_days", -1, "from 0 to 365", " 0 到 365 ", 0),
                ("max_unchanged_reminders", 366, "from 0 to 365", " 0 到 365 ", 0)]


@pytest.mark.parametrize("key, value, en, zh, default", RULES_RANGES, ids=[f"{r[0]}={r[1]}" for r in RULES_RANGES])
def test_the_new_rules_numbers_are_range_checked(tmp_path, key, value, en, zh, default):
    err = _refused(tmp_path, f"[rules]\n{key} = {value}\n")
    assert err.text("en") == f"duban.toml: 'rules.{key}' should be a whole number {en}, like {default}; found {value}."
    assert err.text("zh") == f"duban.toml：'rules.{key}' 应为{zh}之间的整数，例如 {default}；现为 {value}。"


def test_a_toml_string_written_by_json_escaping_reaches_the_settings(tmp_path):
    """A folder name in any script, as a person may write it (the escapes TOML shares with JSON)."""
    reply = _load(tmp_path, f"[reply.imap]\nfolder = {json.dumps('督办/回复 2026')}\n").reply
    assert reply.imap.folder == "督办/回复 2026"


def test_the_readmes_examples_load_as_they_say(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    replies = [b for b in blocks if b.startswith("[reply]\nenabled = true")]
    assert len(replies) == 2        # "Update by reply" and Configuration: both load as they are
    assert _load(tmp_path, replies[0]).reply.imap.host == "imap.example.com"
    reply = next(b for b in replies if "imap.exmail.qq.com" in b)
    rules = next(b for b in blocks if b.startswith("[rules]\ndue_soon_offsets") and "escalation_levels = 2" in b)
    settings = _load(tmp_path, reply + rules)
    assert settings.reply == Reply(True, "duban@example.com", True, 14,
                                   Imap("imap.exmail.qq.com", 993, "ssl", "duban@example.com", "DUBAN_IMAP_PASSWORD",
                                        "INBOX", "duban-handled"))
    assert (settings.rules.due_soon_offsets, settings.rules.escalation_levels, settings.rules.still_open_after_days,
            settings.rules.max_unchanged_reminders) == ((3, 1, 0), 2, 3, 5)
