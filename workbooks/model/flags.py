"""What a workbook can show about a row: the flag types, their colours, their order and their words.

This is the vocabulary shared by the rules (which raise flags), the write-back (which colours
status cells by the most severe flag and writes the Alerts cell), the Guide sheet, explain, the
summary and the mail. Each flag type is declared once, below, with everything those need to say
about it: its name and reason in both languages, its English count nouns, the next step per
kind (mailer.nextsteps fills in the column names), whether it alerts at once (`urgency`), its
colour and rank, and which kinds it applies to (`needs`: the columns it reads), so the Guide
sheet lists what jobs.rules really checks without importing it. jobs.rules pairs each flag
type with the function that raises it (`jobs.rules.Rule`); tests/test_registries.py names
whatever a flag type leaves out.
Colours follow Excel's own good / neutral / bad cell styles and can be overridden in
`duban.toml` under [colours].
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from duban.workbooks.model.schema import Kind, Role as R

if TYPE_CHECKING:
    from duban.workbooks.model.records import Record
from duban.workbooks.model.thresholds import Thresholds, fill_in


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


class Urgency(StrEnum):
    """When a flag is mailed: with the daily digest, or at once by the alert job."""

    NONE = "none"                   # the daily digest
    ALWAYS = "always"               # at once, on every row it fires on
    HIGH_PRIORITY = "high_priority"  # at once on a row of high priority; else the digest


# kind key (None: every other kind) -> the (zh, en) next step; mailer.nextsteps fills in the names
Steps = dict[str | None, tuple[str, str]]


@dataclass(frozen=True)
class FlagType:
    code: str
    colour: str
    rank: int              # lower = more severe; the status cell takes the most severe colour
    zh: str
    en: str
    help_zh: str
    help_en: str
    urgency: Urgency = Urgency.NONE
    needs: tuple[R, ...] = ()   # the columns (roles) a kind must have for this flag to apply
    nouns: tuple[str, ...] = ()  # English count nouns (singular, plural): "1 overdue item", "2 overdue items"
    steps: Steps = field(default_factory=dict, compare=False)   # what the reader does next, per kind
    mailed: bool = True          # False: never a reminder of its own (done)

    def applies_to(self, kind: Kind) -> bool:
        return all(kind.role_key(role) for role in self.needs)

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def help(self, lang: str, thresholds: Thresholds | None = None) -> str:
        """What the flag means, with the configured thresholds (the shipped ones without)."""
        return fill_in(self.help_zh if lang == "zh" else self.help_en, lang, thresholds)

    @property
    def urgent(self) -> bool:
        """The alert job runs this rule (on every row, or on high-priority rows: `alerts`)."""
        return self.urgency is not Urgency.NONE

    def alerts(self, record: Record) -> bool:
        """This flag on `record` is mailed at once (the reader keeps choice keys: "high")."""
        if self.urgency is Urgency.HIGH_PRIORITY:
            return record.role(R.PRIORITY) == "high"
        return self.urgency is Urgency.ALWAYS

    def step(self, kind: str) -> tuple[str, str] | None:
        """The (zh, en) next step on a row of `kind`: its own, else the rule's for every kind."""
        return self.steps.get(kind) or self.steps.get(None)

    def noun(self, n: int) -> str:
        """The English count noun for `n` of these: "overdue item" / "overdue items"."""
        singular, plural = self.nouns
        return singular if n == 1 else plural


# ---- the next steps shared by several kinds ---------------------------------------------------------
# `{c[key]}` is the header of column `key`, `{s[key]}` the status value `key`, `{owner}` the row's owner
_FINISH: Steps = {
    "tasks": ("完成后把{c[status]}改为{s[done]}；赶不上期限时，请与发起人商定新的{c[due]}，并在{c[note]}写明原因。",
              "When it is done, set {c[status]} to {s[done]}. If it cannot be done in time, agree a new {c[due]} "
              "with the initiator and give the reason in {c[note]}."),
    "projects": ("完成后把{c[status]}改为{s[done]}；赶不上期限时，请与发起人商定新的{c[due]}，并在{c[notes]}写明原因。",
                 "When it is done, set {c[status]} to {s[done]}. If it cannot be done in time, agree a new "
                 "{c[due]} with the initiator and give the reason in {c[notes]}."),
    "requests": ("交付后把{c[status]}改为{s[done]}；不能按期交付时，请与发起人商定新的{c[wanted_by]}，并在{c[notes]}写明原因。",
                 "Once it is delivered, set {c[status]} to {s[done]}. If it cannot be delivered in time, agree a "
                 "new {c[wanted_by]} with the requester and give the reason in {c[notes]}."),
    "incidents": ("处理完毕后把{c[status]}改为{s[resolved]}或{s[closed]}；预计会延后时，请更新{c[eta]}。",
                  "Once it is handled, set {c[status]} to {s[resolved]} or {s[closed]}. If it will take longer, "
                  "update {c[eta]}."),
    "meetings": ("完成后把{c[status]}改为{s[done]}；赶不上期限时，请与会议主持人商定新的{c[due]}。",
                 "When it is done, set {c[status]} to {s[done]}. If it cannot be done in time, agree a new "
                 "{c[due]} with whoever chaired the meeting."),
    # a kind added later, whose status column is `status` (tests/test_registries.py checks the names)
    None: ("完成后把{c[status]}改为已完成的状态；赶不上期限时，请与发起人商定新的期限，并在工作簿中写明原因。",
           "When it is done, set {c[status]} to a done status. If it cannot be done in time, agree a new deadline "
           "with the initiator and say why in the workbook."),
}

_FLAGS = (
    FlagType("incident_unanswered", "red", 0, "紧急事务未响应", "Incident unanswered",
             "发生后{response}分钟内无人填写响应时间；立即通知响应人及部门负责人。",
             "No response time {response_minutes} after it occurred; the responder and department head are alerted at once.",
             urgency=Urgency.ALWAYS, needs=(R.OCCURRED, R.RESPONDED),
             nouns=("unanswered incident", "unanswered incidents"),
             steps={None: ("立即响应：在{c[responder]}和{c[responded]}填写谁在何时响应；处理完毕后把{c[status]}改为{s[resolved]}或{s[closed]}。",
                           "Respond now: fill in {c[responder]} and {c[responded]} with who responded and when; once it is "
                           "handled, set {c[status]} to {s[resolved]} or {s[closed]}.")}),
    FlagType("escalated", "red", 1, "已升级", "Escalated",
             "逾期或阻塞已满{escalate}个工作日，已提醒部门负责人和审批人。",
             "Overdue or blocked for {escalate_days}; the department head and the accountable person are told.",
             needs=(R.STATUS,), nouns=("escalated item", "escalated items"),
             steps={None: ("请与负责人{owner}沟通：弄清卡在哪里，协调所需的人手或资源，必要时与发起人商定新的期限；进展由负责人在工作簿中更新。",
                           "Talk to {owner}, the owner: find out what is holding it up, get them the people or resources "
                           "they need, and if necessary agree a new deadline with the initiator. The owner then updates "
                           "the workbook.")}),
    FlagType("overdue", "red", 2, "逾期", "Overdue",
             "已过截止日期（或期望交付时间）但未完成。", "The due date (or wanted-by date) has passed and it is not done.",
             needs=(R.DUE, R.STATUS), nouns=("overdue item", "overdue items"), steps=_FINISH),
    FlagType("not_acknowledged", "red", 3, "未确认接收", "Not acknowledged",
             "需求提交后{ack}个工作小时内未填写确认接收时间。",
             "No acknowledgement within {ack_hours} of submission.",
             needs=(R.SUBMITTED, R.ACKNOWLEDGED), nouns=("unacknowledged request", "unacknowledged requests"),
             steps={None: ("确认接收这项需求：在{c[acknowledged]}填写接收时间，并把{c[status]}改为{s[received]}。",
                           "Acknowledge the request: fill in {c[acknowledged]} with the time and set {c[status]} to "
                           "{s[received]}.")}),
    FlagType("no_first_plan", "red", 4, "未反馈初步方案", "No first plan",
             "需求提交后{first_plan}小时内未反馈初步方案。", "No first plan within {first_plan_hours} of submission.",
             needs=(R.SUBMITTED, R.FIRST_PLAN), nouns=("request without a first plan", "requests without a first plan"),
             steps={None: ("把初步方案发给发起人，并在{c[first_plan]}填写发出时间。",
                           "Send the requester a first plan and fill in {c[first_plan]} with the time you sent it.")}),
    FlagType("blocked", "orange", 5, "阻塞", "Blocked",
             "状态为阻塞，或已填写需协助部门但尚未完成；通知需协助部门负责人。",
             "Status is Blocked, or help is needed from another department; that department's head is told.",
             urgency=Urgency.HIGH_PRIORITY, needs=(R.STATUS,), nouns=("blocked item", "blocked items"),
             steps={"tasks": ("在{c[help_from]}写明需要哪个部门协助，在{c[note]}写明卡在哪里；问题解决后把{c[status]}改回{s[in_progress]}。",
                              "Name the department whose help you need in {c[help_from]} and say what is holding it up "
                              "in {c[note]}; once it is unblocked, set {c[status]} back to {s[in_progress]}."),
                    "projects": ("在{c[notes]}写明卡在哪里、需要谁协助；问题解决后把{c[status]}改回{s[in_progress]}。",
                                 "Say in {c[notes]} what is holding it up and whose help you need; once it is unblocked, "
                                 "set {c[status]} back to {s[in_progress]}."),
                    "meetings": ("与{c[supporting]}中的部门沟通解决阻塞，在{c[resources]}写明还缺什么；解决后把{c[status]}改回{s[in_progress]}。",
                                 "Work it out with the departments in {c[supporting]} and note what is still missing in "
                                 "{c[resources]}; once it is unblocked, set {c[status]} back to {s[in_progress]}."),
                    None: ("在工作簿中写明卡在哪里、需要谁协助；问题解决后更新{c[status]}。",
                           "Say in the workbook what is holding it up and whose help you need; once it is unblocked, "
                           "update {c[status]}.")}),
    FlagType("due_soon", "amber", 6, "即将到期", "Due soon",
             "{due_soon}个工作日内到期。", "Due within {due_soon_days}.", needs=(R.DUE, R.STATUS),
             nouns=("item due soon", "items due soon"), steps=_FINISH),
    FlagType("incident_report_late", "amber", 7, "报告未提交", "Report late",
             "紧急事务发生后{report}小时内未提交处理报告。", "No incident report {report_hours} after it occurred.",
             needs=(R.OCCURRED, R.REPORT_FILED), nouns=("late incident report", "late incident reports"),
             steps={None: ("提交《紧急事件处理报告》，然后在{c[report_filed]}填写提交时间。",
                           "File the incident report, then fill in {c[report_filed]} with the time you filed it.")}),
    FlagType("minutes_late", "amber", 8, "纪要未发出", "Minutes late",
             "会议开始后超{minutes}小时仍未发出纪要。", "Minutes not sent {minutes_hours} after the meeting started.",
             needs=(R.HELD_AT, R.MINUTES_SENT), nouns=("meeting without minutes", "meetings without minutes"),
             steps={None: ("把会议纪要发给所有参会人，然后在这次会议每一行的{c[minutes_sent]}填写发出时间。",
                           "Send the minutes to everyone who attended, then fill in {c[minutes_sent]} on every row of "
                           "this meeting with the time you sent them.")}),
    FlagType("customer_followup_late", "amber", 9, "回访逾期", "Follow-up late",
             "超过客户层级规定的沟通周期（战略{strategic_days}天、重点{key_days}天、普通{regular_days}天）或已过下次回访日期。",
             "Last contact is older than the tier's cadence (strategic {strategic_days} d, key {key_days} d, regular {regular_days} d) or the next visit has passed.",
             needs=(R.LAST_CONTACT,), nouns=("late customer follow-up", "late customer follow-ups"),
             steps={None: ("联系客户，然后把{c[last_contact]}改为这次沟通的日期，并填写约定的{c[next_visit]}。",
                           "Contact the customer, then set {c[last_contact]} to the date you spoke and fill in the "
                           "{c[next_visit]} you agreed.")}),
    FlagType("data_problem", "purple", 10, "数据问题", "Data problem",
             "必填项为空、人名不在通讯录、日期无法识别、取值不在下拉选项中、状态与进度矛盾或编号重复。",
             "A required cell is empty, a person is not in the directory, a date cannot be read, a value is not in the dropdown, status and progress disagree, or an ID is duplicated.",
             nouns=("row with data problems", "rows with data problems"),
             steps={None: ("按上面的说明修改这一行的单元格；改好后，下次检查时提示会自动消失。",
                           "Correct the cell as described above; the flag clears at the next check.")}),
    FlagType("stale", "grey", 11, "未按时更新", "Stale",
             "未完成，且反馈时间早于最近一次每{stale_day}{stale_time}的更新截止时间。",
             "Not done, and last updated before the latest {stale_day} {stale_time} update deadline.",
             needs=(R.STATUS, R.LAST_UPDATE), nouns=("item not updated on time", "items not updated on time"),
             steps={"tasks": ("在{c[note]}写明本周进展，并把{c[last_update]}改为今天的日期。",
                              "Write this week's progress in {c[note]} and set {c[last_update]} to today's date."),
                    "projects": ("在{c[notes]}写明本周进展，并把{c[last_update]}改为今天的日期。",
                                 "Write this week's progress in {c[notes]} and set {c[last_update]} to today's date."),
                    None: ("在工作簿中更新本周进展，并把{c[last_update]}改为今天的日期。",
                           "Update this week's progress in the workbook and set {c[last_update]} to today's date.")}),
    FlagType("done", "green", 12, "已完成", "Done", "状态为已完成。", "Status is done.", needs=(R.STATUS,),
             mailed=False),
)

# The registry: every flag type by code. jobs.rules.register adds one (with its rule) at run time.
FLAGS: dict[str, FlagType] = {f.code: f for f in _FLAGS}


def register(flag: FlagType) -> None:
    """Add a flag type (jobs.rules.register does, with the function that raises it)."""
    if flag.code in FLAGS:
        raise ValueError(f"flag type {flag.code!r} is declared twice")
    FLAGS[flag.code] = flag


def unregister(code: str) -> None:
    FLAGS.pop(code, None)


def flags_for(kind: Kind) -> list[FlagType]:
    """The flags that can fire on `kind`'s rows, most severe first: those whose columns it has.
    The single source for the Guide sheet and for which rules jobs.rules runs on a kind."""
    return sorted((f for f in FLAGS.values() if f.applies_to(kind)), key=lambda f: f.rank)


def urgent_codes() -> frozenset[str]:
    """The flags the alert job checks for (every few minutes): those that can alert at once."""
    return frozenset(code for code, f in FLAGS.items() if f.urgent)
