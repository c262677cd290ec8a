"""What the terminal says about settings, mail and runs, in the company's language (issue 17 #11):
a missing SMTP password, `outbox --retry`, `--status waiting`, held mail, SSL spoken to a plain
server, and jobs run by hand in `duban status`."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from books import cli

ROOT = Path(__file__).resolve().parents[1]


def duban(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    """`duban ARGS` as a real process, wide enough that rich never folds a sentence."""
    env = {**os.environ, "COLUMNS": "2000", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", **(env or {})}
    return subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)


def _smtp_without_password(folder: Path, lang: str | None) -> None:
    company = f'[company]\nlanguage = "{lang}"\n' if lang else ""
    (folder / "duban.toml").write_text(company + '[mail]\ntransport = "smtp"\nclerks = ["王芳"]\n[mail.smtp]\n'
                                       'host = "127.0.0.1"\nport = 2525\nuser = "alice"\n', encoding="utf-8")


@pytest.mark.slow
def test_a_missing_smtp_password_is_told_in_the_company_language(tmp_path):
    env = {"DUBAN_SMTP_PASSWORD": ""}
    _smtp_without_password(tmp_path, None)
    done = duban("outbox", tmp_path, "--retry", env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "duban.toml 中 mail.smtp.user 是 'alice'，但找不到它的密码。请把密码放进环境变量 DUBAN_SMTP_PASSWORD" \
        in done.stderr, done.stderr
    assert "no password was found" not in done.stderr
    _smtp_without_password(tmp_path, "en")
    done = duban("outbox", tmp_path, "--retry", env=env)
    assert "mail.smtp.user is 'alice' but no password was found" in done.stderr, done.stderr


# ---- outbox --retry, --status waiting, mail held for office hours ------------------------------------
EVENING, NEXT_MORNING = "2026-11-23T20:00", "2026-11-24T09:05"      # a Monday evening, Tuesday morning


def _folder(tmp_path: Path, toml: str = "") -> Path:
    from test_mail import make_folder

    folder = make_folder(tmp_path / "综合管理部")
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\n' + toml, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_outbox_retry_says_what_it_sent_and_held_mail_says_who_will_send_it(tmp_path):
    folder = _folder(tmp_path)
    done = duban("remind", folder, "--now", EVENING)
    assert done.returncode == 0, done.stderr
    assert not (folder / "outbox").exists()                          # held: nothing written yet
    told = (f"封邮件暂存至 11-24 09:00（上班时间）再发，但不会自己发出：这个文件夹的 duban serve 没有在运行。"
            f"请启动 duban serve {folder}，或在 11-24 09:00 之后运行 duban outbox {folder} --retry。")
    assert told in done.stderr, done.stderr
    waiting = len(json.loads(duban("outbox", folder, "--status", "waiting", "--json").stdout))
    assert waiting > 1 and f"{waiting} {told}" in done.stderr

    shown = duban("status", folder).stdout
    assert f"等待发送的 {waiting} 封邮件不会自己发出：后台服务没有在运行。请启动 duban serve {folder}" in shown, shown
    done = duban("outbox", folder, "--retry", "--now", "2026-11-23T20:05")      # still evening: held, and said so
    assert "没有需要发送的邮件" not in done.stdout and f"{waiting} {told}" in done.stderr, (done.stdout, done.stderr)

    done = duban("outbox", folder, "--retry", "--now", NEXT_MORNING)
    assert done.returncode == 0, done.stderr
    assert "没有需要发送的邮件" not in done.stdout, done.stdout        # it did send: never "nothing", then "8 sent"
    assert f"队列中等待的 {waiting} 封邮件已写入 {folder / 'outbox'}" in done.stdout, done.stdout
    assert len(list((folder / "outbox").glob("*.eml"))) == waiting and "暂存" not in done.stderr

    done = duban("outbox", folder, "--retry", "--now", "2026-11-24T09:10")
    assert done.stdout.strip() == "队列中没有等待发送的邮件。", done.stdout


@pytest.mark.slow
def test_held_mail_with_serve_running_says_serve_sends_it(tmp_path):
    from datetime import timedelta

    from duban.jobs.serve.lock import ServeLock

    folder = _folder(tmp_path, '[company]\nlanguage = "en"\n')
    lock = ServeLock(folder, folder / ".duban", timedelta(minutes=3), ZoneInfo("Asia/Shanghai"))
    assert lock.acquire() is None                    # a real serve lock, heartbeat fresh, this live process
    try:
        done = duban("remind", folder, "--now", EVENING)
    finally:
        lock.release()
    assert done.returncode == 0, done.stderr
    assert re.search(r"\d+ mails held until 11-24 09:00 \(office hours\): the running duban serve sends them then\.",
                     done.stdout), done.stdout
    assert "--retry" not in done.stdout + done.stderr


@pytest.mark.slow
def test_status_waiting_is_the_queued_mail(tmp_path):
    folder = _folder(tmp_path)
    assert duban("remind", folder, "--now", EVENING).returncode == 0
    waiting = duban("outbox", folder, "--status", "waiting", "--json")
    assert waiting.returncode == 0, waiting.stderr
    mails = json.loads(waiting.stdout)
    assert mails and {m["status"] for m in mails} == {"queued"}
    assert mails == json.loads(duban("outbox", folder, "--status", "queued", "--json").stdout)
    shown = duban("status", folder).stdout
    assert f"邮件队列：{len(mails)} 封等待发送" in shown, shown        # the word status uses, accepted back
    table = duban("outbox", folder, "--status", "waiting", "--now", "2026-11-23T20:10").stdout
    assert table.count("暂存至 11-24 09:00") == len(mails), table      # held for office hours, and until when
    bad = duban("outbox", folder, "--status", "pending")
    assert bad.returncode == 2 and "--status 应为 waiting（即 queued）" in bad.stderr, bad.stderr


# ---- SSL spoken to a plain server ------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_ssl_against_a_plain_server_says_to_try_starttls(tmp_path, smtp_server, lang):
    folder = _folder(tmp_path, f'transport = "smtp"\n[mail.smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
                               f'security = "ssl"\nuser = ""\ntimeout = 5\n[company]\nlanguage = "{lang}"\n')
    done = duban("remind", folder, "--now", "2026-11-23T09:30")
    assert done.returncode == 1 and smtp_server.received == [], done.stderr
    status = duban("status", folder).stdout
    if lang == "zh":
        hint = '服务器在这个端口上用明文应答，不是 TLS，请改为 security = "starttls"（连接后再启用 TLS，通常用 587 或 25 端口）'
        assert "邮件设置有误" in done.stderr and hint in done.stderr, done.stderr
    else:
        hint = 'this server answers in plain text on that port, so try security = "starttls"'
        assert "A mail setting is wrong" in done.stderr and hint in done.stderr, done.stderr
    assert hint in status, status                                     # and duban status says it until fixed


# ---- jobs run by hand in `duban status` --------------------------------------------------------------
@pytest.mark.slow
def test_status_shows_jobs_run_by_hand_marked_so(tmp_path):
    from duban.jobs.serve.runs import Runs
    from duban.jobs.settings import config
    from duban.jobs.state.runlock import run_lock

    folder = _folder(tmp_path, "[state]\nlock_wait_seconds = 0\n")
    assert duban("check", folder, "--now", "2026-11-23T09:00").returncode == 0
    assert duban("remind", folder, "--now", "2026-11-23T09:30").returncode == 0
    assert duban("check", folder, "--now", "2026-11-23T10:00", "--dry-run").returncode == 0   # records nothing
    settings = config.load(folder)
    with run_lock(folder, settings, "test"):              # another job holds the folder: this one fails
        refused = duban("alert", folder, "--now", "2026-11-23T10:05")
    assert refused.returncode == 1, refused.stderr

    data = json.loads(duban("status", folder, "--json").stdout)
    jobs = {j["job"]: j for j in data["jobs"]}
    assert (jobs["check"]["result"], jobs["check"]["by_hand"], jobs["check"]["scheduled"]) == \
        ("ok", True, "2026-11-23T09:00:00+08:00")
    assert (jobs["remind"]["result"], jobs["remind"]["by_hand"]) == ("ok", True)
    assert (jobs["alert"]["result"], jobs["alert"]["by_hand"]) == ("failed", True)
    assert "another duban job is running" in jobs["alert"]["error"] or "正在运行" in jobs["alert"]["error"]
    assert jobs["summary_week"]["last_run"] is None
    assert [(r["job"], r["result"], r["by_hand"]) for r in data["runs"]] == \
        [("alert", "failed", True), ("remind", "ok", True), ("check", "ok", True)]

    shown = duban("status", folder).stdout
    assert re.search(r"检查\s+每 30 分钟\s+\S+ \S+\s+成功（手动）", shown), shown
    assert re.search(r"2026-11-23 09:30 每日提醒\s+成功（手动）", shown), shown
    assert re.search(r"2026-11-23 10:05 紧急提醒\s+失败（手动）.* — ", shown), shown
    # serve's catch-up reads only its own runs: a check by hand does not stand in for a scheduled one
    with Runs(folder / settings.state.path, ZoneInfo("Asia/Shanghai"), read_only=True) as runs:
        assert runs.last_settled("check") is None and runs.last("remind") == []


@pytest.mark.slow
def test_retry_with_nothing_waiting_says_only_that(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    assert cli("remind", str(folder)).returncode == 0
    again = cli("outbox", str(folder), "--retry")
    assert again.returncode == 0
    assert again.stdout.strip() == "队列中没有等待发送的邮件。" and "0 封" not in again.stdout
