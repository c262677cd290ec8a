"""The .xlsx package as zip parts: find a sheet's part, and rewrite a package changing only some parts.

Write-back never round-trips a workbook through a spreadsheet library: it copies every part
it does not own byte for byte (same names, order, dates and compression) and replaces only
the styles part and the one sheet it patched (adding a styles part, with its relationship and
content type, to a package that has none). Parts are found as forgiving readers find them:
backslashes in entry names, the workbook wherever the package's relationships put it, Strict
Open XML namespaces. The big sheet is inflated and deflated in single zlib calls or a worker
thread, because zlib (and libxml2) run without the GIL.
"""
from __future__ import annotations

import io
import posixpath
import queue
import re
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote

from lxml import etree

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"          # Excel's "Strict Open XML"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
STYLES_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
UTF8_BOM = b"\xef\xbb\xbf"

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


def parse(data: bytes) -> etree._Element:
    """lxml parse that never expands entities or fetches anything (safety.inspect ran before)."""
    return etree.fromstring(data, PARSER)


_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")


def serialize(root: etree._Element, original: bytes) -> bytes:
    """Serialise keeping the original start: a UTF-8 byte order mark and the XML declaration
    (Excel writes standalone="yes"). The body is UTF-8, so a declaration naming another
    encoding is replaced by a UTF-8 one."""
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    bom = UTF8_BOM if original.startswith(UTF8_BOM) else b""
    head = original[len(bom):].lstrip()
    if not head.startswith(b"<?xml"):
        return bom + body
    declaration = head[:head.index(b"?>") + 2]
    if (m := _ENCODING.search(declaration)) and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    return bom + declaration + b"\r\n" + body


# ---- finding parts as forgiving readers do ---------------------------------------------------------
def part_key(name: str) -> str:
    """A part name as readers match it: backslashes as slashes, no leading slash, any case
    (zip entries like `xl\\worksheets\\sheet1.xml` or `XL/Workbook.xml` occur in real files)."""
    return name.replace("\\", "/").lstrip("/").lower()


def entries(zf: zipfile.ZipFile) -> dict[str, str]:
    """{part_key: zip entry name} of every entry (the first one wins, as in the central directory)."""
    out: dict[str, str] = {}
    for name in zf.namelist():
        out.setdefault(part_key(name), name)
    return out


def rels_of(part: str) -> str:
    """The relationships part of a part: xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(base_dir: str, target: str) -> str:
    target = unquote(target.replace("\\", "/"))
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base_dir, target))


def _kind(rel) -> str:
    """A relationship's type without its namespace (the same in transitional and Strict files)."""
    return (rel.get("Type") or "").rsplit("/", 1)[-1]


def relationships(zf: zipfile.ZipFile, names: dict[str, str], part: str, read=None) -> list[tuple[str, str, str]]:
    """(Id, type without namespace, target part) of each internal relationship of `part`."""
    entry = names.get(part_key(rels_of(part)))
    if entry is None:
        return []
    rels = (read or parse)(zf.read(entry))
    base = posixpath.dirname(part)
    return [(r.get("Id"), _kind(r), _resolve(base, r.get("Target") or "")) for r in rels
            if r.get("TargetMode") != "External" and r.get("Target")]


def main_part(zf: zipfile.ZipFile, names: dict[str, str], read=None) -> str | None:
    """The workbook part's entry name: the package's officeDocument relationship, else the usual
    xl/workbook.xml. `read` parses XML (safety passes its defused parser)."""
    for _id, kind, target in relationships(zf, names, "", read):
        if kind == "officeDocument" and part_key(target) in names:
            return names[part_key(target)]
    return names.get("xl/workbook.xml")


@dataclass
class BookParts:
    """Where one workbook's parts are in its zip (entry names, as stored)."""

    workbook: str                  # the workbook part
    sheets: dict[str, str]         # sheet name -> its part
    styles: str | None             # the styles part; None when the package has none (allowed)
    rels: str | None               # the workbook's relationships part
    strict: bool                   # Strict Open XML namespaces
    date1904: bool = False         # day numbers count from 1904-01-01 (old Mac Excel, some templates)


def book_parts(zf: zipfile.ZipFile) -> BookParts:
    """The workbook's parts, found the way a forgiving reader finds them. Raises KeyError when
    there is no workbook part."""
    names = entries(zf)
    workbook = main_part(zf, names)
    if workbook is None:
        raise KeyError("there is no workbook part (xl/workbook.xml)")
    part = part_key(workbook)
    book = parse(zf.read(workbook))
    targets = {rid: (kind, names.get(part_key(target))) for rid, kind, target in relationships(zf, names, part)}
    sheets: dict[str, str] = {}
    for sheet in book.iter("{*}sheet"):
        rid = sheet.get(f"{{{NS_REL}}}id") or sheet.get(f"{{{STRICT_REL}}}id")
        if rid in targets and (target := targets[rid][1]) is not None:
            sheets[sheet.get("name")] = target
    styles = next((entry for kind, entry in targets.values() if kind == "styles" and entry), None)
    properties = book.find("{*}workbookPr")
    date1904 = properties is not None and (properties.get("date1904") or "").strip().lower() in ("1", "true")
    return BookParts(workbook, sheets, styles, names.get(part_key(rels_of(part))),
                     etree.QName(book).namespace == STRICT_MAIN, date1904)


def workbook_parts(zf: zipfile.ZipFile) -> tuple[dict[str, str], str | None]:
    """({sheet name: part entry}, styles part entry or None)."""
    found = book_parts(zf)
    return found.sheets, found.styles


def empty_styles(strict: bool) -> bytes:
    """The styles part of a package that has none: empty, so StyleBook adds Excel's defaults."""
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<styleSheet xmlns="%s"/>' % (
        (STRICT_MAIN if strict else NS_MAIN).encode())


def styles_added(zf: zipfile.ZipFile, parts: BookParts) -> tuple[str, dict[str, bytes]]:
    """For a package without a styles part: the new part's name, and the workbook relationships
    and content types that declare it. Raises KeyError when the package has no relationships part
    or content types to add them to."""
    if parts.rels is None:
        raise KeyError("the workbook has no relationships part")
    names = entries(zf)
    folder = posixpath.dirname(parts.workbook.replace("\\", "/").lstrip("/"))   # beside the workbook
    name, n = posixpath.join(folder, "styles.xml"), 1
    while part_key(name) in names:
        n += 1
        name = posixpath.join(folder, f"styles{n}.xml")
    rels_raw, types_entry = zf.read(parts.rels), names["[content_types].xml"]
    rels, types = parse(rels_raw), parse(zf.read(types_entry))
    taken = {r.get("Id") for r in rels}
    rid = next(f"rId{i}" for i in range(1, len(taken) + 2) if f"rId{i}" not in taken)
    etree.SubElement(rels, f"{{{NS_PKG_REL}}}Relationship", Id=rid, Target=posixpath.basename(name),
                     Type=(STRICT_REL if parts.strict else NS_REL) + "/styles")
    etree.SubElement(types, f"{{{NS_TYPES}}}Override", PartName="/" + name, ContentType=STYLES_CONTENT_TYPE)
    return name, {parts.rels: serialize(rels, rels_raw), types_entry: serialize(types, zf.read(types_entry))}


# zipfile's local header layout, which its type stubs leave out
_HEADER_SIZE: int = zipfile.sizeFileHeader          # type: ignore[attr-defined]
_HEADER_MAGIC: bytes = zipfile.stringFileHeader     # type: ignore[attr-defined]


def _open_file(zf: zipfile.ZipFile) -> IO[bytes]:
    """The zip's underlying file, there while the ZipFile is open (closed: a ValueError, as zipfile says)."""
    if zf.fp is None:
        raise ValueError("Attempt to use ZIP archive that was already closed")
    return zf.fp


def stored_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes as stored in the zip (compressed), without decompressing them."""
    fp = _open_file(zf)
    fp.seek(info.header_offset)
    header = fp.read(_HEADER_SIZE)
    if header[:4] != _HEADER_MAGIC:
        raise zipfile.BadZipFile(f"{info.filename}: bad local file header")
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    fp.seek(info.header_offset + _HEADER_SIZE + name_len + extra_len)
    return fp.read(info.compress_size)


def inflate(info: zipfile.ZipInfo, stored: bytes) -> bytes:
    """A deflated member's content in one zlib call (which releases the GIL, so it can run in a
    thread beside other work), checked against the zip's CRC."""
    if info.compress_type == zipfile.ZIP_STORED:
        data = stored
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        try:
            data = zlib.decompress(stored, -15, max(info.file_size, 1))
        except zlib.error as exc:
            raise zipfile.BadZipFile(f"{info.filename}: {exc}") from None
    else:
        raise zipfile.BadZipFile(f"{info.filename}: compression method {info.compress_type} is not supported")
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename}: content does not match its checksum")
    return data


@dataclass
class Deflated:
    """A new part, compressed before the package is written: deflate bytes (in pieces, so a big
    part is never joined into one more copy), CRC and size."""

    pieces: list[bytes]
    crc: int
    size: int


def deflate(data: bytes, level: int = 6) -> Deflated:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Deflated([packer.compress(data), packer.flush()], zlib.crc32(data), len(data))


class _NoEvents:
    """A parser target with no callbacks: libxml2 only checks well-formedness, without the GIL."""

    def close(self) -> None:
        return None


class Deflater:
    """Check that a large XML part fed in pieces is well-formed, and compress it, in a worker
    thread. zlib and libxml2 both release the GIL, so this runs beside the Python that produces
    the pieces instead of after it. Use as a context manager; `result()` raises
    `etree.XMLSyntaxError` when the XML is broken. Not `threaded`: the same steps on the same
    pieces in the caller's thread (a small part, where a thread costs more than it saves), giving
    the same bytes."""

    def __init__(self, level: int = 1, threaded: bool = True):
        self._parser = etree.XMLParser(target=_NoEvents(), huge_tree=True, resolve_entities=False,
                                       no_network=True)
        self._packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._out: list[bytes] = []
        self._crc = self._size = 0
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._queue: queue.Queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._run, name="duban-deflate", daemon=True)
            self._thread.start()

    def feed(self, chunk: bytes) -> None:
        if self._thread is not None:
            self._queue.put(chunk)
        else:
            self._take(chunk)

    def result(self) -> Deflated:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        else:
            self._finish()
        if self._error is not None:
            raise self._error
        return Deflated(self._out, self._crc, self._size)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._take(chunk)
        self._finish()

    def _take(self, chunk: bytes) -> None:
        if self._error is not None:
            return                            # broken already: do no more work
        try:
            self._parser.feed(chunk)
            self._crc = zlib.crc32(chunk, self._crc)
            self._size += len(chunk)
            self._out.append(self._packer.compress(chunk))
        except Exception as exc:              # handed to the producer by result()
            self._error = exc

    def _finish(self) -> None:
        if self._error is None:
            try:
                self._out.append(self._packer.flush())
                self._parser.close()
            except Exception as exc:
                self._error = exc

    def __enter__(self) -> "Deflater":
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is not None and self._thread.is_alive():   # the producer failed: stop the worker
            self._queue.put(None)
            self._thread.join()


# name -> (CRC, compressed size, size, crc32 of the stored bytes): what a written package must hold
Manifest = dict[str, tuple[int, int, int, int]]


def rewrite(source: Path | bytes, target, replacements: dict[str, Deflated]) -> Manifest:
    """Write the package of `source` (a path, or the file's bytes) to the open binary file
    `target`, swapping the given parts.

    Every other part is copied as its stored compressed bytes, untouched (same CRC, sizes,
    method and date). Replacements naming no part of `source` are new parts, added at the end.
    Returns the manifest `check_written` compares the file on disk with."""
    manifest: Manifest = {}
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zin, \
            zipfile.ZipFile(target, "w") as zout:
        infos = list(zin.infolist())
        known = {info.filename for info in infos}
        stamp = max((info.date_time for info in infos), default=(1980, 1, 1, 0, 0, 0))
        infos += [zipfile.ZipInfo(name, date_time=stamp) for name in replacements if name not in known]
        for info in infos:
            new = replacements.get(info.filename)
            if new is None:
                pieces, crc, size, method = [stored_bytes(zin, info)], info.CRC, info.file_size, info.compress_type
            else:
                pieces, crc, size, method = new.pieces, new.crc, new.size, zipfile.ZIP_DEFLATED
            _write_stored(zout, info, pieces, crc, size, method, keep_extra=new is None)
            stored_crc = 0
            for piece in pieces:
                stored_crc = zlib.crc32(piece, stored_crc)
            manifest[info.filename] = (crc, sum(map(len, pieces)), size, stored_crc)
    return manifest


def check_written(path: Path, manifest: Manifest) -> None:
    """Read the written package back from disk: the same parts in the same order, each with the
    CRC and sizes planned and exactly the stored bytes that were written. Raises BadZipFile."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if [i.filename for i in infos] != list(manifest):
            raise zipfile.BadZipFile("the parts are not the ones written")
        for info in infos:
            crc, stored_size, size, stored_crc = manifest[info.filename]
            if (info.CRC, info.compress_size, info.file_size) != (crc, stored_size, size) \
                    or zlib.crc32(stored_bytes(zf, info)) != stored_crc:
                raise zipfile.BadZipFile(f"{info.filename} does not read back as written")


def _write_stored(zout: zipfile.ZipFile, info: zipfile.ZipInfo, pieces: list[bytes], crc: int, size: int,
                  method: int, keep_extra: bool) -> None:
    """Append one member from its stored bytes (sizes in the local header, no data descriptor)."""
    copy = _copy_info(info)
    copy.compress_type = method
    copy.CRC, copy.compress_size, copy.file_size = crc, sum(map(len, pieces)), size
    copy.flag_bits = info.flag_bits & ~0x08
    if keep_extra:
        copy.extra = info.extra
    fp = _open_file(zout)
    copy.header_offset = fp.tell()
    fp.write(copy.FileHeader(zip64=size > zipfile.ZIP64_LIMIT or copy.compress_size > zipfile.ZIP64_LIMIT))
    for piece in pieces:
        fp.write(piece)
    zout.filelist.append(copy)
    zout.NameToInfo[copy.filename] = copy
    zout.start_dir = fp.tell()


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new
