"""Which workbook is which across checks: identities, renames, copies, workbooks gone, a journal
started afresh.

A workbook made by duban carries a UUID in its hidden _duban sheet (workbooks.paintrecord). The
journal's `books` table remembers, for every workbook path, that identity, when it was last seen
and since when it is gone. Before a check:
- a known identity found under a new path whose old path is no longer a file is a rename or a
  move: the journal's rows and paint follow it (one "moved" event per row), history continues;
- a workbook without an identity (hand-made, no _duban sheet) is followed the same way when a
  path new to the journal holds more than half the live row IDs of a path that is gone;
- an identity found under two paths is a copy: the path the journal knows keeps it, the other is
  a new workbook and gets an identity of its own;
- a known path that is no longer a file (deleted, or a folder now) is gone: its rows are recorded
  as deleted and the clerks are told once (a ledger topic per disappearance); if it comes back,
  its rows are live again;
- a journal with no rows at all over workbooks that carry an identity is a state started afresh
  (state.db deleted or emptied): told in the terminal and to the clerks, naming the kept copy of
  the lost state (`state.db.bak-<time>`, set aside by workbooks.statedb) and how to put it back.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from duban.jobs.state.journal import ID_FORMAT, Journal
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.share.faults import company_time
from duban.workbooks.share.statedb import kept_copies, set_aside_copy
from duban.workbooks.write.paintrecord import identity_of

TELL_FOR = timedelta(days=30)      # a gone workbook is offered to the clerks' report this long
FRESH = "fresh_over_known"         # journal_facts key: when a fresh journal met known workbooks
BOOKS_KEPT = "books_kept_since"     # journal_facts key: every workbook with live rows has its books entry


@dataclass
class Reconciled:
    """What the check needs from the books: the identity each workbook should carry after this
    run (relpath -> UUID), notices for the clerks as (ledger topic, problem), terminal lines."""

    identities: dict[str, str] = field(default_factory=dict)
    notices: list[tuple[str, Problem]] = field(default_factory=list)
    told: list[Problem] = field(default_factory=list)       # new this run: for the terminal


def reconcile(journal: Journal, folder: Path, reads: list[WorkbookRead], now: datetime, state: Path,
              dry_run: bool) -> Reconciled:
    """Settle renames, copies and gone workbooks in the journal (not in a dry run) before the check."""
    db = journal.db
    out = Reconciled()
    known = _known(db)
    current = {_rel(r, folder): r for r in reads if r.kind is not None}
    fresh = db.execute("SELECT 1 FROM rows LIMIT 1").fetchone() is None and not known
    moves = _by_identity(folder, known, current, out)
    moves.update(_by_ids(db, folder, known, current, moves))
    if not dry_run:
        for old, new in moves.items():
            _move(journal, old, new, now)
    if fresh and (carrying := sorted(p for p in current if identity_of(current[p].meta)
                                     or any(rec.id for rec in current[p].records))):
        _fresh(db, out, carrying, now, state, dry_run)
        if not dry_run:
            _seed_counters(db, current.values())
    for path in _vanished(folder, known, current, moves):
        problem = _gone_problem(path, known[path][1], _live(db, path))
        out.told.append(problem)
        if dry_run:
            out.notices.append((f"gone:{path}:{now.isoformat()}", problem))
        else:
            journal.record(path, [], now)       # every live row: deleted, with its event
            db.execute("INSERT INTO books VALUES (?,NULL,?,?) ON CONFLICT(workbook) DO UPDATE SET "
                       "gone_at=excluded.gone_at", (path, known[path][1], now.isoformat()))
    if not dry_run:
        _gone_notices(db, out, now, set(current))
        _fresh_notices(db, out, now, state)
        db.executemany("INSERT OR IGNORE INTO books VALUES (?,?,?,?)",      # a journal from before the table
                       [(p, *known[p]) for p in known if p not in moves])
        db.execute("INSERT OR IGNORE INTO journal_facts VALUES (?,?)", (BOOKS_KEPT, now.isoformat()))
    return out


def _by_identity(folder: Path, known: dict, current: dict, out: Reconciled) -> dict[str, str]:
    """old path -> new path of the workbooks whose identity moved; sets each workbook's identity
    (a copy's, or a missing one, is a new UUID: only for workbooks with a _duban sheet)."""
    owners = {ident: path for path, (ident, _seen, _gone) in known.items() if ident}
    claimed: set[str] = set()
    moves: dict[str, str] = {}
    for path in sorted(current, key=lambda p: (p not in known, p)):      # known paths first keep their identity
        ident = identity_of(current[path].meta)
        owner = owners.get(ident) if ident else None
        if ident and ident not in claimed and (owner in (None, path) or _is_move(folder, owner, current)):
            if owner not in (None, path):
                moves[owner] = path
            claimed.add(ident)
            out.identities[path] = ident
        elif current[path].meta:
            out.identities[path] = str(uuid.uuid4())
    return moves


def _by_ids(db, folder: Path, known: dict, current: dict, moves: dict[str, str]) -> dict[str, str]:
    """Workbooks no identity speaks for (hand-made, without _duban; or written before identities):
    a path new to the journal holding more than half the live row IDs of a path that is no longer
    a file is that workbook, renamed or moved."""
    newcomers = {p: {rec.id for rec in current[p].records if rec.id} for p in current
                 if p not in known and p not in moves.values()}
    found: dict[str, str] = {}
    for old in _vanished(folder, known, current, moves):
        ids = {i for (i,) in db.execute("SELECT id FROM rows WHERE workbook=? AND deleted_at IS NULL", (old,))}
        best = max(newcomers, key=lambda p: (len(ids & newcomers[p]), p), default=None)
        if ids and best is not None and 2 * len(ids & newcomers[best]) > len(ids):
            found[old] = best
            del newcomers[best]
    return found


def _vanished(folder: Path, known: dict, current: dict, moves: dict[str, str]) -> list[str]:
    """Known live paths that are no longer a file (deleted, or a folder now) and did not move."""
    return [p for p, (_i, _s, was) in known.items() if was is None and p not in current and p not in moves
            and not (folder / p).is_file()]


def seen(journal: Journal, relpath: str, identity: str | None, now: datetime) -> None:
    """This run checked `relpath`, which now carries `identity` (None: no _duban sheet). Written
    with the journal's next transaction (Journal.later): one round trip less per workbook."""
    journal.later("INSERT INTO books VALUES (?,?,?,NULL) ON CONFLICT(workbook) DO UPDATE SET "
                  "identity=COALESCE(excluded.identity, identity), last_seen=excluded.last_seen, gone_at=NULL",
                  (relpath, identity, now.isoformat()))


def _rel(read: WorkbookRead, folder: Path) -> str:
    return str(read.path.relative_to(folder))


def _known(db) -> dict[str, tuple[str | None, str, str | None]]:
    """path -> (identity, last seen, gone since). Until the books table has been kept once
    (BOOKS_KEPT), the paths a journal from before it holds live rows of count too (last seen:
    their latest change); after that the scan of every row is not needed."""
    known = {w: (i, s, g) for w, i, s, g in db.execute("SELECT workbook, identity, last_seen, gone_at FROM books")}
    if db.execute("SELECT 1 FROM journal_facts WHERE key=?", (BOOKS_KEPT,)).fetchone() is None:
        for path, latest in db.execute("SELECT workbook, MAX(last_changed) FROM rows WHERE deleted_at IS NULL "
                                       "GROUP BY workbook"):
            known.setdefault(path, (None, latest, None))
    return known


def _is_move(folder: Path, owner: str, current: dict) -> bool:
    """The identity's old path is no longer a file (and so is not this run's other copy)."""
    return owner not in current and not (folder / owner).is_file()


def _move(journal: Journal, old: str, new: str, now: datetime) -> None:
    """The journal's rows, paint and book entry follow a renamed or moved workbook; one "moved"
    event per live row says from where (its "created" stays the first one)."""
    detail = json.dumps([old, new], ensure_ascii=False)
    journal.flush()
    with journal.db as db:
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM recorded WHERE workbook IN (?, ?)", (old, new))    # rows changed: record again
        for table in ("rows", "painted"):
            db.execute(f"DELETE FROM {table} WHERE workbook=? AND id IN (SELECT id FROM {table} WHERE workbook=?)",
                       (new, old))
            db.execute(f"UPDATE {table} SET workbook=? WHERE workbook=?", (new, old))
        for table in ("painted_pending", "pending_writes"):
            db.execute(f"DELETE FROM {table} WHERE workbook=?", (old,))
        db.execute("INSERT INTO events (at, workbook, id, event, detail) SELECT ?, ?, id, 'moved', ? FROM rows "
                   "WHERE workbook=? AND deleted_at IS NULL", (now.isoformat(), new, detail, new))
        db.execute("DELETE FROM books WHERE workbook=?", (new,))
        db.execute("UPDATE books SET workbook=? WHERE workbook=?", (new, old))


def _live(db, path: str) -> int:
    return db.execute("SELECT COUNT(*) FROM rows WHERE workbook=? AND deleted_at IS NULL", (path,)).fetchone()[0]


def _gone_problem(path: str, last_seen: str, rows: int) -> Problem:
    return Problem("workbook-gone", path, params={"path": path, "last_seen": _minute(last_seen), "rows": rows})


def _gone_notices(db, out: Reconciled, now: datetime, back: set[str]) -> None:
    """Every workbook gone in the last TELL_FOR, as a notice for the clerks' report: the ledger
    topic (path and time it went) makes it one mail, whichever run found it."""
    since = (now - TELL_FOR).isoformat()
    for path, last_seen, gone in db.execute("SELECT workbook, last_seen, gone_at FROM books WHERE gone_at >= ? "
                                            "ORDER BY gone_at, workbook", (since,)):
        if path not in back:        # back again: live, nothing to tell
            rows = db.execute("SELECT COUNT(*) FROM rows WHERE workbook=? AND deleted_at=?", (path, gone)).fetchone()[0]
            out.notices.append((f"gone:{path}:{gone}", _gone_problem(path, last_seen, rows)))


def _fresh(db, out: Reconciled, carrying: list[str], now: datetime, state: Path, dry_run: bool) -> None:
    """A journal without a single row, over workbooks duban wrote into before: told in the
    terminal now, and kept (journal_facts) for the clerks' report, whichever run mails it."""
    fact = {"at": now.isoformat(), "count": len(carrying), "path": carrying[0]}
    if not dry_run:             # state.db emptied (not deleted): its last good copy is kept now, before
        set_aside_copy(state, only_if_journal=True)     # this run's copy of the fresh state could replace it
    if kept := kept_copies(state):
        fact |= {"kept": str(kept[0]), "kept_at": company_time(kept[0].stat().st_mtime)}
    out.told.append(_fresh_problem(fact, state))
    if dry_run:
        out.notices.append((f"state-new:{fact['at']}", out.told[-1]))
    else:
        db.execute("INSERT OR REPLACE INTO journal_facts VALUES (?,?)", (FRESH, json.dumps(fact, ensure_ascii=False)))


def _seed_counters(db, reads) -> None:
    """A fresh journal's ID counters start above every ID the workbooks already carry, so no ID
    is issued twice (each workbook's own IDs are looked at anyway; this covers the others)."""
    top: dict[str, int] = {}
    for read in reads:
        for rec in read.records:
            if rec.id and (m := ID_FORMAT.match(rec.id)):
                top[m[1]] = max(top.get(m[1], 0), int(m[2]))
    db.executemany("INSERT INTO id_counters VALUES (?, ?) ON CONFLICT(prefix) DO UPDATE SET "
                   "last=MAX(last, excluded.last)", list(top.items()))


def _fresh_notices(db, out: Reconciled, now: datetime, state: Path) -> None:
    found = db.execute("SELECT value FROM journal_facts WHERE key=?", (FRESH,)).fetchone()
    fact = json.loads(found[0]) if found else None
    if fact and fact["at"] >= (now - TELL_FOR).isoformat():
        out.notices.append((f"state-new:{fact['at']}", _fresh_problem(fact, state)))


def _fresh_problem(fact: dict, state: Path) -> Problem:
    """"state-new" names the kept copy of the lost state (where, when, how to put it back);
    "state-new-no-copy" when there is none."""
    params = {"state": str(state), "count": fact["count"], "path": fact["path"], "since": _minute(fact["at"]),
              "copy": str(state.with_name("ledger-copy.jsonl")), "bak": str(state.with_name(state.name + ".bak"))}
    if fact.get("kept"):
        return Problem("state-new", str(state), params=params | {"kept": fact["kept"], "kept_at": fact["kept_at"],
                                                                   "name": state.name})
    return Problem("state-new-no-copy", str(state), params=params)


def _minute(text: str) -> str:
    return text[:16].replace("T", " ") if text else "?"
