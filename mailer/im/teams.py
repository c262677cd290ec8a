"""Microsoft Teams through a Workflows webhook ("Send webhook alerts to a channel"; the old Office 365
connectors are retired). The address (Power Automate / Power Platform) is the secret.

The body is an Adaptive Card in an `attachments` envelope, one TextBlock per line (TextBlocks
take a little markdown and no HTML; the neutraliser leaves none of it active). @-mentions:
`<at>Name</at>` in the text and an `msteams.entities` mention naming the person's sign-in
address. Answers: 202 Accepted or 200. 202 means the flow took the request, not that the
channel showed it: a flow that fails afterwards tells its owner in Power Automate, not duban;
4xx when the flow is gone or the card is refused; 429 when throttled. Microsoft states no
per-webhook rate for Workflows: duban keeps to one a second, like Slack.
"""
from __future__ import annotations

from duban.mailer.im import answer
from duban.mailer.im.answer import Answer
from duban.mailer.im.limits import Limits, within
from duban.mailer.im.message import GroupMessage
from duban.mailer.im.text import fit, headline, link, neutralise, who

NAME = "teams"
LABEL = {"zh": "Microsoft Teams", "en": "Microsoft Teams"}
LIMITS = Limits(text_bytes=8000, body_bytes=27000, per_minute=60, per_second=1)   # a card: 28 KB at most
SUPPORTS = {"mentions": "sign-in address (UPN), as <at>Name</at> with an msteams mention entity",
            "signature": "none: the address is the secret", "image": "no"}
CARD = "application/vnd.microsoft.card.adaptive"


def build(message: GroupMessage) -> list[dict]:
    entities, names = [], []
    for person in message.addressed:
        name = headline(person.name)
        if person.teams:
            names.append(f"<at>{name}</at>")
            entities.append({"type": "mention", "text": f"<at>{name}</at>",
                             "mentioned": {"id": person.teams, "name": name}})
        else:
            names.append(name)
    ending = [x for x in (*(link(k.label, k.url, "markdown") for k in message.links), who(names, message.language),
                          headline(message.footer)) if x]

    def make(budget: int) -> dict:
        text = fit("", [neutralise(line) for line in message.lines], budget, message.language, message.more)
        blocks = [{"type": "TextBlock", "text": headline(message.title), "weight": "Bolder", "size": "Medium",
                   "wrap": True}]
        blocks += [{"type": "TextBlock", "text": line, "wrap": True} for line in text.split("\n") if line]
        blocks += [{"type": "TextBlock", "text": line, "wrap": True, "isSubtle": True} for line in ending]
        card: dict[str, object] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                   "type": "AdaptiveCard", "version": "1.4", "body": blocks}
        if entities:
            card["msteams"] = {"entities": entities}
        return {"type": "message", "attachments": [{"contentType": CARD, "contentUrl": None, "content": card}]}
    return [within(make, LIMITS)]


def sign(url: str, body: dict, secret: str, now: float) -> tuple[str, dict]:
    return url, body


def classify(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    if decided := answer.by_http(LABEL, status, headers):
        return decided
    said = body[:200].decode("utf-8", "replace").strip()
    if status in (200, 202):
        return answer.OK
    if status in (401, 403, 404, 410):
        return answer.permanent(answer.WEBHOOK, f"Teams 工作流拒收（HTTP {status}）：工作流已删除、已关闭或地址有误，请在频道里重新创建"
                                "“收到 webhook 请求时发布到频道”的工作流",
                                f"Teams refused (HTTP {status}): the workflow was deleted, turned off or the address "
                                "is wrong; create the channel's webhook workflow again", str(status))
    if status in (400, 413):
        return answer.permanent(answer.MESSAGE, f"Teams 拒绝了消息卡片（HTTP {status}），请把这条提示转给 duban 的维护人",
                                f"Teams refused the card (HTTP {status}: {said}); please pass this to duban's "
                                "maintainer", str(status))
    return answer.unknown(LABEL, f"HTTP {status}", said)
