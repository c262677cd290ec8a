"""Regenerate the README screenshots: a digest mail rendered by headless Chromium, and a checked
workbook as LibreOffice prints it (its PDF, page 1, cropped to the table). Needs `chromium`,
`soffice` and `pdftoppm` (poppler-utils) on PATH and a CJK font.

Usage: python docs/screenshots.py
"""
from __future__ import annotations

import email
import email.policy
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def duban(*args: str) -> None:
    subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *args], check=True,
                   cwd=HERE.parent, stdout=subprocess.DEVNULL)


def richest_digest(outbox: Path) -> email.message.EmailMessage:
    """The digest with the most rule groups: the most to see in one picture."""
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox.glob("*.eml")]
    digests = [m for m in mails if "您有" in str(m["Subject"])]
    return max(digests, key=lambda m: (str(m["Subject"]).count("、"), len(m.get_body(("html",)).get_content())))


def render_table(pdf: Path, png: Path, dpi: int = 150) -> None:
    """Page 1 of `pdf` as a PNG, cropped to what is printed on it (plus a small margin)."""
    probe = subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "30", "-gray", str(pdf)],
                           check=True, capture_output=True).stdout
    left, top, right, bottom = ink_box(probe)
    scale, pad = dpi / 30, 6
    x, y = max(0, int((left - 1) * scale) - pad), max(0, int((top - 1) * scale) - pad)
    w, h = int((right - left + 3) * scale) + 2 * pad, int((bottom - top + 3) * scale) + 2 * pad
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", str(dpi), "-png", "-singlefile",
                    "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h), str(pdf), str(png.with_suffix(""))],
                   check=True)


def ink_box(pgm: bytes) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the non-white pixels of a binary PGM (pdftoppm -gray)."""
    fields, pos = [], 0
    while len(fields) < 4:                       # P5, width, height, maxval
        while pgm[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not pgm[end:end + 1].isspace():
            end += 1
        fields.append(pgm[pos:end])
        pos = end
    width, height = int(fields[1]), int(fields[2])
    pixels = pgm[pos + 1:]
    rows = [r for r in range(height) if min(pixels[r * width:(r + 1) * width]) < 250]
    cols = [c for c in range(width) if min(pixels[c::width][:height]) < 250]
    return cols[0], rows[0], cols[-1], rows[-1]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="duban-shots-"))
    demo = work / "demo"
    duban("init", str(demo), "--demo")         # demo rows are dated around today, so check today
    toml = demo / "duban.toml"                  # the folder as staff reach it, not the temp folder
    toml.write_text(toml.read_text(encoding="utf-8").replace('share_path = ""', "share_path = '\\\\fileserver\\督办'", 1),
                    encoding="utf-8")
    duban("remind", str(demo), "--now", f"{date.today()}T09:30")
    message = richest_digest(demo / "outbox")
    page = work / "digest.html"
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={HERE / 'digest.png'}", "--window-size=760,900", page.as_uri()],
                   check=True, capture_output=True)
    book = demo / "任务跟进表.xlsx"      # LibreOffice prints the checked sheet: its fonts and colours
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(book)],
                   check=True, capture_output=True)
    render_table(work / "任务跟进表.pdf", HERE / "workbook.png")
    print(f"wrote {HERE / 'digest.png'} ({message['Subject']}) and {HERE / 'workbook.png'}")


if __name__ == "__main__":
    main()
