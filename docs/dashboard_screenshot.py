"""Regenerates docs/dashboard-desktop.png and docs/dashboard-phone.png: the demo folder's dashboard,
after three weekly checks and two weekly summaries (so the trend has points), photographed by the
system's Chromium through Playwright at 1280 and 390 px with the network cut.

Usage: python docs/dashboard_screenshot.py [--out-dir docs]
Needs /usr/bin/chromium, the `playwright` package (the test extra; no browser download) and a CJK font."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import sync_playwright

from duban.jobs.check import check_folder
from duban.jobs.dashboard.data import dashboard_data
from duban.jobs.dashboard.page import render_page
from duban.jobs.settings.config import load

HERE = Path(__file__).resolve().parent


def duban(*args: str) -> None:
    subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *args], cwd=HERE.parent, check=True,
                   capture_output=True)


def demo_page() -> Path:
    """The demo folder checked weekly for three weeks; its page as at this Friday 10:00."""
    demo = Path(tempfile.mkdtemp(prefix="duban-dashboard-shot-")) / "demo"
    duban("init", str(demo), "--demo")
    toml = demo / "duban.toml"               # links as staff on Windows reach the share, as in docs/screenshots.py
    toml.write_text(toml.read_text(encoding="utf-8").replace('share_path = ""', "share_path = '\\\\fileserver\\督办'", 1),
                    encoding="utf-8")
    today = date.today()
    friday = today - timedelta(days=(today.weekday() - 4) % 7)
    duban("check", str(demo), "--now", f"{friday - timedelta(days=14)}T10:00")
    duban("check", str(demo), "--now", f"{friday - timedelta(days=7)}T10:00")
    duban("summary", str(demo), "--week", "--now", f"{friday - timedelta(days=7)}T17:30")
    duban("check", str(demo), "--now", f"{friday}T10:00")
    duban("summary", str(demo), "--week", "--now", f"{friday}T17:30")
    now = datetime.combine(friday, datetime.min.time()).replace(hour=17, minute=45, tzinfo=timezone(timedelta(hours=8)))
    settings = load(demo)
    report = check_folder(demo, settings, now, dry_run=True)
    page = demo.parent / "看板.html"
    page.write_text(render_page(dashboard_data(report, settings, demo, now)), encoding="utf-8")
    return page


def photograph(page: Path, out: Path, width: int) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
        tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        tab.goto(page.as_uri())
        tab.wait_for_function("() => document.querySelectorAll('canvas').length >= 3")
        tab.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-dir", type=Path, default=HERE)
    args = parser.parse_args()
    page = demo_page()
    photograph(page, args.out_dir / "dashboard-desktop.png", 1280)
    photograph(page, args.out_dir / "dashboard-phone.png", 390)
    print(f"wrote {args.out_dir / 'dashboard-desktop.png'} and {args.out_dir / 'dashboard-phone.png'} from {page}")


if __name__ == "__main__":
    main()
