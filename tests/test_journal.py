"""The change journal on real workbooks and a real SQLite file: IDs, snapshots, transitions, deletions."""
from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from books import BOOK, NOW, check, cli, col, column_values, make_book, owner_file, settings, task, user_edit, values
from duban.jobs.check import check_folder
from duban.jobs.state.journal import Journal
from duban.workbooks.make.template import write_workbook

ID, STATUS, NOTE = col("id"), col("status"), col("note")
HOUR = timedelta(hours=1)


def journal(folder: Path) -> Journal:
    return Journal(folder / ".duban" / "state.db")


def rows(folder: Path, *idents: str) -> dict[str, dict]:
    j = journal(folder)
    try:
        return {i: j.row(i) for i in idents}
    finally:
        j.close()


def events(folder: Path, ident: str | None = None) -> list[dict]:
    j = journal(folder)
    try:
        return j.events(ident)
    finally:
        j.close()


def ids_by_task(path: Path) -> dict[str, str]:
    return dict(zip(column_values(path, "task"), column_values(path, "id")))


def stamp(moment) -> str:
    return moment.isoformat()


# ---- IDs ---------------------------------------------------------------------------------------
def test_ids_are_assigned_once_and_stay_across_runs(tmp_path):
    path = make_book(tmp_path, [task("写周报"), task("对账"), task("报销")])
    first = check(tmp_path)
    assert (first.write, first.new_ids, first.journal) == ("written", 3, {"new": 3, "changed": 0, "deleted": 0})
    assert column_values(path, "id") == ["T-000001", "T-000002", "T-000003"]
    again = check(tmp_path, NOW + HOUR)
    assert (again.write, again.new_ids, again.journal) == ("unchanged", 0, {"new": 0, "changed": 0, "deleted": 0})
    assert column_values(path, "id") == ["T-000001", "T-000002", "T-000003"]
    row = rows(tmp_path, "T-000002")["T-000002"]
    assert (row["workbook"], row["row"], row["first_seen"], row["last_changed"]) == (BOOK, 3, stamp(NOW), stamp(NOW))
    assert json.loads(row["data"])["task"] == "对账" and "id" not in json.loads(row["data"])


def test_ids_follow_their_rows_through_sorting_and_inserted_rows(tmp_path):
    path = make_book(tmp_path, [task("写周报"), task("对账"), task("报销")])
    check(tmp_path)
    before = ids_by_task(path)
    # the user sorts by task name (descending) and inserts a new row in the middle
    resorted = [{**task(name), "id": before[name]} for name in sorted(before, reverse=True)]
    resorted.insert(1, task("归档"))
    make_book(tmp_path, resorted)
    result = check(tmp_path, NOW + HOUR)
    assert (result.write, result.new_ids, result.journal) == ("written", 1, {"new": 1, "changed": 0, "deleted": 0})
    after = ids_by_task(path)
    assert {name: after[name] for name in before} == before
    assert after["归档"] == "T-000004"
    assert column_values(path, "task") == ["报销", "归档", "对账", "写周报"]
    found = rows(tmp_path, *before.values())
    assert {found[i]["row"] for i in before.values()} == {2, 4, 5}
    assert all(found[before[name]]["row"] == 2 + column_values(path, "task").index(name) for name in before)
    assert all(found[i]["last_changed"] == stamp(NOW) for i in before.values())   # moving is no change


@pytest.mark.slow
def test_deleted_row_is_recorded_with_its_last_values_and_its_id_never_reused(tmp_path):
    path = make_book(tmp_path, [task("写周报"), task("对账"), task("报销", note="发票已交")])
    check(tmp_path)
    make_book(tmp_path, [{**task("写周报"), "id": "T-000001"}, {**task("对账"), "id": "T-000002"}])
    gone_at = NOW + HOUR
    result = check(tmp_path, gone_at)
    assert result.journal == {"new": 0, "changed": 0, "deleted": 1}
    assert rows(tmp_path, "T-000003")["T-000003"]["deleted_at"] == stamp(gone_at)
    last = events(tmp_path, "T-000003")[-1]
    assert (last["event"], last["at"]) == ("deleted", stamp(gone_at))
    assert {k: json.loads(last["detail"])[k] for k in ("task", "note")} == {"task": "报销", "note": "发票已交"}
    # a new row never gets the deleted row's ID, nor any ID below one ever seen
    make_book(tmp_path, [{**task("写周报"), "id": "T-000001"}, {**task("对账"), "id": "T-000002"}, task("新任务")])
    check(tmp_path, NOW + 2 * HOUR)
    assert column_values(path, "id") == ["T-000001", "T-000002", "T-000004"]
    make_book(tmp_path, [{**task("写周报"), "id": "T-000001"}, {**task("手填编号"), "id": "T-000050"},
                         task("又一个")])
    result = check(tmp_path, NOW + 3 * HOUR)
    assert column_values(path, "id") == ["T-000001", "T-000050", "T-000051"]
    assert result.journal == {"new": 2, "changed": 0, "deleted": 2}   # T-000050, T-000051 in; T-000002, T-000004 out


def test_a_deleted_row_that_comes_back_is_restored(tmp_path):
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    check(tmp_path)
    make_book(tmp_path, [{**task("写周报"), "id": "T-000001"}])
    check(tmp_path, NOW + HOUR)
    make_book(tmp_path, [{**task("写周报"), "id": "T-000001"}, {**task("对账"), "id": "T-000002"}])
    result = check(tmp_path, NOW + 2 * HOUR)
    assert result.journal == {"new": 0, "changed": 0, "deleted": 0}
    assert rows(tmp_path, "T-000002")["T-000002"]["deleted_at"] is None
    assert [e["event"] for e in events(tmp_path, "T-000002")] == ["created", "deleted", "restored"]
    assert column_values(path, "id") == ["T-000001", "T-000002"]


def test_each_kind_has_its_own_prefix_and_counter(tmp_path):
    make_book(tmp_path, [task("写周报"), task("对账")])
    requests = write_workbook("requests", tmp_path / "跨部门协作需求单.xlsx", rows=[
        {"request": "数据导出", "from_dept": "市场部", "requester": "张伟", "to_dept": "技术部",
         "submitted": NOW.replace(tzinfo=None) - timedelta(days=1), "status": "received",
         "acknowledged": NOW.replace(tzinfo=None) - timedelta(hours=20),
         "first_plan": NOW.replace(tzinfo=None) - timedelta(hours=2)}], names=["张伟"])
    report = check_folder(tmp_path, settings(), NOW)
    assert sorted(wb.write for wb in report.workbooks) == ["written", "written"]
    assert values(requests, "跨部门协作需求单")[1][0] == "R-000001"
    assert column_values(tmp_path / BOOK, "id") == ["T-000001", "T-000002"]


# ---- snapshots and transitions --------------------------------------------------------------------
def test_status_transitions_and_the_first_done_time(tmp_path):
    path = make_book(tmp_path, [task("写周报")])
    ref = f"{STATUS}2"
    steps = [("阻塞", "blocked"), ("已完成", "done"), ("进行中", "in_progress"), ("已完成", "done")]
    check(tmp_path)
    times = []
    for day, (label, _) in enumerate(steps, start=1):
        user_edit(path, {ref: label})
        times.append(NOW + timedelta(days=day))
        assert check(tmp_path, times[-1]).journal == {"new": 0, "changed": 1, "deleted": 0}
    row = rows(tmp_path, "T-000001")["T-000001"]
    assert (row["status"], row["first_seen"]) == ("done", stamp(NOW))
    assert row["first_done"] == stamp(times[1])              # the first time, not the latest
    assert row["status_since"] == row["last_changed"] == stamp(times[3])
    transitions = [(e["at"], json.loads(e["detail"])) for e in events(tmp_path, "T-000001") if e["event"] == "status"]
    keys = ["in_progress"] + [key for _, key in steps]
    assert transitions == [(stamp(t), [a, b]) for t, a, b in zip(times, keys, keys[1:])]


def test_last_changed_moves_on_user_edits_only(tmp_path):
    path = make_book(tmp_path, [task("写周报", due=date(2026, 11, 20), note="待办")])
    check(tmp_path)
    later = check(tmp_path, NOW + timedelta(days=1))          # only duban's Alerts text changes (逾期4天)
    assert later.write == "written" and later.journal == {"new": 0, "changed": 0, "deleted": 0}
    assert rows(tmp_path, "T-000001")["T-000001"]["last_changed"] == stamp(NOW)
    user_edit(path, {f"{NOTE}2": "等待财务回复"})
    edited_at = NOW + timedelta(days=2)
    assert check(tmp_path, edited_at).journal == {"new": 0, "changed": 1, "deleted": 0}
    row = rows(tmp_path, "T-000001")["T-000001"]
    assert (row["last_changed"], row["status_since"]) == (stamp(edited_at), stamp(NOW))
    change = [e for e in events(tmp_path, "T-000001") if e["event"] == "changed"]
    assert [json.loads(e["detail"]) for e in change] == [{"note": ["待办", "等待财务回复"]}]
    created = events(tmp_path, "T-000001")[0]
    assert (created["event"], created["at"]) == ("created", stamp(NOW))
    assert json.loads(created["detail"])["note"] == "待办"                 # the row as first seen, not as now


def test_a_journal_from_an_earlier_duban_keeps_its_history(tmp_path):
    """Earlier journals stored "created" events and older JSON: no duplicates, no false changes."""
    import sqlite3
    make_book(tmp_path, [task("写周报", note="待办")])
    check(tmp_path)
    db = sqlite3.connect(tmp_path / ".duban" / "state.db")
    with db:
        data = db.execute("SELECT data FROM rows WHERE id='T-000001'").fetchone()[0]
        old_layout = json.dumps(json.loads(data), ensure_ascii=False, sort_keys=True)   # ", " and ": "
        assert old_layout != data
        db.execute("UPDATE rows SET data=?", (old_layout,))
        db.execute("INSERT INTO events (at, workbook, id, event, detail) VALUES (?,?,?,?,?)",
                   (stamp(NOW), BOOK, "T-000001", "created", old_layout))
    db.close()
    assert check(tmp_path, NOW + HOUR).journal == {"new": 0, "changed": 0, "deleted": 0}
    assert [e["event"] for e in events(tmp_path, "T-000001")] == ["created"]
    assert rows(tmp_path, "T-000001")["T-000001"]["last_changed"] == stamp(NOW)


# ---- only what reached the file is journalled ------------------------------------------------------------
def journalled_ids(folder: Path) -> set[str]:
    return {e["id"] for e in events(folder)}


def test_a_skipped_write_journals_no_ids_the_file_does_not_have(tmp_path):
    path = make_book(tmp_path, [{**task("写周报"), "id": "T-000007"}, task("对账")])
    lock = owner_file(path, "wangfang")
    result = check(tmp_path)
    assert result.write == "skipped"
    assert journalled_ids(tmp_path) == {"T-000007"}
    lock.unlink()
    result = check(tmp_path, NOW + HOUR)
    assert result.write == "written"
    in_file = set(column_values(path, "id"))
    assert journalled_ids(tmp_path) == in_file and len(in_file) == 2
    assert all(re.fullmatch(r"T-\d{6}", i) and int(i[2:]) > 7 for i in in_file - {"T-000007"})


@pytest.mark.slow
def test_a_crashed_write_journals_nothing_it_did_not_write(tmp_path):
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    done = cli("check", str(tmp_path), "--now", NOW.isoformat(), env={**os.environ, "DUBAN_CRASH_AT": "before-replace"})
    assert done.returncode == 137, done.stderr
    assert journalled_ids(tmp_path) == set() and column_values(path, "id") == [None, None]
    assert check(tmp_path, NOW + HOUR).write == "written"
    in_file = column_values(path, "id")
    assert journalled_ids(tmp_path) == set(in_file) and len(set(in_file)) == 2


# ---- duban history -----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_history_command(tmp_path):
    path = make_book(tmp_path, [task("写周报"), task("对账")])
    assert cli("check", str(tmp_path), "--now", NOW.isoformat()).returncode == 0
    user_edit(path, {f"{STATUS}3": "已完成"})
    later = (NOW + HOUR).isoformat()
    assert cli("check", str(tmp_path), "--now", later).returncode == 0

    done = cli("history", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    assert [(e["id"], e["event"]) for e in json.loads(done.stdout)] == \
        [("T-000001", "created"), ("T-000002", "created"), ("T-000002", "changed"), ("T-000002", "status")]

    done = cli("history", str(tmp_path), "T-000002", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert [e["event"] for e in found] == ["created", "changed", "status"]
    assert (found[-1]["at"], json.loads(found[-1]["detail"])) == (later, ["in_progress", "done"])
    assert {e["workbook"] for e in found} == {BOOK}

    done = cli("history", str(tmp_path), "T-000002", env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "T-000002" in done.stdout and "状态变更" in done.stdout and "T-000001" not in done.stdout


@pytest.mark.slow
def test_history_of_an_unknown_folder_is_one_clear_line(tmp_path):
    done = cli("history", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "nowhere" in done.stderr and "Traceback" not in done.stderr


def test_an_older_journal_file_gains_the_first_values_column(tmp_path):
    import sqlite3

    from duban.jobs.state.journal import SCHEMA
    path = tmp_path / ".duban" / "state.db"
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.replace(" first_data TEXT,", ""))
    db.execute("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,NULL,?)",
               (BOOK, "T-000001", "tasks", 2, stamp(NOW), stamp(NOW), "not_started", stamp(NOW), None, '{"task":"写周报"}'))
    db.commit()
    db.close()
    found = events(tmp_path, "T-000001")
    assert [(e["event"], e["detail"]) for e in found] == [("created", '{"task":"写周报"}')]
