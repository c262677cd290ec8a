"""The Excel console: a button press runs the action chosen (macros.actions), here or in a running
serve, and its Result becomes cells.

`duban_console.main()` (beside the workbook) calls `run_from_excel()`, which takes the Excel
and the workbook that called it and runs `run(excel, book)`: it reads the action chosen in the
dropdown (B4), runs the job on the console's own folder, and writes the result area (what ran,
when and how long, one sentence, then tables) or, for validate, the Problems sheet. Nothing
escapes as a traceback: a DubanError's sentence, Excel being busy, or an unforeseen error
(logged in full to .duban/console.log) ends up as one sentence in the sheet. Progress goes to
Excel's status bar while workbooks are read (at most every quarter second); screen updating is
off while results are written and is always turned back on.

While `duban serve` runs for the folder, check, validate, explain, remind and the summaries go
to serve's warm worker (`hand_over`): a click answers in about a second instead of a fresh
process reading every workbook. The console runs the job itself, and says so in the status bar
and the result's first line, when
- a workbook of the folder is open in this Excel and the action is check: only this process
  can write it through Excel (macros.live); serve would skip it as open, as it skips any open
  file, and the clerk looking at it would see no colours;
- serve does not take the request within CLAIM_SECONDS (busy with a scheduled job, or hung),
  or its heartbeat goes stale first: the request is withdrawn, so nothing was done there.
Either way the run lock (jobs.state.runlock, a lock the server and a Windows PC both see) keeps
the two apart, as for `duban check` typed while serve runs. Once serve has taken the request it
is never run here too: the console waits for serve's answer (WAIT_SECONDS) or says where to look.

Everything here talks to Excel only through macros.excel's interface, so it runs against the
fake (macros.fake) in the tests and the benchmark.
"""
from __future__ import annotations

import time
from datetime import datetime

from duban.jobs.settings.folder import settings_of
from duban.macros import layout as L
from duban.macros.actions import (
    Result,
    Run,
    Table,
    action_for,
    cell,
    fill_problems,
    outcome,
    selected_id,
    served,
)
from duban.macros.excel import Book, Excel, ExcelBusy, Sheet, same_file
from duban.macros.words import TEXT  # noqa: F401 - console.TEXT
from duban.workbooks.model.errors import DubanError

HEADER_FILL, HEADER_FONT = "D9E1F2", "1F3864"
ERROR_FONT, DONE_FONT = "C00000", "375623"


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
        return hand_over(ctx, chosen[0]) or action_for(chosen[0])(ctx)
    result = outcome(ctx, job)
    result.lines[:0] = ctx.notes
    action = chosen[0] if chosen else None
    ctx.status(None)
    show(ctx, action, result, time.perf_counter() - started)
    return result


# ---- handing the job to a running serve ---------------------------------------------------------------
def hand_over(ctx: Run, action: str) -> Result | None:
    """While `duban serve` runs for this folder (a fresh heartbeat), serve runs the job and the
    console shows its result (jobs.serve.handoff); None when the console runs it (no serve, a
    tracker open here for a check, serve did not take it in time: see the module docstring)."""
    if not served(action):
        return None
    from duban.jobs.serve import handoff
    from duban.jobs.serve.lock import stale_after
    from duban.jobs.state.runlock import state_dir

    settings = settings_of(ctx.folder)
    state = state_dir(ctx.folder, settings)
    info = handoff.serving(state, stale_after(settings))
    if info is None:
        return None
    t = ctx.t
    if action == "check" and (open_here := open_trackers(ctx)):
        return run_here(ctx, t["open_here"].format(n=len(open_here)))
    row_id = None
    if action == "explain" and (row_id := selected_id(ctx)) is None:
        raise DubanError(t["no_id"])
    host, label = info.get("host", "?"), L.label(action, ctx.lang)
    request = handoff.submit(state, {"action": action, "id": row_id, "now": ctx.now, "lang": ctx.lang,
                                     "user": _user()})
    reply, how = handoff.wait(request, WAIT_SECONDS,
                              tick=lambda secs, _claimed: ctx.status(t["handed"].format(host=host, action=label,
                                                                                         secs=secs)),
                              still_there=lambda: handoff.serving(state, stale_after(settings)) is not None,
                              claim_timeout=CLAIM_SECONDS)
    if how == "withdrawn":                  # not taken in time: nothing was done there
        return run_here(ctx, t["fallback_untaken"].format(host=host, secs=CLAIM_SECONDS))
    if how == "gone":                       # serve stopped before taking it
        return run_here(ctx, t["fallback_gone"].format(host=host))
    log = state / "logs" / "serve.log"
    if reply is None:
        raise DubanError(t["serve_gone" if how == "stopped" else "serve_running"].format(
            host=host, secs=WAIT_SECONDS, log=log))
    if "failed" in reply:
        raise DubanError(t["serve_failed"].format(host=host, error=str(reply["failed"])[:300], log=log))
    result = result_from(reply)
    result.lines.insert(0, t["by_serve"].format(host=host))
    if action == "check":
        result.lines.insert(1, t["by_serve_check"])
    if action == "validate":
        fill_problems(ctx, result.problems or [])
    return result


WAIT_SECONDS = 600.0            # jobs.serve.handoff.WAIT_SECONDS: once serve took the job; tests make it short
CLAIM_SECONDS = 15.0            # serve takes a request within a second when idle; else the console runs it


def run_here(ctx: Run, note: str) -> None:
    """The job runs in this process after all: said at once in the status bar, and first in the result."""
    ctx.status(note)
    ctx.notes.append(note)
    return None


def open_trackers(ctx: Run) -> list:
    """The workbooks of this folder open in this Excel (from the click's one listing of its books)."""
    from duban.workbooks.share.discover import find_workbooks

    try:
        books = [b.path for b in ctx.open_books() if ctx.book is None or not same_file(b.path, ctx.book.path)]
    except Exception:  # noqa: BLE001 - Excel busy: none written through it (serve skips open files)
        return []
    if not books:
        return []
    trackers = find_workbooks(ctx.folder)
    return [path for path in books if any(same_file(path, tracker) for tracker in trackers)]


def _user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "?"


def result_from(data: dict) -> Result:
    moment = datetime.fromisoformat(data["moment"]) if data.get("moment") else None
    return Result(data.get("sentence", ""), list(data.get("lines") or []),
                  [Table(t["header"], t["rows"], t.get("title", ""), t.get("total")) for t in data.get("tables") or []],
                  bool(data.get("error")), moment, data.get("problems"))


def chosen_action(ctx: Run) -> str:
    value = ctx.sheet.read(L.ACTION_CELL)[0][0]
    key = L.action_key(value)
    if key is None:
        raise DubanError(ctx.t["no_action"].format(value=value or ""))
    return key


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
        total = table.total if table.total is not None else len(table.rows)
        if total > len(shown):
            rows.append([t["more"].format(n=total - len(shown), max=L.MAX_ROWS)])
    first = int(L.RAN_CELL[1:])
    block = [[cell(v) for v in (row + [None] * L.WIDTH)[:L.WIDTH]] for row in rows]
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
