"""Benchmark (issue 22): one click of the console's 运行 button at 1,000 workbooks × 200 rows, with
`duban serve` running for the folder (the click is handed to serve's warm worker) and without it
(the click's fresh process runs the whole check).

Usage: python bench/console.py [--books 1000] [--rows 200] [--clicks 3] [--cold 2] [--action check] [--workers N]
The folder is a fresh copy of the workbooks of bench/out/dashboard-<books>x<rows>/ (made by
bench/dashboard.py) with a duban.toml whose schedule is off and the console beside them. Each
click is a fresh process, as xlwings' RunPython starts one: the interpreter, `import
duban_console` and macros.console, then console.run through the fake Excel (status bar and the
open books counted). Order: two cold clicks (the first journals every row; the second is the
daily case, timed; `--cold 0`: none), then `duban serve` starts, one click warms its worker (its
first check: reads every workbook into the worker's cache), then `--clicks` clicks with serve
running. `--workers N` writes `[performance] workers = N` into duban.toml.
Target (issue 22): a click with serve running under 3 s.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OFF = ('[schedule]\ncheck = "off"\nalert = "off"\nremind = "off"\ninbox = "off"\nsummary_week = "off"\n'
       'summary_month = "off"\n\n')

CHILD = r"""
import json, sys, time
started = time.perf_counter()
sys.path[:0] = [{folder!r}, {root!r}]
import duban_console
from duban.macros import console
imported = time.perf_counter()
from pathlib import Path
from duban.macros.fake import FakeBook, FakeExcel
from duban.macros import layout as L
excel = FakeExcel()
lookups = {{"open_book": 0, "open_books": 0}}
def counted(name, real):
    def call(*args):
        lookups[name] += 1
        return real(*args)
    return call
for name in lookups:
    if hasattr(excel, name):
        setattr(excel, name, counted(name, getattr(excel, name)))
book = excel.add(FakeBook(Path({folder!r}) / L.CONSOLE_NAME, [L.CONSOLE_SHEET["zh"], L.PROBLEMS_SHEET["zh"]]))
book.sheets[L.CONSOLE_SHEET["zh"]].write(L.ACTION_CELL, [[L.label({action!r}, "zh")]])
ready = time.perf_counter()
result = console.run(excel, book, now="2026-11-23T09:00")
done = time.perf_counter()
by_serve = console.TEXT["zh"]["by_serve"].split("{{")[0]
print(json.dumps({{"import": imported - started, "click": done - ready, "sentence": result.sentence,
                  "error": result.error, "served": any(line.startswith(by_serve) for line in result.lines),
                  "status": len([t for t in excel.status_texts if t is not None]),
                  "listed": lookups["open_books"], "looked_up": lookups["open_book"]}}))
"""


def click(folder: Path, action: str) -> dict:
    code = CHILD.format(folder=str(folder), root=str(ROOT), action=action)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=folder)
    if out.returncode:
        raise SystemExit(out.stderr)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    found["wall"] = time.perf_counter() - started          # the whole fresh process, start-up included
    return found


def say(label: str, r: dict) -> None:
    print(f"{label}: {r['wall']:.2f} s in all (import {r['import']:.2f} s, click {r['click']:.2f} s); "
          f"{'by serve' if r['served'] else 'in-process'}; status-bar updates {r['status']}, "
          f"open books listed {r['listed']}x, looked up one by one {r['looked_up']}x")
    print(f"  {r['sentence'][:160]}")


def start_serve(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", "from duban.jobs.cli import main; main()", "serve", str(folder)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (folder / ".duban" / "serve.lock").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("duban serve did not start")
        time.sleep(0.2)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--clicks", type=int, default=3)
    parser.add_argument("--cold", type=int, default=2)
    parser.add_argument("--action", default="check")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from duban.jobs.init import config_text
    from duban.macros.build import write_console

    source = HERE / "out" / f"dashboard-{args.books}x{args.rows}"
    if not source.exists():
        raise SystemExit(f"{source} is missing: run python bench/dashboard.py --books {args.books} --rows {args.rows}")
    folder = Path(tempfile.mkdtemp(prefix="duban-bench-console-"))
    proc = None
    try:
        for book in sorted(source.glob("*.xlsx")):
            shutil.copy(book, folder / book.name)
        text = config_text("zh")
        start, end = text.index("[schedule]"), text.index("[serve]")
        text = text[:start] + OFF + text[end:]
        if args.workers is not None:
            text = re.sub(r"(?m)^\[performance\][^\[]*", "", text) + f"\n[performance]\nworkers = {args.workers}\n"
        (folder / "duban.toml").write_text(text, encoding="utf-8")
        write_console(folder, "zh")
        print(f"{args.books} workbooks x {args.rows} rows, action {args.action}, workers {args.workers}")
        if args.cold:
            say("cold click 1 (journals every row)", click(folder, args.action))
        cold = [click(folder, args.action) for _ in range(args.cold)]
        for n, r in enumerate(cold, 2):
            say(f"cold click {n} (the daily case)", r)
        proc = start_serve(folder)
        say("first click with serve (its worker's first check)", click(folder, args.action))
        warm = [click(folder, args.action) for _ in range(args.clicks)]
        for n, r in enumerate(warm, 1):
            say(f"click {n} with serve running", r)
        if any(r["error"] or not r["served"] for r in warm):
            print("FAILED: a click with serve running was not answered by serve, or its answer is an error")
        best_warm = min(r["wall"] for r in warm)
        print((f"cold (best of {len(cold)}) {min(r['wall'] for r in cold):.2f} s; " if cold else "")
              + f"with serve (best of {len(warm)}) {best_warm:.2f} s, median "
              f"{statistics.median(r['wall'] for r in warm):.2f} s; {'under' if best_warm < 3 else 'OVER'} the 3 s target")
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
