"""The one thing to do next, per rule and kind: what each mailed item tells its reader to do.

Declared as data, in Chinese and English. `{c[key]}` is the header of column `key` and `{s[key]}`
the status value `key`, both as the workbook itself shows them (its own language, in quotes), so
a Chinese reader of an English workbook is told to fill in "Acknowledged", the cell they see.
`{owner}` is the row's owner. A (rule, kind) entry wins over the rule's own (rule, None).
Every kind a rule applies to has a sentence that names only columns that kind has
(tests/test_mail_content.py checks this against workbooks.kinds).
"""
from __future__ import annotations

from duban.workbooks.model.kinds import KINDS

_DONE_TASK = ("完成后把{c[status]}改为{s[done]}；赶不上期限时，请与发起人商定新的{c[due]}，并在{c[note]}写明原因。",
              "When it is done, set {c[status]} to {s[done]}. If it cannot be done in time, agree a new {c[due]} "
              "with the initiator and give the reason in {c[note]}.")
_DONE_PROJECT = ("完成后把{c[status]}改为{s[done]}；赶不上期限时，请与发起人商定新的{c[due]}，并在{c[notes]}写明原因。",
                 "When it is done, set {c[status]} to {s[done]}. If it cannot be done in time, agree a new "
                 "{c[due]} with the initiator and give the reason in {c[notes]}.")
_DONE_REQUEST = ("交付后把{c[status]}改为{s[done]}；不能按期交付时，请与发起人商定新的{c[wanted_by]}，并在{c[notes]}写明原因。",
                 "Once it is delivered, set {c[status]} to {s[done]}. If it cannot be delivered in time, agree a "
                 "new {c[wanted_by]} with the requester and give the reason in {c[notes]}.")
_DONE_INCIDENT = ("处理完毕后把{c[status]}改为{s[resolved]}或{s[closed]}；预计会延后时，请更新{c[eta]}。",
                  "Once it is handled, set {c[status]} to {s[resolved]} or {s[closed]}. If it will take longer, "
                  "update {c[eta]}.")
_DONE_MEETING = ("完成后把{c[status]}改为{s[done]}；赶不上期限时，请与会议主持人商定新的{c[due]}。",
                 "When it is done, set {c[status]} to {s[done]}. If it cannot be done in time, agree a new "
                 "{c[due]} with whoever chaired the meeting.")
_BY_KIND_DONE = {"tasks": _DONE_TASK, "projects": _DONE_PROJECT, "requests": _DONE_REQUEST,
                 "incidents": _DONE_INCIDENT, "meetings": _DONE_MEETING}

NEXT_STEPS: dict[tuple[str, str | None], tuple[str, str]] = {
    **{("overdue", kind): text for kind, text in _BY_KIND_DONE.items()},
    **{("due_soon", kind): text for kind, text in _BY_KIND_DONE.items()},
    ("escalated", None): (
        "请与负责人{owner}沟通：弄清卡在哪里，协调所需的人手或资源，必要时与发起人商定新的期限；进展由负责人在工作簿中更新。",
        "Talk to {owner}, the owner: find out what is holding it up, get them the people or resources they need, "
        "and if necessary agree a new deadline with the initiator. The owner then updates the workbook."),
    ("not_acknowledged", None): (
        "确认接收这项需求：在{c[acknowledged]}填写接收时间，并把{c[status]}改为{s[received]}。",
        "Acknowledge the request: fill in {c[acknowledged]} with the time and set {c[status]} to {s[received]}."),
    ("no_first_plan", None): (
        "把初步方案发给发起人，并在{c[first_plan]}填写发出时间。",
        "Send the requester a first plan and fill in {c[first_plan]} with the time you sent it."),
    ("blocked", "tasks"): (
        "在{c[help_from]}写明需要哪个部门协助，在{c[note]}写明卡在哪里；问题解决后把{c[status]}改回{s[in_progress]}。",
        "Name the department whose help you need in {c[help_from]} and say what is holding it up in {c[note]}; "
        "once it is unblocked, set {c[status]} back to {s[in_progress]}."),
    ("blocked", "projects"): (
        "在{c[notes]}写明卡在哪里、需要谁协助；问题解决后把{c[status]}改回{s[in_progress]}。",
        "Say in {c[notes]} what is holding it up and whose help you need; once it is unblocked, set "
        "{c[status]} back to {s[in_progress]}."),
    ("blocked", "meetings"): (
        "与{c[supporting]}中的部门沟通解决阻塞，在{c[resources]}写明还缺什么；解决后把{c[status]}改回{s[in_progress]}。",
        "Work it out with the departments in {c[supporting]} and note what is still missing in {c[resources]}; once it is "
        "unblocked, set {c[status]} back to {s[in_progress]}."),
    ("blocked", None): (
        "在工作簿中写明卡在哪里、需要谁协助；问题解决后更新{c[status]}。",
        "Say in the workbook what is holding it up and whose help you need; once it is unblocked, update {c[status]}."),
    ("incident_unanswered", None): (
        "立即响应：在{c[responder]}和{c[responded]}填写谁在何时响应；处理完毕后把{c[status]}改为{s[resolved]}或{s[closed]}。",
        "Respond now: fill in {c[responder]} and {c[responded]} with who responded and when; once it is "
        "handled, set {c[status]} to {s[resolved]} or {s[closed]}."),
    ("incident_report_late", None): (
        "提交《紧急事件处理报告》，然后在{c[report_filed]}填写提交时间。",
        "File the incident report, then fill in {c[report_filed]} with the time you filed it."),
    ("minutes_late", None): (
        "把会议纪要发给所有参会人，然后在这次会议每一行的{c[minutes_sent]}填写发出时间。",
        "Send the minutes to everyone who attended, then fill in {c[minutes_sent]} on every row of this "
        "meeting with the time you sent them."),
    ("customer_followup_late", None): (
        "联系客户，然后把{c[last_contact]}改为这次沟通的日期，并填写约定的{c[next_visit]}。",
        "Contact the customer, then set {c[last_contact]} to the date you spoke and fill in the "
        "{c[next_visit]} you agreed."),
    ("data_problem", None): (
        "按上面的说明修改这一行的单元格；改好后，下次检查时提示会自动消失。",
        "Correct the cell as described above; the flag clears at the next check."),
    ("stale", "tasks"): (
        "在{c[note]}写明本周进展，并把{c[last_update]}改为今天的日期。",
        "Write this week's progress in {c[note]} and set {c[last_update]} to today's date."),
    ("stale", "projects"): (
        "在{c[notes]}写明本周进展，并把{c[last_update]}改为今天的日期。",
        "Write this week's progress in {c[notes]} and set {c[last_update]} to today's date."),
    ("stale", None): (
        "在工作簿中更新本周进展，并把{c[last_update]}改为今天的日期。",
        "Update this week's progress in the workbook and set {c[last_update]} to today's date."),
}
# a blocked row whose 需协助部门 is filled in: it names that department instead of asking for it
BLOCKED_HELPED = (
    "与{c[help_from]}中的{help}沟通解决，在{c[note]}写明还在等什么；问题解决后把{c[status]}改回{s[in_progress]}。",
    "Work it out with {help}, named in {c[help_from]}, and say in {c[note]} what it is still waiting for; once it "
    "is unblocked, set {c[status]} back to {s[in_progress]}.")
# a row flagged blocked only because 需协助部门 is filled in (its status is not 阻塞): there is no
# status to set back; the flag clears when the department is taken out once the help has arrived
HELP_AWAITED = (
    "与{c[help_from]}中的{help}沟通，在{c[note]}写明还在等什么；协助到位后清空{c[help_from]}。",
    "Work it out with {help}, named in {c[help_from]}, and say in {c[note]} what it is still waiting for; once "
    "the help has arrived, clear {c[help_from]}.")
# an escalation to the head of the department asked to help (需协助部门), and to no one else there:
# the item is not theirs to drive, their help is what it waits for
HELPING = ("请与负责人{owner}联系：弄清需要您部门提供什么协助，尽快安排人手或资源；进展由负责人在工作簿中更新。",
           "Contact {owner}, the owner: find out what help your department is asked for and arrange it soon. "
           "The owner then updates the workbook.")
# a rule with no sentence for some kind (a workbook kind added later): a sentence that is never wrong
FALLBACK = ("在工作簿中更新这一行；处理完毕后，下次检查时提醒会自动停止。",
            "Update this row in the workbook; once it is dealt with, the reminder stops at the next check.")


class _Quoted(dict):
    """column or status key -> its label in quotes, in the workbook's language; unknown keys as themselves."""

    def __init__(self, labels: dict[str, str], lang: str):
        super().__init__(labels)
        self.lang = lang

    def __getitem__(self, key: str) -> str:
        label = dict.get(self, key, key)
        return f"“{label}”" if self.lang == "zh" else f'"{label}"'


def template(rule: str, kind: str, lang: str) -> str:
    zh, en = NEXT_STEPS.get((rule, kind)) or NEXT_STEPS.get((rule, None)) or FALLBACK
    return zh if lang == "zh" else en


def next_step(rule: str, kind: str, lang: str, book_lang: str = "zh", owner: str = "", help_from: str = "",
              headers: dict[str, str] | None = None, status_blocked: bool = True) -> str:
    """The next step for a `rule` flag on a row of `kind`, in `lang`, quoting the workbook's labels
    (`book_lang`), or its own header text where it has one (`headers`: column key -> header, a
    hand-made workbook's "截止时间" rather than the template's "截止日期"); a blocked row that names
    the department it needs (`help_from`) is not asked to name it, and one whose status is not a
    blocked one (`status_blocked` False: flagged for 需协助部门 alone) is told to clear that cell
    once helped, not to set back a status it already has."""
    k = KINDS.get(kind)
    book_lang = book_lang if book_lang in ("zh", "en") else "zh"
    columns = {**{c.key: c.header(book_lang) for c in k.columns}, **(headers or {})} if k else {}
    statuses = {key: c.label(book_lang) for key, c in k.status_choices.items()} if k else {}
    who = owner or ("负责人" if lang == "zh" else "the owner")
    text = template(rule, kind, lang)
    if rule == "blocked" and help_from and k is not None and {"help_from", "note"} <= set(columns):
        text = (BLOCKED_HELPED if status_blocked else HELP_AWAITED)[0 if lang == "zh" else 1]
    return text.format(c=_Quoted(columns, lang), s=_Quoted(statuses, lang), owner=who, help=help_from)


def helping_step(lang: str, owner: str = "") -> str:
    """The next step of an escalation whose reader's department is asked to help (HELPING)."""
    who = owner or ("负责人" if lang == "zh" else "the owner")
    return HELPING[0 if lang == "zh" else 1].format(owner=who)
