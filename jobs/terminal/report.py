"""Terminal output of the jobs: rich tables for people, JSON for programs, progress for slow runs."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import orjson
from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table

from duban.jobs.dashboard.streamed import shown
from duban.jobs.settings.typed import Settings
from duban.jobs.state import heldsaves
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.read.headers import detection
from duban.workbooks.share.commandline import folder_arg

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# Cell text must not drive the terminal: C0/C1 control characters become visible symbols (ESC -> ␛),
# line breaks one "⏎" (a table row stays one row), tabs a space, and bidi overrides are dropped.
_LINE_BREAKS = ("\r\n", "\r", "\n", "\x85", "\u2028", "\u2029")
_UNPRINTABLE = {**{c: 0x2400 + c for c in range(0x20)}, 0x09: " ", 0x7F: "\u2421",
                **{c: "\ufffd" for c in range(0x80, 0xA0)},
                **{c: None for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}}


def printable(text) -> str:
    """`text` safe to print: no control characters, no bidi overrides, on one line."""
    text = str(text)
    if text.isprintable():
        return text
    for brk in _LINE_BREAKS:
        text = text.replace(brk, "⏎")
    return text.translate(_UNPRINTABLE)


def escape(text) -> str:
    """Text from a workbook, a file name or the journal, for rich: no markup, no control characters."""
    return _escape_markup(printable(text))


TEXT = {
    "zh": {"where": "位置", "code": "问题", "message": "说明", "rows": "读取 {n} 行", "problems": "{n} 个问题",
           "none": "没有发现问题", "created": "已创建 {n} 个文件于 {folder}：", "next": "下一步：duban validate {folder}",
           "kept": "被替换的文件和原变更日志已保存在 {folder}（已发出的邮件记录保留，不会重发）。",
           "total": "共 {files} 个工作簿，{rows} 行，{problems} 个问题", "reading": "读取工作簿"},
    "en": {"where": "Where", "code": "Problem", "message": "What to do", "rows": "{n} rows read", "problems": "{n} problems",
           "none": "no problems found", "created": "Created {n} files in {folder}:", "next": "Next: duban validate {folder}",
           "kept": "The replaced files and the old change journal were kept in {folder} (the record of mail already sent stays, so none is sent again).",
           "total": "{files} workbooks, {rows} rows, {problems} problems", "reading": "Reading workbooks"},
}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "note": "cyan"}


def warning_prefix(lang: str) -> str:
    """What a warning line starts with: the project's Chinese `注意：` (as the clerks' notice), or `warning: `."""
    return "warning: " if lang == "en" else "注意："


def emit_json(data) -> None:
    """JSON for other programs, straight to stdout: orjson, not rich's highlighter, which took
    33 s and gigabytes on the output of 250 workbooks."""
    sys.stdout.flush()
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.buffer.flush()


def _t(settings_or_lang, key: str, **kw) -> str:
    lang = settings_or_lang if isinstance(settings_or_lang, str) else settings_or_lang.company.language
    return TEXT.get(lang, TEXT["zh"])[key].format(**kw)


def created(paths, folder: Path, lang: str) -> None:
    out.print(escape(_t(lang, "created", n=len(paths), folder=folder)))
    for path in paths:
        out.print(f"  {escape(str(path.relative_to(folder)))}")
    if kept := getattr(paths, "kept_in", None):
        out.print(escape(_t(lang, "kept", folder=kept)))
    out.print(escape(_t(lang, "next", folder=folder_arg(folder))))      # runs as printed, spaces and all


@contextmanager
def progress(settings: Settings, after_seconds: float = 0.5, quiet: bool = False):
    """A progress callback (jobs.terminal.progress) that shows a bar only on a terminal, without
    --json (`quiet`), once the work has taken more than a moment; set for the jobs as PROGRESS
    too, so a job that checks inside (remind) shows it without being handed it."""
    from duban.jobs.terminal.progress import Tick
    from duban.jobs.validate import PROGRESS

    tick = Tick(settings.company.language, err, not quiet and out.is_terminal and err.is_terminal, after_seconds)
    token = PROGRESS.set(tick)
    try:
        yield tick
    finally:
        PROGRESS.reset(token)
        tick.stop()


def validation(reads: list[WorkbookRead], folder: Path, settings: Settings, as_json: bool) -> None:
    if as_json:
        emit_json(validation_json(reads, folder))
        return
    for read in reads:
        _workbook_block(read, folder, settings)
    total = sum(len(r.problems) for r in reads)
    out.print(_t(settings, "total", files=len(reads), rows=sum(r.rows_read for r in reads), problems=total))


def _workbook_block(read: WorkbookRead, folder: Path, settings: Settings) -> None:
    lang = read.lang if read.kind else settings.company.language
    name = str(read.path.relative_to(folder))
    kind = f" ({read.kind.sheet(lang)})" if read.kind else ""
    counts = f"{_t(lang, 'rows', n=read.rows_read)}, " + (_t(lang, "problems", n=len(read.problems))
                                                           if read.problems else _t(lang, "none"))
    out.print(f"[bold]{escape(name)}[/bold]{escape(kind)}: {counts}")  # names and cell values are not markup
    if read.kind:
        out.print(f"  {escape(detected(read)[lang])}")
    if not read.problems:
        return
    table = Table(show_header=True, header_style="bold", expand=False)
    for key in ("where", "code", "message"):
        table.add_column(_t(lang, key), overflow="fold")
    for problem in read.problems:
        style = SEVERITY_STYLE.get(problem.severity, "")
        table.add_row(escape(problem.where), f"[{style}]{problem.code}[/{style}]", escape(problem.text(lang)))
    out.print(table)


def detected(read: WorkbookRead) -> dict[str, str]:
    """Which kind the workbook was taken for, and on what evidence (its matched header columns)."""
    return detection(read.kind, read.columns, read.header_row, read.lang, read.meta.get("kind") == read.kind.key)


def validation_json(reads: list[WorkbookRead], folder: Path) -> dict:
    return {"folder": str(folder), "workbooks": [
        {"file": str(r.path.relative_to(folder)), "kind": r.kind.key if r.kind else None, "sheet": r.sheet,
         "lang": r.lang, "header_row": r.header_row, "rows": r.rows_read,
         "detected": detected(r)[r.lang] if r.kind else None,
         "problems": [p.to_dict(r.lang) for p in r.problems]} for r in reads],
        "totals": {"workbooks": len(reads), "rows": sum(r.rows_read for r in reads),
                   "problems": sum(len(r.problems) for r in reads)}}


# ---- check --------------------------------------------------------------------------------
CHECK_TEXT = {
    "zh": {"file": "工作簿", "rows": "行数", "flags": "标记", "write": "写回", "ids": "新编号",
           "written": "已写入", "unchanged": "无需改动", "skipped": "已跳过", "refused": "已拒绝",
           "dry-run": "预演，未写入", "": "—", "title": "督办检查 {now}",
           "would_be": "{n}（将编号为 {ids}）", "range": "{} 至 {}", "not_written": "{n}（未写入，下次写回时编号）",
           "refusal": "工作簿未写入（已拒绝）：{file} — {why}。文件保持原样；请按原因处理。"},
    "en": {"file": "Workbook", "rows": "Rows", "flags": "Flagged", "write": "Write-back", "ids": "New IDs",
           "written": "written", "unchanged": "unchanged", "skipped": "skipped", "refused": "refused",
           "dry-run": "dry run, not written", "": "—", "title": "duban check {now}",
           "would_be": "{n} (would be {ids})", "range": "{} to {}",
           "not_written": "{n} (none written: numbered when the workbook is next written)",
           "refusal": "Workbook not written (refused): {file} — {why}. The file is as it was; deal with the cause given."},
}


def check_summary(report, settings: Settings, as_json: bool) -> None:
    if as_json:
        emit_json(check_json(report))
        return
    lang = settings.company.language
    text = CHECK_TEXT.get(lang, CHECK_TEXT["zh"])
    table = Table(title=text["title"].format(now=report.now.strftime("%Y-%m-%d %H:%M")), header_style="bold")
    for key in ("file", "rows", "flags", "write", "ids"):
        table.add_column(text[key], overflow="fold")
    for wb in report.workbooks:
        table.add_row(escape(wb.relpath), str(wb.read.rows_read), escape(flag_counts(wb, lang)),
                      escape(text.get(wb.write, wb.write) + (f": {_why(wb.why, lang, wb.write == 'skipped')}"
                                                             if wb.why else "")),
                      escape(_new_ids(wb, text)))
    out.print(table)
    for warning in report.warnings:
        err.print(f"[yellow]{warning_prefix(lang)}[/yellow]{escape(warning)}")
    for wb in refused(report):       # not to be missed: red on stderr, and the command exits with 1
        err.print("[bold red]" + escape(text["refusal"].format(file=wb.relpath, why=_why(wb.why, lang) if wb.why
                                                               else "?")) + "[/bold red]")
    for workbook, backup in heldsaves.from_check(report):    # someone's save is not in the workbook
        err.print("[bold red]" + escape(heldsaves.sentence(workbook, backup, lang)) + "[/bold red]")


def _new_ids(wb, text: dict) -> str:
    """How many rows get an ID; on a dry run, which IDs they would get (they exist nowhere yet); a
    workbook not written (open, refused) got none, whatever a bare count would suggest."""
    if not wb.new_ids:
        return ""
    if wb.write in ("skipped", "refused"):
        return text["not_written"].format(n=wb.new_ids)
    if wb.write != "dry-run":
        return str(wb.new_ids)
    found = shown(wb).ids
    ids = sorted(found[row] for row in wb.provisional if row in found)
    return text["would_be"].format(n=wb.new_ids, ids=ids[0] if len(ids) == 1 else text["range"].format(*ids[::len(ids) - 1]))


def refused(report) -> list:
    """The workbooks whose write was refused (an unsafe write; skips, e.g. open in Excel, are routine)."""
    return [wb for wb in report.workbooks if wb.write == "refused"]


def _why(why, lang: str, routine: bool = False) -> str:
    """Why a file was not written: a refusal in Chinese with the English words after them, which
    the log and IT support search for; a routine skip (open in Excel, saved meanwhile: written
    next run) in the reader's language alone; in English alone."""
    return why.text("en") if lang == "en" else why.text("zh") if routine else f"{why.text('zh')}（{why.text('en')}）"


def flag_counts(wb, lang: str) -> str:
    """`逾期 3，阻塞 1` for one workbook's check, most severe first (or why it could not be read)."""
    from duban.workbooks.model.flags import FLAGS

    counts: dict[str, int] = {}
    for flags in wb.flags.values():
        for flag in flags:
            if flag.rule != "done":
                counts[flag.rule] = counts.get(flag.rule, 0) + 1
    if not wb.read.ok:
        return wb.read.problems[0].text(lang) if wb.read.problems else ""
    return ("，" if lang == "zh" else ", ").join(
        f"{FLAGS[r].label(lang)} {n}" for r, n in sorted(counts.items(), key=lambda kv: FLAGS[kv[0]].rank))


def _moment(deadline, now: datetime) -> str | None:
    """A flag's deadline for --json: a date as a date; a date-time with the company's offset, also
    one read from a cell (typed as text, 12月3日14:00, or an Excel date-time), which is naive."""
    if deadline is None:
        return None
    if isinstance(deadline, datetime) and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=now.tzinfo)
    return deadline.isoformat()


def check_json(report) -> dict:
    flags = []
    for wb in report.workbooks:
        kept = shown(wb)
        new = wb.provisional        # rows whose new ID is not in the file (a dry run, a skipped write)
        for row, found in sorted(wb.flags.items()):
            for flag, urgent in zip(found, kept.urgent.get(row, ())):
                if flag.rule == "done":
                    continue
                flags.append({"workbook": wb.relpath, "sheet": wb.read.sheet, "row": row,
                              "id": None if row in new else kept.ids[row],
                              "new_id": kept.ids[row] if row in new else None,
                              "rule": flag.rule, "severity": flag.type.colour, "rank": flag.rank,
                              "urgent": urgent, "message": flag.text(wb.read.lang),
                              "people": list(flag.people),
                              "deadline": _moment(flag.deadline, report.now)})
    return {"now": report.now.isoformat(), "warnings": report.warnings, "flags": flags,
            "workbooks": [{"workbook": wb.relpath, "kind": wb.read.kind.key if wb.read.kind else None,
                           "rows": wb.read.rows_read, "write": wb.write, "reason": wb.reason,
                           "new_ids": wb.new_ids, "journal": wb.journal,
                           "problems": [p.to_dict(wb.read.lang) for p in wb.read.problems]}
                          for wb in report.workbooks]}


def history(events: list[dict], settings: Settings, as_json: bool) -> None:
    if as_json:
        emit_json(events)
        return
    from duban.jobs.terminal.events import event_detail, event_name

    lang = settings.company.language
    table = Table(header_style="bold")
    for title in (("时间", "编号", "工作簿", "事件", "内容") if lang == "zh" else ("When", "ID", "Workbook", "Event", "Detail")):
        table.add_column(title, overflow="fold")
    for e in events:
        table.add_row(e["at"][:16].replace("T", " "), escape(e["id"]), escape(e["workbook"]),
                      escape(event_name(e["event"], lang)), escape(event_detail(e["id"], e["event"], e["detail"], lang)))
    out.print(table)
