"""What a workbook can show about a row: the flag types, their colours and their order.

This is the vocabulary shared by the rules (which raise flags), the write-back (which colours
status cells by the most severe flag and writes the Alerts cell), the Guide sheet and the mail.
Which kinds a flag applies to is declared here too (`needs`: the columns it reads), so the
Guide sheet lists what jobs.rules really checks without importing it.
Colours follow Excel's own good / neutral / bad cell styles and can be overridden in
`duban.toml` under [colours].
"""
from __future__ import annotations

from dataclasses import dataclass

from duban.workbooks.model.schema import Kind, Role as R


@dataclass(frozen=True)
class Colour:
    fill: str              # RGB hex, no '#'
    font: str
    pattern: str = "solid"  # openpyxl/OOXML patternType; data problems are hatched
    name: str = ""          # palette name (red, amber, …), kept in the journal


PALETTE: dict[str, Colour] = {
    "red": Colour("FFC7CE", "9C0006", name="red"),          # Excel "Bad"
    "orange": Colour("F8CBAD", "833C0B", name="orange"),
    "amber": Colour("FFEB9C", "9C5700", name="amber"),      # Excel "Neutral"
    "purple": Colour("E4DFEC", "5B2C83", "lightUp", name="purple"),
    "grey": Colour("D9D9D9", "3A3A3A", name="grey"),
    "green": Colour("C6EFCE", "006100", name="green"),      # Excel "Good"
}


@dataclass(frozen=True)
class FlagType:
    code: str
    colour: str
    rank: int              # lower = more severe; the status cell takes the most severe colour
    zh: str
    en: str
    help_zh: str
    help_en: str
    urgent: bool = False
    needs: tuple[R, ...] = ()   # the columns (roles) a kind must have for this flag to apply

    def applies_to(self, kind: Kind) -> bool:
        return all(kind.role_key(role) for role in self.needs)

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en


_FLAGS = (
    FlagType("incident_unanswered", "red", 0, "紧急事务未响应", "Incident unanswered",
             "发生后10分钟内无人填写响应时间；立即通知响应人及部门负责人。",
             "No response time 10 minutes after it occurred; the responder and department head are alerted at once.",
             urgent=True, needs=(R.OCCURRED, R.RESPONDED)),
    FlagType("escalated", "red", 1, "已升级", "Escalated",
             "逾期或阻塞已满3个工作日，已提醒部门负责人和审批人。",
             "Overdue or blocked for 3 working days; the department head and the accountable person are told.",
             needs=(R.STATUS,)),
    FlagType("overdue", "red", 2, "逾期", "Overdue",
             "已过截止日期（或期望交付时间）但未完成。", "The due date (or wanted-by date) has passed and it is not done.",
             needs=(R.DUE, R.STATUS)),
    FlagType("not_acknowledged", "red", 3, "未确认接收", "Not acknowledged",
             "需求提交后2个工作小时内未填写确认接收时间。",
             "No acknowledgement within 2 working hours of submission.",
             needs=(R.SUBMITTED, R.ACKNOWLEDGED)),
    FlagType("no_first_plan", "red", 4, "未反馈初步方案", "No first plan",
             "需求提交后24小时内未反馈初步方案。", "No first plan within 24 hours of submission.",
             needs=(R.SUBMITTED, R.FIRST_PLAN)),
    FlagType("blocked", "orange", 5, "阻塞", "Blocked",
             "状态为阻塞，或已填写需协助部门但尚未完成；通知需协助部门负责人。",
             "Status is Blocked, or help is needed from another department; that department's head is told.",
             needs=(R.STATUS,)),
    FlagType("due_soon", "amber", 6, "即将到期", "Due soon",
             "2个工作日内到期。", "Due within 2 working days.", needs=(R.DUE, R.STATUS)),
    FlagType("incident_report_late", "amber", 7, "报告未提交", "Report late",
             "紧急事务发生后24小时内未提交处理报告。", "No incident report 24 hours after it occurred.",
             needs=(R.OCCURRED, R.REPORT_FILED)),
    FlagType("minutes_late", "amber", 8, "纪要未发出", "Minutes late",
             "会议开始后超2小时仍未发出纪要。", "Minutes not sent 2 hours after the meeting started.",
             needs=(R.HELD_AT, R.MINUTES_SENT)),
    FlagType("customer_followup_late", "amber", 9, "回访逾期", "Follow-up late",
             "超过客户层级规定的沟通周期（战略7天、重点14天、普通30天）或已过下次回访日期。",
             "Last contact is older than the tier's cadence (strategic 7 d, key 14 d, regular 30 d) or the next visit has passed.",
             needs=(R.LAST_CONTACT,)),
    FlagType("data_problem", "purple", 10, "数据问题", "Data problem",
             "必填项为空、人名不在通讯录、日期无法识别、取值不在下拉选项中、状态与进度矛盾或编号重复。",
             "A required cell is empty, a person is not in the directory, a date cannot be read, a value is not in the dropdown, status and progress disagree, or an ID is duplicated."),
    FlagType("stale", "grey", 11, "未按时更新", "Stale",
             "未完成，且反馈时间早于最近一次每周五17:00的更新截止时间。",
             "Not done, and last updated before the latest Friday 17:00 update deadline.",
             needs=(R.STATUS, R.LAST_UPDATE)),
    FlagType("done", "green", 12, "已完成", "Done", "状态为已完成。", "Status is done.", needs=(R.STATUS,)),
)

FLAGS: dict[str, FlagType] = {f.code: f for f in _FLAGS}


def flags_for(kind: Kind) -> list[FlagType]:
    """The flags that can fire on `kind`'s rows, most severe first: those whose columns it has.
    The single source for the Guide sheet and for which rules jobs.rules runs on a kind."""
    return sorted((f for f in _FLAGS if f.applies_to(kind)), key=lambda f: f.rank)
