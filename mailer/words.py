"""The words of duban's mail: labels of every mail part in both languages, and how a count or a
duration is said.

Rendering (mailer/render.py) and the summaries (mailer/summary.py) speak from here; a rule's own
words (its name, its English count nouns, its next step) are on its flag type (workbooks.model.flags).
"""
from __future__ import annotations

from datetime import timedelta

LABELS = {
    "zh": {"brand": "督办", "hello": "{name}，您好：", "id": "编号", "item": "事项", "what": "提示",
           "deadline": "期限", "where": "位置", "row": "第{row}行", "cc": "抄送", "colon": "：",
           "open": "（", "close": "）", "sep": "，", "what_join": "；", "sheet_row": "工作表“{sheet}”{rows}", "rows_join": "、",
           "file": "文件", "link": "链接", "next": "下一步", "owner": "负责人", "status": "状态",
           "last_update": "反馈时间", "never": "未填写", "held_at": "会议时间", "actions": "行动项",
           "group_count": "{n}项", "for_owner": "请督促负责人{owner}尽快处理：",
           "digest_intro": "以下{n}项需要您处理：",
           "escalation_intro": "以下{n}项逾期或阻塞已超过规定的工作日，按首接负责制升级给您，请协调处理：",
           "alert_intro": "紧急：以下{n}项需要立即处理：",
           "problems_intro": "督办检查时发现以下{n}个问题，请通知相关人员按说明处理：",
           "problems_none": "本次检查未发现数据问题。",
           "problem": "问题", "problems_heading": "数据问题报告", "cell": "单元格", "whole_file": "整个文件",
           "unreachable": "以下人员无法送达邮件：", "undelivered": "以下邮件未能按时送达：",
           "notices": "督办的其他提示：",
           "more": "另有{n}项未列出（上面是最紧急的{shown}项）。其余事项可在以下工作簿的“系统提示”列中看到（对该列筛选“非空白”即可），"
                   "也可请文员运行 duban check {folder} 查看：",
           "more_book": "{n}项",
           "more_problems": "另有{n}个问题未列出（上面是前{shown}个）。运行 duban validate {folder} 可查看全部。",
           "footer": "此邮件由督办助手根据共享盘中的跟进表自动发送。按每项的“下一步”更新工作簿后，下次检查时提醒会自动停止。",
           "footer_escalation": "此邮件由督办助手根据共享盘中的跟进表自动发送。负责人在工作簿中更新（完成，或与发起人商定新的期限）后，升级提醒会自动停止。",
           "footer_problems": "此邮件由督办助手根据共享盘中的跟进表自动发送。单元格改正后，下次检查时该问题就不会再出现在报告中。",
           "subject_digest": "【督办】您有{counts} — {day}", "subject_escalation": "【督办】升级提醒：{n}项逾期或阻塞超期 — {day}",
           "subject_alert": "【督办·紧急】{what}", "subject_problems": "【督办】数据问题报告：{n}个问题 — {day}",
           "why": "您收到这一项，因为{reasons}。", "why_join": "；",
           "why_department": "这是您部门（{dept}）的事项", "why_help": "您部门（{dept}）被列为{column}",
           "why_accountable": "您是此任务在RACI权责表中的审批人（A）",
           "why_manager": "您是{name}的直属上级（已升级至第{level}级）",
           "why_manager_head": "您是{dept}负责人{name}的直属上级（已升级至第{level}级）",
           "count": "{n}项{label}", "join": "、", "digest_many": "{n}项待办：{counts}",
           "alert_many": "{what} 等{n}项紧急事项"},
    "en": {"brand": "duban", "hello": "Dear {name},", "id": "ID", "item": "Item", "what": "Why",
           "deadline": "Deadline", "where": "Where", "row": "row {row}", "cc": "Cc", "colon": ": ",
           "open": " (", "close": ")", "sep": ", ", "what_join": "; ", "sheet_row": "sheet \"{sheet}\", {rows}", "rows_join": ", ",
           "file": "File", "link": "Link", "next": "Next step", "owner": "Owner", "status": "Status",
           "last_update": "Last update", "never": "never", "held_at": "Held at", "actions": "Actions",
           "group_count": "{n}", "for_owner": "Please make sure {owner}, the owner, does this now: ",
           "digest_intro": "{items} {need} your attention:",
           "escalation_intro": "{items} {have} been overdue or blocked for longer than the agreed number of working days, "
                               "so {they} {are} escalated to you. Please help resolve {them}:",
           "alert_intro": "Urgent: {items} {need} action now:",
           "problems_intro": "The check found {problems}. Please have each dealt with as described:",
           "problems_none": "The check found no data problems.",
           "problem": "Problem", "problems_heading": "Problems report", "cell": "Cell", "whole_file": "whole file",
           "unreachable": "No mail could be sent to these people:", "undelivered": "Mail that did not go as it should:",
           "notices": "Other notices from duban:",
           "more": "{more} not listed here (these are the {shown} most urgent). You can see the rest in the Alerts "
                   "(系统提示) column of these workbooks (filter that column for non-blank cells), or ask a clerk to "
                   "run duban check {folder}:",
           "more_book": "{items}",
           "more_problems": "{more} not listed here (these are the first {shown}). Run duban validate {folder} to see them all.",
           "footer": "Sent by duban from the tracking workbooks on the shared drive. Do each item's next step in its "
                     "workbook and its reminder stops at the next check.",
           "footer_escalation": "Sent by duban from the tracking workbooks on the shared drive. The escalation stops once "
                                "the owner updates the workbook (done, or a new deadline agreed with the initiator).",
           "footer_problems": "Sent by duban from the tracking workbooks on the shared drive. Once a cell is corrected, "
                              "its problem drops out of the next report.",
           "subject_digest": "[duban] You have {counts} — {day}",
           "subject_escalation": "[duban] Escalation: {items} overdue or blocked too long — {day}",
           "subject_alert": "[duban URGENT] {what}", "subject_problems": "[duban] Problems report: {problems} — {day}",
           "why": "You get this because {reasons}.", "why_join": "; ",
           "why_department": "it is an item of your department ({dept})",
           "why_help": "your department ({dept}) is asked to help ({column})",
           "why_accountable": "you are Accountable (A) for this task in the RACI",
           "why_manager": "you are the manager of {name} (escalated to level {level})",
           "why_manager_head": "you are the manager of {name}, head of {dept} (escalated to level {level})",
           "count": "{n} {label}", "join": ", ", "digest_many": "{items}: {counts}",
           "alert_many": "{what} and {more}"},
}

def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 item', '2 items', '12,000 items'."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def duration(delta: timedelta, lang: str) -> str:
    """832 minutes -> 13小时52分钟 / 13 h 52 min; 2 days 3 hours -> 2天3小时 / 2 d 3 h."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    units = (("天", "d"), ("小时", "h"), ("分钟", "min"))
    values = (days, hours, mins if not days else 0)
    parts = [(v, u) for v, u in zip(values, units) if v] or [(0, units[2])]
    if lang == "zh":
        return "".join(f"{v}{u[0]}" for v, u in parts)
    return " ".join(f"{v} {u[1]}" for v, u in parts)


# What each kind of mail is called where people see a list of mails (the terminal, the console,
# serve's --dry-run preview)
KIND_NAMES = {
    "zh": {"digest": "每日提醒", "escalation": "升级", "alert": "紧急", "problems": "数据问题", "summary": "周报/月报"},
    "en": {"digest": "digest", "escalation": "escalation", "alert": "urgent", "problems": "problems",
           "summary": "summary"},
}


BEHALF = {
    "zh": ("{name}休假至 {until}，您是其代理人：以下是{name}的事项。", "（代{name}）"),     # the Cc line names them
    "en": ("{name} is away until {until} and you stand in: these are {name}'s items.",
           " (for {name})"),
}


WEEKLY = {"zh": "您选择每周接收一次摘要（通讯录“提醒方式”为“每周”），以下是今天仍需处理的全部事项。",
          "en": "You take the digest once a week (Reminders is Weekly in the directory): here is everything that "
                "needs you today."}


def weekly(notice, lang: str) -> str:
    """The line that opens a weekly digest, so its reader knows why it comes on Mondays only."""
    person = getattr(notice, "on_behalf", None) or notice.recipient
    if notice.kind != "digest" or getattr(person, "reminders", "mail") != "weekly":
        return ""
    return WEEKLY["en" if lang == "en" else "zh"]


def behalf(absent, lang: str) -> tuple[str, str]:
    """(the line that opens a stand-in's mail, the subject's ending) for `absent`, the person whose
    mail a stand-in gets (jobs.notify.presence), or ("", "") when the mail is the reader's own."""
    if absent is None:
        return "", ""
    line, ending = BEHALF["en" if lang == "en" else "zh"]
    until = absent.away_until.isoformat() if absent.away_until else "?"
    return line.format(name=absent.name, until=until), ending.format(name=absent.name)

