"""Keeping state.db from growing without bound (serve does this once a day).

- mail bodies: a mail sent (or given up) more than `state.keep_mail_days` ago loses its stored bytes;
  its queue row (key, recipients, subject, times) and the ledger rows stay, so it is never sent again;
- the ledger's items last told more than `state.keep_mail_days` ago that no rule needs any more (the
  row is gone from the journal, or its rule was told since under a later deadline), and the sends
  no kept item names (jobs/notify/ledgerstore.prune); then its copy beside state.db is compacted;
- journal events older than `state.keep_events_days`, serve's runs older than `state.keep_runs_days`;
- the painted cells' formats no cell names any more (jobs/state/paintstore.py);
- VACUUM every `state.vacuum_days` days, when nothing else is running (under the folder's run lock).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from duban.jobs.notify import ledgercopy, ledgerstore
from duban.jobs.serve.runs import Runs
from duban.jobs.settings.typed import Settings
from duban.jobs.state import paintstore
from duban.mailer.queue import stamp
from duban.workbooks.share.statedb import connect


def tidy(db: Path, settings: Settings, runs: Runs, now: datetime) -> dict:
    """Drop what is past its keeping time; vacuum when due. Returns what was done, for the log."""
    state = settings.state
    done = {"bodies": 0, "events": 0, "runs": 0, "ledger": 0, "sends": 0, "vacuum": False}
    if not db.exists():
        return done
    conn = connect(db, "")
    try:
        tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "mail_queue" in tables:
            cutoff = stamp(now - timedelta(days=state.keep_mail_days))
            done["bodies"] = conn.execute(
                "UPDATE mail_queue SET message=X'' WHERE status IN ('sent', 'given_up') AND length(message) > 0 "
                "AND COALESCE(sent_at, queued_at) < ?", (cutoff,)).rowcount
        pruned = ledgerstore.prune(conn, (now - timedelta(days=state.keep_mail_days)).date().isoformat())
        done["ledger"], done["sends"] = pruned["told"], pruned["sends"]
        if "ledger_told" in tables:
            ledgercopy.compact(conn, db)
        if "events" in tables:
            cutoff = (now - timedelta(days=state.keep_events_days)).isoformat()
            done["events"] = conn.execute("DELETE FROM events WHERE at < ?", (cutoff,)).rowcount
        if {"formats", "painted", "painted_pending"} <= tables:
            paintstore.unused(conn)
        done["runs"] = runs.forget_before(now - timedelta(days=state.keep_runs_days))
        last = runs.fact("vacuumed")
        if last is None or now - datetime.fromisoformat(last) >= timedelta(days=state.vacuum_days):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            runs.set_fact("vacuumed", now.isoformat())
            done["vacuum"] = True
    finally:
        conn.close()
    return done
