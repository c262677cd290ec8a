"""A save that went into a backup instead of the workbook (workbooks/share/seals.py), said on the
terminal: `check` and `status` print it in red, in the company language, naming the workbook and
the backup. The clerks' problems report says it too (`save-in-backup`); a person at the terminal
must not have to wait for that mail to learn that someone's work is not in the workbook."""
from __future__ import annotations

from pathlib import Path

from duban.jobs.settings.typed import Settings
from duban.workbooks.share.seals import held_everywhere

TEXT = {
    "zh": "有一次对 {workbook} 的保存没有进入工作簿，而是写进了督办的备份 {backup}（某个程序在督办写入前打开了这个文件，"
          "之后通过原来的打开方式保存）。请对照这个备份把改动复制回工作簿，然后删除或移走该备份文件；在此之前督办不会删除它，"
          "这条提示也会一直出现。",
    "en": "a save to {workbook} went into duban's backup {backup} instead of the workbook (a program had the file open "
          "before duban's write and saved through it afterwards). Compare that backup with the workbook and copy the "
          "changes back, then delete or move the backup; until then duban keeps it, and this message repeats.",
}


def sentence(workbook: str, backup: str, lang: str) -> str:
    return TEXT.get(lang, TEXT["zh"]).format(workbook=workbook, backup=backup)


def from_check(report) -> list[tuple[str, str]]:
    """(workbook, backup) for the saves in backups that a check found (its save-in-backup problems)."""
    return [(wb.relpath, problem.params["backup"]) for wb in report.workbooks for problem in wb.read.problems
            if problem.code == "save-in-backup"]


def from_state(folder: Path, settings: Settings) -> list[tuple[str, str]]:
    """(workbook, backup) for every save in a backup, found from the backups' seals alone."""
    backups = (folder / settings.state.path).parent / "backups"
    return [(workbook.as_posix(), str(backup)) for workbook, backup in held_everywhere(backups)]
