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
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Callable

from lxml import etree

from duban.workbooks.share import access, faults
from duban.workbooks.write import commit
from duban.workbooks.xlsx import package
from duban.workbooks.share.batch import cyclic_gc_paused, quick_gil_handoff
from duban.workbooks.share.discover import other_names
from duban.workbooks.share.files import unique_suffix
from duban.workbooks.model.flags import Colour
from duban.workbooks.model.meta import META_SHEET, NAMES_SHEET
from duban.workbooks.write.paintrecord import meta_sheet
from duban.workbooks.xlsx.sheetxml import (
    Ambiguous, CellEdit, Layout, MissingRow, ReadBack, count_row_tags, names_sheet, ref_row, splices, stream)
from duban.workbooks.xlsx.stylebook import StyleBook, StyleGap

WRITTEN, UNCHANGED, SKIPPED, REFUSED = "written", "unchanged", "skipped", "refused"


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> "Fingerprint":
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls(stat.st_size, stat.st_mtime_ns, digest)


@dataclass
class Paint:
    """Colour one cell (`colour` None: give it back its own format). `previous`: what duban
    painted there last time and the format it had before, from the journal; `owner`: the
    row's ID, under which the journal keeps this cell's original format."""

    ref: str
    colour: Colour | None
    previous: tuple[Colour, dict] | None = None
    owner: str | None = None
    # no record of the cell's own format anywhere (a lost state, a workbook without _duban): if
    # it wears exactly one of these colours, duban's fill and font colour are taken off it
    strip: tuple[Colour, ...] = ()


@dataclass
class WritePlan:
    path: Path
    sheet: str
    fingerprint: Fingerprint
    rows_before: int
    values: dict[str, str] = field(default_factory=dict)     # job-owned cells: ref -> text
    paints: list[Paint] = field(default_factory=list)
    expect: dict[str, str] = field(default_factory=dict)     # ref -> value to find when verifying
    wrap: set[str] = field(default_factory=set)   # of `values`: cells whose format must wrap (Alerts)
    grow: set[str] = field(default_factory=set)   # of `wrap`: cells whose text may need a taller row
    names: list[str] | None = None   # refresh the hidden person list (_names) with these, if it exists
    root: Path | None = None         # the folder duban was given: nothing outside it is ever written
    # what the hidden _duban sheet should record after this write (paintrecord.record_rows), given
    # the painted cells' original formats; None: leave _duban alone
    records: Callable[[dict[str, dict]], list[tuple[str, str]]] | None = None


# Why a write did not happen, in the clerk's language: (zh, en) templates by code.
REASONS = {
    "open": ("正被{who}用 {program} 打开，本次未写入，下次运行时再写", "open in {program} by {who} (will retry next run)"),
    "open-unnamed": ("正被他人用 {program} 打开（锁文件中没有写明是谁），本次未写入，下次运行时再写",
                     "open in {program} by someone the lock file does not name (will retry next run)"),
    "gone": ("读取后文件被移动或删除，未写入", "the file was moved or deleted since it was read"),
    "locked": ("文件正被 Excel 或其他程序占用，本次未写入，下次运行时再写", "open in Excel or another program (will retry next run)"),
    "rescued": ("读取后文件被连续保存了两次：最新的一次在工作簿中，较早的一次已存入备份 {file}；本次未写入，下次运行时再写",
                "changed twice since it was read: the latest save is in the workbook, the earlier one is kept in "
                "the backups as {file} (will retry next run)"),
    "changed": ("读取后文件又被保存过，本次未写入，下次运行时再写", "changed since it was read (will retry next run)"),
    "no-fingerprint": ("无法读取文件内容，未写入，下次运行时再试", "could not be fingerprinted"),
    "no-sheet": ("找不到工作表“{sheet}”，未写入", "sheet {sheet} not found"),
    "rows-gone": ("第{rows}行在读取后被删除，未写入，下次运行时再写", "rows {rows} are no longer in the sheet"),
    "lost-rows": ("写入后的文件将只有{now}行而不是{before}行，已放弃写入，原文件未改动",
                  "the new file would have {now} rows instead of {before}; nothing was written"),
    "ambiguous-cell": ("单元格{cell}在工作表中被写了不止一次（生成这个文件的程序不合规范），无法确定哪一个才是 Excel 显示的，"
                       "已放弃写入，原文件未改动；请用 Excel 打开并保存一次，下次运行时再写",
                       "cell {cell} is written more than once in the sheet (the program that made the file broke the "
                       "format), so which one Excel shows cannot be known; nothing was written. Open the file in Excel "
                       "and save it once, and the next run will write it"),
    "style-gap": ("单元格格式引用了 {section} 中的第 {index} 项，但文件中只有 {count} 项（生成这个文件的程序不合规范），"
                  "督办无法安全地加入颜色，已放弃写入，原文件未改动；请用 Excel 打开并保存一次，下次运行时再写",
                  "a cell format names entry {index} of {section}, but the file has only {count} (the program that "
                  "made it broke the format), so duban cannot add its colours safely; nothing was written. Open the "
                  "file in Excel and save it once, and the next run will write it"),
    "misread": ("单元格{cells}写入后读回不一致，已放弃写入，原文件未改动",
                "cells {cells} did not read back as written; nothing was written"),
    "damaged": ("新文件未通过自检（{error}），已放弃写入，原文件未改动；请把这条信息转给负责督办的同事",
                "the new file failed its own check ({error}); nothing was written. "
                "Please pass this message on to whoever runs duban"),
    "corrupt": ("工作簿文件本身已损坏（{error}），未写入；请用 Excel 打开、修复并另存后再运行",
                "the workbook file itself is damaged ({error}); nothing was written. "
                "Open it in Excel, let it repair the file, save it, then run again"),
    "read-only": ("工作簿是只读文件（所有者没有写权限），督办不写入。如需督办写入编号和提示，请去掉只读属性"
                  "（Windows：文件“属性”中取消“只读”；Linux：chmod u+w）；如它本应只读（如已归档），请把它移出督办的文件夹",
                  "the workbook is read-only (its owner may not write it), so duban does not write it. To let duban "
                  "write IDs and alerts, clear the read-only attribute (Windows: the file's Properties, untick "
                  "Read-only; Linux: chmod u+w); if it is meant to stay read-only (archived), move it out of the folder"),
    "owner": ("督办以用户 {user} 运行，无法让新文件保持原来的所有者 {owner}（否则只有 {user} 才能保存它），未写入。"
              "请以文件所有者或 root 的身份运行督办服务，或允许服务保持文件所有者"
              "（systemd 单元中加 AmbientCapabilities=CAP_CHOWN CAP_FOWNER）",
              "duban runs as {user} and cannot give the new file its owner {owner} (only {user} could then save "
              "it), so it was not written. Run the duban service as the file's owner or as root, or allow it to "
              "keep owners (in the systemd unit: AmbientCapabilities=CAP_CHOWN CAP_FOWNER)"),
    # duban already runs as the file's owner here (access._chown): only joining the group, root or
    # the capability changes anything
    "group": ("督办以用户 {user} 运行，无法让新文件保持原来的组 {group}（写入后该组的成员将不能保存它），未写入。"
              "请把运行督办的用户 {user} 加入组 {group}，或以 root 的身份运行督办服务，或允许服务保持文件的组"
              "（systemd 单元中加 AmbientCapabilities=CAP_CHOWN CAP_FOWNER）",
              "duban runs as {user} and cannot give the new file its group {group} (the group's members could then "
              "no longer save it), so it was not written. Add the user duban runs as ({user}) to the group {group}, "
              "or run the duban service as root, or allow it to keep groups (in the systemd unit: "
              "AmbientCapabilities=CAP_CHOWN CAP_FOWNER)"),
    "attribute": ("无法把文件的权限设置 {name} 复制到新文件（{error}），未写入，以免改变谁能保存它。"
                  "请以文件所有者或 root 的身份运行督办服务（现为 {user}）",
                  "the file's permission setting {name} could not be copied to the new file ({error}), so it was not "
                  "written (that would change who may save it). Run the duban service as the file's owner or as "
                  "root (it runs as {user})"),
    "outside": ("这个工作簿经链接指向督办所查文件夹之外的 {target}，督办从不在该文件夹之外写入，未写入。"
                "请把工作簿移到文件夹内，或把链接换成文件或文件夹本身",
                "the workbook is reached through a link and lies outside the folder duban checks ({target}); duban "
                "never writes outside that folder, so it was not written. Move the workbook into the folder, or "
                "replace the link by the file or folder itself"),
    "hard-link": ("{path} 和 {other} 是同一个文件的两个名字（硬链接）。督办写入时会在 {path} 放上新文件，两个名字就会分成"
                  "两个不同的工作簿（{other} 留在旧版本，同样的任务会被算两次），所以未写入。请只保留一个名字："
                  "删除 {other}，或把它换成指向 {path} 的符号链接（ln -s）",
                  "{path} and {other} are two names of one file (a hard link). A write puts a new file at {path}, "
                  "which would split them into two workbooks ({other} keeping the old version, its tasks counted "
                  "twice), so it was not written. Keep one name: delete {other}, or make it a symbolic link to "
                  "{path} (ln -s)"),
    "storage": ("{zh}", "{en}"),      # a full disk, a read-only share: faults.translate's sentence
    "unexpected": ("写入时出现意外错误（{error}），已放弃写入，原文件未改动；其他工作簿照常处理。"
                   "请把这条信息转给负责督办的同事",
                   "an unexpected error stopped the write ({error}); nothing was written and the file is as it "
                   "was; the other workbooks went on. Please pass this message on to whoever runs duban"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    params: tuple = ()          # (name, value) pairs

    @classmethod
    def of(cls, code: str, **params) -> "Reason":
        return cls(code, tuple(params.items()))

    def text(self, lang: str = "en") -> str:
        zh, en = REASONS[self.code]
        return (zh if lang == "zh" else en).format(**dict(self.params))

    def __str__(self) -> str:
        return self.text("en")


@dataclass
class WriteResult:
    status: str
    why: Reason | None = None
    originals: dict[str, dict] = field(default_factory=dict)  # painted ref -> the format it had before
    backup: Path | None = None      # where the version duban read went (backups folder)
    race: str = ""                  # a user's save raced the write: commit.BEFORE / TAKEN_BACK / AFTER / RESCUED
    rescued: Path | None = None     # RESCUED: that user's version, kept in the backups

    @property
    def reason(self) -> str:
        return str(self.why) if self.why else ""


class Refused(Exception):
    """The write would be unsafe; `why` says so (the file is left as it was)."""

    def __init__(self, code: str, **params):
        self.why = Reason.of(code, **params)
        super().__init__(str(self.why))


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
          zone=None) -> WriteResult:
    """Carry out `plan`; `verify(temp_path) -> (rows, {ref: value})` reads the new file back.
    `before_commit(originals, (size, mtime_ns) of the new file)` is called just before the file
    changes (the journal's write-ahead); the commit itself is in workbooks/commit.py."""
    if why := busy(plan):
        return WriteResult(SKIPPED, why)
    target = _target(plan)         # a link is written through, never replaced by a file
    temp = commit.temp_of(target, unique_suffix())
    temp.unlink(missing_ok=True)   # a crash may have left it as a second name of the workbook: never write into it
    try:
        with cyclic_gc_paused(), quick_gil_handoff():
            parts, originals = _patched_parts(plan)
        if not parts:
            return WriteResult(UNCHANGED, originals=originals)
        kept = _writable(plan, target)
        crashpoint("patched")
        manifest = _write_temp(target, temp, parts, kept)
        parts = None
        crashpoint("temp-written")
        _verify_package(temp, manifest)
        if verify:
            _verify(plan, temp, verify)
        if why := busy(plan):
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
    except Refused as exc:
        return WriteResult(REFUSED, exc.why)
    finally:
        temp.unlink(missing_ok=True)


# ---- is it safe to write? -------------------------------------------------------------------
def _target(plan: WritePlan) -> Path:
    """The file to write: the workbook itself, or, when its name is a link, the file the link
    points to (replacing the link with a file would fork it: staff on the target, duban on a copy)."""
    return Path(os.path.realpath(plan.path)) if os.path.islink(plan.path) else plan.path


def _writable(plan: WritePlan, target: Path) -> access.Access:
    """The workbook's owner, group, mode and attributes, which the new file will get; refused
    when the workbook is outside the folder duban was given, or read-only."""
    if plan.root is not None:
        real, root = Path(os.path.realpath(target)), Path(os.path.realpath(plan.root))
        if not real.is_relative_to(root):
            raise Refused("outside", target=str(real))
        if others := other_names(target, plan.root):     # a hard link: the write would split it in two
            raise Refused("hard-link", path=_shown(target, plan.root), other=_shown(others[0], plan.root))
    kept = access.Access.of(target)
    if kept.read_only:
        raise Refused("read-only")
    return kept


def _shown(path: Path, root: Path) -> str:
    """`path` as the clerks know it: relative to the folder duban checks (its real path, when
    the folder is reached through a link), else in full."""
    for base in (root, Path(os.path.realpath(root))):
        try:
            return Path(path).relative_to(base).as_posix()
        except ValueError:
            pass
    return str(path)


def busy(plan: WritePlan) -> Reason | None:
    """Why the file must not be written now (open in Excel/WPS/LibreOffice, or changed), or None."""
    for path in dict.fromkeys((plan.path, _target(plan))):     # a link's folder, and its target's
        if holder := lock_holder(path):
            program, who = holder
            return Reason.of("open", program=program, who=who) if who else Reason.of("open-unnamed", program=program)
    try:
        stat = plan.path.stat()
    except FileNotFoundError:
        return Reason.of("gone")
    if (stat.st_size, stat.st_mtime_ns) != (plan.fingerprint.size, plan.fingerprint.mtime_ns) \
            or Fingerprint.of(plan.path).sha256 != plan.fingerprint.sha256:
        return Reason.of("changed")
    return None


def lock_owner(path: Path) -> str | None:
    """The user named in Excel's ~$ owner file or LibreOffice's .~lock file beside `path`
    ("?" when the lock file names nobody); None when the file is not open."""
    holder = lock_holder(path)
    return (holder[1] or "?") if holder else None


def lock_holder(path: Path) -> tuple[str, str] | None:
    """(the program, the user its lock file names, "" if none) of a workbook open beside `path`:
    a ~$ owner file is Excel's (WPS writes the same), a .~lock.NAME# file LibreOffice's."""
    for lock, program in ((path.with_name("~$" + path.name), "Excel/WPS"),
                          (path.with_name("~$" + path.name[2:]), "Excel/WPS"),
                          (path.with_name(f".~lock.{path.name}#"), "LibreOffice")):
        if lock.exists():
            return program, _owner_name(lock)
    return None


def _owner_name(lock: Path) -> str:
    try:
        data = lock.read_bytes()[:512]
    except OSError:
        return ""
    if lock.name.startswith(".~lock."):  # LibreOffice: "Full Name,user,host,date,profile"
        return data.decode("utf-8", "replace").split(",")[0].strip()
    if len(data) >= 56 and data[0]:     # Excel: length byte + ANSI name; at 54 the UTF-16 copy
        n = data[0]
        wide = data[56:56 + 2 * n].decode("utf-16-le", "ignore").strip("\x00 ")
        return wide or data[1:1 + n].decode("gbk", "replace").strip()
    return ""


def patched_parts(plan: WritePlan) -> tuple[dict[str, package.Deflated], dict[str, dict]]:
    """The parts a write of `plan` would change (empty: the file is already as planned) and the
    painted cells' original formats, without writing anything: the Excel console asks this of a
    workbook open in Excel before applying the plan there."""
    return _patched_parts(plan)


# ---- building the new package -----------------------------------------------------------------
def _patched_parts(plan: WritePlan) -> tuple[dict[str, package.Deflated], dict[str, dict]]:
    """(new parts, compressed; original formats of painted cells). The sheet inflates in a
    worker while the edits are worked out, and is checked and deflated while it is patched."""
    try:
        with zipfile.ZipFile(plan.path) as zf:
            found = package.book_parts(zf)
            sheets = found.sheets
            if plan.sheet not in sheets:
                raise Refused("no-sheet", sheet=plan.sheet)
            sheet_path = sheets[plan.sheet]
            sheet_info = zf.getinfo(sheet_path)
            stored = package.stored_bytes(zf, sheet_info) if plan.values or plan.paints else None
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
    with ThreadPoolExecutor(1) as pool:
        inflating = pool.submit(package.inflate, sheet_info, stored) if stored is not None else None
        book = StyleBook(styles)
        edits = _edits(plan, book, originals)
        try:
            sheet_raw = inflating.result() if inflating else None
        except zipfile.BadZipFile as exc:
            raise Refused("corrupt", error=str(exc)) from None
    stored = None
    if edits and (sheet := _new_sheet(plan, sheet_raw, edits)) is not None:
        parts[sheet_path] = sheet
    meta_xml = meta_sheet(meta_raw, plan.records(originals)) if meta_raw is not None else None   # after the paint
    new_xml = [(styles_path, package.serialize(book.root, styles_raw) if book.changed else None),
               (names_path, names_xml), (meta_path, meta_xml),
               *(declared.items() if book.changed else ())]   # declared: a new styles part
    for path, xml in new_xml:
        if xml is not None:
            _parses(xml)
            parts[path] = package.deflate(xml)
    return parts, originals


def _new_sheet(plan: WritePlan, raw: bytes, edits: dict) -> package.Deflated | None:
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
        with package.Deflater() as out:
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
        raise Refused("rows-gone", rows="、".join(map(str, exc.rows[:5]))) from None
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


def _edits(plan: WritePlan, book: StyleBook, originals: dict) -> dict[int, dict[str, CellEdit]]:
    """The plan's cells grouped by row, each with its new text and/or its style callback."""
    edits: dict[int, dict[str, CellEdit]] = {}
    wrapping = _wrapper(book) if plan.wrap else None
    for ref, text in plan.values.items():
        row = ref_row(ref)
        wraps = bool(text) and ref in plan.wrap
        edit = CellEdit(text, wrapping if wraps else None, grow=wraps and ref in plan.grow)
        if (cells := edits.get(row)) is None:
            edits[row] = {ref: edit}
        else:
            cells[ref] = edit
    memo: dict = {}
    for paint in plan.paints:
        ref = paint.ref
        style = _painter(book, paint, originals, memo)
        if (cells := edits.get(row := ref_row(ref))) is None:
            edits[row] = {ref: CellEdit(None, style)}
        elif (edit := cells.get(ref)) is None:
            cells[ref] = CellEdit(None, style)
        else:
            edit.style = style
    return edits


def _wrapper(book: StyleBook):
    """The style callback for a cell whose text must wrap (an Alerts cell): its own format with
    wrapping on, so a long alert makes the row taller instead of running off the printed page.
    A format that wraps already (a duban template's) is kept as it is."""
    memo: dict[int, int] = {}

    def style(current: int) -> int:
        if current not in memo:
            spec = book.describe(current)
            memo[current] = current if StyleBook.wraps(spec) else book.find_or_add(StyleBook.wrapped(spec))
        return memo[current]
    return style


def _painter(book: StyleBook, paint: Paint, originals: dict, memo: dict):
    """The style callback for one cell: its own format, coloured (or given back), by content.

    `memo` shares the answer between cells with the same format, colour and history (most do)."""
    group = id(paint.colour), paint.previous and (id(paint.previous[0]), id(paint.previous[1])), id(paint.strip)

    def style(current: int) -> int:
        key = (current, group)
        if key not in memo:
            base = _base_format(book, current, paint.previous, paint.strip)
            target = book.coloured(base, paint.colour) if paint.colour else base
            memo[key] = (base, book.find_or_add(target))
        base, index = memo[key]
        if paint.colour:
            originals[paint.ref] = base
        return index
    return style


def _base_format(book: StyleBook, current: int, previous: tuple[Colour, dict] | None,
                 strip: tuple[Colour, ...] = ()) -> dict:
    """The cell's own format: the recorded one if the cell still wears duban's colour, else its
    current one (without duban's fill and font colour if it wears one it has no record of)."""
    if previous and book.wears(current, previous[0]):
        return previous[1]
    if strip and any(book.wears(current, colour) for colour in strip):
        return book.uncoloured(book.describe(current))
    return book.describe(current)


def _write_temp(source: Path, temp: Path, parts: dict[str, package.Deflated], kept: access.Access) -> package.Manifest:
    """The new package in `temp`, fsynced, with the original's owner, group, mode and attributes
    (refused if they cannot all be given: a write must not change who may save the workbook)."""
    with open(temp, "wb") as fh:
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
