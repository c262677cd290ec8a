"""`duban explain DIR ID`: every rule for one row, fired or not, with the facts it looked at."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from rich.table import Table

from workbooks.schema import Role

from . import rules
from .check import _row_problems
from .errors import DubanError
from .journal import Journal
from .report import escape, out
from .rules.progress import last_update_deadline
from .validate import read_folder
from .workcal import from_settings


def explain_row(folder: Path, settings: dict, now: datetime, row_id: str) -> None:
    reads = read_folder(folder, settings, now.date())
    found = [(read, rec) for read in reads if read.kind for rec in read.records if rec.id == row_id]
    journal = Journal(folder / settings["state"]["path"])
    try:
        if not found:
            raise DubanError(_not_found(journal, row_id))
        read, rec = found[0]
        relpath = str(read.path.relative_to(folder))
        history = journal.histories(relpath).get(row_id)
    finally:
        journal.close()
    calendar = from_settings(settings)
    problems = _row_problems(read.problems)
    ctx = rules.Context(now, calendar, settings["rules"], history=lambda r: history,
                        problems=lambda r: problems.get(r.row, []), lang=read.lang)
    # cell values, names and the typed ID are text: no markup, no control characters (see report.escape)
    out.print(f"[bold]{escape(row_id)}[/bold]  {escape(relpath)} · {escape(read.sheet)} row {rec.row} ({read.kind.key})")
    for line in _facts(rec, ctx, history):
        out.print(f"  {escape(line)}")
    table = Table(header_style="bold")
    for title in ("rule", "fired", "why"):
        table.add_column(title, overflow="fold")
    for rule in rules.rules_for(read.kind):
        flag = rule(rec, ctx)
        table.add_row(rule.__name__, "yes" if flag else "no",
                      escape((flag.text(read.lang) + (f" (deadline {_show(flag.deadline)})" if flag.deadline else ""))
                             if flag else _inputs(rule, rec)))
    out.print(table)
    for warning in calendar.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def _not_found(journal: Journal, row_id: str) -> str:
    gone = journal.row(row_id)
    if gone and gone["deleted_at"]:
        return (f"{row_id} was deleted from {gone['workbook']} at {gone['deleted_at'][:16]}; "
                f"see 'duban history DIR {row_id}'.")
    return f"no row with ID {row_id} in any workbook. IDs look like T-000123; run 'duban check' to assign them."


def _facts(rec, ctx: rules.Context, history) -> list[str]:
    cal = ctx.calendar
    facts = [f"now: {ctx.now:%Y-%m-%d %H:%M %Z} (office {cal.opens:%H:%M}-{cal.closes:%H:%M})"]
    status = rec.status
    facts.append(f"status: {status.zh + ' / ' + status.en if status else '(blank)'}")
    due = rec.role(Role.DUE)
    if due is not None:
        day = due.date() if isinstance(due, datetime) else due
        if day >= ctx.today:
            facts.append(f"due {_show(due)}: {cal.working_days_between(ctx.today, day)} working days from today")
        else:
            facts.append(f"due {_show(due)}: {(ctx.today - day).days} days ago, "
                         f"{cal.working_days_between(day, ctx.today)} working days")
    if (submitted := rec.role(Role.SUBMITTED)) is not None:
        hours = cal.working_hours_between(ctx.aware(submitted), ctx.now)
        facts.append(f"submitted {_show(submitted)}: {hours:.1f} working hours ago, "
                     f"{(ctx.now - ctx.aware(submitted)).total_seconds() / 3600:.1f} hours ago")
    for role in (Role.OCCURRED, Role.HELD_AT):
        if (start := rec.role(role)) is not None:
            facts.append(f"{role.value} {_show(start)}: {(ctx.now - ctx.aware(start)).total_seconds() / 60:.0f} minutes ago")
    if rec.kind.role_key(Role.LAST_UPDATE):
        facts.append(f"last update {_show(rec.role(Role.LAST_UPDATE))}; weekly deadline {last_update_deadline(ctx):%Y-%m-%d %H:%M}")
    if history:
        facts.append(f"journal: first seen {_show(history.first_seen)}, last changed {_show(history.last_changed)}, "
                     f"status since {_show(history.status_since)}")
    return facts


def _inputs(rule, rec) -> str:
    roles = next(r for fn, r in rules.RULES if fn is rule)
    shown = [f"{rec.kind.by_role[r].en}={_show(rec.role(r))}" for r in roles if r in rec.kind.by_role]
    return "conditions not met: " + ", ".join(shown) if shown else "conditions not met"


def _show(value) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
