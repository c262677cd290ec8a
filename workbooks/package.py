"""The .xlsx package as zip parts: find a sheet's part, and rewrite a package changing only some parts.

Write-back never round-trips a workbook through a spreadsheet library: it copies every part
it does not own byte for byte (same names, order, dates and compression) and replaces only
`xl/styles.xml` and the one sheet it patched.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
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


def read_part(zf: zipfile.ZipFile, name: str | zipfile.ZipInfo, feed=None) -> bytes:
    """A part's bytes without the momentary second copy `ZipFile.read` makes of a large part
    (it concatenates the pieces). `feed(chunk)` sees each piece as it arrives (e.g. a parser)."""
    out = io.BytesIO()     # grows in place; getvalue() hands over its buffer without copying
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            if feed:
                feed(chunk)
            out.write(chunk)
    return out.getvalue()


def rewrite(source: Path, target, replacements: dict) -> None:
    """Write the package of `source` to the open binary file `target`, swapping the given parts.

    A replacement is bytes, or a callable giving chunks (streamed, so a large sheet is never
    held twice). Every other part is copied as its stored compressed bytes, untouched."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", compresslevel=1) as zout:
        for info in zin.infolist():
            new = replacements.get(info.filename)
            if new is None:
                _copy_raw(zin, zout, info)
            elif callable(new):
                streamed = _copy_info(info)
                streamed._compresslevel = 1  # the big rewritten sheet: fast compression
                with zout.open(streamed, "w", force_zip64=info.file_size > 1 << 30) as dst:
                    buffer = bytearray()
                    for chunk in new():  # many small pieces: hand zlib ~1 MB at a time
                        buffer += chunk
                        if len(buffer) >= 1 << 20:
                            dst.write(buffer)
                            buffer.clear()
                    dst.write(buffer)
            else:
                zout.writestr(_copy_info(info), new)


def _copy_raw(zin: zipfile.ZipFile, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Copy one member's compressed bytes as they are (same CRC, sizes, method and date)."""
    zin.fp.seek(info.header_offset)
    header = zin.fp.read(zipfile.sizeFileHeader)
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    zin.fp.seek(info.header_offset + zipfile.sizeFileHeader + name_len + extra_len)
    data = zin.fp.read(info.compress_size)
    copy = _copy_info(info)
    copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
    copy.flag_bits = info.flag_bits & ~0x08      # sizes go in the local header, no data descriptor
    copy.extra = info.extra
    copy.header_offset = zout.fp.tell()
    zout.fp.write(copy.FileHeader(zip64=info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT))
    zout.fp.write(data)
    zout.filelist.append(copy)
    zout.NameToInfo[copy.filename] = copy
    zout.start_dir = zout.fp.tell()


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new
