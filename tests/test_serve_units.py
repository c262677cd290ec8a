"""duban serve, the pure parts: schedule parsing, the catch-up decision, the lock file, the service texts."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from duban.jobs.serve.catchup import decide
from duban.jobs.serve.lock import LockLost, ServeLock, read_lock
from duban.jobs.settings import config
from duban.jobs.settings.schedule import parse, specs
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.errors import ConfigError, DubanError

ROOT = Path(__file__).resolve().parent.parent
SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CN = WorkCalendar("CN", SH)
US = WorkCalendar("US", NY)
GRACE = timedelta(hours=12)


def at(y, m, d, hh=9, mm=0, tz=SH):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


# ---- parsing every [schedule] value --------------------------------------------------------------
@pytest.mark.parametrize("job, text, kind, detail", [
    ("check", "every 30 minutes", "interval", 1800),
    ("alert", "every 5 minutes", "interval", 300),
    ("alert", "Every 10  Seconds", "interval", 10),
    ("check", "every 2 hours", "interval", 7200),
    ("check", "every minute", "interval", 60),
    ("remind", "09:00", "workdays", "09:00"),
    ("remind", "9:05", "workdays", "09:05"),
    ("summary_week", "friday 17:30", "weekly", (4, "17:30")),
    ("summary_week", "Fri 17:30", "weekly", (4, "17:30")),
    ("summary_week", "周五 17:30", "weekly", (4, "17:30")),
    ("summary_month", "09:30", "monthly", "09:30"),
    ("remind", "first working day 10:00", "monthly", "10:00"),
    ("alert", "off", "off", None),
])
def test_every_schedule_value_parses(job, text, kind, detail):
    spec = parse(job, text)
    assert spec.kind == kind
    if kind == "interval":
        assert spec.seconds == detail
    elif kind == "weekly":
        assert (spec.weekday, spec.at.strftime("%H:%M")) == detail
    elif kind in ("workdays", "monthly"):
        assert spec.at.strftime("%H:%M") == detail


def test_the_shipped_schedule_parses():
    found = {s.job: s.describe() for s in specs(config.load())}
    assert found == {"check": "every 30 minutes", "alert": "every 5 minutes", "remind": "working days 09:00",
                     "summary_week": "friday 17:30", "summary_month": "first working day of the month 09:30",
                     "inbox": "off"}      # until [reply] enabled = true (tests/test_inbox_job.py)


@pytest.mark.parametrize("text", ["nine o'clock", "25:00", "every 0 minutes", "every 5 fortnights", "friday",
                                  "someday 09:00", "every 30 days", "09:60"])
def test_a_bad_value_is_a_config_error_naming_the_key_and_an_example(text):
    with pytest.raises(ConfigError) as err:
        parse("remind", text)
    assert "schedule.remind" in str(err.value) and '"every 30 minutes"' in str(err.value)


def test_a_bad_value_in_duban_toml_stops_every_command(tmp_path):
    (tmp_path / "duban.toml").write_text('[schedule]\nremind = "nine"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path)
    assert "'schedule.remind'" in str(err.value) and '"09:00"' in str(err.value) and '"nine"' in str(err.value)
    (tmp_path / "duban.toml").write_text('[serve]\ncatch_up_hours = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="serve.catch_up_hours"):
        config.load(tmp_path)


def test_interval_slots_are_on_the_clock_and_working_day_slots_skip_holidays():
    every30 = parse("check", "every 30 minutes")
    assert [t.strftime("%H:%M") for t in every30.slots(at(2026, 11, 23, 9, 7), at(2026, 11, 23, 10, 30), CN)] == \
        ["09:30", "10:00", "10:30"]
    remind = parse("remind", "09:00")
    days = [t.date().isoformat() for t in remind.slots(at(2026, 9, 29, 10), at(2026, 10, 11, 10), CN)]
    assert days == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"]   # 10-10 is a make-up Saturday
    month = parse("summary_month", "09:30")
    assert [t.date().isoformat() for t in month.slots(at(2026, 9, 1, 0), at(2026, 12, 31), CN)] == \
        ["2026-09-01", "2026-10-08", "2026-11-02", "2026-12-01"]
    week = parse("summary_week", "friday 17:30")
    assert week.next(at(2026, 11, 27, 17, 30), CN) == at(2026, 12, 4, 17, 30)


# ---- the catch-up decision -------------------------------------------------------------------------
REMIND = parse("remind", "09:00")


def test_never_run_runs_the_latest_slot_within_grace_and_nothing_older():
    d = decide(REMIND, None, at(2026, 11, 23, 10), GRACE, CN)
    assert (d.run, d.missed) == (at(2026, 11, 23, 9), 0)
    d = decide(REMIND, None, at(2026, 11, 28, 10), GRACE, CN)     # Saturday: Friday's 09:00 is 25 h ago
    assert (d.run, d.missed) == (None, 0)


def test_on_time_and_missed_once():
    d = decide(REMIND, at(2026, 11, 23), at(2026, 11, 24, 9, 0), GRACE, CN)
    assert (d.run, d.missed) == (at(2026, 11, 24), 0)
    d = decide(REMIND, at(2026, 11, 23), at(2026, 11, 24, 15, 0), GRACE, CN)      # slept through 09:00
    assert (d.run, d.missed) == (at(2026, 11, 24), 0)
    d = decide(REMIND, at(2026, 11, 24), at(2026, 11, 24, 15, 0), GRACE, CN)      # already ran
    assert not d.anything


def test_three_missed_runs_are_one_run():
    d = decide(REMIND, at(2026, 11, 23), at(2026, 11, 26, 9, 30), GRACE, CN)
    assert d.run == at(2026, 11, 26)
    assert (d.missed, d.first_missed, d.last_missed) == (2, at(2026, 11, 24), at(2026, 11, 25))


def test_a_miss_beyond_the_grace_is_recorded_not_run():
    d = decide(REMIND, at(2026, 11, 23), at(2026, 11, 24, 23, 0), GRACE, CN)     # 14 h after 09:00
    assert (d.run, d.missed, d.last_missed) == (None, 1, at(2026, 11, 24))
    d = decide(REMIND, at(2026, 11, 23), at(2026, 11, 24, 23, 0), timedelta(hours=24), CN)
    assert d.run == at(2026, 11, 24)


def test_a_holiday_in_between_is_not_a_miss():
    d = decide(REMIND, at(2026, 9, 30), at(2026, 10, 8, 8, 0), GRACE, CN)        # National Day week
    assert not d.anything
    d = decide(REMIND, at(2026, 10, 9), at(2026, 10, 10, 11, 0), GRACE, CN)      # make-up Saturday runs
    assert (d.run, d.missed) == (at(2026, 10, 10), 0)


def test_coalesced_interval_runs_after_two_days_off():
    every30 = parse("check", "every 30 minutes")
    d = decide(every30, at(2026, 11, 23, 10), at(2026, 11, 25, 10, 7), GRACE, CN)
    assert (d.run, d.missed) == (at(2026, 11, 25, 10), 95)


def test_a_zone_with_daylight_saving_time():
    # 2026-03-08: New York springs forward. Friday 09:00 EST ran; Monday 10:00 EDT, 09:00 EDT is due.
    d = decide(REMIND, at(2026, 3, 6, 9, tz=NY), at(2026, 3, 9, 10, tz=NY), GRACE, US)
    assert (d.run, d.missed) == (at(2026, 3, 9, 9, tz=NY), 0)
    assert d.run.utcoffset() == timedelta(hours=-4)
    assert decide(REMIND, at(2026, 3, 6, 9, tz=NY), at(2026, 3, 9, 8, 59, tz=NY), GRACE, US).run is None
    # fall back (2026-11-01): 00:00 EDT to 03:00 EST is four real hours, eight half-hour slots
    every30 = parse("check", "every 30 minutes")
    assert every30.count(at(2026, 11, 1, 0, tz=NY), at(2026, 11, 1, 3, tz=NY), US) == 8
    # a daily time inside the spring-forward gap (02:30 does not exist on 03-08) runs once, just after it
    early = parse("remind", "02:30")
    sunday = WorkCalendar("US", NY)
    [slot] = parse("summary_week", "sunday 02:30").slots(at(2026, 3, 8, 0, tz=NY), at(2026, 3, 8, 23, tz=NY), sunday)
    assert slot.astimezone(timezone.utc) == datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc)   # 03:30 EDT
    assert early.next(at(2026, 3, 9, 0, tz=NY), US) == at(2026, 3, 9, 2, 30, tz=NY)


def test_the_first_start_sends_todays_reminder_in_a_dst_free_zone():
    assert decide(REMIND, None, at(2026, 11, 23, 20, 59), GRACE, CN).run == at(2026, 11, 23)
    assert decide(REMIND, None, at(2026, 11, 23, 21, 1), GRACE, CN).run is None


# ---- the lock file ---------------------------------------------------------------------------------
def test_a_second_serve_is_refused_with_the_holder_named(tmp_path):
    first = ServeLock(tmp_path, tmp_path / ".duban", timedelta(minutes=3), SH)
    assert first.acquire() is None
    second = ServeLock(tmp_path, tmp_path / ".duban", timedelta(minutes=3), SH)
    with pytest.raises(DubanError) as err:
        second.acquire()
    text = str(err.value)
    assert "already running" in text and f"process {os.getpid()}" in text and "running since" in text
    first.release()
    assert not (tmp_path / ".duban" / "serve.lock").exists()
    assert second.acquire() is None


def test_a_stale_lock_is_taken_over_with_a_warning_and_its_holder_learns_it(tmp_path):
    old = ServeLock(tmp_path, tmp_path / ".duban", timedelta(minutes=3), SH)
    old.acquire()
    info = json.loads(old.path.read_text())
    info.update(host="other-machine", heartbeat=(datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat())
    old.path.write_text(json.dumps(info))
    new = ServeLock(tmp_path, tmp_path / ".duban", timedelta(minutes=3), SH)
    warning = new.acquire()
    assert "took over the stale serve lock" in warning and "other-machine" in warning
    assert read_lock(new.path)["token"] == new.token
    with pytest.raises(LockLost, match="took over"):
        old.heartbeat()
    new.heartbeat()
    old.release()                       # not its lock any more: left alone
    assert new.path.exists()


def test_a_lock_left_by_a_dead_process_on_this_machine_is_taken_over_at_once(tmp_path):
    dead = _dead_pid()
    lock = ServeLock(tmp_path, tmp_path / ".duban", timedelta(minutes=3), SH)
    lock.path.parent.mkdir(parents=True)
    now = datetime.now(timezone.utc).isoformat()
    import socket
    lock.path.write_text(json.dumps({"host": socket.gethostname(), "pid": dead, "started": now, "heartbeat": now,
                                     "token": "x"}))
    assert "stale" in lock.acquire()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# ---- service files ---------------------------------------------------------------------------------
def test_the_systemd_unit(tmp_path):
    from duban.jobs.serve.service import systemd_unit
    unit = systemd_unit(tmp_path, config.load(), user="root")
    for line in ("Type=notify", "Restart=on-failure", f"WorkingDirectory={tmp_path}", "User=root",
                 "EnvironmentFile=-/etc/duban/duban.env", "WatchdogSec=180", "WantedBy=multi-user.target"):
        assert line in unit
    assert f"serve {tmp_path}" in unit
    assert "Documentation=" not in unit and "example.com" not in unit        # no placeholder address
    # the folder is under /tmp: PrivateTmp would hide it from the service, so it is left out and said
    assert "\nPrivateTmp=yes" not in unit and "# PrivateTmp=yes left out:" in unit
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    path = tmp_path / "duban-serve.service"
    path.write_text(unit)
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if "duban-serve.service" in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_the_systemd_hardening_lines_only_where_they_hide_nothing_serve_needs(monkeypatch, capsys):
    from duban.jobs.serve import service
    monkeypatch.setattr(service, "command", lambda: ["/opt/duban/.venv/bin/duban"])
    unit = service.systemd_unit(Path("/srv/share/督办"), config.load())
    for line in ("PrivateTmp=yes", "ProtectSystem=full", "ProtectHome=read-only", "NoNewPrivileges=yes"):
        assert f"\n{line}\n" in unit
    assert "left out" not in unit and capsys.readouterr().err == ""

    # the new user's case: `duban init demo` in /tmp/newuser, duban in a venv beside it
    monkeypatch.setattr(service, "command", lambda: ["/tmp/newuser/.venv/bin/duban"])
    unit = service.systemd_unit(Path("/tmp/newuser/demo"), config.load())
    assert "\nPrivateTmp=yes" not in unit and "\nProtectHome=read-only\n" in unit
    [why] = [line for line in unit.splitlines() if "left out" in line]
    assert why.startswith("# PrivateTmp=yes left out: /tmp/newuser/demo is under /tmp")
    assert "duban: 注意：未加入 PrivateTmp=yes：/tmp/newuser/demo 位于 /tmp 之下" in capsys.readouterr().err

    # a folder in a home directory: ProtectHome=read-only would stop every write; duban there too
    monkeypatch.setattr(service, "command", lambda: ["/home/liu/.venv/bin/duban"])
    unit = service.systemd_unit(Path("/home/liu/督办"), config.load())
    assert "\nProtectHome=read-only" not in unit and "# ProtectHome=read-only left out: /home/liu/督办" in unit
    assert "\nPrivateTmp=yes\n" in unit
    # only the interpreter under /home (or /tmp): left out as well
    monkeypatch.setattr(service, "command", lambda: ["/home/liu/.venv/bin/duban"])
    assert "\nProtectHome=read-only" not in service.systemd_unit(Path("/srv/督办"), config.load())
    monkeypatch.setattr(service, "command", lambda: ["/tmp/venv/bin/duban"])
    assert "\nPrivateTmp=yes" not in service.systemd_unit(Path("/srv/督办"), config.load())
    assert "注意：未加入 PrivateTmp=yes" in capsys.readouterr().err


@pytest.mark.slow
def test_the_windows_task_printed_is_utf8_and_names_the_folder_absolutely(tmp_path, monkeypatch):
    (tmp_path / "demo").mkdir()
    monkeypatch.chdir(tmp_path)
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                           "from duban.jobs.cli import main; main()", str(ROOT), "service", "demo", "--windows"],
                          capture_output=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(done.stdout)                  # bytes: the parser goes by the declaration
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    folder = str((tmp_path / "demo").resolve())
    assert root.find("t:Actions/t:Exec/t:WorkingDirectory", ns).text == folder
    assert root.find("t:Actions/t:Exec/t:Arguments", ns).text.endswith(f"serve {folder}")
    out = tmp_path / "task.xml"
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                           "from duban.jobs.cli import main; main()", str(ROOT), "service", "demo", "--windows",
                           "--output", str(out)], capture_output=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data[:2] == b"\xff\xfe" and data.decode("utf-16").startswith('<?xml version="1.0" encoding="UTF-16"?>')
    assert ET.fromstring(data).find("t:Actions/t:Exec/t:WorkingDirectory", ns).text == folder


def test_the_windows_task_xml(tmp_path):
    from duban.jobs.serve.service import windows_task, write_text
    settings = config.load(values={"mail": {"share_path": "\\\\fileserver\\督办"}})
    xml = windows_task(tmp_path, settings)
    out = tmp_path / "task.xml"
    write_text(xml, out, windows=True)
    assert out.read_bytes()[:2] == b"\xff\xfe"             # UTF-16 with a BOM, as schtasks /XML wants
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    root = ET.fromstring(out.read_text(encoding="utf-16").split("\n", 1)[1])
    assert root.find("t:Triggers/t:BootTrigger/t:Enabled", ns).text == "true"
    assert root.find("t:Principals/t:Principal/t:LogonType", ns).text == "Password"   # logged on or not
    assert root.find("t:Settings/t:RestartOnFailure/t:Count", ns).text == "999"
    assert root.find("t:Settings/t:ExecutionTimeLimit", ns).text == "PT0S"
    assert root.find("t:Actions/t:Exec/t:Arguments", ns).text.endswith("serve \\\\fileserver\\督办")
    assert root.find("t:Actions/t:Exec/t:WorkingDirectory", ns).text == "\\\\fileserver\\督办"
    settings = config.load()
    assert "WARNING" in windows_task(Path("Z:/督办"), settings)


# ---- the unit for the folders people really have (issue 17 #2) ---------------------------------------
def _last_exec_arg(line: str) -> str:
    """ExecStart='s last word as systemd hands it to the program: unquoted, \\ and \" undone (POSIX
    double quotes treat those two alike), then $$ and %%."""
    return shlex.split(line)[-1].replace("$$", "$").replace("%%", "%")


@pytest.mark.parametrize("folder", ["/srv/share/督办", "/srv/share/综合 管理部/督办", '/srv/a 50% $HOME "q" \\b/督办'],
                         ids=["chinese", "space", "percent-dollar-quote-backslash"])
def test_the_systemd_unit_for_a_chinese_folder_and_one_with_a_space(tmp_path, folder):
    from duban.jobs.serve.service import systemd_unit
    unit = systemd_unit(Path(folder), config.load(), warn=lambda text: None)
    lines = dict(line.split("=", 1) for line in unit.splitlines() if line and not line.startswith(("#", "[")))
    assert lines["WorkingDirectory"] == folder.replace("%", "%%")          # a path as it is: never quoted
    assert _last_exec_arg(lines["ExecStart"]) == folder
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    path = tmp_path / "duban-serve.service"
    path.write_text(unit, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if "duban-serve.service" in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_a_folder_a_unit_file_cannot_hold_is_refused_with_a_sentence():
    from duban.jobs.serve.service import systemd_unit
    with pytest.raises(DubanError, match="rename the folder") as err:
        systemd_unit(Path("/srv/share/督办\nExecStartPre=/bin/rm"), config.load(), warn=lambda text: None)
    assert "请给文件夹改名" in str(err.value)


def test_the_windows_task_built_off_windows_says_so_and_keeps_the_password_with_the_account(tmp_path):
    from duban.jobs.serve.service import command, foreign_build, windows_task
    settings = config.load(values={"mail": {"share_path": "\\\\fileserver\\督办", "smtp": {"user": "duban@example.com"}},
                                   "company": {"language": "en"}})   # the warning follows it (zh: tests/test_terminal_and_mail_wording.py)
    told: list[str] = []
    xml = windows_task(tmp_path, settings, "CORP\\duban-svc", warn=told.append)
    root = ET.fromstring(xml.split("\n", 1)[1])        # no "--" in a comment, or this would not parse
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    assert root.find("t:Actions/t:Exec/t:Command", ns).text == command()[0]
    if sys.platform != "win32":
        [said] = told
        assert f"names {command()[0]}" in said and "on the Windows machine itself" in said
        assert "duban service \\\\fileserver\\督办 --windows --output duban-serve.xml" in said
        assert "<!-- WARNING: this task was built on" in xml and "on the Windows machine itself" in xml
    assert foreign_build(command(), "X", system="nt") == ""
    # the password: the task's own account, never the machine's environment (setx /M: every user reads it)
    assert "setx /M" not in xml and "/M " not in xml
    assert "runas /user:CORP\\duban-svc cmd" in xml
    assert 'setx DUBAN_SMTP_PASSWORD "the-password"' in xml and "keyring set duban duban@example.com" in xml
