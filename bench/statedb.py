"""Benchmark: how state.db grows per remind, and what the journal costs per check (issue 22).

Usage: python bench/statedb.py [--books 1000] [--rows 200] [--days 3] [--folder PATH]
Setup: a copy of bench/out/dashboard-<books>x<rows>/ with a directory and duban.toml (as
bench/remind.py makes it) as bench/out/statedb-<books>x<rows>/, its state folder removed. Then, in
this process and in simulated time: a first check (the journal's own time: record, reserve IDs,
plan/confirm/set painted, timed around the Journal methods), `--days` daily reminds at 09:00 on
working days (state.db size, ledger lines and ledger-copy.jsonl size after each), a second check
of the unchanged folder (journal time again) and `Journal.lifetimes`. Prints one JSON object.
Targets: state.db under 1 MB per remind at 1,000 workbooks; a year of daily reminds under 200 MB.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
ZONE = ZoneInfo("Asia/Shanghai")
TIMED = ("record", "reserve_ids", "plan_painted", "confirm_painted", "set_painted", "painted", "drop_pending")


def timed_journal() -> dict[str, float]:
    """Wrap the Journal's methods that the check calls; seconds spent in each, by name."""
    from duban.jobs.state.journal import Journal
    spent: dict[str, float] = defaultdict(float)
    for name in TIMED:
        original = getattr(Journal, name, None)
        if original is None:
            continue

        def wrapper(*args, _f=original, _n=name, **kwargs):
            started = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_n] += time.perf_counter() - started
        setattr(Journal, name, wrapper)
    return spent


def sizes(folder: Path) -> dict:
    state = folder / ".duban"
    db = state / "state.db"
    out = {"state_mb": round(db.stat().st_size / 1e6, 2)}
    con = sqlite3.connect(db)
    try:
        for table in ("notified", "ledger_told", "ledger_sends", "formats", "painted", "rows", "events"):
            try:
                out[f"{table}_rows"] = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            except sqlite3.Error:
                pass
    finally:
        con.close()
    copy = state / "ledger-copy.jsonl"
    out["copy_mb"] = round(copy.stat().st_size / 1e6, 2) if copy.exists() else 0
    return out


def workdays(start: datetime, n: int) -> list[datetime]:
    days, day = [], start
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def journal_only(books: int, sample: int, source: Path) -> dict:
    """The journal alone, no workbook written: `sample` workbooks read once, their records
    recorded under `books` names (a first record, then the same rows again), their IDs reserved,
    100 painted cells each planned and confirmed, then Journal.lifetimes; in a fresh state.db."""
    import tempfile
    from types import SimpleNamespace

    from duban.jobs.settings.config import load as load_settings
    from duban.jobs.state.journal import Journal
    from duban.jobs.validate import read_folder
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "books"
        folder.mkdir()
        for book in sorted(source.glob("*.xlsx"))[:sample]:
            shutil.copy2(book, folder / book.name)
        reads = [r for r in read_folder(folder, load_settings(folder), datetime(2026, 11, 23).date()) if r.kind]
        fmt = {"fill": {"fgColor": "FFFFFFFF", "patternType": "solid"}, "font": {"name": "微软雅黑", "sz": 11},
               "border": {s: {"style": "thin", "color": "FFBFBFBF"} for s in ("left", "right", "top", "bottom")},
               "alignment": {"horizontal": "left", "vertical": "center", "wrapText": True}, "numFmt": "General"}
        journal = Journal(Path(tmp) / "state.db")
        out, now = {}, datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)
        names = [(f"{n:04d}-{r.path.name}", r) for n in range(books // len(reads)) for r in reads]
        for label, when in (("record_first", now), ("record_unchanged", now + timedelta(hours=1))):
            started = time.perf_counter()
            for name, read in names:
                journal.record(name, read.records, when)
            out[label] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        for _name, read in names:
            journal.reserve_ids("T", 5, [rec.id for rec in read.records if rec.id])
        out["reserve_ids"] = round(time.perf_counter() - started, 2)
        fingerprint = SimpleNamespace(size=1, mtime_ns=1, sha256="0" * 64)
        started = time.perf_counter()
        for name, read in names:
            entries = {(rec.id, "status"): ("FFFFC000", fmt) for rec in read.records[:100] if rec.id}
            journal.plan_painted(name, entries, fingerprint, (2, 2), now)
            journal.confirm_painted(name)
            journal.painted(name)
        out["plan_confirm_painted"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        journal.lifetimes()
        out["lifetimes"] = round(time.perf_counter() - started, 2)
        journal.close()
        out["state_mb"] = round((Path(tmp) / "state.db").stat().st_size / 1e6, 1)
    return out


def ledger_year(items: int, recipients: int, days: int) -> dict:
    """The ledger alone over `days` working days of digests (every item told every day to one of
    `recipients`, as at 1,000 workbooks: ~108,000 items, 17 recipients): state.db MB after some days,
    the old layout (one row per line) against the new (jobs/notify/ledgerstore.py)."""
    import tempfile

    from duban.jobs.notify import ledgerstore
    old = ("CREATE TABLE notified (recipient TEXT NOT NULL, item TEXT NOT NULL, rule TEXT NOT NULL, "
           "deadline TEXT NOT NULL, kind TEXT NOT NULL, day TEXT NOT NULL, at TEXT NOT NULL, mail TEXT NOT NULL, "
           "PRIMARY KEY (recipient, item, rule, deadline, kind, day))")
    marks = sorted({1, 2, 30, 64, days})
    out: dict = {"items": items, "recipients": recipients, "old_mb": {}, "new_mb": {}}
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {"old_mb": sqlite3.connect(Path(tmp) / "old.db", isolation_level=None),
               "new_mb": sqlite3.connect(Path(tmp) / "new.db", isolation_level=None)}
        dbs["old_mb"].execute(old)
        dbs["new_mb"].executescript(ledgerstore.SCHEMA)
        day = datetime(2026, 1, 5, 9, 0, tzinfo=ZONE)
        for n, when in enumerate(workdays(day, days), start=1):
            lines = [(f"p{i % recipients}", f"T-{i:06d}", "overdue", "2026-01-02", "digest", when.date().isoformat(),
                      when.isoformat(), f"digest:p{i % recipients}:{when.date()}") for i in range(items)]
            dbs["old_mb"].execute("BEGIN")
            dbs["old_mb"].executemany("INSERT OR IGNORE INTO notified VALUES (?,?,?,?,?,?,?,?)", lines)
            dbs["old_mb"].execute("COMMIT")
            ledgerstore.store(dbs["new_mb"], lines)
            if n in marks:
                for name, db in dbs.items():
                    pages = db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
                    out[name][n] = round(pages / 1e6, 1)
                print(json.dumps(out), file=sys.stderr)
        for db in dbs.values():
            db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledger-year", type=int, metavar="DAYS", help="the ledger alone (see ledger_year)")
    parser.add_argument("--items", type=int, default=108_000)
    parser.add_argument("--recipients", type=int, default=17)
    parser.add_argument("--journal", action="store_true", help="time the journal alone (see journal_only)")
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.ledger_year:
        print(json.dumps(ledger_year(args.items, args.recipients, args.ledger_year), indent=1))
        return
    if args.journal:
        source = HERE / "out" / f"dashboard-1000x{args.rows}"      # only `--sample` of its workbooks are read
        print(json.dumps(journal_only(args.books, args.sample, source), indent=1))
        return
    folder = args.folder or HERE / "out" / f"statedb-{args.books}x{args.rows}"
    if not folder.exists():
        from remind import setup
        setup(folder, args.books, args.rows)
    shutil.rmtree(folder / ".duban", ignore_errors=True)
    shutil.rmtree(folder / "outbox", ignore_errors=True)
    from duban.jobs.check import check_folder
    from duban.jobs.remind import remind
    from duban.jobs.settings.config import load as load_settings
    from duban.jobs.state.journal import Journal
    settings = load_settings(folder)
    spent = timed_journal()
    out: dict = {"books": args.books, "rows": args.rows}
    started = time.perf_counter()
    check_folder(folder, settings, datetime(2026, 11, 16, 9, 0, tzinfo=ZONE))
    out["first_check"] = {"s": round(time.perf_counter() - started, 1),
                          "journal": {k: round(v, 2) for k, v in spent.items()}, **sizes(folder)}
    reminds = []
    for day in workdays(datetime(2026, 11, 23, 9, 0, tzinfo=ZONE), args.days):
        spent.clear()
        started = time.perf_counter()
        remind(folder, settings, day)
        reminds.append({"day": day.date().isoformat(), "s": round(time.perf_counter() - started, 1),
                        "journal_s": round(sum(spent.values()), 2), **sizes(folder)})
        print(json.dumps(reminds[-1]), file=sys.stderr)
    out["reminds"] = reminds
    grow = [b["state_mb"] - a["state_mb"] for a, b in zip([out["first_check"], *reminds], reminds)]
    out["growth_mb_per_remind"] = [round(g, 2) for g in grow]
    spent.clear()
    started = time.perf_counter()
    check_folder(folder, settings, datetime(2026, 11, 23, 15, 0, tzinfo=ZONE) + timedelta(days=args.days * 2))
    out["second_check"] = {"s": round(time.perf_counter() - started, 1),
                           "journal": {k: round(v, 2) for k, v in spent.items()}}
    journal = Journal(folder / ".duban" / "state.db", read_only=True)
    started = time.perf_counter()
    journal.lifetimes()
    out["lifetimes_s"] = round(time.perf_counter() - started, 2)
    journal.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
