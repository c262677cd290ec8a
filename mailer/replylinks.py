"""What a reminder offers its reader to act from the mail, and the quiet digest's "still open" lines.

With `[reply] enabled`, each item a person is responsible for carries the commands its kind offers
(mailer/reply/mailto.py) as one-click `mailto:` links to a reply address with a token for this
person and this row (mailer/reply/token.py), so the inbox knows whose reply about which row it is.
Without plus-addressing the token rides in the subject instead. A mail about one row sets
Reply-To to that row's address, so the plain Reply button works too; a mail about several rows
cannot (one Reply-To), so it says to use the links under each item.

Only the person a row names (owner, receiver, responder, recorder), or their stand-in while they
are away, gets links: the reply path changes a row only for them. A department head reading an escalation, or an urgent alert about
someone else's row, gets none, and an escalation says so and who can act instead. A row that has
no ID yet (named `workbook!row`) gets none either: the check gives it an ID before the next mail,
and a token for the provisional name would then match nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from duban.mailer.message import plain
from duban.mailer.reply import token
from duban.mailer.reply.commands import HINT
from duban.mailer.reply.mailto import commands_for, link
from duban.mailer.words import count

# a value command's text is offered as its start ("进度 "); the plain-text part shows an example
EXAMPLES = {"zh": {"进度 ": "进度 75%", "暂缓至 ": "暂缓至 12-10", "需协助 ": "需协助 财务部"},
            "en": {"progress ": "progress 75%", "snooze until ": "snooze until 12-10", "help ": "help Finance"}}

WORDS = {
    "zh": {
        "hint": "可以直接在邮件里处理：点事项下面的按钮，邮件应用会打开一封写好指令的回复，发送即可。",
        "one": "也可以直接回复本邮件，在第一行写指令。",
        "several": "本邮件有多个事项：请用每项下面的按钮回复，直接回复本邮件无法知道您指的是哪一项。",
        "some": "没有按钮的事项请在工作簿中更新（您不是其负责人，或这类事项不能通过回复处理）。",
        "escalation": "回复本邮件不会改动工作簿：事项只能由负责人本人更新（在工作簿中，或回复其本人收到的提醒邮件）。"
                      "需要推动时，请直接联系负责人。",
        "reply": "回复处理", "colon": "：", "mail_to": "发邮件至 {address}", "keep_tag": "（主题中保留 {tag}）",
        "first_line": "，正文第一行写：", "or": " 或 ",
        "still": "仍未处理", "still_intro": "以下事项此前已提醒过，至今没有变化，每项只列一行：",
        "last": "这是最后一次提醒，之后将由升级流程跟进。",
        "still_more": "另有{n}项仍未处理，未在此列出：请打开工作簿查看。",
        "subject_lead": "{counts}，另有{m}项仍未处理", "subject_only": "{m}项仍未处理",
        "link_subject": "督办 {id}",
    },
    "en": {
        "hint": "You can act from this mail: tap a button under an item, and your mail app opens a reply with "
                "the command written in; send it.",
        "one": "Or simply reply to this mail with the command on the first line.",
        "several": "This mail is about several items: reply with the buttons under each item, since a plain "
                   "reply to this mail cannot tell which item you mean.",
        "some": "Items without buttons are updated in the workbook (you are not their owner, or they cannot be "
                "handled by reply).",
        "escalation": "A reply to this mail changes nothing in the workbook: only the item's owner can update it "
                      "(in the workbook, or by replying to their own reminder). To move it on, contact the owner.",
        "reply": "Reply", "colon": ": ", "mail_to": "mail {address}", "keep_tag": " (keep {tag} in the subject)",
        "first_line": " with this on the first line: ", "or": " or ",
        "still": "Still open", "still_intro": "Told before and unchanged since; one line each:",
        "last": "This is the last reminder; escalation takes over from here.",
        "still_more": "{n} more still-open items are not listed here: open the workbook to see them.",
        "subject_lead": "{counts}, and {m} still open", "subject_only": "{items} still open",
        "link_subject": "duban {id}",
    },
}


@dataclass(frozen=True)
class ReplyWay:
    """Where replies go: the reply mailbox, plus-addressed or tagged in the subject, and the key."""

    keys: token.Keys
    address: str
    plus_addressing: bool = True

    def target(self, recipient: str, item: str, today: date) -> tuple[str, str]:
        """(the address a reply about `item` from `recipient` goes to, the subject tag it needs or "")."""
        issued = token.issue(self.keys, recipient, item, today)
        if self.plus_addressing:
            return token.plus_address(self.address, issued), ""
        return self.address, token.subject_tag(issued)


def offer(way: ReplyWay | None, recipient: str, entry: dict, kind: str, lang: str, today: date,
          on_behalf=None) -> dict | None:
    """The reply links of one entry: {"address", "tag", "subject", "links": [{"label", "href", "text"}]},
    or None. Only the row's owner (owner, receiver, responder) may change it by reply, so only they get
    links (a meeting's recorder or a request's initiator, also told, would be refused); a stand-in
    (`on_behalf`: the absent person whose mail they get) acts for that owner."""
    owner = entry.get("owner") or ""
    mine = bool(owner) and (recipient == owner or (on_behalf is not None and on_behalf.name == owner))
    if way is None or kind == "escalation" or not mine or "!" in entry["key"]:
        return None
    offered = commands_for(entry["item_kind"], lang, entry.get("rules"))
    if not offered:
        return None
    address, tag = way.target(recipient, entry["key"], today)
    subject = WORDS[lang]["link_subject"].format(id=plain(entry["key"])) + (f" {tag}" if tag else "")
    return {"address": address, "tag": tag, "subject": subject,
            "links": [{"label": label, "href": link(address, subject, command),
                       "text": EXAMPLES[lang].get(command, command)} for label, command in offered]}


def text_line(reply: dict, lang: str) -> str:
    """The plain-text part's way to reply about one item: the address, the tag, what to type."""
    words = WORDS[lang]
    keep = words["keep_tag"].format(tag=reply["tag"]) if reply["tag"] else ""
    typed = words["or"].join(link["text"] for link in reply["links"])
    return f"{words['reply']}{words['colon']}{words['mail_to'].format(address=reply['address'])}{keep}{words['first_line']}{typed}"


def hints(way: ReplyWay | None, kind: str, entries: list[dict], lang: str) -> list[str]:
    """What the mail says once about replying: how, and whether a plain reply works."""
    if way is None:
        return []
    words = WORDS[lang]
    if kind == "escalation":
        return [words["escalation"]]
    linked = [e for e in entries if e.get("reply")]
    if not linked:
        return []
    found = [words["hint"], HINT[lang], words["one"] if len(entries) == 1 else words["several"]]
    return found + [words["some"]] if len(linked) < len(entries) else found


def reply_to(way: ReplyWay | None, entries: list[dict]) -> tuple[str, str]:
    """(Reply-To, subject tag the mail's subject needs): a mail about one row, that row's own address
    (and tag), so a plain Reply works; about several rows, the plain reply address; "" when the mail
    offers no reply."""
    linked = [e for e in entries if e.get("reply")]
    if way is None or not linked:
        return "", ""
    if len(entries) == 1:
        return linked[0]["reply"]["address"], linked[0]["reply"]["tag"]
    return way.address, ""


def still_subject(counts: str, still: int, lang: str) -> str:
    """A quiet digest's subject counts: the lead's, then how many are still open."""
    words = WORDS[lang]
    if not still:
        return counts
    if counts:
        return words["subject_lead"].format(counts=counts, m=still)
    return words["subject_only"].format(m=still, items=count(still, "item"))
