"""Where things are on the console workbook, and its words in both languages (build.py writes
them, console.py reads and fills them)."""
from __future__ import annotations

from duban.jobs.settings import jobs
from duban.workbooks.share.discover import CONSOLE_MODULE, CONSOLE_NAME  # noqa: F401 - L.CONSOLE_NAME for build and console

MODULE = CONSOLE_MODULE.removesuffix(".py")     # the name RunPython imports: the workbook's own name
CONF_SHEET = "xlwings.conf"
MACRO = "SampleCall"                            # xlwings' Module1.SampleCall: import <book>; <book>.main()

CONSOLE_SHEET = {"zh": "督办控制台", "en": "Console"}
PROBLEMS_SHEET = {"zh": "问题", "en": "Problems"}

ACTION_CELL, ID_CELL, FOLDER_CELL = "B4", "B5", "B2"
RAN_CELL, SENTENCE_CELL = "A16", "A17"
TABLE_ROW = 19                  # the first result table's header row
WIDTH = 6                       # result columns A:F
LAST_COLUMN = "F"
MAX_ROWS = 2000                 # rows listed in the result area at most (the rest is said in a sentence)
RESULT_AREA = f"A{RAN_CELL[1:]}:{LAST_COLUMN}{TABLE_ROW + MAX_ROWS + 20}"
PROBLEM_COLUMNS = 5
PROBLEMS_AREA = f"A2:E{200_000}"


def actions() -> list[tuple[str, str, str, str, str]]:
    """(key, zh label, en label, zh help, en help) of every console action, in the dropdown's
    order: the jobs table's (jobs.settings.jobs), so a job with a console action is offered here."""
    return [(a.key, a.labels["zh"], a.labels["en"], a.help["zh"], a.help["en"]) for a in jobs.actions()]


def action_key(value) -> str | None:
    """The action a B4 value names (its label in either language, or its key), or None."""
    wanted = str(value or "").strip().casefold()
    return next((key for key, zh, en, *_ in actions() for name in (zh, en, key)
                 if name.strip().casefold() == wanted), None)


def label(key: str, lang: str) -> str:
    zh, en = next((a[1], a[2]) for a in actions() if a[0] == key)
    return zh if lang == "zh" else en


TEXT = {
    "zh": {
        "title": "督办控制台", "folder": "文件夹", "folder_here": "（本控制台所在的文件夹）",
        "action": "操作", "id": "编号", "run": "运行",
        "how": "在 B4 选择操作，点“运行”。结果显示在下方；长时间的任务在 Excel 底部状态栏显示进度。",
        "actions": "操作说明", "result": "结果", "not_run": "尚未运行。",
        "version": "由 duban macros 生成（xlwings {xlwings}）。升级 xlwings 后请重新运行 duban macros。",
        "problems_header": ["工作簿", "单元格", "代码", "说明", "严重程度"],
        "conf_note": "xlwings 读取本表 A、B 两列的设置（从 A1 起连续）。由 duban macros 按安装督办的 Python 填写；"
                     "换电脑或升级后请重新运行 duban macros。",
    },
    "en": {
        "title": "duban console", "folder": "Folder", "folder_here": "(the folder this console is in)",
        "action": "Action", "id": "ID", "run": "Run",
        "how": "Choose an action in B4 and click Run. The result shows below; long jobs show progress in Excel's "
               "status bar.",
        "actions": "Actions", "result": "Result", "not_run": "Not run yet.",
        "version": "Made by duban macros (xlwings {xlwings}). Run duban macros again after upgrading xlwings.",
        "problems_header": ["Workbook", "Cell", "Code", "What to do", "Severity"],
        "conf_note": "xlwings reads the settings in columns A and B of this sheet (from A1 down, no gaps). Filled by "
                     "duban macros from the Python that has duban; run duban macros again on another PC or after "
                     "an upgrade.",
    },
}
