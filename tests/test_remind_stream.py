"""Issue 22, memory bounded by one workbook: remind given `keep` (the dashboard's facts) streams its
check, each workbook's records let go once its items are taken; its mail and the dashboard's data are
those of a remind that kept every record. A small real folder (tests/test_render_shown.py's)."""
from __future__ import annotations

from books import NAMES, NOW, make_book, settings
from duban.jobs.dashboard.data import dashboard_data, keeper
from duban.jobs.remind import remind
from duban.workbooks.make.template import write_workbook
from test_render_shown import BOOKS


def test_a_streamed_remind_mails_and_figures_what_a_whole_one_does(tmp_path):
    for name, rows in BOOKS.items():
        make_book(tmp_path, rows, name)
    people = [{"name": n, "department": "研发部", "email": f"p{i}@example.com", "dept_head": "yes" if i == 1 else "no",
               "language": "zh"} for i, n in enumerate(NAMES)]
    write_workbook("directory", tmp_path / "通讯录.xlsx", rows=people, names=NAMES, departments=["研发部"])
    config = settings(mail={"clerks": ["王芳"]})
    whole = remind(tmp_path, config, NOW, dry_run=True)
    streamed = remind(tmp_path, config, NOW, dry_run=True, keep=keeper(config))
    assert all(w.read.records for w in whole.check.workbooks if w.read.kind.key == "tasks")
    assert not any(w.read.records for w in streamed.check.workbooks if w.read.kind.key == "tasks")   # gone
    said = [(o.kind, o.to, o.subject, o.items) for o in whole.outgoing]
    assert len(said) == 3 and [(o.kind, o.to, o.subject, o.items) for o in streamed.outgoing] == said
    page, streamed_page = (dashboard_data(run.check, config, tmp_path, NOW) for run in (whole, streamed))
    assert streamed_page == page and page["kpi"]["overdue"] > 0
