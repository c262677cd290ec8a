"""Rules about the due date: overdue, due soon, and escalation of long-overdue or long-blocked rows."""
from __future__ import annotations

from workbooks.records import Record
from workbooks.schema import Role

from .base import Context, Flag, people, plural


def overdue(rec: Record, ctx: Context) -> Flag | None:
    due = rec.role(Role.DUE)
    if due is None or rec.done:
        return None
    day = due.date() if hasattr(due, "date") else due
    late = (ctx.today - day).days
    if late <= 0:
        return None
    zh, en = plural(late, "天", "day")
    return Flag("overdue", f"逾期{zh}", f"{en} overdue", people(rec, Role.OWNER), due)


def due_soon(rec: Record, ctx: Context) -> Flag | None:
    due = rec.role(Role.DUE)
    if due is None or rec.done:
        return None
    day = due.date() if hasattr(due, "date") else due
    if day < ctx.today:
        return None
    left = ctx.calendar.working_days_between(ctx.today, day)
    if left > ctx.thresholds["due_soon_working_days"]:
        return None
    if left == 0:
        return Flag("due_soon", "今天到期", "due today", people(rec, Role.OWNER), due)
    zh, en = plural(left, "个工作日", "working day")
    return Flag("due_soon", f"{zh}后到期", f"due in {en}", people(rec, Role.OWNER), due)


def escalated(rec: Record, ctx: Context) -> Flag | None:
    """Overdue or blocked for N working days: goes up to the department head (see mailer)."""
    if rec.done:
        return None
    limit = ctx.thresholds["escalate_working_days"]
    due = rec.role(Role.DUE)
    if due is not None:
        day = due.date() if hasattr(due, "date") else due
        if day < ctx.today and ctx.calendar.working_days_between(day, ctx.today) >= limit:
            zh, en = plural(limit, "个工作日", "working day")
            return Flag("escalated", f"逾期已满{zh}，已升级", f"overdue for {en}: escalated",
                        people(rec, Role.OWNER), due)
    status = rec.status
    history = ctx.history(rec) if status and status.blocked else None
    if history and history.status_since:
        since = history.status_since.astimezone(ctx.calendar.tz).date()
        if ctx.calendar.working_days_between(since, ctx.today) >= limit:
            zh, en = plural(limit, "个工作日", "working day")
            return Flag("escalated", f"阻塞已满{zh}，已升级", f"blocked for {en}: escalated",
                        people(rec, Role.OWNER), history.status_since)
    return None
