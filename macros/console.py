"""The console's actions: a button press becomes a job call, the job's result becomes cells.

`duban_console.main()` (beside the workbook) calls `run_from_excel()`, which takes the Excel
and the workbook that called it and runs `run(excel, book)`: it reads the action chosen in the
dropdown (B4), runs the job on the console's own folder, and writes the result area (what ran,
when and how long, one sentence, then tables) or, for validate, the Problems sheet. Nothing
escapes as a traceback: a DubanError's sentence, Excel being busy, or an unforeseen error
(logged in full to .duban/console.log) ends up as one sentence in the sheet. Progress goes to
Excel's status bar while workbooks are read; screen updating is off while results are written
and is always turned back on.

Everything here talks to Excel only through macros.excel's interface, so it runs against the
fake (macros.fake) in the tests and the benchmark.
"""
from __future__ import annotations

import re
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from duban.workbooks.model.errors import DubanError

from duban.macros import layout as L
from duban.macros.excel import Book, Excel, ExcelBusy, Sheet

ID_PATTERN = re.compile(r"^[A-Za-z]{1,5}-\d{1,9}$")
HEADER_FILL, HEADER_FONT = "D9E1F2", "1F3864"
ERROR_FONT, DONE_FONT = "C00000", "375623"

TEXT = {
    "zh": {
        "ran": "{action} · {when} · 用时 {secs:.1f} 秒", "reading": "正在检查 {n}/{total} 个工作簿…",
        "validating": "正在读取 {n}/{total} 个工作簿…", "working": "正在{action}…", "writing": "正在写入结果…",
        "no_action": "B4 中没有可运行的操作（“{value}”）。请在 B4 的下拉列表中选择一个操作，再点“运行”。",
        "no_id": "没有找到要解释的编号。请选中结果中的编号单元格（如 T-000123），或在 B5 填写编号，再点“运行”。",
        "unexpected": "运行时出现意外错误（{error}）。详细信息已写入 {log}，请把这句话和该文件转给负责督办的同事。",
        "handed": "duban serve 正在主机 {host} 上运行：已把“{action}”交给它，等待结果… {secs:.0f} 秒",
        "by_serve": "由 duban serve 在主机 {host} 上运行（它在运行时，控制台不直接改动状态文件）。",
        "by_serve_check": "正在 Excel 中打开的工作簿本次由 serve 跳过，关闭后下一次检查时写入。",
        "serve_withdrawn": "duban serve（主机 {host}）在 {secs:.0f} 秒内没有接手这项请求（可能正忙于计划任务）。请求已撤回，"
                           "什么也没有做；请稍后再点“运行”。",
        "serve_running": "duban serve（主机 {host}）已开始运行这项请求，但 {secs:.0f} 秒内没有完成；它会在后台做完，"
                         "结果见 serve 的日志 {log}。请不要重复运行。",
        "serve_failed": "duban serve（主机 {host}）没能完成这项请求（{error}）；详情见 serve 的日志 {log}。",
        "serve_gone": "duban serve（主机 {host}）在等待期间停止了（心跳已过期）。请再点一次“运行”：没有 serve 时，"
                      "控制台自己运行；若 serve 已开始这项请求，先用 duban status 看它是否已完成。",
        "more": "…另有 {n} 行未列出（最多列出 {max} 行）。",
        # check
        "check_head": ["工作簿", "行数", "标记", "写回", "新编号"],
        "flag_head": ["编号", "行", "工作簿", "系统提示"],
        "check_done": "检查完成：{files} 个工作簿，{rows} 行，{flagged} 行需要关注；写入 {written} 个（其中 {live} 个通过 Excel），"
                      "无需改动 {unchanged} 个，跳过 {skipped} 个，拒绝 {refused} 个。",
        "write": {"written": "已写入", "unchanged": "无需改动", "skipped": "已跳过", "refused": "已拒绝", "": "—",
                  "dry-run": "预演，未写入"},
        "via_excel": "已写入（通过 Excel 并保存）",
        "flagged_title": "需要关注的行（选中编号后选择“解释选中行”并运行，可查看原因）",
        # validate
        "validate_head": ["工作簿", "行数", "问题数"],
        "validate_done": "共 {files} 个工作簿，{rows} 行，{problems} 个问题，已逐条列在“{sheet}”工作表中。",
        "validate_none": "共 {files} 个工作簿，{rows} 行，没有发现问题。",
        # explain
        "explain_head": ["规则", "是否触发", "原因"],
        "explained": "{id}：逐条规则的判断如下。",
        # mail
        "mail_head": ["类型", "收件人", "主题", "事项", "状态"],
        "kinds": {"digest": "每日提醒", "escalation": "升级", "alert": "紧急", "problems": "数据问题", "summary": "周报/月报"},
        "status": {"queued": "已排队", "held": "暂存至 {at}", "already": "已发过", "dry-run": "预演（未发送）"},
        "mailed": "{n} 封邮件已处理：发出 {sent} 封，等待 {waiting} 封，失败 {failed} 封{dest}。",
        "dest": "（{where}）", "nothing": "没有需要发送的邮件。",
        "skipped_people": "{n} 位收件人今天已收到相同提醒，未重复发送。",
        "refused_book": "工作簿未写入（已拒绝）：{file} — {why}",
        "server_down": "邮件服务器无法连接（{error}）：邮件保留在队列中，下次运行时重试。",
        "mail_setup": "邮件设置有误，邮件保留在队列中，不再自动重试：{error}。请修改 duban.toml 中的 {setting}，然后运行 duban outbox {folder} --retry。",
        "set_aside": "已搁置，不再自动发送（可能已经送达，请向收件人确认）：{to} — {subject}",
        "period": "{kind}：{start} 至 {end}", "week": "周报", "month": "月度指标",
        "archive": "存档：{path}", "no_recipients": "没有收件人：通讯录中没有部门负责人，也没有设置 summary.recipients 或 mail.clerks。",
    },
    "en": {
        "ran": "{action} · {when} · took {secs:.1f} s", "reading": "Checking workbook {n} of {total}…",
        "validating": "Reading workbook {n} of {total}…", "working": "{action}…", "writing": "Writing the result…",
        "no_action": "B4 holds no action to run (\"{value}\"). Choose an action from the list in B4, then click Run.",
        "no_id": "No ID to explain. Select a cell holding an ID in the results (e.g. T-000123), or type one in B5, "
                 "then click Run.",
        "unexpected": "An unexpected error stopped the run ({error}). The details are in {log}; please pass this "
                      "sentence and that file on to whoever runs duban.",
        "handed": "duban serve is running on host {host}: {action} was handed to it; waiting for the result… "
                  "{secs:.0f} s",
        "by_serve": "Run by duban serve on host {host} (while it runs, the console does not change the state file "
                    "itself).",
        "by_serve_check": "Workbooks open in Excel are skipped by serve this time and written at the next check "
                          "after they are closed.",
        "serve_withdrawn": "duban serve (host {host}) did not take up this request within {secs:.0f} seconds (busy "
                           "with a scheduled job?). The request was withdrawn and nothing was done; click Run again "
                           "later.",
        "serve_running": "duban serve (host {host}) started this request but did not finish it within {secs:.0f} "
                         "seconds; it finishes in the background, and its outcome is in serve's log {log}. Do not "
                         "run it again.",
        "serve_failed": "duban serve (host {host}) could not finish this request ({error}); the details are in "
                        "serve's log {log}.",
        "serve_gone": "duban serve (host {host}) stopped while the console waited (its heartbeat went stale). "
                      "Click Run again: without serve the console runs the job itself; if serve had started this "
                      "request, check with duban status whether it finished.",
        "more": "…{n} more rows not listed (at most {max} are).",
        "check_head": ["Workbook", "Rows", "Flagged", "Write-back", "New IDs"],
        "flag_head": ["ID", "Row", "Workbook", "Alerts"],
        "check_done": "Check done: {files} workbooks, {rows} rows, {flagged} rows need attention; {written} written "
                      "({live} through Excel), {unchanged} unchanged, {skipped} skipped, {refused} refused.",
        "write": {"written": "written", "unchanged": "unchanged", "skipped": "skipped", "refused": "refused", "": "—",
                  "dry-run": "dry run, not written"},
        "via_excel": "written (through Excel, saved)",
        "flagged_title": "Rows that need attention (select an ID, choose Explain selected row and Run to see why)",
        "validate_head": ["Workbook", "Rows", "Problems"],
        "validate_done": "{files} workbooks, {rows} rows, {problems} problems, each listed on the {sheet} sheet.",
        "validate_none": "{files} workbooks, {rows} rows, no problems found.",
        "explain_head": ["Rule", "Fired", "Why"],
        "explained": "{id}: every rule, fired or not, and why.",
        "mail_head": ["Kind", "To", "Subject", "Items", "Status"],
        "kinds": {"digest": "digest", "escalation": "escalation", "alert": "urgent", "problems": "problems",
                  "summary": "summary"},
        "status": {"queued": "queued", "held": "held until {at}", "already": "already sent", "dry-run": "dry run"},
        "mailed": "{n} mails handled: {sent} sent, {waiting} waiting, {failed} failed{dest}.",
        "dest": " ({where})", "nothing": "No mail to send.",
        "skipped_people": "{n} recipients were already told the same today; not repeated.",
        "refused_book": "Workbook not written (refused): {file} — {why}",
        "server_down": "The mail server could not be reached ({error}): the mail stays queued for the next run.",
        "mail_setup": "A mail setting is wrong, so the mail stays queued and is not retried by itself: {error}. Correct {setting} in duban.toml, then run duban outbox {folder} --retry.",
        "set_aside": "Set aside, not sent again by itself (it may already have been delivered: ask the recipient): {to} — {subject}",
        "period": "{kind}: {start} to {end}", "week": "Weekly report", "month": "Monthly metrics",
        "archive": "Archived: {path}",
        "no_recipients": "No recipients: no department heads in the directory, and no summary.recipients or mail.clerks.",
    },
}


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]
    title: str = ""


@dataclass
class Result:
    sentence: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    error: bool = False
    moment: datetime | None = None


@dataclass
class Run:
    """One button press: where, in which language, with which Excel."""

    excel: Excel | None          # None: run by serve for a console (no Excel there)
    book: Book | None
    sheet: Sheet | None
    folder: Path
    lang: str
    now: str | None = None
    row_id: str | None = None    # explain's ID, when handed over to serve

    @property
    def t(self) -> dict:
        return TEXT[self.lang]

    def status(self, text: str | None) -> None:
        try:
            self.excel.status(text)
        except Exception:  # noqa: BLE001 - the status bar is a courtesy; the job goes on
            pass


# ---- entry points ----------------------------------------------------------------------------------
def run_from_excel() -> None:
    """duban_console.main(): the Excel and console workbook whose button called."""
    from duban.macros.excel import caller

    try:
        excel, book = caller()
    except Exception:  # noqa: BLE001 - not called from Excel: there is no sheet to write into
        return
    run(excel, book)


def console_sheet(book: Book) -> tuple[str, Sheet] | None:
    for lang in ("zh", "en"):
        if (sheet := book.sheet(L.CONSOLE_SHEET[lang])) is not None:
            return lang, sheet
    return None


def run(excel: Excel, book: Book, now: str | None = None) -> Result | None:
    """Run the action chosen on the console `book` and show its result there. `now`: as --now."""
    found = console_sheet(book)
    if found is None:
        return None
    lang, sheet = found
    ctx = Run(excel, book, sheet, book.path.parent, lang, now)
    started = time.perf_counter()
    chosen: list[str] = []

    def job() -> Result:
        chosen.append(chosen_action(ctx))
        return hand_over(ctx, chosen[0]) or ACTIONS[chosen[0]](ctx)
    result = _outcome(ctx, job)
    action = chosen[0] if chosen else None
    ctx.status(None)
    show(ctx, action, result, time.perf_counter() - started)
    return result


def _outcome(ctx: Run, job: Callable[[], Result]) -> Result:
    """The job's Result, or one sentence for whatever stopped it: never a traceback dialog."""
    from duban.workbooks.share.faults import translate

    try:
        return job()
    except ExcelBusy as exc:
        return Result(exc.text(ctx.lang), error=True)
    except DubanError as exc:
        return Result(exc.text(ctx.lang) if hasattr(exc, "zh") else str(exc), error=True)
    except Exception as exc:  # noqa: BLE001 - one sentence, the details in a log
        fault = translate(exc, near=ctx.folder)          # a damaged state.db, a full disk, a read-only share
        if fault is not None:
            return Result(fault.text(ctx.lang), error=True)
        return Result(ctx.t["unexpected"].format(error=f"{type(exc).__name__}: {exc}"[:300],
                                                 log=_log_error(ctx.folder)), error=True)


# ---- handing the job to a running serve ---------------------------------------------------------------
HANDED_OVER = {"check", "remind", "week", "month", "explain"}     # what uses state.db (validate reads workbooks only)


def hand_over(ctx: Run, action: str) -> Result | None:
    """While `duban serve` runs for this folder (a fresh heartbeat), serve runs the job and the
    console shows its result (jobs.serve.handoff); None when no serve runs: the console runs it."""
    if action not in HANDED_OVER:
        return None
    from duban.jobs.check import state_dir
    from duban.jobs.cli import _settings
    from duban.jobs.serve import handoff
    from duban.jobs.serve.loop import stale_after

    settings = _settings(ctx.folder)
    state = state_dir(ctx.folder, settings)
    info = handoff.serving(state, stale_after(settings))
    if info is None:
        return None
    row_id = None
    if action == "explain" and (row_id := selected_id(ctx)) is None:
        raise DubanError(ctx.t["no_id"])
    host, label, t = info.get("host", "?"), L.label(action, ctx.lang), ctx.t
    request = handoff.submit(state, {"action": action, "id": row_id, "now": ctx.now, "lang": ctx.lang,
                                     "user": _user()})
    reply, how = handoff.wait(request, WAIT_SECONDS,
                              tick=lambda secs, _claimed: ctx.status(t["handed"].format(host=host, action=label,
                                                                                         secs=secs)),
                              still_there=lambda: handoff.serving(state, stale_after(settings)) is not None)
    log = state / "logs" / "serve.log"
    if reply is None:
        raise DubanError(t[{"withdrawn": "serve_withdrawn", "gone": "serve_gone"}.get(how, "serve_running")].format(
            host=host, secs=WAIT_SECONDS, log=log))
    if "failed" in reply:
        raise DubanError(t["serve_failed"].format(host=host, error=str(reply["failed"])[:300], log=log))
    result = result_from(reply)
    result.lines.insert(0, t["by_serve"].format(host=host))
    if action == "check":
        result.lines.insert(1, t["by_serve_check"])
    return result


WAIT_SECONDS = 600.0            # jobs.serve.handoff.WAIT_SECONDS; tests make it short


def _user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "?"


def answer(folder: Path, request_path: Path) -> dict:
    """serve's side: the console's action run without Excel, its Result as JSON-able data.
    Never raises: what stopped the job is the Result's sentence, as in the console."""
    import json

    try:
        request = json.loads(request_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"failed": f"unreadable request {request_path.name}: {exc}"}
    lang = request.get("lang") if request.get("lang") in TEXT else "zh"
    action = request.get("action")
    if action not in HANDED_OVER:
        return {"failed": f"unknown console action {action!r}"}
    ctx = Run(None, None, None, folder, lang, request.get("now"), request.get("id"))
    return result_data(_outcome(ctx, lambda: ACTIONS[action](ctx)))


def result_data(result: Result) -> dict:
    return {"sentence": result.sentence, "lines": list(result.lines), "error": result.error,
            "moment": result.moment.isoformat() if result.moment else None,
            "tables": [{"header": t.header, "rows": t.rows, "title": t.title} for t in result.tables]}


def result_from(data: dict) -> Result:
    moment = datetime.fromisoformat(data["moment"]) if data.get("moment") else None
    return Result(data.get("sentence", ""), list(data.get("lines") or []),
                  [Table(t["header"], t["rows"], t.get("title", "")) for t in data.get("tables") or []],
                  bool(data.get("error")), moment)


def chosen_action(ctx: Run) -> str:
    value = ctx.sheet.read(L.ACTION_CELL)[0][0]
    key = L.ACTION_KEYS.get(str(value or "").strip().casefold())
    if key is None:
        raise DubanError(ctx.t["no_action"].format(value=value or ""))
    return key


def _log_error(folder: Path) -> str:
    log = folder / ".duban" / "console.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n{traceback.format_exc()}\n")
    except OSError:
        return "(no log: the folder is not writable)"
    return str(log)


# ---- showing a result ------------------------------------------------------------------------------
def show(ctx: Run, action: str | None, result: Result, seconds: float) -> None:
    """The result area from A16: what ran, one sentence, lines, then the tables (one write)."""
    t = ctx.t
    when = (result.moment or datetime.now()).strftime("%Y-%m-%d %H:%M")
    ran = t["ran"].format(action=L.label(action, ctx.lang) if action else "—", when=when, secs=seconds)
    rows: list[list] = [[ran], [result.sentence]]
    headers: list[int] = []
    for line in result.lines:
        rows.append([line])
    budget = L.MAX_ROWS
    for table in result.tables:
        rows.append([])
        if table.title:
            rows.append([table.title])
        headers.append(len(rows))
        rows.append(list(table.header))
        shown = table.rows[:max(budget, 0)]
        rows.extend(shown)
        budget -= len(shown)
        if len(table.rows) > len(shown):
            rows.append([t["more"].format(n=len(table.rows) - len(shown), max=L.MAX_ROWS)])
    first = int(L.RAN_CELL[1:])
    block = [[_cell(v) for v in (row + [None] * L.WIDTH)[:L.WIDTH]] for row in rows]
    try:
        ctx.excel.screen_updating(False)
        try:
            ctx.sheet.clear(L.RESULT_AREA)
            ctx.sheet.set_colour(L.RESULT_AREA, None, None)
            ctx.sheet.write(L.FOLDER_CELL, [[str(ctx.folder)]])
            ctx.sheet.write(L.RAN_CELL, block)
            for offset in headers:
                row = first + offset
                ctx.sheet.set_colour(f"A{row}:{L.LAST_COLUMN}{row}", HEADER_FILL, HEADER_FONT)
            ctx.sheet.set_colour(L.SENTENCE_CELL, None, ERROR_FONT if result.error else DONE_FONT)
        finally:
            ctx.excel.screen_updating(True)
    except ExcelBusy as exc:        # cannot write the sheet: the status bar is the last place to say so
        ctx.status(exc.text(ctx.lang))


def _cell(value: Any) -> Any:
    """A value as a cell shows it: text that Excel would take for a formula stays text."""
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str) and value.startswith(("=", "+", "@")):
        return "'" + value
    return value


def _progress(ctx: Run, key: str) -> Callable[[Path], None]:
    from duban.workbooks.share.discover import find_workbooks

    total = len(find_workbooks(ctx.folder))
    count = 0

    def tick(path: Path) -> None:
        nonlocal count
        count += 1
        ctx.status(ctx.t[key].format(n=count, total=total))
    return tick


def _prepare(ctx: Run, mail: bool = False, writes: bool = True):
    """(settings, moment) with the CLI's first-run sentences (no folder, no workbooks, no duban.toml);
    `writes`: the action changes the state, so a state a simulated serve wrote is refused, as on
    the command line (jobs.serve.simstate)."""
    from duban.jobs.cli import _with_workbooks
    from duban.jobs.serve.simstate import refuse_simulated

    settings, moment = _with_workbooks(ctx.folder, ctx.now, mail=mail)
    if writes:
        refuse_simulated(ctx.folder / settings.state.path, False, ctx.lang)
    return settings, moment


# ---- the actions ------------------------------------------------------------------------------------
def action_check(ctx: Run) -> Result:
    from duban.jobs.check import check_folder

    from duban.macros.live import LiveApplier

    settings, moment = _prepare(ctx)
    live = LiveApplier(ctx.excel) if ctx.excel is not None else None     # serve: no Excel, open books are skipped
    report = check_folder(ctx.folder, settings, moment, False, _progress(ctx, "reading"), live=live)
    ctx.status(ctx.t["writing"])
    return check_result(report, ctx.lang, [str(p) for p in live.applied] if live else [], moment)


def check_result(report, lang: str, via_excel: list[str], moment: datetime) -> Result:
    from duban.jobs.terminal.report import flag_counts

    t = TEXT[lang]
    via = set(via_excel)
    summary, flagged = [], []
    counts = {"written": 0, "unchanged": 0, "skipped": 0, "refused": 0}
    for wb in report.workbooks:
        counts[wb.write] = counts.get(wb.write, 0) + 1
        write = t["via_excel"] if str(wb.read.path) in via else t["write"].get(wb.write, wb.write)
        if wb.why:
            write += f"：{wb.why.text(lang)}" if lang == "zh" else f": {wb.why.text(lang)}"
        summary.append([wb.relpath, wb.read.rows_read, flag_counts(wb, lang), write, wb.new_ids or None])
        records = {rec.row: rec for rec in wb.read.records}
        for row, flags in wb.flags.items():
            shown = [f for f in flags if f.rule != "done"]
            if shown:
                flagged.append((shown[0].rank, wb.relpath, row, records[row].id,
                                (("；" if wb.read.lang == "zh" else "; ").join(f.text(wb.read.lang) for f in shown))))
    flagged.sort(key=lambda f: (f[0], f[1], f[2]))
    sentence = t["check_done"].format(files=len(report.workbooks), rows=sum(w.read.rows_read for w in report.workbooks),
                                      flagged=len(flagged), written=counts["written"], live=len(via),
                                      unchanged=counts["unchanged"], skipped=counts["skipped"],
                                      refused=counts["refused"])
    tables = [Table(t["check_head"], summary)]
    if flagged:
        tables.append(Table(t["flag_head"], [[ident, row, relpath, text] for _, relpath, row, ident, text in flagged],
                            t["flagged_title"]))
    return Result(sentence, list(report.warnings), tables, error=counts["refused"] > 0, moment=moment)


def action_validate(ctx: Run) -> Result:
    from duban.jobs.validate import read_folder

    settings, moment = _prepare(ctx, writes=False)
    reads = read_folder(ctx.folder, settings, moment.date(), _progress(ctx, "validating"))
    t = ctx.t
    rows, summary = [], []
    for read in reads:
        relpath = str(read.path.relative_to(ctx.folder))
        lang = read.lang if read.kind else ctx.lang
        summary.append([relpath, read.rows_read, len(read.problems)])
        for p in read.problems:
            rows.append([_cell(relpath), _cell(p.where), p.code, _cell(p.text(lang)), p.severity])
    sheet = ctx.book.sheet(L.PROBLEMS_SHEET[ctx.lang])
    if sheet is not None:
        ctx.excel.screen_updating(False)
        try:
            sheet.clear(L.PROBLEMS_AREA)
            if rows:
                sheet.write("A2", rows)
        finally:
            ctx.excel.screen_updating(True)
    total = len(rows)
    files, lines = len(reads), sum(r.rows_read for r in reads)
    sentence = (t["validate_done"].format(files=files, rows=lines, problems=total, sheet=L.PROBLEMS_SHEET[ctx.lang])
                if total else t["validate_none"].format(files=files, rows=lines))
    return Result(sentence, tables=[Table(t["validate_head"], summary)], moment=moment)


def selected_id(ctx: Run) -> str | None:
    """The ID in the selected cell, else the one typed in B5 (serve: the one the console sent)."""
    if ctx.book is None:
        return ctx.row_id
    for value in (ctx.book.selected_value(), ctx.sheet.read(L.ID_CELL)[0][0]):
        text = str(value or "").strip()
        if ID_PATTERN.match(text):
            return text.upper()
    return None


def action_explain(ctx: Run) -> Result:
    from duban.jobs.time import clock
    from duban.jobs.cli import _settings
    from duban.jobs.explain import explain_row
    from duban.jobs.terminal.report import out

    row_id = selected_id(ctx)
    if row_id is None:
        raise DubanError(ctx.t["no_id"])
    settings = _settings(ctx.folder)
    moment = clock.now(settings.company.tz, ctx.now)
    width = out.width
    out.width = 400                  # one line per table row, however long the reason
    try:
        with out.capture() as captured:
            explain_row(ctx.folder, settings, moment, row_id)
    finally:
        out.width = width
    lines, table = explain_lines(captured.get())
    return Result(ctx.t["explained"].format(id=row_id), lines,
                  [Table(table[0] if table else ctx.t["explain_head"], table[1:])] if table else [], moment=moment)


_BOX = "│┃"
_RULE_LINE = re.compile(r"^[\s━─┏┓┗┛┡┩└┘┌┐├┤┼╇╈┳┻╋┬┴═╞╡╪]+$")


def explain_lines(text: str) -> tuple[list[str], list[list[str]]]:
    """`duban explain`'s output as (lines before the table, table rows with the header first)."""
    lines, table = [], []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or _RULE_LINE.match(line):
            continue
        if line.lstrip()[:1] in _BOX:
            cells = [c.strip() for c in re.split(r"[│┃]", line.strip())[1:-1]]
            table.append(cells)
        else:
            lines.append(line.strip())
    return lines, table


def action_remind(ctx: Run) -> Result:
    from duban.jobs.remind import remind

    settings, moment = _prepare(ctx, mail=True)
    ctx.status(ctx.t["working"].format(action=L.label("remind", ctx.lang)))
    return mail_result(remind(ctx.folder, settings, moment, False), ctx.lang, moment, folder=ctx.folder)


def mail_result(run, lang: str, moment: datetime, sentence_first: str = "", folder: Path | str = "DIR") -> Result:
    from duban.jobs.terminal.mail import error_text, setting_text
    from duban.workbooks.share.commandline import folder_arg

    t = TEXT[lang]
    rows = []
    for m in run.outgoing:
        status = t["status"].get(m.status, m.status)
        if m.status == "held" and m.not_before:
            status = status.format(at=m.not_before.strftime("%m-%d %H:%M"))
        to = m.to + (f" (cc {', '.join(m.cc)})" if m.cc else "")
        rows.append([t["kinds"].get(m.kind, m.kind), to, m.subject, m.items, status])
    d = run.delivery
    lines = []
    if run.outgoing or d is not None:
        sent = len(d.sent) if d else 0
        waiting = len(d.still_queued) if d else 0
        failed = len(d.failed) + len(d.given_up) + len(d.set_aside) if d else 0
        dest = t["dest"].format(where=run.destination) if run.destination else ""
        sentence = t["mailed"].format(n=len(run.outgoing), sent=sent, waiting=waiting, failed=failed, dest=dest)
        for m in d.set_aside if d else []:
            lines.append(t["set_aside"].format(to=", ".join(m.recipients), subject=m.subject))
        if d is not None and d.error and d.setting:
            lines.append(t["mail_setup"].format(error=error_text(d.error, lang), setting=setting_text(d.setting, lang),
                                                folder=folder_arg(folder)))
        elif d is not None and d.error:
            lines.append(t["server_down"].format(error=error_text(d.error, lang)))
    else:
        sentence = t["nothing"]
    if run.skipped:
        lines.append(t["skipped_people"].format(n=run.skipped))
    refused = getattr(run, "refused", [])
    for wb in refused:
        lines.append(t["refused_book"].format(file=wb.relpath, why=wb.why.text(lang) if wb.why else "?"))
    if sentence_first:
        lines.insert(0, sentence)
        sentence = sentence_first
    undelivered = getattr(run, "undelivered", False)      # mail that could not go is an error, as on the terminal
    return Result(sentence, lines, [Table(t["mail_head"], rows)] if rows else [], error=bool(refused) or undelivered,
                  moment=moment)


def _summary(kind: str) -> Callable[[Run], Result]:
    def action(ctx: Run) -> Result:
        from duban.jobs.summary.job import summary

        settings, moment = _prepare(ctx, mail=True)
        t = ctx.t
        ctx.status(t["working"].format(action=L.label(kind, ctx.lang)))
        run = summary(ctx.folder, settings, moment, kind, False, None, None)
        p = run.period
        head = t["period"].format(kind=t[kind], start=f"{p.start:%Y-%m-%d %H:%M}", end=f"{p.end:%Y-%m-%d %H:%M}")
        result = mail_result(run, ctx.lang, moment, head, folder=ctx.folder)
        if run.archive:
            result.lines.append(t["archive"].format(path=run.archive))
        if not run.outgoing and not run.skipped:
            result.lines.append(t["no_recipients"])
        return result
    return action


ACTIONS: dict[str, Callable[[Run], Result]] = {
    "check": action_check, "remind": action_remind, "week": _summary("week"), "month": _summary("month"),
    "validate": action_validate, "explain": action_explain,
}
