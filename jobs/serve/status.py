"""`duban status DIR`: is serve running, what ran, what failed, what waits.

JSON: {"serve": {"running", "host", "pid", "since", "heartbeat"}, "jobs": [{"job", "schedule",
"last_run", "result", "next_run"}], "runs": [{"job", "scheduled", "started", "finished", "result",
"error"}], "queue": {"waiting", "oldest", "held", "failed", "given_up", "sent"}, "skipped":
[{"workbook", "since", "last", "reason"}]}. Times are ISO 8601 in the company zone.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .. import clock as job_clock
from ..workcal import from_settings as calendar_from
from .lock import LOCK_NAME, alive, read_lock
from .loop import stale_after
from .runs import Runs
from .schedule import specs


def _iso(t: datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def gather(folder: Path, settings: dict, runs_wanted: int = 10, now: datetime | None = None) -> dict:
    tz = job_clock.zone(settings)
    now = now or datetime.now(tz)
    calendar = calendar_from(settings)
    db = folder / settings["state"]["path"]
    info = read_lock(db.parent / LOCK_NAME)
    serve = {"running": False, "host": None, "pid": None, "since": None, "heartbeat": None}
    if info:
        serve.update(running=alive(info, stale_after(settings), datetime.now(timezone.utc)), host=info.get("host"),
                     pid=info.get("pid"), since=_iso(info["started"].astimezone(tz)),
                     heartbeat=_iso(info["heartbeat"].astimezone(tz)))
    with Runs(db, tz, read_only=True) as runs:
        jobs = []
        for spec in specs(settings):
            last = runs.last(spec.job, 1, ran=False)
            nxt = spec.next(now, calendar) if spec.kind != "off" else None
            jobs.append({"job": spec.job, "schedule": spec.describe(),
                         "last_run": _iso(last[0].started or last[0].scheduled) if last else None,
                         "scheduled": _iso(last[0].scheduled) if last else None,
                         "result": last[0].result if last else None,
                         "error": last[0].error if last else None,
                         "next_run": _iso(nxt)})
        recent = [r.as_json() for r in runs.recent(runs_wanted)] if runs_wanted > 0 else []
        skipped = [{"workbook": w, "since": _iso(s), "last": _iso(l), "reason": why}
                   for w, s, l, why in runs.skips()]
    return {"serve": serve, "jobs": jobs, "runs": recent, "queue": _queue(db, tz, now), "skipped": skipped}


def _queue(db: Path, tz, now: datetime) -> dict:
    from mailer import MailQueue
    from mailer.queue import stamp

    found = {"waiting": 0, "held": 0, "oldest": None, "failed": 0, "given_up": 0, "sent": 0}
    with MailQueue(db, read_only=True) as queue:
        for status, count in queue.db.execute("SELECT status, COUNT(*) FROM mail_queue GROUP BY status"):
            if status == "queued":
                found["waiting"] = count
            elif status in found:
                found[status] = count
        found["held"] = queue.db.execute("SELECT COUNT(*) FROM mail_queue WHERE status='queued' AND not_before > ?",
                                         (stamp(now),)).fetchone()[0]
        oldest = queue.db.execute("SELECT MIN(queued_at) FROM mail_queue WHERE status='queued'").fetchone()[0]
    found["oldest"] = _iso(datetime.fromisoformat(oldest).astimezone(tz)) if oldest else None
    return found


def show(data: dict, folder: Path, lang: str = "en") -> None:
    import typer
    zh = lang == "zh"
    s = data["serve"]
    short = lambda t: t[:16].replace("T", " ") if t else "—"   # noqa: E731
    if s["running"]:
        typer.echo(f"{'后台服务运行中' if zh else 'serve is running'}: {folder} — host {s['host']}, pid {s['pid']}, "
                   f"since {short(s['since'])}, heartbeat {s['heartbeat'][11:19]}")
    elif s["host"]:
        typer.echo(f"{'后台服务未运行' if zh else 'serve is NOT running'} (last seen on host {s['host']}, pid {s['pid']}, "
                   f"last heartbeat {short(s['heartbeat'])})")
    else:
        typer.echo('后台服务未运行' if zh else f"serve is not running for {folder}")
    typer.echo("")
    typer.echo(f"{'job':<14} {'schedule':<36} {'last run':<17} {'result':<8} next run")
    for j in data["jobs"]:
        typer.echo(f"{j['job']:<14} {j['schedule']:<36} {short(j['last_run']):<17} {j['result'] or '—':<8} "
                   f"{short(j['next_run'])}")
    q = data["queue"]
    typer.echo("")
    typer.echo(f"mail queue: {q['waiting']} waiting ({q['held']} held for office hours), oldest {short(q['oldest'])}; "
               f"{q['failed']} refused, {q['given_up']} given up, {q['sent']} sent")
    if data["skipped"]:
        typer.echo("")
        typer.echo("workbooks not written (open in Excel or changed while checked):")
        for w in data["skipped"]:
            typer.echo(f"  {w['workbook']}: since {short(w['since'])} ({w['reason']})")
    if data["runs"]:
        typer.echo("")
        typer.echo(f"last {len(data['runs'])} runs:")
        for r in data["runs"]:
            took = ""
            if r["started"] and r["finished"]:
                took = f" {(datetime.fromisoformat(r['finished']) - datetime.fromisoformat(r['started'])).total_seconds():.0f}s"
            err = f" — {r['error']}" if r["error"] else ""
            typer.echo(f"  {short(r['scheduled'])} {r['job']:<14} {r['result']:<8}{took}{err}")
