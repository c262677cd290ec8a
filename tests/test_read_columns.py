"""The reader's column-at-a-time conversion (issue 22) against the plain one: every cell through its
column's converter, one by one. Same values, same types, same cell problems, on a workbook of
every kind of cell a person types (text columns all text, with blanks and error words, and mixed)."""
import random
from datetime import date, datetime, time

import openpyxl
import pytest
import python_calamine as calamine

from duban.workbooks.model.kinds import KINDS
from duban.workbooks.read.parse import Issue, converter
from duban.workbooks.read.reader import read_workbook

TODAY = date(2026, 11, 23)
CELLS = [None, "", "  ", "\u3000", "#N/A", " #REF! ", "张伟", " 王芳 ", "张伟、王芳", "进行中", "已完成", "Done", "阻塞",
         "高", "high", 0.5, 1, 75, "75%", "1.5", 120, True, 3.0, 45000, date(2026, 11, 3), datetime(2026, 11, 3, 14, 30),
         time(9, 0), "2026-11-31", "11月3日", "12月3日14:00", "十二月三日", "Dec 3", "20261103", "1900-01-01",
         "13800138000", "+86 138 0013 8000", "a@b.c", "市场部", " 任务 ", "任务\n二", "T-000123", 1e20]
TEXTS = [c for c in CELLS if isinstance(c, str)]


def _book(path, kind, rows, seed, pick):
    rng = random.Random(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind.sheet_zh
    sheet.append([c.zh for c in kind.columns])
    for _ in range(rows):
        sheet.append([pick(rng) if rng.random() < 0.4 else f" 值{rng.randrange(rows)} " for _column in kind.columns])
    book.save(path)
    return path


def _plain(path, read):
    """Records and cell problems as converting each cell alone gives them."""
    book = calamine.CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(read.sheet).to_python(skip_empty_area=False)
    converters = {key: converter(read.kind.column(key), TODAY) for key in read.columns}
    records, problems = [], set()
    for rec in read.records:
        raw = rows[rec.row - 1]
        expected = {"_row": rec.row}
        for key, j in read.columns.items():
            value = converters[key](raw[j])
            if isinstance(value, Issue):
                problems.add((f"{rec.row}:{key}", value.code))
                value = value.value
            expected[key] = value
        records.append(expected)
    return records, problems


@pytest.mark.parametrize("kind_key", ["tasks", "requests", "directory"])
@pytest.mark.parametrize("cells", ["text only", "with error words", "any"])
def test_column_conversion_equals_converting_each_cell(tmp_path, kind_key, cells):
    pools = {"text only": [c for c in TEXTS if c.strip() not in ("#N/A", "#REF!")] + [None],
             "with error words": TEXTS + [None], "any": CELLS}
    path = _book(tmp_path / "t.xlsx", KINDS[kind_key], 150, len(cells), lambda rng: rng.choice(pools[cells]))
    read = read_workbook(path, TODAY)
    assert read.kind.key == kind_key and len(read.records) == 150
    records, problems = _plain(path, read)
    assert [dict(rec) for rec in read.records] == records
    assert [{k: type(v) for k, v in rec.items()} for rec in read.records] == \
        [{k: type(v) for k, v in rec.items()} for rec in records]
    codes = {code for _cell, code in problems}
    found = {(f"{p.row}:{p.column}", p.code) for p in read.problems if p.code in codes}
    assert found == problems
    if cells == "text only":        # the text columns went the C way: blanks read as None, text stripped
        assert any(rec[k] is None for rec in read.records for k in read.columns) and \
            all(v is None or v == v.strip() for rec in read.records for k, v in rec.items()
                if k != "_row" and read.kind.column(k).type.value in ("text", "id", "department"))
