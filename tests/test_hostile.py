"""Hostile and broken files in a shared folder: each becomes exactly one workbook-level problem.

Every file here is built for real (openpyxl, zipfile, msoffcrypto-tool, LibreOffice when
installed) and read through `read_folder`, beside a good workbook that must still be read as
usual. Nothing is mocked; no assertion is about time, only about what was reported.
"""
from __future__ import annotations

import random
import struct
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

import lo
from duban.jobs.settings import config
from duban.jobs.validate import read_folder
from duban.workbooks.model.kinds import KINDS

TODAY = date(2026, 11, 23)
TASKS = KINDS["tasks"]
GOOD_NAME = "任务跟进表.xlsx"
GOOD_TASKS = ["写周报", "对账", "报销"]


# ---- building real files ------------------------------------------------------------------
def write_tasks(path: Path, tasks=GOOD_TASKS, headers=None) -> Path:
    """A clean tasks workbook as a person would type it: the Chinese template headers in row 1."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = TASKS.sheet_zh
    columns = TASKS.columns
    sheet.append(headers or [c.zh for c in columns])
    values = {"owner": "张伟", "due": date(2026, 12, 1), "status": "进行中", "progress": "50%"}
    for task in tasks:
        sheet.append([task if c.key == "task" else values.get(c.key) for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory) -> bytes:
    return write_tasks(tmp_path_factory.mktemp("good") / GOOD_NAME).read_bytes()


@pytest.fixture(scope="module")
def xls_bytes(tmp_path_factory, good_bytes) -> bytes:
    """A genuine Excel 97-2003 file from LibreOffice, else the OLE2 signature a .xls starts with."""
    work = tmp_path_factory.mktemp("xls")
    if lo.available():
        source = work / "旧表.xlsx"
        source.write_bytes(good_bytes)
        return lo.convert(source, "xls", work / "out").read_bytes()
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4088


def rezip(source: bytes, target: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """Copy a zip member by member, letting `change(name, data)` rewrite any member."""
    src = target.with_suffix(".src")
    src.write_bytes(source)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info)), zipfile.ZIP_DEFLATED)
    src.unlink()
    return target


LAUGHS = ('<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + "".join(f' <!ENTITY lol{i} "{("&lol" + str(i - 1 if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
          + "]>\n")


def with_laughs(data: bytes, use: Callable[[str], str], encoding: str = "utf-8") -> bytes:
    """The part with a billion-laughs DTD before its root element and `&lol9;` used inside it."""
    text = data.decode("utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2:].lstrip()
    declared = "UTF-16" if encoding == "utf-16" else "UTF-8"
    return f'<?xml version="1.0" encoding="{declared}"?>\n{LAUGHS}{use(text)}'.encode(encoding)


def in_sheet_name(text: str) -> str:
    assert ' name="' in text
    return text.replace(' name="', ' name="&lol9;', 1)


def in_a_cell(text: str) -> str:
    assert "</sheetData>" in text
    return text.replace("</sheetData>", '<row r="99"><c r="A99" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                                        "</sheetData>", 1)


def xxe(data: bytes) -> bytes:
    text = data.decode("utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2:].lstrip()
    return ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
            + text).encode()


def utf8_csv_cut_mid_character() -> bytes:
    """A UTF-8 CSV over 4 KB whose first 4096 bytes end inside a Chinese character.

    Such a sample decodes neither as UTF-8 nor as GB18030 in one go: the sniffing must cope.
    """
    rows = "".join(f"整理第{i}季度客户回访记录,张伟,2026-12-01\n" for i in range(200))
    for pad in range(12):
        data = ("任务名称,负责人,截止日期" + " " * pad + "\n" + rows).encode("utf-8")
        sample = data[:4096]
        if _fails(sample, "utf-8") and _fails(sample, "gb18030"):
            return data
    raise AssertionError("could not place a character across the 4 KB boundary")


def _fails(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError:
        return True
    return False


def lying_sizes(good: bytes, target: Path) -> Path:
    """A real workbook whose central directory claims its sheet unpacks to 600 MB."""
    raw = bytearray(good)
    pos, patched = raw.find(b"PK\x01\x02"), 0
    while pos != -1:
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46:pos + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", raw, pos + 24, 600_000_000)
            patched += 1
        pos = raw.find(b"PK\x01\x02", pos + 4)
    assert patched == 1
    target.write_bytes(bytes(raw))
    return target


def zeros_member(good: bytes, target: Path) -> Path:
    """A real workbook plus 3 MB of zeros that deflate to a few KB (over a 1 MB budget)."""
    rezip(good, target, lambda name, data: data)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/image1.bin", b"\x00" * 3_000_000)
    assert target.stat().st_size < 100_000
    return target


def docx_like(target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                           'package/2006/content-types"/>')
        zf.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.'
                                         'org/wordprocessingml/2006/main"><w:body/></w:document>')
    return target


def random_bytes(target: Path) -> Path:
    data = random.Random(20261123).randbytes(3000)
    assert not data.startswith(b"PK") and b"\x00" in data
    target.write_bytes(data)
    return target


def encrypted(good: bytes, target: Path) -> Path:
    plain = target.with_suffix(".plain")
    plain.write_bytes(good)
    with open(plain, "rb") as fh, open(target, "wb") as out:
        OOXMLFile(fh).encrypt("督办2026", out)
    plain.unlink()
    return target


def tail_zeroed(good: bytes, target: Path) -> Path:
    """An interrupted copy that pre-allocated the file: right size, second half all zeros."""
    half = len(good) // 2
    target.write_bytes(good[:half] + b"\x00" * (len(good) - half))
    return target


# ---- the cases ----------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    name: str                                   # relative path of the hostile file
    build: Callable[[bytes, Path, bytes], Path]  # (good workbook bytes, target, xls bytes) -> path
    code: str
    zh: list[str]                               # words the Chinese message must contain
    en: list[str]
    reader: dict = field(default_factory=dict)  # [reader] settings for this folder
    params: dict = field(default_factory=dict)  # expected problem params


SAVE_AS = (["另存为", ".xlsx"], ["Save As", ".xlsx"])
DAMAGED = (["损坏", "备份"], ["damaged", "backup"])
UNSAFE_HINT = (["XML 实体", "另存为新文件"], ["declares XML entities", "save it as a new file"])


def unsafe(part: str) -> dict:
    return {"zh": [part, *UNSAFE_HINT[0]], "en": [part, *UNSAFE_HINT[1]], "params": {"part": part}}


CASES = [
    Case("random-bytes", "随机.xlsx", lambda g, t, x: random_bytes(t), "not-a-workbook", *SAVE_AS),
    Case("empty", "空文件.xlsx", lambda g, t, x: (t.write_bytes(b""), t)[1], "truncated", *DAMAGED),
    Case("cut-in-half", "半截.xlsx", lambda g, t, x: (t.write_bytes(g[: len(g) // 2]), t)[1], "truncated", *DAMAGED),
    Case("tail-zeroed", "复制中断.xlsx", lambda g, t, x: tail_zeroed(g, t), "truncated", *DAMAGED),
    Case("password", "加密.xlsx", lambda g, t, x: encrypted(g, t), "encrypted",
         ["打开密码", "取消密码"], ["password-protected", "Remove the password"]),
    Case("zip-bomb-zeros", "炸弹.xlsx", lambda g, t, x: zeros_member(g, t), "too-large",
         ["压缩炸弹", "3 MB", "1 MB", "max_unzipped_mb"], ["zip bomb", "3 MB", "1 MB", "max_unzipped_mb"],
         reader={"max_unzipped_mb": 1}, params={"size": "3 MB", "limit": "1 MB"}),
    Case("zip-bomb-declared", "声明600M.xlsx", lambda g, t, x: lying_sizes(g, t), "too-large",
         ["600 MB", "500 MB", "max_unzipped_mb"], ["600 MB", "500 MB", "max_unzipped_mb"],
         params={"size": "600 MB", "limit": "500 MB"}),
    Case("laughs-workbook", "实体1.xlsx",
         lambda g, t, x: rezip(g, t, lambda n, d: with_laughs(d, in_sheet_name) if n == "xl/workbook.xml" else d),
         "unsafe-xml", **unsafe("xl/workbook.xml")),
    Case("laughs-sheet", "实体2.xlsx",
         lambda g, t, x: rezip(g, t, lambda n, d: with_laughs(d, in_a_cell) if n == "xl/worksheets/sheet1.xml" else d),
         "unsafe-xml", **unsafe("xl/worksheets/sheet1.xml")),
    Case("laughs-utf16", "实体3.xlsx",
         lambda g, t, x: rezip(g, t, lambda n, d: with_laughs(d, in_sheet_name, "utf-16") if n == "xl/workbook.xml"
                               else d),
         "unsafe-xml", **unsafe("xl/workbook.xml")),
    Case("external-entity", "实体4.xlsx",
         lambda g, t, x: rezip(g, t, lambda n, d: xxe(d) if n == "xl/styles.xml" else d),
         "unsafe-xml", **unsafe("xl/styles.xml")),
    Case("xls", "旧格式.xls", lambda g, t, x: (t.write_bytes(x), t)[1], "old-format",
         [".xls", "另存为"], [".xls", "Save it as Excel Workbook (.xlsx)"]),
    Case("csv", "导出.csv", lambda g, t, x: (t.write_bytes(utf8_csv_cut_mid_character()), t)[1], "csv-not-xlsx",
         ["CSV", "duban init"], ["CSV", "duban init"]),
    Case("csv-named-xlsx", "导出.xlsx", lambda g, t, x: (t.write_bytes(utf8_csv_cut_mid_character()), t)[1],
         "csv-not-xlsx", ["CSV", "duban init"], ["CSV", "duban init"]),
    Case("gbk-csv-named-xlsx", "另存的.xlsx",
         lambda g, t, x: (t.write_bytes("任务名称,负责人,截止日期\r\n写周报,张伟,2026-12-01\r\n".encode("gb18030")), t)[1],
         "csv-not-xlsx", ["CSV", "duban init"], ["CSV", "duban init"]),
    Case("docx-like", "报告.xlsx", lambda g, t, x: docx_like(t), "not-a-workbook", *SAVE_AS),
    Case("no-header", "随手记.xlsx",
         lambda g, t, x: write_tasks(t, ["周一开会", "周二出差"], headers=["日期", "事项", "地点", "金额"]),
         "unknown-kind", ["前 20 行", "表头", "duban init"], ["first 20 rows", "duban init"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.slow
def test_hostile_file_is_one_workbook_problem_and_the_good_one_is_still_read(tmp_path, good_bytes, xls_bytes, case):
    good = tmp_path / GOOD_NAME
    good.write_bytes(good_bytes)
    hostile = case.build(good_bytes, tmp_path / case.name, xls_bytes)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([GOOD_NAME, case.name])
    settings = config.load(values={"reader": dict(case.reader)})

    reads = {r.path: r for r in read_folder(tmp_path, settings, TODAY)}

    assert set(reads) == {good, hostile}
    bad = reads[hostile]
    assert bad.kind is None and bad.records == [] and not bad.ok
    [problem] = bad.problems
    assert (problem.code, problem.scope, problem.severity, problem.file) == (case.code, "workbook", "error", str(hostile))
    assert (problem.sheet, problem.cell, problem.row) == (None, None, None)
    for key, value in case.params.items():
        assert problem.params[key] == value
    for lang, words, sep in (("zh", case.zh, "："), ("en", case.en, ": ")):
        message = problem.message(lang)
        assert message.startswith(case.name + sep), message
        assert "{" not in message and "}" not in message, message
        for word in words:
            assert word in message, (lang, word, message)

    ok = reads[good]
    assert ok.kind is TASKS and ok.sheet == TASKS.sheet_zh and ok.header_row == 1
    assert [r["task"] for r in ok.records] == GOOD_TASKS and ok.rows_read == 3
    assert ok.problems == []


def test_the_same_zip_under_the_budget_is_read(tmp_path, good_bytes):
    """The zeros member is harmless once the budget allows it: the limit, not the member, decides."""
    zeros_member(good_bytes, tmp_path / "大附件.xlsx")
    settings = config.load(values={"reader": {"max_unzipped_mb": 5}})
    [read] = read_folder(tmp_path, settings, TODAY)
    assert read.kind is TASKS and read.rows_read == 3 and read.problems == []


def test_owner_files_and_dubans_own_folders_are_skipped(tmp_path, good_bytes):
    """Excel's lock file and duban's state, outbox, backups and reports are never read or reported."""
    garbage = random.Random(7).randbytes(500)
    (tmp_path / GOOD_NAME).write_bytes(good_bytes)
    # Excel's owner file: a length byte, the user's name padded with spaces, then zeros (165 bytes)
    owner = b"\x05alice" + b" " * 48 + b"\x00" * 111
    (tmp_path / ("~$" + GOOD_NAME)).write_bytes(owner)
    (tmp_path / "市场部").mkdir()
    (tmp_path / "市场部" / "~$任务跟进表.xlsx").write_bytes(owner)
    for rel in (".duban/state.xlsx", ".duban/tmp/任务跟进表.xlsx", "outbox/附件.xlsx", "backups/任务跟进表.1.xlsx",
                "backups/old.csv", "reports/2026-Q4/周报.xlsx", "市场部/backups/任务跟进表.xlsx"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(garbage)
    dept = tmp_path / "市场部" / GOOD_NAME
    dept.write_bytes(good_bytes)

    reads = read_folder(tmp_path, config.load(), TODAY)

    assert sorted(r.path for r in reads) == sorted([tmp_path / GOOD_NAME, dept])
    assert all(r.kind is TASKS and r.rows_read == 3 and r.problems == [] for r in reads)


@pytest.mark.slow
def test_many_hostile_files_together_each_get_their_own_problem(tmp_path, good_bytes, xls_bytes):
    """One folder holding every case at once: no file's failure leaks into another's report."""
    good = tmp_path / GOOD_NAME
    good.write_bytes(good_bytes)
    expected = {}
    for case in CASES:
        if case.reader:
            continue
        expected[case.build(good_bytes, tmp_path / case.name, xls_bytes)] = case.code
    reads = {r.path: r for r in read_folder(tmp_path, config.load(), TODAY)}
    assert set(reads) == {good, *expected}
    assert {p: [x.code for x in reads[p].problems] for p in expected} == {p: [c] for p, c in expected.items()}
    assert reads[good].rows_read == 3 and reads[good].problems == []

