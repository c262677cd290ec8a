"""Issue 16, point 11: while `duban serve` runs, the Excel console hands its job to serve (a request
file in the state folder, the result written back) instead of opening state.db over the share;
without a running serve it runs the job itself.

A real serve subprocess, the console's own code path against the fake Excel (the only stand-in)."""
from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from books import ROOT
from duban.jobs.init import init_folder
from duban.jobs.serve import handoff
from duban.macros import actions, console, layout as L
from duban.macros.fake import FakeExcel

NOW = "2026-11-23T09:00"
OFF = """
[schedule]
check = "off"
alert = "off"
remind = "off"
summary_week = "off"
summary_month = "off"
"""


def folder_with_console(tmp_path: Path, lang: str) -> Path:
    folder = tmp_path / "共享" / "督办"
    init_folder(folder, lang=lang, demo=True, today=date(2026, 11, 23))
    toml = folder / "duban.toml"
    text = toml.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[schedule\].*?(?=^\[serve\])", OFF.lstrip() + "\n", text)
    text = re.sub(r"(?m)^heartbeat_seconds = \d+", "heartbeat_seconds = 1", text)
    toml.write_text(text, encoding="utf-8")
    assert (folder / L.CONSOLE_NAME).exists()
    return folder


def press(folder: Path, action: str, lang: str, selected=None):
    excel = FakeExcel()
    book = excel.open_file(folder / L.CONSOLE_NAME)
    book.sheets[L.CONSOLE_SHEET[lang]].write(L.ACTION_CELL, [[L.label(action, lang)]])
    book.selected = selected
    return console.run(excel, book, now=NOW), excel


def exchange_files(folder: Path) -> list[str]:
    where = handoff.requests_dir(folder / ".duban")
    return sorted(p.name for p in where.iterdir()) if where.exists() else []


@pytest.fixture
def serving(tmp_path):
    procs = []

    def start(folder: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", "from duban.jobs.cli import main; main()", "serve", str(folder)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        deadline = time.monotonic() + 60
        while not (folder / ".duban" / "serve.lock").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        return proc
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_while_serve_runs_the_console_hands_check_validate_and_explain_to_it(tmp_path, serving, lang, monkeypatch):
    folder = folder_with_console(tmp_path, lang)
    proc = serving(folder)
    t = console.TEXT[lang]

    def not_here(ctx):
        raise AssertionError("the console ran the job in its own process")
    for key in ("check", "validate", "explain"):        # serve's worker has its own, untouched
        monkeypatch.setitem(actions.ACTIONS, key, not_here)
    by_serve = t["by_serve"].format(host=socket.gethostname())

    started = time.monotonic()
    result, excel = press(folder, "check", lang)
    assert time.monotonic() - started < 60
    assert not result.error, result.sentence
    assert result.sentence.startswith("检查完成：8 个工作簿" if lang == "zh" else "Check done: 8 workbooks")
    assert result.lines[:2] == [by_serve, t["by_serve_check"]]
    written = [row for row in result.tables[0].rows if row[3] == t["write"]["written"]]
    assert written                                   # serve wrote the IDs into the workbooks
    assert any(text and text.startswith(t["handed"].split("{")[0]) for text in excel.status_texts)
    assert exchange_files(folder) == []              # request and result both gone

    flagged = result.tables[1].rows[0][0]
    result, _ = press(folder, "explain", lang, selected=flagged)
    assert result.sentence == t["explained"].format(id=flagged) and result.lines[0] == by_serve
    assert result.tables and result.tables[0].rows

    result, excel = press(folder, "validate", lang)          # read-only, but serve's worker has the books read
    assert not result.error and result.lines[0] == by_serve, result.sentence
    problems = excel.books[0].sheets[L.PROBLEMS_SHEET[lang]].rows(2)
    assert problems and {row[2] for row in problems} >= {"bad-date"}     # the Problems sheet, from serve's answer

    proc.send_signal(signal.SIGTERM)
    out, _err = proc.communicate(timeout=20)
    assert "console check for" in out and "console explain for" in out and "console validate for" in out


@pytest.mark.slow
def test_a_serve_that_never_takes_the_request_leaves_the_check_to_the_console(tmp_path, monkeypatch):
    folder = folder_with_console(tmp_path, "en")
    state = folder / ".duban"
    state.mkdir()
    now = datetime.now(timezone.utc).isoformat()
    (state / "serve.lock").write_text(json.dumps({"host": "server-7", "pid": 4242, "started": now,
                                                  "heartbeat": now, "token": "x", "folder": str(folder)}))
    monkeypatch.setattr(console, "CLAIM_SECONDS", 1.5)
    result, excel = press(folder, "check", "en")
    said = console.TEXT["en"]["fallback_untaken"].format(host="server-7", secs=1.5)
    assert not result.error and result.sentence.startswith("Check done: 8 workbooks"), result.sentence
    assert result.lines[0] == said and said in excel.status_texts
    assert exchange_files(folder) == []               # withdrawn: serve will never run it
    assert (state / "state.db").exists()              # the console ran it itself


@pytest.mark.slow
def test_without_a_running_serve_the_console_runs_the_job_itself(tmp_path):
    folder = folder_with_console(tmp_path, "zh")
    state = folder / ".duban"
    state.mkdir()
    old = "2026-11-01T08:00:00+00:00"                   # a serve that stopped long ago left its lock
    (state / "serve.lock").write_text(json.dumps({"host": "server-7", "pid": 4242, "started": old,
                                                  "heartbeat": old, "token": "x", "folder": str(folder)}))
    result, _ = press(folder, "check", "zh")
    assert not result.error and result.sentence.startswith("检查完成：8 个工作簿")
    assert not any("duban serve" in line for line in result.lines)
    assert not handoff.requests_dir(state).exists() and (state / "state.db").exists()


def test_serve_takes_a_request_once_and_a_withdrawn_one_never(tmp_path):
    state = tmp_path / ".duban"
    first = handoff.submit(state, {"action": "check"})
    second = handoff.submit(state, {"action": "remind"})
    assert first.name != second.name and handoff.pending(state) == [first, second]
    running, asked = handoff.claim(first)
    assert asked["action"] == "check" and asked["host"] == socket.gethostname()
    assert handoff.claim(first) is None                 # a second taker finds nothing
    second.unlink()                                     # withdrawn by its console
    assert handoff.claim(second) is None and handoff.pending(state) == []
    handoff.answer(running, {"sentence": "done"})
    assert handoff.wait(first, timeout=5) == ({"sentence": "done"}, "done")
    assert exchange_files(tmp_path) == []


@pytest.mark.slow
def test_a_serve_that_stops_while_the_console_waits_ends_the_wait_early(tmp_path, monkeypatch):
    folder = folder_with_console(tmp_path, "zh")
    state = folder / ".duban"
    state.mkdir()
    lock = state / "serve.lock"
    now = datetime.now(timezone.utc).isoformat()
    fields = {"host": "server-7", "pid": 4242, "started": now, "heartbeat": now, "token": "x", "folder": str(folder)}
    lock.write_text(json.dumps(fields))
    monkeypatch.setattr(console, "CLAIM_SECONDS", 120.0)
    timer = threading.Timer(1.0, lambda: lock.write_text(json.dumps({**fields, "heartbeat": "2026-11-01T08:00:00+00:00"})))
    submit = handoff.submit

    def submitted(*args):                   # serve stops a second after the request is written
        timer.start()
        return submit(*args)
    monkeypatch.setattr(handoff, "submit", submitted)
    started = time.monotonic()
    result, _ = press(folder, "remind", "zh")
    timer.join()
    assert time.monotonic() - started < 60
    assert result.lines[0] == console.TEXT["zh"]["fallback_gone"].format(host="server-7")    # then ran it here
    assert not result.error, result.sentence
    assert exchange_files(folder) == [] and (state / "state.db").exists()


def test_jobs_reaches_into_macros_only_to_build_the_console_and_to_answer_it():
    """The one new upward reach: serve's worker runs a handed-over console job through
    macros.actions.answer (loaded only then), as `macros` and `init` load macros.build."""
    import ast

    def reaches(path: Path) -> bool:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n == "duban.macros" or n.startswith("duban.macros.") for n in names):
                return True
        return False
    found = {str(p.relative_to(ROOT)) for p in (ROOT / "jobs").rglob("*.py") if reaches(p)}
    assert found == {"jobs/cli.py", "jobs/init.py", "jobs/serve/execute.py"}
