"""Pristine benchmark inputs, generated once under bench/out/ and copied fresh for every measurement.

A checked workbook is no longer the input of a first check (IDs, Alerts and colours are in it, the
journal knows it), so the generated files are never checked in place: bench/out/pool-<rows>/ holds
workbooks 0000, 0001, … of `rows` rows (workbook n uses seed n, as bench/dashboard.py's generator,
so the first 1,000 are the files of bench/out/dashboard-1000x200/ before its check), and a
measurement copies the first `books` of them into its own folder. The pool only grows.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

_MAKE = ("import sys; from pathlib import Path; from datetime import date; from bench._gen import tasks_workbook\n"
         "folder, start, stop, rows = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])\n"
         "for n in range(start, stop):\n"
         "    tasks_workbook(folder / f'.{n:04d}.tmp', rows, date(2026, 11, 23), seed=n)\n"
         "    (folder / f'.{n:04d}.tmp').rename(folder / f'部门{n:04d}任务跟进表.xlsx')\n")

# The people directory (a head per department, everyone with an address: remind, alert and the
# summary have someone to mail) and duban.toml (mail to the outbox at any hour), as bench/summary.py.
_EXTRAS = ("import sys; from pathlib import Path; from bench._gen import DEPTS, NAMES\n"
           "from duban.workbooks.make.template import write_workbook\n"
           "folder = Path(sys.argv[1])\n"
           "people = [{'name': n, 'department': DEPTS[i % len(DEPTS)], 'email': f'p{i}@example.com',\n"
           "           'dept_head': 'yes' if i < len(DEPTS) else 'no', 'language': 'zh'} for i, n in enumerate(NAMES)]\n"
           "write_workbook('directory', folder / '通讯录.xlsx', rows=people, names=NAMES, departments=DEPTS)\n")
TOML = '[mail]\nclerks = ["张伟"]\nhold_outside_office_hours = false\n'
EXTRAS = ("通讯录.xlsx", "duban.toml")


def book_name(n: int) -> str:
    return f"部门{n:04d}任务跟进表.xlsx"


def pool(books: int, rows: int = 200) -> Path:
    """bench/out/pool-<rows>/ with at least `books` workbooks; the missing ones are generated in a
    child process (the measuring parent stays small: Linux carries its peak into what it forks)."""
    folder = OUT / f"pool-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    have = 0
    while (folder / book_name(have)).exists():
        have += 1
    if not (folder / EXTRAS[0]).exists():
        subprocess.check_call([sys.executable, "-c", _EXTRAS, str(folder)], cwd=HERE.parent)
        (folder / EXTRAS[1]).write_text(TOML, encoding="utf-8")
    if have < books:
        started = time.perf_counter()
        subprocess.check_call([sys.executable, "-c", _MAKE, str(folder), str(have), str(books), str(rows)],
                              cwd=HERE.parent)
        print(f"generated workbooks {have}..{books - 1} of {rows} rows in {time.perf_counter() - started:.1f}s",
              file=sys.stderr)
    return folder


def books_copy(dest: Path, books: int, rows: int = 200) -> Path:
    """A fresh folder `dest` holding copies of the first `books` pristine workbooks, the directory and duban.toml."""
    source = pool(books, rows)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for name in [*EXTRAS, *map(book_name, range(books))]:
        shutil.copy2(source / name, dest / name)
    return dest


def rows_book(rows: int) -> Path:
    """bench/out/tasks-<rows>.xlsx, one tasks workbook of `rows` rows (bench/_gen.py; never checked in place)."""
    path = OUT / f"tasks-{rows}.xlsx"
    if not path.exists():      # as bench/_gen.ensure, without importing openpyxl and duban here
        started = time.perf_counter()
        OUT.mkdir(exist_ok=True)
        subprocess.check_call([sys.executable, str(HERE / "_gen.py"), str(path), str(rows), "2026-11-23"])
        print(f"generated {path.name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return path


def rows_copy(dest: Path, rows: int) -> Path:
    """A fresh folder `dest` holding a copy of the `rows`-row workbook."""
    source = rows_book(rows)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(source, dest / source.name)
    return dest


if __name__ == "__main__":
    for size in sys.argv[1:]:
        kind, _, n = size.partition("=")
        pool(int(n)) if kind == "books" else rows_book(int(n))
