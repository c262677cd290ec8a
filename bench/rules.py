"""Benchmark: the rules alone, over the records of the 100,000-row tasks workbook.

Usage: python bench/rules.py [--rows 100000] [--books 1000 --size 200] [--profile]
The records are read once; then every rule is evaluated on every row as the check does it
(`rules.evaluate(rec, ctx, chosen)` with the site's calendar and thresholds, a fresh Context per
workbook and a journal history for the blocked rows), best of 3, CPU seconds. `--books` splits
the same records into that many workbooks of `--size` rows (a fresh Context each), which is
what a check of a folder of small workbooks pays. A second check served from the read cache
pays exactly this on top of fetching the records (issue 22).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

NOW = "2026-11-23T09:00:00+08:00"


def contexts(records: list, books: int, size: int):
    """(context, records) per workbook, built as jobs.check._check_one builds them."""
    from duban.jobs import rules
    from duban.jobs.settings import config
    from duban.jobs.settings.site import Site

    settings = config.load(values={})
    site = Site(Path(tempfile.mkdtemp()), settings)
    now = datetime.fromisoformat(NOW)
    since = rules.RowHistory(now - timedelta(days=30), now - timedelta(days=9), now - timedelta(days=9))
    histories = {rec.id: since for rec in records}
    chunks = [records[i * size:(i + 1) * size] for i in range(books)] if books else [records]
    for chunk in chunks:
        ctx = rules.Context(now, site.calendar, site.rules, history=lambda rec: histories.get(rec.id),
                            problems=lambda rec: [], lang="zh")
        yield ctx, chunk


def evaluate_all(records: list, books: int, size: int) -> dict:
    from duban.jobs import rules

    flags = {}
    for ctx, chunk in contexts(records, books, size):
        chosen = rules.rules_for(chunk[0].kind)
        for rec in chunk:
            flags[rec["_row"], id(ctx)] = rules.evaluate(rec, ctx, chosen)
    return flags


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--books", type=int, default=0)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from datetime import date

    from _gen import ensure

    from duban.workbooks.read.reader import read_workbook
    from duban.workbooks.share.batch import cyclic_gc_paused

    path = ensure(HERE / "out" / f"tasks-{args.rows}.xlsx", args.rows)
    records = read_workbook(path, today=date(2026, 11, 23)).records
    for n, rec in enumerate(records):
        rec["id"] = f"T{n:06d}"
    if args.books:
        records = records[: args.books * args.size]
    if args.profile:
        with cProfile.Profile() as prof, cyclic_gc_paused():
            evaluate_all(records, args.books, args.size)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    best, flagged = float("inf"), 0
    for _ in range(3):
        with cyclic_gc_paused():
            started = time.process_time()
            flags = evaluate_all(records, args.books, args.size)
            best = min(best, time.process_time() - started)
        flagged = sum(1 for found in flags.values() if found)
    shape = f"{args.books} workbooks x {args.size} rows" if args.books else f"{len(records):,} rows"
    print(f"rules over {shape}: {best:.3f} s CPU (best of 3), {flagged:,} rows flagged, "
          f"{best / len(records) * 1e6:.1f} us/row")


if __name__ == "__main__":
    main()
