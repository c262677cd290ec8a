"""Terminal output of the mail jobs (remind, alert, outbox): who gets what, and what the queue did."""
from __future__ import annotations

from rich.table import Table

from duban.jobs.notify.clerks import unset_warning
from duban.jobs.notify.presence import CODES as PRESENCE_CODES
from duban.jobs.serve.selfalert import fix
from duban.jobs.serve.status import error_pair
from duban.jobs.settings.config import CONFIG_NAME
from duban.jobs.settings.typed import Settings
from duban.jobs.state import heldsaves
from duban.jobs.terminal import lanes
from duban.jobs.terminal.report import emit_json, err, escape, out, warning_prefix
from duban.mailer.im.lane import group_of
from duban.mailer.reasons import error_text, setting_text
from duban.workbooks.share.commandline import folder_arg

TEXT = {
    "zh": {"title": "邮件 {now}", "kind": "类型", "to": "收件人", "subject": "主题", "items": "事项", "status": "状态",
           "digest": "每日提醒", "escalation": "升级", "alert": "紧急", "problems": "数据问题", "summary": "周报/月报", "answer": "回复答复",
           "queued": "已排队", "held": "暂存至 {at}", "already": "已发过", "dry-run": "预演（未发送）",
           "nothing": "没有需要发送的邮件。", "nothing_groups": "没有需要发送的邮件或群消息。", "skipped": "{n} 封邮件此前已发出，内容未变，未重复发送。",
           "nothing_waiting": "队列中没有等待发送的邮件。", "nothing_waiting_groups": "队列中没有等待发送的邮件或群消息。",
           "title_groups": "邮件和群消息 {now}", "paused": "暂停（设置有误）",
           "written": "{n} 封邮件已写入 {dest}（可用 Outlook、Foxmail 或 Thunderbird 打开 .eml 文件）",
           "sent_smtp": "{n} 封邮件已通过 {dest} 发出",
           "written_waiting": "队列中等待的 {n} 封邮件已写入 {dest}（可用 Outlook、Foxmail 或 Thunderbird 打开 .eml 文件）",
           "sent_smtp_waiting": "队列中等待的 {n} 封邮件已通过 {dest} 发出",
           "held_serving": "{what}暂存至 {at}（上班时间）再发：正在运行的 duban serve 会在那时发出。",
           "held_alone": "{what}暂存至 {at}（上班时间）再发，但不会自己发出：这个文件夹的 duban serve 没有在运行。"
                         "请启动 duban serve {folder}，或在 {at} 之后运行 duban outbox {folder} --retry。",
           "rest": "失败 {failed} 封，等待中 {queued} 封，放弃 {given_up} 封，搁置 {set_aside} 封",
           "write_refused": "工作簿未写入（已拒绝）：{file} — {why}。文件保持原样，提醒照常发出；数据问题报告已告知文员。",
           "down": "邮件服务器无法连接（{error}）：邮件保留在队列中，下次运行时重试。",
           "refused": "邮件服务器拒收，不再重试（数据问题报告会告知文员）：{to} — {subject}（{error}）",
           "set_aside": "已搁置，不再自动发送：{to} — {subject}（{error}）。它可能已经送达，请向收件人确认；如未收到，运行 duban outbox {folder} --retry --failed 再发一次。",
           "set_aside_group": "已搁置，不再自动发送：群「{to}」— {subject}（{error}）。群消息可能已发出：请到群里看一下；如未收到，运行 duban outbox {folder} --retry --failed 再发一次。",
           "unanswered": "发出后邮件服务器没有答复，可能已经送达：{to} — {subject}。督办以相同的 Message-ID 最多再发一次，收件人可能收到两封。",
           "setup_group": "群机器人设置有误，群消息保留在队列中，不再自动重试：{error}。请{fix}，然后运行 duban outbox {folder} --retry。",
           "setup": "邮件设置有误，邮件保留在队列中，不再自动重试：{error}。请修改 duban.toml 中的 {setting}，然后运行 duban outbox {folder} --retry。",
           "unknown": "无法送达：{text}", "queue_title": "邮件队列", "attempts": "尝试", "error": "错误",
           "when": "排队时间", "empty": "队列为空。"},
    "en": {"title": "Mail {now}", "kind": "Kind", "to": "To", "subject": "Subject", "items": "Items", "status": "Status",
           "digest": "digest", "escalation": "escalation", "alert": "urgent", "problems": "problems", "summary": "summary",
           "queued": "queued", "held": "held until {at}", "already": "already sent", "dry-run": "dry run (not sent)",
           "nothing": "No mail to send.", "nothing_groups": "No mail or group message to send.", "skipped": "{who} already sent with the same content; not sent again.",
           "nothing_waiting": "No mail is waiting in the queue.",
           "nothing_waiting_groups": "No mail or group message is waiting in the queue.",
           "title_groups": "Mail and group messages {now}", "paused": "paused (a setting is wrong)",
           "written": "{mails} written to {dest} (open the .eml files with Outlook, Foxmail or Thunderbird)",
           "sent_smtp": "{mails} sent through {dest}",
           "written_waiting": "{mails} waiting in the queue written to {dest} (open the .eml files with Outlook, "
                              "Foxmail or Thunderbird)",
           "sent_smtp_waiting": "{mails} waiting in the queue sent through {dest}",
           "held_serving": "{what} held until {at} (office hours): the running duban serve sends them then.",
           "held_alone": "{what} held until {at} (office hours), and nothing sends them by itself: duban serve is "
                         "not running for this folder. Start duban serve {folder}, or run duban outbox {folder} "
                         "--retry after {at}.",
           "rest": "{failed} failed, {queued} waiting, {given_up} given up, {set_aside} set aside",
           "write_refused": "Workbook not written (refused): {file} — {why}. The file is as it was and the reminders went out; the clerks' problems report names it.",
           "down": "The mail server could not be reached ({error}): the mail stays queued and is retried on the next run.",
           "refused": "Refused by the mail server, not retried (the clerks' problems report names it): {to} — {subject} ({error})",
           "set_aside": "Set aside, not sent again by itself: {to} — {subject} ({error}). It may already have been delivered: ask the recipient; if it did not arrive, duban outbox {folder} --retry --failed sends it once more.",
           "set_aside_group": "Set aside, not sent again by itself: group {to} — {subject} ({error}). The group message may have been posted: look in the group; if it is not there, duban outbox {folder} --retry --failed sends it once more.",
           "unanswered": "No answer from the mail server after the mail was sent, so it may already have been delivered: {to} — {subject}. duban sends it at most once more, with the same Message-ID: the recipient may get it twice.",
           "setup_group": "A group bot's setting is wrong, so its messages stay in the queue and are not retried by themselves: {error}. {fix}, then run duban outbox {folder} --retry.",
           "setup": "A mail setting is wrong, so the mail stays in the queue and is not retried by itself: {error}. Correct {setting} in duban.toml, then run duban outbox {folder} --retry.",
           "unknown": "Cannot be mailed: {text}", "queue_title": "Mail queue", "attempts": "Tries", "error": "Error",
           "when": "Queued", "empty": "The queue is empty."},
}


def _text(settings: Settings) -> dict:
    return TEXT.get(settings.company.language, TEXT["zh"])


def mail_summary(run, settings: Settings, as_json: bool) -> None:
    if as_json:
        emit_json(mail_json(run))
        return
    t = _text(settings)
    if run.outgoing:
        title = t["title_groups" if any(o.channel != "mail" for o in run.outgoing) else "title"]
        table = Table(title=title.format(now=run.now.strftime("%Y-%m-%d %H:%M")), header_style="bold")
        for key in ("kind", "to", "subject", "items", "status"):
            table.add_column(t[key], overflow="fold")
        for m in run.outgoing:
            status = t["held"].format(at=m.not_before.strftime("%m-%d %H:%M")) if m.status == "held" else t[m.status]
            to = lanes.recipient(m.channel, m.to, settings.company.language) + (f" (cc {', '.join(m.cc)})" if m.cc else "")
            table.add_row(t.get(m.kind, m.kind), escape(to), escape(m.subject), str(m.items), status)
        out.print(table)
    elif not _queue_moved(run.delivery):    # "no mail to send", then "7 mails sent" would contradict itself
        nothing = "nothing_waiting" if getattr(run, "retry", False) else "nothing"
        out.print(t[nothing + "_groups" if settings.im.groups else nothing])    # groups too, where there are
    if run.skipped:
        who = "1 mail was" if run.skipped == 1 else f"{run.skipped} mails were"
        out.print(t["skipped"].format(n=run.skipped, who=who))
    lang = settings.company.language
    for problem in run.unknown:      # someone a channel cannot reach, or a setting that does nothing
        as_is = problem.file == CONFIG_NAME or problem.code in PRESENCE_CODES     # a setting, a directory cell
        said = problem.message(lang) if as_is else t["unknown"].format(text=problem.message(lang))
        err.print("[yellow]" + escape(said) + "[/yellow]")
    for warning in run.check.warnings if getattr(run, "check", None) else ():   # remind's check: a workbook gone, ...
        err.print(f"[yellow]{warning_prefix(lang)}[/yellow]{escape(warning)}")
    _delivery(run, t, lang)
    _held(run, settings, t)
    for wb in getattr(run, "refused", []):      # a clerk must not miss these: red, and exit code 1 (cli)
        why = wb.why.text(lang) if wb.why else "?"
        err.print("[bold red]" + escape(t["write_refused"].format(file=wb.relpath, why=why)) + "[/bold red]")
    if getattr(run, "check", None):             # remind's check found a save that went into a backup
        for workbook, backup in heldsaves.from_check(run.check):
            err.print("[bold red]" + escape(heldsaves.sentence(workbook, backup, lang)) + "[/bold red]")


def _queue_moved(delivery) -> bool:
    """Did this run's delivery send, refuse, give up, set aside or leave waiting any mail?"""
    return delivery is not None and bool(delivery.sent or delivery.failed or delivery.still_queued
                                         or delivery.given_up or delivery.set_aside)


def _mails(n: int) -> str:
    return "1 mail" if n == 1 else f"{n} mails"


def _delivery(run, t: dict, lang: str) -> None:
    delivery = run.delivery
    if delivery is None:
        return
    mail = [m for m in delivery.sent if m.channel == "mail"]
    if mail:                 # "0 mails written to …" after "no mail to send" says nothing
        n = len(mail)
        key = "sent_smtp" if run.transport == "smtp" else "written"
        key += "" if run.outgoing else "_waiting"       # nothing new this run: what went had waited
        out.print(escape(t[key].format(n=n, mails=_mails(n), dest=run.destination)))
    for line in lanes.delivered(delivery, lang):
        out.print(escape(line))
    queued, failed, given_up, set_aside = ([m for m in found if m.channel == "mail"] for found in (
        delivery.still_queued, delivery.failed, delivery.given_up, delivery.set_aside))   # each group's: its own lines
    if failed or queued or given_up or set_aside:
        out.print(t["rest"].format(failed=len(failed), queued=len(queued), given_up=len(given_up),
                                   set_aside=len(set_aside)))
    if waiting := lanes.paused(delivery, lang):     # a group's rate limit or pace: not a fault
        out.print(escape(waiting))
    for m in delivery.failed:
        said = lanes.failed(m, lang) or t["refused"].format(to=", ".join(m.recipients), subject=m.subject,
                                                            error=error_text(m.last_error or "?", lang))
        err.print("[yellow]" + escape(said) + "[/yellow]")
    for m in delivery.unanswered:
        err.print("[yellow]" + escape(t["unanswered"].format(to=", ".join(m.recipients), subject=m.subject))
                  + "[/yellow]")
    folder = folder_arg(run.folder) if getattr(run, "folder", None) is not None else "DIR"
    for m in delivery.set_aside:               # a group's message: look in the group, not a mailbox
        said = t["set_aside_group" if group_of(m.channel) else "set_aside"]
        err.print("[bold red]" + escape(said.format(to=", ".join(m.recipients), subject=m.subject,
                                                            error=error_text(m.last_error or "?", lang), folder=folder)) + "[/bold red]")
    faults = delivery.faults or ([("mail", delivery.error, delivery.setting)] if delivery.error else [])
    first: dict[str, tuple] = {}
    for found in faults:                 # each lane once (remind delivers twice: the clerks' report last)
        first.setdefault(found[0], found)
    for lane, error, setting in first.values():
        _fault(lane, error, setting, t, lang, folder)


def _fault(lane: str, error: str, setting: str | None, t: dict, lang: str, folder: str) -> None:
    """One lane's failure: a setting to fix (red), or a server not reached (yellow)."""
    if setting and (lanes.group_name(lane) or lanes.about_a_group(setting)):
        err.print("[bold red]" + escape(t["setup_group"].format(error=lanes.sentence(error_text(error, lang)),
                                                              folder=folder, fix=fix(setting, lang)))
                  + "[/bold red]")
    elif setting:
        err.print("[bold red]" + escape(t["setup"].format(error=error_text(error, lang), folder=folder,
                                                        setting=setting_text(setting, lang))) + "[/bold red]")
    elif lanes.group_name(lane):
        err.print("[yellow]" + escape(lanes.fault(lane, error, lang)) + "[/yellow]")
    else:
        err.print("[yellow]" + escape(t["down"].format(error=error_text(error, lang))) + "[/yellow]")


def _held(run, settings: Settings, t: dict) -> None:
    """Mail held for office hours goes only when something delivers after that hour: a running
    serve, or a person's `duban outbox --retry`. Say which, and when."""
    delivery, folder = run.delivery, getattr(run, "folder", None)
    held = [m for m in delivery.still_queued if m.not_before and m.not_before > run.now] if delivery else []
    if not held or folder is None:
        return
    from duban.jobs.serve.handoff import serving
    from duban.jobs.serve.lock import stale_after

    at = min(m.not_before for m in held).astimezone(settings.company.tz).strftime("%m-%d %H:%M")
    running = serving((folder / settings.state.path).parent, stale_after(settings)) is not None
    what = lanes.held_count(sum(m.channel == "mail" for m in held), sum(m.channel != "mail" for m in held),
                            settings.company.language)
    text = t["held_serving" if running else "held_alone"].format(what=what, at=at,
                                                                 folder=folder_arg(folder))
    (out if running else err).print(("" if running else "[yellow]") + escape(text) + ("" if running else "[/yellow]"))


def mail_json(run) -> dict:
    d = run.delivery
    return {"now": run.now.isoformat(),
            "mails": [{"kind": m.kind, "to": m.to, "email": m.email, "cc": m.cc, "subject": m.subject,
                       "items": m.items, "status": m.status, "channel": m.channel,
                       "group": lanes.group_name(m.channel, m.to) or None,
                       "not_before": m.not_before.isoformat() if m.not_before else None} for m in run.outgoing],
            "skipped_recipients": run.skipped, "transport": run.transport, "destination": run.destination,
            "write_refused": [{"workbook": w.relpath, "reason": w.reason} for w in getattr(run, "refused", [])],
            "unreachable": [p.to_dict() for p in run.unknown],
            "delivery": None if d is None else {
                "sent": [m.key for m in d.sent], "failed": [{"key": m.key, "recipients": m.recipients, "error": m.last_error,
                                                   "error_text": error_pair(m.last_error)} for m in d.failed],
                "given_up": [m.key for m in d.given_up], "waiting": [m.key for m in d.still_queued],
                "set_aside": [{"key": m.key, "recipients": m.recipients, "error": m.last_error,
                               "error_text": error_pair(m.last_error)} for m in d.set_aside],
                "may_be_delivered_twice": [m.key for m in d.unanswered],
                "error": d.error, "error_text": error_pair(d.error), "setting": d.setting,
                "waiting_reason": error_pair(d.waiting)}}


QUEUE_STATES = {"zh": {"queued": "等待发送", "sent": "已发送", "failed": "被拒收", "given_up": "已放弃",
                       "set_aside": "已搁置（可能已送达）", "unanswered": "（上次发出后无答复，可能已送达）"},
                "en": {"queued": "waiting", "sent": "sent", "failed": "refused", "given_up": "given up",
                       "set_aside": "set aside (may have been delivered)",
                       "unanswered": " (no answer last time: may have been delivered)"}}


# A state as the sentence "no mail is … (the queue holds …)" names it
STATE_WORDS = {"zh": {"queued": "等待发送", "sent": "已发送", "failed": "被拒收", "given_up": "已放弃", "set_aside": "已搁置"},
               "en": {"queued": "waiting", "sent": "sent", "failed": "refused", "given_up": "given up",
                      "set_aside": "set aside"}}
NONE_IN_STATE = {"zh": "队列中没有{state}的邮件（共 {total} 封：{held}）。",
                 "en": "No mail in the queue is {state} (it holds {total}: {held})."}


def queue_listing(entries, settings: Settings, as_json: bool, now=None, status: str | None = None,
                  everything=None, groups: dict | None = None, folder=None) -> None:
    """The queue as a table; waiting mail held for office hours (after `now`) says until when.
    Filtered by `status` to nothing, it says none is in that state and what the queue does hold
    (`everything`: all entries), not "the queue is empty" over 30 sent mails. `groups`: each group
    bot's lane (jobs.serve.status.groups_of), its counts and its settings hold said under the table."""
    if as_json:
        emit_json([_entry(m) for m in entries])
        return
    t = _text(settings)
    if not entries:
        held = everything() if status and everything else []
        out.print(_none_in_state(status, held, settings.company.language) if held else t["empty"])
        _group_lines(groups, settings, folder)
        return
    table = Table(title=t["queue_title"], header_style="bold")
    for key in ("when", "kind", "to", "subject", "status", "attempts", "error"):
        table.add_column(t[key], overflow="fold")
    zone = settings.company.tz          # the company's time, not the server's
    states = QUEUE_STATES.get(settings.company.language, QUEUE_STATES["zh"])
    lang = settings.company.language
    paused = lanes.held_lanes(groups or {})          # lanes held by a refused setting: not waiting
    for m in entries:
        error = m.last_error or ""          # a group bot's is kept in both languages
        table.add_row(m.queued_at.astimezone(zone).strftime("%m-%d %H:%M"), t.get(m.kind, m.kind),
                      escape(lanes.recipient(m.channel, ", ".join(m.recipients), lang)), escape(m.subject),
                      (t["paused"] if m.status == "queued" and m.channel in paused else _state(m, states, t, now, zone))
                      + (states["unanswered"] if m.unknown and m.status != "set_aside" else ""),
                      str(m.attempts), escape(error if m.channel == "mail" else error_text(error, lang)))
    out.print(table)
    _group_lines(groups, settings, folder)


def _group_lines(groups: dict | None, settings: Settings, folder) -> None:
    """Under the queue: each group's waiting, sent, failed … and a hold in red with what to fix."""
    where = folder_arg(folder) if folder is not None else "DIR"
    for text, red in lanes.lines(groups or {}, settings.company.language, where):
        (err if red else out).print(("[bold red]" if red else "") + escape(text) + ("[/bold red]" if red else ""))


def _none_in_state(status: str, held: list, lang: str) -> str:
    """`队列中没有等待发送的邮件（共 30 封：已发送 30 封）。`"""
    words = STATE_WORDS.get(lang, STATE_WORDS["zh"])
    counts: dict[str, int] = {}
    for m in held:
        counts[m.status] = counts.get(m.status, 0) + 1
    order = [s for s in words if s in counts] + sorted(s for s in counts if s not in words)
    parts = [f"{words.get(s, s)} {counts[s]} 封" if lang == "zh" else f"{counts[s]} {words.get(s, s)}" for s in order]
    total = f"{len(held)} mail" + ("" if len(held) == 1 else "s") if lang == "en" else len(held)
    return NONE_IN_STATE.get(lang, NONE_IN_STATE["zh"]).format(
        state=words.get(status, status), total=total, held=("，" if lang == "zh" else ", ").join(parts))


def _state(m, states: dict, t: dict, now, zone) -> str:
    if m.status == "queued" and now is not None and m.not_before and m.not_before > now:
        return t["held"].format(at=m.not_before.astimezone(zone).strftime("%m-%d %H:%M"))
    return states.get(m.status, m.status)


def _entry(m) -> dict:
    return {"key": m.key, "kind": m.kind, "recipients": m.recipients, "subject": m.subject, "status": m.status,
            "channel": m.channel,
            "attempts": m.attempts, "error": m.last_error, "error_text": error_pair(m.last_error),
            "sends_without_answer": m.unknown,
            **{k: (getattr(m, k).isoformat() if getattr(m, k) else None)
               for k in ("queued_at", "not_before", "next_attempt", "sent_at")}}


def warn_no_clerks(folder, settings) -> None:
    """While nobody is named to get the problems report, say so on stderr (JSON on stdout stays clean)."""
    if sentence := unset_warning(folder, settings):
        err.print(f"[yellow]{escape(sentence)}[/yellow]", soft_wrap=True)   # the path stays one piece
