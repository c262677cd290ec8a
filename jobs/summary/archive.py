"""The archived report: one .xlsx per period under DIR/reports/<year>-Q<quarter>/ (XlsxWriter).

Sheets: an overview (every department's figures, a chart per department and the trend chart,
both native Excel charts), a projects sheet, one sheet per department (its figures, its
longest-overdue and blocked items), the item lists (overdue, blocked, completed; filterable),
and notes saying what each figure counts. XlsxWriter stores each chart's cached values, so
Excel, WPS and LibreOffice all draw the charts (openpyxl charts come out blank in the latter two).
The file is written beside its final name and moved into place, so a reader never opens half a file.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path

from duban.jobs.settings.typed import Settings
from duban.jobs.summary.baseline import STOCK
from duban.jobs.summary.figures import TOP_OVERDUE, Figures
from duban.jobs.summary.period import Period
from duban.jobs.summary.view import scope_title
from duban.workbooks.share.files import replacing

TEXT = {
    "zh": {"weekly": "周报-{label}.xlsx", "monthly": "月报-{label}.xlsx", "overview": "总览", "projects": "项目",
           "items": "事项清单", "notes": "说明", "title_week": "周报 {start} 至 {end}",
           "title_month": "月度复盘 {label}",
           "as_of": "未完成、逾期、阻塞、下期到期、未完成平均天数：截至 {end}（本期结束时）的状态；未更新：截至 {as_of}（生成报表时）的状态",
           "scope": "部门", "project": "项目", "trend": "趋势（全公司）", "period": "周期",
           "cols": ["完成", "按时完成", "按时率", "新建", "未完成", "逾期", "阻塞", "未更新", "下期到期",
                    "需求确认平均(工作小时；含未确认的按已等待计，至少)", "{ack:g}工作小时内确认", "需求提交", "需求确认",
                    "期末未确认需求", "未确认最久已等(工作小时)", "事件数", "事件响应中位数(分钟)", "{response:g}分钟内响应",
                    "会议次数", "纪要迟发", "会议行动项未完成", "未完成平均天数", "开始时间未知（不计入平均）"],
           "trend_cols": ["新建", "完成", "期末未完成", "期末逾期", "按时率"],
           "chart_depts": "各部门：完成、逾期、阻塞", "chart_trend": "趋势：新建与完成、期末未完成与逾期",
           "item_cols": ["类别", "编号", "事项", "项目", "部门", "负责人", "截止日期", "逾期天数", "完成时间", "按时",
                         "需协助部门", "工作簿", "行", "提交时间", "已等待(工作小时)"],
           "cat_unacked": "未确认接收", "unacked": "未确认接收的需求（截至期末）",
           "trend_later": "趋势图在有两期数据后显示。", "cat_overdue": "逾期", "cat_blocked": "阻塞", "cat_completed": "完成", "yes": "是", "no": "否",
           "figure": "指标", "value": "数值", "capped": "“{list}”共 {total} 项，此处列出前 {n} 项（最早到期的在前），其余见各工作簿。", "top_overdue": "逾期最久的事项（前{top}项）", "blocked": "阻塞事项",
           "notes_text": [
               "完成：督办首次看到状态为“已完成”的时间落在本期内；督办首次读取时已完成的行不计入（完成时间未知）。",
               "按时：完成时间不晚于截止日期当天结束（截止为日期时间的，不晚于该时刻）；没有截止日期的算按时。",
               "新建：督办首次看到该行的时间落在本期内（督办第一次检查某工作簿时已存在的行不算新建）。",
               "未完成、逾期、阻塞、下期到期：本期结束时的状态。某行在期末是否已完成，看督办日志中期末之后的第一次状态变化（之前的状态）或现在的状态；逾期：期末仍未完成、截止日期早于期末那一天；期末之后才出现的行不计。督办在期末之后才首次检查的工作簿，其原有行按首次检查时的状态计。阻塞按期末的状态；状态自期末未变的，按现在的阻塞标记（需协助部门没有历史记录）。",
               "未更新：生成报表时工作簿中的“未按时更新”标记（没有历史记录，只能是现在的状态）。",
               "未完成平均天数：从各行自己的开始时间到期末（需求：提交时间；紧急事务：发生时间；会议行动项：会议时间；任务和项目没有创建日期，按督办首次看到该行的时间）。督办第一次检查某工作簿时已存在的任务和项目，开始时间未知，不计入平均，单列为“开始时间未知”。",
               "逾期天数：截至期末逾期的天数；未逾期的为空。",
               "需求确认时长按工作小时计（节假日、周末和下班时间不计）；事件响应时长按实际分钟计。",
               "跨部门需求：需求提交为本期内提交的需求；需求确认为本期内填写了确认接收时间的需求；期末未确认需求为期末前提交、到期末仍没有确认接收时间且未关闭（已完成、已拒绝）的需求（包括更早提交的）。确认平均把期末未确认的需求按已等待的工作小时计入，所以有未确认需求时它是下限（至少）；按时确认的比例只算已有结果的需求（已确认的，和已超过时限仍未确认的）。",
               "趋势中的期末未完成、期末逾期来自当期保存的报表；督办尚未保存报表的周期这两项为空。"]},
    "en": {"weekly": "weekly-{label}.xlsx", "monthly": "monthly-{label}.xlsx", "overview": "Overview",
           "projects": "Projects", "items": "Items", "notes": "Notes", "title_week": "Weekly report {start} to {end}",
           "title_month": "Monthly review {label}",
           "as_of": "Open, overdue, blocked, due next, open age: as at {end} (the period's end); not updated: as at {as_of} (when the report was made)",
           "scope": "Department", "project": "Project", "trend": "Trend (company)", "period": "Period",
           "cols": ["Done", "Done on time", "On-time rate", "New", "Open", "Overdue", "Blocked", "Not updated",
                    "Due next period", "Request ack avg (working h; at least: includes the unacknowledged at their wait so far)",
                    "Acked within {ack:g} working h", "Requests submitted", "Requests acknowledged",
                    "Unacknowledged at end", "Longest wait (working h)", "Incidents",
                    "Incident response median (min)", "Answered within {response:g} min", "Meetings", "Minutes late",
                    "Meeting actions open", "Open items' average age (days)", "Start unknown (not in the average)"],
           "trend_cols": ["New", "Done", "Open at end", "Overdue at end", "On-time rate"],
           "chart_depts": "By department: done, overdue, blocked", "chart_trend": "Trend: new and done, open and overdue",
           "item_cols": ["List", "ID", "Item", "Project", "Department", "Owner", "Due", "Days late", "Done at",
                         "On time", "Help needed from", "Workbook", "Row", "Submitted", "Waiting (working h)"],
           "cat_unacked": "Not acknowledged", "unacked": "Requests not acknowledged (at the period's end)",
           "trend_later": "The trend chart is shown once there are two periods of figures.", "cat_overdue": "Overdue", "cat_blocked": "Blocked", "cat_completed": "Done", "yes": "yes", "no": "no",
           "figure": "Figure", "value": "Value", "capped": "{list}: {total} items; the first {n} are listed (earliest due first), the workbooks have the rest.", "top_overdue": "Longest overdue (top {top})", "blocked": "Blocked items",
           "notes_text": [
               "Done: a check first saw the row done inside the period; rows already done when duban first read them are not counted (their completion time is unknown).",
               "On time: done by the end of the due date (by the moment, for a due date-time); rows without a due date count as on time.",
               "New: duban first saw the row inside the period (rows already there at duban's first check of a workbook are not new).",
               "Open, overdue, blocked, due next: as at the period's end. Whether a row was done then is its status before the first status change the journal saw after the end, or its status now; overdue: still open at the end and due on a day before the end's day; rows first seen after the end are not counted. In a workbook duban first checked after the end, the rows already there count with their status at that first check. Blocked: the status at the end; where the status has not changed since, the blocked flag now (the help-needed department has no history).",
               "Not updated: the workbooks' not-updated flag when the report was made (it has no history, so it can only be as of now).",
               "Open items' average age: from each row's own start to the period's end (requests: submitted; incidents: occurred; meeting actions: the meeting; tasks and projects have no creation date: when duban first saw them). Tasks and projects already there at duban's first check of their workbook have no known start: they are left out of the average and counted under 'start unknown'.",
               "Days late: as at the period's end; blank when not late.",
               "Request acknowledgement time counts working hours (no weekends, holidays or nights); incident response counts real minutes.",
               "Requests: submitted = submitted inside the period; acknowledged = acknowledgement time inside the period; unacknowledged at end = submitted before the end, no acknowledgement time by then and not closed (done, rejected), however long ago submitted. The acknowledgement average counts the unacknowledged ones at their wait so far in working hours, so while any wait it is a lower bound (at least); the share acknowledged in time counts only the decided ones (acknowledged, or still waiting past the limit).",
               "Trend: open and overdue at each period's end come from that period's stored report; empty where duban had not yet stored one."]},
}
KEYS = ["completed", "completed_on_time", "on_time_rate", "created", "open", "overdue", "blocked", "stale", "due_next",
        "ack_avg_working_hours", "ack_within_share", "requests_submitted", "requests_acked", "requests_unacked",
        "ack_oldest_open_hours", "incidents", "incident_response_median_minutes",
        "incident_within_share", "meetings_held", "minutes_late", "meeting_action_open", "avg_open_age_days",
        "open_age_unknown"]
ITEMS_CAP = 5000       # rows per list in the item lists (the longest overdue first); the workbooks have the rest
DEPT_BLOCKED_CAP = 100
PERCENT = {"on_time_rate", "ack_within_share", "incident_within_share"}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _labels(text: dict, rules: dict) -> dict:
    """The language's labels with the configured limits in them (2 working hours, 10 minutes, top 10)."""
    limits = {"ack": rules.ack_working_hours, "response": rules.incident_response_minutes, "top": TOP_OVERDUE}
    return {**text, "cols": [c.format(**limits) for c in text["cols"]], "top_overdue": text["top_overdue"].format(**limits)}


def archive_name(period: Period, lang: str) -> str:
    t = TEXT[lang]
    return (t["weekly"] if period.kind == "week" else t["monthly"]).format(label=period.label)


def write_archive(path: Path, figures: Figures, trend: dict, lang: str, settings: Settings, company: str,
                  baseline: dict | None = None) -> Path:
    """Write the period's workbook to `path` (replacing an earlier version of it). `baseline`
    (baseline.archive_texts): the period is a baseline, `figures` stand now and its flows are left blank."""
    import xlsxwriter

    with replacing(path, prefix=".~tmp-") as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"remove_timezone": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        _Writer(book, figures, trend, lang, company, settings.rules, baseline).write()
        book.close()
    return path


def count_axis(values) -> dict:
    """A count axis from 0 with whole-number steps (Excel would otherwise step 0.5 on small counts)."""
    top = max([v for v in values if isinstance(v, (int, float))] or [0])
    unit = 1
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        unit = step
        if top / step <= 8:
            break
    return {"min": 0, "major_unit": unit, "max": max(unit, math.ceil(top / unit) * unit), "num_format": "0"}


class _Writer:
    def __init__(self, book, figures: Figures, trend: dict, lang: str, company: str, rules: dict,
                 baseline: dict | None = None):
        self.book, self.f, self.trend, self.lang = book, figures, trend, lang
        self.baseline = baseline
        self.period = baseline["period"] if baseline else figures.period     # a baseline's figures stand now
        self.t = _labels(TEXT[lang], rules)
        self.company = company
        self.names: set[str] = set()
        font = "Microsoft YaHei" if lang == "zh" else "Calibri"
        base = {"font_name": font, "font_size": 10}
        fmt = book.add_format
        self.fmt = {
            "title": fmt({**base, "bold": True, "font_size": 14, "font_color": "#1F4E79"}),
            "sub": fmt({**base, "font_color": "#6B6B6B"}),
            "head": fmt({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
            "cell": fmt({**base, "border": 1}), "text": fmt(base),
            "num": fmt({**base, "border": 1, "num_format": "0.0"}),
            "int": fmt({**base, "border": 1, "num_format": "0"}),
            "pct": fmt({**base, "border": 1, "num_format": "0%"}),
            "date": fmt({**base, "border": 1, "num_format": "yyyy-mm-dd"}),
            "datetime": fmt({**base, "border": 1, "num_format": "yyyy-mm-dd hh:mm"}),
            "bold": fmt({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2"}),
            "section": fmt({**base, "bold": True, "font_size": 11, "font_color": "#1F4E79"}),
        }

    def sheet(self, name: str):
        clean = _BAD_SHEET.sub("_", name).strip("'")[:31] or "_"
        candidate, n = clean, 2
        while candidate.casefold() in self.names:
            suffix = f" ({n})"
            candidate, n = clean[:31 - len(suffix)] + suffix, n + 1
        self.names.add(candidate.casefold())
        ws = self.book.add_worksheet(candidate)
        ws.set_paper(9)            # A4, landscape, one page wide: printed (and in PDF) as seen
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        return ws

    def write(self) -> None:
        self.overview()
        self.projects()
        for name in sorted(self.f.departments, key=lambda n: (n == "", n)):
            self.department(name)
        self.items()
        self.notes()

    # ---- pieces ---------------------------------------------------------------------------------
    def _header(self, ws, title: str) -> int:
        t, p = self.t, self.f.period
        ws.write(0, 0, title, self.fmt["title"])
        tz = p.start.tzinfo
        if self.baseline:
            ws.write(1, 0, self.baseline["note"], self.fmt["sub"])
            return 3
        ws.write(1, 0, t["as_of"].format(as_of=f"{self.f.now.astimezone(tz):%Y-%m-%d %H:%M}",
                                         end=f"{p.end.astimezone(tz):%Y-%m-%d %H:%M}"), self.fmt["sub"])
        return 3

    def _title(self) -> str:
        title = self._period_title()
        if self.baseline:
            return self.baseline["title"].format(title=title, since=self.baseline["since"])
        return title

    def _period_title(self) -> str:
        p, t = self.period, self.t
        if p.kind == "week":
            tz = p.start.tzinfo
            return t["title_week"].format(company=self.company, start=f"{p.start.astimezone(tz):%Y-%m-%d %H:%M}",
                                          end=f"{p.end.astimezone(tz):%Y-%m-%d %H:%M}")
        return t["title_month"].format(company=self.company, label=p.label)

    def _value(self, ws, row: int, col: int, key: str, value) -> None:
        if value is None or (self.baseline and key not in STOCK):      # a baseline's flows are not known
            ws.write_blank(row, col, None, self.fmt["cell"])
        elif key in PERCENT:
            ws.write_number(row, col, value, self.fmt["pct"])
        elif isinstance(value, float):
            ws.write_number(row, col, value, self.fmt["num"])
        else:
            ws.write_number(row, col, value, self.fmt["int"])

    def _table(self, ws, top: int, first: str, rows: list[tuple[str, dict]]) -> tuple[int, int]:
        """A figures table: one row per scope; returns (first data row, last data row)."""
        ws.write(top, 0, first, self.fmt["head"])
        for j, label in enumerate(self.t["cols"], 1):
            ws.write(top, j, label, self.fmt["head"])
        ws.set_row(top, 42)
        for i, (name, d) in enumerate(rows, 1):
            ws.write(top + i, 0, name, self.fmt["bold"] if i == 1 and first == self.t["scope"] else self.fmt["cell"])
            for j, key in enumerate(KEYS, 1):
                self._value(ws, top + i, j, key, d.get(key))
        return top + 1, top + len(rows)

    def overview(self) -> None:
        t = self.t
        ws = self.sheet(t["overview"])
        ws.set_column(0, 0, 18)
        ws.set_column(1, len(KEYS), 11)
        top = self._header(ws, self._title())
        depts = sorted(self.f.departments.items(), key=lambda x: (x[0] == "", x[0]))
        rows = [(scope_title("company", "", self.lang), self.f.company)]
        rows += [(scope_title("department", n, self.lang), d) for n, d in depts]
        first, last = self._table(ws, top, t["scope"], rows)
        ws.freeze_panes(top + 1, 1)
        name = ws.get_name()
        if len(rows) > 1:
            chart = self.book.add_chart({"type": "column"})
            for key, colour in (("completed", "#2E7D32"), ("overdue", "#C00000"), ("blocked", "#ED7D31")):
                col = KEYS.index(key) + 1
                chart.add_series({"name": [name, top, col], "categories": [name, first + 1, 0, last, 0],
                                  "values": [name, first + 1, col, last, col], "fill": {"color": colour}})
            chart.set_y_axis(count_axis([d.get(k) for _n, d in rows[1:] for k in ("completed", "overdue", "blocked")]))
            chart.set_title({"name": t["chart_depts"], "name_font": {"size": 11}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 620, "height": 300})
            ws.insert_chart(last + 2, 0, chart)
        # the trend table and chart, to the right of the departments chart
        points = self.trend.get(("company", ""), [])
        trow = last + 2
        tcol = 10
        ws.write(trow, tcol, t["trend"], self.fmt["section"])
        ws.write(trow + 1, tcol, t["period"], self.fmt["head"])
        for j, label in enumerate(t["trend_cols"], 1):
            ws.write(trow + 1, tcol + j, label, self.fmt["head"])
        for i, (p, d) in enumerate(points, 2):
            label = f"{p.end_day:%m-%d}" if p.kind == "week" else f"{p.start:%Y-%m}"
            ws.write_string(trow + i, tcol, label, self.fmt["cell"])
            for j, key in enumerate(("created", "completed", "open", "overdue", "on_time_rate"), 1):
                self._value(ws, trow + i, tcol + j, "on_time_rate" if key == "on_time_rate" else key,
                            None if d is None else d.get(key))
        with_data = [d for _p, d in points if d is not None]
        if len(with_data) < 2:      # one point is no trend: a lone dot says nothing
            later = self.baseline["trend"] if self.baseline else t["trend_later"]
            ws.write(trow + 2 + len(points), tcol, later, self.fmt["sub"])
        else:
            a, b = trow + 2, trow + 1 + len(points)
            bars = self.book.add_chart({"type": "column"})
            for j, colour in ((1, "#8FB3D9"), (2, "#2E7D32")):
                bars.add_series({"name": [name, trow + 1, tcol + j], "categories": [name, a, tcol, b, tcol],
                                 "values": [name, a, tcol + j, b, tcol + j], "fill": {"color": colour}})
            lines = self.book.add_chart({"type": "line"})
            for j, colour in ((3, "#1F4E79"), (4, "#C00000")):
                lines.add_series({"name": [name, trow + 1, tcol + j], "categories": [name, a, tcol, b, tcol],
                                  "values": [name, a, tcol + j, b, tcol + j], "line": {"color": colour, "width": 2},
                                  "marker": {"type": "circle", "size": 5, "fill": {"color": colour},
                                             "border": {"color": colour}}})
            bars.combine(lines)
            bars.set_y_axis(count_axis([d.get(k) for d in with_data for k in ("created", "completed", "open", "overdue")]))
            bars.set_title({"name": t["chart_trend"], "name_font": {"size": 11}})
            bars.set_legend({"position": "bottom"})
            bars.set_size({"width": 620, "height": 300})
            bars.show_blanks_as("gap")
            ws.insert_chart(b + 2, tcol, bars)

    def projects(self) -> None:
        if not self.f.projects:
            return
        ws = self.sheet(self.t["projects"])
        ws.set_column(0, 0, 22)
        ws.set_column(1, len(KEYS), 11)
        top = self._header(ws, f"{self._title()} · {self.t['projects']}")
        self._table(ws, top, self.t["project"], sorted(self.f.projects.items()))
        ws.freeze_panes(top + 1, 1)

    def department(self, name: str) -> None:
        t = self.t
        title = scope_title("department", name, self.lang)
        ws = self.sheet(title)
        ws.set_column(0, 0, 46)      # the figure labels, the longest (request average) whole
        ws.set_column(1, 1, 14)
        ws.set_column(2, 6, 14)
        top = self._header(ws, f"{title} · {self._title()}")
        d = self.f.departments[name]
        ws.write(top, 0, t["figure"], self.fmt["head"])
        ws.write(top, 1, t["value"], self.fmt["head"])
        for i, (label, key) in enumerate(zip(t["cols"], KEYS), 1):
            ws.write(top + i, 0, label, self.fmt["cell"])
            self._value(ws, top + i, 1, key, d.get(key))
        row = top + len(KEYS) + 2
        lists = self.f.lists("department", name)
        row = self._list(ws, row, t["top_overdue"], lists["overdue"], ("id", "title", "owner", "due", "days_late"))
        row = self._list(ws, row + 1, t["blocked"], lists["blocked"][:DEPT_BLOCKED_CAP],
                         ("id", "title", "owner", "help_from", "due"))
        if lists["unacked"]:
            self._list(ws, row + 1, t["unacked"], lists["unacked"][:DEPT_BLOCKED_CAP],
                       ("id", "title", "owner", "submitted", "waited_hours"))

    def _list(self, ws, row: int, title: str, items: list[dict], keys: tuple[str, ...]) -> int:
        cols = dict(zip(("category", "id", "title", "project", "department", "owner", "due", "days_late", "done_at",
                         "on_time", "help_from", "workbook", "row", "submitted", "waited_hours"), self.t["item_cols"]))
        ws.write(row, 0, title, self.fmt["section"])
        for j, key in enumerate(keys):
            ws.write(row + 1, j, cols[key], self.fmt["head"])
        for i, item in enumerate(items, 2):
            for j, key in enumerate(keys):
                self._cell(ws, row + i, j, key, item.get(key))
        return row + 2 + len(items)

    def _cell(self, ws, row: int, col: int, key: str, value) -> None:
        if value is None or value == "" or (isinstance(value, float) and value != value):
            ws.write_blank(row, col, None, self.fmt["cell"])
        elif isinstance(value, datetime):
            ws.write_datetime(row, col, value.replace(tzinfo=None), self.fmt["datetime"])
        elif isinstance(value, date):
            ws.write_datetime(row, col, datetime.combine(value, datetime.min.time()), self.fmt["date"])
        elif isinstance(value, bool):
            ws.write_string(row, col, self.t["yes"] if value else self.t["no"], self.fmt["cell"])
        elif isinstance(value, float):
            ws.write_number(row, col, value, self.fmt["num"])
        elif isinstance(value, int):
            ws.write_number(row, col, value, self.fmt["int"])
        else:
            ws.write_string(row, col, str(value), self.fmt["cell"])

    def items(self) -> None:
        t = self.t
        ws = self.sheet(t["items"])
        widths = (11, 11, 36, 16, 12, 10, 12, 9, 16, 7, 14, 24, 6, 16, 16)
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        for j, label in enumerate(t["item_cols"]):
            ws.write(0, j, label, self.fmt["head"])
        lists = self.f.lists("company", None, limit=None)
        row = 1
        keys = ("id", "title", "project", "department", "owner", "due", "days_late", "done_at", "on_time",
                "help_from", "workbook", "row", "submitted", "waited_hours")
        capped = []
        for category in ("overdue", "blocked", "unacked") if self.baseline else ("overdue", "blocked", "completed",
                                                                                 "unacked"):
            label = t[f"cat_{category}"]
            if len(lists[category]) > ITEMS_CAP:
                capped.append((label, len(lists[category])))
            for item in lists[category][:ITEMS_CAP]:
                ws.write_string(row, 0, label, self.fmt["cell"])
                for j, key in enumerate(keys, 1):
                    value = item.get(key)
                    if key == "on_time" and category != "completed":
                        value = None
                    if key == "days_late" and category == "completed":
                        value = None
                    if key in ("submitted", "waited_hours") and category != "unacked":
                        value = None
                    if key == "department" and not value:
                        value = scope_title("department", "", self.lang)
                    self._cell(ws, row, j, key, value)
                row += 1
        ws.autofilter(0, 0, max(row - 1, 1), len(widths) - 1)
        ws.freeze_panes(1, 0)
        for label, total in capped:
            row += 1
            ws.write(row, 0, t["capped"].format(list=label, n=ITEMS_CAP, total=total), self.fmt["sub"])

    def notes(self) -> None:
        ws = self.sheet(self.t["notes"])
        ws.set_column(0, 0, 120)
        ws.write(0, 0, self._title(), self.fmt["title"])
        notes = [self.baseline["note"], *self.t["notes_text"]] if self.baseline else self.t["notes_text"]
        for i, text in enumerate(notes, 2):
            ws.write(i, 0, text, self.fmt["text"])
