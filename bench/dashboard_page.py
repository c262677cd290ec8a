"""Benchmark: the dashboard page drawn from the largest data object the data module makes.

Usage: python bench/dashboard_page.py [--repeat 5]
The data is what 1,000 workbooks × 200 rows come to after the lists' caps (jobs/dashboard/lists.py):
every department, project, Gantt item, late row and problem workbook at its cap, with long Chinese
cells, and a year of weekly trend. Prints the page's size and the time of render_page alone (the
check and the data are measured by the check's own benchmarks). Target (issue 21): under 3 MB; the
page's part of the 1 s write budget.
"""
from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from duban.jobs.dashboard import lists
from duban.jobs.dashboard.page import echarts_source, render_page


def biggest() -> dict:
    day = date(2026, 12, 7)
    depts = [f"第{n:03d}事业部华东区域运营中心" for n in range(lists.MAX_DEPARTMENTS)]
    item = {"title": "华东区域渠道推广方案制定与供应商比价复核" * 2, "owner": "欧阳明月"}
    projects = [{"name": f"项目{p:02d}·年度重点工程建设与交付", "more": 140, "items": [
        dict(item, id=f"T-{p * 1000 + i:06d}", department=depts[(p + i) % len(depts)],
             start=(day - timedelta(days=60 - i)).isoformat(), due=(day + timedelta(days=i - 20)).isoformat(),
             state=("done", "open", "late")[i % 3]) for i in range(lists.MAX_ITEMS)]} for p in range(lists.MAX_PROJECTS)]
    late = [dict(item, id=f"T-{i:06d}", department=depts[i % len(depts)], days_late=60 - i, blocked=i % 4 == 0,
                 help_from=depts[(i + 1) % len(depts)], workbook=f"部门{i:04d}任务跟进表.xlsx", row=200 - i,
                 link=f"file://///fileserver/%E7%9D%A3%E5%8A%9E/%E9%83%A8%E9%97%A8{i:04d}.xlsx",
                 where=f"部门{i:04d}任务跟进表.xlsx 第{200 - i}行") for i in range(lists.MAX_LATE)]
    return {
        "version": 1, "lang": "zh", "generated": "2026-12-07T09:00:00+08:00", "folder": "\\\\fileserver\\督办",
        "month": "2026-12", "last_month": "2026-11",
        "kpi": {"on_time_rate": {"this": 0.82, "last": 0.75}, "ack_hours": 1.4, "incident_minutes": 22, "meetings": 31,
                "open": 120000, "overdue": 36000, "blocked": 9000, "stale": 15000},
        "departments": [{"name": d, "done": 300, "in_progress": 900, "overdue": 200, "blocked": 60} for d in depts],
        "projects": projects, "projects_more": 400,
        "late": late,
        "trend": [{"week_end": (day - timedelta(weeks=52 - k)).isoformat(), "open": 110000 + k, "overdue": 30000 + k}
                  for k in range(52)],
        "problems": [{"workbook": f"部门{n:04d}任务跟进表.xlsx", "count": 17,
                      "first": f"部门{n:04d}任务跟进表!F7：“11月31日”不是有效日期。请写成 2026-11-30 这样的日期，或在单元格中选择日期。"}
                     for n in range(lists.MAX_PROBLEMS)],
        "colours": {"done": "#C6EFCE", "open": "#FFEB9C", "late": "#FFC7CE", "blocked": "#F8CBAD"},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = biggest()
    started = time.perf_counter()
    page = render_page(data)                                    # the first: reads and hashes the ECharts build
    first = time.perf_counter() - started
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        page = render_page(data)
        times.append(time.perf_counter() - started)
    size = len(page.encode("utf-8"))
    library = len(echarts_source().encode("utf-8"))
    print(f"dashboard page at the caps ({lists.MAX_PROJECTS} projects × {lists.MAX_ITEMS} items, {lists.MAX_LATE} late, "
          f"{lists.MAX_DEPARTMENTS} departments, {lists.MAX_PROBLEMS} problem workbooks, 52 weeks):")
    print(f"  size  : {size / 1e6:.2f} MB ({library / 1e6:.2f} MB of it ECharts, {(size - library) / 1e3:.0f} kB data, script, styles)")
    print(f"  render: first {first * 1000:.0f} ms, then best {min(times) * 1000:.0f} ms of {args.repeat}")


if __name__ == "__main__":
    main()
