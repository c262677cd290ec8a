"""Terminal output of `duban inbox`: per reply, who sent it, about which item, what it asked and
what became of it; the answers mailed; why the mailbox could not be read. Also the facts serve
records of a run (`facts`)."""
from __future__ import annotations

from rich.table import Table

from duban.jobs.settings.typed import Settings
from duban.jobs.terminal.report import emit_json, err, escape, out
from duban.mailer.reasons import error_text, setting_text
from duban.mailer.seam import SetupError

TEXT = {
    "zh": {"title": "回复邮件 {now}", "from": "发件人", "item": "事项", "command": "指令", "outcome": "结果",
           "stored": "已记录，稍后写入", "applied": "已更新", "waiting": "等待：{why}", "refused": "未执行：{why}",
           "answered": "已答复：{why}", "ignored": "忽略：{why}", "already": "此前已处理",
           "waiting_default": "工作簿正在 Excel 中打开，关闭后自动写入",
           "nothing": "回复邮箱中没有新邮件。", "answers": "{n} 封答复邮件已排队发送。", "dry": "预演：未写入、未移动、未发送。",
           "temporary": "暂时无法读取回复邮箱：{error}。邮件留在邮箱中，下次运行时重试。",
           "setup": "无法读取回复邮箱：{error}。请修改 duban.toml 中的 {setting}，然后运行 duban inbox。",
           "done": "已完成", "progress": "进度", "acknowledge": "已收到", "snooze": "暂缓", "help": "需协助", "note": "备注"},
    "en": {"title": "Replies {now}", "from": "From", "item": "Item", "command": "Command", "outcome": "Outcome",
           "stored": "stored, written later", "applied": "applied", "waiting": "waiting: {why}",
           "refused": "refused: {why}", "answered": "answered: {why}", "ignored": "ignored: {why}",
           "already": "handled before", "waiting_default": "open in Excel; written once it is closed",
           "nothing": "No new mail in the reply mailbox.", "answers": "{n} answer mail(s) queued.",
           "dry": "Dry run: nothing written, moved or sent.",
           "temporary": "The reply mailbox cannot be read now: {error}. The mail stays there and is read at the "
                        "next run.",
           "setup": "The reply mailbox cannot be read: {error}. Change {setting} in duban.toml, then run duban inbox.",
           "done": "done", "progress": "progress", "acknowledge": "received", "snooze": "snooze", "help": "help",
           "note": "note"},
}


def _lang(settings: Settings) -> str:
    return "en" if settings.company.language == "en" else "zh"


def outcome_text(row, t: dict, lang: str, outcomes: dict) -> str:
    """A reply's outcome as the table says it: applied / waiting (why) / refused / answered / ignored (why)."""
    found = outcomes.get(row.message_id)
    why = row.reason.why(lang) if row.reason is not None else ""
    if row.outcome == "applied" and found is not None and found.cells:
        written = "; ".join(f"{header} = {value}" for header, value in found.cells.items())
        return f"{t['applied']}{'：' if lang == 'zh' else ': '}{written}"
    if row.outcome == "waiting":
        why = (found.en if lang == "en" else found.zh) if found is not None and (found.zh or found.en) else \
            t["waiting_default"]
    return t[row.outcome].format(why=why) if row.outcome in t else row.outcome


def failure_text(failure, lang: str) -> str:
    t = TEXT[lang]
    if isinstance(failure, SetupError):
        return t["setup"].format(error=error_text(failure.reason, lang), setting=setting_text(failure.setting, lang))
    return t["temporary"].format(error=error_text(failure.reason, lang))


def show(run, settings: Settings, as_json: bool) -> int:
    """Print the run; the exit code: 1 when the inbox is off or its mailbox could not be read."""
    lang = _lang(settings)
    if as_json:
        emit_json(as_data(run))
        return 1 if run.failed else 0
    t = TEXT[lang]
    if run.disabled is not None:
        err.print(escape(f"{run.disabled.why(lang)} {run.disabled.todo(lang)}"))
        return 1
    if run.replies:
        outcomes = {o.change.message_id: o for o in run.outcomes}
        table = Table(title=t["title"].format(now=run.now.strftime("%Y-%m-%d %H:%M")), show_lines=False)
        for key in ("from", "item", "command", "outcome"):
            table.add_column(t[key], overflow="fold")
        for row in run.replies:
            table.add_row(escape(row.sender), escape(row.item), t.get(row.command, row.command),
                          escape(outcome_text(row, t, lang, outcomes)))
        out.print(table)
    elif run.failure is None:
        out.print(t["nothing"])
    queued = [a for a in run.answers if a.status in ("queued", "held")]
    if queued:
        out.print(t["answers"].format(n=len(queued)))
    if run.dry_run:
        out.print(t["dry"])
    if run.failure is not None:
        err.print("[yellow]" + escape(failure_text(run.failure, lang)) + "[/yellow]")
    return 1 if run.failed else 0


def as_data(run) -> dict:
    """The run as JSON: every reply with its outcome and reason code (both languages), the answers, the failure."""
    return {
        "now": run.now.isoformat(), "dry_run": run.dry_run,
        "disabled": {"zh": f"{run.disabled.why_zh}{run.disabled.todo_zh}", "en": f"{run.disabled.why_en} "
                     f"{run.disabled.todo_en}"} if run.disabled else None,
        "replies": [{"message_id": r.message_id, "from": r.sender, "item": r.item, "command": r.command,
                     "outcome": r.outcome, "code": r.reason.code if r.reason else "",
                     "why": {"zh": r.reason.why_zh, "en": r.reason.why_en} if r.reason else None}
                    for r in run.replies],
        "answers": [{"to": a.to, "email": a.email, "cc": a.cc, "subject": a.subject, "status": a.status}
                    for a in run.answers],
        "error": {"zh": failure_text(run.failure, "zh"), "en": failure_text(run.failure, "en")} if run.failure else None,
    }

