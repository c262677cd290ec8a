"""The `duban` command line: one sub-command per job, friendly one-line errors at the edge."""
from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path
from typing import Optional

import typer

from duban.jobs.settings import config, folder as opening
from duban.jobs.settings.typed import Settings
from duban.jobs.time import clock
from duban.workbooks.model.errors import DubanError, UsageError
from duban.workbooks.share.commandline import folder_arg

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="督办 duban — follow up the work in your Excel workbooks.")
_state = {"debug": False}

Folder = typer.Argument(..., metavar="FOLDER", help="The shared folder holding the workbooks (and duban.toml).")


def _print_version(wanted: bool) -> None:
    if wanted:
        from duban.workbooks.model.meta import duban_version
        typer.echo(f"duban {duban_version()}")
        raise typer.Exit()


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors, and "
                                     "diagnostics such as the chart font summary found."),
          _version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                        help="Print duban's version and exit.")) -> None:
    _state["debug"] = debug


@app.command()
def init(folder: Path = typer.Argument(..., help="Folder to create the workbooks in (created if missing)."),
         lang: str = typer.Option("zh", "--lang", help="Language of headers, dropdowns and the Guide sheet: zh or en."),
         demo: bool = typer.Option(False, "--demo", help="Fill the workbooks with sample rows dated around today."),
         force: bool = typer.Option(False, "--force", help="Overwrite workbooks and duban.toml that already exist."),
         config_only: bool = typer.Option(False, "--config-only", help="Write only duban.toml, beside workbooks you already have.")) -> None:
    """创建工作簿 — create one workbook per kind plus duban.toml in FOLDER."""
    from duban.jobs.init import init_folder
    from duban.jobs.terminal import report

    if lang not in ("zh", "en"):
        raise UsageError(f"--lang 应为 zh 或 en，不是“{lang}”。 / --lang must be zh or en, not '{lang}'.")
    moment = clock.now(config.load().company.tz)
    created = init_folder(folder, lang=lang, demo=demo, force=force, today=moment.date(), now=moment,
                          config_only=config_only)
    report.created(created, folder, lang)
    if (folder / config.CONFIG_NAME).exists():
        _state["clerks"] = (folder, config.load(folder))     # main() says it if no clerk is named


@app.command()
def validate(folder: Path = Folder,
             as_json: bool = typer.Option(False, "--json", help="Print the problems as JSON instead of tables."),
             strict: bool = typer.Option(False, "--strict", help="Exit with code 1 when any problem is found."),
             now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time (e.g. 2026-11-23T09:00).")) -> None:
    """检查数据问题 — read every workbook in FOLDER and list the data problems found."""
    from duban.jobs.terminal import report
    from duban.jobs.validate import read_folder

    settings, moment = _with_workbooks(folder, now)
    today = moment.date()
    with report.progress(settings, quiet=as_json) as tick:
        reads = read_folder(folder, settings, today, tick)
    report.validation(reads, folder, settings, as_json)
    if strict and any(r.problems for r in reads):
        raise typer.Exit(1)


@app.command()
def check(folder: Path = Folder,
          now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time (e.g. 2026-11-23T09:00)."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be flagged; write nothing, record nothing."),
          as_json: bool = typer.Option(False, "--json", help="Print every flag as JSON."),
          no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Do not write 看板.html / dashboard.html.")) -> None:
    """立即检查 — flag late, blocked and stale rows and show them in the workbooks (IDs, Alerts, colours)."""
    from duban.jobs.dashboard.streamed import check_streamed
    from duban.jobs.terminal import report

    settings, moment = _with_workbooks(folder, now)
    _state["looks"] = True                  # a fault's sentence may advise --dry-run: check accepts it
    with report.progress(settings, quiet=as_json) as tick, recorded_by_hand(folder, settings, "check", moment, dry_run):
        result = check_streamed(folder, settings, moment, dry_run, tick, no_dashboard)
    report.check_summary(result, settings, as_json)
    if report.refused(result):      # a refused write is for a person to fix; a skip (open in Excel) is routine
        raise typer.Exit(1)


@app.command()
def history(folder: Path = Folder,
            row_id: Optional[str] = typer.Argument(None, metavar="[ID]", help="Only this row, e.g. T-000123."),
            limit: int = typer.Option(200, "--limit", help="How many events at most (newest)."),
            as_json: bool = typer.Option(False, "--json", help="Print the events as JSON.")) -> None:
    """变更记录 — show the change journal: rows created, changed, status changes, deleted."""
    from duban.jobs.state.journal import Journal
    from duban.jobs.terminal import report

    settings = _settings(folder)
    ident = row_id and row_id.strip().upper()
    with closing(Journal(folder / settings.state.path)) as journal:
        events = journal.events(ident, limit)
        if ident and not events:
            zh = settings.company.language == "zh"
            raise DubanError(f"变更日志中没有编号为 {ident} 的行。编号形如 T-000123；先运行 duban check {folder_arg(folder)}。"
                             if zh else f"The journal has no row with ID {ident}. IDs look like T-000123; run "
                             f"'duban check {folder_arg(folder)}' first.")
        report.history(events, settings, as_json)


@app.command()
def explain(folder: Path = Folder, row_id: str = typer.Argument(..., metavar="ID", help="The row's ID, e.g. T-000123."),
            now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time.")) -> None:
    """解释一行 — for one row, show every rule that fired or did not, and why."""
    from duban.jobs.explain import explain_row
    from duban.jobs.terminal.explain import show

    settings = _settings(folder)
    show(explain_row(folder, settings, clock.now(settings.company.tz, now), row_id.strip().upper()))


@app.command()
def remind(folder: Path = Folder,
           now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time (e.g. 2026-11-23T09:00)."),
           dry_run: bool = typer.Option(False, "--dry-run", help="Print who would get what; send, write and record nothing."),
           as_json: bool = typer.Option(False, "--json", help="Print the mails as JSON."),
           no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Do not write 看板.html / dashboard.html.")) -> None:
    """发送今日提醒 — check, then mail each person their digest, escalate long-late rows, and send the problems report."""
    from duban.jobs.dashboard.write import after_check, keeping
    from duban.jobs.remind import remind as run_remind
    from duban.jobs.terminal.mail import mail_summary
    from duban.jobs.terminal.report import progress

    settings, moment = _with_workbooks(folder, now, mail=True)
    _state["looks"] = True
    with progress(settings, quiet=as_json), recorded_by_hand(folder, settings, "remind", moment, dry_run):
        run = run_remind(folder, settings, moment, dry_run, keep=keeping(settings, dry_run, no_dashboard))
        run = after_check(folder, settings, run, dry_run, no_dashboard)
    mail_summary(run, settings, as_json)
    if run.refused or run.undelivered:  # a refused write, or mail that could not go: a scheduler must notice
        raise typer.Exit(1)


@app.command()
def alert(folder: Path = Folder,
          now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Print who would be alerted; send nothing."),
          as_json: bool = typer.Option(False, "--json", help="Print the mails as JSON.")) -> None:
    """紧急提醒 — mail urgent items at once: unanswered incidents, blocked high-priority rows (run every few minutes)."""
    from duban.jobs.remind import alert as run_alert
    from duban.jobs.terminal.mail import mail_summary

    settings, moment = _with_workbooks(folder, now, mail=True)
    _state["looks"] = True
    with recorded_by_hand(folder, settings, "alert", moment, dry_run):
        run = run_alert(folder, settings, moment, dry_run)
    mail_summary(run, settings, as_json)
    if run.refused or run.undelivered:
        raise typer.Exit(1)


@app.command()
def inbox(folder: Path = Folder,
          now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Read and decide; store, move, write and send nothing."),
          as_json: bool = typer.Option(False, "--json", help="Print the replies as JSON.")) -> None:
    """回复更新 — read the replies to duban's mail, apply their commands (done, progress 75%, received …), answer the rest."""
    from duban.jobs.inbox.job import inbox as read_replies
    from duban.jobs.terminal.inbox import show

    settings, moment = _with_workbooks(folder, now, mail=True)
    with recorded_by_hand(folder, settings, "inbox", moment, dry_run):
        run = read_replies(folder, settings, moment, dry_run)
    raise typer.Exit(show(run, settings, as_json))


@app.command()
def summary(folder: Path = Folder,
            week: bool = typer.Option(False, "--week", help="The week that ended at the latest update deadline (Friday 17:00)."),
            month: bool = typer.Option(False, "--month", help="The previous calendar month (the seed 001 metrics)."),
            now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time (e.g. 2026-11-27T17:30)."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Print who would get what; write, mail and record nothing."),
            as_json: bool = typer.Option(False, "--json", help="Print the figures and the mails as JSON."),
            dept: Optional[str] = typer.Option(None, "--dept", help="Only this department's report."),
            project: Optional[str] = typer.Option(None, "--project", help="Only this project's report.")) -> None:
    """生成周报/月报 — weekly and monthly reports per department and project: mailed with a chart, archived as .xlsx."""
    from duban.jobs.summary.job import summary as run_summary
    from duban.jobs.terminal.summary import show

    if week == month:
        raise UsageError("请只给出 --week 或 --month 其中之一。 / give exactly one of --week or --month.")
    settings, moment = _with_workbooks(folder, now, mail=True)
    kind = "week" if week else "month"
    _state["looks"] = True
    with recorded_by_hand(folder, settings, f"summary_{kind}", moment, dry_run):
        run = run_summary(folder, settings, moment, kind, dry_run, dept, project)
    show(run, settings, as_json, verbose=_state["debug"])


@app.command()
def outbox(folder: Path = Folder,
           retry: bool = typer.Option(False, "--retry", help="Send what is waiting now (held mail keeps its time)."),
           failed: bool = typer.Option(False, "--failed", help="With --retry: also retry mail the server refused, "
                                       "mail given up, and mail set aside (sent once more: it may already have been delivered)."),
           status: Optional[str] = typer.Option(None, "--status", help="Only mail in this state: waiting (also "
                                                "called queued), sent, failed, given_up, set_aside."),
           now: Optional[str] = typer.Option(None, "--now", help="Behave as at this ISO time."),
           as_json: bool = typer.Option(False, "--json", help="Print the queue as JSON.")) -> None:
    """邮件队列 — list the mail queue (queued, sent, failed), or send what is waiting with --retry."""
    from duban.jobs.terminal.mail import mail_summary, queue_listing
    from duban.mailer.queue import MailQueue

    settings = _settings(folder)
    status = {"waiting": "queued"}.get(status, status)      # `duban status` calls queued mail "waiting"
    if status not in (None, "queued", "sent", "failed", "given_up", "set_aside"):
        raise UsageError(f"--status 应为 waiting（即 queued）、sent、failed、given_up 或 set_aside，不是“{status}”。 / "
                         f"--status must be waiting (or queued), sent, failed, given_up or set_aside, not '{status}'.")
    if retry:
        from duban.jobs.remind import retry as run_retry
        run = run_retry(folder, settings, clock.now(settings.company.tz, now), failed)
        mail_summary(run, settings, as_json)
        if run.undelivered:             # still could not go: exit code 1, as remind and alert
            raise typer.Exit(1)
        return
    from duban.jobs.serve.status import groups_of, lane_counts
    moment = clock.now(settings.company.tz, now)
    with MailQueue(folder / settings.state.path) as queue:
        groups = groups_of(lane_counts(queue, moment, settings.company.tz), settings)
        queue_listing(queue.entries(status), settings, as_json, moment, status, queue.entries, groups, folder)


@app.command()
def serve(folder: Path = Folder,
          start: Optional[str] = typer.Option(None, "--from", help="Simulate: run the schedule from this ISO time "
                                              "(no waiting; each job as at its scheduled time)."),
          until: Optional[str] = typer.Option(None, "--until", help="Simulate: up to this ISO time."),
          dry_run: bool = typer.Option(False, "--dry-run", help="With --from/--until: preview who would be mailed "
                                       "what and when; write, record and mail nothing.")) -> None:
    """后台服务 — run the schedule in duban.toml until stopped (catch-up, heartbeat, self-alerts), or simulate it."""
    from duban.jobs.serve.clock import day_from
    from duban.jobs.serve.loop import Serve

    settings, _moment = _with_workbooks(folder, None, mail=True)
    if (start is None) != (until is None):
        raise UsageError("give both --from and --until (a simulated run), or neither (the live service).",
                         zh="请同时给出 --from 和 --until（模拟运行），或两者都不给（真正的后台服务）。")
    if dry_run and start is None:
        example = f"duban serve {folder_arg(folder)} {day_from(_moment)} --dry-run"
        raise UsageError(f"--dry-run previews a simulated run: give --from and --until too, e.g. {example}",
                         zh=f"--dry-run 用于预演模拟运行，请同时给出 --from 和 --until，例如 {example}")
    begin = end = None
    if start is not None:
        begin, end = clock.now(settings.company.tz, start), clock.now(settings.company.tz, until)
        if end <= begin:
            raise UsageError(f"--until {until} must be after --from {start}.",
                             zh=f"--until {until} 必须晚于 --from {start}。")
        _state["looks"] = True              # a simulated serve accepts --dry-run; the live one does not
    if start is None and "clerks" in _state:       # the live service runs for weeks: say it now, not at its end
        from duban.jobs.terminal.mail import warn_no_clerks
        warn_no_clerks(*_state.pop("clerks"))
    code = Serve(folder, settings, start=begin, until=end, dry_run=dry_run).run()
    if code:
        raise typer.Exit(code)


@app.command()
def status(folder: Path = Folder,
           runs: int = typer.Option(10, "--runs", help="How many of the latest runs to list."),
           as_json: bool = typer.Option(False, "--json", help="Print the status as JSON.")) -> None:
    """运行状态 — is duban serve running; each job's last and next run; the mail queue; workbooks not written."""
    from duban.jobs.serve.status import gather
    from duban.jobs.terminal.status import show

    settings = _settings(folder)
    data = gather(folder, settings, max(0, runs))
    if as_json:
        from duban.jobs.terminal.report import emit_json
        emit_json(data)
    else:
        show(data, folder, settings.company.language)


@app.command()
def service(folder: Path = Folder,
            systemd: bool = typer.Option(False, "--systemd", help="Print a systemd unit for duban serve FOLDER."),
            windows: bool = typer.Option(False, "--windows", help="Print a Windows Task Scheduler task (XML)."),
            user: Optional[str] = typer.Option(None, "--user", help="The account it runs as (default: duban, "
                                               "or DOMAIN\\duban-svc on Windows)."),
            output: Optional[Path] = typer.Option(None, "--output", help="Write to this file instead (the Windows "
                                                  "XML in UTF-16, as schtasks expects).")) -> None:
    """服务配置 — print a systemd unit or a Windows Task Scheduler task that runs duban serve at boot."""
    from duban.jobs.serve.service import check_choice, systemd_unit, windows_task, write_text

    check_choice(systemd, windows)
    settings = _settings(folder)
    text = (systemd_unit(folder, settings, user or "duban") if systemd else
            windows_task(folder, settings, user or "DOMAIN\\duban-svc"))
    write_text(text, output, windows)


@app.command()
def macros(folder: Path = typer.Argument(..., help="The shared folder: the console is written into it and runs the jobs on it."),
           lang: Optional[str] = typer.Option(None, "--lang", help="zh or en (default: company.language in duban.toml, else zh)."),
           interpreter_win: Optional[str] = typer.Option(None, "--interpreter-win", help="Python for Excel on Windows (default: this one when run on Windows, else %LOCALAPPDATA%\\duban\\.venv\\Scripts\\pythonw.exe)."),
           interpreter_mac: Optional[str] = typer.Option(None, "--interpreter-mac", help="Python for Excel on macOS (default: this one when run on a Mac, else $HOME/duban/.venv/bin/python)."),
           pythonpath: Optional[str] = typer.Option(None, "--pythonpath", help="Folder holding duban's packages (default: this installation's when run on Windows, else none: the venv has duban).")) -> None:
    """Excel 控制台 — write duban_console.xlsm (a 运行 button that runs check, remind, summaries, validate, explain from Excel) and duban_console.py into FOLDER."""
    from duban.macros.build import write_console  # jobs loads macros only here, in init, and for a console job

    if lang not in (None, "zh", "en"):
        raise UsageError(f"--lang 应为 zh 或 en，不是“{lang}”。 / --lang must be zh or en, not '{lang}'.")
    if folder.is_file():
        raise UsageError(f"{folder} 是一个文件，不是文件夹。请给督办存放工作簿的文件夹。 / "
                         f"{folder} is a file, not a folder: give the folder that holds the workbooks.")
    if not folder.is_dir():
        raise UsageError(f"没有文件夹 {folder}；请先运行 duban init {folder_arg(folder)}。 / "
                         f"{folder}: no such folder. Create it with 'duban init {folder_arg(folder)}' first.")
    for path in write_console(folder, lang, interpreter_win=interpreter_win, interpreter_mac=interpreter_mac,
                              pythonpath=pythonpath):
        typer.echo(str(path))


def _settings(folder: Path, mail: bool = False):
    """The folder's settings (jobs.settings.folder), remembered for main()'s closing words."""
    settings = opening.settings_of(folder, mail)
    _state["lang"] = settings.company.language      # main() tells a disk or state fault in it,
    _state["folder"] = folder                             # naming the folder when the error names no file
    _state["clerks"] = (folder, settings)   # main() says, after the output, if no clerk is named
    return settings


def recorded_by_hand(folder: Path, settings: Settings, job: str, moment, dry_run: bool):
    """The job's run kept for `duban status`, marked "by hand" (jobs.serve.runs); a state a
    simulated serve wrote is refused first (jobs.state.simstate)."""
    from duban.jobs.serve.runs import recorded_by_hand as record
    from duban.jobs.state.simstate import refuse_simulated
    refuse_simulated(folder / settings.state.path, dry_run, settings.company.language)
    return record(folder, settings, job, moment, dry_run)


def _with_workbooks(folder: Path, now: str | None, mail: bool = False):
    """(settings, the job's time) for a folder a job reads (jobs.settings.folder.for_job)."""
    settings = _settings(folder, mail)
    moment = clock.now(settings.company.tz, now)
    opening.require_workbooks(folder, settings)
    return settings, moment


def _fault_text(exc: BaseException, chain: bool = True) -> str | None:
    """The sentence for a disk or state-database condition (workbooks.faults), in the folder's
    language; `chain`: also when it caused `exc` (else only when `exc` is one)."""
    from duban.workbooks.share.faults import StorageFault, translate

    fault = translate(exc, near=_state.get("folder")) if chain else exc if isinstance(exc, StorageFault) else None
    return fault.text(_state.get("lang", "zh"), dry_run=_state.get("looks", False)) if fault is not None else None


def _error_text(exc: DubanError) -> str:
    """The sentence in the folder's language: the one its duban.toml asks for, as found by the
    raiser (a broken duban.toml) or by the settings loaded; zh when neither is known."""
    text = getattr(exc, "text", None)
    if not callable(text):
        return str(exc)
    return text(getattr(exc, "lang", None) or _state.get("lang", "zh"))


def main() -> None:
    """Entry point: run the app, turning DubanError into one line on stderr and an exit code."""
    try:
        app()  # usage errors are reported by typer itself, with exit code 2
    except SystemExit as done:
        if done.code in (None, 0, 1) and "clerks" in _state:    # after the output; not under an error line
            from duban.jobs.terminal.mail import warn_no_clerks
            warn_no_clerks(*_state["clerks"])   # until someone is named, the problems report reaches no one
        raise
    except DubanError as exc:
        if _state["debug"]:
            raise
        typer.echo(f"duban: {_fault_text(exc, chain=False) or _error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last line of defence: one sentence, not a traceback
        if _state["debug"]:
            raise
        if text := _fault_text(exc):         # a damaged state.db, a full disk, a read-only share: not a bug
            typer.echo(f"duban: {text}", err=True)
            sys.exit(1)
        said = f"{type(exc).__name__}: {exc}"
        typer.echo(f"duban: 意外错误（unexpected error）：{said}。请加 --debug 重新运行以查看详情，并把详情一并报告给负责督办的同事。"
                   if _state.get("lang", "zh") == "zh" else
                   f"duban: unexpected error: {said}. Run again with --debug for the details, and report it with "
                   f"them.", err=True)
        sys.exit(1)
