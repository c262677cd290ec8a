"""One report as its reader sees it: figures turned into labelled, formatted text in their language.

The mailer's summary templates lay this view out (mailer/templates/summary.*.j2); nothing in
the view needs jobs to be read, so the mailer stays independent of the jobs package.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from duban.jobs.settings.typed import Settings
from duban.jobs.summary.figures import TOP_OVERDUE, Figures
from duban.jobs.summary.period import Period
from duban.jobs.summary.viewtext import TEXT
from duban.jobs.summary.waiting import waiting_on
from duban.mailer.share import Share
from duban.workbooks.model.flags import FLAGS

DASH = "—"



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
               folder: Path, archive: Path | None, recipient: str, now: datetime, settings: Settings,
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
        "tiles": tiles(d, t, week), "times_title": t["times"], "times": _times(d, t, week, settings.rules),
        "chart_title": (t["chart_week"] if week else t["chart_month"]).format(n=len(points)),
        "chart_alt": t["chart_alt"].format(n=len(points)),
        "chart": chart, "chart_later": None if chart is not None else chart_later,
        "monthly": _monthly(d, trend, scope, name, previous, t) if not week else None,
        "labels": {k: t[k] for k in ("metric", "this_month", "last_month", "change", "id", "item", "owner", "due",
                                     "late", "where", "help_from", "department", "by_dept", "submitted", "waited")},
        "dept_cols": t["dept_cols"],
        "departments": departments_table(figures, t) if scope == "company" else [],
        "notes": [], "archive": None, "archive_url": "",
        "flags_now": flags_now(figures.flag_counts(scope, name), t, lang),
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
        share = Share.of(settings.mail.share_path, folder)
        try:
            rel = archive.absolute().relative_to(Path(folder).absolute()).as_posix()
            view["archive_path"], view["archive_url"] = share.path(rel), share.url(rel)
        except ValueError:
            view["archive_path"], view["archive_url"] = str(archive.absolute()), archive.absolute().as_uri()
        view["archive"] = t["archive"].format(path=view["archive_path"])
        view["archive_lead"] = t["archive"].format(path="").rstrip()
    return view


def tiles(d: dict, t: dict, week: bool) -> list[list[dict]]:
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


def flags_now(counts: dict[str, int], t: dict, lang: str) -> dict | None:
    """Every rule's flags now in one line, most severe first, in the rule's own words (its label;
    in English its count noun): whatever rules the registry holds reach the report."""
    shown = sorted((FLAGS[code] for code, n in counts.items() if n and code in FLAGS and FLAGS[code].mailed),
                   key=lambda f: f.rank)
    if not shown:
        return None
    parts = [t["flag_count"].format(label=f.label(lang), n=counts[f.code], noun=f.noun(counts[f.code])) for f in shown]
    return {"label": t["flags"], "text": t["flags_join"].join(parts)}


def _times(d: dict, t: dict, week: bool, rules: dict) -> list[dict]:
    none = t["none_week" if week else "none_month"]
    rows = [{"label": t["requests"], "text": _requests(d, t, week, rules) or none}]
    if d["incidents"]:
        text = t["incidents_text"].format(n=d["incidents"], median=_num(d["incident_response_median_minutes"], "minutes", t),
                                          slowest=_num(d["incident_response_max_minutes"], "minutes", t),
                                          limit=f"{rules.incident_response_minutes:g}",
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
    parts.append(t["requests_within"].format(limit=f"{rules.ack_working_hours:g}",
                                             within=_share(t, d["ack_within"], decided)))
    parts.append(t["requests_plans"].format(plan_limit=f"{rules.first_plan_hours:g}",
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


def departments_table(figures: Figures, t: dict) -> list[list[str]]:
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
