"""Issue 17 §1, §4, §9 and parts of §11, "what people read is true": links that open the file,
escalations that say why the reader got them, subjects that count what the body lists.

The mails are the real .eml files the outbox transport writes, read back with the email package;
`duban remind` runs as a real process where the folder argument matters."""
from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from books import task
from test_mail_content import MORNING, config, html_of, mail_to, make_folder, mails
from test_mail_content import text_of as _text_of

TOML = '[mail]\nclerks = ["王芳"]\nhold_outside_office_hours = false\n'


def _remind_from_parent(folder: Path, toml: str) -> subprocess.CompletedProcess:
    """`duban remind NAME` run in the folder's parent, NAME relative, as the README's `duban remind demo`."""
    (folder / "duban.toml").write_text(toml, encoding="utf-8")
    return subprocess.run([sys.executable, "-c", "from jobs.cli import main; main()", "remind", folder.name,
                           "--now", MORNING.isoformat()], cwd=folder.parent, capture_output=True, text=True,
                          timeout=120)


def text_of(message) -> str:
    return _text_of(message).replace("\r\n", "\n")


def _problems_report(folder: Path) -> email.message.EmailMessage:
    return mail_to(folder, "王芳", "数据问题报告")


# ---- §1 a relative folder argument --------------------------------------------------------------------
def test_a_relative_folder_argument_names_each_workbook_once_in_the_problems_report(tmp_path):
    folder = make_folder(tmp_path / "demo")
    done = _remind_from_parent(folder, TOML)
    assert done.returncode == 0, done.stderr
    report = _problems_report(folder)
    text, html = text_of(report), html_of(report)
    book = folder.absolute() / "任务跟进表.xlsx"
    assert f"文件：{book}\n" in text and f'<a href="{book.as_uri()}"' in html
    assert "demo/demo" not in text + html
    # the digests (which were right) and the report name the same file
    digest = text_of(mail_to(folder, "张伟", "您有"))
    assert f"文件：{book}，" in digest


def test_a_relative_folder_argument_under_a_unc_share_root(tmp_path):
    folder = make_folder(tmp_path / "综合管理部")
    done = _remind_from_parent(folder, TOML.replace("[mail]\n", "[mail]\nshare_path = '\\\\fileserver\\综合管理部'\n"))
    assert done.returncode == 0, done.stderr
    text = text_of(_problems_report(folder))
    assert "文件：\\\\fileserver\\综合管理部\\任务跟进表.xlsx\n" in text
    assert "综合管理部\\综合管理部" not in text
    url = "file://fileserver/%E7%BB%BC%E5%90%88%E7%AE%A1%E7%90%86%E9%83%A8/" \
          "%E4%BB%BB%E5%8A%A1%E8%B7%9F%E8%BF%9B%E8%A1%A8.xlsx"
    assert f'<a href="{url}"' in html_of(_problems_report(folder))
