"""Benchmark: `duban remind` and `duban summary --week` over 1,000 tasks workbooks × 200 rows.

Usage: python bench/remind.py [--books 1000] [--rows 200] [--repeat 1] [--only remind|summary]
Setup, once: a copy of bench/out/dashboard-<books>x<rows>/ (generated as bench/dashboard.py does
when missing) as bench/out/remind-<books>x<rows>/, a directory (通讯录.xlsx) giving every name of
bench/_gen.py an address and each department a head, duban.toml (a clerk, no office-hours hold),
and one `duban check` a week before; the state folder is then kept aside. Each measured run starts
from that state (the outbox emptied), in a fresh process: its wall time and peak RSS (the child's
own ru_maxrss), and for remind the size of the mails it wrote (outbox/*.eml). The anchor, in the
same run: a raw read of every workbook (python-calamine, every cell of every sheet).
Targets (issue 22): remind ≤ 10× the raw read and ≤ 300 MB; summary --week ≤ 8× and ≤ 300 MB.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
CHECK_AT = "2026-11-16T09:00"
REMIND_AT = "2026-11-23T09:00"
SUMMARY_AT = "2026-11-27T17:30"
DUBAN = str(Path(sys.executable).with_name("duban"))


def setup(folder: Path, books: int, rows: int) -> None:
    """The measured folder: the dashboard benchmark's workbooks, a directory, a config, one check."""
    source = HERE / "out" / f"dashboard-{books}x{rows}"
    if not source.exists():
        from dashboard import generate
        generate(source, books, rows)
    folder.mkdir(parents=True)
    for book in sorted(source.glob("*.xlsx")):
        shutil.copy2(book, folder / book.name)
    code = ("import sys; from pathlib import Path; from bench._gen import NAMES, DEPTS\n"
            "from duban.workbooks.make.template import write_workbook\n"
            "people = [{'name': n, 'department': DEPTS[i % len(DEPTS)], 'email': f'p{i}@example.com',\n"
            "           'dept_head': 'yes' if i < len(DEPTS) else 'no', 'language': 'zh'} for i, n in enumerate(NAMES)]\n"
            "write_workbook('directory', Path(sys.argv[1]) / '通讯录.xlsx', rows=people, names=NAMES, departments=DEPTS)\n")
    subprocess.check_call([sys.executable, "-c", code, str(folder)], cwd=HERE.parent)
    (folder / "duban.toml").write_text('[mail]\nclerks = ["张伟"]\nhold_outside_office_hours = false\n',
                                       encoding="utf-8")
    subprocess.check_call([DUBAN, "check", str(folder), "--now", CHECK_AT, "--json"], stdout=subprocess.DEVNULL)
    shutil.copytree(folder / ".duban", folder.with_name(folder.name + "-state"))


STREAMED = """
import sys
from pathlib import Path
from duban.jobs.dashboard.data import keeper
from duban.jobs.dashboard.write import after_check
from duban.jobs.remind import remind
from duban.jobs.settings import config
from duban.jobs.time.clock import now as clock_now
if __name__ == "__main__":
    folder = Path(sys.argv[1])
    settings = config.load(folder)
    now = clock_now(settings.company.tz, sys.argv[2])
    after_check(folder, settings, remind(folder, settings, now, keep=keeper(settings)))
"""


def measured(args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{args[1]} failed: {child.stderr.read().decode()[-2000:]}")
    return took, usage.ru_maxrss / 1024


def restore(folder: Path) -> None:
    """The state as the setup's check left it; no mail written yet."""
    shutil.rmtree(folder / ".duban")
    shutil.copytree(folder.with_name(folder.name + "-state"), folder / ".duban")
    shutil.rmtree(folder / "outbox", ignore_errors=True)


def raw_read(folder: Path) -> tuple[float, float]:
    code = ("import sys; from pathlib import Path; from python_calamine import CalamineWorkbook\n"
            "for p in sorted(Path(sys.argv[1]).glob('*.xlsx')):\n"
            "    wb = CalamineWorkbook.from_path(str(p))\n"
            "    for name in wb.sheet_names: wb.get_sheet_by_name(name).to_python()\n")
    return measured([sys.executable, "-c", code, str(folder)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=["remind", "summary", "streamed"])
    args = parser.parse_args()
    folder = HERE / "out" / f"remind-{args.books}x{args.rows}"
    if not folder.exists():
        started = time.perf_counter()
        setup(folder, args.books, args.rows)
        print(f"setup (copy, directory, check): {time.perf_counter() - started:.1f}s")
    anchor, anchor_mb = min(raw_read(folder) for _ in range(args.repeat))
    print(f"raw read of all workbooks: {anchor:.2f}s, {anchor_mb:.0f} MB")
    runs = {"remind": [DUBAN, "remind", str(folder), "--now", REMIND_AT, "--json"],
            "summary": [DUBAN, "summary", str(folder), "--week", "--now", SUMMARY_AT, "--json"],
            # remind as the command runs it, with remind(keep=the dashboard's facts): a streamed check
            "streamed": [sys.executable, "-c", STREAMED, str(folder), REMIND_AT]}
    for name, command in runs.items():
        if args.only != name and (args.only or name == "streamed"):
            continue
        best = None
        for _ in range(args.repeat):
            restore(folder)
            took, mb = measured(command)
            best = (took, mb) if best is None or took < best[0] else best
        print(f"{name}: {best[0]:.1f}s ({best[0] / anchor:.1f}× the raw read), peak {best[1]:.0f} MB")
        if name in ("remind", "streamed"):
            mails = sorted((folder / "outbox").rglob("*.eml"), key=lambda p: p.stat().st_size)
            sizes = [p.stat().st_size / 1e6 for p in mails]
            if sizes:
                print(f"  {len(sizes)} mails, largest {sizes[-1]:.2f} MB, median {sizes[len(sizes) // 2]:.3f} MB, "
                      f"all {sum(sizes):.1f} MB")


if __name__ == "__main__":
    main()
