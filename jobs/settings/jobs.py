"""Every duban job in one place: its name, how serve runs it, what `duban status` and the run
lock call it, and the Excel console's action for it.

serve's dispatch and schedule (`execute`, `settings.schedule.specs`), the labels of `duban
status`, the run lock's sentence about who holds it (`state.runlock`) and the console's dropdown
and hand-off (`macros`) all read this table, so a new job is one `Job(...)` here and its run
function. `tests/test_registries_jobs.py` walks the table and names what a job lacks.

The table sits below every job it lists (the settings read it for `[schedule]`), so it names no
function: a job's run is the function of its name in `jobs.tasks` (which sits above the jobs and
imports them), unless the `Job` brings its own (`run=`, for a job added at run time). It is
called `run(folder, settings, slot, dry_run)` and returns the small dict of facts serve records
(`summary`: one line for the log).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Action:
    """The job's entry in the Excel console's dropdown (macros.layout builds the sheet from it)."""

    key: str                          # the dropdown's key and the hand-off request's "action"
    labels: dict[str, str]            # the dropdown's words
    help: dict[str, str]              # the sentence beside it on the console sheet
    handed_over: bool = True          # uses state.db: while serve runs, serve runs it (jobs.serve.handoff)


@dataclass(frozen=True)
class Job:
    name: str                         # the [schedule] key, the runs table's job, the lock file's job
    labels: dict[str, str]            # what `duban status` and serve's lines call it, zh and en
    holder: str                       # how the run lock names it when it holds the lock ("duban remind")
    lock: str = ""                    # the name it takes the run lock under (default: its name)
    run: Callable[..., Any] | None = None  # its run, if not jobs.tasks' function of its name (a job added at run time)
    schedule: str | None = None       # serve schedules it: the schedule when [schedule] has no value for it
    console: Action | None = None     # its action in the Excel console, if it has one
    writes_back: bool = False         # it writes the workbooks: serve follows the writes it had to skip
    needs: str = ""                   # a settings table whose `enabled` must be true for serve to run it ("reply")

    @property
    def lock_name(self) -> str:
        return self.lock or self.name

    @property
    def scheduled(self) -> bool:
        return self.schedule is not None

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]

    @property
    def runs(self) -> bool:
        """serve (and the console) can run it: it is scheduled, or brings its own run function."""
        return self.scheduled or self.run is not None



def _action(key: str, zh: str, en: str, help_zh: str, help_en: str, handed_over: bool = True) -> Action:
    return Action(key, {"zh": zh, "en": en}, {"zh": help_zh, "en": help_en}, handed_over)


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("check", {"zh": "检查", "en": "check"}, "duban check", schedule="every 30 minutes",
        writes_back=True,
        console=_action(
            "check", "立即检查", "Check now",
            "读取文件夹中的所有工作簿，标记逾期、阻塞、未更新的行，写入编号、系统提示和状态颜色（在本 Excel 中打开的工作簿通过 Excel 直接更新并保存）。",
            "Reads every workbook in the folder, flags late, blocked and stale rows, writes IDs, Alerts and status "
            "colours (a workbook open in this Excel is updated and saved through Excel).")),
    Job("alert", {"zh": "紧急提醒", "en": "alert"}, "duban alert", schedule="every 5 minutes"),
    Job("remind", {"zh": "每日提醒", "en": "remind"}, "duban remind", schedule="09:00",
        writes_back=True,
        console=_action(
            "remind", "发送今日提醒", "Send today's reminders",
            "先检查，再给每人发送今日待办提醒、升级邮件，并给文员发送数据问题报告。",
            "Checks, then mails each person their digest, the escalations, and the clerks' problems report.")),
    Job("summary_week", {"zh": "周报", "en": "summary_week"}, "duban summary", lock="summary",
        schedule="friday 17:30",
        console=_action(
            "week", "生成本周周报", "Weekly report",
            "生成截至最近一次周五17:00的周报：按部门和项目统计，存档为 .xlsx 并发送。",
            "The week up to the latest Friday 17:00: per department and project, archived as .xlsx and mailed.")),
    Job("summary_month", {"zh": "月报", "en": "summary_month"}, "duban summary", lock="summary",
        schedule="09:30",
        console=_action(
            "month", "生成月度指标", "Monthly metrics",
            "生成上个月的指标（按时完成率、平均响应时间、会议次数），存档并发送。",
            "Last month's metrics (on-time rate, response times, meetings held), archived and mailed.")),
    Job("inbox", {"zh": "回复更新", "en": "inbox"}, "duban inbox", schedule="every 5 minutes in office hours",
        needs="reply"),
    Job("outbox", {"zh": "发送队列中的邮件", "en": "outbox"}, "duban outbox --retry"),
    Job("validate", {"zh": "检查数据问题", "en": "validate"}, "duban validate",
        console=_action(
            "validate", "检查数据问题", "Check data problems",
            "列出所有工作簿中的数据问题（单元格、代码、如何修改），写入“问题”工作表。",
            "Lists every data problem (cell, code, how to fix it) on the Problems sheet.", handed_over=False)),
    Job("explain", {"zh": "解释一行", "en": "explain"}, "duban explain",
        console=_action(
            "explain", "解释选中行", "Explain selected row",
            "选中结果中的编号（或在 B5 填写编号，如 T-000123）后点“运行”：逐条说明每条规则为何触发或未触发。",
            "Select an ID in the results (or type one in B5, e.g. T-000123), then Run: every rule, fired or not, "
            "and why.")),
)}


def get(name: str) -> Job | None:
    return JOBS.get(name)


def scheduled() -> list[Job]:
    """The jobs serve schedules, in the table's order (the order of `duban status`)."""
    return [job for job in JOBS.values() if job.scheduled]


def actions() -> list[Action]:
    """The console's actions, in the table's order (the dropdown's order)."""
    return [job.console for job in JOBS.values() if job.console is not None]


def by_action(key: str) -> Job | None:
    """The job behind a console action key ("week" -> summary_week)."""
    return next((job for job in JOBS.values() if job.console is not None and job.console.key == key), None)


def writes_back(name: str) -> bool:
    return bool((job := JOBS.get(name)) and job.writes_back)


def label(name: str, lang: str) -> str:
    """A job's name for people; a name the table does not know (an old run) as it is."""
    job = JOBS.get(name)
    return job.label(lang) if job else name


def holder(lock: str) -> str:
    """The command that holds the run lock under `lock` ("remind" -> "duban remind")."""
    return next((job.holder for job in JOBS.values() if job.lock_name == lock), f"duban {lock}")
