"""Benchmark: `duban check --json` against the same check printed as a table, over many workbooks.

Usage: python bench/json_output.py [--books 250] [--rows 200]
Each run is `duban check --dry-run` as a real process over a folder of `--books` tasks
workbooks; prints the seconds and peak memory of the table run and of the --json run.
Target (issue 10): --json costs about what the table costs (it took 33 s against 2.2 s with
rich's JSON highlighter on 250 workbooks, and 7 GB of memory on 1,000).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _gen import tasks_workbook  # noqa: E402


def folder_of(books: int, rows: int) -> Path:
    folder = HERE / "out" / f"json-{books}x{rows}"
    if not folder.exists():
        folder.mkdir(parents=True)
        for n in range(books):
            tasks_workbook(folder / f"部门{n:04d}任务跟进表.xlsx", rows, date(2026, 11, 23), seed=n)
    return folder


def run(folder: Path, *extra: str) -> tuple[float, float, int]:
    """(seconds, peak MB of the child, bytes printed) of one `duban check --dry-run` process."""
    code = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, "check", str(folder), "--dry-run",
                           "--now", "2026-11-23T09:00", *extra], capture_output=True,
                          cwd=HERE.parent, env={**os.environ, "COLUMNS": "160"})
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr.decode())
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=250)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    folder = folder_of(args.books, args.rows)
    table = run(folder)
    as_json = run(folder, "--json")
    print(f"{args.books} workbooks of {args.rows} rows, duban check --dry-run:")
    print(f"  table : {table[0]:6.1f} s, {table[2] / 1e3:7.0f} kB printed")
    print(f"  --json: {as_json[0]:6.1f} s, {as_json[2] / 1e3:7.0f} kB printed, ratio {as_json[0] / table[0]:.2f}x")
    print(f"  peak memory of the larger child: {max(table[1], as_json[1]):.0f} MB")


if __name__ == "__main__":
    main()
