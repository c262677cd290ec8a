"""Benchmark (issue 13): the Python side of the console's 运行 button, for 20 workbooks of 2,000 rows.

Usage: python bench/macros.py [--books 20] [--rows 2000]
Each run is a fresh process, as xlwings' RunPython starts one per click, in a folder of fresh
copies of the generated tasks workbooks (about 30% of rows flagged) with the console beside them:
  start-up   the interpreter alone (python -c pass)
  import     `import duban_console` and what its main() imports (macros.console)
  check      the 立即检查 action through the fake Excel: read, rules, journal, write-back of
             every file (IDs, Alerts, colours), the summary and flagged rows into the result area;
             split into the check job itself and the console's own part
The first click assigns every ID (40,000) and writes every file; the second is the daily case.
Target: start-up + import + check under 2 s.
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
ROOT = HERE.parent
# this file is called macros.py: its own folder must not hide the `macros` package
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

CHILD = r"""
import json, sys, time
started = time.perf_counter()
sys.path[:0] = [{folder!r}, {root!r}]
import duban_console
from duban.macros import console          # what duban_console.main() imports
imported = time.perf_counter()
from pathlib import Path
from duban.macros.fake import FakeBook, FakeExcel
from duban.macros import layout as L
import duban.jobs.check as jc
job = {{}}
real_check = jc.check_folder
def timed(*args, **kwargs):
    t = time.perf_counter()
    try:
        return real_check(*args, **kwargs)
    finally:
        job["check_folder"] = time.perf_counter() - t
jc.check_folder = timed             # the console looks it up when the button is pressed
excel = FakeExcel()
book = excel.add(FakeBook(Path({folder!r}) / L.CONSOLE_NAME, [L.CONSOLE_SHEET["zh"], L.PROBLEMS_SHEET["zh"]]))
book.sheets[L.CONSOLE_SHEET["zh"]].write(L.ACTION_CELL, [["立即检查"]])
ready = time.perf_counter()
result = console.run(excel, book, now="2026-11-23T09:00")
done = time.perf_counter()
print(json.dumps({{"import": imported - started, "check": done - ready, "job": job["check_folder"],
                  "sentence": result.sentence,
                  "error": result.error}}))
"""


def click(folder: Path) -> dict:
    code = CHILD.format(folder=str(folder), root=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=folder)
    return json.loads(out.stdout.strip().splitlines()[-1])


def startup() -> float:
    best = 9.0
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=20)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    import importlib.util
    spec = importlib.util.spec_from_file_location("_gen", HERE / "_gen.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    ensure = gen.ensure
    from duban.jobs.init import config_text
    from duban.macros.build import write_console

    source = ensure(HERE / "out" / f"tasks_{args.rows}.xlsx", args.rows)
    folder = Path(tempfile.mkdtemp(prefix="duban-bench-macros-"))
    try:
        for n in range(args.books):
            shutil.copy(source, folder / f"任务跟进表_{n + 1:02d}.xlsx")
        (folder / "duban.toml").write_text(config_text("zh"), encoding="utf-8")
        write_console(folder, "zh")
        boot = startup()
        print(f"{args.books} workbooks x {args.rows} rows; interpreter start-up {boot:.2f} s")
        for label in ("first click (all IDs new, every file written)", "second click (the daily case)"):
            r = click(folder)
            total = boot + r["import"] + r["check"]
            print(f"{label}: import {r['import']:.2f} s + check {r['check']:.2f} s + start-up = {total:.2f} s "
                  f"({'under' if total < 2 else 'OVER'} the 2 s target)")
            print(f"  of which the check job itself (jobs.check.check_folder) {r['job']:.2f} s, the console "
                  f"(settings, progress, result into the sheet) {r['check'] - r['job']:.2f} s")
            print(f"  {r['sentence']}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
