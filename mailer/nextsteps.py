"""The one thing to do next, per rule and kind: what each mailed item tells its reader to do.

Declared as data, in Chinese and English, on each flag type (workbooks.model.flags, `steps`).
`{c[key]}` is the header of column `key` and `{s[key]}` the status value `key`, both as the workbook
itself shows them (its own language, in quotes), so
a Chinese reader of an English workbook is told to fill in "Acknowledged", the cell they see.
`{owner}` is the row's owner. A (rule, kind) entry wins over the rule's own (rule, None).
Every kind a rule applies to has a sentence that names only columns that kind has
(tests/test_mail_content.py and tests/test_registries.py check this against workbooks.kinds).
"""
from __future__ import annotations

from duban.workbooks.model.flags import FLAGS
from duban.workbooks.model.kinds import KINDS


def declared() -> dict[tuple[str, str | None], tuple[str, str]]:
    """Every (rule, kind) next step the flag types declare (kind None: the rule's for every other kind)."""
    return {(code, kind): pair for code, flag in FLAGS.items() for kind, pair in flag.steps.items()}


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
    flag = FLAGS.get(rule)
    zh, en = (flag.step(kind) if flag else None) or FALLBACK
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
