"""The anchors duban's figures are read against, run as their own processes by the measured
environment's Python (python-calamine and openpyxl are duban's own dependencies there).

  python bench/_anchors.py raw FILE_OR_FOLDER...   open every workbook and load its first sheet's rows
  python bench/_anchors.py openpyxl FILE           load + recolour + save (what a script would do)

Each prints one line of JSON with `work` and `work_cpu`, the wall and CPU seconds of the work itself
(interpreter start and imports excluded); the caller adds the process's wall time and peak RSS.
The openpyxl anchor decides its cells from the sheet itself, not from duban, so that old and new
installs are read against the same work: an ID into column A of every row, the due date (I) and
status (K) cells of every late or blocked row filled and coloured, and an alert text into column P.
"""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

TODAY = datetime(2026, 11, 23)


def workbooks(targets: list[str]) -> list[Path]:
    paths: list[Path] = []
    for target in map(Path, targets):
        paths += sorted(p for p in target.glob("*.xlsx") if not p.name.startswith("~$")) if target.is_dir() else [target]
    return paths


def raw(targets: list[str]) -> dict:
    import python_calamine as calamine

    paths = workbooks(targets)
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    for path in paths:
        book = calamine.CalamineWorkbook.from_path(str(path))
        rows += len(book.get_sheet_by_name(book.sheet_names[0]).to_python())
        getattr(book, "close", lambda: None)()
    return {"work": time.perf_counter() - started, "work_cpu": time.process_time() - cpu, "files": len(paths), "rows": rows}


def recolour(path: str) -> dict:
    from openpyxl import load_workbook
    from openpyxl.styles import Font, PatternFill

    started, cpu = time.perf_counter(), time.process_time()
    book = load_workbook(path)
    sheet = book.active
    fill, font = PatternFill("solid", fgColor="FFC7CE"), Font(color="9C0006")
    painted = 0
    for n, row in enumerate(sheet.iter_rows(min_row=2, max_col=16), start=1):
        row[0].value = f"T-{n:06d}"
        due, status = row[8].value, row[10].value
        late = isinstance(due, datetime) and due < TODAY and status != "已完成"
        if late or status == "阻塞":
            for cell in (row[8], row[10]):
                cell.fill, cell.font = fill, font
                painted += 1
            row[15].value = "逾期 / overdue" if late else "阻塞 / blocked"
    book.save(path)
    return {"work": time.perf_counter() - started, "work_cpu": time.process_time() - cpu, "rows": n, "painted": painted}


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    print(json.dumps(raw(rest) if mode == "raw" else recolour(rest[0])))
