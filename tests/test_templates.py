"""Templates, duban init and the demo data, checked on real files (and through LibreOffice)."""
from __future__ import annotations

import csv
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from openpyxl import load_workbook

import lo
from duban.jobs.init import init_folder
from duban.workbooks.make import demo
from duban.workbooks.make.guide import SHEET as GUIDE
from duban.workbooks.make.styles import FONT_NAME
from duban.workbooks.make.template import LAST_ROW, replacing, stamp_cell, write_workbook
from duban.workbooks.model import meta
from duban.workbooks.model.a1 import col_letters, col_number
from duban.workbooks.model.errors import UsageError
from duban.workbooks.model.flags import FLAGS, PALETTE, flags_for
from duban.workbooks.model.kinds import KINDS, PROGRESS_STEPS
from duban.workbooks.model.schema import SCHEMA_VERSION, ColumnType as T, Role

LANGS = ("zh", "en")
CASES = [(k, lang) for k in KINDS for lang in LANGS]
NAMES = ["张伟", "李娜", "王芳"]
DEPTS = ["市场部", "研发部"]
needs_lo = pytest.mark.skipif(not lo.available(), reason=lo.SKIP_REASON)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("templates")
    return {(k, lang): write_workbook(KINDS[k], out / lang / KINDS[k].filename(lang), lang, names=NAMES,
                                      departments=DEPTS)
            for k, lang in CASES}


def _letter(kind, key: str) -> str:
    return col_letters([c.key for c in kind.columns].index(key) + 1)


def _validation_at(ws, cell: str):
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{cell}: expected one validation, found {len(found)}"
    return found[0]


def _rgb(colour) -> str:
    return colour.rgb[-6:].upper()


# ---- templates -----------------------------------------------------------------------------
@pytest.mark.parametrize("key,lang", CASES)
@pytest.mark.slow
def test_main_sheet_header_table_and_freeze(templates, key, lang):
    kind = KINDS[key]
    wb = load_workbook(templates[key, lang])
    ws = wb.worksheets[0]
    assert wb.active.title == ws.title == kind.sheet(lang)
    assert [c.value for c in ws[1]] == [c.header(lang) for c in kind.columns] + [None, meta.NOT_YET[lang]]
    assert all(ws[f"{_letter(kind, c.key)}1"].font.b for c in kind.columns)
    (table,) = ws.tables.values()
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table.displayName)
    assert table.tableStyleInfo.name
    first, last = table.ref.split(":")
    assert first == "A1" and re.fullmatch(rf"{_letter(kind, kind.columns[-1].key)}\d+", last)
    assert int(re.sub(r"\D", "", last)) >= 6, "an empty template keeps a few blank table rows"


@pytest.mark.parametrize("key,lang", CASES)
def test_enum_and_percent_columns_have_dropdowns_in_language(templates, key, lang):
    kind = KINDS[key]
    ws = load_workbook(templates[key, lang]).worksheets[0]
    checked = 0
    for col in kind.columns:
        if col.type not in (T.ENUM, T.PERCENT):
            continue
        labels = col.choice_labels(lang) if col.type is T.ENUM else list(PROGRESS_STEPS)
        letter = _letter(kind, col.key)
        dv = _validation_at(ws, f"{letter}2")
        assert dv.type == "list"
        assert dv.formula1 == '"' + ",".join(labels) + '"'
        assert f"{letter}{LAST_ROW}" in dv.sqref
        checked += 1
    assert checked == sum(c.type in (T.ENUM, T.PERCENT) for c in kind.columns)


@pytest.mark.parametrize("key,lang", CASES)
def test_date_columns_have_format_and_date_validation(templates, key, lang):
    kind = KINDS[key]
    ws = load_workbook(templates[key, lang]).worksheets[0]
    formats = {T.DATE: "yyyy-mm-dd", T.DATETIME: "yyyy-mm-dd hh:mm"}
    for col in (c for c in kind.columns if c.type in formats):
        letter = _letter(kind, col.key)
        assert ws.column_dimensions[letter].number_format == formats[col.type]
        dv = _validation_at(ws, f"{letter}{LAST_ROW}")
        assert dv.type == "date" and dv.showErrorMessage
        assert ("日期" in dv.error) if lang == "zh" else ("date" in dv.error)


@pytest.mark.parametrize("key,lang", CASES)
def test_person_columns_list_the_names_sheet(templates, key, lang):
    kind = KINDS[key]
    ws = load_workbook(templates[key, lang]).worksheets[0]
    for col in (c for c in kind.columns if c.type in (T.PERSON, T.PEOPLE)):
        dv = _validation_at(ws, f"{_letter(kind, col.key)}2")
        assert dv.type == "list" and dv.formula1.lstrip("=").startswith(f"{meta.NAMES_SHEET}!")
        assert bool(dv.showErrorMessage) is (col.type is T.PERSON)


@pytest.mark.parametrize("key,lang", CASES)
def test_hidden_meta_and_names_sheets(templates, key, lang):
    wb = load_workbook(templates[key, lang])
    info = wb[meta.META_SHEET]
    assert info.sheet_state == "hidden"
    assert {r[0]: r[1] for r in info.iter_rows(values_only=True)} == {
        "kind": key, "schema_version": SCHEMA_VERSION, "lang": lang,
        "created_by": f"duban {meta.duban_version()}", "checked_cell": stamp_cell(KINDS[key])}
    names = wb[meta.NAMES_SHEET]
    assert names.sheet_state == "hidden"
    assert [r[0] for r in names.iter_rows(values_only=True)] == [meta.NAMES_HEADER[lang], *NAMES]
    assert [c.value for c in names["B"] if c.value] == [meta.DEPARTMENTS_HEADER[lang], *DEPTS]


@pytest.mark.parametrize("key,lang", CASES)
def test_guide_explains_columns_and_flags_in_language(templates, key, lang):
    kind = KINDS[key]
    wb = load_workbook(templates[key, lang])
    assert wb.sheetnames[1] == GUIDE[lang] and wb[GUIDE[lang]].sheet_state == "visible"
    ws = wb[GUIDE[lang]]
    column_a = {str(c.value).rstrip(" *"): c for c in ws["A"] if c.value}
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert kind.help(lang) in text
    for col in kind.columns:
        assert col.header(lang) in column_a
        assert col.help(lang) in text
    applicable = flags_for(kind)
    for flag in applicable:
        cell = column_a[flag.label(lang)]
        assert _rgb(cell.fill.bgColor) == PALETTE[flag.colour].fill
        assert flag.help(lang) in text
    for flag in FLAGS.values():
        if flag not in applicable:
            assert flag.help(lang) not in text, f"{key}: the guide lists {flag.code}, which never fires here"


@pytest.mark.parametrize("key,lang", CASES)
def test_job_owned_headers_are_grey_with_a_note(templates, key, lang):
    kind = KINDS[key]
    ws = load_workbook(templates[key, lang]).worksheets[0]
    fills = {}
    for col in kind.columns:
        cell = ws[f"{_letter(kind, col.key)}1"]
        fills.setdefault(col.job_owned, set()).add(_rgb(cell.fill.fgColor))
        assert (cell.comment is not None) is col.job_owned
    assert fills[True].isdisjoint(fills[False])


@pytest.mark.parametrize("key,lang", [(k, lang) for k, lang in CASES if KINDS[k].status_column])
def test_status_column_is_coloured_by_value_only_while_alerts_is_empty(templates, key, lang):
    """The live colours (done green, overdue red) never hide duban's paint: every conditional
    format on the status cell requires the row's Alerts cell to be empty."""
    kind = KINDS[key]
    ws = load_workbook(templates[key, lang]).worksheets[0]
    letter = _letter(kind, kind.status_column.key)
    alerts = _letter(kind, "alerts")
    rules = [r for cf in ws.conditional_formatting if f"{letter}2" in cf.sqref for r in cf.rules]
    coloured = [c for c in kind.status_column.choices if c.colour]
    assert len(rules) == len(coloured) + 1 > 1           # + past due and not done
    for rule in rules:
        assert rule.type == "expression"
        assert rule.formula[0].startswith(f'AND(${alerts}2="",'), rule.formula[0]
    overdue, *by_value = sorted(rules, key=lambda r: r.priority)
    due = _letter(kind, kind.by_role[Role.DUE].key)
    assert f"INT(${due}2)<TODAY()" in overdue.formula[0] and f"ISNUMBER(${due}2)" in overdue.formula[0]
    assert _rgb(overdue.dxf.fill.bgColor) == PALETTE["red"].fill
    for choice in kind.status_column.choices:         # a done row is never red
        assert (f'"{choice.label(lang)}"' in overdue.formula[0]) is choice.done
    for choice, rule in zip(coloured, by_value):
        assert f'${letter}2="{choice.label(lang)}"' in rule.formula[0]
        assert _rgb(rule.dxf.fill.bgColor) == PALETTE[choice.colour].fill
    assert _rgb(by_value[[c.key for c in coloured].index("done") if key != "incidents" else 1]
                .dxf.fill.bgColor) == PALETTE["green"].fill


@pytest.mark.parametrize("key,lang", CASES)
def test_headers_and_body_name_a_font_every_chinese_office_has(templates, key, lang):
    kind = KINDS[key]
    wb = load_workbook(templates[key, lang])
    ws = wb.worksheets[0]
    assert FONT_NAME == "微软雅黑"
    assert {ws.cell(1, i).font.name for i in range(1, len(kind.columns) + 1)} == {FONT_NAME}
    assert ws.cell(LAST_ROW, 2).font.name == FONT_NAME, "a cell staff type into later"
    assert wb._fonts[0].name == FONT_NAME, "the workbook's default font (Normal style)"
    guide = wb[GUIDE[lang]]
    assert {c.font.name for row in guide.iter_rows() for c in row if c.value} == {FONT_NAME}


@pytest.mark.parametrize("key,lang", CASES)
def test_print_setup_is_a4_landscape_fit_to_width_with_the_header_repeated(templates, key, lang):
    ws = load_workbook(templates[key, lang]).worksheets[0]
    setup = ws.page_setup
    assert (int(setup.paperSize), setup.orientation) == (9, "landscape")      # 9: A4
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"


FROZEN = {"tasks": "C2", "projects": "C2", "requests": "C2", "incidents": "F2", "meetings": "C2",
          "customers": "C2", "raci": "D2", "directory": "C2"}


@pytest.mark.parametrize("key,lang", CASES)
def test_header_id_and_name_columns_are_frozen(templates, key, lang):
    kind = KINDS[key]
    ws = load_workbook(templates[key, lang]).worksheets[0]
    assert ws.freeze_panes == FROZEN[key]
    frozen = [c.key for c in kind.columns[:col_number(FROZEN[key][0]) - 1]]
    assert frozen[0] == "id" and len(frozen) >= 2
    title = (kind.by_role.get(Role.TITLE) or kind.by_role[Role.NAME]).key
    assert title in frozen or key in ("projects", "meetings"), frozen   # those: the name is far right
    assert sum(c.width for c in kind.columns[:len(frozen)]) <= 80


@pytest.mark.parametrize("key,lang", CASES)
def test_department_columns_list_the_directorys_departments(templates, key, lang):
    kind = KINDS[key]
    ws = load_workbook(templates[key, lang]).worksheets[0]
    columns = [c for c in kind.columns if c.type is T.DEPARTMENT]
    for col in columns:
        dv = _validation_at(ws, f"{_letter(kind, col.key)}{LAST_ROW}")
        assert dv.type == "list" and dv.formula1.lstrip("=") == f"{meta.NAMES_SHEET}!$B$2:$B$1000"
        assert bool(dv.showErrorMessage) is (key != "directory"), "the directory may name a new department"
    expected = {"tasks": {"department", "help_from"}, "projects": {"lead"}, "requests": {"from_dept", "to_dept"},
                "incidents": {"department"}, "directory": {"department"}}
    assert {c.key for c in columns} == expected.get(key, set())


def test_rows_are_written_as_typed_values_with_labels(tmp_path):
    row = {"task": "报表", "owner": "张伟", "due": date(2026, 8, 10), "progress": 1.0, "status": "done"}
    for lang, label in (("zh", "已完成"), ("en", "Done")):
        path = write_workbook("tasks", tmp_path / f"{lang}.xlsx", lang, rows=[row])
        ws = load_workbook(path).worksheets[0]
        kind = KINDS["tasks"]
        assert ws[f"{_letter(kind, 'status')}2"].value == label
        due = ws[f"{_letter(kind, 'due')}2"]
        assert due.value == datetime(2026, 8, 10) and due.number_format == "yyyy-mm-dd"
        progress = ws[f"{_letter(kind, 'progress')}2"]
        assert progress.value == 1 and progress.number_format == "0%"
        last = _letter(kind, kind.columns[-1].key)
        assert ws.tables["duban_tasks"].ref == f"A1:{last}2", "the table covers exactly the data rows"


def test_write_is_atomic_and_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError):
        with replacing(path) as tmp:
            tmp.write_bytes(b"half")
            raise ZeroDivisionError("a failure half way through")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.xlsx"]


def test_written_file_is_readable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_workbook("raci", tmp_path / "r.xlsx")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


# ---- duban init ----------------------------------------------------------------------------
def test_init_writes_every_kind_and_config(tmp_path):
    folder = tmp_path / "new" / "folder"
    paths = init_folder(folder, lang="en")
    assert sorted(p.name for p in paths) == sorted([k.filename("en") for k in KINDS.values()] + ["duban.toml"]
                                                   + ["duban_console.xlsm", "duban_console.py"])   # the Excel console
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths), "no temp files left"
    assert re.search(r'^language = "en"', (folder / "duban.toml").read_text(encoding="utf-8"), re.M)
    names = load_workbook(folder / "Tasks.xlsx")[meta.NAMES_SHEET]
    assert [r[0] for r in names.iter_rows(values_only=True)] == ["Name"]


@pytest.mark.slow
def test_init_refuses_to_overwrite_then_force_does(tmp_path):
    init_folder(tmp_path)
    tasks = tmp_path / KINDS["tasks"].filename("zh")
    tasks.write_bytes(b"staff edits")
    with pytest.raises(UsageError) as err:
        init_folder(tmp_path, demo=True)
    message = str(err.value)
    assert "任务跟进表.xlsx" in message and "duban.toml" in message and "--force" in message
    assert tasks.read_bytes() == b"staff edits"
    init_folder(tmp_path, demo=True, force=True, today=date(2026, 8, 3))
    ws = load_workbook(tasks).worksheets[0]
    assert ws.max_row == 1 + len(demo.demo_rows(date(2026, 8, 3))["tasks"])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.slow
def test_init_demo_fills_rows_and_names(tmp_path, lang):
    today = date(2026, 8, 3)
    init_folder(tmp_path, lang=lang, demo=True, today=today)
    rows = demo.demo_rows(today, lang)
    for key, kind in KINDS.items():
        wb = load_workbook(tmp_path / kind.filename(lang))
        assert wb.worksheets[0].max_row == 1 + len(rows[key])
        names = [r[0] for r in wb[meta.NAMES_SHEET].iter_rows(min_row=2, values_only=True)]
        assert names == [r["name"] for r in rows["directory"]]


# ---- demo data -----------------------------------------------------------------------------
TODAYS = [date(2026, 8, 3), date(2026, 9, 30), date(2026, 10, 1), date(2026, 11, 27), date(2026, 12, 31)]


def _people(kind, row) -> list[str]:
    names = []
    for col in kind.columns:
        if col.type in (T.PERSON, T.PEOPLE) and row.get(col.key):
            names += [n for n in re.split(r"[、,，;；]\s*", row[col.key]) if n]
    return names


@pytest.mark.parametrize("lang", LANGS)
def test_demo_people_and_departments_are_in_the_directory(lang):
    rows = demo.demo_rows(date(2026, 8, 3), lang)
    directory = rows["directory"]
    known = {p["name"] for p in directory}
    depts = {p["department"] for p in directory}
    used = {n for key, kind in KINDS.items() for row in rows[key] for n in _people(kind, row)}
    assert used <= known, used - known
    assert {p["department"] for p in directory if p["name"] == demo.clerk(lang)} == \
        {demo.DEPARTMENTS["综合管理部"] if lang == "en" else "综合管理部"}
    for key, kind in KINDS.items():
        for row in rows[key]:
            for col in kind.columns:
                if col.type is T.DEPARTMENT and row.get(col.key):
                    assert row[col.key] in depts, (key, col.key, row[col.key])
    heads = [p["department"] for p in directory if p["dept_head"] == "yes"]
    assert sorted(heads) == sorted(depts) and len(depts) == 9
    assert any(p["language"] == "en" for p in directory)
    assert len({p["email"] for p in directory}) == len(directory)


def test_demo_has_no_data_problems_but_the_declared_ones():
    rows = demo.demo_rows(date(2026, 8, 3))
    declared = {(k, col) for k, _, col in demo.DEMO_PROBLEMS}
    assert 2 <= len(demo.DEMO_PROBLEMS) <= 3
    found = set()
    for key, kind in KINDS.items():
        for row in rows[key]:
            assert not row.get("id") and not row.get("alerts")
            for col in kind.columns:
                value = row.get(col.key)
                if col.required:
                    assert value not in (None, ""), (key, col.key)
                if col.type is T.ENUM and value:
                    col.choice(value)  # raises KeyError for a value outside the dropdown
                if col.type is T.PERSON and value:
                    assert not re.search(r"[、,，;；]", value)
                if col.type in (T.DATE, T.DATETIME) and isinstance(value, str):
                    found.add((key, col.key))
            if "progress" in row and row.get("status"):
                if (row["status"] == "done") != (row["progress"] == 1.0):
                    found.add((key, "status"))
    assert found == declared


def _days(d) -> date:
    return d.date() if isinstance(d, datetime) else d


def _working_days(start: date, end: date) -> int:
    """Working days in (start, end] on the China calendar (weekdays where it has no data)."""
    def workday(d: date) -> bool:
        try:
            return chinese_calendar.is_workday(d)
        except NotImplementedError:
            return d.weekday() < 5
    return sum(workday(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


@pytest.mark.parametrize("today", TODAYS)
def test_demo_rows_fire_every_rule(today):
    r = demo.demo_rows(today)
    done = {"done", "rejected", "resolved", "closed"}
    tasks = [t for t in r["tasks"] if isinstance(t["due"], date)]
    assert any(t["due"] < today and t["status"] not in done for t in tasks)                      # overdue
    assert any(0 < _working_days(today, t["due"]) <= 2 and t["status"] not in done for t in tasks)
    assert any((today - t["due"]).days >= 7 and t["status"] not in done for t in tasks)          # escalate
    assert any(t["status"] == "blocked" and t["priority"] == "high" for t in tasks)
    assert any(t["help_from"] and t["status"] not in done | {"blocked"} for t in tasks)
    assert any(t["last_update"] <= today - timedelta(days=8) and t["status"] not in done for t in tasks)
    assert any(t["status"] == "done" for t in tasks)
    req = r["requests"]
    assert any(q["acknowledged"] is None and _days(q["submitted"]) < today for q in req)
    assert any(q["acknowledged"] and q["first_plan"] is None
               and q["submitted"] <= datetime.combine(today, datetime.min.time()) - timedelta(hours=24) for q in req)
    inc = r["incidents"]
    assert any(i["responded"] is None and i["status"] == "awaiting" and i["occurred"].date() < today for i in inc)
    assert any(i["responded"] and i["report_filed"] is None
               and i["occurred"] <= datetime.combine(today, datetime.min.time()) - timedelta(hours=24) for i in inc)
    assert any(m["minutes_sent"] is None and m["held_at"].date() < today for m in r["meetings"])
    cust = r["customers"]
    assert any(c["tier"] == "strategic" and (today - c["last_contact"]).days >= 10 for c in cust)
    assert any(not c["tier"] and c["purchases"] >= 500 and (today - c["last_contact"]).days > 7 for c in cust)
    assert any(c["next_visit"] < today for c in cust)


def test_demo_dates_move_with_today():
    a, b = demo.demo_rows(date(2026, 8, 3)), demo.demo_rows(date(2026, 8, 31))
    moved = 0
    for key in KINDS:
        for row_a, row_b in zip(a[key], b[key]):
            for k, v in row_a.items():
                if isinstance(v, date):
                    shift = (_days(row_b[k]) - _days(v)).days
                    assert 20 <= shift <= 40, (key, k, v, row_b[k])
                    moved += 1
    assert moved > 50


def test_demo_raci_accountable_are_heads():
    rows = demo.demo_rows(date(2026, 8, 3))
    heads = {p["name"] for p in rows["directory"] if p["dept_head"] == "yes"}
    titles = {t["task"] for t in rows["tasks"]}
    assert rows["raci"] and all(x["accountable"] in heads and x["task"] in titles for x in rows["raci"])


@pytest.mark.parametrize("lang", LANGS)
def test_demo_through_check_fires_every_flag_and_only_the_declared_problems(tmp_path, lang):
    """Integration with the reader and rules (jobs.check): the demo shows every flag type."""
    from zoneinfo import ZoneInfo

    from duban.jobs.check import check_folder
    from duban.jobs.settings import config

    now = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    init_folder(tmp_path, lang=lang, demo=True, today=now.date())
    report = check_folder(tmp_path, config.load(tmp_path), now, dry_run=True)
    fired = {f.rule for w in report.workbooks for flags in w.flags.values() for f in flags}
    assert fired == set(FLAGS)
    problems = {(w.read.kind.key, p.code, p.column) for w in report.workbooks for p in w.read.problems}
    assert problems == set(demo.DEMO_PROBLEMS)


# ---- LibreOffice ---------------------------------------------------------------------------
@needs_lo
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.slow
def test_libreoffice_reads_every_header(templates, tmp_path, lang):
    paths = [templates[k, lang] for k in KINDS]
    for key, out in zip(KINDS, lo.convert_all(paths, lo.CSV_UTF8, tmp_path)):
        with out.open(encoding="utf-8", newline="") as f:
            first = next(csv.reader(f))
        assert first == [c.header(lang) for c in KINDS[key].columns] + ["", meta.NOT_YET[lang]]


@needs_lo
@pytest.mark.slow
def test_libreoffice_xlsx_round_trip_keeps_the_header(tmp_path):
    init_folder(tmp_path / "in", demo=True, today=date(2026, 8, 3))
    kind = KINDS["tasks"]
    out = lo.convert(tmp_path / "in" / kind.filename("zh"), lo.XLSX, tmp_path / "out")
    wb = load_workbook(out)
    assert wb.worksheets[0].title == kind.sheet("zh")
    assert [c.value for c in wb.worksheets[0][1]] == [c.header("zh") for c in kind.columns] + [None, meta.NOT_YET["zh"]]
    assert "date" in {dv.type for dv in wb.worksheets[0].data_validations.dataValidation}


def _html_rows(html: Path) -> list[list[tuple[str | None, str]]]:
    """The table rows of a LibreOffice HTML export: per cell (bgcolor or None, text)."""
    page = html.read_text(encoding="utf-8", errors="replace")
    rows = []
    for tr in re.findall(r"<tr.*?</tr>", page, re.S):
        cells = re.findall(r"<td([^>]*)>(.*?)</td>", tr, re.S)
        rows.append([((m.group(1).upper() if (m := re.search(r'bgcolor="#(\w{6})"', attrs)) else None),
                      re.sub(r"<[^>]+>", "", body).strip()) for attrs, body in cells])
    return rows


@needs_lo
@pytest.mark.slow
def test_libreoffice_shows_dubans_colour_on_a_checked_status_cell_not_the_templates(tmp_path):
    """What staff see after duban check: each status cell in the colour of its row's most severe
    flag. The 已完成 row with a data problem is purple, not the template's done-green."""
    from zoneinfo import ZoneInfo

    from duban.jobs.check import check_folder
    from duban.jobs.settings import config

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    init_folder(tmp_path / "demo", demo=True, today=now.date())
    report = check_folder(tmp_path / "demo", config.load(tmp_path / "demo"), now)
    checked = next(w for w in report.workbooks if w.read.kind.key == "tasks")
    assert checked.write == "written"
    kind = KINDS["tasks"]
    status_at = [c.key for c in kind.columns].index("status")
    shown = {row[0][1]: row[status_at] for row in _html_rows(
        lo.convert(tmp_path / "demo" / kind.filename("zh"), "html", tmp_path / "html"))
        if len(row) > status_at and re.fullmatch(r"T-\d+", row[0][1])}
    solid = {c.fill for c in PALETTE.values() if c.pattern == "solid"}
    problem_rows = 0
    for rec in checked.read.records:
        flags = checked.flags[rec.row]
        colour, label = shown[rec.id]
        if not flags:
            assert colour is None, (rec.id, label)
        elif PALETTE[flags[0].type.colour].pattern == "solid":
            assert colour == PALETTE[flags[0].type.colour].fill, (rec.id, label, flags[0].rule)
        else:                                   # hatched purple: LibreOffice shows a blend
            assert colour is not None and colour not in solid, (rec.id, label, colour)
        if flags and flags[0].rule == "data_problem" and label == "已完成":
            problem_rows += 1
            assert colour != PALETTE["green"].fill
    assert problem_rows == 1, "the demo's 已完成-at-50% row"


@needs_lo
@pytest.mark.slow
def test_libreoffice_colours_the_status_live_only_while_alerts_is_empty(tmp_path):
    today = date.today()
    rows = [
        {"task": "late", "owner": "张伟", "due": today - timedelta(days=10), "status": "in_progress"},
        {"task": "late, flagged", "owner": "张伟", "due": today - timedelta(days=10), "status": "in_progress",
         "alerts": "逾期10天"},
        {"task": "done", "owner": "张伟", "due": today - timedelta(days=10), "status": "done", "progress": 1.0},
        {"task": "done, flagged", "owner": "张伟", "due": today, "status": "done", "alerts": "数据问题"},
        {"task": "not yet", "owner": "张伟", "due": today + timedelta(days=10), "status": "in_progress"},
        {"task": "bad date", "owner": "张伟", "due": "11月31日", "status": "in_progress"},
        {"task": "no date", "owner": "张伟", "status": "in_progress"},
    ]
    book = write_workbook("tasks", tmp_path / "t.xlsx", "zh", rows=rows)
    kind = KINDS["tasks"]
    task_at, status_at = ([c.key for c in kind.columns].index(k) for k in ("task", "status"))
    shown = {row[task_at][1]: row[status_at][0] for row in _html_rows(lo.convert(book, "html", tmp_path / "html"))
             if len(row) > status_at}
    assert shown["late"] == PALETTE["red"].fill
    assert shown["done"] == PALETTE["green"].fill
    for quiet in ("late, flagged", "done, flagged", "not yet", "bad date", "no date"):
        assert shown[quiet] is None, quiet


@pytest.mark.slow
def test_check_refreshes_the_department_list_beside_the_names(tmp_path):
    from zoneinfo import ZoneInfo

    from duban.jobs.check import check_folder
    from duban.jobs.settings import config

    init_folder(tmp_path, demo=True, today=date(2026, 11, 23))
    tasks = tmp_path / KINDS["tasks"].filename("zh")
    lists = load_workbook(tasks)[meta.NAMES_SHEET]
    assert [c.value for c in lists["B"] if c.value][1:] == demo.directory_departments("zh")
    directory = tmp_path / KINDS["directory"].filename("zh")
    wb = load_workbook(directory)
    people = wb.worksheets[0]
    assert people["B2"].value == "张伟"
    people["C2"] = "法务部"                               # 张伟 moves to a new department
    wb.save(directory)
    check_folder(tmp_path, config.load(tmp_path), datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    lists = load_workbook(tasks)[meta.NAMES_SHEET]
    assert [c.value for c in lists["B"] if c.value][1:] == list(dict.fromkeys(c.value for c in people["C"][1:]))
    assert [c.value for c in lists["B"]][1:3] == ["法务部", "市场部"]
    assert lists["A1"].value == "姓名" and lists["B1"].value == "部门"
    assert [c.value for c in lists["A"]][1:] == demo.directory_names()


def test_a_rejected_request_is_not_grey_which_the_legend_keeps_for_not_updated(tmp_path):
    path = write_workbook("requests", tmp_path / "r.xlsx")
    rules = [rule for cf in load_workbook(path).worksheets[0].conditional_formatting for rule in cf.rules]
    colouring = [f for rule in rules for f in rule.formula if "已拒绝" in f]
    assert colouring and all("NOT(" in f for f in colouring)     # only as "not closed" in the overdue rule
    assert any('="已完成"' in f and "NOT(" not in f for rule in rules for f in rule.formula)
