"""The console's actions: a button press becomes a job call, the job's result becomes a Result
(a sentence, lines and tables) that the console writes into its sheet (macros.console) or serve
sends back to it (`answer`, run in serve's worker for a console that handed its job over).

Nothing here imports jobs.serve: serve's worker imports this module. Progress goes through a
throttled status bar (macros.statusbar) and the books open in Excel are listed once per click
(`Run.open_books`): each is a round trip through COM. The actions and their
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
from duban.macros.results import Result, Table, mail_result, result_data  # noqa: F401 - console's names
from duban.macros.statusbar import StatusBar
from duban.macros.words import TEXT
from duban.workbooks.model.errors import DubanError

ID_PATTERN = re.compile(r"^[A-Za-z]{1,5}-\d{1,9}$")


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
    books: list[Book] | None = None                        # the books open in this Excel, once listed
    notes: list[str] = field(default_factory=list)         # said first in the result (where the job ran)
    bar: StatusBar = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.bar = StatusBar(self._put)

    @property
    def t(self) -> dict:
        return TEXT[self.lang]

    def _put(self, text: str | None) -> None:
        if self.excel is None:
            return
        try:
            self.excel.status(text)
        except Exception:  # noqa: BLE001 - the status bar is a courtesy; the job goes on
            pass

    def status(self, text: str | None) -> None:
        """A phase's message (or None: the status bar back to Excel), shown at once."""
        self.bar.show(text)

    def progress(self, text: str, last: bool = False) -> None:
        """A progress step: at most every quarter second, the last one always."""
        self.bar.progress(text, last)

    def open_books(self) -> list[Book]:
        """The books open in this Excel, listed at the first call of the click (none without Excel)."""
        if self.books is None:
            self.books = self.excel.open_books() if self.excel is not None else []
        return self.books


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
    if not served(action):
        return {"failed": f"unknown console action {action!r}"}
    ctx = Run(None, None, None, folder, lang, request.get("now"), request.get("id"))
    return result_data(outcome(ctx, lambda: action_for(action)(ctx)))


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
        ctx.progress(ctx.t[key].format(n=count, total=total), last=count >= total)
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
    live = LiveApplier(ctx.excel, ctx.open_books) if ctx.excel is not None else None  # serve: open books are skipped
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
        for row, flags in wb.flags.items():
            shown = [f for f in flags if f.rule != "done"]
            if shown:
                flagged.append((shown[0].rank, wb.relpath, row, wb, shown))
    flagged.sort(key=lambda f: f[:3])
    sentence = t["check_done"].format(files=len(report.workbooks), rows=sum(w.read.rows_read for w in report.workbooks),
                                      flagged=len(flagged), written=counts["written"], live=len(via),
                                      unchanged=counts["unchanged"], skipped=counts["skipped"],
                                      refused=counts["refused"])
    tables = [Table(t["check_head"], summary)]
    if flagged:         # only the rows the console can list are worded (some 60,000 at 1,000 workbooks)
        ids: dict[int, dict] = {}
        rows = [_flag_row(ids, relpath, row, wb, shown) for _, relpath, row, wb, shown in flagged[:L.MAX_ROWS]]
        tables.append(Table(t["flag_head"], rows, t["flagged_title"], len(flagged)))
    return Result(sentence, list(report.warnings), tables, error=counts["refused"] > 0, moment=moment)


def _flag_row(ids: dict, relpath: str, row: int, wb, shown: list) -> list:
    """[ID, row, workbook, what the flags say] in the workbook's language."""
    found = ids.get(id(wb))
    if found is None:
        found = ids[id(wb)] = {rec.row: rec.id for rec in wb.read.records}
    text = ("；" if wb.read.lang == "zh" else "; ").join(f.text(wb.read.lang) for f in shown)
    return [found[row], row, relpath, text]


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
    fill_problems(ctx, rows)
    total = len(rows)
    files, lines = len(reads), sum(r.rows_read for r in reads)
    sentence = (t["validate_done"].format(files=files, rows=lines, problems=total, sheet=L.PROBLEMS_SHEET[ctx.lang])
                if total else t["validate_none"].format(files=files, rows=lines))
    return Result(sentence, tables=[Table(t["validate_head"], summary)], moment=moment, problems=rows)


def fill_problems(ctx: Run, rows: list[list[Any]]) -> None:
    """validate's rows on the console's Problems sheet (none in serve: the console fills it from
    the result serve sends back)."""
    sheet = ctx.book.sheet(L.PROBLEMS_SHEET[ctx.lang]) if ctx.book is not None else None
    if sheet is None:
        return
    ctx.excel.screen_updating(False)
    try:
        sheet.clear(L.PROBLEMS_AREA)
        if rows:
            sheet.write("A2", rows)
    finally:
        ctx.excel.screen_updating(True)


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


READ_ONLY_SERVED = {"validate"}     # reads workbooks only, but serve's worker has them read already


def served(key: str | None) -> bool:
    """Whether a click hands this action to a running serve: those that use state.db, and
    validate, for the speed of serve's warm worker."""
    return handed_over(key) or key in READ_ONLY_SERVED


ACTIONS: dict[str, Callable[[Run], Result]] = {
    "check": action_check, "remind": action_remind, "week": _summary("week"), "month": _summary("month"),
    "validate": action_validate, "explain": action_explain,
}
