"""The item frame the report's figures are taken from: one row per item of every counted workbook.

In: every row of the workbooks whose kind the reports count (`workbooks.model.kinds.counted`:
those with a status, so a kind added with one is in the next report without a line here), with
the flags the rules gave it, what the change journal knows of each row and the directory. Out: a
pandas frame (`facts`) and the rows of the report's item lists (`item_rows`). No files, no clock.
"""
from __future__ import annotations

import math
import sys
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import repeat
from typing import Iterable

import numpy as np
import pandas as pd

from duban.jobs.rules import Flag
from duban.jobs.settings.typed import Rules
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.kinds import KINDS, counted
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Kind, Role

NO_DEPARTMENT = ""        # rows whose department cannot be told; shown as 未指定部门 / No department
# a row's own start, where its kind has one (else when duban first saw it): frame column, role
STARTS = (("submitted", Role.SUBMITTED), ("occurred", Role.OCCURRED), ("held_at", Role.HELD_AT))


def status_keys(meaning: str) -> list[str]:
    """The status keys of every kind that mean `meaning` ("done" or "blocked")."""
    return sorted({c.key for k in KINDS.values() for c in k.status_choices.values() if getattr(c, meaning)})


def own_start(kind: Kind) -> str | None:
    """The frame column of a row's own start: a request's submission, an incident's occurrence,
    a meeting's time; None for kinds without one (tasks, projects: when duban first saw them)."""
    return next((col for col, role in STARTS if kind.role_key(role)), None)


COLUMNS = ("workbook", "kind", "row", "id", "title", "project", "department", "owner", "help_from", "status", "done",
           "rejected", "due", "overdue", "blocked", "stale", "flags", "first_seen", "first_done", "at_start",
           "submitted", "acknowledged", "first_plan", "occurred", "responded", "report_filed", "meeting", "held_at",
           "minutes_sent")
MOMENTS = (("submitted", Role.SUBMITTED), ("acknowledged", Role.ACKNOWLEDGED), ("first_plan", Role.FIRST_PLAN),
           ("occurred", Role.OCCURRED), ("responded", Role.RESPONDED), ("report_filed", Role.REPORT_FILED),
           ("held_at", Role.HELD_AT), ("minutes_sent", Role.MINUTES_SENT))


def facts(sources: Iterable[tuple[str, list[Record], dict[int, list[Flag]]]], history: dict[tuple[str, str], tuple],
          starts: dict[str, str], directory: Directory, calendar: WorkCalendar, thresholds: Rules,
          now: datetime) -> pd.DataFrame:
    """The item frame. `sources`: (workbook, its records, its flags by Excel row) per workbook;
    `history`: (workbook, ID) -> (first_seen, first_done) ISO texts from the journal; `starts`:
    workbook -> its first check. Built column by column, one workbook at a time (100,000 rows)."""
    return frame_of((rows_of(workbook, records, flags, calendar) for workbook, records, flags in sources),
                    history, starts, directory, calendar, now)


def rows_of(workbook: str, records: list[Record], flags: dict[int, list[Flag]], calendar: WorkCalendar) -> dict | None:
    """One workbook's facts, a list per column (None: a kind the reports do not count): what the
    frame needs of its rows, taken while the check holds them (`check_folder(each=)`), so that the
    records can go. What needs the journal or the directory (first seen, first done, department
    by owner) is `frame_of`'s, from `owner_first` and `department_cell`."""
    if not records or not counted(records[0].kind):
        return None
    kind = records[0].kind
    keys, tz = kind.role_keys, calendar.tz
    n = len(records)
    column = partial(_cells, records, keys)
    rows = _values(records, "_row")
    choices = kind.status_choices
    statuses = [choices.get(v) for v in _values(records, kind.status_column.key)] if kind.status_column \
        else [None] * n
    rules = [_rules(flags.get(row)) for row in rows]
    c: dict[str, object] = {
        "workbook": [workbook] * n, "kind": [kind.key] * n, "row": rows,
        "id": [i or "" for i in _values(records, "id")],
        "title": [_text(v) for v in column(Role.TITLE)], "project": [_same(_text(v)) or None for v in column(Role.PROJECT)],
        "owner": [_same(_text(v)) for v in column(Role.OWNER)],
        "help_from": [_same(_text(v)) for v in column(Role.HELP_FROM)],
        "status": [st.key if st else None for st in statuses],
        "done": np.array([st is not None and st.done for st in statuses], dtype=bool),
        "rejected": np.array([st is not None and st.key == "rejected" for st in statuses], dtype=bool),
        "due": column(Role.DUE),
        "overdue": np.array(["overdue" in r for r in rules], dtype=bool),
        "blocked": np.array(["blocked" in r for r in rules], dtype=bool),
        "stale": np.array(["stale" in r for r in rules], dtype=bool),
        "flags": [tuple(sorted(r)) if r else () for r in rules],
        "owner_first": [_same(_first(v)) for v in column(Role.OWNER)],
        "department_cell": [_same(_first(v)) for v in column(Role.DEPARTMENT)]}
    for key, role in MOMENTS:       # None: no such column, a None for every row (memory: 1,000 workbooks)
        c[key] = [_local(v, tz) for v in column(role)] if keys.get(role) else None
    c["meeting"] = [_text(v) for v in _values(records, "meeting")] if "meeting" in kind.by_key else None
    c["ack_hours"] = None if c["submitted"] is None or c["acknowledged"] is None else \
        [calendar.working_hours_between(submitted, acked) if submitted is not None and acked is not None else math.nan
         for submitted, acked in zip(c["submitted"], c["acknowledged"])]
    return c


def _joined(parts: list[tuple[int, object]], fill) -> list | np.ndarray:
    """A column from its workbooks' parts: (rows, a list, a bool array, or None for `fill` in each row)."""
    if parts and all(isinstance(values, np.ndarray) for _n, values in parts):
        return np.concatenate([values for _n, values in parts])
    out: list = []
    for n, values in parts:
        out += [fill] * n if values is None else list(values) if isinstance(values, np.ndarray) else values
    return out


def _same(value):
    """A name, project or department as one string object however many rows repeat it."""
    return sys.intern(value) if type(value) is str else value


def kept_rows(checked, calendar: WorkCalendar) -> dict | None:
    """A checked workbook's facts (`rows_of`): those its streamed check kept (`check_folder(each=)`
    returned them, alone or as `.facts`), else taken from its records (unpacked once)."""
    kept = getattr(checked.kept, "facts", checked.kept)
    if isinstance(kept, dict):
        return kept
    return rows_of(checked.relpath, list(checked.read.records), checked.flags, calendar)


def frame_of(chunks: Iterable[dict | None], history: dict[tuple[str, str], tuple], starts: dict[str, str],
             directory: Directory, calendar: WorkCalendar, now: datetime) -> pd.DataFrame:
    """The item frame from each workbook's `rows_of` (see `facts`); each chunk is let go of as taken."""
    tz = calendar.tz
    stamp = now.isoformat()
    parts: dict[str, list] = {k: [] for k in (*COLUMNS, "ack_hours")}
    own: dict[str, str | None] = {}
    people = directory.people
    for c in chunks:
        if c is None:
            continue
        workbook, kind = c["workbook"][0], c["kind"][0]
        lives = [history.get((workbook, i), NEVER) for i in c["id"]]
        seen = [life[0] or stamp for life in lives]
        start = starts.get(workbook)
        own[kind] = own_start(KINDS[kind])
        c["first_seen"] = seen
        c["first_done"] = [life[1] if life[1] is not None or not d else (stamp if sn != stamp else None)
                           for life, d, sn in zip(lives, c["done"], seen)]   # done since the last check: done now
        c["at_start"] = [sn == start for sn in seen]
        c["department"] = [(d or (people[o].department if o in people else None)) or NO_DEPARTMENT
                           for d, o in zip(c["department_cell"], c["owner_first"])]
        n = len(seen)
        for key, part in parts.items():
            part.append((n, c[key]))
    total = sum(n for n, _values in parts["row"])
    frame = pd.DataFrame(index=pd.RangeIndex(total))
    for key in COLUMNS:     # a column at a time: never every column twice, as lists and as the frame's arrays
        frame[key] = _joined(parts.pop(key), None)
    frame["ack_hours"] = np.array(_joined(parts.pop("ack_hours"), math.nan), dtype=float)
    for key in ("first_seen", "first_done"):
        frame[key] = _moments(frame[key], lambda u: pd.to_datetime(u, utc=True, format="ISO8601"), tz)
    for key in ("submitted", "acknowledged", "first_plan", "occurred", "responded", "report_filed", "held_at",
                "minutes_sent"):
        frame[key] = _moments(frame[key], lambda u: pd.to_datetime(u, utc=True), tz)
    # a due date is due by the end of its day, a due date-time at that moment
    frame["due_limit"] = _moments(frame["due"], lambda u: pd.to_datetime([_due_limit(d, tz) for d in u], utc=True), tz)
    frame["due_sort"] = frame["due_limit"]
    # the due day at midnight: overdue on a later day (the overdue rule counts days, not moments)
    timed = pd.Series([isinstance(d, datetime) for d in frame["due"]], index=frame.index, dtype=bool)
    frame["due_day"] = frame["due_limit"].dt.floor("D").where(timed, frame["due_limit"] - pd.Timedelta(days=1))
    frame["done_at"] = frame["first_done"]
    # when the row's work began: its own date where the kind has one; tasks and projects have no
    # creation date, so duban's first sight of them, unknown for rows there before duban
    start_at = frame["first_seen"].where(~frame["at_start"])
    for kind, col in own.items():
        if col:
            start_at = start_at.where(frame["kind"] != kind, frame[col])
    frame["start_at"] = start_at
    return frame


def _cells(records: list[Record], keys: dict[Role, str], role: Role) -> list:
    """The cells of the column playing `role` (None for each row of a kind without one)."""
    key = keys.get(role)
    return _values(records, key) if key else [None] * len(records)


def _values(records: list[Record], key: str) -> list:
    """The column `key` of every record (None where blank), in one C-level pass (200,000 rows)."""
    return list(map(dict.get, records, repeat(key)))


NEVER = (None, None)            # a row the journal has not seen: no first sight, never done
NO_RULES: frozenset[str] = frozenset()


def _rules(flags) -> frozenset[str]:
    return frozenset(f.rule for f in flags) if flags else NO_RULES


def _moments(values: pd.Series, convert, tz) -> pd.Series:
    """`convert` (to UTC moments) of each distinct value once, then in company time: a column of
    200,000 rows holds a few hundred days or stamps."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    moments = pd.DatetimeIndex(convert(uniques)).tz_convert(tz)
    return pd.Series(moments.take(codes, allow_fill=True, fill_value=pd.NaT), index=values.index)


def _first(value):
    if isinstance(value, tuple):
        return value[0] if value else None
    return value


def _text(value) -> str:
    if isinstance(value, tuple):
        return "、".join(value)
    return "" if value is None else str(value)


def _local(value, tz) -> datetime | None:
    """A cell's date or date-time as an aware moment in company time (dates: midnight)."""
    if value is None or not isinstance(value, (date, datetime)):
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def _due_limit(due, tz) -> datetime | None:
    if isinstance(due, datetime):
        return _local(due, tz)
    if isinstance(due, date):
        return datetime.combine(due + timedelta(days=1), time(), tz)
    return None


def item_rows(f: pd.DataFrame, today: date, end: datetime | None = None) -> list[dict]:
    """The rows of a list; days late counted to `today` (the as-of day), None when not late. A due
    time of day passed less than a day before `end` (the as-of moment) is late by minutes
    (`minutes_late`; days_late None), as the Alerts say 逾期11小时, not 1 day."""
    out = []
    for r in f[["id", "title", "project", "department", "owner", "help_from", "due", "done_at", "first_done",
                "completed_on_time", "workbook", "row", "kind", "submitted", "ack_waited_hours",
                "due_limit"]].itertuples(index=False):
        due = r.due
        due_day = due.date() if isinstance(due, datetime) else due
        minutes_late = _minutes_late(due, r.due_limit, end)
        done_at = None if pd.isna(r.done_at) else r.done_at.to_pydatetime()
        out.append({"id": r.id, "title": r.title, "project": _str(r.project), "department": r.department,
                    "owner": r.owner, "help_from": r.help_from, "due": due if isinstance(due, date) else None,
                    "days_late": None if minutes_late is not None else _late(today, due_day),
                    "minutes_late": minutes_late,
                    "done_at": done_at, "on_time": bool(r.completed_on_time), "workbook": r.workbook, "row": int(r.row),
                    "kind": r.kind, "submitted": None if pd.isna(r.submitted) else r.submitted.to_pydatetime(),
                    "waited_hours": None if pd.isna(r.ack_waited_hours) else round(float(r.ack_waited_hours), 1)})
    return out


def _minutes_late(due, limit, end: datetime | None) -> int | None:
    """Minutes a due time of day had passed at `end`, when less than a day; else None."""
    if end is None or not isinstance(due, datetime) or pd.isna(limit):
        return None
    late = end - limit.to_pydatetime()
    return int(late.total_seconds() // 60) if timedelta(0) < late < timedelta(days=1) else None


def _late(today: date, due_day) -> int | None:
    if not isinstance(due_day, date):
        return None
    late = (today - due_day).days
    return late if late > 0 else None


def _str(value) -> str:
    return value if isinstance(value, str) else ""
