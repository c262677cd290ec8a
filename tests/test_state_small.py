"""Issue 22, state that stays small: the ledger keeps one row per mail sent and one per item told,
updated in place (not one per item per day); the journal keeps each painted cell's original format
once; serve's retention forgets what no rule needs; a state.db an earlier duban wrote migrates and
sends nothing twice. Real workbooks (tests/test_mail.py's folder), real SQLite, in simulated time."""
from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from books import settings
from duban.jobs.check import check_folder
from duban.jobs.notify import ledgercopy, ledgerstore
from duban.jobs.notify.ledger import Ledger
from duban.jobs.remind import remind
from duban.jobs.serve.retention import tidy
from duban.jobs.serve.runs import Runs
from duban.jobs.state import paintstore
from duban.jobs.state.journal import Journal
from test_mail import MORNING, make_folder

DAY = timedelta(days=1)
OLD_LEDGER = """CREATE TABLE notified (
    recipient TEXT NOT NULL, item TEXT NOT NULL, rule TEXT NOT NULL, deadline TEXT NOT NULL,
    kind TEXT NOT NULL, day TEXT NOT NULL, at TEXT NOT NULL, mail TEXT NOT NULL,
    PRIMARY KEY (recipient, item, rule, deadline, kind, day))"""


def reminded(tmp_path: Path, days: int = 1):
    folder = make_folder(tmp_path)
    config = settings(mail={"clerks": ["王芳"]})
    for n in range(days):
        remind(folder, config, MORNING + n * DAY)
    return folder, config, folder / ".duban" / "state.db"


def count(db: Path, table: str, where: str = "1") -> int:
    with sqlite3.connect(db) as con:
        return con.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0]


def lines(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return sorted(con.execute("SELECT * FROM notified").fetchall())


def mails(folder: Path) -> int:
    return len(list((folder / "outbox").glob("*.eml")))


# ---- the ledger ------------------------------------------------------------------------------------
def test_a_remind_stores_a_row_per_mail_and_updates_each_item_told_in_place(tmp_path):
    folder, config, db = reminded(tmp_path)
    day1 = {t: count(db, t) for t in ("ledger_sends", "ledger_told", "notified")}
    assert day1["notified"] > day1["ledger_sends"] > 0          # a digest tells several items in one row
    remind(folder, config, MORNING + DAY)
    day2 = {t: count(db, t) for t in ("ledger_sends", "ledger_told", "notified")}
    told_again = count(db, "ledger_told", "days = 2")
    assert told_again > 0 and day2["notified"] - day1["notified"] >= told_again
    # the second day's lines about items told the day before added no row: only its mails did
    assert day2["ledger_told"] - day1["ledger_told"] == day2["notified"] - day1["notified"] - told_again
    with sqlite3.connect(db) as con:
        sent = con.execute("SELECT COUNT(DISTINCT recipient || kind || mail) FROM notified WHERE day=?",
                           ((MORNING + DAY).date().isoformat(),)).fetchone()[0]
    assert day2["ledger_sends"] - day1["ledger_sends"] == sent
    assert mails(folder) > 0
    with Ledger(db, read_only=True) as ledger, sqlite3.connect(db) as con:
        assert sorted(ledger.told_pairs()) == sorted(con.execute(
            "SELECT DISTINCT recipient, item FROM notified WHERE recipient NOT LIKE '#%'").fetchall())


def test_an_old_ledger_migrates_keeps_every_line_and_sends_nothing_twice(tmp_path):
    folder, config, db = reminded(tmp_path)
    before, sent = lines(db), mails(folder)
    with sqlite3.connect(db) as con:                # the state as an earlier duban left it
        con.executescript("DROP VIEW notified; DROP TABLE ledger_told; DROP TABLE ledger_sends;" + OLD_LEDGER)
        con.executemany("INSERT INTO notified VALUES (?,?,?,?,?,?,?,?)", before)
    (folder / ".duban" / "ledger-copy.jsonl").write_text(
        "".join(json.dumps(list(line), ensure_ascii=False) + "\n" for line in before), encoding="utf-8")
    with Ledger(db, read_only=True) as ledger:      # a dry run reads it unmigrated
        assert ledgerstore.old_table(ledger.db) and ledger.ever_told_to(*[(r, k, i) for r, i, _, _, k, *_ in before][0])
    with Ledger(db) as ledger:
        assert ledger.migrated == len(before) and ledger.restored == 0
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT type FROM sqlite_master WHERE name='notified'").fetchone() == ("view",)
    assert lines(db) == before
    remind(folder, config, MORNING + timedelta(hours=1))          # the same day: nothing again
    assert mails(folder) == sent


def test_a_dry_run_reads_a_state_that_has_a_journal_and_no_ledger_yet(tmp_path):
    folder = make_folder(tmp_path)
    config = settings(mail={"clerks": ["王芳"]})
    check_folder(folder, config, MORNING)
    db = folder / ".duban" / "state.db"
    with Ledger(db, read_only=True) as ledger:
        assert not ledger.told_today("王芳", "problems", "problems", MORNING.date())
        assert ledger.db.execute("SELECT COUNT(*) FROM notified").fetchone() == (0,)
    run = remind(folder, config, MORNING, dry_run=True)
    assert run.check is not None and mails(folder) == 0 and count(db, "sqlite_master", "name='notified'") == 0


def test_a_lost_state_db_takes_the_ledger_back_from_its_copy_in_either_format(tmp_path):
    folder, config, db = reminded(tmp_path, days=2)
    before, sent = lines(db), mails(folder)
    copy = folder / ".duban" / "ledger-copy.jsonl"
    assert all(isinstance(json.loads(line), dict) for line in copy.read_text(encoding="utf-8").splitlines())
    assert len(copy.read_text(encoding="utf-8").splitlines()) == count(db, "ledger_sends")   # a line per mail
    db.unlink()
    with Ledger(db) as ledger:
        assert ledger.restored == len(before)
    assert lines(db) == before
    remind(folder, config, MORNING + DAY + timedelta(hours=2))
    assert mails(folder) == sent


def test_the_compacted_copy_keeps_each_item_once_and_still_sends_nothing_twice(tmp_path):
    folder, config, db = reminded(tmp_path, days=2)
    copy, sent = folder / ".duban" / "ledger-copy.jsonl", mails(folder)
    size = copy.stat().st_size
    with sqlite3.connect(db) as con:
        assert ledgercopy.compact_if_large(con, db) is None                 # small: left as it is
        assert ledgercopy.compact(con, db) == count(db, "ledger_told") and copy.stat().st_size < size
    db.unlink()
    with Ledger(db) as ledger:
        assert ledger.restored == count(db, "ledger_told")
    remind(folder, config, MORNING + DAY + timedelta(hours=2))
    assert mails(folder) == sent


def test_retention_forgets_what_no_rule_needs_and_keeps_what_one_does(tmp_path):
    folder, config, db = reminded(tmp_path)
    with sqlite3.connect(db) as con:
        recipient, live, rule, kind = con.execute(
            "SELECT recipient, item, rule, kind FROM ledger_told WHERE rule <> '' AND item IN "
            "(SELECT id FROM rows WHERE deleted_at IS NULL) LIMIT 1").fetchone()
        topics = con.execute("SELECT COUNT(*) FROM ledger_told WHERE rule=''").fetchone()[0]
        at = "2026-01-05T09:00:00+08:00"
        ledgerstore.store(con, [("李娜", "T-999999", "overdue", "2026-01-02", "digest", "2026-01-05", at, "old"),
                                (recipient, live, rule, "2025-12-31", kind, "2026-01-05", at, "old")])   # superseded
        con.execute("INSERT INTO events (at, workbook, id, event, detail) VALUES ('2019-01-01T09:00:00', 'x', 'T-1', "
                    "'changed', '{}')")
    assert count(db, "ledger_told", "item='T-999999'") == 1 and count(db, "ledger_sends", "mail='old'") == 2
    later = MORNING + 100 * DAY
    config = settings(mail={"clerks": ["王芳"]}, state={"keep_events_days": 365})
    with Runs(db, ZoneInfo("Asia/Shanghai")) as runs:
        done = tidy(db, config, runs, later)
    assert done["ledger"] == 2 and done["sends"] == 2 and done["events"] == 1 and done["vacuum"]
    assert count(db, "ledger_told", "item='T-999999'") == 0 and count(db, "ledger_sends", "mail='old'") == 0
    assert count(db, "ledger_told", f"item='{live}'") >= 1 and count(db, "ledger_told", "rule=''") == topics
    assert count(db, "ledger_told", "deadline='2025-12-31'") == 0
    copy = (folder / ".duban" / "ledger-copy.jsonl").read_text(encoding="utf-8")
    assert "T-999999" not in copy and live in copy


def test_a_damaged_or_hostile_ledger_row_is_ignored_not_trusted(tmp_path):
    folder, config, db = reminded(tmp_path)
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("INSERT INTO ledger_told VALUES ('王芳', 'T-1', 'overdue', '', 'digest', 'x', 'y', "
                    "'1) OR 1=1; DROP TABLE rows; --')")
        assert "T-1" not in {i for (i, _r, _d) in ledgerstore.last_days(con, "王芳", "digest")}
        lines = len(con.execute("SELECT * FROM notified").fetchall())
        ledgerstore.store(con, [("王芳", "T-1", "overdue", "", "digest", "2026-11-24", "2026-11-24T09:00", "m")])
        assert ledgerstore.last_days(con, "王芳", "digest")[("T-1", "overdue", "")] == "2026-11-24"
        assert ledgerstore.prune(con, "2026-12-01")["told"] >= 0 and ledgercopy.compact(con, db) is not None
        assert len(con.execute("SELECT * FROM notified").fetchall()) >= lines
        assert con.execute("SELECT COUNT(*) FROM rows").fetchone()[0] > 0
    finally:
        con.close()
    remind(folder, config, MORNING + DAY)


# ---- the journal -----------------------------------------------------------------------------------
def test_painted_cells_name_their_format_which_is_stored_once(tmp_path):
    folder, _config, db = reminded(tmp_path)
    with sqlite3.connect(db) as con:
        originals = [o for (o,) in con.execute("SELECT original FROM painted")]
        formats = con.execute("SELECT COUNT(*) FROM formats").fetchone()[0]
    assert len(originals) > formats > 0 and all(o.startswith("#") and len(o) == 33 for o in originals)
    assert formats == len(set(originals))


def test_an_old_journal_with_formats_in_every_cell_migrates_and_paints_the_same(tmp_path):
    folder = make_folder(tmp_path)
    config = settings()
    check_folder(folder, config, MORNING)
    db = folder / ".duban" / "state.db"
    journal = Journal(db)
    painted = {w: journal.painted(w) for (w,) in journal.db.execute("SELECT DISTINCT workbook FROM painted")}
    journal.close()
    with sqlite3.connect(db) as con:                # as an earlier duban wrote it: the JSON in each cell
        con.execute("UPDATE painted SET original = (SELECT spec FROM formats WHERE ref = painted.original)")
        con.execute("DROP TABLE formats")
        con.execute("DELETE FROM journal_facts WHERE key=?", (paintstore.MIGRATED,))
    assert count(db, "painted", "original LIKE '{%'") == sum(map(len, painted.values())) > 0
    journal = Journal(db)
    try:
        assert {w: journal.painted(w) for w in painted} == painted
    finally:
        journal.close()
    assert count(db, "painted", "original LIKE '{%'") == 0
    [result] = [w for w in check_folder(folder, config, MORNING + DAY).workbooks if w.relpath in painted][:1]
    assert result.write in ("written", "unchanged")


def test_recording_rows_unchanged_since_the_last_record_writes_nothing(tmp_path):
    folder = make_folder(tmp_path)
    config = settings()
    check_folder(folder, config, MORNING)
    db = folder / ".duban" / "state.db"
    from duban.jobs.validate import read_folder
    reads = [r for r in read_folder(folder, config, MORNING.date()) if r.kind is not None and r.records]
    journal = Journal(db)
    try:
        relpath = str(reads[0].path.relative_to(folder))
        statements: list[str] = []
        journal.db.set_trace_callback(statements.append)
        reads[0].records[0]["alerts"] = "逾期 3 天"            # what duban itself wrote since does not count
        assert journal.record(relpath, reads[0].records, MORNING + DAY) == {"new": 0, "changed": 0, "deleted": 0}
        journal.db.set_trace_callback(None)
        assert len(statements) == 1 and statements[0].startswith("SELECT digest")   # no transaction, no scan
        assert journal.record(relpath, reads[0].records[1:], MORNING + DAY)["deleted"] == 1
        assert journal.record(relpath, reads[0].records, MORNING + 2 * DAY) == {"new": 0, "changed": 0, "deleted": 0}
        assert journal.db.execute("SELECT COUNT(*) FROM rows WHERE workbook=? AND deleted_at IS NOT NULL",
                                  (relpath,)).fetchone()[0] == 0       # the row came back
    finally:
        journal.close()
