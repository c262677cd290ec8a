"""Benchmark of mail volume: two simulated weeks of `duban serve` over the demo folder.

Usage: python bench/demo_weeks.py [--days 14] [--rules 'due_soon_offsets = [3, 1, 0]' ...]

Makes the demo (`duban init --demo`), runs the schedule in simulated time (`duban serve --from
--until`, the check every 2 hours and the alert every hour to keep the run short; remind and the
summaries as shipped), nobody editing anything, then counts from state.db: mails sent by kind,
the rows they told about, and the rows flagged but never told (must be 0: quieter is not lost).
Each `--rules` line replaces that key in (or is added under) `[rules]` of the demo's duban.toml, so the same command
measures the shipped defaults and a quieter configuration side by side.
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

START = "2026-12-07T00:00"       # a Monday


def run(days: int, rules: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        duban = [str(Path(sys.executable).parent / "duban")]     # the installed command
        subprocess.run([*duban, "init", str(folder), "--demo", "--force"], check=True, capture_output=True)
        toml = folder / "duban.toml"
        text = toml.read_text(encoding="utf-8")
        text = re.sub(r'^check = ".*"', 'check = "every 2 hours"', text, flags=re.M)
        text = re.sub(r'^alert = ".*"', 'alert = "every 60 minutes"', text, flags=re.M)
        for line in rules:          # a key duban.toml already has is replaced, a new one added
            key = line.split("=", 1)[0].strip()
            text, found = re.subn(rf"^#?\s*{re.escape(key)}\s*=.*$", line, text, count=1, flags=re.M)
            if not found:
                text = text.replace("[rules]", f"[rules]\n{line}", 1)
        toml.write_text(text, encoding="utf-8")
        until = f"2026-12-{7 + days:02d}T00:00"
        subprocess.run([*duban, "serve", str(folder), "--from", START, "--until", until], check=True,
                       capture_output=True)
        db = sqlite3.connect(folder / ".duban" / "state.db")
        kinds = dict(db.execute("SELECT kind, COUNT(*) FROM mail_queue WHERE status='sent' GROUP BY kind"))
        told = {i for (i,) in db.execute("SELECT DISTINCT item FROM notified WHERE kind IN "
                                         "('digest','escalation','alert')")}
        return {"mails": sum(kinds.values()), "by_kind": kinds, "rows_told": len(told)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rules", action="append", default=[], help="a line to add under [rules]")
    args = parser.parse_args()
    print(json.dumps(run(args.days, args.rules), ensure_ascii=False))


if __name__ == "__main__":
    main()
