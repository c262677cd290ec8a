"""Lossless write-back: plan the cells to change, then apply the plan safely or not at all.

Safety, in order: never while the file is open (an owner/lock file beside it) or changed since
it was read; build the new package in a temporary file in the same folder, checking the new
sheet as it is produced (well-formed, no row lost, every planned ID landed), fsync it, read it
back from disk and compare it with what was produced; then commit it (commit.py): move the
original aside atomically, confirm it is the version read, and put the new file at the name
only if no save has appeared there; the original goes to the backups folder. A user's save
is never overwritten, and a crash at any point leaves the old file or the new one, whole.
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from itertools import chain
from pathlib import Path

from lxml import etree

from duban.workbooks.model.meta import META_SHEET, NAMES_SHEET
from duban.workbooks.share import access, faults
from duban.workbooks.share.batch import cyclic_gc_paused, quick_gil_handoff
from duban.workbooks.share.files import unique_suffix
from duban.workbooks.write import commit
from duban.workbooks.write.guard import busy, target_of, writable
from duban.workbooks.write.paintrecord import meta_sheet
from duban.workbooks.write.plan import WritePlan, cell_edits, in_1904
from duban.workbooks.write.refusal import REFUSED, SKIPPED, UNCHANGED, WRITTEN, Reason, Refused, WriteResult
from duban.workbooks.xlsx import package
from duban.workbooks.xlsx.cellxml import Ambiguous, MissingRow
from duban.workbooks.xlsx.layout import Layout
from duban.workbooks.xlsx.namesheet import names_sheet
from duban.workbooks.xlsx.readback import ReadBack, count_row_tags
from duban.workbooks.xlsx.sheetxml import splices, stream
from duban.workbooks.xlsx.stylebook import StyleBook, StyleGap


def _refusing(write):
    """No exception escapes one workbook's write: anything unforeseen (a bug, a file shaped in a
    way nobody planned for) refuses this workbook with a sentence, and the run goes on. `apply`
    removes its temporary file on the way out, whatever happened.

    A refusal of a file that someone saved (or opened) since it was read is the routine skip
    instead: a save landing while duban copies the file's parts makes the copy fail, and that is
    "changed since it was read", not damage or a bug."""
    @functools.wraps(write)
    def guarded(plan: WritePlan, *args, **kwargs) -> WriteResult:
        try:
            result = write(plan, *args, **kwargs)
        except Refused as exc:
            result = WriteResult(REFUSED, exc.why)
        except Exception as exc:
            fault = faults.translate(exc)
            result = WriteResult(REFUSED, Reason.of("storage", zh=fault.zh.rstrip("。"), en=fault.en.rstrip(".")) if fault else
                                 Reason.of("unexpected", error=f"{type(exc).__name__}: {exc}"[:300]))
        if result.status == REFUSED and (why := _moved_on(plan)):
            return WriteResult(SKIPPED, why)
        return result
    return guarded


def _moved_on(plan: WritePlan) -> Reason | None:
    """Why the file is no longer the one read (saved, open, gone), or None; never raises."""
    try:
        return busy(plan)
    except OSError:
        return Reason.of("changed")


@_refusing
def apply(plan: WritePlan, backups: Path, keep: int = 10, verify=None, before_commit=None,
          zone=None, patched: tuple | None = None) -> WriteResult:
    """Carry out `plan`; `verify(temp_path) -> (rows, {ref: value})` reads the new file back.
    `before_commit(originals, (size, mtime_ns) of the new file)` is called just before the file
    changes (the journal's write-ahead); the commit itself is in workbooks/write/commit.py.
    `patched`: what `patched_parts(plan)` returned for this plan, worked out elsewhere (a worker
    process), used instead of patching again.

    The workbook is read once, whole: its bytes are checked against the plan's fingerprint,
    patched, and copied into the new file from memory, so that on a share the file costs one
    open and one read, and every part comes from the very version the plan was made from."""
    target = target_of(plan)         # a link is written through, never replaced by a file
    if why := busy(plan, target, content=False):
        return WriteResult(SKIPPED, why)
    data = _as_planned(plan, target)
    if data is None:
        return WriteResult(SKIPPED, Reason.of("changed"))
    with cyclic_gc_paused():
        parts, originals = patched if patched is not None else _patched_parts(plan, data)
    if not parts:
        return WriteResult(UNCHANGED, originals=originals)
    kept = writable(plan, target)
    crashpoint("patched")
    temp = commit.temp_of(target, unique_suffix())
    try:
        manifest = _write_temp(data, temp, parts, kept)
        del parts, data            # the compressed parts are on disk now: let them go
        crashpoint("temp-written")
        _verify_package(temp, manifest)
        if verify:
            _verify(plan, temp, verify)
        if why := busy(plan, target, content=False):   # the commit checks the content it moves
            return WriteResult(SKIPPED, why)
        if before_commit:          # write-ahead: the journal learns the originals before the file changes
            stat = temp.stat()
            before_commit(originals, (stat.st_size, stat.st_mtime_ns))
        done = commit.commit(target, temp, plan.fingerprint, backups, keep, zone)
        if not done.landed:
            why = Reason.of("locked") if done.race == commit.LOCKED else \
                Reason.of("rescued", file=done.rescued.name) if done.rescued else Reason.of("changed")
            return WriteResult(SKIPPED, why, backup=done.backup, race=done.race, rescued=done.rescued)
        return WriteResult(WRITTEN, originals=originals, backup=done.backup)
    finally:
        temp.unlink(missing_ok=True)


def _as_planned(plan: WritePlan, target: Path) -> bytes | None:
    """The workbook's bytes, if they are the version the plan was made from (size and SHA-256),
    else None: a save that kept the size and the time still differs here."""
    with open(target, "rb") as fh:
        data = fh.read()
    if len(data) != plan.fingerprint.size or hashlib.sha256(data).hexdigest() != plan.fingerprint.sha256:
        return None
    return data


def patched_parts(plan: WritePlan, threads: bool | None = None) -> tuple[dict[str, package.Deflated], dict[str, dict]]:
    """The parts a write of `plan` would change (empty: the file is already as planned) and the
    painted cells' original formats, without writing anything: the Excel console asks this of a
    workbook open in Excel before applying the plan there, and the check of a worker process.
    `threads`: force the threaded or the inline patch (tests: both give the same bytes)."""
    return _patched_parts(plan, plan.path, threads)


# ---- building the new package -----------------------------------------------------------------
THREADS_FROM = 1 << 20
"""The sheet's size (uncompressed XML bytes) from which it is inflated, checked and deflated in
worker threads beside the patching. Below it the threads cost more than they save: starting and
joining two threads took about as long as patching a 200-row sheet (bench/writeback.py)."""


def _patched_parts(plan: WritePlan, source: Path | bytes, threads: bool | None = None
                   ) -> tuple[dict[str, package.Deflated], dict[str, dict]]:
    """(new parts, compressed; original formats of painted cells). A big sheet inflates in a
    worker while the edits are worked out, and is checked and deflated while it is patched; a
    small one does the same steps inline, in the same order, to the same bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            found = package.book_parts(zf)
            sheets = found.sheets
            if plan.sheet not in sheets:
                raise Refused("no-sheet", sheet=plan.sheet)
            sheet_path = sheets[plan.sheet]
            if found.date1904:      # its day numbers count from 1904: a date written as 1900 would be 4 years late
                in_1904(plan)
            sheet_info = zf.getinfo(sheet_path)
            stored = package.stored_bytes(zf, sheet_info) if plan.values or plan.numbers or plan.paints else None
            styles_raw = zf.read(found.styles) if found.styles else package.empty_styles(found.strict)
            styles = package.parse(styles_raw)
            styles_path, declared = (found.styles, {}) if found.styles else package.styles_added(zf, found)
            names_path = sheets.get(NAMES_SHEET) if plan.names is not None else None
            names_xml = names_sheet(zf.read(names_path), plan.names) if names_path else None
            meta_path = sheets.get(META_SHEET) if plan.records is not None else None
            meta_raw = zf.read(meta_path) if meta_path else None
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:   # the file on disk, not duban's output
        raise Refused("corrupt", error=str(exc)) from None
    originals: dict[str, dict] = {}
    parts: dict[str, package.Deflated] = {}
    threaded = sheet_info.file_size >= THREADS_FROM if threads is None else threads
    with ThreadPoolExecutor(1) if threaded and stored is not None else nullcontext() as pool:
        inflating = pool.submit(package.inflate, sheet_info, stored) if pool and stored is not None else None
        book = StyleBook(styles)
        edits = cell_edits(plan, book, originals)
        try:
            sheet_raw = inflating.result() if inflating else \
                package.inflate(sheet_info, stored) if stored is not None and edits else None
        except zipfile.BadZipFile as exc:
            raise Refused("corrupt", error=str(exc)) from None
    stored = None
    if edits and sheet_raw is not None:
        with quick_gil_handoff() if threaded else nullcontext():
            sheet = _new_sheet(plan, sheet_raw, edits, threaded)
        if sheet is not None:
            parts[sheet_path] = sheet
    meta_xml = None
    if meta_raw is not None and plan.records:      # after the paint
        meta_xml = meta_sheet(meta_raw, plan.records(originals))
    new_xml = [(styles_path, package.serialize(book.root, styles_raw) if book.changed else None),
               (names_path, names_xml), (meta_path, meta_xml),
               *(declared.items() if book.changed else ())]   # declared: a new styles part
    for path, xml in new_xml:
        if xml is not None:
            _parses(xml)
            parts[path] = package.deflate(xml)
    return parts, originals


def _new_sheet(plan: WritePlan, raw: bytes, edits: dict, threaded: bool = True) -> package.Deflated | None:
    """The patched sheet, compressed, or None when the edits change nothing.

    It streams through the always-on read-back as it is produced: libxml2 checks that it is
    well-formed (in the deflater's thread), its rows are counted (exactly as many as before),
    and every planned ID cell must hold its ID."""
    layout = Layout(raw)
    prefix = layout.prefix
    cuts = splices(raw, edits, layout)
    try:
        first = next(cuts, None)
        if first is None:
            return None
        check = ReadBack(prefix, plan.expect)
        with package.Deflater(threaded=threaded) as out:
            for piece, final in _whole_rows(stream(raw, chain((first,), cuts)), b"</" + prefix + b"row>",
                                            layout.rows_numbered and layout.ordered):   # else one piece
                check.feed(piece, final)
                out.feed(piece)
            sheet = out.result()
    except Ambiguous as exc:
        raise Refused("ambiguous-cell", cell=exc.ref) from None
    except StyleGap as exc:
        raise Refused("style-gap", section=exc.section, index=exc.index, count=exc.count) from None
    except MissingRow as exc:
        raise Refused("rows-gone", rows=tuple(exc.rows[:5])) from None
    except etree.XMLSyntaxError as exc:
        raise Refused("damaged", error=str(exc)) from None
    before = count_row_tags(raw, prefix)
    breaks = raw.count(b"<" + prefix + b"rowBreaks") if check.row_tags != before else 0  # counted in both
    _refuse_unless(check.row_tags == before, check.row_tags - breaks, before - breaks, check.wrong)
    return sheet


def _whole_rows(chunks, row_end: bytes, split: bool):
    """(piece, is it the last) of about CHUNK bytes, each ending at a row end, so the read-back
    sees whole rows. Without `split` (rows without numbers) the sheet is one piece."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if split and len(buffer) >= CHUNK and (end := buffer.rfind(row_end)) >= 0:
            end += len(row_end)
            with memoryview(buffer) as view:
                piece = bytes(view[:end])
            del buffer[:end]
            yield piece, False
    yield bytes(buffer), True


CHUNK = 2 << 20


def _parses(xml: bytes) -> None:
    try:
        package.parse(xml)
    except etree.XMLSyntaxError as exc:
        raise Refused("damaged", error=str(exc)) from None


def _write_temp(source: bytes, temp: Path, parts: dict[str, package.Deflated], kept: access.Access) -> package.Manifest:
    """The new package in `temp`, fsynced, with the original's owner, group, mode and attributes
    (refused if they cannot all be given: a write must not change who may save the workbook).
    Made exclusively: a file already at that name (a crash's leftover, maybe a second name of the
    workbook) is never written into."""
    with open(temp, "xb") as fh:
        manifest = package.rewrite(source, fh, parts)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        access.give(temp, kept)
    except access.NotKept as exc:
        raise Refused(exc.code, **exc.params) from None
    return manifest


def _verify_package(temp: Path, manifest: package.Manifest) -> None:
    """Read the new file back from disk: every part where it was written, with its planned CRC
    and sizes and exactly the stored bytes produced (which were checked as they were produced).

    This is the always-on check. A caller may add a full re-read by a spreadsheet reader with
    `verify=` (the tests do, with python-calamine)."""
    try:
        package.check_written(temp, manifest)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused("damaged", error=str(exc)) from None


def _verify(plan: WritePlan, temp: Path, verify) -> None:
    rows, found = verify(temp)
    _refuse_unless(rows >= plan.rows_before, rows, plan.rows_before,
                   [ref for ref, value in plan.expect.items() if found.get(ref) != value])


def _refuse_unless(rows_ok: bool, now: int, before: int, wrong: list[str]) -> None:
    """The one place a read-back is judged: rows kept, planned cells as written."""
    if not rows_ok:
        raise Refused("lost-rows", now=now, before=before)
    if wrong:
        raise Refused("misread", cells=", ".join(wrong[:5]))


# ---- backups, crash points: see commit.py --------------------------------------------------------------
crashpoint = commit.crashpoint
