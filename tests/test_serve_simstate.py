"""A simulated serve never writes into real state, a live serve never runs on simulated state, and
`status` shows a last run later than now in red, with a sentence (real `duban` processes)."""
from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from books import cli
from duban.jobs.init import init_folder
from duban.jobs.serve.loop import Serve
from duban.jobs.serve.runs import Runs
from duban.jobs.settings import config
from duban.jobs.time import clock

SCHEDULE = """
[schedule]
check = "every 30 minutes"
alert = "off"
remind = "off"
summary_week = "off"
summary_month = "off"
"""


def _folder(tmp_path: Path, demo: bool = False) -> Path:
    folder = tmp_path / "share"
    moment = clock.now(config.load().company.tz)
    init_folder(folder, lang="zh", demo=demo, force=False, today=moment.date(), now=moment)
    toml = folder / "duban.toml"
    text = toml.read_text(encoding="utf-8")
    head, _, rest = text.partition("[schedule]")
    tail = rest.split("\n[", 1)[1] if "\n[" in rest else ""
    toml.write_text(head + SCHEDULE.strip() + "\n\n[" + tail if tail else head + SCHEDULE, encoding="utf-8")
    assert config.checked(folder)["schedule"]["alert"] == "off"
    return folder


def _count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


@pytest.mark.slow
def test_a_simulation_without_dry_run_refuses_a_folder_with_real_state(tmp_path):
    folder = _folder(tmp_path, demo=True)
    db = folder / ".duban" / "state.db"
    assert cli("check", str(folder)).returncode == 0
    rows = _count(db, "rows")
    assert rows > 0
    start = datetime.now() + timedelta(days=7)
    span = ("--from", start.isoformat(timespec="minutes"), "--until", (start + timedelta(hours=1)).isoformat(timespec="minutes"))
    refused = cli("serve", str(folder), *span)
    assert refused.returncode == 1
    assert "--dry-run" in refused.stderr and str(db) in refused.stderr and "Traceback" not in refused.stderr
    assert (_count(db, "serve_runs"), _count(db, "notified"), _count(db, "rows")) == (0, 0, rows)
    preview = cli("serve", str(folder), *span, "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert _count(db, "serve_runs") == 0


@pytest.mark.slow
def test_a_simulated_state_shows_red_in_status_and_a_live_serve_refuses_it(tmp_path):
    folder = _folder(tmp_path)
    db = folder / ".duban" / "state.db"
    start = datetime.now() + timedelta(days=7)
    span = ("--from", start.isoformat(timespec="minutes"), "--until", (start + timedelta(hours=1)).isoformat(timespec="minutes"))
    simulated = cli("serve", str(folder), *span)          # a folder without state: allowed, and marked
    assert simulated.returncode == 0, simulated.stderr
    assert _count(db, "serve_runs") >= 2
    again = cli("serve", str(folder), *span)              # a simulation may go on over its own state
    assert again.returncode == 0, again.stderr
    status = cli("status", str(folder))
    assert status.returncode == 0, status.stderr
    assert "晚于现在" in status.stdout and "检查" in status.stdout
    data = json.loads(cli("status", str(folder), "--json").stdout)
    assert [j["in_future"] for j in data["jobs"] if j["job"] == "check"] == [True]
    live = cli("serve", str(folder))
    assert live.returncode == 1
    assert "模拟运行" in live.stderr and str(db.parent) in live.stderr and "Traceback" not in live.stderr


@pytest.mark.slow
def test_status_of_a_state_with_runs_in_the_past_is_not_red(tmp_path):
    folder = _folder(tmp_path)
    settings = config.load(folder)
    tz = settings.company.tz
    past = datetime.now(tz) - timedelta(hours=1)
    with Runs(folder / ".duban" / "state.db", tz) as runs:
        runs.finish(runs.start("check", past, past), past + timedelta(seconds=3), "ok")
    data = json.loads(cli("status", str(folder), "--json").stdout)
    assert [j["in_future"] for j in data["jobs"] if j["job"] == "check"] == [False]
    assert "晚于现在" not in cli("status", str(folder)).stdout


def test_a_live_serve_schedules_from_now_when_the_last_run_is_in_the_future(tmp_path):
    """The clock was set back: the job is not held off until its recorded run."""
    folder = _folder(tmp_path)
    settings = config.load(folder)
    tz = settings.company.tz
    now = datetime.now(tz)
    with Runs(folder / ".duban" / "state.db", tz) as runs:
        for moment in (now - timedelta(hours=2), now + timedelta(days=3)):
            runs.finish(runs.start("check", moment, moment), moment, "ok")
    serve = Serve(folder, settings)
    serve.runs, serve.log = Runs(folder / ".duban" / "state.db", tz), logging.getLogger("test")
    try:
        last = serve._last_settled("check")
    finally:
        serve.runs.close()
    assert last is not None and abs((last - (now - timedelta(hours=2))).total_seconds()) < 2


@pytest.mark.slow
def test_an_empty_state_file_is_no_real_state(tmp_path):
    folder = _folder(tmp_path)
    assert cli("history", str(folder)).returncode == 0           # opens (and so creates) an empty journal
    assert (folder / ".duban" / "state.db").exists()
    start = datetime.now() + timedelta(days=7)
    simulated = cli("serve", str(folder), "--from", start.isoformat(timespec="minutes"),
                    "--until", (start + timedelta(minutes=40)).isoformat(timespec="minutes"))
    assert simulated.returncode == 0, simulated.stderr
