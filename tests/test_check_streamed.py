"""`duban check` streams its check (one workbook's records at a time) and still prints every flag:
its --json equals the report of the same check that kept every record, and its dashboard too."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from duban.jobs.check import check_folder
from duban.jobs.dashboard.data import dashboard_data
from duban.jobs.dashboard.streamed import Shown, check_streamed
from duban.jobs.init import init_folder
from duban.jobs.settings import config
from duban.jobs.terminal.report import check_json

DUBAN = Path(sys.executable).with_name("duban")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _demo(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "a" / "demo"
    init_folder(first, demo=True, today=date(2026, 11, 23), now=datetime(2026, 11, 23, 8))
    second = tmp_path / "b" / "demo"
    shutil.copytree(first, second)
    return first, second


def test_the_json_of_a_streamed_check_process_is_the_whole_reports(tmp_path):
    streamed, whole = _demo(tmp_path)
    done = subprocess.run([str(DUBAN), "check", str(streamed), "--json", "--now", "2026-11-23T09:00"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    expected = json.loads(orjson.dumps(check_json(check_folder(whole, config.load(whole), NOW))))
    assert printed["flags"] and any(f["urgent"] for f in printed["flags"])
    assert printed["flags"] == expected["flags"]
    assert json.loads(done.stdout.replace(str(streamed), "FOLDER"))["workbooks"] == \
        json.loads(orjson.dumps(expected["workbooks"]).decode().replace(str(whole), "FOLDER"))


def test_a_streamed_check_keeps_no_records_and_the_same_dashboard(tmp_path):
    streamed, whole = _demo(tmp_path)
    settings = config.load(streamed)
    kept = check_streamed(streamed, settings, NOW, dry_run=False)
    full = check_folder(whole, config.load(whole), NOW)
    tables = [w for w in kept.workbooks if w.read.kind is not None and w.read.kind.key not in ("directory", "raci")]
    assert tables and all(not w.read.records and isinstance(w.kept, Shown) for w in tables)
    assert check_json(kept)["flags"] == check_json(full)["flags"]
    kept_data = dashboard_data(kept, settings, streamed, NOW)
    full_data = dashboard_data(full, config.load(whole), whole, NOW)
    def same(items):
        return [{k: v for k, v in item.items() if k not in ("link", "path")} for item in items]
    assert kept_data["kpi"] == full_data["kpi"] and kept_data["kpi"]["open"]
    assert same(kept_data["late"]) == same(full_data["late"]) and kept_data["late"]
