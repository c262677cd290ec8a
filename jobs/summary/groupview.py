"""A weekly report as a group reads it (jobs/notify/groups.py posts it): the department's headline
figures, or, for a group several departments share, one line a department in one post.

Built from the mail's views (jobs/summary/view.py, baseline.py), so the figures are the mail's. A
baseline week says in a line what a baseline is, instead of the bare "· 基线" a group reader would
not understand. The archive is the run's one workbook, so its link stays; a shared group gets no
chart (the mail and the archive have each department's).
"""
from __future__ import annotations

from duban.jobs.summary.period import Period
from duban.jobs.summary.view import TEXT as VIEW


def for_group(views: list[tuple[str, dict]], group: str, period: Period, lang: str) -> dict:
    """The view the group renderer shows (heading, tiles, lines, archive) from each department's."""
    first = views[0][1]
    note = [first["group_note"]] if first.get("baseline") else []
    if len(views) == 1:
        return {**first, "heading": first.get("plain_heading") or first["heading"],
                "lines": [*note, *first.get("lines", ())]}
    t = VIEW[lang]
    week = period.kind == "week"
    heading = (t["heading_week"].format(scope=group, end=period.end_day.isoformat()) if week
               else t["heading_month"].format(scope=group, month=period.label))
    colon = "：" if lang == "zh" else ": "
    lines = [f"{name}{colon}{figures(view)}" for name, view in views]
    return {"lang": lang, "heading": heading, "tiles": [], "lines": [*note, *lines], "chart": None,
            "items": sum(int(v.get("items") or 0) for _n, v in views),
            "archive_url": first.get("archive_url", ""), "archive_path": first.get("archive_path", "")}


def figures(view: dict) -> str:
    """A department's headline in one line: done this period (not in a baseline), open, overdue, blocked."""
    rows = view.get("tiles") or []
    picked = ([rows[0][0]] if len(rows) > 1 else []) + (rows[-1][:3] if rows else [])
    return " · ".join(f"{tile['label']} {tile['value']}" for tile in picked)
