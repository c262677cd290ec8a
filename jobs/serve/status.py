"""`duban status DIR`: is serve running, what ran, what failed, what waits.

JSON: {"serve": {"running", "host", "pid", "since", "heartbeat"}, "jobs": [{"job", "schedule",
"last_run", "result", "by_hand", "next_run", "in_future" (the last run is later than now: shown in red)}], "runs": [{"job", "scheduled", "started", "finished", "result",
"error", "by_hand"}], "queue": {"waiting", "oldest", "held", "failed", "given_up", "sent"} (mail), "groups" (only
with group bots): {<group>: the same for its group bot's lane, with "platform"; a hold's "setting_refused" has
"error" as stored and "error_text" {"zh", "en"}}, "skipped":
[{"workbook", "since", "last", "reason", "reason_zh"}], "held_saves": [{"workbook", "backup"}] (a save that went into
a backup: printed in red)}. Times are ISO 8601 in the company zone; a missed run (result
"skipped") also has "missed", its fields (jobs.serve.missed). The terminal shows it (jobs.terminal.status) in
company.language; the JSON keys and values stay as stored.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from duban.jobs.serve.lock import LOCK_NAME, alive, read_lock, stale_after
from duban.jobs.serve.runs import Runs
from duban.jobs.settings.calendar import from_settings as calendar_from
from duban.jobs.settings.schedule import specs
from duban.jobs.settings.typed import Settings
from duban.jobs.state import heldsaves
from duban.jobs.state.bilingual import said


def _iso(t: datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def gather(folder: Path, settings: Settings, runs_wanted: int = 10, now: datetime | None = None) -> dict:
    tz = settings.company.tz
    now = now or datetime.now(tz)
    calendar = calendar_from(settings)
    db = folder / settings.state.path
    info = read_lock(db.parent / LOCK_NAME)
    serve = {"running": False, "host": None, "pid": None, "since": None, "heartbeat": None}
    if info:
        serve.update(running=alive(info, stale_after(settings), datetime.now(timezone.utc)), host=info.get("host"),
                     pid=info.get("pid"), since=_iso(info["started"].astimezone(tz)),
                     heartbeat=_iso(info["heartbeat"].astimezone(tz)))
    with Runs(db, tz, read_only=True) as runs:
        jobs = []
        for spec in specs(settings):
            last = _latest(runs.last(spec.job, 1, ran=False), runs.last_by_hand(spec.job))
            nxt = spec.next(now, calendar) if spec.kind != "off" else None
            jobs.append({"job": spec.job, "schedule": spec.describe(),
                         "last_run": _iso(last[0].started or last[0].scheduled) if last else None,
                         "scheduled": _iso(last[0].scheduled) if last else None,
                         "result": last[0].result if last else None,
                         "error": last[0].as_json()["error"] if last else None,   # a missed run: its sentence, from its fields
                         "by_hand": bool(last) and last[0].by_hand,
                         "next_run": _iso(nxt),
                         "in_future": bool(last) and (last[0].started or last[0].scheduled) > now})
        recent = [r.as_json() for r in runs.recent_with_hand(runs_wanted)] if runs_wanted > 0 else []
        skipped = [{"workbook": w, "since": _iso(s), "last": _iso(last), "reason": said(why, "en"),
                    "reason_zh": said(why, "zh")}
                   for w, s, last, why in runs.skips()]
    held = [{"workbook": w, "backup": b} for w, b in heldsaves.from_state(folder, settings)]
    queue, groups = _queues(db, settings, now)
    found = {"serve": serve, "jobs": jobs, "runs": recent, "queue": queue, "skipped": skipped, "held_saves": held}
    return {**found, "groups": groups} if groups else found       # a mail-only installation: as before


def _latest(serve_runs: list, hand) -> list:
    """[the job's latest run]: serve's or the one by hand, whichever started later; [] for none."""
    found = [r for r in (*serve_runs, hand) if r is not None]
    return sorted(found, key=lambda r: r.started or r.scheduled, reverse=True)[:1]


def _queues(db: Path, settings: Settings, now: datetime) -> tuple[dict, dict]:
    """(mail's lane, {group: its lane})."""
    from duban.mailer.queue import MailQueue

    with MailQueue(db, read_only=True) as queue:
        found = lane_counts(queue, now, settings.company.tz)
    return found.get("mail") or _empty(), groups_of(found, settings)


def groups_of(found: dict[str, dict], settings: Settings) -> dict[str, dict]:
    """{group: its lane's counts and platform}: every configured group, and any group the queue still
    holds messages for (one taken out of duban.toml since; its platform "")."""
    from duban.mailer.im.lane import group_of, lane

    groups = {name: group.platform for name, group in settings.im.groups.items()}
    for name in (group_of(c) for c in found if group_of(c)):
        groups.setdefault(name, "")
    return {name: {**(found.get(lane(name)) or _empty()), "platform": platform} for name, platform in groups.items()}


def _empty() -> dict:
    return {"waiting": 0, "held": 0, "oldest": None, "failed": 0, "given_up": 0, "set_aside": 0, "sent": 0,
            "setting_refused": None}


def lane_counts(queue, now: datetime, tz) -> dict[str, dict]:
    """Per lane of the queue ("mail", "group:<name>"): how many messages wait (and how many of them
    are held for office hours), the oldest waiting, failed, given up, set aside, sent, and the
    settings hold (`setting_refused`: since, error, setting) or None. `queue`: an open MailQueue."""
    from duban.mailer.queue import stamp

    columns = {c[1] for c in queue.db.execute("PRAGMA table_info(mail_queue)")}
    lane = "channel" if "channel" in columns else "'mail'"     # a state.db from before lanes: all mail
    found: dict[str, dict] = {}
    rows = queue.db.execute(f"SELECT {lane}, status, COUNT(*), SUM(status='queued' AND not_before > ?), "
                            f"MIN(CASE WHEN status='queued' THEN queued_at END) FROM mail_queue "
                            f"GROUP BY {lane}, status", (stamp(now),))
    for channel, status, count, held, oldest in rows:
        counts = found.setdefault(channel, _empty())
        key = "waiting" if status == "queued" else status
        if key in counts:
            counts[key] = count
        if status == "queued":
            counts["held"] = held or 0
            counts["oldest"] = _iso(datetime.fromisoformat(oldest).astimezone(tz)) if oldest else None
    for channel, (since, _setup, error, setting) in queue.holds().items():
        found.setdefault(channel, _empty())["setting_refused"] = {
            "since": _iso(datetime.fromisoformat(since).astimezone(tz)), "error": error,
            "error_text": error_pair(error), "setting": setting}
    return found


def error_pair(error: str | None) -> dict | None:
    """A stored reason as {"zh", "en"} for JSON readers: "error" keeps the stored string as it was
    (a group bot's holds both languages, "EN ‖ 中文"), this says it in each (mailer.reasons)."""
    from duban.mailer.reasons import error_text

    return {"zh": error_text(error, "zh"), "en": error_text(error, "en")} if error else None
