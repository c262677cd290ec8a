"""Benchmark: reading a 100,000-row tasks workbook, raw python-calamine vs duban's typed read.

Usage: python bench/read.py [--rows 100000]
Prints both times (best of 3) and the peak memory of each, each measured in a fresh process.
Target (issue 2): duban within 2x of raw calamine, duban's peak memory under 400 MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def measure(mode: str, path: str) -> dict:
    import python_calamine as calamine

    from duban.workbooks.read.reader import read_workbook

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        if mode == "raw":
            book = calamine.CalamineWorkbook.from_path(path)
            rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
            count = len(rows) - 1
        else:
            read = read_workbook(path, today=date(2026, 11, 23))
            count = read.rows_read
        best = min(best, time.perf_counter() - started)
        rows = read = None  # free before the next round
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "seconds": best, "rows": count, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "FILE"))
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    from _gen import ensure

    path = ensure(HERE / "out" / f"tasks-{args.rows}.xlsx", args.rows)
    results = {m: json.loads(subprocess.check_output([sys.executable, __file__, "--measure", m, str(path)]))
               for m in ("raw", "duban")}
    raw, duban = results["raw"], results["duban"]
    print(f"raw calamine load : {raw['seconds']:.2f}s  ({raw['rows']:,} rows, peak {raw['peak_mb']:.0f} MB)")
    print(f"duban typed read  : {duban['seconds']:.2f}s  ({duban['rows']:,} records, peak {duban['peak_mb']:.0f} MB)")
    ratio = duban["seconds"] / raw["seconds"]
    print(f"ratio duban/raw   : {ratio:.2f}x  (target <= 2.0x)  {'OK' if ratio <= 2 else 'OVER'}")
    print(f"duban peak memory : {duban['peak_mb']:.0f} MB  (target < 400 MB)  {'OK' if duban['peak_mb'] < 400 else 'OVER'}")


if __name__ == "__main__":
    main()
