"""Why a reply was not applied, and the one thing to do, in both languages: one catalogue that the
answer mail, the terminal's table and `--json` all speak from (a stable code per reason)."""
from __future__ import annotations

from dataclasses import dataclass

from duban.mailer.reply.commands import HINT


@dataclass(frozen=True)
class Reason:
    """A reply not applied: `code` (stable, for --json and tests), why and what to do, zh and en."""

    code: str
    why_zh: str
    why_en: str
    todo_zh: str
    todo_en: str

    def why(self, lang: str) -> str:
        return self.why_en if lang == "en" else self.why_zh

    def todo(self, lang: str) -> str:
        return self.todo_en if lang == "en" else self.todo_zh

    def content(self) -> dict:
        return {"why": {"zh": self.why_zh, "en": self.why_en}, "todo": {"zh": self.todo_zh, "en": self.todo_en}}


LATEST = ("请直接回复最新一封督办提醒邮件（每封提醒都带有新的回复链接），或在共享盘上的工作簿（{share}）中直接更新。",
          "Reply to the latest duban reminder (each one carries fresh reply links), or update the workbook on the "
          "shared drive ({share}) directly.")

CATALOGUE: dict[str, tuple[str, str, str, str]] = {
    "auto-reply": ("这是一封自动回复（或退信），督办不处理也不答复。", "An automatic reply (or a bounce): duban neither "
                   "reads nor answers it.", "无需操作。", "Nothing."),
    "own-mail": ("这封邮件来自督办自己的地址，督办不处理也不答复。", "This mail comes from duban's own address: duban "
                 "neither reads nor answers it.", "无需操作。", "Nothing."),
    "stranger": ("发件人不在通讯录中：督办只处理和答复通讯录中人员的回复。", "The sender is not in the directory: duban "
                 "reads and answers replies only from people the directory lists.",
                 "如果此人应能回复督办邮件，请文员把其邮箱加入通讯录。",
                 "If this person should be able to reply to duban's mail, ask the clerks to add their address to "
                 "the directory."),
    "no-token": ("看不出这封回复是关于哪个事项的：收件地址和主题中都没有督办的回复标记。",
                 "duban cannot tell which item this reply is about: neither its address nor its subject carries "
                 "duban's reply mark.",
                 "请在督办提醒邮件中点击该事项下方的回复链接，或直接回复那封提醒邮件（不要新建邮件、不要改主题）。" + HINT["zh"],
                 "Use the reply link under the item in duban's reminder, or reply to that reminder itself (not a new "
                 "mail, subject unchanged). " + HINT["en"]),
    "forged": ("这个回复链接无效。", "This reply link is not valid.", *LATEST),
    "expired": ("这个回复链接发出于 {issued}，已超过 {days} 天的有效期。",
                "This reply link was sent on {issued} and is no longer valid (links last {days} days).", *LATEST),
    "wrong-sender": ("这个回复链接是发给 {person} 的，只能由本人使用；转发的提醒邮件不能用来更新事项。文员已收到通知。",
                     "This reply link was sent to {person} and only works for them; a forwarded reminder cannot "
                     "update the item. The clerks have been told.",
                     "请由 {person} 本人回复；如果该事项应由您负责，请文员在工作簿中把负责人改为您。",
                     "Ask {person} to reply; if the item is yours now, ask the clerks to make you its owner in the "
                     "workbook."),
    "clerks": ("{sender} 使用发给 {person} 的回复链接回复了事项 {item}，督办没有执行，并已答复发件人。",
               "{sender} replied about {item} with the link sent to {person}; duban did not apply it and told the "
               "sender.",
               "如果由 {sender} 代为处理，请在工作簿中修改该事项的负责人，或请 {person} 本人回复；若不认识该发件人，请留意是否为冒用。",
               "If {sender} now handles it, change the item's owner in the workbook, or ask {person} to reply; if "
               "you do not know the sender, treat it as misuse."),
    "left": ("这个回复链接是发给 {person} 的，但通讯录中已没有此人（或没有其邮箱），无法核对发件人。",
             "This reply link was sent to {person}, whom the directory no longer lists with an email address, so "
             "the sender cannot be checked.",
             "请文员更新通讯录，或在共享盘上的工作簿（{share}）中直接更新。",
             "Ask the clerks to update the directory, or update the workbook on the shared drive ({share}) directly."),
}


def reason(code: str, **params) -> Reason:
    """The catalogue's reason `code`, its placeholders filled."""
    why_zh, why_en, todo_zh, todo_en = CATALOGUE[code]
    return Reason(code, why_zh.format(**params), why_en.format(**params), todo_zh.format(**params),
                  todo_en.format(**params))


def command_reason(code: str, zh: str, en: str) -> Reason:
    """A reply that is no command (commands.Unknown): its own sentence already lists the commands."""
    return Reason(code, zh, en, "请在回复的第一行只写一条指令，重新回复那封提醒邮件。",
                  "Reply to the reminder again with one command on the first line.")


def refused(code: str, zh: str, en: str, share: str) -> Reason:
    """A change the write path refused (the row is gone, the sender is not its owner …): its words,
    which say what to do themselves (a second, general to-do would contradict them: "reply to the
    latest reminder" about a row that is gone)."""
    return Reason(code, zh, en, "", "")
