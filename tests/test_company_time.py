"""Times shown to people are the company's, whatever the machine's own zone is."""
from __future__ import annotations

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from books import NOW, check, make_book, task

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def machine_in_new_york():
    """The machine's own zone set far from the company's (as on a server kept in UTC or abroad)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_backup_names_carry_the_company_time(tmp_path, machine_in_new_york):
    make_book(tmp_path, [task("写周报")])
    before = datetime.now(SHANGHAI)
    assert check(tmp_path, NOW).write == "written"          # the template's version goes to the backups
    after = datetime.now(SHANGHAI)
    [backup] = (tmp_path / ".duban" / "backups").glob("任务跟进表.*.xlsx")
    stamp = datetime.strptime(backup.name.split(".")[1][:15], "%Y%m%d-%H%M%S").replace(tzinfo=SHANGHAI)
    assert before.replace(microsecond=0) <= stamp <= after
