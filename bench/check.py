"""Benchmark: write-back and the full check on a 100,000-row tasks workbook, against openpyxl.

Usage: python bench/check.py [--rows 100000]
Prints, each measured in a fresh process on a fresh copy of the same workbook (~30% flagged):
  (a) duban's write-back step alone (IDs, Alerts, colours into the file, with its verify step),
  (b) duban's full check (read, rules, journal, write-back),
  (c) openpyxl load_workbook + recolour the same cells + save,
and, for information, a second check of the same rows an hour later (the daily case).
Targets (issue 3): (a) at least 10x faster than (c), (b) at least 5x faster than (c), peak < 400 MB.
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
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _fresh(source: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="duban-bench-"))
    shutil.copy(source, folder / source.name)
    return folder


def _plan(folder: Path):
    """Everything the check does before writing, so that (a) times the write alone."""
    from duban.jobs import check, rules
    from duban.jobs.settings import config
    from duban.jobs.settings.calendar import from_settings
    from duban.jobs.settings.colours import palette
    from duban.jobs.state.journal import Journal
    from duban.jobs.validate import read_folder

    settings = config.load()
    prints: dict = {}
    [read] = read_folder(folder, settings, NOW.date(), fingerprints=prints)
    journal = Journal(folder / ".duban/state.db")
    new_ids = check._assign_ids(read, journal, dry_run=False)
    ctx = rules.Context(NOW, from_settings(settings), settings.rules)
    chosen = rules.rules_for(read.kind)
    flags = {rec.row: rules.evaluate(rec, ctx, chosen) for rec in read.records}
    plan = check._plan(read, flags, new_ids, {}, palette(settings), prints[read.path], NOW)
    return read, plan, flags


def run(mode: str, source: str) -> dict:
    folder = _fresh(Path(source))
    target = folder / Path(source).name
    info = {}
    if mode == "writeback":
        from duban.workbooks.write.writeback import apply

        read, plan, _ = _plan(folder)
        started = time.perf_counter()
        outcome = apply(plan, folder / ".duban/backups", 10)
        seconds = time.perf_counter() - started
        info = {"status": outcome.status, "values": len(plan.values), "paints": len(plan.paints)}
    elif mode in ("check", "recheck"):
        from datetime import timedelta

        from duban.jobs.check import check_folder
        from duban.jobs.settings import config

        if mode == "recheck":     # the daily case: the same rows again, an hour later
            check_folder(folder, config.load(), NOW)
        started = time.perf_counter()
        report = check_folder(folder, config.load(), NOW + timedelta(hours=1 if mode == "recheck" else 0))
        seconds = time.perf_counter() - started
        info = {"status": report.workbooks[0].write}
    else:
        from openpyxl import load_workbook
        from openpyxl.styles import Font, PatternFill

        _, plan, _ = _plan(folder)
        refs = [p.ref for p in plan.paints]
        started = time.perf_counter()
        book = load_workbook(target)
        sheet = book.active
        for ref in refs:
            sheet[ref].fill = PatternFill("solid", fgColor="FFC7CE")
            sheet[ref].font = Font(color="9C0006")
        for ref, text in plan.values.items():
            sheet[ref].value = text
        book.save(target)
        seconds = time.perf_counter() - started
        info = {"paints": len(refs)}
    shutil.rmtree(folder, ignore_errors=True)
    return {"mode": mode, "seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **info}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--run", nargs=2, metavar=("MODE", "FILE"))
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(*args.run)))
        return
    from _gen import ensure

    path = ensure(HERE / "out" / f"tasks-{args.rows}.xlsx", args.rows)
    results = {}
    for mode in ("writeback", "check", "recheck", "openpyxl"):
        results[mode] = json.loads(subprocess.check_output([sys.executable, __file__, "--run", mode, str(path)]))
        r = results[mode]
        print(f"{mode:10s} {r['seconds']:7.2f}s  peak {r['peak_mb']:5.0f} MB  "
              + " ".join(f"{k}={v}" for k, v in r.items() if k not in ("mode", "seconds", "peak_mb")))
    base = results["openpyxl"]["seconds"]
    a, b = base / results["writeback"]["seconds"], base / results["check"]["seconds"]
    print(f"(a) write-back is {a:.1f}x faster than openpyxl (target >= 10x) {'OK' if a >= 10 else 'SHORT'}")
    print(f"(b) full check is {b:.1f}x faster than openpyxl (target >= 5x) {'OK' if b >= 5 else 'SHORT'}")
    peak = results["check"]["peak_mb"]
    print(f"peak memory of the full check {peak:.0f} MB (target < 400 MB) {'OK' if peak < 400 else 'OVER'}")
    print(f"a second check of the same rows (nothing new to write) takes {results['recheck']['seconds']:.2f}s")


if __name__ == "__main__":
    main()
