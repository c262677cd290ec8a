"""The workbook as a file on a share: its owner, group, mode and ACLs survive a write; links are
neither walked twice nor written through to outside the folder nor replaced by a file; a save
through a handle held across duban's write is kept and told; a workbook caught in the middle of
a save is not called damaged.

Real files, real symlinks, real file descriptors, real processes under another user (those
tests need root to set up, and are skipped otherwise)."""
from __future__ import annotations

import email
import email.policy
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from books import BOOK, NOW, ROOT, check, col, column_values, make_book, settings, style_index, task, user_edit
from duban.jobs.check import check_folder
from duban.jobs.remind import remind
from duban.jobs.validate import read_folder
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.read.reader import read_workbook
from duban.workbooks.share.discover import find_workbooks
from duban.workbooks.write import commit
from duban.workbooks.write.plan import Fingerprint, WritePlan
from duban.workbooks.write.writeback import apply

ID, STATUS = col("id"), col("status")
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="changing a file's owner and running as another user needs root")
NOBODY = 65534
USERS = 100            # the group `users` on Debian/Ubuntu


def acl(*entries: tuple[int, int, int]) -> bytes:
    """A POSIX ACL as the kernel stores it in system.posix_acl_access: version 2, then (tag, perm, id)."""
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)


ANY = 0xFFFFFFFF
# user::rw- user:1234:rw- group::r-- mask::rw- other::r--
SHARED_ACL = acl((0x01, 6, ANY), (0x02, 6, 1234), (0x04, 4, ANY), (0x10, 6, ANY), (0x20, 4, ANY))


def attributes(path: Path) -> tuple:
    st = os.stat(path)
    return st.st_uid, st.st_gid, oct(st.st_mode & 0o7777), {n: os.getxattr(path, n) for n in os.listxattr(path)}


@pytest.fixture
def hooks():
    yield
    commit.on_point = None


# ---- 4. owner, group, mode, ACLs ---------------------------------------------------------------------
@as_root
def test_a_write_keeps_the_owner_group_mode_and_acl(tmp_path):
    path = make_book(tmp_path, [task("对账", status="blocked")])
    os.chown(path, 1234, USERS)
    os.chmod(path, 0o664)
    os.setxattr(path, "system.posix_acl_access", SHARED_ACL)
    os.setxattr(path, "user.note", "财务部共享".encode())
    before, content = attributes(path), path.read_bytes()
    assert before[3]["system.posix_acl_access"] == SHARED_ACL

    result = check(tmp_path)

    assert result.write == "written" and path.read_bytes() != content
    assert attributes(path) == before                   # 1234:users 0664, the ACL and the user attribute


@as_root
def test_an_acl_the_folder_would_give_a_new_file_is_not_added(tmp_path):
    """A folder with a default ACL gives every new file an access ACL: the workbook had none, and
    keeps having none."""
    path = make_book(tmp_path, [task("对账", status="blocked")])
    os.setxattr(tmp_path, "system.posix_acl_default", SHARED_ACL)
    before = attributes(path)
    assert check(tmp_path).write == "written"
    assert attributes(path) == before and "system.posix_acl_access" not in before[3]


def test_a_read_only_workbook_is_not_written(tmp_path):
    path = make_book(tmp_path, [task("对账", status="blocked")])
    os.chmod(path, 0o444)
    content = path.read_bytes()

    result = check(tmp_path)

    assert result.write == "refused"
    assert result.why.text("en").startswith("the workbook is read-only (its owner may not write it)")
    assert "去掉只读属性" in result.why.text("zh")
    assert path.read_bytes() == content and oct(path.stat().st_mode & 0o777) == "0o444"


@pytest.fixture
def open_folder():
    """A folder another user may use (pytest's own temporary folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="duban-share-", dir="/tmp"))
    os.chmod(folder, 0o777)
    yield folder / "共享"
    shutil.rmtree(folder)


@as_root
@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv (util-linux) runs a command as another user")
@pytest.mark.parametrize("owner,group,why", [
    (0, USERS, "duban runs as nobody (65534) and cannot give the new file its owner root (0) (only nobody "
               "(65534) could then save it), so it was not written. Run the duban service as the file's owner or "
               "as root"),
    (NOBODY, USERS, "cannot give the new file its group users (100) (the group's members could then no longer "
                    "save it), so it was not written. Add the user duban runs as (nobody (65534)) to the group "
                    "users (100)"),
])
@pytest.mark.slow
def test_a_service_user_that_cannot_keep_the_owner_does_not_write(open_folder, owner, group, why):
    """`duban check` as the unprivileged user `nobody` (a service account) on a workbook owned by
    someone else, or in a group nobody is not in: refused with the fix, the file as it was."""
    folder = open_folder
    folder.mkdir(mode=0o777)
    os.chmod(folder, 0o777)
    path = make_book(folder, [task("对账", status="blocked")])
    os.chown(path, owner, group)
    os.chmod(path, 0o664)
    content, before = path.read_bytes(), attributes(path)
    env = {**os.environ, "HOME": str(folder.parent), "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "300"}
    done = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable,
                           "-c", "from duban.jobs.cli import main; main()", "check", str(folder), "--now", NOW.isoformat(),
                           "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert path.read_bytes() == content and attributes(path) == before
    dashboard = (".duban", "看板.html", "reports")           # the check's page (issue 21) is written all the same
    assert sorted(p.name for p in folder.iterdir() if p.name not in dashboard) == [BOOK]   # no temp or aside left
    assert why in done.stdout, done.stdout


@as_root
@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv (util-linux) runs a command as another user")
@pytest.mark.slow
def test_a_service_user_with_the_units_capabilities_keeps_the_owner(open_folder):
    """The fix the refusal names, as the systemd unit grants it (AmbientCapabilities=CAP_CHOWN
    CAP_FOWNER): `nobody` writes a workbook owned root:users 0664 with an ACL, and it stays so."""
    from duban.jobs.serve.service import systemd_unit
    assert "\nAmbientCapabilities=CAP_CHOWN CAP_FOWNER\n" in systemd_unit(Path("/srv/share"), settings(), warn=print)
    folder = open_folder
    folder.mkdir(mode=0o777)
    os.chmod(folder, 0o777)
    path = make_book(folder, [task("对账", status="blocked")])
    os.chown(path, 0, USERS)
    os.chmod(path, 0o664)
    os.setxattr(path, "system.posix_acl_access", SHARED_ACL)
    content, before = path.read_bytes(), attributes(path)
    env = {**os.environ, "HOME": str(folder.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                           "--inh-caps=+chown,+fowner", "--ambient-caps=+chown,+fowner", sys.executable,
                           "-c", "from duban.jobs.cli import main; main()", "check", str(folder), "--now", NOW.isoformat(),
                           "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_bytes() != content and attributes(path) == before


# ---- 5. links ------------------------------------------------------------------------------------
DIRECTORY = [("张伟", "研发部", "zhang.wei@example.com", "no"), ("李娜", "研发部", "li.na@example.com", "yes"),
             ("王芳", "综合管理部", "wang.fang@example.com", "no")]


def directory(folder: Path) -> None:
    rows = [{"name": n, "department": d, "email": e, "dept_head": h, "language": "zh"} for n, d, e, h in DIRECTORY]
    write_workbook("directory", folder / KINDS["directory"].filename("zh"), rows=rows)


@pytest.mark.slow
def test_a_folder_link_up_to_the_share_walks_each_folder_once(tmp_path):
    """`部门/上级 -> ..`: each workbook once, IDs from 1, one digest per person with their one task."""
    late = date(2026, 11, 20)
    directory(tmp_path)
    make_book(tmp_path, [task("写周报", owner="张伟", due=late)])
    make_book(tmp_path / "部门", [task("对账", owner="李娜", due=late)])
    (tmp_path / "部门" / "上级").symlink_to("..", target_is_directory=True)

    found = find_workbooks(tmp_path)
    run = remind(tmp_path, settings(), NOW)

    assert [p.relative_to(tmp_path).as_posix() for p in found] == [BOOK, KINDS["directory"].filename("zh"),
                                                                   f"部门/{BOOK}"]
    assert sorted(column_values(tmp_path / BOOK, "id") + column_values(tmp_path / "部门" / BOOK, "id")) == \
        ["T-000001", "T-000002"]
    digests = sorted((m.to, m.items) for m in run.outgoing if m.kind == "digest")
    assert digests == [("张伟", 1), ("李娜", 1)]


def test_a_folder_link_to_outside_the_share_is_never_written(tmp_path):
    share, outside = tmp_path / "share", tmp_path / "outside"
    path = make_book(outside, [task("对账", status="blocked")])
    content = path.read_bytes()
    share.mkdir()
    (share / "外部").symlink_to(outside, target_is_directory=True)

    [result] = check_folder(share, settings(), NOW).workbooks

    assert result.write == "refused"
    assert result.why.text("en").startswith(f"the workbook is reached through a link and lies outside the folder "
                                            f"duban checks ({path}); duban never writes outside that folder")
    assert path.read_bytes() == content and sorted(p.name for p in outside.iterdir()) == [BOOK]


def test_a_file_link_inside_the_share_is_one_workbook_and_stays_a_link(tmp_path):
    """The link beside its target is not a second workbook; the target gets the paint; the link
    is still a link to it."""
    target = make_book(tmp_path / "部门", [task("对账", status="blocked")])
    link = tmp_path / "链接.xlsx"
    link.symlink_to(Path("部门") / BOOK)
    original = style_index(target, f"{STATUS}2")

    [result] = check_folder(tmp_path, settings(), NOW).workbooks

    assert (result.relpath, result.write) == (f"部门/{BOOK}", "written")
    assert link.is_symlink() and link.resolve() == target
    assert style_index(target, f"{STATUS}2") != original and column_values(target, "id") == ["T-000001"]


def test_a_write_through_a_file_link_lands_in_its_target(tmp_path):
    """A plan naming a link (the only name of the workbook duban found) writes the target and
    keeps the link; the target's temporary and aside files are beside the target."""
    target = make_book(tmp_path / "部门", [task("对账")])
    link = tmp_path / "链接.xlsx"
    link.symlink_to(target)
    read = read_workbook(link, NOW.date())
    plan = WritePlan(link, read.sheet, Fingerprint.of(link), read.rows_read, values={f"{ID}2": "T-000001"},
                     expect={f"{ID}2": "T-000001"}, root=tmp_path)

    result = apply(plan, tmp_path / "backups")

    assert result.status == "written", result
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert column_values(target, "id") == ["T-000001"]
    assert sorted(p.name for p in (tmp_path / "部门").iterdir()) == [BOOK]


def test_a_file_link_to_outside_the_share_is_refused_and_stays_a_link(tmp_path):
    outside = make_book(tmp_path / "outside", [task("对账", status="blocked")])
    content = outside.read_bytes()
    share = tmp_path / "share"
    share.mkdir()
    (share / BOOK).symlink_to(outside)

    [result] = check_folder(share, settings(), NOW).workbooks

    assert result.write == "refused" and "duban never writes outside that folder" in result.reason
    assert (share / BOOK).is_symlink() and outside.read_bytes() == content


# ---- 6. a save through a handle held across the write ----------------------------------------------------
@pytest.mark.slow
def test_a_save_through_a_held_handle_is_never_rotated_away_and_is_told(tmp_path):
    """A program opens the workbook, duban writes (the original inode goes into the backups), the
    program saves through its handle: the save is in the backup. Four more writes with two
    backups kept: that backup stays, every check names it, and the clerks' report says where."""
    directory(tmp_path)
    path = make_book(tmp_path, [task("对账", owner="张伟", status="blocked")])
    mine = path.with_name("mine.xlsx")
    shutil.copy(path, mine)
    user_edit(mine, {"B2": "同步工具保存的"})
    saved = mine.read_bytes()
    mine.unlink()
    backups = tmp_path / ".duban" / "backups"

    def check_book(day: int):
        report = check_folder(tmp_path, settings(backups=2), NOW + timedelta(days=day))
        return {w.relpath: w for w in report.workbooks}[BOOK]

    with open(path, "r+b") as held:                  # opened before duban's write
        assert check_book(0).write == "written"
        held.seek(0)
        held.write(saved)
        held.truncate()
    [into] = [p for p in backups.glob("*.xlsx") if p.read_bytes() == saved]

    for day in range(1, 5):
        user_edit(path, {f"{col('task')}2": f"对账{day}"})       # something to write every day
        result = check_book(day)
        assert result.write == "written"
        assert into.read_bytes() == saved                          # never rotated away
        assert [p.params["backup"] for p in result.read.problems if p.code == "save-in-backup"] == [str(into)]
    assert len(list(backups.glob(f"{Path(BOOK).stem}.*.xlsx"))) == 3   # the two kept, and the one with the save
    [problem] = [p for p in result.read.problems if p.code == "save-in-backup"]
    assert problem.text("en").startswith(f"a save went into duban's backup {into} instead of the workbook")
    assert "copy your changes back" in problem.text("en")

    found = settings(backups=2, mail={"clerks": ["王芳"]})
    remind(tmp_path, found, NOW + timedelta(days=7))                 # the next Monday
    report = [m for m in map(parse_mail, (tmp_path / "outbox").glob("*.eml")) if "wang.fang" in m["To"]]
    assert report and any(into.name in body(m) for m in report)


def parse_mail(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def body(message) -> str:
    return "".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


@pytest.mark.slow
def test_a_backup_nobody_touched_is_rotated_as_before(tmp_path):
    path = make_book(tmp_path, [task("对账", status="blocked")])
    for day in range(4):
        user_edit(path, {f"{col('task')}2": f"对账{day}"})
        assert check(tmp_path, NOW + timedelta(days=day), backups=2).write == "written"
    assert len(list((tmp_path / ".duban" / "backups").glob("*.xlsx"))) == 2
    assert not [p for p in check(tmp_path, NOW + timedelta(days=5)).read.problems if p.code == "save-in-backup"]


def test_a_backup_whose_time_alone_moved_is_not_a_save(tmp_path):
    """Some network file systems touch a file's time on rename: the same bytes are not a save."""
    path = make_book(tmp_path, [task("对账", status="blocked")])
    assert check(tmp_path, backups=1).write == "written"
    [backup] = (tmp_path / ".duban" / "backups").glob("*.xlsx")
    os.utime(backup, ns=(time_ns := backup.stat().st_mtime_ns + 10**9, time_ns))
    user_edit(path, {f"{col('task')}2": "对账2"})
    result = check(tmp_path, NOW + timedelta(days=1), backups=1)
    assert result.write == "written" and not [p for p in result.read.problems if p.code == "save-in-backup"]
    assert not backup.exists()                       # rotated as usual


# ---- 7. a workbook read in the middle of a save ------------------------------------------------------------
def codes(reads) -> dict[str, list[str]]:
    return {r.path.name: [p.code for p in r.problems] for r in reads}


def half_saved(tmp_path: Path) -> tuple[Path, bytes]:
    """A workbook as an in-place save leaves it for a moment: its first half."""
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path, whole


def test_a_workbook_whose_save_finishes_while_duban_reads_is_read(tmp_path):
    path, whole = half_saved(tmp_path)
    finish = threading.Timer(0.2, path.write_bytes, (whole,))
    finish.start()
    try:
        [read] = read_folder(tmp_path, settings(), NOW.date())
    finally:
        finish.join()
    assert read.kind is not None and read.problems == [] and len(read.records) == 2


def test_a_workbook_still_being_written_is_being_saved_not_damaged(tmp_path):
    path, whole = half_saved(tmp_path)
    stop = threading.Event()

    def slow_copy() -> None:                         # a slow copy onto the share, 128 bytes every 50 ms
        with open(path, "r+b") as fh:
            fh.seek(0, os.SEEK_END)
            while not stop.wait(0.05) and fh.tell() < len(whole) - 128:
                fh.write(whole[fh.tell(): fh.tell() + 128])
                fh.flush()
    writer = threading.Thread(target=slow_copy)
    writer.start()
    try:
        [read] = read_folder(tmp_path, settings(), NOW.date())
    finally:
        stop.set()
        writer.join()
    assert [p.code for p in read.problems] == ["being-saved"]
    assert read.problems[0].severity == "note"
    assert read.problems[0].text("en").startswith("the file was being saved or copied when duban read it")


def test_a_file_that_stays_broken_is_damaged_and_never_told_to_restore_over_it(tmp_path):
    half_saved(tmp_path)
    [read] = read_folder(tmp_path, settings(), NOW.date())
    [problem] = read.problems
    assert problem.code == "truncated"
    assert "restore" not in problem.text("en").lower() and "恢复" not in problem.text("zh")
    assert "do not copy a backup over this file" in problem.text("en")


def test_a_save_during_the_temporary_write_is_the_routine_skip(tmp_path, hooks):
    """An in-place save starts while duban copies the workbook's parts into its new file: the
    copy fails on the half-written file, and that is "changed since it was read", not an error."""
    path = make_book(tmp_path, [task("对账", status="blocked")])
    whole = path.read_bytes()
    commit.on_point = lambda name: name == "patched" and path.write_bytes(whole[: len(whole) // 2])

    result = check(tmp_path)

    assert (result.write, result.reason) == ("skipped", "changed since it was read (will retry next run)")
    assert path.read_bytes() == whole[: len(whole) // 2]
    commit.on_point = None
    path.write_bytes(whole)                           # the save completes: the next run writes
    assert check(tmp_path, NOW + timedelta(hours=1)).write == "written"
