"""The dashboard's lists from the summaries' item frame: departments, the projects' Gantt items,
the late and blocked items, the data problems. Each capped, the rest counted, so the page stays a
few hundred kilobytes for 1,000 workbooks."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from duban.jobs.notify.router import Router, owner_department
from duban.jobs.summary.facts import item_rows
from duban.mailer.share import Share
from duban.workbooks.model.directory import Directory

MAX_DEPARTMENTS = 100
MAX_PROJECTS = 30
MAX_ITEMS = 60          # per project
MAX_LATE = 50
MAX_PROBLEMS = 200      # workbooks with problems listed
_ROW = {"zh": "{book} 第{row}行", "en": "{book} row {row}"}


def department_of_rows(f: pd.DataFrame, checked, directory: Directory) -> list[str]:
    """Each frame row's department as the mails route it (the owner's, else the row's own), "" for none."""
    router = Router(directory)
    found = {(w.relpath, rec.row): owner_department(rec, router) or "" for w in checked for rec in w.read.records}
    return [found.get((book, row), "") for book, row in zip(f["workbook"], f["row"])]


def departments(f: pd.DataFrame) -> list[dict]:
    """Per department: done in the month, and now in progress, overdue, blocked (each row counted
    once: blocked before overdue before in progress, so the bars stack to the open rows)."""
    still = ~f["done"]
    blocked = still & f["blocked"]
    overdue = still & f["overdue"] & ~blocked
    marks = pd.DataFrame({"dept": f["dept"], "done": f["completed"], "in_progress": still & ~blocked & ~overdue,
                          "overdue": overdue, "blocked": blocked})
    sums = marks.groupby("dept", sort=True).sum()
    sums = sums[sums.sum(axis=1) > 0]
    order = sums.sum(axis=1).sort_values(ascending=False, kind="stable").index[:MAX_DEPARTMENTS]
    return [{"name": name, **{k: int(sums.loc[name, k]) for k in ("done", "in_progress", "overdue", "blocked")}}
            for name in order]


def _day(value) -> str | None:
    if value is None or (not isinstance(value, (date, datetime)) and pd.isna(value)):
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def gantt(f: pd.DataFrame) -> tuple[list[dict], int]:
    """The projects' items with a due date, from their start (own date, else first seen) to the due
    day, done / open / late; the most crowded projects first, at most MAX_PROJECTS × MAX_ITEMS."""
    rows = f[f["project"].notna() & (f["project"] != "") & f["due"].map(lambda d: isinstance(d, (date, datetime)))]
    start = rows["start_at"].fillna(rows["first_seen"])
    rows = rows.assign(start=start).sort_values(["due_sort", "id"], kind="stable")
    sizes = rows.groupby("project").size().sort_values(ascending=False, kind="stable")
    out = []
    for name in sizes.index[:MAX_PROJECTS]:
        items = rows[rows["project"] == name]
        out.append({"name": name, "more": max(0, len(items) - MAX_ITEMS), "items": [
            {"id": r.id, "title": r.title, "department": r.dept, "owner": r.owner, "start": _day(r.start),
             "due": _day(r.due), "state": "done" if r.done else "late" if r.overdue else "open",
             "blocked": bool(r.blocked and not r.done)}
            for r in items.head(MAX_ITEMS).itertuples(index=False)]})
    return out, max(0, len(sizes) - MAX_PROJECTS)


def late(f: pd.DataFrame, now: datetime, share: Share, lang: str) -> list[dict]:
    """The longest-overdue items, then the blocked ones not overdue, at most MAX_LATE, each with
    the workbook's path and file:// link as the mails give them."""
    still = ~f["done"]
    overdue = f[still & f["overdue"]].sort_values(["due_sort", "id"], kind="stable")
    blocked = f[still & f["blocked"] & ~f["overdue"]].sort_values(["due_sort", "id"], kind="stable")
    chosen = pd.concat([overdue, blocked]).head(MAX_LATE)
    out = []
    for item, dept, is_blocked in zip(item_rows(chosen, now.date(), now), chosen["dept"], chosen["blocked"]):
        book = item["workbook"]
        out.append({"id": item["id"], "title": item["title"], "department": dept, "owner": item["owner"],
                    "days_late": item["days_late"] or 0, "blocked": bool(is_blocked), "help_from": item["help_from"],
                    "workbook": book, "row": item["row"], "link": share.url(book), "path": share.path(book),
                    "where": _ROW[lang].format(book=book, row=item["row"])})
    return out


def problems(workbooks, lang: str) -> list[dict]:
    """Per workbook, its data problems for the clerks (notes left out): how many, and the first one's sentence."""
    out = []
    for w in workbooks:
        found = [p for p in w.read.problems if p.severity != "note"]
        if found:
            out.append({"workbook": w.relpath, "count": len(found), "first": found[0].message(lang)})
    out.sort(key=lambda p: (-p["count"], p["workbook"]))
    return out[:MAX_PROBLEMS]
