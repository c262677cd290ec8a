"""The run of each job that serve (and the Excel console) runs, by the job's name in the jobs table
(jobs.settings.jobs): the job's public entry point called as at the slot's time, its result boiled down to the small dict of facts that crosses
the worker's pipe and that serve records: the workbooks written, skipped or broken, the mail, and a
`summary` line for the log."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from duban.jobs.settings.jobs import Job
from duban.jobs.settings.typed import Settings
from duban.jobs.state.bilingual import pair
from duban.workbooks.share.commandline import folder_arg


def runner(job: Job) -> Callable[..., dict[str, Any]]:
    """The job's run: the function it brings, else this module's function of its name."""
    if job.run is not None:
        return job.run
    found = globals().get(job.name)
    if job.name.startswith("_") or not callable(found) or job.name == "runner":
        raise LookupError(f"no run function for the job {job.name!r} in jobs.tasks")
    return found


def check(folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    from duban.jobs.dashboard.streamed import check_streamed
    return _check_facts(check_streamed(folder, settings, slot, dry_run))


def remind(folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    from duban.jobs import remind as mail_jobs
    from duban.jobs.dashboard.write import after_check, keeping
    run = mail_jobs.remind(folder, settings, slot, dry_run, keep=keeping(settings, dry_run))
    return _mailed(after_check(folder, settings, run, dry_run))


def alert(folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    from duban.jobs import remind as mail_jobs
    return _mailed(mail_jobs.alert(folder, settings, slot, dry_run))


def inbox(folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    from duban.jobs.inbox.job import facts, inbox as read_replies
    return facts(read_replies(folder, settings, slot, dry_run))


def summary_week(folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    return _summary("week", folder, settings, slot, dry_run)


def summary_month(folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    return _summary("month", folder, settings, slot, dry_run)


def _mailed(run) -> dict:
    facts = _check_facts(run.check) if run.check is not None else {}
    facts.update(_mail_facts(run))
    return facts


def _summary(kind: str, folder: Path, settings: Settings, slot: datetime, dry_run: bool) -> dict:
    from duban.jobs.summary.job import summary
    run = summary(folder, settings, slot, kind, dry_run)
    facts = _mail_facts(run)
    facts["summary"] = f"summary_{kind}: {len(run.scopes)} report(s); " + facts["summary"]
    return facts


def _check_facts(report) -> dict:
    skipped, written, broken, refused, flags = {}, [], {}, {}, 0
    for w in report.workbooks:
        flags += sum(1 for f in w.flags.values() if f)
        if w.read.kind is None:          # unreadable, encrypted, not a duban table...: the catalogue's sentence
            found = [p for p in w.read.problems if p.scope == "workbook" and p.severity == "error"]
            if found:
                broken[w.relpath] = [found[0].text("zh"), found[0].text("en")]
            continue
        if w.write == "skipped":
            skipped[w.relpath] = pair(w.why.text("zh"), w.why.text("en")) if w.why else "skipped"   # either reader
        elif w.write == "refused":
            refused[w.relpath] = w.reason
        elif w.write in ("written", "unchanged"):
            written.append(w.relpath)
    parts = [f"{len(report.workbooks)} workbooks", f"{flags} flagged rows"]
    if written:
        parts.append(f"{len(written)} checked")
    if skipped:
        parts.append(f"{len(skipped)} write(s) skipped")
    if refused:
        parts.append(f"{len(refused)} refused")
    if broken:
        parts.append(f"{len(broken)} broken")
    return {"skipped": skipped, "written": written, "broken": broken, "refused": refused,
            "summary": ", ".join(parts), "people": _people(report)}


def _people(report) -> dict:
    """Name -> (email, language) from this run's directory: whom serve's own alerts can reach."""
    from duban.workbooks.model.directory import Directory
    directory = Directory.from_reads([w.read for w in report.workbooks])
    return {p.name: (p.email, p.lang) for p in directory.people.values() if p.email}


def _faults(d) -> dict[str, str]:
    """Each lane's fault of a delivery once, in English (the log's): a group's is the group's, not
    the mail server's."""
    from duban.mailer.reasons import error_text
    found = d.faults or ([("mail", d.error, d.setting)] if d.error else []) if d else []
    said: dict[str, str] = {}
    for lane, error, _setting in found:     # remind delivers twice (the clerks' report last)
        said.setdefault(lane, error_text(error, "en"))
    return said


def _mail_facts(run) -> dict:
    from duban.jobs.notify.outbox import mail_fault
    from duban.mailer.im.lane import group_of
    d = run.delivery
    queued = sum(1 for o in run.outgoing if o.status in ("queued", "held"))
    facts = {"mails": queued, "sent": len(d.sent) if d else 0, "failed": len(d.failed) if d else 0,
             "waiting": len(d.still_queued) if d else 0, "server": mail_fault(d) if d else None,
             "outgoing": [(o.kind, o.to, o.subject, o.items) for o in run.outgoing[:200]]}
    facts["set_aside"] = len(d.set_aside) if d else 0
    text = f"{queued} mail(s) queued, {facts['sent']} sent"
    if facts["waiting"]:
        text += f", {facts['waiting']} waiting"
    if facts["set_aside"]:
        where = folder_arg(run.folder) if getattr(run, "folder", None) is not None else "DIR"
        text += f", {facts['set_aside']} set aside (may have been delivered; see duban outbox {where})"
    for lane, error in _faults(d).items():
        text += f" (group {group_of(lane)}: {error})" if group_of(lane) else f" (mail server: {error})"
    facts["summary"] = text
    return facts
