"""Benchmark: serve's 5-minute alert job over 1,000 unchanged workbooks of 200 rows, against a raw
python-calamine read of the same files.

Usage: python bench/serve.py [--books 1000] [--rows 200]
Prints, each measured in a fresh process:
  (a) raw calamine: open each file and load its sheet (what any reader must at least do),
  (b) the alert job as a one-off command runs it today (every file parsed),
  (c) the alert job inside duban serve, on its second and later runs (incremental reads: each file
      is fingerprinted, size + mtime + SHA-256, and its records reused; the rules run at the new time).
Target (issue 12): (c) at most (a).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def folder_of(books: int, rows: int) -> Path:
    """bench/out/serve-<books>x<rows>/: one generated tasks workbook copied under `books` names
    in ten department folders, plus the demo directory, duban.toml and a first check's journal."""
    folder = HERE / "out" / f"serve-{books}x{rows}"
    if (folder / "done").exists():
        return folder
    from _gen import ensure
    shutil.rmtree(folder, ignore_errors=True)
    source = ensure(HERE / "out" / f"tasks-{rows}.xlsx", rows)
    for n in range(books):
        dept = folder / f"部门{n % 10:02d}"
        dept.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, dept / f"任务跟进表-{n:04d}.xlsx")
    from duban.jobs.init import init_folder
    init_folder(folder, lang="zh", demo=False, force=False, today=NOW.date(), now=NOW, config_only=True)
    (folder / "done").write_text("")
    return folder


def measure(mode: str, folder: Path) -> dict:
    from duban.workbooks.share.discover import find_workbooks
    paths = find_workbooks(folder)
    if mode == "raw":
        import python_calamine as calamine
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            rows = 0
            for path in paths:
                book = calamine.CalamineWorkbook.from_path(str(path))
                rows += len(book.get_sheet_by_name(book.sheet_names[0]).to_python())
                book.close()
            best = min(best, time.perf_counter() - started)
        return {"mode": mode, "seconds": best, "files": len(paths), "rows": rows}
    from duban.jobs.remind import alert
    from duban.jobs.serve.cache import ReadCache
    from duban.jobs.settings import config
    settings = config.load(folder)
    if mode == "command":
        started = time.perf_counter()
        alert(folder, settings, NOW)
        return {"mode": mode, "seconds": time.perf_counter() - started, "files": len(paths)}
    cache = ReadCache()
    with cache.active():
        started = time.perf_counter()
        alert(folder, settings, NOW)
        first = time.perf_counter() - started
        times = []
        for n in range(1, 4):
            started = time.perf_counter()
            alert(folder, settings, NOW + timedelta(minutes=5 * n))
            times.append(time.perf_counter() - started)
    return {"mode": mode, "seconds": min(times), "first": first, "files": len(paths),
            "hits": cache.hits, "misses": cache.misses}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "FOLDER"))
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    folder = folder_of(args.books, args.rows)
    state = folder / ".duban"
    shutil.rmtree(state, ignore_errors=True)
    results = {m: json.loads(subprocess.check_output([sys.executable, __file__, "--measure", m, str(folder)]))
               for m in ("raw", "command", "serve")}
    raw, command, serve = results["raw"], results["command"], results["serve"]
    print(f"{raw['files']:,} workbooks of {args.rows} rows")
    print(f"(a) raw calamine read           : {raw['seconds']:.2f}s")
    print(f"(b) alert as a command (parses) : {command['seconds']:.2f}s  ({command['seconds'] / raw['seconds']:.1f}x raw)")
    print(f"(c) alert in serve, unchanged   : {serve['seconds']:.2f}s  ({serve['seconds'] / raw['seconds']:.2f}x raw; "
          f"first run {serve['first']:.2f}s; cache hits {serve['hits']:,}, misses {serve['misses']:,})")
    ratio = serve["seconds"] / raw["seconds"]
    print(f"target (c) <= 1.0x raw: {'OK' if ratio <= 1 else 'OVER'}")


if __name__ == "__main__":
    main()
