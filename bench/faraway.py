"""Benchmark: reading workbooks with a cell far from the table (issue 16, point 13).

Usage: python bench/faraway.py [--rows 20000]
Each case is read by duban's reader in a fresh process; prints its time, its peak RSS
(resource.getrusage) and the grid python-calamine alone would have allocated (what aborted
the run before). Also: what measuring a sheet's extent costs on the 100,000-row read benchmark.
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from duban.workbooks.model.a1 import col_letters  # noqa: E402 (after the path)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def book(path: Path, rows: list[str]) -> Path:
    """A one-sheet workbook (sheet 任务跟进表) from its row elements, written part by part."""
    parts = {
        "[Content_Types].xml": f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                               f'<Default Extension="xml" ContentType="application/xml"/>'
                               f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
                               f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                       f'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="任务跟进表" sheetId="1" '
                           f'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" '
                                      f'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, xml in parts.items():
            zf.writestr(name, xml)
    path.write_bytes(buffer.getvalue())
    return path


def table(count: int) -> list[str]:
    header = "".join(_cell(f"{col_letters(i)}1", h) for i, h in enumerate(["编号", "任务名称", "负责人", "截止日期", "状态", "系统提示"], 1))
    rows = [f'<row r="1">{header}</row>']
    rows += [f'<row r="{r}">{_cell(f"B{r}", f"任务{r}")}{_cell(f"C{r}", "张伟")}{_cell(f"D{r}", "2026-12-31")}'
             f'{_cell(f"E{r}", "进行中")}</row>' for r in range(2, count + 2)]
    return rows


def cases(out: Path, rows: int) -> dict[str, tuple[Path, int]]:
    """name -> (file, cells in the grid python-calamine would build for it)."""
    out.mkdir(exist_ok=True)
    foo = table(3) + ['<row r="100000">' + "".join(_cell(f"FO{chr(79 + i)}100000", "远") for i in range(10)) + "</row>"]
    xfd = table(rows)
    xfd[0] = xfd[0].replace("</row>", _cell("XFD1", "x") + "</row>")
    return {"ten cells at FOO100000": (book(out / "foo100000.xlsx", foo), 100_000 * 4_470),
            f"{rows:,} rows + x in XFD1": (book(out / f"xfd1-{rows}.xlsx", xfd), (rows + 1) * 16_384)}


def measure(path: str) -> dict:
    from duban.workbooks.read.reader import read_workbook

    started = time.perf_counter()
    read = read_workbook(path, today=date(2026, 11, 23))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": read.rows_read, "problems": [p.code for p in read.problems],
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def scan_cost(path: Path) -> dict:
    """The extent scan alone against a whole typed read, on the same file."""
    from duban.workbooks.read.reader import read_workbook
    from duban.workbooks.xlsx import grid

    with zipfile.ZipFile(path) as zf:
        entry = next(n for n in zf.namelist() if n.startswith("xl/worksheets/"))
        started = time.perf_counter()
        grid.extent(zf, entry)
        scan = time.perf_counter() - started
    started = time.perf_counter()
    read_workbook(path, today=date(2026, 11, 23))
    return {"scan": scan, "read": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--measure", metavar="FILE")
    parser.add_argument("--scan", metavar="FILE")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.scan:
        print(json.dumps(scan_cost(Path(args.scan))))
        return
    for name, (path, cells) in cases(HERE / "out", args.rows).items():
        got = json.loads(subprocess.check_output([sys.executable, __file__, "--measure", str(path)]))
        print(f"{name:28}: {got['seconds']:.2f}s, {got['rows']:,} rows, problems {got['problems']}, "
              f"peak {got['peak_mb']:.0f} MB (calamine alone: a grid of {cells * 32 / 1e9:.1f} GB, abort)")
    from _gen import ensure

    big = ensure(HERE / "out" / "tasks-100000.xlsx", 100_000)
    cost = json.loads(subprocess.check_output([sys.executable, __file__, "--scan", str(big)]))
    print(f"extent scan on 100,000 rows : {cost['scan']:.2f}s of a {cost['read']:.2f}s read "
          f"({cost['scan'] / cost['read']:.0%})")


if __name__ == "__main__":
    main()
