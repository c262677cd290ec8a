"""What other departments wait on this one for: their rows blocked at the period's end that
name this department as 需协助部门. A department head's weekly report lists them, so the head
hears of the help asked of them there, not only in an escalation."""
from __future__ import annotations

from duban.jobs.summary.facts import item_rows
from duban.jobs.summary.figures import Figures

TEXT = {
    "zh": {"title": "其他部门在等本部门协助（共{n}项）",
           "note": "截至 {end} 阻塞、需协助部门填写了本部门的事项"},
    "en": {"title": "Other departments waiting on yours ({n})",
           "note": "blocked as at {end}, naming your department in Help needed from"},
}


def waiting_on(figures: Figures, department: str, lang: str, end: str, limit: int = 20) -> dict | None:
    """The list for `department`'s report (title, note, rows as the blocked list has them), or None."""
    if not department:
        return None
    f = figures.frame
    asked = f["help_from"].map(lambda text: department in [d.strip() for d in str(text or "").split("、")])
    rows = f[f["blocked"] & asked & (f["department"] != department)].sort_values(["due_sort", "id"])
    if not len(rows):
        return None
    t = TEXT[lang if lang in TEXT else "zh"]
    return {"title": t["title"].format(n=len(rows)), "note": t["note"].format(end=end),
            "rows": item_rows(rows.head(limit), figures.as_of_day)}
