"""Benchmark: the weekly summary over the 100,000-row workbook, against a `duban check` of the same folder.

Usage: python bench/summary.py [--rows 100000]
Setup (its own process): a copy of the benchmark tasks workbook (bench/_gen.py) and a directory
naming a head for each of its eight departments, checked four times a week apart (a journal of
four weekly checks), with a tenth of the rows marked done between checks. Then, each in a fresh
process on a fresh copy of that folder:
  check    `duban check` of the folder (read, rules, journal, write-back)
  summary  `duban summary --week` (read, rules, journal, figures, store, chart, archive, 9 mails queued and
           written to the outbox)
Targets (issue 11): summary <= 1.5x check; peak memory < 400 MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
TZ = ZoneInfo("Asia/Shanghai")
CHECKS = [datetime(2026, 11, d, 10, 0, tzinfo=TZ) for d in (2, 9, 16, 23)]   # four Mondays
SUMMARY_AT = datetime(2026, 11, 27, 17, 30, tzinfo=TZ)                       # that week's Friday
CHECK_AT = datetime(2026, 11, 27, 17, 0, tzinfo=TZ)


def setup(source: Path, folder: Path) -> None:
    """The folder the two measured runs start from: workbook, directory, config, four checks."""
    import random

    from _gen import DEPTS, NAMES

    from duban.jobs.check import check_folder
    from duban.jobs.settings import config
    from duban.workbooks.make.template import write_workbook

    folder.mkdir(parents=True)
    book = folder / source.name
    shutil.copy(source, book)
    people = [{"name": n, "department": DEPTS[i % len(DEPTS)], "email": f"p{i}@example.com",
               "dept_head": "yes" if i < len(DEPTS) else "no", "language": "zh"} for i, n in enumerate(NAMES)]
    write_workbook("directory", folder / "通讯录.xlsx", rows=people, names=NAMES, departments=DEPTS)
    (folder / "duban.toml").write_text('[mail]\nclerks = ["张伟"]\nhold_outside_office_hours = false\n', encoding="utf-8")
    settings = config.load(folder)
    rng = random.Random(3)
    for n, moment in enumerate(CHECKS):
        if n:       # between checks, a tenth of the open rows are marked done (status column K)
            _mark_done(book, rng, 0.1)
        check_folder(folder, settings, moment)


def _mark_done(book: Path, rng, share: float) -> None:
    import re
    import zipfile
    with zipfile.ZipFile(book) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    name = "xl/worksheets/sheet1.xml"
    xml = dict((i.filename, d) for i, d in parts)[name].decode()

    # openpyxl writes the statuses as character references (&#36827;&#34892;&#20013; = 进行中)
    statuses = "|".join(re.escape(w.encode("ascii", "xmlcharrefreplace").decode()) + "|" + w
                        for w in ("进行中", "未开始", "阻塞"))
    xml = re.sub(rf'(<c r="K\d+"[^>]*t="inlineStr"><is><t>)(?:{statuses})(</t>)', lambda m: (
        m.group(1) + "已完成" + m.group(2)) if rng.random() < share else m.group(0), xml)
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            zf.writestr(info, xml.encode() if info.filename == name else data)


def run(mode: str, prepared: str) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="duban-bench-")) / "share"
    shutil.copytree(prepared, folder)
    from duban.jobs.settings import config
    settings = config.load(folder)
    started = time.perf_counter()
    if mode == "check":
        from duban.jobs.check import check_folder
        report = check_folder(folder, settings, CHECK_AT)
        info = {"status": report.workbooks[0].write}
    else:
        from duban.jobs.summary.job import summary
        result = summary(folder, settings, SUMMARY_AT, "week")
        c = result.figures.company
        info = {"mails": len(result.outgoing), "completed": c["completed"], "open": c["open"],
                "overdue": c["overdue"], "archive_kb": round(result.archive.stat().st_size / 1024)}
    seconds = time.perf_counter() - started
    shutil.rmtree(folder.parent, ignore_errors=True)
    return {"mode": mode, "seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            **info}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--run", nargs=2, metavar=("MODE", "FOLDER"))
    parser.add_argument("--setup", nargs=2, metavar=("SOURCE", "FOLDER"))
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(*args.run)))
        return
    if args.setup:
        setup(Path(args.setup[0]), Path(args.setup[1]))
        return
    from _gen import ensure

    source = ensure(HERE / "out" / f"tasks-{args.rows}.xlsx", args.rows)
    prepared = Path(tempfile.mkdtemp(prefix="duban-bench-summary-")) / "share"
    started = time.perf_counter()
    subprocess.check_call([sys.executable, __file__, "--setup", str(source), str(prepared)])
    print(f"prepared a journal of four weekly checks in {time.perf_counter() - started:.1f}s")
    results = {}
    for mode in ("check", "summary"):
        results[mode] = json.loads(subprocess.check_output([sys.executable, __file__, "--run", mode, str(prepared)]))
        r = results[mode]
        print(f"{mode:8s} {r['seconds']:7.2f}s  peak {r['peak_mb']:5.0f} MB  "
              + " ".join(f"{k}={v}" for k, v in r.items() if k not in ("mode", "seconds", "peak_mb")))
    ratio = results["summary"]["seconds"] / results["check"]["seconds"]
    peak = results["summary"]["peak_mb"]
    print(f"summary takes {ratio:.2f}x a check (target <= 1.5x) {'OK' if ratio <= 1.5 else 'OVER'}")
    print(f"peak memory of the summary {peak:.0f} MB (target < 400 MB) {'OK' if peak < 400 else 'OVER'}")
    shutil.rmtree(prepared.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
