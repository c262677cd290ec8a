"""Rules about the due date: overdue, due soon, and escalation of long-overdue or long-blocked rows."""
from __future__ import annotations

from datetime import date, datetime, timedelta

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
    return ctx.remembered(("overdue", due, rec.role(Role.OWNER)), lambda: _overdue(rec, due, ctx))


def _overdue(rec: Record, due: date | datetime, ctx: Context) -> Flag | None:
    """overdue for an open row: its due date, the clock and its owner decide."""
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
    """Due within the window (rules.due_soon_working_days), never after the due date.

    With rules.due_soon_offsets (e.g. [3, 1, 0]) the owner is mailed only on the days whose
    working-day distance to the due date is in the list; on the other days of the window the flag
    still fires, with `remind` False: the row stays amber and its Alerts cell keeps saying "2个工作日
    后到期", and routing leaves it out of the mail (jobs/notify/router.py items_of). A workbook is a
    status board: a colour that came and went from one day to the next would read as "no longer due
    soon", while what people asked to be spared is the same mail every day. The window stretches to
    the largest offset, so that a reminder 3 days before finds its row coloured as the mail says.
    A due date on a non-working day counts as the last working day before it (the calendar counts
    the working days after today up to the due date). [] (the default): every day of the window."""
    due = rec.role(Role.DUE)
    if due is None or rec.done:
        return None
    return ctx.remembered(("due_soon", due, rec.role(Role.OWNER)), lambda: _due_soon(rec, due, ctx))


def _due_soon(rec: Record, due: date | datetime, ctx: Context) -> Flag | None:
    """due_soon for an open row: its due date, the clock and its owner decide."""
    day = due.date() if hasattr(due, "date") else due
    if day < ctx.today or (timed(due) and ctx.now > ctx.aware(due)):
        return None
    left = ctx.calendar.working_days_between(ctx.today, day)
    offsets = ctx.thresholds.due_soon_offsets
    if left > max((ctx.thresholds.due_soon_working_days, *offsets)):
        return None
    remind = not offsets or left in offsets
    if left == 0 and timed(due):
        return Flag("due_soon", f"今天{due:%H:%M}到期", f"due today at {due:%H:%M}", people(rec, Role.OWNER), due,
                    remind=remind)
    if left == 0:
        return Flag("due_soon", "今天到期", "due today", people(rec, Role.OWNER), due, remind=remind)
    zh, en = plural(left, "个工作日", "working day")
    return Flag("due_soon", f"{zh}后到期", f"due in {en}", people(rec, Role.OWNER), due, remind=remind)


def reminder_days(due: date, ctx: Context) -> list[date]:
    """The working days the due-soon reminder of a row due on `due` is mailed, earliest first
    (rules.due_soon_offsets; [] when it has none: every day of the window). `duban explain` says them."""
    offsets, cal = ctx.thresholds.due_soon_offsets, ctx.calendar
    found: dict[int, date] = {}
    day, furthest = due, max(offsets, default=-1)
    while cal.working_days_between(day, due) <= furthest and day > date.min:
        left = cal.working_days_between(day, due)      # a due day off: the working day before it is "0"
        if left in offsets and cal.is_workday(day):
            found.setdefault(left, day)
        day -= DAY
    return sorted(found.values())


def escalated(rec: Record, ctx: Context) -> Flag | None:
    """Overdue or blocked for N working days: goes up to the department head (see mailer), and
    with rules.escalation_levels > 1 one level further up the reporting line (the head's 直属上级,
    then theirs) for every further escalation_level_working_days it stays so (`Flag.level`; routing
    finds the people, jobs/notify/upline.py). Level 1 says "已升级" as it always has; from level 2 the
    text names the level and the working days it took, so the cell changes only when the level does.

    Blocked as the blocked rule says: a blocked status, or 需协助部门 filled in on an open row
    (the help department's head is told). The journal keeps no time for 需协助部门 itself, so such
    a row's clock runs from its status's last change (since then it has not been marked anything
    else)."""
    clock = escalation_clock(rec, ctx)
    if clock is None:
        return None
    cause, start, deadline = clock
    return ctx.remembered(("escalated", cause, start, deadline, rec.role(Role.OWNER)),
                          lambda: _escalated(rec, cause, start, deadline, ctx))


def _escalated(rec: Record, cause: str, start: date, deadline: date | datetime, ctx: Context) -> Flag | None:
    """escalated for a clock running from `start`: the clock, the calendar and the owner decide."""
    reached = [day for day in level_days(start, ctx) if day <= ctx.today]
    if not reached:
        return None
    level = len(reached)
    limit = ctx.thresholds.escalate_working_days + (level - 1) * ctx.thresholds.escalation_level_working_days
    zh, en = plural(limit, "个工作日", "working day")
    what = {"overdue": ("逾期", "overdue"), "blocked": ("阻塞", "blocked")}[cause]
    claim = ("已升级", "escalated") if level == 1 else (f"已升级至第{level}级", f"escalated to level {level}")
    return Flag("escalated", f"{what[0]}已满{zh}，{claim[0]}", f"{what[1]} for {en}: {claim[1]}",
                people(rec, Role.OWNER), deadline, level=level)


def escalation_clock(rec: Record, ctx: Context) -> tuple[str, date, date | datetime] | None:
    """What an escalation of `rec` counts from: ("overdue", the due day, the due date as written)
    once past due, else ("blocked", the day its status last changed, that moment) while blocked;
    None when neither (or done)."""
    if rec.done:
        return None
    due = rec.role(Role.DUE)
    if due is not None:
        day = due.date() if hasattr(due, "date") else due
        if day < ctx.today:
            if ctx.calendar.working_days_between(day, ctx.today) >= ctx.thresholds.escalate_working_days:
                return "overdue", day, due
    status = rec.status
    history = ctx.history(rec) if (status and status.blocked) or rec.role(Role.HELP_FROM) else None
    if history and history.status_since:
        return "blocked", history.status_since.astimezone(ctx.calendar.tz).date(), history.status_since
    return None


def level_days(start: date, ctx: Context) -> list[date]:
    """The day each escalation level is reached by a clock running from `start`: level 1 after
    escalate_working_days, each further level escalation_level_working_days later, up to
    escalation_levels (one day with the default of 1 level)."""
    rules = ctx.thresholds
    return [ctx.calendar.add_working_days(start, rules.escalate_working_days + k * rules.escalation_level_working_days)
            for k in range(rules.escalation_levels)]
