"""Issue 22, "only what is shown is rendered": a mail with more rows than `mail.max_items` shows
exactly the rows it showed before (tests/data/render_shown_*.txt was written by the renderer that
built every entry), counts the rest, and its "more" section names at most ten workbooks, then how
many more, in the mail's language, in the HTML and the text part.

Small real folders: task workbooks written as a clerk gets them, checked, routed, rendered."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from books import NOW, make_book, settings, task
from duban.jobs.check import check_folder
from duban.jobs.notify import router
from duban.mailer.render import render
from duban.mailer.share import Share
from duban.workbooks.model.directory import Directory

UNC = "\\\\fileserver\\督办"
DATA = Path(__file__).parent / "data"

# three workbooks, ten of 张伟's rows flagged among them: overdue by different days, blocked (with and
# without a due date past), no update for a week, a date nobody can read; one done row (no mail)
BOOKS = {
    "甲部门任务跟进表.xlsx": [
        task("季度预算编制", due=date(2026, 11, 14)),
        task("渠道费用确认", due=date(2026, 12, 10), status="blocked", priority="high"),
        task("修订制度", due="11月31日"),
        task("年会场地", due=date(2026, 11, 20), last_update=date(2026, 11, 10)),
        task("已完成的事", due=date(2026, 11, 1), status="done"),
    ],
    "乙部门任务跟进表.xlsx": [
        task("供应商评估", due=date(2026, 11, 14)),
        task("合同归档", due=date(2026, 11, 2), status="blocked"),
        task("培训计划", due=date(2026, 11, 21)),
    ],
    "丙部门任务跟进表.xlsx": [
        task("客户回访", due=date(2026, 11, 18)),
        task("报表自动化", due=date(2026, 11, 22), last_update=date(2026, 11, 12)),
        task("档案整理", due=date(2026, 11, 14)),
    ],
}


def digest(folder: Path, books: dict[str, list[dict]]) -> router.Notice:
    """张伟's digest after a check of `books` written into `folder`."""
    for name, rows in books.items():
        make_book(folder, rows, name)
    report = check_folder(folder, settings(), NOW)
    sources = [router.Source(w.relpath, w.read, w.flags, w.provisional) for w in report.workbooks]
    plan = router.plan(sources, Directory.from_reads([s.read for s in sources]), [])
    [notice] = [n for n in plan.of_kind("digest") if n.recipient.name == "张伟"]
    return notice


def as_text(notice: router.Notice, folder: Path, lang: str, max_items: int) -> str:
    """Subject, text part and HTML part of the mail, the folder's own path out of it."""
    mail = render(notice, lang, NOW, [], Share.of(UNC, folder), max_items)
    return "\n".join((mail.subject, str(mail.items), mail.text, mail.html)).replace(str(folder), "FOLDER")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, router.Notice]:
    folder = tmp_path_factory.mktemp("shown")
    return folder, digest(folder, BOOKS)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("max_items", [3, 50])
def test_the_mail_shows_exactly_what_it_showed_before(small, lang, max_items):
    folder, notice = small
    assert len(notice.items) > 3 + 1             # more rows than the 3 shown: the rest are counted
    expected = (DATA / f"render_shown_{lang}_{max_items}.txt").read_text(encoding="utf-8")
    assert as_text(notice, folder, lang, max_items) == expected


def test_the_shown_rows_are_the_first_of_the_full_list_and_the_rest_is_counted(small):
    folder, notice = small
    share = Share.of(UNC, folder)
    full, few = render(notice, "zh", NOW, [], share, 50), render(notice, "zh", NOW, [], share, 3)
    titles = re.findall(r"^- (?:\[[^]]*\] )?([^：（\n]+)", full.text, re.M)
    assert len(titles) == full.items > 3
    assert re.findall(r"^- (?:\[[^]]*\] )?([^：（\n]+)", few.text, re.M)[:3] == titles[:3]
    assert few.items == full.items              # what the mail told: every row, shown or counted
    assert f"另有{full.items - 3}项未列出" in few.text and f"另有{full.items - 3}项未列出" in few.html


def many_books(n: int) -> dict[str, list[dict]]:
    """`n` workbooks; the k-th holds k+1 of 张伟's overdue rows, so the most have the most."""
    return {f"部门{k:02d}任务跟进表.xlsx": [task(f"任务{k}-{r}", due=date(2026, 11, 14)) for r in range(k + 1)]
            for k in range(n)}


@pytest.fixture(scope="module")
def twelve(tmp_path_factory) -> tuple[Path, router.Notice]:
    folder = tmp_path_factory.mktemp("twelve")
    return folder, digest(folder, many_books(12))


@pytest.mark.parametrize("lang, sentence", [("zh", "另有1个工作簿（共2项）"), ("en", "and 1 more workbook (2 items)")])
def test_the_more_section_names_the_ten_workbooks_with_most_rows_then_how_many_more(twelve, lang, sentence):
    folder, notice = twelve
    mail = render(notice, lang, NOW, [], Share.of(UNC, folder), max_items=1)
    assert mail.items == sum(range(1, 13))
    for part in (mail.text, mail.html):
        named = set(re.findall(r"部门(\d\d)任务跟进表", part))
        # the shown row's workbook (部门00, its only row) and the ten with most rows left (部门11 … 部门02)
        assert named == {f"{k:02d}" for k in (0, *range(2, 12))}, sorted(named)
        assert sentence in part


def test_the_items_of_a_workbook_share_its_headers(small):
    """Each item quotes the workbook's headers (next steps name its columns): one tuple for all of
    a workbook's items, not a copy each (1,000 workbooks: 100 MB less for remind)."""
    _folder, notice = small
    by_book: dict[str, set[int]] = {}
    for item in notice.items:
        by_book.setdefault(item.workbook, set()).add(id(item.headers))
    assert len(by_book) == 3 and all(len(ids) == 1 for ids in by_book.values())
    assert dict(notice.items[0].headers)["owner"] == "负责人"
