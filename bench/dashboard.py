"""Benchmark: the dashboard of a folder of 1,000 tasks workbooks × 200 rows (200,000 rows).

Usage: python bench/dashboard.py [--books 1000] [--rows 200] [--repeat 3]
The folder is generated once (bench/out/dashboard-<books>x<rows>/, each workbook its own seed,
~30% of rows overdue or blocked, 50 projects) and checked once (the check's time is printed for
information: it reads and writes the workbooks whether or not a page is written). Then, on that
check's report, timed apart: the page's data (jobs/dashboard/data.py: the summaries' item frame,
the month's and the week's figures, the capped lists), render_page, and the two atomic writes
(the root and the quarter's copy). Targets (issue 21): data + render + write under 1 s, the page
under 3 MB.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def generate(folder: Path, books: int, rows: int) -> None:
    """`books` workbooks of `rows` rows, in a child process (keeps this one's memory small)."""
    code = ("import sys; from pathlib import Path; from datetime import date; from bench._gen import tasks_workbook\n"
            "folder, books, rows = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])\n"
            "for n in range(books):\n"
            "    tasks_workbook(folder / f'部门{n:04d}任务跟进表.xlsx', rows, date(2026, 11, 23), seed=n)\n")
    folder.mkdir(parents=True)
    subprocess.check_call([sys.executable, "-c", code, str(folder), str(books), str(rows)], cwd=HERE.parent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from duban.jobs.check import check_folder
    from duban.jobs.dashboard.data import dashboard_data
    from duban.jobs.dashboard.page import render_page
    from duban.jobs.dashboard.write import page_path, write_page
    from duban.jobs.settings import config

    folder = HERE / "out" / f"dashboard-{args.books}x{args.rows}"
    if not folder.exists():
        started = time.perf_counter()
        generate(folder, args.books, args.rows)
        print(f"generated {args.books} workbooks × {args.rows} rows in {time.perf_counter() - started:.1f}s")
    settings = config.load(folder)
    started = time.perf_counter()
    report = check_folder(folder, settings, NOW)
    print(f"check (for information): {time.perf_counter() - started:.1f}s, "
          f"{sum(len(w.read.records) for w in report.workbooks):,} rows")
    timings: dict[str, list[float]] = {"data": [], "render": [], "write": [], "total": []}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        data = dashboard_data(report, settings, folder, NOW)
        t1 = time.perf_counter()
        html = render_page(data)
        t2 = time.perf_counter()
        write_page(folder, settings.lang, NOW, html)
        t3 = time.perf_counter()
        for key, took in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
            timings[key].append(took)
    page = page_path(folder, settings.lang)
    print(" ".join(f"{key} {statistics.median(v):.3f}s" for key, v in timings.items()) + f" (median of {args.repeat})")
    print(f"page {page.name}: {page.stat().st_size / 1e6:.2f} MB; target: total < 1 s, page < 3 MB")
    counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
    print(f"lists: {counts}; Gantt items {sum(len(p['items']) for p in data['projects'])}, "
          f"projects left out {data['projects_more']}")


if __name__ == "__main__":
    main()
    print(f"(as of {date.today()})")
