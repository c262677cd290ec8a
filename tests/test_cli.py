"""The `duban` command line as a real subprocess: help, usage errors, exit codes, JSON and table output."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import typer

from duban.jobs.cli import app
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
TASKS = KINDS["tasks"]
# run main() as the console script does, without depending on PATH; argv[0] named like the script
RUN = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"
COMMANDS = [c.name or typer.main.get_command_name(c.callback.__name__) for c in app.registered_commands]


def duban(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=cwd or ROOT, timeout=60)


def write_tasks(path: Path, rows: list[dict], lang: str = "zh") -> Path:
    """A tasks workbook with the template's headers in row 1 and one row per dict (column key -> value)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = TASKS.sheet(lang)
    sheet.append([c.header(lang) for c in TASKS.columns])
    for row in rows:
        sheet.append([row.get(c.key) for c in TASKS.columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


GOOD_ROWS = [
    {"task": "写周报", "project": "官网改版", "owner": "张伟", "priority": "高", "due": date(2026, 11, 27),
     "progress": "50%", "status": "进行中"},
    {"task": "对账", "owner": "李娜", "due": date(2026, 12, 4), "progress": "0%", "status": "未开始"},
    {"task": "报销", "owner": "王芳", "due": date(2026, 11, 20), "progress": "100%", "status": "已完成"},
]
BAD_DATE_ROW = 3                      # Excel row of the second data row
DUE = col_letters([c.key for c in TASKS.columns].index("due") + 1)


def with_bad_date(value: str = "11月31日") -> list[dict]:
    rows = [dict(r) for r in GOOD_ROWS]
    rows[1]["due"] = value
    return rows


# ---- help ---------------------------------------------------------------------------------
def test_commands_are_found():
    assert {"init", "validate"} <= set(COMMANDS)


def test_app_help_lists_every_command():
    result = duban("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and "duban" in result.stdout
    for name in COMMANDS:
        assert name in result.stdout, name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name):
    result = duban(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"duban {name}" in result.stdout                      # the usage line
    callback = next(c.callback for c in app.registered_commands
                    if (c.name or typer.main.get_command_name(c.callback.__name__)) == name)
    summary = (callback.__doc__ or "").strip().splitlines()[0]
    assert summary and summary in result.stdout                 # the command says what it does
    assert "Traceback" not in result.stderr


def test_readme_documents_every_command():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md not written yet")
    text = readme.read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"duban {name}" not in text]
    assert missing == [], f"README.md never shows these commands as `duban NAME`: {missing}"


# ---- usage errors -------------------------------------------------------------------------
@pytest.mark.parametrize("args, sentence", [
    (["validate"], "Missing argument"),
    (["explain", "{folder}"], "Missing argument"),
    (["validate", "{folder}", "--bogus"], "No such option: --bogus"),
    (["nosuch", "{folder}"], "No such command 'nosuch'"),
], ids=["missing-folder", "missing-id", "unknown-option", "unknown-command"])
@pytest.mark.slow
def test_usage_errors_from_the_parser(tmp_path, args, sentence):
    result = duban(*(a.format(folder=tmp_path) for a in args))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if sentence in line], result.stderr


@pytest.mark.parametrize("args, toml, sentence", [
    (["validate", "{folder}", "--now", "garbage"], None,
     "--now “garbage” 不是 ISO 日期时间，请写成 2026-11-23T09:00 这样。 / --now 'garbage' is not an ISO date-time"),
    (["check", "{folder}", "--now", "2026-13-45"], None, "--now '2026-13-45' is not an ISO date-time"),
    (["summary", "{folder}"], None, "请只给出 --week 或 --month 其中之一。 / give exactly one of --week or --month."),
    (["summary", "{folder}", "--week", "--month"], None,
     "请只给出 --week 或 --month 其中之一。 / give exactly one of --week or --month."),
    (["service", "{folder}"], None, "请只给出 --systemd 或 --windows 其中之一。 / give exactly one of --systemd or --windows."),
    (["validate", "{folder}/没有这个文件夹"], None, "no such folder"),
    (["validate", "{folder}"], "[reader]\nmax_unzip_mb = 5\n",
     "没有 'reader.max_unzip_mb' 这项设置。是不是 'reader.max_unzipped_mb'？"),
    (["validate", "{folder}"], "[colour]\nred = 1\n", "没有 'colour' 这项设置"),
    (["validate", "{folder}"], '[reader]\nmax_unzipped_mb = "big"\n', "'reader.max_unzipped_mb' 应为数字，例如 500；现为 \"big\""),
    (["validate", "{folder}"], "[rules]\ndue_soon_working_days = true\n", "'rules.due_soon_working_days' 应为数字"),
    (["validate", "{folder}"], "reader = 5\n", "'reader' 应是一个表"),
    (["validate", "{folder}"], "[reader\nmax_unzipped_mb = 5\n", "不是有效的 TOML"),
    (["validate", "{folder}"], '[company]\ntimezone = "Mars/Olympus"\n', "这不是已知的时区"),
    (["validate", "{folder}"], '[company]\nlanguage = "en"\n[reader]\nmax_unzip_mb = 5\n',
     "unknown setting 'reader.max_unzip_mb'. Did you mean 'reader.max_unzipped_mb'?"),
    (["validate", "{folder}"], '[company]\nlanguage = "en"\n[rules]\ndue_soon_working_days = true\n',
     "'rules.due_soon_working_days' should be a number like 2, found true"),
    (["validate", "{folder}"], '[company]\nlanguage = "en"\ntimezone = "Mars/Olympus"\n', "is not a known time zone"),
], ids=["now-garbage", "now-impossible-date", "summary-neither", "summary-both", "service-neither", "no-folder", "unknown-key", "unknown-table", "wrong-type",
        "bool-for-number", "value-for-table", "bad-toml", "bad-timezone", "unknown-key-en", "bool-for-number-en",
        "bad-timezone-en"])
@pytest.mark.slow
def test_usage_errors_are_one_line_with_exit_code_2(tmp_path, args, toml, sentence):
    if toml is not None:
        (tmp_path / "duban.toml").write_text(toml, encoding="utf-8")
    result = duban(*(a.format(folder=tmp_path) for a in args))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("duban: ") and sentence in line, line
    if toml is not None:
        assert "duban.toml" in line


# ---- validate ------------------------------------------------------------------------------
@pytest.mark.slow
def test_validate_json_reports_the_bad_date_at_its_cell(tmp_path):
    write_tasks(tmp_path / "市场部" / "任务跟进表.xlsx", with_bad_date())
    result = duban("validate", tmp_path, "--json", "--now", "2027-03-05T09:00")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    [book] = data["workbooks"]
    assert (book["file"], book["kind"], book["sheet"], book["lang"], book["header_row"], book["rows"]) == (
        str(Path("市场部") / "任务跟进表.xlsx"), "tasks", "任务跟进表", "zh", 1, 3)
    [problem] = book["problems"]
    assert (problem["code"], problem["scope"], problem["sheet"], problem["cell"], problem["row"], problem["column"],
            problem["value"]) == ("bad-date", "row", "任务跟进表", f"{DUE}{BAD_DATE_ROW}", BAD_DATE_ROW, "due", "11月31日")
    # the suggested date comes from the value's own month in the --now year, so --now was honoured
    assert problem["message"] == (f"任务跟进表!{DUE}{BAD_DATE_ROW}：“11月31日”不是有效日期。"
                                  "请写成 2027-11-30 这样的日期，或在单元格中选择日期。")
    assert data["totals"] == {"workbooks": 1, "rows": 3, "problems": 1}


@pytest.mark.slow
def test_validate_json_lists_a_broken_file_beside_the_good_one(tmp_path):
    write_tasks(tmp_path / "任务跟进表.xlsx", GOOD_ROWS)
    (tmp_path / "坏文件.xlsx").write_bytes(b"just some notes; not a zip and no commas")
    result = duban("validate", tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    books = {b["file"]: b for b in json.loads(result.stdout)["workbooks"]}
    assert books["任务跟进表.xlsx"]["rows"] == 3 and books["任务跟进表.xlsx"]["problems"] == []
    broken = books["坏文件.xlsx"]
    assert (broken["kind"], broken["rows"], [p["code"] for p in broken["problems"]]) == (None, 0, ["not-a-workbook"])
    assert broken["problems"][0]["message"].startswith("坏文件.xlsx：")


@pytest.mark.slow
def test_validate_table_shows_each_workbook_with_its_row_count(tmp_path):
    write_tasks(tmp_path / "任务跟进表.xlsx", with_bad_date())
    result = duban("validate", tmp_path, "--now", "2026-11-23T09:00")
    assert result.returncode == 0, result.stderr        # problems alone do not fail without --strict
    lines = result.stdout.splitlines()
    assert "任务跟进表.xlsx (任务跟进表): 读取 3 行, 1 个问题" in lines
    assert any(f"任务跟进表!{DUE}{BAD_DATE_ROW}" in line and "bad-date" in line and "“11月31日”不是有效日期" in line
               for line in lines), result.stdout
    assert lines[-1] == "共 1 个工作簿，3 行，1 个问题"


@pytest.mark.slow
def test_validate_table_prints_names_and_cell_values_verbatim(tmp_path):
    """Brackets in a file name or a cell are text, not terminal markup (a stray `[/b]` once crashed it)."""
    write_tasks(tmp_path / "任务跟进表[draft].xlsx", with_bad_date("见备注[/b]"))
    write_tasks(tmp_path / "[old] tasks.xlsx", with_bad_date("[tbd]"))
    result = duban("validate", tmp_path, "--now", "2026-11-23T09:00")
    assert result.returncode == 0, result.stderr
    assert "任务跟进表[draft].xlsx (任务跟进表): 读取 3 行, 1 个问题" in result.stdout
    assert "[old] tasks.xlsx (任务跟进表): 读取 3 行, 1 个问题" in result.stdout
    assert "“见备注[/b]”不是有效日期" in result.stdout
    assert "“[tbd]”不是有效日期" in result.stdout


@pytest.mark.slow
def test_check_and_history_print_names_verbatim(tmp_path):
    """A stray `[/b]` in a file name would crash rich's markup parser if it were not escaped."""
    write_tasks(tmp_path / "[old] tasks[/b].xlsx", with_bad_date("2026-12-01"))
    def squeeze(text):                                               # undo the table's folding
        return "".join(text.replace("│", "").split())

    result = duban("check", tmp_path, "--now", "2026-11-23T09:00")
    assert result.returncode == 0, result.stderr
    assert "[old]tasks[/b].xlsx" in squeeze(result.stdout)
    history = duban("history", tmp_path)
    assert history.returncode == 0, history.stderr
    assert "[old]tasks[/b].xlsx" in squeeze(history.stdout)


@pytest.mark.slow
def test_validate_in_english(tmp_path):
    rows = [{"task": "Weekly report", "owner": "Zhang Wei", "due": date(2026, 12, 1), "progress": "25%",
             "status": "In progress"}]
    write_tasks(tmp_path / "Tasks.xlsx", rows, lang="en")
    result = duban("validate", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Tasks.xlsx (Tasks): 1 rows read, no problems found" in result.stdout.splitlines()


@pytest.mark.parametrize("rows, code", [(with_bad_date(), 1), (GOOD_ROWS, 0)], ids=["problems", "clean"])
@pytest.mark.slow
def test_strict_exit_code(tmp_path, rows, code):
    write_tasks(tmp_path / "任务跟进表.xlsx", rows)
    result = duban("validate", tmp_path, "--strict", "--json")
    assert result.returncode == code, result.stderr
    assert json.loads(result.stdout)["totals"]["problems"] == code   # one problem, or none
    table = duban("validate", tmp_path, "--strict")
    assert table.returncode == code
    assert "任务跟进表.xlsx (任务跟进表): 读取 3 行, " + ("1 个问题" if code else "没有发现问题") in table.stdout


@pytest.mark.slow
def test_strict_counts_a_broken_file_as_a_problem(tmp_path):
    write_tasks(tmp_path / "任务跟进表.xlsx", GOOD_ROWS)
    (tmp_path / "空.xlsx").write_bytes(b"")
    result = duban("validate", tmp_path, "--strict")
    assert result.returncode == 1
    assert "空.xlsx: 读取 0 行, 1 个问题" in result.stdout.splitlines()
    assert "truncated" in result.stdout and "Traceback" not in result.stderr
