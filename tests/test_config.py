"""duban.toml: every setting has a type and a range; a bad value is one sentence and exit code 2."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from duban.jobs.settings import config
from duban.jobs.settings.calendar import from_settings
from duban.workbooks.model.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"


def duban(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=ROOT, timeout=60)


# (table, line in duban.toml, key, how the value is shown, what the sentence must also say)
BAD = [
    ("rules", "ack_working_hours = 1e308", "rules.ack_working_hours", "1e+308", "like 2"),
    ("rules", 'stale_weekday = "someday"', "rules.stale_weekday", '"someday"', '"friday"'),
    ("rules", 'stale_time = "5pm"', "rules.stale_time", '"5pm"', "HH:MM"),
    ("state", 'path = "/etc/passwd"', "state.path", '"/etc/passwd"', "inside this folder"),
    ("rules", "escalate_working_days = -1", "rules.escalate_working_days", "-1", "from 1 to"),
    ("rules", "due_soon_working_days = -5", "rules.due_soon_working_days", "-5", "like 2"),
    ("state", "backups = -3", "state.backups", "-3", "like 10"),
    ("company", 'language = "fr"', "company.language", '"fr"', '"zh", "en"'),
    ("reader", "header_scan_rows = 0", "reader.header_scan_rows", "0", "like 20"),
    ("reader", "max_unzipped_mb = -1", "reader.max_unzipped_mb", "-1", "like 500"),
    ("state", 'path = "../../outside/state.db"', "state.path", '"../../outside/state.db"', "outside this folder"),
    ("state", 'path = ".duban/state.txt"', "state.path", '".duban/state.txt"', ".db"),
    ("company", 'calendar = "XX"', "company.calendar", '"XX"', "unknown country"),
    ("company", 'timezone = "Mars/Olympus"', "company.timezone", '"Mars/Olympus"', "not a known time zone"),
    ("company", 'office_hours = ["18:00", "09:00"]', "company.office_hours", '["18:00", "09:00"]', "before"),
    ("company", 'office_hours = ["9am", "6pm"]', "company.office_hours", '["9am", "6pm"]', "HH:MM"),
    ("colours", 'red = { fill = "reddish" }', "colours.red.fill", '"reddish"', "RRGGBB"),
    ("mail.smtp", "port = 0", "mail.smtp.port", "0", "1 to 65535"),
    ("mail.smtp", "port = 70000", "mail.smtp.port", "70000", "1 to 65535"),
    ("mail.smtp", 'security = "tls"', "mail.smtp.security", '"tls"', '"ssl", "starttls", "none"'),
    ("rules", "ack_working_hours = nan", "rules.ack_working_hours", "nan", "like 2"),
    ("rules", "escalate_working_days = 2.5", "rules.escalate_working_days", "2.5", "whole number"),
    ("rules.customer_cadence_days", "key = 0", "rules.customer_cadence_days.key", "0", "like 14"),
    ("state", "lock_wait_seconds = -1", "state.lock_wait_seconds", "-1", "like 600"),
    ("mail", "max_items = 0", "mail.max_items", "0", "like 50"),
]


def _bad_toml(table: str, line: str, lang: str | None) -> str:
    """The bad line in its table, with company.language = `lang` set beside it (None: not set)."""
    if lang is None or line.startswith("language"):
        return f"[{table}]\n{line}\n"
    if table == "company":
        return f'[company]\nlanguage = "{lang}"\n{line}\n'
    return f'[company]\nlanguage = "{lang}"\n[{table}]\n{line}\n'


@pytest.mark.parametrize("table, line, key, shown, also", BAD, ids=[b[2] + "=" + b[3] for b in BAD])
@pytest.mark.slow
def test_a_bad_setting_is_one_sentence_with_exit_code_2(tmp_path, table, line, key, shown, also):
    english = not line.startswith("language")          # "fr" is no language: that file is told in zh
    (tmp_path / "duban.toml").write_text(_bad_toml(table, line, "en"), encoding="utf-8")
    result = duban("validate", tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    [sentence] = result.stderr.strip().splitlines()
    assert "unexpected error" not in sentence
    if not english:
        assert sentence.startswith("duban: duban.toml：") and f"现为 {shown}" in sentence, sentence
        return
    assert sentence.startswith("duban: duban.toml: "), sentence          # the file
    assert f"'{key}'" in sentence and f"found {shown}" in sentence, sentence   # the key and the value
    assert " like " in sentence and also in sentence, sentence          # an example, and what is allowed


@pytest.mark.parametrize("table, line, key, shown, also", BAD, ids=[b[2] + "=" + b[3] for b in BAD])
def test_a_bad_setting_is_told_in_chinese_unless_the_file_asks_for_english(tmp_path, table, line, key, shown, also):
    """A Chinese company (company.language zh, or not set) reads the sentence in Chinese (issue 17 #11);
    in process, for speed: the CLI prints `text(lang)` (test_an_unknown_calendar... runs it)."""
    for lang in (None, "zh"):
        (tmp_path / "duban.toml").write_text(_bad_toml(table, line, lang), encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            config.load(tmp_path)
        assert err.value.lang == "zh"
        sentence = err.value.text(err.value.lang)
        assert sentence.startswith("duban.toml："), sentence
        assert f"'{key}'" in sentence and "应为" in sentence and "例如 " in sentence, sentence
        assert f"现为 {shown}" in sentence and sentence.endswith("。"), sentence
        assert not re.search(r"\b(should|found|like|from|number|one of)\b", sentence), sentence


def test_every_limit_says_what_it_allows_in_chinese_too():
    for pattern, limit in config.LIMITS.items():
        assert re.search(r"[\u4e00-\u9fff]", limit.zh), pattern
        assert bool(limit.why) == bool(limit.why_zh), pattern


@pytest.mark.slow
def test_an_unknown_calendar_says_unknown_country_with_examples(tmp_path):
    (tmp_path / "duban.toml").write_text('[company]\nlanguage = "en"\ncalendar = "XX"\n', encoding="utf-8")
    sentence = duban("check", tmp_path).stderr
    assert "unknown country" in sentence and '"CN"' in sentence and '"US"' in sentence
    assert "pip install" not in sentence and "Upgrade" not in sentence
    (tmp_path / "duban.toml").write_text('[company]\ncalendar = "XX"\n', encoding="utf-8")
    sentence = duban("check", tmp_path).stderr
    assert "这是未知的国家" in sentence and '"CN"、"US"' in sentence, sentence


@pytest.mark.slow
def test_a_file_that_is_not_toml_is_told_in_the_language_it_asks_for(tmp_path):
    (tmp_path / "duban.toml").write_text('[company]\nlanguage = "en"\n[reader\n', encoding="utf-8")
    assert "not valid TOML" in duban("validate", tmp_path).stderr
    (tmp_path / "duban.toml").write_text('[company]\nlanguage = "zh"\n[reader\n', encoding="utf-8")
    sentence = duban("validate", tmp_path).stderr
    assert "不是有效的 TOML" in sentence and "请改正它指出的那一行" in sentence, sentence


def test_from_settings_refuses_an_unknown_country_too():
    settings = config.load()
    settings = replace(settings, company=replace(settings.company, calendar="XX"))
    with pytest.raises(ConfigError, match="unknown country"):
        from_settings(settings)


@pytest.mark.slow
def test_the_defaults_load_and_pass_their_own_limits(tmp_path):
    folder = tmp_path / "share"
    assert duban("init", folder).returncode == 0          # writes duban.toml with every default
    assert config.checked(folder) == config.defaults()
    for command in (("validate", folder), ("check", folder, "--dry-run")):
        result = duban(*command)
        assert result.returncode == 0, result.stderr


def test_every_limit_names_a_real_setting_and_its_default_passes():
    flat = dict(_flatten(config.defaults()))
    for pattern, limit in config.LIMITS.items():
        matching = [k for k in flat if config.limit_for(k) is limit]
        assert matching, f"LIMITS has '{pattern}', which matches no setting in defaults.toml"
        for key in matching:
            assert limit.check(flat[key]) == flat[key], key


def test_good_edge_values_are_accepted(tmp_path):
    (tmp_path / "duban.toml").write_text(
        '[company]\ncalendar = "de"\noffice_hours = ["08:30", "17:30"]\n'
        '[rules]\nescalate_working_days = 1\ndue_soon_working_days = 0\nstale_weekday = "Monday"\n'
        'stale_time = "09:05"\nack_working_hours = 0.5\n'
        '[state]\npath = "journal/duban.db"\n'
        '[colours]\nred = { fill = "#ffc7ce" }\n[mail.smtp]\nport = 65535\n', encoding="utf-8")
    settings = config.checked(tmp_path)
    assert settings["rules"]["escalate_working_days"] == 1 and settings["state"]["path"] == "journal/duban.db"
    assert settings["mail"]["smtp"]["port"] == 65535


def test_a_whole_number_written_as_a_float_is_taken_as_a_whole_number(tmp_path):
    (tmp_path / "duban.toml").write_text("[reader]\nheader_scan_rows = 30.0\n", encoding="utf-8")
    value = config.checked(tmp_path)["reader"]["header_scan_rows"]
    assert value == 30 and isinstance(value, int)


def test_a_key_without_a_limit_is_type_checked_only(tmp_path, monkeypatch):
    """So another engineer's new key needs no line in LIMITS to work (and gets one to be range-checked)."""
    monkeypatch.setattr(config, "default_text", lambda: '[state]\npath = ".duban/state.db"\nfuture_seconds = 30\n')
    (tmp_path / "duban.toml").write_text("[state]\nfuture_seconds = -7\n", encoding="utf-8")
    assert config.checked(tmp_path)["state"]["future_seconds"] == -7
    (tmp_path / "duban.toml").write_text('[state]\nfuture_seconds = "long"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'state.future_seconds' should be a number"):
        config.checked(tmp_path)
    monkeypatch.setitem(config.LIMITS, "state.future_seconds", config.number(0, 3600))
    (tmp_path / "duban.toml").write_text("[state]\nfuture_seconds = -7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'state.future_seconds' should be a number from 0 to 3600, like 30; found -7"):
        config.checked(tmp_path)


def test_control_characters_in_a_bad_value_do_not_reach_the_terminal(tmp_path):
    (tmp_path / "duban.toml").write_text('[company]\nlanguage = "\\u001b]0;pwned\\u0007\u202e"\n', encoding="utf-8")
    result = duban("validate", tmp_path)
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\u202e" not in result.stderr
    assert "\\u001b]0;pwned\\u0007\\u202e" in result.stderr


def _flatten(table: dict, prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
