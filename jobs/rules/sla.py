"""Response-time rules from the seeds: request acknowledgement and first plan, incidents, minutes."""
from __future__ import annotations

from datetime import timedelta

from duban.jobs.rules.base import Context, Flag, people, plural
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Role


def not_acknowledged(rec: Record, ctx: Context) -> Flag | None:
    """No 确认接收时间 N working hours after submission (counts office time only)."""
    submitted = rec.role(Role.SUBMITTED)
    if submitted is None or rec.role(Role.ACKNOWLEDGED) is not None or rec.done:
        return None
    hours = ctx.thresholds.ack_working_hours
    deadline = ctx.calendar.add_working_hours(ctx.aware(submitted), hours)
    if ctx.now <= deadline:
        return None
    zh, en = plural(hours, "工作小时", "working hour")
    return Flag("not_acknowledged", f"超{zh}未确认接收", f"not acknowledged within {en}",
                people(rec, Role.OWNER) or people(rec, Role.INITIATOR), deadline)


def no_first_plan(rec: Record, ctx: Context) -> Flag | None:
    submitted = rec.role(Role.SUBMITTED)
    if submitted is None or rec.role(Role.FIRST_PLAN) is not None or rec.done:
        return None
    return _elapsed(rec, ctx, submitted, ctx.thresholds.first_plan_hours, "no_first_plan",
                    "超{}未反馈初步方案", "no first plan within {}", Role.OWNER, Role.INITIATOR)


def incident_unanswered(rec: Record, ctx: Context) -> Flag | None:
    occurred = rec.role(Role.OCCURRED)
    if occurred is None or rec.role(Role.RESPONDED) is not None or rec.done:
        return None
    minutes = ctx.thresholds.incident_response_minutes
    deadline = ctx.aware(occurred) + timedelta(minutes=minutes)
    if ctx.now <= deadline:
        return None
    zh, en = plural(minutes, "分钟", "minute")
    return Flag("incident_unanswered", f"超{zh}未响应", f"no response within {en}",
                people(rec, Role.OWNER) or people(rec, Role.INITIATOR), deadline)


def incident_report_late(rec: Record, ctx: Context) -> Flag | None:
    occurred = rec.role(Role.OCCURRED)
    if occurred is None or rec.role(Role.REPORT_FILED) is not None:
        return None
    return _elapsed(rec, ctx, occurred, ctx.thresholds.incident_report_hours, "incident_report_late",
                    "超{}未提交处理报告", "no incident report within {}", Role.OWNER, Role.INITIATOR)


def minutes_late(rec: Record, ctx: Context) -> Flag | None:
    held = rec.role(Role.HELD_AT)
    if held is None or rec.role(Role.MINUTES_SENT) is not None:
        return None
    recorder = rec["recorder"]
    flag = _elapsed(rec, ctx, held, ctx.thresholds.minutes_hours, "minutes_late",
                    "会议开始后超{}未发出纪要", "minutes not sent {} after the meeting started")
    return flag and Flag(flag.rule, flag.zh, flag.en, (recorder,) if recorder else (), flag.deadline)


def _elapsed(rec, ctx, start, hours, rule, zh_form, en_form, *roles) -> Flag | None:
    """A wall-clock SLA: `hours` after `start` with the awaited cell still blank."""
    deadline = ctx.aware(start) + timedelta(hours=hours)
    if ctx.now <= deadline:
        return None
    zh, en = plural(hours, "小时", "hour")
    found = ()
    for role in roles:
        found = found or people(rec, role)
    return Flag(rule, zh_form.format(zh), en_form.format(en), found, deadline)
