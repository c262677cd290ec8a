"""Rules about the state of work: blocked, stale (no weekly update), done."""
from __future__ import annotations

from datetime import datetime, timedelta

from workbooks.records import Record
from workbooks.schema import Role

from .base import Context, Flag, people

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def blocked(rec: Record, ctx: Context) -> Flag | None:
    if rec.done:
        return None
    status, helper = rec.status, rec.role(Role.HELP_FROM)
    if not (status and status.blocked) and not helper:
        return None
    if helper:
        return Flag("blocked", f"阻塞，需{helper}协助", f"blocked, needs help from {helper}", people(rec, Role.OWNER))
    return Flag("blocked", "阻塞", "blocked", people(rec, Role.OWNER))


def last_update_deadline(ctx: Context) -> datetime:
    """The latest weekly update deadline (default Friday 17:00) at or before now."""
    if "stale_deadline" not in ctx.memo:
        ctx.memo["stale_deadline"] = _last_deadline(ctx)
    return ctx.memo["stale_deadline"]


def _last_deadline(ctx: Context) -> datetime:
    weekday = WEEKDAYS.index(ctx.thresholds["stale_weekday"].lower())
    at = datetime.strptime(ctx.thresholds["stale_time"], "%H:%M").time()
    day = ctx.today - timedelta(days=(ctx.today.weekday() - weekday) % 7)
    deadline = datetime.combine(day, at, ctx.calendar.tz)
    return deadline if deadline <= ctx.now else deadline - timedelta(days=7)


def stale(rec: Record, ctx: Context) -> Flag | None:
    """Not done and not updated since the last weekly deadline.

    An explicit 反馈时间 decides on its own (a row duban first saw today may still carry an update
    date from weeks ago); only rows without one fall back to the journal's last change."""
    if rec.done or rec.kind.role_key(Role.LAST_UPDATE) is None:
        return None
    deadline = last_update_deadline(ctx)
    updated = rec.role(Role.LAST_UPDATE)
    history = ctx.history(rec) if updated is None else None
    if updated is not None:
        day = updated.date() if isinstance(updated, datetime) else updated
        if day >= deadline.date():
            return None
        shown = day.isoformat()
    elif history and history.last_changed:
        # a row first seen after the deadline has its first week still to run
        if history.last_changed >= deadline or (history.first_seen and history.first_seen > deadline):
            return None
        shown = history.last_changed.astimezone(ctx.calendar.tz).date().isoformat()
    else:
        return None
    when = deadline.strftime("%m-%d %H:%M")
    return Flag("stale", f"{when}前未更新进度（上次{shown}）", f"no update by {when} (last {shown})",
                people(rec, Role.OWNER), deadline)


def done(rec: Record, ctx: Context) -> Flag | None:
    return Flag("done", "", "") if rec.done else None


def data_problem(rec: Record, ctx: Context) -> Flag | None:
    found = ctx.problems(rec)
    if not found:
        return None
    names = {"zh": [], "en": []}
    for problem in found:
        label = problem.params.get("column")
        column = rec.kind.column(problem.column) if not isinstance(label, dict) and problem.column else None
        for lang in names:
            text = label[lang] if isinstance(label, dict) else column.header(lang) if column else problem.code
            if text not in names[lang]:
                names[lang].append(text)
    return Flag("data_problem", "数据问题：" + "、".join(names["zh"]), "data problem: " + ", ".join(names["en"]),
                people(rec, Role.OWNER))
