"""The dashboard's data and file: the demo checked over three weeks by the real CLI; the page's
numbers equal `duban summary --json` for the same --now; the file at the root in the workbook
language, whole, archived per quarter; off by --no-dashboard, [dashboard] enabled = false and a
dry run; a share it cannot write is a warning; hostile cell text stays data."""
from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from books import cli, col, user_edit
from duban.jobs.check import check_folder
from duban.jobs.dashboard.data import dashboard_data, embed
from duban.jobs.dashboard.write import after_check, archive_path, page_path
from duban.jobs.init import init_folder
from duban.jobs.settings import config

TZ = ZoneInfo("Asia/Shanghai")
START, NOW = datetime(2026, 11, 16, 9, 0, tzinfo=TZ), datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
HOSTILE = {4: "<script>alert(1)</script>", 6: "</script><img src=x onerror=alert(2)>",
           7: '"><img src=x onerror=alert(3)>', 16: "javascript:alert(4)"}
DATA = re.compile(r'<script[^>]*id="duban-data"[^>]*>(.*?)</script>', re.S)


def run(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo from 11-16: checked, two rows done and four titles made hostile by 11-20, a weekly
    summary stored at 11-27, checked again on Monday 12-07 (the page written then)."""
    folder = tmp_path_factory.mktemp("dash") / "demo"
    init_folder(folder, demo=True, now=START, today=START.date())
    run("check", str(folder), "--now", "2026-11-16T09:00")
    book = folder / "任务跟进表.xlsx"
    user_edit(book, {f"{col('status')}2": "已完成", f"{col('status')}8": "已完成",
                     **{f"{col('task')}{row}": text for row, text in HOSTILE.items()}})
    run("check", str(folder), "--now", "2026-11-20T10:00")
    run("summary", str(folder), "--week", "--now", "2026-11-27T17:30")
    run("check", str(folder), "--now", "2026-12-07T09:00")
    return folder


def page_data(path: Path) -> dict:
    found = DATA.search(path.read_text(encoding="utf-8"))
    assert found, "no duban-data block in the page"
    return json.loads(found.group(1))


def copy_of(demo: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(demo, folder)
    for html in [*folder.glob("*.html"), *folder.glob("reports/*/*.html")]:
        html.unlink()
    return folder


def test_the_tiles_equal_duban_summary_json_for_the_same_now(demo):
    data = page_data(demo / "看板.html")
    month = json.loads(run("summary", str(demo), "--month", "--json", "--dry-run", "--now", "2026-12-07T09:00"))
    company = month["company"]
    kpi = data["kpi"]
    assert data["month"] == "2026-11" and month["period"]["start"].startswith("2026-11-01")
    assert kpi["on_time_rate"]["this"] == company["on_time_rate"]
    assert kpi["on_time_rate"]["this"] is not None          # two rows were done in November
    assert kpi["ack_hours"] == company["ack_avg_working_hours"]
    assert kpi["incident_minutes"] == company["incident_response_median_minutes"]
    assert kpi["meetings"] == company["meetings_held"]
    october = json.loads(run("summary", str(demo), "--month", "--json", "--dry-run", "--now", "2026-11-07T09:00"))
    assert kpi["on_time_rate"]["last"] == october["company"]["on_time_rate"]
    week = json.loads(run("summary", str(demo), "--week", "--json", "--dry-run", "--now", "2026-12-07T09:00"))
    assert data["trend"][-1] == {"week_end": week["period"]["end"][:10], "open": week["company"]["open"],
                                 "overdue": week["company"]["overdue"]}
    assert [p["week_end"] for p in data["trend"]] == ["2026-11-27", "2026-12-04"]   # the stored week, then the last
    assert data["generated"] == NOW.isoformat() and data["lang"] == "zh"


def test_the_counts_now_are_the_checks_flags(demo):
    settings = config.load(demo)
    report = check_folder(demo, settings, NOW, dry_run=True)
    data = dashboard_data(report, settings, demo, NOW)
    flagged = {rule: 0 for rule in ("overdue", "blocked", "stale")}
    for w in report.workbooks:
        if w.read.kind is None or w.read.kind.key not in ("tasks", "projects", "requests", "incidents", "meetings"):
            continue
        for rec in w.read.records:
            rules = {f.rule for f in w.flags.get(rec.row, [])}
            for rule in flagged:
                flagged[rule] += rule in rules and not rec.done
    assert {k: data["kpi"][k] for k in flagged} == flagged and flagged["overdue"] > 0
    assert data["kpi"] == page_data(demo / "看板.html")["kpi"]
    depts = data["departments"]
    assert sum(d["overdue"] + d["blocked"] + d["in_progress"] for d in depts) == data["kpi"]["open"]
    late = data["late"]
    assert late and all(i["days_late"] > 0 or i["blocked"] for i in late)
    assert [i["days_late"] for i in late if not i["blocked"]] == sorted(
        (i["days_late"] for i in late if not i["blocked"]), reverse=True)
    first = late[0]
    assert first["link"].startswith("file:///") and first["link"].endswith(".xlsx")
    assert first["where"] == f"{first['workbook']} 第{first['row']}行"
    assert data["colours"]["late"] == "#FFC7CE" and data["colours"]["done"] == "#C6EFCE"
    assert data["problems"] and all(p["count"] >= 1 and p["first"] for p in data["problems"])
    items = [i for p in data["projects"] for i in p["items"]]
    assert {"done", "open", "late"} >= {i["state"] for i in items} and any(i["state"] == "done" for i in items)
    assert all(i["start"] <= i["due"] or i["start"] >= "2026-11-16" for i in items)


def test_the_file_is_at_the_root_whole_readable_and_archived_per_quarter(demo):
    page = demo / "看板.html"
    archived = demo / "reports" / "2026-Q4" / "看板-2026-Q4.html"
    assert page == page_path(demo, "zh") and archived == archive_path(demo, "zh", NOW)
    assert page.read_bytes() == archived.read_bytes()
    assert page.stat().st_mode & 0o777 == 0o644
    assert not (demo / "dashboard.html").exists()
    leftovers = [p.name for p in [*demo.iterdir(), *archived.parent.iterdir()] if p.name.endswith(".tmp")]
    assert leftovers == []
    assert (demo / "reports" / "2026-Q4").is_dir() and any((demo / "reports" / "2026-Q4").glob("周报-*.xlsx"))


def test_an_english_folder_gets_dashboard_html(tmp_path):
    folder = tmp_path / "en"
    init_folder(folder, lang="en", demo=True, now=NOW, today=NOW.date())
    run("check", str(folder), "--now", "2026-12-07T09:00")
    assert (folder / "dashboard.html").is_file() and not (folder / "看板.html").exists()
    assert (folder / "reports" / "2026-Q4" / "dashboard-2026-Q4.html").is_file()
    data = page_data(folder / "dashboard.html")
    assert data["lang"] == "en" and all(i["where"].endswith(f" row {i['row']}") for i in data["late"])


def test_no_dashboard_enabled_false_and_a_dry_run_write_nothing(demo, tmp_path):
    folder = copy_of(demo, tmp_path)
    run("check", str(folder), "--now", "2026-12-07T10:00", "--no-dashboard")
    run("remind", str(folder), "--now", "2026-12-07T10:00", "--no-dashboard")
    run("check", str(folder), "--now", "2026-12-07T10:00", "--dry-run")
    assert list(folder.rglob("*.html")) == []
    toml = folder / "duban.toml"
    said = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r"(\[dashboard\][^\n]*\nenabled = )true", r"\1false", said), encoding="utf-8")
    assert config.load(folder).dashboard.enabled is False
    run("check", str(folder), "--now", "2026-12-07T10:00")
    assert list(folder.rglob("*.html")) == []
    toml.write_text(said, encoding="utf-8")
    run("remind", str(folder), "--now", "2026-12-07T10:00")          # remind checks, so it writes the page
    assert (folder / "看板.html").is_file()


def test_a_share_it_cannot_write_is_a_warning_not_a_failed_check(demo, tmp_path):
    folder = copy_of(demo, tmp_path)
    (folder / "看板.html").mkdir()           # the name taken by something duban cannot replace (as root, chmod won't do)
    done = cli("check", str(folder), "--now", "2026-12-07T10:00")
    assert done.returncode == 0, done.stderr
    assert "看板未能写入" in done.stderr and "检查本身已完成" in done.stderr
    assert not any(p.name.endswith(".tmp") for p in folder.iterdir())
    (folder / "dashboard.html").mkdir()
    settings = config.load(folder).changed(company={"language": "en"})
    report = after_check(folder, settings, check_folder(folder, settings, NOW, dry_run=True))
    assert [w for w in report.warnings if w.startswith("The dashboard could not be written to ")
            and "The check itself is complete" in w]


def test_hostile_cell_text_stays_data_and_cannot_close_the_script(demo):
    html = (demo / "看板.html").read_text(encoding="utf-8")
    data = page_data(demo / "看板.html")
    titles = {i["title"] for p in data["projects"] for i in p["items"]} | {i["title"] for i in data["late"]}
    assert set(HOSTILE.values()) <= titles, titles
    block = DATA.search(html).group(1)
    assert "</script" not in block.lower() and "<" not in block and ">" not in block
    for text in HOSTILE.values():
        if "<" in text or ">" in text:
            assert text not in html
    assert json.loads(embed(data)) == data


def test_embed_escapes_what_could_end_the_block():
    text = embed({"t": "</script><!-- & \u2028"})
    assert text == '{"t":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028"}'
    assert json.loads(text) == {"t": "</script><!-- & \u2028"}


def test_the_excel_consoles_check_writes_it_too(demo, tmp_path):
    from duban.macros.actions import Run, action_check

    folder = copy_of(demo, tmp_path)
    action_check(Run(None, None, None, folder, "zh", "2026-12-07T10:00"))     # as serve runs a console's job
    assert page_data(folder / "看板.html")["generated"] == "2026-12-07T10:00:00+08:00"
