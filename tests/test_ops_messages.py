"""What the terminal says about settings, mail and runs, in the company's language (issue 17 #11):
a missing SMTP password, `outbox --retry`, `--status waiting`, held mail, SSL spoken to a plain
server, and jobs run by hand in `duban status`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def duban(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    """`duban ARGS` as a real process, wide enough that rich never folds a sentence."""
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", **(env or {})}
    return subprocess.run([sys.executable, "-c", "from jobs.cli import main; main()", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)


def _smtp_without_password(folder: Path, lang: str | None) -> None:
    company = f'[company]\nlanguage = "{lang}"\n' if lang else ""
    (folder / "duban.toml").write_text(company + '[mail]\ntransport = "smtp"\nclerks = ["王芳"]\n[mail.smtp]\n'
                                       'host = "127.0.0.1"\nport = 2525\nuser = "alice"\n', encoding="utf-8")


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
