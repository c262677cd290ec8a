"""One report as its reader sees it: figures turned into labelled, formatted text in their language.

The mailer's summary templates lay this view out (mailer/templates/summary.*.j2); nothing in
the view needs jobs to be read, so the mailer stays independent of the jobs package.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from duban.mailer.share import Share

from duban.jobs.summary.figures import TOP_OVERDUE, Figures
from duban.jobs.summary.period import Period
from duban.jobs.summary.waiting import waiting_on

DASH = "—"

TEXT = {
    "zh": {
        "brand": "督办", "hello": "{name}，您好：", "company": "全公司", "company_in_text": "全公司", "no_dept": "未指定部门",
        "week": "周报", "month": "月度复盘",
        "heading_week": "{scope} 周报 · {end}", "heading_month": "{scope} 月度复盘 · {month}",
        "subject_week": "【督办】{scope}周报 {start} – {end}：完成{completed}项，逾期{overdue}项，阻塞{blocked}项",
        "subject_month": "【督办】{scope}{month}月度复盘：按时完成率{rate}，会议{meetings}次",
        "intro_week": "这是{scope}本周（{start} 至 {end}）的工作周报。",
        "intro_month": "这是{scope}{month}的月度复盘：按时完成率、平均响应时长和会议次数与上月对比。",
        "intro_month_alone": "这是{scope}{month}的月度复盘：按时完成率、平均响应时长和会议次数。",
        "subject_unacked": "，未确认需求{n}项",
        "stock_week": "未完成、逾期、阻塞、下周到期：截至 {end}（本周结束时）的状态；未按时更新：截至 {as_of}（生成报表时）的状态。",
        "stock_month": "未完成、逾期、阻塞、下月到期：截至 {end}（本月结束时）的状态；未按时更新：截至 {as_of}（生成报表时）的状态。",
        "list_as_of": "截至 {end} 的状态", "blocked_as_of": "截至 {end} 的状态；需协助部门为现在填写的内容",
        "open_sub_unknown": "未完成天数未知（见说明）", "chart_later": "趋势图在有两期数据后显示。",
        "open_sub_part": "平均未完成 {age}（{known}/{open} 项可算）",
        "chart_first_week": "这是督办完整看到的第一周（督办自 {since} 开始跟踪），趋势从这一周算起：下周的周报起显示趋势图。",
        "chart_first_month": "这是督办完整看到的第一个月（督办自 {since} 开始跟踪），趋势从这个月算起：下月的复盘起显示趋势图。",
        "no_compare": "上月督办没有完整看到（督办自 {since} 开始跟踪），没有可对比的数字。",
        "note_age": "未完成平均天数从各行自己的开始时间算到期末（需求：提交时间；紧急事务：发生时间；会议行动项：会议时间；任务和项目没有创建日期，按督办首次看到的时间）。{n} 项在督办首次检查该工作簿时已存在，开始时间未知，未计入平均。",
        "note_pre": "有 {n} 项在督办首次检查（本期结束之后）时已存在：它们在期末是否完成、是否阻塞，按首次检查时的状态计。",
        "completed": "本周完成", "completed_month": "本月完成", "on_time_sub": "按时 {on} · 逾期完成 {late}",
        "rate": "按时完成率", "rate_sub": "完成于截止日期当天或之前", "created": "本周新建", "created_month": "本月新建",
        "due_next": "下周到期", "due_next_month": "下月到期", "open": "未完成", "open_sub": "平均未完成 {age}",
        "overdue": "逾期", "blocked": "阻塞", "stale": "未按时更新", "stale_sub": "每周更新截止前未更新", "no_data": "暂无",
        "times": "响应时效", "requests": "跨部门需求", "incidents": "紧急事务", "meetings": "会议",
        "requests_count": "{when}提交 {submitted} 项，确认接收 {acked} 项", "requests_avg": "确认接收平均 {avg}{open_in_avg}",
        "requests_within": "{limit}工作小时内确认 {within}", "requests_plans": "{plan_limit}小时内反馈初步方案 {plans}",
        "sep": "；",
        "requests_open": "截至期末仍未确认 {n} 项，最久已等待 {oldest}",
        "open_in_avg": "（含未确认的{n}项，按已等待时间计（至少））", "at_least": "至少 {v}",
        "unacked_list": "未确认接收的需求（共{n}项）", "unacked_as_of": "截至 {end} 仍未确认接收；已等待按工作小时计",
        "submitted": "提交时间", "waited": "已等待", "this_week": "本周", "this_month_short": "本月",
        "incidents_text": "{n} 起；响应中位数 {median}，最慢 {slowest}；{limit}分钟内响应 {within}；处理报告逾期 {late} 起",
        "meetings_text": "召开 {held} 次，纪要迟发 {late} 次；会议行动项未完成 {open} 项",
        "none_week": "本周没有", "none_month": "本月没有", "share": "{part}/{whole}（{pct}）",
        "hours": "{n} 工作小时", "minutes": "{n} 分钟", "days": "{n} 天",
        "top_overdue": "逾期最久的事项（前{n}项，共{total}项）", "blocked_list": "阻塞事项（共{n}项）",
        "id": "编号", "item": "事项", "owner": "负责人", "due": "截止日期", "late": "逾期天数", "where": "位置",
        "help_from": "需协助部门", "department": "部门", "days_late": "{n}天", "hours_late": "{n}小时", "minutes_late": "{n}分钟", "row": "第{row}行",
        "by_dept": "各部门情况", "dept_cols": ["部门", "完成", "按时率", "未完成", "逾期", "阻塞", "未更新"],
        "metric": "指标", "this_month": "本月", "last_month": "上月", "change": "变化",
        "m_rate": "任务按时完成率", "m_completed": "完成事项", "m_ack": "平均响应时长（需求确认）",
        "m_incident": "紧急事务响应中位数", "m_meetings": "跨部门会议次数", "m_created": "新建事项",
        "chart_week": "近{n}周趋势", "chart_month": "近{n}个月趋势",
        "s_created": "新建", "s_completed": "完成", "s_open": "期末未完成", "s_overdue": "期末逾期",
        "s_rate": "按时完成率",
        "chart_alt": "趋势图：近{n}期新建与完成数量、未完成与逾期数量",
        "note_done_first": "有 {n} 项在督办首次读取时已是完成状态，完成时间未知，未计入完成数。",
        "note_trend": "趋势中没有“期末未完成/期末逾期”数值的周，督办那一周还没有生成周报，这两项无法事后推算。",
        "note_completion": "完成时间为督办检查时首次看到“已完成”的时间。",
        "archive": "完整报表（总览图表、各部门明细、事项清单）已归档到共享盘：{path}",
        "footer": "此邮件由督办助手根据共享盘中的跟进表自动生成。数字有出入时，请以工作簿为准并及时更新状态和反馈时间。",
        "change_pp": "{sign}{n}个百分点",
    },
    "en": {
        "brand": "duban", "hello": "Dear {name},", "company": "Company", "company_in_text": "the whole company",
        "no_dept": "No department",
        "week": "weekly report", "month": "monthly review",
        "heading_week": "{scope} weekly report · {end}", "heading_month": "{scope} monthly review · {month}",
        "subject_week": "[duban] {scope} weekly report {start} – {end}: {completed} done, {overdue} overdue, {blocked} blocked",
        "subject_month": "[duban] {scope} monthly review {month}: on-time rate {rate}, meetings held: {meetings}",
        "intro_week": "This is the weekly report for {scope}, {start} to {end}.",
        "intro_month": "This is the monthly review of {month} for {scope}: on-time completion, average response time and meetings, against the month before.",
        "intro_month_alone": "This is the monthly review of {month} for {scope}: on-time completion, average response time and meetings.",
        "subject_unacked": ", requests not acknowledged: {n}",
        "stock_week": "Open, overdue, blocked, due next week: as at {end} (the week's end); not updated: as at {as_of} (when the report was made).",
        "stock_month": "Open, overdue, blocked, due next month: as at {end} (the month's end); not updated: as at {as_of} (when the report was made).",
        "list_as_of": "as at {end}", "blocked_as_of": "as at {end}; the help-needed department as filled in now",
        "open_sub_unknown": "age unknown (see notes)", "chart_later": "The trend chart is shown once there are two periods of figures.",
        "open_sub_part": "open {age} on average ({known} of {open} known)",
        "chart_first_week": "This is the first week duban saw whole (it watches since {since}): the trend starts here, and its chart comes with next week's report.",
        "chart_first_month": "This is the first month duban saw whole (it watches since {since}): the trend starts here, and its chart comes with next month's review.",
        "no_compare": "duban did not see last month whole (it watches since {since}): there is nothing to compare with yet.",
        "note_age": "Average age counts from each row's own start to the period's end (requests: submitted; incidents: occurred; meeting actions: the meeting; tasks and projects have no creation date: when duban first saw them). Items already there at duban's first check of their workbook ({n}) have no known start and are left out of the average.",
        "note_pre": "Items already there when duban first checked their workbook, after the period's end ({n}): whether they were done or blocked at the end is taken from that first check.",
        "completed": "Done this week", "completed_month": "Done this month", "on_time_sub": "{on} on time · {late} late",
        "rate": "On-time rate", "rate_sub": "done on or before the due date", "created": "New this week",
        "created_month": "New this month",
        "due_next": "Due next week", "due_next_month": "Due next month", "open": "Open", "open_sub": "open {age} on average",
        "overdue": "Overdue", "blocked": "Blocked", "stale": "Not updated", "stale_sub": "not updated by the weekly deadline", "no_data": "n/a",
        "times": "Response times", "requests": "Requests", "incidents": "Incidents", "meetings": "Meetings",
        "requests_count": "{submitted} submitted {when}, {acked} acknowledged",
        "requests_avg": "acknowledged in {avg} on average{open_in_avg}",
        "requests_within": "within {limit} working hours {within}", "requests_plans": "first plan within {plan_limit} h {plans}",
        "sep": "; ",
        "requests_open": "{n} still unacknowledged at the end, the oldest waiting {oldest}",
        "open_in_avg": " (including {n} still unacknowledged, counted at their wait so far, so at least this)",
        "open_in_avg_one": " (including 1 still unacknowledged, counted at its wait so far, so at least this)",
        "at_least": "at least {v}",
        "unacked_list": "Requests not acknowledged ({n})", "unacked_as_of": "still unacknowledged at {end}; waits in working hours",
        "submitted": "Submitted", "waited": "Waiting", "this_week": "this week", "this_month_short": "this month",
        "incidents_text": "{n}; median response {median}, slowest {slowest}; answered within {limit} minutes {within}; reports late: {late}",
        "meetings_text": "held: {held}, minutes late: {late}; meeting actions open: {open}",
        "none_week": "none this week", "none_month": "none this month", "share": "{part}/{whole} ({pct})",
        "hours": "{n} working h", "minutes": "{n} min", "days": "{n} d",
        "top_overdue": "Longest overdue ({n} of {total})", "blocked_list": "Blocked ({n})",
        "id": "ID", "item": "Item", "owner": "Owner", "due": "Due", "late": "Days late", "where": "Where",
        "help_from": "Help needed from", "department": "Department", "days_late": "{n} d", "hours_late": "{n} h", "minutes_late": "{n} min", "row": "row {row}",
        "by_dept": "By department", "dept_cols": ["Department", "Done", "On time", "Open", "Overdue", "Blocked", "Not updated"],
        "metric": "Metric", "this_month": "This month", "last_month": "Last month", "change": "Change",
        "m_rate": "On-time completion rate", "m_completed": "Items done", "m_ack": "Average response time (requests)",
        "m_incident": "Median incident response", "m_meetings": "Coordination meetings held", "m_created": "Items created",
        "chart_week": "Last {n} weeks", "chart_month": "Last {n} months",
        "s_created": "New", "s_completed": "Done", "s_open": "Open at week end", "s_overdue": "Overdue at week end",
        "s_rate": "On-time rate",
        "chart_alt": "Trend chart: items created and done, open and overdue, over the last {n} periods",
        "note_done_first": "Items already done when duban first read them ({n}): their completion time is unknown, so they are not counted as done.",
        "note_trend": "Weeks without open/overdue points are weeks for which duban had not yet stored a report (those two cannot be worked out afterwards).",
        "note_completion": "An item's completion time is when a check first saw it done.",
        "archive": "The full report (overview charts, each department, the item lists) is archived on the shared drive: {path}",
        "footer": "Generated by duban from the tracking workbooks on the shared drive. Where a number looks wrong, the workbook is right: keep statuses and last-update dates current.",
        "change_pp": "{sign}{n} pp",
    },
}


def scope_title(scope: str, name: str, lang: str) -> str:
    t = TEXT[lang]
    if scope == "company":
        return t["company"]
    return name or t["no_dept"]


def _pct(value, missing: str = DASH) -> str:
    return missing if value is None else f"{value * 100:.0f}%"


def _share(t, part: int, whole: int) -> str:
    return DASH if not whole else t["share"].format(part=part, whole=whole, pct=_pct(part / whole))


def _num(value, unit: str, t) -> str:
    return DASH if value is None else t[unit].format(n=f"{value:g}")


def _local(moment: datetime, tz) -> datetime:
    return moment.astimezone(tz)


def scope_view(figures: Figures, scope: str, name: str, trend: dict, previous: Period | None, lang: str,
               folder: Path, archive: Path | None, recipient: str, now: datetime, settings: dict,
               chart_points: int, watched: datetime | None = None) -> dict:
    """Everything one mail shows, as text (see module doc). `watched`: duban's first check; with it,
    a report without a chart or a month to compare with says that duban started then."""
    t = TEXT[lang]
    period = figures.period
    d = figures.scope(scope, name)
    tz = period.start.tzinfo
    week = period.kind == "week"
    title = scope_title(scope, name, lang)
    in_text = t["company_in_text"] if scope == "company" else title     # "for the whole company", not "of Company"
    start = f"{_local(period.start, tz):%m-%d %H:%M}" if week else ""
    end = f"{_local(period.end, tz):%m-%d %H:%M}" if week else ""
    month = (f"{period.start:%Y年%m月}" if lang == "zh" else f"{period.start:%B %Y}")
    as_of = f"{now.astimezone(tz):%Y-%m-%d %H:%M}"
    end_at = f"{_local(period.end, tz):%Y-%m-%d %H:%M}"
    points = trend.get((scope, name), [])[-chart_points:]
    chart = _chart(points, t, week, title, lang)
    since = None if watched is None else f"{_local(watched, tz):%Y-%m-%d %H:%M}"
    chart_later = t["chart_later"] if since is None else t["chart_first_" + period.kind].format(since=since)
    view = {
        "lang": lang, "kind": period.kind, "brand": t["brand"], "hello": t["hello"].format(name=recipient),
        "today": now.date().isoformat(), "footer": t["footer"],
        "heading": (t["heading_week"].format(scope=title, end=period.end_day.isoformat()) if week
                    else t["heading_month"].format(scope=title, month=month)),
        "intro": (t["intro_week"].format(scope=in_text, start=start, end=end) if week
                  else t["intro_month"].format(scope=in_text, month=month)),
        "stock_note": t["stock_week" if week else "stock_month"].format(end=end_at, as_of=as_of),
        "subject": (t["subject_week"].format(scope=title, start=f"{period.start:%m-%d}", end=f"{period.end_day:%m-%d}",
                                             completed=d["completed"], overdue=d["overdue"], blocked=d["blocked"])
                    if week else t["subject_month"].format(scope=title, month=month, rate=_pct(d["on_time_rate"], t["no_data"]),
                                                           meetings=d["meetings_held"])),
        "items": d["open"] or 0,
        "tiles": _tiles(d, t, week), "times_title": t["times"], "times": _times(d, t, week, settings["rules"]),
        "chart_title": (t["chart_week"] if week else t["chart_month"]).format(n=len(points)),
        "chart_alt": t["chart_alt"].format(n=len(points)),
        "chart": chart, "chart_later": None if chart is not None else chart_later,
        "monthly": _monthly(d, trend, scope, name, previous, t) if not week else None,
        "labels": {k: t[k] for k in ("metric", "this_month", "last_month", "change", "id", "item", "owner", "due",
                                     "late", "where", "help_from", "department", "by_dept", "submitted", "waited")},
        "dept_cols": t["dept_cols"],
        "departments": _departments(figures, t) if scope == "company" else [],
        "notes": [], "archive": None, "archive_url": "",
    }
    lists = figures.lists(scope, name)
    view["overdue_title"] = t["top_overdue"].format(n=len(lists["overdue"]), total=lists["overdue_total"])
    view["overdue"] = [_row(r, t) for r in lists["overdue"]]
    view["overdue_as_of"] = t["list_as_of"].format(end=end_at)
    view["blocked_title"] = t["blocked_list"].format(n=len(lists["blocked"]))
    view["blocked_as_of"] = t["blocked_as_of"].format(end=end_at)
    view["blocked"] = [_row(r, t) for r in lists["blocked"][:20]]
    asked = waiting_on(figures, name, lang, end_at) if scope == "department" else None    # issue 17 §4
    view["waited_on"] = {**asked, "rows": [_row(r, t) for r in asked["rows"]]} if asked else None
    view["unacked_title"] = t["unacked_list"].format(n=len(lists["unacked"]))
    view["unacked_as_of"] = t["unacked_as_of"].format(end=end_at)
    view["unacked"] = [_waiting(r, t) for r in lists["unacked"][:TOP_OVERDUE]]
    if d.get("done_when_first_seen"):
        view["notes"].append(t["note_done_first"].format(n=d["done_when_first_seen"]))
    if d.get("pre_duban"):
        view["notes"].append(t["note_pre"].format(n=d["pre_duban"]))
    if d.get("open_age_unknown"):
        view["notes"].append(t["note_age"].format(n=d["open_age_unknown"]))
    if week and any(f is None or f.get("open") is None for _p, f in points[:-1]):
        view["notes"].append(t["note_trend"])
    view["monthly_compare"] = bool(view["monthly"]) and any(m["prev"] != DASH for m in view["monthly"])
    if view["monthly"] and not view["monthly_compare"]:
        view["intro"] = t["intro_month_alone"].format(scope=in_text, month=month)
        if since is not None:
            view["notes"].insert(0, t["no_compare"].format(since=since))
    if d.get("requests_unacked"):      # the subject, too, shows requests left waiting
        view["subject"] += t["subject_unacked"].format(n=d["requests_unacked"])
    view["notes"].append(t["note_completion"])
    if archive is not None:       # a file:// link, as the digests give for workbooks (mail.share_path)
        share = Share.of(settings["mail"].get("share_path"), folder)
        try:
            rel = archive.absolute().relative_to(Path(folder).absolute()).as_posix()
            view["archive_path"], view["archive_url"] = share.path(rel), share.url(rel)
        except ValueError:
            view["archive_path"], view["archive_url"] = str(archive.absolute()), archive.absolute().as_uri()
        view["archive"] = t["archive"].format(path=view["archive_path"])
        view["archive_lead"] = t["archive"].format(path="").rstrip()
    return view


def _tiles(d: dict, t: dict, week: bool) -> list[list[dict]]:
    suffix = "" if week else "_month"
    first = [
        {"label": t["completed" + suffix], "value": d["completed"],
         "sub": t["on_time_sub"].format(on=d["completed_on_time"], late=d["completed_late"]), "fill": "C6EFCE", "font": "006100"},
        {"label": t["rate"], "value": _pct(d["on_time_rate"]), "sub": t["rate_sub"], "fill": "DDEBF7", "font": "1F4E79"},
        {"label": t["created" + suffix], "value": d["created"], "sub": "", "fill": "F2F2F2", "font": "1F1F1F"},
        {"label": t["due_next" + suffix], "value": d["due_next"], "sub": "", "fill": "FFEB9C", "font": "9C5700"},
    ]
    if d["avg_open_age_days"] is None and d.get("open_age_unknown"):
        open_sub = t["open_sub_unknown"]
    elif d.get("open_age_unknown"):         # an average of the few whose start is known says so
        open_sub = t["open_sub_part"].format(age=_num(d["avg_open_age_days"], "days", t),
                                             known=d["open"] - d["open_age_unknown"], open=d["open"])
    else:
        open_sub = t["open_sub"].format(age=_num(d["avg_open_age_days"], "days", t))
    second = [
        {"label": t["open"], "value": d["open"], "sub": open_sub, "fill": "F2F2F2", "font": "1F1F1F"},
        {"label": t["overdue"], "value": d["overdue"], "sub": "", "fill": "FFC7CE", "font": "9C0006"},
        {"label": t["blocked"], "value": d["blocked"], "sub": "", "fill": "F8CBAD", "font": "833C0B"},
        {"label": t["stale"], "value": d["stale"], "sub": t["stale_sub"], "fill": "D9D9D9", "font": "3A3A3A"},
    ]
    return [first, second]


def _times(d: dict, t: dict, week: bool, rules: dict) -> list[dict]:
    none = t["none_week" if week else "none_month"]
    rows = [{"label": t["requests"], "text": _requests(d, t, week, rules) or none}]
    if d["incidents"]:
        text = t["incidents_text"].format(n=d["incidents"], median=_num(d["incident_response_median_minutes"], "minutes", t),
                                          slowest=_num(d["incident_response_max_minutes"], "minutes", t),
                                          limit=f"{rules['incident_response_minutes']:g}",
                                          within=_share(t, d["incident_within"], d["incidents"]),
                                          late=d["incident_reports_late"])
    else:
        text = none
    rows.append({"label": t["incidents"], "text": text})
    rows.append({"label": t["meetings"], "text": t["meetings_text"].format(
        held=d["meetings_held"], late=d["minutes_late"], open=d["meeting_action_open"])})
    return rows


def _open_in_avg(t: dict, n: int) -> str:
    """What the average includes: the `n` requests still waiting, at their wait so far ("" for none)."""
    if not n:
        return ""
    return t.get("open_in_avg_one", t["open_in_avg"]).format(n=n) if n == 1 else t["open_in_avg"].format(n=n)


def _requests(d: dict, t: dict, week: bool, rules: dict) -> str:
    """The requests' line: submitted and acknowledged in the period, those still waiting at its end
    (how many, the longest wait), the average with the waiting ones at their wait so far (and
    saying so), the share in time of those decided, first plans. Empty when there were none."""
    open_ = d.get("requests_unacked") or 0
    submitted = d.get("requests_submitted") or 0
    missed = d.get("first_plan_missed") or 0
    if not (d["requests_acked"] or d["first_plans"] or open_ or submitted or missed):
        return ""
    parts = [t["requests_count"].format(when=t["this_week" if week else "this_month_short"], submitted=submitted,
                                        acked=d["requests_acked"])]
    if open_:
        parts.append(t["requests_open"].format(n=open_, oldest=_num(d.get("ack_oldest_open_hours"), "hours", t)))
    parts.append(t["requests_avg"].format(avg=_num(d["ack_avg_working_hours"], "hours", t),
                                          open_in_avg=_open_in_avg(t, open_)))
    decided = d["requests_acked"] + (d.get("requests_unacked_late") or 0)
    parts.append(t["requests_within"].format(limit=f"{rules['ack_working_hours']:g}",
                                             within=_share(t, d["ack_within"], decided)))
    parts.append(t["requests_plans"].format(plan_limit=f"{rules['first_plan_hours']:g}",
                                            plans=_share(t, d["first_plan_within"], d["first_plans"] + missed)))
    return t["sep"].join(parts)


def _waiting(r: dict, t: dict) -> dict:
    """A request still unacknowledged at the period's end, for the list under the figures."""
    submitted = r["submitted"]
    return {**_row(r, t), "submitted": submitted.strftime("%Y-%m-%d %H:%M") if submitted else "",
            "waited": _num(r["waited_hours"], "hours", t)}


def _row(r: dict, t: dict) -> dict:
    due = r["due"]
    due_text = due.strftime("%Y-%m-%d %H:%M") if isinstance(due, datetime) else (due.isoformat() if due else "")
    return {"id": r["id"], "title": r["title"], "project": r["project"], "owner": r["owner"], "due": due_text,
            "late": _late_text(r, t),
            "help_from": r["help_from"] or DASH, "help_needed": bool(r["help_from"]),
            "department": r["department"] or t["no_dept"],
            "where": f"{r['workbook']} · {t['row'].format(row=r['row'])}"}


def _departments(figures: Figures, t: dict) -> list[list[str]]:
    rows = []
    for name, d in sorted(figures.departments.items(), key=lambda x: (x[0] == "", -x[1]["overdue"], x[0])):
        rows.append([name or t["no_dept"], str(d["completed"]), _pct(d["on_time_rate"]), str(d["open"]),
                     str(d["overdue"]), str(d["blocked"]), str(d["stale"])])
    return rows


def _monthly(d: dict, trend: dict, scope: str, name: str, previous: Period | None, t: dict) -> list[dict]:
    points = trend.get((scope, name), [])
    prev = points[-2][1] if len(points) >= 2 else None
    prev = prev or {}

    def change(now_v, prev_v, kind):
        if now_v is None or prev_v is None:
            return ""
        diff = now_v - prev_v
        if kind == "rate":
            n = round(diff * 100)
            return t["change_pp"].format(sign="+" if n > 0 else "", n=n) if n else "±0"
        diff = round(diff, 1)
        return f"{'+' if diff > 0 else ''}{diff:g}" if diff else "±0"

    def ack(figures):      # a lower bound while requests were still waiting at the period's end
        return lambda v: (t["at_least"] if (figures.get("requests_unacked") or 0) else "{v}").format(
            v=_num(v, "hours", t))

    rows = [("m_rate", "on_time_rate", _pct, "rate"), ("m_completed", "completed", str, "n"),
            ("m_ack", "ack_avg_working_hours", (ack(d), ack(prev)), "n"),
            ("m_incident", "incident_response_median_minutes", lambda v: _num(v, "minutes", t), "n"),
            ("m_meetings", "meetings_held", str, "n"), ("m_created", "created", str, "n")]
    out = []
    for label, key, show, kind in rows:
        now_v, prev_v = d.get(key), prev.get(key)
        show_now, show_prev = show if isinstance(show, tuple) else (show, show)
        out.append({"label": t[label], "this": DASH if now_v is None else show_now(now_v),
                    "prev": DASH if prev_v is None else show_prev(prev_v), "change": change(now_v, prev_v, kind)})
    return out


def _chart(points: list, t: dict, week: bool, title: str, lang: str) -> dict | None:
    """The trend chart's data; None with fewer than two periods of figures (one point is no trend).
    A line with a single value is left out (a lone dot); the tiles show this period's."""
    if sum(f is not None for _p, f in points) < 2:
        return None
    labels = [f"{p.end_day:%m-%d}" if week else f"{p.start:%Y-%m}" for p, _f in points]

    def series(key):
        return [None if f is None else f.get(key) for _p, f in points]

    def drawn(lines):
        return [line for line in lines if sum(v is not None for v in line[-1]) >= 2]

    chart_title = f"{title} · " + (t["chart_week"] if week else t["chart_month"]).format(n=len(points))
    bars = [("created", t["s_created"], series("created")), ("completed", t["s_completed"], series("completed"))]
    if week:
        return {"labels": labels, "title": chart_title, "bars": bars,
                "lines": drawn([("open", t["s_open"], series("open")), ("overdue", t["s_overdue"], series("overdue"))])}
    rate = (t["s_rate"], series("on_time_rate"))
    return {"labels": labels, "title": chart_title, "bars": bars, "lines": [],
            "rate": rate if drawn([rate]) else None}


def _late_text(r: dict, t: dict) -> str:
    """How late a listed item is: days, or hours (minutes in the first hour) for a due time of day
    passed less than a day ago, as the Alerts say it (逾期11小时)."""
    minutes = r.get("minutes_late")
    if minutes is not None:
        return t["hours_late"].format(n=minutes // 60) if minutes >= 60 else t["minutes_late"].format(n=minutes)
    return t["days_late"].format(n=r["days_late"]) if r["days_late"] and r["days_late"] > 0 else ""
