"""The dashboard page in a real browser (the system's Chromium through Playwright, no browser download):
opened from file:// with every request that is not a file blocked, at a desktop and a phone width, it
draws every chart, shows the data's numbers, filters by a clicked department, and keeps hostile cells text.
"""
from __future__ import annotations

import copy
import hashlib
import os
import re
import tempfile
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import pytest

from duban.jobs.dashboard.page import render_page

CHROMIUM = "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs the system Chromium at /usr/bin/chromium")

SCRIPT_CELL = "<script>alert(1)</script>"
CLOSE_CELL = "</script><script>alert(2)</script>"
IMG_CELL = '"><img src=x onerror=alert(1)>'
JS_LINK = "javascript:alert(1)"
SHOTS = Path(os.environ.get("DUBAN_SHOTS") or tempfile.mkdtemp(prefix="duban-dashboard-shots-"))


def sample() -> dict:
    """A realistic data object (schema version 1): four departments, three projects, hostile cells."""
    depts = ["研发部", "市场部", "财务部", "行政部"]
    items = []
    for i in range(18):
        dept = depts[i % 4]
        start = datetime(2026, 11, 2) + timedelta(days=2 * i)
        state = ["done", "open", "late"][i % 3]
        items.append({"id": f"T-{i + 1:06d}", "title": SCRIPT_CELL if i == 4 else f"里程碑{i + 1}", "department": dept,
                      "owner": IMG_CELL if i == 5 else f"员工{i}", "start": start.date().isoformat(),
                      "due": (start + timedelta(days=10)).date().isoformat(), "state": state, "blocked": i == 7})
    late = [{"id": f"T-{i + 1:06d}", "title": [SCRIPT_CELL, CLOSE_CELL, "推广素材制作", "预算复核"][i % 4],
             "department": depts[i % 4], "owner": [IMG_CELL, "李娜", "王强", "张伟"][i % 4], "days_late": 12 - i,
             "blocked": i % 3 == 0, "help_from": "财务部" if i % 3 == 0 else "", "workbook": "任务跟进表.xlsx", "row": 5 + i,
             "link": JS_LINK if i == 1 else "file://///fileserver/%E7%9D%A3%E5%8A%9E/%E4%BB%BB%E5%8A%A1.xlsx",
             "where": f"任务跟进表.xlsx 第{5 + i}行"} for i in range(8)]
    return {
        "version": 1, "lang": "zh", "generated": "2026-12-07T09:00:00+08:00", "folder": "\\\\fileserver\\督办",
        "month": "2026-12", "last_month": "2026-11",
        "kpi": {"on_time_rate": {"this": 0.82, "last": 0.75}, "ack_hours": 1.4, "incident_minutes": 22, "meetings": 3,
                "open": 40, "overdue": 7, "blocked": 3, "stale": 5},
        "departments": [{"name": d, "done": 4 + n, "in_progress": 10 - n, "overdue": 2 + n % 2, "blocked": n % 2}
                        for n, d in enumerate(depts)],
        "projects": [{"name": "Q4新品推广项目", "more": 0, "items": items[:8]}, {"name": "财务系统升级", "more": 12, "items": items[8:14]},
                     {"name": IMG_CELL, "more": 0, "items": items[14:]}], "projects_more": 0,
        "late": late,
        "trend": [{"week_end": (datetime(2026, 10, 16) + timedelta(weeks=k)).date().isoformat(), "open": 30 + k,
                   "overdue": 5 + k % 3} for k in range(8)],
        "problems": [{"workbook": "任务跟进表.xlsx", "count": 3, "first": "第7行“截止日期”不是日期"},
                     {"workbook": "会议纪要.xlsx", "count": 1, "first": CLOSE_CELL}],
        "colours": {"done": "#C6EFCE", "open": "#FFEB9C", "late": "#FFC7CE", "blocked": "#F8CBAD"},
    }


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Opened:
    """A page opened from file:// with the network cut: what it asked for, said and tried to pop up."""

    def __init__(self, browser, html: str | None, width: int, tmp: Path, path: Path | None = None):
        if path is None:
            path = tmp / "看板.html"
            path.write_text(html or "", encoding="utf-8")
        self.context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => document.querySelectorAll('canvas').length >= 3")

    def _route(self, route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def drawn(self) -> dict[str, int]:
        """Per chart, how many of its canvas pixels are not blank."""
        return self.page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.chart')].map(div => {
            const c = div.querySelector('canvas'); if (!c) return [div.id, 0];
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
            return [div.id, n]; }))""")

    def tile(self, name: str) -> str:
        return self.page.inner_text(f'.tile[data-kpi="{name}"]')

    def late_departments(self) -> list[str]:
        return self.page.eval_on_selector_all("#late tbody tr", "rows => rows.map(r => r.children[2].textContent)")

    def gantt_departments(self) -> set[str]:
        rows = self.page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('chart-gantt'))
                                           .getOption().series[0].data.map(d => d.value[5])""")
        return set(rows)

    def click_department(self, name: str) -> None:
        """Click the middle of the department's stacked bar on the canvas, as a person would."""
        x, y = self.page.evaluate("""name => {
            const div = document.getElementById('chart-departments'), chart = echarts.getInstanceByDom(div);
            const d = chart.getOption().series[0].data.map(x => x.value);
            const idx = chart.getOption().yAxis[0].data.indexOf(name);
            const p = chart.convertToPixel({gridIndex: 0}, [Math.max(d[idx] / 2, 0.5), name]);
            window.scrollTo(0, div.getBoundingClientRect().top + window.scrollY + p[1] - 300);
            const r = div.getBoundingClientRect(); return [r.left + p[0], r.top + p[1]]; }""", name)
        self.page.mouse.click(x, y)                                     # viewport coordinates, the bar scrolled into view

    def shot(self, name: str) -> Path:
        out = SHOTS / name
        self.page.screenshot(path=str(out), full_page=True)
        return out

    def close(self):
        self.context.close()


@pytest.fixture
def opened(browser, tmp_path):
    pages: list[Opened] = []

    def open_(data: dict, width: int) -> Opened:
        pages.append(Opened(browser, render_page(data), width, tmp_path))
        return pages[-1]
    yield open_
    for p in pages:
        p.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_every_chart_draws_offline_and_the_tiles_show_the_data(opened, width):
    page = opened(sample(), width)
    drawn = page.drawn()
    assert set(drawn) == {"chart-departments", "chart-trend", "chart-gantt"}
    assert all(n > 500 for n in drawn.values()), drawn
    assert page.tile("on_time").split() == ["按期完成率", "82%", "2026-12", "·", "前一月", "75%"]      # the month reported, the one before
    assert "1.4" in page.tile("ack") and "22" in page.tile("incident")
    for name, value in {"meetings": "3", "open": "40", "overdue": "7", "blocked": "3", "stale": "5"}.items():
        assert page.page.inner_text(f'.tile[data-kpi="{name}"] .value') == value
    assert page.page.inner_text("#folder") == "\\\\fileserver\\督办"
    assert page.blocked == [] and page.errors == [] and page.dialogs == []
    widths = page.page.evaluate("[...document.querySelectorAll('.chart canvas')].map(c => c.getBoundingClientRect().width)")
    assert all(w <= width for w in widths), widths                     # charts fit the screen: nothing to scroll sideways
    assert page.page.evaluate("document.documentElement.scrollWidth") <= width
    page.shot(f"sample-{width}.png")


def test_charts_follow_the_window(opened):
    page = opened(sample(), 1280)
    before = page.page.evaluate("document.querySelector('#chart-trend canvas').getBoundingClientRect().width")
    page.page.set_viewport_size({"width": 390, "height": 900})
    page.page.wait_for_function("() => document.querySelector('#chart-trend canvas').getBoundingClientRect().width < 390")
    after = page.page.evaluate("document.querySelector('#chart-trend canvas').getBoundingClientRect().width")
    assert after < before and page.drawn()["chart-trend"] > 500


def test_clicking_a_department_filters_the_lists_and_the_gantt(opened):
    page = opened(sample(), 1280)
    assert set(page.late_departments()) == {"研发部", "市场部", "财务部", "行政部"}
    assert len(page.gantt_departments()) > 1
    page.click_department("市场部")
    assert set(page.late_departments()) == {"市场部"}
    assert page.gantt_departments() == {"市场部"}
    assert page.page.inner_text('.chip[aria-pressed="true"]') == "市场部"
    page.page.click("#chips .chip >> nth=0")                            # 全部 clears it
    assert len(set(page.late_departments())) == 4 and len(page.gantt_departments()) > 1
    page.page.click("#chips .chip:text-is('财务部')")
    assert set(page.late_departments()) == {"财务部"} and page.gantt_departments() == {"财务部"}
    assert not page.page.is_visible("#gantt-more")
    page.page.select_option("#project", index=1)
    assert page.gantt_departments() == {"财务部"}
    assert page.page.inner_text("#gantt-more") == "此项目另有 12 项未画出（截止日期最早的先画）"
    assert page.errors == [] and page.blocked == []


def test_hostile_cells_stay_text_and_run_nothing(opened):
    page = opened(sample(), 1280)
    cells = page.page.eval_on_selector_all("#late td, #problems td", "tds => tds.map(t => t.textContent)")
    for hostile in (SCRIPT_CELL, CLOSE_CELL, IMG_CELL):
        assert hostile in cells
    assert page.page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.page.evaluate("document.scripts.length") == 4           # the data, the words, ECharts, the page's own
    hrefs = page.page.eval_on_selector_all("a", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("file:") for h in hrefs)
    assert "任务跟进表.xlsx 第6行" in cells                               # the javascript: row keeps its place, as text
    assert page.page.eval_on_selector_all("#late tbody tr:nth-child(2) a", "as => as.length") == 0
    options = page.page.eval_on_selector_all("#project option", "os => os.map(o => o.textContent)")
    assert IMG_CELL in options
    page.page.select_option("#project", index=2)                       # the hostile project's Gantt: names on canvas
    labels = page.page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-gantt')).getOption().yAxis[0].data")
    assert any(SCRIPT_CELL in x for x in labels) is False and len(labels) == 4
    page.page.select_option("#project", index=0)
    labels = page.page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-gantt')).getOption().yAxis[0].data")
    assert "T-000005 " + SCRIPT_CELL in labels
    page.page.mouse.move(600, 600)
    assert page.dialogs == [] and page.errors == [] and page.blocked == []


def test_the_page_allows_no_network_and_only_its_own_scripts():
    html = render_page(sample())
    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert csp.startswith("default-src 'none'; script-src 'sha256-") and "unsafe" not in csp
    assert len(re.findall(r"'sha256-", csp)) == 3                       # ECharts and the page's script; its style
    for hostile in (SCRIPT_CELL, CLOSE_CELL, IMG_CELL):
        assert hostile not in html
    assert html.count("<script") == 4 and html.count("</script>") == 4
    english = copy.deepcopy(sample()) | {"lang": "en"}
    assert "<title>Follow-up dashboard</title>" in render_page(english) and "<title>督办看板</title>" in html


def test_the_print_layout_is_a4_landscape_without_controls(opened):
    page = opened(sample(), 1280)
    page.page.emulate_media(media="print")
    assert not page.page.is_visible("#project") and not page.page.is_visible("#chips")
    assert page.page.inner_text("#project-name") == "Q4新品推广项目"          # the chosen project named instead
    page.page.wait_for_function("() => document.querySelector('#chart-trend canvas').getBoundingClientRect().height < 300")
    assert all(n > 500 for n in page.drawn().values())
    pdf = page.page.pdf(prefer_css_page_size=True, print_background=True)
    size = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert size and float(size.group(1)) > float(size.group(2)) > 590      # landscape A4: 842 x 595 points
    (SHOTS / "print.pdf").write_bytes(pdf)
    assert page.errors == [] and page.blocked == []


def test_many_departments_are_chosen_on_the_chart_and_the_chip_shows_the_choice(opened):
    data = sample()
    data["departments"] = [{"name": f"第{n:02d}事业部", "done": 1, "in_progress": 2, "overdue": 1, "blocked": 0} for n in range(30)]
    data["late"][0]["department"] = "第07事业部"
    page = opened(data, 390)
    assert page.page.eval_on_selector_all("#chips .chip", "cs => cs.map(c => c.textContent)") == ["全部"]
    page.click_department("第07事业部")
    assert page.page.eval_on_selector_all("#chips .chip", "cs => cs.map(c => c.textContent)") == ["全部", "第07事业部"]
    assert page.late_departments() == ["第07事业部"]
    page.page.click("#chips .chip >> nth=1")                             # the chosen one again clears it
    assert len(page.late_departments()) == len(data["late"])


def test_every_word_is_in_both_languages():
    from duban.jobs.dashboard.words import WORDS
    assert set(WORDS["zh"]) == set(WORDS["en"])
    assert all(WORDS["zh"][k] and WORDS["en"][k] for k in WORDS["zh"])


def test_the_vendored_echarts_is_the_recorded_one():
    vendor = Path(render_page.__code__.co_filename).parent / "vendor"
    recorded = re.search(r"echarts\.min\.js\s+sha256 ([0-9a-f]{64})", (vendor / "VERSION").read_text()).group(1)
    assert hashlib.sha256((vendor / "echarts.min.js").read_bytes()).hexdigest() == recorded
    assert "Apache License" in (vendor / "LICENSE").read_text() and (vendor / "NOTICE").exists()


def test_a_page_with_nothing_in_it_still_opens(opened):
    empty = sample() | {"departments": [], "projects": [], "late": [], "trend": [], "problems": [],
                        "kpi": {"on_time_rate": {"this": None, "last": None}, "ack_hours": None, "incident_minutes": None,
                                "meetings": 0, "open": 0, "overdue": 0, "blocked": 0, "stale": 0}}
    page = opened(empty, 390)
    assert page.page.inner_text('.tile[data-kpi="on_time"] .value') == "—"
    assert page.page.is_visible("#late-empty") and page.page.is_visible("#problems-empty")
    assert page.errors == [] and page.dialogs == []


@pytest.mark.slow
def test_the_demo_folders_page(opened, tmp_path):
    """The real thing: the demo folder, checked, its data built by the dashboard's own data module."""
    from duban.jobs.check import check_folder
    from duban.jobs.dashboard.data import dashboard_data
    from duban.jobs.init import init_folder
    from duban.jobs.settings.config import load

    folder = tmp_path / "demo"
    now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    init_folder(folder, demo=True, now=now)
    settings = load(folder)
    report = check_folder(folder, settings, now)
    data = dashboard_data(report, settings, folder, now)
    for width in (1280, 390):
        page = opened(data, width)
        assert all(n > 500 for n in page.drawn().values()), page.drawn()
        for name in ("open", "overdue", "blocked", "stale"):
            assert page.page.inner_text(f'.tile[data-kpi="{name}"] .value') == str(data["kpi"][name])
        assert len(page.late_departments()) == len(data["late"])
        assert page.blocked == [] and page.errors == [] and page.dialogs == []
        page.shot(f"demo-{width}.png")


@pytest.mark.slow
def test_the_page_duban_check_writes_opens_offline(browser, tmp_path):
    """End to end: `duban check` (a process) writes 看板.html beside the workbooks; opened as a head would
    open it from the share, it draws with the network cut."""
    import subprocess
    import sys

    from duban.jobs.init import init_folder

    folder = tmp_path / "demo"
    init_folder(folder, demo=True)
    subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", "check", str(folder)],
                   capture_output=True, check=False)
    page = Opened(browser, None, 1280, tmp_path, path=folder / "看板.html")
    try:
        assert all(n > 500 for n in page.drawn().values()) and page.page.inner_text("#late tbody")
        assert page.blocked == [] and page.errors == [] and page.dialogs == []
    finally:
        page.close()
