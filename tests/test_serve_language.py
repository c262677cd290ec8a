"""`duban status` and serve's lines for people in the company language (zh default, en); the JSON
keeps its English keys and stored values."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from books import cli
from duban.jobs.init import init_folder
from duban.jobs.serve.loop import Serve
from duban.jobs.serve.runs import Runs
from duban.jobs.settings import config

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
MISSED = ("missed 1 scheduled run(s) (2026-11-20 09:00) while serve was not running; "
          "caught up by the run of 2026-11-20 09:00")


def _folder(tmp_path: Path, lang: str) -> Path:
    folder = tmp_path / lang
    init_folder(folder, lang=lang, demo=False, force=False, today=NOW.date(), now=NOW)
    toml = folder / "duban.toml"
    text = toml.read_text(encoding="utf-8")
    if lang == "en":                      # init --lang writes the workbooks; the company language is a setting
        text = text.replace('language = "zh"', 'language = "en"', 1)
        toml.write_text(text, encoding="utf-8")
    settings = config.load(folder)
    assert settings.company.language == lang
    with Runs(folder / settings.state.path, TZ) as runs:
        run = runs.start("check", NOW, NOW)
        runs.finish(run, NOW + timedelta(seconds=4), "ok", None, {"summary": "done"})
        runs.skipped("remind", NOW - timedelta(days=3), NOW, MISSED)
        runs.note_skips({"市场部/任务跟进表.xlsx": "open in Excel"}, [], NOW)
    return folder


@pytest.mark.slow
def test_status_speaks_chinese_by_default(tmp_path):
    folder = _folder(tmp_path, "zh")
    done = cli("status", str(folder))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"后台服务未运行：{folder}"
    head = lines[2].split()
    assert head == ["任务", "计划", "上次运行", "结果", "下次运行"]
    text = done.stdout
    for words in ("检查", "每 30 分钟", "工作日 09:00", "每周五 17:30", "成功", "跳过", "邮件队列：0 封等待发送",
                  "未写入的工作簿", "市场部/任务跟进表.xlsx：自 2026-11-23 09:00 起", "最近 2 次运行：", " 4 秒",
                  "错过 1 次计划运行（2026-11-20 09:00），当时后台服务未运行；已由 2026-11-20 09:00 的运行补上"):
        assert words in text, (words, text)
    for english in ("job", "schedule", "last run", "mail queue", "waiting", "serve is", "runs:", "missed",
                    "every", "working days"):
        assert english not in text, (english, text)
    # the JSON contract is unchanged: English keys, values as stored
    data = json.loads(cli("status", str(folder), "--json").stdout)
    assert set(data) == {"serve", "jobs", "runs", "queue", "skipped", "held_saves"}
    assert {j["job"] for j in data["jobs"]} >= {"check", "remind"}
    assert next(j for j in data["jobs"] if j["job"] == "check")["schedule"] == "every 30 minutes"
    assert {r["result"] for r in data["runs"]} == {"ok", "skipped"}
    assert next(r for r in data["runs"] if r["result"] == "skipped")["error"] == MISSED


@pytest.mark.slow
def test_status_in_english(tmp_path):
    folder = _folder(tmp_path, "en")
    done = cli("status", str(folder))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"serve is not running: {folder}"
    assert lines[2].split() == ["job", "schedule", "last", "run", "result", "next", "run"]
    text = done.stdout
    for words in ("every 30 minutes", "working days 09:00", "mail queue: 0 waiting", "last 2 runs:", " 4s",
                  "missed 1 scheduled run (2026-11-20 09:00)", "skipped"):
        assert words in text, (words, text)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text.replace("市场部/任务跟进表", "")), text


def _preview(tmp_path: Path, lang: str) -> str:
    settings = config.load(values={"company": {"language": lang}, "schedule": dict(
        check="off", alert="off", summary_week="off", summary_month="off")})

    def runner(job, folder, settings, slot, dry_run, cache):
        return {"result": "ok", "mails": 2, "summary": "2 mail(s) queued, 0 sent",
                "outgoing": [("digest", "刘洋", "【督办】今日待办 3 项", 3), ("escalation", "王芳", "【督办·升级】报销", 1)]}

    stream = io.StringIO()
    serve = Serve(tmp_path, settings, start=NOW - timedelta(minutes=1), until=NOW + timedelta(minutes=1),
                  dry_run=True, runner=runner, stream=stream)
    assert serve.run() == 0
    return stream.getvalue()


@pytest.mark.parametrize("lang, lines", [
    ("zh", ["2026-11-23 09:00 将给 刘洋 发送每日提醒邮件：【督办】今日待办 3 项（3 项）",
            "2026-11-23 09:00 将给 王芳 发送升级邮件：【督办·升级】报销（1 项）"]),
    ("en", ["2026-11-23 09:00 would mail the digest to 刘洋: 【督办】今日待办 3 项 (3 items)",
            "2026-11-23 09:00 would mail the escalation to 王芳: 【督办·升级】报销 (1 item)"]),
])
def test_the_dry_run_preview_speaks_the_company_language_and_counts_properly(tmp_path, lang, lines):
    log = _preview(tmp_path, lang)
    for line in lines:
        assert line in log, log
    assert "item(s)" not in log and "would mail digest" not in log
