"""What a clerk reads on the terminal follows company.language (issue 16 review): the lock-wait
and "serve already running" refusals, serve's usage errors, warnings (注意：, not "warning:"), a
refused mail login, all in Chinese in a Chinese company, with times in the company's zone; every
command duban advises is complete (the folder included) and is accepted when run as printed; a
group refusal advises only what would change something.

Real `duban` processes, a real record lock, a real serve lock, the scripted SMTP server."""
from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def duban(*args, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """`duban ARGS` as a real process, wide enough that rich never folds a sentence."""
    env = {**os.environ, "COLUMNS": "2000", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", **(env or {})}
    return subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=timeout)


def folder_with(tmp_path: Path, toml: str = "") -> Path:
    from test_mail import make_folder

    folder = make_folder(tmp_path / "综合管理部")
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\n' + toml, encoding="utf-8")
    return folder


def advised(text: str, command: str) -> list[str]:
    """The `duban COMMAND FOLDER …` a sentence advises, as argv: up to the Chinese or English full
    stop, a bracket, or the words going on after it (the folder itself may be Chinese)."""
    found = re.search(rf"duban {command} (.+?)(?:[。，；（）)]|[.:](?:\s|$)|$)", text, re.MULTILINE)
    assert found, text
    folder, *rest = shlex.split(found[1])
    words = []
    for word in rest:
        if re.search(r"[\u4e00-\u9fff]", word) or not re.match(r"-|.*\d", word):    # words go on, not options
            break
        words.append(word)
    return [command, folder, *words]


# ---- 1. the run lock, serve's lock and serve's usage errors, in Chinese, in company time --------------
@pytest.mark.slow
def test_a_job_that_waits_for_the_lock_says_so_in_chinese_at_company_time(tmp_path):
    folder = folder_with(tmp_path, "[state]\nlock_wait_seconds = 1\n")
    lock = folder / ".duban" / "check.lock"
    lock.parent.mkdir()
    with open(lock, "w") as held:       # another process's POSIX record lock, as Samba takes for a Windows PC
        fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        held.write("pid=4242 host=fileserver job=remind started=2026-11-23T01:00:03+00:00\n")
        held.flush()
        done = duban("check", folder)
    assert done.returncode == 1, done.stderr
    assert (f"duban: {folder} 上另一个督办任务正在运行：duban remind（进程 4242，主机 fileserver，开始于 "
            f"2026-11-23 09:00:03）；已等了 1 秒仍未结束") in done.stderr, done.stderr    # 01:00 UTC is 09:00 in Shanghai
    assert "another duban job" not in done.stderr and "+00:00" not in done.stderr
    assert done.stderr.startswith(f"{folder} 上另一个督办任务正在运行：duban remind（进程 4242，主机 fileserver，开始于 "
                                  f"2026-11-23 09:00:03），等它结束后再开始（最多等 1 秒）……\n"), done.stderr


def test_a_second_serve_is_refused_in_chinese_at_company_time(tmp_path):
    from duban.jobs.serve.lock import ServeLock

    folder = folder_with(tmp_path)
    lock = ServeLock(folder, folder / ".duban", timedelta(minutes=3), SHANGHAI)
    lock.started = datetime(2026, 11, 23, 1, 0, 3, tzinfo=timezone.utc)
    assert lock.acquire() is None                   # a live serve of this process, heartbeat fresh
    try:
        done = duban("serve", folder, timeout=60)
    finally:
        lock.release()
    assert done.returncode == 1, done.stderr
    assert f"duban: {folder} 的督办后台服务（duban serve）已经在运行：主机“" in done.stderr, done.stderr
    assert "自 2026-11-23 09:00:03 起运行" in done.stderr and "already running" not in done.stderr
    assert advised(done.stderr, "status") == ["status", str(folder)]


@pytest.mark.slow
def test_serve_usage_errors_are_chinese_and_the_example_they_give_runs(tmp_path):
    folder = folder_with(tmp_path)
    done = duban("serve", folder, "--dry-run")
    assert done.returncode == 2 and "--dry-run 用于预演模拟运行，请同时给出 --from 和 --until，例如 duban serve" \
        in done.stderr, done.stderr
    assert "needs" not in done.stderr and "give --from" not in done.stderr
    example = advised(done.stderr, "serve")
    assert example[1] == str(folder) and "--from" in example and "--until" in example and "--dry-run" in example
    assert duban(*example).returncode == 0                                  # the example, as printed, runs
    done = duban("serve", folder, "--from", "2026-11-23T09:00")
    assert done.returncode == 2 and "请同时给出 --from 和 --until" in done.stderr, done.stderr
    done = duban("serve", folder, "--from", "2026-11-23T09:00", "--until", "2026-11-22T09:00")
    assert done.returncode == 2 and "--until 2026-11-22T09:00 必须晚于 --from 2026-11-23T09:00" in done.stderr


# ---- 2. a warning in a Chinese company starts with 注意： --------------------------------------------
@pytest.mark.parametrize("job", ["check", "remind"])
@pytest.mark.slow
def test_a_warning_starts_with_the_chinese_prefix(tmp_path, job):
    folder = folder_with(tmp_path)
    assert duban("check", folder, "--now", "2026-11-24T09:05").returncode == 0
    shutil.rmtree(folder / ".duban")            # a lost state over workbooks that carry IDs: a warning
    done = duban(job, folder, "--now", "2026-11-24T10:05")
    assert done.returncode == 0, done.stderr
    assert f"注意：状态文件 {folder / '.duban' / 'state.db'} 是新建的" in done.stderr, done.stderr
    assert "warning:" not in done.stderr
    shutil.rmtree(folder / ".duban")
    (folder / "duban.toml").write_text('[company]\nlanguage = "en"\n[mail]\nclerks = ["王芳"]\n', encoding="utf-8")
    done = duban(job, folder, "--now", "2026-11-24T11:05")
    assert "\nwarning: " in "\n" + done.stderr and "注意" not in done.stderr, done.stderr


# ---- 3 and 4. a refused login: all Chinese, and the command it advises runs ---------------------------
@pytest.mark.slow
def test_a_refused_login_is_told_in_chinese_with_a_command_that_runs(tmp_path, smtp_server):
    smtp_server.handler.refuse_login = True
    folder = folder_with(tmp_path, f'transport = "smtp"\n[mail.smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
                                   f'security = "none"\nuser = "alice"\ntimeout = 5\n')
    env = {"DUBAN_SMTP_PASSWORD": "wrong"}
    done = duban("remind", folder, "--now", "2026-11-24T09:05", env=env)
    assert done.returncode == 1, done.stderr
    said = done.stderr
    assert f"127.0.0.1:{smtp_server.port} 拒绝了 'alice' 的登录（535" in said, said
    assert "请修改 duban.toml 中的 [mail.smtp] user，以及环境变量 DUBAN_SMTP_PASSWORD 中（或密钥环中）的密码" in said
    assert "refused the login" not in said and "password in the environment" not in said
    command = advised(said, "outbox")
    assert command == ["outbox", str(folder), "--retry"], said
    shown = duban("status", folder).stdout
    assert "拒绝了 'alice' 的登录" in shown and f"然后运行 duban outbox {folder} --retry。" in shown, shown
    smtp_server.handler.refuse_login = False                 # the password fixed: the advice, as printed, sends
    done = duban(*command, "--now", "2026-11-24T09:10", env={"DUBAN_SMTP_PASSWORD": "right"})
    assert done.returncode == 0, done.stderr
    assert smtp_server.received


# ---- 4. every command a sentence advises names the folder and is accepted -----------------------------
@pytest.mark.slow
def test_the_mail_problems_in_the_clerks_report_advise_a_command_that_runs(tmp_path):
    from duban.workbooks.model.problems import Problem
    from duban.workbooks.share.commandline import folder_arg

    folder = folder_with(tmp_path / "共享 盘")                # a folder with a space: quoted, still one argument
    for code in ("mail-given-up", "mail-refused", "mail-set-aside"):
        problem = Problem(code, "outbox", value="张伟", params={"subject": "提醒", "days": 3, "error": "550",
                                                                "folder": folder_arg(folder)})
        for lang in ("zh", "en"):
            command = advised(problem.text(lang), "outbox")
            assert command[1] == str(folder), problem.text(lang)
            done = duban(*command)
            assert done.returncode == 0, (problem.text(lang), done.stderr)


@pytest.mark.slow
def test_explain_of_an_unknown_id_advises_a_check_that_runs(tmp_path):
    folder = folder_with(tmp_path)
    done = duban("explain", folder, "T-999999")
    assert done.returncode == 1 and "运行 duban check" in done.stderr, done.stderr
    command = advised(done.stderr, "check")
    assert command == ["check", str(folder)]
    assert duban(*command, "--now", "2026-11-24T09:05").returncode == 0


# ---- 5. a group refusal when duban already runs as the owner ------------------------------------------
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="giving a file to another user and running as it needs root and setpriv")
@pytest.mark.slow
def test_a_group_refusal_does_not_advise_running_as_the_user_it_runs_as():
    from books import BOOK, make_book, task

    base = Path(tempfile.mkdtemp(prefix="duban-group-", dir="/tmp"))
    try:
        os.chmod(base, 0o777)
        folder = base / "共享"
        folder.mkdir(mode=0o777)
        os.chmod(folder, 0o777)
        path = make_book(folder, [task("对账", status="blocked")])
        os.chown(path, 65534, 100)                  # nobody:users, and nobody is not in users
        os.chmod(path, 0o664)
        env = {**os.environ, "HOME": str(base), "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "2000", "NO_COLOR": "1"}
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                               "from duban.jobs.cli import main; main()", "check", str(folder)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stderr
        said = done.stderr
        assert f"工作簿未写入（已拒绝）：{BOOK} — 督办以用户 nobody (65534) 运行，无法让新文件保持原来的组 users (100)" in said
        assert "请把运行督办的用户 nobody (65534) 加入组 users (100)，或以 root 的身份运行督办服务" in said, said
        assert "以文件所有者" not in said and "as the file's owner" not in said, said
    finally:
        shutil.rmtree(base)


@pytest.mark.slow
def test_a_folder_with_a_space_is_quoted_in_the_advice_and_the_advice_runs(tmp_path):
    from test_mail import make_folder

    folder = make_folder(tmp_path / "综合 管理部")               # workbooks, but no duban.toml yet
    done = duban("remind", folder)
    assert done.returncode == 2 and f'请运行 duban init "{folder}" --config-only' in done.stderr, done.stderr
    command = advised(done.stderr, "init")
    assert command == ["init", str(folder), "--config-only"]
    assert duban(*command).returncode == 0 and (folder / "duban.toml").exists()
    done = duban("init", tmp_path / "新 文件夹")
    assert done.returncode == 0, done.stderr
    command = advised(done.stdout, "validate")
    assert command == ["validate", str(tmp_path / "新 文件夹")], done.stdout
    assert duban(*command).returncode == 0


@pytest.mark.slow
def test_status_gives_a_skipped_writes_reason_in_the_company_language(tmp_path):
    folder = tmp_path / "demo"
    assert duban("init", folder, "--demo").returncode == 0
    (folder / "~$任务跟进表.xlsx").write_bytes(b"x")           # Excel's owner file: the write is skipped
    done = duban("serve", folder, "--from", "2026-12-07T09:00", "--until", "2026-12-07T09:40")
    assert done.returncode == 0, done.stderr
    shown = duban("status", folder).stdout
    assert "  任务跟进表.xlsx：自 2026-12-07 09:00 起（正被他人用 Excel/WPS 打开（锁文件中没有写明是谁），本次未写入" in shown, shown
    assert "open in" not in shown
    data = json.loads(duban("status", folder, "--json").stdout)
    assert data["skipped"][0]["reason"].startswith("open in Excel/WPS by someone the lock file does not name")


def test_serves_mail_about_set_aside_mail_advises_a_command_that_runs(tmp_path):
    from duban.jobs.serve.selfalert import set_aside
    from duban.mailer.queue import MailQueue
    from test_mail_delivery import digest, enqueue

    folder = folder_with(tmp_path / "共享 盘")
    queue = MailQueue(folder / ".duban" / "state.db")
    enqueue(queue, digest("k"))
    queue.db.execute("UPDATE mail_queue SET status='set_aside', last_error='no answer after DATA'")
    queue.db.commit()
    problem = set_aside(queue, folder)
    queue.close()
    for text in (problem.zh, problem.en):
        command = advised(text, "outbox")
        assert command == ["outbox", str(folder), "--retry", "--failed"], text
    done = duban(*command, "--now", "2026-11-24T09:05")
    assert done.returncode == 0, done.stderr
    assert len(list((folder / "outbox").glob("*.eml"))) == 1          # sent once more, as the advice says
