"""What people read, issue 17 point 11 (part): explain's elapsed times, the open-file skip, the
colour of a rejected request, and the IDs a dry run shows. Real files, real subprocesses."""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from books import cli
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.flags import PALETTE

NOW = "2026-11-28T16:56"        # a Saturday
WIDE = {**os.environ, "COLUMNS": "300"}


def book(folder: Path, kind: str, name: str, rows: list[dict]) -> Path:
    """A template workbook of `kind` with `rows` filled in by header."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_workbook(kind, folder / name)
    wb = load_workbook(path)
    sheet = wb.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for r, row in enumerate(rows, 2):
        for header, value in row.items():
            sheet.cell(row=r, column=headers.index(header) + 1, value=value)
    wb.save(path)
    return path


def cell(path: Path, r: int, header: str):
    sheet = load_workbook(path).worksheets[0]
    headers = [c.value for c in sheet[1]]
    return sheet.cell(row=r, column=headers.index(header) + 1)


INCIDENT = {"类型": "系统故障", "发起人": "张伟", "发生时间": datetime(2026, 11, 24, 9, 0),
            "事务描述(含影响范围)": "系统宕机", "响应人": "李娜", "状态": "处理中"}


# ---- explain: 4天7小时, not 6220 分钟 --------------------------------------------------------
@pytest.mark.slow
def test_explain_tells_elapsed_time_in_days_and_hours(tmp_path):
    folder = tmp_path / "share"
    book(folder, "incidents", "紧急事务响应表.xlsx", [INCIDENT])
    assert cli("check", str(folder), "--now", NOW).returncode == 0
    zh = cli("explain", str(folder), "I-000001", "--now", NOW, env=WIDE)
    assert zh.returncode == 0, zh.stderr
    assert "发生时间 2026-11-24 09:00：已过 4天7小时" in zh.stdout, zh.stdout
    assert "分钟" not in zh.stdout.split("已过", 1)[1].splitlines()[0]
    toml = folder / "duban.toml"
    toml.write_text('[company]\nlanguage = "en"\n', "utf-8")
    en = cli("explain", str(folder), "I-000001", "--now", NOW, env=WIDE)
    assert en.returncode == 0, en.stderr
    assert "2026-11-24 09:00: 4 days 7 hours ago" in en.stdout, en.stdout


@pytest.mark.slow
def test_explain_says_an_eta_passed_today_and_by_how_long(tmp_path):
    folder = tmp_path / "share"
    book(folder, "incidents", "紧急事务响应表.xlsx",
         [{**INCIDENT, "发生时间": datetime(2026, 11, 28, 9, 0), "响应时间": datetime(2026, 11, 28, 9, 5),
           "预计完成时间": datetime(2026, 11, 28, 15, 20)}])
    assert cli("check", str(folder), "--now", NOW).returncode == 0
    zh = cli("explain", str(folder), "I-000001", "--now", NOW, env=WIDE)
    assert "预计完成时间 2026-11-28 15:20：已过 1小时36分钟" in zh.stdout, zh.stdout
    assert "逾期1小时" in zh.stdout
    earlier = cli("explain", str(folder), "I-000001", "--now", "2026-11-28T13:00", env=WIDE)
    assert "预计完成时间 2026-11-28 15:20：还有 2小时20分钟" in earlier.stdout, earlier.stdout
    assert "今天15:20到期" in earlier.stdout


# ---- the open-file skip ----------------------------------------------------------------------
@pytest.mark.slow
def test_a_libreoffice_lock_is_named_libreoffice_and_a_nameless_one_says_so(tmp_path):
    folder = tmp_path / "share"
    path = book(folder, "incidents", "紧急事务响应表.xlsx", [INCIDENT])
    lock = path.with_name(f".~lock.{path.name}#")
    lock.write_text("Wang Fang,wf,pc-17,23.11.2026 08:55,file:///home/wf;", "utf-8")
    named = cli("check", str(folder), "--now", NOW, env=WIDE)
    assert "正被Wang Fang用 LibreOffice 打开，本次未写入，下次运行时再写" in named.stdout, named.stdout
    assert "Excel" not in named.stdout and "open in" not in named.stdout      # no English after the Chinese
    lock.write_text(",,pc-17,23.11.2026 08:55,file:///home/wf;", "utf-8")        # no name recorded
    nameless = cli("check", str(folder), "--now", NOW, "--json")
    [wb] = json.loads(nameless.stdout)["workbooks"]
    assert wb["reason"] == "open in LibreOffice by someone the lock file does not name (will retry next run)"
    shown = cli("check", str(folder), "--now", NOW, env=WIDE).stdout
    assert "正被他人用 LibreOffice 打开（锁文件中没有写明是谁）" in shown and "?" not in shown, shown


@pytest.mark.slow
def test_a_nameless_excel_owner_file_says_so_in_english_too(tmp_path):
    folder = tmp_path / "share"
    path = book(folder, "incidents", "紧急事务响应表.xlsx", [INCIDENT])
    path.with_name("~$" + path.name).write_bytes(b"\x00" * 165)
    (folder / "duban.toml").write_text('[company]\nlanguage = "en"\n', "utf-8")
    shown = cli("check", str(folder), "--now", NOW, env=WIDE).stdout
    assert "open in Excel/WPS by someone the lock file does not name" in shown and "?" not in shown, shown


# ---- 已拒绝 is not painted as done -------------------------------------------------------------
@pytest.mark.slow
def test_a_rejected_request_is_not_painted_green(tmp_path):
    folder = tmp_path / "share"
    request = {"需求内容": "导出客户名单", "发起部门": "市场部", "发起人": "张伟", "承接部门": "技术部",
               "提交时间": datetime(2026, 11, 20, 10, 0), "确认接收时间": datetime(2026, 11, 20, 10, 30),
               "初步方案反馈时间": datetime(2026, 11, 20, 16, 0)}
    path = book(folder, "requests", "跨部门协作需求单.xlsx",
                [{**request, "状态": "已完成"}, {**request, "状态": "已拒绝"}])
    before = cell(path, 3, "状态").fill.fgColor.rgb
    done = cli("check", str(folder), "--now", NOW)
    assert done.returncode == 0, done.stderr
    assert cell(path, 2, "状态").fill.fgColor.rgb.endswith(PALETTE["green"].fill)      # done: green
    rejected = cell(path, 3, "状态")
    assert not rejected.fill.fgColor.rgb.endswith(PALETTE["green"].fill)
    assert rejected.fill.fgColor.rgb == before and cell(path, 3, "系统提示").value in (None, "")


# ---- check --dry-run: IDs that do not exist yet ------------------------------------------------
@pytest.mark.slow
def test_a_dry_run_says_which_ids_rows_would_get_not_that_they_have_them(tmp_path):
    folder = tmp_path / "share"
    path = book(folder, "incidents", "紧急事务响应表.xlsx", [INCIDENT, {**INCIDENT, "事务描述(含影响范围)": "网络中断"}])
    table = cli("check", str(folder), "--now", NOW, "--dry-run", env=WIDE)
    assert table.returncode == 0, table.stderr
    assert "2（将编号为 I-000001 至 I-000002）" in table.stdout, table.stdout
    report = json.loads(cli("check", str(folder), "--now", NOW, "--dry-run", "--json").stdout)
    assert {(f["row"], f["id"], f["new_id"]) for f in report["flags"]} == {(2, None, "I-000001"), (3, None, "I-000002")}
    assert cell(path, 2, "编号").value is None                          # nothing written
    assert cli("check", str(folder), "--now", NOW).returncode == 0
    report = json.loads(cli("check", str(folder), "--now", NOW, "--dry-run", "--json").stdout)
    assert {(f["id"], f["new_id"]) for f in report["flags"]} == {("I-000001", None), ("I-000002", None)}
    (folder / "duban.toml").write_text('[company]\nlanguage = "en"\n', "utf-8")
    book(folder, "tasks", "任务跟进表.xlsx", [{"任务名称": "周报", "负责人": "张伟", "截止日期": "2026-12-01"}])
    english = cli("check", str(folder), "--now", NOW, "--dry-run", env=WIDE).stdout
    assert "1 (would be T-000001)" in english, english


@pytest.mark.slow
def test_init_names_the_program_holding_a_workbook_open_and_says_when_it_names_nobody(tmp_path):
    folder = tmp_path / "share"
    assert cli("init", str(folder)).returncode == 0
    (folder / ".~lock.任务跟进表.xlsx#").write_text(",,pc-17,23.11.2026 08:55,file:///home/wf;", "utf-8")
    again = cli("init", str(folder), "--force")
    assert again.returncode != 0
    assert "正被他人用 LibreOffice 打开（锁文件中没有写明是谁）" in again.stderr and "?" not in again.stderr, again.stderr
