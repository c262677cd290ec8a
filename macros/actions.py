"""The console's actions: a button press becomes a job call, the job's result becomes a Result
(a sentence, lines and tables) that the console writes into its sheet (macros.console) or serve
sends back to it (`answer`, run in serve's worker for a console that handed its job over).

Nothing here imports jobs.serve: serve's worker imports this module. The actions and their
order come from the jobs table (jobs.settings.jobs); ACTIONS holds those with tables of their own.
"""
from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from duban.jobs import tasks
from duban.jobs.settings import jobs
from duban.jobs.settings.folder import for_job, settings_of
from duban.jobs.settings.jobs import Job
from duban.jobs.state.simstate import refuse_simulated
from duban.macros import layout as L
from duban.macros.excel import Book, Excel, ExcelBusy, Sheet
from duban.macros.words import TEXT
from duban.workbooks.model.errors import DubanError

ID_PATTERN = re.compile(r"^[A-Za-z]{1,5}-\d{1,9}$")


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


def outcome(ctx: Run, job: Callable[[], Result]) -> Result:
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
                                                 log=log_error(ctx.folder)), error=True)


def log_error(folder: Path) -> str:
    log = folder / ".duban" / "console.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n{traceback.format_exc()}\n")
    except OSError:
        return "(no log: the folder is not writable)"
    return str(log)


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
    if not handed_over(action):
        return {"failed": f"unknown console action {action!r}"}
    ctx = Run(None, None, None, folder, lang, request.get("now"), request.get("id"))
    return result_data(outcome(ctx, lambda: action_for(action)(ctx)))


def result_data(result: Result) -> dict:
    return {"sentence": result.sentence, "lines": list(result.lines), "error": result.error,
            "moment": result.moment.isoformat() if result.moment else None,
            "tables": [{"header": t.header, "rows": t.rows, "title": t.title} for t in result.tables]}


def cell(value: Any) -> Any:
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
    the command line (jobs.state.simstate)."""
    settings, moment = for_job(ctx.folder, ctx.now, mail=mail)
    if writes:
        refuse_simulated(ctx.folder / settings.state.path, False, ctx.lang)
    return settings, moment


# ---- the actions ------------------------------------------------------------------------------------
def action_check(ctx: Run) -> Result:
    from duban.jobs.check import check_folder
    from duban.jobs.dashboard.write import after_check
    from duban.macros.live import LiveApplier

    settings, moment = _prepare(ctx)
    live = LiveApplier(ctx.excel) if ctx.excel is not None else None     # serve: no Excel, open books are skipped
    report = check_folder(ctx.folder, settings, moment, False, _progress(ctx, "reading"), live=live)
    after_check(ctx.folder, settings, report)       # the dashboard, as every check writes it
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
            rows.append([cell(relpath), cell(p.where), p.code, cell(p.text(lang)), p.severity])
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
    from duban.jobs.explain import explain_row
    from duban.jobs.time import clock

    row_id = selected_id(ctx)
    if row_id is None:
        raise DubanError(ctx.t["no_id"])
    settings = settings_of(ctx.folder)
    moment = clock.now(settings.company.tz, ctx.now)
    return explanation_result(explain_row(ctx.folder, settings, moment, row_id), ctx.lang, moment)


def explanation_result(said, lang: str, moment: datetime) -> Result:
    """explain's Explanation as the console shows it: the row and its facts as lines, then one
    table row per rule (in the company's language, as `duban explain` says it)."""
    t = said.words
    lines = [f"{said.row_id}  {said.relpath} · {said.sheet} {said.where}{said.kind}", *said.facts,
             *(f"{t['warning']} {warning}" for warning in said.warnings)]
    rows = [[v.name, t["yes"] if v.fired else t["no"], v.why] for v in said.verdicts]
    return Result(TEXT[lang]["explained"].format(id=said.row_id), lines,
                  [Table([t["rule"], t["fired"], t["why"]], rows)], moment=moment)


def action_remind(ctx: Run) -> Result:
    from duban.jobs.remind import remind

    settings, moment = _prepare(ctx, mail=True)
    ctx.status(ctx.t["working"].format(action=L.label("remind", ctx.lang)))
    return mail_result(remind(ctx.folder, settings, moment, False), ctx.lang, moment, folder=ctx.folder)


def mail_result(run, lang: str, moment: datetime, sentence_first: str = "", folder: Path | str = "DIR") -> Result:
    from duban.mailer.reasons import error_text, setting_text
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


def job_action(job: Job) -> Callable[[Run], Result]:
    """The console's action for a job that has no table of its own: serve's run of it
    (jobs.settings.jobs), its one-line summary as the sentence."""
    def action(ctx: Run) -> Result:
        settings, moment = _prepare(ctx)
        ctx.status(ctx.t["working"].format(action=job.console.labels[ctx.lang] if job.console else job.name))
        facts = tasks.runner(job)(ctx.folder, settings, moment, False)
        return Result(str(facts.get("summary", "")), error=facts.get("result", "ok") != "ok", moment=moment)
    return action


def action_for(key: str) -> Callable[[Run], Result]:
    """The function behind a console action: its own (ACTIONS), else the job's run."""
    if key in ACTIONS:
        return ACTIONS[key]
    job = jobs.by_action(key)
    if job is None or not job.runs:
        raise DubanError(f"unknown console action {key!r}")
    return job_action(job)


def handed_over(key: str | None) -> bool:
    """Whether serve runs this action while it runs (it uses state.db; validate reads workbooks only)."""
    job = jobs.by_action(key) if key else None
    return bool(job and job.console and job.console.handed_over)


ACTIONS: dict[str, Callable[[Run], Result]] = {
    "check": action_check, "remind": action_remind, "week": _summary("week"), "month": _summary("month"),
    "validate": action_validate, "explain": action_explain,
}
