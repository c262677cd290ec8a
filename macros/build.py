"""`duban macros DIR`: write DIR/duban_console.xlsm and DIR/duban_console.py, without Excel.

The workbook is written by XlsxWriter and carries, unchanged, the VBA project of the
`quickstart_standalone.xlsm` that the installed xlwings ships: its `xlwings` module (RunPython,
no add-in needed), `Dictionary` and `Module1.SampleCall`, which runs
`import <workbook name>; <workbook name>.main()`, hence the name `duban_console`. One 运行 /
Run button calls SampleCall; `duban_console.main()` reads the action from the dropdown beside
it. (One button and a dropdown because every button can only reach that same macro, and which
button was pressed is not visible from Python; see README "Excel buttons".)

The `xlwings.conf` sheet tells xlwings which Python to start (Interpreter_Win / Interpreter_Mac)
and, when it is needed, where duban's packages are (PYTHONPATH). Built on Windows, Interpreter_Win
is the interpreter running `duban macros` (under %LOCALAPPDATA% or %USERPROFILE% written with that
variable, which xlwings expands, so one console on the share serves every clerk who installed duban
in the same place) and PYTHONPATH its packages. Built anywhere else (the usual case: `duban init`
on the Linux server), this machine's paths mean nothing to Excel: Interpreter_Win is the documented
per-user default WINDOWS_DEFAULT and Interpreter_Mac MAC_DEFAULT (this Python when built on a Mac),
and no PYTHONPATH is written: that venv has duban installed. The folder of duban_console.py needs
no setting either: xlwings puts the workbook's own folder on sys.path (ADD_WORKBOOK_TO_PYTHONPATH,
true by default; `xlwings.utils.prepare_sys_path`).
"""
from __future__ import annotations

import io
import os
import sys
import zipfile
from importlib import metadata, util
from pathlib import Path

from duban.macros import layout as L
from duban.workbooks.model.errors import DubanError
from duban.workbooks.share.files import replacing, write_atomically

QUICKSTART = "quickstart_standalone.xlsm"
FONT = "微软雅黑"


def xlwings_dir() -> Path:
    """The installed xlwings package's folder, found without importing it."""
    spec = util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise DubanError("xlwings is not installed for this Python; install duban's wheel again (pip install "
                         "--force-reinstall duban-VERSION-py3-none-any.whl, the file IT hands out: README, "
                         "Installing on a clerk's PC) so that its xlwings comes with it.")
    return Path(list(spec.submodule_search_locations)[0])


def vba_project() -> bytes:
    """xl/vbaProject.bin of the installed xlwings' quickstart_standalone.xlsm."""
    source = xlwings_dir() / QUICKSTART
    try:
        with zipfile.ZipFile(source) as zf:
            return zf.read("xl/vbaProject.bin")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise DubanError(f"cannot take the VBA project from {source} ({exc}); reinstall xlwings "
                         f"(pip install --force-reinstall xlwings) and run duban macros again.") from None


def xlwings_version() -> str:
    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return "?"


def _portable(path: str) -> str:
    """A Windows path under the user's profile written with %LOCALAPPDATA% / %USERPROFILE%."""
    for var in ("LOCALAPPDATA", "USERPROFILE"):
        base = os.environ.get(var)
        if base and os.path.normcase(path).startswith(os.path.normcase(base.rstrip("\\/")) + os.sep):
            return f"%{var}%" + path[len(base.rstrip("\\/")):]
    return path


WINDOWS_DEFAULT = r"%LOCALAPPDATA%\duban\.venv\Scripts\pythonw.exe"   # README "Installing on a clerk's PC"
MAC_DEFAULT = "$HOME/duban/.venv/bin/python"                     # xlwings expands $HOME on a Mac


def _system() -> str:
    return "windows" if os.name == "nt" else "mac" if sys.platform == "darwin" else "other"


def interpreter_settings(interpreter_win: str | None = None, interpreter_mac: str | None = None,
                         pythonpath: str | None = None, system: str | None = None) -> list[tuple[str, str]]:
    """The xlwings.conf rows. Built on Windows: the running interpreter (pythonw.exe: no console
    window) and the folder that holds duban's packages. Elsewhere: the per-user defaults and no
    PYTHONPATH row (a POSIX path means nothing to Excel on Windows); the options override."""
    system = system or _system()
    win, mac, packages = WINDOWS_DEFAULT, MAC_DEFAULT, None
    if system == "windows":
        windowless = Path(sys.executable).with_name("pythonw.exe")
        win = _portable(str(windowless if windowless.exists() else sys.executable))
        packages = _portable(str(Path(__file__).resolve().parents[2]))   # site-packages, above duban/
    elif system == "mac":
        home = str(Path.home()).rstrip("/")
        mac = "$HOME" + sys.executable[len(home):] if sys.executable.startswith(home + "/") else sys.executable
    rows = [("Interpreter_Win", interpreter_win or win), ("Interpreter_Mac", interpreter_mac or mac)]
    if pythonpath or packages:
        rows.append(("PYTHONPATH", pythonpath or packages))
    return rows


def console_language(folder: Path) -> str:
    """The folder's company language (duban.toml), zh when it has none."""
    from duban.jobs.settings import config
    try:
        return config.load(folder).company.language if (folder / config.CONFIG_NAME).exists() else "zh"
    except DubanError:
        return "zh"


def write_console(folder: Path, lang: str | None = None, **interpreters) -> list[Path]:
    """Write duban_console.xlsm and duban_console.py into `folder`; returns both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lang = lang or console_language(folder)
    book_path, module_path = folder / L.CONSOLE_NAME, folder / L.CONSOLE_MODULE
    try:
        with replacing(book_path) as temp:
            _write_book(temp, lang, interpreter_settings(**interpreters))
    except PermissionError:
        raise DubanError(f"{book_path} 正被打开，无法替换；请在 Excel 中关闭它后再运行。 / {book_path} is open "
                         f"(in Excel?) and cannot be replaced; close it, then run again.") from None
    write_atomically(module_path, module_source(lang).encode("utf-8"))
    return [book_path, module_path]


def _write_book(path: Path, lang: str, settings: list[tuple[str, str]]) -> None:
    import xlsxwriter

    t = L.TEXT[lang]
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.add_vba_project(io.BytesIO(vba_project()), is_stream=True)
    wb.set_vba_name("ThisWorkbook")
    base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
    f = {name: wb.add_format({**base, **extra}) for name, extra in {
        "title": {"bold": True, "font_size": 18, "font_color": "#1F4E79"},
        "label": {"bold": True, "align": "right"},
        "input": {"bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000", "bold": True, "font_size": 11},
        "note": {"font_color": "#595959", "text_wrap": True},
        "section": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79", "font_size": 11},
        "action": {"bold": True, "valign": "top"},
        "help": {"text_wrap": True, "valign": "top"},
        "plain": {},
        "sentence": {"bold": True, "text_wrap": False},
        "header": {"bold": True, "bg_color": "#D9E1F2", "border": 1, "border_color": "#8EA9DB"},
        "small": {"font_color": "#808080", "font_size": 8},
        "number": {"align": "center"},
    }.items()}

    ws = wb.add_worksheet(L.CONSOLE_SHEET[lang])
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.set_paper(9)                          # A4
    ws.fit_to_pages(1, 0)
    ws.set_column("A:A", 26, f["plain"])
    ws.set_column("B:B", 14, f["number"])     # rows, row numbers: centred, apart from the text beside them
    ws.set_column("C:D", 36, f["plain"])
    ws.set_column("E:F", 12, f["number"])
    ws.set_row(0, 30)
    ws.merge_range("A1:F1", t["title"], f["title"])
    ws.write("A2", t["folder"], f["label"])
    ws.merge_range("B2:F2", t["folder_here"], f["note"])
    ws.set_row(3, 24)
    ws.set_row(4, 24)
    ws.write("A4", t["action"], f["label"])
    labels = [zh if lang == "zh" else en for _, zh, en, *_ in L.actions()]
    ws.merge_range("B4:C4", labels[0], f["input"])
    ws.data_validation(L.ACTION_CELL, {"validate": "list", "source": labels, "error_type": "stop",
                                       "error_title": t["action"], "error_message": " / ".join(labels)})
    ws.insert_button("D4", {"macro": L.MACRO, "caption": t["run"], "width": 120, "height": 38,
                            "x_offset": 8, "y_offset": 2})
    ws.write("A5", t["id"], f["label"])
    ws.merge_range("B5:C5", "", f["input"])
    ws.merge_range("A6:F6", t["how"], f["note"])
    ws.set_row(5, 30)
    ws.merge_range("A7:F7", t["actions"], f["section"])
    for offset, (_, zh, en, help_zh, help_en) in enumerate(L.actions()):
        row = 7 + offset                          # rows 8..13
        ws.set_row(row, 30)
        ws.write(row, 0, zh if lang == "zh" else en, f["action"])
        ws.merge_range(row, 1, row, 5, help_zh if lang == "zh" else help_en, f["help"])
    ws.merge_range("A15:F15", t["result"], f["section"])
    ws.write(L.RAN_CELL, t["not_run"], f["plain"])
    ws.write(L.SENTENCE_CELL, "", f["sentence"])
    ws.write(L.TABLE_ROW + L.MAX_ROWS + 22, 0, t["version"].format(xlwings=xlwings_version()), f["small"])
    ws.freeze_panes(0, 0)
    ws.activate()

    problems = wb.add_worksheet(L.PROBLEMS_SHEET[lang])
    for col, (title, width) in enumerate(zip(t["problems_header"], (28, 16, 22, 90, 10))):
        problems.set_column(col, col, width, f["plain"])
        problems.write(0, col, title, f["header"])
    problems.freeze_panes(1, 0)
    problems.autofilter(0, 0, 0, L.PROBLEM_COLUMNS - 1)

    conf = wb.add_worksheet(L.CONF_SHEET)
    conf.set_column("A:A", 18, f["plain"])
    conf.set_column("B:B", 70, f["plain"])
    conf.set_column("D:D", 60, f["note"])
    for row, (key, value) in enumerate(settings):
        conf.write_string(row, 0, key, f["plain"])
        conf.write_string(row, 1, value, f["plain"])
    conf.write(0, 3, t["conf_note"], f["note"])
    wb.close()


MODULE_SOURCE = '''"""duban's Excel console ({name}): its {run} button runs the xlwings macro SampleCall,
which runs `import {module}; {module}.main()`. Written by `duban macros`: run that again rather
than editing this file."""


def main():
    try:
        from duban.macros.console import run_from_excel
    except Exception as exc:  # duban is not installed for the Python that xlwings.conf names
        _cannot_start(exc)
        return
    run_from_excel()


def _cannot_start(exc):
    """Say it in the sheet, not in a traceback dialog."""
    sentence = ({sentence!r}).format(error="%s: %s" % (type(exc).__name__, exc))
    try:
        import xlwings

        book = xlwings.Book.caller()
        book.sheets[0].range({cell!r}).value = sentence
    except Exception:
        pass


if __name__ == "__main__":
    main()
'''


def module_source(lang: str) -> str:
    sentence = ("无法启动督办（{error}）。请在“xlwings.conf”工作表中检查 Interpreter_Win / PYTHONPATH 是否指向安装了"
                "督办的 Python，或在该电脑上重新运行 duban macros。" if lang == "zh" else
                "duban could not start ({error}). Check that Interpreter_Win / PYTHONPATH on the xlwings.conf sheet "
                "point at the Python that has duban, or run duban macros again on this PC.")
    return MODULE_SOURCE.format(name=L.CONSOLE_NAME, run=L.TEXT[lang]["run"], module=L.MODULE,
                                sentence=sentence, cell=L.SENTENCE_CELL)
