"""Benchmark: the write-back's disk round trips and time, small and big workbooks.

Usage: python bench/writeback.py [--books 200] [--rows 100000] [--repeat 3]
Prints, each in a fresh process on fresh copies:
  counts  the fsyncs, renames and other metadata calls of one 200-row workbook's first write,
          and of a second write whose plan changes nothing;
  small   the write-back alone (planned beforehand) of --books workbooks of 200 rows, and its patch
          step alone (inflate, patch, deflate in memory), best of --repeat;
  big     the same for the 100,000-row workbook (bench/_gen.py), and an unchanged re-apply.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SMALL = HERE / "out" / "dashboard-1000x200"


def _folder(sources: list[Path]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="duban-wb-"))
    for source in sources:
        shutil.copy(source, folder / source.name)
    return folder


def _plans(folder: Path):
    from check import NOW

    from duban.jobs import check, rules
    from duban.jobs.settings import config
    from duban.jobs.settings.calendar import from_settings
    from duban.jobs.settings.colours import palette
    from duban.jobs.state.journal import Journal
    from duban.jobs.validate import read_folder

    settings = config.load()
    prints: dict = {}
    reads = read_folder(folder, settings, NOW.date(), fingerprints=prints)
    journal = Journal(folder / ".duban/state.db")
    ctx = rules.Context(NOW, from_settings(settings), settings.rules)
    plans = []
    for read in reads:
        new_ids = check._assign_ids(read, journal, dry_run=False)
        flags = {rec.row: rules.evaluate(rec, ctx, rules.rules_for(read.kind)) for rec in read.records}
        plans.append(check._plan(read, flags, new_ids, {}, palette(settings), prints[read.path], NOW))
    journal.close()
    return plans


def _smalls(n: int) -> list[Path]:
    found = sorted(SMALL.glob("*.xlsx"))[:n]
    if len(found) < n:
        sys.exit(f"{SMALL} holds {len(found)} workbooks; make it with bench/dashboard.py")
    return found


def run(mode: str, arg: str) -> dict:
    from duban.workbooks.write import writeback
    from duban.workbooks.write.roundtrips import counting

    sources = _smalls(int(arg)) if mode.startswith(("counts", "small")) else [Path(arg)]
    folder = _folder(sources)
    plans = _plans(folder)
    out: dict = {"mode": mode, "books": len(plans)}
    if mode == "counts":            # the run's first write makes the backups folder; the second is the usual one
        with counting() as first:
            status = writeback.apply(plans[0], folder / ".duban/backups").status
        with counting() as usual:
            writeback.apply(plans[1], folder / ".duban/backups")
        again = _plans(folder)[0]
        with counting() as second:
            status2 = writeback.apply(again, folder / ".duban/backups").status
        out |= {"first": dict(first), "first_line": first.line(), "status": status,
                "usual": dict(usual), "usual_line": usual.line(),
                "again": dict(second), "again_line": second.line(), "again_status": status2}
    elif mode in ("small-patch", "big-patch", "small-patch-threads", "small-patch-inline"):
        threads = {"small-patch-threads": True, "small-patch-inline": False}.get(mode)
        started, cpu = time.perf_counter(), time.process_time()
        for plan in plans:
            writeback.patched_parts(plan, threads) if threads is not None else writeback.patched_parts(plan)
        out["seconds"], out["cpu"] = time.perf_counter() - started, time.process_time() - cpu
    else:
        started, cpu = time.perf_counter(), time.process_time()
        statuses = [writeback.apply(plan, folder / ".duban/backups").status for plan in plans]
        out["seconds"], out["cpu"] = time.perf_counter() - started, time.process_time() - cpu
        out["statuses"] = sorted(set(statuses))
        if mode == "big":           # the same plan again: the file already holds it
            again = _plans(folder)[0]
            started = time.perf_counter()
            out["again_status"] = writeback.apply(again, folder / ".duban/backups").status
            out["again_seconds"] = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    return out


def threshold(sizes=(200, 1000, 2000, 5000, 10000, 20000), repeat: int = 9) -> None:
    """The patch of one workbook of each size, inline and threaded, best of `repeat`: where the
    threads start to pay is writeback.THREADS_FROM."""
    from _gen import ensure

    from duban.workbooks.write import writeback
    for rows in sizes:
        path = ensure(HERE / "out" / f"tasks-{rows}.xlsx", rows)
        folder = _folder([path])
        [plan] = _plans(folder)
        with __import__("zipfile").ZipFile(path) as zf:
            xml = max(info.file_size for info in zf.infolist())
        wall: dict = {False: [], True: []}
        cpu: dict = {False: [], True: []}
        for _ in range(repeat):           # interleaved: a busy machine slows both alike
            for threads in (False, True):
                started, used = time.perf_counter(), time.process_time()
                writeback.patched_parts(plan, threads)
                wall[threads].append(time.perf_counter() - started)
                cpu[threads].append(time.process_time() - used)
        print(f"{rows:6d} rows, sheet {xml / 1e6:5.2f} MB: inline {min(wall[False]) * 1000:7.1f} ms "
              f"({min(cpu[False]) * 1000:6.1f} CPU), threads {min(wall[True]) * 1000:7.1f} ms "
              f"({min(cpu[True]) * 1000:6.1f} CPU)")
        shutil.rmtree(folder, ignore_errors=True)


def _child(mode: str, arg: str) -> dict:
    return json.loads(subprocess.check_output([sys.executable, __file__, "--run", mode, arg]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("counts", "small", "big", "threshold"))
    parser.add_argument("--run", nargs=2, metavar=("MODE", "ARG"))
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(*args.run)))
        return
    if args.only == "threshold":
        threshold()
        return
    if args.only in (None, "counts"):
        c = _child("counts", "2")
        print(f"one 200-row workbook, a run's first write ({c['status']}): {c['first_line']}  {c['first']}")
        print(f"the next workbook's write: {c['usual_line']}  {c['usual']}")
        print(f"the same plan again ({c['again_status']}): {c['again_line']}  {c['again']}")
    if args.only in (None, "small"):
        for mode in ("small", "small-patch"):
            runs = [_child(mode, str(args.books)) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            print(f"{mode:12s} {args.books} x 200 rows: {best['seconds']:6.2f}s wall, {best['cpu']:6.2f}s CPU  "
                  f"({best['seconds'] / args.books * 1000:.1f} ms each)")
    if args.only in (None, "big"):
        from _gen import ensure
        path = ensure(HERE / "out" / f"tasks-{args.rows}.xlsx", args.rows)
        for mode in ("big", "big-patch"):
            runs = [_child(mode, str(path)) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            more = f"  unchanged re-apply {best['again_seconds']:.2f}s ({best['again_status']})" if mode == "big" else ""
            print(f"{mode:12s} {args.rows} rows: {best['seconds']:6.2f}s wall, {best['cpu']:6.2f}s CPU{more}")


if __name__ == "__main__":
    main()
