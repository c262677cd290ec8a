"""duban.toml is parsed once into typed settings: nothing below reads a raw settings dict."""
from __future__ import annotations

import ast
import pickle
import re
import tomllib
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from duban.jobs.settings import config
from duban.jobs.settings.calendar import from_settings
from duban.jobs.settings.site import Site
from duban.jobs.settings.typed import Settings
from duban.workbooks.model.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workbooks", "jobs", "mailer", "macros")
RAW = re.compile(r"""settings\s*\[\s*["']|settings\.get\(""")


def _code() -> list[Path]:
    return [p for app in APPS for p in sorted((ROOT / app).rglob("*.py"))
            if not p.relative_to(ROOT).as_posix().startswith("jobs/settings/")]


def test_no_module_outside_the_settings_package_reads_a_raw_settings_dict():
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in _code()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if RAW.search(line)]
    assert found == [], "read the typed settings instead (settings.mail.clerks):\n" + "\n".join(found)


def test_time_is_below_the_settings():
    """jobs/time knows zones and calendars, not duban.toml: the settings build the calendar."""
    for path in sorted((ROOT / "jobs" / "time").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [n for n in names if n.startswith("duban.jobs.settings")], path.name


def _leaves(table: dict, prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict) and key not in ("customer_cadence_days", "tier_thresholds"):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _typed(settings: Settings, dotted: str):
    value = settings
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def test_every_key_of_the_defaults_has_a_typed_field_with_its_value():
    """A key added to defaults.toml without its field would be checked and then dropped."""
    settings = config.load()
    for dotted, value in _leaves(config.defaults()):
        if dotted.startswith("colours."):
            name, part = dotted.split(".")[1:]
            assert getattr(getattr(settings.colours, name), part) == value.lstrip("#").upper() \
                if part != "pattern" else getattr(getattr(settings.colours, name), part) == value, dotted
            continue
        typed = _typed(settings, dotted)
        assert (list(typed) if isinstance(typed, tuple) else typed) == value, dotted


def test_the_typed_defaults_match_the_dataclass_defaults():
    """The dataclasses' own defaults (a Settings() made in a test) are those of defaults.toml."""
    assert Settings() == config.load()


def test_a_folders_file_reaches_the_typed_settings(tmp_path):
    (tmp_path / "duban.toml").write_text(
        '[company]\nlanguage = "en"\noffice_hours = ["08:30", "17:30"]\n'
        '[rules]\ndue_soon_working_days = 5\n[rules.customer_cadence_days]\nkey = 21\n'
        '[colours]\nred = { fill = "#ff0000" }\n[mail]\nclerks = ["王芳"]\n[mail.smtp]\nport = 2525\n',
        encoding="utf-8")
    site = Site.open(tmp_path)
    s = site.settings
    assert (s.lang, s.rules.due_soon_working_days, s.rules.customer_cadence_days["key"]) == ("en", 5, 21)
    assert (s.colours.red.fill, s.colours.red.font, s.mail.clerks, s.mail.smtp.port) == ("FF0000", "9C0006", ("王芳",), 2525)
    assert (site.calendar.opens.hour, site.calendar.opens.minute) == (8, 30)
    assert site.state_db == tmp_path / ".duban" / "state.db" and site.palette["red"].fill == "FF0000"


def test_a_bad_value_is_refused_before_any_object_is_made(tmp_path):
    (tmp_path / "duban.toml").write_text("[rules]\ndue_soon_working_days = 99\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Site.open(tmp_path)
    assert err.value.text("en") == ("duban.toml: 'rules.due_soon_working_days' should be a whole number from 0 to 60, "
                                    "like 2; found 99.")
    with pytest.raises(ConfigError, match="due_soon_working_days"):
        config.load(values={"rules": {"due_soon_working_days": 99}})


def test_settings_are_frozen_and_changed_by_copy():
    settings = config.load()
    with pytest.raises(AttributeError):
        settings.mail.clerks = ("王芳",)          # type: ignore[misc]
    changed = settings.changed(mail={"max_per_minute": 100_000, "smtp": {"port": 2525}})
    assert (changed.mail.max_per_minute, changed.mail.smtp.port, changed.mail.smtp.host) == (100_000, 2525, "127.0.0.1")
    assert settings.mail.max_per_minute == 60


def test_settings_cross_to_serves_worker_process():
    """serve hands the settings to a spawned worker: they pickle, and come back equal."""
    settings = config.load(values={"rules": {"tier_thresholds": {"key": 50}}})
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_every_section_is_a_frozen_dataclass():
    for f in fields(Settings):
        section = getattr(Settings(), f.name)
        assert is_dataclass(section) and type(section).__dataclass_params__.frozen, f.name


def test_the_calendar_is_built_by_the_settings():
    settings = config.load(values={"company": {"calendar": "DE", "language": "en"}})
    calendar = from_settings(settings)
    assert (calendar.country, calendar.lang, str(calendar.tz)) == ("DE", "en", "Asia/Shanghai")


def test_the_shipped_defaults_file_parses_as_toml():
    assert tomllib.loads(config.default_text()) == config.defaults()


def test_a_changed_table_of_names_replaces_the_mapping():
    changed = config.load().changed(rules={"customer_cadence_days": {"strategic": 3, "key": 14, "regular": 30}})
    assert changed.rules.customer_cadence_days["strategic"] == 3 and config.load().rules.customer_cadence_days["strategic"] == 7
