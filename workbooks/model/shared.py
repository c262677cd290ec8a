"""What several kinds share, declared once: the dropdowns and the columns every kind (or every kind
with a due date) has, so that a change to one reaches every template, reader and rule."""
from __future__ import annotations

from duban.workbooks.model.schema import Choice, Column, ColumnType as T, Role as R

# ---- shared dropdowns -------------------------------------------------------------------
WORK_STATUS = (
    Choice("not_started", "未开始", "Not started", aliases=("todo",)),
    Choice("in_progress", "进行中", "In progress", aliases=("doing", "ongoing")),
    Choice("done", "已完成", "Done", done=True, aliases=("completed", "finished", "完成"), colour="green"),
    Choice("blocked", "阻塞", "Blocked", blocked=True, aliases=("需协助",), colour="orange"),
    Choice("delayed", "延期", "Delayed", aliases=("postponed",)),
)
PRIORITY = (
    Choice("high", "高", "High"),
    Choice("medium", "中", "Medium"),
    Choice("low", "低", "Low"),
)
REQUEST_STATUS = (
    Choice("pending", "待确认", "Pending"),
    Choice("received", "已接收", "Received", aliases=("acknowledged",)),
    Choice("in_progress", "处理中", "In progress"),
    Choice("done", "已完成", "Done", done=True, aliases=("completed",), colour="green"),
    Choice("rejected", "已拒绝", "Rejected", done=True),    # closed; grey is "not updated" in the legend
)
INCIDENT_TYPE = (
    Choice("complaint", "客诉", "Complaint", aliases=("customer complaint",)),
    Choice("system", "系统故障", "System failure"),
    Choice("public_opinion", "舆情", "Public opinion"),
    Choice("equipment", "设备故障", "Equipment failure"),
    Choice("other", "其他", "Other"),
)
INCIDENT_STATUS = (
    Choice("awaiting", "待响应", "Awaiting response", colour="red"),
    Choice("in_progress", "处理中", "In progress"),
    Choice("resolved", "已解决", "Resolved", done=True, colour="green"),
    Choice("closed", "已关闭", "Closed", done=True, colour="green"),
)
TIER = (
    Choice("strategic", "战略", "Strategic", aliases=("战略客户",)),
    Choice("key", "重点", "Key", aliases=("重点客户",)),
    Choice("regular", "普通", "Regular", aliases=("普通客户",)),
)
YES_NO = (
    Choice("yes", "是", "Yes", aliases=("y", "true", "1")),
    Choice("no", "否", "No", aliases=("n", "false", "0")),
)
LANGUAGE = (
    Choice("zh", "zh", "zh", aliases=("中文", "chinese", "cn")),
    Choice("en", "en", "en", aliases=("英文", "english")),
)
REMINDERS = (
    Choice("mail", "邮件", "Mail", aliases=("email", "邮件提醒", "每日邮件")),
    Choice("group", "仅群消息", "Group only", aliases=("群消息", "group", "群")),
    Choice("weekly", "每周", "Weekly", aliases=("每周汇总", "周报")),
)
PROGRESS_STEPS = ("0%", "25%", "50%", "75%", "100%")


# ---- job-owned columns, the same in every kind ------------------------------------------
def id_column() -> Column:
    return Column("id", "编号", "ID", T.ID, role=R.ID, job_owned=True, width=11,
                  help_zh="由督办系统自动填写，请勿修改；删除的行编号不会被重复使用。",
                  help_en="Filled in by duban; do not edit. Numbers of deleted rows are never reused.")


def snoozed_column() -> Column:
    """Optional in every kind with a due date: a workbook without it reads as before."""
    return Column("snoozed", "暂缓至", "Snooze until", T.DATE, role=R.SNOOZED, width=12,
                  aliases=("暂缓", "暂缓到"),
                  help_zh="可选：填写日期后，此日期之前该行不出现在每日摘要中，当天起重新提醒；截止日期、颜色、升级和紧急提醒不变。",
                  help_en="Optional: before this date the row stays out of the daily digests, and it is back on the day "
                          "itself; its due date, colour, escalation and urgent alerts do not change.")


def alerts_column() -> Column:
    return Column("alerts", "系统提示", "Alerts", T.TEXT, role=R.ALERTS, job_owned=True, width=30,
                  help_zh="由督办系统填写本行为何被标记（如“逾期3天”），问题处理后自动清除。",
                  help_en="Written by duban: why the row is flagged (e.g. \"3 days overdue\"); cleared once fixed.")


def last_update_column() -> Column:
    return Column("last_update", "反馈时间", "Last update", T.DATE, role=R.LAST_UPDATE, width=12,
                  help_zh="最近一次更新进度的日期；每{stale_day}{stale_time}前须更新，否则标记为“未更新”。",
                  help_en="Date the row was last updated; update by {stale_day} {stale_time} each week or it is marked stale.")
