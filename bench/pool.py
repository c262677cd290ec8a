"""Benchmark: the first check of a folder with one worker and with two, and its memory, whole
or streamed (issue 22: "every core helps", "memory bounded by one workbook").

Usage: python bench/pool.py [--books 1000] [--rows 200] [--workers 1 2] [--sizes 100 300 1000]
Each run is a fresh process on a fresh copy of bench/out/pool-<books>x<rows>/ (generated once
by bench/dashboard.py's generator and never checked, so every workbook is written; the .xlsx
only: no state, no read cache), checked at the same `now`. Printed per run: wall time, the
check's CPU in the parent, its peak RSS, the largest worker's peak RSS. Then the peak RSS of
the first check of the first N workbooks of the folder, whole (the report keeps every record)
and streamed (`check_folder(each=...)`: a workbook's records go after its turn).
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def child(folder: Path, workers: int, streamed: bool) -> None:
    """One check, measured from inside (run as its own process)."""
    from dataclasses import replace

    from duban.jobs.check import check_folder
    from duban.jobs.settings import config
    from duban.jobs.time import clock

    settings = config.load(folder)
    settings = replace(settings, performance=replace(settings.performance, workers=workers))
    now = clock.now(settings.company.tz, "2026-11-23T09:00")
    wall, cpu = time.perf_counter(), time.process_time()
    report = check_folder(folder, settings, now, each=(lambda w: None) if streamed else None)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "books": len(report.workbooks),
                      "written": sum(w.write == "written" for w in report.workbooks),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def fresh(source: Path, books: int | None) -> Path:
    where = Path(tempfile.mkdtemp(prefix="pool-run-", dir=HERE / "out"))
    for path in sorted(source.glob("*.xlsx"))[:books]:
        shutil.copy2(path, where / path.name)
    return where


def measure(source: Path, books: int | None, workers: int, streamed: bool) -> dict:
    folder = fresh(source, books)
    try:
        done = subprocess.run([sys.executable, __file__, "--child", str(folder), str(workers), str(int(streamed))],
                              capture_output=True, text=True, check=True, cwd=HERE.parent)
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 300, 1000])
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.child[2] == "1")
        return
    source = HERE / "out" / f"pool-{args.books}x{args.rows}"
    if not source.exists():
        from bench.dashboard import generate
        generate(source, args.books, args.rows)
    for workers in args.workers:
        got = measure(source, None, workers, False)
        print(f"first check, {got['books']} workbooks x {args.rows}, workers={workers}: {got['wall']:.1f}s wall, "
              f"{got['cpu']:.1f}s CPU in the parent, peak {got['rss_mb']:.0f} MB (largest worker "
              f"{got['worker_rss_mb']:.0f} MB), {got['written']} written")
    for books in args.sizes:
        whole, streamed = (measure(source, books, 1, s) for s in (False, True))
        print(f"memory, {books} workbooks x {args.rows}, one worker: whole {whole['rss_mb']:.0f} MB, "
              f"streamed {streamed['rss_mb']:.0f} MB ({whole['wall']:.1f}s / {streamed['wall']:.1f}s)")


if __name__ == "__main__":
    main()
