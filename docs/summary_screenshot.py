"""Regenerates docs/summary.png: a demo folder's company-wide weekly report as received, rendered
by headless Chromium with its inline chart (cid: swapped for the attached PNG's file).

Usage: python docs/summary_screenshot.py [--eml FILE] [--out PNG] [--height 2200]
Needs `chromium` and a CJK font (fonts-noto-cjk)."""
from __future__ import annotations

import argparse
import email
import email.policy
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent


def duban(*args: str) -> None:
    subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *args], cwd=HERE.parent, check=True,
                   capture_output=True)


def render(eml: Path, png: Path, height: int = 2200, width: int = 760) -> str:
    """Render the HTML part of `eml`, its cid: image made a file beside it, to `png`; its subject."""
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    work = Path(tempfile.mkdtemp(prefix="duban-summary-shot-"))
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_type() == "image/png":
            image = work / "chart.png"
            image.write_bytes(part.get_content())
            html = html.replace(f"cid:{cid.strip('<>')}", image.name)
    page = work / "summary.html"
    page.write_text(html, encoding="utf-8")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri()],
                   check=True, capture_output=True)
    return message["Subject"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eml", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "summary.png")
    parser.add_argument("--height", type=int, default=2200)
    args = parser.parse_args()
    eml = args.eml
    if eml is None:
        demo = Path(tempfile.mkdtemp(prefix="duban-shots-")) / "demo"
        duban("init", str(demo), "--demo")
        toml = demo / "duban.toml"           # links as staff on Windows reach the share, as in docs/screenshots.py
        toml.write_text(toml.read_text(encoding="utf-8").replace('share_path = ""', "share_path = '\\\\fileserver\\督办'", 1),
                        encoding="utf-8")
        today = date.today()
        friday = today - timedelta(days=(today.weekday() - 4) % 7)
        # duban watches from two weeks back: the week before is the first it sees whole, this one
        # the second, so the report has a trend chart (a week begun before the first check is a baseline)
        duban("check", str(demo), "--now", f"{friday - timedelta(days=14)}T10:00")
        duban("check", str(demo), "--now", f"{friday - timedelta(days=7)}T10:00")
        duban("summary", str(demo), "--week", "--now", f"{friday - timedelta(days=7)}T17:30")
        duban("check", str(demo), "--now", f"{friday}T10:00")
        duban("summary", str(demo), "--week", "--now", f"{friday}T17:30")
        mails = sorted((demo / "outbox").glob("*.eml"), key=lambda p: p.stat().st_size)
        eml = next(p for p in reversed(mails) if "全公司" in (subject := email.message_from_bytes(
            p.read_bytes(), policy=email.policy.default)["Subject"]) and f"{friday:%m-%d}：" in subject)
    print(f"wrote {args.out}: {render(eml, args.out, args.height)}")


if __name__ == "__main__":
    main()
