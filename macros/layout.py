"""Where things are on the console workbook, and its words in both languages (build.py writes
them, console.py reads and fills them)."""
from __future__ import annotations

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

# (key, zh label, en label, zh help, en help), in the dropdown's order
ACTIONS = (
    ("check", "立即检查", "Check now",
     "读取文件夹中的所有工作簿，标记逾期、阻塞、未更新的行，写入编号、系统提示和状态颜色（在本 Excel 中打开的工作簿通过 Excel 直接更新并保存）。",
     "Reads every workbook in the folder, flags late, blocked and stale rows, writes IDs, Alerts and status colours "
     "(a workbook open in this Excel is updated and saved through Excel)."),
    ("remind", "发送今日提醒", "Send today's reminders",
     "先检查，再给每人发送今日待办提醒、升级邮件，并给文员发送数据问题报告。",
     "Checks, then mails each person their digest, the escalations, and the clerks' problems report."),
    ("week", "生成本周周报", "Weekly report",
     "生成截至最近一次周五17:00的周报：按部门和项目统计，存档为 .xlsx 并发送。",
     "The week up to the latest Friday 17:00: per department and project, archived as .xlsx and mailed."),
    ("month", "生成月度指标", "Monthly metrics",
     "生成上个月的指标（按时完成率、平均响应时间、会议次数），存档并发送。",
     "Last month's metrics (on-time rate, response times, meetings held), archived and mailed."),
    ("validate", "检查数据问题", "Check data problems",
     "列出所有工作簿中的数据问题（单元格、代码、如何修改），写入“问题”工作表。",
     "Lists every data problem (cell, code, how to fix it) on the Problems sheet."),
    ("explain", "解释选中行", "Explain selected row",
     "选中结果中的编号（或在 B5 填写编号，如 T-000123）后点“运行”：逐条说明每条规则为何触发或未触发。",
     "Select an ID in the results (or type one in B5, e.g. T-000123), then Run: every rule, fired or not, and why."),
)
ACTION_KEYS = {label.strip().casefold(): key for key, zh, en, *_ in ACTIONS for label in (zh, en, key)}


def label(key: str, lang: str) -> str:
    zh, en = next((a[1], a[2]) for a in ACTIONS if a[0] == key)
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
