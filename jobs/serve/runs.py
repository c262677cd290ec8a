"""serve's tables in state.db: every run (job, scheduled time, start, end, result, error), the
workbooks whose write keeps being skipped, the self-alerts told, and a few facts (last vacuum).
Jobs a person runs by hand (`duban check`, `remind`, `alert`, `summary`) are kept in a table of
their own, `hand_runs`, for `duban status` to show marked "by hand": serve's catch-up and its
self-alerts read only its own runs, so a hand run neither stands in for a scheduled one nor counts
towards "failed twice in a row".

Times are stored as UTC ISO strings (sortable as text) and handed back in the company zone.
`settled` marks a slot as dealt with for the catch-up (ok, failed, timeout, or skipped on purpose);
a run cut short by a stop is recorded but not settled, so the next start runs it again.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Iterator

from duban.jobs.serve.missed import Missed
from duban.jobs.settings.typed import Settings
from duban.workbooks.model.errors import DubanError
from duban.workbooks.share.statedb import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS serve_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, scheduled TEXT NOT NULL, started TEXT,
    finished TEXT, result TEXT NOT NULL, error TEXT, detail TEXT, settled INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS serve_runs_settled ON serve_runs (job, settled, scheduled);
CREATE INDEX IF NOT EXISTS serve_runs_by_job ON serve_runs (job, id);
CREATE TABLE IF NOT EXISTS serve_skips (
    workbook TEXT PRIMARY KEY, since TEXT NOT NULL, last TEXT NOT NULL, reason TEXT);
CREATE TABLE IF NOT EXISTS serve_told (
    problem TEXT NOT NULL, day TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (problem, day));
CREATE TABLE IF NOT EXISTS serve_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hand_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, scheduled TEXT NOT NULL, started TEXT NOT NULL,
    finished TEXT NOT NULL, result TEXT NOT NULL, error TEXT);
"""
RESULTS = ("ok", "failed", "timeout", "skipped")


def utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def local(text: str | None, tz: tzinfo) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(tz) if text else None


@dataclass
class Run:
    id: int
    job: str
    scheduled: datetime
    started: datetime | None
    finished: datetime | None
    result: str
    error: str | None
    detail: dict
    by_hand: bool = False     # run from the command line, not by serve (`scheduled`: its --now)

    @property
    def missed(self) -> Missed | None:
        """A recorded skip's fields (an old row's sentence read back into them), else None."""
        if self.result != "skipped":
            return None
        if isinstance(self.detail.get("missed"), dict):
            return Missed.from_json(self.detail["missed"])
        return Missed.from_sentence(self.error)

    def as_json(self) -> dict:
        """`status --json`'s run: a missed run's error is the English sentence it always was, and
        (only for a missed run) its fields are under "missed"."""
        iso = lambda t: t.isoformat(timespec="seconds") if t else None   # noqa: E731
        missed = self.missed
        found = {"job": self.job, "scheduled": iso(self.scheduled), "started": iso(self.started),
                 "finished": iso(self.finished), "result": self.result,
                 "error": missed.sentence() if missed else self.error, "by_hand": self.by_hand}
        return found | {"missed": missed.as_json()} if missed else found


class Runs:
    def __init__(self, path: Path, tz: tzinfo, read_only: bool = False):
        self.db = connect(path, SCHEMA, read_only=read_only)
        if not read_only:       # serve's own records: a power cut may lose the last one, never corrupt
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.tz = tz

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Runs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- runs ------------------------------------------------------------------------------
    def start(self, job: str, scheduled: datetime, started: datetime) -> int:
        """A run begins: recorded at once (result 'failed', not settled, until `finish` says otherwise),
        so a serve killed mid-run leaves a trace and runs the slot again on its next start."""
        return self.db.execute("INSERT INTO serve_runs (job, scheduled, started, result, error, settled) "
                               "VALUES (?,?,?,?,?,0)", (job, utc(scheduled), utc(started), "failed",
                                                        "did not finish (serve stopped or was killed)")).lastrowid

    def finish(self, run_id: int, finished: datetime, result: str, error: str | None = None,
               detail: dict | None = None, settled: bool = True) -> None:
        assert result in RESULTS, result
        self.db.execute("UPDATE serve_runs SET finished=?, result=?, error=?, detail=?, settled=? WHERE id=?",
                        (utc(finished), result, error, json.dumps(detail or {}, ensure_ascii=False),
                         int(settled), run_id))

    def skipped(self, job: str, scheduled: datetime, at: datetime, why: Missed | str) -> None:
        """A slot that will not run (missed beyond the grace, coalesced into a later run): its
        fields kept in `detail` (a plain sentence, as older versions wrote, as the error)."""
        error, detail = (None, {"missed": why.as_json()}) if isinstance(why, Missed) else (why, {})
        self.db.execute("INSERT INTO serve_runs (job, scheduled, started, finished, result, error, detail, settled) "
                        "VALUES (?,?,?,?,?,?,?,1)", (job, utc(scheduled), None, utc(at), "skipped", error,
                                                     json.dumps(detail)))

    def last_settled(self, job: str, before: datetime | None = None) -> datetime | None:
        """The job's latest settled slot (`before`: not later than that)."""
        row = self.db.execute("SELECT MAX(scheduled) FROM serve_runs WHERE job=? AND settled=1 AND scheduled <= ?",
                              (job, utc(before) if before else "9999")).fetchone()
        return local(row[0], self.tz)

    def last(self, job: str, count: int = 1, ran: bool = True) -> list[Run]:
        """The job's latest runs, newest first (`ran`: only runs that started, not recorded skips)."""
        where = " AND started IS NOT NULL" if ran else ""
        return self._runs(f"WHERE job=?{where} ORDER BY id DESC LIMIT ?", (job, count))

    def recent(self, count: int) -> list[Run]:
        return self._runs("ORDER BY id DESC LIMIT ?", (count,))

    def all(self) -> list[Run]:
        return self._runs("ORDER BY id", ())

    def _runs(self, tail: str, args: tuple) -> list[Run]:
        rows = self.db.execute("SELECT id, job, scheduled, started, finished, result, error, detail "
                               f"FROM serve_runs {tail}", args).fetchall()
        return [Run(i, job, local(s, self.tz), local(a, self.tz), local(b, self.tz), r, e, json.loads(d or "{}"))
                for i, job, s, a, b, r, e, d in rows]

    def forget_before(self, cutoff: datetime) -> int:
        return (self.db.execute("DELETE FROM serve_runs WHERE scheduled < ?", (utc(cutoff),)).rowcount
                + self.db.execute("DELETE FROM hand_runs WHERE started < ?", (utc(cutoff),)).rowcount)

    # ---- jobs run by hand ---------------------------------------------------------------------
    def by_hand(self, job: str, at: datetime, started: datetime, finished: datetime, result: str,
                error: str | None = None) -> None:
        """A job a person ran from the command line (`at`: the time it ran as, its --now)."""
        assert result in RESULTS, result
        self.db.execute("INSERT INTO hand_runs (job, scheduled, started, finished, result, error) VALUES "
                        "(?,?,?,?,?,?)", (job, utc(at), utc(started), utc(finished), result, error))

    def last_by_hand(self, job: str) -> Run | None:
        found = self._hand("WHERE job=? ORDER BY started DESC, id DESC LIMIT 1", (job,))
        return found[0] if found else None

    def recent_with_hand(self, count: int) -> list[Run]:
        """The latest runs of serve and by hand together, newest first (by when they started, or
        for a recorded skip, when it was recorded)."""
        runs = self.recent(count) + self._hand("ORDER BY started DESC, id DESC LIMIT ?", (count,))
        return sorted(runs, key=lambda r: r.started or r.finished or r.scheduled, reverse=True)[:count]

    def _hand(self, tail: str, args: tuple) -> list[Run]:
        rows = self.db.execute(f"SELECT id, job, scheduled, started, finished, result, error FROM hand_runs {tail}",
                               args).fetchall()
        return [Run(i, job, local(s, self.tz), local(a, self.tz), local(b, self.tz), r, e, {}, by_hand=True)
                for i, job, s, a, b, r, e in rows]

    # ---- skipped writes ---------------------------------------------------------------------
    def note_skips(self, skipped: dict[str, str], written: list[str], now: datetime) -> None:
        """Workbooks whose write was skipped this run (relpath -> why) start or continue their streak;
        those written (or unchanged) end it."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for relpath, why in skipped.items():
                self.db.execute("INSERT INTO serve_skips VALUES (?,?,?,?) ON CONFLICT(workbook) DO UPDATE "
                                "SET last=excluded.last, reason=excluded.reason", (relpath, utc(now), utc(now), why))
            self.db.executemany("DELETE FROM serve_skips WHERE workbook=?", [(w,) for w in written])

    def skips(self) -> list[tuple[str, datetime, datetime, str]]:
        """(workbook, skipped since, last skipped, why), oldest first."""
        return [(w, local(s, self.tz), local(last, self.tz), r or "") for w, s, last, r in
                self.db.execute("SELECT workbook, since, last, reason FROM serve_skips ORDER BY since")]

    # ---- self-alerts and facts --------------------------------------------------------------
    def tell_once(self, problem: str, day: str, now: datetime) -> bool:
        """True the first time `problem` is raised on `day` (and records it)."""
        return self.db.execute("INSERT OR IGNORE INTO serve_told VALUES (?,?,?)",
                               (problem, day, utc(now))).rowcount == 1

    def told(self) -> list[tuple[str, str]]:
        return list(self.db.execute("SELECT problem, day FROM serve_told ORDER BY at"))

    def fact(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM serve_meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_fact(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO serve_meta VALUES (?,?)", (key, value))


@contextmanager
def recorded_by_hand(folder: Path, settings: Settings, job: str, at: datetime, dry_run: bool = False) -> Iterator[None]:
    """Around a job run from the command line: its run in `hand_runs` (ok, or failed with the
    sentence that stopped it), for `duban status`. A dry run records nothing, as it promises; a
    record that cannot be written (the state database unwritable: the job has said so) is left out."""
    if dry_run:
        yield
        return
    started, error = datetime.now(timezone.utc), None
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            said = exc.text(settings.company.language) if callable(getattr(exc, "text", None)) else str(exc)
            error = (said if isinstance(exc, DubanError) else f"{type(exc).__name__}: {exc}")[:500]
            _note(folder, settings, job, at, started, "failed", error)
        raise
    _note(folder, settings, job, at, started, "ok", None)


def _note(folder: Path, settings: Settings, job: str, at: datetime, started: datetime, result: str,
          error: str | None) -> None:
    try:
        with Runs(folder / settings.state.path, at.tzinfo or timezone.utc) as runs:
            runs.by_hand(job, at, started, datetime.now(timezone.utc), result, error)
    except (sqlite3.Error, OSError, DubanError):
        pass
