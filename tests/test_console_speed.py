"""Issue 22, "the console answers in seconds": the status bar at most every quarter second (the
last message always shown), the open books listed once per click, and what a click does while
`duban serve` holds the folder but a tracker is open in this Excel or serve does not take the
request (the console runs the job itself and says so). The fake Excel for the console; the
xlwings side against xlwings' real classes (create_autospec)."""
from __future__ import annotations

import json
import socket
from datetime import date, datetime, timezone
from pathlib import Path
from unittest.mock import PropertyMock, create_autospec

import xlwings

from books import make_book, task
from duban.jobs.init import config_text, init_folder
from duban.jobs.serve import handoff
from duban.macros import console, layout as L, statusbar
from duban.macros.build import write_console
from duban.macros.excel import XlwingsExcel
from duban.macros.fake import FakeExcel
from duban.macros.live import LiveApplier

NOW = "2026-11-23T09:00"
BOOKS = 16


def many_books(folder: Path) -> Path:
    """BOOKS small task workbooks, a duban.toml and the console."""
    folder.mkdir(parents=True)
    for n in range(BOOKS):
        make_book(folder, [task(f"任务{n}-{i}", due=date(2026, 11, 2 + i)) for i in range(3)], f"部门{n:02d}任务跟进表.xlsx")
    (folder / "duban.toml").write_text(config_text("zh"), encoding="utf-8")
    write_console(folder, "zh")
    return folder


def press(folder: Path, action: str, lang: str = "zh", excel: FakeExcel | None = None):
    excel = excel or FakeExcel()
    book = excel.open_file(folder / L.CONSOLE_NAME)
    book.sheets[L.CONSOLE_SHEET[lang]].write(L.ACTION_CELL, [[L.label(action, lang)]])
    return console.run(excel, book, now=NOW), excel


def serve_elsewhere(folder: Path) -> None:
    """A lock of a serve on another machine with a fresh heartbeat (it never answers)."""
    state = folder / ".duban"
    state.mkdir(exist_ok=True)
    now = datetime.now(timezone.utc).isoformat()
    (state / "serve.lock").write_text(json.dumps({"host": "server-7", "pid": 4242, "started": now, "heartbeat": now,
                                                  "token": "x", "folder": str(folder)}))


def test_the_status_bar_is_updated_at_most_every_quarter_second_and_ends_on_the_last_message(tmp_path, monkeypatch):
    folder = many_books(tmp_path / "督办")
    clock = iter(0.05 * n for n in range(1, 100_000))          # each look at the clock: 50 ms later
    monkeypatch.setattr(statusbar, "now", lambda: next(clock))
    result, excel = press(folder, "check")
    assert not result.error, result.sentence
    texts = [t for t in excel.status_texts if t is not None]
    progress = [t for t in texts if t.startswith("正在检查")]
    assert len(progress) <= BOOKS * 0.05 / statusbar.EVERY + 2          # 16 steps, 0.8 s: 5, not 16
    assert progress[0] == f"正在检查 1/{BOOKS} 个工作簿…" and progress[-1] == f"正在检查 {BOOKS}/{BOOKS} 个工作簿…"
    assert texts[-1] == console.TEXT["zh"]["writing"] and excel.status_texts[-1] is None


def test_a_throttled_message_is_replaced_by_the_next_and_a_phase_is_shown_at_once(monkeypatch):
    times = iter([0.0, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5])
    monkeypatch.setattr(statusbar, "now", lambda: next(times))
    shown: list = []
    bar = statusbar.StatusBar(shown.append)
    for n in range(1, 5):                  # at 0.0 shown; 0.1, 0.2 wait; 0.3 shown (0.25 passed)
        bar.progress(f"step {n}")
    bar.show("writing")                    # a new phase: at once
    bar.progress("step 5", last=True)      # the last step: at once
    assert shown == ["step 1", "step 4", "writing", "step 5"] and bar.shown == 4


def test_the_open_books_are_listed_once_per_click_and_open_trackers_written_through_excel(tmp_path):
    folder = many_books(tmp_path / "督办")
    excel = FakeExcel()
    for name in ("部门03任务跟进表.xlsx", "部门11任务跟进表.xlsx"):
        excel.open_file(folder / name)
    result, _ = press(folder, "check", excel=excel)
    assert not result.error, result.sentence
    assert [e for e in excel.log if e[0] == "books"] == [("books",)]      # one listing for 16 workbooks
    assert sorted(e[1] for e in excel.log if e[0] == "save") == ["部门03任务跟进表.xlsx", "部门11任务跟进表.xlsx"]


def test_the_xlwings_side_asks_excel_for_its_books_once_for_many_workbooks(tmp_path):
    app = create_autospec(xlwings.App, instance=True, spec_set=True)
    other = create_autospec(xlwings.Book, instance=True, spec_set=True)
    other.fullname = r"D:\其他\预算.xlsx"
    listing = PropertyMock(return_value=[other])
    type(app).books = listing
    live = LiveApplier(XlwingsExcel(app))

    class Plan:
        def __init__(self, n):
            self.path = tmp_path / f"部门{n:04d}任务跟进表.xlsx"
    assert all(live(Plan(n), None, tmp_path, 10) is None for n in range(200))   # none open: the patcher writes
    assert listing.call_count == 1


def test_a_tracker_open_in_this_excel_keeps_the_check_here_while_serve_runs(tmp_path):
    folder = tmp_path / "督办"
    init_folder(folder, lang="en", demo=True, today=date(2026, 11, 23))
    serve_elsewhere(folder)
    excel = FakeExcel()
    tracker = next(p for p in folder.glob("*.xlsx"))
    excel.open_file(tracker)
    result, _ = press(folder, "check", "en", excel)
    t = console.TEXT["en"]
    assert not result.error, result.sentence
    assert result.lines[0] == t["open_here"].format(n=1)
    assert t["open_here"].format(n=1) in excel.status_texts
    assert ("save", tracker.name) in excel.log                            # recoloured through this Excel
    assert not handoff.requests_dir(folder / ".duban").exists()           # nothing was handed to serve
    assert [e for e in excel.log if e[0] == "books"] == [("books",)]      # listed once for both decisions


def test_a_serve_that_does_not_take_the_request_in_time_leaves_the_job_to_the_console(tmp_path, monkeypatch):
    folder = tmp_path / "督办"
    init_folder(folder, lang="zh", demo=True, today=date(2026, 11, 23))
    serve_elsewhere(folder)
    monkeypatch.setattr(console, "CLAIM_SECONDS", 0.5)
    result, excel = press(folder, "validate")
    t = console.TEXT["zh"]
    said = t["fallback_untaken"].format(host="server-7", secs=0.5)
    assert not result.error and result.sentence.startswith("共 8 个工作簿"), result.sentence
    assert result.lines[0] == said and said in excel.status_texts
    assert sorted(handoff.requests_dir(folder / ".duban").iterdir()) == []   # the request was withdrawn
    assert socket.gethostname() != "server-7"
