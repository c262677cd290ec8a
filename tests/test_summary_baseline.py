"""The first reports after adoption (issue 17, point 6): a period duban did not see whole is the
baseline — what is open now and from when duban watches — not a report of zeros; it is kept out
of the trend, which starts with the first period duban saw whole."""
from __future__ import annotations

import email
import email.policy

import pytest
import python_calamine as calamine

from duban.jobs.check import check_folder
from duban.jobs.summary.job import summary
from duban.jobs.summary.store import SummaryStore
from duban.jobs.terminal.summary import summary_json
from duban.mailer.queue import MailQueue
from summary_history import at, directory, find, request, settings, task, write_all


def books() -> dict[str, list[dict]]:
    """Nine open tasks (three overdue) and a waiting request when duban is installed, Monday 09-14."""
    tasks = [task(f"T-00000{i}", f"任务{i}", "李娜" if i % 2 else "孙丽", "市场部" if i % 2 else "研发部",
                  "2026-09-10" if i <= 3 else "2026-10-30", updated="2026-09-11") for i in range(1, 10)]
    tasks.append(task("T-000010", "上周已完成", "李娜", "市场部", "2026-09-11", "done", "2026-09-11"))
    return {"tasks": tasks, "requests": [request("R-000001", "数据需求", "研发部", "孙丽", "2026-09-11 10:00")],
            "directory": directory(lang_of_zheng="zh")}


@pytest.fixture(scope="module")
def adopted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adopted") / "share"
    folder.mkdir()
    s = settings()
    b = books()
    runs = {}

    def check(when: str) -> None:
        write_all(folder, b)
        check_folder(folder, s, at(when))

    check("2026-09-14T10:00")                               # duban's first check
    runs["before"] = summary(folder, s, at("2026-09-14T10:30"), "week")      # last week: never seen
    find(b["tasks"], "T-000001").update(status="done", last_update=at("2026-09-16T10:00").date())
    check("2026-09-16T10:00")
    runs["partial"] = summary(folder, s, at("2026-09-18T17:30"), "week")     # began before the first check
    find(b["tasks"], "T-000002").update(status="done", last_update=at("2026-09-21T10:00").date())
    check("2026-09-21T10:00")
    runs["first"] = summary(folder, s, at("2026-09-24T17:30"), "week")       # 09-18 17:00 - 09-24 17:00: whole
    find(b["tasks"], "T-000003").update(status="done", last_update=at("2026-09-28T10:00").date())
    check("2026-09-28T10:00")
    runs["second"] = summary(folder, s, at("2026-09-30T17:30"), "week")
    runs["september"] = summary(folder, s, at("2026-10-08T09:30"), "month")
    runs["october"] = summary(folder, s, at("2026-11-02T09:30"), "month")
    return folder, s, runs


@pytest.mark.slow
def test_a_week_that_ended_before_the_first_check_is_the_baseline_not_a_week_of_zeros(adopted):
    folder, _s, runs = adopted
    run = runs["before"]
    assert run.period.end == at("2026-09-11T17:00") and run.baseline.start == at("2026-09-18T17:00")
    assert [m.subject for m in run.outgoing if m.to == "王芳"] == [
        "【督办】全公司周报 09-04 – 09-11（基线）：督办自 2026-09-14 10:00 开始跟踪，现有未完成10项，逾期3项，阻塞0项，"
        "未确认需求1项"]
    text = _text(folder, "王芳", "全公司周报 09-04")
    assert "本周完成" not in text and "按时完成率" not in text and "完成0项" not in text
    assert ("督办自 2026-09-14 10:00 开始跟踪工作簿。这一周（2026-09-04 17:00 至 2026-09-11 17:00）开始于此之前，"
            "督办没有看到它的全部，完成、新建和响应时效无从统计，所以本期只作为基线：下面是现在（2026-09-14 10:30）的未完成事项。"
            "从督办完整看到的第一周（2026-09-18 17:00 至 2026-09-24 17:00）起正式统计，趋势也从那周开始。") in text
    # the average age of the one open item whose start is known (the request) says it is one of ten
    assert "未完成: 10  (平均未完成 3 天（1/10 项可算）)" in text
    assert "现在等待中\r\n- 跨部门需求: 现有未确认接收的需求 1 项，最久已等待 9.5 工作小时" in text
    assert "趋势从督办完整看到的第一周（2026-09-18 17:00 至 2026-09-24 17:00）开始。" in text
    assert "趋势图在有两期数据后显示" not in text
    assert summary_json(run)["baseline"] == {
        "watched_since": "2026-09-14T10:00:00+08:00",
        "first_whole_period": {"kind": "week", "start": "2026-09-18T17:00:00+08:00", "end": "2026-09-24T17:00:00+08:00"}}


@pytest.mark.slow
def test_a_week_that_began_before_the_first_check_is_the_baseline_too_and_neither_is_stored(adopted):
    folder, s, runs = adopted
    run = runs["partial"]
    assert run.baseline is not None
    assert ("【督办】全公司周报 09-11 – 09-18（基线）：督办自 2026-09-14 10:00 开始跟踪，现有未完成9项，逾期2项，阻塞0项，"
            "未确认需求1项") in {m.subject for m in run.outgoing}
    with SummaryStore(folder / s.state.path, read_only=True) as store:
        stored = store.load([runs[k].period for k in ("before", "partial", "first", "second")], "company", "")
    assert sorted(stored) == [runs["first"].period.end.isoformat(), runs["second"].period.end.isoformat()]


@pytest.mark.slow
def test_the_first_whole_week_says_the_trend_starts_there_and_the_chart_follows_from_the_next(adopted):
    folder, _s, runs = adopted
    assert runs["first"].baseline is None
    first = _mail(folder, "王芳", "全公司周报 09-18")
    assert not [p for p in first.walk() if p.get_content_type() == "image/png"]
    text = first.get_body(("plain",)).get_content()
    assert "这是督办完整看到的第一周（督办自 2026-09-14 10:00 开始跟踪），趋势从这一周算起：下周的周报起显示趋势图。" in text
    assert "趋势图在有两期数据后显示" not in text and "（基线）" not in first["Subject"]
    second = _mail(folder, "王芳", "全公司周报 09-24")
    assert [p for p in second.walk() if p.get_content_type() == "image/png"]
    # the trend: the two weeks duban saw whole, none of the baseline weeks
    book = calamine.CalamineWorkbook.from_path(str(runs["second"].archive))
    try:
        overview = book.get_sheet_by_name("总览").to_python()
    finally:
        book.close()
    top = next(i for i, r in enumerate(overview) if "趋势（全公司）" in r)
    col = overview[top].index("趋势（全公司）")
    assert [r[col] for r in overview[top + 2:] if len(r) > col and r[col]] == ["09-24", "09-30"]


@pytest.mark.slow
def test_the_baseline_archive_leaves_the_flows_blank_and_says_why(adopted):
    _folder, _s, runs = adopted
    book = calamine.CalamineWorkbook.from_path(str(runs["before"].archive))
    try:
        overview = book.get_sheet_by_name("总览").to_python()
        items = book.get_sheet_by_name("事项清单").to_python()
    finally:
        book.close()
    assert overview[0][0] == "周报 2026-09-04 17:00 至 2026-09-11 17:00（基线：督办自 2026-09-14 10:00 开始跟踪）"
    assert overview[1][0].startswith("本期开始于督办首次检查（2026-09-14 10:00）之前")
    header = next(r for r in overview if r and r[0] == "部门")
    company = dict(zip(header, next(r for r in overview if r and r[0] == "全公司")))
    assert (company["完成"], company["按时率"], company["新建"], company["未完成"], company["逾期"]) == ("", "", "", 10, 3)
    assert "趋势从督办完整看到的第一周（2026-09-18 17:00 至 2026-09-24 17:00）开始。" in [c for r in overview for c in r]
    assert {r[0] for r in items[1:]} == {"逾期", "未确认接收"}


@pytest.mark.slow
def test_a_month_duban_saw_in_part_is_the_baseline_and_the_next_review_says_there_is_nothing_to_compare(adopted):
    folder, _s, runs = adopted
    assert runs["september"].baseline is not None and runs["october"].baseline is None
    assert "【督办】全公司2026年09月月度复盘（基线）：督办自 2026-09-14 10:00 开始跟踪" in \
        next(m.subject for m in runs["september"].outgoing if m.to == "王芳")
    october = _mail(folder, "王芳", "全公司2026年10月月度复盘")
    text = october.get_body(("plain",)).get_content()
    assert "* 上月督办没有完整看到（督办自 2026-09-14 10:00 开始跟踪），没有可对比的数字。" in text
    assert "任务按时完成率: —\r\n" in text and "上月 —" not in text
    assert "这是全公司2026年10月的月度复盘：按时完成率、平均响应时长和会议次数。" in text
    assert "上月</th>" not in october.get_body(("html",)).get_content()
    assert "这是督办完整看到的第一个月（督办自 2026-09-14 10:00 开始跟踪），趋势从这个月算起：下月的复盘起显示趋势图。" in text


def _mail(folder, name: str, subject_part: str) -> email.message.EmailMessage:
    with MailQueue(folder / ".duban" / "state.db", read_only=True) as queue:
        for entry in queue.entries():
            if name in entry.key and subject_part in entry.subject:
                return email.message_from_bytes(queue.message(entry.key), policy=email.policy.default)
    raise AssertionError(f"no mail to {name} about {subject_part}")


def _text(folder, name: str, subject_part: str) -> str:
    return _mail(folder, name, subject_part).get_body(("plain",)).get_content()
