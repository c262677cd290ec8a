"""A simulated serve (`--from/--until` without `--dry-run`) and the real service never share a
state.db: simulated runs lie in the future, so a live serve would find every job already done
(and the ledger every report already sent).

A simulation may write only into a folder without state, or into a state an earlier simulation
wrote (marked in serve_meta); a live serve refuses a state a simulation wrote, and so do check,
remind, alert, summary and the Excel console unless they only look (--dry-run). Each refusal says
what to do: preview with --dry-run, simulate on a copy, or move the simulated state aside.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from duban.workbooks.model.errors import DubanError

MARK = "simulated"

TEXT = {
    "zh": {
        "real": "{db} 是真实运行留下的状态（变更记录、已发提醒、运行记录）。模拟运行（--from/--until）不加 --dry-run "
                "会把模拟出的运行记录和已发邮件写进去，之后真正的后台服务会以为这些任务已经运行过。请加 --dry-run 预演，"
                "或把整个文件夹复制一份后在副本上模拟。",
        "simulated": "{db} 是模拟运行（{span}）写下的状态，其中模拟出的提醒记为已发，真正的后台服务和"
                     "手动的检查、提醒都会把这些提醒当作已发过而不再发出。请先把 {state} 文件夹移走或改名（它只含模拟结果），"
                     "再运行；想再模拟时，请在文件夹的副本上进行。",
    },
    "en": {
        "real": "{db} holds real state (the change journal, reminders sent, run records). A simulated run "
                "(--from/--until) without --dry-run would write its simulated runs and mails into it, and the real "
                "service would then take those jobs for done. Add --dry-run to preview, or simulate on a copy of the "
                "folder.",
        "simulated": "{db} was written by a simulated run ({span}); its simulated "
                     "reminders count as sent, so the real service and a check or reminder run by hand would "
                     "take them for sent and not send them. Move the folder {state} aside or "
                     "rename it (it holds only simulated results), then run again; to simulate again, use a copy "
                     "of the folder.",
    },
}


def guard(db: Path, simulated: bool, dry_run: bool, lang: str) -> None:
    """Refuse (DubanError) a simulation over real state, or a live serve over a simulated one."""
    if dry_run or not db.exists():
        return
    span = marked(db)
    text = TEXT.get(lang, TEXT["zh"])
    if simulated and span is None and _holds_anything(db):
        raise DubanError(text["real"].format(db=db))
    if not simulated and span is not None:
        raise DubanError(text["simulated"].format(db=db, span=span, state=db.parent))


def refuse_simulated(db: Path, dry_run: bool, lang: str) -> None:
    """check, remind, alert, summary and the Excel console (not with --dry-run, which changes
    nothing) refuse a state a simulation wrote, with serve's sentence: its ledger holds the
    simulated days' reminders as sent, so a real run would send nothing and say all is well."""
    guard(db, False, dry_run, lang)


def mark(runs, start: datetime, until: datetime) -> None:
    """This state is a simulation's (the first simulation's span is kept)."""
    if runs.fact(MARK) is None:
        runs.set_fact(MARK, f"{start:%Y-%m-%d %H:%M} → {until:%Y-%m-%d %H:%M}")


def marked(db: Path) -> str | None:
    """The span of the simulation that wrote `db`, or None (real state)."""
    found = _query(db, "SELECT value FROM serve_meta WHERE key=?", (MARK,))
    return found[0] if found else None


def _holds_anything(db: Path) -> bool:
    """A row in the journal, the ledger, the queue or the run records (an empty file, made by
    `duban history` on a new folder, is no state). A file that cannot be read counts as state."""
    tables = {name for (name,) in _query(db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')", (),
                                         every=True) or [("rows",)]}
    return any(_query(db, f"SELECT 1 FROM {t} LIMIT 1", (), default=(1,)) for t in
               ("rows", "notified", "ledger_told", "mail_queue", "serve_runs") if t in tables)


def _query(db: Path, sql: str, args: tuple, every: bool = False, default=None):
    """One read-only query; `default` if the database or the table cannot be read."""
    try:
        con = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return default
    try:
        cursor = con.execute(sql, args)
        return cursor.fetchall() if every else cursor.fetchone()
    except sqlite3.Error:       # no such table: nothing of that kind was ever written
        return default
    finally:
        con.close()
