"""Rules about the state of work: blocked, stale (no weekly update), done."""
from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta

from duban.jobs.rules.base import Context, Flag, people
from duban.workbooks.model.flags import FLAGS
from duban.workbooks.model.problems import Problem, ProblemType
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Role

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def blocked(rec: Record, ctx: Context) -> Flag | None:
    if rec.done:
        return None
    status, helper = rec.status, rec.role(Role.HELP_FROM)
    if not (status and status.blocked) and not helper:
        return None
    return ctx.remembered(("blocked", helper, rec.role(Role.OWNER)), lambda: _blocked(rec, helper))


def _blocked(rec: Record, helper) -> Flag:
    if helper:
        return Flag("blocked", f"阻塞，需{helper}协助", f"blocked, needs help from {helper}", people(rec, Role.OWNER))
    return Flag("blocked", "阻塞", "blocked", people(rec, Role.OWNER))


def last_update_deadline(ctx: Context) -> datetime:
    """The latest weekly update deadline (default Friday 17:00) at or before now."""
    if "stale_deadline" not in ctx.memo:
        ctx.memo["stale_deadline"] = _last_deadline(ctx)
    return ctx.memo["stale_deadline"]


def _last_deadline(ctx: Context) -> datetime:
    weekday = WEEKDAYS.index(ctx.thresholds.stale_weekday.lower())
    at = datetime.strptime(ctx.thresholds.stale_time, "%H:%M").time()
    day = ctx.today - timedelta(days=(ctx.today.weekday() - weekday) % 7)
    deadline = datetime.combine(day, at, ctx.calendar.tz)
    return deadline if deadline <= ctx.now else deadline - timedelta(days=7)


def stale(rec: Record, ctx: Context) -> Flag | None:
    """Not done and not updated since the last weekly deadline.

    An explicit 反馈时间 decides on its own (a row duban first saw today may still carry an update
    date from weeks ago); only rows without one fall back to the journal's last change."""
    if rec.done:
        return None
    updated = rec.role(Role.LAST_UPDATE)        # None too where the kind has no such column
    if updated is not None:                     # the cell alone decides: one answer per date and owner
        return ctx.remembered(("stale", updated, rec.role(Role.OWNER)), lambda: _stale(rec, ctx, updated))
    if rec.kind.role_key(Role.LAST_UPDATE) is None:
        return None
    return _stale(rec, ctx, None)


def _stale(rec: Record, ctx: Context, updated) -> Flag | None:
    deadline = last_update_deadline(ctx)
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
    """Closed and done: painted green. A request closed as 已拒绝 is closed but nothing was
    delivered: it is not painted as done (nor grey, the legend's 'not updated'); like the
    template's own formatting, which colours only the statuses that name a colour, it is left
    unpainted."""
    status = rec.status
    if status is None or not status.done:          # rec.done, without looking the status up again
        return None
    return ctx.remembered(("done", status.colour),
                          lambda: Flag("done", "", "") if status.colour == FLAGS["done"].colour else None)


SHOWN_PROBLEMS = 3          # an Alerts cell names at most this many problems, then "and N more"
_SENTENCE_END = {"zh": "。", "en": ". "}
_MORE = {"zh": "等{n}处数据问题", "en": "and {n} more data problems"}


def data_problem(rec: Record, ctx: Context) -> Flag | None:
    """What validate found wrong in the row, in its own words (without the how-to-fix advice,
    which the problems report gives), e.g. 截止日期“11月31日”不是有效日期."""
    found = ctx.problems(rec)
    if not found:
        return None
    texts = {}
    for lang in ("zh", "en"):
        sentences = list(dict.fromkeys(problem_summary(rec, p, lang) for p in found))
        if len(sentences) > SHOWN_PROBLEMS + 1:
            sentences[SHOWN_PROBLEMS:] = [_MORE[lang].format(n=len(sentences) - SHOWN_PROBLEMS)]
        texts[lang] = ("；" if lang == "zh" else "; ").join(sentences)
    return Flag("data_problem", texts["zh"], texts["en"], people(rec, Role.OWNER))


def problem_summary(rec: Record, problem: Problem, lang: str) -> str:
    """The first sentence of the problem's message, led by its column's header when the
    sentence does not name it: “11月31日”不是有效日期 -> 截止日期“11月31日”不是有效日期."""
    text = _first_sentence(problem, lang)
    header = _header(rec, problem, lang)
    if not header or header.casefold() in text.casefold():
        return text
    if text.startswith(("“", '"')):
        return f"{header}{text}" if lang == "zh" else f"{header} {text}"
    return f"{header}：{text}" if lang == "zh" else f"{header}: {text}"


def _first_sentence(problem: Problem, lang: str) -> str:
    template = problem.type.template(lang)
    head, end, _advice = template.partition(_SENTENCE_END[lang])
    if not end:
        return problem.text(lang).rstrip("。.")
    return _Sentence(problem, head).text(lang)


class _Sentence(Problem):
    """A problem whose message is only `head` (its template's first sentence), formatted by
    Problem.text itself so the fields stay the catalogue's."""

    def __init__(self, problem: Problem, head: str):
        super().__init__(**{f.name: getattr(problem, f.name) for f in fields(Problem)})
        self._head = replace(problem.type, zh=head, en=head)

    @property
    def type(self) -> ProblemType:
        return self._head


def _header(rec: Record, problem: Problem, lang: str) -> str | None:
    label = problem.params.get("column")
    if isinstance(label, dict):
        return label.get(lang) or label.get("zh")
    if problem.column and problem.column in rec.kind.by_key:
        return rec.kind.column(problem.column).header(lang)
    return None
