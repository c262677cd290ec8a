"""Opening a folder for a job: its settings, after the first-run mistakes have been told.

The command line and the Excel console both start a job here, so a wrong path, a missing
duban.toml for a mail job or a folder without workbooks gets the same sentence from either.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from duban.jobs.settings import config
from duban.jobs.settings.typed import Settings
from duban.jobs.time import clock
from duban.workbooks.model.errors import DubanError, UsageError
from duban.workbooks.share.commandline import folder_arg
from duban.workbooks.share.discover import find_workbooks


def settings_of(folder: Path, mail: bool = False) -> Settings:
    """The folder's settings, after the first-run mistakes (a file, a missing folder, no
    duban.toml for a mail job) have been told in both languages, on one line: no config says which yet."""
    if folder.is_file():
        raise UsageError(f"{folder} 是一个文件，不是文件夹。请给督办存放工作簿的文件夹，这里是 {folder.parent}。 / "
                         f"{folder} is a file, not a folder: give duban the folder that holds the workbooks, "
                         f"here {folder.parent}.")
    if not folder.is_dir():
        raise UsageError(f"没有文件夹 {folder}；请先运行 duban init {folder_arg(folder)}。 / "
                         f"{folder}: no such folder. Create it with 'duban init {folder_arg(folder)}' first.")
    if mail and not (folder / config.CONFIG_NAME).exists():
        raise UsageError(f"{folder} 中没有 duban.toml，发送邮件需要其中的设置（发件人、文员、邮件服务器）。"
                         f"请运行 duban init {folder_arg(folder)} --config-only 生成一份，填好 [mail] 后再运行。 / "
                         f"{folder} has no duban.toml, and mail needs its settings (sender, clerks, mail server). "
                         f"Run 'duban init {folder_arg(folder)} --config-only' to write one, fill in [mail], then run again.")
    return config.load(folder)


def require_workbooks(folder: Path, settings: Settings) -> None:
    """A folder a job reads without any workbook is a wrong path, not a quiet success."""
    if not find_workbooks(folder):
        zh = settings.company.language == "zh"
        raise DubanError(f"{folder} 中没有找到工作簿（.xlsx）；请先运行 duban init {folder_arg(folder)}，或检查路径。"
                         if zh else f"No workbooks found in {folder}; run 'duban init {folder_arg(folder)}' first, "
                         f"or check the path.")


def for_job(folder: Path, now: str | None, mail: bool = False) -> tuple[Settings, datetime]:
    """(settings, the job's time) for a folder a job reads; the workbooks are looked for after
    the settings and --now, which are checked first."""
    settings = settings_of(folder, mail)
    moment = clock.now(settings.company.tz, now)
    require_workbooks(folder, settings)
    return settings, moment
