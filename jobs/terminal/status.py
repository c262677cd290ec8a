"""`duban status` on the terminal: serve's state, each job's last and next run, the mail queue,
the workbooks not written, the latest runs; in company.language (zh or en), from the data
jobs.serve.status gathers."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

from duban.jobs.serve.missed import Missed
from duban.jobs.settings import jobs
from duban.jobs.state import heldsaves
from duban.jobs.terminal import lanes
from duban.workbooks.share.commandline import folder_arg

TEXT = {
    "zh": {
        "running": "后台服务运行中：{folder} — 主机 {host}，进程 {pid}，启动于 {since}，心跳 {beat}",
        "stopped_seen": "后台服务未运行：{folder}（上次在主机 {host} 上运行，进程 {pid}，最后心跳 {beat}）",
        "stopped": "后台服务未运行：{folder}",
        "head": ("任务", "计划", "上次运行", "结果", "下次运行"),
        "queue": "邮件队列：{waiting} 封等待发送（其中 {held} 封暂存至上班时间），最早排队于 {oldest}；"
                 "{failed} 封被拒收，{given_up} 封已放弃，{set_aside} 封已搁置（可能已送达），{sent} 封已发出",
        "setting_refused": "邮件已暂停发送：{error}。请修改 duban.toml 中的 {setting}，然后运行 duban outbox {folder} --retry。",
        "waiting_alone": "等待发送的 {what}不会自己发出：后台服务没有在运行。请启动 duban serve {folder}，"
                         "或运行 duban outbox {folder} --retry（暂存至上班时间的邮件要到那时才发）。",
        "skipped_head": "未写入的工作簿（在 Excel 中打开，或检查时被修改）：",
        "skipped_row": "  {workbook}：自 {since} 起（{reason}）",
        "runs_head": "最近 {n} 次运行：",
        "seconds": " {n} 秒",
        "results": {"ok": "成功", "failed": "失败", "timeout": "超时", "skipped": "跳过"},
        "by_hand": "（手动）",
        "future": "{job}的上次运行记录在 {last}，晚于现在：服务器时钟曾被调快后又调回，或有模拟运行（--from/--until）写进了这份状态。"
                  "如是模拟运行写下的，请把状态文件夹移走后再启动 duban serve {folder}。",
    },
    "en": {
        "running": "serve is running: {folder} — host {host}, pid {pid}, since {since}, heartbeat {beat}",
        "stopped_seen": "serve is NOT running: {folder} (last seen on host {host}, pid {pid}, last heartbeat {beat})",
        "stopped": "serve is not running: {folder}",
        "head": ("job", "schedule", "last run", "result", "next run"),
        "queue": "mail queue: {waiting} waiting ({held} held for office hours), oldest {oldest}; "
                 "{failed} refused, {given_up} given up, {set_aside} set aside (may have been delivered), {sent} sent",
        "setting_refused": "mail is on hold: {error}. Correct {setting} in duban.toml, then run duban outbox {folder} --retry.",
        "waiting_alone": "the {what} waiting will not go by themselves: serve is not running. Start "
                         "duban serve {folder}, or run duban outbox {folder} --retry (mail held for office hours "
                         "goes only from then).",
        "skipped_head": "workbooks not written (open in Excel or changed while checked):",
        "skipped_row": "  {workbook}: since {since} ({reason})",
        "runs_head": "last {n} runs:",
        "seconds": " {n}s",
        "future": "the last run of {job} is recorded at {last}, later than now: the server's clock was ahead "
                  "and set back, or a simulated run (--from/--until) wrote into this state. If a simulation wrote it, "
                  "move the state folder aside before starting duban serve {folder}.",
        "results": {},
        "by_hand": " (by hand)",
    },
}
ZH_WEEKDAYS = {"monday": "周一", "tuesday": "周二", "wednesday": "周三", "thursday": "周四", "friday": "周五",
               "saturday": "周六", "sunday": "周日"}
ZH_UNITS = {"seconds": "秒", "minutes": "分钟", "hours": "小时"}


def schedule_text(describe: str, lang: str) -> str:
    """A JobSpec.describe() ("every 30 minutes", "working days 09:00", "friday 17:30", ...) in `lang`."""
    every = re.fullmatch(r"every (\d+) (seconds|minutes|hours)( in office hours)?", describe)
    if lang != "zh":
        return f"every {every[2][:-1]}{every[3] or ''}" if every and every[1] == "1" else describe
    if every:
        return f"{'工作时间内' if every[3] else ''}每 {every[1]} {ZH_UNITS[every[2]]}"
    if describe == "off":
        return "关闭"
    day, _, hhmm = describe.rpartition(" ")
    return {"working days": f"工作日 {hhmm}", "first working day of the month": f"每月第一个工作日 {hhmm}"}.get(
        day, f"每{ZH_WEEKDAYS.get(day, day)} {hhmm}")


def error_text(run: dict, lang: str) -> str:
    """A run's error in `lang`: a missed run said from its fields; a job's error as the job wrote it."""
    if run.get("missed"):
        return Missed.from_json(run["missed"]).text(lang)
    return run["error"]


def show(data: dict, folder: Path, lang: str = "zh") -> None:
    import typer
    lang = lang if lang in TEXT else "zh"
    t = TEXT[lang]
    shown, folder = folder, folder_arg(folder)      # commands advised below run as printed
    job = lambda name: jobs.label(name, lang)                 # noqa: E731
    result = lambda r: t["results"].get(r, r) if r else "—"   # noqa: E731
    s = data["serve"]
    short = lambda t: t[:16].replace("T", " ") if t else "—"   # noqa: E731
    if s["running"]:
        typer.echo(t["running"].format(folder=shown, host=s["host"], pid=s["pid"], since=short(s["since"]),
                                       beat=(s["heartbeat"] or "")[11:19] or "—"))
    elif s["host"]:
        typer.echo(t["stopped_seen"].format(folder=shown, host=s["host"], pid=s["pid"], beat=short(s["heartbeat"])))
    else:
        typer.echo(t["stopped"].format(folder=shown))
    typer.echo("")
    hand = lambda r: t["by_hand"] if r.get("by_hand") else ""     # noqa: E731 - run from the command line
    rows = [t["head"]] + [(job(j["job"]), schedule_text(j["schedule"], lang), short(j["last_run"]),
                           result(j["result"]) + hand(j), short(j["next_run"])) for j in data["jobs"]]
    widths = [max(_width(r[c]) for r in rows) for c in range(4)]
    for r in rows:
        typer.echo("  ".join(_pad(cell, w) for cell, w in zip(r[:4], widths)) + "  " + r[4])
    for j in data["jobs"]:
        if j.get("in_future"):      # a dead service would otherwise look green
            typer.secho(t["future"].format(job=job(j["job"]), last=short(j["last_run"]), folder=folder),
                        fg="red", bold=True)
    q = data["queue"]
    typer.echo("")
    typer.echo(t["queue"].format(**{**q, "oldest": short(q["oldest"])}))
    grouped = sum(g["waiting"] for g in (data.get("groups") or {}).values())
    if (q["waiting"] or grouped) and not s["running"]:     # only serve, the next job or a person sends it
        typer.secho(t["waiting_alone"].format(what=lanes.held_count(q["waiting"], grouped, lang), folder=folder),
                    fg="yellow")
    if q.get("setting_refused"):        # mail waits for a person to fix a setting: not retried by itself
        from duban.jobs.terminal.mail import error_text as mail_error, setting_text
        hold = q["setting_refused"]
        typer.secho(t["setting_refused"].format(**{**hold, "setting": setting_text(hold["setting"], lang),
                                                   "error": mail_error(hold["error"], lang), "folder": folder}),
                    fg="red", bold=True)
    for text, red in lanes.lines(data.get("groups") or {}, lang, folder):
        typer.secho(text, fg="red" if red else None, bold=red)
    for held in data.get("held_saves", []):     # someone's save is in a backup, not the workbook
        typer.secho(heldsaves.sentence(held["workbook"], held["backup"], lang), fg="red", bold=True)
    if data["skipped"]:
        typer.echo("")
        typer.echo(t["skipped_head"])
        for w in data["skipped"]:
            typer.echo(t["skipped_row"].format(workbook=w["workbook"], since=short(w["since"]),
                                               reason=w["reason_zh" if lang == "zh" else "reason"]))
    if data["runs"]:
        typer.echo("")
        typer.echo(t["runs_head"].format(n=len(data["runs"])))
        names = [job(r["job"]) for r in data["runs"]]
        results = [result(r["result"]) + hand(r) for r in data["runs"]]
        wj, wr = max(map(_width, names)), max(map(_width, results))
        for r, name, res in zip(data["runs"], names, results):
            took = ""
            if r["started"] and r["finished"]:
                seconds = (datetime.fromisoformat(r["finished"]) - datetime.fromisoformat(r["started"])).total_seconds()
                took = t["seconds"].format(n=f"{seconds:.0f}")
            err = f" — {error_text(r, lang)}" if r["error"] or r.get("missed") else ""
            typer.echo(f"  {short(r['scheduled'])} {_pad(name, wj)} {_pad(res, wr)}{took}{err}")


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
