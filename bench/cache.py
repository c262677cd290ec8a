"""Benchmark: the folder read cache (issue 22) — checks of an unchanged folder, against a raw read.

Usage: python bench/cache.py [--rows 100000] [--skip-folder] [--workers 1]
For the 100,000-row tasks workbook (bench/out/tasks-100000.xlsx) and for the folder of 1,000
workbooks x 200 rows (bench/out/dashboard-1000x200/, its workbooks copied, never its state), each
step in a fresh process, on a fresh copy, with the cache off (`cache_mb = 0`: every file parsed,
every plan patched: as before) and on:
  check 1 (writes IDs and colours), check 2 (reads what check 1 wrote; the patcher finds it as
  planned), check 3 (nothing changed since: the daily case), the alert job as a one-off command
  (whole process), and, for the 100k workbook, loading its entry against parsing it.
The anchor, measured in the same run: python-calamine's raw read of the same files.
Targets: check 3 <= 2x the raw read; the alert command <= 1.5x.
"""
from __future__ import annotations

import argparse
import json
import os
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


def _settings(folder: Path, cache_mb: int, workers: int):
    from duban.jobs.settings import config
    return config.load(folder, values={"performance": {"cache_mb": cache_mb, "workers": workers}})


def measure(mode: str, folder: str, cache_mb: int, workers: int) -> dict:
    """One step, in this (fresh) process."""
    folder_path = Path(folder)
    if mode == "raw":
        import python_calamine as calamine
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for path in sorted(folder_path.glob("*.xlsx")):
                book = calamine.CalamineWorkbook.from_path(str(path))
                book.get_sheet_by_name(book.sheet_names[0]).to_python()
            best = min(best, time.perf_counter() - started)
        return {"seconds": best}
    from duban.jobs.state.readcache.store import STATS
    settings = _settings(folder_path, cache_mb, workers)
    started = time.perf_counter()
    if mode == "check":
        from duban.jobs.check import check_folder
        report = check_folder(folder_path, settings, NOW)
        writes: dict = {}
        for w in report.workbooks:
            writes[w.write] = writes.get(w.write, 0) + 1
        info = {"writes": writes}
    else:            # "read": the folder's reads alone (read_folder), parsed or loaded
        from duban.jobs.validate import read_folder
        info = {"rows": sum(r.rows_read for r in read_folder(folder_path, settings, NOW.date()))}
    return {"seconds": time.perf_counter() - started, **info, **STATS}


def _step(mode: str, folder: Path, cache_mb: int, workers: int) -> dict:
    out = subprocess.check_output([sys.executable, __file__, "--measure", mode, str(folder), str(cache_mb),
                                   str(workers)])
    return json.loads(out.splitlines()[-1])


def _command(job: str, folder: Path) -> float:
    """Wall time of a whole `duban <job>` process (what a scheduler or a person starts)."""
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("duban")), job, str(folder), "--now", NOW.isoformat(), "--dry-run"],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def _copy(source: Path, name: str, cache_mb: int, workers: int) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"duban-bench-cache-{name}-"))
    for book in ([source] if source.is_file() else sorted(source.glob("*.xlsx"))):
        shutil.copy(book, folder / book.name)
    (folder / "duban.toml").write_text(f"[performance]\ncache_mb = {cache_mb}\nworkers = {workers}\n", encoding="utf-8")
    return folder


def run(name: str, source: Path, workers: int) -> None:
    probe = _copy(source, name + "-raw", 0, workers)
    raw = _step("raw", probe, 0, workers)["seconds"]
    shutil.rmtree(probe)
    print(f"\n== {name}: raw python-calamine read {raw:.2f}s (best of 3)")
    for cache_mb, label in ((0, "cache off (before)"), (512, "cache on (after)")):
        folder = _copy(source, name, cache_mb, workers)
        try:
            for n in (1, 2, 3):
                r = _step("check", folder, cache_mb, workers)
                print(f"{label:18s} check {n}: {r['seconds']:7.2f}s = {r['seconds'] / raw:5.2f}x raw   "
                      f"parsed {r['parses']:5d} loaded {r['hits']:5d} hashed {r['hashed']:5d} "
                      f"not patched {r['unpatched']:5d}  {r['writes']}")
            r = _step("read", folder, cache_mb, workers)
            print(f"{label:18s} reads alone: {r['seconds']:6.2f}s = {r['seconds'] / raw:5.2f}x raw   "
                  f"({r['rows']:,} rows; parsed {r['parses']}, loaded {r['hits']})")
            wall = min(_command("alert", folder) for _ in range(2))
            print(f"{label:18s} alert command (whole process, best of 2): {wall:6.2f}s = {wall / raw:5.2f}x raw")
            if cache_mb:
                size = sum(p.stat().st_size for p in (folder / ".duban" / "cache").iterdir())
                books = sum(p.stat().st_size for p in folder.glob("*.xlsx"))
                print(f"{label:18s} cache entries {size / 1e6:.1f} MB for {books / 1e6:.1f} MB of workbooks")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--skip-folder", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--measure", nargs=4, metavar=("MODE", "FOLDER", "CACHE_MB", "WORKERS"))
    args = parser.parse_args()
    if args.measure:
        mode, folder, cache_mb, workers = args.measure
        print(json.dumps(measure(mode, folder, int(cache_mb), int(workers))))
        return
    from _gen import ensure

    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; workers = {args.workers}")
    if not args.skip_big:
        run(f"tasks-{args.rows}", ensure(HERE / "out" / f"tasks-{args.rows}.xlsx", args.rows), args.workers)
    folder = HERE / "out" / "dashboard-1000x200"
    if not args.skip_folder:
        if not folder.exists():
            subprocess.check_call([sys.executable, str(HERE / "dashboard.py")])
        run("1000x200", folder, args.workers)


if __name__ == "__main__":
    main()
