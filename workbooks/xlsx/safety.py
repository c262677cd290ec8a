"""Checks a file before any parser touches it: wrong format, damage, encryption, zip and XML bombs.

Everything here is cheap (file signature, the zip's central directory, the first bytes of each
XML part) so that a hostile or broken file costs milliseconds and becomes one clear problem,
and the good workbooks beside it are read as usual.
"""
from __future__ import annotations

import codecs
import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from duban.workbooks.model.problems import Problem
from duban.workbooks.xlsx import package

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CONTENT_TYPES = "[content_types].xml"    # as package.part_key spells it
_HEAD_BYTES = 4096
_MAX_PROLOG = 1 << 20
_ROOT = re.compile(rb"<[A-Za-z_]")


def inspect(path: Path, max_unzipped_bytes: int) -> Problem | None:
    """None when the file looks like a safe .xlsx package; otherwise the one problem to report."""
    file = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        return Problem("unreadable", file, params={"detail": exc.strerror or str(exc)})
    if not head:
        return Problem("truncated", file)
    if head.startswith(OLE_MAGIC):
        return Problem("encrypted" if _is_encrypted_ole(path) else "old-format", file)
    if not head.startswith(ZIP_MAGIC):
        return Problem("csv-not-xlsx" if _looks_like_text(path) else "not-a-workbook", file)
    return _inspect_zip(path, max_unzipped_bytes)


def _inspect_zip(path: Path, budget: int) -> Problem | None:
    file = str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = package.entries(zf)     # backslashes and case forgiven, as python-calamine does
            if _CONTENT_TYPES not in names:
                return Problem("not-a-workbook", file)
            total = sum(i.file_size for i in infos)
            if total > budget:
                return Problem("too-large", file, params={"size": _mb(total), "limit": _mb(budget)})
            return _check_xml_parts(zf, infos, names, file)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError):
        return Problem("truncated", file)
    except (OSError, ValueError) as exc:
        return Problem("unreadable", file, params={"detail": str(exc)})


def _check_xml_parts(zf: zipfile.ZipFile, infos, names: dict[str, str], file: str) -> Problem | None:
    """No DTDs anywhere (Excel never writes one); the small root parts get a full safe parse. The
    workbook part is where the package's relationships say (the root, in some files), else
    xl/workbook.xml."""
    for info in infos:
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with zf.open(info) as part:
            prolog = _prolog(part)
        if prolog is None or _DECLARATION.search(prolog):
            return Problem("unsafe-xml", file, params={"part": info.filename})
    try:
        book = package.main_part(zf, names, read=SafeET.fromstring)
    except (DefusedXmlException, SafeET.ParseError) as exc:
        return Problem("unreadable", file, params={"detail": f"_rels/.rels: {exc}"})
    if book is None:
        return Problem("not-a-workbook", file)
    for name in (names[_CONTENT_TYPES], book):
        try:
            SafeET.fromstring(zf.read(name))
        except DefusedXmlException:
            return Problem("unsafe-xml", file, params={"part": name})
        except SafeET.ParseError as exc:
            return Problem("unreadable", file, params={"detail": f"{name}: {exc}"})
    return None


def _prolog(part) -> bytes | None:
    """The bytes before the root element (where a DTD would have to be); None if absurdly long."""
    head = b""
    while len(head) < _MAX_PROLOG:
        chunk = part.read(_HEAD_BYTES)
        head += chunk
        text = head.decode("utf-16", errors="ignore").encode() if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head
        if (m := _ROOT.search(text)) or not chunk:
            return text[: m.start()] if m else text
    return None


def _is_encrypted_ole(path: Path) -> bool:
    """An encrypted .xlsx is an OLE container holding EncryptionInfo and EncryptedPackage streams."""
    with open(path, "rb") as fh:
        blob = fh.read(1 << 20)
    return "EncryptionInfo".encode("utf-16-le") in blob or "EncryptedPackage".encode("utf-16-le") in blob


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as fh:
        sample = fh.read(4096)
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:  # incremental, not final: the 4 KB sample may end inside a multibyte character
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    return path.suffix.lower() in (".csv", ".txt") or ("," in text or "\t" in text)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB"
