"""Benchmark (issue 22, first row): `duban validate` of one 100,000-row tasks workbook vs a raw
python-calamine read of it, both as whole processes (interpreter start and imports included).

Usage: python bench/read_validate.py [--rows 100000] [--runs 5] [--before /path/to/other/python]
The runs alternate (raw, validate, [before], raw, validate, ...) so a machine shared with other
work loads them alike; each figure is the best of `--runs`, wall time and the child's CPU time.
`--before` names the interpreter of another install of duban (e.g. a wheel of the version before
a change): its `duban validate` is timed in the same rounds. Target: validate <= 1.5x raw.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = ("import sys, python_calamine as c\n"
       "b = c.CalamineWorkbook.from_path(sys.argv[1])\n"
       "rows = b.get_sheet_by_name(b.sheet_names[0]).to_python()\n")
VALIDATE = "import sys; sys.argv[0] = 'duban'; from duban.jobs.cli import main; main()"


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one whole process."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", help="the python of another duban install, timed alongside")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from _gen import ensure

    source = ensure(HERE / "out" / f"tasks-{args.rows}.xlsx", args.rows)
    folder = Path(tempfile.mkdtemp(prefix="duban-validate-"))
    book = shutil.copy(source, folder / source.name)
    commands = {"raw calamine": [sys.executable, "-c", RAW, str(book)],
                "duban validate": [sys.executable, "-c", VALIDATE, "validate", str(folder), "--now", "2026-11-23T09:00"]}
    if args.before:
        commands["validate (before)"] = [args.before, "-c", VALIDATE, "validate", str(folder), "--now",
                                         "2026-11-23T09:00"]
    best = {name: (float("inf"), float("inf")) for name in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            wall, cpu = timed(argv)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    shutil.rmtree(folder, ignore_errors=True)
    raw_wall, raw_cpu = best["raw calamine"]
    for name, (wall, cpu) in best.items():
        print(f"{name:18s}: {wall:5.2f} s wall ({wall / raw_wall:.2f}x raw), {cpu:5.2f} s CPU ({cpu / raw_cpu:.2f}x raw)")
    ratio = best["duban validate"][0] / raw_wall
    print(f"target validate <= 1.5x raw (wall): {'OK' if ratio <= 1.5 else 'OVER'} at {ratio:.2f}x")


if __name__ == "__main__":
    main()
