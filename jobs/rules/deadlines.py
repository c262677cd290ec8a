"""Rules about the due date: overdue, due soon, and escalation of long-overdue or long-blocked rows."""
from __future__ import annotations

from datetime import timedelta

from duban.jobs.rules.base import Context, Flag, people, plural, timed
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Role

DAY = timedelta(days=1)


def overdue(rec: Record, ctx: Context) -> Flag | None:
    """Past the due date; a due time of day (an incident's ETA) is past once that minute has gone,
    and then, for its first day, the lateness is told in hours (minutes in the first hour)."""
    due = rec.role(Role.DUE)
    if due is None or rec.done:
        return None
    if timed(due):
        late_by = ctx.now - ctx.aware(due)
        if late_by <= timedelta(0):
            return None
        if late_by < DAY:
            hours = int(late_by.total_seconds() // 3600)
            zh, en = plural(hours, "小时", "hour") if hours else plural(int(late_by.total_seconds() // 60), "分钟", "minute")
            return Flag("overdue", f"逾期{zh}", f"{en} overdue", people(rec, Role.OWNER), due)
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
    if day < ctx.today or (timed(due) and ctx.now > ctx.aware(due)):
        return None
    left = ctx.calendar.working_days_between(ctx.today, day)
    if left > ctx.thresholds.due_soon_working_days:
        return None
    if left == 0 and timed(due):
        return Flag("due_soon", f"今天{due:%H:%M}到期", f"due today at {due:%H:%M}", people(rec, Role.OWNER), due)
    if left == 0:
        return Flag("due_soon", "今天到期", "due today", people(rec, Role.OWNER), due)
    zh, en = plural(left, "个工作日", "working day")
    return Flag("due_soon", f"{zh}后到期", f"due in {en}", people(rec, Role.OWNER), due)


def escalated(rec: Record, ctx: Context) -> Flag | None:
    """Overdue or blocked for N working days: goes up to the department head (see mailer).

    Blocked as the blocked rule says: a blocked status, or 需协助部门 filled in on an open row
    (the help department's head is told). The journal keeps no time for 需协助部门 itself, so such
    a row's clock runs from its status's last change (since then it has not been marked anything
    else)."""
    if rec.done:
        return None
    limit = ctx.thresholds.escalate_working_days
    due = rec.role(Role.DUE)
    if due is not None:
        day = due.date() if hasattr(due, "date") else due
        if day < ctx.today and ctx.calendar.working_days_between(day, ctx.today) >= limit:
            zh, en = plural(limit, "个工作日", "working day")
            return Flag("escalated", f"逾期已满{zh}，已升级", f"overdue for {en}: escalated",
                        people(rec, Role.OWNER), due)
    status = rec.status
    history = ctx.history(rec) if (status and status.blocked) or rec.role(Role.HELP_FROM) else None
    if history and history.status_since:
        since = history.status_since.astimezone(ctx.calendar.tz).date()
        if ctx.calendar.working_days_between(since, ctx.today) >= limit:
            zh, en = plural(limit, "个工作日", "working day")
            return Flag("escalated", f"阻塞已满{zh}，已升级", f"blocked for {en}: escalated",
                        people(rec, Role.OWNER), history.status_since)
    return None
