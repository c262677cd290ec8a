"""The baseline report: a period duban did not see whole (it began, or ended, before duban's first check).

Such a period's flows (done, new, response times) cannot be known: a report made as usual would
say "0 done" although work was done, and average the ages of the few rows whose start duban
knows. So it is not mailed as if it were real. Its mail and archive are marked as the baseline:
from when duban watches (its first check, the journal's earliest sight of a row) and what is open
now; its figures are not stored, and the trend starts with the first period duban saw whole.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from duban.jobs.settings.typed import Rules, Settings
from duban.jobs.summary.figures import Figures
from duban.jobs.summary.period import Period, following
from duban.jobs.summary.view import DASH, TEXT as VIEW, departments_table, scope_title, scope_view, tiles

TEXT = {
    "zh": {
        "week": "周报", "month": "月度复盘", "unit_week": "周", "unit_month": "个月",
        "heading": "{heading} · 基线", "group_note": "本期为基线：督办自 {since} 开始跟踪，没有看到这{unit}的全部，完成、新建等数字无从统计；"
                                                   "下面是现在（{as_of}）的状态，正式统计从 {first_start} 起。",
        "title_week": "{scope}周报 {start} – {end}", "title_month": "{scope}{month}月度复盘",
        "subject": "【督办】{title}（基线）：督办自 {since} 开始跟踪，现有未完成{open}项，逾期{overdue}项，阻塞{blocked}项",
        "intro": "督办自 {since} 开始跟踪工作簿。{what}（{start} 至 {end}）开始于此之前，督办没有看到它的全部，"
                 "完成、新建和响应时效无从统计，所以本期只作为基线：下面是现在（{as_of}）的未完成事项。"
                 "从督办完整看到的第一{unit}（{first_start} 至 {first_end}）起正式统计，趋势也从那{unit}开始。",
        "what_week": "这一周", "what_month": "{month}",
        "stock": "未完成、逾期、阻塞、未按时更新、未确认的需求：截至 {as_of}（生成报表时）的状态。",
        "requests": "现有未确认接收的需求 {n} 项，最久已等待 {oldest}", "requests_none": "没有未确认接收的需求",
        "meetings": "会议行动项未完成 {n} 项", "times": "现在等待中",
        "trend": "趋势从督办完整看到的第一{unit}（{first_start} 至 {first_end}）开始。",
        "archive_title": "{title}（基线：督办自 {since} 开始跟踪）",
        "archive_note": "本期开始于督办首次检查（{since}）之前，督办没有看到它的全部：完成、新建、响应时效等本期数字无从统计，留空；"
                        "未完成、逾期、阻塞、未更新和未确认的需求为生成报表时（{as_of}）的状态。正式统计和趋势从 {first_start} 开始的那一期起。",
    },
    "en": {
        "week": "weekly report", "month": "monthly review", "unit_week": "week", "unit_month": "month",
        "heading": "{heading} · baseline", "group_note": "This period is the baseline: duban has watched since {since} and did "
                                                          "not see all of this {unit}, so what was done or created in it cannot "
                                                          "be counted; below is the state now ({as_of}); counting starts {first_start}.",
        "title_week": "{scope} weekly report {start} – {end}",
        "title_month": "{scope} monthly review {month}",
        "subject": "[duban] {title} (baseline): duban watches since {since}; {open} open, {overdue} overdue, {blocked} blocked now",
        "intro": "duban has watched the workbooks since {since}. {what} ({start} to {end}) began before that, so duban did "
                 "not see all of it: what was done, created and answered in it cannot be counted, and this report is "
                 "only the baseline — what is open now ({as_of}). Counting starts with the first {unit} duban sees whole "
                 "({first_start} to {first_end}), and so does the trend.",
        "what_week": "The week", "what_month": "{month}",
        "stock": "Open, overdue, blocked, not updated, requests not acknowledged: as at {as_of} (when the report was made).",
        "requests": "{n} not acknowledged now, the oldest waiting {oldest}", "requests_none": "none waiting for acknowledgement",
        "meetings": "meeting actions open: {n}", "times": "Waiting now",
        "trend": "The trend starts with the first {unit} duban sees whole ({first_start} to {first_end}).",
        "archive_title": "{title} (baseline: duban watches since {since})",
        "archive_note": "This period began before duban's first check ({since}), so duban did not see all of it: its "
                        "flows (done, new, response times) cannot be counted and are left blank; open, overdue, blocked, "
                        "not updated and requests not acknowledged are as at {as_of}, when the report was made. Counting "
                        "and the trend start with the period beginning {first_start}.",
    },
}
# the figures a baseline shows: what stands now, none of the period's flows
STOCK = ("open", "overdue", "blocked", "stale", "due_next", "requests_unacked", "ack_oldest_open_hours",
         "meeting_action_open", "avg_open_age_days", "open_age_unknown")


def watched_since(starts: dict[str, str], now: datetime) -> datetime:
    """duban's first check: the journal's earliest first sight of a row (`Journal.lifetimes`'s
    starts); `now` when the journal has none (no check has run: duban starts watching now)."""
    return min((datetime.fromisoformat(s) for s in starts.values()), default=now)


def is_baseline(period: Period, watched: datetime) -> bool:
    """A period that began (or ended) before duban's first check: duban did not see it whole."""
    return period.start < watched


def first_whole(period: Period, watched: datetime, calendar, thresholds: Rules) -> Period:
    """The first period of `period`'s kind that duban sees whole (starts at or after `watched`)."""
    while period.start < watched:
        period = following(period, calendar, thresholds)
    return period


def _stamp(moment: datetime, tz) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def _span(period: Period, lang: str) -> tuple[str, str]:
    tz = period.start.tzinfo
    if period.kind == "week":
        return _stamp(period.start, tz), _stamp(period.end, tz)
    return f"{period.start:%Y-%m-%d}", f"{period.end_day:%Y-%m-%d}"


def _month(period: Period, lang: str) -> str:
    return f"{period.start:%Y年%m月}" if lang == "zh" else f"{period.start:%B %Y}"


def baseline_view(stock: Figures, period: Period, watched: datetime, first: Period, scope: str, name: str, lang: str,
                  folder: Path, archive: Path | None, recipient: str, now: datetime, settings: Settings) -> dict:
    """The baseline mail's view: `stock` holds the figures as at now (see module doc)."""
    t, v = TEXT[lang], VIEW[lang]
    tz = period.start.tzinfo
    view = scope_view(stock, scope, name, {}, None, lang, folder, archive, recipient, now, settings, 0)
    d = stock.scope(scope, name)
    title = scope_title(scope, name, lang)
    since, as_of = _stamp(watched, tz), _stamp(now, tz)
    start, end = _span(period, lang)
    first_start, first_end = _span(first, lang)
    unit = t["unit_" + period.kind]
    what = t["what_week"] if period.kind == "week" else t["what_month"].format(month=_month(period, lang))
    month = _month(period, lang)
    week = period.kind == "week"
    heading = (v["heading_week"].format(scope=title, end=period.end_day.isoformat()) if week
               else v["heading_month"].format(scope=title, month=month))
    named = (t["title_week"].format(scope=title, start=f"{period.start:%m-%d}", end=f"{period.end_day:%m-%d}") if week
             else t["title_month"].format(scope=title, month=month))
    view.update(
        baseline=True, heading=t["heading"].format(heading=heading), plain_heading=heading,
        group_note=t["group_note"].format(since=since, unit=unit, as_of=as_of, first_start=first_start),
        subject=t["subject"].format(title=named, since=since, open=d["open"], overdue=d["overdue"], blocked=d["blocked"]),
        intro=t["intro"].format(since=since, what=what, start=start, end=end, as_of=as_of, unit=unit,
                                first_start=first_start, first_end=first_end),
        stock_note=t["stock"].format(as_of=as_of), tiles=tiles(d, v, True)[1:], monthly=None, chart=None,
        chart_later=t["trend"].format(unit=unit, first_start=first_start, first_end=first_end),
        times_title=t["times"], times=_times(d, t, v), departments=_flows_blank(departments_table(stock, v)) if scope == "company" else [],
        notes=[v["note_age"].format(n=d["open_age_unknown"])] if d.get("open_age_unknown") else [])
    if d.get("requests_unacked"):
        view["subject"] += v["subject_unacked"].format(n=d["requests_unacked"])
    return view


def _times(d: dict, t: dict, v: dict) -> list[dict]:
    """Requests waiting and meeting actions open now: a baseline has no response times."""
    waiting = d.get("requests_unacked") or 0
    requests = (t["requests"].format(n=waiting, oldest=_hours(d.get("ack_oldest_open_hours"), v)) if waiting
                else t["requests_none"])
    return [{"label": v["requests"], "text": requests},
            {"label": v["meetings"], "text": t["meetings"].format(n=d["meeting_action_open"])}]


def _hours(value, v: dict) -> str:
    return DASH if value is None else v["hours"].format(n=f"{value:g}")


def _flows_blank(rows: list[list[str]]) -> list[list[str]]:
    """The departments table with done and on-time rate (the period's flows) as dashes."""
    return [[r[0], DASH, DASH, *r[3:]] for r in rows]


def archive_texts(period: Period, watched: datetime, first: Period, now: datetime, lang: str) -> dict:
    """The archive's baseline title form and note (archive.write_archive)."""
    t = TEXT[lang]
    tz = period.start.tzinfo
    first_start, _ = _span(first, lang)
    return {"period": period, "title": t["archive_title"], "since": _stamp(watched, tz),
            "note": t["archive_note"].format(since=_stamp(watched, tz), as_of=_stamp(now, tz), first_start=first_start),
            "trend": t["trend"].format(unit=t["unit_" + period.kind], first_start=first_start,
                                       first_end=_span(first, lang)[1])}
