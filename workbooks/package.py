"""The .xlsx package as zip parts: find a sheet's part, and rewrite a package changing only some parts.

Write-back never round-trips a workbook through a spreadsheet library: it copies every part
it does not own byte for byte (same names, order, dates and compression) and replaces only
`xl/styles.xml` and the one sheet it patched.
"""
from __future__ import annotations

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


def rewrite(source: Path, target, replacements: dict[str, bytes]) -> None:
    """Write the package of `source` to the open binary file `target`, swapping the given parts."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = replacements.get(info.filename)
            level = 1 if data is not None else 6  # the big rewritten sheet: fast compression
            if data is None:
                data = zin.read(info)
            zout.writestr(_copy_info(info), data, compress_type=info.compress_type,
                          compresslevel=level if info.compress_type == zipfile.ZIP_DEFLATED else None)


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new
