"""`duban serve` for real: a subprocess on a schedule of seconds; status, a second serve, SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from books import ROOT, cli
from duban.jobs.init import init_folder
from duban.jobs.settings import config
from duban.jobs.time import clock

SCHEDULE = """
[schedule]
check = "every 2 seconds"
alert = "every 1 seconds"
remind = "off"
summary_week = "off"
summary_month = "off"

[serve]
heartbeat_seconds = 1
"""


def _serve(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from duban.jobs.cli import main; main()", "serve", str(folder)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM")
@pytest.mark.slow
def test_serve_runs_shows_in_status_refuses_a_second_and_stops_on_sigterm(tmp_path):
    folder = tmp_path / "share"
    moment = clock.now(config.load().company.tz)
    init_folder(folder, lang="zh", demo=True, force=False, today=moment.date(), now=moment)
    toml = folder / "duban.toml"
    toml.write_text(_replace_tables(toml.read_text(encoding="utf-8")), encoding="utf-8")
    proc = _serve(folder)
    try:
        runs = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = cli("status", str(folder), "--json", "--runs", "20")
            assert done.returncode == 0, done.stderr
            status = json.loads(done.stdout)
            runs = [r for r in status["runs"] if r["result"] == "ok"]
            if {r["job"] for r in runs} >= {"check", "alert"} and status["serve"]["running"]:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.5)
        assert {r["job"] for r in runs} >= {"check", "alert"}, status
        assert status["serve"]["pid"] == proc.pid and status["serve"]["host"]
        assert {j["job"] for j in status["jobs"]} == {"check", "alert", "remind", "summary_week", "summary_month",
                                                      "inbox"}
        assert next(j for j in status["jobs"] if j["job"] == "inbox")["next_run"] is None    # [reply] is off
        check = next(j for j in status["jobs"] if j["job"] == "check")
        assert check["next_run"] and check["result"] in ("ok", "failed")
        assert set(status["queue"]) >= {"waiting", "oldest", "failed"}
        assert set(status["runs"][0]) == {"job", "scheduled", "started", "finished", "result", "error", "by_hand"}
        assert not any(r["by_hand"] for r in status["runs"])          # serve's own runs

        human = cli("status", str(folder))
        assert "serve is running" in human.stdout or "后台服务运行中" in human.stdout

        second = cli("serve", str(folder))
        assert second.returncode == 1
        assert "已经在运行" in second.stderr and f"进程 {proc.pid}" in second.stderr   # the company's language: zh

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - started < 10
        assert proc.returncode == 0, err
        assert "SIGTERM received" in out and "duban serve stopped" in out
        assert not (folder / ".duban" / "serve.lock").exists()
        assert (folder / ".duban" / "logs" / "serve.log").read_text(encoding="utf-8").count("check ") >= 1
        after = json.loads(cli("status", str(folder), "--json").stdout)
        assert after["serve"]["running"] is False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _replace_tables(text: str) -> str:
    head, rest = text.split("[schedule]", 1)
    rest = rest.split("\n[summary]", 1)[1]
    serve_at = rest.find("\n[serve]")
    if serve_at >= 0:           # the shipped [serve] table: drop it, ours has the same keys
        end = rest.find("\n[", serve_at + 1)
        rest = rest[:serve_at] + (rest[end:] if end >= 0 else "\n")
    return head + SCHEDULE + "\n[summary]" + rest
