"""Terminal output of the jobs: rich tables for people, JSON for programs, progress for slow runs."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workbooks.records import WorkbookRead

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

TEXT = {
    "zh": {"where": "位置", "code": "问题", "message": "说明", "rows": "读取 {n} 行", "problems": "{n} 个问题",
           "none": "没有发现问题", "created": "已创建 {n} 个文件于 {folder}：", "next": "下一步：duban validate {folder}",
           "total": "共 {files} 个工作簿，{rows} 行，{problems} 个问题", "reading": "读取工作簿"},
    "en": {"where": "Where", "code": "Problem", "message": "What to do", "rows": "{n} rows read", "problems": "{n} problems",
           "none": "no problems found", "created": "Created {n} files in {folder}:", "next": "Next: duban validate {folder}",
           "total": "{files} workbooks, {rows} rows, {problems} problems", "reading": "Reading workbooks"},
}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "note": "cyan"}


def _t(settings_or_lang, key: str, **kw) -> str:
    lang = settings_or_lang if isinstance(settings_or_lang, str) else settings_or_lang["company"]["language"]
    return TEXT.get(lang, TEXT["zh"])[key].format(**kw)


def created(paths: list[Path], folder: Path, lang: str) -> None:
    out.print(_t(lang, "created", n=len(paths), folder=folder))
    for path in paths:
        out.print(f"  {path.relative_to(folder)}")
    out.print(_t(lang, "next", folder=folder))


@contextmanager
def progress(settings: dict, after_seconds: float = 0.5):
    """A progress callback that shows a bar only once the work has taken more than a moment."""
    started, bar, task = time.monotonic(), None, None

    def tick(path: Path) -> None:
        nonlocal bar, task
        if bar is None and time.monotonic() - started > after_seconds and err.is_terminal:
            bar = Progress(TextColumn(_t(settings, "reading")), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), TextColumn("{task.description}"), console=err, transient=True)
            bar.start()
            task = bar.add_task("", total=None)
        if bar is not None:
            bar.update(task, advance=1, description=path.name)

    try:
        yield tick
    finally:
        if bar is not None:
            bar.stop()


def validation(reads: list[WorkbookRead], folder: Path, settings: dict, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(validation_json(reads, folder), ensure_ascii=False))
        return
    for read in reads:
        _workbook_block(read, folder, settings)
    total = sum(len(r.problems) for r in reads)
    out.print(_t(settings, "total", files=len(reads), rows=sum(r.rows_read for r in reads), problems=total))


def _workbook_block(read: WorkbookRead, folder: Path, settings: dict) -> None:
    lang = read.lang if read.kind else settings["company"]["language"]
    name = str(read.path.relative_to(folder))
    kind = f" ({read.kind.sheet(lang)})" if read.kind else ""
    counts = f"{_t(lang, 'rows', n=read.rows_read)}, " + (_t(lang, "problems", n=len(read.problems))
                                                           if read.problems else _t(lang, "none"))
    out.print(f"[bold]{name}[/bold]{kind}: {counts}")
    if not read.problems:
        return
    table = Table(show_header=True, header_style="bold", expand=False)
    for key in ("where", "code", "message"):
        table.add_column(_t(lang, key), overflow="fold")
    for problem in read.problems:
        style = SEVERITY_STYLE.get(problem.severity, "")
        table.add_row(problem.where, f"[{style}]{problem.code}[/{style}]", problem.text(lang))
    out.print(table)


def validation_json(reads: list[WorkbookRead], folder: Path) -> dict:
    return {"folder": str(folder), "workbooks": [
        {"file": str(r.path.relative_to(folder)), "kind": r.kind.key if r.kind else None, "sheet": r.sheet,
         "lang": r.lang, "header_row": r.header_row, "rows": r.rows_read,
         "problems": [p.to_dict(r.lang) for p in r.problems]} for r in reads],
        "totals": {"workbooks": len(reads), "rows": sum(r.rows_read for r in reads),
                   "problems": sum(len(r.problems) for r in reads)}}
