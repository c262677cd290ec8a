"""Review of issue 17 (point 9): the minutes clock runs from the meeting's start (会议时间; the workbook
has no end time), so the Alerts cell and `explain` say so, as the digest does ("会议开始后已过…")."""
from __future__ import annotations

import openpyxl
import pytest

from test_cli import duban


@pytest.mark.slow
def test_the_alerts_cell_and_explain_say_from_the_meetings_start(tmp_path):
    folder = tmp_path / "demo"
    assert duban("init", folder, "--demo").returncode == 0
    assert duban("check", folder, "--now", "2026-12-07T10:00").returncode == 0
    sheet = openpyxl.load_workbook(folder / "会议纪要行动项.xlsx").worksheets[0]
    alerts = [c.value for c in sheet[1]].index("系统提示") + 1
    assert sheet.cell(2, alerts).value == "会议开始后超2小时未发出纪要"       # M-000001, held 12-04 14:00
    out = duban("explain", folder, "M-000001", "--now", "2026-12-07T10:00").stdout
    assert "会议开始后超2小时未发出纪要（期限 2026-12-04 16:00）" in out and "会后" not in out, out


@pytest.mark.slow
def test_in_english(tmp_path):
    folder = tmp_path / "en"
    assert duban("init", folder, "--demo", "--lang", "en").returncode == 0
    assert duban("check", folder, "--now", "2026-12-07T10:00").returncode == 0
    out = duban("explain", folder, "M-000001", "--now", "2026-12-07T10:00").stdout
    assert "minutes not sent 2 hours after the meeting started (deadline 2026-12-04 16:00)" in out, out
