"""Printing what duban writes: long text wraps, rows grow to show it, the check time is on the page,
and the Alerts cell says each fact once. Checked on real files and through LibreOffice's PDF export."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

import lo
from books import NOW, check, cli, settings, sheet_xml
from duban.jobs.check import alerts_text, check_folder
from duban.jobs.rules.base import Flag
from duban.workbooks.make.template import stamp_cell, write_workbook
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.schema import Role

needs_lo = pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")


def _letter(kind, key: str) -> str:
    return col_letters([c.key for c in kind.columns].index(key) + 1)


# ---- the templates ---------------------------------------------------------------------------
@pytest.mark.parametrize("key", [k for k in KINDS if KINDS[k].by_role.get(Role.ALERTS)])
def test_the_alerts_and_long_text_columns_wrap_in_every_template(tmp_path, key):
    kind = KINDS[key]
    ws = load_workbook(write_workbook(kind, tmp_path / "b.xlsx")).worksheets[0]
    wrapped = {c.key for c in kind.columns if ws.column_dimensions[_letter(kind, c.key)].alignment.wrap_text}
    assert "alerts" in wrapped
    words = {c.key for c in kind.columns if c.type.value in ("text", "person", "people", "department")
             and c.key != "email"}
    assert words <= wrapped, words - wrapped
    assert not wrapped & {"id", "due", "status", "priority", "progress", "email"}   # these stay one line


@pytest.mark.slow
def test_the_demo_rows_wrap_and_are_as_tall_as_their_text(tmp_path):
    assert cli("init", str(tmp_path / "demo"), "--demo").returncode == 0
    path = tmp_path / "demo" / KINDS["tasks"].filename("zh")
    ws = load_workbook(path).worksheets[0]
    note = _letter(KINDS["tasks"], "note")
    long_rows = [r for r in range(2, ws.max_row + 1) if len(str(ws[f"{note}{r}"].value or "")) > 16]
    assert long_rows
    for r in long_rows:
        assert ws[f"{note}{r}"].alignment.wrap_text
        assert (ws.row_dimensions[r].height or 15) >= 30, r      # two lines of a 30-wide column
        tag = re.search(rb'<row r="%d"[^>]*>' % r, sheet_xml(path)).group(0)
        assert b"customHeight" not in tag, tag                  # Excel refits it when the row is edited


def test_the_print_area_takes_in_the_last_checked_note(tmp_path):
    for key, kind in KINDS.items():
        sheet = load_workbook(write_workbook(kind, tmp_path / f"{key}.xlsx")).worksheets[0]
        column = stamp_cell(kind).rstrip("1")
        assert sheet.print_area == f"'{sheet.title}'!$A$1:${column}$1048576", key
        assert sheet[stamp_cell(kind)].alignment.wrap_text                  # narrow, so it wraps


# ---- the Alerts cell -------------------------------------------------------------------------
def test_an_escalation_is_said_inside_the_fact_it_escalates():
    flags = [Flag("escalated", "逾期已满3个工作日，已升级", "overdue for 3 working days: escalated"),
             Flag("overdue", "逾期6天", "6 days overdue"),
             Flag("stale", "11-20 17:00前未更新进度", "no update by 11-20 17:00")]
    assert alerts_text(flags, "zh") == "逾期6天（已满3个工作日，已升级）；11-20 17:00前未更新进度"
    assert alerts_text(flags, "en") == "6 days overdue (for 3 working days: escalated); no update by 11-20 17:00"
    blocked = [Flag("escalated", "阻塞已满3个工作日，已升级", "blocked for 3 working days: escalated"),
               Flag("blocked", "阻塞，需财务部协助", "blocked, needs help from Finance")]
    assert alerts_text(blocked, "zh") == "阻塞，需财务部协助（已满3个工作日，已升级）"
    assert alerts_text(flags[1:], "zh") == "逾期6天；11-20 17:00前未更新进度"     # nothing to merge


def test_a_long_overdue_row_says_overdue_once_in_the_workbook(tmp_path):
    book = write_workbook("tasks", tmp_path / "任务跟进表.xlsx", rows=[
        {"task": "季度预算编制", "owner": "张伟", "due": date(2026, 11, 10), "status": "in_progress",
         "last_update": date(2026, 11, 22)}], names=["张伟"])
    check(tmp_path)
    text = load_workbook(book).worksheets[0][f"{_letter(KINDS['tasks'], 'alerts')}2"].value
    assert text.startswith("逾期13天（已满3个工作日，") and text.count("逾期") == 1, text


# ---- a hand-made workbook --------------------------------------------------------------------
def test_a_hand_made_workbooks_alerts_cell_wraps_and_its_row_grows(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["任务名称", "负责人", "截止日期", "状态", "系统提示"])
    ws.append(["季度预算编制", "张伟", date(2026, 11, 10), "进行中", None])
    ws.column_dimensions["E"].width = 20
    path = tmp_path / "我的任务.xlsx"
    wb.save(path)
    [result] = check_folder(tmp_path, settings(), NOW).workbooks
    assert result.write == "written", result.why
    ws = load_workbook(path).worksheets[0]
    text = ws["E2"].value
    assert len(text) > 30, text                   # several lines in a column 20 wide
    assert ws["E2"].alignment.wrap_text and ws["E2"].alignment.vertical == "top"
    assert ws.row_dimensions[2].height >= 3 * 14
    assert not ws["A2"].alignment.wrap_text        # the user's own cells keep their format


# ---- on paper --------------------------------------------------------------------------------
def _words(pdf: Path) -> list[tuple[float, float, float, str]]:
    """Every word pdftotext finds on page 1: (xMin, yMin, xMax, text)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(float(x0), float(y0), float(x1), unescape(word)) for x0, y0, x1, word in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', html)]


def _read(words) -> str:
    """The words as read: line by line (words within 3 points of a line's top are on it), left to right."""
    lines: list[list] = []
    for word in sorted(words, key=lambda w: w[1]):
        if lines and word[1] - lines[-1][0][1] < 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return "".join(w[3] for line in lines for w in sorted(line))


@needs_lo
@needs_poppler
@pytest.mark.parametrize("lang", ("zh", "en"))
@pytest.mark.slow
def test_libreoffice_prints_every_alert_whole_and_when_it_was_checked(tmp_path, lang):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo", "--lang", lang).returncode == 0
    assert cli("check", str(folder)).returncode == 0
    kind = KINDS["tasks"]
    path = folder / kind.filename(lang)
    ws = load_workbook(path).worksheets[0]
    letter = _letter(kind, "alerts")
    alerts = [v for r in range(2, ws.max_row + 1) if (v := ws[f"{letter}{r}"].value)]
    stamp = ws[stamp_cell(kind)].value
    assert any(len(a) > 40 for a in alerts) and stamp.startswith(("督办检查于", "Checked by duban"))

    [pdf] = lo.convert_all([path], "pdf", tmp_path / "pdf")
    words = _words(pdf)
    [header] = [w for w in words if w[3] == kind.column("alerts").header(lang)]
    note_start = max((w for w in words if w[3] == stamp.split()[0]), key=lambda w: w[0])   # right of the table
    printed = _read(w for w in words if header[0] - 40 <= w[0] < note_start[0])     # the Alerts column
    for alert in alerts:
        assert alert.replace(" ", "") in printed, alert
    assert stamp.replace(" ", "") in _read(w for w in words if w[0] >= note_start[0])


def test_a_row_grows_for_a_long_alert_but_never_shrinks_nor_overrides_a_height_set_by_hand():
    from duban.workbooks.xlsx.cellxml import CellEdit
    from duban.workbooks.xlsx.sheetxml import patch_sheet

    long = "逾期6天（已满3个工作日，已升级）；12-04 17:00前未更新进度（上次2026-11-21）"
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<cols><col min="2" max="2" width="30" customWidth="1"/></cols><sheetData>'
             b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
             b'<row r="3" ht="15" customHeight="1"><c r="A3" t="inlineStr"><is><t>x</t></is></c></row>'
             b'<row r="4" ht="90"><c r="A4" t="inlineStr"><is><t>x</t></is></c></row>'
             b'<row r="5"><c r="A5" t="inlineStr"><is><t>x</t></is></c></row>'
             b'</sheetData></worksheet>')
    edits = {r: {f"B{r}": CellEdit(long, grow=True)} for r in (2, 3, 4)}
    edits[5] = {"B5": CellEdit("逾期6天", grow=True)}
    out = patch_sheet(sheet, edits)
    rows = dict(re.findall(rb'<row r="(\d)"([^>]*)>', out))
    assert re.fullmatch(rb' ht="(\d+)"', rows[b"2"]) and int(rows[b"2"][5:-1]) >= 3 * 14   # three lines in 30
    assert rows[b"3"] == b' ht="15" customHeight="1"'        # set by hand: left alone
    assert rows[b"4"] == b' ht="90"'                          # already taller: never lowered
    assert rows[b"5"] == b""                                  # one line: no height written


def test_the_printed_sheet_ends_with_the_last_checked_note(tmp_path):
    path = write_workbook("tasks", tmp_path / "t.xlsx")
    sheet = load_workbook(path).worksheets[0]
    assert sheet.print_area == f"'{sheet.title}'!$A$1:$R$1048576"       # the "last checked" note in R1 (issue 17)


@needs_lo
@needs_poppler
@pytest.mark.slow
def test_libreoffice_prints_the_table_with_the_note_beside_it(tmp_path):
    path = write_workbook("tasks", tmp_path / "t.xlsx")
    [pdf] = lo.convert_all([path], "pdf", tmp_path / "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "任务名称" in text and "系统提示" in text
    assert "督办尚未检查此工作簿" in text        # a printed page says when duban last looked (issue 17)
