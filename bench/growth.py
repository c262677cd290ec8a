"""Benchmark: how a check's cost grows with the folder and with the workbook (issue 22: linearly).

Usage: python bench/growth.py [--python PATH | --duban PATH] [--label NAME] [--max-books N] [--max-rows N]
                              [--books 100,300,1000,3000] [--rows 10000,30000,100000,300000] [--budget 600]
For each size, a fresh copy of pristine generated workbooks (bench/_folders.py, generated once under
bench/out/ and reused) is checked by the measured environment's `duban check` (a whole process, peak
RSS from a fresh parent, bench/_measure.py): the first check at Monday 2026-11-23 09:00, then the
second an hour later, nothing edited. Sizes: 100, 300, 1,000, 3,000 workbooks × 200 rows, and one
workbook of 10k, 30k, 100k, 300k rows. A size is skipped, and said so, when the previous size's two
checks, scaled by the size ratio, would take more than --budget seconds.

Printed per size: wall and CPU seconds, peak MB, the cost per workbook (ms) or per 1,000 rows (ms);
then a least-squares line through CPU seconds against the size, its R², and the marginal cost of each
step (the extra CPU per extra workbook or 1,000 rows between neighbouring sizes): the cost grows
linearly when the marginal costs stay within 1.5× of each other (a cost that grows with the square of
the size shows as marginal costs rising step by step). CPU is fitted, not wall time, because the
machine is shared. Writes bench/out/growth-<label>.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _folders  # noqa: E402
from _measure import machine, measure, resolve, uptime, version  # noqa: E402

FIRST, SECOND = "2026-11-23T09:00", "2026-11-23T10:00"


def sizes(text: str, cap: int) -> list[int]:
    return [n for n in map(int, filter(None, text.split(","))) if n <= cap]


def check_twice(duban: Path, folder: Path) -> dict:
    first = measure([str(duban), "check", str(folder), "--now", FIRST])
    second = measure([str(duban), "check", str(folder), "--now", SECOND])
    for run in (first, second):
        if run["rc"]:
            print(f"  ! duban check exited {run['rc']}: {run.get('stderr', '')[-300:]}", file=sys.stderr)
    return {"first": first, "second": second}


def series(duban: Path, axis: str, wanted: list[int], work: Path, budget: float) -> list[dict]:
    """One axis ("books" or "rows"): each size checked twice on a fresh copy, smallest first."""
    points: list[dict] = []
    for size in wanted:
        if points:
            last = points[-1]
            projected = (last["first"]["seconds"] + last["second"]["seconds"]) * size / last["size"]
            if projected > budget:
                print(f"{axis} {size:,}: skipped (projected {projected:.0f} s > --budget {budget:.0f} s)", flush=True)
                points.append({"size": size, "skipped": f"projected {projected:.0f} s"})
                break
        folder = work / axis
        _folders.books_copy(folder, size) if axis == "books" else _folders.rows_copy(folder, size)
        point = {"size": size, **check_twice(duban, folder)}
        points.append(point)
        unit = size if axis == "books" else size / 1000
        print(f"{axis} {size:>7,}: " + "; ".join(
            f"{k} {point[k]['seconds']:6.1f} s (CPU {point[k]['cpu']:5.1f} s, {1000 * point[k]['cpu'] / unit:5.1f} ms CPU per "
            f"{'workbook' if axis == 'books' else '1,000 rows'}), {point[k]['peak_mb']:4.0f} MB" for k in ("first", "second"))
            + f"  [load {point['first']['load']:.1f}]", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
    return [p for p in points if "skipped" not in p] + [p for p in points if "skipped" in p]


def fit(points: list[dict], which: str, per: float) -> dict | None:
    """A least-squares line of CPU seconds against size, and the marginal costs between neighbours."""
    done = [p for p in points if "skipped" not in p]
    if len(done) < 2:
        return None
    xs = [p["size"] / per for p in done]
    ys = [p[which]["cpu"] for p in done]
    n, mx, my = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    total = sum((y - my) ** 2 for y in ys)
    r2 = 1 - sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys)) / total if total else 1.0
    marginal = [(ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) for i in range(n - 1)]
    positive = [m for m in marginal if m > 0]
    spread = max(positive) / min(positive) if len(positive) == len(marginal) else float("inf")
    peaks = [p[which]["peak_mb"] for p in done]
    return {"slope_ms": round(1000 * slope, 2), "intercept_s": round(intercept, 2), "r2": round(r2, 4),
            "marginal_ms": [round(1000 * m, 2) for m in marginal], "marginal_spread": round(spread, 2),
            "linear": spread <= 1.5, "peak_mb": [round(p) for p in peaks],
            "peak_mb_per_unit": round((peaks[-1] - peaks[0]) / (xs[-1] - xs[0]), 3)}


def say(axis: str, which: str, result: dict | None) -> str:
    unit = "workbook" if axis == "books" else "1,000 rows"
    if result is None:
        return f"{axis} {which}: fewer than two sizes measured"
    verdict = "linear" if result["linear"] else "NOT linear"
    return (f"{axis} {which} check: {result['slope_ms']} ms CPU per {unit} (fit, R² {result['r2']}); marginal "
            f"{result['marginal_ms']} ms per {unit} between neighbouring sizes (spread {result['marginal_spread']}×): "
            f"{verdict}; peak {result['peak_mb']} MB ({result['peak_mb_per_unit']} MB per extra {unit})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="the Python of the environment to measure (its duban sits beside it)")
    parser.add_argument("--duban", help="the duban console script to measure")
    parser.add_argument("--label", default="current")
    parser.add_argument("--books", default="100,300,1000,3000")
    parser.add_argument("--rows", default="10000,30000,100000,300000")
    parser.add_argument("--max-books", type=int, default=3000)
    parser.add_argument("--max-rows", type=int, default=300_000)
    parser.add_argument("--budget", type=float, default=600, help="skip a size projected to take longer (seconds)")
    args = parser.parse_args()
    duban, _ = resolve(args.duban, args.python)
    work = Path("/tmp") / f"duban-growth-{args.label}"
    shutil.rmtree(work, ignore_errors=True)
    report = {"label": args.label, "duban": str(duban), "version": version(duban), "machine": machine(),
              "started": datetime.now().astimezone().isoformat(timespec="seconds"), "uptime_before": uptime()}
    for axis, wanted, per in (("books", sizes(args.books, args.max_books), 1),
                              ("rows", sizes(args.rows, args.max_rows), 1000)):
        points = series(duban, axis, wanted, work, args.budget)
        report[axis] = {"points": points, **{w: fit(points, w, per) for w in ("first", "second")}}
    report["uptime_after"] = uptime()
    out = HERE / "out" / f"growth-{args.label}.json"
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print()
    for axis in ("books", "rows"):
        for which in ("first", "second"):
            print(say(axis, which, report[axis][which]))
    print(f"load: {report['uptime_before']} → {report['uptime_after']}\nwritten {out}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
