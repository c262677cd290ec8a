"""`duban summary DIR --week | --month`: figure, store, archive, and mail each reader their report.

1. Read every workbook and apply the rules (the check without its write-back: flags as of now).
2. The change journal says when each row first appeared and was first seen done.
3. `figures.compute` aggregates the period per department, per project and for the company.
4. The figures of every scope are stored in state.db (`store`); the trend is read from there.
5. The archive `.xlsx` goes to DIR/reports/<year>-Q<quarter>/.
6. Recipients: each department head (通讯录 部门负责人 = 是) their department's report, the RACI
   Informed of a project that project's, `summary.recipients` and `mail.clerks` the company's;
   each in their own directory language. The ledger keeps it to one report per recipient, scope
   and period, however often the job runs; every mail goes through the queue.
A period duban did not see whole (it began before duban's first check) is the baseline
(`baseline`): its mail and archive show what is open now and from when duban watches, its figures
are not stored, and the trend starts with the first period duban saw whole.
`--dry-run` reads and figures, and writes, records and mails nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pandas as pd

from duban.jobs.check import check_folder
from duban.jobs.notify import groups
from duban.jobs.notify.ledger import Ledger
from duban.jobs.notify.outbox import Outbox, deliver
from duban.jobs.notify.router import Named, Notice, Router, names, norm
from duban.jobs.remind import MailRun, mail_run
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.jobs.settings.typed import Settings
from duban.jobs.state.journal import Journal
from duban.jobs.state.runlock import run_lock
from duban.jobs.summary import chart, period as periods
from duban.jobs.summary.archive import archive_name, write_archive
from duban.jobs.summary.baseline import archive_texts, baseline_view, first_whole, is_baseline, watched_since
from duban.jobs.summary.facts import frame_of, kept_rows, rows_of
from duban.jobs.summary.figures import Figures, compute
from duban.jobs.summary.groupview import for_group
from duban.jobs.summary.period import Period
from duban.jobs.summary.store import SummaryStore
from duban.jobs.summary.view import scope_view
from duban.mailer.queue import MailQueue
from duban.mailer.summary import CHART_CID
from duban.workbooks.model.directory import Directory, Person
from duban.workbooks.model.errors import UsageError
from duban.workbooks.model.schema import Role

log = logging.getLogger("duban.summary")
TREND = {"week": 8, "month": 6}         # periods in the mail's chart
ARCHIVE_TREND = {"week": 12, "month": 12}


@dataclass
class SummaryRun(MailRun):
    period: Period | None = None
    figures: Figures | None = None
    archive: Path | None = None
    archive_written: bool = False
    font: str = ""
    scopes: list[tuple[str, str]] = field(default_factory=list)   # the (scope, name) reports made
    dept: str | None = None
    project: str | None = None
    watched: datetime | None = None       # duban's first check
    baseline: Period | None = None        # a baseline report: the first period duban sees whole
    stock: Figures | None = None          # a baseline report: the figures as at now


def summary(folder: Path, settings: Settings, now: datetime, kind: str, dry_run: bool = False,
            dept: str | None = None, project: str | None = None) -> SummaryRun:
    with run_lock(folder, settings, "summary", dry_run):     # a dry run shares it and creates no file
        return _run(folder, settings, now, kind, dry_run, dept, project)


def _run(folder, settings, now, kind, dry_run, dept, project) -> SummaryRun:
    calendar = calendar_from(settings)
    thresholds = settings.rules
    period = periods.week(now, calendar, thresholds) if kind == "week" else periods.month(now, calendar)
    where = mail_run(folder, settings, now)       # where the mail goes: DIR/outbox/ or the SMTP server
    run = SummaryRun(now, transport=where.transport, destination=where.destination, folder=folder, period=period,
                     dept=dept, project=project)
    db = folder / settings.state.path

    # read + rules (the file is not touched); each workbook's facts taken as it is checked, its records let go
    report = check_folder(folder, settings, now, dry_run=True, each=lambda w: facts_of(w, calendar))
    directory = Directory.from_reads([w.read for w in report.workbooks])
    raci = [w.read for w in report.workbooks if w.read.kind is not None and w.read.kind.key == "raci"]
    journal = Journal(db, read_only=True)
    try:
        lives, starts = journal.lifetimes()
        changes = status_changes(journal, period)
    finally:
        journal.close()
    run.watched = watched = watched_since(starts, now)
    frame = frame_of(taken(report.workbooks, calendar), lives, starts, directory, calendar, now)
    del report, lives       # the frame has what the report and the journal's lifetimes had for the figures
    figures = compute(frame, period, now, calendar, thresholds, periods.following(period, calendar, thresholds),
                      changes=changes)
    run.figures = figures
    _check_filters(figures, directory, dept, project)
    if is_baseline(period, watched):        # what stands now, for the mail and the archive
        run.baseline = first_whole(period, watched, calendar, thresholds)
        run.stock = compute(frame, Period(period.kind, period.start, max(now, period.end)), now, calendar, thresholds,
                            periods.following(period, calendar, thresholds), changes=changes)

    back = ARCHIVE_TREND[kind]
    past = [periods.previous(period, calendar, thresholds, n) for n in range(back - 1, 0, -1)]
    past = [p for p in past if p.start >= watched]      # the trend: only periods duban saw whole
    scopes = _scopes(figures)
    with SummaryStore(db, read_only=dry_run) as store:
        stored = store.load_all(past)
        if not dry_run and run.baseline is None:
            store.save(period, scopes, now)
    trend = _trend(frame, past, period, scopes, stored, calendar, thresholds, now)
    previous_period = past[-1] if past else None

    run.font = chart.font_note()
    log.info(run.font)
    lang = settings.company.language
    name = archive_name(period, lang)
    run.archive = folder / "reports" / period.quarter / name
    if not dry_run:
        marked = None if run.baseline is None else archive_texts(period, watched, run.baseline, now, lang)
        write_archive(run.archive, run.stock or figures, {} if marked else trend, lang, settings,
                      _company_name(settings), marked)
        run.archive_written = True

    plan, named = _recipients(figures, directory, raci, settings, dept, project)
    _mail(folder, settings, now, run, plan, named, trend, previous_period, dry_run)
    return run


def facts_of(checked, calendar) -> dict | None:
    """A workbook's facts for the item frame, taken from its check (`check_folder(each=)`) while
    it still holds the records (unpacked once: a streamed check's records unpack on each pass). Its
    flags go too (the facts have what the figures need of them; ~50 KB a workbook of 200 rows)."""
    rows = rows_of(checked.relpath, list(checked.read.records), checked.flags, calendar)
    checked.flags = {}
    return rows


def taken(checked: list, calendar) -> Iterator[dict | None]:
    """Each checked workbook's facts (`facts_of`, kept by the check, or taken now from a check that
    kept its records), let go of from `checked` as the frame takes them (`checked` is left empty)."""
    checked.reverse()
    while checked:
        found = checked.pop()
        if found.read.kind is not None:
            yield kept_rows(found, calendar)


def status_changes(journal: Journal, period: Period) -> pd.DataFrame:
    """The journal's status changes after the period's end, oldest first: (workbook, id, at, old
    status), from which `figures.stock_marks` tells each row's status at the end. Read from a day
    before the end (the stamps' offsets may differ) and cut exactly there."""
    rows = journal.status_changes(period.end - timedelta(days=1))
    out = pd.DataFrame({"workbook": [r[0] for r in rows], "id": [r[1] for r in rows], "old": [r[3] for r in rows]})
    out["at"] = pd.to_datetime(pd.Series([r[2] for r in rows], dtype=object), utc=True, format="ISO8601")
    return out


def _check_filters(figures: Figures, directory: Directory, dept: str | None, project: str | None) -> None:
    if dept is not None and dept not in figures.departments and dept not in directory.departments:
        known = "、".join(sorted(n for n in figures.departments if n)) or "-"
        raise UsageError(f"--dept '{dept}': no such department in the workbooks or the directory (known: {known}).")
    if project is not None and project not in figures.projects:
        known = "、".join(sorted(figures.projects)) or "-"
        raise UsageError(f"--project '{project}': no such project in the workbooks (known: {known}).")


def _company_name(settings: Settings) -> str:
    return settings.mail.sender_name


def _scopes(figures: Figures) -> dict[tuple[str, str], dict]:
    found = {("company", ""): figures.company}
    found.update({("department", n): d for n, d in figures.departments.items()})
    found.update({("project", n): d for n, d in figures.projects.items()})
    return found


def _trend(frame, past: list[Period], period: Period, scopes: dict, stored: dict, calendar, thresholds: dict,
           now: datetime) -> dict:
    """(scope, name) -> [(period, figures)], oldest first, ending with this period. Stored figures
    where the store has them; else the flows figured from the journal and the workbooks
    (completed, created, responses, meetings), with the snapshot figures (open, overdue) None."""
    out: dict[tuple[str, str], list] = {key: [] for key in scopes}
    for p in past:
        end = p.end.isoformat()
        derived = None
        for key in scopes:
            if end in stored.get(key, {}):
                out[key].append((p, stored[key][end]))
                continue
            if derived is None:
                derived = compute(frame, p, now, calendar, thresholds, snapshot=False)
            try:
                got = derived.scope(*key) if key[0] != "company" else derived.company
            except KeyError:
                got = None
            out[key].append((p, got))
    for key, figs in scopes.items():
        out[key].append((period, figs))
    return out


# ---- recipients -----------------------------------------------------------------------------------
def _recipients(figures: Figures, directory: Directory, raci_reads, settings, dept: str | None,
                project: str | None) -> tuple[list[tuple[Person, str, str]], dict[str, Named]]:
    """(person, scope, name) for every report to send, and where each person was named."""
    router = Router(directory)
    plan: list[tuple[Person, str, str]] = []
    filtered = dept is not None or project is not None
    if not filtered or dept is not None:
        for name in figures.departments:
            if not name or (dept is not None and name != dept):
                continue
            for head in directory.heads(name):
                if person := router.person(head.name, "通讯录 / Directory"):
                    plan.append((person, "department", name))
    if not filtered or project is not None:
        projects = {norm(n): n for n in figures.projects}
        for read in raci_reads:
            for rec in read.records:
                found = projects.get(norm(rec.role(Role.PROJECT)))
                if found is None or (project is not None and found != project):
                    continue
                for name in names(rec.role(Role.INFORMED)):
                    if person := router.person(name, str(read.path.name)):
                        plan.append((person, "project", found))
    if not filtered:
        for name in [*settings.summary.recipients, *settings.mail.clerks]:
            if person := router.person(name, "duban.toml [summary] recipients / [mail] clerks"):
                plan.append((person, "company", ""))
    unique = list(dict.fromkeys((p.name, s, n) for p, s, n in plan))
    people = {p.name: p for p, _s, _n in plan}
    return [(people[n], s, sc) for n, s, sc in unique], router.named


def _mail(folder: Path, settings, now: datetime, run: SummaryRun, plan, named: dict[str, Named], trend,
          previous_period, dry_run: bool) -> None:
    """Each report as a notice, told once ever per recipient, scope and period, through the outbox;
    a week's department reports also to the departments' groups (jobs/notify/groups.py)."""
    period = run.period
    to_groups = [] if period.kind != "week" or run.project is not None else groups.weekly(
        [n for n in run.figures.departments if run.dept is None or n == run.dept], settings,
        lambda scope, name: f"summary:{period.kind}:{period.label}:{scope}:{name}")
    if not plan and not to_groups:
        return
    notices = [Notice("summary", person, once="ever", topics=(f"summary:{period.kind}:{period.label}:{scope}:{name}",),
                      key=f"summary:{person.name}:summary:{period.kind}:{period.label}:{scope}:{name}",
                      content={"scope": scope, "name": name}) for person, scope, name in plan]
    charts: dict[tuple, bytes] = {}

    def view_of(scope: str, name: str, lang: str, reader: str) -> dict:
        if run.baseline is not None:
            return baseline_view(run.stock, period, run.watched, run.baseline, scope, name, lang, folder,
                                 run.archive, reader, now, settings)
        return scope_view(run.figures, scope, name, trend, previous_period, lang, folder, run.archive,
                          reader, now, settings, TREND[period.kind], run.watched)

    def fill(notice: Notice) -> Notice:
        """The report's view in the reader's language, and its chart (made once per scope and language);
        a group's: its departments' views as the group reads them (one post, a line a department)."""
        scope, name, lang = notice.content["scope"], notice.content["name"], notice.lang
        view = view_of(scope, name, lang, notice.recipient.name)
        attachments = ()
        shown = notice.channel != groups.GROUP or groups.shows_images(settings, notice.group)   # WeCom: as an image
        if notice.channel == groups.GROUP:
            names = notice.content.get("names") or [name]
            views = [(name, view)] + [(n, view_of(scope, n, lang, notice.recipient.name)) for n in names[1:]]
            view = for_group(views, notice.group, period, lang)
        if view.get("chart") is not None and not dry_run and shown:   # fewer than two periods with figures: no chart
            if (scope, name, lang) not in charts:
                charts[scope, name, lang] = chart.trend_png(**view["chart"])
            attachments = ((CHART_CID, charts[scope, name, lang], "trend.png"),)
        return replace(notice, content=view, attachments=attachments)

    db = folder / settings.state.path
    with Ledger(db, read_only=dry_run) as ledger, MailQueue(db, read_only=dry_run) as queue:
        box = Outbox(folder, settings, now, ledger, queue, dry_run)
        reachable = box.reach(notices, named)
        run.unknown = box.unknown
        run.scopes = sorted({(n.content["scope"], n.content["name"]) for n in reachable},
                            key=lambda x: (x[0] != "company", x))
        for notice in reachable + to_groups:
            box.post(notice, fill)
        run.outgoing, run.skipped = box.outgoing, box.skipped
        if not dry_run:
            run.delivery = deliver(folder, settings, now, queue)
