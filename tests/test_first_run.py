"""The mistakes a first user makes get a sentence saying what to do, not a quiet success or a traceback."""
from __future__ import annotations

import pytest

from books import cli, make_book, task


@pytest.mark.parametrize("command", ["check", "validate", "remind", "alert"])
@pytest.mark.slow
def test_a_folder_without_workbooks_is_an_error_that_says_run_init(tmp_path, command):
    (tmp_path / "duban.toml").write_text("", encoding="utf-8")
    result = cli(command, str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path} 中没有找到工作簿（.xlsx）；请先运行 duban init {tmp_path}" in result.stderr


@pytest.mark.slow
def test_a_file_instead_of_its_folder_names_the_folder(tmp_path):
    book = make_book(tmp_path, [task("写周报")])
    result = cli("check", str(book))
    assert result.returncode == 2
    assert f"是一个文件，不是文件夹。请给督办存放工作簿的文件夹，这里是 {tmp_path}。" in result.stderr
    assert f"give duban the folder that holds the workbooks, here {tmp_path}." in result.stderr


@pytest.mark.parametrize("command", ["remind", "alert"])
@pytest.mark.slow
def test_mail_without_duban_toml_says_so_and_how_to_write_one(tmp_path, command):
    make_book(tmp_path, [task("写周报")])
    result = cli(command, str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path} 中没有 duban.toml" in result.stderr
    assert f"duban init {tmp_path} --config-only" in result.stderr
    assert not (tmp_path / "outbox").exists()
    assert cli("init", str(tmp_path), "--config-only").returncode == 0
    assert (tmp_path / "duban.toml").exists() and sorted(p.name for p in tmp_path.glob("*.xlsx")) == ["任务跟进表.xlsx"]


@pytest.mark.slow
def test_ids_are_matched_whatever_their_case(tmp_path):
    make_book(tmp_path, [task("写周报")])
    assert cli("check", str(tmp_path), "--now", "2026-11-23T09:00").returncode == 0
    upper, lower = cli("explain", str(tmp_path), "T-000001"), cli("explain", str(tmp_path), " t-000001 ")
    assert lower.returncode == 0 and "T-000001  任务跟进表.xlsx" in lower.stdout
    assert lower.stdout.splitlines()[0] == upper.stdout.splitlines()[0]
    assert "T-000001" in cli("history", str(tmp_path), "t-000001").stdout


def test_help_names_each_command_in_chinese():
    listing = cli("--help").stdout
    for name in ("创建工作簿", "检查数据问题", "立即检查", "变更记录", "解释一行", "发送今日提醒", "紧急提醒", "邮件队列"):
        assert name in listing


@pytest.mark.slow
def test_history_of_an_unknown_id_says_so(tmp_path):
    make_book(tmp_path, [task("写周报")])
    assert cli("check", str(tmp_path), "--now", "2026-11-23T09:00").returncode == 0
    result = cli("history", str(tmp_path), "x-999999")
    assert result.returncode == 1
    assert "变更日志中没有编号为 X-999999 的行" in result.stderr and result.stdout == ""
