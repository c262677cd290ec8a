"""The dashboard's data: one JSON object (/work's schema: version 1) built from a finished check.

Nothing here is figured a second way: the item frame is the summaries' (`summary.facts.facts`),
the month's figures are `summary.figures.compute` of the month `duban summary --month` reports
(so the KPI tiles equal its --json for the same --now), and the weekly trend is the figures the
weekly summaries stored (`summary.store`), ending with the week `duban summary --week` reports.
The counts "now" (open, overdue, blocked, not updated) are the check's flags. Every list is
capped (`lists.py`), so the object stays small whatever the folder holds.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from duban.jobs.check import CheckReport
from duban.jobs.dashboard.lists import department_of_rows, departments, gantt, late, problems
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.jobs.settings.typed import Settings
from duban.jobs.state.journal import Journal
from duban.jobs.summary import period as periods
from duban.jobs.summary.facts import frame_of, kept_rows
from duban.jobs.summary.figures import compute
from duban.jobs.summary.job import ARCHIVE_TREND, status_changes
from duban.jobs.summary.store import SummaryStore
from duban.mailer.share import Share
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.flags import FLAGS

VERSION = 1


def dashboard_data(report: CheckReport, settings: Settings, folder: Path, now: datetime,
                   db: Path | None = None) -> dict:
    """The page's data as at `now` (the check's time). `db`: the state database (default: the
    folder's), read only: the journal's first sights and completions, the stored week figures."""
    db = db or folder / settings.state.path
    calendar, thresholds = calendar_from(settings), settings.rules
    month = periods.month(now, calendar)
    week = periods.week(now, calendar, thresholds)
    journal = Journal(db, read_only=True)
    try:
        lives, starts = journal.lifetimes()
        month_changes, week_changes = status_changes(journal, month), status_changes(journal, week)
    finally:
        journal.close()
    checked = [w for w in report.workbooks if w.read.kind is not None]
    directory = Directory.from_reads([w.read for w in report.workbooks])
    # each workbook's facts as a streamed check kept them (remind's), else from its records
    frame = frame_of((kept_rows(w, calendar) for w in checked), lives, starts, directory, calendar, now)
    figures = compute(frame, month, now, calendar, thresholds, periods.following(month, calendar, thresholds),
                      changes=month_changes)
    last = compute(frame, periods.previous(month, calendar, thresholds), now, calendar, thresholds, snapshot=False)
    # the month's flows (completed) with the check's flags now (compute's overdue, blocked are at the month's end)
    f = figures.frame.assign(dept=department_of_rows(frame, directory), overdue=frame["overdue"],
                             blocked=frame["blocked"], stale=frame["stale"])
    lang = settings.lang
    share = Share.of(settings.mail.share_path, folder)
    projects, projects_more = gantt(f)
    return {
        "version": VERSION, "lang": lang, "generated": now.isoformat(), "folder": share.root,
        "month": month.label, "last_month": periods.previous(month, calendar, thresholds).label,
        "kpi": _kpi(figures.company, last.company, f),
        "departments": departments(f),
        "projects": projects, "projects_more": projects_more,
        "late": late(f, now, share, lang),
        "trend": _trend(frame, week, week_changes, db, starts, now, calendar, thresholds),
        "problems": problems(report.workbooks, lang),
        "colours": colours(settings),
    }


def keeper(settings: Settings):
    """What the dashboard needs of each workbook of a streamed check (`remind(keep=)`): its rows'
    facts (summary.facts.rows_of), so the page is the same whether or not the records stayed."""
    calendar = calendar_from(settings)
    return lambda checked: kept_rows(checked, calendar)


def _kpi(company: dict, last: dict, f: pd.DataFrame) -> dict:
    """The month's figures as `duban summary --month --json` gives them; the counts now from the flags."""
    still = ~f["done"]
    return {"on_time_rate": {"this": company["on_time_rate"], "last": last["on_time_rate"]},
            "ack_hours": company["ack_avg_working_hours"],
            "incident_minutes": company["incident_response_median_minutes"],
            "meetings": company["meetings_held"],
            "open": int(still.sum()), "overdue": int((still & f["overdue"]).sum()),
            "blocked": int((still & f["blocked"]).sum()), "stale": int((still & f["stale"]).sum())}


def _trend(frame: pd.DataFrame, week: periods.Period, changes, db: Path, starts: dict, now: datetime,
           calendar, thresholds) -> list[dict]:
    """Open and overdue at each week's end, oldest first: the figures the weekly summaries stored
    (weeks duban saw whole), ending with the week `duban summary --week` reports, figured as it does."""
    watched = min((datetime.fromisoformat(s) for s in starts.values()), default=now)
    back = ARCHIVE_TREND["week"]
    past = [p for p in (periods.previous(week, calendar, thresholds, n) for n in range(back - 1, 0, -1))
            if p.start >= watched]
    with SummaryStore(db, read_only=True) as store:
        stored = store.load_all(past).get(("company", ""), {})
    out = [{"week_end": p.end_day.isoformat(), "open": got["open"], "overdue": got["overdue"]}
           for p in past if (got := stored.get(p.end.isoformat())) and got.get("open") is not None]
    latest = compute(frame, week, now, calendar, thresholds, periods.following(week, calendar, thresholds),
                     changes=changes).company
    out.append({"week_end": week.end_day.isoformat(), "open": latest["open"], "overdue": latest["overdue"]})
    return out


def colours(settings: Settings) -> dict[str, str]:
    """The workbooks' colours: a done row green, an open one amber, late and blocked as their flags paint."""
    palette = settings.colours.by_name()
    named = {"done": "green", "open": "amber", "late": FLAGS["overdue"].colour, "blocked": FLAGS["blocked"].colour}
    return {state: f"#{palette[name].fill}" for state, name in named.items()}


_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def embed(data: dict) -> str:
    """The data as the text of `<script type="application/json">`: JSON with <, >, & (and the two
    line separators) escaped, so no cell text can close the script or open a comment there."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return text.translate(str.maketrans(_UNSAFE))


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON: {type(value).__name__}")
