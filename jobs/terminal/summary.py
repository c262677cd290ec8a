"""Terminal and --json output of `duban summary`."""
from __future__ import annotations

from rich.markup import escape

from duban.jobs.settings.typed import Settings
from duban.jobs.summary import chart
from duban.jobs.summary.figures import json_figures
from duban.jobs.terminal.mail import mail_json, mail_summary
from duban.jobs.terminal.report import emit_json, err, out

TEXT = {
    "zh": {"period": "{kind} {start} 至 {end}", "week": "周报", "month": "月报", "archive": "归档：{path}",
           "archive_dry": "归档（预演，未写入）：{path}",
           "baseline": "基线：督办自 {since} 开始跟踪，这一期开始于此之前，报表只列现有的未完成事项，不存入趋势；正式统计从 {first} 开始的一期起。",
           "none": "没有收件人：通讯录中没有部门负责人，RACI 中没有知情人，也没有设置 summary.recipients 或 mail.clerks。",
           "no_font": "本机没有中文字体，趋势图中的中文会显示为方框：请安装一种（Debian/Ubuntu：sudo apt-get install fonts-noto-cjk）。"},
    "en": {"period": "{kind} {start} to {end}", "week": "Weekly report", "month": "Monthly report",
           "archive": "Archived: {path}", "archive_dry": "Archive (dry run, not written): {path}",
           "baseline": "Baseline: duban watches since {since} and this period began before that, so the report lists what is open now and is kept out of the trend; counting starts with the period beginning {first}.",
           "none": "No recipients: no department heads in the directory, no Informed in the RACI, and no summary.recipients or mail.clerks.",
           "no_font": "This machine has no Chinese font, so Chinese in the trend chart shows as boxes: install one (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk)."},
}


def show(run, settings: Settings, as_json: bool, verbose: bool = False) -> None:
    """The run for a person; the chart font found is a diagnostic (the log has it, `--debug` prints
    it), only a missing one is worth a line."""
    if as_json:
        emit_json(summary_json(run))
        return
    t = TEXT.get(settings.company.language, TEXT["zh"])
    p = run.period
    out.print(t["period"].format(kind=t[p.kind], start=f"{p.start:%Y-%m-%d %H:%M}", end=f"{p.end:%Y-%m-%d %H:%M}"))
    if run.baseline is not None:
        out.print(escape(t["baseline"].format(since=f"{run.watched.astimezone(p.start.tzinfo):%Y-%m-%d %H:%M}",
                                              first=f"{run.baseline.start:%Y-%m-%d %H:%M}")))
    mail_summary(run, settings, False)
    if not run.outgoing and not run.skipped:
        out.print(t["none"])
    out.print(escape((t["archive"] if run.archive_written else t["archive_dry"]).format(path=run.archive)))
    if verbose:
        err.print(f"[dim]{escape(run.font)}[/dim]")
    elif chart.cjk_font()[0] is None:
        err.print(f"[yellow]{escape(t['no_font'])}[/yellow]")


def summary_json(run) -> dict:
    f = run.figures
    departments = [{"department": name, **json_figures(d)} for name, d in sorted(f.departments.items())
                   if run.dept is None or name == run.dept]
    projects = [{"project": name, **json_figures(d)} for name, d in sorted(f.projects.items())
                if run.project is None or name == run.project]
    mails = mail_json(run)
    baseline = None if run.baseline is None else {"watched_since": run.watched.isoformat(),
                                                   "first_whole_period": run.baseline.to_dict()}
    return {"period": run.period.to_dict(), "baseline": baseline, "departments": departments, "projects": projects,
            "company": json_figures(f.company), "mails": mails["mails"], "archive": str(run.archive)}
