"""The Excel console: a button press runs the action chosen (macros.actions), here or in a running
serve, and its Result becomes cells.

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
    handed_over,
    outcome,
    selected_id,
)
from duban.macros.excel import Book, Excel, ExcelBusy, Sheet
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
    action = chosen[0] if chosen else None
    ctx.status(None)
    show(ctx, action, result, time.perf_counter() - started)
    return result


# ---- handing the job to a running serve ---------------------------------------------------------------
def hand_over(ctx: Run, action: str) -> Result | None:
    """While `duban serve` runs for this folder (a fresh heartbeat), serve runs the job and the
    console shows its result (jobs.serve.handoff); None when no serve runs: the console runs it."""
    if not handed_over(action):
        return None
    from duban.jobs.serve import handoff
    from duban.jobs.serve.lock import stale_after
    from duban.jobs.state.runlock import state_dir

    settings = settings_of(ctx.folder)
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


def result_from(data: dict) -> Result:
    moment = datetime.fromisoformat(data["moment"]) if data.get("moment") else None
    return Result(data.get("sentence", ""), list(data.get("lines") or []),
                  [Table(t["header"], t["rows"], t.get("title", "")) for t in data.get("tables") or []],
                  bool(data.get("error")), moment)


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
        if len(table.rows) > len(shown):
            rows.append([t["more"].format(n=len(table.rows) - len(shown), max=L.MAX_ROWS)])
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
