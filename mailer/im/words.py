"""The words of group messages, in both languages: titles, the facts of one line, the tails.

A group message is read on a phone in 企业微信, 钉钉 or 飞书: one title that says what it is and how
much, then one short line per item. The sentences here are filled in by mailer/im/say.py; a rule's
own name and English count nouns come from its flag type (workbooks.model.flags), as in the mail.
"""
from __future__ import annotations

from datetime import date

WORDS = {
    "zh": {
        "digest_title": "{scope} 督办日报 {day}：{counts}", "digest_none": "{scope} 督办日报 {day}",
        "count": "{label} {n}", "counts_join": " · ", "facts_join": " · ",
        "escalation_title": "升级：请{scope}负责人协调以下 {n} 项",
        "escalation_do": "请部门负责人与事项负责人商定新的完成日期或协助安排，并写入工作簿",
        "digest_do": "请各负责人在工作簿中更新状态和完成情况；逾期事项请写明原因和新的完成日期",
        "alert_title": "紧急：{label}：{what}", "alert_many": "紧急：{label}：{what} 等 {total} 项", "alert_none": "紧急提醒",
        "alert_mixed": "紧急：{total} 项需要立即处理（{counts}）",
        "repeat_title": "再次提醒：{what}{waited}，{still}", "repeat_waited": " 已等待 {waited}",
        "repeat_many": "再次提醒：{total} 项{still}（{counts}）",
        "repeat_after": "再次提醒：{what}，首次提醒 {after} 后{still}",
        "still_unanswered": "仍未响应", "still_open": "仍未处理", "list_join": "、",
        "problems_title": "{n} 个数据问题，详见邮件", "notice_title": "督办服务需要处理",
        "summary_title": "督办周报/月报",
        "owner": "负责人：{who}", "responder": "需响应：{who}", "waited": "已等待 {waited}",
        "no_one": "（未指定）", "row": "{path} 第{row}行", "rows_join": "、",
        "overdue_days": "逾期 {n} 天", "overdue_time": "逾期 {t}", "due_in": "{n} 天后到期",
        "due_today": "今天到期", "due_at": "截止 {at}", "blocked_since": "阻塞已 {n} 天",
        "help": "需 {dept} 协助", "stale": "最近更新 {at}", "stale_never": "从未更新",
        "do": "请：{step}", "status": "运行 duban status {folder} 查看运行状态",
        "archive": "归档：{path}", "archive_link": "查看归档",
        "day": "{m}月{d}日", "footer": "督办 duban",
    },
    "en": {
        "digest_title": "{scope} duban digest {day}: {counts}", "digest_none": "{scope} duban digest {day}",
        "count": "{phrase}", "counts_join": " · ", "facts_join": " · ",
        "escalation_title": "Escalation: {items} for the head of {scope} to sort out",
        "escalation_do": "Head of department: agree a new date or the help needed with each owner, and have it written in the workbook",
        "digest_do": "Owners: update the status and progress in the workbook; for an overdue item, write why and the new date",
        "alert_title": "URGENT: {label}: {what}", "alert_many": "URGENT: {label}: {what} and {n} more", "alert_none": "URGENT",
        "alert_mixed": "URGENT: {total} items need action now ({counts})",
        "repeat_title": "Reminder: {what}{waited} is still {still}", "repeat_waited": " has waited {waited} and",
        "repeat_many": "Reminder: {total} items still {still} ({counts})",
        "repeat_after": "Reminder: {what} is still {still} {after} after the first alert",
        "still_unanswered": "unanswered", "still_open": "not handled", "list_join": ", ",
        "problems_title": "{problems}, see the mail", "notice_title": "duban serve needs attention",
        "summary_title": "duban report",
        "owner": "Owner: {who}", "responder": "Must respond: {who}", "waited": "waiting {waited}",
        "no_one": "(nobody named)", "row": "{path} row {row}", "rows_join": ", ",
        "overdue_days": "{n} days overdue", "overdue_time": "{t} overdue", "due_in": "due in {n} days",
        "due_today": "due today", "due_at": "due {at}", "blocked_since": "blocked for {n} days",
        "help": "needs help from {dept}", "stale": "last updated {at}",
        "stale_never": "never updated",
        "do": "Do: {step}", "status": "Run duban status {folder} to see what ran",
        "archive": "Archive: {path}", "archive_link": "Open the archive",
        "day": "{d} {mon}", "footer": "duban",
    },
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def words(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "zh"]


def day(when: date, lang: str) -> str:
    """12月7日 / 7 Dec: a phone's title has no room for the year."""
    return words(lang)["day"].format(m=when.month, d=when.day, mon=MONTHS[when.month - 1])


def plural(n: int, singular: str, plural_: str | None = None) -> str:
    """'1 item', '3 items' (English; Chinese needs no plural)."""
    return f"{n:,} {singular if n == 1 else (plural_ or singular + 's')}"


def listing(names, lang: str) -> str:
    """Names in a row: 研发部、市场部 / Sales, Operations."""
    return words(lang)["list_join"].join(names)


def footer(keyword: str, base: str = "") -> str:
    """The last line of every message (`base`, else 督办 duban; an English group's is "duban"), and the group's keyword when a
    keyword-secured bot has one that this line does not already hold (DingTalk and Feishu refuse a
    message without it). Applied when the message goes, with the keyword duban.toml says then."""
    base = base or WORDS["zh"]["footer"]
    keyword = (keyword or "").strip()
    return base if not keyword or keyword in base else f"{base} · {keyword}"
