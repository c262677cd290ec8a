"""The jobs table (jobs.settings.jobs): every job has what serve, `duban status`, the run lock and
the Excel console need to say and do with it; and a toy job added in that one place runs in
serve, shows in `duban status` and is offered by the console."""
from __future__ import annotations

import dataclasses
import io
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from duban.jobs import tasks
from duban.jobs.init import init_folder
from duban.jobs.serve.cache import ReadCache
from duban.jobs.serve.execute import run_job
from duban.jobs.serve.loop import Serve
from duban.jobs.serve.status import gather
from duban.jobs.settings import config, jobs
from duban.jobs.settings.jobs import Action, Job
from duban.jobs.settings.schedule import parse, specs
from duban.jobs.settings.typed import Schedule
from duban.jobs.terminal.status import show
from duban.macros import actions, console, layout as L
from duban.macros.fake import FakeExcel
from duban.workbooks.model.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def missing(job: Job) -> list[str]:
    """What `job` lacks, in words naming the job and the missing part."""
    gaps = []
    for lang in ("zh", "en"):
        if not job.labels.get(lang):
            gaps.append(f"{job.name}: no {lang} label (duban status)")
    if not job.holder.startswith("duban "):
        gaps.append(f"{job.name}: its holder {job.holder!r} is not a duban command (the run lock's sentence)")
    if job.runs:
        try:
            if not callable(tasks.runner(job)):
                gaps.append(f"{job.name}: its run {job.run!r} is not a function")
        except LookupError as exc:
            gaps.append(f"{job.name}: its run cannot be found ({exc})")
    if job.scheduled:
        try:
            parse(job.name, job.schedule)
        except Exception as exc:  # noqa: BLE001 - named in the gap
            gaps.append(f"{job.name}: its default schedule {job.schedule!r} does not parse ({exc})")
    if job.console is not None:
        for lang in ("zh", "en"):
            if not job.console.labels.get(lang):
                gaps.append(f"{job.name}: no {lang} label for the console's dropdown")
            if not job.console.help.get(lang):
                gaps.append(f"{job.name}: no {lang} help sentence on the console sheet")
        if job.console.key not in actions.ACTIONS and job.run is None:
            gaps.append(f"{job.name}: a console action {job.console.key!r} with neither a console function "
                        f"(macros.actions.ACTIONS) nor a run function")
    return gaps


def test_every_job_has_what_serve_status_the_lock_and_the_console_need():
    assert [gap for job in jobs.JOBS.values() for gap in missing(job)] == []
    keys = [a.key for a in jobs.actions()]
    assert len(keys) == len(set(keys)), keys
    labels = [label for a in jobs.actions() for label in a.labels.values()]
    assert len(labels) == len(set(labels)), labels      # B4 is read back by its label


def test_the_walk_names_what_a_job_lacks():
    broken = Job("half", {"zh": "", "en": "half"}, "half",
                 schedule="every blue moon", console=Action("half", {"zh": "一半", "en": "Half"}, {"zh": "一半"}))
    gaps = missing(broken)
    assert "half: no zh label (duban status)" in gaps
    assert any(g.startswith("half: its holder 'half'") for g in gaps)
    assert any(g.startswith("half: its run cannot be found (no run function for the job 'half' in jobs.tasks)")
               for g in gaps)
    assert any(g.startswith("half: its default schedule 'every blue moon' does not parse") for g in gaps)
    assert "half: no en help sentence on the console sheet" in gaps


def test_the_default_schedules_agree_with_duban_toml_defaults():
    """defaults.toml (what `duban init` writes and a missing key falls back to) says what the table says."""
    table = tomllib.loads((ROOT / "jobs" / "settings" / "defaults.toml").read_text(encoding="utf-8"))["schedule"]
    assert table == {job.name: job.schedule for job in jobs.scheduled()}


def test_serve_status_and_the_lock_read_the_table():
    assert [s.job for s in specs(config.load())] == [job.name for job in jobs.scheduled()]
    assert jobs.holder("remind") == "duban remind" and jobs.holder("summary") == "duban summary"
    assert jobs.holder("init") == "duban init"          # a lock name no job declares: the command of that name
    assert jobs.label("summary_week", "zh") == "周报" and jobs.label("gone", "zh") == "gone"
    assert [a[0] for a in L.actions()] == ["check", "remind", "week", "month", "validate", "explain"]


# ---- a toy job, added in one place ---------------------------------------------------------------
def toy_run(folder: Path, settings, slot: datetime, dry_run: bool) -> dict:
    (folder / "toy-ran.txt").write_text(f"{slot:%Y-%m-%d %H:%M:%S}\n", encoding="utf-8")
    return {"summary": f"toy ran as at {slot:%H:%M:%S}"}


TOY = Job("toy", {"zh": "玩具任务", "en": "toy job"}, "duban toy", run=toy_run, schedule="every 10 seconds",
          console=Action("toy", {"zh": "运行玩具任务", "en": "Run the toy"},
                         {"zh": "只为测试：写一个文件。", "en": "For the tests: writes one file."}, handed_over=False))


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(jobs.JOBS, "toy", TOY)
    return TOY


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    where = tmp_path / "共享"
    init_folder(where, lang="zh", demo=True, today=date(2026, 11, 23))
    return where


def test_a_toy_job_runs_in_serves_dispatch(toy, folder):
    settings = config.load(folder)
    outcome = run_job("toy", folder, settings, NOW, False, ReadCache())
    assert outcome["result"] == "ok" and outcome["summary"] == "toy ran as at 09:00:00"
    assert "toy" in [s.job for s in specs(settings)]


def test_a_toy_job_is_scheduled_by_serve(toy, folder):
    settings = config.load(folder)
    off = {job.name: "off" for job in jobs.scheduled() if job.name != "toy"}
    settings = dataclasses.replace(settings, schedule=Schedule({**settings.schedule.times, **off}))
    log = io.StringIO()
    serve = Serve(folder, settings, start=NOW, until=NOW + timedelta(seconds=30), stream=log)
    assert serve.run() == 0, log.getvalue()
    assert serve.counts[("toy", "ok")] == 4, (serve.counts, log.getvalue())    # 09:00 (on start), :10, :20, :30
    assert (folder / "toy-ran.txt").read_text(encoding="utf-8") == "2026-11-23 09:00:30\n"


def test_a_toy_job_shows_in_duban_status(toy, folder, capsys):
    settings = config.load(folder)
    data = gather(folder, settings, 0, now=NOW)
    assert [j["job"] for j in data["jobs"]][-1] == "toy"
    show(data, folder, "zh")
    line = next(line for line in capsys.readouterr().out.splitlines() if "玩具任务" in line)
    assert "每 10 秒" in line
    show(data, folder, "en")
    assert any(line.startswith("toy job") for line in capsys.readouterr().out.splitlines())


@pytest.mark.parametrize("lang, label", [("zh", "运行玩具任务"), ("en", "Run the toy")])
@pytest.mark.slow
def test_a_toy_job_is_an_action_of_the_console(toy, tmp_path, lang, label):
    where = tmp_path / lang
    init_folder(where, lang=lang, demo=True, today=date(2026, 11, 23))
    assert ("toy", "运行玩具任务", "Run the toy", "只为测试：写一个文件。", "For the tests: writes one file.") in L.actions()
    excel = FakeExcel()
    book = excel.open_file(where / L.CONSOLE_NAME)
    book.sheets[L.CONSOLE_SHEET[lang]].write(L.ACTION_CELL, [[label]])
    result = console.run(excel, book, now="2026-11-23T09:00")
    assert not result.error, result.sentence
    assert result.sentence == "toy ran as at 09:00:00"
    assert (where / "toy-ran.txt").exists()


def test_a_new_jobs_schedule_in_duban_toml_reaches_serve(toy, folder):
    """A job added to the table is scheduled by its name in [schedule]: the typed settings have no
    field per job, so nothing else is edited (a key the settings do not know is refused by name)."""
    settings = config.load(folder)
    assert settings.schedule.of("toy", "nothing") == "every 10 seconds"
    (folder / "duban.toml").write_text('[schedule]\ntoy = "23:00"\n', encoding="utf-8")
    moved = config.load(folder)
    [toy_spec] = [spec for spec in specs(moved) if spec.job == "toy"]
    assert toy_spec == parse("toy", "23:00")
    (folder / "duban.toml").write_text('[schedule]\ntoy = "whenever"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="schedule.toy"):
        config.load(folder)
