"""`duban summary`: known answers over a scripted three-week history, the mail, the archive, the ledger."""
from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import python_calamine as calamine

import lo
from books import cli
from duban.jobs.settings.calendar import from_settings
from duban.jobs.summary import chart, period as periods
from duban.jobs.summary.figures import JSON_KEYS
from duban.jobs.summary.job import summary
from duban.jobs.summary.store import SummaryStore
from duban.jobs.terminal.summary import summary_json
from duban.mailer.queue import MailQueue
from summary_history import History, at, settings

ROOT = Path(__file__).resolve().parent.parent


# ---- periods ------------------------------------------------------------------------------------
def test_a_week_ends_at_the_update_deadline_or_the_last_working_day_before_it():
    s = settings()
    cal = from_settings(s)
    w = periods.week(at("2026-09-18T17:30"), cal, s.rules)
    assert (w.start, w.end) == (at("2026-09-11T17:00"), at("2026-09-18T17:00"))
    assert periods.week(at("2026-09-18T16:59"), cal, s.rules).end == at("2026-09-11T17:00")
    # Friday 09-25 is the Mid-Autumn holiday: that week ends on Thursday 17:00
    w = periods.week(at("2026-09-26T10:00"), cal, s.rules)
    assert (w.start, w.end, w.label) == (at("2026-09-18T17:00"), at("2026-09-24T17:00"), "2026-09-24")
    # National Day (Thursday 10-01 to Wednesday 10-07): the week ends on Wednesday 09-30
    assert periods.week(at("2026-10-08T09:30"), cal, s.rules).end == at("2026-09-30T17:00")
    nxt = periods.following(w, cal, s.rules)
    assert (nxt.start, nxt.end) == (at("2026-09-24T17:00"), at("2026-09-30T17:00"))


def test_a_month_is_the_previous_calendar_month_in_company_time():
    cal = from_settings(settings())
    m = periods.month(at("2026-01-04T09:30"), cal)
    assert (m.start, m.end, m.label, m.quarter) == (at("2025-12-01T00:00"), at("2026-01-01T00:00"), "2025-12", "2025-Q4")
    assert periods.previous(m, cal, {}, 1).label == "2025-11"


# ---- the history ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The three weeks played once; each week's summary run at its time (outbox transport)."""
    folder = tmp_path_factory.mktemp("summary") / "share"
    folder.mkdir()
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\nhold_outside_office_hours = false\n', encoding="utf-8")
    s = settings()
    runs = {}

    def at_summary(label, now):
        runs[label] = summary(folder, s, now, "week")

    History(folder, s).play(at_summary)
    runs["month"] = summary(folder, s, at("2026-10-08T09:30"), "month")
    return folder, s, runs


def figures(run, scope: str, name: str | None = None) -> dict:
    j = summary_json(run)
    if scope == "company":
        return j["company"]
    key = "department" if scope == "departments" else "project"
    return next({k: v for k, v in d.items() if k != key} for d in j[scope] if d[key] == name)


def expect(completed, on_time, created, open_, overdue, blocked, stale, rate, ack, incident, meetings,
           submitted=0, unacked=0) -> dict:
    """The known figures; the last two: requests submitted in the period, unacknowledged at its end."""
    return dict(zip(JSON_KEYS, (completed, on_time, created, open_, overdue, blocked, stale, rate, ack, incident,
                                meetings, submitted, unacked)))


KNOWN = {
    # week A: T2 done on its due day, T1 a day late, the incident resolved before its ETA; T8 new but already done;
    # R3 acknowledged in 1 working hour, R2 (submitted Friday 16:30) still waiting at 17:00: counted at 0.5 (at least)
    "A": {"company": expect(3, 2, 7, 7, 1, 1, 2, 0.6667, 0.75, 4.0, 1, 2, 1),
          ("departments", "市场部"): expect(1, 1, 4, 4, 0, 0, 1, 1.0, 1.0, None, 1, 1, 0),
          ("departments", "研发部"): expect(2, 1, 3, 3, 1, 1, 1, 0.5, 0.5, 4.0, 1, 1, 1),
          ("projects", "新品发布"): expect(2, 1, 1, 2, 1, 1, 1, 0.5, None, None, 0)},
    # week B (ends Thursday: Mid-Autumn): R2 acknowledged after 11 working hours over a weekend whose Sunday is a
    # make-up working day; the incident answered in 25 minutes; minutes sent 23 h late
    "B": {"company": expect(1, 1, 3, 9, 3, 2, 1, 1.0, 11.0, 25.0, 1),
          ("departments", "市场部"): expect(1, 1, 2, 5, 2, 1, 0, 1.0, None, 25.0, 0),
          ("departments", "研发部"): expect(0, 0, 1, 4, 1, 1, 1, None, 11.0, None, 1),
          ("projects", "新品发布"): expect(1, 1, 0, 1, 1, 1, 1, 1.0, None, None, 0)},
    # week C: R4 acknowledged 1.5 working hours after 17:30 on the eve of the holiday; two completions, both late
    "C": {"company": expect(2, 0, 1, 8, 3, 1, 2, 0.0, 1.5, None, 0, 1),
          ("departments", "市场部"): expect(1, 0, 0, 4, 1, 1, 2, 0.0, None, None, 0),
          ("departments", "研发部"): expect(1, 0, 1, 4, 2, 0, 0, 0.0, 1.5, None, 0, 1),
          ("projects", "新品发布"): expect(1, 0, 0, 0, 0, 0, 0, 0.0, None, None, 0)},
    # September: the seed 001 metrics; acknowledgements 1, 11 and 1.5 working hours; incidents 4 and 25 minutes
    "month": {"company": expect(6, 3, 11, 8, 4, 1, 2, 0.5, 4.5, 14.5, 2, 3),
              ("departments", "市场部"): expect(3, 2, 6, 4, 2, 1, 2, 0.6667, 1.0, 25.0, 1, 1),
              ("departments", "研发部"): expect(3, 1, 5, 4, 2, 0, 0, 0.3333, 6.25, 4.0, 2, 2)},
}


@pytest.mark.parametrize("label", ["A", "B", "C", "month"])
@pytest.mark.slow
def test_every_figure_of_every_scope_is_the_known_answer(history, label):
    _folder, _s, runs = history
    for key, wanted in KNOWN[label].items():
        got = figures(runs[label], *(key if isinstance(key, tuple) else (key,)))
        assert got == wanted, (label, key)


@pytest.mark.slow
def test_the_more_detailed_figures_of_the_mail(history):
    _folder, _s, runs = history
    a, b, c = (runs[k].figures.company for k in "ABC")
    assert (a["due_next"], a["done_when_first_seen"], a["incident_within_share"], a["minutes_late"]) == (2, 1, 1.0, 0)
    assert (b["ack_within_share"], b["first_plan_within_share"], b["incident_reports_late"], b["minutes_late"]) == \
        (0.0, 1.0, 1, 1)
    # T-000003 is due on 09-30, the week's last day: not late at 17:00, so it is due in what follows
    assert (c["ack_within_share"], c["first_plan_within_share"], c["due_next"]) == (1.0, 0.0, 1)
    # the longest overdue, oldest first, with owner, due date and days late
    lists = runs["C"].figures.lists("company")
    assert [(r["id"], r["owner"], r["due"], r["days_late"]) for r in lists["overdue"]] == [
        ("T-000007", "李娜", date(2026, 9, 21), 9), ("M-000003", "孙丽", date(2026, 9, 25), 5),
        ("M-000004", "孙丽", date(2026, 9, 29), 1)]
    assert [(r["id"], r["help_from"]) for r in lists["blocked"]] == [("T-000003", "研发部")]


@pytest.mark.slow
def test_rows_already_done_when_first_seen_are_not_completed_and_the_notes_say_so(history):
    folder, s, runs = history
    done = runs["A"].figures.lists("company")["completed"]
    assert {r["id"] for r in done} == {"T-000001", "T-000002", "I-000002"}       # not T-000008
    mail = _mails(folder, "王芳", "全公司周报 09-11")
    assert "有 1 项在督办首次读取时已是完成状态，完成时间未知，未计入完成数。" in mail.get_body(("plain",)).get_content()


@pytest.mark.slow
def test_each_weeks_figures_are_stored_and_the_trend_reads_them(history):
    folder, s, runs = history
    with SummaryStore(folder / s.state.path, read_only=True) as store:
        stored = store.load([runs[k].period for k in "ABC"], "company", "")
    assert [stored[runs[k].period.end.isoformat()]["open"] for k in "ABC"] == [7, 9, 8]
    assert [stored[runs[k].period.end.isoformat()]["overdue"] for k in "ABC"] == [1, 3, 3]


@pytest.mark.slow
def test_recipients_each_get_their_scope_in_their_language(history):
    _folder, _s, runs = history
    sent = {(m.to, m.subject) for m in runs["C"].outgoing}
    assert sent == {
        ("张伟", "【督办】市场部周报 09-24 – 09-30：完成1项，逾期1项，阻塞1项"),
        ("郑浩", "[duban] 研发部 weekly report 09-24 – 09-30: 1 done, 2 overdue, 0 blocked"),
        ("陈静", "【督办】新品发布周报 09-24 – 09-30：完成1项，逾期0项，阻塞0项"),
        ("王芳", "【督办】全公司周报 09-24 – 09-30：完成2项，逾期3项，阻塞1项")}
    assert {m.status for m in runs["C"].outgoing} == {"queued"}
    month = {m.to: m.subject for m in runs["month"].outgoing}      # duban first checked on 09-11: a baseline
    assert month["王芳"] == "【督办】全公司2026年09月月度复盘（基线）：督办自 2026-09-11 10:00 开始跟踪，现有未完成8项，逾期4项，阻塞1项"
    assert month["郑浩"] == ("[duban] 研发部 monthly review September 2026 (baseline): duban watches since "
                           "2026-09-11 10:00; 4 open, 2 overdue, 0 blocked now")


@pytest.mark.slow
def test_the_same_week_twice_sends_nothing_the_second_time_and_a_new_week_sends_again(history, tmp_path):
    folder, s, runs = history
    copy = tmp_path / "share"
    shutil.copytree(folder, copy)
    before = len(list((copy / "outbox").iterdir()))
    again = summary(copy, s, at("2026-10-08T10:00"), "week")        # by hand, after the schedule ran
    assert again.period.end == at("2026-09-30T17:00")
    assert again.outgoing == [] and again.skipped == 4
    assert len(list((copy / "outbox").iterdir())) == before
    later = summary(copy, s, at("2026-10-09T17:30"), "week")
    assert later.period.end == at("2026-10-09T17:00") and {m.status for m in later.outgoing} == {"queued"}
    assert len(list((copy / "outbox").iterdir())) == before + 4


@pytest.mark.slow
def test_dry_run_prints_who_would_get_what_and_changes_nothing(history, tmp_path):
    folder, s, _runs = history
    copy = tmp_path / "share"
    shutil.copytree(folder, copy)
    files = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in copy.rglob("*")}
    result = _cli("summary", str(copy), "--month", "--now", "2026-11-02T09:30", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"period", "baseline", "departments", "projects", "company", "mails", "archive"}
    assert out["period"] == {"kind": "month", "start": "2026-10-01T00:00:00+08:00", "end": "2026-11-01T00:00:00+08:00"}
    assert out["baseline"] is None      # duban saw October whole
    assert [list(d) for d in out["departments"]] == [["department", *JSON_KEYS]] * 2
    assert list(out["projects"][0]) == ["project", *JSON_KEYS] and list(out["company"]) == list(JSON_KEYS)
    assert {m["status"] for m in out["mails"]} == {"dry-run"} and len(out["mails"]) == 4
    assert out["archive"].endswith("reports/2026-Q4/月报-2026-10.xlsx")
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in copy.rglob("*")} == files


@pytest.mark.slow
def test_dept_and_project_limit_the_report_and_unknown_names_are_usage_errors(history, tmp_path):
    folder, s, _runs = history
    copy = tmp_path / "share"
    shutil.copytree(folder, copy)
    run = summary(copy, s, at("2026-10-09T17:30"), "week", dept="研发部", dry_run=True)
    assert [(m.to, m.status) for m in run.outgoing] == [("郑浩", "dry-run")]
    assert [d["department"] for d in summary_json(run)["departments"]] == ["研发部"]
    run = summary(copy, s, at("2026-10-09T17:30"), "week", project="新品发布", dry_run=True)
    assert [m.to for m in run.outgoing] == ["陈静"]
    result = _cli("summary", str(copy), "--week", "--dept", "法务部", "--dry-run")
    assert result.returncode == 2 and "法务部" in result.stderr
    result = _cli("summary", str(copy), "--week", "--month")
    assert result.returncode == 2


# ---- the mail, through a real SMTP server ----------------------------------------------------------
@pytest.mark.slow
def test_the_mail_arrives_as_html_with_an_inline_png_chart_and_a_text_part(history, tmp_path, smtp_server):
    folder, s, _runs = history
    copy = tmp_path / "share"
    shutil.copytree(folder, copy)
    smtp = settings(transport="smtp", max_per_minute=100_000,
                    smtp=dict(host="127.0.0.1", port=smtp_server.port, security="none", user="", timeout=5))
    run = summary(copy, smtp, at("2026-10-09T17:30"), "week")
    assert len(run.delivery.sent) == 4 and not run.delivery.failed
    for address, lang in (("zheng.hao@example.com", "en"), ("zhang.wei@example.com", "zh")):
        [received] = smtp_server.delivered_to(address)
        message = received.message
        assert message.get_content_type() == "multipart/alternative"
        plain, related = message.get_payload()
        assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
        html, png = related.get_payload()
        assert html.get_content_type() == "text/html" and png.get_content_type() == "image/png"
        cid = png["Content-ID"].strip("<>")
        body = html.get_content()
        assert f'src="cid:{cid}"' in body and "data:" not in body and "<svg" not in body
        data = png.get_content()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
        assert message["Content-Language"] == ("en" if lang == "en" else "zh-CN")
        assert ("Weekly report" in body or "weekly report" in body) if lang == "en" else "周报" in body
        assert ("On-time rate" in plain.get_content()) if lang == "en" else ("按时完成率" in plain.get_content())
    family, path = chart.cjk_font()
    assert family and "CJK" in family or family in chart.PREFERRED, "no CJK font: install fonts-noto-cjk"
    assert run.font.startswith(f"chart font: {family}")
    assert not _blank_png(data)


@pytest.mark.slow
def test_the_archive_is_read_back_by_calamine_and_libreoffice_draws_its_charts(history, tmp_path):
    folder, _s, runs = history
    archive = runs["C"].archive
    assert archive == folder / "reports" / "2026-Q3" / "周报-2026-09-30.xlsx" and archive.exists()
    book = calamine.CalamineWorkbook.from_path(str(archive))
    try:
        assert book.sheet_names == ["总览", "项目", "市场部", "研发部", "事项清单", "说明"]
        overview = book.get_sheet_by_name("总览").to_python()
        header = next(r for r in overview if r and r[0] == "部门")
        rows = {r[0]: dict(zip(header, r)) for r in overview if r and r[0] in ("全公司", "市场部", "研发部")}
        assert (rows["全公司"]["完成"], rows["全公司"]["逾期"], rows["研发部"]["逾期"]) == (2, 3, 2)
        trend = next(i for i, r in enumerate(overview) if "趋势（全公司）" in r)
        col = overview[trend].index("趋势（全公司）")
        opened = [r[col + 3] for r in overview[trend + 2:] if len(r) > col and r[col]]
        assert opened[-3:] == [7, 9, 8]
        items = book.get_sheet_by_name("事项清单").to_python()
        assert items[0][:3] == ["类别", "编号", "事项"]
        assert sorted((r[0], r[1]) for r in items[1:]) == sorted(
            [("逾期", "T-000007"), ("逾期", "M-000003"), ("逾期", "M-000004"), ("阻塞", "T-000003"),
             ("完成", "M-000002"), ("完成", "T-000004")])
    finally:
        book.close()
    if not lo.available():
        pytest.skip(lo.SKIP_REASON)
    pdf = lo.convert(archive, "pdf", tmp_path)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    # the "completed" series is dark green (#2E7D32): some page shows it, so the chart was drawn
    assert any(_has_colour(p, (0x2E, 0x7D, 0x32)) for p in pages), "no page shows the chart's bars"


@pytest.mark.slow
def test_both_languages_of_the_archive(history, tmp_path):
    folder, s, _runs = history
    copy = tmp_path / "share"
    shutil.copytree(folder, copy)
    s_en = replace(settings(), company=replace(settings().company, language="en"))
    run = summary(copy, s_en, at("2026-10-08T10:00"), "month")
    assert run.archive.name == "monthly-2026-09.xlsx"
    book = calamine.CalamineWorkbook.from_path(str(run.archive))
    try:
        assert book.sheet_names[:2] == ["Overview", "Projects"] and "Items" in book.sheet_names
    finally:
        book.close()


# ---- helpers ----------------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _mails(folder: Path, name: str, subject_part: str) -> email.message.EmailMessage:
    with MailQueue(folder / ".duban" / "state.db", read_only=True) as queue:
        for entry in queue.entries():
            if name in entry.key and subject_part in entry.subject:
                return email.message_from_bytes(queue.message(entry.key), policy=email.policy.default)
    raise AssertionError(f"no mail to {name} about {subject_part}")


def _pixels(png: Path | bytes):
    import io

    import numpy as np
    from PIL import Image
    image = Image.open(io.BytesIO(png) if isinstance(png, bytes) else png).convert("RGB")
    return [tuple(p) for p in np.asarray(image).astype(int).reshape(-1, 3).tolist()]


def _blank_png(data: bytes) -> bool:
    return len(set(_pixels(data))) < 5


def _has_colour(png: Path, rgb: tuple[int, int, int], tolerance: int = 24, at_least: int = 20) -> bool:
    found = sum(1 for p in _pixels(png) if all(abs(a - b) <= tolerance for a, b in zip(p, rgb)))
    return found >= at_least


# ---- a report made after its period: stock figures as at the period's end ------------------------------
@pytest.fixture(scope="module")
def late(tmp_path_factory):
    """The three weeks, then edits after week C ended (09-30 17:00): T-000007 done, T-000003 unblocked,
    a new task already past its due date; the week C and September reports made on 10-08."""
    from summary_history import task
    folder = tmp_path_factory.mktemp("late") / "share"
    folder.mkdir()
    (folder / "duban.toml").write_text('[mail]\nclerks = ["王芳"]\nhold_outside_office_hours = false\n', encoding="utf-8")
    s = settings()
    h = History(folder, s)
    h.play()
    find = {r["id"]: r for r in h.books["tasks"]}
    find["T-000007"].update(status="done", progress=1.0)
    find["T-000003"].update(status="in_progress", help_from=None)
    h.books["tasks"].append(task("T-000009", "补交材料", "李娜", "市场部", "2026-09-25"))
    h.check("2026-10-06T10:00")
    week = summary(folder, s, at("2026-10-08T10:00"), "week")
    month = summary(folder, s, at("2026-10-08T10:30"), "month")
    return folder, s, week, month


@pytest.mark.slow
def test_stock_figures_are_as_at_the_periods_end_not_as_of_the_report(late):
    folder, _s, week, month = late
    assert week.period.end == at("2026-09-30T17:00")
    c = week.figures.company
    # at 09-30 17:00: T-000007 still open and overdue, T-000003 blocked (due that day: not yet late),
    # T-000009 not there yet — now T-000007 is done, T-000003 unblocked and late, T-000009 late
    assert (c["open"], c["overdue"], c["blocked"], c["due_next"]) == (8, 3, 1, 1)     # T-000003: due that day
    lists = week.figures.lists("company")
    assert [(r["id"], r["days_late"]) for r in lists["overdue"]] == [("T-000007", 9), ("M-000003", 5),
                                                                    ("M-000004", 1)]
    assert [r["id"] for r in lists["blocked"]] == ["T-000003"]
    m = month.figures.company       # September ends 10-01 00:00: T-000003 (due 09-30) late then
    assert (m["open"], m["overdue"], m["blocked"]) == (8, 4, 1)
    assert [r["id"] for r in month.figures.lists("company")["overdue"]] == ["T-000007", "M-000003", "M-000004",
                                                                          "T-000003"]
    text = _mails(folder, "王芳", "全公司周报 09-24").get_body(("plain",)).get_content()
    assert "未完成、逾期、阻塞、下周到期：截至 2026-09-30 17:00（本周结束时）的状态；未按时更新：截至 2026-10-08 10:00" in text
    assert "逾期最久的事项（前3项，共3项） — 截至 2026-09-30 17:00 的状态" in text
    assert "T-000009" not in text


@pytest.mark.slow
def test_open_age_counts_from_each_rows_own_start_and_unknown_starts_are_left_out(history):
    folder, _s, runs = history
    c = runs["C"].figures.company
    # open at 09-30 17:00: T-000007 (seen 09-21 10:00), R-000002/3/4 (submitted), M-000003/4 (held),
    # I-000003 (occurred); T-000003 was there at the first check: its start is unknown
    assert (c["open"], c["open_age_unknown"], c["avg_open_age_days"]) == (8, 1, 10.7)
    text = _mails(folder, "王芳", "全公司周报 09-24").get_body(("plain",)).get_content()
    assert "未完成: 8  (平均未完成 10.7 天（7/8 项可算）)" in text
    assert "1 项在督办首次检查该工作簿时已存在，开始时间未知，未计入平均。" in text


@pytest.mark.slow
def test_the_item_list_leaves_days_late_blank_when_not_late(history):
    _folder, _s, runs = history
    book = calamine.CalamineWorkbook.from_path(str(runs["C"].archive))
    try:
        items = book.get_sheet_by_name("事项清单").to_python()
    finally:
        book.close()
    late = items[0].index("逾期天数")
    blocked = [r for r in items[1:] if r[0] == "阻塞"]
    assert [(r[1], r[late]) for r in blocked] == [("T-000003", "")]      # due 09-30, the week's last day
    assert {r[1]: r[late] for r in items[1:] if r[0] == "逾期"} == {"T-000007": 9, "M-000003": 5, "M-000004": 1}


@pytest.mark.slow
def test_the_run_says_where_the_mail_went_as_remind_does(history):
    folder, _s, runs = history
    run = runs["C"]
    assert (run.transport, run.destination) == ("outbox", str(folder / "outbox") + os.sep)
    assert run.delivery is not None and len(run.delivery.sent) == 4


@pytest.mark.slow
def test_one_period_of_figures_draws_no_chart_and_says_when_it_will(history):
    folder, _s, runs = history
    mail = _mails(folder, "王芳", "全公司周报 09-11")          # the first week duban saw whole (first check 09-11 10:00)
    assert not [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert "cid:" not in mail.get_body(("html",)).get_content()
    assert ("这是督办完整看到的第一周（督办自 2026-09-11 10:00 开始跟踪），趋势从这一周算起：下周的周报起显示趋势图。"
            in mail.get_body(("plain",)).get_content())
    weekly = _mails(folder, "王芳", "全公司周报 09-24")                # three weeks: a chart
    assert [p for p in weekly.walk() if p.get_content_type() == "image/png"]


@pytest.mark.slow
def test_count_axes_have_whole_number_ticks_and_a_single_value_is_no_line(history):
    fig = chart.figure(["09-18", "09-24"], [("created", "新建", [0, 0]), ("completed", "完成", [0, 0])], [], "t")
    ticks = fig.axes[0].get_yticks()
    assert fig.axes[0].get_ylim()[1] >= 1 and all(float(v).is_integer() for v in ticks)
    fig = chart.figure(["a", "b", "c"], [("created", "新建", [1, 3, 2])], [("open", "未完成", [None, 7, 9])], "t")
    assert all(float(v).is_integer() for v in fig.axes[0].get_yticks())
    from duban.jobs.summary.view import TEXT, _chart
    p = runs_period = history[2]["C"].period
    points = [(runs_period, {"created": 1, "completed": 2, "open": None, "overdue": None}),
              (p, {"created": 2, "completed": 1, "open": 8, "overdue": 3})]
    drawn = _chart(points, TEXT["zh"], True, "全公司", "zh")
    assert drawn["lines"] == [] and len(drawn["bars"]) == 2
    assert _chart(points[-1:], TEXT["zh"], True, "全公司", "zh") is None
    # the archive's charts: a count axis from 0 in whole steps
    import zipfile
    with zipfile.ZipFile(history[2]["C"].archive) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    assert '<c:majorUnit val="1"/>' in xml and '<c:min val="0"/>' in xml


@pytest.mark.slow
def test_blocked_without_a_helper_shows_a_dash_and_the_archive_is_a_file_link(history):
    from duban.jobs.summary.view import scope_view
    from duban.mailer.summary import render_summary
    folder, s, runs = history
    run = runs["C"]
    view = scope_view(run.figures, "company", "", {}, None, "zh", folder, run.archive, "王芳", run.now, s, 8)
    row = dict(view["blocked"][0])
    assert row["help_from"] == "研发部" and row["help_needed"]
    view["blocked"] = [row, {**row, "id": "T-000099", "help_from": "—", "help_needed": False}]
    html = render_summary(view, "zh").html
    cells = html.split("T-000099", 1)[1].split("</tr>", 1)[0]
    assert "—" in cells and "F8CBAD" not in cells
    url = run.archive.absolute().as_uri()
    assert f'href="{url}"' in html and str(run.archive.absolute()) in html
    text = _mails(folder, "王芳", "全公司周报 09-24").get_body(("plain",)).get_content()
    assert f"<{url}>" in text


@pytest.mark.slow
def test_the_archive_is_readable_by_others_on_the_share(history):
    _folder, _s, runs = history
    umask = os.umask(0)
    os.umask(umask)
    assert runs["C"].archive.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.slow
def test_the_archive_names_the_configured_limits(tmp_path):
    folder = tmp_path / "demo"
    assert cli("init", str(folder), "--demo").returncode == 0
    toml = folder / "duban.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("ack_working_hours = 2 ", "ack_working_hours = 4 ", 1)
                    .replace("incident_response_minutes = 10 ", "incident_response_minutes = 15 ", 1), encoding="utf-8")
    done = cli("summary", str(folder), "--week")
    assert done.returncode == 0, done.stderr
    [archive] = (folder / "reports").rglob("周报-*.xlsx")
    book = calamine.CalamineWorkbook.from_path(str(archive))
    cells = {str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row}
    assert "4工作小时内确认" in cells and "15分钟内响应" in cells
    assert "2工作小时内确认" not in cells and "10分钟内响应" not in cells
