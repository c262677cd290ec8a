"""Every core helps (issue 22): worker processes read and patch, the parent keeps the folder's
order, the journal and the commits, so a check with two workers is the check with one; a file
or a worker that breaks is one workbook's problem; a streamed check (each=) lets records go."""
from __future__ import annotations

import email
import io
import operator
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

import pytest
from rich.console import Console

from duban.jobs import readwork
from duban.jobs.check import check_folder
from duban.jobs.init import init_folder
from duban.jobs.pool import Lane, ordered
from duban.jobs.settings import config
from duban.jobs.terminal import report
from duban.jobs.terminal.progress import Tick
from duban.jobs.time import clock
from duban.jobs.validate import read_folder

NOW = "2026-11-23T09:00"
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DUBAN = Path(sys.executable).with_name("duban")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The demo folder (8 workbooks with their directory and RACI: more than pool.SMALL) and a broken file."""
    root = tmp_path_factory.mktemp("pool") / "src"
    init_folder(root, demo=True, today=date(2026, 11, 23), now=datetime(2026, 11, 23, 9))
    (root / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook after all")
    return root


def _copy(source: Path, where: Path, workers: int) -> Path:
    shutil.copytree(source, where)
    toml = where / "duban.toml"
    text = toml.read_text(encoding="utf-8")
    assert "workers = 0" in text
    toml.write_text(text.replace("workers = 0", f"workers = {workers}"), encoding="utf-8")
    return where


def _settings(folder: Path, workers: int):
    settings = config.load(folder)
    return replace(settings, performance=replace(settings.performance, workers=workers))


def test_results_come_in_order_and_a_dead_worker_costs_only_its_own_item():
    # the work travels by name: stdlib callables, so a worker starts without importing this module
    work = [partial(os._exit, 3) if n == 13 else partial(pow, n, 2) for n in range(20)]   # 13 kills its worker
    found = list(ordered(operator.call, work, 2, lost=lambda item: "lost"))
    assert found == ["lost" if n == 13 else n * n for n in range(20)]


def test_a_folder_read_by_two_workers_is_the_folder_read_by_one(source, tmp_path, monkeypatch):
    unpacked = []
    real = readwork.unpack
    monkeypatch.setattr(readwork, "unpack", lambda packed: unpacked.append(1) or real(packed))
    reads = {n: read_folder(source, _settings(source, n), date(2026, 11, 23), fingerprints={}) for n in (1, 2)}
    assert len(unpacked) == len(reads[2]) > 8         # every file came back from a worker

    def seen(found):
        return [(r.path, r.kind and r.kind.key, r.sheet, [dict(rec) for rec in r.records],
                 [p.message("en") for p in r.problems], type(r.records[0]).__name__ if r.records else "") for r in found]
    assert seen(reads[1]) == seen(reads[2])
    broken = [r for r in reads[2] if r.path.name == "broken.xlsx"]
    assert len(broken) == 1 and len(broken[0].problems) == 1 and broken[0].kind is None


def test_a_check_by_two_workers_streamed_is_the_check_by_one(source, tmp_path, monkeypatch):
    """The report, the workbooks' parts and the journal; with each=, the records are let go."""
    handed = []
    real = Lane.result
    monkeypatch.setattr(Lane, "result", lambda lane, *a: handed.append(found := real(lane, *a)) or found)
    reports, folders = {}, {}
    for workers in (1, 2):
        folders[workers] = folder = _copy(source, tmp_path / f"w{workers}", workers)
        settings = _settings(folder, workers)
        each = (lambda w: len(w.read.records)) if workers == 2 else None
        reports[workers] = check_folder(folder, settings, clock.now(settings.company.tz, NOW), each=each)
    assert any(handed)          # the patches were made in the workers

    def seen(w):
        return (w.relpath, w.write, w.new_ids, {r: [f.rule for f in fl] for r, fl in w.flags.items() if fl},
                [p.message("en") for p in w.read.problems])
    assert [seen(w) for w in reports[1].workbooks] == [seen(w) for w in reports[2].workbooks]
    assert _parts(folders[1]) == _parts(folders[2])
    assert _journal(folders[1]) == _journal(folders[2])
    for whole, streamed in zip(reports[1].workbooks, reports[2].workbooks):
        assert streamed.kept == whole.read.rows_read                    # each saw the whole workbook
        key = whole.read.kind.key if whole.read.kind else None
        assert streamed.read.records == (whole.read.records if key in ("directory", "raci") else [])


def test_the_bar_shows_on_a_terminal_only_and_never_with_json(source, monkeypatch):
    shown = io.StringIO()
    tick = Tick("zh", Console(file=shown, force_terminal=True, width=100), shown=True, after_seconds=0)
    tick.begin("checking", 3)
    tick(Path("任务跟进表.xlsx"))
    tick.stop()
    assert "检查并写回" in shown.getvalue()
    hidden = io.StringIO()
    tick = Tick("zh", Console(file=hidden, force_terminal=True), shown=False, after_seconds=0)
    tick(Path("任务跟进表.xlsx"))
    assert hidden.getvalue() == ""
    monkeypatch.setattr(report, "out", Console(file=io.StringIO(), force_terminal=True))
    monkeypatch.setattr(report, "err", Console(file=io.StringIO(), force_terminal=True))
    settings = config.load(source)
    with report.progress(settings) as tick:
        assert tick.shown
    with report.progress(settings, quiet=True) as tick:      # --json
        assert not tick.shown


def _duban(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(DUBAN), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def _parts(folder: Path) -> dict:
    found = {}
    for path in sorted(p for p in folder.rglob("*.xlsx") if ".duban" not in p.parts):
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:       # the identity a first check gives is a new UUID
                found[path.relative_to(folder)] = [(n, UUID.sub(b"U", zf.read(n))) for n in zf.namelist()]
        else:
            found[path.relative_to(folder)] = path.read_bytes()
    return found


def _journal(folder: Path) -> dict:
    db = sqlite3.connect(folder / ".duban" / "state.db")
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if t not in ("hand_runs", "journal_facts", "mail_queue")]    # wall-clock times, random MIME ids
        return {t: [tuple(UUID.sub(b"U", v.encode()).decode() if isinstance(v, str) else v for v in row)
                    for row in db.execute(f"SELECT * FROM {t}")] for t in tables}
    finally:
        db.close()


def _mails(folder: Path) -> list:
    found = []
    for path in sorted((folder / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        bodies = [part.get_payload(decode=True).decode().replace(str(folder), "F")
                  .replace(folder.as_uri(), "F") for part in message.walk() if not part.is_multipart()]
        found.append((path.name, message["To"], message["Subject"], bodies))
    return found


@pytest.mark.slow
def test_check_and_remind_are_the_same_with_one_worker_and_two(source, tmp_path):
    seen = {}
    for workers in (1, 2):
        folder = _copy(source, tmp_path / f"w{workers}", workers)
        checked = _duban("check", str(folder), "--now", NOW, "--json")
        assert checked.stderr == ""                   # not a terminal: no bar
        after_check = (checked.stdout.replace(str(folder), "F"), _parts(folder), _journal(folder))
        reminded = _duban("remind", str(folder), "--now", NOW)
        seen[workers] = (after_check, _parts(folder), _journal(folder), _mails(folder))
        assert '"broken.xlsx"' in checked.stdout or "broken.xlsx" in checked.stdout
        assert reminded.stdout
    assert seen[1][0][0] == seen[2][0][0]           # the --json report
    assert seen[1][0][1] == seen[2][0][1]           # the workbooks' parts after the write
    assert seen[1][0][2] == seen[2][0][2]           # the journal
    assert seen[1][1:] == seen[2][1:]               # and after remind, with its mail
    assert seen[1][3]
