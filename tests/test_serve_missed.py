"""serve keeps a missed run as fields, not as an English sentence; `duban status` says it in the
reader's language from them; rows written as a sentence by older versions still read."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.serve.missed import Missed
from duban.jobs.serve.runs import Runs
from duban.jobs.terminal.status import error_text

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
OLD = ("missed 3 scheduled run(s) (2026-11-18 09:00 to 2026-11-20 09:00) while serve was not running; "
       "older than serve.catch_up_hours (12 h): not run")


def test_a_missed_run_is_stored_as_fields(tmp_path):
    missed = Missed.of(1, datetime(2026, 11, 20, 9, 0, tzinfo=TZ), None, datetime(2026, 11, 23, 9, 0, tzinfo=TZ), 12)
    with Runs(tmp_path / "state.db", TZ) as runs:
        runs.skipped("remind", datetime(2026, 11, 20, 9, 0, tzinfo=TZ), NOW, missed)
    error, detail = sqlite3.connect(tmp_path / "state.db").execute(
        "SELECT error, detail FROM serve_runs WHERE result='skipped'").fetchone()
    assert error is None
    assert json.loads(detail) == {"missed": {"count": 1, "first": "2026-11-20 09:00", "last": None,
                                             "run": "2026-11-23 09:00", "hours": None}}
    with Runs(tmp_path / "state.db", TZ, read_only=True) as runs:
        run = runs.all()[0]
    assert run.missed == missed
    assert run.as_json()["error"] == ("missed 1 scheduled run(s) (2026-11-20 09:00) while serve was not running; "
                                      "caught up by the run of 2026-11-23 09:00")       # status --json, as before
    assert error_text(run.as_json(), "zh") == "错过 1 次计划运行（2026-11-20 09:00），当时后台服务未运行；已由 2026-11-23 09:00 的运行补上"
    assert error_text(run.as_json(), "en").startswith("missed 1 scheduled run (2026-11-20 09:00)")


@pytest.mark.parametrize("lang, said", [
    ("zh", "错过 3 次计划运行（2026-11-18 09:00 至 2026-11-20 09:00），当时后台服务未运行；超过 serve.catch_up_hours（12 小时），未补运行"),
    ("en", "missed 3 scheduled runs (2026-11-18 09:00 to 2026-11-20 09:00) while serve was not running; "
           "older than serve.catch_up_hours (12 h): not run"),
])
def test_a_row_an_older_version_wrote_as_a_sentence_still_reads(tmp_path, lang, said):
    with Runs(tmp_path / "state.db", TZ) as runs:
        runs.skipped("check", NOW - timedelta(days=3), NOW, OLD)
        run = runs.all()[0]
    assert run.missed == Missed(3, "2026-11-18 09:00", "2026-11-20 09:00", None, 12.0)
    assert run.as_json()["error"] == OLD
    assert error_text(run.as_json(), lang) == said


def test_a_jobs_own_error_is_shown_as_it_was_written(tmp_path):
    with Runs(tmp_path / "state.db", TZ) as runs:
        run_id = runs.start("check", NOW, NOW)
        runs.finish(run_id, NOW, "failed", "ValueError: boom")
        run = runs.all()[0]
    assert run.missed is None and "missed" not in run.as_json()      # the JSON of any other run is as it was
    assert error_text(run.as_json(), "zh") == "ValueError: boom"
