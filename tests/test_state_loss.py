"""A lost, emptied or moved state: the workbooks carry what duban needs to undo its own paint
(the hidden _duban sheet: a workbook identity and each painted cell's own format), a rename is
history continued, a fresh journal over known workbooks is told, and a workbook that disappears
is told once and its rows recorded as gone."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from books import BOOK, NOW, SHEET, check, col, look, make_book, settings, task, user_edit
from duban.jobs.check import check_folder
from duban.workbooks.model.flags import PALETTE

STATUS, DUE = col("status"), col("due")
DAY = timedelta(days=1)


def overdue_book(folder: Path, n: int = 15, name: str = BOOK) -> Path:
    """`n` tasks, every one overdue at NOW (its status cell painted red by a check)."""
    return make_book(folder, [task(f"任务{i}", due=date(2026, 11, 1)) for i in range(n)], name)


def duban_coloured(path: Path, n: int = 15) -> list[str]:
    """The status cells that wear one of duban's colours (fill and font colour)."""
    ws = openpyxl.load_workbook(path)[SHEET]
    worn = {(c.fill, c.font) for c in PALETTE.values()}
    found = []
    for r in range(2, n + 2):
        cell = ws[f"{STATUS}{r}"]
        fill = (cell.fill.fgColor.rgb or "")[-6:] if cell.fill.fill_type else ""
        font = (cell.font.color.rgb or "")[-6:] if cell.font.color is not None and isinstance(cell.font.color.rgb, str) else ""
        if (fill, font) in worn:
            found.append(cell.coordinate)
    return found


def looks(path: Path, n: int = 15) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[SHEET]
    return [look(ws[f"{STATUS}{r}"]) for r in range(2, n + 2)]


def clear_flags(path: Path, n: int = 15) -> None:
    """Every task gets a deadline far ahead and a fresh update: no flag is left."""
    user_edit(path, {f"{DUE}{r}": date(2027, 3, 1) for r in range(2, n + 2)}
              | {f"{col('last_update')}{r}": date(2026, 11, 25) for r in range(2, n + 2)})


def state_db(folder: Path) -> Path:
    return folder / ".duban" / "state.db"


def lose_state(folder: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(state_db(folder)) + suffix).unlink(missing_ok=True)


@pytest.mark.slow
def test_a_deleted_state_db_loses_no_colour(tmp_path):
    path = overdue_book(tmp_path)
    before = looks(path)
    assert check(tmp_path).write == "written"
    assert len(duban_coloured(path)) == 15
    lose_state(tmp_path)
    clear_flags(path)
    result = check(tmp_path, NOW + 2 * DAY)
    assert result.write == "written"
    assert duban_coloured(path) == []
    assert looks(path) == before            # each cell has exactly its own format back


def test_an_emptied_state_db_loses_no_colour(tmp_path):
    path = overdue_book(tmp_path)
    before = looks(path)
    check(tmp_path)
    con = sqlite3.connect(state_db(tmp_path))
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'").fetchall():
        con.execute(f"DELETE FROM {table}")
    con.commit()
    con.close()
    clear_flags(path)
    check(tmp_path, NOW + 2 * DAY)
    assert duban_coloured(path) == [] and looks(path) == before


def test_a_renamed_workbook_loses_no_colour_and_keeps_its_history(tmp_path):
    path = overdue_book(tmp_path)
    before = looks(path)
    check(tmp_path)
    moved = tmp_path / "二部" / "二部任务.xlsx"
    moved.parent.mkdir()
    path.rename(moved)
    clear_flags(moved)
    report = check_folder(tmp_path, settings(), NOW + 2 * DAY)
    [result] = report.workbooks
    assert result.relpath == str(Path("二部") / "二部任务.xlsx")
    assert result.journal["new"] == 0 and result.journal["deleted"] == 0
    assert duban_coloured(moved) == [] and looks(moved) == before
    con = sqlite3.connect(state_db(tmp_path))
    assert con.execute("SELECT COUNT(*) FROM rows WHERE workbook=?", (BOOK,)).fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM rows WHERE workbook=? AND deleted_at IS NULL",
                       (result.relpath,)).fetchone()[0] == 15
    from duban.jobs.state.journal import Journal
    journal = Journal(state_db(tmp_path))
    try:
        kinds = [e["event"] for e in journal.events("T-000001")]
    finally:
        journal.close()
    assert kinds.count("created") == 1 and "deleted" not in kinds and "moved" in kinds


def test_a_copy_of_a_workbook_is_not_taken_for_a_rename(tmp_path):
    path = overdue_book(tmp_path)
    check(tmp_path)
    copy = tmp_path / "副本.xlsx"
    copy.write_bytes(path.read_bytes())
    report = check_folder(tmp_path, settings(), NOW + DAY)
    by_path = {w.relpath: w for w in report.workbooks}
    assert by_path[BOOK].journal["deleted"] == 0
    assert by_path["副本.xlsx"].journal["new"] == 15      # a new workbook with rows of its own
    ids = {w.relpath: w.read.meta.get("workbook_id") for w in check_folder(tmp_path, settings(), NOW + 2 * DAY).workbooks}
    assert ids[BOOK] and ids["副本.xlsx"] and ids[BOOK] != ids["副本.xlsx"]   # the copy got an identity of its own


@pytest.mark.slow
def test_a_fresh_journal_over_known_workbooks_is_told(tmp_path):
    overdue_book(tmp_path)
    check(tmp_path)
    lose_state(tmp_path)
    report = check_folder(tmp_path, settings(), NOW + DAY)
    told = [p for _topic, p in report.notices if p.code == "state-new"]
    assert len(told) == 1
    assert "state.db" in told[0].message("zh") and "state.db" in told[0].message("en")
    assert any("state.db" in w for w in report.warnings)
    again = check_folder(tmp_path, settings(), NOW + DAY + timedelta(hours=1))
    assert not any("state.db" in w for w in again.warnings)      # told in the terminal once


def test_the_painted_record_lives_in_the_hidden_sheet(tmp_path):
    path = overdue_book(tmp_path, 3)
    check(tmp_path)
    ws = openpyxl.load_workbook(path)["_duban"]
    rows = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
    assert rows["kind"] == "tasks" and len(rows["workbook_id"]) == 36
    painted = json.loads(rows["painted.1"])
    assert sorted(e[0] for e in painted) == ["T-000001", "T-000002", "T-000003"]
    assert all(e[1] == "status" and e[2] == "red" for e in painted)
    assert all(len(v) < 32767 for v in rows.values() if isinstance(v, str))


@pytest.mark.slow
def test_a_workbook_that_disappears_is_told_once_and_its_rows_are_gone(tmp_path):
    path = overdue_book(tmp_path, 3)
    other = overdue_book(tmp_path, 2, "另一个.xlsx")
    check_folder(tmp_path, settings(), NOW)
    path.unlink()
    report = check_folder(tmp_path, settings(), NOW + timedelta(hours=1))
    gone = [(t, p) for t, p in report.notices if p.code == "workbook-gone"]
    assert len(gone) == 1
    topic, problem = gone[0]
    assert BOOK in problem.message("zh") and "2026-11-23 09:00" in problem.message("zh")
    assert BOOK in problem.message("en")
    assert any(BOOK in w for w in report.warnings)
    con = sqlite3.connect(state_db(tmp_path))
    live = con.execute("SELECT COUNT(*) FROM rows WHERE workbook=? AND deleted_at IS NULL", (BOOK,)).fetchone()[0]
    deleted = con.execute("SELECT COUNT(*) FROM events WHERE workbook=? AND event='deleted'", (BOOK,)).fetchone()[0]
    con.close()
    assert (live, deleted) == (0, 3)
    again = check_folder(tmp_path, settings(), NOW + timedelta(hours=2))
    assert [t for t, p in again.notices if p.code == "workbook-gone"] == [topic]   # the same topic: mailed once
    assert not any(BOOK in w for w in again.warnings)                              # the terminal told it once
    assert other.exists()


def test_a_workbook_replaced_by_a_folder_is_gone_and_comes_back(tmp_path):
    path = overdue_book(tmp_path, 3)
    check_folder(tmp_path, settings(), NOW)
    data = path.read_bytes()
    path.unlink()
    path.mkdir()
    report = check_folder(tmp_path, settings(), NOW + timedelta(hours=1))
    assert [p.code for _t, p in report.notices] == ["workbook-gone"]
    path.rmdir()
    path.write_bytes(data)
    back = check_folder(tmp_path, settings(), NOW + timedelta(hours=2))
    assert back.notices == [] and back.workbooks[0].journal["deleted"] == 0
    con = sqlite3.connect(state_db(tmp_path))
    assert con.execute("SELECT COUNT(*) FROM rows WHERE workbook=? AND deleted_at IS NULL", (BOOK,)).fetchone()[0] == 3


# ---- the ledger's "already sent today" survives state.db ------------------------------------
@pytest.mark.slow
def test_a_deleted_state_db_sends_no_mail_twice_the_same_day(tmp_path):
    """`duban remind` as a real process; state.db deleted between two runs of the same morning."""
    from books import cli
    from test_mail import MORNING, make_folder

    folder = make_folder(tmp_path)
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\n', encoding="utf-8")
    first = cli("remind", str(folder), "--now", MORNING.isoformat(), "--json")
    assert first.returncode == 0, first.stderr
    sent = sorted((folder / "outbox").glob("*.eml"))
    assert len(sent) >= 5
    lose_state(folder)
    second = cli("remind", str(folder), "--now", (MORNING + timedelta(hours=2)).isoformat())
    assert second.returncode == 0, second.stderr
    assert sorted((folder / "outbox").glob("*.eml")) == sent          # not one mail twice
    assert "没有需要发送的邮件" in second.stdout
    said = second.stderr.replace("\n", "")                           # (the terminal wraps long lines)
    assert "state.db" in said and "ledger-copy.jsonl" in said           # and the terminal says why
    tomorrow = cli("remind", str(folder), "--now", (MORNING + DAY).isoformat(), "--json")
    assert tomorrow.returncode == 0, tomorrow.stderr
    assert len(sorted((folder / "outbox").glob("*.eml"))) > len(sent)   # the next day reminds again


@pytest.mark.slow
def test_the_clerks_hear_of_a_gone_workbook_once(tmp_path):
    from duban.jobs.remind import remind
    from duban.workbooks.model.kinds import KINDS
    from test_mail import MORNING, make_folder

    folder = make_folder(tmp_path)
    config = settings(mail={"clerks": ["王芳"]})
    remind(folder, config, MORNING)
    (folder / KINDS["raci"].filename("zh")).unlink()
    check_folder(folder, config, MORNING + timedelta(hours=1))        # serve's check finds it gone
    reports = []
    for day in range(3):
        before = set((folder / "outbox").glob("*.eml"))
        remind(folder, config, MORNING + (day + 1) * DAY)
        new = set((folder / "outbox").glob("*.eml")) - before
        reports += [p.read_bytes() for p in new]
    import email
    import email.policy
    texts = []
    for raw in reports:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if message.get_body(("plain",)):
            texts.append(message.get_body(("plain",)).get_content())
    told = [t for t in texts if KINDS["raci"].filename("zh") in t and "已不在共享文件夹中" in t]
    assert len(told) == 1


# ---- the same from the command line ---------------------------------------------------------------
@pytest.mark.slow
def test_the_command_line_tells_a_fresh_state_and_a_gone_workbook_and_history_follows_a_rename(tmp_path):
    from books import cli

    path = overdue_book(tmp_path, 3)
    overdue_book(tmp_path, 2, "另一个.xlsx")
    assert cli("check", str(tmp_path), "--now", NOW.isoformat()).returncode == 0
    moved = tmp_path / "归档" / BOOK
    moved.parent.mkdir()
    path.rename(moved)
    assert cli("check", str(tmp_path), "--now", (NOW + DAY).isoformat()).returncode == 0
    history = cli("history", str(tmp_path), "T-000001", "--json")
    assert history.returncode == 0, history.stderr
    found = [e["event"] for e in json.loads(history.stdout)]
    assert found.count("created") == 1 and found.count("moved") == 1 and "deleted" not in found
    lose_state(tmp_path)
    fresh = cli("check", str(tmp_path), "--now", (NOW + 2 * DAY).isoformat())
    said = fresh.stderr.replace("\n", "")                            # (the terminal wraps long lines)
    assert fresh.returncode == 0 and "state.db" in said and "状态文件" in said
    moved.unlink()
    gone = cli("check", str(tmp_path), "--now", (NOW + 3 * DAY).isoformat())
    said = gone.stderr.replace("\n", "")
    assert gone.returncode == 0 and str(Path("归档") / BOOK) in said and "已不在共享文件夹中" in said


def test_a_fresh_journal_issues_no_id_another_workbook_already_carries(tmp_path):
    overdue_book(tmp_path, 3, "甲.xlsx")
    check_folder(tmp_path, settings(), NOW)
    second = make_book(tmp_path, [task("新任务")], "乙.xlsx")      # made after: its row has no ID yet
    lose_state(tmp_path)
    report = check_folder(tmp_path, settings(), NOW + DAY)
    new = {w.relpath: w for w in report.workbooks}["乙.xlsx"]
    [ident] = [rec.id for rec in new.read.records]
    assert ident == "T-000004"
    assert second.exists()


def test_a_workbook_without_the_hidden_sheet_loses_no_colour_with_its_state(tmp_path):
    """A hand-made workbook has no _duban sheet to carry the record: a cell wearing exactly one of
    duban's colours, on the first check by a journal that does not know the workbook, is given
    back its format without duban's fill and font colour."""
    path = overdue_book(tmp_path)
    book = openpyxl.load_workbook(path)
    del book["_duban"]
    book.save(path)
    before = looks(path)
    assert check(tmp_path).write == "written" and len(duban_coloured(path)) == 15
    lose_state(tmp_path)
    clear_flags(path)
    check(tmp_path, NOW + 2 * DAY)
    assert duban_coloured(path) == []
    assert looks(path) == before


def test_a_renamed_workbook_without_the_hidden_sheet_is_known_by_its_row_ids(tmp_path):
    path = overdue_book(tmp_path, 4)
    book = openpyxl.load_workbook(path)
    del book["_duban"]
    book.save(path)
    before = looks(path, 4)
    check_folder(tmp_path, settings(), NOW)
    moved = tmp_path / "改名后.xlsx"
    path.rename(moved)
    clear_flags(moved, 4)
    report = check_folder(tmp_path, settings(), NOW + DAY)
    [result] = report.workbooks
    assert result.journal == {"new": 0, "changed": 4, "deleted": 0}
    assert report.notices == [] and not any(BOOK in w for w in report.warnings)
    assert duban_coloured(moved, 4) == [] and looks(moved, 4) == before


def test_a_journal_from_before_the_books_table_still_notices_a_workbook_gone(tmp_path):
    path = overdue_book(tmp_path, 3)
    overdue_book(tmp_path, 2, "另一个.xlsx")
    check_folder(tmp_path, settings(), NOW)
    con = sqlite3.connect(state_db(tmp_path))
    con.execute("DROP TABLE books")
    con.execute("DROP TABLE journal_facts")
    con.commit()
    con.close()
    path.unlink()
    report = check_folder(tmp_path, settings(), NOW + DAY)
    assert [p.params["rows"] for _t, p in report.notices if p.code == "workbook-gone"] == [3]
    again = check_folder(tmp_path, settings(), NOW + 2 * DAY)          # the books are kept from now on
    assert [p.code for _t, p in again.notices] == ["workbook-gone"] and not any(BOOK in w for w in again.warnings)
