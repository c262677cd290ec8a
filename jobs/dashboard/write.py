"""Writing the dashboard after a check: 看板.html / dashboard.html at the folder root, and its
quarter's copy under reports/<year>-Q<n>/ beside the weekly and monthly archives.

Each file is replaced whole (a temp file beside it, fsynced, renamed), so a head who opens it
while a check runs sees the old page or the new one, never half; it is left readable by all
who can read the share. The dashboard is a courtesy: a share it cannot be written to is one
warning sentence in both languages, never a failed check.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Callable

from duban.jobs.check import CheckReport
from duban.jobs.settings.typed import Settings
from duban.workbooks.share.files import write_atomically

log = logging.getLogger("duban.dashboard")
NAMES = {"zh": "看板.html", "en": "dashboard.html"}
ARCHIVED = {"zh": "看板-{quarter}.html", "en": "dashboard-{quarter}.html"}
FAILED = {"zh": "看板未能写入 {path}：{error}。检查本身已完成；请确认督办对该文件夹有写权限。",
          "en": "The dashboard could not be written to {path}: {error}. The check itself is complete; "
                "make sure duban may write to the folder."}


def page_path(folder: Path, lang: str) -> Path:
    return folder / NAMES.get(lang, NAMES["zh"])


def quarter_of(now: datetime) -> str:
    return f"{now.year}-Q{(now.month - 1) // 3 + 1}"


def archive_path(folder: Path, lang: str, now: datetime) -> Path:
    """reports/<year>-Q<n>/看板-<year>-Q<n>.html: one per quarter, rewritten while the quarter lasts."""
    quarter = quarter_of(now)
    return folder / "reports" / quarter / ARCHIVED.get(lang, ARCHIVED["zh"]).format(quarter=quarter)


def write_page(folder: Path, lang: str, now: datetime, html: str) -> list[Path]:
    """The page at the root, then its quarter's copy; each whole or not at all, readable by all."""
    data = html.encode("utf-8")
    written = []
    for path in (page_path(folder, lang), archive_path(folder, lang, now)):
        write_atomically(path, data)
        if os.name == "posix":
            path.chmod(path.stat().st_mode & 0o777 | 0o444)
        written.append(path)
    return written


def keeping(settings: Settings, dry_run: bool = False, off: bool = False) -> Callable:
    """What a streamed remind keeps of each workbook for the page written after it: the rows'
    facts when a page will be written, nothing when not (so remind holds one workbook's records
    at a time either way)."""
    if dry_run or off or not settings.dashboard.enabled:
        return lambda checked: None
    from duban.jobs.dashboard.data import keeper
    return keeper(settings)


def refresh(folder: Path, settings: Settings, report: CheckReport, dry_run: bool = False, off: bool = False,
            render: Callable[[dict], str] | None = None) -> list[str]:
    """After a complete check: build the data, render the page, write it. Returns the warnings
    (empty when written or not wanted): nothing is written on a dry run, with --no-dashboard
    (`off`) or with [dashboard] enabled = false."""
    if dry_run or off or not settings.dashboard.enabled or all(w.read.kind is None for w in report.workbooks):
        return []           # a folder holding no duban table gets no page (nor a state folder: check.py)
    from duban.jobs.dashboard.data import dashboard_data
    if render is None:
        from duban.jobs.dashboard.page import render_page as render
    now = report.now
    target = page_path(folder, settings.lang)
    try:
        html = render(dashboard_data(report, settings, folder, now))
        write_page(folder, settings.lang, now, html)
    except Exception as error:  # noqa: BLE001 - the workbooks are written: the page never fails the check
        log.warning("dashboard not written: %s", error, exc_info=not isinstance(error, OSError))
        reason = (error.strerror if isinstance(error, OSError) else None) or f"{type(error).__name__}: {error}"
        return [FAILED[settings.lang].format(path=target, error=reason)]
    return []


def after_check(folder: Path, settings: Settings, done, dry_run: bool = False, off: bool = False):
    """`done` (a CheckReport, or a run holding one as `.check`: remind's) with the dashboard written
    from its check, a failure to write it added to the check's warnings; returned as it came."""
    report = getattr(done, "check", done)
    if isinstance(report, CheckReport):
        report.warnings += refresh(folder, settings, report, dry_run, off)
    return done
