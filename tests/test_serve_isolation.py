"""serve's isolation: a hanging job is ended after its limit and the next job runs; a job failing
twice in a row is told to the admins once a day; every run is recorded either way."""
from __future__ import annotations

import io
import sqlite3
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.serve.execute import ProcessExecutor
from duban.jobs.serve.loop import Serve
from duban.jobs.settings import config

TZ = ZoneInfo("Asia/Shanghai")


def hang_on_check(job, folder, settings, slot, dry_run, cache):
    if job == "check":
        time.sleep(120)
    return {"result": "ok", "summary": f"{job} done"}


@pytest.mark.slow
def test_a_hanging_job_is_ended_after_its_limit_and_the_next_one_runs(tmp_path):
    executor = ProcessExecutor(tmp_path, config.load(), False, runner=hang_on_check)
    try:
        started = time.monotonic()
        outcome = executor.run("check", datetime(2026, 11, 23, 9, tzinfo=TZ), timeout=2)
        assert outcome["result"] == "timeout" and "ended" in outcome["error"]
        assert time.monotonic() - started < 15
        assert executor.run("alert", datetime(2026, 11, 23, 9, 5, tzinfo=TZ), timeout=30)["result"] == "ok"
    finally:
        executor.close()


def remind_fails(job, folder, settings, slot, dry_run, cache):
    if job == "remind":
        return {"result": "failed", "error": "RuntimeError: the directory is gone"}
    return {"result": "ok", "people": {"杨帆": ("yangfan@example.com", "zh")}}


@pytest.mark.slow
def test_a_job_failing_twice_in_a_row_is_told_to_the_admins_once_a_day(tmp_path):
    settings = config.load(values={"serve": {"admins": ["杨帆"]}, "schedule": dict(
        check="every 2 hours", alert="off", summary_week="off", summary_month="off")})
    start = datetime(2026, 11, 23, 0, 0, tzinfo=TZ)
    serve = Serve(tmp_path, settings, start=start, until=start + timedelta(days=4), runner=remind_fails,
                  stream=io.StringIO())
    assert serve.run() == 0
    con = sqlite3.connect(tmp_path / ".duban" / "state.db")
    results = con.execute("SELECT job, result FROM serve_runs WHERE started IS NOT NULL").fetchall()
    assert results.count(("remind", "failed")) == 4 and results.count(("check", "ok")) == 49   # 00:00 at the start to 00:00 at the end
    told = con.execute("SELECT problem, day FROM serve_told ORDER BY day").fetchall()
    assert told == [("job-failing:remind", "2026-11-24"), ("job-failing:remind", "2026-11-25"),
                    ("job-failing:remind", "2026-11-26")]
    mails = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 3
    assert "任务 remind 连续两次失败" in mails[0].read_bytes().decode("utf-8", "replace") or \
        b"remind" in mails[0].read_bytes()
