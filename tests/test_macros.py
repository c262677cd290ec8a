"""The Excel console (issue 13): the .xlsm as built, and every action's main() path against the fake Excel."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import lo
from books import cli
from duban.jobs.explain import TEXT as EXPLAIN_TEXT
from duban.jobs.init import init_folder
from duban.jobs.settings import config
from duban.macros import actions, console, layout as L
from duban.macros.build import interpreter_settings, vba_project, write_console, xlwings_dir
from duban.macros.fake import FakeExcel
from duban.workbooks.share.discover import find_workbooks

NOW = "2026-11-23T09:00"
TODAY = date(2026, 11, 23)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_zh(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("zh") / "共享 盘" / "督办 文件夹"      # Chinese and spaces in the path
    init_folder(folder, lang="zh", demo=True, today=TODAY)
    return folder


def fresh(tmp_path: Path, lang: str) -> Path:
    folder = tmp_path / ("共享 盘" if lang == "zh" else "shared drive") / "tracker folder"
    init_folder(folder, lang=lang, demo=True, today=TODAY)
    return folder


def run_action(folder: Path, action: str, lang: str, excel: FakeExcel | None = None, selected=None):
    excel = excel or FakeExcel()
    book = excel.open_file(folder / L.CONSOLE_NAME)
    sheet = book.sheets[L.CONSOLE_SHEET[lang]]
    sheet.write(L.ACTION_CELL, [[L.label(action, lang)]])
    book.selected = selected
    result = console.run(excel, book, now=NOW)
    return result, book, sheet, excel


def result_rows(sheet) -> list[list]:
    return [row for row in sheet.rows(int(L.RAN_CELL[1:]), width=L.WIDTH)]


# ---- the workbook as built ---------------------------------------------------------------------------
def test_console_is_a_macro_enabled_workbook_with_xlwings_vba_project(demo_zh):
    path = demo_zh / L.CONSOLE_NAME
    with zipfile.ZipFile(path) as zf:
        types = zf.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "application/vnd.ms-office.vbaProject" in types
        assert zf.read("xl/vbaProject.bin") == vba_project()          # xlwings' project, unchanged
        vml = zf.read("xl/drawings/vmlDrawing1.vml").decode()
        assert "<x:FmlaMacro>[0]!SampleCall</x:FmlaMacro>" in vml and "运行" in vml   # one 运行 button
        assert 'codeName="ThisWorkbook"' in zf.read("xl/workbook.xml").decode()


def test_olevba_shows_the_macro_the_button_calls(demo_zh):
    olevba = pytest.importorskip("oletools.olevba")
    parser = olevba.VBA_Parser(str(demo_zh / L.CONSOLE_NAME))
    try:
        modules = {Path(stream).name: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()
    assert "Sub SampleCall()" in modules["Module1"]
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in modules["Module1"]
    assert "Public Function RunPython" in modules["xlwings"]


def test_console_opens_in_calamine_with_its_sheets_and_settings(demo_zh):
    book = CalamineWorkbook.from_path(str(demo_zh / L.CONSOLE_NAME))
    assert book.sheet_names == ["督办控制台", "问题", "xlwings.conf"]
    rows = book.get_sheet_by_name("督办控制台").to_python()
    assert rows[0][0] == "督办控制台" and rows[3][1] == "立即检查"
    labels = [r[0] for r in rows[7:13]]
    assert labels == ["立即检查", "发送今日提醒", "生成本周周报", "生成月度指标", "检查数据问题", "解释选中行"]
    assert book.get_sheet_by_name("问题").to_python()[0][:4] == ["工作簿", "单元格", "代码", "说明"]
    conf = [row[:2] for row in book.get_sheet_by_name("xlwings.conf").to_python()]
    assert conf == [list(pair) for pair in interpreter_settings()]


@pytest.mark.skipif(os.name == "nt" or sys.platform == "darwin", reason="a build on Linux")
def test_a_console_built_on_linux_names_the_per_user_windows_python_not_this_one(tmp_path):
    """Built on the server (the usual case), the conf sheet must not carry this machine's POSIX paths:
    Interpreter_Win is the README's per-user default, and no PYTHONPATH (the venv has duban; the
    workbook's own folder, where duban_console.py is, xlwings adds by itself)."""
    [book_path, _] = write_console(tmp_path / "share", "zh")
    conf = [row[:2] for row in CalamineWorkbook.from_path(str(book_path)).get_sheet_by_name("xlwings.conf").to_python()]
    keys = [key for key, _ in conf if key]
    assert conf[0] == ["Interpreter_Win", r"%LOCALAPPDATA%\duban\.venv\Scripts\pythonw.exe"]
    assert conf[1] == ["Interpreter_Mac", "$HOME/duban/.venv/bin/python"]
    assert keys == ["Interpreter_Win", "Interpreter_Mac"]           # xlwings reads A1 down to the first gap
    values = " ".join(str(v) for _, v in conf)
    assert sys.executable not in values and str(ROOT) not in values and "site-packages" not in values
    # the options still override, PYTHONPATH included
    [book_path, _] = write_console(tmp_path / "other", "en", interpreter_win=r"C:\Python311\pythonw.exe",
                                   interpreter_mac="/opt/py/bin/python3", pythonpath=r"\\server\share\libs")
    conf = [row[:2] for row in CalamineWorkbook.from_path(str(book_path)).get_sheet_by_name("xlwings.conf").to_python()]
    assert conf == [["Interpreter_Win", r"C:\Python311\pythonw.exe"], ["Interpreter_Mac", "/opt/py/bin/python3"],
                    ["PYTHONPATH", r"\\server\share\libs"]]


def test_the_vba_puts_the_workbooks_own_folder_on_sys_path():
    """duban_console.py needs no PYTHONPATH: xlwings' RunPython adds the workbook's folder unless
    ADD_WORKBOOK_TO_PYTHONPATH says otherwise (which the console never writes)."""
    olevba = pytest.importorskip("oletools.olevba")
    parser = olevba.VBA_Parser(str(xlwings_dir() / "quickstart_standalone.xlsm"))
    try:
        code = "\n".join(c for _, _, _, c in parser.extract_macros())
    finally:
        parser.close()
    assert 'GetConfig("ADD_WORKBOOK_TO_PYTHONPATH", "true")' in code
    from xlwings.utils import prepare_sys_path
    book = Path("/srv/share/督办/duban_console.xlsm")
    before = list(sys.path)
    try:
        prepare_sys_path(f"true;{book};{book};;;;")
        assert str(book.parent) in sys.path
    finally:
        sys.path[:] = before


@pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)
@pytest.mark.slow
def test_console_opens_in_libreoffice(demo_zh, tmp_path):
    csv = lo.convert(demo_zh / L.CONSOLE_NAME, lo.CSV_UTF8, tmp_path).read_text(encoding="utf-8")
    assert "督办控制台" in csv and "立即检查" in csv and "解释选中行" in csv
    round_trip = lo.convert(demo_zh / L.CONSOLE_NAME, lo.XLSX, tmp_path / "x")
    assert CalamineWorkbook.from_path(str(round_trip)).sheet_names == ["督办控制台", "问题", "xlwings.conf"]


@pytest.mark.slow
def test_english_console_and_the_module_beside_it(tmp_path):
    paths = write_console(tmp_path, "en", interpreter_win=r"%LOCALAPPDATA%\duban\.venv\Scripts\pythonw.exe")
    assert [p.name for p in paths] == ["duban_console.xlsm", "duban_console.py"]
    book = CalamineWorkbook.from_path(str(paths[0]))
    assert book.sheet_names == ["Console", "Problems", "xlwings.conf"]
    assert book.get_sheet_by_name("xlwings.conf").to_python()[0][:2] == [
        "Interpreter_Win", r"%LOCALAPPDATA%\duban\.venv\Scripts\pythonw.exe"]
    # main() imports and, called outside Excel, does nothing (no traceback, no dialog)
    code = f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(ROOT)!r}]; import duban_console; duban_console.main()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_console_is_not_a_tracker_and_init_writes_it(demo_zh):
    assert (demo_zh / L.CONSOLE_NAME).exists() and (demo_zh / "duban_console.py").exists()
    assert L.CONSOLE_NAME not in [p.name for p in find_workbooks(demo_zh)]
    assert len(find_workbooks(demo_zh)) == 8


@pytest.mark.slow
def test_macros_command_and_jobs_do_not_import_macros(tmp_path):
    code = ("import sys; import duban.jobs.cli, duban.jobs.check, duban.jobs.init, duban.jobs.remind, duban.jobs.validate, duban.jobs.explain; "
            "print(any(m == 'duban.macros' or m.startswith('duban.macros.') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
    done = cli("macros", str(tmp_path), "--lang", "en")
    assert done.returncode == 0 and (tmp_path / L.CONSOLE_NAME).exists(), done.stderr
    assert done.stdout.split() == [str(tmp_path / L.CONSOLE_NAME), str(tmp_path / "duban_console.py")]
    assert cli("macros", str(tmp_path / "nowhere")).returncode == 2


def test_vba_project_comes_from_the_installed_xlwings():
    assert (xlwings_dir() / "quickstart_standalone.xlsm").exists()
    assert vba_project()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")      # an OLE compound file


# ---- the actions, through the fake Excel ---------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_check_from_the_console(tmp_path, lang):
    folder = fresh(tmp_path, lang)
    result, book, sheet, excel = run_action(folder, "check", lang)
    rows = result_rows(sheet)
    assert rows[0][0].startswith(L.label("check", lang) + " · 2026-11-23 09:00")
    assert rows[1][0].startswith("检查完成：8 个工作簿" if lang == "zh" else "Check done: 8 workbooks")
    header = console.TEXT[lang]["check_head"]
    at = rows.index(header)
    listed = {r[0]: r for r in rows[at + 1:at + 9]}
    assert set(listed) == {p.name for p in find_workbooks(folder)}
    assert all(r[3] == console.TEXT[lang]["write"]["written"] for r in listed.values())
    flagged_at = rows.index(console.TEXT[lang]["flag_head"])
    listing = rows[flagged_at + 1:]
    ids = [r[0] for r in listing[:listing.index([])]]
    assert ids and all(actions.ID_PATTERN.match(i) for i in ids)
    # the header rows are coloured, the sentence is not an error, the folder is shown
    assert sheet.colour(f"A{int(L.RAN_CELL[1:]) + at}") == (console.HEADER_FILL, console.HEADER_FONT)
    assert sheet.colour(L.SENTENCE_CELL)[1] == console.DONE_FONT
    assert sheet.value(L.FOLDER_CELL) == str(folder)
    # progress in the status bar, then given back; screen updating off while writing, then on
    texts = excel.status_texts
    assert texts[0] == ("正在检查 1/8 个工作簿…" if lang == "zh" else "Checking workbook 1 of 8…")
    assert texts[-1] is None
    writes = [i for i, entry in enumerate(excel.log) if entry[0] == "write" and entry[2] != L.ACTION_CELL]
    offs = [i for i, entry in enumerate(excel.log) if entry == ("screen", False)]
    ons = [i for i, entry in enumerate(excel.log) if entry == ("screen", True)]
    assert all(any(off < w for off in offs) and any(on > w for on in ons) for w in writes)
    assert excel.updating


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_validate_fills_the_problems_sheet(tmp_path, lang):
    folder = fresh(tmp_path, lang)
    result, book, sheet, _ = run_action(folder, "validate", lang)
    problems = book.sheets[L.PROBLEMS_SHEET[lang]].rows(2)
    done = cli("validate", str(folder), "--json", "--now", NOW)
    expected = [(w["file"], p["code"]) for w in json.loads(done.stdout)["workbooks"] for p in w["problems"]]
    assert [(r[0], r[2]) for r in problems] == expected and expected
    bad_date = next(r for r in problems if r[2] == "bad-date")
    assert "!" in bad_date[1] and ("不是有效日期" if lang == "zh" else "is not a date") in bad_date[3]
    assert result.sentence.startswith("共 8 个工作簿" if lang == "zh" else "8 workbooks")
    assert (L.PROBLEMS_SHEET[lang] in result.sentence)
    # a second run replaces the list rather than adding to it
    run_action(folder, "validate", lang)
    assert len(book.sheets[L.PROBLEMS_SHEET[lang]].rows(2)) == len(problems)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_explain_the_selected_id(tmp_path, lang):
    folder = fresh(tmp_path, lang)
    _, _, sheet, _ = run_action(folder, "check", lang)
    rows = result_rows(sheet)
    ident = rows[rows.index(console.TEXT[lang]["flag_head"]) + 1][0]
    result, _, sheet, _ = run_action(folder, "explain", lang, selected=ident)
    rows = result_rows(sheet)
    assert rows[1][0].startswith(ident)
    words = EXPLAIN_TEXT[lang]
    row_word = words["row"].split("{")[0] or words["row"].split("}")[-1]       # "第" / "row "
    assert any(str(r[0]).startswith(ident) and row_word.strip() in str(r[0]) for r in rows[2:])   # explain's first line
    table = rows.index([words["rule"], words["fired"], words["why"]])
    listing = rows[table + 1:]
    rules = {r[0].rsplit("(", 1)[-1].rstrip(")"): r[1] for r in listing[:listing.index([])]}   # "逾期 (overdue)"
    assert "overdue" in rules or "blocked" in rules
    assert set(rules.values()) <= {words["yes"], words["no"]} and words["yes"] in rules.values()


@pytest.mark.slow
def test_explain_takes_the_id_cell_and_says_when_there_is_none(tmp_path):
    folder = fresh(tmp_path, "zh")
    run_action(folder, "check", "zh")
    excel = FakeExcel()
    result, book, sheet, _ = run_action(folder, "explain", "zh", excel, selected="解释选中行")
    assert result.error and result.sentence.startswith("没有找到要解释的编号")
    assert sheet.colour(L.SENTENCE_CELL)[1] == console.ERROR_FONT
    sheet.write(L.ID_CELL, [["t-000001"]])
    assert not console.run(excel, book, now=NOW).error
    sheet.write(L.ID_CELL, [["T-999999"]])
    result = console.run(excel, book, now=NOW)
    assert result.error and "T-999999" in result.sentence


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_remind_and_summaries_from_the_console(tmp_path, lang):
    folder = fresh(tmp_path, lang)
    result, _, sheet, _ = run_action(folder, "remind", lang)
    assert not result.error, result.sentence
    rows = result_rows(sheet)
    assert console.TEXT[lang]["mail_head"] in rows
    assert sorted((folder / "outbox").glob("*.eml"))
    for kind in ("week", "month"):
        result, _, sheet, _ = run_action(folder, kind, lang)
        assert not result.error, result.sentence
        assert result.sentence.startswith(console.TEXT[lang][kind])


@pytest.mark.slow
def test_errors_are_one_sentence_in_the_sheet(tmp_path, monkeypatch):
    folder = fresh(tmp_path, "en")
    excel = FakeExcel()
    book = excel.open_file(folder / L.CONSOLE_NAME)
    sheet = book.sheets["Console"]
    sheet.write(L.ACTION_CELL, [["make coffee"]])
    result = console.run(excel, book)
    assert result.error and "Choose an action from the list in B4" in result.sentence

    def broken(ctx):
        raise ZeroDivisionError("boom")
    monkeypatch.setitem(actions.ACTIONS, "check", broken)
    sheet.write(L.ACTION_CELL, [["Check now"]])
    result = console.run(excel, book)
    assert result.error and "ZeroDivisionError: boom" in result.sentence and "console.log" in result.sentence
    assert "Traceback" in (folder / ".duban" / "console.log").read_text()
    assert sheet.value(L.SENTENCE_CELL) == result.sentence and excel.updating


def test_a_folder_without_workbooks_says_so(tmp_path):
    write_console(tmp_path, "zh")
    result, *_ = run_action(tmp_path, "check", "zh")
    assert result.error and "没有找到工作簿" in result.sentence


@pytest.mark.slow
def test_check_from_the_console_uses_the_fake_excel_only_for_open_books(tmp_path):
    folder = fresh(tmp_path, "zh")
    excel = FakeExcel()
    run_action(folder, "check", "zh", excel)
    assert not [entry for entry in excel.log if entry[0] == "save"]       # nothing open: the file patcher wrote
    assert config.load(folder)
