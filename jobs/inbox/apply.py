"""Write verified replies into their workbooks: the cells each command names, through the same
lossless write-back as the check, one write per workbook.

Plan, then apply, as the check does: each workbook with pending changes is read, every change is
checked against the row as it is now (still there? the person its owner, or their stand-in while
they are away?) and turned into cells (cells.py); one WritePlan carries them. A file open in Excel
or saved since it was read is not written: its changes stay pending and are tried again next run,
so none is lost. A write the write-back refuses (a damaged file, a read-only one) waits too, with
its reason for the clerks, until mail.give_up_days have passed. What landed is journalled as a
"reply" event (by whom, when, which cells) and the row's new values are recorded at once.

The caller holds the folder's run lock (jobs/state/runlock.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from duban.jobs.inbox.cells import Cell, Refusal, cells_for
from duban.jobs.inbox.changes import APPLIED, REFUSED, Change, ChangeStore
from duban.jobs.settings.site import Site
from duban.jobs.settings.typed import Settings
from duban.jobs.state.journal import Journal
from duban.jobs.validate import read_folder
from duban.workbooks.model.a1 import col_letters, ref_col, ref_row
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.records import Record, WorkbookRead
from duban.workbooks.model.schema import Role
from duban.workbooks.write.plan import WritePlan
from duban.workbooks.write.refusal import REFUSED as WRITE_REFUSED, SKIPPED, Reason
from duban.workbooks.write.writeback import apply

APPLIED_STATUS, WAITING, REFUSED_STATUS = "applied", "waiting", "refused"


@dataclass
class Outcome:
    change: Change
    status: str          # "applied" | "waiting" (tried again next run) | "refused"
    code: str = ""       # refused: gone, not-yours, no-column, not-for-kind, not-written; applied: unchanged;
    #                      waiting: "" (open or saved since read) or write-refused (zh/en say why, for the clerks)
    zh: str = ""
    en: str = ""
    workbook: str = ""
    row: int | None = None
    cells: dict[str, str] = field(default_factory=dict)    # what was written, by the workbook's header


@dataclass
class _Planned:
    change: Change
    rec: Record
    cells: list[Cell]


def apply_pending(folder: Path, settings: Settings, now: datetime) -> list[Outcome]:
    """Every pending change written, refused, or left waiting; each applied or refused one is
    settled in the store and never returned again."""
    site = Site(folder, settings)
    with ChangeStore(site.state_db) as store:
        pending = store.pending()
        if not pending:
            return []
        journal = Journal(site.state_db)
        try:
            fingerprints: dict = {}
            reads = read_folder(folder, settings, now.astimezone(site.tz).date(), fingerprints=fingerprints)
            books = {str(r.path.relative_to(folder)): r for r in reads if r.kind is not None}
            directory = Directory.from_reads(reads)
            groups: dict[str, list[Change]] = {}
            outcomes = []
            unread = {str(r.path.relative_to(folder)) for r in reads if r.kind is None}
            for change in pending:
                relpath = _workbook_of(change.item, journal, books, unread)
                if relpath in unread:       # being saved, or unreadable for now: its row is not gone
                    days = settings.mail.give_up_days
                    outcomes.append(_waiting(change, now - change.received >= timedelta(days=days),
                                             Reason.of("no-fingerprint"), relpath, None, days, now))
                elif relpath is None or relpath not in books:
                    outcomes.append(_refused(change, _gone(change)))
                else:
                    groups.setdefault(relpath, []).append(change)
            _settle(store, outcomes, now)
            for relpath, changes in groups.items():      # each workbook's settled as soon as it is written
                done = _one_workbook(site, books[relpath], relpath, changes, directory, journal,
                                     fingerprints.get(books[relpath].path), now)
                _settle(store, done, now)
                outcomes += done
        finally:
            journal.close()
    return outcomes


def _settle(store: ChangeStore, outcomes: list[Outcome], now: datetime) -> None:
    for outcome in outcomes:
        if outcome.status != WAITING:
            store.settle(outcome.change.message_id, APPLIED if outcome.status == APPLIED_STATUS else REFUSED,
                         now, outcome.code)


def _workbook_of(item: str, journal: Journal, books: dict[str, WorkbookRead], unread: set[str]) -> str | None:
    """The workbook holding the row now: the journal's (or one not readable at the moment: being
    saved), else any that has the ID (a row moved); None when none has it."""
    if "!" in item:
        return item.rsplit("!", 1)[0]
    found = journal.db.execute("SELECT workbook FROM rows WHERE id=? AND deleted_at IS NULL", (item,)).fetchone()
    if found and (found[0] in unread or found[0] in books and _row_of(item, books[found[0]]) is not None):
        return found[0]
    return next((relpath for relpath, read in books.items() if _row_of(item, read) is not None), None)


def _row_of(item: str, read: WorkbookRead) -> Record | None:
    """The row an item names: by ID, or (a provisional "relpath!row") by number while it has no ID."""
    if "!" in item:
        number = item.rsplit("!", 1)[1]
        return next((r for r in read.records if str(r.row) == number and not r.id), None)
    return next((r for r in read.records if r.id == item), None)


def _one_workbook(site: Site, read: WorkbookRead, relpath: str, changes: list[Change], directory: Directory,
                  journal: Journal, fingerprint, now: datetime) -> list[Outcome]:
    outcomes, planned = [], []
    for change in changes:
        rec = _row_of(change.item, read)
        if rec is None:
            outcomes.append(_refused(change, _gone(change)))
            continue
        if not _may_change(change.person, rec, directory, now.astimezone(site.tz).date()):
            outcomes.append(_refused(change, _not_yours(change, rec, directory), relpath, rec.row))
            continue
        found = cells_for(change.command, change.value, change.person, rec, read, change.received, site.tz)
        if isinstance(found, Refusal):
            outcomes.append(_refused(change, found, relpath, rec.row))
            continue
        for cell in found:          # a later reply on the same row starts from this one's values
            rec[cell.key] = cell.value
        planned.append(_Planned(change, rec, found))
    writing = [p for p in planned if p.cells]
    outcomes += [Outcome(p.change, APPLIED_STATUS, "unchanged", *_unchanged(), relpath, p.rec.row)
                 for p in planned if not p.cells]
    if not writing:
        return outcomes
    plan = _plan(read, writing, fingerprint, site.folder)
    result = apply(plan, site.backups / Path(relpath).parent, site.settings.state.backups, zone=now.tzinfo) \
        if fingerprint is not None else None
    if result is None or result.status in (SKIPPED, WRITE_REFUSED):
        why = result.why if result is not None else Reason.of("no-fingerprint")
        return outcomes + [_waiting(p.change, result is not None and result.status == WRITE_REFUSED, why, relpath,
                                    p.rec.row, site.settings.mail.give_up_days, now) for p in writing]
    for p in writing:       # at the reply's time, in the company's zone (as every journal time)
        at = p.change.received.astimezone(site.tz)
        journal.reply(relpath, p.rec.id or p.change.item, at, _detail(p, read, at))
    journal.record(relpath, read.records, now)      # the row's new values, at once
    return outcomes + [Outcome(p.change, APPLIED_STATUS, "", "", "", relpath, p.rec.row, _said(p, read))
                       for p in writing]


def _may_change(person: str, rec: Record, directory: Directory, today) -> bool:
    """The row's owner (owner / receiver / responder), or their stand-in while they are away."""
    owner = rec.role(Role.OWNER)
    if not owner:
        return False
    if person == owner:
        return True
    absent = directory.people.get(owner)
    return absent is not None and absent.away(today) and absent.stand_in == person


def _plan(read: WorkbookRead, writing: list[_Planned], fingerprint, root: Path) -> WritePlan:
    plan = WritePlan(read.path, read.sheet, fingerprint, read.rows_read)
    plan.root = root
    for p in writing:
        row = p.rec.row
        if p.rec.id and "id" in read.columns:       # the row is still the one named: verified on read-back
            ref = f"{col_letters(read.columns['id'] + 1)}{row}"
            plan.expect[ref] = p.rec.id
        for cell in p.cells:
            ref = f"{col_letters(read.columns[cell.key] + 1)}{row}"
            plan.column_format.add(ref)
            if cell.number is not None:
                plan.values.pop(ref, None)
                plan.numbers[ref] = cell.number
            else:
                plan.numbers.pop(ref, None)
                plan.values[ref] = cell.text or ""
                if "\n" in (cell.text or ""):    # a note of several lines: shown whole, on screen and paper
                    plan.wrap.add(ref)
                    plan.grow.add(ref)
    for ref, (number, _shown) in plan.numbers.items():
        plan.expect[ref] = number
    for ref, text in plan.values.items():
        plan.expect[ref] = text
    plan.expect = dict(sorted(plan.expect.items(), key=lambda kv: (ref_row(kv[0]), ref_col(kv[0]))))  # sheet order
    return plan


def _said(p: _Planned, read: WorkbookRead) -> dict[str, str]:
    return {read.headers.get(cell.key) or read.kind.by_key[cell.key].header(read.lang): cell.said for cell in p.cells}


def _detail(p: _Planned, read: WorkbookRead, at: datetime) -> str:
    change = p.change
    return json.dumps({"by": change.person, "at": at.isoformat(), "command": change.command,
                       "cells": _said(p, read), "sender": change.sender}, ensure_ascii=False)


# ---- outcomes that write nothing -------------------------------------------------------------------
def _refused(change: Change, why: Refusal, workbook: str = "", row: int | None = None) -> Outcome:
    return Outcome(change, REFUSED_STATUS, why.code, why.zh, why.en, workbook, row)


def _waiting(change: Change, refused: bool, why: Reason, workbook: str, row: int | None, give_up_days: float,
             now: datetime) -> Outcome:
    """Open in Excel, saved since read: tried next run; refused by the write-back: the same, with
    the reason for the clerks. Either way until give_up_days after the reply (a workbook left open on
    a PC for days, a stale lock file), then refused for good and the person told: never silent."""
    if now - change.received >= timedelta(days=give_up_days):
        file = Path(workbook).name
        return Outcome(change, REFUSED_STATUS, "not-written",
                       f"工作簿 {file} 已有{give_up_days:g}天无法写入（{why.text('zh')}），您的回复未执行。"
                       "请在共享盘上的工作簿中直接修改，或请文员先处理该文件的问题。",
                       f"The workbook {file} could not be written for {give_up_days:g} days ({why.text('en')}), so "
                       "your reply was not applied. Edit the workbook on the shared drive, or ask a clerk to fix the "
                       "file first.", workbook, row)
    file = Path(workbook).name
    if not refused:         # the write-back's own sentence: open in Excel by whom, saved since, unreadable
        return Outcome(change, WAITING, "", f"工作簿 {file} {why.text('zh')}", f"the workbook {file}: {why.text('en')}",
                       workbook, row)
    return Outcome(change, WAITING, "write-refused",
                   f"回复已核实，但工作簿 {file} 暂时无法写入：{why.text('zh')}。请文员处理后，督办会在下次运行时写入。",
                   f"The reply is verified, but the workbook {file} cannot be written now: {why.text('en')}. Once a "
                   "clerk has fixed that, duban writes it on its next run.", workbook, row)


def _unchanged() -> tuple[str, str]:
    return ("该行已是回复所要求的状态，无需修改，工作簿未改动。",
            "The row already is as the reply asks, so nothing was changed in the workbook.")


def _gone(change: Change) -> Refusal:
    item = change.item.rsplit("!", 1)[0] if "!" in change.item else change.item
    return Refusal("gone", f"{item} 这一行已不在工作簿中（已被删除或移走），回复未执行。如仍需更新，请在共享盘上的工作簿中直接修改。",
                   f"The row {item} is no longer in the workbook (deleted or moved), so the reply was not applied. "
                   "To update it, edit the workbook on the shared drive.")


def _not_yours(change: Change, rec: Record, directory: Directory) -> Refusal:
    owner = rec.role(Role.OWNER) or "—"
    absent = directory.people.get(owner)
    if absent is not None and absent.stand_in == change.person and absent.away_until is not None:
        back = absent.away_until.isoformat()
        return Refusal("not-yours", f"{owner}的休假已于 {back} 结束，{change.person}的代理已到期，回复未执行。"
                                    f"请{owner}本人回复最新的提醒，或在共享盘上的工作簿中直接修改。",
                       f"{owner}'s leave ended on {back}, so {change.person} no longer stands in and the reply was "
                       f"not applied. {owner} can reply to the latest reminder, or edit the workbook on the shared "
                       "drive.")
    item = rec.id or f"第{rec.row}行"
    return Refusal("not-yours", f"{item} 的负责人是{owner}，不是{change.person}（也不是其休假期间的代理人），回复未执行。"
                                "请由负责人回复，或请文员在工作簿中更改负责人。",
                   f"The owner of {rec.id or f'row {rec.row}'} is {owner}, not {change.person} (nor their stand-in "
                   "while away), so the reply was not applied. Ask the owner to reply, or a clerk to change the "
                   "owner in the workbook.")
