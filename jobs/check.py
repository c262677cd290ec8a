"""The check job: read every workbook, apply the rules, journal the rows, write flags back.

Plan, then apply: for each workbook the job computes its flags and a write plan (new IDs,
Alerts texts, status-cell colours); `--dry-run` stops there. The journal is only told about
what really reached the file, so a skipped write (file open in Excel) loses nothing: the next
run plans the same again.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Callable

from duban.jobs import checkstream, rules
from duban.jobs.checkstream import Recorded, painted_entries
from duban.jobs.notify import ledger
from duban.jobs.notify.escalation import Reach
from duban.jobs.readwork import Shelf
from duban.jobs.settings.site import Site
from duban.jobs.settings.typed import Settings
from duban.jobs.state.books import reconcile, seen
from duban.jobs.state.journal import Journal
from duban.jobs.state.readcache import FolderCache, kept_as_is
from duban.jobs.state.runlock import run_lock, state_dir
from duban.jobs.validate import PROGRESS, READ_CACHE, read_folder
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.flags import Colour
from duban.workbooks.model.meta import Lists, checked_text, stamp_is_from
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.share.batch import cyclic_gc_paused
from duban.workbooks.write.commit import held_saves, recover
from duban.workbooks.write.paintrecord import identity_of, painted_of
from duban.workbooks.write.plan import Paint, WritePlan
from duban.workbooks.write.refusal import REFUSED, SKIPPED, WRITTEN, Reason
from duban.workbooks.write.writeback import apply

ALERT_SEPARATOR = {"zh": "；", "en": "; "}


@dataclass
class WorkbookCheck:
    read: WorkbookRead
    relpath: str
    flags: dict[int, list[rules.Flag]] = field(default_factory=dict)   # Excel row -> flags
    new_ids: int = 0
    write: str = ""            # written / unchanged / skipped / refused / dry-run / ""
    why: Reason | None = None  # why it was not written (skipped / refused), in either language

    @property
    def reason(self) -> str:
        return str(self.why) if self.why else ""
    journal: dict = field(default_factory=dict)
    provisional: frozenset[int] = frozenset()   # rows whose new ID has not reached the file (yet)
    kept: Any = None           # check_folder(each=fn): what fn returned for this workbook


@dataclass
class CheckReport:
    now: datetime
    workbooks: list[WorkbookCheck]
    warnings: list[str]
    notices: list[tuple[str, Problem]] = field(default_factory=list)   # (ledger topic, problem): for the clerks


def check_folder(folder: Path, settings: Settings, now: datetime, dry_run: bool = False, progress=None,
                 live=None, only: frozenset[str] | None = None,
                 each: Callable[[WorkbookCheck], Any] | None = None) -> CheckReport:
    """`live`: an alternative applier asked first for each workbook's write (the Excel console's
    macros.live.LiveApplier): `live(plan, read, backups, keep, before_commit, zone=)` returns the
    WriteResult, or None to leave the workbook to the file patcher. `only`: evaluate just these
    rules (the alert job needs the urgent two, every five minutes).

    `each(result)`: called after each workbook's check, in the folder's order; what it returns is
    kept as `result.kept`, and the workbook's records are let go (but a directory's and a RACI
    table's): memory is held by one workbook at a time, not by the folder (see jobs.checkstream).
    """
    site = Site(folder, settings)       # the folder's paths, calendar and palette, made once for the run
    progress = progress or PROGRESS.get()     # the terminal's bar, when a command runs under one
    with _no_trace_unless_used(folder, settings, dry_run) as trace, run_lock(folder, settings, "check", dry_run), \
            cyclic_gc_paused(), kept_as_is(dry_run):
        if not dry_run:     # a workbook a crash left under its aside name goes back first
            recover(folder, site.backups, settings.state.backups)
        fingerprints: dict | None = None if dry_run else {}      # a dry run writes nothing: no hash needed
        shelf = Shelf() if each else None
        reads = read_folder(folder, settings, now.date(), progress, fingerprints, shelf=shelf)
        if trace.fresh and not any(r.kind is not None for r in reads):
            trace.unused = True
            return CheckReport(now, [WorkbookCheck(r, str(r.path.relative_to(folder))) for r in reads], [])
        names = person_list(reads)
        journal = Journal(site.state_db, read_only=dry_run)   # a dry run changes no file
        reach = Reach.of(reads)             # whom escalations can reach: rows say when it is nobody
        try:
            books = reconcile(journal, folder, reads, now, site.state_db, dry_run)
            results = checkstream.run(reads, shelf, each, progress, lambda read: _plan_one(
                read, site, now, journal, (fingerprints or {}).get(read.path), dry_run, names, live, only,
                books.identities, reach=reach), site, live, _known_unchanged(site))
        finally:
            journal.close()
    lang = site.lang
    unsent = [p.message(lang) for r in results for p in r.read.problems
              if p.code in ("no-department-head", "no-manager", "manager-cycle")]
    return CheckReport(now, results, site.calendar.warnings + [p.text(lang) for p in books.told] + unsent, books.notices)


@dataclass
class _Trace:
    fresh: bool             # the state folder did not exist before this run
    unused: bool = False    # and the run found no duban table to keep state for


@contextmanager
def _no_trace_unless_used(folder: Path, settings: Settings, dry_run: bool):
    """A check of a folder holding no duban table (a timesheet, notes) leaves no state folder
    beside it: the one the run lock made is taken away again, once the lock is released, if
    nothing but the lock file (and empty folders) is in it."""
    where = state_dir(folder, settings)
    trace = _Trace(fresh=not dry_run and not where.exists())
    try:
        yield trace
    finally:
        if trace.unused:
            try:
                (where / "check.lock").unlink(missing_ok=True)
                for sub in sorted(where.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                    if sub.is_dir():
                        sub.rmdir()
                where.rmdir()
            except OSError:
                pass            # something else is in it: it stays


def person_list(reads: list[WorkbookRead]) -> Lists | None:
    """The names for the person dropdowns and the departments for the department dropdowns
    (hidden _names sheet, columns A and B), from a directory read without workbook problems.

    None (leave the lists alone) when there is no directory or it is broken: an empty or
    half-read directory must not wipe the dropdowns of every workbook."""
    directories = [r for r in reads if r.kind is not None and r.kind.key == "directory"]
    if not directories or any(p.scope == "workbook" for r in directories for p in r.problems):
        return None
    people = Directory.from_reads(directories).people
    if not people:
        return None
    departments = dict.fromkeys(p.department for p in people.values() if p.department)
    return Lists(tuple(people), tuple(departments))


def _plan_one(read, site: Site, now, journal, fingerprint, dry_run,
              names=None, live=None, only=None, identities=None, reach: Reach | None = None):
    """The workbook's check up to its write: its finished result (nothing to write), or the
    `_Planned` write whose `finish(patched)` writes and journals it."""
    result = WorkbookCheck(read, str(read.path.relative_to(site.folder)))
    if read.kind is None:
        return result
    new_ids = _assign_ids(read, journal, dry_run)
    result.new_ids = len(new_ids)
    result.provisional = frozenset(new_ids)     # until the write succeeds
    problems = row_problems(read.problems)
    ctx = rules.Context(now, site.calendar, site.rules, history=_lazy_histories(journal, result.relpath),
                        problems=lambda r: problems.get(r.row, []), lang=read.lang)
    chosen = rules.rules_for(read.kind, only)
    result.flags = {rec["_row"]: rules.evaluate(rec, ctx, chosen) for rec in read.records}
    if reach is not None:       # an escalation that reaches nobody does not say "已升级"
        read.problems.extend(reach.review(read, result.flags))
    if dry_run:                 # nothing will be written: no plan to make
        result.write = "dry-run"
        return result
    if fingerprint is None:
        result.write, result.why = SKIPPED, Reason.of("no-fingerprint")
        return result
    painted = journal.painted(result.relpath, fingerprint, save=True)   # settles a write a kill left pending
    for key, entry in painted_of(read.meta).items():     # the workbook's own record: a lost or moved state
        painted.setdefault(key, entry)
    unknown = not painted and journal.db.execute("SELECT 1 FROM rows WHERE workbook=? LIMIT 1",
                                                 (result.relpath,)).fetchone() is None
    colours = site.palette
    plan = _plan(read, result.flags, new_ids, painted, colours, fingerprint, now,
                 strip=tuple(colours.values()) if unknown else ())    # no record anywhere: take duban's colours off
    plan.names, plan.root = names, site.folder   # root: nothing outside the folder is written
    identity = (identities or {}).get(result.relpath)
    if identity:            # an object, not a closure: the plan may travel to a worker to be patched
        plan.records = Recorded(identity, frozenset(rec.id for rec in read.records if rec.id), painted,
                                read.kind.flag_column.key if plan.paints else None, plan.paints)
    backups = site.backups / Path(result.relpath).parent
    read.problems += [Problem("save-in-backup", str(read.path), params={"backup": str(held)})   # for the clerks
                      for held in held_saves(read.path, backups)]
    return _Planned(result, plan, partial(_write_one, result, plan, painted, new_ids, identity, backups, site, now,
                                          journal, live))


@dataclass
class _Planned:
    """A workbook planned and waiting for its write: `finish(patched)` writes it (through `live`
    first, or the file write-back given `patched`, the parts a worker made) and tells the journal."""
    result: WorkbookCheck
    plan: WritePlan
    finish: Callable[[Any], WorkbookCheck]


def _write_one(result, plan, painted, new_ids, identity, backups, site, now, journal, live, patched) -> WorkbookCheck:
    read = result.read
    ahead = []

    def write_ahead(originals: dict, new: tuple[int, int]) -> None:
        """Before the file changes: the journal learns the paint and the cells' original formats."""
        entries = _painted_entries(read, plan, originals)
        if changed := {key: entry for key, entry in entries.items() if painted.get(key) != entry}:
            journal.plan_painted(result.relpath, changed, plan.fingerprint, new, now)
            ahead.append(changed)

    keep = site.settings.state.backups
    extra = {"patched": patched} if patched is not None else {}      # the parts a worker patched
    outcome = (live and live(plan, read, backups, keep, write_ahead, zone=now.tzinfo)) \
        or _writer(site)(plan, backups, keep, before_commit=write_ahead, zone=now.tzinfo, **extra)
    result.write, result.why = outcome.status, outcome.why
    written = outcome.status not in (SKIPPED, REFUSED)
    if ahead:              # the write-ahead entry: confirmed if the new file landed, else forgotten
        if outcome.status == WRITTEN:
            journal.confirm_painted(result.relpath)
        else:
            journal.drop_pending(result.relpath)
    if written:
        result.provisional = frozenset()
        ledger.renamed(journal.db, {f"{result.relpath}!{row}": ident for row, ident in new_ids.items()})
    kept = read.records if written else [r for r in read.records if r.row not in new_ids]
    result.journal = journal.record(result.relpath, kept, now)
    seen(journal, result.relpath, identity if written else identity_of(read.meta), now)
    if written and outcome.status != WRITTEN:     # unchanged: nothing to write, the record may still move
        entries = _painted_entries(read, plan, outcome.originals)
        if changed := {key: entry for key, entry in entries.items() if painted.get(key) != entry}:
            journal.set_painted(result.relpath, changed)
    return result


def _cache(site: Site):
    """The read cache of this run: serve's (one long process, a check every 30 minutes) when
    active, else the folder's."""
    return READ_CACHE.get() or FolderCache.of(site.folder, site.settings)


def _writer(site: Site):
    """The file write-back, behind the cache's memo of workbooks found already as planned."""
    return _cache(site).writer(apply)


def _known_unchanged(site: Site):
    """Whether the read cache would answer a plan "unchanged" without the write-back (then no
    worker patches it)."""
    return _cache(site).known_unchanged


def _lazy_histories(journal: Journal, relpath: str):
    """A row's journal history, fetched for the whole workbook only when a rule first asks
    (the urgent rules never do, and the alert job runs every five minutes)."""
    found = None

    def history(rec):
        nonlocal found
        if found is None:
            found = journal.histories(relpath)
        return found.get(rec.id)
    return history


def _assign_ids(read: WorkbookRead, journal: Journal, dry_run: bool) -> dict[int, str]:
    """Give every row without an ID a new one (in memory; written with the plan). Row -> ID."""
    if "id" not in read.columns:
        return {}
    missing = [rec for rec in read.records if not rec.id]
    if not missing:
        return {}
    seen = [rec.id for rec in read.records if rec.id]
    ids = journal.reserve_ids(read.kind.id_prefix, len(missing), seen, commit=not dry_run)
    for rec, ident in zip(missing, ids):
        rec["id"] = ident
    return {rec.row: rec.id for rec in missing}


def row_problems(problems: list[Problem]) -> dict[int, list[Problem]]:
    """Each row's problems the rules see (a row problem that is more than a note), by Excel row."""
    by_row: dict[int, list[Problem]] = {}
    for problem in problems:
        if problem.row is not None and problem.scope == "row" and problem.severity != "note":
            by_row.setdefault(problem.row, []).append(problem)
    return by_row


MAX_CELL = 32_767          # Excel's limit on a cell's text, in UTF-16 code units
_LEFT_OUT = {"zh": "…（另有{n}条）", "en": "… ({n} more)"}


def alerts_text(flags: list[rules.Flag], lang: str) -> str:
    """The Alerts cell: every flag's text, most severe first, within Excel's 32,767 characters
    (a longer cell is cut by Excel or refused by it); what does not fit is counted in a marker."""
    texts = [text for f in one_fact_each(flags) if (text := f.text(lang))]
    joined = ALERT_SEPARATOR[lang].join(texts)
    # the pieces a reader sees: a data-problem flag joins its sentences with the same separator
    return joined if _units(joined) <= MAX_CELL else _fitted(joined.split(ALERT_SEPARATOR[lang]), lang)


_ESCALATES = {"逾期": "overdue", "阻塞": "blocked"}    # how an escalated text begins -> the flag it escalates


def one_fact_each(flags: list[rules.Flag]) -> list[rules.Flag]:
    """The flags as the Alerts cell says them, one phrase per fact: an escalation is said inside
    the flag it escalates, "逾期6天（已满3个工作日，已升级）", rather than as a second phrase that
    repeats the overdue ("逾期已满3个工作日，已升级；逾期6天"). In the escalation's place (the
    most severe), so the row still leads with it."""
    escalation = next((f for f in flags if f.rule == "escalated"), None)
    escalates = escalation and _ESCALATES.get(escalation.zh[:2])
    base = next((f for f in flags if f.rule == escalates), None) if escalates else None
    if base is None:
        return list(flags)
    said = replace(base, rule=escalation.rule,
                   zh=f"{base.zh}（{escalation.zh[2:]}）",
                   en=f"{base.en} ({escalation.en.split(' ', 1)[-1]})")      # "overdue for 3 …" -> "for 3 …"
    return [said if f is escalation else f for f in flags if f is not base]


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitted(texts: list[str], lang: str) -> str:
    """As many whole texts as fit before the marker "…（另有N条）"; a first text too long on its
    own is cut, so the most severe flag always shows."""
    separator = ALERT_SEPARATOR[lang]
    for kept in range(len(texts) - 1, 0, -1):
        head = separator.join(texts[:kept])
        if _units(head + _LEFT_OUT[lang].format(n=len(texts) - kept)) <= MAX_CELL:
            return head + _LEFT_OUT[lang].format(n=len(texts) - kept)
    marker = _LEFT_OUT[lang].format(n=len(texts) - 1) if len(texts) > 1 else "…"
    room = MAX_CELL - _units(marker)
    first = texts[0].encode("utf-16-le")[: 2 * room].decode("utf-16-le", "ignore")   # never half a character
    return first + marker


def _plan(read, flags, new_ids, painted, colours: dict[str, Colour], fingerprint, now: datetime,
          strip: tuple[Colour, ...] = ()) -> WritePlan:
    """The cells to write for one workbook. Runs for every row: refs are built from letters
    worked out once, and rows without flags, new IDs or past paint cost a few lookups. `strip`
    (a workbook neither the journal nor its own _duban sheet has a record of): every unflagged
    flag cell wearing one of these colours has it taken off."""
    plan = WritePlan(read.path, read.sheet, fingerprint, read.rows_read)
    values, expect, paints, lang = plan.values, plan.expect, plan.paints, read.lang
    id_letter, alerts_letter = (_letter(read.columns.get(key)) for key in ("id", "alerts"))
    flag_column = read.kind.flag_column
    flag_key = flag_column.key if flag_column else None
    flag_letter = _letter(read.columns.get(flag_key)) if flag_key else None
    repaint = False             # a cell's colour changes (for the "last checked" stamp)
    for rec in read.records:
        row = rec["_row"]
        found = flags.get(row) or ()
        if id_letter and row in new_ids:
            values[id_letter + str(row)] = expect[id_letter + str(row)] = new_ids[row]
            plan.wrap.add(id_letter + str(row))        # at the top of its row, as the rest of the row is
        if alerts_letter:
            text = alerts_text(found, lang) if found else ""
            if text != (rec["alerts"] or ""):
                values[alerts_letter + str(row)] = text
                plan.wrap.add(alerts_letter + str(row))     # long alerts wrap, on screen and on paper
                plan.grow.add(alerts_letter + str(row))     # and their row grows to show them (an ID never needs it)
        if flag_letter and (ident := rec["id"]):
            colour = colours[found[0].type.colour] if found else None
            previous = painted.get((ident, flag_key))
            if colour or previous:
                prev = (colours.get(previous[0]), previous[1]) if previous else None
                paints.append(Paint(flag_letter + str(row), colour, prev if prev and prev[0] else None, ident))
            elif strip:
                paints.append(Paint(flag_letter + str(row), None, None, ident, strip))
                repaint = repaint or (colour.name if colour else None) != (previous[0] if previous else None)
    _stamp(plan, read, repaint, now)
    return plan


def _stamp(plan: WritePlan, read, repaint: bool, now: datetime) -> None:
    """Say in the workbook when it was checked: with any other change, and once a day anyway,
    so a check every 30 minutes does not rewrite an unchanged file."""
    ref = read.meta.get("checked_cell")
    if not ref:
        return
    if plan.values or repaint or not stamp_is_from(read.meta.get("checked_text", ""), now.date()):
        plan.values[ref] = checked_text(now, read.lang)


def _letter(index: int | None) -> str | None:
    return col_letters(index + 1) if index is not None else None


def _painted_entries(read, plan: WritePlan, originals: dict[str, dict]) -> dict:
    """What the journal keeps of this run's paint, by (row ID, column): colour and original format."""
    return painted_entries(read.kind.flag_column.key if plan.paints else None, plan.paints, originals)
