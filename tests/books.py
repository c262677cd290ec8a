"""Real task workbooks for the write-back and journal tests, and edits to them as a person would make."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from copy import copy
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import openpyxl
import python_calamine as calamine

from duban.jobs.check import check_folder
from duban.jobs.settings import config
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.a1 import col_letters
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.xlsx import package

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))   # a Monday
TASKS = KINDS["tasks"]
BOOK = TASKS.filename("zh")          # 任务跟进表.xlsx
SHEET = TASKS.sheet("zh")
NAMES = ["张伟", "李娜", "王芳"]
ROOT = Path(__file__).resolve().parent.parent


def col(key: str) -> str:
    """The template's column letter of a column key (id -> A, status -> K, alerts -> O)."""
    return col_letters([c.key for c in TASKS.columns].index(key) + 1)


def task(name: str, owner: str = "张伟", due: date = date(2026, 12, 31), status: str = "in_progress", **more) -> dict:
    return {"task": name, "owner": owner, "due": due, "status": status, "last_update": date(2026, 11, 22), **more}


def make_book(folder: Path, rows: list[dict], name: str = BOOK) -> Path:
    return write_workbook("tasks", folder / name, lang="zh", rows=rows, names=NAMES)


def settings(backups: int = 10, **tables: dict) -> config.Settings:
    """The default settings with `tables` over them (as in duban.toml: settings(mail={"clerks": ["王芳"]}))."""
    return config.load().changed(**{**tables, "state": {"backups": backups, **tables.get("state", {})}})


def check(folder: Path, now: datetime = NOW, backups: int = 10, **kw):
    """One `duban check` of a folder holding one workbook; its WorkbookCheck."""
    [result] = check_folder(folder, settings(backups), now, **kw).workbooks
    return result


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`duban ARGS` as a real process."""
    return subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


# ---- looking inside ---------------------------------------------------------------------------
def sheet_part(path: Path, sheet: str = SHEET) -> str:
    with zipfile.ZipFile(path) as zf:
        return package.workbook_parts(zf)[0][sheet]


def sheet_xml(path: Path, sheet: str = SHEET) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(package.workbook_parts(zf)[0][sheet])


_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)', re.S)


def cells_xml(path: Path, sheet: str = SHEET) -> dict[str, bytes]:
    """Every `<c>` element of a sheet, as bytes, by cell reference."""
    return {m.group(1).decode(): m.group(0) for m in _CELL.finditer(sheet_xml(path, sheet))}


def style_index(path: Path, ref: str) -> int:
    m = re.search(rb'\ss="(\d+)"', re.match(rb"<[^>]*>", cells_xml(path)[ref]).group(0))
    return int(m.group(1)) if m else 0


def values(path: Path, sheet: str = SHEET) -> list[list]:
    """A sheet as python-calamine reads it (cached values of formulas)."""
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        book.close()


def column_values(path: Path, key: str) -> list:
    ws = openpyxl.load_workbook(path)[SHEET]
    return [ws[f"{col(key)}{r}"].value for r in range(2, ws.max_row + 1)]


def look(cell) -> tuple:
    """Everything openpyxl knows about how a cell looks (plain style objects: proxies never compare equal)."""
    return (*(copy(getattr(cell, a)) for a in ("fill", "font", "border", "alignment", "protection")),
            cell.number_format)


# ---- editing as a person would ----------------------------------------------------------------
def user_edit(path: Path, changes: dict[str, object]) -> None:
    """Change cells of the task sheet the way a spreadsheet app does: new value, same cell format.

    Text becomes an inline string, a date or number a plain value; every other byte of the package
    stays as it was (only the sheet part is rewritten)."""
    part = sheet_part(path)
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    xml = dict((i.filename, d) for i, d in parts)[part].decode()
    for ref, value in changes.items():
        m = re.search(rf'<c r="{ref}"([^>]*?)(/>|>.*?</c>)', xml, re.S)
        assert m, f"{ref} is not in the sheet"
        style = re.search(r'\ss="\d+"', m.group(1))
        start = f'<c r="{ref}"{style.group(0) if style else ""}'
        if isinstance(value, date):
            value = (value - date(1899, 12, 30)).days
        new = (f'{start} t="inlineStr"><is><t>{escape(value)}</t></is></c>' if isinstance(value, str)
               else f"{start}><v>{value}</v></c>")
        xml = xml[:m.start()] + new + xml[m.end():]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            zf.writestr(info, xml.encode() if info.filename == part else data)


def owner_file(book: Path, user: str) -> Path:
    """Excel's `~$name.xlsx` owner file: length byte, ANSI name padded to 54, length, UTF-16-LE name."""
    ansi = user.encode("gbk")
    data = bytes([len(user)]) + ansi
    data += b" " * (54 - len(data)) + bytes([len(user), 0]) + user.encode("utf-16-le")
    lock = book.with_name("~$" + book.name)
    lock.write_bytes(data + b"\x00" * (165 - len(data)))
    return lock
