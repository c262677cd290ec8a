"""Each period's figures in the state database (`summary_figures`), for the 8–12 period trends.

A report stores the figures of every scope (the company, each department, each project) of its
period when it is produced (not on --dry-run); producing the same period again replaces them
with the newer figures. Trends read the stored periods, so "open" and "overdue at each week's
end" are what they were then, not re-derived from today's workbooks.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from duban.jobs.summary.period import Period
from duban.workbooks.share.statedb import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS summary_figures (
    kind TEXT NOT NULL, period_end TEXT NOT NULL, period_start TEXT NOT NULL, scope TEXT NOT NULL,
    name TEXT NOT NULL, figures TEXT NOT NULL, computed_at TEXT NOT NULL,
    PRIMARY KEY (kind, period_end, scope, name));
"""


class SummaryStore:
    def __init__(self, path: Path, read_only: bool = False):
        self.db = connect(path, SCHEMA, read_only=read_only)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SummaryStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def save(self, period: Period, scopes: dict[tuple[str, str], dict], now: datetime) -> None:
        """Store (replace) the figures of every (scope, name) of `period`."""
        rows = [(period.kind, period.end.isoformat(), period.start.isoformat(), scope, name,
                 json.dumps(figures, ensure_ascii=False, sort_keys=True), now.isoformat())
                for (scope, name), figures in scopes.items()]
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM summary_figures WHERE kind=? AND period_end=?", (period.kind, period.end.isoformat()))
            self.db.executemany("INSERT INTO summary_figures VALUES (?,?,?,?,?,?,?)", rows)

    def load(self, periods: list[Period], scope: str, name: str) -> dict[str, dict]:
        """period end (ISO) -> stored figures of one scope, for the periods that have them."""
        if not periods:
            return {}
        ends = [p.end.isoformat() for p in periods]
        marks = ",".join("?" * len(ends))
        rows = self.db.execute(f"SELECT period_end, figures FROM summary_figures WHERE kind=? AND scope=? AND name=? "
                               f"AND period_end IN ({marks})", (periods[0].kind, scope, name, *ends))
        return {end: json.loads(text) for end, text in rows}

    def load_all(self, periods: list[Period]) -> dict[tuple[str, str], dict[str, dict]]:
        """(scope, name) -> {period end: figures}, for every scope stored for these periods."""
        if not periods:
            return {}
        ends = [p.end.isoformat() for p in periods]
        marks = ",".join("?" * len(ends))
        found: dict[tuple[str, str], dict[str, dict]] = {}
        for end, scope, name, text in self.db.execute(
                f"SELECT period_end, scope, name, figures FROM summary_figures WHERE kind=? AND period_end IN ({marks})",
                (periods[0].kind, *ends)):
            found.setdefault((scope, name), {})[end] = json.loads(text)
        return found
