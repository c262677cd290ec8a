"""The report's figures: pure aggregation with pandas. No files, no database, no clock.

In: the item frame (jobs/summary/facts.py: every row of the workbooks with a status, whatever
their kind, with the flags the rules gave it, what the change journal knows of each row
(when duban first saw it, when it first saw it done), the directory (an owner's department),
the calendar (working hours) and the time). Out: figures per department, per project and for
the company, and the item lists.

What counts as what:
- completed: first seen done (journal) inside the period. A row that was already done when
  duban first saw it has no known completion time and is never "completed" (counted in
  `done_when_first_seen`, for the report's notes); neither is a rejected request. A row seen
  done now that the journal does not yet know as done (done since the last check) is
  completed now, as the next check will record it.
- on time: completed on or before its due date (a date: by the end of that day; a date-time:
  by that moment); a row without a due date counts as on time.
- created: first seen inside the period, except rows that were already in their workbook at
  duban's first check of it (they were not created then).
- open / overdue / blocked / due next / open age: as of the period's end (`stock_marks`). A
  row counts if it was there then: first seen by the end, or already in its workbook at duban's
  first check of it (it predates duban). Its status at the end is the "from" of its first status
  change the journal saw after the end, else its status now; it was done then if that status
  is a done one and a check had seen it done by then. Overdue at the end: open then, due on a
  day before the end's day (the overdue rule's own test, on that day). Blocked at the end: a
  blocked status then, or, when the status has not changed since, the rule's flag now (the
  help-needed department has no history). Rows that were first seen after the end are not
  counted. Rows already there at a first check made after the end (and not started after the
  end by their own date): their status at that check stands for the end (`pre_duban` counts
  them, for the notes).
- stale (not updated): the rules' flag now (it has no history); the report says so.
- open age: from the row's own start (requests: submitted; incidents: occurred; meetings:
  held), tasks and projects from when duban first saw them; rows already there at duban's
  first check of their workbook have no known start and are left out (`open_age_unknown`).
- requests (`request_marks`): submitted inside the period; acknowledged inside the period;
  unacknowledged at the period's end (submitted before it, no 确认接收时间 by then, not closed by
  then), each with the working hours it had waited by then. Acknowledgement time, in working
  hours (jobs.workcal), averages the requests acknowledged inside the period and those still
  unacknowledged at its end, the latter at their wait so far: a lower bound ("at least"), so a
  department that ignores its requests cannot have a better average than one that answers them.
  Within the limit: acknowledged in time, out of those decided (acknowledged, or unacknowledged
  past the limit). First plan within `rules.first_plan_hours` of submission, out of the first plans
  sent inside the period and the requests still without one at its end past that limit (missed).
- incidents: those that occurred inside the period; response minutes from occurred to
  responded; report late when filed after, or still missing past, `rules.incident_report_hours`.
- meetings: held inside the period (one meeting = one name and time), minutes late past
  `rules.minutes_hours`; meeting actions open now.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from duban.jobs.settings.typed import Rules
from duban.jobs.summary.facts import item_rows, status_keys
from duban.jobs.summary.period import Period
from duban.jobs.time.workcal import WorkCalendar

TOP_OVERDUE = 10

# The --json contract's keys (issue 11; the request counts appended by issue 17), in its order; the mail and
# the archive show more.
JSON_KEYS = ("completed", "completed_on_time", "created", "open", "overdue", "blocked", "stale", "on_time_rate",
             "ack_avg_working_hours", "incident_response_median_minutes", "meetings_held", "requests_submitted",
             "requests_unacked")
COUNTS = ("completed", "completed_on_time", "completed_late", "created", "open", "overdue", "blocked", "stale",
          "due_next", "requests_acked", "ack_within", "first_plans", "first_plan_within", "incidents",
          "incident_within", "incident_reports_late", "meeting_action_open", "done_when_first_seen",
          "open_age_unknown", "pre_duban", "requests_submitted", "requests_unacked", "requests_unacked_late",
          "first_plan_missed")
SNAPSHOT = ("open", "overdue", "blocked", "stale", "due_next", "meeting_action_open", "open_age_unknown", "pre_duban")


@dataclass
class Figures:
    period: Period
    now: datetime
    company: dict
    departments: dict[str, dict]
    projects: dict[str, dict]
    frame: pd.DataFrame = field(repr=False)     # one row per item, for the lists

    def scope(self, scope: str, name: str | None = None) -> dict:
        if scope == "company":
            return self.company
        return (self.departments if scope == "department" else self.projects)[name]

    def rows(self, scope: str, name: str | None = None) -> pd.DataFrame:
        f = self.frame
        if scope == "department":
            return f[f["department"] == name]
        if scope == "project":
            return f[f["project"] == name]
        return f

    def lists(self, scope: str, name: str | None = None, limit: int | None = TOP_OVERDUE) -> dict[str, list[dict]]:
        """The item lists of one scope: oldest overdue (top `limit`), blocked, completed in the period."""
        f = self.rows(scope, name)
        overdue = f[f["overdue"]].sort_values(["due_sort", "id"])
        blocked = f[f["blocked"]].sort_values(["due_sort", "id"])
        done = f[f["completed"]].sort_values(["done_at", "id"])
        unacked = f[f["requests_unacked"]].sort_values(["submitted", "id"])
        day = self.as_of_day
        return {"overdue": item_rows(overdue if limit is None else overdue.head(limit), day, self.period.end),
                "overdue_total": int(len(overdue)),
                "blocked": item_rows(blocked, day), "completed": item_rows(done, day),
                "unacked": item_rows(unacked, day)}

    def flag_counts(self, scope: str, name: str | None = None) -> dict[str, int]:
        """How many rows of one scope carry each rule's flag now (whatever the rule: the registry's)."""
        return dict(Counter(code for codes in self.rows(scope, name)["flags"] for code in codes))

    @property
    def as_of_day(self) -> date:
        """The day the stock figures stand at (days late are counted to it): the period end's."""
        return self.period.end.date()


# ---- the figures -----------------------------------------------------------------------------
def compute(frame: pd.DataFrame, period: Period, now: datetime, calendar: WorkCalendar, thresholds: Rules,
            following: Period | None = None, snapshot: bool = True, changes: pd.DataFrame | None = None) -> Figures:
    """Every figure of one period, per department, per project and for the company.

    The stock figures (open, overdue, blocked, due next, open age) stand at the period's end
    (`stock_marks`, with `changes`: the journal's status changes after it); stale is the rules'
    flag now. The flows (completed, created, responses, meetings) are the period's. With
    snapshot=False (a past period, for a trend) only the flows are figured; the stock figures
    are None (they are known only from the store)."""
    f = frame.assign(**period_marks(frame, period, thresholds))
    f = f.assign(**request_marks(f, period, calendar, thresholds))
    if snapshot:
        f = f.assign(**stock_marks(f, period, following, changes))
    else:
        for key in SNAPSHOT:
            f[key] = False
        f["open_age_days"] = np.nan
    company = _aggregate(f, None)[None] if len(f) else _empty()
    departments = _aggregate(f, "department")
    projects = _aggregate(f[f["project"].notna() & (f["project"] != "")], "project")
    if not snapshot:
        for d in (company, *departments.values(), *projects.values()):
            d.update(dict.fromkeys(SNAPSHOT, None))
    return Figures(period, now, company, departments, projects, f)


def stock_marks(f: pd.DataFrame, period: Period, following: Period | None,
                changes: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Open, overdue, blocked, due next and open age at the period's end (see the module doc).
    `changes`: the journal's status changes (workbook, id, at, old status), oldest first; only
    those after the end matter."""
    end = pd.Timestamp(period.end)
    status_now = f["status"]
    changed = pd.Series(False, index=f.index)
    status_end = status_now
    if changes is not None and len(changes):
        after = changes[changes["at"] > end].drop_duplicates(["workbook", "id"], keep="first")
        if len(after):
            old = pd.Series(after["old"].to_numpy(), index=pd.MultiIndex.from_frame(after[["workbook", "id"]]))
            found = old.reindex(pd.MultiIndex.from_frame(f[["workbook", "id"]]))
            changed = pd.Series(found.index.isin(old.index), index=f.index)
            status_end = status_now.where(~changed, pd.Series(found.to_numpy(), index=f.index))
    seen = f["first_seen"] <= end
    # there before duban, first checked after the end (unless its own start, e.g. a request's
    # submission, says it came later)
    pre = f["at_start"] & ~seen & ~(f["start_at"].notna() & (f["start_at"] > end))
    present = seen | pre
    # done by the end: a done status then, seen done by a check by then (a first check after
    # the end: done at that check)
    seen_done_by = f["first_done"].notna() & (f["first_done"] <= f["first_seen"].where(pre, end))
    done_end = present & status_end.isin(status_keys("done")) & seen_done_by
    open_end = present & ~done_end
    end_day = pd.Timestamp(datetime.combine(period.end.date(), time(), period.end.tzinfo))
    overdue = open_end & f["due_day"].notna() & (f["due_day"] < end_day)
    blocked = open_end & (status_end.isin(status_keys("blocked")) | (~changed & f["blocked"]))
    due_next = (open_end & ~overdue & _due_within(f, following, end_day)) if following is not None \
        else pd.Series(False, index=f.index)
    age = ((end - f["start_at"]).dt.total_seconds() / 86400).clip(lower=0)
    return {"open": open_end, "overdue": overdue, "blocked": blocked, "due_next": due_next,
            "meeting_action_open": open_end & (f["kind"] == "meetings"),
            "open_age_days": age.where(open_end), "open_age_unknown": open_end & f["start_at"].isna(),
            "pre_duban": pre}


def _due_within(f: pd.DataFrame, following: Period, end_day: pd.Timestamp) -> pd.Series:
    """Due from the period's last day (not yet overdue at its end: a month ending at 12-01 00:00
    leaves an item due 12-01 for the next month) to the end of the following period's last day."""
    last = pd.Timestamp(datetime.combine(following.end_day + timedelta(days=1), time(), following.start.tzinfo))
    return f["due_day"].notna() & (f["due_day"] >= end_day) & (f["due_limit"] <= last)


def period_marks(f: pd.DataFrame, period: Period, thresholds: Rules) -> dict[str, pd.Series]:
    """The period's flows as boolean (and numeric) columns of the item frame."""
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)

    def inside(col: str) -> pd.Series:
        s = f[col]
        return s.notna() & (s >= start) & (s < end)

    # done when first seen: its completion time is unknown, so it is never "completed"
    done_at_sight = (f["first_done"] == f["first_seen"]) | (f["done"] & f["first_done"].isna())
    completed = inside("first_done") & ~f["rejected"] & ~done_at_sight
    on_time = completed & (f["due_limit"].isna() | (f["first_done"] <= f["due_limit"]))
    created = inside("first_seen") & ~f["at_start"]
    acked = inside("acknowledged") & f["submitted"].notna()
    ack_limit = thresholds.ack_working_hours
    planned = inside("first_plan") & f["submitted"].notna()
    plan_hours = (f["first_plan"] - f["submitted"]).dt.total_seconds() / 3600
    incident = inside("occurred") & (f["kind"] == "incidents")
    response = (f["responded"] - f["occurred"]).dt.total_seconds() / 60
    response = response.where(incident & (response >= 0))
    report_due = f["occurred"] + pd.Timedelta(hours=thresholds.incident_report_hours)
    report_late = incident & ((f["report_filed"].isna() & (report_due < end)) | (f["report_filed"] > report_due))
    held = inside("held_at") & (f["kind"] == "meetings")
    meeting_key = _meeting_keys(f, held)
    minutes_due = f["held_at"] + pd.Timedelta(hours=thresholds.minutes_hours)
    minutes_late = held & ((f["minutes_sent"].isna() & (minutes_due < end)) | (f["minutes_sent"] > minutes_due))
    return {
        "completed": completed, "completed_on_time": on_time, "completed_late": completed & ~on_time,
        "created": created, "done_when_first_seen": inside("first_seen") & done_at_sight,
        "requests_acked": acked, "ack_within": acked & (f["ack_hours"] <= ack_limit),
        "first_plans": planned, "first_plan_within": planned & (plan_hours <= thresholds.first_plan_hours),
        "incidents": incident,
        "incident_within": incident & (response <= thresholds.incident_response_minutes),
        "response_minutes": response, "incident_reports_late": report_late,
        "meeting_key": meeting_key, "minutes_late_key": meeting_key.where(minutes_late),
    }


def _meeting_keys(f: pd.DataFrame, held: pd.Series) -> pd.Series:
    """"meeting@held_at" for the meetings held in the period (NaN for every other row), spelled
    out only for those rows, not for the 200,000 tasks."""
    keys = pd.Series(np.nan, index=f.index, dtype=object)
    if held.any():
        keys[held] = f.loc[held, "meeting"].fillna("") + "@" + f.loc[held, "held_at"].astype(str)
    return keys


def request_marks(f: pd.DataFrame, period: Period, calendar: WorkCalendar, thresholds: Rules) -> dict[str, pd.Series]:
    """The period's requests (see the module doc): submitted, unacknowledged at the end with the
    working hours waited by then, and the acknowledgement hours the average is taken over
    (acknowledged inside the period: their time; unacknowledged at the end: their wait so far).
    A request closed (done, rejected) by the end without an acknowledgement time was answered.
    Needs period_marks' requests_acked."""
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    submitted = f["submitted"]
    request = (f["kind"] == "requests") & submitted.notna()
    closed = f["first_done"].notna() & ((f["first_done"] <= end) | (f["at_start"] & (f["first_done"] <= f["first_seen"])))
    unacked = request & (submitted < end) & ~(f["acknowledged"].notna() & (f["acknowledged"] < end)) & ~closed
    waited = pd.Series(np.nan, index=f.index, dtype=float)
    if unacked.any():
        waited[unacked] = [calendar.working_hours_between(s.to_pydatetime(), period.end) for s in submitted[unacked]]
    return {"requests_submitted": request & (submitted >= start) & (submitted < end),
            "requests_unacked": unacked, "ack_waited_hours": waited,
            "requests_unacked_late": unacked & (waited > thresholds.ack_working_hours),
            "ack_hours_in": f["ack_hours"].where(f["requests_acked"]).fillna(waited),
            "first_plan_missed": _first_plan_missed(f, request, closed, end, thresholds)}


def _first_plan_missed(f: pd.DataFrame, request: pd.Series, closed: pd.Series, end: pd.Timestamp,
                       thresholds: Rules) -> pd.Series:
    """Requests still without a first plan at the period's end and past the limit by then: missed,
    so a department that never sends one cannot read "—" or a perfect share (as acknowledgement)."""
    limit = f["submitted"] + pd.Timedelta(hours=thresholds.first_plan_hours)
    planned = f["first_plan"].notna() & (f["first_plan"] < end)
    return request & (limit < end) & ~planned & ~closed


# the figures other than counts: name -> (frame column, pandas reduction)
STATS = {"ack": ("ack_hours_in", "mean"), "age": ("open_age_days", "mean"), "median": ("response_minutes", "median"),
         "slowest": ("response_minutes", "max"), "held": ("meeting_key", "nunique"),
         "minutes_late": ("minutes_late_key", "nunique"), "oldest": ("ack_waited_hours", "max")}


def _empty() -> dict:
    return _finish({k: 0 for k in COUNTS}, {"ack": math.nan, "age": math.nan, "median": math.nan,
                                            "slowest": math.nan, "held": 0, "minutes_late": 0, "oldest": math.nan})


def _aggregate(f: pd.DataFrame, by: str | None) -> dict:
    """{group: figures} for `by` (None: the whole frame as one group, keyed None)."""
    if not len(f):
        return {}
    g = f.groupby(pd.Series(0, index=f.index) if by is None else f[by], sort=True)
    sums = g[list(COUNTS)].sum()
    stats = g.agg(**{name: spec for name, spec in STATS.items()})
    return {None if by is None else name: _finish(sums.loc[name], stats.loc[name]) for name in sums.index}


def _finish(sums, stats) -> dict:
    d = {k: int(sums[k]) for k in COUNTS}
    ack, age, median, slowest = stats["ack"], stats["age"], stats["median"], stats["slowest"]
    held, minutes_late = stats["held"], stats["minutes_late"]
    d["on_time_rate"] = _ratio(d["completed_on_time"], d["completed"])
    d["ack_avg_working_hours"] = _num(ack, 2)
    d["ack_oldest_open_hours"] = _num(stats["oldest"], 1)
    d["ack_within_share"] = _ratio(d["ack_within"], d["requests_acked"] + d["requests_unacked_late"])
    d["first_plan_within_share"] = _ratio(d["first_plan_within"], d["first_plans"] + d["first_plan_missed"])
    d["incident_response_median_minutes"] = _num(median, 1)
    d["incident_response_max_minutes"] = _num(slowest, 1)
    d["incident_within_share"] = _ratio(d["incident_within"], d["incidents"])
    d["avg_open_age_days"] = _num(age, 1)
    d["meetings_held"] = int(held)
    d["minutes_late"] = int(minutes_late)
    return d


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _num(value, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return round(float(value), digits)


def json_figures(d: dict) -> dict:
    """One scope's figures as the --json contract has them."""
    return {k: d[k] for k in JSON_KEYS}
