"""Issue 16, "Bad input": every piece of bad input gets a sentence for a person, on real workbooks
and the real CLI: a department without a head, a person listed twice in the directory, formulas
returning errors, an Alerts cell longer than Excel allows, and nobody named to get the problems report."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from books import NOW, settings, task
from duban.jobs.check import MAX_CELL, alerts_text, check_folder
from duban.jobs.remind import remind
from duban.jobs.rules.base import Flag
from duban.jobs.settings import config
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.xlsx import package
from test_cli import GOOD_ROWS, TASKS, write_tasks

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"
ALERTS = col_letters([c.key for c in TASKS.columns].index("alerts") + 1)


def duban(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-c", RUN, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=cwd or ROOT, timeout=120)


def cell_text(path: Path, ref: str) -> str:
    import openpyxl
    return openpyxl.load_workbook(path)[TASKS.sheet("zh")][ref].value or ""


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# ---- d. an Alerts cell never longer than Excel's 32,767 characters ---------------------------------
def test_an_alerts_cell_stays_within_excels_limit_and_says_what_was_left_out(tmp_path):
    rows = [dict(r) for r in GOOD_ROWS]
    long = "很长的说明" * 2400                         # 12,000 characters, quoted by each problem
    rows[0].update(due="下周" + long, progress="七成" + long, priority="很" + long, status="快了" + long)
    path = write_tasks(tmp_path / "任务跟进表.xlsx", rows)
    [wb] = check_folder(tmp_path, settings(), NOW).workbooks
    assert wb.write == "written", wb.why
    text = cell_text(path, f"{ALERTS}2")
    assert 20_000 < utf16_units(text) <= MAX_CELL == 32_767             # 48,058 before
    assert text.endswith("条）") and "…（另有" in text            # a visible marker, counted
    assert cell_text(path, f"{ALERTS}3") == ""                      # the other rows are untouched


def test_the_marker_counts_the_alerts_left_out_and_fits_the_limit():
    flags = [Flag("data_problem", "问题" + "长" * 10_000, "problem " + "x" * 10_000) for _ in range(5)]
    for lang, marker in (("zh", "…（另有2条）"), ("en", "… (2 more)")):
        text = alerts_text(flags, lang)
        assert utf16_units(text) <= MAX_CELL and text.endswith(marker), text[-40:]
    one = [Flag("data_problem", "😀" * 20_000, "e" * 40_000)]       # astral characters count twice in Excel
    for lang in ("zh", "en"):
        text = alerts_text(one, lang)
        assert utf16_units(text) <= MAX_CELL and text.endswith("…")
    short = [Flag("overdue", "逾期3天", "3 days overdue"), Flag("due_soon", "今天到期", "due today")]
    assert alerts_text(short, "zh") == "逾期3天；今天到期"           # nothing changes below the limit


# ---- e. nobody named to get the problems report ---------------------------------------------------
@pytest.mark.slow
def test_every_command_says_nobody_gets_the_problems_report_until_a_clerk_is_named(tmp_path):
    folder = tmp_path / "督办"
    made = duban("init", folder)
    assert made.returncode == 0, made.stderr
    toml = folder / "duban.toml"
    said = f"{toml} 中 [mail] 下的 clerks 为空"
    assert said in made.stderr and 'clerks = ["王芳"]' in made.stderr
    for args in (["validate", folder], ["check", folder, "--json"], ["remind", folder, "--dry-run"],
                 ["status", folder], ["outbox", folder], ["history", folder]):
        done = duban(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert said in done.stderr, args                   # on stderr: --json output stays JSON
    json.loads(duban("check", folder, "--json").stdout)
    toml.write_text(toml.read_text(encoding="utf-8").replace("clerks = []", 'clerks = ["王芳"]'), encoding="utf-8")
    done = duban("validate", folder)
    assert done.returncode == 0 and "clerks" not in done.stderr, done.stderr


@pytest.mark.slow
def test_the_warning_is_in_the_company_language_and_without_duban_toml_says_how_to_make_one(tmp_path):
    english = tmp_path / "en"
    duban("init", english, "--lang", "en")
    done = duban("validate", english)
    assert f"[mail] clerks is empty in {english / 'duban.toml'}" in done.stderr, done.stderr
    bare = tmp_path / "bare"
    write_tasks(bare / "任务跟进表.xlsx", GOOD_ROWS)
    done = duban("validate", bare)
    assert done.returncode == 0 and f"duban init {bare} --config-only" in done.stderr, done.stderr


# ---- c. a formula that returns an error is said to, not taken for a blank --------------------------
def _with_error_cells(path: Path) -> Path:
    """GOOD_ROWS with `#N/A` in row 2's status (as Excel stores a typed #N/A: t="e") and a VLOOKUP
    returning #REF! in row 3's due date (a formula cell with its cached error, as Excel saves it)."""
    import openpyxl
    rows = [dict(r) for r in GOOD_ROWS]
    rows[0]["status"] = "#N/A"
    rows[1]["due"] = "#REF!"
    write_tasks(path, rows)
    assert openpyxl.load_workbook(path).active[f"{col('due')}3"].data_type == "e"
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    sheet = package.workbook_parts(zipfile.ZipFile(path))[0][TASKS.sheet("zh")]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == sheet:
                cell = f'<c r="{col("due")}3" t="e"><v>#REF!</v></c>'.encode()
                assert cell in data
                data = data.replace(cell, cell.replace(b"<v>", b"<f>VLOOKUP(B3,#REF!,2,FALSE)</f><v>"))
            zf.writestr(info, data)
    return path


def col(key: str) -> str:
    return col_letters([c.key for c in TASKS.columns].index(key) + 1)


@pytest.mark.slow
def test_an_error_in_a_date_or_a_status_is_a_formula_error_through_the_cli(tmp_path):
    _with_error_cells(tmp_path / "任务跟进表.xlsx")
    done = duban("validate", tmp_path, "--json", "--now", "2026-11-23T09:00")
    assert done.returncode == 0, done.stderr
    [book] = json.loads(done.stdout)["workbooks"]
    by_cell = {p["cell"]: p for p in book["problems"]}
    due, status = by_cell[f"{col('due')}3"], by_cell[f"{col('status')}2"]
    assert due["code"] == status["code"] == "formula-error"          # was: required-empty, and nothing
    assert due["message"] == (f"任务跟进表!{col('due')}3：“截止日期”的公式返回错误 #REF!，本行按未填处理。"
                              "请修正公式，或直接填写日期。")
    assert "#N/A" in status["message"] and "下拉列表" in status["message"]
    assert not any(p["code"] == "required-empty" for p in book["problems"])
    english = duban("validate", tmp_path, "--now", "2026-11-23T09:00")
    assert "公式返回错误 #REF!" in english.stdout


def test_the_row_says_so_in_its_alerts_cell_and_the_english_sentence_reads(tmp_path):
    path = _with_error_cells(tmp_path / "任务跟进表.xlsx")
    [wb] = check_folder(tmp_path, settings(), NOW).workbooks
    assert "“状态”的公式返回错误 #N/A" in cell_text(path, f"{ALERTS}2")
    assert "“截止日期”的公式返回错误 #REF!" in cell_text(path, f"{ALERTS}3")
    [problem] = [p for p in wb.read.problems if p.cell == f"{col('due')}3"]
    assert problem.message("en") == (f"任务跟进表!{col('due')}3: the formula in \"Due\" returns the error #REF!, so the "
                                     "row is read as if the cell were empty. Fix the formula, or type the date in directly.")


def test_an_error_given_as_text_is_a_formula_error_too():
    from duban.workbooks.read.parse import Issue, converter
    for key in ("due", "status", "owner", "progress"):
        found = converter(TASKS.column(key), NOW.date())(" #N/A ")
        assert isinstance(found, Issue) and found.code == "formula-error" and found.value is None, key
    assert converter(TASKS.column("task"), NOW.date())("#N/A") .__class__.__name__ == "Issue"
    assert converter(TASKS.column("task"), NOW.date())("#1 优先") == "#1 优先"


# ---- b. a person listed twice in the directory --------------------------------------------------------
DIRECTORY = KINDS["directory"]
PEOPLE = [  # name, department, email, head
    ("张伟", "研发部", "zhang.wei@example.com", "no"),
    ("李娜", "研发部", "li.na@example.com", "yes"),
    ("张伟", "市场部", "zhang.wei2@example.com", "no"),      # the same name again, row 4
    ("王芳", "综合管理部", "wang.fang@example.com", "no"),
]


def make_folder(folder: Path, people=PEOPLE, tasks=None) -> Path:
    rows = [{"name": n, "department": d, "email": e, "dept_head": h} for n, d, e, h in people]
    write_workbook("directory", folder / DIRECTORY.filename("zh"), rows=rows)
    write_workbook("tasks", folder / TASKS.filename("zh"),
                   rows=tasks or [task("季度预算编制", owner="张伟", due=date(2026, 11, 20))])
    return folder


def mail_texts(folder: Path) -> dict[str, str]:
    """To address -> the plain text of each .eml in the outbox."""
    import email
    import email.policy
    found = {}
    for path in sorted((folder / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[message["To"].addresses[0].addr_spec] = (str(message["Subject"]) + "\n"
                                                      + message.get_body(("plain",)).get_content())
    return found


@pytest.mark.slow
def test_a_person_listed_twice_is_reported_with_both_rows_and_the_one_used(tmp_path):
    make_folder(tmp_path)
    done = duban("validate", tmp_path, "--json", "--now", "2026-11-23T09:00")
    assert done.returncode == 0, done.stderr
    books = {b["file"]: b for b in json.loads(done.stdout)["workbooks"]}
    [twice] = [p for p in books[DIRECTORY.filename("zh")]["problems"] if p["code"] == "duplicate-person"]
    name = col_letters([c.key for c in DIRECTORY.columns].index("name") + 1)
    assert twice["cell"] == f"{name}4" and twice["severity"] == "warning"
    assert twice["message"] == (f"通讯录!{name}4：“张伟”在通讯录中已列在第2行，督办只使用那一行（部门 研发部，邮箱 "
                                "zhang.wei@example.com），本行不起作用。请删除重复的这一行；如是两位同名的同事，"
                                "请在姓名后加以区分（如“张伟2”），并同样改写各表中的姓名。")


def test_the_row_used_is_the_one_mailed_and_the_clerks_are_told(tmp_path):
    make_folder(tmp_path)
    found = config.load(values={"mail": {"clerks": ["王芳"]}})
    remind(tmp_path, found, NOW)
    mailed = mail_texts(tmp_path)
    assert "zhang.wei@example.com" in mailed and "zhang.wei2@example.com" not in mailed
    assert "“张伟”在通讯录中已列在第2行" in mailed["wang.fang@example.com"]


# ---- a. a department without a head --------------------------------------------------------------------
NO_HEAD = [("张伟", "研发部", "zhang.wei@example.com", "no"), ("李娜", "研发部", "li.na@example.com", "no"),
           ("王芳", "综合管理部", "wang.fang@example.com", "yes")]
LATE = [task("季度预算编制", owner="张伟", due=date(2026, 11, 10)),        # nine working days late: escalated
        task("年度总结", owner="李娜", due=date(2026, 11, 12)),
        task("下周计划", owner="张伟", due=date(2026, 11, 30))]


def test_an_escalation_without_a_department_head_says_so_in_the_row_and_tells_the_clerks(tmp_path):
    make_folder(tmp_path, NO_HEAD, LATE)
    found = config.load(values={"mail": {"clerks": ["王芳"]}})
    run = remind(tmp_path, found, NOW)
    book = tmp_path / TASKS.filename("zh")
    for row in (2, 3):
        alerts = cell_text(book, f"{ALERTS}{row}")
        assert "已升级" not in alerts and "应升级，但通讯录中没有研发部的部门负责人，升级提醒未发出" in alerts, alerts
    assert not [o for o in run.outgoing if o.kind == "escalation"]            # indeed nobody to send it to
    report = mail_texts(tmp_path)["wang.fang@example.com"]
    assert ("第2、3行已到升级期限，应升级给研发部的部门负责人，但通讯录中没有研发部的部门负责人（或负责人没有填写邮箱），"
            "升级提醒没有发给部门负责人。请在通讯录工作表中为研发部指定负责人：在其所在行的“部门负责人”列选“是”，"
            "并填写“邮箱”。") in report.replace("\n", "")


@pytest.mark.slow
def test_the_check_says_it_on_the_terminal_in_english_too(tmp_path):
    make_folder(tmp_path, NO_HEAD, LATE)
    (tmp_path / "duban.toml").write_text('[company]\nlanguage = "en"\n[mail]\nclerks = ["王芳"]\n', encoding="utf-8")
    done = duban("check", tmp_path, "--now", "2026-11-23T09:00")
    assert done.returncode == 0, done.stderr
    assert ("rows 2, 3: due for escalation to the head of 研发部, but the directory has no head of 研发部"
            in " ".join(done.stderr.split())), done.stderr
    [wb] = [w for w in check_folder(tmp_path, settings(), NOW, dry_run=True).workbooks if w.read.kind.key == "tasks"]
    [flag] = [f for f in wb.flags[2] if f.rule == "escalated"]
    assert flag.en == ("overdue for 3 working days: due for escalation, but the directory has no head of 研发部, "
                       "so none was sent")


def test_with_a_head_on_file_the_row_says_escalated_and_nobody_is_bothered(tmp_path):
    make_folder(tmp_path, [("李娜", "研发部", "li.na@example.com", "yes"), *NO_HEAD[:1], NO_HEAD[2]], LATE[:1])
    [wb] = [w for w in check_folder(tmp_path, settings(), NOW).workbooks if w.read.kind.key == "tasks"]
    assert "（已满3个工作日，已升级）" in cell_text(tmp_path / TASKS.filename("zh"), f"{ALERTS}2")
    assert not [p for p in wb.read.problems if p.code == "no-department-head"]


@pytest.mark.slow
def test_explain_says_the_same_as_the_alerts_cell(tmp_path):
    make_folder(tmp_path, NO_HEAD, LATE)
    (tmp_path / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\n', encoding="utf-8")
    assert duban("check", tmp_path, "--now", "2026-11-23T09:00").returncode == 0
    done = duban("explain", tmp_path, "T-000001", "--now", "2026-11-23T09:00")
    assert done.returncode == 0, done.stderr
    text = "".join(done.stdout.split())
    assert "应升级，但通讯录中没有研发部的部门负责人，升级提醒未发出" in text and "，已升级" not in text


def test_error_cells_are_found_in_any_quote_style_and_across_read_chunks(tmp_path, monkeypatch):
    from duban.workbooks.read import errorcells
    path = _with_error_cells(tmp_path / "任务跟进表.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    sheet = package.workbook_parts(zipfile.ZipFile(path))[0][TASKS.sheet("zh")]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == sheet:
                data = data.replace(f'<c r="{col("due")}3" t="e">'.encode(), f"<c t='e' r='{col('due').lower()}3'>".encode())
            zf.writestr(info, data)
    for chunk in (errorcells.CHUNK, 7, 3, 1):         # the marker split between two reads is still found
        monkeypatch.setattr(errorcells, "CHUNK", chunk)
        assert errorcells.error_cells(path, TASKS.sheet("zh")) == {f"{col('status')}2": "#N/A", f"{col('due')}3": "#REF!"}
    plain = write_tasks(tmp_path / "plain" / "任务跟进表.xlsx", GOOD_ROWS)
    assert errorcells.error_cells(plain, TASKS.sheet("zh")) == {}


def test_a_head_whose_own_row_is_late_is_not_told_the_department_has_no_head(tmp_path):
    make_folder(tmp_path, [("李娜", "研发部", "li.na@example.com", "yes"), NO_HEAD[2]],
                [task("年度总结", owner="李娜", due=date(2026, 11, 10))])
    [wb] = [w for w in check_folder(tmp_path, settings(), NOW).workbooks if w.read.kind.key == "tasks"]
    alerts = cell_text(tmp_path / TASKS.filename("zh"), f"{ALERTS}2")
    assert "负责人本人就是研发部的部门负责人" in alerts and "，已升级" not in alerts, alerts
    assert not [p for p in wb.read.problems if p.code == "no-department-head"]


@pytest.mark.slow
def test_errors_in_a_workbook_libreoffice_calculated_and_saved(tmp_path):
    import lo
    if not lo.available():
        pytest.skip(lo.SKIP_REASON)
    rows = [dict(r) for r in GOOD_ROWS]
    rows[0]["status"] = "=NA()"
    rows[1]["due"] = "=1/0"
    source = write_tasks(tmp_path / "src" / "任务跟进表.xlsx", rows)
    saved = lo.convert(source, lo.XLSX, tmp_path / "saved")
    done = duban("validate", saved.parent, "--json", "--now", "2026-11-23T09:00")
    assert done.returncode == 0, done.stderr
    [book] = json.loads(done.stdout)["workbooks"]
    found = {p["cell"]: p["message"] for p in book["problems"] if p["code"] == "formula-error"}
    assert set(found) == {f"{col('status')}2", f"{col('due')}3"}, book["problems"]
    assert "返回错误 #N/A" in found[f"{col('status')}2"] and "返回错误 #DIV/0!" in found[f"{col('due')}3"]


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM")
@pytest.mark.slow
def test_the_live_service_says_it_when_it_starts_not_weeks_later_when_it_stops(tmp_path):
    import select
    import signal
    import time
    folder = tmp_path / "share"
    assert duban("init", folder).returncode == 0
    toml = folder / "duban.toml"
    text = toml.read_text(encoding="utf-8")
    for job in ("check", "alert", "remind", "summary_week", "summary_month"):
        text = "\n".join(f'{job} = "off"' if line.split("=")[0].strip() == job else line for line in text.splitlines())
    toml.write_text(text, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", RUN, "serve", str(folder)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    said, deadline = b"", time.monotonic() + 30
    try:
        while "clerks 为空".encode() not in said and time.monotonic() < deadline and proc.poll() is None:
            if select.select([proc.stderr], [], [], 0.5)[0]:
                said += os.read(proc.stderr.fileno(), 65536)
        assert "clerks 为空".encode() in said and proc.poll() is None, said.decode()   # while it runs
        while not (folder / ".duban" / "serve.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.1)                          # its SIGTERM handler is in place
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "clerks 为空" not in err.decode(), err.decode()         # said once
