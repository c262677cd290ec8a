"""Benchmark: every row of issue 22's table, each against its anchor in the same run, with peak memory.

Usage: python bench/table.py [--python PATH | --duban PATH] [--label NAME] [--repeat 3] [--only ROW ...] [--quick]
  --python/--duban  the environment measured: its `duban` console script runs every job as a user
                    runs it (a whole process, `--now` for the simulated time), its Python the anchors;
                    by default the environment running this script. Measure an old install and the
                    current one with the same script, e.g. a plain `pip install` of a commit into a venv.
  --quick           5,000 rows and 50 workbooks instead of 100,000 and 1,000 (to try the script).
Rows (names for --only): validate, first-100k, second-100k, first-1000, second-1000, remind, alert,
summary. Each figure is the best of --repeat runs (peak memory: the largest of them), wall time of
the whole process, peak RSS taken by a fresh parent (bench/_measure.py); its CPU (user + system) is
shown too, with the ratio of CPU times, because on a shared machine wall time waits for the cores.
The anchors (bench/_anchors.py) report the wall and CPU time of their work without interpreter start.
"met?" judges the wall-time ratio (and the peak where the issue gives one). Inputs are generated once under bench/out/
(bench/_folders.py: never checked in place) and copied fresh; the runs happen under
/tmp/duban-table-<label>/. The timeline of the folder rows, from Monday 2026-11-23 09:00:
  first check      each run on a fresh copy, at Monday 09:00
  second check     the checked folder again at 10:00, 11:00, 12:00 (an hour after the last, nothing edited)
  remind           day k = Tuesday, Wednesday, …: a check at 08:30, then the timed `duban remind` at 09:00
                   (state.db's growth per remind is recorded: the issue's < 1 MB at 1,000 workbooks)
  alert            `duban alert` on the last remind's day at 10:05, 10:10, …
  summary          `duban summary --week` on that week's Friday at 17:30, 17:35, …
Prints the table in the issue's format and writes it as JSON to bench/out/table-<label>.json.
`python bench/table.py --compare BEFORE AFTER` prints two labels' tables side by side (before → after).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _folders  # noqa: E402
from _measure import best, machine, measure, resolve, uptime, version  # noqa: E402

MONDAY = datetime(2026, 11, 23, 9, 0)
ROWS = ("validate", "first-100k", "second-100k", "first-1000", "second-1000", "remind", "alert", "summary")
# row: (what, anchor, "slower" = duban/anchor ≤ target | "faster" = anchor/duban ≥ target, ratio target, MB target)
TARGETS = {
    "validate": ("validate, one {rows}-row tasks workbook", "raw-rows", "slower", 1.5, None),
    "first-100k": ("first check, {rows} rows", "openpyxl", "faster", 8.0, 300),
    "second-100k": ("second check an hour later, nothing edited, {rows} rows", "raw-rows", "slower", 2.0, None),
    "first-1000": ("first check, {books} workbooks × 200 rows", "raw-books", "slower", 8.0, None),
    "second-1000": ("second check, same folder, nothing edited", "raw-books", "slower", 2.0, None),
    "remind": ("remind (after a check), same folder", "raw-books", "slower", 10.0, 300),
    "alert": ("alert as a one-off command", "raw-books", "slower", 1.5, None),
    "summary": ("summary --week, same folder", "raw-books", "slower", 8.0, 300),
}
ANCHOR_NAMES = {"raw-rows": "python-calamine raw read", "raw-books": "raw read of all",
                "openpyxl": "openpyxl load + recolour + save"}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


class Run:
    """One measured environment, its work folders and the anchors measured so far."""

    def __init__(self, args) -> None:
        self.duban, self.python = resolve(args.duban, args.python)
        if not self.duban.exists():
            sys.exit(f"no duban console script at {self.duban}")
        self.repeat, self.quick = args.repeat, args.quick
        self.rows, self.books = (5_000, 50) if args.quick else (100_000, 1_000)
        self.work = Path("/tmp") / f"duban-table-{args.label}"
        self.anchors: dict[str, dict] = {}
        self.folder_state: str | None = None     # what the books folder has been through ("checked")
        if args.reuse and (self.work / "books" / ".duban").is_dir():
            self.folder_state = "checked"

    def job(self, *words: str, folder: Path, at: datetime) -> dict:
        result = measure([str(self.duban), *words, str(folder), "--now", stamp(at)])
        if result["rc"]:
            print(f"  ! duban {words[0]} exited {result['rc']}: {result.get('stderr', '')[-300:]}", file=sys.stderr)
        return result

    def anchor(self, key: str) -> dict:
        """An anchor, measured once per run (best of --repeat) and shared by the rows that read against it."""
        if key not in self.anchors:
            if key == "openpyxl":
                runs = [self._anchor("openpyxl", _folders.rows_copy(self.work / "anchor", self.rows)) for _ in range(self.repeat)]
            else:
                source = _folders.rows_book(self.rows) if key == "raw-rows" else _folders.books_copy(
                    self.work / "anchor", self.books)
                runs = [self._anchor("raw", source) for _ in range(self.repeat)]
            self.anchors[key] = best(runs)
        return self.anchors[key]

    def _anchor(self, mode: str, target: Path) -> dict:
        if target.is_dir() and mode == "openpyxl":
            target = next(target.glob("*.xlsx"))
        result = measure([str(self.python), str(HERE / "_anchors.py"), mode, str(target)])
        if result["rc"] or "out" not in result:
            sys.exit(f"anchor {mode} failed: {result.get('stderr', '')[-1000:]}")
        result["wall"], result["seconds"] = result["seconds"], result["out"]["work"]
        result["process_cpu"], result["cpu"] = result["cpu"], result["out"]["work_cpu"]
        return result

    def checked_books(self) -> Path:
        """The books folder after a first check at Monday 09:00 (made now unless a row left one)."""
        folder = self.work / "books"
        if self.folder_state != "checked":
            _folders.books_copy(folder, self.books)
            self.job("check", folder=folder, at=MONDAY)
            self.folder_state = "checked"
        return folder


def row_validate(run: Run) -> dict:
    runs = []
    for _ in range(run.repeat):     # a fresh copy each time: a cache of an earlier read would not be a validate
        folder = _folders.rows_copy(run.work / "rows", run.rows)
        runs.append(run.job("validate", folder=folder, at=MONDAY))
    return {"duban": best(runs)}


def row_first_rows(run: Run) -> dict:
    runs = []
    for _ in range(run.repeat):
        folder = _folders.rows_copy(run.work / "rows", run.rows)
        runs.append(run.job("check", folder=folder, at=MONDAY))
    return {"duban": best(runs)}


def row_second_rows(run: Run) -> dict:
    folder = _folders.rows_copy(run.work / "rows", run.rows)
    setup = run.job("check", folder=folder, at=MONDAY)
    runs = [run.job("check", folder=folder, at=MONDAY + timedelta(hours=k)) for k in range(1, run.repeat + 1)]
    return {"duban": best(runs), "setup_first_check": setup}


def row_first_books(run: Run) -> dict:
    runs = []
    for _ in range(run.repeat):
        folder = _folders.books_copy(run.work / "books", run.books)
        runs.append(run.job("check", folder=folder, at=MONDAY))
    run.folder_state = "checked"
    return {"duban": best(runs)}


def row_second_books(run: Run) -> dict:
    folder = run.checked_books()
    runs = [run.job("check", folder=folder, at=MONDAY + timedelta(hours=k)) for k in range(1, run.repeat + 1)]
    run.folder_state = "checked"
    return {"duban": best(runs)}


def state_size(folder: Path) -> int:
    state = folder / ".duban"
    return sum(p.stat().st_size for p in state.glob("state.db*") if p.name != "state.db.bak") if state.exists() else 0


def row_remind(run: Run) -> dict:
    folder = run.checked_books()
    runs, growth = [], []
    for k in range(1, run.repeat + 1):
        day = MONDAY + timedelta(days=k)
        run.job("check", folder=folder, at=day - timedelta(minutes=30))
        before = state_size(folder)
        runs.append(run.job("remind", folder=folder, at=day))
        growth.append((state_size(folder) - before) / 1e6)
    run.folder_state = "checked"
    return {"duban": best(runs), "state_db_growth_mb_per_remind": [round(g, 2) for g in growth],
            "state_db_mb": round(state_size(folder) / 1e6, 1)}


def last_remind_day(run: Run) -> datetime:
    return MONDAY + timedelta(days=run.repeat)


def row_alert(run: Run) -> dict:
    folder = run.checked_books()
    start = last_remind_day(run) + timedelta(hours=1, minutes=5)
    runs = [run.job("alert", folder=folder, at=start + timedelta(minutes=5 * k)) for k in range(run.repeat)]
    return {"duban": best(runs)}


def row_summary(run: Run) -> dict:
    folder = run.checked_books()
    day = last_remind_day(run)
    friday = (day + timedelta(days=(4 - day.weekday()) % 7)).replace(hour=17, minute=30)
    runs = [run.job("summary", "--week", folder=folder, at=friday + timedelta(minutes=5 * k)) for k in range(run.repeat)]
    return {"duban": best(runs)}


ROW_RUNS = {"validate": row_validate, "first-100k": row_first_rows, "second-100k": row_second_rows,
            "first-1000": row_first_books, "second-1000": row_second_books, "remind": row_remind,
            "alert": row_alert, "summary": row_summary}


def judge(row: str, result: dict, anchor: dict) -> dict:
    _, _, sense, target, mb = TARGETS[row]
    ours, theirs = result["duban"]["seconds"], anchor["seconds"]
    ratio = theirs / ours if sense == "faster" else ours / theirs
    met = (ratio >= target if sense == "faster" else ratio <= target)
    if mb is not None:      # the memory of all the processes a job runs (a pool's workers too)
        met = met and max(result["duban"]["peak_mb"], result["duban"].get("tree_mb", 0)) <= mb
    cpu = (anchor["cpu"] / result["duban"]["cpu"]) if sense == "faster" else result["duban"]["cpu"] / anchor["cpu"]
    return {"ratio": round(ratio, 2), "cpu_ratio": round(cpu, 2), "met": met}


def target_text(row: str) -> str:
    _, _, sense, target, mb = TARGETS[row]
    text = f"≥ {target:g}× faster" if sense == "faster" else f"≤ {target:g}×"
    return text + (f", ≤ {mb} MB" if mb else "")


def cells(row: str, entry: dict, run_sizes: dict) -> list[str]:
    what, key, sense, _, _ = TARGETS[row]
    duban, anchor = entry["duban"], entry["anchor"]
    faster = " faster" if sense == "faster" else ""
    ratio = f"{entry['ratio']:.1f}×{faster} (CPU {entry['cpu_ratio']:.1f}×)"
    anchor_text = f"{ANCHOR_NAMES[key]} {anchor['seconds']:.2f} s (CPU {anchor['cpu']:.2f} s)" + (
        f", {anchor['peak_mb']:.0f} MB" if key == "openpyxl" else "")
    tree = duban.get("tree_mb", 0)
    workers = f" ({tree:.0f} MB all processes)" if tree > 1.1 * duban["peak_mb"] else ""
    return [what.format(**run_sizes), f"{duban['seconds']:.2f} s (CPU {duban['cpu']:.2f} s), {duban['peak_mb']:.0f} MB{workers}",
            anchor_text, ratio, target_text(row), "yes" if entry["met"] else "no"]


def print_table(report: dict) -> None:
    sizes = {"rows": f"{report['rows']:,}", "books": f"{report['books']:,}"}
    print(f"\n{report['label']}: {report['version']} ({report['duban']}), best of {report['repeat']}")
    print("| work | duban | anchor | ratio | target | met? |\n|---|---|---|---|---|---|")
    for row, entry in report["results"].items():
        print("| " + " | ".join(cells(row, entry, sizes)) + " |")
    remind = report["results"].get("remind")
    if remind:
        print(f"state.db growth per remind: {remind['state_db_growth_mb_per_remind']} MB (target < 1 MB at 1,000 "
              f"workbooks); state.db after the run {remind['state_db_mb']} MB")
    print(f"load: {report['uptime_before']} → {report['uptime_after']}")


def compare(before_label: str, after_label: str) -> None:
    """The issue's closing table: duban before and after, each run's anchor, the ratio before → after."""
    before, after = (json.loads((HERE / "out" / f"table-{label}.json").read_text(encoding="utf-8"))
                     for label in (before_label, after_label))
    sizes = {"rows": f"{after['rows']:,}", "books": f"{after['books']:,}"}
    print("| work | duban before | duban after | anchor (before run / after run) | ratio before → after "
          "(CPU) | target | met? |\n|---|---|---|---|---|---|---|")
    for row in ROWS:
        if row not in after["results"] or row not in before["results"]:
            continue
        old, new = before["results"][row], after["results"][row]
        a, b = cells(row, old, sizes), cells(row, new, sizes)
        anchor = f"{old['anchor']['seconds']:.2f} s / {new['anchor']['seconds']:.2f} s"
        ratio = f"{a[3].split(' (')[0]} → {b[3].split(' (')[0]} ({old['cpu_ratio']:.1f}× → {new['cpu_ratio']:.1f}×)"
        print(f"| {b[0]} | {a[1]} | {b[1]} | {anchor} | {ratio} | {b[4]} | {b[5]} |")


def main() -> None:
    if sys.argv[1:2] == ["--compare"]:
        compare(*sys.argv[2:4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="the Python of the environment to measure (its duban sits beside it)")
    parser.add_argument("--duban", help="the duban console script to measure")
    parser.add_argument("--label", default="current", help="names the JSON (bench/out/table-LABEL.json) and work folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", action="append", choices=ROWS, help="run only this row (may be repeated)")
    parser.add_argument("--quick", action="store_true", help="5,000 rows and 50 workbooks")
    parser.add_argument("--merge", action="store_true", help="keep the rows of an earlier bench/out/table-LABEL.json "
                        "that this run does not measure (a table finished in pieces; each row keeps its own load)")
    parser.add_argument("--reuse", action="store_true", help="with --merge: go on in the books folder an earlier, "
                        "stopped run of this label checked (saves the untimed first check)")
    args = parser.parse_args()
    run = Run(args)
    report = {"label": args.label, "duban": str(run.duban), "version": version(run.duban), "repeat": run.repeat,
              "quick": run.quick, "rows": run.rows, "books": run.books, "machine": machine(),
              "started": datetime.now().astimezone().isoformat(timespec="seconds"), "uptime_before": uptime(),
              "results": {}}
    out = HERE / "out" / f"table-{args.label}.json"
    if args.merge and out.exists():
        earlier = json.loads(out.read_text(encoding="utf-8"))
        report["results"] = {k: v for k, v in earlier["results"].items() if not args.only or k not in args.only}
        report["pieces"] = earlier.get("pieces", []) + [earlier["started"]]
    if not args.reuse:
        shutil.rmtree(run.work, ignore_errors=True)
    for row in [r for r in ROWS if not args.only or r in args.only]:
        anchor = run.anchor(TARGETS[row][1])
        entry = ROW_RUNS[row](run)
        entry["anchor"] = anchor
        entry.update(judge(row, entry, anchor))
        entry.update(measured=datetime.now().astimezone().isoformat(timespec="seconds"), repeat=run.repeat,
                     uptime=uptime())
        report["results"][row] = entry
        report["results"] = {r: report["results"][r] for r in ROWS if r in report["results"]}
        out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")    # after every row
        print(f"{row}: " + " | ".join(cells(row, entry, {"rows": run.rows, "books": run.books})[1:]), flush=True)
    report["uptime_after"] = uptime()
    report["finished"] = datetime.now().astimezone().isoformat(timespec="seconds")
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print_table(report)
    print(f"written {out}")
    shutil.rmtree(run.work, ignore_errors=True)


if __name__ == "__main__":
    main()
