"""The dashboard's lists from the summaries' item frame: departments, the projects' Gantt items,
the late and blocked items, the data problems. Each capped, the rest counted, so the page stays a
few hundred kilobytes for 1,000 workbooks."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from duban.jobs.notify.router import Router
from duban.jobs.summary.facts import item_rows
from duban.mailer.share import Share
from duban.workbooks.model.directory import Directory

MAX_DEPARTMENTS = 100
MAX_PROJECTS = 30
MAX_ITEMS = 60          # per project
MAX_LATE = 50
MAX_PROBLEMS = 200      # workbooks with problems listed
GANTT = ["project", "due_day", "due_sort", "id", "start_at", "first_seen", "title", "dept", "owner", "done", "overdue",
         "blocked"]
_ROW = {"zh": "{book} 第{row}行", "en": "{book} row {row}"}


def department_of_rows(f: pd.DataFrame, directory: Directory) -> pd.Series:
    """Each frame row's department as the mails route it (`router.owner_department`: the first
    owner's, else the row's own), "" for none; looked up once per owner, not once per row."""
    router = Router(directory)
    owners = f["owner"].fillna("")
    by_owner = {text: router.department_of(text.split("、", 1)[0]) or "" for text in owners.unique() if text}
    return owners.map(by_owner).fillna("").where(lambda d: d != "", f["department"]).fillna("")


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


def gantt(f: pd.DataFrame) -> tuple[list[dict], int]:
    """The projects' items with a due date, from their start (own date, else first seen) to the due
    day, done / open / late; the most crowded projects first, at most MAX_PROJECTS × MAX_ITEMS."""
    rows = f.loc[f["project"].notna() & (f["project"] != "") & f["due_day"].notna(), GANTT]
    groups = rows.groupby("project", sort=False)
    sizes = groups.size().sort_values(ascending=False, kind="stable")
    out = []
    for name in sizes.index[:MAX_PROJECTS]:
        items = groups.get_group(name).sort_values(["due_sort", "id"], kind="stable").head(MAX_ITEMS)
        start = items["start_at"].fillna(items["first_seen"]).dt.strftime("%Y-%m-%d")
        due = items["due_day"].dt.strftime("%Y-%m-%d")
        out.append({"name": name, "more": max(0, int(sizes[name]) - MAX_ITEMS), "items": [
            {"id": r.id, "title": r.title, "department": r.dept, "owner": r.owner, "start": begin, "due": end,
             "state": "done" if r.done else "late" if r.overdue else "open", "blocked": bool(r.blocked and not r.done)}
            for r, begin, end in zip(items.itertuples(index=False), start, due)]})
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
