"""The workbooks duban writes say the folder's configured thresholds and wear its configured colours."""
from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from books import NAMES, NOW, task
from duban.jobs.check import check_folder
from duban.jobs.settings import config
from duban.jobs.settings.site import Site
from duban.workbooks.make.guide import SHEET as GUIDE
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.flags import PALETTE
from duban.workbooks.model.kinds import KINDS

SETTINGS = """
[rules]
due_soon_working_days = 5
escalate_working_days = 4
ack_working_hours = 3
stale_weekday = "thursday"
stale_time = "16:30"
[rules.customer_cadence_days]
strategic = 10
[colours]
red = { fill = "FF0000", font = "FFFFFF" }
"""


def _site(folder: Path) -> Site:
    folder.mkdir(exist_ok=True)
    (folder / "duban.toml").write_text(SETTINGS, encoding="utf-8")
    return Site.open(folder)


def _guide_text(path: Path, lang: str) -> str:
    ws = load_workbook(path)[GUIDE[lang]]
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_guide_says_the_configured_thresholds(tmp_path, lang):
    site = _site(tmp_path)
    tasks = write_workbook("tasks", tmp_path / "tasks.xlsx", lang, thresholds=site.thresholds, palette=site.palette)
    text = _guide_text(tasks, lang)
    if lang == "zh":
        assert "5个工作日内到期" in text and "2个工作日内到期" not in text, text
        assert "逾期或阻塞已满4个工作日" in text and "每周四16:30" in text, text
    else:
        assert "Due within 5 working days." in text and "within 2 working days" not in text, text
        assert "Overdue or blocked for 4 working days" in text and "Thursday 16:30" in text, text
    requests = _guide_text(write_workbook("requests", tmp_path / "r.xlsx", lang, thresholds=site.thresholds), lang)
    assert ("3个工作小时内" if lang == "zh" else "within 3 working hours") in requests, requests
    customers = _guide_text(write_workbook("customers", tmp_path / "c.xlsx", lang, thresholds=site.thresholds), lang)
    assert ("战略10天" if lang == "zh" else "strategic 10 d") in customers, customers


def test_without_settings_the_guide_says_the_shipped_thresholds(tmp_path):
    text = _guide_text(write_workbook("tasks", tmp_path / "tasks.xlsx", "zh"), "zh")
    assert "2个工作日内到期" in text and "每周五17:00" in text and "{" not in text


def test_a_cells_prompt_says_the_configured_threshold(tmp_path):
    site = _site(tmp_path)
    path = write_workbook("requests", tmp_path / "r.xlsx", "en", thresholds=site.thresholds)
    prompts = [dv.prompt for dv in load_workbook(path).worksheets[0].data_validations.dataValidation if dv.prompt]
    assert any("due within 3 working hours" in p for p in prompts), prompts


def _colours(path: Path) -> set[str]:
    """Every RGB colour the file's styles name (cell styles and the conditional formats' dxfs)."""
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode("utf-8")
    return {rgb[-6:].upper() for rgb in re.findall(r'rgb="([0-9A-Fa-f]{6,8})"', styles)}


def test_a_configured_red_is_the_only_red_in_the_file(tmp_path):
    site = _site(tmp_path / "share")
    book = write_workbook("tasks", site.folder / KINDS["tasks"].filename("zh"), "zh", names=NAMES,
                          rows=[task("季度预算编制", due=date(2026, 11, 2)), task("年度总结", status="done")],
                          thresholds=site.thresholds, palette=site.palette)
    found = _colours(book)
    assert {"FF0000", "FFFFFF"} <= found
    assert not {PALETTE["red"].fill, PALETTE["red"].font} & found, found
    report = check_folder(site.folder, site.settings, NOW)          # duban paints the overdue row
    assert [wb.write for wb in report.workbooks] and report.workbooks[0].flags
    found = _colours(book)
    assert "FF0000" in found and not {PALETTE["red"].fill, PALETTE["red"].font} & found, found
    assert PALETTE["green"].fill in found        # the colours not configured stay as shipped


def test_duban_init_writes_the_workbooks_with_the_sites_colours_and_thresholds(tmp_path, monkeypatch):
    """init hands the Site's values to every workbook it writes (here: a shipped default changed)."""
    from duban.jobs import init

    real = config.default_text()
    monkeypatch.setattr(config, "default_text", lambda: real.replace("due_soon_working_days = 2 ",
                                                                     "due_soon_working_days = 6 "))
    created = init.init_folder(tmp_path / "share", "zh")
    tasks = next(p for p in created if p.name == KINDS["tasks"].filename("zh"))
    assert "6个工作日内到期" in _guide_text(tasks, "zh")
    assert config.load(tmp_path / "share").rules.due_soon_working_days == 6
