"""Regenerate the README screenshots: a digest mail rendered by headless Chromium, and a checked
workbook rendered by LibreOffice. Needs `chromium` and `soffice` on PATH and a CJK font.

Usage: python docs/screenshots.py
"""
from __future__ import annotations

import email
import email.policy
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def duban(*args: str) -> None:
    subprocess.run([sys.executable, "-c", "from jobs.cli import main; main()", *args], check=True,
                   cwd=HERE.parent, stdout=subprocess.DEVNULL)


def richest_digest(outbox: Path) -> email.message.EmailMessage:
    """The digest with the most rule groups: the most to see in one picture."""
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox.glob("*.eml")]
    digests = [m for m in mails if "您有" in str(m["Subject"])]
    return max(digests, key=lambda m: (str(m["Subject"]).count("、"), len(m.get_body(("html",)).get_content())))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="duban-shots-"))
    demo = work / "demo"
    duban("init", str(demo), "--demo")
    duban("remind", str(demo), "--now", "2026-11-23T09:30")
    message = richest_digest(demo / "outbox")
    page = work / "digest.html"
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={HERE / 'digest.png'}", "--window-size=760,900", page.as_uri()],
                   check=True, capture_output=True)
    book = demo / "任务跟进表.xlsx"      # LibreOffice renders the checked sheet (its colours) as HTML
    subprocess.run(["soffice", "--headless", "--convert-to", "html", "--outdir", str(work), str(book)],
                   check=True, capture_output=True)
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={HERE / 'workbook.png'}", "--window-size=1500,560",
                    (work / "任务跟进表.html").as_uri()], check=True, capture_output=True)
    print(f"wrote {HERE / 'digest.png'} ({message['Subject']}) and {HERE / 'workbook.png'}")


if __name__ == "__main__":
    main()
