"""The .xlsx package as zip parts: find a sheet's part, and rewrite a package changing only some parts.

Write-back never round-trips a workbook through a spreadsheet library: it copies every part
it does not own byte for byte (same names, order, dates and compression) and replaces only
`xl/styles.xml` and the one sheet it patched. The big sheet is inflated and deflated in
single zlib calls or a worker thread, because zlib (and libxml2) run without the GIL.
"""
from __future__ import annotations

import posixpath
import queue
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
STYLES_TYPE = NS_REL + "/styles"

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


def parse(data: bytes) -> etree._Element:
    """lxml parse that never expands entities or fetches anything (safety.inspect ran before)."""
    return etree.fromstring(data, PARSER)


def serialize(root: etree._Element, original: bytes) -> bytes:
    """Serialise keeping the original XML declaration (Excel writes standalone="yes")."""
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    if original.lstrip().startswith(b"<?xml"):
        start = original.index(b"<?xml")
        return original[start: original.index(b"?>", start) + 2] + b"\r\n" + body
    return body


def _resolve(base_dir: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base_dir, target))


def workbook_parts(zf: zipfile.ZipFile) -> tuple[dict[str, str], str]:
    """({sheet name: part path}, styles part path) from xl/workbook.xml and its relationships."""
    book = parse(zf.read("xl/workbook.xml"))
    rels = parse(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): (r.get("Type"), _resolve("xl", r.get("Target"))) for r in rels}
    sheets = {s.get("name"): targets[s.get(f"{{{NS_REL}}}id")][1]
              for s in book.iter(f"{{{NS_MAIN}}}sheet") if s.get(f"{{{NS_REL}}}id") in targets}
    styles = next((path for kind, path in targets.values() if kind == STYLES_TYPE), "xl/styles.xml")
    return sheets, styles


def stored_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes as stored in the zip (compressed), without decompressing them."""
    zf.fp.seek(info.header_offset)
    header = zf.fp.read(zipfile.sizeFileHeader)
    if header[:4] != zipfile.stringFileHeader:
        raise zipfile.BadZipFile(f"{info.filename}: bad local file header")
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    zf.fp.seek(info.header_offset + zipfile.sizeFileHeader + name_len + extra_len)
    return zf.fp.read(info.compress_size)


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
    `etree.XMLSyntaxError` when the XML is broken."""

    def __init__(self, level: int = 1):
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._parser = etree.XMLParser(target=_NoEvents(), huge_tree=True, resolve_entities=False,
                                       no_network=True)
        self._packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._out: list[bytes] = []
        self._crc = self._size = 0
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="duban-deflate", daemon=True)
        self._thread.start()

    def feed(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def result(self) -> Deflated:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return Deflated(self._out, self._crc, self._size)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue                      # broken already: drain the queue, do no more work
            try:
                self._parser.feed(chunk)
                self._crc = zlib.crc32(chunk, self._crc)
                self._size += len(chunk)
                self._out.append(self._packer.compress(chunk))
            except Exception as exc:          # handed to the producer by result()
                self._error = exc
        if self._error is None:
            try:
                self._out.append(self._packer.flush())
                self._parser.close()
            except Exception as exc:
                self._error = exc

    def __enter__(self) -> "Deflater":
        return self

    def __exit__(self, *exc) -> None:
        if self._thread.is_alive():           # the producer failed: stop the worker
            self._queue.put(None)
            self._thread.join()


# name -> (CRC, compressed size, size, crc32 of the stored bytes): what a written package must hold
Manifest = dict[str, tuple[int, int, int, int]]


def rewrite(source: Path, target, replacements: dict[str, Deflated]) -> Manifest:
    """Write the package of `source` to the open binary file `target`, swapping the given parts.

    Every other part is copied as its stored compressed bytes, untouched (same CRC, sizes,
    method and date). Returns the manifest `check_written` compares the file on disk with."""
    manifest: Manifest = {}
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
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
    copy.header_offset = zout.fp.tell()
    zout.fp.write(copy.FileHeader(zip64=size > zipfile.ZIP64_LIMIT or copy.compress_size > zipfile.ZIP64_LIMIT))
    for piece in pieces:
        zout.fp.write(piece)
    zout.filelist.append(copy)
    zout.NameToInfo[copy.filename] = copy
    zout.start_dir = zout.fp.tell()


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new
